//! Writers: `&Document` + context → bytes. Writing the bytes to `out/` is `output.rs`'s job.

pub mod epub;
pub mod html;
pub mod pdf;

use crate::diag::{Diagnostics, Result};
use crate::ir::Document;
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
}

pub fn write(
    format: Format,
    doc: &Document,
    ctx: &WriteContext,
    diags: &mut Diagnostics,
) -> Result<Vec<u8>> {
    match format {
        Format::Html => html::write_html(doc, ctx, diags),
        Format::Epub => epub::write_epub(doc, ctx, diags),
        Format::Pdf => pdf::write_pdf(doc, ctx, diags),
    }
}
