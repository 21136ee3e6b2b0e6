//! The book's language, from where Jekyll sites put it; the first found wins.

use super::Corpus;
use crate::diag::Diagnostics;

/// Where the book's language was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LanguageSource {
    /// `language` in `livret.toml`.
    Config,
    /// `lang` in the index page's front matter.
    Index,
    /// `_config.yml`, under this key (`lang`, `locale` or `defaults`).
    Site(&'static str),
    /// Nowhere: French, as livret's first corpora were.
    Default,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookLanguage {
    /// BCP 47 tag as written (a `_config.yml` locale such as `en_US` becomes `en-US`).
    pub tag: String,
    pub source: LanguageSource,
}

pub use crate::labels::DEFAULT_LANGUAGE;

impl Corpus {
    /// `livret.toml` `language`, else the index page's `lang`, else `_config.yml` (`lang`,
    /// `locale`, `lang` under `defaults`), else `fr`.
    pub fn language(&self) -> BookLanguage {
        fn set(text: Option<&str>) -> Option<&str> {
            text.map(str::trim).filter(|t| !t.is_empty())
        }
        if let Some(tag) = set(self.config.language.as_deref()) {
            return BookLanguage {
                tag: tag.to_string(),
                source: LanguageSource::Config,
            };
        }
        if let Some(tag) = set(self.index.front.lang.as_deref()) {
            return BookLanguage {
                tag: tag.to_string(),
                source: LanguageSource::Index,
            };
        }
        if let Some((tag, key)) = &self.site.language {
            return BookLanguage {
                tag: tag.replace('_', "-"),
                source: LanguageSource::Site(key),
            };
        }
        BookLanguage {
            tag: DEFAULT_LANGUAGE.to_string(),
            source: LanguageSource::Default,
        }
    }

    /// The language of a page of the book when its front matter sets one other than the book's.
    pub fn page_language(&self, lang: Option<&str>) -> Option<String> {
        let lang = lang.map(str::trim).filter(|l| !l.is_empty())?;
        (!lang.eq_ignore_ascii_case(&self.language().tag)).then(|| lang.to_string())
    }
}

/// A book whose language is set nowhere is French, with a warning that says where to set one.
pub fn warn_when_unset(corpus: &Corpus, diags: &mut Diagnostics) {
    if corpus.language().source != LanguageSource::Default {
        return;
    }
    diags
        .warning(
            corpus.display_path(&corpus.index.path),
            1,
            1,
            "the book's language is set nowhere: it is built as French (`fr`)",
        )
        .with_hint(
            "set `language = \"en\"` in livret.toml, `lang: en` in the index page's front \
             matter, or `lang: en` in _config.yml",
        );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::load_corpus;

    /// A two-page corpus with `files` added, and its language and warnings.
    fn language_of(files: &[(&str, &str)]) -> (BookLanguage, Vec<String>) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let index_lang = files
            .iter()
            .find(|(name, _)| *name == "lang")
            .map(|(_, l)| format!("lang: {l}\n"))
            .unwrap_or_default();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
            }
            std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
        };
        write(
            "index.md",
            &format!(
                "---\ntitle: T\n{index_lang}buttons:\n  - title: A\n    default: faq/a\n---\n"
            ),
        );
        write("faq/a.md", "---\ntitle: A\n---\nText.\n");
        for (name, text) in files.iter().filter(|(name, _)| *name != "lang") {
            write(name, text);
        }
        let mut diags = Diagnostics::new();
        let corpus = load_corpus(dir.path(), &mut diags).unwrap_or_else(|e| panic!("{e}"));
        warn_when_unset(&corpus, &mut diags);
        let messages = diags.items().iter().map(|d| d.message.clone()).collect();
        (corpus.language(), messages)
    }

    /// Files of a test corpus: (path, text), or ("lang", tag) for the index's front matter.
    type Files<'a> = &'a [(&'a str, &'a str)];

    #[test]
    fn first_found_wins() {
        let site = ("_config.yml", "lang: de\nlocale: es_ES\n");
        let config = ("livret.toml", "language = \"pt\"\n");
        let cases: [(Files, &str, LanguageSource); 7] = [
            (
                &[config, ("lang", "nl"), site],
                "pt",
                LanguageSource::Config,
            ),
            (&[("lang", "nl"), site], "nl", LanguageSource::Index),
            (&[site], "de", LanguageSource::Site("lang")),
            (
                &[("_config.yml", "locale: es_ES\n")],
                "es-ES",
                LanguageSource::Site("locale"),
            ),
            (
                &[(
                    "_config.yml",
                    "defaults:\n  - scope:\n      path: faq\n    values:\n      lang: it\n  \
                     - scope:\n      path: \"\"\n    values:\n      lang: en\n",
                )],
                "en",
                LanguageSource::Site("defaults"),
            ),
            (
                &[("_config.yml", "title: x\n")],
                "fr",
                LanguageSource::Default,
            ),
            (&[], "fr", LanguageSource::Default),
        ];
        for (files, tag, source) in cases {
            let (language, warnings) = language_of(files);
            assert_eq!(
                (language.tag.as_str(), language.source),
                (tag, source),
                "{files:?}"
            );
            let warned = warnings.iter().any(|w| w.contains("set nowhere"));
            assert_eq!(
                warned,
                source == LanguageSource::Default,
                "{files:?}: {warnings:?}"
            );
        }
    }
}
