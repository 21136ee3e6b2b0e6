//! Showing diagnostics: sorted, grouped, coloured on a terminal, or as JSON lines for CI.

use clap::ValueEnum;
use livret::diag::{
    Diagnostic, Diagnostics, Error, Severity, escape_control, group_warnings_of_one_kind,
    sort_for_report,
};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::Path;

/// Diagnostics on one source line that show the line under them; later ones print alone.
const EXCERPTS_PER_LINE: usize = 10;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum DiagnosticsFormat {
    /// `path:line:col: error: message`, the source line under it, on stderr.
    #[default]
    Text,
    /// One JSON object per line on stdout, one per diagnostic (none folded): severity, path,
    /// line, col, message, hint.
    Json,
}

pub struct Reporter {
    colour: bool,
    quiet: bool,
    pub format: DiagnosticsFormat,
    /// stderr is a terminal: progress bars may be drawn.
    pub terminal: bool,
}

impl Reporter {
    pub fn new(choice: ColorChoice, quiet: bool) -> Self {
        let terminal = std::io::stderr().is_terminal();
        // https://no-color.org: a non-empty NO_COLOR turns colour off unless asked for explicitly.
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let colour = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && !no_color && !dumb,
        };
        Self {
            colour,
            quiet,
            format: DiagnosticsFormat::Text,
            terminal,
        }
    }

    pub fn json(&self) -> bool {
        self.format == DiagnosticsFormat::Json
    }

    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// The diagnostics as shown: the same message about the same file folded into its first
    /// occurrence (with a count), warnings of one kind grouped, sorted by file, line, column;
    /// warnings left out under `--quiet`. Linear in the number of diagnostics.
    pub fn shown(&self, diags: &Diagnostics) -> Vec<(Diagnostic, usize)> {
        let grouped = diags.grouped();
        let counts: HashMap<Diagnostic, usize> = grouped
            .iter()
            .filter(|(_, n)| *n > 1)
            .map(|(d, n)| ((*d).clone(), *n))
            .collect();
        let mut items: Vec<Diagnostic> = grouped.into_iter().map(|(d, _)| d.clone()).collect();
        // Sorted first, so a group's first member is the earliest; then the groups in place.
        sort_for_report(&mut items);
        let mut items = group_warnings_of_one_kind(items);
        sort_for_report(&mut items);
        items.retain(|d| !self.quiet || d.severity == Severity::Error);
        items
            .into_iter()
            .map(|d| {
                let n = counts.get(&d).copied().unwrap_or(1);
                (d, n)
            })
            .collect()
    }

    pub fn report(&self, diags: &Diagnostics) {
        if self.json() {
            // JSON is for tools: every diagnostic, one object each, none folded or grouped.
            let mut items = diags.items().to_vec();
            sort_for_report(&mut items);
            items.retain(|d| !self.quiet || d.severity == Severity::Error);
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for d in &items {
                let line = serde_json::to_string(d).unwrap_or_default();
                // A closed stdout: the rest would be lost too.
                if writeln!(out, "{line}").is_err() {
                    return;
                }
            }
            let _ = out.flush();
        } else {
            let items = self.shown(diags);
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(self.render(&items, self.colour).as_bytes());
        }
    }

    /// The diagnostics as text, as the terminal shows them (without colour when `colour` is off).
    /// A source line is shown under its first few diagnostics only: under each of 100,000
    /// warnings on one 2 MB line it would take time in the square of the line's length.
    pub fn render(&self, items: &[(Diagnostic, usize)], colour: bool) -> String {
        let mut sources = SourceLines::default();
        let mut excerpts: HashMap<(&str, u32), usize> = HashMap::new();
        let mut text = String::new();
        for (d, count) in items {
            let shown = excerpts.entry((d.path.as_str(), d.line)).or_default();
            *shown += 1;
            let source = if *shown <= EXCERPTS_PER_LINE {
                sources.line(&d.path, d.line)
            } else {
                None
            };
            text.push_str(&d.render_with(source, colour));
            text.push('\n');
            if *count > 1 {
                text.push_str(&format!(
                    "  note: {} more like it in {}\n",
                    count - 1,
                    escape_control(&d.path)
                ));
            }
        }
        text
    }

    /// The diagnostics without colour, for a page (`serve` shows a failed build in the browser).
    pub fn plain_text(&self, diags: &Diagnostics) -> String {
        self.render(&self.shown(diags), false)
    }

    /// The count line after content errors.
    pub fn summary(&self, diags: &Diagnostics) {
        if !self.json() {
            eprint_line(self.summary_line(diags));
        }
    }

    pub fn summary_line(&self, diags: &Diagnostics) -> String {
        format!(
            "livret: {} error(s), {} warning(s)",
            diags.error_count(),
            diags.warning_count()
        )
    }

    /// A failure that stopped the run (usage, I/O): one sentence.
    pub fn fatal(&self, error: &Error) {
        if self.colour {
            eprint_line(format_args!("livret: \x1b[1;31merror:\x1b[0m {error}"));
        } else {
            eprint_line(format_args!("livret: error: {error}"));
        }
    }
}

/// A line on stdout. A closed stdout (`livret build -v | head -1`) is no error: the line is
/// dropped and the work goes on (`println!` would panic on the broken pipe).
pub fn print_line(line: impl std::fmt::Display) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// A line on stderr, dropped likewise when stderr is closed.
pub fn eprint_line(line: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The pages diagnostics point at, read again (once each) to show the line under a message.
#[derive(Default)]
struct SourceLines {
    files: HashMap<String, Option<Vec<String>>>,
}

impl SourceLines {
    /// Pages larger than this are not read again: the message alone must do.
    const MAX_BYTES: u64 = 32 << 20;

    fn line(&mut self, path: &str, line: u32) -> Option<&str> {
        if line == 0 {
            return None;
        }
        let lines = self.files.entry(path.to_string()).or_insert_with(|| {
            let path = Path::new(path);
            let size = std::fs::metadata(path).ok().filter(|m| m.is_file())?.len();
            if size > Self::MAX_BYTES {
                return None;
            }
            let bytes = std::fs::read(path).ok()?;
            // Lines as the loader counts them: CRLF, CR and LF each end one.
            let text = String::from_utf8_lossy(&bytes).replace("\r\n", "\n");
            Some(text.split(['\n', '\r']).map(str::to_string).collect())
        });
        lines.as_ref()?.get(line as usize - 1).map(String::as_str)
    }
}
