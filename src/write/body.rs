//! Blocks and inlines → HTML or XHTML text. Shared by the HTML and EPUB writers.
//!
//! The tree is walked with an explicit stack, not recursion, so any nesting depth renders
//! without overflowing the call stack.

use crate::ir::{
    Align, Asset, Attr, Block, Chapter, ChapterKind, Document, Inline, LinkTarget, emphasis_only,
    lone_image, plain_text,
};
use crate::markup::{escape, escape_into};

/// How a chapter's body is serialised; the two writers differ only here.
pub struct BodyStyle<'a> {
    /// XHTML (EPUB): void elements closed, XML-safe entities, `epub:type` on notes.
    pub xhtml: bool,
    /// href of a link target; `None` renders the link's content without a link.
    pub href: &'a (dyn Fn(&LinkTarget) -> Option<String> + Sync),
    /// Appends the src attribute's value, escaped, of an image asset (index into
    /// `Document::assets`): a data URI is written in place, never copied or scanned again.
    pub image_src: &'a (dyn Fn(usize, &Asset, &mut String) + Sync),
    /// Per asset (index into `Document::assets`): drawn in SVG from one embedded copy when
    /// `Some` (its size known: it is the drawing's viewBox), else an `<img>` at each use.
    /// Empty: every image is an `<img>`.
    pub shared_images: &'a [Option<SharedImage>],
}

/// An image the page embeds once, however many times it shows it: its first use draws it
/// (`<svg><image id>`), the others refer to it (`<svg><use href>`), so a screenshot shown in
/// five chapters of a self-contained page weighs its bytes once.
pub struct SharedImage {
    /// The element id of the embedded copy, unique in the page.
    pub id: String,
    /// Index in `Document::chapters` of the chapter whose first use embeds it.
    pub home: usize,
}

pub struct RenderedChapter {
    /// The chapter's blocks (without its title).
    pub body: String,
    /// The chapter's footnotes, rendered as a notes section (empty when there are none).
    pub notes: String,
}

pub fn render_chapter(doc: &Document, chapter: &Chapter, style: &BodyStyle) -> RenderedChapter {
    let mut renderer = Renderer {
        doc,
        chapter,
        style,
        notes: Vec::new(),
        link_depth: 0,
        regions: 0,
        toc_written: None,
        embedded: Default::default(),
    };
    let mut body = String::new();
    renderer.run(&mut body, block_tasks(&chapter.blocks));
    let notes = renderer.render_notes();
    RenderedChapter { body, notes }
}

/// The URL when it is safe to put in an `href`: `#fragment`, a relative reference, or an
/// absolute URL with scheme http, https, mailto, tel or ftp. Anything else (`javascript:`,
/// `data:`, `vbscript:`, a URL with control characters that browsers would strip) is refused.
pub fn safe_href(url: &str) -> Option<&str> {
    if url.is_empty() || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    match crate::url::url_scheme(url) {
        None => Some(url),
        Some(scheme) => crate::url::LINK_SCHEMES
            .contains(&scheme.as_str())
            .then_some(url),
    }
}

enum Task<'d> {
    Block(&'d Block),
    Inline(&'d Inline),
    Markup(String),
    Static(&'static str),
    /// Closes an `<a>` opened by a link and leaves link context.
    LeaveLink,
    /// A lone image, then the author's own caption: an emphasis-only paragraph.
    CaptionedImage {
        image_para: &'d Block,
        caption_para: &'d Block,
    },
}

fn block_tasks(blocks: &[Block]) -> Vec<Task<'_>> {
    let mut tasks = Vec::with_capacity(blocks.len());
    let mut rest = blocks.iter().peekable();
    while let Some(block) = rest.next() {
        if let Block::Para(inlines) = block
            && lone_image(inlines).is_some()
            && let Some(caption_para @ Block::Para(caption)) = rest.peek().copied()
            && emphasis_only(caption)
        {
            tasks.push(Task::CaptionedImage {
                image_para: block,
                caption_para,
            });
            rest.next();
            continue;
        }
        tasks.push(Task::Block(block));
    }
    tasks
}

/// `dl` for the div a kramdown definition list became (only divs of terms and definitions
/// inside), else `div`.
fn definition_list_tag(attr: &Attr, blocks: &[Block]) -> &'static str {
    let is_list = attr.classes.iter().any(|c| c == "definition-list")
        && blocks.iter().all(|b| {
            matches!(b, Block::Div { attr, .. }
                if attr.classes.iter().any(|c| c == "definition-term" || c == "definition"))
        });
    if is_list { "dl" } else { "div" }
}

/// A caption that repeats the alt text is for the eyes only: screen readers read the alt.
fn figcaption_open(repeats_alt: bool) -> &'static str {
    if repeats_alt {
        "<figcaption aria-hidden=\"true\">"
    } else {
        "<figcaption>"
    }
}

/// Same words, whatever the case and spacing: an alt text a caption already says.
pub fn says_the_same(alt: &str, caption: &str) -> bool {
    let words = |text: &str| {
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    words(alt) == words(caption)
}

fn inline_tasks(inlines: &[Inline]) -> impl Iterator<Item = Task<'_>> {
    inlines.iter().map(Task::Inline)
}

struct Renderer<'s, 'd> {
    doc: &'d Document,
    chapter: &'d Chapter,
    style: &'s BodyStyle<'s>,
    /// Note contents in reference order; note n is `notes[n - 1]`.
    notes: Vec<&'d [Block]>,
    /// Links inside links are invalid HTML: inner ones render as their content.
    link_depth: usize,
    /// Scrolling regions (code blocks, tables) so far, to name each one apart.
    regions: usize,
    /// Whether the chapter's `{:toc}` list was written (`Some(false)`: it has no heading).
    toc_written: Option<bool>,
    /// Shared images this chapter has embedded (its later uses refer to them).
    embedded: rustc_hash::FxHashSet<usize>,
}

impl<'d> Renderer<'_, 'd> {
    /// Renders `tasks` in order. Each task writes its opening markup at once and schedules its
    /// children and closing markup on the stack (pushed in reverse, popped in order).
    fn run(&mut self, out: &mut String, tasks: Vec<Task<'d>>) {
        let mut stack: Vec<Task<'d>> = tasks.into_iter().rev().collect();
        while let Some(task) = stack.pop() {
            let mut next = Vec::new();
            match task {
                Task::Block(block) => self.block(out, block, &mut next),
                Task::Inline(inline) => self.inline(out, inline, &mut next),
                Task::Markup(s) => out.push_str(&s),
                Task::Static(s) => out.push_str(s),
                Task::LeaveLink => {
                    self.link_depth = self.link_depth.saturating_sub(1);
                    out.push_str("</a>");
                }
                Task::CaptionedImage {
                    image_para,
                    caption_para,
                } => self.captioned_image(out, image_para, caption_para, &mut next),
            }
            stack.extend(next.into_iter().rev());
        }
    }

    fn void_end(&self) -> &'static str {
        if self.style.xhtml { "/>" } else { ">" }
    }

    fn block(&mut self, out: &mut String, block: &'d Block, next: &mut Vec<Task<'d>>) {
        match block {
            Block::Para(inlines) => {
                if let Some(image) = lone_image(inlines)
                    && self.figure(out, image)
                {
                    return;
                }
                out.push_str("<p>");
                next.extend(inline_tasks(inlines));
                next.push(Task::Static("</p>"));
            }
            Block::Plain(inlines) => next.extend(inline_tasks(inlines)),
            Block::Heading {
                level,
                attr,
                content,
            } => {
                // EPUB: the chapter title is its document's `<h1>`. HTML: the book's title is the
                // page's only `<h1>`, chapter titles are `<h2>`, so `##` is one level down.
                let level = if self.style.xhtml {
                    (*level).clamp(2, 6)
                } else {
                    level.saturating_add(1).clamp(3, 6)
                };
                out.push_str(&format!("<h{level}"));
                write_attr(out, attr, &[]);
                out.push('>');
                next.extend(inline_tasks(content));
                next.push(Task::Markup(format!("</h{level}>")));
            }
            Block::BulletList(items) => {
                out.push_str("<ul>");
                list_items(items, next);
                next.push(Task::Static("</ul>"));
            }
            Block::OrderedList { start, items } => {
                if *start == 1 {
                    out.push_str("<ol>");
                } else {
                    out.push_str(&format!("<ol start=\"{start}\">"));
                }
                list_items(items, next);
                next.push(Task::Static("</ol>"));
            }
            Block::BlockQuote(blocks) => {
                out.push_str("<blockquote>");
                next.extend(block_tasks(blocks));
                next.push(Task::Static("</blockquote>"));
            }
            Block::CodeBlock { lang, text } => {
                // A code block scrolls sideways: keyboard users must be able to reach it.
                out.push_str("<pre tabindex=\"0\" role=\"region\" aria-label=\"");
                let name = self.region_name(&self.doc.meta.labels.code);
                escape_into(out, &name);
                out.push_str("\"><code");
                let lang: Option<String> = lang.as_ref().map(|l| {
                    l.chars()
                        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+'))
                        .collect()
                });
                if let Some(lang) = lang.filter(|l| !l.is_empty()) {
                    out.push_str(&format!(" class=\"language-{lang}\""));
                }
                out.push('>');
                escape_into(out, text);
                out.push_str("</code></pre>");
            }
            Block::Table { aligns, head, rows } => {
                out.push_str(
                    "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"",
                );
                let name = self.region_name(&self.doc.meta.labels.table);
                escape_into(out, &name);
                out.push_str("\"><table>");
                // Ragged rows are padded: HTML tables must be rectangular.
                let width = crate::ir::column_count(head, rows);
                if !head.is_empty() {
                    next.push(Task::Static("<thead><tr>"));
                    table_cells(head, width, aligns, "th", next);
                    next.push(Task::Static("</tr></thead>"));
                }
                if !rows.is_empty() {
                    next.push(Task::Static("<tbody>"));
                    for row in rows {
                        next.push(Task::Static("<tr>"));
                        table_cells(row, width, aligns, "td", next);
                        next.push(Task::Static("</tr>"));
                    }
                    next.push(Task::Static("</tbody>"));
                }
                next.push(Task::Static("</table></div>"));
            }
            Block::ThematicBreak => {
                out.push_str("<hr");
                out.push_str(self.void_end());
            }
            Block::Div { attr, blocks } => {
                let tag = definition_list_tag(attr, blocks);
                out.push('<');
                out.push_str(tag);
                write_attr(out, attr, &[]);
                out.push('>');
                if tag == "div" {
                    next.extend(block_tasks(blocks));
                } else {
                    // Its terms and definitions are <dt> and <dd>.
                    for block in blocks {
                        if let Block::Div { attr, blocks } = block {
                            let inner = if attr.classes.iter().any(|c| c == "definition-term") {
                                "dt"
                            } else {
                                "dd"
                            };
                            next.push(Task::Markup(format!("<{inner}>")));
                            next.extend(block_tasks(blocks));
                            next.push(Task::Markup(format!("</{inner}>")));
                        }
                    }
                }
                next.push(Task::Markup(format!("</{tag}>")));
            }
            // The EPUB has its own contents (the navigation document).
            Block::Toc if self.style.xhtml => {}
            Block::Toc => self.page_toc(out),
        }
    }

    fn inline(&mut self, out: &mut String, inline: &'d Inline, next: &mut Vec<Task<'d>>) {
        match inline {
            Inline::Text(text) => escape_into(out, text),
            Inline::Emph(c) => wrap(out, next, "em", c),
            Inline::Strong(c) => wrap(out, next, "strong", c),
            Inline::Strikeout(c) => wrap(out, next, "del", c),
            Inline::Superscript(c) => wrap(out, next, "sup", c),
            Inline::Subscript(c) => wrap(out, next, "sub", c),
            Inline::Code(text) => {
                out.push_str("<code>");
                escape_into(out, text);
                out.push_str("</code>");
            }
            Inline::Link {
                target,
                title,
                content,
                pos: _,
            } => {
                let href = (self.style.href)(target);
                match href.as_deref().and_then(safe_href) {
                    Some(href) if self.link_depth == 0 => {
                        out.push_str("<a href=\"");
                        escape_into(out, href);
                        out.push('"');
                        if let Some(title) = title {
                            out.push_str(" title=\"");
                            escape_into(out, title);
                            out.push('"');
                        }
                        if !self.style.xhtml && matches!(target, LinkTarget::External(_)) {
                            out.push_str(" rel=\"noopener\"");
                        }
                        // Printed, an e-mail link shows its address when its text is not it.
                        let shown = plain_text(content);
                        if let Some(address) = href.strip_prefix("mailto:")
                            && !self.style.xhtml
                            && ![address, href].contains(&shown.trim())
                        {
                            out.push_str(" data-address=\"");
                            escape_into(out, address);
                            out.push('"');
                        }
                        out.push('>');
                        self.link_depth += 1;
                        next.extend(inline_tasks(content));
                        next.push(Task::LeaveLink);
                    }
                    _ => next.extend(inline_tasks(content)),
                }
            }
            Inline::Image {
                alt, title, asset, ..
            } => {
                if !self.image(out, alt, title.as_deref(), *asset) {
                    escape_into(out, alt);
                }
            }
            Inline::SoftBreak => out.push('\n'),
            Inline::LineBreak => {
                out.push_str("<br");
                out.push_str(self.void_end());
            }
            Inline::Note(blocks) => {
                self.notes.push(blocks);
                let n = self.notes.len();
                let chapter = escape(&self.chapter.id);
                if self.link_depth > 0 {
                    // No link inside a link: the note stays reachable from the notes list.
                    out.push_str(&format!(
                        "<sup class=\"footnote-ref\" id=\"{chapter}.fnref{n}\">{n}</sup>"
                    ));
                } else {
                    let kind = if self.style.xhtml {
                        "epub:type=\"noteref\" role=\"doc-noteref\""
                    } else {
                        "role=\"doc-noteref\""
                    };
                    out.push_str(&format!(
                        "<sup class=\"footnote-ref\"><a href=\"#{chapter}.fn{n}\" id=\"{chapter}.fnref{n}\" {kind}>{n}</a></sup>"
                    ));
                }
            }
            Inline::Span { attr, content } => {
                out.push_str("<span");
                write_attr(out, attr, &[]);
                out.push('>');
                next.extend(inline_tasks(content));
                next.push(Task::Static("</span>"));
            }
        }
    }

    /// Writes an `<img>` for a located asset (or its shared drawing); false when there is
    /// none to show.
    fn image(
        &mut self,
        out: &mut String,
        alt: &str,
        title: Option<&str>,
        asset: Option<usize>,
    ) -> bool {
        let Some((index, asset)) = asset.and_then(|i| self.doc.assets.get(i).map(|a| (i, a)))
        else {
            return false;
        };
        if let Some(shared) = self.style.shared_images.get(index).and_then(Option::as_ref) {
            self.shared_image(out, shared, (index, asset), alt, title);
            return true;
        }
        out.push_str("<img src=\"");
        (self.style.image_src)(index, asset, out);
        out.push_str("\" alt=\"");
        escape_into(out, alt);
        out.push('"');
        if let Some(title) = title {
            out.push_str(" title=\"");
            escape_into(out, title);
            out.push('"');
        }
        if asset.width > 0 && asset.height > 0 {
            out.push_str(&format!(
                " width=\"{}\" height=\"{}\"",
                asset.width, asset.height
            ));
        }
        out.push_str(self.void_end());
        true
    }

    /// An image of the page's shared ones, at its intrinsic size and scaled down like an
    /// `<img>`: named by its alt text (hidden when it has none), its title as the tooltip. The
    /// first use in its home chapter embeds the bytes; every other use refers to them.
    fn shared_image(
        &mut self,
        out: &mut String,
        shared: &SharedImage,
        (index, asset): (usize, &Asset),
        alt: &str,
        title: Option<&str>,
    ) {
        let (width, height) = (asset.width, asset.height);
        out.push_str(&format!(
            "<svg class=\"image\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" style=\"max-width:100%;height:auto\""
        ));
        if alt.trim().is_empty() {
            out.push_str(" aria-hidden=\"true\">");
        } else {
            out.push_str(" role=\"img\" aria-label=\"");
            escape_into(out, alt);
            out.push_str("\">");
        }
        if let Some(title) = title.filter(|t| !t.trim().is_empty()) {
            out.push_str("<title>");
            escape_into(out, title);
            out.push_str("</title>");
        }
        let at_home = self
            .doc
            .chapters
            .get(shared.home)
            .is_some_and(|home| std::ptr::eq(home, self.chapter));
        if at_home && self.embedded.insert(index) {
            out.push_str("<image id=\"");
            escape_into(out, &shared.id);
            out.push_str(&format!("\" width=\"{width}\" height=\"{height}\" href=\""));
            (self.style.image_src)(index, asset, out);
            out.push_str("\"/></svg>");
        } else {
            out.push_str("<use href=\"#");
            escape_into(out, &shared.id);
            out.push_str("\"/></svg>");
        }
    }

    /// The author's caption paragraph becomes the figure's caption (said once: a caption equal
    /// to the alt text is hidden from screen readers, which read the alt).
    fn captioned_image(
        &mut self,
        out: &mut String,
        image_para: &'d Block,
        caption_para: &'d Block,
        next: &mut Vec<Task<'d>>,
    ) {
        let (Block::Para(inlines), Block::Para(caption)) = (image_para, caption_para) else {
            return;
        };
        let Some(Inline::Image {
            alt, title, asset, ..
        }) = lone_image(inlines)
        else {
            return;
        };
        let mut img = String::new();
        if !self.image(&mut img, alt, title.as_deref(), *asset) {
            next.push(Task::Block(image_para));
            next.push(Task::Block(caption_para));
            return;
        }
        out.push_str("<figure>");
        out.push_str(&img);
        out.push_str(figcaption_open(says_the_same(alt, &inline_text(caption))));
        next.extend(inline_tasks(caption));
        next.push(Task::Static("</figcaption></figure>"));
    }

    /// A paragraph holding only an image becomes a figure, captioned by its title or alt text
    /// (a caption equal to the alt is hidden from screen readers: they read the alt once).
    fn figure(&mut self, out: &mut String, image: &Inline) -> bool {
        let Inline::Image {
            alt, title, asset, ..
        } = image
        else {
            return false;
        };
        let caption = title
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or(alt);
        let mut img = String::new();
        if !self.image(&mut img, alt, title.as_deref(), *asset) {
            return false;
        }
        out.push_str("<figure>");
        out.push_str(&img);
        if !caption.trim().is_empty() {
            out.push_str(figcaption_open(says_the_same(alt, caption)));
            escape_into(out, caption);
            out.push_str("</figcaption>");
        }
        out.push_str("</figure>");
        true
    }

    /// A scrolling region's accessible name, unique in the book: "Table 2 (Citizen)".
    fn region_name(&mut self, label: &str) -> String {
        self.regions += 1;
        format!("{label} {} ({})", self.regions, self.chapter.title)
    }

    /// `Block::Toc`: kramdown's `{:toc}` list: every heading of the chapter (levels 1–6, as
    /// `toc_levels` by default) but those marked `{:.no_toc}`, nested by level, linked.
    /// The list is written once, at the first marker; each later marker links to it, so a page
    /// of n markers and n headings stays linear in size and time.
    fn page_toc(&mut self, out: &mut String) {
        let id = format!("{}.toc", self.chapter.id);
        if self.toc_written == Some(false) {
            return;
        }
        if self.toc_written == Some(true) {
            out.push_str("<p class=\"page-toc-link\"><a href=\"#");
            escape_into(out, &id);
            out.push_str("\">");
            escape_into(out, &self.doc.meta.labels.contents);
            out.push_str("</a></p>");
            return;
        }
        let headings = toc_headings(&self.chapter.blocks);
        self.toc_written = Some(!headings.is_empty());
        if headings.is_empty() {
            return;
        }
        // Each heading goes under the nearest earlier heading of a smaller level.
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); headings.len() + 1];
        let mut open: Vec<usize> = Vec::new();
        for (index, (level, ..)) in headings.iter().enumerate() {
            while open.last().is_some_and(|&top| headings[top].0 >= *level) {
                open.pop();
            }
            let parent = open.last().map_or(headings.len(), |&top| top);
            children[parent].push(index);
            open.push(index);
        }
        // `.` never appears in heading ids (the ids pass replaces it), so this one is unique.
        out.push_str("<nav class=\"page-toc\" id=\"");
        escape_into(out, &id);
        out.push_str("\">");
        self.toc_list(out, &headings, &children, headings.len());
        out.push_str("</nav>");
    }

    fn toc_list(
        &self,
        out: &mut String,
        headings: &[(u8, &str, &[Inline])],
        children: &[Vec<usize>],
        parent: usize,
    ) {
        out.push_str("<ul>");
        for &index in &children[parent] {
            let (_, id, content) = headings[index];
            let target = LinkTarget::Internal {
                chapter: self.chapter.id.clone(),
                anchor: Some(id.to_string()),
            };
            let text = inline_text(content);
            out.push_str("<li>");
            match (self.style.href)(&target).as_deref().and_then(safe_href) {
                Some(href) => {
                    out.push_str("<a href=\"");
                    escape_into(out, href);
                    out.push_str("\">");
                    escape_into(out, &text);
                    out.push_str("</a>");
                }
                None => escape_into(out, &text),
            }
            if !children[index].is_empty() {
                // At most six levels deep: one per heading level.
                self.toc_list(out, headings, children, index);
            }
            out.push_str("</li>");
        }
        out.push_str("</ul>");
    }

    /// Renders the notes referenced so far, and those referenced from within notes.
    fn render_notes(&mut self) -> String {
        if self.notes.is_empty() {
            return String::new();
        }
        let chapter = escape(&self.chapter.id);
        let mut out = String::new();
        if self.style.xhtml {
            out.push_str("<section class=\"footnotes\" epub:type=\"footnotes\">");
        } else {
            out.push_str(
                "<section class=\"footnotes\" role=\"doc-endnotes\"><h2 class=\"footnotes-title\">",
            );
            escape_into(&mut out, &self.doc.meta.labels.notes);
            out.push_str("</h2><ol>");
        }
        let mut n = 0;
        // Notes inside notes are appended while rendering, hence no iterator.
        while let Some(blocks) = self.notes.get(n).copied() {
            n += 1;
            let back = format!(
                "<a href=\"#{chapter}.fnref{n}\" class=\"footnote-back\" role=\"doc-backlink\" aria-label=\"{}\">↩</a>",
                escape(&self.doc.meta.labels.back_to_text)
            );
            let mut tasks = Vec::new();
            if self.style.xhtml {
                out.push_str(&format!(
                    "<aside epub:type=\"footnote\" role=\"doc-footnote\" id=\"{chapter}.fn{n}\" class=\"footnote\">"
                ));
                tasks.push(Task::Markup(format!(
                    "<p class=\"footnote-number\"><a href=\"#{chapter}.fnref{n}\" class=\"footnote-back\" role=\"doc-backlink\">{n}</a></p>"
                )));
                tasks.extend(block_tasks(blocks));
                tasks.push(Task::Static("</aside>"));
            } else {
                out.push_str(&format!("<li id=\"{chapter}.fn{n}\">"));
                // The back link goes at the end of the last paragraph, as readers expect.
                match blocks.split_last() {
                    Some((Block::Para(inlines), rest)) => {
                        tasks.extend(block_tasks(rest));
                        tasks.push(Task::Static("<p>"));
                        tasks.extend(inline_tasks(inlines));
                        tasks.push(Task::Markup(format!(" {back}</p>")));
                    }
                    _ => {
                        tasks.extend(block_tasks(blocks));
                        tasks.push(Task::Markup(format!("<p>{back}</p>")));
                    }
                }
                tasks.push(Task::Static("</li>"));
            }
            self.link_depth = 0;
            self.run(&mut out, tasks);
        }
        out.push_str(if self.style.xhtml {
            "</section>"
        } else {
            "</ol></section>"
        });
        out
    }
}

fn wrap<'d>(out: &mut String, next: &mut Vec<Task<'d>>, tag: &'static str, content: &'d [Inline]) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    next.extend(inline_tasks(content));
    next.push(Task::Markup(format!("</{tag}>")));
}

fn list_items<'d>(items: &'d [Vec<Block>], next: &mut Vec<Task<'d>>) {
    for item in items {
        // A task item shows its box (☐/☑, set by the reader) instead of a bullet.
        next.push(Task::Static(if crate::ir::is_task_item(item) {
            "<li class=\"task\">"
        } else {
            "<li>"
        }));
        next.extend(block_tasks(item));
        next.push(Task::Static("</li>"));
    }
}

fn table_cells<'d>(
    cells: &'d [Vec<Inline>],
    width: usize,
    aligns: &[Align],
    tag: &str,
    next: &mut Vec<Task<'d>>,
) {
    for i in 0..width {
        let class = match aligns.get(i).copied().unwrap_or(Align::None) {
            Align::None => "",
            Align::Left => " class=\"align-left\"",
            Align::Center => " class=\"align-center\"",
            Align::Right => " class=\"align-right\"",
        };
        next.push(Task::Markup(format!("<{tag}{class}>")));
        if let Some(cell) = cells.get(i) {
            next.extend(inline_tasks(cell));
        }
        next.push(Task::Markup(format!("</{tag}>")));
    }
}

/// Only these attributes pass from `Attr` to the output: no event handlers, no `style`.
fn write_attr(out: &mut String, attr: &Attr, extra_classes: &[&str]) {
    if let Some(id) = attr.id.as_deref().filter(|id| is_valid_id(id)) {
        out.push_str(" id=\"");
        escape_into(out, id);
        out.push('"');
    }
    let classes: Vec<&str> = attr
        .classes
        .iter()
        .map(String::as_str)
        .chain(extra_classes.iter().copied())
        .filter(|c| !c.is_empty() && !c.chars().any(char::is_whitespace))
        .collect();
    if !classes.is_empty() {
        out.push_str(" class=\"");
        escape_into(out, &classes.join(" "));
        out.push('"');
    }
    for (name, value) in &attr.attributes {
        let name = name.to_ascii_lowercase();
        let allowed = match name.as_str() {
            "title" => true,
            "lang" => {
                !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            }
            "dir" => matches!(value.as_str(), "ltr" | "rtl" | "auto"),
            _ => false,
        };
        if allowed {
            out.push(' ');
            out.push_str(&name);
            out.push_str("=\"");
            escape_into(out, value);
            out.push('"');
        }
    }
}

fn valid_id(attr: &Attr) -> Option<&str> {
    attr.id.as_deref().filter(|id| is_valid_id(id))
}

/// HTML ids: non-empty, no whitespace.
fn is_valid_id(id: &str) -> bool {
    !id.is_empty() && !id.chars().any(char::is_whitespace)
}

/// Level-2 headings with an id, at the top level of `blocks` or inside `Div`s.
/// Headings a `{:toc}` lists, in order: level, id, content. Those inside lists, quotes and
/// divs count (kramdown lists every heading of the page); `no_toc` ones do not.
fn toc_headings(blocks: &[Block]) -> Vec<(u8, &str, &[Inline])> {
    let mut found = Vec::new();
    let mut stack: Vec<&Block> = blocks.iter().rev().collect();
    while let Some(block) = stack.pop() {
        match block {
            Block::Heading {
                level,
                attr,
                content,
            } => {
                let listed = !attr.classes.iter().any(|c| c == "no_toc");
                if let Some(id) = attr.id.as_deref().filter(|id| is_valid_id(id))
                    && listed
                {
                    found.push((*level, id, content.as_slice()));
                }
            }
            Block::Div { blocks, .. } | Block::BlockQuote(blocks) => {
                stack.extend(blocks.iter().rev())
            }
            Block::BulletList(items) | Block::OrderedList { items, .. } => {
                stack.extend(items.iter().rev().flat_map(|item| item.iter().rev()));
            }
            _ => {}
        }
    }
    found
}

pub fn level2_headings(blocks: &[Block]) -> Vec<(&str, &[Inline])> {
    let mut found = Vec::new();
    let mut stack: Vec<&Block> = blocks.iter().rev().collect();
    while let Some(block) = stack.pop() {
        match block {
            Block::Heading {
                level: 2,
                attr,
                content,
            } => {
                if let Some(id) = attr.id.as_deref().filter(|id| is_valid_id(id)) {
                    found.push((id, content.as_slice()));
                }
            }
            Block::Div { blocks, .. } => stack.extend(blocks.iter().rev()),
            _ => {}
        }
    }
    found
}

/// The element ids that `render_chapter` writes for `blocks` (footnote ids aside), in order.
pub fn element_ids(blocks: &[Block]) -> Vec<&str> {
    ids_and_images(blocks).0
}

/// `element_ids`, and the assets (indices into `Document::assets`) of every image use, in
/// order: one walk for both.
pub fn ids_and_images(blocks: &[Block]) -> (Vec<&str>, Vec<usize>) {
    enum Node<'d> {
        Block(&'d Block),
        Inline(&'d Inline),
    }
    let mut ids = Vec::new();
    let mut images = Vec::new();
    let mut stack: Vec<Node> = blocks.iter().rev().map(Node::Block).collect();
    while let Some(node) = stack.pop() {
        let mut children: Vec<Node> = Vec::new();
        match node {
            Node::Block(block) => match block {
                Block::Para(c) | Block::Plain(c) => children.extend(c.iter().map(Node::Inline)),
                Block::Heading { attr, content, .. } => {
                    ids.extend(valid_id(attr));
                    children.extend(content.iter().map(Node::Inline));
                }
                Block::BulletList(items) | Block::OrderedList { items, .. } => {
                    children.extend(items.iter().flatten().map(Node::Block));
                }
                Block::BlockQuote(c) => children.extend(c.iter().map(Node::Block)),
                Block::Div { attr, blocks } => {
                    ids.extend(valid_id(attr));
                    children.extend(blocks.iter().map(Node::Block));
                }
                Block::Table { head, rows, .. } => {
                    children.extend(
                        head.iter()
                            .chain(rows.iter().flatten())
                            .flatten()
                            .map(Node::Inline),
                    );
                }
                Block::CodeBlock { .. } | Block::ThematicBreak | Block::Toc => {}
            },
            Node::Inline(inline) => match inline {
                Inline::Span { attr, content } => {
                    ids.extend(valid_id(attr));
                    children.extend(content.iter().map(Node::Inline));
                }
                Inline::Note(blocks) => children.extend(blocks.iter().map(Node::Block)),
                Inline::Image {
                    asset: Some(asset), ..
                } => images.push(*asset),
                other => children.extend(other.children().into_iter().flatten().map(Node::Inline)),
            },
        }
        stack.extend(children.into_iter().rev());
    }
    (ids, images)
}

/// Plain text of inline content, without recursion (notes left out).
pub fn inline_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    let mut stack: Vec<&Inline> = inlines.iter().rev().collect();
    while let Some(inline) = stack.pop() {
        match inline {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Image { alt, .. } => out.push_str(alt),
            Inline::SoftBreak | Inline::LineBreak => out.push(' '),
            other => stack.extend(other.children().into_iter().flatten().rev()),
        }
    }
    out
}

/// What a chapter's header prints: nothing the book's title block already shows just above
/// it (the introduction usually repeats the book's title, subtitle and summary), and a summary
/// equal to the subtitle once.
pub(crate) struct ChapterHeader<'d> {
    pub show_title: bool,
    pub subtitle: Option<&'d str>,
    pub summary: Option<&'d str>,
}

impl<'d> ChapterHeader<'d> {
    pub(crate) fn of(doc: &'d Document, chapter: &'d Chapter) -> Self {
        let first = chapter.kind == ChapterKind::Introduction
            && doc.chapters.first().is_some_and(|c| c.id == chapter.id);
        let repeats = |own: Option<&str>, book: Option<&str>| first && own.is_some() && own == book;
        let subtitle = chapter.subtitle.as_deref();
        let summary = chapter.summary.as_deref();
        ChapterHeader {
            show_title: !(first && chapter.title == doc.meta.title),
            subtitle: subtitle.filter(|_| !repeats(subtitle, doc.meta.subtitle.as_deref())),
            summary: summary
                .filter(|s| !repeats(summary, doc.meta.summary.as_deref()) && Some(*s) != subtitle),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{ChapterKind, ImageFormat, Meta, Pos};
    use std::sync::Arc;

    fn text(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    fn doc_with(blocks: Vec<Block>) -> Document {
        Document {
            meta: Meta {
                name: "t".into(),
                title: "T".into(),
                ..Default::default()
            },
            chapters: vec![Chapter {
                id: "ch".into(),
                kind: ChapterKind::Persona,
                title: "Ch".into(),
                subtitle: None,
                summary: None,
                label: None,
                source: "_faq/ch.md".into(),
                lang: None,
                blocks,
                source_bytes: 0,
            }],
            assets: vec![Asset {
                path: "img/a.png".into(),
                format: ImageFormat::Png,
                width: 4,
                height: 3,
                bytes: Arc::new(vec![1, 2, 3]),
                sha256: String::new(),
            }],
        }
    }

    fn href(target: &LinkTarget) -> Option<String> {
        match target {
            LinkTarget::External(url) => Some(url.clone()),
            LinkTarget::Internal { chapter, anchor } => {
                Some(format!("#{}", anchor.as_deref().unwrap_or(chapter)))
            }
            LinkTarget::Source(_) | LinkTarget::Page(_) => None,
        }
    }

    fn render(doc: &Document, xhtml: bool) -> RenderedChapter {
        let image_src =
            |i: usize, _: &Asset, out: &mut String| out.push_str(&format!("img{i}.png"));
        let style = BodyStyle {
            xhtml,
            href: &href,
            image_src: &image_src,
            shared_images: &[],
        };
        render_chapter(doc, &doc.chapters[0], &style)
    }

    fn link(target: LinkTarget, content: &str) -> Inline {
        Inline::Link {
            target,
            title: None,
            content: vec![text(content)],
            pos: Pos::default(),
        }
    }

    #[test]
    fn escapes_text_and_drops_unsafe_attributes_and_urls() {
        let attr = Attr {
            id: Some("x".into()),
            classes: vec!["c".into()],
            attributes: vec![
                ("onclick".into(), "alert(1)".into()),
                ("style".into(), "color:red".into()),
                ("title".into(), "a\"b".into()),
                ("lang".into(), "en\" onload=\"x".into()),
            ],
        };
        let doc = doc_with(vec![Block::Div {
            attr,
            blocks: vec![Block::Para(vec![
                text("<script>alert('x')</script> & co"),
                link(LinkTarget::External("javascript:alert(1)".into()), "js"),
                link(LinkTarget::External("JaVa\tscript:alert(1)".into()), "tab"),
                link(
                    LinkTarget::External("https://example.org/?a=1&b=2".into()),
                    "ok",
                ),
            ])],
        }]);
        let body = render(&doc, false).body;
        assert!(!body.contains("<script"), "{body}");
        assert!(
            !body.contains("onclick") && !body.contains("onload"),
            "{body}"
        );
        assert!(!body.contains("style="), "{body}");
        assert!(!body.to_lowercase().contains("javascript"), "{body}");
        assert!(body.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
        assert!(
            body.contains(r#"<div id="x" class="c" title="a&quot;b">"#),
            "{body}"
        );
        assert!(
            body.contains(r#"<a href="https://example.org/?a=1&amp;b=2" rel="noopener">ok</a>"#)
        );
        // The refused links keep their text, without a link.
        assert!(body.contains("jstab<a "), "{body}");
        assert_eq!(body.matches("<a ").count(), 1, "{body}");
    }

    #[test]
    fn safe_href_accepts_only_known_schemes() {
        for ok in [
            "#a",
            "x.html",
            "https://a.b",
            "MAILTO:a@b",
            "tel:+33",
            "ftp://x",
            "a/b:c",
        ] {
            assert_eq!(safe_href(ok), Some(ok), "{ok}");
        }
        for bad in [
            "javascript:x",
            "data:text/html,x",
            "vbscript:x",
            " javascript:x",
            "java\nscript:x",
            "",
        ] {
            assert_eq!(safe_href(bad), None, "{bad}");
        }
    }

    #[test]
    fn xhtml_mode_closes_void_elements_and_marks_notes() {
        let doc = doc_with(vec![
            Block::Para(vec![
                text("a"),
                Inline::LineBreak,
                Inline::Note(vec![Block::Para(vec![text("note")])]),
            ]),
            Block::ThematicBreak,
            Block::Para(vec![Inline::Image {
                src: "/img/a.png".into(),
                alt: "Alt".into(),
                title: None,
                asset: Some(0),
                pos: Pos::default(),
            }]),
        ]);
        let out = render(&doc, true);
        assert!(
            out.body.contains("<br/>") && out.body.contains("<hr/>"),
            "{}",
            out.body
        );
        assert!(out.body.contains(r#"<figure><img src="img0.png" alt="Alt" width="4" height="3"/><figcaption aria-hidden="true">Alt</figcaption></figure>"#), "{}", out.body);
        assert!(
            out.body.contains(
                r##"<a href="#ch.fn1" id="ch.fnref1" epub:type="noteref" role="doc-noteref">1</a>"##
            ),
            "{}",
            out.body
        );
        assert!(
            out.notes
                .contains(r#"<aside epub:type="footnote" role="doc-footnote" id="ch.fn1""#),
            "{}",
            out.notes
        );
        assert!(out.notes.contains(r##"href="#ch.fnref1""##));
        let xml = format!(
            r#"<root xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">{}{}</root>"#,
            out.body, out.notes
        );
        roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    }

    #[test]
    fn ragged_table_rows_are_padded() {
        let doc = doc_with(vec![Block::Table {
            aligns: vec![Align::Right],
            head: vec![vec![text("a")]],
            rows: vec![
                vec![vec![text("1")], vec![text("2")], vec![text("3")]],
                vec![],
            ],
        }]);
        let body = render(&doc, false).body;
        assert_eq!(
            body,
            "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"Tableau 1 (Ch)\"><table><thead><tr><th class=\"align-right\">a</th><th></th><th></th></tr></thead>\
             <tbody><tr><td class=\"align-right\">1</td><td>2</td><td>3</td></tr>\
             <tr><td class=\"align-right\"></td><td></td><td></td></tr></tbody></table></div>"
        );
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let depth = 10_000;
        let mut block = Block::Para(vec![text("deep")]);
        let mut inline = text("deeper");
        for _ in 0..depth {
            block = Block::BlockQuote(vec![block]);
            inline = Inline::Emph(vec![inline]);
        }
        let doc = doc_with(vec![block, Block::Para(vec![inline])]);
        let out = render(&doc, false);
        assert_eq!(out.body.matches("<blockquote>").count(), depth);
        assert_eq!(out.body.matches("</em>").count(), depth);
        // The derived drop glue recurses; leak the tree rather than test std's stack.
        std::mem::forget(doc);
    }
}
