//! pulldown-cmark events → IR blocks. One explicit stack of frames (no recursion over the
//! input), so any nesting depth is safe; past `MAX_DEPTH` content is flattened.

use super::kramdown::{self, DivMark};
use super::liquid::{BlockIal, Ial, Prepared};
use super::raw_html::{
    self, HtmlToken, InlineElement, InlineOpen, Where, anchors_only, dangerous_scheme,
    finish_inline, link_target, push_inline, trim_inlines,
};
use super::{MAX_DEPTH, Reporter};
use crate::ir::{Align, Attr, Block, Cell, Inline, LinkTarget, Pos, plain_text};
use pulldown_cmark::{Alignment, CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};
use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;

/// Classes of the divs a definition list becomes (the HTML writer shows `<dl>`, `<dt>`, `<dd>`).
pub(crate) const DEFINITION_LIST_CLASS: &str = "definition-list";
pub(crate) const DEFINITION_TERM_CLASS: &str = "definition-term";
pub(crate) const DEFINITION_CLASS: &str = "definition";

/// Marks a footnote reference until the definitions are all known.
const FOOTNOTE_KEY: &str = "\u{0}footnote";

pub(crate) fn read_markdown(body: &str, prepared: &Prepared, rep: &mut Reporter) -> Vec<Block> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_DEFINITION_LIST;
    let mut without_extensions = prepared.text.clone();
    let extensions = kramdown::take_extensions(body, &mut without_extensions);
    let (text, escapes_added) = close_code_spans_as_kramdown(&without_extensions);
    // About one event per 12 bytes of Markdown: reserved once instead of regrown (and copied)
    // a dozen times on a big page.
    let mut events: Vec<(Event, Range<usize>)> = Vec::with_capacity(text.len() / 12);
    events.extend(Parser::new_ext(&text, options).into_offset_iter());
    let mut builder = Builder {
        src: &text,
        escapes_added: &escapes_added,
        body,
        prepared,
        line_starts: std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', body.as_bytes()).map(|i| i + 1))
            .collect(),
        last_column: std::cell::Cell::new((usize::MAX, 0, 0)),
        rep,
        stack: vec![Frame::Blocks {
            kind: BlockKind::Root,
            blocks: Vec::new(),
            pending: Vec::new(),
        }],
        opened: Vec::new(),
        footnotes: BTreeMap::new(),
        ials: prepared.block_ials.iter().cloned().collect(),
        last_para_end: 0,
        last_list_end: 0,
        last_item_code_end: usize::MAX,
        last_code_end: 0,
        html_divs: extensions.html_divs.into_iter().collect(),
    };
    for index in 0..events.len() {
        builder.event(&events, index);
    }
    let mut blocks = builder.finish();
    kramdown::apply_abbreviations(&mut blocks, &extensions.abbreviations);
    blocks
}

enum BlockKind {
    Root,
    Quote,
    /// `first_para_end`: where the item's first block ended when it is a paragraph (kramdown
    /// decides from the lines after it whether the item's text is wrapped in `<p>`).
    Item {
        first_para_end: Option<usize>,
    },
    Footnote(String),
    /// A definition list, term or definition: a div with its class.
    Definition(Attr),
    /// A `<div>` opened by one HTML block and closed by a later one.
    HtmlDiv {
        tag: String,
        attr: Attr,
    },
}

enum InlineKind {
    Para,
    Heading {
        level: u8,
        attr: Attr,
    },
    Emph,
    Strong,
    Strikeout,
    Superscript,
    Subscript,
    /// `None`: a dangerous URL, the content stays as text.
    Link {
        target: Option<LinkTarget>,
        title: Option<String>,
        pos: Pos,
        /// `<mailto:x@y.fr>`: kramdown shows the address alone.
        email_autolink: bool,
    },
    /// `None`: a dangerous URL, the image goes.
    Image {
        src: Option<String>,
        title: Option<String>,
        pos: Pos,
    },
    Cell,
    Html(InlineElement),
}

enum Frame {
    /// A container of blocks; `pending` holds inline content not yet in a block (tight items).
    Blocks {
        kind: BlockKind,
        blocks: Vec<Block>,
        pending: Vec<Inline>,
    },
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
        /// Per item, where its first block ended when it is a paragraph.
        para_ends: Vec<Option<usize>>,
        /// Only whitespace from the previous list's end to here: a bullet change may go on
        /// with that list.
        follows_a_list: bool,
        /// Right under a fence that went into the previous list's last item: the same list.
        follows_its_code: bool,
    },
    Inlines {
        kind: InlineKind,
        content: Vec<Inline>,
    },
    Code {
        lang: Option<String>,
        text: String,
        /// A fence right under a list's last line: kramdown puts it in the last item.
        into_last_item: bool,
    },
    Table {
        aligns: Vec<Align>,
        head: Vec<Cell>,
        rows: Vec<Vec<Cell>>,
        row: Vec<Cell>,
    },
    /// A block of raw HTML being collected.
    Html { text: String, offset: usize },
    /// An inline raw HTML element removed with its content (`<script>` …).
    Dropped { tag: String },
}

impl Frame {
    /// Frames opened by raw HTML tags rather than by Markdown structure.
    fn opened_by_html(&self) -> bool {
        matches!(
            self,
            Frame::Dropped { .. }
                | Frame::Inlines {
                    kind: InlineKind::Html(_),
                    ..
                }
                | Frame::Blocks {
                    kind: BlockKind::HtmlDiv { .. },
                    ..
                }
        )
    }

    fn is_block_container(&self) -> bool {
        match self {
            Frame::Blocks { kind, .. } => !matches!(kind, BlockKind::Root | BlockKind::Item { .. }),
            Frame::List { .. } => true,
            _ => false,
        }
    }
}

/// What a Start event did, so that its End does the matching thing.
#[derive(Clone, Copy, PartialEq)]
enum Opened {
    Frame,
    /// Past the depth cap: the content goes into the enclosing frame.
    Flattened,
    /// Table head and rows: tracked inside the table frame.
    TablePart,
}

struct Builder<'s, 'r, 'd> {
    /// The pre-passed text that pulldown-cmark parses.
    src: &'s str,
    /// Offsets in `src` of the bytes `close_code_spans_as_kramdown` added, in order.
    escapes_added: &'s [usize],
    /// End of the last paragraph closed.
    last_para_end: usize,
    /// End of the last list closed.
    last_list_end: usize,
    /// End of the last fenced code block that went into a list item (`usize::MAX`: none).
    last_item_code_end: usize,
    /// End of the last code block.
    last_code_end: usize,
    /// `markdown="1"` elements still to open or close (offsets in `src`).
    html_divs: VecDeque<DivMark>,
    /// The page body, for positions.
    body: &'s str,
    prepared: &'s Prepared,
    line_starts: Vec<usize>,
    /// `(line, body offset, characters from the line start)` of the last `locate`: positions
    /// come in order, so a column is counted on from there, not from the line start (a page
    /// that is one line with 100,000 links would otherwise take quadratic time).
    last_column: std::cell::Cell<(usize, usize, usize)>,
    rep: &'r mut Reporter<'d>,
    stack: Vec<Frame>,
    opened: Vec<Opened>,
    footnotes: BTreeMap<String, Vec<Block>>,
    ials: VecDeque<BlockIal>,
}

impl Builder<'_, '_, '_> {
    /// Body line (0-based) and column (1-based, characters) of a byte offset of `src`.
    fn locate(&self, offset: usize) -> Where {
        let offset = offset - self.escapes_added.partition_point(|&added| added < offset);
        let offset = self.prepared.body_offset(offset).min(self.body.len());
        let line = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        let line_start = self.line_starts.get(line).copied().unwrap_or(0);
        let (last_line, last_offset, last_chars) = self.last_column.get();
        let from_last = (last_line == line && last_offset <= offset)
            .then(|| self.body.get(last_offset..offset))
            .flatten()
            .map(|s| last_chars + s.chars().count());
        let chars = from_last.unwrap_or_else(|| {
            self.body
                .get(line_start..offset)
                .map_or(0, |s| s.chars().count())
        });
        self.last_column.set((line, offset, chars));
        let col = u32::try_from(chars + 1).unwrap_or(u32::MAX);
        Where {
            line,
            col,
            pos: Pos {
                line: self.rep.file_line(line),
                col,
            },
        }
    }

    /// Lists, quotes, footnotes and divs open (list items and the page itself not counted).
    fn block_depth(&self) -> usize {
        self.stack.iter().filter(|f| f.is_block_container()).count()
    }

    fn inline_depth(&self) -> usize {
        self.stack
            .iter()
            .filter(|f| matches!(f, Frame::Inlines { .. }))
            .count()
    }

    fn event(&mut self, events: &[(Event, Range<usize>)], index: usize) {
        let Some((event, range)) = events.get(index) else {
            return;
        };
        if !matches!(event, Event::End(_)) {
            self.html_divs_before(range.start);
        }
        match event {
            // An IAL line inside a container that ends here (`> {: .x}` in a quote) applies
            // to the container's last block.
            Event::End(TagEnd::BlockQuote(_) | TagEnd::Item | TagEnd::FootnoteDefinition) => {
                if matches!(self.stack.last(), Some(Frame::Blocks { .. })) {
                    self.apply_ials_before(range.end, true);
                }
            }
            Event::End(TagEnd::Paragraph) => self.last_para_end = range.end,
            Event::End(TagEnd::List(_)) => self.last_list_end = range.end,
            Event::End(TagEnd::CodeBlock) => self.last_code_end = range.end,
            Event::End(_) => {}
            _ => self.apply_ials_before(range.start, false),
        }
        match event {
            Event::Start(tag) => {
                let opened = self.start(tag, range.start);
                // An item or quote past the depth cap opens in its parent's text: end that
                // text first, so the two never glue together (`niveau 99niveau 100`).
                if matches!(opened, Opened::Flattened)
                    && matches!(tag, Tag::Item | Tag::BlockQuote(_) | Tag::List(_))
                {
                    self.flush_flattened();
                }
                self.opened.push(opened);
            }
            Event::End(tag) => {
                let opened = self.opened.pop().unwrap_or(Opened::Flattened);
                self.end(tag, opened);
            }
            Event::Text(text) => {
                self.warn_undefined_footnote(events, index);
                self.push_inline(Inline::Text(String::from(&**text)));
            }
            // `String::from`, not `to_string`: a `CowStr` has no fast path past `Display`.
            Event::Code(code) => self.push_inline(Inline::Code(String::from(&**code))),
            Event::InlineMath(text) | Event::DisplayMath(text) => {
                self.push_inline(Inline::Text(String::from(&**text)));
            }
            Event::Html(html) => match self.stack.last_mut() {
                Some(Frame::Html { text, .. }) => text.push_str(html),
                _ => self.block_html(html, range.start),
            },
            Event::InlineHtml(html) => self.inline_html(html, range.start),
            Event::FootnoteReference(label) => self.push_inline(Inline::Span {
                attr: Attr {
                    id: None,
                    classes: Vec::new(),
                    attributes: vec![(FOOTNOTE_KEY.to_string(), label.to_string())],
                },
                content: Vec::new(),
            }),
            Event::SoftBreak => self.push_inline(Inline::SoftBreak),
            Event::HardBreak => {
                // `A \\` (kramdown's break, rewritten): the space is not the author's text.
                if let Some(
                    Frame::Inlines { content, .. }
                    | Frame::Blocks {
                        pending: content, ..
                    },
                ) = self.stack.last_mut()
                    && let Some(Inline::Text(text)) = content.last_mut()
                {
                    let kept = text.trim_end_matches(' ').len();
                    text.truncate(kept);
                }
                self.push_inline(Inline::LineBreak);
            }
            Event::Rule => self.push_block(Block::ThematicBreak),
            Event::TaskListMarker(checked) => {
                let marker = if *checked { "☑ " } else { "☐ " };
                self.push_inline(Inline::Text(marker.to_string()));
            }
        }
    }

    /// pulldown-cmark leaves `[^x]` without a definition as the texts `[`, `^x`, `]`.
    fn warn_undefined_footnote(&mut self, events: &[(Event, Range<usize>)], index: usize) {
        let Some((Event::Text(open), range)) = events.get(index) else {
            return;
        };
        if open.as_ref() != "[" || self.src.get(range.clone()) != Some("[") {
            return;
        }
        let (Some((Event::Text(label), _)), Some((Event::Text(close), _))) =
            (events.get(index + 1), events.get(index + 2))
        else {
            return;
        };
        if label.len() > 1 && label.starts_with('^') && close.as_ref() == "]" {
            let at = self.locate(range.start);
            self.rep.warning(
                at.line,
                at.col,
                format!("footnote `[{label}]` has no definition"),
                Some(&format!("add a line `[{label}]: …` to the page")),
            );
        }
    }

    fn push_frame(&mut self, frame: Frame) -> Opened {
        self.stack.push(frame);
        Opened::Frame
    }

    fn start(&mut self, tag: &Tag, offset: usize) -> Opened {
        let inline = |kind| Frame::Inlines {
            kind,
            content: Vec::new(),
        };
        match tag {
            Tag::Paragraph => self.push_frame(inline(InlineKind::Para)),
            Tag::Heading {
                level,
                id,
                classes,
                attrs,
            } => {
                let at = self.locate(offset);
                let pairs: Vec<(String, String)> = attrs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.as_deref().unwrap_or("").to_string()))
                    .collect();
                let mut attr = raw_html::safe_attr("h", &pairs, self.rep, at);
                attr.id = id.as_ref().map(|id| id.to_string());
                if let Some(id) = &attr.id {
                    self.rep.id_written(id, at);
                }
                attr.classes
                    .splice(0..0, classes.iter().map(|c| c.to_string()));
                let level = *level as u8;
                self.push_frame(inline(InlineKind::Heading { level, attr }))
            }
            Tag::BlockQuote(_) | Tag::List(_) | Tag::FootnoteDefinition(_)
                if self.block_depth() >= MAX_DEPTH =>
            {
                let at = self.locate(offset);
                self.rep.depth_exceeded(at.line, at.col);
                Opened::Flattened
            }
            Tag::BlockQuote(_) => self.push_frame(Frame::Blocks {
                kind: BlockKind::Quote,
                blocks: Vec::new(),
                pending: Vec::new(),
            }),
            Tag::List(start) => self.push_frame(Frame::List {
                start: *start,
                items: Vec::new(),
                para_ends: Vec::new(),
                follows_a_list: self
                    .src
                    .get(self.last_list_end..offset)
                    .is_some_and(|gap| gap.trim().is_empty()),
                follows_its_code: self.last_item_code_end <= offset
                    && !blank_line_after(self.src, self.last_item_code_end),
            }),
            Tag::Item => {
                if matches!(self.stack.last(), Some(Frame::List { .. })) {
                    self.push_frame(Frame::Blocks {
                        kind: BlockKind::Item {
                            first_para_end: None,
                        },
                        blocks: Vec::new(),
                        pending: Vec::new(),
                    })
                } else {
                    Opened::Flattened
                }
            }
            Tag::FootnoteDefinition(label) => self.push_frame(Frame::Blocks {
                kind: BlockKind::Footnote(label.to_string()),
                blocks: Vec::new(),
                pending: Vec::new(),
            }),
            Tag::CodeBlock(kind) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info
                        .split(|c: char| c.is_whitespace() || c == '{' || c == ',')
                        .next()
                        .filter(|word| !word.is_empty())
                        .map(str::to_string),
                    CodeBlockKind::Indented => None,
                };
                let into_last_item = matches!(kind, CodeBlockKind::Fenced(_))
                    && self.last_list_end > 0
                    && !blank_line_after(self.src, self.last_list_end)
                    && matches!(
                        self.stack.last(),
                        Some(Frame::Blocks { blocks, pending, .. })
                            if pending.is_empty()
                                && matches!(blocks.last(), Some(Block::BulletList(_) | Block::OrderedList { .. }))
                    );
                self.push_frame(Frame::Code {
                    lang,
                    text: String::new(),
                    into_last_item,
                })
            }
            Tag::HtmlBlock => self.push_frame(Frame::Html {
                text: String::new(),
                offset,
            }),
            Tag::Table(aligns) => self.push_frame(Frame::Table {
                aligns: aligns
                    .iter()
                    .map(|a| match a {
                        Alignment::None => Align::None,
                        Alignment::Left => Align::Left,
                        Alignment::Center => Align::Center,
                        Alignment::Right => Align::Right,
                    })
                    .collect(),
                head: Vec::new(),
                rows: Vec::new(),
                row: Vec::new(),
            }),
            Tag::TableHead | Tag::TableRow => Opened::TablePart,
            Tag::TableCell => self.push_frame(inline(InlineKind::Cell)),
            _ if self.inline_depth() >= MAX_DEPTH => {
                let at = self.locate(offset);
                self.rep.depth_exceeded(at.line, at.col);
                Opened::Flattened
            }
            Tag::Emphasis => self.push_frame(inline(InlineKind::Emph)),
            Tag::Strong => self.push_frame(inline(InlineKind::Strong)),
            Tag::Strikethrough => self.push_frame(inline(InlineKind::Strikeout)),
            Tag::Superscript => self.push_frame(inline(InlineKind::Superscript)),
            Tag::Subscript => self.push_frame(inline(InlineKind::Subscript)),
            Tag::Link {
                link_type,
                dest_url,
                title,
                ..
            } => {
                let at = self.locate(offset);
                let email_autolink = matches!(link_type, LinkType::Email | LinkType::Autolink)
                    && dest_url
                        .get(..7)
                        .is_some_and(|s| s.eq_ignore_ascii_case("mailto:"));
                let url = if *link_type == LinkType::Email && !dest_url.starts_with("mailto:") {
                    format!("mailto:{dest_url}")
                } else {
                    dest_url.to_string()
                };
                let target = match dangerous_scheme(&url) {
                    Some(scheme) => {
                        raw_html::warn_url(self.rep, at, scheme, "link");
                        None
                    }
                    None => Some(link_target(&url)),
                };
                let title = Some(title.to_string()).filter(|t| !t.is_empty());
                self.push_frame(inline(InlineKind::Link {
                    target,
                    title,
                    pos: at.pos,
                    email_autolink,
                }))
            }
            Tag::Image {
                dest_url, title, ..
            } => {
                let at = self.locate(offset);
                let src = match dangerous_scheme(dest_url) {
                    Some(scheme) => {
                        raw_html::warn_url(self.rep, at, scheme, "image");
                        None
                    }
                    None => Some(raw_html::image_source(dest_url)),
                };
                let title = Some(title.to_string()).filter(|t| !t.is_empty());
                self.push_frame(inline(InlineKind::Image {
                    src,
                    title,
                    pos: at.pos,
                }))
            }
            // kramdown's `term` / `: definition`: divs the writers know (the IR has no
            // definition list; HTML shows <dl>, other formats a term line and its text).
            Tag::DefinitionList | Tag::DefinitionListTitle | Tag::DefinitionListDefinition
                if self.block_depth() >= MAX_DEPTH =>
            {
                let at = self.locate(offset);
                self.rep.depth_exceeded(at.line, at.col);
                Opened::Flattened
            }
            Tag::DefinitionList | Tag::DefinitionListTitle | Tag::DefinitionListDefinition => {
                let class = match tag {
                    Tag::DefinitionList => DEFINITION_LIST_CLASS,
                    Tag::DefinitionListTitle => DEFINITION_TERM_CLASS,
                    _ => DEFINITION_CLASS,
                };
                self.push_frame(Frame::Blocks {
                    kind: BlockKind::Definition(Attr {
                        classes: vec![class.to_string()],
                        ..Attr::default()
                    }),
                    blocks: Vec::new(),
                    pending: Vec::new(),
                })
            }
            Tag::MetadataBlock(_) => Opened::Flattened,
        }
    }

    fn end(&mut self, tag: &TagEnd, opened: Opened) {
        match opened {
            Opened::Flattened => {
                // Keep flattened items and quotes apart from each other.
                if matches!(tag, TagEnd::Item | TagEnd::BlockQuote(_) | TagEnd::List(_)) {
                    self.flush_flattened();
                }
            }
            Opened::TablePart => {
                if let Some(Frame::Table {
                    head, rows, row, ..
                }) = self.stack.last_mut()
                {
                    let cells = std::mem::take(row);
                    if matches!(tag, TagEnd::TableHead) {
                        *head = cells;
                    } else {
                        rows.push(cells);
                    }
                }
            }
            Opened::Frame => {
                // Raw HTML elements left open inside this Markdown element close with it.
                while self.stack.last().is_some_and(Frame::opened_by_html) {
                    self.close_top();
                }
                self.close_top();
            }
        }
    }

    /// Pop the top frame and give its result to the frame below.
    fn close_top(&mut self) {
        if self.stack.len() <= 1 {
            return;
        }
        let Some(frame) = self.stack.pop() else {
            return;
        };
        match frame {
            Frame::Blocks {
                kind,
                mut blocks,
                pending,
            } => {
                blocks.extend(raw_html::plain_blocks(pending));
                match kind {
                    BlockKind::Root => {}
                    BlockKind::Quote => self.push_block(Block::BlockQuote(blocks)),
                    BlockKind::Item { first_para_end } => match self.stack.last_mut() {
                        Some(Frame::List {
                            items, para_ends, ..
                        }) => {
                            items.push(blocks);
                            para_ends.push(first_para_end);
                        }
                        _ => blocks.into_iter().for_each(|b| self.push_block(b)),
                    },
                    BlockKind::Footnote(label) => {
                        self.footnotes.insert(label, blocks);
                    }
                    BlockKind::HtmlDiv { attr, .. } | BlockKind::Definition(attr) => {
                        self.push_block(Block::Div { attr, blocks })
                    }
                }
            }
            Frame::List {
                start,
                mut items,
                para_ends,
                follows_a_list,
                follows_its_code,
            } => {
                unwrap_tight_items(self.src, &mut items, &para_ends);
                // kramdown goes on with the same list when the bullet changes (`-` then `*`);
                // CommonMark starts another one.
                if let Some(Frame::Blocks {
                    blocks, pending, ..
                }) = self.stack.last_mut()
                    && pending.is_empty()
                {
                    match blocks.last_mut() {
                        Some(Block::BulletList(previous))
                            if start.is_none() && (follows_a_list || follows_its_code) =>
                        {
                            previous.extend(items);
                            return;
                        }
                        Some(Block::OrderedList {
                            items: previous, ..
                        }) if start.is_some() && follows_its_code => {
                            previous.extend(items);
                            return;
                        }
                        _ => {}
                    }
                }
                self.push_block(match start {
                    Some(start) => Block::OrderedList { start, items },
                    None => Block::BulletList(items),
                });
            }
            Frame::Inlines { kind, mut content } => self.close_inlines(kind, &mut content),
            Frame::Code {
                lang,
                text,
                into_last_item: true,
            } => {
                let text = text.strip_suffix('\n').unwrap_or(&text).to_string();
                let block = Block::CodeBlock { lang, text };
                if let Some(Frame::Blocks { blocks, .. }) = self.stack.last_mut()
                    && let Some(Block::BulletList(items) | Block::OrderedList { items, .. }) =
                        blocks.last_mut()
                    && let Some(item) = items.last_mut()
                {
                    item.push(block);
                    self.last_item_code_end = self.last_code_end;
                } else {
                    self.push_block(block);
                }
            }
            Frame::Code { lang, text, .. } => {
                let text = text.strip_suffix('\n').unwrap_or(&text).to_string();
                self.push_block(Block::CodeBlock { lang, text });
            }
            Frame::Table {
                aligns, head, rows, ..
            } => self.push_block(crate::ir::padded_table(aligns, head, rows)),
            Frame::Html { text, offset } => self.block_html(&text, offset),
            Frame::Dropped { .. } => {}
        }
    }

    fn close_inlines(&mut self, kind: InlineKind, content: &mut Vec<Inline>) {
        let content = std::mem::take(content);
        let inline = match kind {
            InlineKind::Para => {
                let mut content = content;
                trim_inlines(&mut content);
                if let Some(anchors) = anchors_only(&content) {
                    anchors.into_iter().for_each(|b| self.push_block(b));
                } else if !content.is_empty() {
                    self.push_block(Block::Para(content));
                }
                return;
            }
            InlineKind::Heading { level, attr } => {
                let mut content = content;
                trim_inlines(&mut content);
                self.push_block(Block::Heading {
                    level,
                    attr,
                    content,
                });
                return;
            }
            InlineKind::Cell => {
                let mut content = content;
                trim_inlines(&mut content);
                if let Some(Frame::Table { row, .. }) = self.stack.last_mut() {
                    row.push(content);
                }
                return;
            }
            InlineKind::Emph => Inline::Emph(content),
            InlineKind::Strong => Inline::Strong(content),
            InlineKind::Strikeout => Inline::Strikeout(content),
            InlineKind::Superscript => Inline::Superscript(content),
            InlineKind::Subscript => Inline::Subscript(content),
            InlineKind::Link {
                target,
                title,
                pos,
                email_autolink,
            } => match target {
                Some(target) => Inline::Link {
                    target,
                    title,
                    content: if email_autolink {
                        without_mailto(content)
                    } else {
                        content
                    },
                    pos,
                },
                None => {
                    content.into_iter().for_each(|i| self.push_inline(i));
                    return;
                }
            },
            InlineKind::Image { src, title, pos } => match src {
                Some(src) => Inline::Image {
                    src,
                    alt: plain_text(&content),
                    title,
                    asset: None,
                    pos,
                },
                None => return,
            },
            InlineKind::Html(element) => {
                for inline in finish_inline(element, content) {
                    self.push_inline(inline);
                }
                return;
            }
        };
        self.push_inline(inline);
    }

    fn flush_pending(&mut self) {
        if let Some(Frame::Blocks {
            blocks, pending, ..
        }) = self.stack.last_mut()
        {
            blocks.extend(raw_html::plain_blocks(std::mem::take(pending)));
        }
    }

    /// Pending text of flattened content as paragraphs: unlike `Plain`, every writer keeps
    /// two paragraphs apart.
    fn flush_flattened(&mut self) {
        if let Some(Frame::Blocks {
            blocks, pending, ..
        }) = self.stack.last_mut()
        {
            let flushed = raw_html::plain_blocks(std::mem::take(pending));
            blocks.extend(flushed.into_iter().map(|block| match block {
                Block::Plain(inlines) => Block::Para(inlines),
                other => other,
            }));
        }
    }

    fn push_block(&mut self, block: Block) {
        let last_para_end = self.last_para_end;
        match self.stack.last_mut() {
            Some(Frame::Blocks {
                kind,
                blocks,
                pending,
            }) => {
                if let BlockKind::Item { first_para_end } = kind
                    && blocks.is_empty()
                    && pending.is_empty()
                    && matches!(block, Block::Para(_))
                {
                    *first_para_end = Some(last_para_end);
                }
                blocks.extend(raw_html::plain_blocks(std::mem::take(pending)));
                blocks.push(block);
            }
            Some(Frame::List { items, .. }) => match items.last_mut() {
                Some(item) => item.push(block),
                None => items.push(vec![block]),
            },
            Some(Frame::Inlines { .. }) => {
                // Only raw HTML can put a block here: keep its text in the flow.
                let text = block_text(&block);
                if !text.is_empty() {
                    self.push_inline(Inline::Text(text));
                }
            }
            Some(Frame::Code { .. } | Frame::Table { .. } | Frame::Html { .. })
            | Some(Frame::Dropped { .. })
            | None => {}
        }
    }

    fn push_inline(&mut self, inline: Inline) {
        match self.stack.last_mut() {
            Some(Frame::Blocks { pending, .. }) => push_inline(pending, inline),
            Some(Frame::Inlines { content, .. }) => push_inline(content, inline),
            Some(Frame::Code { text, .. }) => text.push_str(&plain_text(&[inline])),
            Some(Frame::List { .. }) => self.push_block(Block::Plain(vec![inline])),
            Some(Frame::Table { .. } | Frame::Html { .. } | Frame::Dropped { .. }) | None => {}
        }
    }

    /// Inline raw HTML: one tag (or comment) per event.
    fn inline_html(&mut self, html: &str, offset: usize) {
        let at = self.locate(offset);
        let tokens = raw_html::tokenize(html);
        for token in tokens {
            if let Some(Frame::Dropped { tag }) = self.stack.last() {
                if matches!(&token, HtmlToken::Close { name } if name == tag) {
                    self.stack.pop();
                }
                continue;
            }
            match token {
                HtmlToken::Open {
                    name,
                    attrs,
                    self_closing,
                } => match raw_html::open_inline(&name, &attrs, self.rep, at) {
                    InlineOpen::Container(element) => {
                        if self_closing {
                            for inline in finish_inline(element, Vec::new()) {
                                self.push_inline(inline);
                            }
                        } else if self.inline_depth() >= MAX_DEPTH {
                            self.rep.depth_exceeded(at.line, at.col);
                        } else {
                            self.stack.push(Frame::Inlines {
                                kind: InlineKind::Html(element),
                                content: Vec::new(),
                            });
                        }
                    }
                    InlineOpen::Leaf(inlines) => {
                        inlines.into_iter().for_each(|i| self.push_inline(i));
                    }
                    InlineOpen::Drop => {
                        if !self_closing && !raw_html::is_void_dropped(&name) {
                            self.stack.push(Frame::Dropped { tag: name });
                        }
                    }
                    InlineOpen::Nothing => {}
                },
                HtmlToken::Close { name } => {
                    // Close the matching element, looking only through raw HTML frames.
                    let mut found = None;
                    for (index, frame) in self.stack.iter().enumerate().rev() {
                        match frame {
                            Frame::Inlines {
                                kind: InlineKind::Html(element),
                                ..
                            } if element.tag == name => {
                                found = Some(index);
                                break;
                            }
                            Frame::Inlines {
                                kind: InlineKind::Html(_),
                                ..
                            } => {}
                            _ => break,
                        }
                    }
                    if let Some(index) = found {
                        while self.stack.len() > index {
                            self.close_top();
                        }
                    }
                }
                HtmlToken::Text(text) => self.push_inline(Inline::Text(text)),
                HtmlToken::Ignored => {}
            }
        }
    }

    /// A block of raw HTML. A lone opening `<div …>` (kramdown style, Markdown inside) opens a
    /// frame that a later lone `</div>` closes; anything else is parsed as a whole.
    fn block_html(&mut self, html: &str, offset: usize) {
        let at = self.locate(offset);
        let tokens: Vec<HtmlToken> = raw_html::tokenize(html)
            .into_iter()
            .filter(|t| !matches!(t, HtmlToken::Text(text) if text.trim().is_empty()))
            .filter(|t| *t != HtmlToken::Ignored)
            .collect();
        if tokens.is_empty() {
            return;
        }
        let is_div = |name: &str| raw_html::DIV_ELEMENTS.contains(&name) && name != "li";
        let all_opens = tokens.iter().all(
            |t| matches!(t, HtmlToken::Open { name, self_closing: false, .. } if is_div(name)),
        );
        if all_opens {
            for token in tokens {
                if let HtmlToken::Open { name, attrs, .. } = token {
                    if self.block_depth() >= MAX_DEPTH {
                        self.rep.depth_exceeded(at.line, at.col);
                        continue;
                    }
                    let attr = raw_html::safe_attr(&name, &attrs, self.rep, at);
                    self.stack.push(Frame::Blocks {
                        kind: BlockKind::HtmlDiv { tag: name, attr },
                        blocks: Vec::new(),
                        pending: Vec::new(),
                    });
                }
            }
            return;
        }
        let all_closes = tokens
            .iter()
            .all(|t| matches!(t, HtmlToken::Close { name } if is_div(name)));
        if all_closes {
            for token in tokens {
                let HtmlToken::Close { name } = token else {
                    continue;
                };
                let open = matches!(
                    self.stack.last(),
                    Some(Frame::Blocks { kind: BlockKind::HtmlDiv { tag, .. }, .. }) if *tag == name
                );
                if open {
                    self.close_top();
                }
            }
            return;
        }
        let depth = self.block_depth();
        if depth + raw_html::nesting_of(&tokens) > MAX_DEPTH {
            // html5ever's cost grows with the square of the depth: never hand it such a tree.
            self.rep.depth_exceeded(at.line, at.col);
            let text = raw_html::text_of(&tokens, self.rep, at);
            raw_html::plain_blocks(vec![Inline::Text(text)])
                .into_iter()
                .for_each(|b| self.push_block(b));
            return;
        }
        let blocks = raw_html::html_to_blocks(html, self.rep, at, depth);
        blocks.into_iter().for_each(|b| self.push_block(b));
    }

    /// Apply the block IALs found before `offset` to the block they follow (only the indented
    /// or quoted ones when `nested_only`: those belong inside the container that ends).
    fn apply_ials_before(&mut self, offset: usize, nested_only: bool) {
        while self
            .ials
            .front()
            .is_some_and(|ial| ial.offset < offset && (ial.nested || !nested_only))
        {
            let Some(BlockIal { offset, ial, .. }) = self.ials.pop_front() else {
                return;
            };
            // The pre-pass blanked the IAL's line, so its offset maps to the line's end: the
            // IAL stands alone on its line, point at the line.
            let at = Where {
                col: 1,
                ..self.locate(offset)
            };
            self.flush_pending();
            let target = match self.stack.last_mut() {
                Some(Frame::Blocks { blocks, .. }) => blocks.last_mut(),
                Some(Frame::List { items, .. }) => items.last_mut().and_then(|i| i.last_mut()),
                _ => None,
            };
            if let Some(block) = target {
                apply_ial(block, ial, self.rep, at);
            }
        }
    }

    /// Open and close the `markdown="1"` elements whose lines come before `offset`.
    fn html_divs_before(&mut self, offset: usize) {
        let offset = offset - self.escapes_added.partition_point(|&added| added < offset);
        while self.html_divs.front().is_some_and(|m| m.offset() < offset) {
            let Some(mark) = self.html_divs.pop_front() else {
                return;
            };
            match mark {
                DivMark::Open { offset, tag, attrs } => {
                    let at = self.locate(offset);
                    if self.block_depth() >= MAX_DEPTH {
                        self.rep.depth_exceeded(at.line, at.col);
                        continue;
                    }
                    let attr = raw_html::safe_attr(&tag, &attrs, self.rep, at);
                    self.flush_pending();
                    self.stack.push(Frame::Blocks {
                        kind: BlockKind::HtmlDiv { tag, attr },
                        blocks: Vec::new(),
                        pending: Vec::new(),
                    });
                }
                DivMark::Close { .. } => {
                    if matches!(
                        self.stack.last(),
                        Some(Frame::Blocks {
                            kind: BlockKind::HtmlDiv { .. },
                            ..
                        })
                    ) {
                        self.close_top();
                    }
                }
            }
        }
    }

    fn finish(mut self) -> Vec<Block> {
        self.html_divs_before(usize::MAX);
        self.apply_ials_before(usize::MAX, false);
        while self.stack.len() > 1 {
            self.close_top();
        }
        self.flush_pending();
        let blocks = match self.stack.pop() {
            Some(Frame::Blocks { blocks, .. }) => blocks,
            _ => Vec::new(),
        };
        let mut blocks = blocks;
        let notes = std::mem::take(&mut self.footnotes);
        let mut expanding = Vec::new();
        resolve_notes_in_blocks(&mut blocks, &notes, &mut expanding);
        blocks
    }
}

/// The text of `<mailto:x@y.fr>`: the address, as kramdown shows it.
fn without_mailto(mut content: Vec<Inline>) -> Vec<Inline> {
    if let [Inline::Text(text)] = content.as_mut_slice()
        && text
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("mailto:"))
    {
        text.drain(..7);
    }
    content
}

/// kramdown wraps a list item's first paragraph in `<p>` only when a blank line follows it
/// inside the item; the last item also when an earlier one was wrapped (kramdown's list
/// parser). pulldown-cmark wraps every item of a loose list: unwrap the others.
fn unwrap_tight_items(src: &str, items: &mut [Vec<Block>], para_ends: &[Option<usize>]) {
    let count = items.len();
    for index in 0..count {
        let Some(Some(end)) = para_ends.get(index) else {
            continue;
        };
        let is_last = index + 1 == count;
        let has_more = items[index].len() > 1;
        let blank_after = blank_line_after(src, *end);
        let unwrapped_by_itself = !blank_after || (is_last && !has_more);
        let earlier_unwrapped = items[..index]
            .iter()
            .any(|item| !matches!(item.first(), Some(Block::Para(_))));
        if unwrapped_by_itself
            && (!is_last || count == 1 || earlier_unwrapped)
            && let Some(first) = items[index].first_mut()
            && let Block::Para(content) = first
        {
            *first = Block::Plain(std::mem::take(content));
        }
    }
}

/// Whether a blank line follows the text that ends near `end` (quote markers count as blank).
fn blank_line_after(src: &str, end: usize) -> bool {
    let end = end.min(src.len());
    let Some(before) = src.get(..end) else {
        return false;
    };
    let last_text = before.trim_end_matches([' ', '\t', '\r', '\n', '>']).len();
    let mut newlines = 0;
    for c in src[last_text..].chars() {
        match c {
            '\n' => newlines += 1,
            ' ' | '\t' | '\r' | '>' => {}
            _ => break,
        }
        if newlines >= 2 {
            return true;
        }
    }
    false
}

/// kramdown's rewrites of the text before CommonMark reads it: `^` lines, `\\` breaks, and
/// code spans closed the kramdown way: a span opened by n backticks ends at the first n
/// backticks in a row, even inside a longer run (`` `a`` `` is `a` and one backtick), where
/// CommonMark wants a run of exactly n. Such a longer run is rewritten as n backticks and
/// escaped ones. Returns the text and where bytes were added. Fenced code is skipped.
fn close_code_spans_as_kramdown(text: &str) -> (std::borrow::Cow<'_, str>, Vec<usize>) {
    if !text.contains("``") && !text.contains("\\\\\n") && !text.contains("\n^") {
        return (std::borrow::Cow::Borrowed(text), Vec::new());
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut added = Vec::new();
    let mut fence: Option<(u8, usize)> = None;
    let mut paragraph = String::new();
    let flush = |paragraph: &mut String, out: &mut String, added: &mut Vec<usize>| {
        rewrite_spans(paragraph, out, added);
        paragraph.clear();
    };
    for line in super::lines_inclusive(text) {
        let bare = line.trim_start_matches([' ', '\t', '>', '-', '*', '+']);
        let run_char = bare.bytes().next().filter(|b| *b == b'`' || *b == b'~');
        let run = run_char.map_or(0, |c| bare.bytes().take_while(|b| *b == c).count());
        match (fence, run_char) {
            (Some((c, n)), Some(rc)) if rc == c && run >= n && bare[run..].trim().is_empty() => {
                fence = None;
                out.push_str(line);
            }
            (Some(_), _) => out.push_str(line),
            (None, Some(c)) if run >= 3 => {
                flush(&mut paragraph, &mut out, &mut added);
                fence = Some((c, run));
                out.push_str(line);
            }
            _ if line.trim().is_empty() => {
                flush(&mut paragraph, &mut out, &mut added);
                out.push_str(line);
            }
            // kramdown's end-of-block marker ends a list or a paragraph: an empty HTML comment
            // does that in CommonMark (six bytes added, the last stands for the `^`).
            _ if line.trim_end() == "^" => {
                flush(&mut paragraph, &mut out, &mut added);
                added.extend(out.len()..out.len() + 6);
                out.push_str("<!---->");
                out.push_str(&line[1..]);
            }
            _ => paragraph.push_str(&kramdown_line_break(line)),
        }
    }
    flush(&mut paragraph, &mut out, &mut added);
    (std::borrow::Cow::Owned(out), added)
}

/// kramdown's `\\` at the end of a line is a line break; CommonMark reads an escaped
/// backslash there. A space instead of the first backslash leaves CommonMark's own break
/// (`\` at the end of a line), with every offset in place.
fn kramdown_line_break(line: &str) -> std::borrow::Cow<'_, str> {
    let body = line.trim_end_matches(['\n', '\r']);
    match body.strip_suffix("\\\\") {
        Some(before) if !before.ends_with('\\') => {
            let mut fixed = String::with_capacity(line.len());
            fixed.push_str(before);
            fixed.push_str(" \\");
            fixed.push_str(&line[body.len()..]);
            std::borrow::Cow::Owned(fixed)
        }
        _ => std::borrow::Cow::Borrowed(line),
    }
}

fn rewrite_spans(text: &str, out: &mut String, added: &mut Vec<usize>) {
    let bytes = text.as_bytes();
    let run_at = |i: usize| bytes[i..].iter().take_while(|&&b| b == b'`').count();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'`' => {
                let open = run_at(i);
                let mut j = i + open;
                let mut close = None;
                while j < bytes.len() {
                    if bytes[j] == b'`' {
                        let run = run_at(j);
                        if run >= open {
                            close = Some((j, run));
                            break;
                        }
                        j += run;
                    } else {
                        j += 1;
                    }
                }
                match close {
                    Some((at, run)) if run > open => {
                        out.push_str(&text[copied..at + open]);
                        for _ in open..run {
                            added.push(out.len());
                            out.push_str("\\`");
                        }
                        copied = at + run;
                        i = at + run;
                    }
                    Some((at, run)) => i = at + run,
                    None => i += open,
                }
            }
            _ => i += 1,
        }
    }
    out.push_str(&text[copied..]);
}

fn block_text(block: &Block) -> String {
    match block {
        Block::Para(inlines) | Block::Plain(inlines) => plain_text(inlines),
        Block::Heading { content, .. } => plain_text(content),
        Block::CodeBlock { text, .. } => text.clone(),
        _ => String::new(),
    }
}

/// A block IAL on the block before it: `#id` and classes go to a heading or div; a list
/// `* TOC` with `{:toc}` becomes `Block::Toc`; other blocks are wrapped in a div carrying them.
fn apply_ial(block: &mut Block, ial: Ial, rep: &mut Reporter, at: Where) {
    let is_toc_list = match &*block {
        Block::BulletList(items) | Block::OrderedList { items, .. } => {
            items.len() == 1
                && matches!(items[0].as_slice(), [Block::Plain(c) | Block::Para(c)] if plain_text(c).trim() == "TOC")
        }
        _ => false,
    };
    if is_toc_list && (ial.toc || ial.classes.iter().any(|c| c == "toc")) {
        *block = Block::Toc;
        return;
    }
    let safe = raw_html::safe_attr("ial", &ial.attributes, rep, at);
    let mut classes = ial.classes;
    classes.extend(safe.classes);
    let attributes = safe.attributes;
    if let Some(id) = &ial.id {
        rep.id_written(id, at);
    }
    let id = ial.id.or(safe.id);
    if id.is_none() && classes.is_empty() && attributes.is_empty() {
        return;
    }
    match block {
        Block::Heading { attr, .. } | Block::Div { attr, .. } => {
            if id.is_some() {
                attr.id = id;
            }
            attr.classes.extend(classes);
            attr.attributes.extend(attributes);
        }
        Block::Toc => {}
        other => {
            let inner = std::mem::replace(other, Block::ThematicBreak);
            *other = Block::Div {
                attr: Attr {
                    id,
                    classes,
                    attributes,
                },
                blocks: vec![inner],
            };
        }
    }
}

fn resolve_notes_in_blocks(
    blocks: &mut [Block],
    notes: &BTreeMap<String, Vec<Block>>,
    expanding: &mut Vec<String>,
) {
    for block in blocks {
        match block {
            Block::Para(inlines) | Block::Plain(inlines) => {
                resolve_notes_in_inlines(inlines, notes, expanding);
            }
            Block::Heading { content, .. } => resolve_notes_in_inlines(content, notes, expanding),
            Block::BulletList(items) | Block::OrderedList { items, .. } => {
                for item in items {
                    resolve_notes_in_blocks(item, notes, expanding);
                }
            }
            Block::BlockQuote(blocks) | Block::Div { blocks, .. } => {
                resolve_notes_in_blocks(blocks, notes, expanding);
            }
            Block::Table { head, rows, .. } => {
                for cell in head.iter_mut().chain(rows.iter_mut().flatten()) {
                    resolve_notes_in_inlines(cell, notes, expanding);
                }
            }
            Block::CodeBlock { .. } | Block::ThematicBreak | Block::Toc => {}
        }
    }
}

fn footnote_label(inline: &Inline) -> Option<&str> {
    match inline {
        Inline::Span { attr, content } if content.is_empty() => attr
            .attributes
            .iter()
            .find(|(k, _)| k == FOOTNOTE_KEY)
            .map(|(_, v)| v.as_str()),
        _ => None,
    }
}

fn resolve_notes_in_inlines(
    inlines: &mut [Inline],
    notes: &BTreeMap<String, Vec<Block>>,
    expanding: &mut Vec<String>,
) {
    for inline in inlines {
        if let Some(label) = footnote_label(inline).map(str::to_string) {
            *inline = match notes.get(&label) {
                Some(blocks) if !expanding.contains(&label) => {
                    let mut blocks = blocks.clone();
                    expanding.push(label);
                    resolve_notes_in_blocks(&mut blocks, notes, expanding);
                    expanding.pop();
                    Inline::Note(blocks)
                }
                _ => Inline::Text(format!("[^{label}]")),
            };
            continue;
        }
        if let Inline::Note(blocks) = inline {
            resolve_notes_in_blocks(blocks, notes, expanding);
        } else if let Some(c) = inline.children_mut() {
            resolve_notes_in_inlines(c, notes, expanding);
        }
    }
}
