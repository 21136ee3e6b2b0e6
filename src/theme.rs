//! Themes: the default one is embedded in the binary; `--theme DIR` overrides it file by file
//! (`DIR/html/page.html` replaces the embedded `themes/default/html/page.html`).

use crate::corpus::{ReadRefusal, read_bounded};
use crate::diag::{Error, Result};
use std::borrow::Cow;
use std::path::PathBuf;

/// Label overrides of a theme, beside its `html/` and `epub/` folders.
pub const LABELS_FILE: &str = "labels.toml";
/// Theme files read as text.
const TEXT_FILES: [&str; 3] = ["html/page.html", "html/style.css", "epub/style.css"];
/// Theme fonts (the PDF's faces, also the EPUB cover's).
const FONT_FILES: [&str; 5] = [
    "pdf/fonts/text-regular.ttf",
    "pdf/fonts/text-bold.ttf",
    "pdf/fonts/text-italic.ttf",
    "pdf/fonts/text-bold-italic.ttf",
    "pdf/fonts/code.ttf",
];
/// Largest theme template or stylesheet read.
pub const MAX_TEXT_BYTES: u64 = 5 << 20;
/// Largest theme font read.
pub const MAX_FONT_BYTES: u64 = 50 << 20;
/// Work a template may do (minijinja fuel: about one unit per instruction run).
pub const TEMPLATE_FUEL: u64 = 50_000_000;
/// Largest page a template may produce, on top of the book's own text it includes.
pub const MAX_TEMPLATE_OUTPUT_BYTES: usize = 64 << 20;

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
        match self.override_bytes(rel, MAX_TEXT_BYTES)? {
            Some((path, bytes)) => String::from_utf8(bytes).map(Cow::Owned).map_err(|e| {
                Error::io(
                    path,
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
                    ),
                )
            }),
            None => Ok(Cow::Borrowed(default)),
        }
    }

    /// Check, before any writer runs, that every theme file livret may read is a regular file
    /// within its size limit: a FIFO, device or huge file is an error naming it, never a hang
    /// (the font reader of the PDF and EPUB cover reads whole files).
    pub fn check_files(&self) -> Result<()> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        let texts = TEXT_FILES.iter().map(|rel| (*rel, MAX_TEXT_BYTES));
        let fonts = FONT_FILES.iter().map(|rel| (*rel, MAX_FONT_BYTES));
        for (rel, limit) in texts.chain(fonts) {
            let path = dir.join(rel);
            match crate::corpus::open_regular_file(&path) {
                Ok((_, size)) if size > limit => {
                    let refusal = ReadRefusal::TooLarge { size, limit };
                    return Err(Error::io(path, std::io::Error::other(refusal.to_string())));
                }
                Ok(_) => {}
                Err(ReadRefusal::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(ReadRefusal::Io(e)) => return Err(Error::io(path, e)),
                Err(refusal) => {
                    return Err(Error::io(path, std::io::Error::other(refusal.to_string())));
                }
            }
        }
        Ok(())
    }

    /// The theme font `rel` (e.g. `pdf/fonts/code.ttf`) when the theme has one: a regular file
    /// of at most `MAX_FONT_BYTES`, checked before it is read.
    pub fn font(&self, rel: &str) -> Result<Option<(PathBuf, Vec<u8>)>> {
        self.override_bytes(rel, MAX_FONT_BYTES)
    }

    /// The theme's own file `rel`, if it has one. Only regular files are read (a FIFO or device
    /// would block or never end), and only up to `limit` bytes: both are errors naming the file.
    fn override_bytes(&self, rel: &str, limit: u64) -> Result<Option<(PathBuf, Vec<u8>)>> {
        let Some(dir) = &self.dir else {
            return Ok(None);
        };
        let path = dir.join(rel);
        match read_bounded(&path, limit) {
            Ok(bytes) => Ok(Some((path, bytes))),
            Err(ReadRefusal::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(ReadRefusal::Io(e)) => Err(Error::io(path, e)),
            Err(refusal) => Err(Error::io(path, std::io::Error::other(refusal.to_string()))),
        }
    }

    /// The theme's `labels.toml`, when it has one. A syntax error or an unknown key is a theme
    /// error naming the file and line.
    pub fn labels(&self) -> Result<Option<crate::labels::LabelOverrides>> {
        // Read as every theme file is: a regular file, bounded.
        let Some((path, bytes)) = self.override_bytes(LABELS_FILE, MAX_TEXT_BYTES)? else {
            return Ok(None);
        };
        let text = String::from_utf8(bytes).map_err(|e| {
            Error::io(
                &path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            )
        })?;
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
