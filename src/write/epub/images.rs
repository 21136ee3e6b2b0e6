//! The images the book shows: each asset embedded once, in a format EPUB readers must support.

use crate::diag::Diagnostics;
use crate::ir::{Asset, Document, ImageFormat, Inline};
use std::collections::BTreeMap;

pub(super) struct EmbeddedImage {
    /// Path inside the package directory, e.g. `images/001-logo.png`.
    pub file: String,
    pub media_type: &'static str,
    pub bytes: Vec<u8>,
}

#[derive(Default)]
pub(super) struct Images {
    /// Asset index → position in `embedded`.
    by_asset: BTreeMap<usize, usize>,
    embedded: Vec<EmbeddedImage>,
    uses: usize,
    uses_without_alt: usize,
}

impl Images {
    /// The images used by the chapters, in order of first use.
    pub fn collect(doc: &Document, diags: &mut Diagnostics) -> Images {
        let mut images = Images::default();
        let mut used = Vec::new();
        for chapter in &doc.chapters {
            crate::ir::visit_inlines(&chapter.blocks, &mut |inline| {
                if let Inline::Image { alt, asset, .. } = inline {
                    images.uses += 1;
                    if alt.trim().is_empty() {
                        images.uses_without_alt += 1;
                    }
                    if let Some(index) = asset {
                        used.push(*index);
                    }
                }
            });
        }
        for index in used {
            if images.by_asset.contains_key(&index) {
                continue;
            }
            let Some(asset) = doc.assets.get(index) else {
                continue;
            };
            let Some((bytes, format)) = embeddable(asset, diags) else {
                continue;
            };
            let file = format!(
                "images/{:03}-{}.{}",
                images.embedded.len() + 1,
                file_stem(&asset.path),
                format.extension()
            );
            images.by_asset.insert(index, images.embedded.len());
            images.embedded.push(EmbeddedImage {
                file,
                media_type: format.media_type(),
                bytes,
            });
        }
        images
    }

    pub fn src(&self, asset: usize) -> String {
        self.by_asset
            .get(&asset)
            .and_then(|&i| self.embedded.get(i))
            .map(|image| image.file.clone())
            .unwrap_or_default()
    }

    pub fn into_embedded(self) -> Vec<EmbeddedImage> {
        self.embedded
    }

    pub fn is_empty(&self) -> bool {
        self.uses == 0
    }

    pub fn all_have_alt(&self) -> bool {
        self.uses_without_alt == 0
    }
}

/// The asset's bytes when they are what its format says, else converted to PNG; `None` (and
/// an error) when they cannot be decoded at all.
fn embeddable(asset: &Asset, diags: &mut Diagnostics) -> Option<(Vec<u8>, ImageFormat)> {
    let bytes = asset.bytes.as_slice();
    let matches = match asset.format {
        ImageFormat::Png => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        ImageFormat::Jpeg => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        ImageFormat::Gif => bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a"),
        ImageFormat::Svg => std::str::from_utf8(bytes).is_ok_and(|text| text.contains("<svg")),
    };
    if matches {
        return Some((bytes.to_vec(), asset.format));
    }
    let converted = image::load_from_memory(bytes).and_then(|decoded| {
        let mut png = std::io::Cursor::new(Vec::new());
        decoded.write_to(&mut png, image::ImageFormat::Png)?;
        Ok(png.into_inner())
    });
    match converted {
        Ok(png) => Some((png, ImageFormat::Png)),
        Err(e) => {
            diags
                .error(
                    &asset.path,
                    0,
                    0,
                    format!("image cannot go into the EPUB: {e}"),
                )
                .with_hint("use a PNG, JPEG, GIF or SVG file");
            None
        }
    }
}

/// ASCII stem of the asset's file name, for a readable and safe zip path.
fn file_stem(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let stem: String = deunicode::deunicode(stem)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    if stem.is_empty() {
        "image".into()
    } else {
        stem
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn asset(format: ImageFormat, bytes: Vec<u8>) -> Asset {
        Asset {
            path: "img/Été logo.webp".into(),
            format,
            width: 1,
            height: 1,
            bytes: Arc::new(bytes),
            sha256: String::new(),
        }
    }

    fn png_bytes() -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        image::RgbImage::from_pixel(2, 2, image::Rgb([200, 10, 10]))
            .write_to(&mut out, image::ImageFormat::Png)
            .expect("PNG encodes");
        out.into_inner()
    }

    #[test]
    fn declared_format_kept_when_bytes_match() {
        let mut diags = Diagnostics::new();
        let png = png_bytes();
        let (bytes, format) =
            embeddable(&asset(ImageFormat::Png, png.clone()), &mut diags).expect("embeddable");
        assert_eq!(format, ImageFormat::Png);
        assert_eq!(bytes, png);
    }

    #[test]
    fn mislabelled_image_is_converted_to_png_and_garbage_reported() {
        let mut diags = Diagnostics::new();
        // PNG bytes labelled JPEG: decoded and written back as PNG.
        let (bytes, format) =
            embeddable(&asset(ImageFormat::Jpeg, png_bytes()), &mut diags).expect("embeddable");
        assert_eq!(format, ImageFormat::Png);
        assert!(bytes.starts_with(b"\x89PNG"));
        assert!(!diags.has_errors());
        assert!(
            embeddable(
                &asset(ImageFormat::Gif, b"not an image".to_vec()),
                &mut diags
            )
            .is_none()
        );
        assert_eq!(diags.error_count(), 1);
    }

    #[test]
    fn file_stems_are_ascii() {
        assert_eq!(file_stem("img/Été logo.webp"), "ete-logo");
        assert_eq!(file_stem("x/.png"), "image");
    }
}
