//! The EPUB writer: EPUB 3 (+ EPUB 2 `toc.ncx`), one XHTML document per chapter, reproducible.
//!
//! epub-builder assembles the package (manifest, spine, `toc.ncx`, `nav.xhtml`); `package`
//! then rewrites the archive: fixed entry order and times, and the OPF/nav/NCX fixes that
//! epub-builder 0.8.3 cannot express (identifier, `dcterms:modified`, duplicate ids, `lang`,
//! publisher and date, the `toc` landmark with `nav.xhtml` in the spine, the NCX `dtb:uid`).

mod content;
mod cover;
mod images;
mod package;

use crate::diag::{Diagnostics, Error, Result};
use crate::ir::{Block, Chapter, ChapterKind, Document};
use crate::labels::Labels;
use crate::write::WriteContext;
use crate::write::body::{self, BodyStyle, render_chapter};
use crate::write::fonts::FontSet;
use epub_builder::{
    EpubBuilder, EpubContent, EpubVersion, MetadataOpfV3, ReferenceType, TocElement, ZipLibrary,
};
use std::collections::{BTreeMap, BTreeSet};

const DEFAULT_CSS: &str = include_str!("../../../themes/default/epub/style.css");
/// Name epub-builder gives the stylesheet (its `nav.xhtml` links to it).
const STYLESHEET: &str = "stylesheet.css";
const TITLE_PAGE: &str = "titlepage.xhtml";
const COVER: &str = "cover.png";

pub fn write_epub(doc: &Document, ctx: &WriteContext, diags: &mut Diagnostics) -> Result<Vec<u8>> {
    let labels = &doc.meta.labels;
    let css = ctx.theme.text("epub/style.css", DEFAULT_CSS)?;
    let files = chapter_files(doc);
    let images = images::Images::collect(doc, diags);
    let identifier = book_identifier(doc);
    let title = book_title(doc);

    let mut builder =
        EpubBuilder::new(ZipLibrary::new().map_err(builder_error)?).map_err(builder_error)?;
    builder.epub_version(EpubVersion::V30);
    builder
        .metadata("title", title.as_str())
        .map_err(builder_error)?;
    builder
        .metadata("lang", book_language(doc))
        .map_err(builder_error)?;
    if let Some(creator) = doc.meta.author.as_ref().or(doc.meta.publisher.as_ref()) {
        builder
            .metadata("author", creator.as_str())
            .map_err(builder_error)?;
    }
    if let Some(summary) = &doc.meta.summary {
        builder.add_description(summary.as_str());
    }
    builder.set_generator(format!("livret {}", ctx.version));
    builder.set_toc_name(labels.contents.as_str());
    // Replaced by `identifier` in the post-pass; set so nothing random is ever drawn.
    builder.set_uuid(uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        identifier.as_bytes(),
    ));
    for (property, value) in accessibility_metadata(&images, labels) {
        // epub-builder writes a `<meta>`'s content unescaped.
        builder.add_metadata_opf(Box::new(MetadataOpfV3::new(
            property.to_string(),
            crate::markup::escape(value),
        )));
    }
    builder.stylesheet(css.as_bytes()).map_err(builder_error)?;

    let mut order = vec![TITLE_PAGE.to_string()];
    // epub-builder gets an empty body for every content document and image: it only lists
    // them (manifest, spine, tables of contents), and its archive deflates whatever it is
    // given, which `package::rewrite` would inflate only to deflate again. The bytes are
    // kept here and deflated once, by `rewrite`.
    let mut bodies: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    // A theme font that cannot be read stops the build here as it does for the PDF.
    let fonts = FontSet::load(&ctx.theme)?;
    let ids = element_ids(doc);
    let href = |target: &crate::ir::LinkTarget| link_href(target, &files, &ids);
    let image_src = |index: usize, _: &crate::ir::Asset, out: &mut String| {
        crate::markup::escape_into(out, &images.src(index));
    };
    let style = BodyStyle {
        xhtml: true,
        href: &href,
        image_src: &image_src,
        // Each image is a file of the EPUB, whatever its uses.
        shared_images: &[],
    };
    // The cover is drawn beside the chapters when there is a thread to spare: at a small
    // book's size it is most of the writer.
    let render_documents = || {
        crate::jobs::map_ordered(
            &doc.chapters,
            ctx.jobs,
            |chapter| chapter.weight() as u64,
            |chapter| {
                files.contains_key(&chapter.id).then(|| {
                    let rendered = render_chapter(doc, chapter, &style);
                    content::chapter_document(doc, chapter, &rendered)
                })
            },
        )
    };
    let (cover, documents) = if ctx.jobs > 1 {
        std::thread::scope(|scope| {
            let cover = scope.spawn(|| cover::cover_png(doc, &fonts, ctx.jobs));
            let documents = render_documents();
            let cover = cover
                .join()
                .unwrap_or_else(|_| Err("the cover could not be drawn".into()));
            (cover, documents)
        })
    } else {
        (cover::cover_png(doc, &fonts, 1), render_documents())
    };
    match cover {
        Ok(png) => {
            builder
                .add_cover_image(COVER, &[][..], "image/png")
                .map_err(builder_error)?;
            bodies.insert(COVER.to_string(), png);
            order.push(COVER.to_string());
        }
        // A book without a cover is still a good book: say so, and go on.
        Err(message) => {
            diags.warning(
                doc.meta.name.clone(),
                0,
                0,
                format!("EPUB: no cover image: {message}"),
            );
        }
    }
    let title_page = content::title_page(doc, &title, labels);
    builder
        .add_content(
            EpubContent::new(TITLE_PAGE, &[][..])
                .title(title.as_str())
                .reftype(ReferenceType::TitlePage),
        )
        .map_err(builder_error)?;
    bodies.insert(TITLE_PAGE.to_string(), title_page.into_bytes());

    let mut has_sections = false;
    for (position, (chapter, xhtml)) in doc.chapters.iter().zip(documents).enumerate() {
        let (Some(file), Some(xhtml)) = (files.get(&chapter.id), xhtml) else {
            continue;
        };
        let mut item = EpubContent::new(file.as_str(), &[][..]).title(chapter.title.as_str());
        for (anchor, section_title) in sections(&chapter.blocks) {
            has_sections = true;
            item = item.child(TocElement::new(format!("{file}#{anchor}"), section_title));
        }
        if position == 0 {
            item = item.reftype(ReferenceType::Text);
        }
        builder.add_content(item).map_err(builder_error)?;
        bodies.insert(file.clone(), xhtml.into_bytes());
        order.push(file.clone());
    }
    for image in images.into_embedded() {
        builder
            .add_resource(image.file.as_str(), &[][..], image.media_type)
            .map_err(builder_error)?;
        order.push(image.file.clone());
        bodies.insert(image.file, image.bytes);
    }

    let mut raw = Vec::new();
    builder.generate(&mut raw).map_err(builder_error)?;
    package::rewrite(
        &raw,
        bodies,
        &package::Fixes {
            identifier: &identifier,
            title: &title,
            language: book_language(doc),
            modified: &package::w3c_datetime(ctx.build_time),
            contents_label: &labels.contents,
            title_page_label: &labels.title_page,
            start_label: &labels.start,
            dublin_core: &dublin_core_extras(doc),
            toc_depth: if has_sections { 2 } else { 1 },
            // epub-builder's `to_id` of the file name.
            title_page_id: "id_titlepage.xhtml",
            content_order: &order,
        },
        ctx.build_time,
        ctx.jobs,
    )
}

fn builder_error(e: epub_builder::Error) -> Error {
    Error::Write {
        format: "epub",
        message: e.to_string(),
    }
}

/// `dc:language` and every `lang`: the configured tag, `fr` when it is left empty.
pub(crate) fn book_language(doc: &Document) -> &str {
    match doc.meta.language.trim() {
        "" => "fr",
        tag => tag,
    }
}

/// `dc:title`: a handout names its persona so the books are told apart in a library.
fn book_title(doc: &Document) -> String {
    match persona_title(doc) {
        Some(persona) => format!("{} — {persona}", doc.meta.title),
        None => doc.meta.title.clone(),
    }
}

pub(crate) fn persona_title(doc: &Document) -> Option<&str> {
    let slug = doc.meta.persona.as_deref()?;
    Some(
        doc.chapter(slug)
            .map(|c| c.label.as_deref().unwrap_or(c.title.as_str()))
            .unwrap_or(slug),
    )
}

/// `dc:identifier`: the configured one, else `urn:uuid:` + UUID v5 of title and publisher, so
/// it is the same on every build; a handout gets its own, derived from the book's and its persona.
fn book_identifier(doc: &Document) -> String {
    let configured = doc
        .meta
        .identifier
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty());
    let seed = match configured {
        Some(id) if doc.meta.persona.is_none() => return id.to_string(),
        Some(id) => id.to_string(),
        None => format!(
            "{}\n{}",
            doc.meta.title,
            doc.meta.publisher.as_deref().unwrap_or("")
        ),
    };
    let seed = match &doc.meta.persona {
        Some(persona) => format!("{seed}\n{persona}"),
        None => seed,
    };
    let uuid = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, seed.as_bytes());
    format!("urn:uuid:{uuid}")
}

/// Dublin Core elements epub-builder has no setter for; the post-pass inserts them.
fn dublin_core_extras(doc: &Document) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(publisher) = &doc.meta.publisher {
        out.push(format!(
            "<dc:publisher>{}</dc:publisher>",
            crate::markup::escape(publisher)
        ));
    }
    if let Some(date) = doc.meta.date.as_deref().filter(|d| is_w3c_date(d)) {
        out.push(format!("<dc:date>{date}</dc:date>"));
    }
    out
}

/// EPUB Accessibility 1.1 discovery metadata, true to what the book holds.
fn accessibility_metadata<'a>(
    images: &images::Images,
    labels: &'a Labels,
) -> Vec<(&'static str, &'a str)> {
    let has_images = !images.is_empty();
    let all_alt = images.all_have_alt();
    let mut out = vec![("schema:accessMode", "textual")];
    if has_images {
        out.push(("schema:accessMode", "visual"));
    }
    out.push((
        "schema:accessModeSufficient",
        if has_images && !all_alt {
            "textual,visual"
        } else {
            "textual"
        },
    ));
    out.push(("schema:accessibilityFeature", "tableOfContents"));
    out.push(("schema:accessibilityFeature", "structuralNavigation"));
    if has_images && all_alt {
        out.push(("schema:accessibilityFeature", "alternativeText"));
    }
    out.push(("schema:accessibilityHazard", "none"));
    out.push(("schema:accessibilitySummary", &labels.accessibility_summary));
    out
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: the dates epubcheck accepts in `dc:date` without a warning.
fn is_w3c_date(date: &str) -> bool {
    let parts: Vec<&str> = date.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [y] => digits(y, 4),
        [y, m] => digits(y, 4) && digits(m, 2),
        [y, m, d] => digits(y, 4) && digits(m, 2) && digits(d, 2),
        _ => false,
    }
}

/// File name of each chapter (its slug, made safe for a zip path and unique).
fn chapter_files(doc: &Document) -> BTreeMap<String, String> {
    let mut taken: BTreeSet<String> = ["titlepage", "nav", "toc", "stylesheet"]
        .into_iter()
        .map(String::from)
        .collect();
    let mut files = BTreeMap::new();
    for chapter in &doc.chapters {
        if files.contains_key(&chapter.id) {
            continue;
        }
        let mut stem: String = deunicode::deunicode(&chapter.id)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        if stem.is_empty() {
            stem = "chapter".into();
        }
        let mut candidate = stem.clone();
        let mut n = 2;
        while taken.contains(&candidate) {
            candidate = format!("{stem}-{n}");
            n += 1;
        }
        taken.insert(candidate.clone());
        files.insert(chapter.id.clone(), format!("{candidate}.xhtml"));
    }
    files
}

/// Element ids each chapter's body will hold (as the body writer writes them), so a link
/// never points at a fragment its file lacks.
fn element_ids(doc: &Document) -> BTreeMap<&str, BTreeSet<&str>> {
    doc.chapters
        .iter()
        .map(|chapter| {
            let ids = body::element_ids(&chapter.blocks).into_iter().collect();
            (chapter.id.as_str(), ids)
        })
        .collect()
}

/// href of a link in the book: `file.xhtml#id` inside, the URL outside, nothing when the
/// target is not in this book (a handout links to a persona it does not hold).
fn link_href(
    target: &crate::ir::LinkTarget,
    files: &BTreeMap<String, String>,
    ids: &BTreeMap<&str, BTreeSet<&str>>,
) -> Option<String> {
    use crate::ir::LinkTarget;
    match target {
        LinkTarget::External(url) => Some(url.clone()),
        // Unresolved by the links pass (which reported it): keep absolute URLs, drop the rest.
        LinkTarget::Source(url) if crate::url::has_link_scheme(url) => Some(url.clone()),
        LinkTarget::Source(_) | LinkTarget::Page(_) => None,
        LinkTarget::Internal { chapter, anchor } => {
            let file = files.get(chapter)?;
            match anchor {
                Some(anchor)
                    if ids
                        .get(chapter.as_str())
                        .is_some_and(|set| set.contains(anchor.as_str())) =>
                {
                    Some(format!("{file}#{anchor}"))
                }
                _ => Some(file.clone()),
            }
        }
    }
}

/// The chapter's `##` sections that can be linked to: (id, title).
fn sections(blocks: &[Block]) -> Vec<(String, String)> {
    body::level2_headings(blocks)
        .into_iter()
        .map(|(id, content)| {
            (
                id.to_string(),
                body::inline_text(content).trim().to_string(),
            )
        })
        .collect()
}

/// `epub:type` and ARIA role of a chapter's section element.
pub(crate) fn chapter_semantics(chapter: &Chapter) -> (&'static str, &'static str) {
    match chapter.kind {
        ChapterKind::Introduction => ("introduction", "doc-introduction"),
        ChapterKind::Persona => ("chapter", "doc-chapter"),
        ChapterKind::Appendix => ("appendix", "doc-appendix"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Attr, Inline, Meta};

    #[test]
    fn the_cover_is_an_indexed_png_of_1000_by_1600() {
        let png = cover::cover_png(&doc(&["a"]), &FontSet::default(), 2).unwrap();
        let reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), (1000, 1600));
        assert_eq!(info.color_type, png::ColorType::Indexed);
    }

    fn doc(chapter_ids: &[&str]) -> Document {
        Document {
            meta: Meta {
                name: "faq".into(),
                title: "FAQ".into(),
                publisher: Some("Etalab".into()),
                ..Default::default()
            },
            chapters: chapter_ids
                .iter()
                .map(|id| Chapter {
                    id: id.to_string(),
                    kind: ChapterKind::Persona,
                    title: id.to_string(),
                    subtitle: None,
                    summary: None,
                    label: None,
                    source: format!("{id}.md"),
                    lang: None,
                    blocks: vec![Block::Heading {
                        level: 2,
                        attr: Attr {
                            id: Some(format!("{id}-s")),
                            ..Attr::default()
                        },
                        content: vec![Inline::Text("S".into())],
                    }],
                    source_bytes: 0,
                })
                .collect(),
            assets: vec![],
        }
    }

    #[test]
    fn chapter_files_are_safe_and_unique() {
        let files = chapter_files(&doc(&["citoyen", "nav", "été 2", "été-2", ""]));
        assert_eq!(files["citoyen"], "citoyen.xhtml");
        assert_eq!(files["nav"], "nav-2.xhtml");
        assert_eq!(files["été 2"], "ete-2.xhtml");
        assert_eq!(files["été-2"], "ete-2-2.xhtml");
        assert_eq!(files[""], "chapter.xhtml");
    }

    #[test]
    fn internal_links_point_at_the_chapter_file_and_existing_ids() {
        use crate::ir::LinkTarget;
        let d = doc(&["a", "b"]);
        let files = chapter_files(&d);
        let ids = element_ids(&d);
        let internal = |chapter: &str, anchor: Option<&str>| LinkTarget::Internal {
            chapter: chapter.into(),
            anchor: anchor.map(String::from),
        };
        assert_eq!(
            link_href(&internal("b", Some("b-s")), &files, &ids).as_deref(),
            Some("b.xhtml#b-s")
        );
        assert_eq!(
            link_href(&internal("b", Some("nowhere")), &files, &ids).as_deref(),
            Some("b.xhtml")
        );
        assert_eq!(link_href(&internal("gone", None), &files, &ids), None);
        assert_eq!(
            link_href(
                &LinkTarget::External("https://data.gouv.fr/".into()),
                &files,
                &ids
            )
            .as_deref(),
            Some("https://data.gouv.fr/")
        );
        assert_eq!(
            link_href(&LinkTarget::Source("x.md".into()), &files, &ids),
            None
        );
    }

    #[test]
    fn identifier_is_stable_and_distinct_per_handout() {
        let mut d = doc(&["a"]);
        let book = book_identifier(&d);
        assert!(book.starts_with("urn:uuid:"));
        assert_eq!(book, book_identifier(&d));
        d.meta.persona = Some("a".into());
        let handout = book_identifier(&d);
        assert_ne!(book, handout);
        d.meta.persona = None;
        d.meta.identifier = Some("isbn:978-2-00-000000-0".into());
        assert_eq!(book_identifier(&d), "isbn:978-2-00-000000-0");
    }

    #[test]
    fn only_w3c_dates_go_to_dc_date() {
        assert!(is_w3c_date("2024-05-01"));
        assert!(is_w3c_date("2024"));
        assert!(!is_w3c_date("1er mai 2024"));
        assert!(!is_w3c_date("2024-5-1"));
    }
}
