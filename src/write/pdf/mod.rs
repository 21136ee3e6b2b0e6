//! The PDF writer, in three parts: layout (`layout.rs` builds our genpdf elements and the
//! structure tree from the IR; genpdf's `Element` protocol breaks the pages), painting (the
//! elements paint on a `surface.rs` that encodes each finished page, `encode.rs`, and keeps
//! only its compressed stream) and the serialiser (`serialize.rs`: page log, tree and metadata
//! → a tagged (PDF/UA-1) and archival (PDF/A-2) file). See ARCHITECTURE.md.
//!
//! Layout runs twice (four times at most): the first pass only measures (the page of every
//! anchor, for the table of contents, the running headers, the page count and the "p. 12" of
//! cross-references); the next lays out with those pages and keeps the paint; another runs while
//! the pages it found moved.

mod elements;
mod encode;
mod guard;
pub mod hyphenate;
mod icc;
mod impose;
mod layout;
mod metrics;
mod outline;
mod para;
mod serialize;
mod structure;
mod surface;

use crate::diag::{Diagnostics, Error, Result};
use crate::ir::{Block, Document, Inline};
use crate::write::WriteContext;
use std::rc::Rc;

pub use crate::write::fonts::FontSet;
use layout::PassKind;
pub use layout::{Card, Edition};
pub use outline::OutlineEntry;

/// What one PDF lays out at most: past these, memory (about 5 KB per block while the file is
/// assembled) or the page itself (a column narrower than a letter) would fail the reader.
pub const MAX_BLOCKS: usize = 300_000;
pub const MAX_TABLE_COLUMNS: usize = 100;
pub const MAX_NOTES_PER_CHAPTER: usize = 10_000;
/// Layout passes with page numbers after the measuring one (the last is kept as it is).
const MAX_RENDER_PASSES: usize = 3;

fn count_blocks(blocks: &[Block], tally: &mut Tally) {
    for block in blocks {
        tally.blocks += 1;
        match block {
            Block::BulletList(items) | Block::OrderedList { items, .. } => {
                items.iter().for_each(|item| count_blocks(item, tally))
            }
            Block::BlockQuote(inner) | Block::Div { blocks: inner, .. } => {
                count_blocks(inner, tally)
            }
            Block::Table { head, rows, .. } => {
                let columns = crate::ir::column_count(head, rows);
                tally.columns = tally.columns.max(columns);
                tally.blocks += rows.len() * columns;
            }
            _ => {}
        }
    }
}

#[derive(Default)]
struct Tally {
    blocks: usize,
    columns: usize,
}

/// Refuses, with the reason and what to do, a book the PDF writer would not lay out sensibly.
fn check_limits(doc: &Document) -> Result<()> {
    let refuse = |source: &str, what: String| Error::Write {
        format: "pdf",
        message: format!(
            "{source}: {what}; build this book with `-f html,epub`, or the PDF of smaller parts \
             with `--persona`/`--split`"
        ),
    };
    let mut total = 0;
    for chapter in &doc.chapters {
        let mut tally = Tally::default();
        count_blocks(&chapter.blocks, &mut tally);
        let mut notes = 0;
        crate::ir::visit_inlines(&chapter.blocks, &mut |inline| {
            if let Inline::Note(blocks) = inline {
                notes += 1;
                count_blocks(blocks, &mut tally);
            }
        });
        if tally.columns > MAX_TABLE_COLUMNS {
            return Err(refuse(
                &chapter.source,
                format!(
                    "a table of {} columns, over the {MAX_TABLE_COLUMNS} a PDF page can show",
                    tally.columns
                ),
            ));
        }
        if notes > MAX_NOTES_PER_CHAPTER {
            return Err(refuse(
                &chapter.source,
                format!("{notes} footnotes, over the {MAX_NOTES_PER_CHAPTER} a PDF chapter sets"),
            ));
        }
        total += tally.blocks;
        if total > MAX_BLOCKS {
            return Err(refuse(
                &chapter.source,
                format!("the book reaches {total} blocks here, over the {MAX_BLOCKS} one PDF sets"),
            ));
        }
    }
    Ok(())
}

/// The booklet (`-f booklet`): the book laid out at A5 whatever `page_size` says, imposed on A4
/// landscape sheets (`impose.rs`).
pub fn write_booklet(
    doc: &Document,
    ctx: &WriteContext,
    diags: &mut Diagnostics,
) -> Result<Vec<u8>> {
    let mut a5 = doc.clone();
    a5.meta.page_size = crate::ir::PageSize::A5;
    // A booklet is read on paper: the print edition, addresses at the page foot.
    let pages = write_print(&a5, ctx, diags)?;
    impose::impose(&pages, &a5.meta, ctx)
}

pub fn write_pdf(doc: &Document, ctx: &WriteContext, diags: &mut Diagnostics) -> Result<Vec<u8>> {
    write_edition(doc, ctx, Edition::Screen, diags)
}

/// The PDF for paper (`print`): every address printed at the foot of its page.
pub fn write_print(doc: &Document, ctx: &WriteContext, diags: &mut Diagnostics) -> Result<Vec<u8>> {
    write_edition(doc, ctx, Edition::Print, diags)
}

/// One A5 page per persona (`cards`): who it is for, its questions with their page in this
/// book's `pdf`, a QR code to its page on the site when the site's address is known.
pub fn write_cards(doc: &Document, ctx: &WriteContext, diags: &mut Diagnostics) -> Result<Vec<u8>> {
    check_limits(doc)?;
    let fonts = FontSet::load(&ctx.theme)?;
    guard::catch_panic(|| cards_and_finish(doc, ctx, &fonts, diags)).unwrap_or_else(|panic| {
        Err(Error::Write {
            format: "cards",
            message: format!("the PDF libraries failed ({panic})"),
        })
    })
}

fn cards_and_finish(
    doc: &Document,
    ctx: &WriteContext,
    fonts: &FontSet,
    diags: &mut Diagnostics,
) -> Result<Vec<u8>> {
    let metrics = Rc::new(metrics::Metrics::new(fonts));
    // The handout's pages, as its `pdf` has them: measured until they stop moving.
    let mut quiet = Diagnostics::new();
    let measure = |info: Option<&layout::PassInfo>, diags: &mut Diagnostics| {
        layout::layout_pass(
            doc,
            diags,
            info,
            PassKind::Measure,
            Edition::Screen,
            &[],
            fonts,
            &metrics,
        )
    };
    let mut info = measure(None, &mut quiet)?.info;
    for _ in 0..MAX_RENDER_PASSES {
        let next = measure(Some(&info), &mut quiet)?.info;
        let stable = next == info;
        info = next;
        if stable {
            break;
        }
    }
    let outline = outline::outline(doc);
    let personas: Vec<&crate::ir::Chapter> = doc
        .chapters
        .iter()
        .filter(|c| c.kind == crate::ir::ChapterKind::Persona)
        .collect();
    if doc.meta.site_url.is_none() && !personas.is_empty() {
        // One note for the whole build, where the address is set.
        diags
            .warning(
                "_config.yml",
                0,
                0,
                "cards: the site's address is not known, so the cards have no QR code",
            )
            .with_hint(
                "set `url` (and `baseurl`) in _config.yml, or `url = \"https://…\"` in livret.toml",
            );
    }
    let questions_of = |c: &crate::ir::Chapter| -> Vec<(String, Option<usize>)> {
        outline
            .iter()
            .find(|e| e.anchor == c.id)
            .map(|e| {
                e.children
                    .iter()
                    .map(|s| {
                        let page = info.anchor_pages.get(&s.anchor).map(|p| p + 1);
                        (s.title.clone(), page)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let cards: Vec<layout::Card> = personas
        .iter()
        .map(|c| layout::Card {
            name: c.title.clone(),
            who: c.subtitle.clone().or_else(|| c.summary.clone()),
            questions: on_a_card(questions_of(c), &doc.meta.labels.page_ref),
            url: doc.meta.site_url.as_ref().map(|site| {
                let path = doc.meta.page_urls.get(&c.id).map_or("/", String::as_str);
                format!("{site}{path}")
            }),
        })
        .collect();
    // The cards are a document of their own: A5 pages, no chapters.
    let mut meta = doc.meta.clone();
    meta.page_size = crate::ir::PageSize::A5;
    let cards_doc = Document {
        meta,
        chapters: Vec::new(),
        assets: Vec::new(),
    };
    let mut pass_diags = Diagnostics::new();
    let pass = layout::layout_pass(
        &cards_doc,
        &mut pass_diags,
        None,
        PassKind::Render,
        Edition::Cards,
        &cards,
        fonts,
        &metrics,
    )?;
    serialize_pass(pass, &cards_doc, ctx, fonts, crate::ir::PageSize::A5, diags)
}

/// Questions a card lists: past what an A5 page holds beside its QR code, the first ones and
/// then "… (p. 12–40)" for the rest.
const CARD_QUESTIONS: usize = 14;

fn on_a_card(
    mut questions: Vec<(String, Option<usize>)>,
    page_ref: &str,
) -> Vec<(String, Option<usize>)> {
    if questions.len() <= CARD_QUESTIONS {
        return questions;
    }
    let rest = questions.split_off(CARD_QUESTIONS - 1);
    let pages: Vec<usize> = rest.iter().filter_map(|(_, p)| *p).collect();
    let more = match (pages.iter().min(), pages.iter().max()) {
        (Some(first), Some(last)) if first < last => {
            format!("…\u{a0}({page_ref}\u{a0}{first}–{last})")
        }
        (Some(first), _) => format!("…\u{a0}({page_ref}\u{a0}{first})"),
        _ => "…".into(),
    };
    questions.push((more, None));
    questions
}

fn write_edition(
    doc: &Document,
    ctx: &WriteContext,
    edition: Edition,
    diags: &mut Diagnostics,
) -> Result<Vec<u8>> {
    check_limits(doc)?;
    let fonts = FontSet::load(&ctx.theme)?;
    // genpdf and the font readers panic on data they did not expect: an error instead.
    guard::catch_panic(|| lay_out_and_finish(doc, ctx, edition, &fonts, diags)).unwrap_or_else(|panic| {
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
    edition: Edition,
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
        edition,
        &[],
        fonts,
        &metrics,
    )?;
    // Page numbers (contents, running heads, cross-references) move what follows them: lay
    // out again while a page moved, three times at most.
    for _ in 0..MAX_RENDER_PASSES {
        pass_diags = Diagnostics::new();
        let next = layout::layout_pass(
            doc,
            &mut pass_diags,
            Some(&pass.info),
            PassKind::Render,
            edition,
            &[],
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
    serialize_pass(pass, doc, ctx, fonts, doc.meta.page_size, diags)
}

/// The last layout pass, written out as the PDF file.
fn serialize_pass(
    pass: layout::Pass,
    doc: &Document,
    ctx: &WriteContext,
    fonts: &FontSet,
    page_size: crate::ir::PageSize,
    diags: &mut Diagnostics,
) -> Result<Vec<u8>> {
    let layout::Pass {
        outline,
        log,
        tree,
        link_texts,
        ..
    } = pass;
    serialize::serialize(
        serialize::SerializeInput {
            doc,
            ctx,
            fonts,
            log,
            tree,
            link_texts,
            outline: &outline,
            page_size: layout::page_size_mm(page_size),
        },
        diags,
    )
}

/// The outline (chapters and their `##` sections) the PDF's bookmarks and contents list show.
pub fn outline(doc: &Document) -> Vec<OutlineEntry> {
    outline::outline(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_lists_what_a_page_holds_then_the_pages_of_the_rest() {
        let questions: Vec<(String, Option<usize>)> =
            (0..20).map(|k| (format!("q{k}"), Some(10 + k))).collect();
        let card = on_a_card(questions.clone(), "p.");
        assert_eq!(card.len(), CARD_QUESTIONS);
        assert_eq!(card[CARD_QUESTIONS - 2].0, "q12");
        assert_eq!(
            card[CARD_QUESTIONS - 1],
            ("…\u{a0}(p.\u{a0}23–29)".into(), None)
        );
        let few = questions[..3].to_vec();
        assert_eq!(on_a_card(few.clone(), "p."), few);
    }
}
