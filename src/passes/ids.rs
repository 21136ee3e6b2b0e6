//! Ids pass: every heading gets an id, and every element id becomes global
//! (`{chapter}-{local}`), unique across the whole book.

use crate::ir::{Attr, Block, Document, Inline, plain_text};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::collections::BTreeMap;

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

/// Assign global ids; returns the local → global map per chapter for the links pass. Each
/// chapter is done on one of up to `jobs` threads as if no other chapter had ids: its local ids
/// (headings' text and slugs: most of the work), then its global ids, given. When no two
/// chapters gave the same id (chapter ids that prefix one another can make them meet), those
/// are the ids a book-order assignment gives; else the book-order assignment is run.
pub fn assign_ids(doc: &mut Document, jobs: usize) -> ChapterAnchors {
    // Chapter ids are the `<section id>`s: no element may take one.
    let chapter_ids: HashSet<String> = doc.chapters.iter().map(|c| c.id.clone()).collect();
    let mut chapters: Vec<ChapterIds> = doc
        .chapters
        .iter_mut()
        .map(|chapter| ChapterIds {
            chapter,
            locals: Vec::new(),
            globals: Vec::new(),
            by_local: BTreeMap::new(),
        })
        .collect();
    crate::jobs::for_each_mut(
        &mut chapters,
        jobs,
        |c| c.chapter.weight() as u64,
        |c| {
            let mut sites = Vec::new();
            collect_blocks(&mut c.chapter.blocks, &mut sites, true);
            c.locals = local_ids(&sites);
            let mut taken = chapter_ids.clone();
            c.globals = plan_globals(&c.chapter.id, &c.locals, &mut taken, &mut HashMap::new());
            c.by_local = give_globals(sites, &c.locals, &c.globals);
        },
    );
    if gave_the_same_id(&chapters) {
        let mut taken = chapter_ids;
        // Next number to try per base id: ids are only ever added, so every smaller number is
        // still taken, and 20,000 identical headings cost 20,000 steps, not 200 million.
        let mut next_global: HashMap<String, usize> = HashMap::new();
        for c in &mut chapters {
            c.globals = plan_globals(&c.chapter.id, &c.locals, &mut taken, &mut next_global);
            let mut sites = Vec::new();
            collect_blocks(&mut c.chapter.blocks, &mut sites, false);
            c.by_local = give_globals(sites, &c.locals, &c.globals);
        }
    }
    let mut anchors = ChapterAnchors::default();
    for c in chapters {
        anchors.by_chapter.insert(c.chapter.id.clone(), c.by_local);
    }
    anchors
}

/// A chapter, the local id of each of its id sites, the global id given to each, and the
/// local → global map.
struct ChapterIds<'a> {
    chapter: &'a mut crate::ir::Chapter,
    locals: Vec<Option<String>>,
    globals: Vec<Option<String>>,
    by_local: BTreeMap<String, String>,
}

fn gave_the_same_id(chapters: &[ChapterIds]) -> bool {
    let mut seen: HashSet<&str> = HashSet::new();
    !chapters
        .iter()
        .flat_map(|c| c.globals.iter().flatten())
        .all(|global| seen.insert(global))
}

/// The global id of each local one of `chapter`, none taken twice.
fn plan_globals(
    chapter: &str,
    locals: &[Option<String>],
    taken: &mut HashSet<String>,
    next_global: &mut HashMap<String, usize>,
) -> Vec<Option<String>> {
    locals
        .iter()
        .map(|local| {
            Some(unique_global(
                chapter,
                local.as_deref()?,
                taken,
                next_global,
            ))
        })
        .collect()
}

/// `globals` into the sites' attributes; the local → global map (a repeated local id maps to
/// its first element: the reader warned, with the line).
fn give_globals(
    sites: Vec<IdSite>,
    locals: &[Option<String>],
    globals: &[Option<String>],
) -> BTreeMap<String, String> {
    let mut by_local = BTreeMap::new();
    for ((site, local), global) in sites.into_iter().zip(locals).zip(globals) {
        let (Some(local), Some(global)) = (local, global) else {
            continue;
        };
        let attr = match site {
            IdSite::Heading { attr, .. } | IdSite::Element(attr) => attr,
        };
        if !by_local.contains_key(local) {
            by_local.insert(local.clone(), global.clone());
        }
        attr.id = Some(global.clone());
    }
    by_local
}

/// The local id of each id site of a chapter, in order: the explicit one, else a heading's
/// slug (kramdown numbers repeats `x`, `x-1`, `x-2`…: pages link to those); `None` for an
/// element without one.
fn local_ids(sites: &[IdSite]) -> Vec<Option<String>> {
    let explicit: HashSet<String> = sites
        .iter()
        .filter_map(|site| match site {
            IdSite::Heading { attr, .. } | IdSite::Element(attr) => explicit_id(attr),
        })
        .collect();
    let mut slugs_used: HashSet<String> = HashSet::new();
    let mut next_slug: HashMap<String, usize> = HashMap::new();
    sites
        .iter()
        .map(|site| match site {
            IdSite::Heading { attr, text } => Some(explicit_id(attr).unwrap_or_else(|| {
                let base = slug(text);
                let mut local = base.clone();
                let n = next_slug.entry(base.clone()).or_insert(1);
                while explicit.contains(&local) || slugs_used.contains(&local) {
                    local = format!("{base}-{n}");
                    *n += 1;
                }
                slugs_used.insert(local.clone());
                local
            })),
            IdSite::Element(attr) => explicit_id(attr),
        })
        .collect()
}

fn explicit_id(attr: &Attr) -> Option<String> {
    attr.id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_string)
}

/// `{chapter}-{local}`, with `-2`, `-3`… when the book already has it.
fn unique_global(
    chapter: &str,
    local: &str,
    taken: &mut HashSet<String>,
    next: &mut HashMap<String, usize>,
) -> String {
    let base = format!("{chapter}-{}", id_safe(local));
    let mut global = base.clone();
    let n = next.entry(base.clone()).or_insert(2);
    while taken.contains(&global) {
        global = format!("{base}-{n}");
        *n += 1;
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
    // Symbols and emoji go before transliteration, which would spell them out (`💡` → `bulb`).
    let letters: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let out = crate::read::slugify(&letters);
    if out.is_empty() {
        "section".to_string()
    } else {
        out
    }
}

/// The id sites of `blocks` in document order; a heading's text only when `with_text`.
fn collect_blocks<'a>(blocks: &'a mut [Block], sites: &mut Vec<IdSite<'a>>, with_text: bool) {
    for block in blocks {
        match block {
            Block::Para(inlines) | Block::Plain(inlines) => {
                collect_inlines(inlines, sites, with_text)
            }
            Block::Heading { attr, content, .. } => {
                let text = if with_text {
                    plain_text(content)
                } else {
                    String::new()
                };
                sites.push(IdSite::Heading { attr, text });
                collect_inlines(content, sites, with_text);
            }
            Block::BulletList(items) | Block::OrderedList { items, .. } => {
                for item in items {
                    collect_blocks(item, sites, with_text);
                }
            }
            Block::BlockQuote(inner) => collect_blocks(inner, sites, with_text),
            Block::Table { head, rows, .. } => {
                for cell in head.iter_mut().chain(rows.iter_mut().flatten()) {
                    collect_inlines(cell, sites, with_text);
                }
            }
            Block::Div { attr, blocks } => {
                sites.push(IdSite::Element(attr));
                collect_blocks(blocks, sites, with_text);
            }
            Block::CodeBlock { .. } | Block::ThematicBreak | Block::Toc => {}
        }
    }
}

fn collect_inlines<'a>(inlines: &'a mut [Inline], sites: &mut Vec<IdSite<'a>>, with_text: bool) {
    for inline in inlines {
        match inline {
            Inline::Span { attr, content } => {
                sites.push(IdSite::Element(attr));
                collect_inlines(content, sites, with_text);
            }
            Inline::Note(blocks) => collect_blocks(blocks, sites, with_text),
            other => {
                if let Some(c) = other.children_mut() {
                    collect_inlines(c, sites, with_text);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::tests::{chapter, document, text};

    fn heading(content: &str, id: Option<&str>) -> Block {
        Block::Heading {
            level: 2,
            attr: Attr {
                id: id.map(str::to_string),
                ..Attr::default()
            },
            content: vec![text(content)],
        }
    }

    fn heading_ids(doc: &Document) -> Vec<Option<String>> {
        let mut out = Vec::new();
        for c in &doc.chapters {
            for b in &c.blocks {
                if let Block::Heading { attr, .. } = b {
                    out.push(attr.id.clone());
                }
            }
        }
        out
    }

    #[test]
    fn slugs() {
        for (input, expected) in [
            ("Qu'est-ce que l'open data ?", "qu-est-ce-que-l-open-data"),
            ("  Données «ouvertes»  ", "donnees-ouvertes"),
            ("💡 Astuce", "astuce"),
            ("???", "section"),
            ("", "section"),
            ("API v1.2", "api-v1-2"),
        ] {
            assert_eq!(slug(input), expected, "{input:?}");
        }
    }

    #[test]
    fn headings_get_global_ids_deduplicated_across_the_book() {
        let mut doc = document(vec![
            chapter(
                "citoyen",
                "_faq/citoyen.md",
                vec![
                    heading("Pourquoi ?", None),
                    heading("Pourquoi ?", None),
                    heading("Explicite", Some("mon-id")),
                ],
            ),
            // Its id is what `citoyen`'s first heading would get.
            chapter(
                "citoyen-pourquoi",
                "_faq/x.md",
                vec![heading("Autre", None)],
            ),
            chapter("dev", "_faq/dev.md", vec![heading("Pourquoi", None)]),
        ]);
        // A heading in `citoyen` whose global would be a chapter id must be renamed.
        doc.chapters[0]
            .blocks
            .push(heading("Pourquoi bis", Some("pourquoi-x")));
        let anchors = assign_ids(&mut doc, 2);
        assert_eq!(
            heading_ids(&doc),
            vec![
                Some("citoyen-pourquoi-2".into()), // `citoyen-pourquoi` is a chapter id
                Some("citoyen-pourquoi-1".into()),
                Some("citoyen-mon-id".into()),
                Some("citoyen-pourquoi-x".into()),
                Some("citoyen-pourquoi-autre".into()),
                Some("dev-pourquoi".into()),
            ]
        );
        assert_eq!(
            anchors.global("citoyen", "pourquoi"),
            Some("citoyen-pourquoi-2")
        );
        assert_eq!(
            anchors.global("citoyen", "pourquoi-1"),
            Some("citoyen-pourquoi-1")
        );
        assert_eq!(anchors.global("citoyen", "mon-id"), Some("citoyen-mon-id"));
        assert_eq!(anchors.global("dev", "mon-id"), None);
    }

    #[test]
    fn chapters_whose_ids_prefix_one_another_get_the_ids_of_book_order() {
        for jobs in [1, 2, 4] {
            let mut doc = document(vec![
                chapter("a", "_faq/a.md", vec![heading("B c", None)]),
                chapter(
                    "a-b",
                    "_faq/ab.md",
                    vec![heading("C", None), heading("C", Some("c-2"))],
                ),
                chapter("d", "_faq/d.md", vec![heading("E", None)]),
            ]);
            let anchors = assign_ids(&mut doc, jobs);
            // Given apart, `a` and `a-b` would both take `a-b-c`: the later one gives way.
            assert_eq!(
                heading_ids(&doc),
                vec![
                    Some("a-b-c".into()),
                    Some("a-b-c-2".into()),
                    Some("a-b-c-2-2".into()),
                    Some("d-e".into()),
                ],
                "jobs {jobs}"
            );
            assert_eq!(anchors.global("a-b", "c"), Some("a-b-c-2"));
            assert_eq!(anchors.global("a-b", "c-2"), Some("a-b-c-2-2"));
        }
    }

    #[test]
    fn same_local_in_two_chapters_and_duplicate_explicit_ids() {
        let span = |id: &str| Inline::Span {
            attr: Attr {
                id: Some(id.into()),
                ..Attr::default()
            },
            content: vec![],
        };
        let mut doc = document(vec![
            chapter(
                "a",
                "_faq/a.md",
                vec![
                    Block::Para(vec![span("x"), text("t")]),
                    Block::Div {
                        attr: Attr {
                            id: Some("x".into()),
                            ..Attr::default()
                        },
                        blocks: vec![],
                    },
                    heading("X", None),
                    Block::Div {
                        attr: Attr::default(),
                        blocks: vec![],
                    },
                ],
            ),
            chapter("a-x-2", "_faq/b.md", vec![heading("Y", Some("a b.c"))]),
        ]);
        let anchors = assign_ids(&mut doc, 2);
        let Block::Para(inlines) = &doc.chapters[0].blocks[0] else {
            panic!("para")
        };
        let Inline::Span { attr, .. } = &inlines[0] else {
            panic!("span")
        };
        assert_eq!(attr.id.as_deref(), Some("a-x"));
        let Block::Div { attr, .. } = &doc.chapters[0].blocks[1] else {
            panic!("div")
        };
        // Second `x` in the page: a distinct global id (`a-x-2` is a chapter); links go to the
        // first (the reader warns about the repeat, with its line).
        assert_eq!(attr.id.as_deref(), Some("a-x-3"));
        // The auto slug avoids the explicit `x` of the page.
        assert_eq!(anchors.global("a", "x-1"), Some("a-x-1"));
        let Block::Div { attr, .. } = &doc.chapters[0].blocks[3] else {
            panic!("div")
        };
        assert_eq!(attr.id, None, "an element without id gets none");
        assert_eq!(anchors.global("a", "x"), Some("a-x"));
        assert_eq!(anchors.global("a-x-2", "a b.c"), Some("a-x-2-a-b-c"));
    }
}
