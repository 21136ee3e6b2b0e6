//! `load_corpus`: read every page, find the index, resolve the buttons to personas, collect
//! the appendices.

use super::config::{config_value_line, parse_config, parse_site_config};
use super::front_matter::{parse_front_matter, split_front_matter};
use super::languages::LanguageCorpus;
use super::resolve::{Lookup, build_routes, normalise_site_path};
use super::source::{MAX_CONFIG_BYTES, MAX_PAGE_BYTES, decode_text, read_bounded};
use super::walk::markdown_files;
use super::{Button, Config, Corpus, Page, Persona, Routes, SiteConfig};
use crate::diag::{Diagnostics, Error, Result, Severity, closest};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest persona slug and output stem, in bytes (file systems allow 255 for a whole name).
pub const MAX_STEM_BYTES: usize = 100;

/// `text` as a file stem and id: letters, digits and `-` only (runs of anything else become
/// one `-`), at most `MAX_STEM_BYTES` bytes; empty when nothing is left.
pub fn safe_stem(text: &str) -> String {
    let mut stem = String::with_capacity(text.len().min(MAX_STEM_BYTES));
    for c in text.chars() {
        let c = if c.is_alphanumeric() { c } else { '-' };
        if c == '-' && (stem.is_empty() || stem.ends_with('-')) {
            continue;
        }
        if stem.len() + c.len_utf8() > MAX_STEM_BYTES {
            break;
        }
        stem.push(c);
    }
    while stem.ends_with('-') {
        stem.pop();
    }
    stem
}

const CONFIG_FILE: &str = "livret.toml";
const SITE_CONFIG_FILE: &str = "_config.yml";

/// Stems of files that sit beside pages without being FAQ content.
pub(super) const NOT_CONTENT: [&str; 8] = [
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
        "." if rel.is_empty() => ".".to_string(),
        "." => rel.to_string(),
        _ if rel.is_empty() => root.to_string(),
        _ => format!("{root}/{rel}"),
    }
}

/// A page with what the loader needs beside it: its own diagnostics are held until we know
/// whether the page is in the book (problems in pages outside it are only warnings).
#[derive(Clone)]
pub(super) struct LoadedPage {
    pub page: Page,
    pub buttons_line: Option<u32>,
    pub diags: Diagnostics,
}

/// Load the corpus at `root`. Content problems go to `diags` (all of them); `Err` only for
/// I/O or when no book can be made at all (no index).
pub fn load_corpus(root: &Path, diags: &mut Diagnostics) -> Result<Corpus> {
    load_corpus_excluding(root, &[], diags)
}

/// `load_corpus`, never entering the folders `excluded` (the output folder, when it lies inside
/// the corpus: what livret wrote is not read back as pages). A corpus in several languages
/// gives its original language's book.
pub fn load_corpus_excluding(
    root: &Path,
    excluded: &[PathBuf],
    diags: &mut Diagnostics,
) -> Result<Corpus> {
    let mut books = load_corpora_excluding(root, excluded, None, diags)?;
    if books.is_empty() {
        return Err(Error::Content(diags.error_count()));
    }
    Ok(books.swap_remove(0).corpus)
}

/// Every language's corpus (the original's first), or the one corpus of a one-language corpus
/// (its `language` is `None`). With `only`, the problems of the other languages' pages are not
/// reported (their corpora are still given: the original names the files).
pub fn load_corpora_excluding(
    root: &Path,
    excluded: &[PathBuf],
    only: Option<&str>,
    diags: &mut Diagnostics,
) -> Result<Vec<LanguageCorpus>> {
    load_project_corpora(root, None, excluded, only, diags)
}

/// `load_corpora_excluding` of the corpus `root` inside the project folder `project` (when
/// there is one): its `livret.toml` is read too, and a second one inside the corpus is an error.
pub fn load_project_corpora(
    root: &Path,
    project: Option<&Path>,
    excluded: &[PathBuf],
    only: Option<&str>,
    diags: &mut Diagnostics,
) -> Result<Vec<LanguageCorpus>> {
    let show = |rel: &str| display_path(root, rel);
    let excluded: Vec<PathBuf> = excluded
        .iter()
        .filter_map(|path| path.canonicalize().ok())
        .collect();
    let files = markdown_files(root, &excluded, diags)?;
    if files.is_empty() {
        diags
            .error(show(""), 0, 0, "no Markdown page (.md) in this folder")
            .with_hint("give the folder that holds the FAQ's index page");
        return Err(Error::Content(diags.error_count()));
    }

    let site = match read_optional(root, SITE_CONFIG_FILE, diags)? {
        Some(text) => {
            let text = decode_text(&text, &show(SITE_CONFIG_FILE), diags);
            parse_site_config(&text, &show(SITE_CONFIG_FILE), diags)
        }
        None => SiteConfig::default(),
    };
    let mut config_file = read_config_file(root, CONFIG_FILE, diags)?;
    if let Some(project) = project
        && let Some(mut outer) = read_config_file(project, CONFIG_FILE, diags)?
    {
        if let Some(inner) = &config_file {
            return Err(two_config_files(&outer, inner));
        }
        outer.at_project_root = true;
        config_file = Some(outer);
    }

    let mut pages = Vec::with_capacity(files.len());
    for rel in &files {
        pages.push(load_page(root, rel)?);
    }

    let root_config = config_file
        .as_ref()
        .map(|found| found.config.clone())
        .unwrap_or_default();
    let Some(plan) = super::languages::discover(
        pages.iter().map(|loaded| super::languages::PageFacts {
            path: &loaded.page.path,
            lang: loaded.page.front.lang.as_deref(),
            permalink: loaded.page.front.permalink.as_deref(),
            is_index: loaded.buttons_line.is_some(),
        }),
        &site,
        &root_config,
    ) else {
        let corpus = assemble(
            root,
            site,
            config_file,
            pages,
            &Default::default(),
            None,
            diags,
        )?;
        return Ok(vec![LanguageCorpus {
            language: None,
            corpus,
        }]);
    };
    super::languages::load_languages(plan, root, site, config_file, pages, only, diags)
}

/// One book from `pages`: its index, settings, personas, appendices and routes.
pub(super) fn assemble(
    root: &Path,
    site: SiteConfig,
    mut config_file: Option<ConfigFile>,
    pages: Vec<LoadedPage>,
    aliases: &BTreeMap<String, String>,
    forced_index: Option<&str>,
    diags: &mut Diagnostics,
) -> Result<Corpus> {
    let show = |rel: &str| display_path(root, rel);
    let routes = routes_of(&pages, &site.collections_dir, aliases);
    let index_at = match forced_index {
        Some(path) => pages.iter().position(|loaded| loaded.page.path == path),
        None => find_index(root, &pages, &routes, config_file.as_ref(), diags),
    };
    let Some(index_at) = index_at else {
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
            if let Some(outer) = config_file.as_ref().filter(|c| c.at_project_root) {
                return Err(two_config_files(outer, &found));
            }
            config_file = Some(found);
        }
    }
    if let Some(found) = &config_file {
        check_config_values(found, diags);
    }
    let config = config_file
        .as_ref()
        .map(|found| found.config.clone())
        .unwrap_or_default();

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

    // The index's `lang` is the book's language unless livret.toml sets one.
    if config.language.is_none()
        && let Some(lang) = &index.front.lang
        && let Err(hint) = super::config::check_language_tag(lang)
    {
        diags
            .error(
                show(&index.path),
                front_matter_key_line(root, &index.path, "lang"),
                1,
                format!(
                    "`lang: {}` is not a BCP 47 language tag",
                    lang.escape_debug()
                ),
            )
            .with_hint(hint);
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

/// Routes of `pages`, each published where the page it stands for (`aliases`) would be.
pub(super) fn routes_of(
    pages: &[LoadedPage],
    collections_dir: &str,
    aliases: &BTreeMap<String, String>,
) -> Routes {
    let site_path_of = |path: &str| {
        aliases
            .get(path)
            .cloned()
            .unwrap_or_else(|| path.to_string())
    };
    let named: Vec<(String, &super::FrontMatter)> = pages
        .iter()
        .map(|loaded| (site_path_of(&loaded.page.path), &loaded.page.front))
        .collect();
    let mut routes = build_routes(
        named.iter().map(|(path, front)| (path.as_str(), *front)),
        collections_dir,
    );
    if aliases.is_empty() {
        return routes;
    }
    let own: BTreeMap<String, String> = aliases
        .iter()
        .map(|(own, original)| (original.clone(), own.clone()))
        .collect();
    let real = |path: String| own.get(&path).cloned().unwrap_or(path);
    for pages in routes.by_site_path.values_mut() {
        for page in pages.iter_mut() {
            *page = real(std::mem::take(page));
        }
    }
    routes.pages = std::mem::take(&mut routes.pages)
        .into_iter()
        .map(real)
        .collect();
    routes.published_at = std::mem::take(&mut routes.published_at)
        .into_iter()
        .map(|(page, url)| (real(page), url))
        .collect();
    routes.aliases = own;
    routes
}

/// The file `rel` if it exists, never through a symbolic link that leaves the root. A FIFO,
/// device or oversized file in its place is an error (the book's settings would be missing).
fn read_optional(root: &Path, rel: &str, diags: &mut Diagnostics) -> Result<Option<Vec<u8>>> {
    let path = root.join(rel);
    match std::fs::metadata(&path) {
        Err(_) => return Ok(None),
        Ok(meta) if meta.is_dir() => return Ok(None),
        Ok(_) => {}
    }
    let canonical_root = root.canonicalize().map_err(|e| Error::io(root, e))?;
    let canonical = path.canonicalize().map_err(|e| Error::io(&path, e))?;
    if !canonical.starts_with(&canonical_root) {
        diags.warning(
            display_path(root, rel),
            0,
            0,
            "symbolic link to outside the corpus; not read",
        );
        return Ok(None);
    }
    match read_bounded(&path, MAX_CONFIG_BYTES) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(refusal) => {
            diags.error(display_path(root, rel), 0, 0, refusal.to_string());
            Ok(None)
        }
    }
}

/// Line of `key:` in the front matter of page `rel` (1 when it cannot be found).
pub(super) fn front_matter_key_line(root: &Path, rel: &str, key: &str) -> u32 {
    let Ok(bytes) = read_bounded(&root.join(rel), MAX_PAGE_BYTES) else {
        return 1;
    };
    let text = String::from_utf8_lossy(&bytes);
    text.lines()
        .take_while({
            let mut fences = 0;
            move |line| {
                if line.trim_end() == "---" {
                    fences += 1;
                }
                fences < 2
            }
        })
        .position(|line| {
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map_or(1, |at| at as u32 + 1)
}

/// `name` must be a plain file stem and `language` a BCP 47 tag: both end up in file names and
/// in every artifact's metadata.
fn check_config_values(found: &ConfigFile, diags: &mut Diagnostics) {
    if let Some(name) = &found.config.name
        && let Err(why) = super::config::check_file_stem(name)
    {
        diags
            .error(
                &found.display,
                config_value_line(&found.text, name).max(1),
                1,
                format!("livret.toml: `name` {why}"),
            )
            .with_hint("`name` is the output file stem, e.g. name = \"guide-opendata\"");
    }
    if let Some(manifest) = &found.config.manifest
        && !super::config::is_bare_file_name(manifest)
    {
        diags
            .error(
                &found.display,
                config_value_line(&found.text, manifest).max(1),
                1,
                format!(
                    "livret.toml: `manifest` `{}` is not a plain file name",
                    manifest.escape_debug()
                ),
            )
            .with_hint("e.g. manifest = \"livret-manifest.json\"");
    }
    for format in found.config.formats.iter().flatten() {
        if crate::format::Format::parse(format).is_none() {
            diags.error(
                &found.display,
                config_value_line(&found.text, format).max(1),
                1,
                format!(
                    "livret.toml: unknown format `{}` in `formats` (html, epub, pdf, print, booklet or cards)",
                    format.escape_debug()
                ),
            );
        }
    }
    if let Some(language) = &found.config.language
        && let Err(hint) = super::config::check_language_tag(language)
    {
        diags
            .error(
                &found.display,
                config_value_line(&found.text, language).max(1),
                1,
                format!(
                    "livret.toml: `language = \"{}\"` is not a BCP 47 language tag",
                    language.escape_debug()
                ),
            )
            .with_hint(hint);
    }
}

/// `livret.toml` as found: where, its text (for lines), what it says.
#[derive(Clone)]
pub(super) struct ConfigFile {
    display: String,
    text: String,
    pub config: Config,
    /// Read from the project folder, beside `content/`, not from the corpus.
    at_project_root: bool,
}

/// A project's livret.toml and one inside its corpus: which one counts would be a guess.
fn two_config_files(outer: &ConfigFile, inner: &ConfigFile) -> Error {
    Error::Usage(format!(
        "two settings files, `{}` and `{}`: keep one (the project's, beside `content/`)",
        outer.display, inner.display
    ))
}

pub(super) fn read_config_file(
    root: &Path,
    rel: &str,
    diags: &mut Diagnostics,
) -> Result<Option<ConfigFile>> {
    let Some(bytes) = read_optional(root, rel, diags)? else {
        return Ok(None);
    };
    let display = display_path(root, rel);
    let text = decode_text(&bytes, &display, diags);
    let config = parse_config(&text, &display, diags);
    Ok(Some(ConfigFile {
        display,
        text,
        config,
        at_project_root: false,
    }))
}

fn load_page(root: &Path, rel: &str) -> Result<LoadedPage> {
    let path = root.join(rel);
    let display = display_path(root, rel);
    let mut diags = Diagnostics::new();
    // A page that cannot be read is an error if the book needs it, a warning otherwise.
    let bytes = read_bounded(&path, MAX_PAGE_BYTES).unwrap_or_else(|refusal| {
        diags.error(&display, 0, 0, refusal.to_string());
        Vec::new()
    });
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
    routes: &Routes,
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
        // A file path, or else a site path (`faq`, `/faq.html`).
        let path = routes
            .pages
            .get(wanted_path)
            .map(String::as_str)
            .or_else(|| routes.resolve(wanted_path));
        if let Some(at) = pages
            .iter()
            .position(|p| Some(p.page.path.as_str()) == path)
        {
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
            // A page whose front matter cannot be read may be the index: that is the cause.
            let unreadable: Vec<String> = pages
                .iter()
                .filter(|p| p.diags.has_errors())
                .map(|p| display_path(root, &p.page.path))
                .collect();
            let hint = if unreadable.is_empty() {
                format!(
                    "add the personas as `buttons:` to the index page, or set `index = \"…\"` in {CONFIG_FILE}"
                )
            } else {
                format!(
                    "fix the error in {} first (reported above): its `buttons:` cannot be read",
                    unreadable.join(", ")
                )
            };
            diags
                .error(
                    display_path(root, ""),
                    0,
                    0,
                    "no index page: no page has `buttons:` in its front matter",
                )
                .with_hint(hint);
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
        // Problems with a button's target are reported at the target's value.
        let (target_line, target_col) = button.target_at;
        // A site may link a button to another site; the book has no chapter for it. A warning,
        // so the book still builds (and `--strict` refuses it).
        if is_external(&button.target) {
            diags
                .warning(
                    &index_display,
                    target_line,
                    target_col,
                    format!(
                        "button \"{}\" points outside the site ({}): skipped, no chapter for it",
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
                        target_line,
                        target_col,
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
                target_line,
                target_col,
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
        let slug = unique_slug(&safe_stem(&persona_slug(button)), &personas);
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
    let (line, col) = button.target_at;
    let diagnostic = diags.error(
        index_display,
        line,
        col,
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
    let base = if base.is_empty() { "persona" } else { base };
    let taken = |slug: &str| personas.iter().any(|p| p.slug == slug);
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| {
            // The number is kept whole; the base gives way to stay within the bound.
            let suffix = format!("-{n}");
            let mut cut = MAX_STEM_BYTES.saturating_sub(suffix.len()).min(base.len());
            while !base.is_char_boundary(cut) {
                cut -= 1;
            }
            format!("{}{suffix}", &base[..cut])
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use tempfile::TempDir;

    fn corpus_dir(files: &[(&str, &str)]) -> TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn load(dir: &TempDir) -> (Result<Corpus>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let corpus = load_corpus(dir.path(), &mut diags);
        (corpus, diags)
    }

    fn messages(diags: &Diagnostics) -> String {
        diags
            .items()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    const INDEX: &str = "---\nlayout: page\nsummary: Les questions\n\nbuttons:\n  -\n    title: Citoyen\n    default: faq/citoyen\n  -\n    title: Producteur\n    default: faq/producteur\n\n---\n\n# Découvrir\n\ntexte\n\n---\n\nfin\n";

    fn persona(title: &str) -> String {
        format!("---\ntitle: {title}\nlabel: En tant que {title}\n---\n# {title}\n")
    }

    #[test]
    fn jekyll_collection_corpus() {
        let dir = corpus_dir(&[
            ("faq.md", INDEX),
            ("_faq/citoyen.md", &persona("Citoyen")),
            ("_faq/producteur.md", &persona("Producteur")),
            ("_faq/extra.md", &persona("Extra")),
            ("_faq/README.md", "# notes"),
            ("README.md", "# site"),
            ("about.md", "---\ntitle: About\n---\n"),
            ("_config.yml", "title: Site\n"),
        ]);
        let (corpus, diags) = load(&dir);
        let corpus = corpus.unwrap();
        assert!(diags.items().is_empty(), "{}", messages(&diags));
        assert_eq!(corpus.index.path, "faq.md");
        assert_eq!(corpus.index.body_line, 14);
        assert!(corpus.index.body.contains("\n---\n"));
        let slugs: Vec<&str> = corpus.personas.iter().map(|p| p.slug.as_str()).collect();
        assert_eq!(slugs, vec!["citoyen", "producteur"]);
        assert_eq!(corpus.personas[0].page.path, "_faq/citoyen.md");
        assert_eq!(corpus.personas[0].button.line, 7);
        assert_eq!(
            corpus.personas[1].page.front.label.as_deref(),
            Some("En tant que Producteur")
        );
        let appendices: Vec<&str> = corpus.appendices.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(appendices, vec!["_faq/extra.md"]);
        assert_eq!(
            corpus.site.vars.get("title").map(String::as_str),
            Some("Site")
        );
        assert_eq!(
            corpus.routes.resolve("/faq/extra.html"),
            Some("_faq/extra.md")
        );
        assert_eq!(corpus.routes.resolve("about"), Some("about.md"));
        assert_eq!(
            corpus.display_path("_faq/citoyen.md"),
            format!("{}/_faq/citoyen.md", dir.path().display())
        );
    }

    #[test]
    fn compact_buttons_and_collections_dir() {
        let dir = corpus_dir(&[
            (
                "index.md",
                "---\nbuttons:\n- title: Citoyen\n  page: /faq/citoyen.html\n- title: Dév\n  url: faq/developpeur/\n---\n",
            ),
            ("articles/_faq/citoyen.md", &persona("Citoyen")),
            ("articles/_faq/developpeur.md", &persona("Dev")),
            ("_config.yml", "collections_dir: articles\n"),
        ]);
        let (corpus, diags) = load(&dir);
        let corpus = corpus.unwrap();
        assert!(diags.items().is_empty(), "{}", messages(&diags));
        let pages: Vec<&str> = corpus
            .personas
            .iter()
            .map(|p| p.page.path.as_str())
            .collect();
        assert_eq!(
            pages,
            vec!["articles/_faq/citoyen.md", "articles/_faq/developpeur.md"]
        );
        assert_eq!(corpus.personas[1].slug, "developpeur");
        assert_eq!(corpus.site.collections_dir, "articles");
        assert_eq!(
            corpus.routes.resolve_file("_faq/citoyen.md"),
            Some("articles/_faq/citoyen.md")
        );
    }

    #[test]
    fn plain_folder_index_permalink_and_redirect_targets() {
        let dir = corpus_dir(&[
            (
                "faqs/index.md",
                "---\nbuttons:\n  - title: A\n    default: faq/a\n  - title: B\n    default: faq/b\n  - title: C\n    default: /questions/c/\n  - title: D\n    default: old/d.html\n---\n",
            ),
            ("faq/a.md", "# A"),
            ("faq/b/index.md", "# B"),
            ("pages/c.md", "---\npermalink: /questions/c/\n---\n"),
            ("pages/d.md", "---\nredirect_from:\n  - /old/d/\n---\n"),
        ]);
        let (corpus, diags) = load(&dir);
        let corpus = corpus.unwrap();
        assert!(diags.items().is_empty(), "{}", messages(&diags));
        let pages: Vec<&str> = corpus
            .personas
            .iter()
            .map(|p| p.page.path.as_str())
            .collect();
        assert_eq!(
            pages,
            vec!["faq/a.md", "faq/b/index.md", "pages/c.md", "pages/d.md"]
        );
        let slugs: Vec<&str> = corpus.personas.iter().map(|p| p.slug.as_str()).collect();
        assert_eq!(slugs, vec!["a", "b", "c", "d"]);
        assert!(corpus.appendices.is_empty());
    }

    #[test]
    fn missing_target_says_did_you_mean() {
        let dir = corpus_dir(&[
            (
                "faq.md",
                "---\nbuttons:\n  - title: Citizen\n    default: faq/citizen\n---\n",
            ),
            ("faqs/citizen.md", "# C"),
            ("faqs/producer.md", "# P"),
        ]);
        let (corpus, diags) = load(&dir);
        assert!(corpus.unwrap().personas.is_empty());
        let item = &diags.items()[0];
        assert_eq!(item.severity, Severity::Error);
        assert!(item.path.ends_with("/faq.md"));
        assert_eq!((item.line, item.col), (4, 14), "at the target's value");
        assert!(item.message.contains("\"Citizen\""), "{item}");
        assert_eq!(item.hint.as_deref(), Some("did you mean faqs/citizen.md?"));
    }

    #[test]
    fn two_pages_for_one_target_is_ambiguous() {
        let dir = corpus_dir(&[
            (
                "faq.md",
                "---\nbuttons:\n  - title: A\n    default: faq/a\n---\n",
            ),
            ("faq/a.md", "# A"),
            ("faq/a.markdown", "# A"),
        ]);
        let (_, diags) = load(&dir);
        let item = &diags.items()[0];
        assert!(
            item.message.contains("faq/a.md") && item.message.contains("faq/a.markdown"),
            "{item}"
        );
    }

    #[test]
    fn no_index_or_several_is_an_error() {
        let dir = corpus_dir(&[("a.md", "# A"), ("b.md", "---\ntitle: B\n---\n")]);
        let (corpus, diags) = load(&dir);
        assert!(matches!(corpus, Err(Error::Content(1))));
        assert!(diags.items()[0].message.contains("no index page"));

        let dir = corpus_dir(&[
            ("a.md", "---\nbuttons:\n  - title: B\n    default: b\n---\n"),
            ("b.md", "---\nbuttons:\n  - title: A\n    default: a\n---\n"),
        ]);
        let (corpus, diags) = load(&dir);
        assert!(corpus.is_err());
        let message = &diags.items()[0].message;
        assert!(
            message.contains("/a.md") && message.contains("/b.md"),
            "{message}"
        );

        let empty = tempfile::tempdir().unwrap();
        let (corpus, _) = load(&empty);
        assert!(matches!(corpus, Err(Error::Content(1))));
    }

    #[test]
    fn config_names_the_index_and_orders_personas() {
        let dir = corpus_dir(&[
            ("livret.toml", "index = \"/faqs/\"\n"),
            (
                "faqs/index.md",
                "---\nbuttons:\n  - title: A\n    default: faq/a\n  - title: B\n    default: faq/b\n  - title: C\n    default: faq/c\n---\n",
            ),
            (
                "faqs/livret.toml",
                "name = \"guide\"\npersonas = [\"c\", \"a\", \"zz\"]\n",
            ),
            (
                "other.md",
                "---\nbuttons:\n  - title: X\n    default: x\n---\n",
            ),
            ("faq/a.md", "# A"),
            ("faq/b.md", "# B"),
            ("faq/c.md", "# C"),
        ]);
        let (corpus, diags) = load(&dir);
        let corpus = corpus.unwrap();
        assert_eq!(corpus.index.path, "faqs/index.md");
        assert_eq!(corpus.config.name.as_deref(), Some("guide"));
        let slugs: Vec<&str> = corpus.personas.iter().map(|p| p.slug.as_str()).collect();
        assert_eq!(slugs, vec!["c", "a"]);
        // b is named by a button: not an appendix even though filtered out.
        assert!(corpus.appendices.is_empty());
        let item = &diags.items()[0];
        assert!(item.path.ends_with("faqs/livret.toml"));
        assert_eq!(item.line, 2);
        assert!(item.message.contains("zz"));
        // The other page's button cannot be resolved but it is not the index: no report.
        assert_eq!(diags.items().len(), 1, "{}", messages(&diags));
    }

    #[test]
    fn config_index_not_found_suggests() {
        let dir = corpus_dir(&[
            ("livret.toml", "\nindex = \"faq/indx.md\"\n"),
            ("faq/index.md", "---\nbuttons: []\n---\n"),
        ]);
        let (corpus, diags) = load(&dir);
        assert!(corpus.is_err());
        let item = &diags.items()[0];
        assert_eq!(item.line, 2);
        assert_eq!(item.hint.as_deref(), Some("did you mean faq/index.md?"));
    }

    #[test]
    fn config_parse_error_has_line() {
        let dir = corpus_dir(&[
            ("livret.toml", "title = \"x\"\npage_size = \"B5\"\n"),
            (
                "faq.md",
                "---\nbuttons:\n  - title: A\n    default: a\n---\n",
            ),
            ("a.md", "# A"),
        ]);
        let (corpus, diags) = load(&dir);
        assert!(corpus.is_ok());
        let item = &diags.items()[0];
        assert!(item.path.ends_with("livret.toml"));
        assert_eq!(item.line, 2, "{item}");
    }

    #[test]
    fn yaml_errors_point_at_page_lines_and_outside_pages_only_warn() {
        let dir = corpus_dir(&[
            (
                "faq.md",
                "---\nbuttons:\n  - title: A\n    default: _faq/a\n---\n",
            ),
            ("_faq/a.md", "---\ntitle: A\nsummary: [oops\n---\n# A\n"),
            ("notes/b.md", "---\ntitle: [oops\n---\n"),
        ]);
        let (corpus, diags) = load(&dir);
        assert!(corpus.is_ok());
        let in_book = diags
            .items()
            .iter()
            .find(|d| d.path.ends_with("_faq/a.md"))
            .unwrap();
        assert_eq!(in_book.severity, Severity::Error);
        assert!(in_book.line >= 3, "{in_book}");
        let outside = diags
            .items()
            .iter()
            .find(|d| d.path.ends_with("notes/b.md"))
            .unwrap();
        assert_eq!(outside.severity, Severity::Warning);
    }

    #[test]
    fn non_ascii_names_bom_crlf_and_bad_utf8() {
        let index = "\u{feff}---\r\nbuttons:\r\n  - title: Légales\r\n    default: légales\r\n  - title: Déclaration\r\n    default: /d%C3%A9claration.html\r\n---\r\ncorps\r\n";
        let dir = corpus_dir(&[
            ("index.md", index),
            ("légales.md", "# L"),
            ("déclaration.md", "# D"),
        ]);
        std::fs::write(dir.path().join("déclaration.md"), b"# D\n\xff\n").unwrap();
        let (corpus, diags) = load(&dir);
        let corpus = corpus.unwrap();
        assert_eq!(corpus.index.body, "corps\n");
        let slugs: Vec<&str> = corpus.personas.iter().map(|p| p.slug.as_str()).collect();
        assert_eq!(slugs, vec!["légales", "déclaration"]);
        let item = &diags.items()[0];
        assert!(item.path.ends_with("déclaration.md"));
        assert_eq!(
            (item.severity, item.line, item.col),
            (Severity::Error, 2, 1)
        );
    }

    #[test]
    fn duplicate_slugs_are_made_unique() {
        let dir = corpus_dir(&[
            (
                "faq.md",
                "---\nbuttons:\n  - title: A\n    default: faq/x\n  - title: B\n    default: old/x\n---\n",
            ),
            ("faq/x.md", "# A"),
            ("old/x.md", "# B"),
        ]);
        let (corpus, _) = load(&dir);
        let slugs: Vec<String> = corpus
            .unwrap()
            .personas
            .into_iter()
            .map(|p| p.slug)
            .collect();
        assert_eq!(slugs, vec!["x", "x-2"]);
    }

    #[test]
    fn every_button_problem_is_reported() {
        let dir = corpus_dir(&[(
            "faq.md",
            "---\nbuttons:\n  - title: A\n    default: nope1\n  - title: B\n    default: nope2\n  - title: C\n    default: https://example.org\n  - title: D\n    default: faq\n---\n",
        )]);
        let (corpus, diags) = load(&dir);
        assert!(corpus.unwrap().personas.is_empty());
        let lines: Vec<u32> = diags.items().iter().map(|d| d.line).collect();
        assert_eq!(lines, vec![4, 6, 8, 10], "{}", messages(&diags));
    }

    #[cfg(unix)]
    #[test]
    fn config_symlinked_outside_is_not_read() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("livret.toml"), "name = \"leak\"\n").unwrap();
        let dir = corpus_dir(&[
            (
                "faq.md",
                "---\nbuttons:\n  - title: A\n    default: a\n---\n",
            ),
            ("a.md", "# A"),
        ]);
        std::os::unix::fs::symlink(
            outside.path().join("livret.toml"),
            dir.path().join("livret.toml"),
        )
        .unwrap();
        let (corpus, diags) = load(&dir);
        assert_eq!(corpus.unwrap().config.name, None);
        assert_eq!(diags.warning_count(), 1);
    }

    #[test]
    fn display_paths() {
        assert_eq!(
            display_path(Path::new("content/"), "_faq/a.md"),
            "content/_faq/a.md"
        );
        assert_eq!(display_path(Path::new("."), "a.md"), "a.md");
        assert_eq!(display_path(Path::new("content"), ""), "content");
    }
}
