//! Assets pass: every image is located under the corpus root (never outside it), read once,
//! checked against decompression bombs, decoded to prove it is whole, and indexed in
//! `Document::assets` in order of first use.

use super::{join_within_root, page_dir, percent_decode, rewrite_inlines, url_scheme};
use crate::diag::Diagnostics;
use crate::ir::{Asset, Document, ImageFormat, Inline, LinkTarget};
use image::{ImageReader, Limits};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest side accepted, in pixels.
const MAX_SIDE: u32 = 20_000;
/// Largest area accepted, in pixels.
const MAX_PIXELS: u64 = 100_000_000;
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// 100 Mpixels of 16-bit RGBA, the worst image that passes the checks above.
const MAX_DECODE_BYTES: u64 = 800 * 1024 * 1024;

pub fn load_assets(doc: &mut Document, root: &Path, diags: &mut Diagnostics) {
    let mut loader = AssetLoader {
        root,
        canonical_root: root.canonicalize().ok(),
        by_file: BTreeMap::new(),
        assets: std::mem::take(&mut doc.assets),
    };
    for chapter in &mut doc.chapters {
        let display = root.join(&chapter.source).display().to_string();
        let dir = page_dir(&chapter.source).to_string();
        rewrite_inlines(&mut chapter.blocks, &mut |inline| {
            let Inline::Image {
                src,
                alt,
                title,
                asset,
                pos,
            } = inline
            else {
                return None;
            };
            match locate(src, &dir) {
                Location::Remote(url) => {
                    diags
                        .warning(
                            display.clone(),
                            pos.line,
                            pos.col,
                            format!("remote image `{url}` is not embedded: it becomes a link"),
                        )
                        .with_hint("copy the image under the corpus (e.g. /img/) to include it");
                    let label = if alt.trim().is_empty() {
                        url.clone()
                    } else {
                        alt.clone()
                    };
                    return Some(vec![Inline::Link {
                        target: LinkTarget::External(url),
                        title: title.clone(),
                        content: vec![Inline::Text(label)],
                        pos: *pos,
                    }]);
                }
                Location::Refused(message) => {
                    diags
                        .error(display.clone(), pos.line, pos.col, message)
                        .with_hint("images must be files under the corpus root, e.g. /img/x.png");
                }
                Location::Corpus(relative) => match loader.load(&relative) {
                    Ok(index) => *asset = Some(index),
                    Err(message) => {
                        diags.error(display.clone(), pos.line, pos.col, message);
                    }
                },
            }
            None
        });
    }
    doc.assets = loader.assets;
}

enum Location {
    Remote(String),
    /// Relative to the corpus root, `/` separators, `..` folded.
    Corpus(String),
    Refused(String),
}

/// Where an image's `src` points, decided from the text alone: no file is touched here.
fn locate(src: &str, page_dir: &str) -> Location {
    let src = src.trim();
    if src.is_empty() {
        return Location::Refused("image with an empty path".into());
    }
    if let Some(scheme) = url_scheme(src) {
        return match scheme.as_str() {
            "http" | "https" => Location::Remote(src.to_string()),
            _ => Location::Refused(format!(
                "image `{}`: `{scheme}:` URLs are never read",
                shorten(src)
            )),
        };
    }
    if src.starts_with("//") {
        return Location::Remote(format!("https:{src}"));
    }
    if src.contains('\\') {
        return Location::Refused(format!("image `{src}`: write paths with `/`, not `\\`"));
    }
    let path = src.split(['?', '#']).next().unwrap_or_default();
    let path = percent_decode(path);
    // A site path (`/img/x.png`) starts at the corpus root; anything else at the page's folder.
    let base = if path.starts_with('/') { "" } else { page_dir };
    match join_within_root(base, &path) {
        Some(relative) if !relative.is_empty() => Location::Corpus(relative),
        Some(_) => Location::Refused(format!("image `{src}` names a folder, not a file")),
        None => Location::Refused(format!("image `{src}` leaves the corpus root: not read")),
    }
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((end, _)) => format!("{}…", text.get(..end).unwrap_or(text)),
        None => text.to_string(),
    }
}

struct AssetLoader<'a> {
    root: &'a Path,
    canonical_root: Option<PathBuf>,
    /// Canonical file → its asset, or why it cannot be one: each file is read at most once.
    by_file: BTreeMap<PathBuf, Result<usize, String>>,
    assets: Vec<Asset>,
}

impl AssetLoader<'_> {
    fn load(&mut self, relative: &str) -> Result<usize, String> {
        let full = self.root.join(relative);
        let shown = full.display();
        let canonical = match full.canonicalize() {
            Ok(path) => path,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(format!("image not found: {shown}"));
            }
            Err(e) => return Err(format!("image {shown}: {e}")),
        };
        let Some(canonical_root) = &self.canonical_root else {
            return Err(format!("image {shown}: the corpus root cannot be resolved"));
        };
        // A symbolic link may point anywhere: only the resolved path counts.
        let Ok(inside) = canonical.strip_prefix(canonical_root) else {
            return Err(format!(
                "image {shown} resolves to {} outside the corpus root: not read",
                canonical.display()
            ));
        };
        let asset_path = inside
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if let Some(known) = self.by_file.get(&canonical) {
            return known.clone();
        }
        let result = read_asset(&canonical, asset_path).map(|asset| {
            self.assets.push(asset);
            self.assets.len() - 1
        });
        let result = result.map_err(|why| format!("image {shown}: {why}"));
        self.by_file.insert(canonical, result.clone());
        result
    }
}

fn read_asset(file: &Path, path: String) -> Result<Asset, String> {
    let metadata = std::fs::metadata(file).map_err(|e| e.to_string())?;
    // A FIFO or device would block or never end: only regular files are opened.
    if !metadata.is_file() {
        return Err("not a regular file".into());
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{} bytes: larger than the {MAX_FILE_BYTES} bytes accepted",
            metadata.len()
        ));
    }
    let bytes = std::fs::read(file).map_err(|e| e.to_string())?;
    let (format, width, height) = inspect_image(&bytes)?;
    let sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Asset {
        path,
        format,
        width,
        height,
        bytes: Arc::new(bytes),
        sha256,
    })
}

/// Format by content (the extension may lie), dimensions from the header, then a full decode.
fn inspect_image(bytes: &[u8]) -> Result<(ImageFormat, u32, u32), String> {
    let (format, decoder_format) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        (ImageFormat::Png, image::ImageFormat::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        (ImageFormat::Jpeg, image::ImageFormat::Jpeg)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        (ImageFormat::Gif, image::ImageFormat::Gif)
    } else if let Some(text) = svg_text(bytes) {
        let (width, height) = svg_dimensions(text);
        check_dimensions(width, height)?;
        return Ok((ImageFormat::Svg, width, height));
    } else {
        return Err("not a PNG, JPEG, GIF or SVG image".into());
    };
    let name = format.extension().to_ascii_uppercase();
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), decoder_format)
        .into_dimensions()
        .map_err(|e| format!("unreadable {name} header: {e}"))?;
    check_dimensions(width, height)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), decoder_format);
    reader.limits(limits);
    reader
        .decode()
        .map_err(|e| format!("corrupt or truncated {name} image: {e}"))?;
    Ok((format, width, height))
}

fn check_dimensions(width: u32, height: u32) -> Result<(), String> {
    if width == 0 || height == 0 {
        return Err(format!("empty image ({width}×{height})"));
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(format!(
            "{width}×{height} pixels: refused as a possible decompression bomb \
             (at most {MAX_SIDE} px a side and {MAX_PIXELS} pixels)"
        ));
    }
    Ok(())
}

/// The text of an SVG file: UTF-8 with an `<svg` element.
fn svg_text(bytes: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.trim_start_matches('\u{FEFF}').trim_start();
    (text.starts_with('<') && text.contains("<svg")).then_some(text)
}

/// From the root element's `width`/`height`, else its `viewBox`, else the CSS default 300×150.
fn svg_dimensions(text: &str) -> (u32, u32) {
    let tag = text
        .find("<svg")
        .and_then(|start| text.get(start..))
        .map(|rest| rest.split('>').next().unwrap_or(rest))
        .unwrap_or_default();
    let width = svg_attribute(tag, "width").and_then(|v| svg_length(&v));
    let height = svg_attribute(tag, "height").and_then(|v| svg_length(&v));
    let view_box = svg_attribute(tag, "viewBox").and_then(|v| {
        let numbers: Vec<f64> = v
            .split([' ', ',', '\t', '\n'])
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse().ok())
            .collect();
        match numbers.as_slice() {
            [_, _, w, h] if *w > 0.0 && *h > 0.0 => Some((*w, *h)),
            _ => None,
        }
    });
    let (w, h) = match (width, height, view_box) {
        (Some(w), Some(h), _) => (w, h),
        (Some(w), None, Some((vw, vh))) => (w, w * vh / vw),
        (None, Some(h), Some((vw, vh))) => (h * vw / vh, h),
        (None, None, Some(size)) => size,
        _ => (300.0, 150.0),
    };
    (to_pixels(w), to_pixels(h))
}

fn to_pixels(value: f64) -> u32 {
    // Saturating float → int cast; absurd sizes are refused by `check_dimensions`.
    value.round().max(0.0) as u32
}

/// Value of `name="…"` in a start tag; the name must start an attribute (not `stroke-width`).
fn svg_attribute(tag: &str, name: &str) -> Option<String> {
    let mut search = tag;
    while let Some(at) = search.find(name) {
        let before = search.get(..at)?.chars().next_back();
        let rest = search.get(at + name.len()..)?;
        search = rest;
        if !before.is_some_and(char::is_whitespace) {
            continue;
        }
        let Some(value) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let inner = value.get(1..)?;
        return inner.split(quote).next().map(str::to_string);
    }
    None
}

/// An SVG length in CSS pixels; `None` for percentages and what cannot be read.
fn svg_length(value: &str) -> Option<f64> {
    let value = value.trim();
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit.trim() {
        "" | "px" => 1.0,
        "pt" => 4.0 / 3.0,
        "pc" => 16.0,
        "in" => 96.0,
        "cm" => 96.0 / 2.54,
        "mm" => 96.0 / 25.4,
        "em" => 16.0,
        _ => return None,
    };
    Some(number * scale).filter(|v| v.is_finite() && *v > 0.0)
}
