//! SVG → pixels, for writers that cannot embed an SVG as-is (the PDF, the EPUB's cover).
//! resvg draws it with nothing taken from outside the SVG's own text: no file (`href`s to
//! files are not resolved), no system font; text is drawn only with the fonts the caller passes.

use resvg::{tiny_skia, usvg};
use std::sync::Arc;

/// Larger SVG files are refused before parsing.
const MAX_SVG_BYTES: usize = 16 * 1024 * 1024;
/// Largest intrinsic side accepted, as for bitmap images (`assets.rs`).
const MAX_SIDE: f32 = 20_000.0;
/// Largest raster drawn: 25 Mpixels, 100 MB of RGBA.
const MAX_RASTER_PIXELS: f64 = 25_000_000.0;

/// Draw `bytes` (an SVG) `max_width_px` pixels wide, height in proportion; smaller when that
/// raster would be too large. A vector image is sharp at any size, so the caller asks for the
/// width it prints at. Text needs fonts: see [`rasterize_svg_with_fonts`].
pub fn rasterize_svg(bytes: &[u8], max_width_px: u32) -> Result<image::RgbaImage, String> {
    rasterize_svg_with_fonts(bytes, max_width_px, &[])
}

/// [`rasterize_svg`], drawing text with `fonts` (TrueType/OpenType data, e.g. the fonts the
/// PDF embeds); the first font's family is the default and stands for serif and sans-serif.
pub fn rasterize_svg_with_fonts(
    bytes: &[u8],
    max_width_px: u32,
    fonts: &[&[u8]],
) -> Result<image::RgbaImage, String> {
    let pixmap = draw(bytes, max_width_px, fonts)?;
    let (width, height) = (pixmap.width(), pixmap.height());
    // tiny-skia stores premultiplied alpha; `image` wants it straight. An opaque pixel is the
    // same in both: its bytes are copied as they are.
    let mut pixels: Vec<u8> = Vec::with_capacity(pixmap.data().len());
    for p in pixmap.pixels() {
        if p.alpha() == u8::MAX {
            pixels.extend_from_slice(&[p.red(), p.green(), p.blue(), u8::MAX]);
        } else {
            let c = p.demultiply();
            pixels.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
        }
    }
    image::RgbaImage::from_raw(width, height, pixels)
        .ok_or_else(|| "SVG raster has the wrong size".to_string())
}

fn draw(bytes: &[u8], max_width_px: u32, fonts: &[&[u8]]) -> Result<tiny_skia::Pixmap, String> {
    let prepared = prepare(bytes, max_width_px, fonts)?;
    prepared.draw_rows(0, prepared.height)
}

/// [`rasterize_svg_with_fonts`] as tiny-skia draws it, cut in `bands` horizontal bands drawn
/// on up to `threads` threads from the one parsed tree: width, height and each band's rows, top
/// to bottom, RGBA with premultiplied alpha — the straight values wherever the SVG is opaque (an
/// EPUB cover, whose ground covers it all), without a pass over every pixel to convert them. A
/// band is the drawing moved up by its top, which rounds a few edge pixels differently from one
/// raster: the bytes depend on `bands`, never on `threads`.
pub fn rasterize_svg_premultiplied_bands(
    bytes: &[u8],
    max_width_px: u32,
    fonts: &[&[u8]],
    bands: usize,
    threads: usize,
) -> Result<(u32, u32, Vec<Vec<u8>>), String> {
    let prepared = prepare(bytes, max_width_px, fonts)?;
    let (width, height) = (prepared.width, prepared.height);
    let rows = height.div_ceil(bands.clamp(1, height as usize) as u32);
    let tops: Vec<u32> = (0..height).step_by(rows as usize).collect();
    let drawn = crate::jobs::map_ordered(
        &tops,
        threads,
        |_| 1,
        |&top| {
            prepared
                .draw_rows(top, rows.min(height - top))
                .map(tiny_skia::Pixmap::take)
        },
    );
    Ok((width, height, drawn.into_iter().collect::<Result<_, _>>()?))
}

/// A parsed SVG and the raster it is drawn at: within the caps, `max_width_px` wide at most.
struct Prepared {
    tree: usvg::Tree,
    width: u32,
    height: u32,
    transform: tiny_skia::Transform,
}

impl Prepared {
    /// `rows` rows of the raster from row `top` down.
    fn draw_rows(&self, top: u32, rows: u32) -> Result<tiny_skia::Pixmap, String> {
        let width = self.width;
        let mut pixmap = tiny_skia::Pixmap::new(width, rows)
            .ok_or_else(|| format!("SVG raster of {width}×{rows} cannot be made"))?;
        let transform = self.transform.post_translate(0.0, -(top as f32));
        resvg::render(&self.tree, transform, &mut pixmap.as_mut());
        Ok(pixmap)
    }
}

fn prepare(bytes: &[u8], max_width_px: u32, fonts: &[&[u8]]) -> Result<Prepared, String> {
    if bytes.len() > MAX_SVG_BYTES {
        return Err(format!(
            "SVG of {} bytes: larger than the {MAX_SVG_BYTES} bytes accepted",
            bytes.len()
        ));
    }
    let options = options(fonts);
    let tree =
        usvg::Tree::from_data(bytes, &options).map_err(|e| format!("unreadable SVG: {e}"))?;
    let size = tree.size();
    let (width, height) = (size.width(), size.height());
    if !(width.is_finite() && height.is_finite() && width > 0.0 && height > 0.0) {
        return Err("SVG without a usable size".into());
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(format!(
            "SVG of {width}×{height} pixels: larger than {MAX_SIDE} a side"
        ));
    }
    let (width64, height64) = (f64::from(width), f64::from(height));
    let side = f64::from(MAX_SIDE);
    let scale = (f64::from(max_width_px.max(1)) / width64)
        .min(side / width64)
        .min(side / height64)
        .min((MAX_RASTER_PIXELS / (width64 * height64)).sqrt());
    // Saturating casts of values bounded above; floor keeps the raster within the caps.
    let raster_width = (width64 * scale).floor().max(1.0) as u32;
    let raster_height = (height64 * scale).floor().max(1.0) as u32;
    let transform = tiny_skia::Transform::from_scale(
        raster_width as f32 / width,
        raster_height as f32 / height,
    );
    Ok(Prepared {
        tree,
        width: raster_width,
        height: raster_height,
        transform,
    })
}

fn options(fonts: &[&[u8]]) -> usvg::Options<'static> {
    let mut options = usvg::Options {
        resources_dir: None,
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: Box::new(inline_raster),
            // A string `href` is a path or URL: never opened.
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    };
    let db = options.fontdb_mut();
    for font in fonts {
        db.load_font_data(font.to_vec());
    }
    let family = db
        .faces()
        .next()
        .and_then(|face| face.families.first())
        .map(|(name, _)| name.clone());
    if let Some(family) = family {
        db.set_serif_family(family.clone());
        db.set_sans_serif_family(family.clone());
        options.font_family = family;
    }
    options
}

/// Inline PNG, JPEG and GIF images only (not nested SVGs, which could nest without end).
fn inline_raster(mime: &str, data: Arc<Vec<u8>>, _: &usvg::Options) -> Option<usvg::ImageKind> {
    match mime {
        "image/png" => Some(usvg::ImageKind::PNG(data)),
        "image/jpeg" | "image/jpg" => Some(usvg::ImageKind::JPEG(data)),
        "image/gif" => Some(usvg::ImageKind::GIF(data)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARES: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" viewBox="0 0 40 20">
        <rect x="0" y="0" width="20" height="20" fill="#ff0000"/>
        <rect x="20" y="0" width="20" height="20" fill="#0000ff" fill-opacity="0.5"/>
    </svg>"##;

    #[test]
    fn draws_at_the_asked_width_with_straight_alpha() {
        let Ok(raster) = rasterize_svg(SQUARES.as_bytes(), 400) else {
            panic!("SQUARES draws");
        };
        assert_eq!(raster.dimensions(), (400, 200));
        assert_eq!(raster.get_pixel(100, 100).0, [255, 0, 0, 255]);
        let [r, g, b, a] = raster.get_pixel(300, 100).0;
        assert_eq!((r, g), (0, 0));
        assert!(b >= 250, "straight, not premultiplied: {b}");
        assert!((126..=129).contains(&a), "{a}");
    }

    #[test]
    fn huge_and_broken_svgs_are_refused() {
        let huge = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"/>"#;
        let refused = rasterize_svg(huge.as_bytes(), 100)
            .err()
            .unwrap_or_default();
        assert!(refused.contains("larger than"), "{refused}");
        assert!(rasterize_svg(b"<svg", 100).is_err());
        assert!(rasterize_svg(b"\xff\xfe", 100).is_err());
        let big = vec![b' '; MAX_SVG_BYTES + 1];
        assert!(rasterize_svg(&big, 100).is_err());
        // A tall, thin SVG asked very wide: drawn smaller than asked, within the pixel cap.
        let tall = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="20000"/>"#;
        let Ok(raster) = rasterize_svg(tall.as_bytes(), 20_000) else {
            panic!("tall SVG draws");
        };
        assert!(f64::from(raster.width()) * f64::from(raster.height()) <= MAX_RASTER_PIXELS);
        assert!(
            raster.height() <= MAX_SIDE as u32,
            "{:?}",
            raster.dimensions()
        );
    }

    #[test]
    fn never_reads_a_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut png = std::io::Cursor::new(Vec::new());
        let written = image::RgbImage::from_pixel(4, 4, image::Rgb([0, 255, 0]))
            .write_to(&mut png, image::ImageFormat::Png);
        assert!(written.is_ok());
        let file = dir.path().join("green.png");
        assert!(std::fs::write(&file, png.get_ref()).is_ok());
        let svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="4" height="4">
            <image href="{0}" width="4" height="4"/>
            <image xlink:href="file://{0}" width="4" height="4"/>
            </svg>"#,
            file.display()
        );
        let Ok(raster) = rasterize_svg(svg.as_bytes(), 4) else {
            panic!("draws");
        };
        assert!(
            raster.pixels().all(|p| p.0[3] == 0),
            "a file was read into the raster"
        );
        // The same image inline is drawn.
        use base64::Engine;
        let inline = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><image href="data:image/png;base64,{}" width="4" height="4"/></svg>"#,
            base64::engine::general_purpose::STANDARD.encode(png.get_ref())
        );
        let Ok(raster) = rasterize_svg(inline.as_bytes(), 4) else {
            panic!("draws");
        };
        assert_eq!(raster.get_pixel(2, 2).0, [0, 255, 0, 255]);
    }

    #[test]
    fn text_needs_the_fonts_given() {
        let text = r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50"><text x="5" y="40" font-size="40" font-family="serif">Ab</text></svg>"#;
        let Ok(raster) = rasterize_svg(text.as_bytes(), 200) else {
            panic!("draws");
        };
        // No system font is loaded: without fonts the text is not drawn.
        assert!(raster.pixels().all(|p| p.0[3] == 0));
        let font = std::fs::read("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
        let Ok(font) = font else {
            eprintln!("skipped: DejaVuSans.ttf not installed; text with fonts not checked");
            return;
        };
        let Ok(raster) = rasterize_svg_with_fonts(text.as_bytes(), 200, &[&font]) else {
            panic!("draws with a font");
        };
        let inked = raster.pixels().filter(|p| p.0[3] > 128).count();
        assert!(
            inked > 100,
            "text drawn with the font given: {inked} pixels"
        );
    }
}
