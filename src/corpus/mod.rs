//! Loading a corpus: find the index page, read front matter, resolve every button to its page
//! (Jekyll's publishing rules), collect appendix pages. docs/dialect.md, "The corpus" and
//! "Front matter".

mod config;
mod front_matter;
mod language;
mod languages;
mod load;
mod project;
mod resolve;
mod source;
mod walk;

pub use config::{check_file_stem, check_language_tag, is_bare_file_name};
pub use front_matter::{ParsedFrontMatter, SplitPage, parse_front_matter, split_front_matter};
pub use language::{BookLanguage, DEFAULT_LANGUAGE, LanguageSource, warn_when_unset};
pub use languages::{LanguageCorpus, language_name, switcher_label};
pub use load::{
    MAX_STEM_BYTES, display_path, load_corpora_excluding, load_corpus, load_corpus_excluding,
    load_project_corpora, safe_stem,
};
pub use project::{CONTENT_DIR, Located, in_project, locate};
pub use resolve::{Lookup, normalise_site_path};
pub use source::{MAX_CONFIG_BYTES, MAX_PAGE_BYTES};
pub use source::{ReadRefusal, decode_text, open_regular, open_regular_file, read_bounded};
pub use walk::MAX_FOLDER_DEPTH;

use crate::ir::PageSize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// `livret.toml` beside the index page; every field optional (defaults come from the corpus).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub name: Option<String>,
    pub title: Option<String>,
    pub subtitle: Option<String>,
    pub author: Option<String>,
    pub publisher: Option<String>,
    pub language: Option<String>,
    pub date: Option<String>,
    pub identifier: Option<String>,
    /// Path of the index page relative to the corpus root, when discovery is ambiguous.
    pub index: Option<String>,
    /// Persona slugs in the order wanted, instead of button order.
    pub personas: Option<Vec<String>>,
    /// The corpus's languages (`["pt", "en"]`), one book each; the first is the original
    /// unless `language` names another.
    pub languages: Option<Vec<String>>,
    pub page_size: Option<PageSize>,
    /// `false` leaves the text as typed: no smart quotes, dashes or French spacing.
    pub typography: Option<bool>,
    /// Words the book shows, over the language's own and the theme's.
    pub labels: Option<crate::labels::LabelOverrides>,
    /// Formats `build` writes when `-f` is not given (`["html", "pdf"]`).
    pub formats: Option<Vec<String>>,
    /// Output folder when `-o` is not given, relative to the working directory.
    pub out: Option<String>,
    /// Theme folder when `--theme` is not given, relative to the working directory.
    pub theme: Option<String>,
    /// `--split` by default.
    pub split: Option<bool>,
    /// `--strict` by default.
    pub strict: Option<bool>,
    /// The site's address (`https://faq.example.org`), over `url` + `baseurl` of `_config.yml`:
    /// the persona cards' QR codes point there.
    pub url: Option<String>,
    /// The manifest's file name in the output folder (`manifest.json`), for a folder whose
    /// `manifest.json` belongs to another tool.
    pub manifest: Option<String>,
    /// `-j` by default: how many writers run at once.
    pub jobs: Option<usize>,
}

/// What the reader needs of Jekyll's `_config.yml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteConfig {
    /// `collections_dir` (e.g. `articles`), empty when collections sit at the root.
    pub collections_dir: String,
    /// Scalar values of `_config.yml`, for `{{ site.x }}`.
    pub vars: BTreeMap<String, String>,
    /// The site's language and the key it was under (`lang`, `locale` or `defaults`).
    pub language: Option<(String, &'static str)>,
    /// `languages:` (jekyll-polyglot), in order; empty when absent.
    pub languages: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub subtitle: Option<String>,
    pub label: Option<String>,
    pub summary: Option<String>,
    pub lang: Option<String>,
    pub date: Option<String>,
    pub permalink: Option<String>,
    pub redirect_from: Vec<String>,
    pub buttons: Vec<Button>,
    /// Every scalar key, as text (for `{{ page.x }}`), unknown keys included.
    pub vars: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Button {
    pub title: String,
    /// `default`, `page` or `url` as written, e.g. `faq/citoyen`.
    pub target: String,
    /// Line of the button in the index file (1-based).
    pub line: u32,
    /// Line and column (1-based) of the target's value, where a wrong target is reported;
    /// `(line, 1)` when the scan cannot place it (flow-style YAML).
    pub target_at: (u32, u32),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Relative to the corpus root, `/` separators.
    pub path: String,
    pub front: FrontMatter,
    /// Markdown after the front matter: BOM removed, CRLF/CR turned into LF.
    pub body: String,
    /// Line of the file where `body` starts (1-based), to point diagnostics at the page.
    pub body_line: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Persona {
    /// Chapter id and split file stem: the last segment of the button target (`citoyen`).
    pub slug: String,
    pub button: Button,
    pub page: Page,
}

#[derive(Debug, Clone)]
pub struct Corpus {
    pub root: PathBuf,
    pub config: Config,
    pub site: SiteConfig,
    pub index: Page,
    pub personas: Vec<Persona>,
    /// Collection pages no button names, in path order.
    pub appendices: Vec<Page>,
    /// Every Markdown page of the corpus with the site paths it is published at
    /// (for links to pages, in the book or not).
    pub routes: Routes,
}

impl Corpus {
    /// The pages of the book in book order: the index, the personas' pages, the appendices.
    pub fn book_pages(&self) -> impl Iterator<Item = &Page> {
        std::iter::once(&self.index)
            .chain(self.personas.iter().map(|p| &p.page))
            .chain(&self.appendices)
    }

    /// A page path as diagnostics show it: `<root as given>/<rel path>`.
    pub fn display_path(&self, rel: &str) -> String {
        display_path(&self.root, rel)
    }
}

/// Site path → page path, built with the same rules as button resolution. Each site path keeps
/// the pages of the best rule that publishes there (several pages = ambiguous).
#[derive(Debug, Clone, Default)]
pub struct Routes {
    pub by_site_path: BTreeMap<String, Vec<String>>,
    /// Every page path (relative to the root), for `{% link %}`.
    pub pages: BTreeSet<String>,
    /// `collections_dir` of `_config.yml` (empty when none).
    pub collections_dir: String,
    /// Page path → the URL Jekyll publishes it at (`/faq/citoyen.html`, `/faq/`), for links
    /// relative to a page's URL.
    pub published_at: BTreeMap<String, String>,
    /// A translation's page path as its original's (`faqs/x.md` for `faqs_en/x.md`) → its
    /// own: links and buttons naming the original's path stay inside the language.
    pub aliases: BTreeMap<String, String>,
}
