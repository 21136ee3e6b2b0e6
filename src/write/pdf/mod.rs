//! The PDF writer: genpdf lays out the pages with our own elements (`elements.rs`); a lopdf
//! post-pass (`post.rs`) adds what genpdf lacks: images, links, outline, metadata, compression.
//!
//! Layout runs twice (three times at most): the first pass learns the page of every chapter and
//! section for the table of contents, the running headers and the page count.

mod elements;
mod fonts;
mod hyphenate;
mod layout;
mod post;

use crate::diag::{Diagnostics, Result};
use crate::ir::Document;
use crate::write::WriteContext;

pub use layout::OutlineEntry;

pub fn write_pdf(doc: &Document, ctx: &WriteContext, diags: &mut Diagnostics) -> Result<Vec<u8>> {
    let mut pass_diags = Diagnostics::new();
    let mut pass = layout::layout_pass(doc, &mut pass_diags, None)?;
    for _ in 0..2 {
        pass_diags = Diagnostics::new();
        let next = layout::layout_pass(doc, &mut pass_diags, Some(&pass.info))?;
        let stable = next.info == pass.info;
        pass = next;
        if stable {
            break;
        }
    }
    diags.extend(pass_diags);
    post::finish(
        post::PostInput {
            doc,
            ctx,
            bytes: &pass.bytes,
            events: &pass.events,
            outline: &pass.outline,
        },
        diags,
    )
}

/// The outline (chapters and their `##` sections) the PDF's bookmarks and contents list show.
pub fn outline(doc: &Document) -> Vec<OutlineEntry> {
    layout::outline(doc)
}
