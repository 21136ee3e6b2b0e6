//! Links pass: every `Source`/`Page` target becomes `Internal` (a chapter, an element id) or
//! `External` (an absolute URL), or the link is removed and its content kept.

use super::ids::ChapterAnchors;
use super::{join_within_root, page_dir};
use crate::url::percent_decoded;

use crate::corpus::Routes;
use crate::diag::Diagnostics;
use crate::ir::rewrite_inlines;
use crate::ir::{Block, Document, Inline, LinkTarget, Pos};
use crate::url::url_scheme;
use std::collections::BTreeMap;
use std::path::Path;

/// Where pages are published: the links pass asks this, tests give a fake.
pub trait PageRouter {
    /// The page (path relative to the root) published at a site path (`/faq/x.html`, `/faq/x/`).
    fn page_at(&self, site_path: &str) -> Option<String>;
    /// The page named by its file path from the site root, as `{% link %}` names it (`_faq/x.md`).
    fn page_file(&self, file_path: &str) -> Option<String>;
    /// The page a relative link (`producteur.md`, `../faq/x.html`) of page `from_page` names.
    fn page_relative(&self, from_page: &str, href: &str) -> Option<String> {
        let joined = join_within_root(page_dir(from_page), href)?;
        self.page_at(&format!("/{joined}"))
            .or_else(|| self.page_file(&joined))
    }
}

pub struct CorpusRouter<'a> {
    routes: &'a Routes,
}

impl<'a> CorpusRouter<'a> {
    pub fn new(routes: &'a Routes) -> Self {
        Self { routes }
    }
}

impl PageRouter for CorpusRouter<'_> {
    fn page_at(&self, site_path: &str) -> Option<String> {
        self.routes.resolve(site_path).map(str::to_string)
    }

    fn page_file(&self, file_path: &str) -> Option<String> {
        self.routes.resolve_file(file_path).map(str::to_string)
    }

    fn page_relative(&self, from_page: &str, href: &str) -> Option<String> {
        self.routes
            .resolve_relative(from_page, href)
            .map(str::to_string)
    }
}

/// Resolve every link of the book. `anchors` comes from the ids pass.
pub fn resolve_links(
    doc: &mut Document,
    anchors: &ChapterAnchors,
    router: &dyn PageRouter,
    root: &Path,
    jobs: usize,
    diags: &mut Diagnostics,
) {
    let chapter_of_page: BTreeMap<String, String> = doc
        .chapters
        .iter()
        .map(|c| (c.source.clone(), c.id.clone()))
        .collect();
    // Each chapter's own: found on `jobs` threads.
    let kramdown_ids: BTreeMap<String, BTreeMap<String, String>> = crate::jobs::map_ordered(
        &doc.chapters,
        jobs,
        |c| c.weight() as u64,
        |c| (c.id.clone(), kramdown_heading_ids(&c.title, &c.blocks)),
    )
    .into_iter()
    .collect();
    for chapter in &mut doc.chapters {
        let mut context = LinkContext {
            chapter: &chapter.id,
            source: &chapter.source,
            display: crate::corpus::display_path(root, &chapter.source),
            chapter_of_page: &chapter_of_page,
            anchors,
            kramdown_ids: &kramdown_ids,
            router,
            diags: &mut *diags,
        };
        rewrite_inlines(&mut chapter.blocks, &mut |inline| {
            let Inline::Link {
                target,
                content,
                pos,
                ..
            } = inline
            else {
                return None;
            };
            let resolved = match target {
                LinkTarget::Source(url) => context.resolve_source(url, *pos),
                LinkTarget::Page(path) => context.resolve_page(path, *pos),
                LinkTarget::External(_) | LinkTarget::Internal { .. } => return None,
            };
            match resolved {
                Some(new_target) => {
                    *target = new_target;
                    None
                }
                None => Some(std::mem::take(content)),
            }
        });
    }
}

struct LinkContext<'a> {
    chapter: &'a str,
    source: &'a str,
    display: String,
    chapter_of_page: &'a BTreeMap<String, String>,
    anchors: &'a ChapterAnchors,
    /// Per chapter, the ids kramdown gives headings on the site → livret's ids.
    kramdown_ids: &'a BTreeMap<String, BTreeMap<String, String>>,
    router: &'a dyn PageRouter,
    diags: &'a mut Diagnostics,
}

impl LinkContext<'_> {
    /// `None`: the link is removed (its content stays).
    fn resolve_source(&mut self, url: &str, pos: Pos) -> Option<LinkTarget> {
        let url = url.trim();
        if url.is_empty() {
            return Some(self.internal(self.chapter, None));
        }
        if let Some(fragment) = url.strip_prefix('#') {
            if fragment.is_empty() {
                return Some(self.internal(self.chapter, None));
            }
            return match self.anchor(self.chapter, fragment) {
                Some(anchor) => Some(self.internal(self.chapter, Some(anchor))),
                None => {
                    self.diags
                        .warning(
                            self.display.clone(),
                            pos.line,
                            pos.col,
                            format!("link to `#{fragment}`: no element has this id in the page"),
                        )
                        .with_hint("the link is removed; add `<span id=\"…\"></span>` or `{: #…}` where it should go");
                    None
                }
            };
        }
        if let Some(scheme) = url_scheme(url) {
            return match scheme.as_str() {
                "http" | "https" | "mailto" | "tel" | "ftp" => {
                    Some(LinkTarget::External(url.to_string()))
                }
                "javascript" | "vbscript" | "data" | "file" => {
                    self.diags
                        .warning(
                            self.display.clone(),
                            pos.line,
                            pos.col,
                            format!("link with a `{scheme}:` URL removed"),
                        )
                        .with_hint("such links are unsafe or cannot work in a book");
                    None
                }
                _ => {
                    self.diags
                        .warning(
                            self.display.clone(),
                            pos.line,
                            pos.col,
                            format!("link with an unsupported `{scheme}:` URL removed"),
                        )
                        .with_hint("use http, https, mailto, tel or ftp");
                    None
                }
            };
        }
        if url.starts_with("//") {
            return Some(LinkTarget::External(format!("https:{url}")));
        }

        let (path, fragment) = match url.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (url, None),
        };
        let path = percent_decoded(path.split_once('?').map_or(path, |(p, _)| p));
        let page = if path.starts_with('/') {
            self.router.page_at(&path)
        } else if path.is_empty() {
            Some(self.source.to_string())
        } else {
            self.router.page_relative(self.source, &path)
        };
        let Some(page) = page else {
            self.diags
                .warning(
                    self.display.clone(),
                    pos.line,
                    pos.col,
                    format!("link to `{url}`: no page of the corpus is published there"),
                )
                .with_hint(
                    "the link is removed; write a full https:// URL for a page outside the corpus",
                );
            return None;
        };
        self.link_to_page(&page, fragment, pos)
    }

    /// `{% link path %}`: Jekyll fails the build when the page does not exist.
    fn resolve_page(&mut self, path: &str, pos: Pos) -> Option<LinkTarget> {
        let (path, fragment) = match path.split_once('#') {
            Some((path, fragment)) => (path.trim(), Some(fragment)),
            None => (path.trim(), None),
        };
        let Some(page) = self.router.page_file(path) else {
            self.diags
                .error(
                    self.display.clone(),
                    pos.line,
                    pos.col,
                    format!("`{{% link {path} %}}`: no such page in the corpus"),
                )
                .with_hint("the path is the file's, from the site root, e.g. `_faq/citoyen.md`");
            return None;
        };
        self.link_to_page(&page, fragment, pos)
    }

    fn link_to_page(&mut self, page: &str, fragment: Option<&str>, pos: Pos) -> Option<LinkTarget> {
        // A page of the site that is not in this book: nothing to link to, and not a mistake.
        let chapter = self.chapter_of_page.get(page)?.clone();
        let fragment = fragment.filter(|f| !f.is_empty());
        let Some(fragment) = fragment else {
            return Some(self.internal(&chapter, None));
        };
        match self.anchor(&chapter, fragment) {
            Some(anchor) => Some(self.internal(&chapter, Some(anchor))),
            None => {
                self.diags
                    .warning(
                        self.display.clone(),
                        pos.line,
                        pos.col,
                        format!("link to `{page}#{fragment}`: no element has this id in that page"),
                    )
                    .with_hint("the link goes to the start of the chapter");
                Some(self.internal(&chapter, None))
            }
        }
    }

    /// livret's own and explicit ids first, then the ids kramdown generated on the site (the
    /// page's title heading is the chapter's start).
    fn anchor(&self, chapter: &str, fragment: &str) -> Option<String> {
        let decoded = percent_decoded(fragment);
        let kramdown = self.kramdown_ids.get(chapter);
        self.anchors
            .global(chapter, fragment)
            .or_else(|| self.anchors.global(chapter, &decoded))
            .or_else(|| {
                kramdown
                    .and_then(|ids| ids.get(fragment))
                    .map(String::as_str)
            })
            .or_else(|| {
                kramdown
                    .and_then(|ids| ids.get(&decoded))
                    .map(String::as_str)
            })
            .map(str::to_string)
    }

    /// An empty anchor is the chapter's start (the page's title heading).
    fn internal(&self, chapter: &str, anchor: Option<String>) -> LinkTarget {
        LinkTarget::Internal {
            chapter: chapter.to_string(),
            anchor: anchor.filter(|a| !a.is_empty()),
        }
    }
}

/// The id kramdown's GFM parser gives each heading (with `auto_ids`, Jekyll's default), in
/// page order → the id the heading has in the book. See docs/dialect.md, "Heading ids".
fn kramdown_heading_ids(title: &str, blocks: &[Block]) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    // The page's `# title` heading, taken out by the reader, had the first id.
    let title_id = gfm_heading_id(&heading_raw_text(&[Inline::Text(title.to_string())]));
    seen.insert(title_id.clone(), 1);
    ids.insert(title_id, String::new());
    let mut visit = |content: &[Inline], global: &str| {
        let base = gfm_heading_id(&heading_raw_text(content));
        let count = seen.entry(base.clone()).or_default();
        let id = if *count == 0 {
            base
        } else {
            format!("{base}-{count}")
        };
        *count += 1;
        ids.entry(id).or_insert_with(|| global.to_string());
    };
    visit_headings(blocks, &mut visit);
    ids
}

fn visit_headings(blocks: &[Block], visit: &mut dyn FnMut(&[Inline], &str)) {
    for block in blocks {
        match block {
            Block::Heading { attr, content, .. } => {
                if let Some(global) = &attr.id {
                    visit(content, global);
                }
            }
            Block::BulletList(items) | Block::OrderedList { items, .. } => {
                items.iter().for_each(|item| visit_headings(item, visit));
            }
            Block::BlockQuote(inner) | Block::Div { blocks: inner, .. } => {
                visit_headings(inner, visit);
            }
            _ => {}
        }
    }
}

/// The heading's text as kramdown sees it: text and code, no image, no footnote; `--`/`---`
/// are dashes to kramdown (removed from the id below, like every symbol).
fn heading_raw_text(content: &[Inline]) -> String {
    crate::ir::plain_text_without_images(content)
        .replace("---", "\u{2014}")
        .replace("--", "\u{2013}")
}

/// kramdown-parser-gfm's rule: lowercase; drop every character that is not a letter, a mark,
/// a digit, `_`, `-`, a space or a tab; each space or tab becomes `-`. Accents are kept.
fn gfm_heading_id(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .filter(|&c| {
            c.is_alphanumeric()
                || matches!(c, '_' | '-' | ' ' | '\t')
                || ('\u{300}'..='\u{36f}').contains(&c)
        })
        .map(|c| if c == ' ' || c == '\t' { '-' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Severity;
    use crate::ir::{Attr, Block};
    use crate::passes::ids::assign_ids;
    use crate::passes::tests::{chapter, document, text};

    /// Pages: `_faq/citoyen.md` at `/faq/citoyen(.html|/)`, `_faq/dev.md` at `/faq/dev.html`,
    /// `about.md` (not in the book) at `/about/`.
    struct FakeRouter;

    impl PageRouter for FakeRouter {
        fn page_at(&self, site_path: &str) -> Option<String> {
            let page = match site_path {
                "/faq/citoyen.html" | "/faq/citoyen/" | "/faq/citoyen" => "_faq/citoyen.md",
                "/faq/dev.html" | "/faq/dev" => "_faq/dev.md",
                "/about/" | "/about.html" => "about.md",
                _ => return None,
            };
            Some(page.to_string())
        }
        fn page_file(&self, file_path: &str) -> Option<String> {
            matches!(file_path, "_faq/citoyen.md" | "_faq/dev.md" | "about.md")
                .then(|| file_path.to_string())
        }
    }

    /// The ids pass, then this pass on two threads, from the corpus root `.`.
    fn ids_then_links(doc: &mut Document) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let anchors = assign_ids(doc, 1);
        resolve_links(doc, &anchors, &FakeRouter, Path::new("."), 2, &mut diags);
        diags
    }

    fn link(target: LinkTarget) -> Inline {
        Inline::Link {
            target,
            title: None,
            content: vec![text("lien")],
            pos: Pos { line: 7, col: 3 },
        }
    }

    fn heading(id: &str) -> Block {
        Block::Heading {
            level: 2,
            attr: Attr {
                id: Some(id.into()),
                ..Attr::default()
            },
            content: vec![text(id)],
        }
    }

    /// Resolve one link written in `_faq/citoyen.md`; the resulting inline and diagnostics.
    fn resolve_one(target: LinkTarget) -> (Inline, Vec<(Severity, String)>) {
        let mut doc = document(vec![
            chapter(
                "citoyen",
                "_faq/citoyen.md",
                vec![heading("ici"), Block::Para(vec![link(target)])],
            ),
            chapter("dev", "_faq/dev.md", vec![heading("api")]),
        ]);
        let mut diags = Diagnostics::new();
        let root = Path::new("corpus");
        let anchors = assign_ids(&mut doc, 1);
        resolve_links(&mut doc, &anchors, &FakeRouter, root, 1, &mut diags);
        let Some(Block::Para(inlines)) = doc.chapters[0].blocks.get(1) else {
            panic!("para expected")
        };
        assert_eq!(inlines.len(), 1);
        for d in diags.items() {
            assert_eq!(d.path, root.join("_faq/citoyen.md").display().to_string());
            assert_eq!((d.line, d.col), (7, 3));
        }
        let diags = diags
            .items()
            .iter()
            .map(|d| (d.severity, d.message.clone()))
            .collect();
        (inlines[0].clone(), diags)
    }

    fn internal(chapter: &str, anchor: Option<&str>) -> Option<LinkTarget> {
        Some(LinkTarget::Internal {
            chapter: chapter.into(),
            anchor: anchor.map(str::to_string),
        })
    }

    fn external(url: &str) -> Option<LinkTarget> {
        Some(LinkTarget::External(url.into()))
    }

    #[test]
    fn every_link_form() {
        use Severity::{Error, Warning};
        let source = |s: &str| LinkTarget::Source(s.into());
        let page = |s: &str| LinkTarget::Page(s.into());
        // (target, expected target or None for "removed", expected diagnostic)
        type Case = (
            LinkTarget,
            Option<LinkTarget>,
            Option<(Severity, &'static str)>,
        );
        let table: Vec<Case> = vec![
            (
                source("#ici"),
                internal("citoyen", Some("citoyen-ici")),
                None,
            ),
            (source("#"), internal("citoyen", None), None),
            (
                source("#nulle-part"),
                None,
                Some((Warning, "`#nulle-part`")),
            ),
            (
                source("https://data.gouv.fr/"),
                external("https://data.gouv.fr/"),
                None,
            ),
            (source("HTTP://x.fr"), external("HTTP://x.fr"), None),
            (source("mailto:a@b.fr"), external("mailto:a@b.fr"), None),
            (
                source("tel:+33100000000"),
                external("tel:+33100000000"),
                None,
            ),
            (source("ftp://x.fr/f"), external("ftp://x.fr/f"), None),
            (source("//cdn.fr/x"), external("https://cdn.fr/x"), None),
            (
                source("javascript:alert(1)"),
                None,
                Some((Warning, "`javascript:`")),
            ),
            (
                source(" JaVa\tScript:alert(1)"),
                None,
                Some((Warning, "`javascript:`")),
            ),
            (source("vbscript:x"), None, Some((Warning, "`vbscript:`"))),
            (source("data:text/html,x"), None, Some((Warning, "`data:`"))),
            (
                source("file:///etc/passwd"),
                None,
                Some((Warning, "`file:`")),
            ),
            (
                source("gopher://x"),
                None,
                Some((Warning, "unsupported `gopher:`")),
            ),
            (source("/faq/dev.html"), internal("dev", None), None),
            (
                source("/faq/dev.html#api"),
                internal("dev", Some("dev-api")),
                None,
            ),
            (
                source("/faq/dev.html?x=1#api"),
                internal("dev", Some("dev-api")),
                None,
            ),
            (source("/faq/citoyen/"), internal("citoyen", None), None),
            (
                source("/faq/citoyen/#ici"),
                internal("citoyen", Some("citoyen-ici")),
                None,
            ),
            (
                source("/faq/dev.html#ici"),
                internal("dev", None),
                Some((Warning, "_faq/dev.md#ici")),
            ),
            (source("/about/"), None, None),
            (
                source("/nulle/part.html"),
                None,
                Some((Warning, "`/nulle/part.html`")),
            ),
            (source("dev.md"), internal("dev", None), None),
            (source("dev.md#api"), internal("dev", Some("dev-api")), None),
            (
                source("./citoyen.md#ici"),
                internal("citoyen", Some("citoyen-ici")),
                None,
            ),
            (
                source("../faq/dev.html#api"),
                internal("dev", Some("dev-api")),
                None,
            ),
            (source("../about.md"), None, None),
            (source("autre.md"), None, Some((Warning, "`autre.md`"))),
            (
                source("../../hors.md"),
                None,
                Some((Warning, "`../../hors.md`")),
            ),
            (source("?q=1"), internal("citoyen", None), None),
            (page("_faq/dev.md"), internal("dev", None), None),
            (
                page("_faq/dev.md#api"),
                internal("dev", Some("dev-api")),
                None,
            ),
            (page("about.md"), None, None),
            (
                page("_faq/absent.md"),
                None,
                Some((Error, "_faq/absent.md")),
            ),
            (
                LinkTarget::External("https://x.fr".into()),
                external("https://x.fr"),
                None,
            ),
        ];
        for (target, expected, expected_diag) in table {
            let label = format!("{target:?}");
            let (inline, diags) = resolve_one(target);
            match expected {
                Some(expected_target) => {
                    let Inline::Link { target, .. } = &inline else {
                        panic!("{label}: link expected, got {inline:?}")
                    };
                    assert_eq!(target, &expected_target, "{label}");
                }
                None => assert_eq!(inline, text("lien"), "{label}: link removed, content kept"),
            }
            match expected_diag {
                None => assert!(diags.is_empty(), "{label}: {diags:?}"),
                Some((severity, fragment)) => {
                    assert_eq!(diags.len(), 1, "{label}: {diags:?}");
                    assert_eq!(diags[0].0, severity, "{label}");
                    assert!(diags[0].1.contains(fragment), "{label}: {}", diags[0].1);
                }
            }
        }
    }

    #[test]
    fn fragments_written_for_kramdown_ids_land_on_their_heading() {
        let titled = |level: u8, title: &str| Block::Heading {
            level,
            attr: Attr::default(),
            content: vec![text(title)],
        };
        let links = [
            "#via-un-syst%C3%A8me-de-fichier",
            "#via-un-système-de-fichier",
            "#via-lapi",
            "#via-lapi-1",
            "#étape--1--2",
            "/faq/dev.html#données-ouvertes",
            "#la-page-citoyen",
        ];
        let para = Block::Para(
            links
                .iter()
                .map(|url| link(LinkTarget::Source(url.to_string())))
                .collect(),
        );
        let mut doc = document(vec![
            chapter(
                "citoyen",
                "_faq/citoyen.md",
                vec![
                    para,
                    titled(3, "Via un système de fichier"),
                    titled(2, "Via l’API"),
                    titled(2, "Via l'API"),
                    titled(4, "Étape -- 1 -- 2"),
                ],
            ),
            chapter("dev", "_faq/dev.md", vec![titled(2, "Données ouvertes")]),
        ]);
        // The page's `# La page Citoyen` heading is the chapter title: its id is the start.
        doc.chapters[0].title = "La page Citoyen".into();
        let diags = ids_then_links(&mut doc);
        assert!(diags.items().is_empty(), "{:?}", diags.items());
        let Some(Block::Para(inlines)) = doc.chapters[0].blocks.first() else {
            panic!("para expected")
        };
        let targets: Vec<&LinkTarget> = inlines
            .iter()
            .map(|inline| match inline {
                Inline::Link { target, .. } => target,
                other => panic!("link expected, got {other:?}"),
            })
            .collect();
        let expected = [
            internal("citoyen", Some("citoyen-via-un-systeme-de-fichier")),
            internal("citoyen", Some("citoyen-via-un-systeme-de-fichier")),
            internal("citoyen", Some("citoyen-via-l-api")),
            internal("citoyen", Some("citoyen-via-l-api-1")),
            internal("citoyen", Some("citoyen-etape-1-2")),
            internal("dev", Some("dev-donnees-ouvertes")),
            internal("citoyen", None),
        ];
        for ((target, expected), url) in targets.iter().zip(&expected).zip(links) {
            assert_eq!(Some(*target), expected.as_ref(), "{url}");
        }
    }

    #[test]
    fn gfm_heading_ids_as_kramdown_writes_them() {
        for (heading, id) in [
            ("Via un système de fichier", "via-un-système-de-fichier"),
            ("Via l’API", "via-lapi"),
            ("💡 Astuce : la FAQ", "-astuce--la-faq"),
            ("snake_case et 2 chiffres", "snake_case-et-2-chiffres"),
            ("Données ouvertes ?", "données-ouvertes-"),
        ] {
            assert_eq!(gfm_heading_id(heading), id, "{heading}");
        }
    }

    #[test]
    fn no_source_or_page_target_remains_anywhere() {
        let nested = Block::BulletList(vec![vec![Block::Plain(vec![Inline::Strong(vec![
            link(LinkTarget::Source("#ici".into())),
            Inline::Note(vec![Block::Para(vec![link(LinkTarget::Page(
                "_faq/dev.md".into(),
            ))])]),
            // A link inside a removed link (raw HTML can do this) is resolved too.
            Inline::Link {
                target: LinkTarget::Source("javascript:x".into()),
                title: None,
                content: vec![link(LinkTarget::Source("dev.md".into()))],
                pos: Pos::default(),
            },
        ])])]]);
        let table = Block::Table {
            aligns: vec![],
            head: vec![vec![link(LinkTarget::Source("/faq/dev.html".into()))]],
            rows: vec![vec![vec![link(LinkTarget::Source("x.md".into()))]]],
        };
        let mut doc = document(vec![chapter(
            "citoyen",
            "_faq/citoyen.md",
            vec![
                heading("ici"),
                nested,
                Block::BlockQuote(vec![Block::Div {
                    attr: Attr::default(),
                    blocks: vec![table],
                }]),
            ],
        )]);
        let diags = ids_then_links(&mut doc);
        let dump = serde_json::to_string(&doc).unwrap_or_default();
        assert!(dump.contains("Internal"), "{dump}");
        assert!(
            !dump.contains("\"Source\"") && !dump.contains("\"Page\""),
            "{dump}"
        );
        // dev.md is not in this book: removed silently; x.md and javascript: warn.
        assert_eq!(diags.warning_count(), 2, "{:?}", diags.items());
        assert!(!diags.has_errors());
    }
}
