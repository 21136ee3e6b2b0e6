//! The typed channel between layout and serialiser: what each element paints, where, and for
//! which structure element; named places and link rectangles. A page's paint is encoded into
//! its content stream (with its marked-content sequences) as soon as the page is finished, so
//! a long book holds compressed pages, not laid-out ones.

use super::metrics::{FACE_COUNT, Metrics};
use super::structure::{StructId, StructTree};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
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
    /// Rules, borders, shading, repeated table headers.
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
enum Draw {
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

/// A finished page.
#[derive(Debug, Default)]
pub struct PageContent {
    /// The content stream, zlib-compressed.
    pub stream: Vec<u8>,
    /// Structure element of each marked-content id on the page (its parent tree entry).
    pub mcids: Vec<StructId>,
    pub images: BTreeSet<usize>,
}

/// What the layout learns, shared by the elements, the page decorator and the builder.
pub struct Recorder {
    /// 0-based index of the page being laid out.
    pub page: usize,
    /// Height of an empty page's body area: an area this tall is at the top of a page.
    pub body_height: f64,
    /// Top-left corner, in mm from the page's top-left, of the area being rendered.
    pub origin: (f64, f64),
    pub page_height: f64,
    /// Paint is kept (the final pass) or only places are learnt (measuring passes).
    pub painting: bool,
    /// A table row at the top of a page: its cells must place something.
    pub force_progress: bool,
    pub metrics: Rc<Metrics>,
    /// Named places: first placement wins (page, top edge in points).
    pub anchors: HashMap<String, (usize, f64)>,
    pub links: Vec<LinkPiece>,
    /// Each link's text, for its annotation's `/Contents`.
    pub link_texts: HashMap<usize, String>,
    pub tree: StructTree,
    pub pages: Vec<PageContent>,
    /// Glyphs drawn per face, each with the character it shows (indexed by glyph id).
    pub glyphs: Vec<GlyphsUsed>,
    /// Largest printed size of each image, in points.
    pub image_sizes: BTreeMap<usize, (f64, f64)>,
    draws: Vec<(Tag, Draw)>,
}

pub type Shared = Rc<RefCell<Recorder>>;

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

impl Recorder {
    pub fn new(metrics: Rc<Metrics>, page_height: f64, painting: bool, tree: StructTree) -> Self {
        Recorder {
            page: 0,
            body_height: 0.0,
            origin: (0.0, 0.0),
            page_height,
            painting,
            force_progress: false,
            metrics,
            anchors: HashMap::new(),
            links: Vec::new(),
            link_texts: HashMap::new(),
            tree,
            pages: Vec::new(),
            glyphs: (0..FACE_COUNT).map(|_| GlyphsUsed::default()).collect(),
            image_sizes: BTreeMap::new(),
            draws: Vec::new(),
        }
    }

    fn x(&self, x: f64) -> f64 {
        (self.origin.0 + x) / PT
    }

    fn y(&self, y: f64) -> f64 {
        (self.page_height - self.origin.1 - y) / PT
    }

    /// Starts page `index`, finishing the one before.
    pub fn start_page(&mut self, index: usize) {
        if index > 0 {
            self.finish_page();
        }
        self.page = index;
    }

    /// Encodes the current page's paint (painting passes only).
    pub fn finish_page(&mut self) {
        let draws = std::mem::take(&mut self.draws);
        if !self.painting {
            return;
        }
        let page = self.page;
        let content = encode_page(draws, page, &mut self.tree);
        while self.pages.len() < page {
            self.pages.push(PageContent::default());
        }
        self.pages.push(content);
    }

    pub fn anchor(&mut self, name: &str, y: f64) {
        if !self.anchors.contains_key(name) {
            let at = (self.page, self.y(y));
            self.anchors.insert(name.to_string(), at);
        }
    }

    /// Prints `text` with its baseline at `baseline` mm below the area's top, from `x` mm.
    /// Characters the face lacks are never drawn (no `.notdef` glyph reaches the page).
    pub fn text(&mut self, tag: Tag, x: f64, baseline: f64, style: TextStyle, text: &str) {
        if !self.painting || text.is_empty() {
            return;
        }
        let metrics = self.metrics.clone();
        let mut glyphs = Vec::with_capacity(text.len());
        let mut prev = 0u16;
        let mut skipped = 0.0f32;
        let used = &mut self.glyphs[usize::from(style.face)];
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
    pub fn line(&mut self, tag: Tag, points: &[(f64, f64)], gray: u8, width: f64) {
        if !self.painting {
            return;
        }
        let points = points
            .iter()
            .map(|&(x, y)| (self.x(x), self.y(y)))
            .collect();
        self.draws.push((
            tag,
            Draw::Line {
                points,
                gray,
                width,
            },
        ));
    }

    /// Where the next paint goes: `fill_under` puts a background there later.
    pub fn mark(&self) -> usize {
        self.draws.len()
    }

    /// A grey rectangle (mm, relative to the area) painted under what was drawn since `mark`.
    pub fn fill_under(&mut self, mark: usize, x: f64, y: f64, w: f64, h: f64, gray: u8) {
        if !self.painting {
            return;
        }
        let rect = [self.x(x), self.y(y + h), w / PT, h / PT];
        let at = mark.min(self.draws.len());
        self.draws
            .insert(at, (Tag::Layout, Draw::Fill { rect, gray }));
    }

    pub fn image(&mut self, tag: Tag, asset: usize, x: f64, y: f64, w: f64, h: f64) {
        if !self.painting {
            return;
        }
        let size = self.image_sizes.entry(asset).or_insert((0.0, 0.0));
        size.0 = size.0.max(w / PT);
        size.1 = size.1.max(h / PT);
        let rect = [self.x(x), self.y(y + h), w / PT, h / PT];
        self.draws.push((tag, Draw::Image { asset, rect }));
    }

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
        if let Some(last) = self.links.last_mut()
            && last.id == id
            && last.page == page
            && last.rect == rect
        {
            return;
        }
        self.links.push(LinkPiece {
            page,
            id,
            dest: dest.clone(),
            rect,
            tag,
        });
    }
}

/// Numbers as short as PDF allows (two decimals are 1/7200 in: finer than any printer).
fn num(out: &mut String, v: f64) {
    let r = (v * 100.0).round() / 100.0;
    if r == r.trunc() && r.abs() < 1e15 {
        let _ = write!(out, "{}", r as i64);
    } else {
        let s = format!("{r:.2}");
        out.push_str(s.trim_end_matches('0'));
    }
}

fn paint_op(out: &mut String, paint: Paint, stroke: bool) {
    match paint {
        Paint::Gray(g) => {
            num(out, f64::from(g) / 255.0);
            out.push_str(if stroke { " G\n" } else { " g\n" });
        }
        Paint::Rgb(r, g, b) => {
            for c in [r, g, b] {
                num(out, f64::from(c) / 255.0);
                out.push(' ');
            }
            out.push_str(if stroke { "RG\n" } else { "rg\n" });
        }
    }
}

/// One page's paint as a content stream: every run of paint for one structure element is one
/// marked-content sequence with its MCID; artifacts are marked as such.
fn encode_page(draws: Vec<(Tag, Draw)>, page: usize, tree: &mut StructTree) -> PageContent {
    let mut out = String::with_capacity(draws.len() * 48);
    let mut content = PageContent::default();
    let mut i = 0;
    while i < draws.len() {
        let tag = draws[i].0;
        let mut end = i + 1;
        while end < draws.len() && draws[end].0 == tag {
            end += 1;
        }
        match tag {
            Tag::Struct(id) => {
                let mcid = content.mcids.len();
                content.mcids.push(id);
                tree.add_content(id, page, mcid);
                let _ = writeln!(out, "/{} <</MCID {mcid}>> BDC", tree.role(id));
            }
            Tag::Pagination => out.push_str("/Artifact <</Type /Pagination>> BDC\n"),
            Tag::Layout => out.push_str("/Artifact <</Type /Layout>> BDC\n"),
        }
        let mut in_text = false;
        let mut font: Option<(u8, f64)> = None;
        let mut fill: Option<Paint> = None;
        for (_, draw) in &draws[i..end] {
            match draw {
                Draw::Text {
                    style,
                    x,
                    y,
                    glyphs,
                } => {
                    if !in_text {
                        out.push_str("BT\n");
                        in_text = true;
                        font = None;
                    }
                    if font != Some((style.face, style.size)) {
                        let _ = write!(out, "/F{} ", style.face);
                        num(&mut out, style.size);
                        out.push_str(" Tf\n");
                        font = Some((style.face, style.size));
                    }
                    if fill != Some(style.paint) {
                        paint_op(&mut out, style.paint, false);
                        fill = Some(style.paint);
                    }
                    out.push_str("1 0 0 1 ");
                    num(&mut out, *x);
                    out.push(' ');
                    num(&mut out, *y);
                    out.push_str(" Tm\n[<");
                    const HEX: &[u8; 16] = b"0123456789ABCDEF";
                    for (gid, kern) in glyphs {
                        if *kern != 0 {
                            let _ = write!(out, "> {kern} <");
                        }
                        // Four hex digits by hand: `write!` is most of a long line's cost.
                        for shift in [12, 8, 4, 0] {
                            out.push(char::from(HEX[usize::from((gid >> shift) & 0xF)]));
                        }
                    }
                    out.push_str(">] TJ\n");
                }
                other => {
                    if in_text {
                        out.push_str("ET\n");
                        in_text = false;
                    }
                    match other {
                        Draw::Line {
                            points,
                            gray,
                            width,
                        } => {
                            out.push_str("q\n");
                            paint_op(&mut out, Paint::Gray(*gray), true);
                            num(&mut out, *width);
                            out.push_str(" w\n");
                            for (k, (x, y)) in points.iter().enumerate() {
                                num(&mut out, *x);
                                out.push(' ');
                                num(&mut out, *y);
                                out.push_str(if k == 0 { " m\n" } else { " l\n" });
                            }
                            out.push_str("S\nQ\n");
                        }
                        Draw::Fill { rect, gray } => {
                            out.push_str("q\n");
                            paint_op(&mut out, Paint::Gray(*gray), false);
                            for v in rect {
                                num(&mut out, *v);
                                out.push(' ');
                            }
                            out.push_str("re\nf\nQ\n");
                        }
                        Draw::Image { asset, rect } => {
                            content.images.insert(*asset);
                            out.push_str("q\n");
                            let [x, y, w, h] = *rect;
                            for v in [w, 0.0, 0.0, h, x, y] {
                                num(&mut out, v);
                                out.push(' ');
                            }
                            let _ = writeln!(out, "cm\n/Im{asset} Do\nQ");
                        }
                        Draw::Text { .. } => {}
                    }
                    fill = None;
                }
            }
        }
        if in_text {
            out.push_str("ET\n");
        }
        out.push_str("EMC\n");
        i = end;
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    // Writing into a Vec cannot fail.
    let _ = z.write_all(out.as_bytes());
    content.stream = z.finish().unwrap_or_default();
    content
}
