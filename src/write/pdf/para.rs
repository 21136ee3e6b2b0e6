//! The line breaker: a paragraph of styled runs set into lines (greedy filling in time linear
//! in its length, a word wider than the line cut in one scan, hyphenation from the book's
//! dictionaries, justification), then painted a page at a time as a genpdf element that keeps
//! its paragraph's lines together at a page foot (no lone first or last line).

use super::hyphenate::Hyphenation;
use super::metrics::{MONO, Metrics};
use super::structure::StructId;
use super::surface::{Dest, FootRef, PT, Paint, SurfaceRef, Tag, TextStyle};
use genpdf::error::Error as PdfError;
use genpdf::render::Area;
use genpdf::style::Style;
use genpdf::{Context, Element, Mm, RenderResult, Size};
use smallvec::SmallVec;
use std::collections::VecDeque;
use std::rc::Rc;

/// DejaVu's ascent and descent, in em: places the baseline inside a line box.
const ASCENT: f64 = 0.93;
const DESCENT: f64 = 0.24;
pub const EPS: f64 = 0.01;
pub const LINK_COLOR: (u8, u8, u8) = (0, 0x3d, 0x99);
/// Longest piece of prose handed to the hyphenation dictionary (no word is longer).
const MAX_HYPHENATED: usize = 64;
/// Text up to this many bytes is measured with its kerning; longer text character by
/// character, stopping as soon as it is too wide (a long word costs what its lines cost).
const KERNED_UP_TO: usize = 64;

pub fn mm(v: f64) -> Mm {
    Mm::from(v)
}

pub fn val(m: Mm) -> f64 {
    m.into()
}

/// An area that starts at the top of a page's body.
pub fn at_top(surface: &SurfaceRef, area: &Area<'_>) -> bool {
    (val(area.size().height) - surface.borrow().body_height).abs() < EPS
}

pub fn no_more(width: f64) -> RenderResult {
    // A non-zero width keeps the page loop from taking an empty page for an element that never
    // fits.
    RenderResult {
        size: Size::new(mm(width.max(1.0)), mm(0.0)),
        has_more: true,
    }
}

pub fn done(width: f64, height: f64, has_more: bool) -> RenderResult {
    RenderResult {
        size: Size::new(mm(width), mm(height)),
        has_more,
    }
}

/// How a run may be broken when it does not fit on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakMode {
    /// Prose: hyphenated with the dictionary.
    Prose,
    /// Headings, names: broken only after an existing hyphen (or by force).
    Plain,
    /// URLs: broken after `/ . - _ ? & = #` (or by force), never hyphenated.
    Url,
    /// Inline code: broken at its spaces only (or by force); its spaces never stretch.
    Code,
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

    pub fn face(&self) -> u8 {
        match (self.mono, self.bold, self.italic) {
            (true, _, _) => MONO,
            (false, false, false) => 0,
            (false, true, false) => 1,
            (false, false, true) => 2,
            (false, true, true) => 3,
        }
    }

    pub fn text(&self) -> TextStyle {
        TextStyle {
            face: self.face(),
            size: f64::from(self.size),
            paint: match self.color {
                Some((r, g, b)) => Paint::Rgb(r, g, b),
                None => Paint::Gray(0),
            },
        }
    }

    pub fn grey(mut self, level: u8) -> Self {
        self.color = Some((level, level, level));
        self
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
    /// The inline structure element (link, code, note reference) the run belongs to, if any.
    pub tag: Option<StructId>,
    /// The note calling for this address at the page foot (the print edition's link marks).
    pub foot: Option<FootRef>,
}

impl Run {
    pub fn plain(text: String, style: RunStyle, mode: BreakMode) -> Run {
        Run {
            text,
            style,
            link: None,
            anchor: None,
            mode,
            tag: None,
            foot: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
    Center,
    Justify,
}

/// A slice of one run's text.
#[derive(Debug, Clone, Copy)]
struct Piece {
    run: usize,
    start: usize,
    end: usize,
}

#[derive(Debug, Clone, Default)]
struct Word {
    /// Most words are one piece: kept inline, one allocation fewer per word of the book.
    pieces: SmallVec<[Piece; 2]>,
    hard_break: bool,
    /// A hyphen is added after the last piece.
    hyphen: bool,
}

impl Word {
    /// Bytes of text.
    fn len(&self) -> usize {
        self.pieces.iter().map(|p| p.end - p.start).sum()
    }
}

#[derive(Debug, Clone)]
struct Placed {
    /// The piece of its run's text (no copy: the text is made only when painted).
    piece: Piece,
    /// A hyphen is printed after it.
    hyphen: bool,
    x: f64,
    width: f64,
}

#[derive(Debug, Clone, Default)]
struct Line {
    placed: Vec<Placed>,
    height: f64,
    baseline: f64,
}

/// Characters a line may not be cut before: they belong to the character before them.
fn joins_previous(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F
        | 0xFE00..=0xFE0F | 0x200D | 0xE0100..=0xE01EF | 0x1F3FB..=0x1F3FF)
}

/// A paragraph set by us: greedy line filling in time linear in its length (a word wider than
/// the line is cut in one pass), hyphenation, justification, links and anchors recorded.
pub struct Para {
    runs: Vec<Run>,
    align: Align,
    leading: f64,
    base_size: u8,
    hyph: Option<Rc<Hyphenation>>,
    surface: SurfaceRef,
    metrics: Rc<Metrics>,
    tag: Tag,
    /// Set by a table for a row at the top of a page: the paragraph places a line whatever
    /// the room (the row must make progress).
    pub force_top: bool,
    lines: Option<Vec<Line>>,
    next: usize,
    width: f64,
    finished: bool,
    /// Height and baseline of the last line.
    last_box: (f64, f64),
}

impl Para {
    pub fn new(
        runs: Vec<Run>,
        align: Align,
        base_size: u8,
        hyph: Option<Rc<Hyphenation>>,
        surface: SurfaceRef,
        tag: Tag,
    ) -> Self {
        let metrics = surface.borrow().metrics.clone();
        Para {
            runs,
            align,
            leading: 1.35,
            base_size,
            hyph,
            surface,
            metrics,
            tag,
            force_top: false,
            lines: None,
            next: 0,
            width: 0.0,
            finished: false,
            last_box: (0.0, 0.0),
        }
    }

    pub fn with_leading(mut self, leading: f64) -> Self {
        self.leading = leading;
        self
    }

    fn text(&self, p: &Piece) -> &str {
        self.runs
            .get(p.run)
            .and_then(|r| r.text.get(p.start..p.end))
            .unwrap_or("")
    }

    fn str_width(&self, run: usize, text: &str) -> f64 {
        match self.runs.get(run) {
            Some(r) => self
                .metrics
                .width(r.style.face(), f64::from(r.style.size), text),
            None => 0.0,
        }
    }

    fn hyphen_width(&self, word: &Word) -> f64 {
        word.pieces
            .last()
            .map(|p| self.str_width(p.run, "-"))
            .unwrap_or(0.0)
    }

    /// The word's width if it is at most `limit`, measured no further than that.
    fn width_within(&self, word: &Word, limit: f64) -> Option<f64> {
        let mut total = 0.0;
        for p in &word.pieces {
            let Some(run) = self.runs.get(p.run) else {
                continue;
            };
            let (face, size) = (run.style.face(), f64::from(run.style.size));
            let text = self.text(p);
            if text.len() <= KERNED_UP_TO {
                total += self.metrics.width(face, size, text);
            } else {
                for c in text.chars() {
                    total += self.metrics.char_width(face, size, c);
                    if total > limit + EPS {
                        return None;
                    }
                }
            }
            if total > limit + EPS {
                return None;
            }
        }
        if word.hyphen {
            total += self.hyphen_width(word);
        }
        (total <= limit + EPS).then_some(total)
    }

    fn word_width(&self, word: &Word) -> f64 {
        self.width_within(word, f64::INFINITY).unwrap_or(0.0)
    }

    fn words(&self) -> Vec<Word> {
        let mut words = Vec::new();
        let mut cur = Word::default();
        for (i, run) in self.runs.iter().enumerate() {
            if run.text.is_empty() {
                cur.pieces.push(Piece {
                    run: i,
                    start: 0,
                    end: 0,
                });
                continue;
            }
            if run.text == "\n" {
                if !cur.pieces.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
                words.push(Word {
                    hard_break: true,
                    ..Word::default()
                });
                continue;
            }
            for (off, c) in run.text.char_indices() {
                if c == ' ' || c == '\n' || c == '\t' {
                    if !cur.pieces.is_empty() {
                        words.push(std::mem::take(&mut cur));
                    }
                    continue;
                }
                let end = off + c.len_utf8();
                match cur.pieces.last_mut() {
                    Some(p) if p.run == i && p.end == off => p.end = end,
                    _ => cur.pieces.push(Piece {
                        run: i,
                        start: off,
                        end,
                    }),
                }
            }
        }
        if !cur.pieces.is_empty() {
            words.push(cur);
        }
        words
    }

    /// Splits a word after byte `at` of piece `k` (a cut inside the piece or at its end).
    fn split_at(word: &Word, k: usize, at: usize, hyphen: bool) -> (Word, Word) {
        let mut head = Word {
            pieces: SmallVec::from_slice(&word.pieces[..k]),
            hyphen,
            ..Word::default()
        };
        let mut tail = Word {
            pieces: SmallVec::with_capacity(word.pieces.len() - k),
            hyphen: word.hyphen,
            ..Word::default()
        };
        let p = word.pieces[k];
        head.pieces.push(Piece { end: at, ..p });
        if at < p.end {
            tail.pieces.push(Piece { start: at, ..p });
        }
        tail.pieces.extend_from_slice(&word.pieces[k + 1..]);
        (head, tail)
    }

    /// The longest head that fits in `avail`, cut at a permitted break (or, with `force`, at
    /// the last character that fits, at least one); scans no further than `avail`.
    fn split_to_fit(
        &self,
        word: &Word,
        avail: f64,
        allow_hyphen: bool,
        force: bool,
    ) -> Option<(Word, Word, bool, f64)> {
        let mut x = 0.0;
        // (piece, byte end, hyphen, width) of the best break found so far, and of the last
        // character that fits.
        let mut best: Option<(usize, usize, bool, f64)> = None;
        let mut last_fit: Option<(usize, usize, f64)> = None;
        let count = word.pieces.len();
        'pieces: for (k, p) in word.pieces.iter().enumerate() {
            let Some(run) = self.runs.get(p.run) else {
                continue;
            };
            let (face, size) = (run.style.face(), f64::from(run.style.size));
            let text = self.text(p);
            let hyphens: Vec<usize> = match (&self.hyph, run.mode) {
                (Some(h), BreakMode::Prose) if allow_hyphen && text.len() <= MAX_HYPHENATED => {
                    h.breaks(text)
                }
                _ => Vec::new(),
            };
            let hyphen_w = self.metrics.width(face, size, "-");
            let mut chars = text.char_indices().peekable();
            while let Some((off, c)) = chars.next() {
                x += self.metrics.char_width(face, size, c);
                if x > avail + EPS {
                    break 'pieces;
                }
                let end = off + c.len_utf8();
                let next = chars.peek().map(|&(_, n)| n);
                let last_of_word = next.is_none() && k + 1 == count;
                if last_of_word {
                    break 'pieces;
                }
                if next.is_some_and(joins_previous) {
                    continue;
                }
                last_fit = Some((k, p.start + end, x));
                let breakable = match run.mode {
                    BreakMode::Url => "/.-_?&=#,;".contains(c),
                    BreakMode::Prose | BreakMode::Plain => c == '-' || c == '/' || c == '\u{2011}',
                    BreakMode::Code => false,
                };
                if breakable {
                    best = Some((k, p.start + end, false, x));
                } else if hyphens.binary_search(&end).is_ok() && x + hyphen_w <= avail + EPS {
                    best = Some((k, p.start + end, true, x + hyphen_w));
                }
            }
        }
        let (k, at, hyphen, width) = match (best, last_fit, force) {
            (Some(b), _, _) => b,
            (None, Some((k, at, w)), true) => (k, at, false, w),
            (None, None, true) => {
                // Not one character fits: the first goes anyway.
                let p = word.pieces.first()?;
                let text = self.text(p);
                let first = text.chars().next()?;
                let mut end = first.len_utf8();
                for c in text[end..].chars() {
                    if !joins_previous(c) {
                        break;
                    }
                    end += c.len_utf8();
                }
                if end >= text.len() && count == 1 {
                    return None;
                }
                (0, p.start + end, false, 0.0)
            }
            _ => return None,
        };
        let (head, tail) = Self::split_at(word, k, at, hyphen);
        if tail.pieces.iter().all(|p| p.start == p.end) {
            return None;
        }
        Some((head, tail, hyphen, width))
    }

    fn space_width(&self, word: &Word) -> f64 {
        word.pieces
            .last()
            .map(|p| self.str_width(p.run, " "))
            .unwrap_or(0.0)
    }

    fn line_metrics(&self, line: &mut Line) {
        let size = line
            .placed
            .iter()
            .filter_map(|p| self.runs.get(p.piece.run))
            .filter(|r| r.style.rise == 0.0)
            .map(|r| r.style.size)
            .max()
            .unwrap_or(self.base_size)
            .max(self.base_size);
        let (height, baseline) = line_box(size, self.leading);
        line.height = height;
        line.baseline = baseline;
    }

    fn layout(&self, width: f64) -> Vec<Line> {
        let mut queue: VecDeque<Word> = self.words().into();
        let mut lines = Vec::new();
        // Words of the current line, each with its natural x and width.
        let mut cur: Vec<(Word, f64, f64)> = Vec::new();
        let mut x = 0.0;
        let mut prev_space = 0.0;
        // Typographers allow at most two hyphenated lines in a row.
        let mut hyphenated_lines = 0;
        while let Some(word) = queue.pop_front() {
            if word.hard_break {
                lines.push(self.finish_line(std::mem::take(&mut cur), width, true));
                x = 0.0;
                continue;
            }
            let space = if cur.is_empty() { 0.0 } else { prev_space };
            // A word of thousands of characters fits no line (a character is wider than
            // 0.5 mm at 5 pt): straight to cutting it, without measuring it first.
            let huge = word.len() > 2048;
            if !huge && let Some(w) = self.width_within(&word, width - x - space) {
                prev_space = self.space_width(&word);
                cur.push((word, x + space, w));
                x += space + w;
                continue;
            }
            let avail = width - x - space;
            let alone = cur.is_empty();
            if let Some((head, tail, hyphen, scanned)) =
                self.split_to_fit(&word, avail, hyphenated_lines < 2, alone)
            {
                hyphenated_lines = if hyphen { hyphenated_lines + 1 } else { 0 };
                // A short head is measured again with its kerning; a long one keeps its scan.
                let short = head.len() <= KERNED_UP_TO;
                let w = if short || scanned == 0.0 {
                    self.word_width(&head)
                } else {
                    scanned
                };
                cur.push((head, x + space, w));
                lines.push(self.finish_line(std::mem::take(&mut cur), width, false));
                x = 0.0;
                queue.push_front(tail);
                continue;
            }
            if !alone {
                hyphenated_lines = 0;
                lines.push(self.finish_line(std::mem::take(&mut cur), width, false));
                x = 0.0;
                queue.push_front(word);
                continue;
            }
            // One character that is wider than the line: it goes alone.
            let w = self.word_width(&word);
            cur.push((word, 0.0, w));
            lines.push(self.finish_line(std::mem::take(&mut cur), width, false));
            x = 0.0;
        }
        if !cur.is_empty() || lines.is_empty() {
            lines.push(self.finish_line(cur, width, true));
        }
        lines
    }

    /// Whether the space before word `k` may stretch: not a space inside inline code.
    fn stretches(&self, words: &[(Word, f64, f64)], k: usize) -> bool {
        let before = words[k - 1].0.pieces.last().map(|p| p.run);
        let after = words[k].0.pieces.first().map(|p| p.run);
        let code = |run: Option<usize>| {
            run.and_then(|r| self.runs.get(r))
                .is_some_and(|r| r.mode == BreakMode::Code)
        };
        !(before == after && code(before))
    }

    fn finish_line(&self, words: Vec<(Word, f64, f64)>, width: f64, last: bool) -> Line {
        let natural = words.last().map(|(_, x, w)| x + w).unwrap_or(0.0);
        let stretchable: Vec<bool> = (0..words.len())
            .map(|k| k > 0 && self.stretches(&words, k))
            .collect();
        let gaps = stretchable.iter().filter(|s| **s).count();
        let normal_space = words
            .first()
            .map(|(w, _, _)| self.space_width(w))
            .unwrap_or(0.0);
        let (shift, stretch) = match self.align {
            Align::Left => (0.0, 0.0),
            Align::Right => ((width - natural).max(0.0), 0.0),
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
        let mut stretched = 0;
        for (k, (word, x, word_w)) in words.into_iter().enumerate() {
            stretched += usize::from(stretchable[k]);
            let mut px = x + shift + stretch * stretched as f64;
            let n = word.pieces.len();
            for (i, piece) in word.pieces.iter().enumerate() {
                let hyphen = word.hyphen && i + 1 == n;
                // A word of one piece was measured already (with its hyphen).
                let w = if n == 1 {
                    word_w
                } else {
                    let mut w = self.str_width(piece.run, self.text(piece));
                    if hyphen {
                        w += self.str_width(piece.run, "-");
                    }
                    w
                };
                line.placed.push(Placed {
                    piece: *piece,
                    hyphen,
                    x: px,
                    width: w,
                });
                px += w;
            }
        }
        self.line_metrics(&mut line);
        line
    }

    fn ensure_layout(&mut self, width: f64) {
        if self.lines.is_none() || (self.next == 0 && (self.width - width).abs() > EPS) {
            self.width = width;
            let lines = self.layout(width);
            self.last_box = lines
                .last()
                .map(|l| (l.height, l.baseline))
                .unwrap_or((0.0, 0.0));
            self.lines = Some(lines);
        }
    }

    /// Total height at `width` (lays the paragraph out).
    pub fn measure(&mut self, width: f64) -> f64 {
        self.ensure_layout(width);
        self.lines
            .as_ref()
            .map(|l| l.iter().map(|l| l.height).sum())
            .unwrap_or(0.0)
    }

    /// Height and baseline of the last line.
    pub fn last_line(&self) -> (f64, f64) {
        self.last_box
    }

    fn draw_line(&self, line: &Line, y: f64) {
        let mut s = self.surface.borrow_mut();
        for p in &line.placed {
            let Some(run) = self.runs.get(p.piece.run) else {
                continue;
            };
            if let Some(anchor) = &run.anchor {
                s.anchor(anchor, y);
            }
            let text = self.text(&p.piece);
            if text.is_empty() || !s.painting {
                continue;
            }
            let tag = run.tag.map(Tag::Struct).unwrap_or(self.tag);
            let baseline = y + line.baseline - run.style.rise * PT;
            s.tagged(tag, |s| {
                if p.hyphen {
                    s.text(p.x, baseline, run.style.text(), &format!("{text}-"));
                } else {
                    s.text(p.x, baseline, run.style.text(), text);
                }
            });
            if run.style.strike {
                let mid = y + line.baseline - f64::from(run.style.size) * PT * 0.3;
                s.tagged(Tag::Layout, |s| {
                    s.line(&[(p.x, mid), (p.x + p.width, mid)], 0, 0.5)
                });
            }
            if let Some((id, dest)) = &run.link {
                s.link(*id, dest, run.tag, p.x, y, p.width, line.height);
            }
        }
        for r in self.foot_refs(line) {
            s.add_foot_note(r);
        }
    }

    /// The addresses a line calls for at the page foot.
    fn foot_refs<'r>(&'r self, line: &Line) -> Vec<&'r FootRef> {
        line.placed
            .iter()
            .filter_map(|p| self.runs.get(p.piece.run)?.foot.as_ref())
            .collect()
    }
}

/// Of the `remaining` lines of a paragraph, `fit` fit on this page: how many to set here so that
/// no line is alone at either side of the break (an orphan at the foot, a widow at the top).
/// `first`: the paragraph starts here; `top`: this is the top of a page (something must go).
fn lines_here(fit: usize, remaining: usize, first: bool, top: bool) -> usize {
    if top {
        return fit.max(1).min(remaining);
    }
    if fit >= remaining {
        return remaining;
    }
    match (fit, remaining - fit) {
        // One line here: it moves with the rest.
        (1, _) if first => 0,
        // One line there: it takes a line from here, if two are left.
        (3.., 1) => fit - 1,
        // Two here and one there: one line would be alone either way; the paragraph moves.
        (_, 1) if first => 0,
        _ => fit,
    }
}

/// A line box for text of `size` pt: its height and baseline (from the top), in mm.
pub fn line_box(size: u8, leading: f64) -> (f64, f64) {
    let em = f64::from(size) * PT;
    let height = em * leading;
    let baseline = (height - em * (ASCENT + DESCENT)) / 2.0 + em * ASCENT;
    (height, baseline)
}

impl Element for Para {
    fn render(
        &mut self,
        _ctx: &Context,
        area: Area<'_>,
        _style: Style,
    ) -> Result<RenderResult, PdfError> {
        let width = val(area.size().width);
        let avail = val(area.size().height);
        if self.finished {
            // A table cell whose row goes on over a page: nothing of it is left.
            return Ok(RenderResult::default());
        }
        self.ensure_layout(width);
        let Some(lines) = self.lines.take() else {
            return Ok(RenderResult::default());
        };
        let top = self.force_top || at_top(&self.surface, &area);
        // How many lines fit here, then avoid a lone first line (orphan) or a lone last line (widow).
        // In the print edition a line also needs room for the addresses it adds at the foot.
        let (room, foot_notes, foot_before) = {
            let s = self.surface.borrow();
            (s.room(), s.has_foot_notes(), s.foot_height(&[]))
        };
        let avail = avail.min(room);
        let mut fit = 0;
        let mut h = 0.0;
        // The addresses the lines so far add, and the foot's growth with them.
        let mut calls: Vec<&FootRef> = Vec::new();
        let mut grown = 0.0;
        for line in &lines[self.next..] {
            // Only addresses not yet called for on this page or by an earlier line here: a
            // paragraph citing one address a thousand times stays linear.
            let more: Vec<&FootRef> = if foot_notes {
                let s = self.surface.borrow();
                let mut more: Vec<&FootRef> = Vec::new();
                for r in self.foot_refs(line) {
                    let known = calls.iter().chain(&more).any(|c| c.number == r.number);
                    if !known && !s.has_foot_note(r.number) {
                        more.push(r);
                    }
                }
                more
            } else {
                Vec::new()
            };
            let (with, grow) = if more.is_empty() {
                (None, grown)
            } else {
                let all: Vec<&FootRef> = calls.iter().copied().chain(more).collect();
                let grow = self.surface.borrow().foot_height(&all) - foot_before;
                (Some(all), grow)
            };
            if h + line.height + grow > avail + EPS {
                break;
            }
            if let Some(all) = with {
                calls = all;
            }
            grown = grow;
            h += line.height;
            fit += 1;
        }
        let remaining = lines.len() - self.next;
        let fit = lines_here(fit, remaining, self.next == 0, top);
        let mut y = 0.0;
        for line in &lines[self.next..self.next + fit] {
            self.draw_line(line, y);
            y += line.height;
        }
        self.next += fit;
        let has_more = self.next < lines.len();
        // Lines already painted are not needed again: a long book keeps only what is to come.
        if has_more {
            self.lines = Some(lines);
        } else {
            self.finished = true;
        }
        if has_more && y == 0.0 {
            return Ok(no_more(width));
        }
        Ok(done(width, y, has_more))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::fonts::FontSet;
    use crate::write::pdf::surface::Surface;
    use std::cell::RefCell;

    /// `text` set at `width` mm in 10 pt serif: each line as read (a space where words part, a
    /// hyphen where one was added), and each line's right edge.
    fn set(text: &str, width: f64, align: Align, language: Option<&str>) -> Vec<(String, f64)> {
        let metrics = Rc::new(Metrics::new(&FontSet::default()));
        let surface = Rc::new(RefCell::new(Surface::new(metrics, 297.0, 249.0, false)));
        let run = Run::plain(text.to_string(), RunStyle::body(10), BreakMode::Prose);
        let hyph = language.and_then(|l| Hyphenation::for_language(l).map(Rc::new));
        let para = Para::new(vec![run], align, 10, hyph, surface, Tag::Layout);
        para.layout(width)
            .iter()
            .map(|line| {
                let mut out = String::new();
                let mut end: Option<f64> = None;
                for p in &line.placed {
                    if end.is_some_and(|e| p.x > e + EPS) {
                        out.push(' ');
                    }
                    out.push_str(para.text(&p.piece));
                    if p.hyphen {
                        out.push('-');
                    }
                    end = Some(p.x + p.width);
                }
                (out, end.unwrap_or(0.0))
            })
            .collect()
    }

    fn lines(set: &[(String, f64)]) -> Vec<&str> {
        set.iter().map(|(l, _)| l.as_str()).collect()
    }

    const PROSE: &str = "Les administrations produisent chaque jour des informations en \
        accomplissant leurs missions : horaires de transport, résultats électoraux, budgets.";

    #[test]
    fn no_line_is_left_alone_at_a_page_break() {
        // (lines that fit, lines left, paragraph starts here, top of a page) → lines set here
        let table = [
            ((5, 5, true, false), 5),
            ((1, 4, true, false), 0),
            ((2, 4, true, false), 2),
            ((3, 4, true, false), 2),
            ((2, 3, true, false), 0),
            ((4, 5, true, false), 3),
            ((0, 4, true, false), 0),
            ((0, 4, true, true), 1),
            ((1, 2, true, true), 1),
            ((9, 4, false, true), 4),
        ];
        for ((fit, remaining, first, top), want) in table {
            assert_eq!(
                lines_here(fit, remaining, first, top),
                want,
                "{fit} of {remaining} fit, first {first}, top {top}"
            );
        }
    }

    #[test]
    fn lines_fill_greedily_and_never_pass_the_width() {
        for width in [20.0, 35.0, 50.0, 80.0, 150.0] {
            let out = set(PROSE, width, Align::Left, None);
            for (k, (line, right)) in out.iter().enumerate() {
                assert!(
                    *right <= width + EPS,
                    "{width} mm: «{line}» ends at {right}"
                );
                // Greedy: the next line's first word did not fit after this one.
                if let Some((next, _)) = out.get(k + 1) {
                    let first = next.split(' ').next().unwrap_or("");
                    let longer = set(&format!("{line} {first}"), 1000.0, Align::Left, None);
                    assert!(longer[0].1 > width - EPS, "{width} mm: «{first}» fitted");
                }
            }
            let read: Vec<String> = out.iter().map(|(l, _)| l.clone()).collect();
            if width >= 35.0 {
                // Every word fits: lines part only at spaces.
                let words: Vec<&str> = PROSE.split(' ').collect();
                assert_eq!(read.join(" ").split(' ').collect::<Vec<_>>(), words);
            } else {
                // A word wider than the line is cut where it must, with no hyphen added.
                assert_eq!(read.concat().replace(' ', ""), PROSE.replace(' ', ""));
            }
        }
    }

    #[test]
    fn justified_lines_reach_the_width_but_the_last() {
        let out = set(PROSE, 60.0, Align::Justify, None);
        assert!(out.len() > 2);
        for (line, right) in &out[..out.len() - 1] {
            assert!((right - 60.0).abs() < 0.05, "«{line}» ends at {right}");
        }
        assert!(out.last().unwrap().1 < 60.0 - 1.0);
    }

    #[test]
    fn words_are_hyphenated_where_the_dictionary_allows_at_most_twice_in_a_row() {
        let text = "anticonstitutionnellement ".repeat(6);
        let cases = [
            // (width, language, whether a hyphen is added)
            (40.0, Some("fr"), true),
            (40.0, None, false),
        ];
        for (width, language, hyphenated) in cases {
            let out = set(text.trim(), width, Align::Left, language);
            let ends: Vec<bool> = out.iter().map(|(l, _)| l.ends_with('-')).collect();
            assert_eq!(ends.iter().any(|&h| h), hyphenated, "{:?}", lines(&out));
            assert!(
                !ends.windows(3).any(|w| w.iter().all(|&h| h)),
                "three hyphens in a row: {:?}",
                lines(&out)
            );
            let joined: String = out
                .iter()
                .map(|(l, _)| l.strip_suffix('-').unwrap_or(l.as_str()).to_string() + " ")
                .collect();
            assert_eq!(joined.replace(' ', ""), text.replace(' ', ""));
        }
        // An existing hyphen is a break; no second hyphen is added there.
        let out = set(
            "porte-monnaie porte-monnaie porte-monnaie",
            25.0,
            Align::Left,
            None,
        );
        assert!(lines(&out).iter().all(|l| !l.ends_with("--")), "{out:?}");
        assert!(lines(&out).iter().any(|l| l.ends_with("porte-")), "{out:?}");
    }

    #[test]
    fn a_word_wider_than_the_line_is_cut_and_nothing_is_lost() {
        let long = "a".repeat(400);
        let url = format!(
            "https://example.org/{}/page.html?q=1&r=2",
            "segment/".repeat(20)
        );
        for (text, width) in [(long.as_str(), 30.0), (url.as_str(), 40.0), ("M", 0.5)] {
            let out = set(text, width, Align::Justify, Some("fr"));
            assert!(out.len() > 1 || text == "M", "{text}");
            for (line, right) in &out {
                assert!(
                    *right <= width + EPS || line.chars().count() == 1,
                    "«{line}»"
                );
            }
            assert_eq!(lines(&out).concat(), text, "no character lost or added");
        }
    }

    #[test]
    fn french_spacing_keeps_punctuation_with_its_word() {
        // A no-break space (U+00A0) or a narrow one (U+202F) before « ? ! : ; » and inside
        // guillemets never breaks: the mark never starts a line.
        let text = "Qu’est-ce qu’une donnée\u{a0}? «\u{202f}Une information\u{202f}» publique\u{a0}: \
                    un budget\u{a0}; une carte\u{a0}! ";
        let text = text.repeat(4);
        for width in [18.0, 23.0, 31.0, 44.0] {
            for (line, _) in set(text.trim(), width, Align::Justify, Some("fr")) {
                assert!(
                    !line.starts_with(['?', '!', ':', ';', '»']),
                    "{width} mm: «{line}»"
                );
                assert!(!line.ends_with('«'), "{width} mm: «{line}»");
            }
        }
    }
}
