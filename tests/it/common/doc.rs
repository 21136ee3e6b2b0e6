//! Builders for hand-made documents, shared by the writer tests (`tests/it/epub.rs`, `tests/it/pdf.rs`).

use livret::ir::{Asset, Attr, Block, Chapter, ChapterKind, ImageFormat, Inline, LinkTarget, Pos};
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub fn text(s: &str) -> Inline {
    Inline::Text(s.into())
}

pub fn para(inlines: Vec<Inline>) -> Block {
    Block::Para(inlines)
}

pub fn heading(level: u8, id: &str, title: &str) -> Block {
    Block::Heading {
        level,
        attr: Attr {
            id: Some(id.into()),
            ..Attr::default()
        },
        content: vec![text(title)],
    }
}

pub fn link(target: LinkTarget, label: &str) -> Inline {
    Inline::Link {
        target,
        title: None,
        content: vec![text(label)],
        pos: Pos { line: 1, col: 1 },
    }
}

/// A link target in the book: a chapter, or an element of it.
pub fn to_chapter(chapter: &str, anchor: Option<&str>) -> LinkTarget {
    LinkTarget::Internal {
        chapter: chapter.into(),
        anchor: anchor.map(String::from),
    }
}

/// An image already located by the assets pass (`asset` indexes `Document::assets`).
pub fn image(asset: usize, alt: &str) -> Inline {
    Inline::Image {
        src: format!("img/{asset}"),
        alt: alt.into(),
        title: None,
        asset: Some(asset),
        pos: Pos { line: 1, col: 1 },
    }
}

/// An asset as the assets pass makes it: size from the image (100 × 100 for SVG), digest.
pub fn asset(path: &str, format: ImageFormat, bytes: Vec<u8>) -> Asset {
    let (width, height) = match format {
        ImageFormat::Svg => (100, 100),
        _ => image::load_from_memory(&bytes)
            .map(|i| (i.width(), i.height()))
            .expect("a decodable test image"),
    };
    Asset {
        path: path.into(),
        format,
        width,
        height,
        sha256: Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        bytes: Arc::new(bytes),
    }
}

pub fn chapter(id: &str, kind: ChapterKind, title: &str, blocks: Vec<Block>) -> Chapter {
    Chapter {
        id: id.into(),
        kind,
        title: title.into(),
        subtitle: None,
        summary: None,
        label: None,
        source: format!("{id}.md"),
        lang: None,
        blocks,
        source_bytes: 0,
    }
}
