//! IR → genpdf elements, the page decorator (running header, footer) and one layout pass.

use super::elements::{
    Align, AnchorPoint, BreakMode, CodeBlock, Dest, Event, Grid, Heading, ImageBox, LINK_COLOR,
    ListItem, Mark, NeedSpace, PT, Para, Quote, Recorder, RepeatingHeadTable, Rule, Run, RunStyle,
    Shared, Spacer, TableCell, TocLine, line_box, mm, style_of, val,
};
use super::fonts::{self, Families, FontSet, family_has_glyph};
use super::hyphenate::Hyphenation;
use crate::diag::{Diagnostics, Error, Result};
use crate::ir::{Block, Chapter, Document, ImageFormat, Inline, LinkTarget, PageSize, plain_text};
use genpdf::elements::{LinearLayout, PageBreak, TableLayout};
use genpdf::error::Error as PdfError;
use genpdf::fonts::FontCache;
use genpdf::render::Area;
use genpdf::style::{Color, Style};
use genpdf::{Context, Element, Margins, PageDecorator, Position};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

pub const BODY: u8 = 10;
const SMALL: u8 = 9;
const CODE: u8 = 8;
/// Page margins in mm: top, right, bottom, left.
const MARGINS: (f64, f64, f64, f64) = (24.0, 28.0, 24.0, 28.0);
/// Natural image resolution: an image is never set larger than this.
const IMAGE_DPI: f64 = 150.0;

pub fn page_size_mm(size: PageSize) -> (f64, f64) {
    match size {
        PageSize::A4 => (210.0, 297.0),
        PageSize::Letter => (215.9, 279.4),
    }
}

pub fn text_width(size: PageSize) -> f64 {
    page_size_mm(size).0 - MARGINS.1 - MARGINS.3
}

/// What an earlier pass learnt about pages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PassInfo {
    pub total_pages: usize,
    /// Anchor → 0-based page.
    pub anchor_pages: BTreeMap<String, usize>,
    /// (0-based first page, chapter title), in book order.
    pub chapter_starts: Vec<(usize, String)>,
}

/// A PDF outline entry: a chapter with its `##` sections.
#[derive(Debug, Clone, PartialEq)]
pub struct OutlineEntry {
    pub title: String,
    pub anchor: String,
    pub children: Vec<OutlineEntry>,
}

pub struct Pass {
    pub bytes: Vec<u8>,
    pub events: Vec<Event>,
    pub info: PassInfo,
    pub outline: Vec<OutlineEntry>,
}

/// The book's words: the table every writer reads (`crate::labels`).
type Labels = crate::labels::Labels;

fn labels(meta: &crate::ir::Meta) -> Labels {
    meta.labels.clone()
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

fn section_key(chapter: &str, n: usize) -> String {
    format!("livret-sec-{chapter}-{n}")
}

fn note_key(chapter: &str, n: usize) -> String {
    format!("livret-fn-{chapter}-{n}")
}

fn note_ref_key(chapter: &str, n: usize) -> String {
    format!("livret-fnref-{chapter}-{n}")
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

/// The running header and footer; also tells the recorder which page is being laid out.
struct Pages {
    rec: Shared,
    page: usize,
    book_title: String,
    /// Header title of each page (from the previous pass).
    headers: Vec<String>,
    total: Option<usize>,
    fams: Families,
}

impl PageDecorator for Pages {
    fn decorate_page<'a>(
        &mut self,
        ctx: &Context,
        mut area: Area<'a>,
        _style: Style,
    ) -> Result<Area<'a>, PdfError> {
        let idx = self.page;
        self.page += 1;
        let (t, r, b, l) = MARGINS;
        let page = area.clone();
        let page_height = val(page.size().height);
        area.add_margins(Margins::trbl(mm(t), mm(r), mm(b), mm(l)));
        self.rec.borrow_mut().page = idx;
        self.rec.borrow_mut().body_height = val(area.size().height);
        if idx == 0 {
            return Ok(area);
        }
        let width = val(area.size().width);
        let small = RunStyle {
            italic: true,
            color: Some((90, 90, 90)),
            ..RunStyle::body(8)
        };
        let style = style_of(&self.fams, &small);
        let chapter = self.headers.get(idx).map(String::as_str).unwrap_or("");
        let mut header = if chapter.is_empty() || chapter == self.book_title {
            self.book_title.clone()
        } else {
            format!("{} · {}", self.book_title, chapter)
        };
        while val(style.str_width(&ctx.font_cache, &header)) > width && header.chars().count() > 4 {
            header.pop();
            header.pop();
            header.push('…');
        }
        super::elements::print_at(ctx, &area, 0.0, -7.0, style, &header)?;
        area.draw_line(
            vec![
                Position::new(mm(0.0), mm(-5.0)),
                Position::new(mm(width), mm(-5.0)),
            ],
            Style::new().with_color(Color::Greyscale(180)),
        );
        let footer = match self.total {
            Some(n) => format!("{} / {}", idx + 1, n),
            None => format!("{} / {}", idx + 1, idx + 1),
        };
        let plain = style_of(&self.fams, &RunStyle::body(8));
        let fw = val(plain.str_width(&ctx.font_cache, &footer));
        // Printed on the whole page: genpdf refuses text below the body area.
        super::elements::print_at(
            ctx,
            &page,
            l + (width - fw) / 2.0,
            page_height - b + 12.0,
            plain,
            &footer,
        )?;
        Ok(area)
    }
}

struct Builder<'a> {
    doc: &'a Document,
    fonts: &'a FontSet,
    fams: Families,
    cache: &'a FontCache,
    hyph: Option<Rc<Hyphenation>>,
    rec: Shared,
    diags: &'a mut Diagnostics,
    info: Option<&'a PassInfo>,
    labels: Labels,
    width: f64,
    glyphs: HashMap<(bool, char), bool>,
    warned: BTreeSet<char>,
    warned_assets: BTreeSet<usize>,
    fallback: char,
    next_link: usize,
    chapter: Option<&'a Chapter>,
    notes: Vec<Vec<Block>>,
    section_count: usize,
    list_depth: usize,
    /// Lists and quotes the current block sits in (each moves the text right).
    indent_depth: usize,
    figures: Vec<Inline>,
}

impl<'a> Builder<'a> {
    fn source(&self) -> String {
        self.chapter.map(|c| c.source.clone()).unwrap_or_default()
    }

    fn covered(&mut self, mono: bool, c: char) -> bool {
        let fams = self.fams;
        let cache = self.cache;
        *self.glyphs.entry((mono, c)).or_insert_with(|| {
            let family = if mono { fams.mono } else { fams.serif };
            family_has_glyph(cache, &family, c)
        })
    }

    /// Text the fonts can print: invisible characters dropped, emoji the fonts lack left out
    /// (decoration: a `�` in a heading helps no reader), other missing glyphs replaced (one
    /// warning per character for the whole book).
    fn clean(&mut self, text: &str, mono: bool) -> String {
        let mut out = String::with_capacity(text.len());
        let mut after_dropped_emoji = false;
        for c in text.chars() {
            let dropped_before = std::mem::take(&mut after_dropped_emoji);
            if c == ' ' && dropped_before && out.chars().last().is_none_or(char::is_whitespace) {
                // "💡 Trois idées" → "Trois idées", not " Trois idées".
                continue;
            }
            match c {
                '\u{ad}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' => {
                    continue;
                }
                '\u{fe0f}' | '\u{fe0e}' => continue,
                '\t' | '\r' => {
                    out.push(' ');
                    continue;
                }
                c if c.is_control() && c != '\n' => continue,
                _ => {}
            }
            if c == ' ' || c == '\n' || self.covered(mono, c) {
                out.push(c);
            } else if c.is_whitespace() {
                // A space the font lacks: a no-break space keeps the words together.
                out.push(if self.covered(mono, '\u{a0}') {
                    '\u{a0}'
                } else {
                    ' '
                });
            } else if let Some(text) = ascii_stand_in(c) {
                out.push_str(text);
            } else if is_pictograph(c) {
                after_dropped_emoji = true;
                self.warn_missing_glyph(c, "emoji", "left out".into());
            } else {
                out.push(self.fallback);
                let printed = format!("printed as '{}'", self.fallback);
                self.warn_missing_glyph(c, "character", printed);
            }
        }
        out
    }

    /// One warning per character for the whole book. Outside a chapter (title page, contents)
    /// the same text comes again in its chapter, where the warning can name its source page.
    fn warn_missing_glyph(&mut self, c: char, what: &str, outcome: String) {
        if self.chapter.is_none() || !self.warned.insert(c) {
            return;
        }
        let source = self.source();
        let chapter = self.chapter.map(|c| c.title.clone()).unwrap_or_default();
        self.diags
            .warning(
                source,
                0,
                0,
                format!(
                    "PDF: {what} '{c}' (U+{:04X}) in chapter «{chapter}» has no glyph in the PDF fonts; {outcome}",
                    c as u32
                ),
            )
            .with_hint(format!(
                "the PDF embeds {}; HTML and EPUB keep it",
                self.fonts.describe()
            ));
    }

    fn link_id(&mut self) -> usize {
        self.next_link += 1;
        self.next_link
    }

    fn para(&self, runs: Vec<Run>, align: Align, size: u8) -> Para {
        Para::new(
            runs,
            align,
            size,
            self.fams,
            self.hyph.clone(),
            self.rec.clone(),
        )
    }

    fn spacer(&self, height: f64) -> Spacer {
        Spacer {
            height,
            force: false,
            rec: self.rec.clone(),
        }
    }

    fn text_runs(
        &mut self,
        text: &str,
        style: RunStyle,
        link: &Option<(usize, Dest)>,
        mode: BreakMode,
        out: &mut Vec<Run>,
    ) {
        let text = self.clean(text, style.mono);
        // Bare URLs, e-mail addresses and paths in prose break like URLs, never hyphenated.
        let mut current = String::new();
        let mut current_mode = None;
        for (k, piece) in text.split(' ').enumerate() {
            let piece_mode = if mode == BreakMode::Prose
                && (piece.contains("://")
                    || piece.starts_with("www.")
                    || piece.contains('@')
                    || piece.matches('/').count() > 1)
            {
                BreakMode::Url
            } else {
                mode
            };
            if current_mode.is_some() && current_mode != Some(piece_mode) {
                out.push(Run {
                    text: std::mem::take(&mut current),
                    style,
                    link: link.clone(),
                    anchor: None,
                    mode: current_mode.unwrap_or(mode),
                });
            }
            if k > 0 {
                current.push(' ');
            }
            current.push_str(piece);
            current_mode = Some(piece_mode);
        }
        if !current.is_empty() {
            out.push(Run {
                text: current,
                style,
                link: link.clone(),
                anchor: None,
                mode: current_mode.unwrap_or(mode),
            });
        }
    }

    fn anchor_run(anchor: String, style: RunStyle) -> Run {
        Run {
            text: String::new(),
            style,
            link: None,
            anchor: Some(anchor),
            mode: BreakMode::Plain,
        }
    }

    fn runs(
        &mut self,
        inlines: &[Inline],
        style: RunStyle,
        link: &Option<(usize, Dest)>,
        mode: BreakMode,
        out: &mut Vec<Run>,
    ) {
        for inline in inlines {
            match inline {
                Inline::Text(t) => self.text_runs(t, style, link, mode, out),
                Inline::Emph(c) => self.runs(
                    c,
                    RunStyle {
                        italic: !style.italic,
                        ..style
                    },
                    link,
                    mode,
                    out,
                ),
                Inline::Strong(c) => self.runs(
                    c,
                    RunStyle {
                        bold: true,
                        ..style
                    },
                    link,
                    mode,
                    out,
                ),
                Inline::Strikeout(c) => self.runs(
                    c,
                    RunStyle {
                        strike: true,
                        ..style
                    },
                    link,
                    mode,
                    out,
                ),
                Inline::Superscript(c) => {
                    let s = RunStyle {
                        size: small_size(style.size),
                        rise: f64::from(style.size) * 0.35,
                        ..style
                    };
                    self.runs(c, s, link, mode, out)
                }
                Inline::Subscript(c) => {
                    let s = RunStyle {
                        size: small_size(style.size),
                        rise: -f64::from(style.size) * 0.15,
                        ..style
                    };
                    self.runs(c, s, link, mode, out)
                }
                Inline::Code(t) => {
                    let s = RunStyle {
                        mono: true,
                        size: style.size.saturating_sub(1).max(6),
                        ..style
                    };
                    self.text_runs(t, s, link, BreakMode::Url, out)
                }
                Inline::Link {
                    target, content, ..
                } => {
                    let dest = match target {
                        LinkTarget::External(url) => Some(Dest::Uri(url.clone())),
                        LinkTarget::Internal { chapter, anchor } => Some(Dest::GoTo {
                            anchor: anchor.clone(),
                            chapter: chapter.clone(),
                        }),
                        // Unresolved (the links pass reported it): the text without a link.
                        LinkTarget::Source(_) | LinkTarget::Page(_) => None,
                    };
                    match dest {
                        Some(dest) if link.is_none() => {
                            let id = self.link_id();
                            let s = RunStyle {
                                color: Some(LINK_COLOR),
                                ..style
                            };
                            self.runs(content, s, &Some((id, dest)), mode, out)
                        }
                        _ => self.runs(content, style, link, mode, out),
                    }
                }
                Inline::Image { .. } => self.figures.push(inline.clone()),
                Inline::SoftBreak => out.push(Run {
                    text: " ".into(),
                    style,
                    link: link.clone(),
                    anchor: None,
                    mode,
                }),
                Inline::LineBreak => out.push(Run {
                    text: "\n".into(),
                    style,
                    link: None,
                    anchor: None,
                    mode,
                }),
                Inline::Note(blocks) => {
                    let Some(chapter) = self.chapter.map(|c| c.id.clone()) else {
                        continue;
                    };
                    self.notes.push(blocks.clone());
                    let n = self.notes.len();
                    let id = self.link_id();
                    out.push(Self::anchor_run(note_ref_key(&chapter, n), style));
                    out.push(Run {
                        text: n.to_string(),
                        style: RunStyle {
                            size: small_size(style.size),
                            rise: f64::from(style.size) * 0.35,
                            color: Some(LINK_COLOR),
                            ..style
                        },
                        link: Some((
                            id,
                            Dest::GoTo {
                                anchor: Some(note_key(&chapter, n)),
                                chapter,
                            },
                        )),
                        anchor: None,
                        mode: BreakMode::Plain,
                    });
                }
                Inline::Span { attr, content } => {
                    if let Some(id) = &attr.id {
                        out.push(Self::anchor_run(id.clone(), style));
                    }
                    self.runs(content, style, link, mode, out)
                }
            }
        }
    }

    fn figure(&mut self, image: &Inline, out: &mut LinearLayout, size: u8) {
        let Inline::Image {
            alt, title, asset, ..
        } = image
        else {
            return;
        };
        let caption = title
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| alt.clone());
        let found = asset.and_then(|i| self.doc.assets.get(i).map(|a| (i, a)));
        match found {
            Some((i, a)) if a.format != ImageFormat::Svg && a.width > 0 && a.height > 0 => {
                let natural_w = f64::from(a.width) / IMAGE_DPI * 25.4;
                let natural_h = f64::from(a.height) / IMAGE_DPI * 25.4;
                let scale = (self.width / natural_w).min(1.0);
                out.push(self.spacer(2.0));
                out.push(ImageBox {
                    asset: i,
                    width: natural_w * scale,
                    height: natural_h * scale,
                    rec: self.rec.clone(),
                    done: false,
                });
                if !caption.trim().is_empty() {
                    let style = RunStyle {
                        italic: true,
                        ..RunStyle::body(SMALL.min(size))
                    };
                    let mut runs = Vec::new();
                    self.text_runs(&caption, style, &None, BreakMode::Plain, &mut runs);
                    out.push(self.spacer(1.5));
                    out.push(self.para(runs, Align::Center, SMALL.min(size)));
                }
                out.push(self.spacer(2.0));
            }
            other => {
                if let Some((i, a)) = other
                    && a.format == ImageFormat::Svg
                    && self.warned_assets.insert(i)
                {
                    let source = self.source();
                    self.diags
                        .warning(source, 0, 0, format!("PDF: SVG image {} is not drawn yet; its alt text is shown instead", a.path))
                        .with_hint("convert the image to PNG for the PDF, or wait for SVG support (issue 5)");
                }
                let style = RunStyle {
                    italic: true,
                    ..RunStyle::body(size)
                };
                let text = if caption.trim().is_empty() {
                    format!("[{}]", self.labels.image)
                } else {
                    format!("[{} : {}]", self.labels.image, caption.trim())
                };
                let mut runs = Vec::new();
                self.text_runs(&text, style, &None, BreakMode::Plain, &mut runs);
                out.push(self.para(runs, Align::Center, size));
            }
        }
    }

    fn inline_para(&mut self, inlines: &[Inline], out: &mut LinearLayout, size: u8, align: Align) {
        let mut runs = Vec::new();
        self.runs(
            inlines,
            RunStyle::body(size),
            &None,
            BreakMode::Prose,
            &mut runs,
        );
        let has_text = runs
            .iter()
            .any(|r| !r.text.trim().is_empty() || r.anchor.is_some());
        if has_text {
            out.push(self.para(runs, align, size));
        }
        for figure in std::mem::take(&mut self.figures) {
            self.figure(&figure, out, size);
        }
    }

    fn heading(
        &mut self,
        level: u8,
        anchor: Option<String>,
        content: &[Inline],
        out: &mut LinearLayout,
    ) {
        let (size, italic, before) = match level {
            1 => (16, false, 8.0),
            2 => (14, false, 7.0),
            3 => (12, false, 5.0),
            4 => (11, false, 4.0),
            _ => (BODY, true, 3.0),
        };
        let style = RunStyle {
            bold: true,
            italic,
            ..RunStyle::body(size)
        };
        let mut runs = Vec::new();
        if let Some(anchor) = anchor {
            runs.push(Self::anchor_run(anchor, style));
        }
        self.runs(content, style, &None, BreakMode::Plain, &mut runs);
        let para = self.para(runs, Align::Left, size).with_leading(1.2);
        out.push(Heading {
            para,
            space_before: before,
            keep: 3.0 * line_box(BODY, 1.35).0,
            started: false,
            rec: self.rec.clone(),
        });
        out.push(self.spacer(f64::from(size) * PT * 0.5));
        for figure in std::mem::take(&mut self.figures) {
            self.figure(&figure, out, BODY);
        }
    }

    fn blocks(&mut self, blocks: &[Block], out: &mut LinearLayout, size: u8, section_scope: bool) {
        let gap = f64::from(size) * PT * 0.55;
        for block in blocks {
            match block {
                Block::Para(inlines) => {
                    self.inline_para(inlines, out, size, Align::Justify);
                    out.push(self.spacer(gap));
                }
                Block::Plain(inlines) => {
                    self.inline_para(inlines, out, size, Align::Justify);
                }
                Block::Heading {
                    level,
                    attr,
                    content,
                } => {
                    let anchor = match (&attr.id, *level == 2 && section_scope) {
                        (Some(id), _) => Some(id.clone()),
                        (None, true) => {
                            self.chapter.map(|c| section_key(&c.id, self.section_count))
                        }
                        (None, false) => None,
                    };
                    if *level == 2 && section_scope {
                        self.section_count += 1;
                    }
                    self.heading(*level, anchor, content, out);
                }
                Block::BulletList(items) => {
                    let marker = match self.list_depth % 3 {
                        0 => "•",
                        1 => "◦",
                        _ => "▪",
                    };
                    let markers = items.iter().map(|_| marker.to_string()).collect();
                    self.list(items, markers, out, size);
                    out.push(self.spacer(gap));
                }
                Block::OrderedList { start, items } => {
                    let markers = (0..items.len() as u64)
                        .map(|k| format!("{}.", start.saturating_add(k)))
                        .collect();
                    self.list(items, markers, out, size);
                    out.push(self.spacer(gap));
                }
                Block::BlockQuote(inner) if self.indent_depth >= MAX_INDENT_DEPTH => {
                    self.blocks(inner, out, size, false);
                }
                Block::BlockQuote(inner) => {
                    self.indent_depth += 1;
                    let mut body = LinearLayout::vertical();
                    self.blocks(inner, &mut body, size, false);
                    self.indent_depth -= 1;
                    out.push(Quote { body, indent: 6.0 });
                    out.push(self.spacer(gap));
                }
                Block::CodeBlock { text, .. } => {
                    let text = self.clean(text, true);
                    out.push(CodeBlock::new(text, CODE, self.fams, self.rec.clone()));
                    out.push(self.spacer(gap));
                }
                Block::Table { aligns, head, rows } => {
                    self.table(aligns, head, rows, out);
                    out.push(self.spacer(gap * 1.5));
                }
                Block::ThematicBreak => out.push(Rule),
                Block::Div { attr, blocks } => {
                    if let Some(id) = &attr.id {
                        out.push(AnchorPoint {
                            anchor: id.clone(),
                            rec: self.rec.clone(),
                            done: false,
                        });
                    }
                    self.blocks(blocks, out, size, section_scope);
                }
                // The PDF has its own table of contents at the front.
                Block::Toc => {}
            }
        }
    }

    fn list(
        &mut self,
        items: &[Vec<Block>],
        markers: Vec<String>,
        out: &mut LinearLayout,
        size: u8,
    ) {
        if self.indent_depth >= MAX_INDENT_DEPTH {
            // Past this depth the line would be too narrow to hold words: items keep their
            // marker and text but stop moving right.
            for (item, marker) in items.iter().zip(markers) {
                let marker = Run {
                    text: marker,
                    style: RunStyle::body(size),
                    link: None,
                    anchor: None,
                    mode: BreakMode::Plain,
                };
                out.push(self.para(vec![marker], Align::Left, size));
                self.blocks(item, out, size, false);
            }
            return;
        }
        self.indent_depth += 1;
        self.list_depth += 1;
        let widest = markers.iter().map(|m| m.chars().count()).max().unwrap_or(1);
        let indent = 4.0 + widest as f64 * 1.8;
        let marker_style = style_of(&self.fams, &RunStyle::body(size));
        let (_, baseline) = line_box(size, 1.35);
        for (item, marker) in items.iter().zip(markers) {
            let mut body = LinearLayout::vertical();
            self.blocks(item, &mut body, size, false);
            out.push(ListItem {
                marker,
                marker_style,
                marker_link: None,
                anchor: None,
                indent,
                body,
                baseline,
                rec: self.rec.clone(),
                done: false,
            });
            out.push(self.spacer(0.8));
        }
        self.list_depth -= 1;
        self.indent_depth -= 1;
    }

    fn table(
        &mut self,
        aligns: &[crate::ir::Align],
        head: &[Vec<Inline>],
        rows: &[Vec<Vec<Inline>>],
        out: &mut LinearLayout,
    ) {
        let columns = rows
            .iter()
            .map(Vec::len)
            .chain([head.len()])
            .max()
            .unwrap_or(0);
        if columns == 0 {
            return;
        }
        // Column widths from content: every column gets room for its longest word, the rest
        // of the width goes to the columns with the most text.
        let char_w = f64::from(SMALL) * PT * 0.6;
        let pad = 3.5;
        let mut minimum = vec![0.0; columns];
        let mut desired = vec![0.0; columns];
        for c in 0..columns {
            let cells = std::iter::once(head)
                .chain(rows.iter().map(Vec::as_slice))
                .filter_map(|r| r.get(c));
            let mut longest_word = 1;
            let mut longest_cell = 1;
            for cell in cells {
                let text = plain_text(cell);
                longest_word = longest_word.max(
                    text.split_whitespace()
                        .map(|w| w.chars().count())
                        .max()
                        .unwrap_or(0),
                );
                longest_cell = longest_cell.max(text.chars().count());
            }
            // Capitals and bold are wider than the average letter.
            minimum[c] = longest_word.min(30) as f64 * char_w * 1.2 + pad;
            desired[c] = (longest_cell as f64 * char_w + pad).max(minimum[c]);
        }
        let total_min: f64 = minimum.iter().sum();
        let total_desired: f64 = desired.iter().sum();
        let widths: Vec<f64> = if total_desired <= self.width {
            desired.clone()
        } else if total_min >= self.width {
            minimum.clone()
        } else {
            let spare = self.width - total_min;
            let wanted = total_desired - total_min;
            minimum
                .iter()
                .zip(&desired)
                .map(|(m, d)| m + spare * (d - m) / wanted)
                .collect()
        };
        let weights: Vec<usize> = widths
            .iter()
            .map(|w| (w * 10.0).round().max(1.0) as usize)
            .collect();
        // Room for the header and about two rows of small text, else the table starts on the
        // next page.
        let line = f64::from(SMALL) * PT * 1.3 + 2.4;
        out.push(NeedSpace {
            height: line * if head.is_empty() { 2.0 } else { 3.0 },
            started: false,
            rec: self.rec.clone(),
        });
        let mut cells_of = |row: &[Vec<Inline>], bold: bool| -> Vec<(Vec<Run>, Align)> {
            (0..columns)
                .map(|c| {
                    let style = RunStyle {
                        bold,
                        ..RunStyle::body(SMALL)
                    };
                    let mut runs = Vec::new();
                    if let Some(cell) = row.get(c) {
                        self.runs(cell, style, &None, BreakMode::Prose, &mut runs);
                    }
                    let align = match aligns.get(c) {
                        Some(crate::ir::Align::Center) => Align::Center,
                        _ => Align::Left,
                    };
                    (runs, align)
                })
                .collect()
        };
        let head_cells = (!head.is_empty()).then(|| cells_of(head, true));
        let body_cells: Vec<_> = rows.iter().map(|row| cells_of(row, false)).collect();
        // Images in cells are set after the table.
        let table_of = {
            let (fams, hyph, rec) = (self.fams, self.hyph.clone(), self.rec.clone());
            move |rows: &[Vec<(Vec<Run>, Align)>], is_head: bool| {
                let mut table = TableLayout::new(weights.clone());
                table.set_cell_decorator(Grid {
                    rec: rec.clone(),
                    shade_first_row: is_head,
                });
                for row in rows {
                    let cells: Vec<Box<dyn Element>> = row
                        .iter()
                        .map(|(runs, align)| {
                            let leading = if is_head { 1.3 } else { 1.25 };
                            let para = Para::new(
                                runs.clone(),
                                *align,
                                SMALL,
                                fams,
                                hyph.clone(),
                                rec.clone(),
                            )
                            .with_leading(leading);
                            Box::new(TableCell {
                                para,
                                padding: [1.2, 1.5, 1.2, 1.5],
                            }) as Box<dyn Element>
                        })
                        .collect();
                    // Every row has `columns` cells: pushing cannot fail.
                    let _ = table.push_row(cells);
                }
                table
            }
        };
        let table_of = Rc::new(table_of);
        let body = table_of(&body_cells, false);
        let make_head = head_cells.map(|cells| {
            let table_of = table_of.clone();
            Box::new(move || table_of(std::slice::from_ref(&cells), true))
                as Box<dyn Fn() -> TableLayout>
        });
        out.push(RepeatingHeadTable::new(make_head, body, self.rec.clone()));
        for figure in std::mem::take(&mut self.figures) {
            self.figure(&figure, out, BODY);
        }
    }

    fn page_of(&self, anchor: &str) -> String {
        self.info
            .and_then(|i| i.anchor_pages.get(anchor))
            .map(|p| (p + 1).to_string())
            .unwrap_or_default()
    }

    fn title_page(&mut self, out: &mut LinearLayout) {
        let meta = &self.doc.meta;
        let centred =
            |b: &mut Self, text: &str, style: RunStyle, out: &mut LinearLayout, after: f64| {
                let mut runs = Vec::new();
                b.text_runs(text, style, &None, BreakMode::Plain, &mut runs);
                out.push(b.para(runs, Align::Center, style.size).with_leading(1.25));
                out.push(Spacer {
                    height: after,
                    force: true,
                    rec: b.rec.clone(),
                });
            };
        out.push(Spacer {
            height: 55.0,
            force: true,
            rec: self.rec.clone(),
        });
        let title = meta.title.clone();
        centred(
            self,
            &title,
            RunStyle {
                bold: true,
                ..RunStyle::body(24)
            },
            out,
            6.0,
        );
        if let Some(subtitle) = meta.subtitle.clone() {
            centred(
                self,
                &subtitle,
                RunStyle {
                    italic: true,
                    ..RunStyle::body(14)
                },
                out,
                6.0,
            );
        }
        if let Some(persona) = meta.persona.clone() {
            let name = self
                .doc
                .chapter(&persona)
                .map(|c| c.label.clone().unwrap_or_else(|| c.title.clone()))
                .unwrap_or(persona);
            let text = self.labels.persona_line(&name);
            centred(
                self,
                &text,
                RunStyle {
                    bold: true,
                    ..RunStyle::body(13)
                },
                out,
                6.0,
            );
        }
        if let Some(summary) = meta.summary.clone() {
            out.push(Spacer {
                height: 12.0,
                force: true,
                rec: self.rec.clone(),
            });
            centred(self, &summary, RunStyle::body(11), out, 6.0);
        }
        out.push(Spacer {
            height: 40.0,
            force: true,
            rec: self.rec.clone(),
        });
        if let Some(author) = meta.author.clone() {
            centred(self, &author, RunStyle::body(11), out, 2.0);
        }
        if let Some(publisher) = meta.publisher.clone() {
            centred(
                self,
                &publisher,
                RunStyle {
                    bold: true,
                    ..RunStyle::body(11)
                },
                out,
                2.0,
            );
        }
        if let Some(date) = meta.date.clone() {
            centred(self, &date, RunStyle::body(11), out, 2.0);
        }
    }

    fn toc(&mut self, outline: &[OutlineEntry], out: &mut LinearLayout) {
        out.push(PageBreak::new());
        let style = RunStyle {
            bold: true,
            ..RunStyle::body(18)
        };
        let mut runs = Vec::new();
        self.text_runs(
            &self.labels.contents.clone(),
            style,
            &None,
            BreakMode::Plain,
            &mut runs,
        );
        out.push(self.para(runs, Align::Left, 18));
        out.push(self.spacer(6.0));
        let mut force_gap = false;
        for entry in outline {
            if force_gap {
                out.push(self.spacer(2.5));
            }
            force_gap = true;
            self.toc_line(entry, 0.0, true, out);
            for section in &entry.children {
                self.toc_line(section, 6.0, false, out);
            }
        }
    }

    fn toc_line(
        &mut self,
        entry: &OutlineEntry,
        indent: f64,
        chapter: bool,
        out: &mut LinearLayout,
    ) {
        let size = if chapter { 11 } else { BODY };
        let style = RunStyle {
            bold: chapter,
            ..RunStyle::body(size)
        };
        let mut runs = Vec::new();
        self.text_runs(&entry.title, style, &None, BreakMode::Plain, &mut runs);
        let id = self.link_id();
        let chapter_id = self
            .doc
            .chapters
            .iter()
            .find(|c| c.id == entry.anchor || sections(c).iter().any(|s| s.anchor == entry.anchor))
            .map(|c| c.id.clone())
            .unwrap_or_default();
        out.push(TocLine {
            title: self.para(runs, Align::Left, size).with_leading(1.3),
            indent,
            number: self.page_of(&entry.anchor),
            number_style: style_of(&self.fams, &style),
            link: (
                id,
                Dest::GoTo {
                    anchor: Some(entry.anchor.clone()),
                    chapter: chapter_id,
                },
            ),
            rec: self.rec.clone(),
        });
        out.push(self.spacer(0.6));
    }

    fn chapter(&mut self, chapter: &'a Chapter, out: &mut LinearLayout) {
        self.chapter = Some(chapter);
        self.notes.clear();
        self.section_count = 0;
        out.push(PageBreak::new());
        let style = RunStyle {
            bold: true,
            ..RunStyle::body(20)
        };
        let mut runs = vec![Self::anchor_run(chapter.id.clone(), style)];
        self.text_runs(&chapter.title, style, &None, BreakMode::Plain, &mut runs);
        out.push(self.para(runs, Align::Left, 20).with_leading(1.2));
        if let Some(subtitle) = &chapter.subtitle {
            let style = RunStyle {
                italic: true,
                ..RunStyle::body(13)
            };
            let mut runs = Vec::new();
            self.text_runs(subtitle, style, &None, BreakMode::Plain, &mut runs);
            out.push(self.spacer(1.5));
            out.push(self.para(runs, Align::Left, 13));
        }
        out.push(self.spacer(7.0));
        self.blocks(&chapter.blocks, out, BODY, true);
        if !self.notes.is_empty() {
            self.chapter_notes(chapter, out);
        }
    }

    fn chapter_notes(&mut self, chapter: &Chapter, out: &mut LinearLayout) {
        out.push(self.spacer(4.0));
        out.push(Rule);
        let style = RunStyle {
            bold: true,
            ..RunStyle::body(11)
        };
        let mut runs = Vec::new();
        self.text_runs(
            &self.labels.notes.clone(),
            style,
            &None,
            BreakMode::Plain,
            &mut runs,
        );
        out.push(Heading {
            para: self.para(runs, Align::Left, 11),
            space_before: 0.0,
            keep: 2.0 * line_box(SMALL, 1.35).0,
            started: false,
            rec: self.rec.clone(),
        });
        out.push(self.spacer(2.0));
        let marker_style = style_of(
            &self.fams,
            &RunStyle {
                color: Some(LINK_COLOR),
                ..RunStyle::body(SMALL)
            },
        );
        let (_, baseline) = line_box(SMALL, 1.35);
        // Notes may hold notes: the list grows while it is set.
        let mut n = 0;
        while n < self.notes.len() {
            let blocks = self.notes[n].clone();
            n += 1;
            let mut body = LinearLayout::vertical();
            self.blocks(&blocks, &mut body, SMALL, false);
            let id = self.link_id();
            out.push(ListItem {
                marker: format!("{n}."),
                marker_style,
                marker_link: Some((
                    id,
                    Dest::GoTo {
                        anchor: Some(note_ref_key(&chapter.id, n)),
                        chapter: chapter.id.clone(),
                    },
                )),
                anchor: Some(note_key(&chapter.id, n)),
                indent: 7.0,
                body,
                baseline,
                rec: self.rec.clone(),
                done: false,
            });
            out.push(self.spacer(1.0));
        }
    }
}

fn small_size(size: u8) -> u8 {
    ((f64::from(size) * 0.7).round() as u8).max(5)
}

/// Wraps the root element of a measuring pass: once the last page is laid out it stops genpdf
/// with an error we recognise, before printpdf saves (saving scans all 1.1 million code points of
/// each of the 8 registered faces: most of a small book's time).
struct StopWhenLaidOut {
    root: LinearLayout,
    laid_out: Rc<std::cell::Cell<bool>>,
}

impl Element for StopWhenLaidOut {
    fn render(
        &mut self,
        context: &Context,
        area: Area<'_>,
        style: Style,
    ) -> std::result::Result<genpdf::RenderResult, PdfError> {
        let result = self.root.render(context, area, style)?;
        if result.has_more {
            return Ok(result);
        }
        self.laid_out.set(true);
        Err(PdfError::new(
            "layout measured; no PDF wanted from this pass",
            genpdf::error::ErrorKind::Internal,
        ))
    }
}

/// How far a layout pass goes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PassKind {
    /// Only learn where things land (`Pass::bytes` stays empty).
    Measure,
    /// Lay out and save the PDF.
    Render,
}

/// One layout pass: genpdf renders the document; the recorder learns where things landed.
pub fn layout_pass(
    doc: &Document,
    diags: &mut Diagnostics,
    info: Option<&PassInfo>,
    kind: PassKind,
    fonts: &FontSet,
) -> Result<Pass> {
    let write_err = |e: PdfError| Error::Write {
        format: "pdf",
        message: e.to_string(),
    };
    let mut gdoc = genpdf::Document::new(fonts.text_family()?);
    let mono = fonts::one_face_family(gdoc.add_font_family(fonts.code_family()?).regular);
    let fams = Families {
        serif: gdoc.font_cache().default_font_family(),
        mono,
    };
    let (w, h) = page_size_mm(doc.meta.page_size);
    gdoc.set_paper_size(genpdf::Size::new(mm(w), mm(h)));
    gdoc.set_font_size(BODY);
    gdoc.set_title(doc.meta.title.clone());
    gdoc.set_minimal_conformance();
    let rec: Shared = Rc::new(RefCell::new(Recorder::default()));
    let headers = match info {
        Some(info) => (0..info.total_pages)
            .map(|p| {
                info.chapter_starts
                    .iter()
                    .rev()
                    .find(|(start, _)| *start <= p)
                    .map(|(_, t)| t.clone())
                    .unwrap_or_else(|| labels(&doc.meta).contents)
            })
            .collect(),
        None => Vec::new(),
    };
    gdoc.set_page_decorator(Pages {
        rec: rec.clone(),
        page: 0,
        book_title: doc.meta.title.clone(),
        headers,
        total: info.map(|i| i.total_pages),
        fams,
    });
    let outline = outline(doc);
    let mut root = LinearLayout::vertical();
    {
        let cache = gdoc.font_cache();
        let serif = fams.serif;
        let fallback = ['\u{fffd}', '□', '?']
            .into_iter()
            .find(|&c| family_has_glyph(cache, &serif, c))
            .unwrap_or('?');
        let mut builder = Builder {
            doc,
            fonts,
            fams,
            cache,
            hyph: Hyphenation::for_language(&doc.meta.language).map(Rc::new),
            rec: rec.clone(),
            diags,
            info,
            labels: labels(&doc.meta),
            width: text_width(doc.meta.page_size),
            glyphs: HashMap::new(),
            warned: BTreeSet::new(),
            warned_assets: BTreeSet::new(),
            fallback,
            next_link: 0,
            chapter: None,
            notes: Vec::new(),
            section_count: 0,
            list_depth: 0,
            indent_depth: 0,
            figures: Vec::new(),
        };
        builder.title_page(&mut root);
        builder.toc(&outline, &mut root);
        for chapter in &doc.chapters {
            builder.chapter(chapter, &mut root);
        }
    }
    let mut bytes = Vec::new();
    match kind {
        PassKind::Render => {
            gdoc.push(root);
            gdoc.render(&mut bytes).map_err(write_err)?;
        }
        PassKind::Measure => {
            let laid_out = Rc::new(std::cell::Cell::new(false));
            gdoc.push(StopWhenLaidOut {
                root,
                laid_out: laid_out.clone(),
            });
            match gdoc.render(&mut bytes) {
                Err(_) if laid_out.get() => {}
                Err(e) => return Err(write_err(e)),
                // Cannot happen (the wrapper always stops the render); the bytes are unused anyway.
                Ok(()) => {}
            }
        }
    }
    let rec = Rc::try_unwrap(rec)
        .map(RefCell::into_inner)
        .unwrap_or_else(|shared| {
            let r = shared.borrow();
            Recorder {
                page: r.page,
                body_height: r.body_height,
                events: r.events.clone(),
            }
        });
    let total_pages = rec.page + 1;
    let mut anchor_pages = BTreeMap::new();
    for event in &rec.events {
        if let Mark::Anchor(a) = &event.mark {
            anchor_pages.entry(a.clone()).or_insert(event.page);
        }
    }
    let chapter_starts = doc
        .chapters
        .iter()
        .filter_map(|c| anchor_pages.get(&c.id).map(|&p| (p, c.title.clone())))
        .collect();
    Ok(Pass {
        bytes,
        events: rec.events,
        info: PassInfo {
            total_pages,
            anchor_pages,
            chapter_starts,
        },
        outline,
    })
}

/// Lists and quotes nested deeper than this no longer indent.
const MAX_INDENT_DEPTH: usize = 8;

/// Emoji and pictographic symbols (the blocks that hold them; only those the fonts lack are
/// left out, so ★ or ☺, which DejaVu has, stay).
fn is_pictograph(c: char) -> bool {
    matches!(c as u32, 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x1F000..=0x1FAFF)
}

/// Task-list boxes the fonts lack, written the way plain-text task lists are.
fn ascii_stand_in(c: char) -> Option<&'static str> {
    match c {
        '\u{2610}' => Some("[ ]"),
        '\u{2611}' | '\u{2612}' => Some("[x]"),
        _ => None,
    }
}
