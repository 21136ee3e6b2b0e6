//! IR → genpdf elements and the structure tree (the builder), the running heads, and one
//! layout pass: our page loop driving genpdf's `Element` protocol.

use super::elements::{
    AnchorPoint, CodeBlock, Heading, ImageBox, ListItem, NeedSpace, PageBreak, QrBox, Quote,
    RepeatingHeadTable, Rule, Spacer, Stack, Table, TableCell, TocLine,
};
use super::hyphenate::Hyphenation;
use super::metrics::{MONO, Metrics};
use super::outline::{OutlineEntry, outline, section_key};
use super::para::{Align, BreakMode, LINK_COLOR, Para, Run, RunStyle, line_box, mm};
use super::structure::{ROOT, Role, StructId, StructTree};
use super::surface::{Dest, FootRef, PT, PageLog, Surface, SurfaceRef, Tag, offset};
use crate::diag::{Diagnostics, Error, Result};
use crate::ir::{Block, Chapter, Document, Inline, LinkTarget, PageSize, plain_text};
use crate::write::fonts::{self, FontSet};
use genpdf::error::Error as PdfError;
use genpdf::style::Style;
use genpdf::{Context, Element, Margins};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

pub const BODY: u8 = 10;
const SMALL: u8 = 9;
const CODE: u8 = 8;
/// Page margins in mm: top, right, bottom, left. A5 (a booklet's page) has narrower ones: a
/// 118 mm measure, 60 to 70 characters of 10 pt text a line, as books set it.
fn margins(size: PageSize) -> (f64, f64, f64, f64) {
    match size {
        PageSize::A5 => (18.0, 15.0, 18.0, 15.0),
        PageSize::A4 | PageSize::Letter => (24.0, 28.0, 24.0, 28.0),
    }
}
/// Natural image resolution: an image is never set larger than this.
const IMAGE_DPI: f64 = 150.0;

pub fn page_size_mm(size: PageSize) -> (f64, f64) {
    match size {
        PageSize::A4 => (210.0, 297.0),
        PageSize::Letter => (215.9, 279.4),
        PageSize::A5 => (148.0, 210.0),
    }
}

pub fn text_width(size: PageSize) -> f64 {
    let (_, r, _, l) = margins(size);
    page_size_mm(size).0 - r - l
}

/// Which PDF is made of the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edition {
    /// For the screen (`pdf`): links in colour.
    Screen,
    /// For paper (`print`): links in the text colour, each address at the foot of its page.
    Print,
    /// One page per persona (`cards`).
    Cards,
}

/// A persona's card: who it is for, the questions its chapter answers with their page in the
/// handout, and the address of its page on the site.
#[derive(Debug, Clone)]
pub struct Card {
    pub name: String,
    pub who: Option<String>,
    /// `##` headings and their 1-based page in the handout, if known.
    pub questions: Vec<(String, Option<usize>)>,
    pub url: Option<String>,
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

pub struct Pass {
    pub info: PassInfo,
    pub outline: Vec<OutlineEntry>,
    /// What was painted (the final pass): pages, places, links.
    pub log: PageLog,
    pub tree: StructTree,
    /// Each link's text, for its annotation's `/Contents`.
    pub link_texts: HashMap<usize, String>,
}

fn note_key(chapter: &str, n: usize) -> String {
    format!("livret-fn-{chapter}-{n}")
}

fn note_ref_key(chapter: &str, n: usize) -> String {
    format!("livret-fnref-{chapter}-{n}")
}

/// The running header and footer of every page but the title page (artifacts).
struct RunningHeads {
    book_title: String,
    /// Header title of each page (from the previous pass).
    headers: Vec<String>,
    total: Option<usize>,
    /// The page's margins (top, right, bottom, left, mm): the heads sit in them.
    margins: (f64, f64, f64, f64),
    /// A card is a page of its own: no heads.
    shown: bool,
}

/// `text` cut with an ellipsis to fit `width` mm, in one pass over it.
fn fit_text(metrics: &Metrics, style: &RunStyle, text: &str, width: f64) -> String {
    let t = style.text();
    if metrics.width(t.face, t.size, text) <= width {
        return text.to_string();
    }
    let room = width - metrics.width(t.face, t.size, "…");
    let mut used = 0.0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        used += metrics.char_width(t.face, t.size, c);
        if used > room {
            break;
        }
        end = i + c.len_utf8();
    }
    format!("{}…", text[..end].trim_end())
}

impl RunningHeads {
    fn paint(&self, s: &mut Surface, idx: usize, page_width: f64) {
        if idx == 0 || !self.shown {
            return;
        }
        let (t, r, b, l) = self.margins;
        let width = page_width - l - r;
        let small = RunStyle {
            italic: true,
            color: Some((90, 90, 90)),
            ..RunStyle::body(8)
        };
        let chapter = self.headers.get(idx).map(String::as_str).unwrap_or("");
        let header = if chapter.is_empty() || chapter == self.book_title {
            self.book_title.clone()
        } else {
            format!("{} · {}", self.book_title, chapter)
        };
        let metrics = s.metrics.clone();
        let header = fit_text(&metrics, &small, &header, width);
        let footer = format!("{} / {}", idx + 1, self.total.unwrap_or(idx + 1));
        let fw = metrics.width(0, 8.0, &footer);
        let page_height = s.page_height;
        s.tagged(Tag::Pagination, |s| {
            s.text(l, t - 7.0, small.text(), &header);
            s.line(&[(l, t - 5.0), (l + width, t - 5.0)], 180, 0.5);
            s.text(
                l + (width - fw) / 2.0,
                page_height - b + 12.0,
                RunStyle::body(8).text(),
                &footer,
            );
        });
    }
}

struct Builder<'a> {
    doc: &'a Document,
    fonts: &'a FontSet,
    metrics: Rc<Metrics>,
    hyph: Option<Rc<Hyphenation>>,
    /// Dictionaries loaded so far, by language tag (a chapter may have its own language).
    dictionaries: HashMap<String, Option<Rc<Hyphenation>>>,
    /// Prose is justified where it can be hyphenated, else set ragged-right (no rivers).
    prose_align: Align,
    surface: SurfaceRef,
    /// The structure tree, built with the elements, in the book's order.
    tree: StructTree,
    /// Each link's text, for its annotation's `/Contents`.
    link_texts: HashMap<usize, String>,
    diags: &'a mut Diagnostics,
    info: Option<&'a PassInfo>,
    /// The book's words (`crate::labels`, the table every writer reads).
    labels: crate::labels::Labels,
    width: f64,
    /// Whether the text faces (index 0) or the code face (1) have each character: 0 unknown,
    /// 1 yes, 2 no; the common planes by index, the rest hashed.
    coverage: [Vec<u8>; 2],
    glyphs: HashMap<(bool, char), bool>,
    warned: BTreeSet<char>,
    fallback: char,
    next_link: usize,
    chapter: Option<&'a Chapter>,
    notes: Vec<Vec<Block>>,
    section_count: usize,
    list_depth: usize,
    /// Lists and quotes the current block sits in (each moves the text right).
    indent_depth: usize,
    figures: Vec<Inline>,
    /// The structure element new blocks go into.
    parent: StructId,
    /// The next image has its author's caption under it: none is made from its alt text.
    author_caption: Option<Vec<Inline>>,
    /// The text being cleaned holds a character only the code face has.
    code_face_needed: bool,
    /// The last heading level in this chapter (headings never skip a level in the structure).
    heading_level: u8,
    edition: Edition,
    /// Anchors of empty divs waiting for the heading that follows them.
    heading_anchors: Vec<String>,
    /// The print edition's number of each address, through the book.
    url_numbers: HashMap<String, usize>,
}

impl<'a> Builder<'a> {
    /// Hyphenation and alignment for text in `language`.
    fn set_language(&mut self, language: &str) {
        let hyph = self
            .dictionaries
            .entry(language.to_string())
            .or_insert_with(|| Hyphenation::for_language(language).map(Rc::new))
            .clone();
        self.prose_align = if hyph.is_some() {
            Align::Justify
        } else {
            Align::Left
        };
        self.hyph = hyph;
    }

    fn source(&self) -> String {
        self.chapter.map(|c| c.source.clone()).unwrap_or_default()
    }

    /// A structure element under the current parent, in the book's order.
    fn elem(&mut self, role: Role) -> StructId {
        let parent = self.parent;
        self.tree.add(role, parent)
    }

    /// An inline structure element under the current parent, placed when painted.
    fn inline_elem(&mut self, role: Role) -> StructId {
        let parent = self.parent;
        self.tree.add_inline(role, parent)
    }

    /// Runs `f` with `id` as the parent of the blocks it adds.
    fn within<T>(&mut self, id: StructId, f: impl FnOnce(&mut Self) -> T) -> T {
        let saved = std::mem::replace(&mut self.parent, id);
        let out = f(self);
        self.parent = saved;
        out
    }

    fn covered(&mut self, mono: bool, c: char) -> bool {
        let look_up = |metrics: &Metrics| {
            if mono {
                metrics.has_glyph(MONO, c)
            } else {
                (0..4).all(|face| metrics.has_glyph(face, c))
            }
        };
        let index = c as usize;
        if index < COVERAGE_INDEXED {
            let known = self.coverage[usize::from(mono)][index];
            if known != 0 {
                return known == 1;
            }
            let has = look_up(&self.metrics);
            self.coverage[usize::from(mono)][index] = if has { 1 } else { 2 };
            return has;
        }
        let metrics = self.metrics.clone();
        *self
            .glyphs
            .entry((mono, c))
            .or_insert_with(|| look_up(&metrics))
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
            } else if self.covered(true, c) {
                // A character the text faces lack but the code face has is set in that face.
                self.code_face_needed = true;
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
            .with_kind(crate::diag::Kind::MissingGlyph { character: c })
            .with_hint(format!(
                "the PDF embeds {}; HTML and EPUB keep it; a theme font that has it \
                 (`THEME/pdf/fonts/text-regular.ttf` …, see Themes in the README) prints it",
                self.fonts.describe()
            ));
    }

    fn link_id(&mut self, text: String) -> usize {
        self.next_link += 1;
        self.link_texts.insert(self.next_link, text);
        self.next_link
    }

    fn para(&self, runs: Vec<Run>, align: Align, size: u8, tag: Tag) -> Para {
        Para::new(
            runs,
            align,
            size,
            self.hyph.clone(),
            self.surface.clone(),
            tag,
        )
    }

    /// A paragraph of plain runs (no inline element) that is its own structure element `role`.
    fn tagged_para(&mut self, runs: Vec<Run>, align: Align, size: u8, role: Role) -> Para {
        debug_assert!(
            runs.iter().all(|r| r.tag.is_none()),
            "inline elements: inline_runs"
        );
        let id = self.elem(role);
        self.para(runs, align, size, Tag::Struct(id))
    }

    /// A structure element `role` and the runs `build` makes inside it: inline elements (links,
    /// code, note references) are its children from the start, in the order of the text.
    fn inline_runs(
        &mut self,
        role: Role,
        build: impl FnOnce(&mut Self, &mut Vec<Run>),
    ) -> (StructId, Vec<Run>) {
        let id = self.elem(role);
        let mut runs = Vec::new();
        self.within(id, |b| build(b, &mut runs));
        (id, runs)
    }

    fn spacer(&self, height: f64) -> Spacer {
        Spacer {
            height,
            force: false,
            surface: self.surface.clone(),
        }
    }

    fn text_runs(
        &mut self,
        text: &str,
        style: RunStyle,
        link: &Option<(usize, Dest)>,
        mode: BreakMode,
        tag: Option<StructId>,
        out: &mut Vec<Run>,
    ) {
        let start = out.len();
        self.code_face_needed = false;
        self.text_runs_one_face(text, style, link, mode, tag, out);
        if style.mono || !self.code_face_needed {
            return;
        }
        // Characters only the code face has (☐ ☑ and other symbols) are set in it.
        let runs: Vec<Run> = out.drain(start..).collect();
        for run in runs {
            let mut current = String::new();
            let mut current_mono = false;
            for c in run.text.chars() {
                let mono = c != ' ' && !self.covered(false, c) && self.covered(true, c);
                if mono != current_mono && !current.is_empty() {
                    out.push(Run {
                        text: std::mem::take(&mut current),
                        style: RunStyle {
                            mono: current_mono,
                            ..run.style
                        },
                        ..run.clone()
                    });
                }
                current_mono = mono;
                current.push(c);
            }
            if !current.is_empty() || run.text.is_empty() {
                out.push(Run {
                    text: current,
                    style: RunStyle {
                        mono: current_mono,
                        ..run.style
                    },
                    ..run
                });
            }
        }
    }

    fn text_runs_one_face(
        &mut self,
        text: &str,
        style: RunStyle,
        link: &Option<(usize, Dest)>,
        mode: BreakMode,
        tag: Option<StructId>,
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
                    tag,
                    foot: None,
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
                tag,
                foot: None,
            });
        }
    }

    fn anchor_run(anchor: String, style: RunStyle) -> Run {
        Run {
            anchor: Some(anchor),
            ..Run::plain(String::new(), style, BreakMode::Plain)
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn runs(
        &mut self,
        inlines: &[Inline],
        style: RunStyle,
        link: &Option<(usize, Dest)>,
        mode: BreakMode,
        tag: Option<StructId>,
        out: &mut Vec<Run>,
    ) {
        for inline in inlines {
            match inline {
                Inline::Text(t) => self.text_runs(t, style, link, mode, tag, out),
                Inline::Emph(c) => self.runs(
                    c,
                    RunStyle {
                        italic: !style.italic,
                        ..style
                    },
                    link,
                    mode,
                    tag,
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
                    tag,
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
                    tag,
                    out,
                ),
                Inline::Superscript(c) => {
                    let s = RunStyle {
                        size: small_size(style.size),
                        rise: f64::from(style.size) * 0.35,
                        ..style
                    };
                    self.runs(c, s, link, mode, tag, out)
                }
                Inline::Subscript(c) => {
                    let s = RunStyle {
                        size: small_size(style.size),
                        rise: -f64::from(style.size) * 0.15,
                        ..style
                    };
                    self.runs(c, s, link, mode, tag, out)
                }
                Inline::Code(t) => {
                    let s = RunStyle {
                        mono: true,
                        size: style.size.saturating_sub(1).max(6),
                        ..style
                    };
                    // Inside a link the text stays the link's; elsewhere it is a `Code` element.
                    let code = match tag {
                        Some(t) => t,
                        None => self.inline_elem(Role::Code),
                    };
                    self.text_runs(t, s, link, BreakMode::Code, Some(code), out)
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
                            let id = self.link_id(plain_text(content));
                            let elem = self.inline_elem(Role::Link);
                            let s = RunStyle {
                                color: match self.edition {
                                    Edition::Print => None,
                                    Edition::Screen | Edition::Cards => Some(LINK_COLOR),
                                },
                                ..style
                            };
                            let link = Some((id, dest.clone()));
                            self.runs(content, s, &link, mode, Some(elem), out);
                            if !shows_its_address(&dest, &plain_text(content)) {
                                self.after_link(&dest, s, link, elem, out);
                            }
                        }
                        _ => self.runs(content, style, link, mode, tag, out),
                    }
                }
                Inline::Image { .. } => self.figures.push(inline.clone()),
                Inline::SoftBreak => out.push(Run {
                    link: link.clone(),
                    tag,
                    ..Run::plain(" ".into(), style, mode)
                }),
                Inline::LineBreak => out.push(Run::plain("\n".into(), style, mode)),
                Inline::Note(blocks) => {
                    let Some(chapter) = self.chapter.map(|c| c.id.clone()) else {
                        continue;
                    };
                    self.notes.push(blocks.clone());
                    let n = self.notes.len();
                    let id = self.link_id(format!("{} {n}", self.labels.notes));
                    let elem = self.inline_elem(Role::Link);
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
                        tag: Some(elem),
                        foot: None,
                    });
                }
                Inline::Span { attr, content } => {
                    if let Some(id) = &attr.id {
                        out.push(Self::anchor_run(id.clone(), style));
                    }
                    // A span in another language (`lang` attribute) says so in the structure.
                    let lang = attr
                        .attributes
                        .iter()
                        .find(|(k, _)| k == "lang")
                        .map(|(_, v)| v.trim().to_string())
                        .filter(|v| !v.is_empty() && *v != self.doc.meta.language);
                    let tag = match (lang, tag) {
                        (Some(lang), None) => {
                            let span = self.inline_elem(Role::Span);
                            if let Some(e) = self.tree.get_mut(span) {
                                e.lang = Some(lang);
                            }
                            Some(span)
                        }
                        (_, tag) => tag,
                    };
                    self.runs(content, style, link, mode, tag, out)
                }
            }
        }
    }

    /// What follows a link's text: an internal link's page ("p. 12", part of the link), and in
    /// the print edition an address's note number (its note is a `Note` after the link).
    fn after_link(
        &mut self,
        dest: &Dest,
        style: RunStyle,
        link: Option<(usize, Dest)>,
        elem: StructId,
        out: &mut Vec<Run>,
    ) {
        match dest {
            Dest::GoTo { anchor, chapter } => {
                let page = anchor
                    .as_deref()
                    .and_then(|a| self.info?.anchor_pages.get(a))
                    .or_else(|| self.info?.anchor_pages.get(chapter.as_str()))
                    .map(|p| (p + 1).to_string())
                    // The measuring pass: two digits hold the place.
                    .unwrap_or_else(|| "00".into());
                let text = format!("\u{a0}({}\u{a0}{page})", self.labels.page_ref);
                out.push(Run {
                    link,
                    tag: Some(elem),
                    ..Run::plain(text, style, BreakMode::Plain)
                });
            }
            Dest::Uri(url) if self.edition == Edition::Print => {
                let next = self.url_numbers.len() + 1;
                let number = *self.url_numbers.entry(url.clone()).or_insert(next);
                let note = self.inline_elem(Role::Note);
                // PDF/UA asks every Note for a unique /ID.
                if let Some(e) = self.tree.get_mut(note) {
                    e.id = Some(format!("livret-address-{note}"));
                }
                let label = self.tree.add_inline(Role::Lbl, note);
                out.push(Run {
                    foot: Some(FootRef {
                        number,
                        url: url.as_str().into(),
                        note,
                        label,
                    }),
                    ..Run::plain(
                        number.to_string(),
                        RunStyle {
                            size: small_size(style.size),
                            rise: f64::from(style.size) * 0.35,
                            ..style
                        },
                        BreakMode::Plain,
                    )
                });
            }
            Dest::Uri(_) => {}
        }
    }

    fn figure(&mut self, image: &Inline, out: &mut Stack, size: u8) {
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
            Some((i, a)) if a.width > 0 && a.height > 0 => {
                let natural_w = f64::from(a.width) / IMAGE_DPI * 25.4;
                let natural_h = f64::from(a.height) / IMAGE_DPI * 25.4;
                let scale = (self.width / natural_w).min(1.0);
                out.push(self.spacer(2.0));
                // An image with no alternative text is decoration.
                let tag = if alt.trim().is_empty() {
                    Tag::Layout
                } else {
                    let id = self.elem(Role::Figure);
                    if let Some(e) = self.tree.get_mut(id) {
                        e.alt = Some(alt.trim().to_string());
                    }
                    Tag::Struct(id)
                };
                let small = SMALL.min(size);
                // The author's caption under the image, else one made from its title or alt
                // text; either is set with the image, never on the next page alone. An
                // author's caption is followed by its paragraph's space; one made here by 2 mm.
                // A caption that says what the alt text says is for the eyes only: the figure's
                // /Alt already says it to a screen reader, so the caption is an artifact (the
                // HTML hides it the same way).
                let repeats_alt = |text: &str| {
                    !alt.trim().is_empty() && crate::write::body::says_the_same(alt, text)
                };
                // Plain words only: a link or note in it has a structure element of its own.
                fn plain_words(inlines: &[Inline]) -> bool {
                    inlines.iter().all(|i| {
                        !matches!(i, Inline::Link { .. } | Inline::Note(_))
                            && i.children().is_none_or(|c| plain_words(c))
                    })
                }
                let author_repeats = self.author_caption.as_deref().is_some_and(|inlines| {
                    plain_words(inlines) && repeats_alt(&crate::ir::plain_text(inlines))
                });
                let (caption, after) = if author_repeats {
                    self.author_caption = None;
                    let style = RunStyle {
                        italic: true,
                        ..RunStyle::body(small)
                    };
                    let mut runs = Vec::new();
                    self.text_runs(alt.trim(), style, &None, BreakMode::Plain, None, &mut runs);
                    let para = self.para(runs, Align::Center, small, Tag::Layout);
                    (Some((2.0, para)), 0.0)
                } else if let Some(inlines) = self.author_caption.take() {
                    let (id, runs) = self.inline_runs(Role::Caption, |b, runs| {
                        let style = RunStyle::body(small);
                        b.runs(&inlines, style, &None, BreakMode::Plain, None, runs)
                    });
                    let para = self.para(runs, Align::Center, small, Tag::Struct(id));
                    (Some((2.0, para)), 0.0)
                } else if !caption.trim().is_empty() {
                    let style = RunStyle {
                        italic: true,
                        ..RunStyle::body(small)
                    };
                    let mut runs = Vec::new();
                    self.text_runs(&caption, style, &None, BreakMode::Plain, None, &mut runs);
                    let para = if repeats_alt(&caption) {
                        self.para(runs, Align::Center, small, Tag::Layout)
                    } else {
                        self.tagged_para(runs, Align::Center, small, Role::Caption)
                    };
                    (Some((1.5, para)), 2.0)
                } else {
                    (None, 2.0)
                };
                out.push(ImageBox {
                    asset: i,
                    width: natural_w * scale,
                    height: natural_h * scale,
                    surface: self.surface.clone(),
                    tag,
                    done: false,
                    caption,
                });
                if after > 0.0 {
                    out.push(self.spacer(after));
                }
            }
            _ => {
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
                self.text_runs(&text, style, &None, BreakMode::Plain, None, &mut runs);
                let para = self.tagged_para(runs, Align::Center, size, Role::P);
                out.push(para);
            }
        }
    }

    fn inline_para(&mut self, inlines: &[Inline], out: &mut Stack, size: u8, align: Align) {
        // The paragraph's element first: its inline elements are made inside it (an image
        // only, and the element stays empty: the serialiser leaves it out).
        let (id, runs) = self.inline_runs(Role::P, |b, runs| {
            b.runs(
                inlines,
                RunStyle::body(size),
                &None,
                BreakMode::Prose,
                None,
                runs,
            )
        });
        let has_text = runs
            .iter()
            .any(|r| !r.text.trim().is_empty() || r.anchor.is_some());
        if has_text {
            out.push(self.para(runs, align, size, Tag::Struct(id)));
        }
        for figure in std::mem::take(&mut self.figures) {
            self.figure(&figure, out, size);
        }
    }

    /// Anchors of empty divs that no heading followed: placed where they are.
    fn flush_heading_anchors(&mut self, out: &mut Stack) {
        for anchor in std::mem::take(&mut self.heading_anchors) {
            out.push(AnchorPoint {
                anchor,
                surface: self.surface.clone(),
                done: false,
            });
        }
    }

    fn heading(
        &mut self,
        level: u8,
        anchor: Option<String>,
        content: &[Inline],
        follows: f64,
        out: &mut Stack,
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
        // The chapter title is H1; a heading never skips a level in the structure.
        let tagged = level.clamp(2, self.heading_level + 1).min(6);
        self.heading_level = tagged;
        let (id, runs) = self.inline_runs(Role::H(tagged), |b, runs| {
            for anchor in std::mem::take(&mut b.heading_anchors) {
                runs.push(Self::anchor_run(anchor, style));
            }
            if let Some(anchor) = anchor {
                runs.push(Self::anchor_run(anchor, style));
            }
            b.runs(content, style, &None, BreakMode::Plain, None, runs);
        });
        let para = self
            .para(runs, Align::Left, size, Tag::Struct(id))
            .with_leading(1.2);
        out.push(Heading {
            para,
            space_before: before,
            keep: (3.0 * line_box(BODY, 1.35).0).max(f64::from(size) * PT * 0.5 + follows),
            started: false,
            surface: self.surface.clone(),
        });
        out.push(self.spacer(f64::from(size) * PT * 0.5));
        for figure in std::mem::take(&mut self.figures) {
            self.figure(&figure, out, BODY);
        }
    }

    fn blocks(&mut self, blocks: &[Block], out: &mut Stack, size: u8, section_scope: bool) {
        let gap = f64::from(size) * PT * 0.55;
        let mut rest = blocks.iter().peekable();
        while let Some(block) = rest.next() {
            // An empty `<div id>` before a heading names that heading: its anchor goes with the
            // heading's first line (to the next page with it), not at the foot of this one.
            match block {
                Block::Div { attr, blocks } if blocks.is_empty() && attr.id.is_some() => {
                    self.heading_anchors.extend(attr.id.clone());
                    continue;
                }
                Block::Heading { .. } => {}
                _ => self.flush_heading_anchors(out),
            }
            // A lone image and the author's italic caption under it: that caption only.
            if let Block::Para(inlines) = block
                && crate::ir::lone_image(inlines).is_some()
                && let Some(Block::Para(caption)) = rest.peek().copied()
                && crate::ir::emphasis_only(caption)
            {
                // The figure sets it under the image, on the same page.
                self.author_caption = Some(caption.clone());
                self.inline_para(inlines, out, size, self.prose_align);
                self.author_caption = None;
                out.push(self.spacer(gap));
                rest.next();
                continue;
            }
            match block {
                Block::Para(inlines) => {
                    self.inline_para(inlines, out, size, self.prose_align);
                    out.push(self.spacer(gap));
                }
                Block::Plain(inlines) => {
                    self.inline_para(inlines, out, size, self.prose_align);
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
                    // What follows must start under it: a table its header and two rows, a
                    // code block two lines.
                    let follows = match rest.peek() {
                        Some(Block::Table { head, .. }) => table_start(!head.is_empty()),
                        Some(Block::CodeBlock { .. }) => 2.0 * line_box(CODE, 1.3).0 + 4.0,
                        _ => 0.0,
                    };
                    self.heading(*level, anchor, content, follows, out);
                }
                Block::BulletList(items) => {
                    let marker = match self.list_depth % 3 {
                        0 => "•",
                        1 => "◦",
                        _ => "▪",
                    };
                    // A task item's box is its marker: no bullet in front of it.
                    let markers = items
                        .iter()
                        .map(|item| {
                            if crate::ir::is_task_item(item) {
                                String::new()
                            } else {
                                marker.to_string()
                            }
                        })
                        .collect();
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
                    let id = self.elem(Role::BlockQuote);
                    self.within(id, |b| b.blocks(inner, out, size, false));
                }
                Block::BlockQuote(inner) => {
                    self.indent_depth += 1;
                    let mut body = Stack::new(self.surface.clone());
                    let id = self.elem(Role::BlockQuote);
                    self.within(id, |b| b.blocks(inner, &mut body, size, false));
                    self.indent_depth -= 1;
                    out.push(Quote {
                        body,
                        indent: 6.0,
                        surface: self.surface.clone(),
                    });
                    out.push(self.spacer(gap));
                }
                Block::CodeBlock { text, .. } => {
                    let text = self.clean(text, true);
                    let id = self.elem(Role::Code);
                    out.push(CodeBlock::new(
                        text,
                        CODE,
                        self.surface.clone(),
                        Tag::Struct(id),
                    ));
                    out.push(self.spacer(gap));
                }
                Block::Table { aligns, head, rows } => {
                    self.table(aligns, head, rows, out);
                    out.push(self.spacer(gap * 1.5));
                }
                Block::ThematicBreak => out.push(Rule {
                    surface: self.surface.clone(),
                }),
                Block::Div { attr, blocks } => {
                    if let Some(id) = &attr.id {
                        out.push(AnchorPoint {
                            anchor: id.clone(),
                            surface: self.surface.clone(),
                            done: false,
                        });
                    }
                    self.blocks(blocks, out, size, section_scope);
                }
                // The PDF has its own table of contents at the front.
                Block::Toc => {}
            }
        }
        self.flush_heading_anchors(out);
    }

    fn list(&mut self, items: &[Vec<Block>], markers: Vec<String>, out: &mut Stack, size: u8) {
        let list = self.elem(Role::L);
        let saved = std::mem::replace(&mut self.parent, list);
        if self.indent_depth >= MAX_INDENT_DEPTH {
            // Past this depth the line would be too narrow to hold words: items keep their
            // marker and text but stop moving right.
            for (item, marker) in items.iter().zip(markers) {
                let li = self.elem(Role::LI);
                self.within(li, |b| {
                    let marker = Run::plain(marker, RunStyle::body(size), BreakMode::Plain);
                    let para = b.tagged_para(vec![marker], Align::Left, size, Role::Lbl);
                    out.push(para);
                    let body = b.elem(Role::LBody);
                    b.within(body, |b| b.blocks(item, out, size, false));
                });
            }
            self.parent = saved;
            return;
        }
        self.indent_depth += 1;
        self.list_depth += 1;
        let widest = markers.iter().map(|m| m.chars().count()).max().unwrap_or(1);
        let indent = 4.0 + widest as f64 * 1.8;
        let (_, baseline) = line_box(size, 1.35);
        for (item, marker) in items.iter().zip(markers) {
            let li = self.elem(Role::LI);
            let (label, body) = self.within(li, |b| {
                let label = b.elem(Role::Lbl);
                let body_id = b.elem(Role::LBody);
                let mut body = Stack::new(b.surface.clone());
                b.within(body_id, |b| b.blocks(item, &mut body, size, false));
                (label, body)
            });
            out.push(ListItem {
                marker,
                marker_style: RunStyle::body(size),
                marker_link: None,
                marker_tag: Tag::Struct(label),
                anchor: None,
                indent,
                body,
                baseline,
                surface: self.surface.clone(),
                done: false,
            });
            out.push(self.spacer(0.8));
        }
        self.list_depth -= 1;
        self.indent_depth -= 1;
        self.parent = saved;
    }

    fn table(
        &mut self,
        aligns: &[crate::ir::Align],
        head: &[Vec<Inline>],
        rows: &[Vec<Vec<Inline>>],
        out: &mut Stack,
    ) {
        let columns = crate::ir::column_count(head, rows);
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
        // Room for the header and about two rows of small text, else the table starts on the
        // next page.
        out.push(NeedSpace {
            height: table_start(!head.is_empty()),
            started: false,
            surface: self.surface.clone(),
        });
        let table = self.elem(Role::Table);
        let saved = std::mem::replace(&mut self.parent, table);
        // Each row's cells: the runs, the alignment and the cell's structure element.
        let cells_of = |b: &mut Self,
                        row: &[Vec<Inline>],
                        is_head: bool|
         -> Vec<(Vec<Run>, Align, StructId)> {
            let tr = b.elem(Role::TR);
            b.within(tr, |b| {
                (0..columns)
                    .map(|c| {
                        let style = RunStyle {
                            bold: is_head,
                            ..RunStyle::body(SMALL)
                        };
                        let cell = b.elem(if is_head { Role::TH } else { Role::TD });
                        if is_head && let Some(e) = b.tree.get_mut(cell) {
                            e.scope = Some("Column");
                        }
                        let mut runs = Vec::new();
                        if let Some(content) = row.get(c) {
                            b.within(cell, |b| {
                                b.runs(content, style, &None, BreakMode::Prose, None, &mut runs)
                            });
                        }
                        let align = match aligns.get(c) {
                            Some(crate::ir::Align::Center) => Align::Center,
                            Some(crate::ir::Align::Right) => Align::Right,
                            _ => Align::Left,
                        };
                        (runs, align, cell)
                    })
                    .collect()
            })
        };
        let head_cells = (!head.is_empty()).then(|| {
            let thead = self.elem(Role::THead);
            self.within(thead, |b| cells_of(b, head, true))
        });
        let tbody = self.elem(Role::TBody);
        let body_cells: Vec<_> = self.within(tbody, |b| {
            rows.iter().map(|row| cells_of(b, row, false)).collect()
        });
        self.parent = saved;
        let weights: Vec<f64> = widths;
        let (hyph, surface) = (self.hyph.clone(), self.surface.clone());
        let table_of = Rc::new(
            move |rows: &[Vec<(Vec<Run>, Align, StructId)>], shade: Option<u8>, tagged: bool| {
                let mut table = Table::new(weights.clone(), shade, surface.clone());
                for row in rows {
                    let cells = row
                        .iter()
                        .map(|(runs, align, cell)| {
                            // A repeated header row is an artifact: its text is not read twice.
                            let tag = if tagged {
                                Tag::Struct(*cell)
                            } else {
                                Tag::Layout
                            };
                            let mut runs = runs.clone();
                            if !tagged {
                                for run in &mut runs {
                                    run.tag = None;
                                    run.link = None;
                                    run.anchor = None;
                                }
                            }
                            TableCell {
                                para: Para::new(
                                    runs,
                                    *align,
                                    SMALL,
                                    hyph.clone(),
                                    surface.clone(),
                                    tag,
                                ),
                                padding: [1.2, 1.5, 1.2, 1.5],
                                surface: surface.clone(),
                                row_top: false,
                            }
                        })
                        .collect();
                    table.push_row(cells);
                }
                table
            },
        );
        let body = table_of(&body_cells, None, true);
        let make_head = head_cells.map(|cells| {
            let table_of = table_of.clone();
            Box::new(move |first: bool| table_of(std::slice::from_ref(&cells), Some(230), first))
                as Box<dyn Fn(bool) -> Table>
        });
        out.push(RepeatingHeadTable::new(
            make_head,
            body,
            self.surface.clone(),
        ));
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

    fn title_page(&mut self, out: &mut Stack) {
        let meta = &self.doc.meta;
        let centred = |b: &mut Self, text: &str, style: RunStyle, role: Role, out: &mut Stack| {
            let mut runs = Vec::new();
            b.text_runs(text, style, &None, BreakMode::Plain, None, &mut runs);
            let para = b
                .tagged_para(runs, Align::Center, style.size, role)
                .with_leading(1.25);
            out.push(para);
        };
        let gap = |b: &Self, height: f64, out: &mut Stack| {
            out.push(Spacer {
                height,
                force: true,
                surface: b.surface.clone(),
            })
        };
        gap(self, 55.0, out);
        let title = meta.title.clone();
        let bold = |size| RunStyle {
            bold: true,
            ..RunStyle::body(size)
        };
        centred(self, &title, bold(24), Role::H(1), out);
        gap(self, 6.0, out);
        if let Some(subtitle) = meta.subtitle.clone() {
            let style = RunStyle {
                italic: true,
                ..RunStyle::body(14)
            };
            centred(self, &subtitle, style, Role::P, out);
            gap(self, 6.0, out);
        }
        if let Some(persona) = meta.persona.clone() {
            let name = self
                .doc
                .chapter(&persona)
                .map(|c| c.label.clone().unwrap_or_else(|| c.title.clone()))
                .unwrap_or(persona);
            let text = self.labels.persona_line(&name);
            centred(self, &text, bold(13), Role::P, out);
            gap(self, 6.0, out);
        }
        if let Some(summary) = meta.summary.clone() {
            gap(self, 12.0, out);
            centred(self, &summary, RunStyle::body(11), Role::P, out);
            gap(self, 6.0, out);
        }
        gap(self, 40.0, out);
        if let Some(author) = meta.author.clone() {
            centred(self, &author, RunStyle::body(11), Role::P, out);
            gap(self, 2.0, out);
        }
        if let Some(publisher) = meta.publisher.clone() {
            centred(self, &publisher, bold(11), Role::P, out);
            gap(self, 2.0, out);
        }
        if let Some(date) = meta.date.clone() {
            centred(self, &date, RunStyle::body(11), Role::P, out);
            gap(self, 2.0, out);
        }
    }

    fn toc(&mut self, outline: &[OutlineEntry], out: &mut Stack) {
        out.push(PageBreak {
            surface: self.surface.clone(),
            done: false,
        });
        let toc = self.elem(Role::TOC);
        let saved = std::mem::replace(&mut self.parent, toc);
        let style = RunStyle {
            bold: true,
            ..RunStyle::body(18)
        };
        let mut runs = Vec::new();
        let contents = self.labels.contents.clone();
        self.text_runs(&contents, style, &None, BreakMode::Plain, None, &mut runs);
        // The list's title: a caption of the TOC, not a heading of the book.
        let para = self.tagged_para(runs, Align::Left, 18, Role::Caption);
        out.push(para);
        out.push(self.spacer(6.0));
        let mut force_gap = false;
        for entry in outline {
            if force_gap {
                out.push(self.spacer(2.5));
            }
            force_gap = true;
            let item = self.toc_line(entry, &entry.anchor, 0.0, true, out);
            if !entry.children.is_empty() {
                let sub = self.within(item, |b| b.elem(Role::TOC));
                self.within(sub, |b| {
                    for section in &entry.children {
                        b.toc_line(section, &entry.anchor, 6.0, false, out);
                    }
                });
            }
        }
        self.parent = saved;
    }

    /// One entry: `TOCI` → `Reference` → `Link` (title and page number). Returns the `TOCI`.
    fn toc_line(
        &mut self,
        entry: &OutlineEntry,
        chapter_id: &str,
        indent: f64,
        chapter: bool,
        out: &mut Stack,
    ) -> StructId {
        let size = if chapter { 11 } else { BODY };
        let style = RunStyle {
            bold: chapter,
            ..RunStyle::body(size)
        };
        let item = self.elem(Role::TOCI);
        let reference = self.within(item, |b| b.elem(Role::Reference));
        let link = self.within(reference, |b| b.elem(Role::Link));
        let mut runs = Vec::new();
        self.text_runs(
            &entry.title,
            style,
            &None,
            BreakMode::Plain,
            None,
            &mut runs,
        );
        let id = self.link_id(entry.title.clone());
        out.push(TocLine {
            title: self
                .para(runs, Align::Left, size, Tag::Struct(link))
                .with_leading(1.3),
            indent,
            number: self.page_of(&entry.anchor),
            number_style: style,
            link: (
                id,
                Dest::GoTo {
                    anchor: Some(entry.anchor.clone()),
                    chapter: chapter_id.to_string(),
                },
            ),
            tag: link,
            surface: self.surface.clone(),
        });
        out.push(self.spacer(0.6));
        item
    }

    /// One page per persona: its name, who it is for, its questions with their page in the
    /// handout, and a QR code to its page on the site (a `Figure` whose /Alt is the address).
    fn cards(&mut self, cards: &[Card], out: &mut Stack) {
        for card in cards {
            out.push(PageBreak {
                surface: self.surface.clone(),
                done: false,
            });
            let sect = self.within(ROOT, |b| b.elem(Role::Sect));
            self.parent = sect;
            let bold = |size| RunStyle {
                bold: true,
                ..RunStyle::body(size)
            };
            let mut runs = Vec::new();
            self.text_runs(
                &card.name,
                bold(22),
                &None,
                BreakMode::Plain,
                None,
                &mut runs,
            );
            let para = self
                .tagged_para(runs, Align::Left, 22, Role::H(1))
                .with_leading(1.2);
            out.push(para);
            if let Some(who) = &card.who {
                let style = RunStyle {
                    italic: true,
                    ..RunStyle::body(12)
                };
                let mut runs = Vec::new();
                self.text_runs(who, style, &None, BreakMode::Prose, None, &mut runs);
                out.push(self.spacer(2.0));
                let para = self.tagged_para(runs, Align::Left, 12, Role::P);
                out.push(para);
            }
            out.push(self.spacer(6.0));
            let list = self.elem(Role::L);
            let (_, baseline) = line_box(BODY, 1.35);
            for (question, page) in &card.questions {
                let li = self.within(list, |b| b.elem(Role::LI));
                let (label, body) = self.within(li, |b| {
                    let label = b.elem(Role::Lbl);
                    let body_id = b.elem(Role::LBody);
                    let mut runs = Vec::new();
                    b.text_runs(
                        question,
                        RunStyle::body(BODY),
                        &None,
                        BreakMode::Prose,
                        None,
                        &mut runs,
                    );
                    if let Some(page) = page {
                        let text = format!("\u{a0}({}\u{a0}{page})", b.labels.page_ref);
                        runs.push(Run::plain(
                            text,
                            RunStyle::body(BODY).grey(80),
                            BreakMode::Plain,
                        ));
                    }
                    let mut body = Stack::new(b.surface.clone());
                    let para =
                        b.within(body_id, |b| b.tagged_para(runs, Align::Left, BODY, Role::P));
                    body.push(para);
                    (label, body)
                });
                out.push(ListItem {
                    marker: "•".into(),
                    marker_style: RunStyle::body(BODY),
                    marker_link: None,
                    marker_tag: Tag::Struct(label),
                    anchor: None,
                    indent: 5.0,
                    body,
                    baseline,
                    surface: self.surface.clone(),
                    done: false,
                });
                out.push(self.spacer(1.2));
            }
            if let Some(url) = &card.url
                && let Ok(code) = qrcode::QrCode::new(url.as_bytes())
            {
                out.push(self.spacer(8.0));
                let figure = self.elem(Role::Figure);
                if let Some(e) = self.tree.get_mut(figure) {
                    e.alt = Some(url.clone());
                }
                let width = code.width();
                let modules = code
                    .to_colors()
                    .into_iter()
                    .map(|c| c == qrcode::Color::Dark)
                    .collect();
                out.push(QrBox {
                    modules,
                    width,
                    size: (width as f64 * 1.1).clamp(30.0, 45.0),
                    tag: Tag::Struct(figure),
                    surface: self.surface.clone(),
                    done: false,
                });
                // The address under it, for a reader without a camera.
                let mut runs = Vec::new();
                let style = RunStyle::body(SMALL);
                self.text_runs(url, style, &None, BreakMode::Url, None, &mut runs);
                // The figure's /Alt says it already: read once (as a caption repeating it).
                out.push(self.spacer(2.0));
                out.push(self.para(runs, Align::Center, SMALL, Tag::Layout));
            }
            self.parent = ROOT;
        }
    }

    fn chapter(&mut self, chapter: &'a Chapter, out: &mut Stack) {
        self.chapter = Some(chapter);
        self.notes.clear();
        self.section_count = 0;
        self.heading_level = 1;
        out.push(PageBreak {
            surface: self.surface.clone(),
            done: false,
        });
        let sect = self.within(ROOT, |b| b.elem(Role::Sect));
        self.parent = sect;
        // A chapter in another language: its structure says so, its words hyphenate so.
        let language = chapter
            .lang
            .clone()
            .unwrap_or_else(|| self.doc.meta.language.clone());
        if language != self.doc.meta.language
            && let Some(e) = self.tree.get_mut(sect)
        {
            e.lang = Some(language.clone());
        }
        self.set_language(&language);
        let style = RunStyle {
            bold: true,
            ..RunStyle::body(20)
        };
        let mut runs = vec![Self::anchor_run(chapter.id.clone(), style)];
        self.text_runs(
            &chapter.title,
            style,
            &None,
            BreakMode::Plain,
            None,
            &mut runs,
        );
        let title = self
            .tagged_para(runs, Align::Left, 20, Role::H(1))
            .with_leading(1.2);
        out.push(title);
        if let Some(subtitle) = &chapter.subtitle {
            let style = RunStyle {
                italic: true,
                ..RunStyle::body(13)
            };
            let mut runs = Vec::new();
            self.text_runs(subtitle, style, &None, BreakMode::Plain, None, &mut runs);
            out.push(self.spacer(1.5));
            let para = self.tagged_para(runs, Align::Left, 13, Role::P);
            out.push(para);
        }
        // The chapter's summary, as HTML and EPUB show it (once, when it repeats the subtitle).
        if let Some(summary) = chapter
            .summary
            .as_ref()
            .filter(|s| chapter.subtitle.as_deref().map(str::trim) != Some(s.trim()))
        {
            let mut runs = Vec::new();
            let style = RunStyle::body(11);
            self.text_runs(summary, style, &None, BreakMode::Prose, None, &mut runs);
            out.push(self.spacer(2.0));
            let para = self.tagged_para(runs, Align::Left, 11, Role::P);
            out.push(para);
        }
        out.push(self.spacer(7.0));
        self.blocks(&chapter.blocks, out, BODY, true);
        if !self.notes.is_empty() {
            self.chapter_notes(chapter, out);
        }
        self.parent = ROOT;
    }

    fn chapter_notes(&mut self, chapter: &Chapter, out: &mut Stack) {
        out.push(self.spacer(4.0));
        // The rule goes with the heading (and what it keeps) to the next page if need be.
        out.push(NeedSpace {
            height: 8.0 + line_box(11, 1.35).0 + 2.0 + 2.0 * line_box(SMALL, 1.35).0,
            started: false,
            surface: self.surface.clone(),
        });
        out.push(Rule {
            surface: self.surface.clone(),
        });
        let style = RunStyle {
            bold: true,
            ..RunStyle::body(11)
        };
        let mut runs = Vec::new();
        let notes = self.labels.notes.clone();
        self.text_runs(&notes, style, &None, BreakMode::Plain, None, &mut runs);
        let level = (self.heading_level + 1).min(2);
        let para = self.tagged_para(runs, Align::Left, 11, Role::H(level));
        out.push(Heading {
            para,
            space_before: 0.0,
            // The space under it and two lines of the first note.
            keep: 2.0 + 2.0 * line_box(SMALL, 1.35).0,
            started: false,
            surface: self.surface.clone(),
        });
        out.push(self.spacer(2.0));
        let marker_style = RunStyle {
            color: Some(LINK_COLOR),
            ..RunStyle::body(SMALL)
        };
        let (_, baseline) = line_box(SMALL, 1.35);
        // Notes may hold notes: the list grows while it is set.
        let mut n = 0;
        while n < self.notes.len() {
            let blocks = self.notes[n].clone();
            n += 1;
            let note = self.elem(Role::Note);
            if let Some(e) = self.tree.get_mut(note) {
                e.id = Some(note_key(&chapter.id, n));
            }
            let (label, body) = self.within(note, |b| {
                let lbl = b.elem(Role::Lbl);
                let link = b.within(lbl, |b| b.elem(Role::Link));
                let mut body = Stack::new(b.surface.clone());
                b.blocks(&blocks, &mut body, SMALL, false);
                (link, body)
            });
            let id = self.link_id(format!("{n}"));
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
                marker_tag: Tag::Struct(label),
                anchor: Some(note_key(&chapter.id, n)),
                indent: 7.0,
                body,
                baseline,
                surface: self.surface.clone(),
                done: false,
            });
            out.push(self.spacer(1.0));
        }
    }
}

/// Room a table needs to start: its header row and two rows of small text (or three rows).
fn table_start(has_head: bool) -> f64 {
    let line = f64::from(SMALL) * PT * 1.3 + 2.4;
    line * if has_head { 3.0 } else { 2.0 }
}

fn small_size(size: u8) -> u8 {
    ((f64::from(size) * 0.7).round() as u8).max(5)
}

/// How far a layout pass goes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PassKind {
    /// Only learn where things land.
    Measure,
    /// Lay out and keep the paint of every page.
    Render,
}

/// One layout pass: the elements and the tree are built, then painted page by page.
#[allow(clippy::too_many_arguments)]
pub fn layout_pass(
    doc: &Document,
    diags: &mut Diagnostics,
    info: Option<&PassInfo>,
    kind: PassKind,
    edition: Edition,
    cards: &[Card],
    fonts: &FontSet,
    metrics: &Rc<Metrics>,
) -> Result<Pass> {
    let write_err = |e: PdfError| Error::Write {
        format: "pdf",
        message: e.to_string(),
    };
    let (w, h) = page_size_mm(doc.meta.page_size);
    let (t, _, b, _) = margins(doc.meta.page_size);
    let mut surface = Surface::new(metrics.clone(), h, h - t - b, kind == PassKind::Render);
    if edition == Edition::Print {
        let (_, _, _, l) = margins(doc.meta.page_size);
        surface = surface.with_foot_notes(l, text_width(doc.meta.page_size), h - b);
    }
    let surface: SurfaceRef = Rc::new(RefCell::new(surface));
    let heads = RunningHeads {
        book_title: doc.meta.title.clone(),
        headers: match info {
            Some(info) => (0..info.total_pages)
                .map(|p| {
                    info.chapter_starts
                        .iter()
                        .rev()
                        .find(|(start, _)| *start <= p)
                        .map(|(_, t)| t.clone())
                        .unwrap_or_else(|| doc.meta.labels.contents.clone())
                })
                .collect(),
            None => Vec::new(),
        },
        total: info.map(|i| i.total_pages),
        margins: margins(doc.meta.page_size),
        shown: edition != Edition::Cards,
    };
    let outline = outline(doc);
    let mut root = Stack::new(surface.clone());
    let (tree, link_texts) = {
        let fallback = ['\u{fffd}', '□', '?']
            .into_iter()
            .find(|&c| (0..4).all(|f| metrics.has_glyph(f, c)))
            .unwrap_or('?');
        let mut builder = Builder {
            doc,
            fonts,
            metrics: metrics.clone(),
            hyph: None,
            dictionaries: HashMap::new(),
            prose_align: Align::Left,
            surface: surface.clone(),
            tree: StructTree::default(),
            link_texts: HashMap::new(),
            diags,
            info,
            labels: doc.meta.labels.clone(),
            width: text_width(doc.meta.page_size),
            coverage: [vec![0; COVERAGE_INDEXED], vec![0; COVERAGE_INDEXED]],
            glyphs: HashMap::new(),
            warned: BTreeSet::new(),
            fallback,
            next_link: 0,
            chapter: None,
            notes: Vec::new(),
            section_count: 0,
            list_depth: 0,
            indent_depth: 0,
            figures: Vec::new(),
            parent: ROOT,
            author_caption: None,
            code_face_needed: false,
            heading_level: 1,
            edition,
            heading_anchors: Vec::new(),
            url_numbers: HashMap::new(),
        };
        builder.set_language(&doc.meta.language);
        if edition == Edition::Cards {
            builder.cards(cards, &mut root);
        } else {
            let front = builder.elem(Role::Part);
            builder.within(front, |b| {
                b.title_page(&mut root);
                b.toc(&outline, &mut root);
            });
            for chapter in &doc.chapters {
                builder.chapter(chapter, &mut root);
            }
        }
        (builder.tree, builder.link_texts)
    };
    let tree = Rc::new(tree);
    let mut gdoc = genpdf::Document::new(fonts::layout_family().map_err(write_err)?);
    gdoc.set_paper_size(genpdf::Size::new(mm(w), mm(h)));
    gdoc.set_minimal_conformance();
    gdoc.push(Book {
        root,
        surface: surface.clone(),
        tree: tree.clone(),
        heads,
        page_width: w,
    });
    gdoc.render(std::io::sink()).map_err(write_err)?;
    let (tree, log) = match (Rc::try_unwrap(tree), Rc::try_unwrap(surface)) {
        (Ok(tree), Ok(cell)) => (tree, cell.into_inner()),
        _ => {
            return Err(Error::Write {
                format: "pdf",
                message: "the layout kept its surface".into(),
            });
        }
    };
    let total_pages = log.page() + 1;
    let log = log.into_log();
    let anchor_pages: BTreeMap<String, usize> = log
        .anchors
        .iter()
        .map(|(name, &(page, _))| (name.clone(), page))
        .collect();
    let chapter_starts = doc
        .chapters
        .iter()
        .filter_map(|c| anchor_pages.get(&c.id).map(|&p| (p, c.title.clone())))
        .collect();
    Ok(Pass {
        info: PassInfo {
            total_pages,
            anchor_pages,
            chapter_starts,
        },
        outline,
        log,
        tree,
        link_texts,
    })
}

/// The book as one genpdf element that runs the page loop itself. genpdf's own loop
/// (`Document::render`) is the only maker of the `Context` every element is handed (it is
/// `#[non_exhaustive]`, its constructor private), so genpdf renders this element once, on its
/// first page; inside that call, each of our pages gets its running heads, the root renders
/// what fits in the body, and the page is encoded and dropped. genpdf then sees one finished
/// page and writes its (empty) file, which nobody reads.
struct Book {
    root: Stack,
    surface: SurfaceRef,
    tree: Rc<StructTree>,
    heads: RunningHeads,
    page_width: f64,
}

impl Element for Book {
    fn render(
        &mut self,
        ctx: &Context,
        page: genpdf::render::Area<'_>,
        style: Style,
    ) -> std::result::Result<genpdf::RenderResult, PdfError> {
        let (t, r, b, l) = self.heads.margins;
        let mut index = 0;
        loop {
            {
                let mut s = self.surface.borrow_mut();
                s.start_page(index);
                self.heads.paint(&mut s, index, self.page_width);
            }
            let mut body = page.clone();
            body.add_margins(Margins::trbl(mm(t), mm(r), mm(b), mm(l)));
            let root = &mut self.root;
            let result = offset(&self.surface, (l, t), || root.render(ctx, body, style))?;
            let mut s = self.surface.borrow_mut();
            s.paint_foot_notes();
            s.finish_page(&self.tree);
            drop(s);
            if !result.has_more {
                return Ok(genpdf::RenderResult::default());
            }
            if result.size == genpdf::Size::new(0, 0) {
                return Err(PdfError::new(
                    "an element fits on no page",
                    genpdf::error::ErrorKind::PageSizeExceeded,
                ));
            }
            index += 1;
        }
    }
}

/// A link whose text is its own address (`https://x.fr`, an e-mail address) needs no note.
fn shows_its_address(dest: &Dest, text: &str) -> bool {
    let Dest::Uri(url) = dest else { return false };
    let bare = |s: &str| {
        let s = s.trim();
        let s = s
            .split_once(':')
            .filter(|(scheme, _)| {
                !scheme.is_empty()
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            })
            .map_or(s, |(_, rest)| rest);
        s.trim_start_matches("//")
            .trim_end_matches('/')
            .to_ascii_lowercase()
    };
    !text.trim().is_empty() && bare(url) == bare(text)
}

/// Characters below this are looked up in `Builder::coverage` by index (Latin to CJK symbols).
const COVERAGE_INDEXED: usize = 0x3000;

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
