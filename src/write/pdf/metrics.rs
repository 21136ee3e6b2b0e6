//! Glyph ids, advances and kerning of the PDF's faces, read with ttf-parser and cached: the one
//! source of widths for line breaking and of the glyph codes the serialiser writes, so what is
//! measured is exactly what is drawn.

use crate::write::fonts::FontSet;
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::cell::{Cell, RefCell};

/// Faces by index, as `FontSet` orders them: serif regular, bold, italic, bold italic; mono.
pub const FACE_COUNT: usize = 5;
pub const MONO: u8 = 4;

/// A glyph id and its advance in em.
#[derive(Clone, Copy, Debug)]
pub struct Glyph {
    pub id: u16,
    pub advance: f32,
}

struct FaceMetrics {
    bytes: Cow<'static, [u8]>,
    upem: f32,
    has_kern: bool,
    /// Latin to general punctuation, looked up by index and filled as characters are met (a
    /// handout meets a hundred of these 8,448): read without borrowing.
    common: Vec<Cell<Glyph>>,
    glyphs: RefCell<FxHashMap<char, Glyph>>,
    kerns: RefCell<FxHashMap<(u16, u16), f32>>,
}

const COMMON: usize = 0x2100;

/// A slot of `common` not filled yet (no glyph has a NaN advance).
const NOT_LOOKED_UP: Glyph = Glyph {
    id: 0,
    advance: f32::NAN,
};

impl FaceMetrics {
    fn new(bytes: Cow<'static, [u8]>) -> Self {
        let face = ttf_parser::Face::parse(&bytes, 0).ok();
        let upem = face
            .as_ref()
            .map(|f| f32::from(f.units_per_em().max(1)))
            .unwrap_or(1000.0);
        let has_kern = face
            .as_ref()
            .and_then(|f| f.tables().kern)
            .is_some_and(|k| k.subtables.into_iter().next().is_some());
        FaceMetrics {
            bytes,
            upem,
            has_kern,
            common: vec![Cell::new(NOT_LOOKED_UP); COMMON],
            glyphs: RefCell::default(),
            kerns: RefCell::default(),
        }
    }

    fn look_up(&self, c: char) -> Glyph {
        match ttf_parser::Face::parse(&self.bytes, 0) {
            Ok(face) => glyph_of(&face, c, self.upem),
            Err(_) => Glyph {
                id: 0,
                advance: 0.5,
            },
        }
    }

    fn glyph(&self, c: char) -> Glyph {
        if let Some(slot) = self.common.get(c as usize) {
            let g = slot.get();
            if g.advance.is_nan() {
                let g = self.look_up(c);
                slot.set(g);
                return g;
            }
            return g;
        }
        if let Some(g) = self.glyphs.borrow().get(&c) {
            return *g;
        }
        let g = self.look_up(c);
        self.glyphs.borrow_mut().insert(c, g);
        g
    }

    fn kern(&self, left: u16, right: u16) -> f32 {
        if !self.has_kern || left == 0 || right == 0 {
            return 0.0;
        }
        if let Some(k) = self.kerns.borrow().get(&(left, right)) {
            return *k;
        }
        let k = ttf_parser::Face::parse(&self.bytes, 0)
            .ok()
            .and_then(|face| face.tables().kern)
            .and_then(|kern| {
                kern.subtables.into_iter().find_map(|s| {
                    (s.horizontal && !s.has_cross_stream)
                        .then(|| {
                            s.glyphs_kerning(ttf_parser::GlyphId(left), ttf_parser::GlyphId(right))
                        })
                        .flatten()
                })
            })
            .map(|units| f32::from(units) / self.upem)
            .unwrap_or(0.0);
        self.kerns.borrow_mut().insert((left, right), k);
        k
    }
}

fn glyph_of(face: &ttf_parser::Face<'_>, c: char, upem: f32) -> Glyph {
    let id = face.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
    let advance = face.glyph_hor_advance(id).map(f32::from).unwrap_or(0.0) / upem;
    Glyph { id: id.0, advance }
}

/// Metrics of every face of a `FontSet`.
pub struct Metrics {
    faces: Vec<FaceMetrics>,
}

/// Millimetres per PDF point.
const PT: f64 = 25.4 / 72.0;

impl Metrics {
    pub fn new(fonts: &FontSet) -> Self {
        Metrics {
            faces: (0..FACE_COUNT)
                .map(|i| {
                    FaceMetrics::new(
                        fonts
                            .face(i)
                            .map(|f| f.bytes.clone())
                            .unwrap_or(Cow::Borrowed(&[])),
                    )
                })
                .collect(),
        }
    }

    pub fn glyph(&self, face: u8, c: char) -> Glyph {
        self.faces[usize::from(face)].glyph(c)
    }

    pub fn has_glyph(&self, face: u8, c: char) -> bool {
        self.glyph(face, c).id != 0
    }

    /// Kerning between two glyphs, in em (negative: closer).
    pub fn kern(&self, face: u8, left: u16, right: u16) -> f32 {
        self.faces[usize::from(face)].kern(left, right)
    }

    /// Width of `text` in mm at `size` pt, kerning included.
    pub fn width(&self, face: u8, size: f64, text: &str) -> f64 {
        let m = &self.faces[usize::from(face)];
        let mut em = 0.0f32;
        let mut prev = 0u16;
        for c in text.chars() {
            let g = m.glyph(c);
            em += g.advance + m.kern(prev, g.id);
            prev = g.id;
        }
        f64::from(em) * size * PT
    }

    /// Width of one character in mm at `size` pt (no kerning).
    pub fn char_width(&self, face: u8, size: f64, c: char) -> f64 {
        f64::from(self.glyph(face, c).advance) * size * PT
    }
}
