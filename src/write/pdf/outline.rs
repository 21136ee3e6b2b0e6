//! The book's outline: its chapters and their `##` sections, with the anchors the contents
//! list, the bookmarks and the running heads point at.

use crate::ir::{Block, Chapter, Document, plain_text};

/// A PDF outline entry: a chapter with its `##` sections.
#[derive(Debug, Clone, PartialEq)]
pub struct OutlineEntry {
    pub title: String,
    pub anchor: String,
    pub children: Vec<OutlineEntry>,
}

/// The `##` sections of a chapter (top level and inside divs), with their anchors.
fn sections(chapter: &Chapter) -> Vec<OutlineEntry> {
    fn walk(chapter: &Chapter, blocks: &[Block], out: &mut Vec<OutlineEntry>) {
        for block in blocks {
            match block {
                Block::Heading {
                    level: 2,
                    attr,
                    content,
                } => {
                    let anchor = attr
                        .id
                        .clone()
                        .unwrap_or_else(|| section_key(&chapter.id, out.len()));
                    out.push(OutlineEntry {
                        title: plain_text(content).trim().to_string(),
                        anchor,
                        children: Vec::new(),
                    });
                }
                Block::Div { blocks, .. } => walk(chapter, blocks, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(chapter, &chapter.blocks, &mut out);
    out
}

pub fn section_key(chapter: &str, n: usize) -> String {
    format!("livret-sec-{chapter}-{n}")
}

pub fn outline(doc: &Document) -> Vec<OutlineEntry> {
    doc.chapters
        .iter()
        .map(|c| OutlineEntry {
            title: c.title.clone(),
            anchor: c.id.clone(),
            children: sections(c),
        })
        .collect()
}
