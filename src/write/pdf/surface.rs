//! The drawing surface the elements paint on, and the page log it keeps for the serialiser.
//!
//! Positions: an element paints in millimetres relative to its area; the surface adds the
//! offset its containers pushed (`push_offset`/`pop`, or `offset` around a child's render).
//! Structure: paint belongs to the innermost tag opened with `begin_tag` (a structure element
//! or an artifact); `end_tag` takes the id `begin_tag` returned, so tags nest as written.
//! When the page loop finishes a page, its paint is encoded (`encode.rs`) and dropped: the log
//! holds compressed pages, the places and the link rectangles, nothing of the layout.
//!
//! genpdf's `Element::render(&mut self, &Context, Area, Style)` carries nothing of ours, so the
//! elements reach the surface through a handle they hold (`SurfaceRef`). It holds paint only:
//! no element reads layout state back from it (the body height is fixed when the surface is
//! made; a table tells its cells that their row starts a page).

use super::encode::{Encoder, PageContent};
use super::metrics::{FACE_COUNT, Metrics};
use super::structure::{StructId, StructTree};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// Millimetres per PDF point.
pub const PT: f64 = 25.4 / 72.0;

/// Where a link goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Dest {
    Uri(String),
    /// An element id (or the chapter's start when the id was not placed).
    GoTo {
        anchor: Option<String>,
        chapter: String,
    },
}

/// What painted content is: part of a structure element, or an artifact (PDF 32000 §14.8.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Struct(StructId),
    /// Running headers, page numbers.
    Pagination,
    /// Rules, borders, shading, repeated table headers, a caption repeating its figure's /Alt.
    Layout,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Paint {
    Gray(u8),
    Rgb(u8, u8, u8),
}

/// One face at one size in one colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextStyle {
    pub face: u8,
    pub size: f64,
    pub paint: Paint,
}

#[derive(Debug, Clone)]
pub enum Draw {
    /// Glyphs from `x` on the baseline `y` (points, origin bottom-left); each glyph with the
    /// kerning before it in thousandths of an em.
    Text {
        style: TextStyle,
        x: f64,
        y: f64,
        glyphs: Vec<(u16, i32)>,
    },
    Line {
        points: Vec<(f64, f64)>,
        gray: u8,
        width: f64,
    },
    Fill {
        rect: [f64; 4],
        gray: u8,
    },
    Image {
        asset: usize,
        rect: [f64; 4],
    },
}

/// One piece of a link on a page: its rectangle in points (x0, y0, x1, y1).
#[derive(Debug, Clone)]
pub struct LinkPiece {
    pub page: usize,
    pub id: usize,
    pub dest: Dest,
    pub rect: [f64; 4],
    /// The `Link` structure element of the link.
    pub tag: Option<StructId>,
}

/// The glyphs of one face drawn so far, each with the first character it showed: a table by
/// glyph id (looked up for every glyph drawn), listed in glyph order once at the end.
#[derive(Debug, Default)]
pub struct GlyphsUsed {
    by_id: Vec<Option<char>>,
}

impl GlyphsUsed {
    fn insert(&mut self, id: u16, c: char) {
        let i = usize::from(id);
        if i >= self.by_id.len() {
            self.by_id.resize(i + 1, None);
        }
        if self.by_id[i].is_none() {
            self.by_id[i] = Some(c);
        }
    }

    /// (glyph id, character), in glyph order.
    pub fn list(&self) -> BTreeMap<u16, char> {
        self.by_id
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((u16::try_from(i).ok()?, (*c)?)))
            .collect()
    }
}

/// Everything the serialiser needs of the painting: pages, places, links, glyphs, images.
#[derive(Default)]
pub struct PageLog {
    pub pages: Vec<PageContent>,
    /// Named places: first placement wins (page, top edge in points).
    pub anchors: HashMap<String, (usize, f64)>,
    pub links: Vec<LinkPiece>,
    /// Glyphs drawn per face, each with the character it shows (indexed by glyph id).
    pub glyphs: Vec<GlyphsUsed>,
    /// Largest printed size of each image, in points.
    pub image_sizes: BTreeMap<usize, (f64, f64)>,
}

/// An address printed at the foot of the page where its link is (the print edition): its
/// number (one per address, through the book) and the `Note` and `Lbl` it is tagged with.
#[derive(Debug, Clone, PartialEq)]
pub struct FootRef {
    pub number: usize,
    pub url: Rc<str>,
    pub note: StructId,
    pub label: StructId,
}

/// Size of the notes at a page foot, the room above them (their rule) and the indent of
/// their text (after the number).
const FOOT_SIZE: u8 = 8;
const FOOT_RULE: f64 = 4.0;
const FOOT_INDENT: f64 = 6.0;

/// The page foot of the print edition: where it is, and the notes of the page being set.
struct Foot {
    left: f64,
    width: f64,
    /// The body's bottom edge, mm from the page's top.
    bottom: f64,
    /// (note, its height, where its paint goes among the page's draws).
    notes: Vec<(FootRef, f64, usize)>,
}

/// `url` cut into lines no wider than `width` mm, after `/ . ? &` (no hyphen added); a piece
/// with no such place that is still too wide is cut where the line is full.
pub fn url_lines(metrics: &Metrics, size: f64, url: &str, width: f64) -> Vec<String> {
    // Widths summed character by character (no kerning): linear in the address's length.
    let w = |text: &str| -> f64 { text.chars().map(|c| metrics.char_width(0, size, c)).sum() };
    let mut pieces: Vec<&str> = Vec::new();
    let mut start = 0;
    for (i, c) in url.char_indices() {
        if matches!(c, '/' | '.' | '?' | '&') {
            pieces.push(&url[start..i + 1]);
            start = i + 1;
        }
    }
    if start < url.len() {
        pieces.push(&url[start..]);
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut used = 0.0;
    for piece in pieces {
        let piece_w = w(piece);
        if !line.is_empty() && used + piece_w > width {
            lines.push(std::mem::take(&mut line));
            used = 0.0;
        }
        if used + piece_w <= width {
            line.push_str(piece);
            used += piece_w;
            continue;
        }
        for c in piece.chars() {
            let cw = metrics.char_width(0, size, c);
            if !line.is_empty() && used + cw > width {
                lines.push(std::mem::take(&mut line));
                used = 0.0;
            }
            line.push(c);
            used += cw;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The open tag `begin_tag` returned; `end_tag` closes it.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a tag is closed with end_tag"]
pub struct TagId(usize);

pub struct Surface {
    /// Height of an empty page's body area: an area this tall is at the top of a page.
    pub body_height: f64,
    pub page_height: f64,
    /// Paint is kept (the final pass) or only places are learnt (measuring passes).
    pub painting: bool,
    pub metrics: Rc<Metrics>,
    /// 0-based index of the page being painted.
    page: usize,
    /// Offset of the current area from the page's top-left corner, in mm; the stack of pushes.
    at: (f64, f64),
    offsets: Vec<(f64, f64)>,
    tags: Vec<Tag>,
    draws: Vec<(Tag, Draw)>,
    encoder: Encoder,
    log: PageLog,
    /// The print edition's page foot, where addresses are printed.
    foot: Option<Foot>,
}

pub type SurfaceRef = Rc<RefCell<Surface>>;

impl Surface {
    pub fn new(metrics: Rc<Metrics>, page_height: f64, body_height: f64, painting: bool) -> Self {
        Surface {
            body_height,
            page_height,
            painting,
            metrics,
            page: 0,
            at: (0.0, 0.0),
            offsets: Vec::new(),
            tags: Vec::new(),
            draws: Vec::new(),
            encoder: Encoder::default(),
            log: PageLog {
                glyphs: (0..FACE_COUNT).map(|_| GlyphsUsed::default()).collect(),
                ..PageLog::default()
            },
            foot: None,
        }
    }

    /// Prints the addresses of links at the foot of their page, in a column `width` mm wide
    /// `left` mm from the page's edge, the body ending `bottom` mm from the page's top.
    pub fn with_foot_notes(mut self, left: f64, width: f64, bottom: f64) -> Self {
        self.foot = Some(Foot {
            left,
            width,
            bottom,
            notes: Vec::new(),
        });
        self
    }

    pub fn has_foot_notes(&self) -> bool {
        self.foot.is_some()
    }

    /// Room from the current area's top down to the page's notes (unbounded with none).
    pub fn room(&self) -> f64 {
        match &self.foot {
            // No note yet: the area genpdf gives is the room (nothing is clipped at a page top).
            Some(foot) if !foot.notes.is_empty() => foot.bottom - self.foot_height(&[]) - self.at.1,
            _ => f64::INFINITY,
        }
    }

    fn note_height(&self, url: &str) -> f64 {
        let Some(foot) = &self.foot else { return 0.0 };
        let size = f64::from(FOOT_SIZE);
        let lines = url_lines(&self.metrics, size, url, foot.width - FOOT_INDENT).len();
        lines as f64 * size * PT * 1.25 + 0.6
    }

    /// Height of the page's notes with `more` added (those already there count once).
    pub fn foot_height(&self, more: &[&FootRef]) -> f64 {
        let Some(foot) = &self.foot else { return 0.0 };
        let mut numbers: Vec<usize> = foot.notes.iter().map(|(n, ..)| n.number).collect();
        let mut height: f64 = foot.notes.iter().map(|(_, h, _)| h).sum();
        for r in more {
            if !numbers.contains(&r.number) {
                numbers.push(r.number);
                height += self.note_height(&r.url);
            }
        }
        if numbers.is_empty() {
            0.0
        } else {
            height + FOOT_RULE
        }
    }

    /// Whether address `number` has its note on this page already.
    pub fn has_foot_note(&self, number: usize) -> bool {
        self.foot
            .as_ref()
            .is_some_and(|f| f.notes.iter().any(|(n, ..)| n.number == number))
    }

    /// Puts `r` among the page's notes, unless its address is there already.
    pub fn add_foot_note(&mut self, r: &FootRef) {
        if self.foot.is_none() || self.has_foot_note(r.number) {
            return;
        }
        let height = self.note_height(&r.url);
        let mark = self.draws.len();
        if let Some(foot) = &mut self.foot {
            foot.notes.push((r.clone(), height, mark));
        }
    }

    /// Paints the page's notes at its foot, each in the content stream where its link is (the
    /// structure tree's order: the note follows its link).
    pub fn paint_foot_notes(&mut self) {
        let Some(foot) = &mut self.foot else { return };
        let notes = std::mem::take(&mut foot.notes);
        let (left, width, bottom) = (foot.left, foot.width, foot.bottom);
        if notes.is_empty() {
            return;
        }
        let total: f64 = notes.iter().map(|(_, h, _)| h).sum();
        let top = bottom - total;
        let size = f64::from(FOOT_SIZE);
        let line = size * PT * 1.25;
        let style = super::para::RunStyle::body(FOOT_SIZE).text();
        let mut placed = Vec::with_capacity(notes.len());
        let mut y = top;
        for (note, height, mark) in &notes {
            placed.push((note, y, *mark));
            y += height;
        }
        // Last mark first: inserting paint moves what comes after it.
        for (k, (note, y, mark)) in placed.into_iter().enumerate().rev() {
            let metrics = self.metrics.clone();
            self.insert_at(mark, |s| {
                if k == 0 {
                    s.tagged(Tag::Layout, |s| {
                        s.line(&[(left, top - 2.5), (left + 30.0, top - 2.5)], 0, 0.4)
                    });
                }
                let baseline = y + size * PT * 0.95;
                s.tagged(Tag::Struct(note.label), |s| {
                    s.text(left, baseline, style, &format!("{}.", note.number))
                });
                s.tagged(Tag::Struct(note.note), |s| {
                    let lines = url_lines(&metrics, size, &note.url, width - FOOT_INDENT);
                    for (i, text) in lines.iter().enumerate() {
                        s.text(left + FOOT_INDENT, baseline + i as f64 * line, style, text);
                    }
                });
            });
        }
    }

    pub fn push_offset(&mut self, dx: f64, dy: f64) {
        self.offsets.push(self.at);
        self.at = (self.at.0 + dx, self.at.1 + dy);
    }

    pub fn pop(&mut self) {
        if let Some(at) = self.offsets.pop() {
            self.at = at;
        }
    }

    /// Opens `tag`: paint until the matching `end_tag` belongs to it.
    pub fn begin_tag(&mut self, tag: Tag) -> TagId {
        self.tags.push(tag);
        TagId(self.tags.len())
    }

    pub fn end_tag(&mut self, id: TagId) {
        debug_assert_eq!(id.0, self.tags.len(), "tags close innermost first");
        self.tags.truncate(id.0.saturating_sub(1));
    }

    /// Runs `f` with `tag` open.
    pub fn tagged<T>(&mut self, tag: Tag, f: impl FnOnce(&mut Self) -> T) -> T {
        let id = self.begin_tag(tag);
        let out = f(self);
        self.end_tag(id);
        out
    }

    fn tag(&self) -> Tag {
        self.tags.last().copied().unwrap_or(Tag::Layout)
    }

    /// 0-based index of the page being painted.
    pub fn page(&self) -> usize {
        self.page
    }

    /// Starts page `index` (the page loop's call), at the page's top-left corner.
    pub fn start_page(&mut self, index: usize) {
        self.page = index;
        self.at = (0.0, 0.0);
        self.offsets.clear();
        self.tags.clear();
        if let Some(foot) = &mut self.foot {
            foot.notes.clear();
        }
    }

    /// Encodes the page's paint and drops it (painting passes only).
    pub fn finish_page(&mut self, tree: &StructTree) {
        if !self.painting {
            self.draws.clear();
            return;
        }
        let content = self.encoder.page(&self.draws, tree);
        self.draws.clear();
        while self.log.pages.len() < self.page {
            self.log.pages.push(PageContent::default());
        }
        self.log.pages.push(content);
    }

    pub fn into_log(self) -> PageLog {
        self.log
    }

    fn x(&self, x: f64) -> f64 {
        (self.at.0 + x) / PT
    }

    fn y(&self, y: f64) -> f64 {
        (self.page_height - self.at.1 - y) / PT
    }

    pub fn anchor(&mut self, name: &str, y: f64) {
        if !self.log.anchors.contains_key(name) {
            let at = (self.page, self.y(y));
            self.log.anchors.insert(name.to_string(), at);
        }
    }

    /// Prints `text` with its baseline at `baseline` mm below the area's top, from `x` mm.
    /// Characters the face lacks are never drawn (no `.notdef` glyph reaches the page).
    pub fn text(&mut self, x: f64, baseline: f64, style: TextStyle, text: &str) {
        if !self.painting || text.is_empty() {
            return;
        }
        let metrics = self.metrics.clone();
        let mut glyphs = Vec::with_capacity(text.len());
        let mut prev = 0u16;
        let mut skipped = 0.0f32;
        let used = &mut self.log.glyphs[usize::from(style.face)];
        for c in text.chars() {
            let g = metrics.glyph(style.face, c);
            if g.id == 0 {
                // Keep the room the measure gave it, without drawing anything.
                skipped += g.advance;
                continue;
            }
            let kern = metrics.kern(style.face, prev, g.id) + skipped;
            skipped = 0.0;
            glyphs.push((g.id, -(kern * 1000.0).round() as i32));
            used.insert(g.id, c);
            prev = g.id;
        }
        if glyphs.is_empty() {
            return;
        }
        let (x, y) = (self.x(x), self.y(baseline));
        let tag = self.tag();
        self.draws.push((
            tag,
            Draw::Text {
                style,
                x,
                y,
                glyphs,
            },
        ));
    }

    /// A polyline, in mm relative to the area.
    pub fn line(&mut self, points: &[(f64, f64)], gray: u8, width: f64) {
        if !self.painting {
            return;
        }
        let points = points
            .iter()
            .map(|&(x, y)| (self.x(x), self.y(y)))
            .collect();
        let tag = self.tag();
        self.draws.push((
            tag,
            Draw::Line {
                points,
                gray,
                width,
            },
        ));
    }

    /// Where the next paint goes: `fill_under` and `insert_at` put paint there later.
    pub fn mark(&self) -> usize {
        self.draws.len()
    }

    /// Paint made by `f` goes at `mark`, before what was painted since (a label painted once
    /// its item's body is known to start on this page, yet read first).
    pub fn insert_at<T>(&mut self, mark: usize, f: impl FnOnce(&mut Self) -> T) -> T {
        let after = self.draws.split_off(mark.min(self.draws.len()));
        let out = f(self);
        self.draws.extend(after);
        out
    }

    /// A grey rectangle (mm, relative to the area) painted under what was drawn since `mark`:
    /// a layout artifact.
    pub fn fill_under(&mut self, mark: usize, x: f64, y: f64, w: f64, h: f64, gray: u8) {
        if !self.painting {
            return;
        }
        let rect = [self.x(x), self.y(y + h), w / PT, h / PT];
        let at = mark.min(self.draws.len());
        self.draws
            .insert(at, (Tag::Layout, Draw::Fill { rect, gray }));
    }

    /// A filled rectangle (mm, relative to the area), part of the open tag (a QR code's
    /// modules in its figure).
    pub fn fill(&mut self, x: f64, y: f64, w: f64, h: f64, gray: u8) {
        if !self.painting {
            return;
        }
        let rect = [self.x(x), self.y(y + h), w / PT, h / PT];
        let tag = self.tag();
        self.draws.push((tag, Draw::Fill { rect, gray }));
    }

    pub fn image(&mut self, asset: usize, x: f64, y: f64, w: f64, h: f64) {
        if !self.painting {
            return;
        }
        let size = self.log.image_sizes.entry(asset).or_insert((0.0, 0.0));
        size.0 = size.0.max(w / PT);
        size.1 = size.1.max(h / PT);
        let rect = [self.x(x), self.y(y + h), w / PT, h / PT];
        let tag = self.tag();
        self.draws.push((tag, Draw::Image { asset, rect }));
    }

    /// A link's rectangle (mm, relative to the area) on this page.
    #[allow(clippy::too_many_arguments)]
    pub fn link(
        &mut self,
        id: usize,
        dest: &Dest,
        tag: Option<StructId>,
        x: f64,
        y: f64,
        w: f64,
        h: f64,
    ) {
        if !self.painting {
            return;
        }
        let rect = [self.x(x), self.y(y + h), self.x(x + w), self.y(y)];
        let page = self.page;
        // The same piece recorded again (an element drawn twice at one place) counts once.
        if let Some(last) = self.log.links.last_mut()
            && last.id == id
            && last.page == page
            && last.rect == rect
        {
            return;
        }
        self.log.links.push(LinkPiece {
            page,
            id,
            dest: dest.clone(),
            rect,
            tag,
        });
    }
}

/// Renders a child `dx`, `dy` mm from its container's area on the surface (the container
/// offsets genpdf's `Area` alike): the one place an offset is pushed and popped.
pub fn offset<T>(surface: &SurfaceRef, (dx, dy): (f64, f64), render: impl FnOnce() -> T) -> T {
    surface.borrow_mut().push_offset(dx, dy);
    let out = render();
    surface.borrow_mut().pop();
    out
}
