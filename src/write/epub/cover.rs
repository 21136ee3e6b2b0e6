//! The EPUB's cover: e-reader libraries show it as the book's thumbnail (a book without one
//! shows a blank or generic tile). Drawn from the title page's text, with the PDF's text faces,
//! as an SVG rasterised by resvg: the same bytes on every build.

use super::content::escape;
use super::persona_title;
use crate::ir::Document;
use crate::passes::svg::rasterize_svg_with_fonts;
use crate::write::pdf::FontSet;
use image::ImageEncoder;

/// Pixels: the 1:1.6 shape e-reader stores recommend, at a size that stays sharp on a tablet.
const WIDTH: u32 = 1000;
const HEIGHT: u32 = 1600;
/// Text is set within this width (pixels), centred.
const TEXT_WIDTH: f64 = 800.0;
const INK: &str = "#16213e";
const ACCENT: &str = "#000091";

/// The cover as PNG bytes, set in the PDF's text faces (the theme's, when it has them).
pub fn cover_png(doc: &Document, fonts: &FontSet) -> Result<Vec<u8>, String> {
    let [regular, bold, italic] = fonts.text_faces();
    let svg = cover_svg(doc, bold, italic);
    let raster = rasterize_svg_with_fonts(svg.as_bytes(), WIDTH, &[regular, bold, italic])?;
    let rgb = image::DynamicImage::ImageRgba8(raster).to_rgb8();
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut png,
        image::codecs::png::CompressionType::Best,
        image::codecs::png::FilterType::Adaptive,
    )
    .write_image(
        rgb.as_raw(),
        rgb.width(),
        rgb.height(),
        image::ExtendedColorType::Rgb8,
    )
    .map_err(|e| format!("cover: {e}"))?;
    Ok(png)
}

fn cover_svg(doc: &Document, bold: &[u8], italic: &[u8]) -> String {
    let meta = &doc.meta;
    let mut y = 440.0;
    let mut text = String::new();
    text_lines(
        &mut text,
        &mut y,
        &meta.title,
        bold,
        92.0,
        r#"font-weight="bold""#,
    );
    if let Some(persona) = persona_title(doc) {
        y += 30.0;
        let attrs = format!(r#"font-weight="bold" fill="{ACCENT}""#);
        let line = meta.labels.persona_line(persona);
        text_lines(&mut text, &mut y, &line, bold, 60.0, &attrs);
    }
    // The subtitle, else the summary: what the title page shows under the title.
    if let Some(subtitle) = meta.subtitle.as_ref().or(meta.summary.as_ref()) {
        y += 50.0;
        text_lines(
            &mut text,
            &mut y,
            subtitle,
            italic,
            46.0,
            r#"font-style="italic""#,
        );
    }
    let mut foot = String::new();
    let mut foot_y = 1440.0;
    for line in [meta.publisher.as_deref(), meta.date.as_deref()]
        .into_iter()
        .flatten()
    {
        foot.push_str(&format!(
            r#"<text x="500" y="{foot_y:.0}" font-size="40">{}</text>"#,
            escape(line)
        ));
        foot_y += 56.0;
    }
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">
<rect width="{WIDTH}" height="{HEIGHT}" fill="#fbfaf7"/>
<rect width="{WIDTH}" height="150" fill="{ACCENT}"/>
<rect x="100" y="1340" width="800" height="4" fill="{ACCENT}"/>
<g font-family="serif" text-anchor="middle" fill="{INK}">{text}{foot}</g>
</svg>"##
    )
}

/// `words` as centred `<text>` lines from `y` down; `y` ends below the last.
fn text_lines(out: &mut String, y: &mut f64, words: &str, face: &[u8], size: f64, attrs: &str) {
    for line in wrap(words, face, size, TEXT_WIDTH, 4) {
        out.push_str(&format!(
            r#"<text x="500" y="{:.0}" font-size="{size:.0}" {attrs}>{}</text>"#,
            *y,
            escape(&line)
        ));
        *y += size * 1.25;
    }
}

/// Greedy line filling with the face's advance widths; at most `max_lines` lines, the last
/// ending in `…` when the text is longer.
fn wrap(text: &str, face: &[u8], size: f64, width: f64, max_lines: usize) -> Vec<String> {
    let parsed = ttf_parser::Face::parse(face, 0).ok();
    let measure = |s: &str| -> f64 {
        let Some(face) = &parsed else {
            return s.chars().count() as f64 * size * 0.6;
        };
        let units: f64 = s
            .chars()
            .map(|c| {
                face.glyph_index(c)
                    .and_then(|g| face.glyph_hor_advance(g))
                    .map_or(f64::from(face.units_per_em()) * 0.6, f64::from)
            })
            .sum();
        units * size / f64::from(face.units_per_em())
    };
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if measure(&format!("{line} {word}")) <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            last.push('…');
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_wraps_within_the_width_and_stops_at_four_lines() {
        let fonts = FontSet::default();
        let [_, bold, _] = fonts.text_faces();
        let lines = wrap("Découvrir l'OpenData", bold, 92.0, TEXT_WIDTH, 4);
        assert_eq!(lines, ["Découvrir", "l'OpenData"]);
        let long = "mot ".repeat(100);
        let lines = wrap(&long, bold, 92.0, TEXT_WIDTH, 4);
        assert_eq!(lines.len(), 4);
        assert!(lines[3].ends_with('…'));
        assert!(lines[0].split(' ').count() > 1, "{lines:?}");
    }
}
