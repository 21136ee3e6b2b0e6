//! The output formats and their one parser, shared by the command line (`-f`) and
//! `livret.toml` (`formats`): low in the layers, so the corpus loader can check names with it.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Html,
    Epub,
    Pdf,
    /// The PDF for paper: addresses printed at the page foot.
    Print,
    /// The PDF at A5, imposed on A4 sheets to fold and staple.
    Booklet,
    /// One A5 page per persona, with a QR code to its page on the site.
    Cards,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Html,
        Format::Epub,
        Format::Pdf,
        Format::Print,
        Format::Booklet,
        Format::Cards,
    ];
    /// What a build writes when neither `-f` nor `formats` says.
    pub const DEFAULT: [Format; 3] = [Format::Html, Format::Epub, Format::Pdf];

    pub fn name(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Epub => "epub",
            Format::Pdf => "pdf",
            Format::Print => "print",
            Format::Booklet => "booklet",
            Format::Cards => "cards",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Print => "print.pdf",
            Format::Booklet => "booklet.pdf",
            Format::Cards => "cards.pdf",
            _ => self.name(),
        }
    }

    /// A format's name as a person types it: any case, spaces around ignored.
    pub fn parse(s: &str) -> Option<Format> {
        let s = s.trim();
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::parse(s).ok_or_else(|| {
            format!(
                "unknown format `{}` (html, epub, pdf, print, booklet or cards)",
                s.escape_debug()
            )
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_parser_for_every_spelling() {
        assert_eq!(Format::parse(" PDF "), Some(Format::Pdf));
        assert_eq!(Format::parse("docx"), None);
        let error = "docx".parse::<Format>().unwrap_err();
        assert!(error.contains("`docx`"), "{error}");
    }
}
