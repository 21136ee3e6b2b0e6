//! The embedded font families (DejaVu Serif for text, DejaVu Sans Mono for code) and glyph coverage.

use crate::diag::{Error, Result};
use genpdf::fonts::{Font, FontCache, FontData, FontFamily};
use printpdf::BuiltinFont;

static SERIF_REGULAR: &[u8] = include_bytes!("../../../fonts/DejaVuSerif.ttf");
static SERIF_BOLD: &[u8] = include_bytes!("../../../fonts/DejaVuSerif-Bold.ttf");
static SERIF_ITALIC: &[u8] = include_bytes!("../../../fonts/DejaVuSerif-Italic.ttf");
static SERIF_BOLD_ITALIC: &[u8] = include_bytes!("../../../fonts/DejaVuSerif-BoldItalic.ttf");
static MONO: &[u8] = include_bytes!("../../../fonts/DejaVuSansMono.ttf");

/// PostScript names of the embedded faces, in the order genpdf registers them (the serif family,
/// then the mono face; the three stand-ins after it are never drawn).
pub const FACE_NAMES: [&str; 5] = [
    "DejaVuSerif",
    "DejaVuSerif-Bold",
    "DejaVuSerif-Italic",
    "DejaVuSerif-BoldItalic",
    "DejaVuSansMono",
];

fn face(bytes: &'static [u8], name: &str) -> Result<FontData> {
    FontData::new(bytes.to_vec(), None).map_err(|e| Error::Font {
        path: format!("fonts/{name}"),
        message: e.to_string(),
    })
}

pub fn serif_family() -> Result<FontFamily<FontData>> {
    Ok(FontFamily {
        regular: face(SERIF_REGULAR, "DejaVuSerif.ttf")?,
        bold: face(SERIF_BOLD, "DejaVuSerif-Bold.ttf")?,
        italic: face(SERIF_ITALIC, "DejaVuSerif-Italic.ttf")?,
        bold_italic: face(SERIF_BOLD_ITALIC, "DejaVuSerif-BoldItalic.ttf")?,
    })
}

/// Code has no bold or italic: one mono face serves every style. genpdf only registers whole
/// families, so the other three styles are built-in stand-ins that are never drawn (embedded
/// copies would cost a scan of every code point each when printpdf saves) and that the post-pass
/// drops from the resources.
pub fn mono_family() -> Result<FontFamily<FontData>> {
    let stand_in = || {
        FontData::new(MONO.to_vec(), Some(BuiltinFont::Courier)).map_err(|e| Error::Font {
            path: "fonts/DejaVuSansMono.ttf".into(),
            message: e.to_string(),
        })
    };
    Ok(FontFamily {
        regular: face(MONO, "DejaVuSansMono.ttf")?,
        bold: stand_in()?,
        italic: stand_in()?,
        bold_italic: stand_in()?,
    })
}

/// The family of one face in every style.
pub fn one_face_family(font: Font) -> FontFamily<Font> {
    FontFamily {
        regular: font,
        bold: font,
        italic: font,
        bold_italic: font,
    }
}

/// The registered families.
#[derive(Clone, Copy, Debug)]
pub struct Families {
    pub serif: FontFamily<Font>,
    pub mono: FontFamily<Font>,
}

pub fn has_glyph(cache: &FontCache, font: Font, c: char) -> bool {
    cache.get_rt_font(font).glyph(c).id().0 != 0
}

/// Every style of the family has the glyph (a fallback decided once must hold for bold too).
pub fn family_has_glyph(cache: &FontCache, family: &FontFamily<Font>, c: char) -> bool {
    [
        family.regular,
        family.bold,
        family.italic,
        family.bold_italic,
    ]
    .into_iter()
    .all(|f| has_glyph(cache, f, c))
}

/// The embedded bytes of face `index` (genpdf's registration order, see `FACE_NAMES`).
pub fn face_bytes(index: usize) -> Option<&'static [u8]> {
    match index {
        0 => Some(SERIF_REGULAR),
        1 => Some(SERIF_BOLD),
        2 => Some(SERIF_ITALIC),
        3 => Some(SERIF_BOLD_ITALIC),
        4 => Some(MONO),
        _ => None,
    }
}

/// For each glyph of `glyphs`, the character it stands for (the lowest code point when several
/// share it: a space rather than a no-break space, `-` rather than a soft hyphen).
pub fn glyph_chars(
    face: &[u8],
    glyphs: &std::collections::BTreeSet<u16>,
) -> std::collections::BTreeMap<u16, char> {
    let mut out = std::collections::BTreeMap::new();
    let Ok(face) = ttf_parser::Face::parse(face, 0) else {
        return out;
    };
    let Some(cmap) = face.tables().cmap else {
        return out;
    };
    for subtable in cmap.subtables {
        if !subtable.is_unicode() {
            continue;
        }
        subtable.codepoints(|cp| {
            if let (Some(g), Some(c)) = (subtable.glyph_index(cp), char::from_u32(cp))
                && glyphs.contains(&g.0)
            {
                out.entry(g.0)
                    .and_modify(|old: &mut char| *old = (*old).min(c))
                    .or_insert(c);
            }
        });
    }
    out
}
