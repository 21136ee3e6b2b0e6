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

pub const DEFAULT_LANGUAGE: &str = "fr";

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
