//! Writers: `&Document` + context → bytes (`crate::write_format` picks one). Writing the bytes
//! to `out/` is `output.rs`'s job. What the writers share sits below them: `body` (HTML/XHTML
//! bodies), `fonts` (the faces the PDF embeds and the EPUB cover is set in), `svg` (drawing one).

pub mod body;
pub mod epub;
pub mod fonts;
pub mod html;
pub mod pdf;
pub mod svg;

use crate::theme::Theme;

pub use crate::format::Format;

/// What a writer may take from outside the document: injected so builds are reproducible.
#[derive(Debug, Clone)]
pub struct WriteContext {
    pub theme: Theme,
    /// Build time, Unix seconds: `SOURCE_DATE_EPOCH` when set, else now.
    pub build_time: i64,
    /// livret's version, for generator metadata.
    pub version: &'static str,
    /// Threads one writer may use for its chapters (1 when other writers fill the cores).
    pub jobs: usize,
}
