//! IR → IR passes, run once for all writers, in this fixed order:
//! ids → links → typography → assets.

mod assets;
mod ids;
mod links;
pub mod svg;
mod typography;

pub use ids::slug;

use crate::corpus::{Corpus, Routes};
use crate::diag::Diagnostics;
use crate::ir::Document;
use std::path::Path;

/// What the passes read of the corpus, and nothing more: where its files are (images), its
/// routes (links) and whether typography is on; and on how many threads chapters and images
/// may be worked at once.
pub struct PassInputs<'a> {
    pub root: &'a Path,
    pub routes: &'a Routes,
    pub typography: bool,
    pub jobs: usize,
}

impl<'a> PassInputs<'a> {
    pub fn of(corpus: &'a Corpus, jobs: usize) -> Self {
        Self {
            root: &corpus.root,
            routes: &corpus.routes,
            typography: corpus.config.typography != Some(false),
            jobs,
        }
    }
}

pub fn run_passes(doc: &mut Document, inputs: &PassInputs, diags: &mut Diagnostics) {
    use crate::stage_time;
    use std::time::Instant;
    let clock = Instant::now();
    let anchors = ids::assign_ids(doc, inputs.jobs);
    stage_time("passes: ids", clock);
    let clock = Instant::now();
    let router = links::CorpusRouter::new(inputs.routes);
    links::resolve_links(doc, &anchors, &router, inputs.root, inputs.jobs, diags);
    stage_time("passes: links", clock);
    let clock = Instant::now();
    if inputs.typography {
        typography::apply_typography(doc, inputs.jobs);
    }
    stage_time("passes: typography", clock);
    let clock = Instant::now();
    assets::load_assets(doc, inputs.root, diags);
    stage_time("passes: assets", clock);
}

/// Join `relative` to `dir` (both `/`-separated, relative to the corpus root) and fold `.`/`..`.
/// `None` when the result would leave the root.
fn join_within_root(dir: &str, relative: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for segment in dir.split('/').chain(relative.split('/')) {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Directory of a page path relative to the root (`_faq/x.md` → `_faq`, `index.md` → ``).
fn page_dir(source: &str) -> &str {
    source.rsplit_once('/').map_or("", |(dir, _)| dir)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ir::{Block, Chapter, ChapterKind, Inline, Meta};

    pub(crate) fn chapter(id: &str, source: &str, blocks: Vec<Block>) -> Chapter {
        Chapter {
            id: id.to_string(),
            kind: ChapterKind::Persona,
            title: id.to_string(),
            subtitle: None,
            summary: None,
            label: None,
            source: source.to_string(),
            lang: None,
            blocks,
            source_bytes: 0,
        }
    }

    pub(crate) fn document(chapters: Vec<Chapter>) -> Document {
        Document {
            meta: Meta {
                name: "livret".into(),
                title: "Livret".into(),
                ..Default::default()
            },
            chapters,
            assets: Vec::new(),
        }
    }

    pub(crate) fn text(s: &str) -> Inline {
        Inline::Text(s.to_string())
    }

    fn corpus(root: &std::path::Path) -> Corpus {
        use crate::corpus::{Config, FrontMatter, Page, Routes, SiteConfig};
        Corpus {
            root: root.to_path_buf(),
            config: Config::default(),
            site: SiteConfig::default(),
            index: Page {
                path: "index.md".into(),
                front: FrontMatter::default(),
                body: String::new(),
                body_line: 1,
            },
            personas: Vec::new(),
            appendices: Vec::new(),
            routes: Routes::default(),
        }
    }

    /// All four passes, in order, on one page: ids before links, typography by language.
    fn run_all(language: &str) -> (Document, Diagnostics) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let image_bytes = {
            let mut out = std::io::Cursor::new(Vec::new());
            let pixels = image::RgbImage::new(3, 3);
            assert!(
                image::DynamicImage::ImageRgb8(pixels)
                    .write_to(&mut out, image::ImageFormat::Png)
                    .is_ok()
            );
            out.into_inner()
        };
        assert!(std::fs::write(dir.path().join("a.png"), image_bytes).is_ok());
        let mut doc = document(vec![chapter(
            "citoyen",
            "_faq/citoyen.md",
            vec![
                Block::Heading {
                    level: 2,
                    attr: Default::default(),
                    content: vec![text("Pourquoi ?")],
                },
                Block::Para(vec![
                    Inline::Link {
                        target: crate::ir::LinkTarget::Source("#pourquoi".into()),
                        title: None,
                        content: vec![text("voir")],
                        pos: Default::default(),
                    },
                    Inline::Image {
                        src: "/a.png".into(),
                        alt: String::new(),
                        title: None,
                        asset: None,
                        pos: Default::default(),
                    },
                ]),
            ],
        )]);
        doc.meta.language = language.into();
        let mut diags = Diagnostics::new();
        run_passes(
            &mut doc,
            &PassInputs::of(&corpus(dir.path()), 2),
            &mut diags,
        );
        (doc, diags)
    }

    #[test]
    fn run_passes_wires_every_pass() {
        let (doc, diags) = run_all("fr-FR");
        assert!(diags.items().is_empty(), "{:?}", diags.items());
        let expected_heading = Block::Heading {
            level: 2,
            attr: crate::ir::Attr {
                id: Some("citoyen-pourquoi".into()),
                ..Default::default()
            },
            content: vec![text("Pourquoi\u{202F}?")],
        };
        assert_eq!(doc.chapters[0].blocks[0], expected_heading);
        let Block::Para(inlines) = &doc.chapters[0].blocks[1] else {
            panic!("para")
        };
        assert!(matches!(
            &inlines[0],
            Inline::Link { target: crate::ir::LinkTarget::Internal { anchor: Some(a), .. }, .. }
                if a == "citoyen-pourquoi"
        ));
        assert!(matches!(&inlines[1], Inline::Image { asset: Some(0), .. }));
        assert_eq!(doc.assets.len(), 1);

        let (doc, _) = run_all("en");
        let Block::Heading { content, .. } = &doc.chapters[0].blocks[0] else {
            panic!("heading")
        };
        assert_eq!(
            content,
            &vec![text("Pourquoi ?")],
            "no French spacing in English"
        );
    }

    #[test]
    fn joins() {
        assert_eq!(
            join_within_root("_faq", "x.md").as_deref(),
            Some("_faq/x.md")
        );
        assert_eq!(
            join_within_root("_faq", "../faq/x.html").as_deref(),
            Some("faq/x.html")
        );
        assert_eq!(join_within_root("_faq", "../../x"), None);
        assert_eq!(join_within_root("", "./a/./b/../c").as_deref(), Some("a/c"));
        assert_eq!(page_dir("_faq/x.md"), "_faq");
        assert_eq!(page_dir("index.md"), "");
    }

    #[test]
    fn french_tags() {}
}
