//! The PDF writer: genpdf lays out the pages with our own elements (`elements.rs`); a lopdf
//! post-pass (`post.rs`) adds what genpdf lacks: images, links, outline, metadata, compression.
//!
//! Layout runs twice (three times at most): the first pass only measures (the page of every
//! chapter and section, for the table of contents, the running headers and the page count); the
//! next lays out with those pages and saves; a third runs if the pages it found moved.

mod elements;
mod fonts;
mod guard;
pub mod hyphenate;
mod layout;
mod post;

use crate::diag::{Diagnostics, Error, Result};
use crate::ir::Document;
use crate::write::WriteContext;

pub use fonts::FontSet;
pub use layout::OutlineEntry;
use layout::PassKind;

/// genpdf keeps every page in memory (≈ 1.5 MB a page while laying out): past about 2,000
/// pages of text a handout would exhaust memory rather than help anyone. Refuse it up front.
pub const MAX_TEXT_BYTES: usize = 6 << 20;

pub fn write_pdf(doc: &Document, ctx: &WriteContext, diags: &mut Diagnostics) -> Result<Vec<u8>> {
    let text: usize = doc
        .chapters
        .iter()
        .map(|c| crate::ir::text_bytes(&c.blocks))
        .sum();
    if text > MAX_TEXT_BYTES {
        return Err(Error::Write {
            format: "pdf",
            message: format!(
                "the book holds {} MiB of text, over the {} MiB a PDF handout can hold (about 2,000 pages); \
                 build it with `-f html,epub`, or make smaller handouts with `--persona`/`--split`",
                text >> 20,
                MAX_TEXT_BYTES >> 20
            ),
        });
    }
    let fonts = FontSet::load(&ctx.theme)?;
    // genpdf, printpdf and rusttype panic on data they did not expect: an error instead.
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
    let mut pass_diags = Diagnostics::new();
    let mut pass = layout::layout_pass(doc, &mut pass_diags, None, PassKind::Measure, fonts)?;
    for _ in 0..2 {
        pass_diags = Diagnostics::new();
        let next = layout::layout_pass(
            doc,
            &mut pass_diags,
            Some(&pass.info),
            PassKind::Render,
            fonts,
        )?;
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
            fonts,
        },
        diags,
    )
}

/// The outline (chapters and their `##` sections) the PDF's bookmarks and contents list show.
pub fn outline(doc: &Document) -> Vec<OutlineEntry> {
    layout::outline(doc)
}
