//! Diagnostics about the content (collected over the whole corpus, reported together) and the
//! named failures that stop a run.

use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Path as shown to the user (relative to the working directory when possible).
    pub path: String,
    /// 1-based; 0 when the problem concerns the whole file.
    pub line: u32,
    pub col: u32,
    pub message: String,
    pub hint: Option<String>,
}

/// `text` with its control characters escaped (`\n`, `\u{1b}`): file names and page text
/// printed to a terminal can neither forge a line nor send escape sequences.
pub fn escape_control(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let path = escape_control(&self.path);
        let message = escape_control(&self.message);
        if self.line > 0 {
            write!(
                f,
                "{path}:{}:{}: {level}: {message}",
                self.line,
                self.col.max(1),
            )?;
        } else {
            write!(f, "{path}: {level}: {message}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {}", escape_control(hint))?;
        }
        Ok(())
    }
}

/// Longest part of a source line shown under a diagnostic, in characters.
const EXCERPT_WIDTH: usize = 100;

impl Diagnostic {
    /// The diagnostic with its source line under it and a caret at the column, as compilers
    /// print them. `source_line` is the text of line `self.line` of `self.path`.
    pub fn render(&self, source_line: Option<&str>) -> String {
        let mut text = self.to_string();
        let Some(line) = source_line.filter(|_| self.line > 0) else {
            return text;
        };
        let line = line.trim_end_matches(['\r', '\n']);
        let chars: Vec<char> = line.chars().collect();
        let col = (self.col.max(1) as usize - 1).min(chars.len());
        // A long line (a minified page, a 2 MB paragraph) shows the part around the column.
        let start = col.saturating_sub(EXCERPT_WIDTH / 2);
        let end = (start + EXCERPT_WIDTH).min(chars.len());
        let shown: String = chars[start..end]
            .iter()
            .map(|&c| if c.is_control() && c != '\t' { ' ' } else { c })
            .collect();
        let (before, after) = (
            if start > 0 { "…" } else { "" },
            if end < chars.len() { "…" } else { "" },
        );
        // Tabs stay tabs under the line, so the caret lines up however the terminal sets them.
        let pad: String = chars[start..col]
            .iter()
            .map(|&c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let number = self.line.to_string();
        let gutter = " ".repeat(number.len());
        let hint_at = text.find("\n  hint:").unwrap_or(text.len());
        let hint = text.split_off(hint_at);
        text.push_str(&format!(
            "\n{gutter} |\n{number} | {before}{shown}{after}\n{gutter} | {}{pad}^",
            " ".repeat(before.chars().count())
        ));
        text.push_str(&hint);
        text
    }
}

/// Every diagnostic of a run, in the order found.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn error(
        &mut self,
        path: impl Into<String>,
        line: u32,
        col: u32,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.add(Severity::Error, path.into(), line, col, message.into())
    }

    pub fn warning(
        &mut self,
        path: impl Into<String>,
        line: u32,
        col: u32,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.add(Severity::Warning, path.into(), line, col, message.into())
    }

    fn add(
        &mut self,
        severity: Severity,
        path: String,
        line: u32,
        col: u32,
        message: String,
    ) -> &mut Diagnostic {
        self.items.push(Diagnostic {
            severity,
            path,
            line,
            col,
            message,
            hint: None,
        });
        self.items.last_mut().expect("just pushed")
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn warning_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }

    /// The diagnostics with repeats folded: the same message (and hint) about the same file
    /// is shown once, at its first position, with how many times it occurs. Linear time.
    pub fn grouped(&self) -> Vec<(&Diagnostic, usize)> {
        let mut first_at: std::collections::HashMap<(Severity, &str, &str, Option<&str>), usize> =
            std::collections::HashMap::new();
        let mut groups: Vec<(&Diagnostic, usize)> = Vec::new();
        for d in &self.items {
            let key = (
                d.severity,
                d.path.as_str(),
                d.message.as_str(),
                d.hint.as_deref(),
            );
            match first_at.get(&key) {
                Some(&at) => groups[at].1 += 1,
                None => {
                    first_at.insert(key, groups.len());
                    groups.push((d, 1));
                }
            }
        }
        groups
    }

    /// `--strict`: every warning becomes an error.
    pub fn promote_warnings(&mut self) {
        for d in &mut self.items {
            d.severity = Severity::Error;
        }
    }
}

impl Diagnostic {
    pub fn with_hint(&mut self, hint: impl Into<String>) -> &mut Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Failures that stop the run before any artifact is written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error("{path}: theme template: {message}")]
    Theme { path: String, message: String },
    #[error("{path}: font: {message}")]
    Font { path: String, message: String },
    #[error("{format} writer: {message}")]
    Write {
        format: &'static str,
        message: String,
    },
    /// Content errors were found; they are in the `Diagnostics` of the run.
    #[error("{0} error(s) in the content")]
    Content(usize),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Exit code: 1 for content errors, 2 for usage and I/O.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Content(_) | Error::Theme { .. } => 1,
            _ => 2,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostic(line: u32, col: u32) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            path: "faq.md".into(),
            line,
            col,
            message: "invalid YAML".into(),
            hint: Some("fix it".into()),
        }
    }

    #[test]
    fn control_characters_are_escaped_and_repeats_grouped() {
        let mut d = diagnostic(1, 1);
        d.path = "a\nb.md".into();
        d.message = "title \u{1b}[31mred".into();
        let shown = d.to_string();
        assert!(
            shown.starts_with("a\\nb.md:1:1: error: title \\u{1b}[31mred"),
            "{shown}"
        );
        assert!(!shown.contains('\u{1b}'));
        let mut diags = Diagnostics::new();
        for col in 1..=5 {
            diags.push(diagnostic(2, col));
        }
        diags.push(diagnostic(3, 1));
        let mut other = diagnostic(4, 1);
        other.message = "other".into();
        diags.push(other);
        let grouped = diags.grouped();
        assert_eq!(grouped.len(), 2);
        assert_eq!((grouped[0].0.col, grouped[0].1), (1, 6));
        assert_eq!(grouped[1].1, 1);
    }

    #[test]
    fn the_source_line_is_shown_with_a_caret_at_the_column() {
        let shown = diagnostic(5, 8).render(Some("title: a: b\r\n"));
        assert_eq!(
            shown,
            "faq.md:5:8: error: invalid YAML\n  |\n5 | title: a: b\n  |        ^\n  hint: fix it"
        );
        // Tabs are kept under the line; characters count, not bytes.
        let shown = diagnostic(12, 4).render(Some("\tél: x"));
        assert!(
            shown.ends_with("12 | \tél: x\n   | \t  ^\n  hint: fix it"),
            "{shown}"
        );
    }

    #[test]
    fn a_long_line_is_cut_around_the_column_and_no_line_means_no_excerpt() {
        let line = "a".repeat(5000) + "X" + &"b".repeat(5000);
        let shown = diagnostic(1, 5001).render(Some(&line));
        let excerpt = shown.lines().nth(2).expect("excerpt line");
        assert!(
            excerpt.starts_with("1 | …a") && excerpt.ends_with("b…"),
            "{excerpt}"
        );
        assert!(excerpt.chars().count() < EXCERPT_WIDTH + 10);
        let caret = shown.lines().nth(3).expect("caret line");
        let x = excerpt.chars().position(|c| c == 'X').expect("X shown");
        assert_eq!(caret.chars().position(|c| c == '^'), Some(x));

        assert_eq!(
            diagnostic(0, 0).render(Some("whatever")),
            diagnostic(0, 0).to_string()
        );
        assert_eq!(diagnostic(3, 1).render(None), diagnostic(3, 1).to_string());
    }
}
