//! Blocks and inlines → HTML or XHTML text. Shared by the HTML and EPUB writers.

use crate::ir::{Asset, Chapter, Document, LinkTarget};

/// How a chapter's body is serialised; the two writers differ only here.
pub struct BodyStyle<'a> {
    /// XHTML (EPUB): void elements closed, XML-safe entities, `epub:type` on notes.
    pub xhtml: bool,
    /// href of a link target; `None` renders the link's content without a link.
    pub href: &'a dyn Fn(&LinkTarget) -> Option<String>,
    /// src of an image asset (index into `Document::assets`).
    pub image_src: &'a dyn Fn(usize, &Asset) -> String,
}

pub struct RenderedChapter {
    /// The chapter's blocks (without its title).
    pub body: String,
    /// The chapter's footnotes, rendered as a notes section (empty when there are none).
    pub notes: String,
}

pub fn render_chapter(doc: &Document, chapter: &Chapter, style: &BodyStyle) -> RenderedChapter {
    let _ = (doc, chapter, style);
    RenderedChapter {
        body: String::new(),
        notes: String::new(),
    }
}
