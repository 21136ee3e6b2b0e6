//! One FAQ in several languages: which languages a corpus holds, which pages each one's book
//! is made of, and whether the translations keep in step with the original.
//!
//! Layouts read: `languages` in livret.toml or `_config.yml` (jekyll-polyglot, pages carrying
//! `lang:` or living under `_i18n/<lang>/`); one index with `buttons:` per language (its `lang`,
//! or its folder's language: `en/`, `faqs_en/`); folders with a language suffix (`faqs_en/`,
//! `faqs-en/`, `faqs.en/`) beside the original's (`faqs/`), behind one index.

use super::load::{ConfigFile, LoadedPage, assemble, routes_of};
use super::resolve::Lookup;
use super::{Config, Corpus, Page, SiteConfig};
use crate::diag::{Diagnostic, Diagnostics, Error, Result};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

/// One language's corpus; `language` is `None` for a corpus in one language (built as always).
#[derive(Debug, Clone)]
pub struct LanguageCorpus {
    pub language: Option<String>,
    pub corpus: Corpus,
}

/// What discovery needs to know of a page.
pub(super) struct PageFacts<'a> {
    pub path: &'a str,
    pub lang: Option<&'a str>,
    pub permalink: Option<&'a str>,
    pub is_index: bool,
}

/// The languages found, and where each page belongs.
pub(super) struct Plan {
    /// The original's language first.
    languages: Vec<String>,
    /// Per page (in load order): its language's position in `languages`.
    language_of: Vec<usize>,
    /// Per page: the path of the page it stands for in the original (`faqs/x.md` for
    /// `faqs_en/x.md`, `faq/x.md` for `_i18n/en/faq/x.md`), when Jekyll publishes it there.
    alias: Vec<Option<String>>,
    /// Per page: what it is matched by across languages (its path without the language part).
    key: Vec<String>,
}

/// ISO 639-1 codes: a folder suffix is a language only when it is one (`faqs_en`, not `faqs_v2`).
const ISO_639_1: &str = "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce \
    ch co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv \
    ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr \
    ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn \
    no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so \
    sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh \
    yi yo za zh zu";

fn is_language_code(text: &str) -> bool {
    ISO_639_1.split_whitespace().any(|code| code == text)
}

/// Where a page's folders put it: `(language, alias, key)`.
fn folder_language(
    path: &str,
    folders: &BTreeSet<String>,
    accept: &dyn Fn(&str) -> bool,
    top_level: bool,
) -> Option<(String, Option<String>, String)> {
    let segments: Vec<&str> = path.split('/').collect();
    let folder_count = segments.len().saturating_sub(1);
    // `_i18n/en/faq/x.md` stands for `faq/x.md`.
    if folder_count >= 2 && segments[0] == "_i18n" && accept(segments[1]) {
        let rest = segments[2..].join("/");
        return Some((segments[1].to_string(), Some(rest.clone()), rest));
    }
    // `en/faq/x.md`: published at `/en/faq/x`, matched with `faq/x.md`.
    if top_level && folder_count >= 1 && accept(segments[0]) {
        return Some((segments[0].to_string(), None, segments[1..].join("/")));
    }
    // `faqs_en/x.md` beside `faqs/`: stands for `faqs/x.md`.
    for at in 0..folder_count {
        let segment = segments[at];
        for separator in ['_', '-', '.'] {
            let Some((base, tag)) = segment.rsplit_once(separator) else {
                continue;
            };
            if base.is_empty() || !accept(tag) {
                continue;
            }
            let mut original: Vec<&str> = segments[..at].to_vec();
            original.push(base);
            if !folders.contains(&original.join("/")) {
                continue;
            }
            let mut stands_for = segments.clone();
            stands_for[at] = base;
            let stands_for = stands_for.join("/");
            return Some((tag.to_string(), Some(stands_for.clone()), stands_for));
        }
    }
    None
}

/// Every folder that holds a page (at any depth).
fn page_folders(paths: &[&str]) -> BTreeSet<String> {
    let mut folders = BTreeSet::new();
    for path in paths {
        let mut folder = *path;
        while let Some((parent, _)) = folder.rsplit_once('/') {
            folders.insert(parent.to_string());
            folder = parent;
        }
    }
    folders
}

fn set(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// The languages of the corpus, or `None` when it has one (it is then loaded as always).
pub(super) fn discover<'a>(
    pages: impl Iterator<Item = PageFacts<'a>>,
    site: &SiteConfig,
    config: &Config,
) -> Option<Plan> {
    let pages: Vec<PageFacts> = pages.collect();
    let paths: Vec<&str> = pages.iter().map(|p| p.path).collect();
    let folders = page_folders(&paths);
    let declared: Vec<String> = config
        .languages
        .clone()
        .filter(|list| !list.is_empty())
        .unwrap_or_else(|| site.languages.clone());
    let site_default = set(site.vars.get("default_lang").map(String::as_str))
        .or_else(|| site.language.as_ref().map(|(tag, _)| tag.replace('_', "-")));
    let config_language = set(config.language.as_deref());

    let mut languages: Vec<String>;
    let mut from_front_matter = false;
    // One index per language: the folder of a translation's index holds its pages.
    let mut index_folders: Vec<(String, String)> = Vec::new();
    let indexes: Vec<&PageFacts> = pages.iter().filter(|p| p.is_index).collect();
    if declared.len() >= 2 {
        from_front_matter = true;
        let original = config_language
            .clone()
            .filter(|tag| declared.contains(tag))
            .or_else(|| site_default.clone().filter(|tag| declared.contains(tag)))
            .unwrap_or_else(|| declared[0].clone());
        languages = vec![original.clone()];
        languages.extend(declared.iter().filter(|t| **t != original).cloned());
        languages.dedup();
    } else if indexes.len() >= 2 && config.index.is_none() {
        // One index per language: each says its language, or its folder does.
        let mut found: Vec<(Option<String>, &str)> = Vec::new();
        for index in &indexes {
            let tag = set(index.lang).or_else(|| {
                folder_language(index.path, &folders, &is_language_code, true).map(|f| f.0)
            });
            found.push((tag, index.path));
        }
        let unnamed = found.iter().filter(|(tag, _)| tag.is_none()).count();
        let original = match unnamed {
            0 => config_language
                .clone()
                .or(site_default.clone())
                .filter(|tag| found.iter().any(|(t, _)| t.as_ref() == Some(tag)))
                .or_else(|| {
                    // The index nearest the root is the original's.
                    found
                        .iter()
                        .min_by_key(|(_, path)| (path.matches('/').count(), *path))
                        .and_then(|(tag, _)| tag.clone())
                })?,
            1 => config_language
                .clone()
                .or(site_default.clone())
                .unwrap_or_else(|| super::DEFAULT_LANGUAGE.to_string()),
            _ => return None,
        };
        let mut tags: Vec<String> = found
            .iter()
            .map(|(tag, _)| tag.clone().unwrap_or_else(|| original.clone()))
            .collect();
        let count = tags.len();
        tags.sort();
        tags.dedup();
        if tags.len() != count {
            // Two indexes in one language: the usual "several pages have buttons" error.
            return None;
        }
        for (tag, path) in &found {
            if let (Some(tag), Some((folder, _))) = (tag, path.rsplit_once('/'))
                && *tag != original
            {
                index_folders.push((format!("{folder}/"), tag.clone()));
            }
        }
        // The deepest folder first: it is the nearest index's.
        index_folders.sort_by_key(|(folder, _)| std::cmp::Reverse(folder.len()));
        languages = vec![original.clone()];
        languages.extend(tags.into_iter().filter(|t| *t != original));
    } else {
        // Folders with a language suffix beside the original's.
        let mut tags = BTreeSet::new();
        for path in &paths {
            if let Some((tag, _, _)) = folder_language(path, &folders, &is_language_code, false) {
                tags.insert(tag);
            }
        }
        if tags.is_empty() {
            return None;
        }
        let index_lang = match indexes.as_slice() {
            [index] => set(index.lang),
            _ => None,
        };
        let original = config_language
            .clone()
            .or(index_lang)
            .or(site_default.clone())
            .unwrap_or_else(|| super::DEFAULT_LANGUAGE.to_string());
        tags.remove(&original);
        if tags.is_empty() {
            return None;
        }
        languages = vec![original];
        languages.extend(tags);
    }

    let known = |tag: &str| languages.iter().any(|l| l == tag);
    let mut plan = Plan {
        languages: languages.clone(),
        language_of: Vec::with_capacity(pages.len()),
        alias: Vec::with_capacity(pages.len()),
        key: Vec::with_capacity(pages.len()),
    };
    for page in &pages {
        let by_folder = folder_language(page.path, &folders, &known, true);
        let (language, alias, mut key) = match by_folder {
            Some((tag, alias, key)) => (tag, alias, key),
            None => {
                let own = set(page.lang).filter(|tag| known(tag));
                let beside_index = index_folders
                    .iter()
                    .find(|(folder, _)| page.path.starts_with(folder.as_str()))
                    .map(|(_, tag)| tag.clone());
                let tag = match own {
                    Some(tag) if from_front_matter || page.is_index => tag,
                    _ => beside_index.unwrap_or_else(|| languages[0].clone()),
                };
                (tag, None, page.path.to_string())
            }
        };
        // jekyll-polyglot: a page and its translations share their permalink.
        if from_front_matter && let Some(permalink) = set(page.permalink) {
            key = format!("permalink:{}", super::normalise_site_path(&permalink));
        }
        let at = languages.iter().position(|l| *l == language).unwrap_or(0);
        plan.language_of.push(at);
        plan.alias.push(alias);
        plan.key.push(key);
    }
    // Folders or indexes that leave every page in one language: nothing to split.
    let used: BTreeSet<usize> = plan.language_of.iter().copied().collect();
    if used.len() < 2 && !from_front_matter {
        return None;
    }
    Some(plan)
}

/// Assemble one corpus per language of `plan` (each language's pages, its index, its routes),
/// then check that the translations keep in step with the original.
pub(super) fn load_languages(
    plan: Plan,
    root: &Path,
    site: SiteConfig,
    config_file: Option<ConfigFile>,
    pages: Vec<LoadedPage>,
    only: Option<&str>,
    diags: &mut Diagnostics,
) -> Result<Vec<LanguageCorpus>> {
    if let Some(wanted) = only
        && !plan.languages.iter().any(|l| l == wanted)
    {
        return Err(Error::Usage(format!(
            "--lang {wanted}: the corpus's languages are {}",
            plan.languages.join(", ")
        )));
    }
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    let mut by_language: Vec<(Vec<LoadedPage>, BTreeMap<String, String>)> =
        plan.languages.iter().map(|_| Default::default()).collect();
    for (at, loaded) in pages.into_iter().enumerate() {
        let language = plan.language_of.get(at).copied().unwrap_or(0);
        keys.insert(
            loaded.page.path.clone(),
            plan.key.get(at).cloned().unwrap_or_default(),
        );
        if let Some((own, aliases)) = by_language.get_mut(language) {
            if let Some(Some(alias)) = plan.alias.get(at) {
                aliases.insert(loaded.page.path.clone(), alias.clone());
            }
            own.push(loaded);
        }
    }
    let key_of = |path: &str| keys.get(path).cloned().unwrap_or_else(|| path.to_string());

    // Problems met in several languages' loads (a settings file) are reported once; those of
    // a language not built are not reported at all.
    let mut seen: HashSet<Diagnostic> = diags.items().iter().cloned().collect();
    let mut books: Vec<LanguageCorpus> = Vec::new();
    let mut original_index: Option<LoadedPage> = None;
    let mut own_indexes: Vec<bool> = Vec::new();
    for (position, ((mut own, aliases), tag)) in by_language
        .into_iter()
        .zip(plan.languages.iter())
        .enumerate()
    {
        let built = only.is_none_or(|wanted| wanted == tag);
        let mut language_diags = Diagnostics::new();
        let mut index = None;
        let own_index = own.iter().filter(|p| p.buttons_line.is_some()).count() == 1;
        if let Some(original) = &original_index {
            let own_indexes: Vec<&LoadedPage> =
                own.iter().filter(|p| p.buttons_line.is_some()).collect();
            index = match own_indexes.as_slice() {
                [one] => Some(one.page.path.clone()),
                [] => Some(borrow_index(
                    original, &mut own, &aliases, &key_of, &site, tag,
                )),
                // Several: the loader says which pages have buttons.
                _ => None,
            };
        }
        let candidates: Vec<LoadedPage> = own
            .iter()
            .filter(|p| position == 0 && p.buttons_line.is_some())
            .cloned()
            .collect();
        let corpus = assemble(
            root,
            site.clone(),
            config_file.clone(),
            own,
            &aliases,
            index.as_deref(),
            &mut language_diags,
        );
        // The original's problems matter to every language: its index and name are theirs.
        if built || (position == 0 && corpus.is_err()) {
            for item in language_diags.items() {
                if seen.insert(item.clone()) {
                    diags.push(item.clone());
                }
            }
        }
        let mut corpus = match corpus {
            Ok(corpus) => corpus,
            // A language not built does not stop the one asked for.
            Err(_) if !built && position > 0 => continue,
            Err(error) => return Err(error),
        };
        if position == 0 {
            original_index = candidates
                .into_iter()
                .find(|p| p.page.path == corpus.index.path)
                .map(|mut p| {
                    p.diags = Diagnostics::new();
                    p
                });
        }
        corpus.config.language = Some(tag.clone());
        books.push(LanguageCorpus {
            language: Some(tag.clone()),
            corpus,
        });
        own_indexes.push(position == 0 || own_index);
    }
    if let Some((original, translations)) = books.split_first() {
        for (translation, &own_index) in translations.iter().zip(own_indexes.iter().skip(1)) {
            let built = only.is_none_or(|wanted| Some(wanted) == translation.language.as_deref());
            if built {
                check_in_step(original, translation, own_index, &key_of, diags);
            }
        }
    }
    // Every language, `only` too: its files take the original's name.
    Ok(books)
}

/// A language without an index of its own: the page standing for the original's index, given
/// the original's buttons (else the original's index itself). Buttons whose page is not
/// translated are left out of this language's book (the check names the page).
fn borrow_index(
    original: &LoadedPage,
    own: &mut Vec<LoadedPage>,
    aliases: &BTreeMap<String, String>,
    key_of: &dyn Fn(&str) -> String,
    site: &SiteConfig,
    tag: &str,
) -> String {
    let original_key = key_of(&original.page.path);
    let at = own
        .iter()
        .position(|p| key_of(&p.page.path) == original_key);
    let mut index = match at {
        Some(at) => {
            let mut translated = own.remove(at);
            translated.page.front.buttons = original.page.front.buttons.clone();
            translated.buttons_line = original.buttons_line;
            translated
        }
        None => original.clone(),
    };
    let routes = routes_of(own, &site.collections_dir, aliases);
    index.page.front.buttons.retain_mut(|button| {
        if !matches!(routes.lookup(&button.target), Lookup::Missing) {
            return true;
        }
        // A language's own folder (`en/faq/x` for `faq/x`).
        let inside = format!("{tag}/{}", super::normalise_site_path(&button.target));
        if matches!(routes.lookup(&inside), Lookup::Missing) {
            return false;
        }
        button.target = inside;
        true
    });
    let path = index.page.path.clone();
    own.push(index);
    path
}

/// Images a page shows: Markdown `![…](…)` and HTML `<img`.
fn image_count(body: &str) -> usize {
    body.matches("![").count() + body.to_ascii_lowercase().matches("<img").count()
}

/// When a page says it was last changed: `last_modified_at`, else `date`.
fn dated(page: &Page) -> Option<&str> {
    ["last_modified_at", "date"]
        .iter()
        .find_map(|key| page.front.vars.get(*key))
        .map(|d| d.trim())
        .filter(|d| !d.is_empty())
}

/// `2024-3-1`, `2024-03-01 10:00:00 +0100` → (2024, 3, 1): the day a page is dated, compared
/// as numbers; `None` when the text is not a date.
fn day_of(date: &str) -> Option<(u32, u32, u32)> {
    let day = date.split(['T', ' ']).next()?;
    let mut parts = day.split('-').map(|part| part.parse::<u32>().ok());
    let (year, month, day) = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some((year, month, day))
}

/// Line of the key `dated` read (1 when not found).
fn dated_line(root: &Path, rel: &str) -> u32 {
    let line = super::load::front_matter_key_line(root, rel, "last_modified_at");
    if line > 1 {
        return line;
    }
    super::load::front_matter_key_line(root, rel, "date")
}

/// A page, button or image in one language and not the other; a translation dated before its
/// original. Warnings, naming both languages.
fn check_in_step(
    original: &LanguageCorpus,
    translation: &LanguageCorpus,
    own_index: bool,
    key_of: &dyn Fn(&str) -> String,
    diags: &mut Diagnostics,
) {
    let (o, t) = (&original.corpus, &translation.corpus);
    let o_tag = original.language.as_deref().unwrap_or_default();
    let t_tag = translation.language.as_deref().unwrap_or_default();
    let o_pages: Vec<&Page> = o.book_pages().collect();
    let t_pages: Vec<&Page> = t.book_pages().collect();
    // Pages are matched by what they stand for; the index with the index, and a persona's
    // page with the persona at the same place when their names differ.
    let counterpart = |page: &Page, from: &Corpus, to: &Corpus| -> Option<String> {
        let key = key_of(&page.path);
        if let Some(found) = to.book_pages().find(|p| key_of(&p.path) == key) {
            return Some(found.path.clone());
        }
        if page.path == from.index.path {
            return Some(to.index.path.clone());
        }
        let place = from
            .personas
            .iter()
            .position(|p| p.page.path == page.path)?;
        let other = &to.personas.get(place)?.page;
        let from_keys: BTreeSet<String> = from.book_pages().map(|p| key_of(&p.path)).collect();
        (!from_keys.contains(&key_of(&other.path))).then(|| other.path.clone())
    };
    for page in &o_pages {
        let Some(other_path) = counterpart(page, o, t) else {
            diags
                .warning(
                    o.display_path(&page.path),
                    1,
                    1,
                    format!(
                        "page `{}` ({o_tag}) has no translation in `{t_tag}`",
                        page.path
                    ),
                )
                .with_hint(format!(
                    "translate it, or the `{t_tag}` book goes without it"
                ));
            continue;
        };
        let Some(other) = t_pages.iter().find(|p| p.path == other_path) else {
            continue;
        };
        if other.path == page.path {
            // The original's own page, borrowed (an index with no translation).
            continue;
        }
        let (ours, theirs) = (image_count(&page.body), image_count(&other.body));
        if ours != theirs {
            diags.warning(
                t.display_path(&other.path),
                other.body_line,
                1,
                format!(
                    "`{}` ({t_tag}) shows {theirs} image(s), its original `{}` ({o_tag}) {ours}",
                    other.path, page.path
                ),
            );
        }
        if let (Some(mine), Some(source)) = (dated(other), dated(page))
            && let (Some(mine_day), Some(source_day)) = (day_of(mine), day_of(source))
            && mine_day < source_day
        {
            diags
                .warning(
                    t.display_path(&other.path),
                    dated_line(&t.root, &other.path),
                    1,
                    format!(
                        "translation `{}` ({t_tag}, {mine}) is older than its original `{}` ({o_tag}, {source})",
                        other.path, page.path
                    ),
                )
                .with_hint("bring the translation up to date, then its `last_modified_at`");
        }
    }
    for page in &t_pages {
        if counterpart(page, t, o).is_none() {
            diags.warning(
                t.display_path(&page.path),
                1,
                1,
                format!(
                    "page `{}` ({t_tag}) has no original in `{o_tag}`",
                    page.path
                ),
            );
        }
    }
    // Indexes of their own: a button in one and not the other.
    if own_index {
        let (long, short, long_tag, short_tag) = if o.personas.len() >= t.personas.len() {
            (o, t, o_tag, t_tag)
        } else {
            (t, o, t_tag, o_tag)
        };
        for persona in long.personas.iter().skip(short.personas.len()) {
            diags.warning(
                long.display_path(&long.index.path),
                persona.button.line,
                1,
                format!(
                    "button \"{}\" ({long_tag}) has no counterpart in the `{short_tag}` index",
                    persona.button.title
                ),
            );
        }
    }
}

/// A language's name in itself, for a language switcher (the tag itself when unknown).
pub fn language_name(tag: &str) -> String {
    let primary = tag
        .split(['-', '_'])
        .next()
        .unwrap_or(tag)
        .to_ascii_lowercase();
    let name = match primary.as_str() {
        "fr" => "Français",
        "en" => "English",
        "pt" => "Português",
        "es" => "Español",
        "de" => "Deutsch",
        "it" => "Italiano",
        "nl" => "Nederlands",
        "ca" => "Català",
        "pl" => "Polski",
        "ro" => "Română",
        "sv" => "Svenska",
        "da" => "Dansk",
        "nb" | "no" => "Norsk",
        "fi" => "Suomi",
        "el" => "Ελληνικά",
        "ru" => "Русский",
        "uk" => "Українська",
        "ar" => "العربية",
        "zh" => "中文",
        "ja" => "日本語",
        _ => return tag.to_string(),
    };
    name.to_string()
}

/// What a language switcher is called, in the book's language.
pub fn switcher_label(tag: &str) -> &'static str {
    match tag
        .split(['-', '_'])
        .next()
        .unwrap_or(tag)
        .to_ascii_lowercase()
        .as_str()
    {
        "fr" => "Langue",
        "pt" | "es" => "Idioma",
        "de" => "Sprache",
        "it" => "Lingua",
        "nl" => "Taal",
        "ca" => "Llengua",
        _ => "Language",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Languages found among `pages` (path, lang, has buttons), with `config`.
    fn languages(
        pages: &[(&str, Option<&str>, bool)],
        site: &SiteConfig,
        config: &Config,
    ) -> Option<Vec<String>> {
        let facts = pages.iter().map(|(path, lang, is_index)| PageFacts {
            path,
            lang: *lang,
            permalink: None,
            is_index: *is_index,
        });
        discover(facts, site, config).map(|plan| plan.languages)
    }

    fn one_index(extra: &[&'static str]) -> Vec<(&'static str, Option<&'static str>, bool)> {
        let mut pages = vec![("faqs/index.md", None, true), ("faqs/a.md", None, false)];
        pages.extend(extra.iter().map(|path| (*path, None, false)));
        pages
    }

    #[test]
    fn dates_compare_as_days() {
        assert!(day_of("2024-9-30") < day_of("2024-10-01"));
        assert!(day_of("2024-03-01 10:00:00 +0100") == day_of("2024-03-01"));
        assert_eq!(day_of("yesterday"), None);
        assert_eq!(day_of("2024-03"), None);
    }

    #[test]
    fn suffixed_folders_beside_the_original_are_languages() {
        let none = (SiteConfig::default(), Config::default());
        for (extra, found) in [
            (vec!["faqs_en/a.md"], Some(vec!["fr", "en"])),
            (
                vec!["faqs-pt/a.md", "faqs.de/a.md"],
                Some(vec!["fr", "de", "pt"]),
            ),
            // Not a language code, or no original folder beside it: one language.
            (vec!["faqs-v2/a.md"], None),
            (vec!["faqs_ui/a.md"], None),
            (vec!["docs_en/a.md"], None),
            (vec!["en/a.md"], None),
            (vec![], None),
        ] {
            let pages = one_index(&extra);
            let found = found.map(|tags| tags.iter().map(|t| t.to_string()).collect());
            assert_eq!(languages(&pages, &none.0, &none.1), found, "{extra:?}");
        }
        // The original's language is where the corpus says it.
        let config = Config {
            language: Some("pt".into()),
            ..Config::default()
        };
        let pages = one_index(&["faqs_en/a.md"]);
        assert_eq!(
            languages(&pages, &none.0, &config),
            Some(vec!["pt".to_string(), "en".to_string()])
        );
    }

    #[test]
    fn one_index_per_language_or_declared_languages() {
        let site = SiteConfig::default();
        let config = Config::default();
        let pages = [
            ("index.md", None, true),
            ("en/index.md", None, true),
            ("faq/a.md", None, false),
        ];
        assert_eq!(
            languages(&pages, &site, &config),
            Some(vec!["fr".to_string(), "en".to_string()])
        );
        // Two indexes that say no language: the "which is the index?" error stays.
        // An index's folder holds its language's pages, whatever the folder's name.
        let facts = [
            ("index.md", Some("fr"), true),
            ("english/index.md", Some("en"), true),
            ("english/faq/a.md", None, false),
            ("faq/a.md", None, false),
        ];
        let plan = discover(
            facts.iter().map(|(path, lang, is_index)| PageFacts {
                path,
                lang: *lang,
                permalink: None,
                is_index: *is_index,
            }),
            &site,
            &config,
        )
        .unwrap_or_else(|| panic!("two languages"));
        assert_eq!(plan.languages, ["fr", "en"]);
        assert_eq!(plan.language_of, [0, 1, 1, 0]);
        let pages = [("a/index.md", None, true), ("b/index.md", None, true)];
        assert_eq!(languages(&pages, &site, &config), None);
        let pages = [
            ("a/index.md", Some("de"), true),
            ("b/index.md", Some("de"), true),
        ];
        assert_eq!(languages(&pages, &site, &config), None);

        let polyglot = SiteConfig {
            languages: vec!["en".into(), "es".into()],
            vars: [("default_lang".to_string(), "es".to_string())].into(),
            ..SiteConfig::default()
        };
        let pages = [("index.md", None, true), ("_i18n/en/index.md", None, false)];
        assert_eq!(
            languages(&pages, &polyglot, &config),
            Some(vec!["es".to_string(), "en".to_string()])
        );
    }
}
