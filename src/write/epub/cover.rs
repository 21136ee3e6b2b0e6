//! The EPUB's cover: e-reader libraries show it as the book's thumbnail (a book without one
//! shows a blank or generic tile). Drawn from the title page's text, with the PDF's text faces,
//! as an SVG rasterised by resvg: the same bytes on every build.

use super::persona_title;
use crate::ir::Document;
use crate::markup::escape;
use crate::write::fonts::FontSet;
use crate::write::svg::rasterize_svg_premultiplied_bands;

/// Pixels: the 1:1.6 shape e-reader stores recommend, at a size that stays sharp on a tablet.
const WIDTH: u32 = 1000;
const HEIGHT: u32 = 1600;
/// Text is set within this width (pixels), centred.
const TEXT_WIDTH: f64 = 800.0;
const INK: &str = "#16213e";
const ACCENT: &str = "#000091";

/// The cover as PNG bytes, set in the PDF's text faces (the theme's, when it has them): read
/// from livret's cache when this very cover (same drawing, faces and livret) was made before,
/// else drawn (on up to `threads` threads) and filed there.
pub fn cover_png(doc: &Document, fonts: &FontSet, threads: usize) -> Result<Vec<u8>, String> {
    let [_, bold, italic] = fonts.text_faces();
    let svg = cover_svg(doc, bold, italic);
    let key = crate::cache::key("epub cover", &[&fonts.text_faces_digest(), svg.as_bytes()]);
    if let Some(png) = crate::cache::get(CACHE_KIND, &key) {
        return Ok(png);
    }
    let png = draw(&svg, fonts, threads)?;
    crate::cache::put(CACHE_KIND, &key, &png);
    Ok(png)
}

const CACHE_KIND: &str = "cover";

/// Bands the cover is drawn and indexed in, on as many threads as there are to spare. A fixed
/// number: the pixels depend on the cut (see `rasterize_svg_premultiplied_bands`), so `-j`
/// must not move it.
const BANDS: usize = 2;

fn draw(svg: &str, fonts: &FontSet, threads: usize) -> Result<Vec<u8>, String> {
    let [regular, bold, italic] = fonts.text_faces();
    // The ground is opaque: premultiplied pixels are the straight ones, and dropping alpha is
    // all an RGB conversion would do.
    let (width, height, bands) = rasterize_svg_premultiplied_bands(
        svg.as_bytes(),
        WIDTH,
        &[regular, bold, italic],
        BANDS,
        threads,
    )?;
    let bands: Vec<&[u8]> = bands.iter().map(Vec::as_slice).collect();
    let (palette, indices) = palette_of(&bands, 4, threads);
    encode_indexed(width, height, &palette, &indices)
}

type Colour = [u8; 3];

/// The cover as at most 256 palette colours: text in a few inks on a flat ground, whose
/// anti-aliased edges make a few thousand colours at most. The 256 most used are kept (every
/// ink and its common blends); a rare edge colour takes the nearest kept one. The indexed file is
/// a third of the RGB one and encodes several times faster, with no visible change.
/// Each band has `stride` bytes a pixel, RGB first. Most pixels repeat the one before (flat
/// ground, solid strokes): runs are counted and looked up once each.
/// The bands are counted, then indexed, on up to `threads` threads; counts add up whatever the
/// cut, so the palette and the indices are those of one band.
fn palette_of(bands: &[&[u8]], stride: usize, threads: usize) -> (Vec<Colour>, Vec<u8>) {
    let rgb = |p: &[u8]| [p[0], p[1], p[2]];
    let weight = |band: &&[u8]| band.len() as u64;
    let counted = crate::jobs::map_ordered(bands, threads, weight, |pixels| {
        let mut counts: rustc_hash::FxHashMap<Colour, u32> = Default::default();
        let mut run: Option<(Colour, u32)> = None;
        for pixel in pixels.chunks_exact(stride).map(rgb) {
            match &mut run {
                Some((colour, n)) if *colour == pixel => *n += 1,
                _ => {
                    if let Some((colour, n)) = run.replace((pixel, 1)) {
                        *counts.entry(colour).or_default() += n;
                    }
                }
            }
        }
        if let Some((colour, n)) = run {
            *counts.entry(colour).or_default() += n;
        }
        counts
    });
    let mut counts: rustc_hash::FxHashMap<Colour, u32> = Default::default();
    for (colour, n) in counted.into_iter().flatten() {
        *counts.entry(colour).or_default() += n;
    }
    let mut by_use: Vec<(Colour, u32)> = counts.into_iter().collect();
    // Most used first; ties in colour order, so the same cover gives the same bytes.
    by_use.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let palette: Vec<Colour> = by_use.iter().take(256).map(|(c, _)| *c).collect();
    let distance = |a: Colour, b: Colour| {
        (0..3)
            .map(|i| (a[i] as i32 - b[i] as i32).pow(2))
            .sum::<i32>()
    };
    let index_of: rustc_hash::FxHashMap<Colour, u8> = by_use
        .iter()
        .enumerate()
        .map(|(rank, (colour, _))| {
            let index = if rank < palette.len() {
                rank
            } else {
                (0..palette.len())
                    .min_by_key(|&i| distance(palette[i], *colour))
                    .unwrap_or(0)
            };
            (*colour, index as u8)
        })
        .collect();
    let indexed = crate::jobs::map_ordered(bands, threads, weight, |pixels| {
        let mut last: Option<(Colour, u8)> = None;
        pixels
            .chunks_exact(stride)
            .map(|pixel| {
                let colour = rgb(pixel);
                match last {
                    Some((c, index)) if c == colour => index,
                    _ => {
                        let index = index_of.get(&colour).copied().unwrap_or(0);
                        last = Some((colour, index));
                        index
                    }
                }
            })
            .collect::<Vec<u8>>()
    });
    (palette, indexed.concat())
}

fn encode_indexed(
    width: u32,
    height: u32,
    palette: &[[u8; 3]],
    indices: &[u8],
) -> Result<Vec<u8>, String> {
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, width, height);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(palette.concat());
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(|e| format!("cover: {e}"))?;
    writer
        .write_image_data(indices)
        .map_err(|e| format!("cover: {e}"))?;
    writer.finish().map_err(|e| format!("cover: {e}"))?;
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

    #[test]
    fn the_palette_is_exact_up_to_256_colours_then_keeps_the_most_used() {
        // 300 colours: grey g used g+1 times for g < 256, then 44 rare reds.
        let mut rgb = Vec::new();
        for g in 0..256u32 {
            for _ in 0..=g {
                rgb.extend([g as u8, g as u8, g as u8]);
            }
        }
        for r in 0..44u8 {
            rgb.extend([200 + r, 0, 0]);
        }
        let (palette, indices) = palette_of(&[&rgb], 3, 1);
        assert_eq!(palette.len(), 256);
        assert_eq!(palette[0], [255, 255, 255], "the most used first");
        // A rare red takes its nearest kept colour; every grey is itself.
        let decoded: Vec<[u8; 3]> = indices.iter().map(|&i| palette[i as usize]).collect();
        assert_eq!(decoded[0], [0, 0, 0]);
        assert_eq!(decoded[3], [2, 2, 2]);
        let exact = palette_of(&[&rgb[..256 * 3]], 3, 1);
        let halves = palette_of(&[&rgb[..300], &rgb[300..]], 3, 2);
        assert_eq!(
            halves,
            palette_of(&[&rgb], 3, 1),
            "bands give the palette of one"
        );
        let round_trip: Vec<u8> = exact.1.iter().flat_map(|&i| exact.0[i as usize]).collect();
        assert_eq!(round_trip, &rgb[..256 * 3]);
    }
}
