//! `load_corpus`: read every page, find the index, resolve the buttons to personas, collect
//! the appendices.

use super::config::{config_value_line, parse_config, parse_site_config};
use super::front_matter::{parse_front_matter, split_front_matter};
use super::resolve::{Lookup, build_routes, normalise_site_path};
use super::source::decode_text;
use super::walk::markdown_files;
use super::{Button, Config, Corpus, Page, Persona, Routes, SiteConfig};
use crate::diag::{Diagnostics, Error, Result, Severity};
use std::collections::BTreeSet;
use std::path::Path;

const CONFIG_FILE: &str = "livret.toml";
const SITE_CONFIG_FILE: &str = "_config.yml";

/// Stems of files that sit beside pages without being FAQ content.
const NOT_CONTENT: [&str; 8] = [
    "readme",
    "license",
    "licence",
    "changelog",
    "contributing",
    "code_of_conduct",
    "security",
    "404",
];

/// `<root as given>/<rel>` (just `rel` when the root is `.`).
pub fn display_path(root: &Path, rel: &str) -> String {
    let root = root.to_string_lossy();
    let root = root.trim_end_matches('/');
    match root {
        "" if rel.is_empty() => "/".to_string(),
        "" => format!("/{rel}"),
        "." => rel.to_string(),
        _ if rel.is_empty() => root.to_string(),
        _ => format!("{root}/{rel}"),
    }
}

/// A page with what the loader needs beside it: its own diagnostics are held until we know
/// whether the page is in the book (problems in pages outside it are only warnings).
struct LoadedPage {
    page: Page,
    buttons_line: Option<u32>,
    diags: Diagnostics,
}

/// Load the corpus at `root`. Content problems go to `diags` (all of them); `Err` only for
/// I/O or when no book can be made at all (no index).
pub fn load_corpus(root: &Path, diags: &mut Diagnostics) -> Result<Corpus> {
    let show = |rel: &str| display_path(root, rel);
    let files = markdown_files(root, diags)?;
    if files.is_empty() {
        diags
            .error(show(""), 0, 0, "no Markdown page (.md) in this folder")
            .with_hint("give the folder that holds the FAQ's index page");
        return Err(Error::Content(diags.error_count()));
    }

    let site = match read_optional(root, SITE_CONFIG_FILE)? {
        Some(text) => {
            let text = decode_text(&text, &show(SITE_CONFIG_FILE), diags);
            parse_site_config(&text, &show(SITE_CONFIG_FILE), diags)
        }
        None => SiteConfig::default(),
    };
    let mut config_file = read_config_file(root, CONFIG_FILE, diags)?;

    let mut pages = Vec::with_capacity(files.len());
    for rel in &files {
        pages.push(load_page(root, rel)?);
    }

    let Some(index_at) = find_index(root, &pages, config_file.as_ref(), diags) else {
        flush_page_diagnostics(&pages, |_| true, diags);
        return Err(Error::Content(diags.error_count()));
    };
    let index_path = pages
        .get(index_at)
        .map(|loaded| loaded.page.path.clone())
        .unwrap_or_default();
    if let Some((folder, _)) = index_path.rsplit_once('/') {
        let beside_index = format!("{folder}/{CONFIG_FILE}");
        if let Some(found) = read_config_file(root, &beside_index, diags)? {
            config_file = Some(found);
        }
    }
    let config = config_file
        .as_ref()
        .map(|found| found.config.clone())
        .unwrap_or_default();

    let routes = build_routes(
        pages
            .iter()
            .map(|loaded| (loaded.page.path.as_str(), &loaded.page.front)),
        &site.collections_dir,
    );
    let index = pages
        .get(index_at)
        .map(|loaded| loaded.page.clone())
        .ok_or_else(|| Error::Content(diags.error_count()))?;
    if index.front.buttons.is_empty() {
        let line = pages
            .get(index_at)
            .and_then(|loaded| loaded.buttons_line)
            .unwrap_or(1);
        diags
            .error(show(&index.path), line, 1, "the index page has no buttons")
            .with_hint("list the personas: `buttons:` then `  - title: …` / `    default: …`");
    }

    let resolved = resolve_buttons(root, &index, &routes, &pages, diags);
    let named: BTreeSet<String> = resolved.iter().map(|p| p.page.path.clone()).collect();
    let appendices = collect_appendices(&pages, &index.path, &named);
    let personas = order_personas(resolved, config_file.as_ref(), diags);

    let in_book: BTreeSet<&str> = std::iter::once(index.path.as_str())
        .chain(named.iter().map(String::as_str))
        .chain(appendices.iter().map(|page| page.path.as_str()))
        .collect();
    flush_page_diagnostics(&pages, |path| in_book.contains(path), diags);

    Ok(Corpus {
        root: root.to_path_buf(),
        config,
        site,
        index,
        personas,
        appendices,
        routes,
    })
}

fn read_optional(root: &Path, rel: &str) -> Result<Option<Vec<u8>>> {
    let path = root.join(rel);
    if !path.is_file() {
        return Ok(None);
    }
    std::fs::read(&path)
        .map(Some)
        .map_err(|e| Error::io(path, e))
}

/// `livret.toml` as found: where, its text (for lines), what it says.
struct ConfigFile {
    display: String,
    text: String,
    config: Config,
}

fn read_config_file(root: &Path, rel: &str, diags: &mut Diagnostics) -> Result<Option<ConfigFile>> {
    let Some(bytes) = read_optional(root, rel)? else {
        return Ok(None);
    };
    let display = display_path(root, rel);
    let text = decode_text(&bytes, &display, diags);
    let config = parse_config(&text, &display, diags);
    Ok(Some(ConfigFile {
        display,
        text,
        config,
    }))
}

fn load_page(root: &Path, rel: &str) -> Result<LoadedPage> {
    let path = root.join(rel);
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let display = display_path(root, rel);
    let mut diags = Diagnostics::new();
    let text = decode_text(&bytes, &display, &mut diags);
    let split = split_front_matter(&text);
    if split.unclosed {
        diags
            .warning(&display, 1, 1, "front matter opened here is never closed")
            .with_hint("add a `---` line after the front matter");
    }
    let parsed = split
        .yaml
        .map(|(yaml, first_line)| parse_front_matter(yaml, first_line, &display, &mut diags))
        .unwrap_or_default();
    Ok(LoadedPage {
        page: Page {
            path: rel.to_string(),
            front: parsed.front,
            body: split.body.to_string(),
            body_line: split.body_line,
        },
        buttons_line: parsed.buttons_line,
        diags,
    })
}

/// Problems of pages in the book are reported as found; those of other pages only as warnings.
fn flush_page_diagnostics(
    pages: &[LoadedPage],
    in_book: impl Fn(&str) -> bool,
    diags: &mut Diagnostics,
) {
    for loaded in pages {
        let keep = in_book(&loaded.page.path);
        for item in loaded.diags.items() {
            let mut item = item.clone();
            if !keep && item.severity == Severity::Error {
                item.severity = Severity::Warning;
                item.message.push_str(" (page not in the book)");
            }
            diags.push(item);
        }
    }
}

/// Position of the index page: `index` of `livret.toml`, else the one page with `buttons:`.
fn find_index(
    root: &Path,
    pages: &[LoadedPage],
    config_file: Option<&ConfigFile>,
    diags: &mut Diagnostics,
) -> Option<usize> {
    if let Some(found) = config_file
        && let Some(wanted) = &found.config.index
    {
        let wanted_path = wanted
            .trim()
            .trim_start_matches("./")
            .trim_start_matches('/');
        if let Some(at) = pages.iter().position(|p| p.page.path == wanted_path) {
            return Some(at);
        }
        let paths: Vec<&str> = pages.iter().map(|p| p.page.path.as_str()).collect();
        let diagnostic = diags.error(
            &found.display,
            config_value_line(&found.text, wanted),
            1,
            format!("index page `{wanted}` not found"),
        );
        if let Some(close) = closest(wanted_path, &paths) {
            diagnostic.with_hint(format!("did you mean {close}?"));
        }
        return None;
    }
    let candidates: Vec<usize> = pages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.buttons_line.is_some())
        .map(|(at, _)| at)
        .collect();
    match candidates.as_slice() {
        [at] => Some(*at),
        [] => {
            diags
                .error(
                    display_path(root, ""),
                    0,
                    0,
                    "no index page: no page has `buttons:` in its front matter",
                )
                .with_hint(format!(
                    "add the personas as `buttons:` to the index page, or set `index = \"…\"` in {CONFIG_FILE}"
                ));
            None
        }
        several => {
            let listed: Vec<String> = several
                .iter()
                .filter_map(|at| pages.get(*at))
                .map(|p| display_path(root, &p.page.path))
                .collect();
            diags
                .error(
                    display_path(root, ""),
                    0,
                    0,
                    format!(
                        "several pages have `buttons:`, which is the index? {}",
                        listed.join(", ")
                    ),
                )
                .with_hint(format!("set `index = \"…\"` in {CONFIG_FILE}"));
            None
        }
    }
}

/// The closest of `candidates` to `wanted`, if any is close.
fn closest<'a>(wanted: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::normalized_damerau_levenshtein(wanted, c), *c))
        .filter(|(score, _)| *score >= 0.5)
        .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

fn is_external(target: &str) -> bool {
    let lower = target.to_ascii_lowercase();
    lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("//")
        || lower.starts_with("mailto:")
}

/// Each button → its page, in button order; problems are reported at the button's line.
fn resolve_buttons(
    root: &Path,
    index: &Page,
    routes: &Routes,
    pages: &[LoadedPage],
    diags: &mut Diagnostics,
) -> Vec<Persona> {
    let index_display = display_path(root, &index.path);
    let mut personas: Vec<Persona> = Vec::new();
    for button in &index.front.buttons {
        if is_external(&button.target) {
            diags
                .error(
                    &index_display,
                    button.line,
                    1,
                    format!(
                        "button \"{}\" points outside the site: {}",
                        button.title, button.target
                    ),
                )
                .with_hint("a persona must be a page of the corpus, e.g. `default: faq/citoyen`");
            continue;
        }
        let page_path = match routes.lookup(&button.target) {
            Lookup::Page(path) => path,
            Lookup::Missing => {
                report_missing(&index_display, button, routes, diags);
                continue;
            }
            Lookup::Ambiguous(found) => {
                diags
                    .error(
                        &index_display,
                        button.line,
                        1,
                        format!(
                            "button \"{}\": `{}` names several pages: {}",
                            button.title,
                            button.target,
                            found.join(", ")
                        ),
                    )
                    .with_hint("remove or rename one of them, or give one a `permalink:`");
                continue;
            }
        };
        if page_path == index.path {
            diags.error(
                &index_display,
                button.line,
                1,
                format!("button \"{}\" names the index page itself", button.title),
            );
            continue;
        }
        let Some(page) = pages
            .iter()
            .find(|loaded| loaded.page.path == page_path)
            .map(|loaded| loaded.page.clone())
        else {
            continue;
        };
        if let Some(twin) = personas.iter().find(|p| p.page.path == page.path) {
            diags.warning(
                &index_display,
                button.line,
                1,
                format!(
                    "buttons \"{}\" and \"{}\" both name {}",
                    twin.button.title, button.title, page.path
                ),
            );
        }
        let slug = unique_slug(&persona_slug(button), &personas);
        personas.push(Persona {
            slug,
            button: button.clone(),
            page,
        });
    }
    personas
}

fn report_missing(index_display: &str, button: &Button, routes: &Routes, diags: &mut Diagnostics) {
    let wanted = normalise_site_path(&button.target);
    let diagnostic = diags.error(
        index_display,
        button.line,
        1,
        format!(
            "button \"{}\": no page is published at `{wanted}`",
            button.title
        ),
    );
    let suggestions = routes.suggest(&button.target, 3);
    if suggestions.is_empty() {
        diagnostic.with_hint(format!(
            "looked for {wanted}.md, {wanted}/index.md, a collection file _<name>/….md, \
             a `permalink:` or a `redirect_from:`"
        ));
    } else {
        diagnostic.with_hint(format!("did you mean {}?", suggestions.join(" or ")));
    }
}

/// Last segment of the target (`faq/citoyen` → `citoyen`), else from the title.
fn persona_slug(button: &Button) -> String {
    let target = normalise_site_path(&button.target);
    let last = target.rsplit('/').next().unwrap_or_default();
    if !last.is_empty() {
        return last.to_string();
    }
    let from_title: String = deunicode::deunicode(&button.title)
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let from_title = from_title.trim_matches('-').to_string();
    if from_title.is_empty() {
        "persona".to_string()
    } else {
        from_title
    }
}

fn unique_slug(base: &str, personas: &[Persona]) -> String {
    let taken = |slug: &str| personas.iter().any(|p| p.slug == slug);
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|slug| !taken(slug))
        .unwrap_or_else(|| base.to_string())
}

/// `personas` of `livret.toml` chooses and orders the personas by slug.
fn order_personas(
    personas: Vec<Persona>,
    config_file: Option<&ConfigFile>,
    diags: &mut Diagnostics,
) -> Vec<Persona> {
    let Some(found) = config_file else {
        return personas;
    };
    let Some(wanted) = &found.config.personas else {
        return personas;
    };
    let slugs: Vec<&str> = personas.iter().map(|p| p.slug.as_str()).collect();
    let mut ordered = Vec::new();
    for slug in wanted {
        let line = config_value_line(&found.text, slug);
        match personas.iter().find(|p| &p.slug == slug) {
            Some(_) if ordered.iter().any(|p: &Persona| &p.slug == slug) => {
                diags.warning(
                    &found.display,
                    line,
                    1,
                    format!("persona `{slug}` is listed twice"),
                );
            }
            Some(persona) => ordered.push(persona.clone()),
            None => {
                let diagnostic =
                    diags.error(&found.display, line, 1, format!("unknown persona `{slug}`"));
                match closest(slug, &slugs) {
                    Some(close) => diagnostic.with_hint(format!("did you mean {close}?")),
                    None => diagnostic.with_hint(format!("personas: {}", slugs.join(", "))),
                };
            }
        }
    }
    ordered
}

/// Other pages in the folders of the persona pages, in path order.
fn collect_appendices(
    pages: &[LoadedPage],
    index_path: &str,
    named: &BTreeSet<String>,
) -> Vec<Page> {
    let folder = |path: &str| path.rsplit_once('/').map_or("", |(dir, _)| dir).to_string();
    let folders: BTreeSet<String> = named.iter().map(|path| folder(path)).collect();
    pages
        .iter()
        .map(|loaded| &loaded.page)
        .filter(|page| {
            let stem = page
                .path
                .rsplit('/')
                .next()
                .and_then(|name| name.split('.').next())
                .unwrap_or_default()
                .to_lowercase();
            folders.contains(&folder(&page.path))
                && page.path != index_path
                && !named.contains(&page.path)
                && !NOT_CONTENT.contains(&stem.as_str())
                && page.front.vars.get("published").map(String::as_str) != Some("false")
        })
        .cloned()
        .collect()
}
