//! The PDF's faces (DejaVu Serif for text, DejaVu Sans Mono for code, or a theme's own files)
//! and glyph coverage.

use crate::diag::{Error, Result};
use crate::theme::Theme;
use genpdf::fonts::{FontData, FontFamily};
use printpdf::BuiltinFont;
use std::borrow::Cow;

static SERIF_REGULAR: &[u8] = include_bytes!("../../fonts/DejaVuSerif.ttf");
static SERIF_BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSerif-Bold.ttf");
static SERIF_ITALIC: &[u8] = include_bytes!("../../fonts/DejaVuSerif-Italic.ttf");
static SERIF_BOLD_ITALIC: &[u8] = include_bytes!("../../fonts/DejaVuSerif-BoldItalic.ttf");
static MONO: &[u8] = include_bytes!("../../fonts/DejaVuSansMono.ttf");

/// The faces in the order genpdf registers them (the text family, then the code face; the three
/// stand-ins registered after it are never drawn): the theme file that replaces each, the
/// embedded default and its PostScript name.
const SLOTS: [(&str, &[u8], &str); 5] = [
    ("pdf/fonts/text-regular.ttf", SERIF_REGULAR, "DejaVuSerif"),
    ("pdf/fonts/text-bold.ttf", SERIF_BOLD, "DejaVuSerif-Bold"),
    (
        "pdf/fonts/text-italic.ttf",
        SERIF_ITALIC,
        "DejaVuSerif-Italic",
    ),
    (
        "pdf/fonts/text-bold-italic.ttf",
        SERIF_BOLD_ITALIC,
        "DejaVuSerif-BoldItalic",
    ),
    ("pdf/fonts/code.ttf", MONO, "DejaVuSansMono"),
];

/// A face the PDF embeds.
#[derive(Debug, Clone)]
pub struct Face {
    pub bytes: Cow<'static, [u8]>,
    /// PostScript name, as the PDF names the font (after its subset tag).
    pub name: String,
    /// Where it came from, for messages.
    pub path: String,
}

/// The five faces of a PDF: DejaVu, or the theme's own files (`--theme DIR`, each optional).
#[derive(Debug, Clone)]
pub struct FontSet {
    faces: Vec<Face>,
}

impl Default for FontSet {
    fn default() -> Self {
        FontSet {
            faces: SLOTS
                .iter()
                .map(|&(rel, bytes, name)| Face {
                    bytes: Cow::Borrowed(bytes),
                    name: name.to_string(),
                    path: format!("fonts/{}", rel.rsplit('/').next().unwrap_or(rel)),
                })
                .collect(),
        }
    }
}

impl FontSet {
    /// The faces of `theme`, checked before any layout: a file that is not a TrueType font is
    /// an error naming it.
    pub fn load(theme: &Theme) -> Result<FontSet> {
        let mut set = FontSet::default();
        for (face, (rel, _, _)) in set.faces.iter_mut().zip(SLOTS) {
            // Read as every theme file is: a regular file, at most 50 MB.
            let Some((path, bytes)) = theme.font(rel)? else {
                continue;
            };
            let shown = path.display().to_string();
            let name = truetype_name(&bytes)
                .and_then(|name| probe(&bytes).map(|()| name))
                .map_err(|message| Error::Font {
                    path: shown.clone(),
                    message,
                })?;
            *face = Face {
                bytes: Cow::Owned(bytes),
                name,
                path: shown,
            };
        }
        Ok(set)
    }

    /// What the text faces are, as a digest: the embedded ones by name (the version of livret
    /// says which files), a theme's by their bytes.
    pub fn text_faces_digest(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut digest = Sha256::new();
        for face in &self.faces[..3] {
            match &face.bytes {
                Cow::Borrowed(_) => digest.update(format!("embedded {}\0", face.name)),
                Cow::Owned(bytes) => digest.update(Sha256::digest(bytes)),
            }
        }
        digest.finalize().into()
    }

    /// The text faces (regular, bold, italic), for other writers that draw text (the EPUB cover).
    pub fn text_faces(&self) -> [&[u8]; 3] {
        [
            &self.faces[0].bytes,
            &self.faces[1].bytes,
            &self.faces[2].bytes,
        ]
    }

    /// Face `index` in genpdf's registration order.
    pub fn face(&self, index: usize) -> Option<&Face> {
        self.faces.get(index)
    }

    /// The names of the text and code faces, for messages.
    pub fn describe(&self) -> String {
        format!("{} and {}", self.faces[0].name, self.faces[4].name)
    }
}

/// What genpdf's `Context` must hold: a font family, parsed by rusttype. Nothing is measured
/// or printed with it (our elements measure with `Metrics` and paint on the surface), so it is
/// the built-in code face, never a theme's file, as a built-in PDF font (printpdf never parses
/// it).
pub fn layout_family() -> std::result::Result<FontFamily<FontData>, genpdf::error::Error> {
    let data = FontData::new(MONO.to_vec(), Some(BuiltinFont::Courier))?;
    Ok(FontFamily {
        regular: data.clone(),
        bold: data.clone(),
        italic: data.clone(),
        bold_italic: data,
    })
}

/// The PostScript name of a font file that the PDF can embed, or why it cannot (whether its
/// tables agree is `probe`'s question).
fn truetype_name(bytes: &[u8]) -> std::result::Result<String, String> {
    let face = ttf_parser::Face::parse(bytes, 0)
        .map_err(|e| format!("not a TrueType/OpenType font ({e})"))?;
    if face.tables().glyf.is_none() {
        return Err(
            "the font has no TrueType outlines (`glyf` table; CFF-based .otf fonts cannot be \
             embedded): use a .ttf"
                .into(),
        );
    }
    let name = face
        .names()
        .into_iter()
        .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
        .find_map(|n| n.to_string())
        .unwrap_or_else(|| "Font".into());
    // A PDF name: printable ASCII without delimiters or spaces.
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_graphic() && !"()<>[]{}/%#".contains(*c))
        .collect();
    Ok(if name.is_empty() { "Font".into() } else { name })
}

/// A face whose character map names glyphs it does not have (past `maxp`'s count, or with no
/// advance width) is damaged: the subsetter and the text measure would index its tables with
/// them. Refused here, naming the file, rather than met halfway through a book. (genpdf and
/// its font reader never see a theme face: see `layout_family`.)
fn probe(bytes: &[u8]) -> std::result::Result<(), String> {
    let damaged = |what: String| format!("the font is damaged: {what}");
    let face = ttf_parser::Face::parse(bytes, 0).map_err(|e| damaged(e.to_string()))?;
    let count = face.number_of_glyphs();
    let cmap = face
        .tables()
        .cmap
        .ok_or_else(|| damaged("it has no character map".into()))?;
    for subtable in cmap.subtables {
        let mut bad = None;
        subtable.codepoints(|cp| {
            if bad.is_none()
                && let Some(glyph) = subtable.glyph_index(cp)
                && (glyph.0 >= count || face.glyph_hor_advance(glyph).is_none())
            {
                bad = Some((cp, glyph.0));
            }
        });
        if let Some((cp, glyph)) = bad {
            return Err(damaged(format!(
                "its character map gives U+{cp:04X} glyph {glyph}, of {count} glyphs"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_font_file_is_checked_and_named_by_its_postscript_name() {
        assert_eq!(truetype_name(MONO).as_deref(), Ok("DejaVuSansMono"));
        let not_a_font = truetype_name(b"%PDF-1.7 not a font").unwrap_err();
        assert!(
            not_a_font.starts_with("not a TrueType/OpenType font"),
            "{not_a_font}"
        );
        // The same face with its `glyf` table renamed: as a CFF-outline font looks to us.
        let mut no_outlines = MONO.to_vec();
        let tables = usize::from(u16::from_be_bytes([no_outlines[4], no_outlines[5]]));
        let record = (0..tables)
            .map(|i| 12 + 16 * i)
            .find(|&at| &no_outlines[at..at + 4] == b"glyf")
            .expect("a glyf table");
        no_outlines[record..record + 4].copy_from_slice(b"glyg");
        let refused = truetype_name(&no_outlines).unwrap_err();
        assert!(refused.contains("no TrueType outlines"), "{refused}");
    }
}
