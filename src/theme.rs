//! Themes: the default one is embedded in the binary; `--theme DIR` overrides it file by file
//! (`DIR/html/page.html` replaces the embedded `themes/default/html/page.html`).

use crate::diag::{Error, Result};
use std::borrow::Cow;
use std::path::PathBuf;

/// Label overrides of a theme, beside its `html/` and `epub/` folders.
pub const LABELS_FILE: &str = "labels.toml";

#[derive(Debug, Clone, Default)]
pub struct Theme {
    pub dir: Option<PathBuf>,
}

impl Theme {
    pub fn new(dir: Option<PathBuf>) -> Self {
        Theme { dir }
    }

    /// The theme file `rel` (e.g. `html/page.html`): the override when it exists, else `default`.
    pub fn text(&self, rel: &str, default: &'static str) -> Result<Cow<'static, str>> {
        if let Some(dir) = &self.dir {
            let path = dir.join(rel);
            match std::fs::read_to_string(&path) {
                Ok(text) => return Ok(Cow::Owned(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(path, e)),
            }
        }
        Ok(Cow::Borrowed(default))
    }

    /// The theme's `labels.toml`, when it has one. A syntax error or an unknown key is a theme
    /// error naming the file and line.
    pub fn labels(&self) -> Result<Option<crate::labels::LabelOverrides>> {
        let Some(dir) = &self.dir else {
            return Ok(None);
        };
        let path = dir.join(LABELS_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path, e)),
        };
        toml::from_str(&text).map(Some).map_err(|e| {
            let line = e
                .span()
                .and_then(|span| text.get(..span.start))
                .map_or(1, |before| before.matches('\n').count() + 1);
            Error::Theme {
                path: path.display().to_string(),
                message: format!(
                    "line {line}: {} (keys: {})",
                    e.message().trim_end(),
                    crate::labels::LABEL_KEYS
                ),
            }
        })
    }

    /// Shown in diagnostics about a theme file.
    pub fn display_path(&self, rel: &str) -> String {
        match &self.dir {
            Some(dir) if dir.join(rel).exists() => dir.join(rel).display().to_string(),
            _ => format!("themes/default/{rel}"),
        }
    }
}
