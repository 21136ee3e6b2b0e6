//! The HTML writer: one self-contained page (CSS inlined, images as `data:` URIs) laid out by
//! the minijinja templates of `themes/default/html/`. Its body writer also serves the EPUB
//! writer, in XHTML mode.

use crate::diag::{Diagnostics, Error, Result};
use crate::ir::{Asset, Chapter, ChapterKind, Document, LinkTarget};
use crate::theme::Theme;
use crate::write::WriteContext;
use crate::write::body::{
    self, BodyStyle, ChapterHeader, RenderedChapter, inline_text, level2_headings, render_chapter,
};
use base64::Engine as _;
use minijinja::value::Value;
use minijinja::{Environment, UndefinedBehavior, context};
use rustc_hash::FxHashSet;
use std::collections::BTreeMap;

const PAGE_TEMPLATE: &str = "html/page.html";
const STYLESHEET: &str = "html/style.css";

pub fn write_html(doc: &Document, ctx: &WriteContext, diags: &mut Diagnostics) -> Result<Vec<u8>> {
    // Content problems (unresolved links, missing images) are the passes' to report; here they
    // only degrade to plain text.
    let _ = diags;
    let page = ctx.theme.text(
        PAGE_TEMPLATE,
        include_str!("../../../themes/default/html/page.html"),
    )?;
    let css = ctx.theme.text(
        STYLESHEET,
        include_str!("../../../themes/default/html/style.css"),
    )?;

    let (known_ids, shared_images) = ids_and_shared_images(doc, ctx.jobs);
    let href = |target: &LinkTarget| book_href(doc, &known_ids, target);
    let data_uris: Vec<std::sync::OnceLock<String>> = doc
        .assets
        .iter()
        .map(|_| std::sync::OnceLock::new())
        .collect();
    // A data URI is media type and base64: nothing in it needs escaping.
    let image_src = |index: usize, asset: &Asset, out: &mut String| match data_uris.get(index) {
        Some(cell) => out.push_str(cell.get_or_init(|| data_uri(asset))),
        None => out.push_str(&data_uri(asset)),
    };
    let style = BodyStyle {
        xhtml: false,
        href: &href,
        image_src: &image_src,
        shared_images: &shared_images,
    };

    // Each chapter's template value made on its thread too: the body's copy into it is a
    // tenth of the writer's time.
    let chapters: Vec<Value> = crate::jobs::map_ordered(
        &doc.chapters,
        ctx.jobs,
        |chapter| chapter.weight() as u64,
        |chapter| chapter_value(doc, chapter, render_chapter(doc, chapter, &style)),
    );
    let meta = &doc.meta;
    let context = context! {
        meta => context! {
            title => &meta.title,
            subtitle => &meta.subtitle,
            summary => &meta.summary,
            author => &meta.author,
            publisher => &meta.publisher,
            language => &meta.language,
            date => &meta.date,
            persona => &meta.persona,
        },
        chapters => chapters,
        css => Value::from_safe_string(css.into_owned()),
        labels => Value::from_pairs(meta.labels.entries()),
        generator => format!("livret {}", ctx.version),
        translations => meta
            .translations
            .iter()
            .map(|t| context! {
                language => &t.language,
                name => &t.name,
                href => &t.href,
                current => t.current,
            })
            .collect::<Vec<_>>(),
        translations_label => crate::corpus::switcher_label(&meta.language),
    };
    render_page(&ctx.theme, &page, context, ctx.jobs)
}

/// The rendered page, refused past `limit` bytes (a template repeating the book without end).
struct BoundedPage {
    bytes: Vec<u8>,
    limit: usize,
}

impl std::io::Write for BoundedPage {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.limit {
            return Err(std::io::Error::other("output limit"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn render_page(theme: &Theme, page: &str, context: Value, jobs: usize) -> Result<Vec<u8>> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // A template is code from the theme: bounded in work and in output.
    env.set_fuel(Some(crate::theme::TEMPLATE_FUEL));
    let included: usize = ["css"]
        .iter()
        .filter_map(|key| context.get_attr(key).ok())
        .chain(
            context
                .get_attr("chapters")
                .ok()
                .and_then(|chapters| chapters.try_iter().ok())
                .into_iter()
                .flatten()
                .flat_map(|c| [c.get_attr("body").ok(), c.get_attr("notes").ok()])
                .flatten(),
        )
        .map(|value| value.as_str().map_or(0, str::len))
        .sum();
    let limit = crate::theme::MAX_TEMPLATE_OUTPUT_BYTES.saturating_add(included.saturating_mul(2));
    let theme_error = |err: minijinja::Error| {
        let rel = match err.name() {
            Some(name) if name != PAGE_TEMPLATE => format!("html/{name}"),
            _ => PAGE_TEMPLATE.to_string(),
        };
        let mut message = err.kind().to_string();
        if let Some(detail) = err.detail() {
            message = format!("{message}: {detail}");
        }
        if let Some(line) = err.line() {
            message = format!("line {line}: {message}");
        }
        Error::Theme {
            path: theme.display_path(&rel),
            message,
        }
    };
    // Named `page.html` so minijinja auto-escapes it as HTML.
    env.add_template("page.html", page).map_err(theme_error)?;
    let template = env.get_template("page.html").map_err(theme_error)?;
    // The page is its bodies and stylesheet plus the template's own text: reserved at once.
    let mut out = BoundedPage {
        bytes: Vec::with_capacity(included.saturating_add(page.len()).saturating_add(64 << 10)),
        limit,
    };
    // The page's fresh memory is faulted in on the pool's thread while this one writes into it
    // (a tenth of a scale-10 build's page faults); with one job no core is idle to do it.
    let rendered = if jobs > 1 {
        let region = crate::huge_pages::Region::of_capacity(&out.bytes);
        crate::jobs::beside(
            jobs,
            || region.populate(),
            || template.render_captured_to(context, &mut out),
        )
        .1
    } else {
        template.render_captured_to(context, &mut out)
    };
    match rendered {
        Ok(_) => Ok(out.bytes),
        Err(err) if err.kind() == minijinja::ErrorKind::WriteFailure => Err(Error::Theme {
            path: theme.display_path(PAGE_TEMPLATE),
            message: format!(
                "the page grew past {limit} bytes (the book's text twice plus {} MiB): \
                 a loop repeating it?",
                crate::theme::MAX_TEMPLATE_OUTPUT_BYTES >> 20
            ),
        }),
        Err(err) if err.kind() == minijinja::ErrorKind::OutOfFuel => Err(Error::Theme {
            path: theme.display_path(PAGE_TEMPLATE),
            message: format!(
                "stopped after {} steps: a loop without end?",
                crate::theme::TEMPLATE_FUEL
            ),
        }),
        Err(err) => Err(theme_error(err)),
    }
}

fn chapter_value(doc: &Document, chapter: &Chapter, rendered: RenderedChapter) -> Value {
    let sections: Vec<Value> = level2_headings(&chapter.blocks)
        .into_iter()
        .map(|(id, content)| {
            context! {
                id => id,
                title => inline_text(content),
            }
        })
        .collect();
    let kind = match chapter.kind {
        ChapterKind::Introduction => "introduction",
        ChapterKind::Persona => "persona",
        ChapterKind::Appendix => "appendix",
    };
    let header = ChapterHeader::of(doc, chapter);
    let mut value: BTreeMap<&str, Value> = BTreeMap::new();
    value.insert("id", Value::from(&chapter.id));
    value.insert("kind", Value::from(kind));
    value.insert("lang", Value::from(&chapter.lang));
    value.insert("title", Value::from(&chapter.title));
    value.insert("show_title", Value::from(header.show_title));
    value.insert("subtitle", Value::from(header.subtitle));
    value.insert("summary", Value::from(header.summary));
    value.insert("label", Value::from(&chapter.label));
    value.insert("sections", Value::from(sections));
    value.insert("body", Value::from_safe_string(rendered.body));
    value.insert("notes", Value::from_safe_string(rendered.notes));
    Value::from(value)
}

/// Every id the page will hold (chapter ids and element ids of the content), and per asset
/// whether it is shared: shown more than once and of a known size, it is embedded once
/// (`body::SharedImage`) rather than at each showing. Each chapter is walked once, on up to
/// `jobs` threads.
fn ids_and_shared_images(
    doc: &Document,
    jobs: usize,
) -> (FxHashSet<&str>, Vec<Option<body::SharedImage>>) {
    // Items borrowed from `doc`, so that the ids found may outlive the task that found them.
    let chapters: Vec<&Chapter> = doc.chapters.iter().collect();
    let by_chapter = crate::jobs::map_ordered(
        &chapters,
        jobs,
        |chapter| chapter.weight() as u64,
        |chapter| body::ids_and_images(&chapter.blocks),
    );
    // Per asset: its uses, and the chapter of the first.
    let mut uses: Vec<(usize, usize)> = vec![(0, 0); doc.assets.len()];
    let mut ids: FxHashSet<&str> = doc.chapters.iter().map(|c| c.id.as_str()).collect();
    for (chapter, (chapter_ids, images)) in by_chapter.into_iter().enumerate() {
        ids.extend(chapter_ids);
        for asset in images {
            if let Some((count, home)) = uses.get_mut(asset) {
                if *count == 0 {
                    *home = chapter;
                }
                *count += 1;
            }
        }
    }
    // A drawing needs the image's size for its viewBox: one of unknown size stays an <img>.
    let shared = uses
        .iter()
        .zip(&doc.assets)
        .enumerate()
        .map(|(index, (&(count, home), asset))| {
            (count > 1 && asset.width > 0 && asset.height > 0).then(|| {
                let mut id = format!("livret-image-{}", index + 1);
                while ids.contains(id.as_str()) {
                    id.push('-');
                }
                body::SharedImage { id, home }
            })
        })
        .collect();
    (ids, shared)
}

/// Internal links point at `#anchor`, or at the chapter when the anchor is not in this page
/// (e.g. a `--persona` book without the target's chapter); a target outside the page, or
/// unresolved, renders as plain text.
fn book_href(doc: &Document, known_ids: &FxHashSet<&str>, target: &LinkTarget) -> Option<String> {
    match target {
        LinkTarget::External(url) => Some(url.clone()),
        LinkTarget::Internal { chapter, anchor } => {
            match anchor.as_deref().filter(|a| known_ids.contains(a)) {
                Some(anchor) => Some(format!("#{anchor}")),
                None => doc.chapter(chapter).map(|c| format!("#{}", c.id)),
            }
        }
        LinkTarget::Source(_) | LinkTarget::Page(_) => None,
    }
}

fn data_uri(asset: &Asset) -> String {
    format!(
        "data:{};base64,{}",
        asset.format.media_type(),
        base64::engine::general_purpose::STANDARD.encode(asset.bytes.as_slice())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Align, Attr, Block, ImageFormat, Inline, Meta, Pos};
    use scraper::{Html, Selector};
    use std::sync::Arc;

    fn text(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    fn para(inlines: Vec<Inline>) -> Block {
        Block::Para(inlines)
    }

    fn heading(level: u8, id: &str, title: &str) -> Block {
        Block::Heading {
            level,
            attr: Attr {
                id: Some(id.into()),
                ..Attr::default()
            },
            content: vec![text(title)],
        }
    }

    fn link(target: LinkTarget, content: &str) -> Inline {
        Inline::Link {
            target,
            title: None,
            content: vec![text(content)],
            pos: Pos::default(),
        }
    }

    fn internal(chapter: &str, anchor: Option<&str>) -> LinkTarget {
        LinkTarget::Internal {
            chapter: chapter.into(),
            anchor: anchor.map(str::to_string),
        }
    }

    fn image(alt: &str, title: Option<&str>) -> Inline {
        image_of(alt, title, 0)
    }

    fn image_of(alt: &str, title: Option<&str>, asset: usize) -> Inline {
        Inline::Image {
            src: "/img/x.png".into(),
            alt: alt.into(),
            title: title.map(str::to_string),
            asset: Some(asset),
            pos: Pos::default(),
        }
    }

    fn chapter(id: &str, kind: ChapterKind, title: &str, blocks: Vec<Block>) -> Chapter {
        Chapter {
            id: id.into(),
            kind,
            title: title.into(),
            subtitle: Some(format!("Sous-titre de {title}")),
            summary: Some(format!("Résumé : ce que {title} doit savoir.")),
            label: Some(format!("En tant que {title}")),
            source: format!("_faq/{id}.md"),
            lang: None,
            blocks,
            source_bytes: 0,
        }
    }

    fn png_bytes() -> Vec<u8> {
        let img = image::RgbaImage::from_fn(120, 60, |x, y| {
            image::Rgba([
                (x * 2) as u8,
                (y * 4) as u8,
                180,
                if x < 60 { 255 } else { 128 },
            ])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png)
            .expect("encoding a test image");
        out.into_inner()
    }

    /// A book using every block and inline, plus content smuggling scripts through the IR.
    fn rich_document() -> Document {
        let hostile = Attr {
            id: Some("piege".into()),
            classes: vec!["x".into()],
            attributes: vec![
                ("onclick".into(), "alert(1)".into()),
                ("style".into(), "background:url(javascript:alert(1))".into()),
                ("lang".into(), "en".into()),
            ],
        };
        let intro = chapter(
            "introduction",
            ChapterKind::Introduction,
            "Découvrir l'open data",
            vec![
                para(vec![
                    text("Bienvenue ! Les données ouvertes sont "),
                    Inline::Emph(vec![text("libres")]),
                    text(" et "),
                    Inline::Strong(vec![text("gratuites")]),
                    text(". Voir "),
                    link(internal("citoyen", None), "la partie citoyen"),
                    text(" ou "),
                    link(
                        LinkTarget::External("https://www.data.gouv.fr/fr/".into()),
                        "data.gouv.fr",
                    ),
                    text("."),
                ]),
                para(vec![image("Un graphique", Some("Figure 1 : un dégradé"))]),
            ],
        );
        let citoyen = chapter(
            "citoyen",
            ChapterKind::Persona,
            "Citoyen",
            vec![
                Block::Toc,
                heading(2, "citoyen-quest-ce", "Qu'est-ce que l'open data ?"),
                para(vec![
                    text("Une donnée ouverte"),
                    Inline::Note(vec![para(vec![
                        text("Voir la "),
                        link(
                            LinkTarget::External("https://opendefinition.org/".into()),
                            "définition",
                        ),
                        text("."),
                    ])]),
                    text(" est publiée sous licence libre."),
                    Inline::LineBreak,
                    text("H"),
                    Inline::Subscript(vec![text("2")]),
                    text("O, m"),
                    Inline::Superscript(vec![text("2")]),
                    text(", "),
                    Inline::Strikeout(vec![text("payant")]),
                    text(", "),
                    Inline::Code("<b>code</b>".into()),
                    Inline::SoftBreak,
                    Inline::Span {
                        attr: Attr {
                            id: Some("citoyen-ancre".into()),
                            ..Attr::default()
                        },
                        content: vec![],
                    },
                    text("fin."),
                ]),
                heading(3, "citoyen-details", "Détails"),
                Block::BulletList(vec![
                    vec![Block::Plain(vec![link(
                        internal("citoyen", Some("citoyen-ancre")),
                        "vers l'ancre",
                    )])],
                    vec![
                        Block::Plain(vec![text("imbriqué")]),
                        Block::OrderedList {
                            start: 3,
                            items: vec![
                                vec![Block::Plain(vec![text("trois")])],
                                vec![Block::Plain(vec![text("quatre")])],
                            ],
                        },
                    ],
                ]),
                Block::BlockQuote(vec![para(vec![text("« Les données, c'est du pain. »")])]),
                heading(2, "citoyen-exemples", "Des exemples"),
                Block::CodeBlock {
                    lang: Some("html".into()),
                    text: "<div>\n  <script>alert('x')</script>\n</div>".into(),
                },
                Block::Table {
                    aligns: vec![Align::Left, Align::Center, Align::Right],
                    head: vec![
                        vec![text("Jeu")],
                        vec![text("Format")],
                        vec![text("Taille")],
                    ],
                    rows: vec![
                        vec![
                            vec![text("Adresses")],
                            vec![text("CSV")],
                            vec![text("2 Go")],
                        ],
                        vec![
                            vec![text("Cadastre")],
                            vec![text("GeoJSON")],
                            vec![text("14 Go")],
                        ],
                    ],
                },
                Block::ThematicBreak,
                Block::Div {
                    attr: Attr {
                        id: Some("citoyen-bloc".into()),
                        ..Attr::default()
                    },
                    blocks: vec![],
                },
                para(vec![
                    text("Deuxième note"),
                    Inline::Note(vec![para(vec![text("Encore une.")])]),
                    text(" et "),
                    link(
                        internal("producteur", Some("producteur-publier")),
                        "publier",
                    ),
                    text("."),
                ]),
            ],
        );
        let producteur = chapter(
            "producteur",
            ChapterKind::Persona,
            "Producteur",
            vec![
                heading(2, "producteur-publier", "Comment publier ?"),
                Block::Div {
                    attr: hostile,
                    blocks: vec![para(vec![
                        link(LinkTarget::External("javascript:alert(1)".into()), "piège"),
                        text(" "),
                        link(
                            LinkTarget::External(" JAVASCRIPT:alert(1)".into()),
                            "piège 2",
                        ),
                        text(" "),
                        link(LinkTarget::Source("vbscript:x".into()), "piège 3"),
                        text(" <script>alert(1)</script> "),
                        Inline::Span {
                            attr: Attr {
                                id: None,
                                classes: vec![],
                                attributes: vec![("onmouseover".into(), "alert(1)".into())],
                            },
                            content: vec![text("survol")],
                        },
                        link(internal("absent", Some("nulle-part")), "chapitre absent"),
                    ])],
                },
            ],
        );
        let annexe = chapter(
            "annexe",
            ChapterKind::Appendix,
            "Annexe",
            vec![para(vec![
                text("Retour à "),
                link(internal("citoyen", Some("citoyen-exemples")), "l'exemple"),
                text("."),
            ])],
        );
        let bytes = png_bytes();
        Document {
            meta: Meta {
                name: "livret".into(),
                title: "Découvrir l'OpenData".into(),
                subtitle: Some("La FAQ des données ouvertes".into()),
                summary: Some("Tout sur l'open data, persona par persona.".into()),
                author: Some("Etalab".into()),
                publisher: Some("DINUM".into()),
                date: Some("2024-05-01".into()),
                ..Default::default()
            },
            chapters: vec![intro, citoyen, producteur, annexe],
            assets: vec![Asset {
                path: "img/x.png".into(),
                format: ImageFormat::Png,
                width: 120,
                height: 60,
                bytes: Arc::new(bytes),
                sha256: String::new(),
            }],
        }
    }

    fn context(theme: Option<std::path::PathBuf>) -> WriteContext {
        WriteContext {
            theme: Theme::new(theme),
            build_time: 0,
            version: "0.0.0-test",
            jobs: 2,
        }
    }

    fn build(doc: &Document) -> String {
        let bytes = write_html(doc, &context(None), &mut Diagnostics::new())
            .unwrap_or_else(|e| panic!("{e}"));
        let html = String::from_utf8(bytes).unwrap_or_else(|e| panic!("{e}"));
        // `LIVRET_HTML_SAMPLE=/tmp/x.html cargo test` keeps the page for the Nu checker.
        if let Ok(path) = std::env::var("LIVRET_HTML_SAMPLE") {
            std::fs::write(path, &html).unwrap_or_else(|e| panic!("{e}"));
        }
        html
    }

    fn select<'a>(page: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
        let selector = Selector::parse(css).unwrap_or_else(|e| panic!("{css}: {e}"));
        page.select(&selector).collect()
    }

    #[test]
    fn chapters_are_sections_in_order() {
        let page = Html::parse_document(&build(&rich_document()));
        let sections: Vec<(String, String)> = select(&page, "main > section.chapter")
            .into_iter()
            .map(|s| {
                let v = s.value();
                (
                    v.id().unwrap_or("").to_string(),
                    v.attr("class").unwrap_or("").to_string(),
                )
            })
            .collect();
        assert_eq!(
            sections,
            [
                ("introduction", "chapter introduction"),
                ("citoyen", "chapter persona"),
                ("producteur", "chapter persona"),
                ("annexe", "chapter appendix"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        let html = select(&page, "html")[0].value();
        assert_eq!(html.attr("lang"), Some("fr"));
        // One `h1`, the book's; chapter titles one level down.
        assert_eq!(select(&page, "h1").len(), 1);
        let titles: Vec<String> = select(&page, "section.chapter > header > h2")
            .into_iter()
            .map(|h| h.text().collect())
            .collect();
        assert_eq!(
            titles,
            ["Découvrir l'open data", "Citoyen", "Producteur", "Annexe"]
        );
        // The table of contents lists the chapters and their `##` sections.
        let toc: Vec<&str> = select(&page, "nav.toc a")
            .into_iter()
            .filter_map(|a| a.value().attr("href"))
            .collect();
        assert_eq!(
            toc,
            [
                "#introduction",
                "#citoyen",
                "#citoyen-quest-ce",
                "#citoyen-exemples",
                "#producteur",
                "#producteur-publier",
                "#annexe"
            ]
        );
    }

    #[test]
    fn every_fragment_link_names_an_existing_id() {
        let page = Html::parse_document(&build(&rich_document()));
        let ids: std::collections::BTreeSet<&str> = select(&page, "[id]")
            .into_iter()
            .filter_map(|e| e.value().id())
            .collect();
        let mut fragments = 0;
        for a in select(&page, "[href]") {
            let href = a.value().attr("href").unwrap_or("");
            if let Some(fragment) = href.strip_prefix('#') {
                fragments += 1;
                assert!(ids.contains(fragment), "dangling link {href}");
            }
        }
        assert!(fragments > 15, "only {fragments} fragment links");
        // A link to an anchor of a chapter not in the book is left as text.
        assert!(
            select(&page, "a")
                .iter()
                .all(|a| a.text().collect::<String>() != "chapitre absent")
        );
    }

    #[test]
    fn no_script_event_handler_or_javascript_url_reaches_the_page() {
        let html = build(&rich_document());
        let page = Html::parse_document(&html);
        assert!(select(&page, "script").is_empty());
        for element in select(&page, "*") {
            for (name, value) in element.value().attrs() {
                assert!(!name.starts_with("on"), "{name}={value}");
                assert_ne!(name, "style", "{value}");
                assert!(
                    !value.to_ascii_lowercase().contains("javascript"),
                    "{name}={value}"
                );
                assert!(
                    !value.to_ascii_lowercase().contains("vbscript"),
                    "{name}={value}"
                );
            }
        }
        // Only the escaped text of the code block and the paragraph remain.
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        let external: Vec<_> = select(&page, "a[href^='https:']");
        assert!(!external.is_empty());
        assert!(
            external
                .iter()
                .all(|a| a.value().attr("rel") == Some("noopener"))
        );
    }

    #[test]
    fn notes_link_both_ways_and_are_numbered_per_chapter() {
        let page = Html::parse_document(&build(&rich_document()));
        let refs: Vec<_> = select(&page, "#citoyen a[role='doc-noteref']");
        assert_eq!(refs.len(), 2);
        for (i, reference) in refs.iter().enumerate() {
            let n = i + 1;
            assert_eq!(
                reference.value().attr("href"),
                Some(format!("#citoyen.fn{n}").as_str())
            );
            assert_eq!(
                reference.value().id(),
                Some(format!("citoyen.fnref{n}").as_str())
            );
            assert_eq!(reference.text().collect::<String>(), n.to_string());
        }
        let notes: Vec<_> = select(
            &page,
            "#citoyen section.footnotes[role='doc-endnotes'] > ol > li",
        );
        assert_eq!(notes.len(), 2);
        for (i, note) in notes.iter().enumerate() {
            let n = i + 1;
            assert_eq!(note.value().id(), Some(format!("citoyen.fn{n}").as_str()));
            let back = Selector::parse("a.footnote-back").unwrap_or_else(|e| panic!("{e}"));
            let back: Vec<_> = note.select(&back).collect();
            assert_eq!(back.len(), 1);
            assert_eq!(
                back[0].value().attr("href"),
                Some(format!("#citoyen.fnref{n}").as_str())
            );
            assert_eq!(back[0].text().collect::<String>(), "↩");
        }
        assert!(select(&page, "#producteur section.footnotes").is_empty());
    }

    #[test]
    fn images_are_data_uris_and_lone_images_are_figures() {
        let doc = rich_document();
        let page = Html::parse_document(&build(&doc));
        let images = select(&page, "img");
        assert_eq!(images.len(), 1);
        let src = images[0].value().attr("src").unwrap_or("");
        let payload = src
            .strip_prefix("data:image/png;base64,")
            .unwrap_or_else(|| panic!("not a PNG data URI: {src:.40}"));
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(payload)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decoded, *doc.assets[0].bytes);
        let caption: Vec<String> = select(&page, "figure > figcaption")
            .into_iter()
            .map(|c| c.text().collect())
            .collect();
        assert_eq!(caption, ["Figure 1 : un dégradé"]);
    }

    #[test]
    fn blocks_have_their_semantic_elements() {
        let page = Html::parse_document(&build(&rich_document()));
        assert_eq!(select(&page, "pre > code.language-html").len(), 1);
        assert_eq!(select(&page, "table thead th").len(), 3);
        assert_eq!(select(&page, "table tbody tr").len(), 2);
        assert_eq!(select(&page, "td.align-right").len(), 2);
        assert_eq!(select(&page, "ol[start='3'] > li").len(), 2);
        assert_eq!(select(&page, "h3#citoyen-quest-ce").len(), 1);
        assert_eq!(select(&page, "h4#citoyen-details").len(), 1);
        assert_eq!(select(&page, "span#citoyen-ancre:empty").len(), 1);
        let page_toc: Vec<&str> = select(&page, "#citoyen nav.page-toc a")
            .into_iter()
            .filter_map(|a| a.value().attr("href"))
            .collect();
        // Every level, nested: `details` is an h3 under `quest-ce`.
        assert_eq!(
            page_toc,
            ["#citoyen-quest-ce", "#citoyen-details", "#citoyen-exemples"]
        );
        assert_eq!(
            select(&page, "#citoyen nav.page-toc li li > a#citoyen-details, #citoyen nav.page-toc li > ul > li > a[href='#citoyen-details']").len(),
            1
        );
        for css in [
            "blockquote",
            "em",
            "strong",
            "del",
            "sup",
            "sub",
            "code",
            "br",
            "hr",
        ] {
            assert!(!select(&page, css).is_empty(), "no {css}");
        }
    }

    /// The Nu HTML checker, when `VNU_JAR` names its jar (CI should set it); skipped otherwise.
    #[test]
    fn nu_checker_reports_no_errors() {
        let Ok(jar) = std::env::var("VNU_JAR") else {
            eprintln!("skipped: set VNU_JAR to vnu.jar's path to run the Nu HTML checker");
            return;
        };
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let page = dir.path().join("book.html");
        std::fs::write(&page, build(&rich_document())).unwrap_or_else(|e| panic!("{e}"));
        let output = std::process::Command::new("java")
            .args(["-jar", &jar, "--errors-only"])
            .arg(&page)
            .output()
            .unwrap_or_else(|e| panic!("running java: {e}"));
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Two chapters; asset 0 shown three times (one of them decorative), asset 1 once, and
    /// an author's id taking the name livret would give the shared copy.
    fn document_showing_an_image_three_times() -> Document {
        let first = chapter(
            "premier",
            ChapterKind::Persona,
            "Premier",
            vec![
                heading(2, "livret-image-1", "Un titre pris"),
                para(vec![image_of("Un graphique", Some("Figure 1"), 0)]),
                para(vec![text("Au fil du texte "), image_of("", None, 0)]),
            ],
        );
        let second = chapter(
            "second",
            ChapterKind::Persona,
            "Second",
            vec![
                para(vec![image_of("Encore le graphique", None, 0)]),
                para(vec![image_of("Un autre", None, 1)]),
            ],
        );
        let asset = |path: &str, bytes: Vec<u8>| Asset {
            path: path.into(),
            format: ImageFormat::Png,
            width: 120,
            height: 60,
            bytes: Arc::new(bytes),
            sha256: String::new(),
        };
        let mut other = png_bytes();
        other.extend_from_slice(b"other"); // bytes after IEND: another file, the same picture
        Document {
            meta: rich_document().meta,
            chapters: vec![first, second],
            assets: vec![asset("img/x.png", png_bytes()), asset("img/y.png", other)],
        }
    }

    #[test]
    fn an_image_shown_in_several_places_is_embedded_once_and_drawn_at_each() {
        let doc = document_showing_an_image_three_times();
        let html = build(&doc);
        // The whole data: URI, to its closing quote (asset 1's bytes begin as asset 0's).
        let base64 = |i: usize| {
            let bytes = doc.assets[i].bytes.as_slice();
            format!(
                "{}\"",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            )
        };
        assert_eq!(html.matches(&base64(0)).count(), 1, "embedded once");
        assert_eq!(html.matches(&base64(1)).count(), 1);
        let page = Html::parse_document(&html);
        let copies = select(&page, "svg.image image[id]");
        assert_eq!(copies.len(), 1);
        let id = copies[0].value().attr("id").unwrap();
        assert_ne!(id, "livret-image-1", "the author's id stays the only one");
        assert_eq!(select(&page, &format!("[id='{id}']")).len(), 1);
        // Every use draws that copy, the first where it is embedded, at the image's size.
        let drawings = select(&page, "svg.image");
        assert_eq!(drawings.len(), 3);
        let uses = select(&page, "svg.image use");
        assert_eq!(uses.len(), 2);
        assert!(
            uses.iter()
                .all(|u| u.value().attr("href") == Some(&*format!("#{id}")))
        );
        assert!(
            drawings
                .iter()
                .all(|d| d.value().attr("viewBox") == Some("0 0 120 60"))
        );
        // Named by the alt text, the title a tooltip; a decorative use is hidden.
        let names: Vec<Option<&str>> = drawings
            .iter()
            .map(|d| d.value().attr("aria-label"))
            .collect();
        assert_eq!(
            names,
            [Some("Un graphique"), None, Some("Encore le graphique")]
        );
        assert_eq!(drawings[0].value().attr("role"), Some("img"));
        assert_eq!(drawings[1].value().attr("aria-hidden"), Some("true"));
        assert_eq!(
            select(&page, "svg.image > title")
                .iter()
                .map(|t| t.text().collect::<String>())
                .collect::<Vec<_>>(),
            ["Figure 1"]
        );
        // Shown once, an image stays an <img>.
        let imgs = select(&page, "img");
        assert_eq!(imgs.len(), 1);
        assert_eq!(imgs[0].value().attr("alt"), Some("Un autre"));
        // A handout of the second chapter shows each image once: two <img>, no drawing.
        let handout = crate::select::select_chapters(&doc, &|c| c.id == "second");
        let page = Html::parse_document(&build(&handout));
        assert_eq!(select(&page, "img").len(), 2);
        assert!(select(&page, "svg.image").is_empty());
    }

    #[test]
    fn output_is_deterministic() {
        let doc = rich_document();
        assert_eq!(build(&doc), build(&doc));
    }

    #[test]
    fn xhtml_body_parses_as_xml() {
        let doc = rich_document();
        let href = |t: &LinkTarget| book_href(&doc, &ids_and_shared_images(&doc, 1).0, t);
        let src = |_: usize, a: &Asset, out: &mut String| {
            crate::markup::escape_into(out, &format!("images/{}", a.path))
        };
        let style = BodyStyle {
            xhtml: true,
            href: &href,
            image_src: &src,
            shared_images: &[],
        };
        for chapter in &doc.chapters {
            let out = render_chapter(&doc, chapter, &style);
            let xml = format!(
                r#"<body xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">{}{}</body>"#,
                out.body, out.notes
            );
            let parsed = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
            // Only XML's own entities: XHTML readers know no others.
            for (i, _) in xml.match_indices('&') {
                let entity = &xml[i..xml[i..].find(';').map_or(xml.len(), |end| i + end + 1)];
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].contains(&entity),
                    "{entity}"
                );
            }
            let asides = parsed
                .descendants()
                .filter(|n| n.has_tag_name("aside"))
                .count();
            let noterefs = parsed
                .descendants()
                .filter(|n| {
                    n.attribute(("http://www.idpf.org/2007/ops", "type")) == Some("noteref")
                })
                .count();
            assert_eq!(asides, noterefs, "{}", chapter.id);
        }
    }

    #[test]
    fn theme_directory_overrides_the_page_template() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(dir.path().join("html")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            dir.path().join("html/page.html"),
            "<p>{{ meta.title }}</p>{% for c in chapters %}[{{ c.id }}]{% endfor %}<style>{{ css }}</style>",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let doc = rich_document();
        let ctx = context(Some(dir.path().to_path_buf()));
        let bytes =
            write_html(&doc, &ctx, &mut Diagnostics::new()).unwrap_or_else(|e| panic!("{e}"));
        let html = String::from_utf8_lossy(&bytes);
        assert!(
            html.starts_with(
                "<p>Découvrir l&#x27;OpenData</p>[introduction][citoyen][producteur][annexe]<style>"
            ),
            "{html:.200}"
        );
        // The stylesheet is not overridden, so the default one is inlined.
        assert!(html.contains("break-before: page"));
    }

    #[test]
    fn template_errors_are_theme_errors_with_a_line() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(dir.path().join("html")).unwrap_or_else(|e| panic!("{e}"));
        let page = dir.path().join("html/page.html");
        for (source, expected) in [
            ("<p>\n{{ meta.titel }}</p>", "line 2"),
            ("<p>\n\n{% for x in %}</p>", "line 3"),
        ] {
            std::fs::write(&page, source).unwrap_or_else(|e| panic!("{e}"));
            let ctx = context(Some(dir.path().to_path_buf()));
            match write_html(&rich_document(), &ctx, &mut Diagnostics::new()) {
                Err(Error::Theme { path, message }) => {
                    assert_eq!(path, page.display().to_string());
                    assert!(message.contains(expected), "{message}");
                }
                other => panic!("expected a theme error, got {:?}", other.map(|_| ())),
            }
        }
    }
}
