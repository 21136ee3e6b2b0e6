//! Ids pass: every heading gets an id, and every element id becomes global
//! (`{chapter}-{local}`), unique across the whole book.

use crate::diag::Diagnostics;
use crate::ir::{Attr, Block, Document, Inline, plain_text};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Per chapter: local id as written in the page → global id in the book.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChapterAnchors {
    by_chapter: BTreeMap<String, BTreeMap<String, String>>,
}

impl ChapterAnchors {
    /// The global id of `local` in `chapter`, if that chapter has such an element.
    pub fn global(&self, chapter: &str, local: &str) -> Option<&str> {
        self.by_chapter
            .get(chapter)
            .and_then(|ids| ids.get(local))
            .map(String::as_str)
    }
}

/// An element that carries an id: headings get a slug when they have none.
enum IdSite<'a> {
    Heading { attr: &'a mut Attr, text: String },
    Element(&'a mut Attr),
}

/// Assign global ids; returns the local → global map per chapter for the links pass.
pub fn assign_ids(doc: &mut Document, root: &Path, diags: &mut Diagnostics) -> ChapterAnchors {
    // Chapter ids are the `<section id>`s: no element may take one.
    let mut taken: BTreeSet<String> = doc.chapters.iter().map(|c| c.id.clone()).collect();
    let mut anchors = ChapterAnchors::default();
    for chapter in &mut doc.chapters {
        let mut sites = Vec::new();
        collect_blocks(&mut chapter.blocks, &mut sites);

        let explicit: BTreeSet<String> = sites
            .iter()
            .filter_map(|site| match site {
                IdSite::Heading { attr, .. } | IdSite::Element(attr) => explicit_id(attr),
            })
            .collect();
        let mut locals: BTreeMap<String, String> = BTreeMap::new();
        let mut slugs_used: BTreeSet<String> = BTreeSet::new();
        let display = root.join(&chapter.source).display().to_string();

        for site in sites {
            let (attr, local, is_explicit) = match site {
                IdSite::Heading { attr, text } => match explicit_id(attr) {
                    Some(id) => (attr, id, true),
                    None => {
                        // kramdown numbers repeated auto ids `x`, `x-1`, `x-2`…: pages link to those.
                        let base = slug(&text);
                        let mut local = base.clone();
                        let mut n = 1;
                        while explicit.contains(&local) || slugs_used.contains(&local) {
                            local = format!("{base}-{n}");
                            n += 1;
                        }
                        slugs_used.insert(local.clone());
                        (attr, local, false)
                    }
                },
                IdSite::Element(attr) => match explicit_id(attr) {
                    Some(id) => (attr, id, true),
                    None => continue,
                },
            };
            let global = unique_global(&chapter.id, &local, &mut taken);
            if locals.contains_key(&local) {
                if is_explicit {
                    diags
                        .warning(
                            display.clone(),
                            0,
                            0,
                            format!("duplicate id `{local}` in this page"),
                        )
                        .with_hint("links to `#".to_string() + &local + "` go to the first one");
                }
            } else {
                locals.insert(local, global.clone());
            }
            attr.id = Some(global);
        }
        anchors.by_chapter.insert(chapter.id.clone(), locals);
    }
    anchors
}

fn explicit_id(attr: &Attr) -> Option<String> {
    attr.id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_string)
}

/// `{chapter}-{local}`, with `-2`, `-3`… when the book already has it.
fn unique_global(chapter: &str, local: &str, taken: &mut BTreeSet<String>) -> String {
    let base = format!("{chapter}-{}", id_safe(local));
    let mut global = base.clone();
    let mut n = 2;
    while taken.contains(&global) {
        global = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(global.clone());
    global
}

/// Explicit ids are kept as written, except characters that would break an id or let it
/// collide with the writers' note ids (`{chapter}.fn{n}`): whitespace, `.`, `#`, `:`….
fn id_safe(local: &str) -> String {
    local
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// ASCII slug: transliterated, lowercase, runs of anything else → `-`; `section` when empty.
pub fn slug(text: &str) -> String {
    let ascii = deunicode::deunicode(text).to_lowercase();
    let mut out = String::with_capacity(ascii.len());
    let mut pending_dash = false;
    for c in ascii.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c);
        } else {
            pending_dash = true;
        }
    }
    if out.is_empty() {
        "section".to_string()
    } else {
        out
    }
}

fn collect_blocks<'a>(blocks: &'a mut [Block], sites: &mut Vec<IdSite<'a>>) {
    for block in blocks {
        match block {
            Block::Para(inlines) | Block::Plain(inlines) => collect_inlines(inlines, sites),
            Block::Heading { attr, content, .. } => {
                let text = plain_text(content);
                sites.push(IdSite::Heading { attr, text });
                collect_inlines(content, sites);
            }
            Block::BulletList(items) | Block::OrderedList { items, .. } => {
                for item in items {
                    collect_blocks(item, sites);
                }
            }
            Block::BlockQuote(inner) => collect_blocks(inner, sites),
            Block::Table { head, rows, .. } => {
                for cell in head.iter_mut().chain(rows.iter_mut().flatten()) {
                    collect_inlines(cell, sites);
                }
            }
            Block::Div { attr, blocks } => {
                sites.push(IdSite::Element(attr));
                collect_blocks(blocks, sites);
            }
            Block::CodeBlock { .. } | Block::ThematicBreak | Block::Toc => {}
        }
    }
}

fn collect_inlines<'a>(inlines: &'a mut [Inline], sites: &mut Vec<IdSite<'a>>) {
    for inline in inlines {
        match inline {
            Inline::Span { attr, content } => {
                sites.push(IdSite::Element(attr));
                collect_inlines(content, sites);
            }
            Inline::Emph(c)
            | Inline::Strong(c)
            | Inline::Strikeout(c)
            | Inline::Superscript(c)
            | Inline::Subscript(c)
            | Inline::Link { content: c, .. } => collect_inlines(c, sites),
            Inline::Note(blocks) => collect_blocks(blocks, sites),
            Inline::Text(_)
            | Inline::Code(_)
            | Inline::Image { .. }
            | Inline::SoftBreak
            | Inline::LineBreak => {}
        }
    }
}
