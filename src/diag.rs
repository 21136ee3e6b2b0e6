//! Diagnostics about the content (collected over the whole corpus, reported together) and the
//! named failures that stop a run.

use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if self.line > 0 {
            write!(
                f,
                "{}:{}:{}: {level}: {}",
                self.path,
                self.line,
                self.col.max(1),
                self.message
            )?;
        } else {
            write!(f, "{}: {level}: {}", self.path, self.message)?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
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
    #[error("{path}: error: theme template: {message}")]
    Theme { path: String, message: String },
    #[error("{path}: error: font: {message}")]
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
