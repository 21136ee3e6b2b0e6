//! Cutting a book down to some of its chapters (`--persona`, `--split`) after the passes ran:
//! links into chapters left out lose their link, images no chapter uses are dropped.

use crate::ir::{Chapter, Document, Inline, LinkTarget, rewrite_inlines};
use std::collections::BTreeMap;

/// A copy of `doc` with only the chapters `keep` accepts, still self-consistent.
pub fn select_chapters(doc: &Document, keep: &dyn Fn(&Chapter) -> bool) -> Document {
    let mut chapters: Vec<Chapter> = doc.chapters.iter().filter(|c| keep(c)).cloned().collect();
    let kept: Vec<String> = chapters.iter().map(|c| c.id.clone()).collect();
    let mut asset_map: BTreeMap<usize, usize> = BTreeMap::new();
    let mut assets = Vec::new();
    for chapter in &mut chapters {
        rewrite_inlines(&mut chapter.blocks, &mut |inline| match inline {
            // The link goes; its text stays where it was.
            Inline::Link {
                target: LinkTarget::Internal { chapter, .. },
                content,
                ..
            } if !kept.contains(chapter) => Some(std::mem::take(content)),
            Inline::Image { asset, .. } => {
                *asset = asset.and_then(|old| {
                    let asset = doc.assets.get(old)?;
                    Some(*asset_map.entry(old).or_insert_with(|| {
                        assets.push(asset.clone());
                        assets.len() - 1
                    }))
                });
                None
            }
            _ => None,
        });
    }
    Document {
        meta: doc.meta.clone(),
        chapters,
        assets,
    }
}
