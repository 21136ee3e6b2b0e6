//! Our own genpdf elements. genpdf's `Paragraph` drops words wider than the line, cannot hyphenate
//! with our dictionary, justify or tell where a link landed, so text is set here; everything that
//! the post-pass needs to know (anchors, link rectangles, image boxes, shaded backgrounds) is
//! recorded as an event plus an invisible marker drawn into the page (see `post.rs`).

use super::fonts::Families;
use super::hyphenate::Hyphenation;
use genpdf::elements::{CellDecorator, LinearLayout};
use genpdf::error::Error as PdfError;
use genpdf::render::Area;
use genpdf::style::{Color, Style};
use genpdf::{Context, Element, Mm, Position, RenderResult, Size};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// Millimetres per PDF point.
pub const PT: f64 = 25.4 / 72.0;
/// DejaVu's ascent and descent, in em: places the baseline inside a line box.
const ASCENT: f64 = 0.93;
const DESCENT: f64 = 0.24;
const EPS: f64 = 0.01;
/// The colour of marker strokes: CMYK is used nowhere else, so `post.rs` can find them.
pub const MARKER_COLOR: Color = Color::Cmyk(0, 0, 0, 255);
pub const LINK_COLOR: (u8, u8, u8) = (0, 0x3d, 0x99);

pub fn mm(v: f64) -> Mm {
    Mm::from(v)
}

pub fn val(m: Mm) -> f64 {
    m.into()
}

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

#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// A named place (chapter start, element id, footnote).
    Anchor(String),
    /// One piece of link `id` (a link wrapped over lines has several pieces).
    Link { id: usize, dest: Dest },
    /// `Document::assets[i]` drawn into this box.
    Image(usize),
    /// A grey background (grey level 0–255) under the text.
    Shade(u8),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// 0-based page index.
    pub page: usize,
    pub mark: Mark,
    /// Box size in mm; its top-left corner is the marker.
    pub width: f64,
    pub height: f64,
}

/// What the layout learnt; shared by every element and the page decorator.
#[derive(Debug, Default)]
pub struct Recorder {
    pub page: usize,
    /// Height of an empty page's body area: an area this tall is at the top of a page.
    pub body_height: f64,
    pub events: Vec<Event>,
}

pub type Shared = Rc<RefCell<Recorder>>;

fn at_top(rec: &Shared, area: &Area<'_>) -> bool {
    (val(area.size().height) - rec.borrow().body_height).abs() < EPS
}

/// Draws the invisible marker and records the event; returns the event's index.
pub fn mark(rec: &Shared, area: &Area<'_>, x: f64, y: f64, w: f64, h: f64, mark: Mark) -> usize {
    let pos = Position::new(mm(x), mm(y));
    area.draw_line(vec![pos, pos], Style::new().with_color(MARKER_COLOR));
    let mut r = rec.borrow_mut();
    let page = r.page;
    r.events.push(Event {
        page,
        mark,
        width: w,
        height: h,
    });
    r.events.len() - 1
}

fn no_more(width: f64) -> RenderResult {
    // A non-zero width keeps genpdf from taking an empty page for an element that never fits.
    RenderResult {
        size: Size::new(mm(width.max(1.0)), mm(0.0)),
        has_more: true,
    }
}

/// How a run may be broken when it does not fit on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakMode {
    /// Prose: hyphenated with the dictionary.
    Prose,
    /// Headings, names: broken only after an existing hyphen (or by force).
    Plain,
    /// URLs and code: broken after `/ . - _ ? & = #` (or by force), never hyphenated.
    Url,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunStyle {
    pub bold: bool,
    pub italic: bool,
    pub mono: bool,
    pub size: u8,
    pub color: Option<(u8, u8, u8)>,
    /// Baseline shift in pt (superscript > 0).
    pub rise: f64,
    pub strike: bool,
}

impl RunStyle {
    pub fn body(size: u8) -> Self {
        RunStyle {
            bold: false,
            italic: false,
            mono: false,
            size,
            color: None,
            rise: 0.0,
            strike: false,
        }
    }
}

/// A piece of inline text with one style. `"\n"` as text is a forced line break; empty text with
/// an anchor marks a place.
#[derive(Debug, Clone)]
pub struct Run {
    pub text: String,
    pub style: RunStyle,
    pub link: Option<(usize, Dest)>,
    pub anchor: Option<String>,
    pub mode: BreakMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Justify,
}

#[derive(Debug, Clone)]
struct Piece {
    run: usize,
    text: String,
}

#[derive(Debug, Clone, Default)]
struct Word {
    pieces: Vec<Piece>,
    hard_break: bool,
}

#[derive(Debug, Clone)]
struct Placed {
    run: usize,
    text: String,
    x: f64,
    width: f64,
}

#[derive(Debug, Clone, Default)]
struct Line {
    placed: Vec<Placed>,
    height: f64,
    baseline: f64,
}

/// A paragraph set by us: greedy line filling, hyphenation, justification, forced breaks of
/// over-long words (no text is ever dropped), links and anchors recorded.
pub struct Para {
    runs: Vec<Run>,
    align: Align,
    leading: f64,
    base_size: u8,
    fams: Families,
    hyph: Option<Rc<Hyphenation>>,
    rec: Shared,
    lines: Option<Vec<Line>>,
    next: usize,
    width: f64,
}

impl Para {
    pub fn new(
        runs: Vec<Run>,
        align: Align,
        base_size: u8,
        fams: Families,
        hyph: Option<Rc<Hyphenation>>,
        rec: Shared,
    ) -> Self {
        Para {
            runs,
            align,
            leading: 1.35,
            base_size,
            fams,
            hyph,
            rec,
            lines: None,
            next: 0,
            width: 0.0,
        }
    }

    pub fn with_leading(mut self, leading: f64) -> Self {
        self.leading = leading;
        self
    }

    fn gstyle(&self, rs: &RunStyle) -> Style {
        style_of(&self.fams, rs)
    }

    fn text_width(&self, ctx: &Context, run: usize, text: &str) -> f64 {
        match self.runs.get(run) {
            Some(r) => val(self.gstyle(&r.style).str_width(&ctx.font_cache, text)),
            None => 0.0,
        }
    }

    fn word_width(&self, ctx: &Context, word: &Word) -> f64 {
        word.pieces
            .iter()
            .map(|p| self.text_width(ctx, p.run, &p.text))
            .sum()
    }

    fn words(&self) -> Vec<Word> {
        let mut words = Vec::new();
        let mut cur = Word::default();
        for (i, run) in self.runs.iter().enumerate() {
            if run.text.is_empty() {
                cur.pieces.push(Piece {
                    run: i,
                    text: String::new(),
                });
                continue;
            }
            if run.text == "\n" {
                if !cur.pieces.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
                words.push(Word {
                    pieces: Vec::new(),
                    hard_break: true,
                });
                continue;
            }
            for c in run.text.chars() {
                if c == ' ' || c == '\n' || c == '\t' {
                    if !cur.pieces.is_empty() {
                        words.push(std::mem::take(&mut cur));
                    }
                    continue;
                }
                match cur.pieces.last_mut() {
                    Some(p) if p.run == i => p.text.push(c),
                    _ => cur.pieces.push(Piece {
                        run: i,
                        text: c.to_string(),
                    }),
                }
            }
        }
        if !cur.pieces.is_empty() {
            words.push(cur);
        }
        words
    }

    /// Byte offsets (in the word's concatenated text) where it may break, and whether a hyphen
    /// must be added there.
    fn break_points(&self, word: &Word) -> Vec<(usize, bool)> {
        let mut points = Vec::new();
        let mut base = 0;
        for piece in &word.pieces {
            let mode = self
                .runs
                .get(piece.run)
                .map(|r| r.mode)
                .unwrap_or(BreakMode::Plain);
            let chars: Vec<(usize, char)> = piece.text.char_indices().collect();
            for (k, &(off, c)) in chars.iter().enumerate() {
                let after = off + c.len_utf8();
                if k + 1 >= chars.len() {
                    break;
                }
                let breakable = match mode {
                    BreakMode::Url => "/.-_?&=#,;".contains(c),
                    BreakMode::Prose | BreakMode::Plain => c == '-' || c == '/' || c == '\u{2011}',
                };
                if breakable {
                    points.push((base + after, false));
                }
            }
            if mode == BreakMode::Prose
                && let Some(h) = &self.hyph
            {
                points.extend(h.breaks(&piece.text).into_iter().map(|b| (base + b, true)));
            }
            base += piece.text.len();
        }
        points.sort();
        points.dedup_by_key(|p| p.0);
        points
    }

    /// Splits a word at a byte offset of its concatenated text.
    fn split_at(word: &Word, at: usize, hyphen: bool) -> (Word, Word) {
        let mut head = Word::default();
        let mut tail = Word::default();
        let mut base = 0;
        for piece in &word.pieces {
            let end = base + piece.text.len();
            if end <= at {
                head.pieces.push(piece.clone());
            } else if base >= at {
                tail.pieces.push(piece.clone());
            } else {
                let cut = at - base;
                head.pieces.push(Piece {
                    run: piece.run,
                    text: piece.text[..cut].to_string(),
                });
                tail.pieces.push(Piece {
                    run: piece.run,
                    text: piece.text[cut..].to_string(),
                });
            }
            base = end;
        }
        if hyphen && let Some(last) = head.pieces.last_mut() {
            last.text.push('-');
        }
        (head, tail)
    }

    fn text_of(word: &Word) -> String {
        word.pieces.iter().map(|p| p.text.as_str()).collect()
    }

    /// The longest head (at a permitted break) that fits in `avail`; whether it ends in an added
    /// hyphen.
    fn split_to_fit(
        &self,
        ctx: &Context,
        word: &Word,
        avail: f64,
        allow_hyphen: bool,
    ) -> Option<(Word, Word, bool)> {
        let text_len = Self::text_of(word).len();
        let mut best = None;
        for (at, hyphen) in self.break_points(word) {
            if at == 0 || at >= text_len || (hyphen && !allow_hyphen) {
                continue;
            }
            let (head, tail) = Self::split_at(word, at, hyphen);
            if self.word_width(ctx, &head) <= avail + EPS {
                best = Some((head, tail, hyphen));
            } else {
                break;
            }
        }
        best
    }

    /// Cuts a word wider than a whole line at the last character that fits (at least one).
    fn force_split(&self, ctx: &Context, word: &Word, width: f64) -> (Word, Word) {
        let text = Self::text_of(word);
        let mut cut = text.chars().next().map(char::len_utf8).unwrap_or(0);
        for (off, c) in text.char_indices().skip(1) {
            let (head, _) = Self::split_at(word, off + c.len_utf8(), false);
            if self.word_width(ctx, &head) > width + EPS {
                break;
            }
            cut = off + c.len_utf8();
        }
        if cut >= text.len() {
            return (word.clone(), Word::default());
        }
        Self::split_at(word, cut, false)
    }

    fn space_width(&self, ctx: &Context, word: &Word) -> f64 {
        word.pieces
            .last()
            .map(|p| self.text_width(ctx, p.run, " "))
            .unwrap_or(0.0)
    }

    fn line_metrics(&self, line: &mut Line) {
        let size = line
            .placed
            .iter()
            .filter_map(|p| self.runs.get(p.run))
            .filter(|r| r.style.rise == 0.0)
            .map(|r| r.style.size)
            .max()
            .unwrap_or(self.base_size)
            .max(self.base_size);
        let (height, baseline) = line_box(size, self.leading);
        line.height = height;
        line.baseline = baseline;
    }

    fn layout(&mut self, ctx: &Context, width: f64) -> Vec<Line> {
        let mut queue: VecDeque<Word> = self.words().into();
        let mut lines = Vec::new();
        // Words of the current line, each with its natural x.
        let mut cur: Vec<(Word, f64)> = Vec::new();
        let mut x = 0.0;
        let mut prev_space = 0.0;
        // Typographers allow at most two hyphenated lines in a row.
        let mut hyphenated_lines = 0;
        while let Some(word) = queue.pop_front() {
            if word.hard_break {
                lines.push(self.finish_line(ctx, std::mem::take(&mut cur), width, true));
                x = 0.0;
                continue;
            }
            let w = self.word_width(ctx, &word);
            let space = if cur.is_empty() { 0.0 } else { prev_space };
            if x + space + w <= width + EPS {
                prev_space = self.space_width(ctx, &word);
                cur.push((word, x + space));
                x += space + w;
                continue;
            }
            let avail = width - x - space;
            if let Some((head, tail, hyphen)) =
                self.split_to_fit(ctx, &word, avail, hyphenated_lines < 2)
            {
                hyphenated_lines = if hyphen { hyphenated_lines + 1 } else { 0 };
                cur.push((head, x + space));
                lines.push(self.finish_line(ctx, std::mem::take(&mut cur), width, false));
                x = 0.0;
                queue.push_front(tail);
                continue;
            }
            if !cur.is_empty() {
                hyphenated_lines = 0;
                lines.push(self.finish_line(ctx, std::mem::take(&mut cur), width, false));
                x = 0.0;
                queue.push_front(word);
                continue;
            }
            let (head, tail) = self.force_split(ctx, &word, width);
            cur.push((head, 0.0));
            lines.push(self.finish_line(ctx, std::mem::take(&mut cur), width, false));
            x = 0.0;
            if !tail.pieces.is_empty() {
                queue.push_front(tail);
            }
        }
        if !cur.is_empty() || lines.is_empty() {
            lines.push(self.finish_line(ctx, cur, width, true));
        }
        lines
    }

    fn finish_line(&self, ctx: &Context, words: Vec<(Word, f64)>, width: f64, last: bool) -> Line {
        let natural = words
            .last()
            .map(|(w, x)| x + self.word_width(ctx, w))
            .unwrap_or(0.0);
        let gaps = words.len().saturating_sub(1);
        let normal_space = words
            .first()
            .map(|(w, _)| self.space_width(ctx, w))
            .unwrap_or(0.0);
        let (shift, stretch) = match self.align {
            Align::Left => (0.0, 0.0),
            Align::Center => ((width - natural).max(0.0) / 2.0, 0.0),
            Align::Justify => {
                let extra = (width - natural).max(0.0);
                if !last && gaps > 0 && extra / (gaps as f64) <= 2.0 * normal_space {
                    (0.0, extra / gaps as f64)
                } else {
                    (0.0, 0.0)
                }
            }
        };
        let mut line = Line::default();
        for (k, (word, x)) in words.into_iter().enumerate() {
            let mut px = x + shift + stretch * k as f64;
            for piece in word.pieces {
                let w = self.text_width(ctx, piece.run, &piece.text);
                line.placed.push(Placed {
                    run: piece.run,
                    text: piece.text,
                    x: px,
                    width: w,
                });
                px += w;
            }
        }
        self.line_metrics(&mut line);
        line
    }

    fn ensure_layout(&mut self, ctx: &Context, width: f64) {
        if self.lines.is_none() || (self.next == 0 && (self.width - width).abs() > EPS) {
            self.width = width;
            let lines = self.layout(ctx, width);
            self.lines = Some(lines);
        }
    }

    /// Total height at `width` (lays the paragraph out).
    pub fn measure(&mut self, ctx: &Context, width: f64) -> f64 {
        self.ensure_layout(ctx, width);
        self.lines
            .as_ref()
            .map(|l| l.iter().map(|l| l.height).sum())
            .unwrap_or(0.0)
    }

    /// Height and baseline of the last line.
    pub fn last_line(&self) -> (f64, f64) {
        self.lines
            .as_ref()
            .and_then(|l| l.last())
            .map(|l| (l.height, l.baseline))
            .unwrap_or((0.0, 0.0))
    }

    fn draw_line(
        &self,
        ctx: &Context,
        area: &Area<'_>,
        line: &Line,
        y: f64,
    ) -> Result<(), PdfError> {
        for p in &line.placed {
            let Some(run) = self.runs.get(p.run) else {
                continue;
            };
            if let Some(anchor) = &run.anchor {
                mark(
                    &self.rec,
                    area,
                    p.x,
                    y,
                    0.0,
                    line.height,
                    Mark::Anchor(anchor.clone()),
                );
            }
            if p.text.is_empty() {
                continue;
            }
            let style = self.gstyle(&run.style);
            let glyph_h = val(style.font(&ctx.font_cache).glyph_height(run.style.size));
            let top = y + line.baseline - glyph_h - run.style.rise * PT;
            area.print_str(
                &ctx.font_cache,
                Position::new(mm(p.x), mm(top)),
                style,
                &p.text,
            )?;
            if run.style.strike {
                let mid = y + line.baseline - f64::from(run.style.size) * PT * 0.3;
                area.draw_line(
                    vec![
                        Position::new(mm(p.x), mm(mid)),
                        Position::new(mm(p.x + p.width), mm(mid)),
                    ],
                    style,
                );
            }
            if let Some((id, dest)) = &run.link {
                mark(
                    &self.rec,
                    area,
                    p.x,
                    y,
                    p.width,
                    line.height,
                    Mark::Link {
                        id: *id,
                        dest: dest.clone(),
                    },
                );
            }
        }
        Ok(())
    }
}

/// A line box for text of `size` pt: its height and baseline (from the top), in mm.
pub fn line_box(size: u8, leading: f64) -> (f64, f64) {
    let em = f64::from(size) * PT;
    let height = em * leading;
    let baseline = (height - em * (ASCENT + DESCENT)) / 2.0 + em * ASCENT;
    (height, baseline)
}

pub fn style_of(fams: &Families, rs: &RunStyle) -> Style {
    let family = if rs.mono { fams.mono } else { fams.serif };
    let mut s = Style::new()
        .with_font_family(family)
        .with_font_size(rs.size);
    if rs.bold {
        s.set_bold();
    }
    if rs.italic {
        s.set_italic();
    }
    if let Some((r, g, b)) = rs.color {
        s.set_color(Color::Rgb(r, g, b));
    }
    s
}

/// Prints `text` with its baseline at `baseline` (mm from the area's top).
pub fn print_at(
    ctx: &Context,
    area: &Area<'_>,
    x: f64,
    baseline: f64,
    style: Style,
    text: &str,
) -> Result<(), PdfError> {
    let glyph_h = val(style.font(&ctx.font_cache).glyph_height(style.font_size()));
    area.print_str(
        &ctx.font_cache,
        Position::new(mm(x), mm(baseline - glyph_h)),
        style,
        text,
    )?;
    Ok(())
}

impl Element for Para {
    fn render(
        &mut self,
        ctx: &Context,
        area: Area<'_>,
        _style: Style,
    ) -> Result<RenderResult, PdfError> {
        let width = val(area.size().width);
        let avail = val(area.size().height);
        self.ensure_layout(ctx, width);
        let Some(lines) = self.lines.take() else {
            return Ok(RenderResult::default());
        };
        let top = at_top(&self.rec, &area);
        // How many lines fit here, then avoid a lone first line (orphan) or a lone last line (widow).
        let mut fit = 0;
        let mut h = 0.0;
        for line in &lines[self.next..] {
            if h + line.height > avail + EPS {
                break;
            }
            h += line.height;
            fit += 1;
        }
        let remaining = lines.len() - self.next;
        if fit < remaining && !top {
            if self.next == 0 && fit == 1 && remaining > 1 {
                fit = 0;
            } else if remaining - fit == 1 && fit >= 3 {
                fit -= 1;
            }
        }
        if fit == 0 && top && remaining > 0 {
            fit = 1;
        }
        let mut y = 0.0;
        for line in &lines[self.next..self.next + fit] {
            self.draw_line(ctx, &area, line, y)?;
            y += line.height;
        }
        self.next += fit;
        let has_more = self.next < lines.len();
        self.lines = Some(lines);
        if has_more && y == 0.0 {
            return Ok(no_more(width));
        }
        Ok(RenderResult {
            size: Size::new(mm(width), mm(y)),
            has_more,
        })
    }
}

/// Vertical space, dropped at the top of a page.
pub struct Spacer {
    pub height: f64,
    /// Kept even at the top of a page (title page).
    pub force: bool,
    pub rec: Shared,
}

impl Element for Spacer {
    fn render(
        &mut self,
        _ctx: &Context,
        area: Area<'_>,
        _style: Style,
    ) -> Result<RenderResult, PdfError> {
        let height = if !self.force && at_top(&self.rec, &area) {
            0.0
        } else {
            self.height.min(val(area.size().height))
        };
        Ok(RenderResult {
            size: Size::new(mm(0.0), mm(height)),
            has_more: false,
        })
    }
}

/// Moves what follows to the next page unless `height` mm are left on this one (a table's
/// header row must not end a page without a row under it).
pub struct NeedSpace {
    pub height: f64,
    pub started: bool,
    pub rec: Shared,
}

impl Element for NeedSpace {
    fn render(
        &mut self,
        _ctx: &Context,
        area: Area<'_>,
        _style: Style,
    ) -> Result<RenderResult, PdfError> {
        let width = val(area.size().width);
        if !self.started && !at_top(&self.rec, &area) && val(area.size().height) < self.height {
            return Ok(no_more(width));
        }
        self.started = true;
        Ok(RenderResult {
            size: Size::new(mm(0.0), mm(0.0)),
            has_more: false,
        })
    }
}

/// A heading: space above, kept on the page of what follows (needs `keep` mm below it).
pub struct Heading {
    pub para: Para,
    pub space_before: f64,
    pub keep: f64,
    pub started: bool,
    pub rec: Shared,
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
            let top = at_top(&self.rec, &area);
            let h = self.para.measure(ctx, width);
            before = if top { 0.0 } else { self.space_before };
            if !top && val(area.size().height) < before + h + self.keep {
                return Ok(no_more(width));
            }
            self.started = true;
            area.add_offset(Position::new(mm(0.0), mm(before)));
        }
        let mut result = self.para.render(ctx, area, style)?;
        result.size.height += mm(before);
        Ok(result)
    }
}

/// A code block: monospace lines on a shaded background; a line wider than the block continues
/// on the next line after a `↪` mark.
pub struct CodeBlock {
    pub text: String,
    pub size: u8,
    pub fams: Families,
    pub rec: Shared,
    lines: Option<Vec<(bool, String)>>,
    next: usize,
}

const CODE_PAD: f64 = 2.0;
pub const CONTINUATION: &str = "↪ ";

impl CodeBlock {
    pub fn new(text: String, size: u8, fams: Families, rec: Shared) -> Self {
        CodeBlock {
            text,
            size,
            fams,
            rec,
            lines: None,
            next: 0,
        }
    }

    fn style(&self) -> Style {
        style_of(
            &self.fams,
            &RunStyle {
                mono: true,
                ..RunStyle::body(self.size)
            },
        )
    }

    fn wrap(&self, ctx: &Context, width: f64) -> Vec<(bool, String)> {
        let char_w = val(self.style().char_width(&ctx.font_cache, 'M')).max(0.1);
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
        ctx: &Context,
        area: Area<'_>,
        _style: Style,
    ) -> Result<RenderResult, PdfError> {
        let width = val(area.size().width);
        if self.lines.is_none() {
            self.lines = Some(self.wrap(ctx, width));
        }
        let lines = self.lines.clone().unwrap_or_default();
        let (line_h, baseline) = line_box(self.size, 1.3);
        let avail = val(area.size().height);
        let top = at_top(&self.rec, &area);
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
            return Ok(no_more(width));
        }
        let fit = fit.max(1).min(remaining);
        let last = self.next + fit == lines.len();
        let height = pad_top + fit as f64 * line_h + if last { CODE_PAD } else { 1.0 };
        mark(&self.rec, &area, 0.0, 0.0, width, height, Mark::Shade(240));
        let style = self.style();
        let grey = style.with_color(Color::Greyscale(130));
        let cont_w = val(style.str_width(&ctx.font_cache, CONTINUATION));
        let mut y = pad_top;
        for (cont, text) in &lines[self.next..self.next + fit] {
            let mut x = CODE_PAD;
            if *cont {
                print_at(ctx, &area, x, y + baseline, grey, CONTINUATION)?;
                x += cont_w;
            }
            if !text.is_empty() {
                print_at(ctx, &area, x, y + baseline, style, text)?;
            }
            y += line_h;
        }
        self.next += fit;
        Ok(RenderResult {
            size: Size::new(mm(width), mm(height)),
            has_more: !last,
        })
    }
}

/// A list item: its marker hangs in the indent, aligned on the first line of the body.
pub struct ListItem {
    pub marker: String,
    pub marker_style: Style,
    pub marker_link: Option<(usize, Dest)>,
    pub anchor: Option<String>,
    pub indent: f64,
    pub body: LinearLayout,
    pub baseline: f64,
    pub rec: Shared,
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
        let result = self.body.render(ctx, body_area, style)?;
        if !self.done && val(result.size.height) > 0.0 {
            let w = val(self.marker_style.str_width(&ctx.font_cache, &self.marker));
            let x = (self.indent - 1.8 - w).max(0.0);
            print_at(
                ctx,
                &area,
                x,
                self.baseline,
                self.marker_style,
                &self.marker,
            )?;
            if let Some(anchor) = &self.anchor {
                mark(
                    &self.rec,
                    &area,
                    x,
                    0.0,
                    0.0,
                    0.0,
                    Mark::Anchor(anchor.clone()),
                );
            }
            if let Some((id, dest)) = &self.marker_link {
                let (h, _) = line_box(self.marker_style.font_size(), 1.35);
                mark(
                    &self.rec,
                    &area,
                    x,
                    0.0,
                    w,
                    h,
                    Mark::Link {
                        id: *id,
                        dest: dest.clone(),
                    },
                );
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
    pub body: LinearLayout,
    pub indent: f64,
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
        let result = self.body.render(ctx, inner, style)?;
        let h = val(result.size.height);
        if h > 0.0 {
            area.draw_line(
                vec![
                    Position::new(mm(1.5), mm(0.0)),
                    Position::new(mm(1.5), mm(h)),
                ],
                Style::new().with_color(Color::Greyscale(170)),
            );
        }
        Ok(RenderResult {
            size: Size::new(area.size().width, result.size.height),
            has_more: result.has_more,
        })
    }
}

/// A thematic break: a short centred rule.
pub struct Rule;

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
        area.draw_line(
            vec![
                Position::new(mm(w * 0.35), mm(4.0)),
                Position::new(mm(w * 0.65), mm(4.0)),
            ],
            Style::new().with_color(Color::Greyscale(140)),
        );
        Ok(RenderResult {
            size: Size::new(mm(w), mm(8.0)),
            has_more: false,
        })
    }
}

/// A box for an image that the post-pass draws (genpdf would re-encode JPEGs and rejects alpha).
pub struct ImageBox {
    pub asset: usize,
    pub width: f64,
    pub height: f64,
    pub rec: Shared,
    pub done: bool,
}

impl Element for ImageBox {
    fn render(
        &mut self,
        _ctx: &Context,
        area: Area<'_>,
        _style: Style,
    ) -> Result<RenderResult, PdfError> {
        let avail_w = val(area.size().width);
        if self.done {
            return Ok(RenderResult::default());
        }
        let avail_h = val(area.size().height);
        let (mut w, mut h) = (self.width, self.height);
        if w > avail_w {
            h *= avail_w / w;
            w = avail_w;
        }
        if h > avail_h {
            if !at_top(&self.rec, &area) {
                return Ok(no_more(avail_w));
            }
            // Taller than a whole page: shrink to fit.
            w *= avail_h / h;
            h = avail_h;
        }
        let x = ((avail_w - w) / 2.0).max(0.0);
        mark(&self.rec, &area, x, 0.0, w, h, Mark::Image(self.asset));
        self.done = true;
        Ok(RenderResult {
            size: Size::new(mm(avail_w), mm(h)),
            has_more: false,
        })
    }
}

/// A table of contents line: the title (wrapped), the page number flush right, all one link.
pub struct TocLine {
    pub title: Para,
    pub indent: f64,
    pub number: String,
    pub number_style: Style,
    pub link: (usize, Dest),
    pub rec: Shared,
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
        let h = self.title.measure(ctx, title_w);
        if h > val(area.size().height) + EPS && !at_top(&self.rec, &area) {
            return Ok(no_more(width));
        }
        let mut title_area = area.clone();
        title_area.add_offset(Position::new(mm(self.indent), mm(0.0)));
        title_area.set_width(mm(title_w));
        let result = self.title.render(ctx, title_area, style)?;
        let height = val(result.size.height);
        let (last_h, last_base) = self.title.last_line();
        let nw = val(self.number_style.str_width(&ctx.font_cache, &self.number));
        print_at(
            ctx,
            &area,
            width - nw,
            height - last_h + last_base,
            self.number_style,
            &self.number,
        )?;
        mark(
            &self.rec,
            &area,
            self.indent,
            0.0,
            width - self.indent,
            height,
            Mark::Link {
                id: self.link.0,
                dest: self.link.1.clone(),
            },
        );
        Ok(RenderResult {
            size: Size::new(mm(width), mm(height)),
            has_more: result.has_more,
        })
    }
}

/// Table cell borders in light grey; the header row shaded.
pub struct Grid {
    pub rec: Shared,
    /// Shade the first row (the table's header row).
    pub shade_first_row: bool,
}

impl CellDecorator for Grid {
    fn decorate_cell(
        &mut self,
        _column: usize,
        row: usize,
        _has_more: bool,
        area: Area<'_>,
        _style: Style,
    ) {
        let size = area.size();
        let (w, h) = (val(size.width), val(size.height));
        if row == 0 && self.shade_first_row {
            mark(&self.rec, &area, 0.0, 0.0, w, h, Mark::Shade(230));
        }
        let grey = Style::new().with_color(Color::Greyscale(160));
        let p = |x: f64, y: f64| Position::new(mm(x), mm(y));
        area.draw_line(
            vec![p(0.0, 0.0), p(w, 0.0), p(w, h), p(0.0, h), p(0.0, 0.0)],
            grey,
        );
    }
}

/// A table cell: its paragraph inside padding. Unlike genpdf's `PaddedElement`, a cell whose
/// paragraph places no line on this page takes no room either, so a row that starts at the
/// foot of a page leaves no empty bordered sliver there: it starts whole on the next page.
pub struct TableCell {
    pub para: Para,
    /// Top, right, bottom, left, in mm.
    pub padding: [f64; 4],
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
        let result = self.para.render(ctx, area, style)?;
        if result.has_more && val(result.size.height) < EPS {
            return Ok(RenderResult {
                size: Size::new(mm(0.0), mm(0.0)),
                has_more: true,
            });
        }
        Ok(RenderResult {
            size: Size::new(
                mm(val(result.size.width) + left + right),
                mm(val(result.size.height) + top + bottom),
            ),
            has_more: result.has_more,
        })
    }
}

/// A header row taller than this is not repeated on the pages a table continues on.
const MAX_REPEATED_HEAD: f64 = 60.0;

/// A table whose header row is set again at the top of every page the table continues on.
/// genpdf's `TableLayout` cannot repeat a row, so the header is its own one-row table, made anew
/// by `make_head` for each page.
pub struct RepeatingHeadTable {
    make_head: Option<Box<dyn Fn() -> genpdf::elements::TableLayout>>,
    head: Option<genpdf::elements::TableLayout>,
    body: genpdf::elements::TableLayout,
    repeat: bool,
    rec: Shared,
}

impl RepeatingHeadTable {
    pub fn new(
        make_head: Option<Box<dyn Fn() -> genpdf::elements::TableLayout>>,
        body: genpdf::elements::TableLayout,
        rec: Shared,
    ) -> Self {
        let head = make_head.as_ref().map(|make| make());
        RepeatingHeadTable {
            make_head,
            head,
            body,
            repeat: true,
            rec,
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
        let page_top = at_top(&self.rec, &area);
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
        let result = self.body.render(ctx, area, style)?;
        let body_height = val(result.size.height);
        if result.has_more && page_top && body_height < EPS {
            // Not one line of the body fits under the header on a whole page: stop repeating,
            // so genpdf sees a row that fits nowhere instead of a header on every new page.
            self.repeat = false;
        }
        if result.has_more && self.repeat {
            self.head = self.make_head.as_ref().map(|make| make());
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
    pub rec: Shared,
    pub done: bool,
}

impl Element for AnchorPoint {
    fn render(
        &mut self,
        _ctx: &Context,
        area: Area<'_>,
        _style: Style,
    ) -> Result<RenderResult, PdfError> {
        if !self.done {
            mark(
                &self.rec,
                &area,
                0.0,
                0.0,
                0.0,
                0.0,
                Mark::Anchor(self.anchor.clone()),
            );
            self.done = true;
        }
        Ok(RenderResult::default())
    }
}
