//! Our genpdf elements besides the paragraph (`para.rs`). genpdf's `Element` protocol decides
//! where pages break (render what fits, say whether more is left); every element paints on the
//! surface (`surface.rs`), never through genpdf's printpdf layer, inside the tag of the
//! structure element it shows. A container renders a child through `surface::offset`, which
//! moves the surface as the container moves genpdf's `Area`.

use super::metrics::MONO;
use super::para::{EPS, Para, RunStyle, at_top, done, line_box, mm, no_more, val};
use super::structure::StructId;
use super::surface::{Dest, SurfaceRef, Tag, offset};
use genpdf::error::Error as PdfError;
use genpdf::render::Area;
use genpdf::style::Style;
use genpdf::{Context, Element, Position, RenderResult, Size};

/// Children one under the other (genpdf's `LinearLayout`, telling each child where it is).
pub struct Stack {
    children: Vec<Box<dyn Element>>,
    next: usize,
    surface: SurfaceRef,
}

impl Stack {
    pub fn new(surface: SurfaceRef) -> Self {
        Stack {
            children: Vec::new(),
            next: 0,
            surface,
        }
    }

    pub fn push<E: Element + 'static>(&mut self, element: E) {
        self.children.push(Box::new(element));
    }
}

impl Element for Stack {
    fn render(
        &mut self,
        ctx: &Context,
        mut area: Area<'_>,
        style: Style,
    ) -> Result<RenderResult, PdfError> {
        let width = val(area.size().width);
        let mut height = 0.0;
        while let Some(child) = self.children.get_mut(self.next) {
            let surface = &self.surface;
            let result = offset(surface, (0.0, height), || {
                // The print edition's notes at the page foot take room from the body.
                let mut area = area.clone();
                let room = surface.borrow().room();
                if room < val(area.size().height) {
                    area.set_height(mm(room.max(0.0)));
                }
                child.render(ctx, area, style)
            })?;
            let h = val(result.size.height);
            height += h;
            area.add_offset(Position::new(mm(0.0), mm(h)));
            if result.has_more {
                if height == 0.0 {
                    return Ok(no_more(width));
                }
                return Ok(done(width, height, true));
            }
            // A finished child's memory goes with it.
            self.children[self.next] = Box::new(Gone);
            self.next += 1;
        }
        Ok(done(width, height, false))
    }
}

/// What a finished child of a `Stack` becomes.
struct Gone;

impl Element for Gone {
    fn render(&mut self, _: &Context, _: Area<'_>, _: Style) -> Result<RenderResult, PdfError> {
        Ok(RenderResult::default())
    }
}

/// Starts a new page unless at the top of one already.
pub struct PageBreak {
    pub surface: SurfaceRef,
    pub done: bool,
}

impl Element for PageBreak {
    fn render(
        &mut self,
        _ctx: &Context,
        area: Area<'_>,
        _style: Style,
    ) -> Result<RenderResult, PdfError> {
        if self.done || at_top(&self.surface, &area) {
            self.done = true;
            return Ok(RenderResult::default());
        }
        self.done = true;
        Ok(no_more(val(area.size().width)))
    }
}

/// Vertical space, dropped at the top of a page.
pub struct Spacer {
    pub height: f64,
    /// Kept even at the top of a page (title page).
    pub force: bool,
    pub surface: SurfaceRef,
}

impl Element for Spacer {
    fn render(
        &mut self,
        _ctx: &Context,
        area: Area<'_>,
        _style: Style,
    ) -> Result<RenderResult, PdfError> {
        let height = if !self.force && at_top(&self.surface, &area) {
            0.0
        } else {
            self.height.min(val(area.size().height))
        };
        Ok(done(0.0, height, false))
    }
}

/// Moves what follows to the next page unless `height` mm are left on this one (a table's
/// header row must not end a page without a row under it).
pub struct NeedSpace {
    pub height: f64,
    pub started: bool,
    pub surface: SurfaceRef,
}

impl Element for NeedSpace {
    fn render(
        &mut self,
        _ctx: &Context,
        area: Area<'_>,
        _style: Style,
    ) -> Result<RenderResult, PdfError> {
        let width = val(area.size().width);
        if !self.started && !at_top(&self.surface, &area) && val(area.size().height) < self.height {
            return Ok(no_more(width));
        }
        self.started = true;
        Ok(RenderResult::default())
    }
}

/// A heading: space above, kept on the page of what follows (needs `keep` mm below it).
pub struct Heading {
    pub para: Para,
    pub space_before: f64,
    pub keep: f64,
    pub started: bool,
    pub surface: SurfaceRef,
}

impl Element for Heading {
    fn render(
        &mut self,
        ctx: &Context,
        mut area: Area<'_>,
        style: Style,
    ) -> Result<RenderResult, PdfError> {
        let width = val(area.size().width);
        let mut before = 0.0;
        if !self.started {
            let top = at_top(&self.surface, &area);
            let h = self.para.measure(width);
            before = if top { 0.0 } else { self.space_before };
            if !top && val(area.size().height) < before + h + self.keep {
                return Ok(no_more(width));
            }
            self.started = true;
            area.add_offset(Position::new(mm(0.0), mm(before)));
        }
        let para = &mut self.para;
        let mut result = offset(&self.surface, (0.0, before), || {
            para.render(ctx, area, style)
        })?;
        result.size.height += mm(before);
        Ok(result)
    }
}

/// A code block: monospace lines on a shaded background; a line wider than the block continues
/// on the next line after a `↪` mark.
pub struct CodeBlock {
    pub text: String,
    pub size: u8,
    pub surface: SurfaceRef,
    pub tag: Tag,
    lines: Option<Vec<(bool, String)>>,
    next: usize,
}

const CODE_PAD: f64 = 2.0;
pub const CONTINUATION: &str = "↪ ";

impl CodeBlock {
    pub fn new(text: String, size: u8, surface: SurfaceRef, tag: Tag) -> Self {
        CodeBlock {
            text,
            size,
            surface,
            tag,
            lines: None,
            next: 0,
        }
    }

    fn style(&self) -> RunStyle {
        RunStyle {
            mono: true,
            ..RunStyle::body(self.size)
        }
    }

    fn wrap(&self, width: f64) -> Vec<(bool, String)> {
        let metrics = self.surface.borrow().metrics.clone();
        let char_w = metrics.char_width(MONO, f64::from(self.size), 'M').max(0.1);
        let cols = (((width - 2.0 * CODE_PAD) / char_w).floor() as usize).max(8);
        let mut out = Vec::new();
        for line in self.text.trim_end_matches('\n').split('\n') {
            let line = line.replace('\t', "    ");
            let chars: Vec<char> = line.trim_end().chars().collect();
            if chars.len() <= cols {
                out.push((false, chars.into_iter().collect()));
                continue;
            }
            out.push((false, chars[..cols].iter().collect()));
            let mut rest = &chars[cols..];
            let cont_cols = cols - 2;
            while !rest.is_empty() {
                let n = rest.len().min(cont_cols);
                out.push((true, rest[..n].iter().collect()));
                rest = &rest[n..];
            }
        }
        out
    }
}

impl Element for CodeBlock {
    fn render(
        &mut self,
        _ctx: &Context,
        area: Area<'_>,
        _style: Style,
    ) -> Result<RenderResult, PdfError> {
        let width = val(area.size().width);
        if self.lines.is_none() {
            self.lines = Some(self.wrap(width));
        }
        let lines = self.lines.take().unwrap_or_default();
        if self.next >= lines.len() {
            self.lines = Some(lines);
            return Ok(RenderResult::default());
        }
        let (line_h, baseline) = line_box(self.size, 1.3);
        let avail = val(area.size().height);
        let top = at_top(&self.surface, &area);
        let first = self.next == 0;
        let pad_top = if first { CODE_PAD } else { 1.0 };
        let mut fit = 0;
        let mut h = pad_top;
        for _ in &lines[self.next..] {
            if h + line_h + CODE_PAD > avail + EPS {
                break;
            }
            h += line_h;
            fit += 1;
        }
        let remaining = lines.len() - self.next;
        if fit < remaining.min(2) && !top {
            self.lines = Some(lines);
            return Ok(no_more(width));
        }
        let fit = fit.max(1).min(remaining);
        let last = self.next + fit == lines.len();
        let height = pad_top + fit as f64 * line_h + if last { CODE_PAD } else { 1.0 };
        let style = self.style().text();
        let grey = self.style().grey(130).text();
        let mut s = self.surface.borrow_mut();
        let metrics = s.metrics.clone();
        let mark = s.mark();
        let cont_w = metrics.width(MONO, f64::from(self.size), CONTINUATION);
        let mut y = pad_top;
        for (cont, text) in &lines[self.next..self.next + fit] {
            let mut x = CODE_PAD;
            if *cont {
                s.tagged(Tag::Layout, |s| s.text(x, y + baseline, grey, CONTINUATION));
                x += cont_w;
            }
            s.tagged(self.tag, |s| s.text(x, y + baseline, style, text));
            y += line_h;
        }
        s.fill_under(mark, 0.0, 0.0, width, height, 240);
        drop(s);
        self.next += fit;
        self.lines = Some(lines);
        Ok(done(width, height, !last))
    }
}

/// A list item: its marker hangs in the indent, aligned on the first line of the body.
pub struct ListItem {
    pub marker: String,
    pub marker_style: RunStyle,
    pub marker_link: Option<(usize, Dest)>,
    /// The `Lbl` element (or the link around a note's number).
    pub marker_tag: Tag,
    pub anchor: Option<String>,
    pub indent: f64,
    pub body: Stack,
    pub baseline: f64,
    pub surface: SurfaceRef,
    pub done: bool,
}

impl Element for ListItem {
    fn render(
        &mut self,
        ctx: &Context,
        area: Area<'_>,
        style: Style,
    ) -> Result<RenderResult, PdfError> {
        let mut body_area = area.clone();
        body_area.add_offset(Position::new(mm(self.indent), mm(0.0)));
        let mark = self.surface.borrow().mark();
        let body = &mut self.body;
        let result = offset(&self.surface, (self.indent, 0.0), || {
            body.render(ctx, body_area, style)
        })?;
        if !self.done && val(result.size.height) > 0.0 {
            let mut s = self.surface.borrow_mut();
            let text = self.marker_style.text();
            let w = s.metrics.width(text.face, text.size, &self.marker);
            let x = (self.indent - 1.8 - w).max(0.0);
            // Painted once the body is known to start on this page, yet read before it.
            let (tag, baseline, marker) = (self.marker_tag, self.baseline, &self.marker);
            s.insert_at(mark, |s| {
                s.tagged(tag, |s| s.text(x, baseline, text, marker))
            });
            if let Some(anchor) = &self.anchor {
                s.anchor(anchor, 0.0);
            }
            if let Some((id, dest)) = &self.marker_link {
                let (h, _) = line_box(self.marker_style.size, 1.35);
                let tag = match self.marker_tag {
                    Tag::Struct(s) => Some(s),
                    _ => None,
                };
                s.link(*id, dest, tag, x, 0.0, w, h);
            }
            self.done = true;
        }
        Ok(RenderResult {
            size: Size::new(area.size().width, result.size.height),
            has_more: result.has_more,
        })
    }
}

/// A block quote: indented, with a grey rule on its left.
pub struct Quote {
    pub body: Stack,
    pub indent: f64,
    pub surface: SurfaceRef,
}

impl Element for Quote {
    fn render(
        &mut self,
        ctx: &Context,
        area: Area<'_>,
        style: Style,
    ) -> Result<RenderResult, PdfError> {
        let mut inner = area.clone();
        inner.add_offset(Position::new(mm(self.indent), mm(0.0)));
        let body = &mut self.body;
        let result = offset(&self.surface, (self.indent, 0.0), || {
            body.render(ctx, inner, style)
        })?;
        let h = val(result.size.height);
        if h > 0.0 {
            self.surface
                .borrow_mut()
                .tagged(Tag::Layout, |s| s.line(&[(1.5, 0.0), (1.5, h)], 170, 1.0));
        }
        Ok(RenderResult {
            size: Size::new(area.size().width, result.size.height),
            has_more: result.has_more,
        })
    }
}

/// A thematic break: a short centred rule.
pub struct Rule {
    pub surface: SurfaceRef,
}

impl Element for Rule {
    fn render(
        &mut self,
        _ctx: &Context,
        area: Area<'_>,
        _style: Style,
    ) -> Result<RenderResult, PdfError> {
        let w = val(area.size().width);
        if val(area.size().height) < 8.0 {
            return Ok(no_more(w));
        }
        self.surface.borrow_mut().tagged(Tag::Layout, |s| {
            s.line(&[(w * 0.35, 4.0), (w * 0.65, 4.0)], 140, 1.0)
        });
        Ok(done(w, 8.0, false))
    }
}

/// An image, drawn by the serialiser from the asset (genpdf would re-encode JPEGs and rejects
/// alpha).
pub struct ImageBox {
    pub asset: usize,
    pub width: f64,
    pub height: f64,
    pub surface: SurfaceRef,
    pub tag: Tag,
    pub done: bool,
    /// The caption set under the image (the gap above it, in mm): a page never ends between.
    pub caption: Option<(f64, Para)>,
}

impl Element for ImageBox {
    fn render(
        &mut self,
        ctx: &Context,
        area: Area<'_>,
        style: Style,
    ) -> Result<RenderResult, PdfError> {
        let avail_w = val(area.size().width);
        let avail_h = val(area.size().height);
        let mut used = 0.0;
        if !self.done {
            let caption = match &mut self.caption {
                Some((gap, para)) => *gap + para.measure(avail_w),
                None => 0.0,
            };
            let (mut w, mut h) = (self.width, self.height);
            if w > avail_w {
                h *= avail_w / w;
                w = avail_w;
            }
            if h + caption > avail_h + EPS {
                if !at_top(&self.surface, &area) {
                    return Ok(no_more(avail_w));
                }
                // Taller than a whole page with its caption: shrink to fit (the caption's
                // room taken only while the image keeps half the page).
                let room = if avail_h - caption >= avail_h / 2.0 {
                    avail_h - caption
                } else {
                    avail_h
                };
                if h > room {
                    w *= room / h;
                    h = room;
                }
            }
            let x = ((avail_w - w) / 2.0).max(0.0);
            let (tag, asset) = (self.tag, self.asset);
            self.surface
                .borrow_mut()
                .tagged(tag, |s| s.image(asset, x, 0.0, w, h));
            self.done = true;
            used = h;
        }
        let Some((gap, para)) = &mut self.caption else {
            return Ok(done(avail_w, used, false));
        };
        let y = if used > 0.0 { used + *gap } else { 0.0 };
        if y >= avail_h {
            return Ok(done(avail_w, used, true));
        }
        let mut below = area.clone();
        below.add_offset(Position::new(mm(0.0), mm(y)));
        let result = offset(&self.surface, (0.0, y), || para.render(ctx, below, style))?;
        let height = y + val(result.size.height);
        if result.has_more && height < EPS {
            return Ok(no_more(avail_w));
        }
        Ok(done(avail_w, height, result.has_more))
    }
}

/// A table of contents line: the title (wrapped), the page number flush right, all one link.
pub struct TocLine {
    pub title: Para,
    pub indent: f64,
    pub number: String,
    pub number_style: RunStyle,
    pub link: (usize, Dest),
    /// The entry's `Link` element.
    pub tag: StructId,
    pub surface: SurfaceRef,
}

impl Element for TocLine {
    fn render(
        &mut self,
        ctx: &Context,
        area: Area<'_>,
        style: Style,
    ) -> Result<RenderResult, PdfError> {
        let width = val(area.size().width);
        let number_col = 14.0;
        let title_w = width - self.indent - number_col;
        let h = self.title.measure(title_w);
        if h > val(area.size().height) + EPS && !at_top(&self.surface, &area) {
            return Ok(no_more(width));
        }
        let mut title_area = area.clone();
        title_area.add_offset(Position::new(mm(self.indent), mm(0.0)));
        title_area.set_width(mm(title_w));
        let title = &mut self.title;
        let result = offset(&self.surface, (self.indent, 0.0), || {
            title.render(ctx, title_area, style)
        })?;
        let height = val(result.size.height);
        let (last_h, last_base) = self.title.last_line();
        let mut s = self.surface.borrow_mut();
        let text = self.number_style.text();
        let nw = s.metrics.width(text.face, text.size, &self.number);
        let number = &self.number;
        s.tagged(Tag::Struct(self.tag), |s| {
            s.text(width - nw, height - last_h + last_base, text, number)
        });
        s.link(
            self.link.0,
            &self.link.1,
            Some(self.tag),
            self.indent,
            0.0,
            width - self.indent,
            height,
        );
        Ok(done(width, height, result.has_more))
    }
}

/// A table cell: its paragraph inside padding. A cell whose paragraph places no line on this
/// page takes no room either, so a row that starts at the foot of a page leaves no empty
/// bordered sliver there: it starts whole on the next page.
pub struct TableCell {
    pub para: Para,
    /// Top, right, bottom, left, in mm.
    pub padding: [f64; 4],
    pub surface: SurfaceRef,
    /// The cell's row starts a page: its paragraph must place something.
    pub row_top: bool,
}

impl Element for TableCell {
    fn render(
        &mut self,
        ctx: &Context,
        mut area: Area<'_>,
        style: Style,
    ) -> Result<RenderResult, PdfError> {
        let [top, right, bottom, left] = self.padding;
        area.add_margins(genpdf::Margins::trbl(mm(top), mm(right), mm(0.0), mm(left)));
        let room = val(area.size().height) - bottom;
        if room > 0.0 {
            area.set_height(mm(room));
        }
        self.para.force_top = self.row_top;
        let para = &mut self.para;
        let result = offset(&self.surface, (left, top), || para.render(ctx, area, style))?;
        if result.has_more && val(result.size.height) < EPS {
            return Ok(RenderResult {
                size: Size::new(mm(0.0), mm(0.0)),
                has_more: true,
            });
        }
        Ok(done(
            val(result.size.width) + left + right,
            val(result.size.height) + top + bottom,
            result.has_more,
        ))
    }
}

/// Rows of cells in columns of fixed relative widths, light grey borders, an optional shade.
pub struct Table {
    weights: Vec<f64>,
    rows: Vec<Vec<TableCell>>,
    next: usize,
    shade: Option<u8>,
    surface: SurfaceRef,
}

impl Table {
    pub fn new(weights: Vec<f64>, shade: Option<u8>, surface: SurfaceRef) -> Self {
        Table {
            weights,
            rows: Vec::new(),
            next: 0,
            shade,
            surface,
        }
    }

    pub fn push_row(&mut self, row: Vec<TableCell>) {
        self.rows.push(row);
    }
}

impl Element for Table {
    fn render(
        &mut self,
        ctx: &Context,
        mut area: Area<'_>,
        style: Style,
    ) -> Result<RenderResult, PdfError> {
        let width = val(area.size().width);
        let total: f64 = self.weights.iter().sum::<f64>().max(EPS);
        let widths: Vec<f64> = self.weights.iter().map(|w| w / total * width).collect();
        let mut height = 0.0;
        while self.next < self.rows.len() {
            let row_top = at_top(&self.surface, &area);
            let mark = self.surface.borrow().mark();
            let mut row_h: f64 = 0.0;
            let mut more = false;
            let mut x = 0.0;
            let avail = val(area.size().height);
            for (cell, &w) in self.rows[self.next].iter_mut().zip(&widths) {
                let mut cell_area = area.clone();
                cell_area.add_offset(Position::new(mm(x), mm(0.0)));
                cell_area.set_width(mm(w));
                cell.row_top = row_top;
                let result = offset(&self.surface, (x, height), || {
                    cell.render(ctx, cell_area, style)
                })?;
                row_h = row_h.max(val(result.size.height));
                more |= result.has_more;
                x += w;
            }
            if row_h < EPS {
                // Nothing of this row fits here.
                if height < EPS {
                    return Ok(no_more(width));
                }
                return Ok(done(width, height, true));
            }
            let row_h = row_h.min(avail);
            let (shade, surface) = (self.shade, &self.surface);
            offset(surface, (0.0, height), || {
                let mut s = surface.borrow_mut();
                if let Some(level) = shade {
                    s.fill_under(mark, 0.0, 0.0, width, row_h, level);
                }
                let mut x = 0.0;
                let tag = s.begin_tag(Tag::Layout);
                for &w in &widths {
                    let (x0, x1) = (x, x + w);
                    s.line(
                        &[(x0, 0.0), (x1, 0.0), (x1, row_h), (x0, row_h), (x0, 0.0)],
                        160,
                        0.5,
                    );
                    x = x1;
                }
                s.end_tag(tag);
            });
            height += row_h;
            area.add_offset(Position::new(mm(0.0), mm(row_h)));
            if more {
                return Ok(done(width, height, true));
            }
            // A finished row's paragraphs are not needed again.
            self.rows[self.next] = Vec::new();
            self.next += 1;
        }
        Ok(done(width, height, false))
    }
}

/// A header row taller than this is not repeated on the pages a table continues on.
const MAX_REPEATED_HEAD: f64 = 60.0;

/// A table whose header row is set again at the top of every page the table continues on;
/// the repeats are artifacts (`make_head(false)` tags their text as such).
pub struct RepeatingHeadTable {
    make_head: Option<Box<dyn Fn(bool) -> Table>>,
    head: Option<Table>,
    body: Table,
    repeat: bool,
    surface: SurfaceRef,
}

impl RepeatingHeadTable {
    pub fn new(
        make_head: Option<Box<dyn Fn(bool) -> Table>>,
        body: Table,
        surface: SurfaceRef,
    ) -> Self {
        let head = make_head.as_ref().map(|make| make(true));
        RepeatingHeadTable {
            make_head,
            head,
            body,
            repeat: true,
            surface,
        }
    }
}

impl Element for RepeatingHeadTable {
    fn render(
        &mut self,
        ctx: &Context,
        mut area: Area<'_>,
        style: Style,
    ) -> Result<RenderResult, PdfError> {
        let width = area.size().width;
        let page_top = at_top(&self.surface, &area);
        let mut height = 0.0;
        if let Some(head) = &mut self.head {
            let result = head.render(ctx, area.clone(), style)?;
            height += val(result.size.height);
            area.add_offset(Position::new(mm(0.0), result.size.height));
            if result.has_more || height > MAX_REPEATED_HEAD {
                // A header that does not fit on a page is set once.
                self.repeat = false;
            }
            if result.has_more {
                return Ok(RenderResult {
                    size: Size::new(width, mm(height)),
                    has_more: true,
                });
            }
            self.head = None;
        }
        let body = &mut self.body;
        let result = offset(&self.surface, (0.0, height), || {
            body.render(ctx, area, style)
        })?;
        let body_height = val(result.size.height);
        if result.has_more && page_top && body_height < EPS {
            // Not one line of the body fits under the header on a whole page: stop repeating,
            // so genpdf sees a row that fits nowhere instead of a header on every new page.
            self.repeat = false;
        }
        if result.has_more && self.repeat {
            self.head = self.make_head.as_ref().map(|make| make(false));
        }
        Ok(RenderResult {
            size: Size::new(width, mm(height + body_height)),
            has_more: result.has_more,
        })
    }
}

/// A named place with no extent (an empty `<div id>` / `<a id>` between blocks).
pub struct AnchorPoint {
    pub anchor: String,
    pub surface: SurfaceRef,
    pub done: bool,
}

impl Element for AnchorPoint {
    fn render(
        &mut self,
        _ctx: &Context,
        _area: Area<'_>,
        _style: Style,
    ) -> Result<RenderResult, PdfError> {
        if !self.done {
            self.surface.borrow_mut().anchor(&self.anchor, 0.0);
            self.done = true;
        }
        Ok(RenderResult::default())
    }
}

/// A QR code drawn as filled squares (one rectangle per run of dark modules in a row),
/// centred, tagged as its figure.
pub struct QrBox {
    /// Dark modules, row by row, `width` a row.
    pub modules: Vec<bool>,
    pub width: usize,
    /// Side of the code in mm.
    pub size: f64,
    pub tag: Tag,
    pub surface: SurfaceRef,
    pub done: bool,
}

impl Element for QrBox {
    fn render(
        &mut self,
        _ctx: &Context,
        area: Area<'_>,
        _style: Style,
    ) -> Result<RenderResult, PdfError> {
        if self.done {
            return Ok(RenderResult::default());
        }
        let width = val(area.size().width);
        if val(area.size().height) < self.size && !at_top(&self.surface, &area) {
            return Ok(no_more(width));
        }
        self.done = true;
        let module = self.size / self.width.max(1) as f64;
        let left = ((width - self.size) / 2.0).max(0.0);
        let mut s = self.surface.borrow_mut();
        s.tagged(self.tag, |s| {
            for (row, cells) in self.modules.chunks(self.width.max(1)).enumerate() {
                let mut col = 0;
                while col < cells.len() {
                    if !cells[col] {
                        col += 1;
                        continue;
                    }
                    let start = col;
                    while col < cells.len() && cells[col] {
                        col += 1;
                    }
                    s.fill(
                        left + start as f64 * module,
                        row as f64 * module,
                        (col - start) as f64 * module,
                        module,
                        0,
                    );
                }
            }
        });
        Ok(done(width, self.size, false))
    }
}
