//! The PDF writer: genpdf lays out the pages; a lopdf post-pass adds what genpdf lacks.

use crate::diag::{Diagnostics, Result};
use crate::ir::Document;
use crate::write::WriteContext;

pub fn write_pdf(doc: &Document, ctx: &WriteContext, diags: &mut Diagnostics) -> Result<Vec<u8>> {
    let _ = (doc, ctx, diags);
    Err(crate::diag::Error::Write {
        format: "pdf",
        message: "not implemented yet".into(),
    })
}
