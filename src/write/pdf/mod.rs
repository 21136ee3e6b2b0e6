//! The PDF writer. genpdf breaks the pages; our elements (`elements.rs`, built from the IR by
//! `layout.rs`) paint into a recorder (`canvas.rs`) that keeps each finished page as its
//! compressed content stream, with the structure tree (`structure.rs`) growing beside it; the
//! serialiser (`serialize.rs`) writes the PDF: tagged (PDF/UA-1) and archival (PDF/A-2).
//!
//! Layout runs twice (three times at most): the first pass only measures (the page of every
//! chapter and section, for the table of contents, the running headers and the page count); the
//! next lays out with those pages and keeps the paint; a third runs if the pages it found moved.

mod canvas;
mod elements;
mod fonts;
mod guard;
mod hyphenate;
mod icc;
mod layout;
mod metrics;
mod serialize;
mod structure;

use crate::diag::{Diagnostics, Error, Result};
use crate::ir::Document;
use crate::write::WriteContext;
use std::rc::Rc;

pub use fonts::FontSet;
pub use layout::OutlineEntry;
use layout::PassKind;

pub fn write_pdf(doc: &Document, ctx: &WriteContext, diags: &mut Diagnostics) -> Result<Vec<u8>> {
    let fonts = FontSet::load(&ctx.theme)?;
    // genpdf and the font readers panic on data they did not expect: an error instead.
    guard::catch_panic(|| lay_out_and_finish(doc, ctx, &fonts, diags)).unwrap_or_else(|panic| {
        Err(Error::Write {
            format: "pdf",
            message: format!(
                "the PDF libraries failed ({panic}); if a theme font is in use it may be damaged, \
                 else please report this with the corpus"
            ),
        })
    })
}

fn lay_out_and_finish(
    doc: &Document,
    ctx: &WriteContext,
    fonts: &FontSet,
    diags: &mut Diagnostics,
) -> Result<Vec<u8>> {
    let metrics = Rc::new(metrics::Metrics::new(fonts));
    let mut pass_diags = Diagnostics::new();
    let mut pass = layout::layout_pass(
        doc,
        &mut pass_diags,
        None,
        PassKind::Measure,
        fonts,
        &metrics,
    )?;
    for _ in 0..2 {
        pass_diags = Diagnostics::new();
        let next = layout::layout_pass(
            doc,
            &mut pass_diags,
            Some(&pass.info),
            PassKind::Render,
            fonts,
            &metrics,
        )?;
        let stable = next.info == pass.info;
        pass = next;
        if stable {
            break;
        }
    }
    diags.extend(pass_diags);
    let layout::Pass {
        outline, canvas, ..
    } = pass;
    serialize::serialize(
        serialize::SerializeInput {
            doc,
            ctx,
            fonts,
            canvas,
            outline: &outline,
        },
        diags,
    )
}

/// The outline (chapters and their `##` sections) the PDF's bookmarks and contents list show.
pub fn outline(doc: &Document) -> Vec<OutlineEntry> {
    layout::outline(doc)
}
