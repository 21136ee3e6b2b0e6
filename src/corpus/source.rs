//! Page bytes → text: UTF-8 check (with the position of the first bad byte), BOM removed,
//! CRLF and lone CR turned into LF.

use crate::diag::{Diagnostics, Error, Result};
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Largest page (Markdown file) read.
pub const MAX_PAGE_BYTES: u64 = 50 << 20;
/// Largest `livret.toml` or `_config.yml` read.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadRefusal {
    /// A FIFO, socket, device or folder: reading it could block forever or never end.
    NotRegular(&'static str),
    TooLarge {
        size: u64,
        limit: u64,
    },
    Io(std::io::Error),
}

impl std::fmt::Display for ReadRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadRefusal::NotRegular(kind) => write!(f, "{kind}, not a regular file: not read"),
            ReadRefusal::TooLarge { size, limit } => write!(
                f,
                "{size} bytes: larger than the {limit} bytes livret reads (not read)"
            ),
            ReadRefusal::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Open `path` for reading only if it is a regular file. Opened without blocking first, so a
/// FIFO never hangs the open itself; the type is then checked on the open file (no race).
pub fn open_regular_file(path: &Path) -> std::result::Result<(File, u64), ReadRefusal> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(ReadRefusal::Io)?;
    let meta = file.metadata().map_err(ReadRefusal::Io)?;
    if !meta.is_file() {
        return Err(ReadRefusal::NotRegular(file_kind(&meta)));
    }
    Ok((file, meta.len()))
}

/// `open_regular_file` as the pipeline's I/O error.
pub fn open_regular(path: &Path) -> Result<File> {
    open_regular_file(path)
        .map(|(file, _)| file)
        .map_err(|refusal| match refusal {
            ReadRefusal::Io(e) => Error::io(path, e),
            other => Error::io(path, std::io::Error::other(other.to_string())),
        })
}

/// The bytes of the regular file `path`, at most `limit` of them: the size is checked before
/// reading starts, and the read stops at the limit even if the file grows meanwhile.
pub fn read_bounded(path: &Path, limit: u64) -> std::result::Result<Vec<u8>, ReadRefusal> {
    let (file, size) = open_regular_file(path)?;
    if size > limit {
        return Err(ReadRefusal::TooLarge { size, limit });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadRefusal::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadRefusal::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// What a non-regular file is, in words.
pub fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
    }
    "not a regular file"
}

/// Decode `bytes` as the text of `display_path`. Invalid UTF-8 is an error (line:col and byte
/// offset of the first bad byte); the text is still returned, lossily decoded, so the rest of the
/// page can be checked.
pub fn decode_text(bytes: &[u8], display_path: &str, diags: &mut Diagnostics) -> String {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(error) => {
            let offset = error.valid_up_to();
            let valid = String::from_utf8_lossy(bytes.get(..offset).unwrap_or_default());
            let (line, col) = line_col(&valid, valid.len());
            diags
                .error(
                    display_path,
                    line,
                    col,
                    format!("invalid UTF-8 at byte offset {offset}"),
                )
                .with_hint("save the file as UTF-8");
            String::from_utf8_lossy(bytes)
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    normalise_line_ends(text)
}

/// CRLF and lone CR → LF.
pub fn normalise_line_ends(text: &str) -> String {
    if !text.contains('\r') {
        return text.to_string();
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// 1-based line and column (in characters) of byte `offset` in `text`; lone CRs count as line
/// ends too. An offset past the end or inside a character is clamped.
pub fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or_default();
    let mut line = 1u32;
    let mut col = 1u32;
    let mut chars = before.chars().peekable();
    while let Some(c) = chars.next() {
        let line_end = c == '\n' || (c == '\r' && chars.peek() != Some(&'\n'));
        if line_end {
            line = line.saturating_add(1);
            col = 1;
        } else if c != '\r' {
            col = col.saturating_add(1);
        }
    }
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_points_at_first_bad_byte() {
        let mut diags = Diagnostics::new();
        let bytes = b"ligne un\nd\xc3\xa9j\xff vu\n";
        let text = decode_text(bytes, "content/x.md", &mut diags);
        let item = &diags.items()[0];
        assert_eq!((item.line, item.col), (2, 4));
        assert!(item.message.contains("byte offset 13"), "{}", item.message);
        assert!(text.contains("vu"));
    }

    #[test]
    fn bom_and_line_ends_are_normalised() {
        let mut diags = Diagnostics::new();
        let text = decode_text("\u{feff}a\r\nb\rc\n".as_bytes(), "content/x.md", &mut diags);
        assert_eq!(text, "a\nb\nc\n");
        assert!(diags.items().is_empty());
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("é\néa", 5), (2, 2));
        assert_eq!(line_col("a\rb", 2), (2, 1));
    }
}
