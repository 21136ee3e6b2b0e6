//! The HTML writer: one self-contained page (CSS inlined, images as `data:` URIs) laid out by
//! the minijinja templates of `themes/default/html/`. Its body writer also serves the EPUB
//! writer, in XHTML mode.

pub mod body;

use crate::diag::{Diagnostics, Result};
use crate::ir::Document;
use crate::write::WriteContext;

pub fn write_html(doc: &Document, ctx: &WriteContext, diags: &mut Diagnostics) -> Result<Vec<u8>> {
    let _ = (doc, ctx, diags);
    Err(crate::diag::Error::Write {
        format: "html",
        message: "not implemented yet".into(),
    })
}
