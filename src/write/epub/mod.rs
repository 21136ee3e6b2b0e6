//! The EPUB writer: EPUB 3 (+ EPUB 2 `toc.ncx`), one XHTML document per chapter, reproducible.

use crate::diag::{Diagnostics, Result};
use crate::ir::Document;
use crate::write::WriteContext;

pub fn write_epub(doc: &Document, ctx: &WriteContext, diags: &mut Diagnostics) -> Result<Vec<u8>> {
    let _ = (doc, ctx, diags);
    Err(crate::diag::Error::Write {
        format: "epub",
        message: "not implemented yet".into(),
    })
}
