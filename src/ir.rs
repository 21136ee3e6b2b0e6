//! The document model every writer reads. Pandoc-shaped: separate `Block` and `Inline` enums,
//! an explicit book hierarchy, no Markdown and no HTML text left in it.

use serde::Serialize;
use std::collections::BTreeMap;

/// A position in a source page (1-based), used by passes to point diagnostics at the page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    pub meta: Meta,
    pub chapters: Vec<Chapter>,
    /// Images located and decoded by the assets pass; `Inline::Image::asset` indexes this.
    pub assets: Vec<Asset>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meta {
    /// Output file stem (`out/<name>.html`).
    pub name: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub summary: Option<String>,
    pub author: Option<String>,
    pub publisher: Option<String>,
    /// BCP 47 language tag, `fr` by default.
    pub language: String,
    /// As written in config or front matter (e.g. `2024-05-01`).
    pub date: Option<String>,
    pub identifier: Option<String>,
    pub page_size: PageSize,
    /// Set when the document is a per-persona handout (`--split`): that persona's slug.
    pub persona: Option<String>,
    /// The words the writers print around the text, in the book's language.
    #[serde(skip)]
    pub labels: crate::labels::Labels,
    /// The same book (or handout) in each language of the corpus, this one included; empty
    /// for a corpus in one language.
    #[serde(skip)]
    pub translations: Vec<Translation>,
    /// The site's address (`url` of livret.toml, else `url` + `baseurl` of `_config.yml`),
    /// without a final `/`; `None` when neither says.
    #[serde(skip)]
    pub site_url: Option<String>,
    /// Chapter id → the path the site publishes its page at (`/faq/citoyen.html`).
    #[serde(skip)]
    pub page_urls: std::collections::BTreeMap<String, String>,
}

/// A book with nothing set but its defaults: `livret`, in the default language, on A4 (what
/// `read_document` falls back to; tests name only what they need).
impl Default for Meta {
    fn default() -> Self {
        Meta {
            name: "livret".into(),
            title: "livret".into(),
            subtitle: None,
            summary: None,
            author: None,
            publisher: None,
            language: crate::labels::DEFAULT_LANGUAGE.into(),
            date: None,
            identifier: None,
            page_size: PageSize::A4,
            persona: None,
            labels: Default::default(),
            translations: Vec::new(),
            site_url: None,
            page_urls: Default::default(),
        }
    }
}

/// One language's version of a book, for the HTML's alternates and language switcher.
#[derive(Debug, Clone, PartialEq)]
pub struct Translation {
    /// BCP 47 tag.
    pub language: String,
    /// The language's name in itself (`English`, `Português`).
    pub name: String,
    /// File name of that language's HTML, beside this one.
    pub href: String,
    /// This book.
    pub current: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub enum PageSize {
    #[default]
    A4,
    Letter,
    /// 148 × 210 mm, a booklet's page.
    A5,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChapterKind {
    /// The index page.
    Introduction,
    /// A page named by a button, in button order.
    Persona,
    /// A page of the collection that no button names, in path order.
    Appendix,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chapter {
    /// Slug, unique in the book: the chapter's anchor and its `--split` file stem.
    pub id: String,
    pub kind: ChapterKind,
    pub title: String,
    pub subtitle: Option<String>,
    pub summary: Option<String>,
    /// Short navigation label ("En tant que citoyen").
    pub label: Option<String>,
    /// Source page, relative to the corpus root, with `/` separators.
    pub source: String,
    /// BCP 47 tag of a page whose front matter sets a language other than the book's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    pub blocks: Vec<Block>,
    /// Bytes of the page it was read from (0: made without one), for `weight`: walking the
    /// blocks to count their text cost a stage a tenth of its time.
    #[serde(skip)]
    pub source_bytes: usize,
}

impl Chapter {
    /// What the scheduler weighs the chapter's work by in every stage: its page's bytes, else
    /// (a chapter made without a page) its blocks' text, counted.
    pub fn weight(&self) -> usize {
        match self.source_bytes {
            0 => text_bytes(&self.blocks),
            bytes => bytes,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Attr {
    pub id: Option<String>,
    pub classes: Vec<String>,
    pub attributes: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    None,
    Left,
    Center,
    Right,
}

pub type Cell = Vec<Inline>;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Block {
    Para(Vec<Inline>),
    /// Inline content not wrapped in a paragraph (tight list items, table-less text).
    Plain(Vec<Inline>),
    /// `level` as written (1–6). The page's title heading is not here: it is `Chapter::title`.
    Heading {
        level: u8,
        attr: Attr,
        content: Vec<Inline>,
    },
    BulletList(Vec<Vec<Block>>),
    OrderedList {
        start: u64,
        items: Vec<Vec<Block>>,
    },
    BlockQuote(Vec<Block>),
    /// Text shown verbatim; `lang` is the fence's info word.
    CodeBlock {
        lang: Option<String>,
        text: String,
    },
    Table {
        aligns: Vec<Align>,
        head: Vec<Cell>,
        rows: Vec<Vec<Cell>>,
    },
    ThematicBreak,
    /// Generic container from raw HTML `<div>`; an empty one with an id is an anchor.
    Div {
        attr: Attr,
        blocks: Vec<Block>,
    },
    /// kramdown's `* TOC` + `{:toc}`: the chapter's section list goes here
    /// (or nothing, where the format has its own table of contents).
    Toc,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum LinkTarget {
    /// As written in the page (URL, `#x`, `/faq/x.html`, `x.md`); the links pass replaces it.
    Source(String),
    /// `{% link path %}` / `{% post_url name %}`: a page of the corpus; the links pass replaces it.
    Page(String),
    /// An absolute URL (`https:`, `mailto:` …) left as is.
    External(String),
    /// A place in the book: the chapter's start, or an element id (already global).
    Internal {
        chapter: String,
        anchor: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Inline {
    Text(String),
    Emph(Vec<Inline>),
    Strong(Vec<Inline>),
    Strikeout(Vec<Inline>),
    Superscript(Vec<Inline>),
    Subscript(Vec<Inline>),
    Code(String),
    Link {
        target: LinkTarget,
        title: Option<String>,
        content: Vec<Inline>,
        pos: Pos,
    },
    Image {
        /// As written; the assets pass resolves it.
        src: String,
        alt: String,
        title: Option<String>,
        /// Index into `Document::assets`, set by the assets pass.
        asset: Option<usize>,
        pos: Pos,
    },
    SoftBreak,
    LineBreak,
    /// A footnote's content, at the place of its reference (writers number them per chapter).
    Note(Vec<Block>),
    /// Raw HTML `<span>`/`<a id>`; an empty one with an id is an anchor.
    Span {
        attr: Attr,
        content: Vec<Inline>,
    },
}

impl Inline {
    /// The inlines this one holds: emphasis, strong, strikeout, super- and subscript, a link's
    /// or a span's content. (A note holds blocks, not inlines: `None`.) Every walk over the
    /// tree goes through this one match.
    pub fn children(&self) -> Option<&Vec<Inline>> {
        match self {
            Inline::Emph(c)
            | Inline::Strong(c)
            | Inline::Strikeout(c)
            | Inline::Superscript(c)
            | Inline::Subscript(c)
            | Inline::Link { content: c, .. }
            | Inline::Span { content: c, .. } => Some(c),
            Inline::Text(_)
            | Inline::Code(_)
            | Inline::Image { .. }
            | Inline::SoftBreak
            | Inline::LineBreak
            | Inline::Note(_) => None,
        }
    }

    pub fn children_mut(&mut self) -> Option<&mut Vec<Inline>> {
        match self {
            Inline::Emph(c)
            | Inline::Strong(c)
            | Inline::Strikeout(c)
            | Inline::Superscript(c)
            | Inline::Subscript(c)
            | Inline::Link { content: c, .. }
            | Inline::Span { content: c, .. } => Some(c),
            Inline::Text(_)
            | Inline::Code(_)
            | Inline::Image { .. }
            | Inline::SoftBreak
            | Inline::LineBreak
            | Inline::Note(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ImageFormat {
    Png,
    Jpeg,
    Gif,
    Svg,
}

impl ImageFormat {
    pub fn media_type(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Gif => "image/gif",
            ImageFormat::Svg => "image/svg+xml",
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpg",
            ImageFormat::Gif => "gif",
            ImageFormat::Svg => "svg",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Asset {
    /// Path relative to the corpus root, `/` separators; unique in `Document::assets`.
    pub path: String,
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
    #[serde(skip)]
    pub bytes: std::sync::Arc<Vec<u8>>,
    /// SHA-256 of `bytes`, hex: shown in the IR dump instead of the bytes.
    pub sha256: String,
}

/// Where each element id of the book lives: global id → chapter id. Built by the ids pass.
pub type AnchorIndex = BTreeMap<String, String>;

impl Document {
    pub fn chapter(&self, id: &str) -> Option<&Chapter> {
        self.chapters.iter().find(|c| c.id == id)
    }
}

/// Plain text of inline content (alt text, titles, bookmarks, slugs); an image stands for its
/// alt text.
pub fn plain_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    push_plain_text(inlines, true, &mut out);
    out
}

/// Plain text without what images say: the words of the text itself (kramdown's heading ids).
pub fn plain_text_without_images(inlines: &[Inline]) -> String {
    let mut out = String::new();
    push_plain_text(inlines, false, &mut out);
    out
}

fn push_plain_text(inlines: &[Inline], alts: bool, out: &mut String) {
    for inline in inlines {
        if let Some(c) = inline.children() {
            push_plain_text(c, alts, out);
            continue;
        }
        match inline {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Image { alt, .. } if alts => out.push_str(alt),
            Inline::SoftBreak | Inline::LineBreak => out.push(' '),
            _ => {}
        }
    }
}

/// Calls `f` on every inline of `blocks`, depth first (notes, tables, nested blocks included).
/// Calls `f` on every attribute set of the blocks: headings, divs and spans, in notes too.
pub fn visit_attrs(blocks: &[Block], f: &mut dyn FnMut(&Attr)) {
    fn block_attrs(blocks: &[Block], f: &mut dyn FnMut(&Attr)) {
        for block in blocks {
            match block {
                Block::Heading { attr, .. } => f(attr),
                Block::Div { attr, blocks } => {
                    f(attr);
                    block_attrs(blocks, f);
                }
                Block::BulletList(items) | Block::OrderedList { items, .. } => {
                    items.iter().for_each(|item| block_attrs(item, f));
                }
                Block::BlockQuote(blocks) => block_attrs(blocks, f),
                _ => {}
            }
        }
    }
    block_attrs(blocks, f);
    // `visit_inlines` reaches every inline, those of notes included: spans here, and the
    // blocks of each note once.
    visit_inlines(blocks, &mut |inline| match inline {
        Inline::Span { attr, .. } => f(attr),
        Inline::Note(note) => block_attrs(note, f),
        _ => {}
    });
}

pub fn visit_inlines(blocks: &[Block], f: &mut dyn FnMut(&Inline)) {
    for block in blocks {
        match block {
            Block::Para(inlines)
            | Block::Plain(inlines)
            | Block::Heading {
                content: inlines, ..
            } => visit_inline_list(inlines, f),
            Block::BulletList(items) | Block::OrderedList { items, .. } => {
                items.iter().for_each(|item| visit_inlines(item, f));
            }
            Block::BlockQuote(blocks) | Block::Div { blocks, .. } => visit_inlines(blocks, f),
            Block::Table { head, rows, .. } => head
                .iter()
                .chain(rows.iter().flatten())
                .for_each(|cell| visit_inline_list(cell, f)),
            Block::CodeBlock { .. } | Block::ThematicBreak | Block::Toc => {}
        }
    }
}

fn visit_inline_list(inlines: &[Inline], f: &mut dyn FnMut(&Inline)) {
    for inline in inlines {
        f(inline);
        if let Some(c) = inline.children() {
            visit_inline_list(c, f);
        } else if let Inline::Note(blocks) = inline {
            visit_inlines(blocks, f);
        }
    }
}

/// Visit every inline of `blocks` in document order. When `rewrite` returns a replacement,
/// it takes the inline's place and is visited in turn (a replacement must be made of smaller
/// subtrees, e.g. a link's content, so this ends); otherwise the inline's children are visited.
pub fn rewrite_inlines(
    blocks: &mut [Block],
    rewrite: &mut dyn FnMut(&mut Inline) -> Option<Vec<Inline>>,
) {
    for block in blocks {
        match block {
            Block::Para(inlines) | Block::Plain(inlines) => rewrite_inline_list(inlines, rewrite),
            Block::Heading { content, .. } => rewrite_inline_list(content, rewrite),
            Block::BulletList(items) | Block::OrderedList { items, .. } => {
                for item in items {
                    rewrite_inlines(item, rewrite);
                }
            }
            Block::BlockQuote(inner) | Block::Div { blocks: inner, .. } => {
                rewrite_inlines(inner, rewrite)
            }
            Block::Table { head, rows, .. } => {
                for cell in head.iter_mut().chain(rows.iter_mut().flatten()) {
                    rewrite_inline_list(cell, rewrite);
                }
            }
            Block::CodeBlock { .. } | Block::ThematicBreak | Block::Toc => {}
        }
    }
}

fn rewrite_inline_list(
    list: &mut Vec<Inline>,
    rewrite: &mut dyn FnMut(&mut Inline) -> Option<Vec<Inline>>,
) {
    let mut i = 0;
    while let Some(inline) = list.get_mut(i) {
        if let Some(replacement) = rewrite(inline) {
            list.splice(i..=i, replacement);
            continue;
        }
        if let Inline::Note(blocks) = inline {
            rewrite_inlines(blocks, rewrite);
        } else if let Some(c) = inline.children_mut() {
            rewrite_inline_list(c, rewrite);
        }
        i += 1;
    }
}

/// Bytes of text in `blocks` (prose, code, alt text): what a writer will have to set.
pub fn text_bytes(blocks: &[Block]) -> usize {
    blocks.iter().map(block_text_bytes).sum()
}

pub fn block_text_bytes(block: &Block) -> usize {
    match block {
        Block::Para(c) | Block::Plain(c) | Block::Heading { content: c, .. } => {
            inline_text_bytes(c)
        }
        Block::BulletList(items) | Block::OrderedList { items, .. } => {
            items.iter().map(|i| text_bytes(i)).sum()
        }
        Block::BlockQuote(b) | Block::Div { blocks: b, .. } => text_bytes(b),
        Block::CodeBlock { text, .. } => text.len(),
        Block::Table { head, rows, .. } => head
            .iter()
            .chain(rows.iter().flatten())
            .map(|c| inline_text_bytes(c))
            .sum(),
        Block::ThematicBreak | Block::Toc => 0,
    }
}

fn inline_text_bytes(inlines: &[Inline]) -> usize {
    inlines
        .iter()
        .map(|inline| match inline {
            Inline::Text(t) | Inline::Code(t) => t.len(),
            Inline::Image { alt, .. } => alt.len(),
            Inline::Note(blocks) => text_bytes(blocks),
            Inline::SoftBreak | Inline::LineBreak => 1,
            other => other.children().map_or(0, |c| inline_text_bytes(c)),
        })
        .sum()
}

/// The image of a paragraph that holds nothing else (blank text and line breaks aside).
pub fn lone_image(inlines: &[Inline]) -> Option<&Inline> {
    let mut image = None;
    for inline in inlines {
        match inline {
            Inline::Image { .. } if image.is_none() => image = Some(inline),
            Inline::Text(t) if t.trim().is_empty() => {}
            Inline::SoftBreak | Inline::LineBreak => {}
            _ => return None,
        }
    }
    image
}

/// A paragraph that is one italic run (blank text aside): how authors caption screenshots.
pub fn emphasis_only(inlines: &[Inline]) -> bool {
    let mut kept = inlines.iter().filter(|inline| {
        !matches!(inline, Inline::Text(t) if t.trim().is_empty())
            && !matches!(inline, Inline::SoftBreak | Inline::LineBreak)
    });
    matches!((kept.next(), kept.next()), (Some(Inline::Emph(_)), None))
}

/// A list item that starts with a task box: `☐`/`☑` as the reader writes `[ ]`/`[x]`, or a
/// `☒` typed in the page. One rule for every writer.
pub fn is_task_item(item: &[Block]) -> bool {
    match item.first() {
        Some(Block::Plain(inlines) | Block::Para(inlines)) => matches!(
            inlines.first(),
            Some(Inline::Text(t)) if t.starts_with(['\u{2610}', '\u{2611}', '\u{2612}'])
        ),
        _ => false,
    }
}

/// A table's column count: its longest row (the header included).
pub fn column_count(head: &[Cell], rows: &[Vec<Cell>]) -> usize {
    rows.iter()
        .map(Vec::len)
        .chain([head.len()])
        .max()
        .unwrap_or(0)
}

/// A table as the readers make it: every row (and the header, when there is one) and the
/// alignments padded to the column count, so writers never meet a ragged row.
pub fn padded_table(
    mut aligns: Vec<Align>,
    mut head: Vec<Cell>,
    mut rows: Vec<Vec<Cell>>,
) -> Block {
    let columns = column_count(&head, &rows);
    for row in &mut rows {
        row.resize(columns, Vec::new());
    }
    if !head.is_empty() {
        head.resize(columns, Vec::new());
    }
    aligns.resize(columns, Align::None);
    Block::Table { aligns, head, rows }
}
