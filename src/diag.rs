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

/// What a diagnostic is about beyond its page and place, as data: livret places and groups
/// diagnostics by it, and tools read it from the JSON (`"kind": "missing-glyph"`, `"character"`),
/// never from the message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Kind {
    #[default]
    General,
    /// A character the PDF fonts have no glyph for.
    MissingGlyph { character: char },
    /// An image of the corpus (its path) a writer could not render; the diagnostic's page is
    /// where the book shows it.
    Image { image: String },
}

impl Kind {
    /// How one member of a group of this kind is named in the group's message; `None`: this
    /// kind is never grouped.
    fn group_member(&self) -> Option<String> {
        match self {
            Kind::MissingGlyph { character } => Some(format!("'{character}'")),
            Kind::General | Kind::Image { .. } => None,
        }
    }
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
    #[serde(flatten)]
    pub kind: Kind,
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
        f.write_str(&self.render(None))
    }
}

/// Longest part of a source line shown under a diagnostic, in characters.
const EXCERPT_WIDTH: usize = 100;

/// The ANSI codes a diagnostic's parts are painted with on a colour terminal; all empty without.
struct Paint {
    bold: &'static str,
    level: &'static str,
    gutter: &'static str,
    hint: &'static str,
    reset: &'static str,
}

impl Paint {
    fn new(severity: Severity, colour: bool) -> Paint {
        if !colour {
            return Paint {
                bold: "",
                level: "",
                gutter: "",
                hint: "",
                reset: "",
            };
        }
        Paint {
            bold: "\x1b[1m",
            level: match severity {
                Severity::Error => "\x1b[1;31m",
                Severity::Warning => "\x1b[1;33m",
            },
            gutter: "\x1b[34m",
            hint: "\x1b[1;36m",
            reset: "\x1b[0m",
        }
    }
}

impl Diagnostic {
    /// The diagnostic with its source line under it and a caret at the column, as compilers
    /// print them. `source_line` is the text of line `self.line` of `self.path`.
    pub fn render(&self, source_line: Option<&str>) -> String {
        self.render_with(source_line, false)
    }

    /// `render`, painted for a colour terminal when `colour`: the level in red or yellow, the
    /// position and message bold, the gutter blue, the caret in the level's colour. Made from
    /// the fields, never from the text.
    pub fn render_with(&self, source_line: Option<&str>, colour: bool) -> String {
        let Paint {
            bold,
            level: painted,
            gutter: blue,
            hint: cyan,
            reset,
        } = Paint::new(self.severity, colour);
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // The corpus folder given as `.` is named "" by the loader.
        let path = escape_control(if self.path.is_empty() {
            "."
        } else {
            self.path.as_str()
        });
        let position = if self.line > 0 {
            format!("{path}:{}:{}:", self.line, self.col.max(1))
        } else {
            format!("{path}:")
        };
        let mut message = escape_control(&self.message).into_owned();
        if let Kind::Image { image } = &self.kind {
            message = format!("{message} (image {})", escape_control(image));
        }
        let mut text =
            format!("{bold}{position}{reset} {painted}{level}:{reset} {bold}{message}{reset}");
        if let Some(line) = source_line.filter(|_| self.line > 0) {
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
            let indent = " ".repeat(before.chars().count());
            text.push_str(&format!(
                "\n{blue}{gutter} |{reset}\n{blue}{number} |{reset} {before}{shown}{after}\n\
                 {blue}{gutter} |{reset}{painted} {indent}{pad}^{reset}"
            ));
        }
        if let Some(hint) = &self.hint {
            text.push_str(&format!("\n  {cyan}hint:{reset} {}", escape_control(hint)));
        }
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
            kind: Kind::General,
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

    pub fn with_kind(&mut self, kind: Kind) -> &mut Self {
        self.kind = kind;
        self
    }
}

/// Report order: by file, line, column. A message about a whole folder (the corpus root: "no
/// index page") follows the messages about its files, which are usually its cause.
pub fn sort_for_report(items: &mut [Diagnostic]) {
    items.sort_by_cached_key(|d| {
        let is_folder = d.path.is_empty() || std::path::Path::new(&d.path).is_dir();
        let path = d.path.replace('\\', "/");
        // `./x` and `x` are one file; `.` is the folder every relative path is in.
        let mut path = match path.trim_start_matches("./") {
            "." => String::new(),
            rest => rest.to_string(),
        };
        if is_folder {
            // After every `folder/…` path: U+10FFFF sorts after any character a path holds.
            if !path.is_empty() {
                path.push('/');
            }
            path.push('\u{10FFFF}');
        }
        (path, d.line, d.col)
    });
}

/// A run of warnings of one kind in one file is shown once when it has at least this many.
pub const GROUP_AT: usize = 3;

/// Warnings of one typed kind in one file (`Kind::MissingGlyph`: "character '字' has no glyph")
/// are grouped into the first one, with the count and the others' members (their characters).
/// Errors stay one by one: each must be fixed.
pub fn group_warnings_of_one_kind(items: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut groups: Vec<Vec<Diagnostic>> = Vec::new();
    let mut group_of: std::collections::HashMap<(String, std::mem::Discriminant<Kind>), usize> =
        std::collections::HashMap::new();
    let mut order: Vec<Result<usize, Diagnostic>> = Vec::new();
    for d in items {
        if d.severity != Severity::Warning || d.kind.group_member().is_none() {
            order.push(Err(d));
            continue;
        }
        let key = (d.path.clone(), std::mem::discriminant(&d.kind));
        match group_of.get(&key) {
            Some(&at) => groups[at].push(d),
            None => {
                order.push(Ok(groups.len()));
                group_of.insert(key, groups.len());
                groups.push(vec![d]);
            }
        }
    }
    let mut out = Vec::new();
    for entry in order {
        match entry {
            Err(d) => out.push(d),
            Ok(at) => {
                let members = std::mem::take(&mut groups[at]);
                if members.len() < GROUP_AT {
                    out.extend(members);
                    continue;
                }
                let mut first = members[0].clone();
                let mut shown: Vec<String> = members
                    .iter()
                    .skip(1)
                    .filter_map(|d| d.kind.group_member())
                    .collect();
                shown.dedup();
                const LISTED: usize = 12;
                let more = shown.len().saturating_sub(LISTED);
                shown.truncate(LISTED);
                let listed = if more > 0 {
                    format!("{}, …", shown.join(", "))
                } else {
                    shown.join(", ")
                };
                let at = if first.line > 0 {
                    format!(", first at {}:{}", first.line, first.col.max(1))
                } else {
                    String::new()
                };
                first.message = format!(
                    "{} warnings of this kind{at}: {} — and {}",
                    members.len(),
                    first.message,
                    listed
                );
                out.push(first);
            }
        }
    }
    out
}

/// The closest of `candidates` to `wanted`, if any is close enough to be a typo of it (for
/// "did you mean …?" hints).
pub fn closest<'a>(wanted: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::normalized_damerau_levenshtein(wanted, c), *c))
        .filter(|(score, _)| *score >= 0.5)
        .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(a.1)))
        .map(|(_, c)| c)
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
    /// The output folder holds something livret did not write where it would write.
    #[error("{path}: {message}")]
    Output { path: PathBuf, message: String },
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
            kind: Kind::General,
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

    fn warning(path: &str, line: u32, message: &str) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            path: path.into(),
            line,
            col: 1,
            message: message.into(),
            hint: None,
            kind: Kind::General,
        }
    }

    #[test]
    fn warnings_of_one_kind_in_one_file_are_grouped_with_a_count_and_the_first_position() {
        let glyph = |c: char, line: u32| Diagnostic {
            kind: Kind::MissingGlyph { character: c },
            ..warning("a.md", line, &format!("PDF: character '{c}' has no glyph"))
        };
        let items = vec![
            glyph('字', 7),
            warning("a.md", 2, "unknown Liquid tag `x`"),
            glyph('漢', 9),
            glyph('語', 12),
            glyph('字', 3).clone(),
            Diagnostic {
                path: "b.md".into(),
                ..glyph('é', 1)
            },
            // The same words without the kind: not grouped.
            warning("a.md", 20, "PDF: character 'x' has no glyph"),
            warning("a.md", 21, "PDF: character 'y' has no glyph"),
            warning("a.md", 22, "PDF: character 'z' has no glyph"),
        ];
        let grouped = group_warnings_of_one_kind(items);
        assert_eq!(grouped.len(), 6, "{grouped:#?}");
        let first = &grouped[0];
        assert_eq!((first.path.as_str(), first.line), ("a.md", 7));
        assert!(
            first
                .message
                .starts_with("4 warnings of this kind, first at 7:1: PDF: character '字'"),
            "{}",
            first.message
        );
        assert!(
            first.message.ends_with("'漢', '語', '字'"),
            "{}",
            first.message
        );
        // Fewer than GROUP_AT, or another file: one by one.
        assert_eq!(grouped[1].message, "unknown Liquid tag `x`");
        assert_eq!(grouped[2].path, "b.md");
        // Errors are never grouped.
        let errors: Vec<Diagnostic> = (1..5)
            .map(|line| Diagnostic {
                severity: Severity::Error,
                ..glyph('字', line)
            })
            .collect();
        assert_eq!(group_warnings_of_one_kind(errors).len(), 4);
    }

    #[test]
    fn a_kind_and_its_data_are_fields_in_json_and_the_image_is_named_in_text() {
        let mut d = warning("a.md", 3, "PDF: image left blank: bad data");
        d.kind = Kind::Image {
            image: "img/x.png".into(),
        };
        assert_eq!(
            d.to_string(),
            "a.md:3:1: warning: PDF: image left blank: bad data (image img/x.png)"
        );
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(
            (&json["kind"], &json["image"]),
            (&"image".into(), &"img/x.png".into())
        );
        assert_eq!(json["message"], "PDF: image left blank: bad data");
        d.kind = Kind::MissingGlyph { character: '字' };
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(
            (&json["kind"], &json["character"]),
            (&"missing-glyph".into(), &"字".into())
        );
        d.kind = Kind::General;
        assert_eq!(serde_json::to_value(&d).unwrap()["kind"], "general");
    }

    #[test]
    fn report_order_is_file_line_column_with_a_folder_after_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().display().to_string();
        let mut items = vec![
            warning(&folder, 0, "no index page"),
            warning(&format!("{folder}/b.md"), 2, "b2"),
            warning(&format!("{folder}/a.md"), 10, "a10"),
            warning(&format!("{folder}/a.md"), 9, "a9"),
            warning("", 0, "dot"),
            warning("z.md", 1, "z"),
        ];
        sort_for_report(&mut items);
        let order: Vec<&str> = items.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(order, ["a9", "a10", "b2", "no index page", "z", "dot"]);
    }

    #[test]
    fn colour_marks_the_level_and_keeps_the_text() {
        let plain = diagnostic(5, 8).render(Some("title: a: b"));
        let coloured = diagnostic(5, 8).render_with(Some("title: a: b"), true);
        assert!(coloured.contains("\x1b[1;31merror:\x1b[0m"), "{coloured:?}");
        assert!(
            coloured.contains("\x1b[1;31m        ^\x1b[0m"),
            "the caret in the level's colour: {coloured:?}"
        );
        // A source line of carets is the page's text, not a caret line.
        let carets = diagnostic(1, 1).render_with(Some("^^^"), true);
        assert!(carets.contains("\x1b[34m1 |\x1b[0m ^^^\n"), "{carets:?}");
        let stripped: String = {
            let mut out = String::new();
            let mut chars = coloured.chars();
            while let Some(c) = chars.next() {
                if c == '\x1b' {
                    for n in chars.by_ref() {
                        if n == 'm' {
                            break;
                        }
                    }
                } else {
                    out.push(c);
                }
            }
            out
        };
        assert_eq!(stripped, plain);
    }
}
