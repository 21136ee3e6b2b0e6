//! SVG → pixels, for writers that cannot embed an SVG as-is (the PDF). resvg draws it with
//! nothing taken from outside the SVG's own text: no file (`href`s to files are not
//! resolved), no system font; text is drawn only with the fonts the caller passes.

use resvg::{tiny_skia, usvg};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Most elements an SVG may stand for once every `<use>` is expanded (a `<use>` bomb of 10^9
/// clones fits in 2 KB).
pub const MAX_INSTANTIATED_ELEMENTS: u64 = 100_000;

/// An SVG is embedded as-is in the HTML and EPUB, so it must not run code or fetch anything: no
/// script or foreign content, no event handler, no reference (`href`, CSS `url()`, `@import`,
/// `image-set()`) outside the file except inline raster images, decided on the stylesheet as a
/// CSS reader sees it (escapes decoded, comments removed); and its `<use>` expansion is bounded.
pub fn check_svg_is_inert(text: &str) -> Result<(), String> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        nodes_limit: 1_000_000,
        // roxmltree never reads files: external entities are left unresolved.
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options)
        .map_err(|e| format!("unreadable SVG: {e}"))?;
    let refuse = |node: roxmltree::Node, what: String| {
        let line = doc.text_pos_at(node.range().start).row;
        Err(format!(
            "SVG {what} (its line {line}): not embedded, an image must not run or load anything"
        ))
    };
    for node in doc.descendants() {
        if node.is_text() && node.parent().is_some_and(|p| p.has_tag_name("style")) {
            if node.text().is_some_and(css_reaches_outside) {
                return refuse(node, "style sheet loading another file".into());
            }
            continue;
        }
        if !node.is_element() {
            continue;
        }
        let name = node.tag_name().name();
        if matches!(
            name,
            "script" | "foreignObject" | "iframe" | "object" | "embed" | "audio" | "video"
        ) {
            return refuse(node, format!("with a <{name}> element"));
        }
        for attribute in node.attributes() {
            let attr = attribute.name();
            let value = attribute.value();
            if attr.to_ascii_lowercase().starts_with("on") {
                return refuse(node, format!("with an event handler `{attr}`"));
            }
            if attr == "href" && !is_inline_reference(value) {
                return refuse(node, format!("referring to `{value}`"));
            }
            if css_reaches_outside(value) {
                return refuse(node, format!("with `{attr}` loading another file"));
            }
        }
    }
    let elements = instantiated_elements(&doc)?;
    if elements > MAX_INSTANTIATED_ELEMENTS {
        return Err(format!(
            "SVG whose <use> elements expand to more than {MAX_INSTANTIATED_ELEMENTS} elements: \
             not embedded"
        ));
    }
    Ok(())
}

/// `#id` in the same file, or an inline PNG/JPEG/GIF.
fn is_inline_reference(href: &str) -> bool {
    let href = href.trim().to_ascii_lowercase();
    href.starts_with('#')
        || ["data:image/png", "data:image/jpeg", "data:image/gif"]
            .iter()
            .any(|prefix| href.starts_with(prefix))
}

/// CSS text as a CSS reader sees it: comments removed, escapes (`\72`, `\69 `, `\(`) decoded,
/// lowercase.
fn decode_css(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = ' ';
                for c in chars.by_ref() {
                    if previous == '*' && c == '/' {
                        break;
                    }
                    previous = c;
                }
            }
            '\\' => {
                let mut hex = String::new();
                while hex.len() < 6 && chars.peek().is_some_and(char::is_ascii_hexdigit) {
                    hex.extend(chars.next());
                }
                if hex.is_empty() {
                    // `\x` is `x`; a backslash before a newline is nothing.
                    if let Some(next) = chars.next().filter(|c| *c != '\n') {
                        out.push(next);
                    }
                    continue;
                }
                // One whitespace after a hex escape belongs to it.
                if chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                    chars.next();
                }
                let decoded = u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .filter(|c| *c != '\0')
                    .unwrap_or('\u{FFFD}');
                out.push(decoded);
            }
            _ => out.push(c),
        }
    }
    out.to_lowercase()
}

/// CSS that loads something: `@import`, or a `url()`, `image-set()`, `image()` or `src()`
/// naming anything but `#id` or an inline image.
fn css_reaches_outside(css: &str) -> bool {
    if !css.contains(['(', '@', '\\']) {
        return false;
    }
    let css = decode_css(css);
    if css.contains("@import") {
        return true;
    }
    let functions = [
        "url(",
        "image-set(",
        "image(",
        "src(",
        "cross-fade(",
        "element(",
    ];
    functions.iter().any(|function| {
        css.match_indices(function).any(|(at, _)| {
            // A name that merely ends like one (`my-url(`) is another function.
            let before = css[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                return false;
            }
            let arguments = css[at + function.len()..]
                .split(')')
                .next()
                .unwrap_or_default();
            // Every reference in the arguments must stay inside the file.
            let references: Vec<&str> = if *function == "url(" || *function == "src(" {
                vec![arguments]
            } else {
                arguments
                    .split(',')
                    .map(|part| part.trim_start().trim_start_matches("url("))
                    .filter(|part| part.starts_with(['"', '\'']) || part.contains(':'))
                    .collect()
            };
            if *function == "element(" || *function == "cross-fade(" && references.is_empty() {
                return false;
            }
            references.iter().any(|reference| {
                let reference = reference.trim_start_matches([' ', '\t', '\n', '"', '\'']);
                !is_inline_reference(reference)
            })
        })
    })
}

/// Elements the SVG stands for once each `<use>` is replaced by what it refers to, counted
/// without expanding anything (each element's total is computed once). A `<use>` that refers
/// to itself, directly or not, is an error.
fn instantiated_elements(doc: &roxmltree::Document) -> Result<u64, String> {
    let by_id: HashMap<&str, roxmltree::NodeId> = doc
        .descendants()
        .filter(|n| n.is_element())
        .filter_map(|n| Some((n.attribute("id")?, n.id())))
        .collect();
    let use_target = |node: roxmltree::Node| -> Option<roxmltree::NodeId> {
        if !node.has_tag_name("use") {
            return None;
        }
        let href = node
            .attribute("href")
            .or_else(|| node.attribute(("http://www.w3.org/1999/xlink", "href")))?;
        by_id.get(href.trim().strip_prefix('#')?).copied()
    };
    let mut total: HashMap<roxmltree::NodeId, u64> = HashMap::new();
    let mut on_path: HashSet<roxmltree::NodeId> = HashSet::new();
    let root = doc.root_element();
    // Depth-first, iterative (a chain of `<use>` may be as long as the file).
    let mut stack = vec![(root.id(), false)];
    while let Some((id, expanded)) = stack.pop() {
        if total.contains_key(&id) {
            continue;
        }
        let Some(node) = doc.get_node(id) else {
            continue;
        };
        let dependencies = node
            .children()
            .filter(|c| c.is_element())
            .map(|c| c.id())
            .chain(use_target(node));
        if expanded {
            let sum = dependencies.fold(1u64, |sum, dep| {
                sum.saturating_add(total.get(&dep).copied().unwrap_or(0))
            });
            total.insert(id, sum);
            on_path.remove(&id);
            if sum > MAX_INSTANTIATED_ELEMENTS {
                return Ok(sum);
            }
            continue;
        }
        if !on_path.insert(id) {
            return Err("SVG with a <use> that refers to itself: not embedded".into());
        }
        stack.push((id, true));
        for dep in dependencies {
            if on_path.contains(&dep) {
                return Err("SVG with a <use> that refers to itself: not embedded".into());
            }
            if !total.contains_key(&dep) {
                stack.push((dep, false));
            }
        }
    }
    Ok(total.get(&root.id()).copied().unwrap_or(1))
}

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
    let mut pixmap = tiny_skia::Pixmap::new(raster_width, raster_height)
        .ok_or_else(|| format!("SVG raster of {raster_width}×{raster_height} cannot be made"))?;
    let transform = tiny_skia::Transform::from_scale(
        raster_width as f32 / width,
        raster_height as f32 / height,
    );
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    // tiny-skia stores premultiplied alpha; `image` wants it straight.
    let pixels: Vec<u8> = pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect();
    image::RgbaImage::from_raw(raster_width, raster_height, pixels)
        .ok_or_else(|| "SVG raster has the wrong size".to_string())
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

    fn wrap(inner: &str) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">{inner}</svg>"#
        )
    }

    #[test]
    fn css_escapes_and_comments_do_not_hide_a_reference() {
        let refused = [
            r#"<rect style="fill: u\72l(http://x/y)"/>"#,
            r#"<style>@\69mport 'x.css';</style>"#,
            r#"<style>@im/**/port 'x.css';</style>"#,
            r#"<style>rect { fill: \75 \72 \6c (//evil/a) }</style>"#,
            r#"<style>rect { background: image-set("x.png" 1x) }</style>"#,
            r#"<style>rect { background: -webkit-image-set(url(x.png) 1x) }</style>"#,
            r#"<style>@font-face { src: url(f.woff) }</style>"#,
        ];
        for inner in refused {
            assert!(check_svg_is_inert(&wrap(inner)).is_err(), "{inner}");
        }
        let fine = [
            r##"<rect style="fill: url(#g)"/>"##,
            r#"<style>rect { background: image-set("data:image/png;base64,AA" 1x) }</style>"#,
            r#"<style>rect { fill: red } /* url(x) in a comment */</style>"#,
        ];
        for inner in fine {
            assert_eq!(check_svg_is_inert(&wrap(inner)), Ok(()), "{inner}");
        }
    }

    #[test]
    fn use_expansion_is_counted_not_done() {
        // Ten levels of ten `<use>` each: 10^10 clones in a few hundred bytes.
        let mut inner = String::from(r#"<rect id="l0" width="1" height="1"/>"#);
        for level in 1..=10 {
            inner.push_str(&format!(r#"<g id="l{level}">"#));
            for _ in 0..10 {
                inner.push_str(&format!(r##"<use href="#l{}"/>"##, level - 1));
            }
            inner.push_str("</g>");
        }
        let started = std::time::Instant::now();
        let refused = check_svg_is_inert(&wrap(&inner)).unwrap_err();
        assert!(refused.contains("<use>"), "{refused}");
        assert!(started.elapsed().as_secs() < 5);
        let looped = r##"<g id="a"><use href="#b"/></g><g id="b"><use xlink:href="#a"/></g>"##;
        assert!(check_svg_is_inert(&wrap(looped)).is_err());
        let few = r##"<g id="a"><rect/></g><use href="#a"/><use href="#a"/>"##;
        assert_eq!(check_svg_is_inert(&wrap(few)), Ok(()));
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
