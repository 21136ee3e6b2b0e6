//! The EPUB writer on hand-built documents: package structure, reproducibility, epubcheck.

use crate::common;

use common::doc::{asset, chapter, heading, image, link, para, text, to_chapter};

use livret::diag::Diagnostics;
use livret::ir::{
    Align, Attr, Block, ChapterKind, Document, ImageFormat, Inline, LinkTarget, Meta, Pos,
};
use livret::theme::Theme;
use livret::write::WriteContext;
use livret::write::epub::write_epub;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};

const BUILD_TIME: i64 = 1_700_000_000;

fn encoded(format: image::ImageFormat) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(40, 30, |x, y| {
        image::Rgb([(x * 6) as u8, (y * 8) as u8, 120])
    });
    let mut out = Cursor::new(Vec::new());
    picture
        .write_to(&mut out, format)
        .expect("encoding a test image");
    out.into_inner()
}

/// A small book that uses every feature the EPUB writer handles.
fn rich_document() -> Document {
    let intro = chapter(
        "faq",
        ChapterKind::Introduction,
        "Découvrir l’open data",
        vec![
            para(vec![
                text("Bienvenue\u{202f}! Voir "),
                link(
                    to_chapter("citoyen", Some("donnees-ouvertes")),
                    "les données",
                ),
                text(", le "),
                link(to_chapter("producteur", None), "chapitre producteur"),
                text(" et "),
                link(
                    LinkTarget::External("https://www.data.gouv.fr/fr/?a=1&b=2".into()),
                    "data.gouv.fr",
                ),
                text("."),
                Inline::Note(vec![para(vec![
                    text("Une note avec un "),
                    link(to_chapter("citoyen", None), "lien"),
                    text("."),
                ])]),
            ]),
            para(vec![image(0, "Logo de data.gouv.fr")]),
        ],
    );
    let mut citoyen = chapter(
        "citoyen",
        ChapterKind::Persona,
        "Citoyen",
        vec![
            heading(2, "donnees-ouvertes", "Qu’est-ce qu’une donnée ouverte ?"),
            para(vec![
                text("Texte avec "),
                Inline::Emph(vec![text("emphase")]),
                text(", "),
                Inline::Code("code < & >".into()),
                text(" et une note"),
                Inline::Note(vec![para(vec![text("Deuxième note.")])]),
                text("."),
            ]),
            Block::BulletList(vec![
                vec![Block::Plain(vec![text("un")])],
                vec![Block::Plain(vec![image(0, "Le même logo, réutilisé")])],
            ]),
            heading(3, "detail", "Un détail"),
            Block::CodeBlock {
                lang: Some("sh".into()),
                text: "curl -s 'https://www.data.gouv.fr/api/1/datasets/?q=une-tres-longue-requete-qui-ne-tient-pas-sur-une-ligne&page_size=100' | jq '.data[].title'\n".into(),
            },
            heading(2, "reutiliser", "Réutiliser"),
            Block::Table {
                aligns: vec![Align::Left, Align::Right],
                head: vec![vec![text("Jeu")], vec![text("Lignes")]],
                rows: vec![vec![vec![text("SIRENE")], vec![text("30 000 000")]]],
            },
            Block::Div {
                attr: Attr {
                    id: Some("encadre".into()),
                    classes: vec!["note".into()],
                    attributes: vec![],
                },
                blocks: vec![para(vec![link(to_chapter("faq", None), "Retour au début")])],
            },
        ],
    );
    citoyen.subtitle = Some("En tant que citoyen".into());
    citoyen.label = Some("Citoyen·ne".into());
    let producteur = chapter(
        "producteur",
        ChapterKind::Persona,
        "Producteur",
        vec![
            heading(2, "publier", "Publier"),
            para(vec![
                image(1, "Photo d’un tableau de bord"),
                text(" Voir "),
                link(to_chapter("citoyen", Some("reutiliser")), "réutiliser"),
                text("."),
            ]),
            Block::BlockQuote(vec![para(vec![text("Une citation.")])]),
            Block::ThematicBreak,
        ],
    );
    let annexe = chapter(
        "glossaire",
        ChapterKind::Appendix,
        "Glossaire",
        vec![para(vec![
            Inline::Span {
                attr: Attr {
                    id: Some("licence".into()),
                    ..Attr::default()
                },
                content: vec![text("Licence ouverte")],
            },
            text(" : une licence."),
        ])],
    );
    Document {
        meta: Meta {
            name: "faq".into(),
            title: "Découvrir l’OpenData".into(),
            subtitle: Some("Questions & réponses".into()),
            summary: Some("Une FAQ pour chacun.".into()),
            publisher: Some("Etalab".into()),
            date: Some("2024-05-01".into()),
            ..Default::default()
        },
        chapters: vec![intro, citoyen, producteur, annexe],
        assets: vec![
            asset(
                "img/logo.png",
                ImageFormat::Png,
                encoded(image::ImageFormat::Png),
            ),
            asset(
                "img/tableau.jpg",
                ImageFormat::Jpeg,
                encoded(image::ImageFormat::Jpeg),
            ),
        ],
    }
}

/// `--split`: one persona, its title page naming it.
fn handout() -> Document {
    let mut doc = rich_document();
    doc.meta.persona = Some("citoyen".into());
    doc.chapters.retain(|c| c.id == "citoyen");
    doc
}

fn context(build_time: i64) -> WriteContext {
    WriteContext {
        theme: Theme::default(),
        build_time,
        version: "0.0.0-test",
        jobs: 2,
    }
}

fn write(doc: &Document, build_time: i64) -> Vec<u8> {
    let mut diags = Diagnostics::new();
    let bytes = write_epub(doc, &context(build_time), &mut diags).expect("EPUB written");
    assert!(!diags.has_errors(), "{:?}", diags.items());
    bytes
}

struct Package {
    /// Entry names in archive order.
    names: Vec<String>,
    files: BTreeMap<String, Vec<u8>>,
    first_is_stored: bool,
}

fn open(bytes: &[u8]) -> Package {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    let mut names = Vec::new();
    let mut files = BTreeMap::new();
    let mut first_is_stored = false;
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("entry");
        let name = file.name().expect("utf-8 name").to_string();
        if i == 0 {
            first_is_stored = file.compression() == zip::CompressionMethod::Stored
                && file.extra_data().is_none_or(|d| d.is_empty());
        }
        let mut data = Vec::new();
        file.read_to_end(&mut data).expect("entry data");
        names.push(name.clone());
        files.insert(name, data);
    }
    Package {
        names,
        files,
        first_is_stored,
    }
}

impl Package {
    fn text(&self, name: &str) -> &str {
        std::str::from_utf8(self.files.get(name).unwrap_or_else(|| panic!("no {name}")))
            .expect("utf-8")
    }
}

/// XHTML content documents carry `<!DOCTYPE html>`, which roxmltree refuses by default.
fn parse_xml(text: &str) -> Result<roxmltree::Document<'_>, roxmltree::Error> {
    roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        },
    )
}

const OPF_NS: &str = "http://www.idpf.org/2007/opf";
const DC_NS: &str = "http://purl.org/dc/elements/1.1/";
const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";
const EPUB_NS: &str = "http://www.idpf.org/2007/ops";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

struct Opf {
    /// OPF path of the package directory, with trailing `/`.
    base: String,
    /// manifest id → (href, media-type)
    manifest: BTreeMap<String, (String, String)>,
    spine: Vec<String>,
    /// href of the item whose properties say `cover-image`.
    cover: Option<String>,
    /// (element name or meta property, value)
    metadata: Vec<(String, String)>,
    unique_identifier: String,
}

fn parse_opf(pkg: &Package) -> Opf {
    let container = parse_xml(pkg.text("META-INF/container.xml")).expect("xml");
    let opf_path = container
        .descendants()
        .find(|n| n.has_tag_name("rootfile"))
        .and_then(|n| n.attribute("full-path"))
        .expect("rootfile")
        .to_string();
    let base = opf_path
        .rsplit_once('/')
        .map(|(dir, _)| format!("{dir}/"))
        .unwrap_or_default();
    let opf = parse_xml(pkg.text(&opf_path)).expect("OPF is XML");
    let root = opf.root_element();
    let unique_id_ref = root
        .attribute("unique-identifier")
        .expect("unique-identifier");
    let mut metadata = Vec::new();
    let mut unique_identifier = String::new();
    for node in root
        .descendants()
        .find(|n| n.has_tag_name((OPF_NS, "metadata")))
        .expect("metadata")
        .children()
        .filter(|n| n.is_element())
    {
        let value = node.text().unwrap_or("").trim().to_string();
        if node.tag_name().namespace() == Some(DC_NS) {
            if node.attribute("id") == Some(unique_id_ref) {
                unique_identifier = value.clone();
            }
            metadata.push((format!("dc:{}", node.tag_name().name()), value));
        } else if let Some(property) = node.attribute("property")
            && node.attribute("refines").is_none()
        {
            metadata.push((property.to_string(), value));
        }
    }
    let cover = root
        .descendants()
        .filter(|n| n.has_tag_name((OPF_NS, "item")))
        .find(|n| {
            n.attribute("properties")
                .is_some_and(|p| p.split_whitespace().any(|p| p == "cover-image"))
        })
        .and_then(|n| n.attribute("href"))
        .map(str::to_string);
    let manifest = root
        .descendants()
        .filter(|n| n.has_tag_name((OPF_NS, "item")))
        .map(|n| {
            (
                n.attribute("id").expect("id").to_string(),
                (
                    n.attribute("href").expect("href").to_string(),
                    n.attribute("media-type").expect("media-type").to_string(),
                ),
            )
        })
        .collect::<BTreeMap<_, _>>();
    let spine = root
        .descendants()
        .filter(|n| n.has_tag_name((OPF_NS, "itemref")))
        .map(|n| manifest[n.attribute("idref").expect("idref")].0.clone())
        .collect();
    Opf {
        base,
        manifest,
        spine,
        cover,
        metadata,
        unique_identifier,
    }
}

impl Opf {
    fn values(&self, key: &str) -> Vec<&str> {
        self.metadata
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Every link of every content document and of the nav: (document, href).
struct Documents {
    /// document → its element ids
    ids: BTreeMap<String, BTreeSet<String>>,
    links: Vec<(String, String)>,
    images: Vec<(String, String)>,
}

fn parse_documents(pkg: &Package, opf: &Opf) -> Documents {
    let mut docs = Documents {
        ids: BTreeMap::new(),
        links: Vec::new(),
        images: Vec::new(),
    };
    for (href, media_type) in opf.manifest.values() {
        if media_type != "application/xhtml+xml" {
            continue;
        }
        let text = pkg.text(&format!("{}{href}", opf.base));
        let xml = parse_xml(text)
            .unwrap_or_else(|e| panic!("{href} is not well-formed XML: {e}\n{text}"));
        let root = xml.root_element();
        assert_eq!(root.tag_name().namespace(), Some(XHTML_NS), "{href}");
        let lang = root.attribute("lang").expect("lang on <html>");
        assert_eq!(lang, "fr", "{href}");
        assert_eq!(root.attribute((XML_NS, "lang")), Some("fr"), "{href}");
        assert!(
            !root.descendants().any(|n| n.has_tag_name("script")),
            "{href} has a script"
        );
        let mut ids = BTreeSet::new();
        for node in root.descendants().filter(|n| n.is_element()) {
            if let Some(id) = node.attribute("id") {
                assert!(ids.insert(id.to_string()), "{href}: duplicate id {id}");
            }
            if let Some(target) = node.attribute("href") {
                docs.links.push((href.clone(), target.to_string()));
            }
            if node.has_tag_name((XHTML_NS, "img")) {
                let alt = node.attribute("alt").expect("img has alt");
                assert!(!alt.is_empty(), "{href}: empty alt");
                docs.images.push((
                    href.clone(),
                    node.attribute("src").expect("src").to_string(),
                ));
            }
        }
        docs.ids.insert(href.clone(), ids);
    }
    docs
}

#[test]
fn package_structure_is_complete_and_consistent() {
    let doc = rich_document();
    let pkg = open(&write(&doc, BUILD_TIME));

    // mimetype first, stored, no extra field.
    assert_eq!(pkg.names.first().map(String::as_str), Some("mimetype"));
    assert!(pkg.first_is_stored);
    assert_eq!(pkg.text("mimetype"), "application/epub+zip");

    let opf = parse_opf(&pkg);
    // Chapters in spine order, after the title page.
    assert_eq!(
        opf.spine,
        [
            "titlepage.xhtml",
            "nav.xhtml",
            "faq.xhtml",
            "citoyen.xhtml",
            "producteur.xhtml",
            "glossaire.xhtml"
        ]
    );
    // Every manifest item is in the archive, and every archive file is in the manifest.
    let in_manifest: BTreeSet<String> = opf
        .manifest
        .values()
        .map(|(href, _)| format!("{}{href}", opf.base))
        .collect();
    for name in &in_manifest {
        assert!(pkg.files.contains_key(name), "{name} missing from the zip");
    }
    for name in pkg.files.keys() {
        if name != "mimetype" && !name.starts_with("META-INF/") && !name.ends_with(".opf") {
            assert!(in_manifest.contains(name), "{name} not in the manifest");
        }
    }

    // Metadata.
    assert_eq!(opf.values("dc:title"), ["Découvrir l’OpenData"]);
    assert_eq!(opf.values("dc:language"), ["fr"]);
    assert_eq!(opf.values("dc:publisher"), ["Etalab"]);
    assert_eq!(opf.values("dc:creator"), ["Etalab"]);
    assert_eq!(opf.values("dc:date"), ["2024-05-01"]);
    assert_eq!(opf.values("dcterms:modified"), ["2023-11-14T22:13:20Z"]);
    assert!(opf.unique_identifier.starts_with("urn:uuid:"));
    assert_eq!(
        opf.values("dc:identifier"),
        [opf.unique_identifier.as_str()]
    );
    assert_eq!(opf.values("schema:accessMode"), ["textual", "visual"]);
    assert_eq!(opf.values("schema:accessModeSufficient"), ["textual"]);
    assert_eq!(
        opf.values("schema:accessibilityFeature"),
        ["tableOfContents", "structuralNavigation", "alternativeText"]
    );
    assert_eq!(opf.values("schema:accessibilityHazard"), ["none"]);
    assert_eq!(opf.values("schema:accessibilitySummary").len(), 1);

    // Every content document is XML with lang; every link lands on a file and id that exist.
    let docs = parse_documents(&pkg, &opf);
    let mut internal = BTreeSet::new();
    for (from, href) in &docs.links {
        if href.starts_with("https://")
            || href.starts_with("http://")
            || href.starts_with("mailto:")
        {
            continue;
        }
        let (file, fragment) = href.split_once('#').unwrap_or((href, ""));
        let file = if file.is_empty() { from.as_str() } else { file };
        if file.ends_with(".css") {
            assert!(
                pkg.files.contains_key(&format!("{}{file}", opf.base)),
                "{file}"
            );
            continue;
        }
        let ids = docs
            .ids
            .get(file)
            .unwrap_or_else(|| panic!("{from}: link to missing document {href}"));
        assert!(
            fragment.is_empty() || ids.contains(fragment),
            "{from}: link to missing id {href}"
        );
        internal.insert(href.clone());
    }
    // The IR's internal links became chapter-file links.
    for expected in [
        "citoyen.xhtml#donnees-ouvertes",
        "producteur.xhtml",
        "citoyen.xhtml#reutiliser",
        "faq.xhtml",
    ] {
        assert!(
            internal.contains(expected),
            "no link to {expected}: {internal:?}"
        );
    }
    assert!(
        docs.links
            .iter()
            .any(|(_, href)| href == "https://www.data.gouv.fr/fr/?a=1&b=2"),
        "external link kept absolute"
    );

    // The cover: a PNG e-reader libraries show, in the shape they expect, not blank.
    let cover_href = opf.cover.as_deref().expect("a cover-image item");
    let cover = image::load_from_memory(&pkg.files[&format!("{}{cover_href}", opf.base)])
        .expect("the cover decodes")
        .to_rgb8();
    assert_eq!(cover.dimensions(), (1000, 1600));
    let colours: BTreeSet<[u8; 3]> = cover.pixels().map(|p| p.0).collect();
    assert!(
        colours.len() > 20,
        "text drawn on the cover: {} colours",
        colours.len()
    );

    // Images: each embedded once, referenced ⇔ in the manifest, with its media type.
    let manifest_images: BTreeMap<&str, &str> = opf
        .manifest
        .values()
        .filter(|(h, t)| t.starts_with("image/") && Some(h.as_str()) != opf.cover.as_deref())
        .map(|(h, t)| (h.as_str(), t.as_str()))
        .collect();
    let used: BTreeSet<&str> = docs.images.iter().map(|(_, src)| src.as_str()).collect();
    assert_eq!(docs.images.len(), 3, "three <img> in the chapters");
    assert_eq!(used, manifest_images.keys().copied().collect());
    assert_eq!(
        manifest_images.values().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from(["image/png", "image/jpeg"])
    );
    for (href, media_type) in &manifest_images {
        let bytes = &pkg.files[&format!("{}{href}", opf.base)];
        let sniffed = image::guess_format(bytes).expect("an image");
        assert_eq!(sniffed.to_mime_type(), *media_type, "{href}");
    }

    // Footnotes: EPUB 3 noterefs to asides in the same document, with a link back.
    let faq = parse_xml(pkg.text(&format!("{}faq.xhtml", opf.base))).expect("xml");
    let noteref = faq
        .descendants()
        .find(|n| {
            n.attribute((EPUB_NS, "type"))
                .is_some_and(|t| t.contains("noteref"))
        })
        .expect("a noteref");
    let note_id = noteref
        .attribute("href")
        .and_then(|h| h.strip_prefix('#'))
        .expect("noteref points into the document");
    let aside = faq
        .descendants()
        .find(|n| n.attribute("id") == Some(note_id))
        .expect("note target");
    assert!(
        aside
            .ancestors()
            .any(|a| a.has_tag_name((XHTML_NS, "aside"))
                && a.attribute((EPUB_NS, "type"))
                    .is_some_and(|t| t.contains("footnote"))),
        "the note is an aside epub:type=footnote"
    );
    let back = noteref
        .attribute("id")
        .expect("noteref has an id to come back to");
    assert!(
        aside
            .ancestors()
            .find(|a| a.has_tag_name((XHTML_NS, "aside")))
            .into_iter()
            .flat_map(|a| a.descendants())
            .any(|n| n
                .attribute("href")
                .is_some_and(|h| h.ends_with(&format!("#{back}")))),
        "the note links back to its reference"
    );
}

#[test]
fn nav_and_ncx_hold_the_nested_table_of_contents() {
    let pkg = open(&write(&rich_document(), BUILD_TIME));
    let opf = parse_opf(&pkg);
    let nav = parse_xml(pkg.text("OEBPS/nav.xhtml")).expect("nav is XML");
    let navs: Vec<_> = nav
        .descendants()
        .filter(|n| n.has_tag_name((XHTML_NS, "nav")))
        .collect();
    let of_type = |t: &str| {
        navs.iter()
            .find(|n| n.attribute((EPUB_NS, "type")) == Some(t))
            .copied()
            .unwrap_or_else(|| panic!("no {t} nav"))
    };
    let toc = of_type("toc");
    let top = toc
        .children()
        .find(|n| n.has_tag_name((XHTML_NS, "ol")))
        .expect("toc list");
    let entries: Vec<(String, Vec<String>)> = top
        .children()
        .filter(|n| n.has_tag_name((XHTML_NS, "li")))
        .map(|li| {
            let href = li
                .children()
                .find(|n| n.has_tag_name((XHTML_NS, "a")))
                .and_then(|a| a.attribute("href"))
                .expect("entry link")
                .to_string();
            let children = li
                .descendants()
                .skip(1)
                .filter(|n| n.has_tag_name((XHTML_NS, "a")))
                .filter_map(|a| a.attribute("href"))
                .filter(|h| *h != href)
                .map(String::from)
                .collect();
            (href, children)
        })
        .collect();
    assert_eq!(
        entries,
        vec![
            ("titlepage.xhtml".to_string(), vec![]),
            ("faq.xhtml".to_string(), vec![]),
            (
                "citoyen.xhtml".to_string(),
                vec![
                    "citoyen.xhtml#donnees-ouvertes".to_string(),
                    "citoyen.xhtml#reutiliser".to_string()
                ]
            ),
            (
                "producteur.xhtml".to_string(),
                vec!["producteur.xhtml#publier".to_string()]
            ),
            ("glossaire.xhtml".to_string(), vec![]),
        ]
    );
    let landmarks: BTreeMap<&str, &str> = of_type("landmarks")
        .descendants()
        .filter(|n| n.has_tag_name((XHTML_NS, "a")))
        .map(|a| {
            (
                a.attribute((EPUB_NS, "type")).expect("landmark type"),
                a.attribute("href").expect("landmark href"),
            )
        })
        .collect();
    assert_eq!(landmarks.get("toc"), Some(&"nav.xhtml#toc"));
    assert_eq!(landmarks.get("bodymatter"), Some(&"faq.xhtml"));

    let ncx = parse_xml(pkg.text("OEBPS/toc.ncx")).expect("NCX is XML");
    let uid = ncx
        .descendants()
        .find(|n| n.attribute("name") == Some("dtb:uid"))
        .and_then(|n| n.attribute("content"));
    assert_eq!(uid, Some(opf.unique_identifier.as_str()));
    let points = ncx
        .descendants()
        .filter(|n| n.has_tag_name("navPoint"))
        .count();
    assert_eq!(points, 5 + 3, "chapters and their sections");
}

#[test]
fn title_page_shows_the_book_and_a_handout_names_its_persona() {
    let pkg = open(&write(&rich_document(), BUILD_TIME));
    let title_page = pkg.text("OEBPS/titlepage.xhtml");
    for expected in [
        "Découvrir l’OpenData",
        "Questions &amp; réponses",
        "Une FAQ pour chacun.",
        "Etalab",
        "2024-05-01",
    ] {
        assert!(
            title_page.contains(expected),
            "{expected} on the title page"
        );
    }

    let book_id = parse_opf(&pkg).unique_identifier;
    let book_cover = pkg.files["OEBPS/cover.png"].clone();
    let pkg = open(&write(&handout(), BUILD_TIME));
    let opf = parse_opf(&pkg);
    // The handout's cover names its persona: it is not the book's.
    assert_eq!(opf.cover.as_deref(), Some("cover.png"));
    assert_ne!(pkg.files["OEBPS/cover.png"], book_cover);
    assert_eq!(opf.spine, ["titlepage.xhtml", "nav.xhtml", "citoyen.xhtml"]);
    assert_ne!(opf.unique_identifier, book_id, "a handout is its own book");
    assert_eq!(
        opf.values("dc:title"),
        ["Découvrir l’OpenData — Citoyen·ne"]
    );
    assert!(
        pkg.text("OEBPS/titlepage.xhtml")
            .contains("Profil\u{a0}: Citoyen·ne")
    );
    // Links to chapters the handout does not hold are no links at all.
    let docs = parse_documents(&pkg, &opf);
    assert!(
        docs.links.iter().all(|(_, h)| !h.starts_with("faq.xhtml")),
        "{:?}",
        docs.links
    );
}

#[test]
fn same_build_time_same_bytes() {
    let doc = rich_document();
    let first = write(&doc, BUILD_TIME);
    // For a look by hand (epubcheck, a reader, chromium): EPUB_TEST_OUT=/tmp/book.epub
    if let Ok(path) = std::env::var("EPUB_TEST_OUT") {
        std::fs::write(path, &first).expect("write EPUB_TEST_OUT");
    }
    assert_eq!(first, write(&doc, BUILD_TIME));
    assert_ne!(
        first,
        write(&doc, BUILD_TIME + 86_400),
        "the build time is used"
    );
}

/// epubcheck on `bytes` written as `<name>.epub`: 0 fatal, 0 errors, 0 warnings.
fn epubcheck(name: &str, bytes: &[u8]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(format!("{name}.epub"));
    std::fs::write(&path, bytes).expect("write epub");
    common::epubcheck(&path);
}

#[test]
fn epubcheck_reports_nothing() {
    epubcheck("book", &write(&rich_document(), BUILD_TIME));
    epubcheck("handout", &write(&handout(), BUILD_TIME));
    let mut english = rich_document();
    english.meta.language = "en".into();
    english.meta.identifier = Some("urn:isbn:9782000000000".into());
    english.meta.date = Some("mai 2024".into());
    let bytes = write(&english, BUILD_TIME);
    let pkg = open(&bytes);
    let opf = parse_opf(&pkg);
    assert_eq!(opf.unique_identifier, "urn:isbn:9782000000000");
    assert!(opf.values("dc:date").is_empty(), "no invalid dc:date");
    epubcheck("english", &bytes);
}

/// Awkward but legal content: odd ids and attributes kept from raw HTML, nested notes, every
/// inline, GIF and SVG images, an image without alt text, a `{:toc}` block.
fn awkward_document() -> Document {
    let mut doc = rich_document();
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10" fill="teal"/></svg>"#.to_vec();
    doc.assets
        .push(asset("img/schéma.svg", ImageFormat::Svg, svg));
    doc.assets.push(asset(
        "img/anim.gif",
        ImageFormat::Gif,
        encoded(image::ImageFormat::Gif),
    ));
    let blocks = vec![
        Block::Toc,
        heading(2, "été-2024", "Été 2024 & après"),
        Block::Div {
            attr: Attr {
                id: Some("x:y.z".into()),
                classes: vec!["a".into(), "b-c".into()],
                attributes: vec![
                    ("data-role".into(), "box \"quoted\" <tag>".into()),
                    ("style".into(), "color: red".into()),
                    ("onclick".into(), "alert(1)".into()),
                    ("title".into(), "l’été".into()),
                ],
            },
            blocks: vec![para(vec![
                Inline::Strikeout(vec![text("barré")]),
                Inline::Superscript(vec![text("e")]),
                Inline::Subscript(vec![text("2")]),
                Inline::LineBreak,
                Inline::SoftBreak,
                Inline::Strong(vec![text("fort")]),
                Inline::Link {
                    target: LinkTarget::External("mailto:contact@example.org".into()),
                    title: Some("Écrire \"vite\"".into()),
                    content: vec![text("courriel")],
                    pos: Pos::default(),
                },
                Inline::Note(vec![para(vec![
                    text("Note avec une note"),
                    Inline::Note(vec![para(vec![text("Note dans la note.")])]),
                ])]),
            ])],
        },
        Block::OrderedList {
            start: 3,
            items: vec![
                vec![para(vec![image(2, "Schéma")])],
                vec![para(vec![image(3, "")])],
                vec![Block::CodeBlock {
                    lang: None,
                    text: "<html> & \u{0}\u{7} ]]>".into(),
                }],
            ],
        },
        Block::Heading {
            level: 2,
            attr: Attr::default(),
            content: vec![text("Sans id")],
        },
        para(vec![
            Inline::Span {
                attr: Attr {
                    id: Some("ancre".into()),
                    ..Attr::default()
                },
                content: vec![],
            },
            link(to_chapter("annexe-été", Some("été-2024")), "ici"),
            link(
                LinkTarget::Source("/faq/ailleurs.html".into()),
                "non résolu",
            ),
            link(LinkTarget::Page("_posts/x.md".into()), "page"),
        ]),
    ];
    doc.chapters.push(chapter(
        "annexe-été",
        ChapterKind::Appendix,
        "Annexe <été>",
        blocks,
    ));
    doc
}

#[test]
fn awkward_content_still_makes_a_valid_book() {
    let doc = awkward_document();
    let bytes = write(&doc, BUILD_TIME);
    let pkg = open(&bytes);
    let opf = parse_opf(&pkg);
    assert_eq!(
        opf.spine.last().map(String::as_str),
        Some("annexe-ete.xhtml")
    );
    // One image has no alt text: no alternativeText claim, and text alone is not enough.
    assert!(
        !opf.values("schema:accessibilityFeature")
            .contains(&"alternativeText")
    );
    assert_eq!(
        opf.values("schema:accessModeSufficient"),
        ["textual,visual"]
    );
    let types: BTreeSet<&str> = opf.manifest.values().map(|(_, t)| t.as_str()).collect();
    assert!(types.contains("image/svg+xml") && types.contains("image/gif"));
    let annex = pkg.text("OEBPS/annexe-ete.xhtml");
    if std::env::var("EPUB_TEST_SHOW").is_ok() {
        eprintln!("{annex}");
    }
    parse_xml(annex).unwrap_or_else(|e| panic!("{e}\n{annex}"));
    assert!(!annex.contains("onclick"), "no event handlers");
    assert!(annex.contains("href=\"annexe-ete.xhtml#"), "{annex}");
    epubcheck("awkward", &bytes);
}

#[test]
fn a_big_book_stays_valid() {
    let mut doc = rich_document();
    let template = doc.chapters[1].clone();
    for n in 0..40 {
        let mut chapter = template.clone();
        chapter.id = format!("persona-{n}");
        chapter.title = format!("Persona {n}");
        // Ids are global in the book: give this copy its own.
        for block in &mut chapter.blocks {
            if let Block::Heading { attr, .. } | Block::Div { attr, .. } = block {
                attr.id = attr.id.as_ref().map(|id| format!("{id}-{n}"));
            }
        }
        doc.chapters.push(chapter);
    }
    let bytes = write(&doc, BUILD_TIME);
    assert_eq!(parse_opf(&open(&bytes)).spine.len(), 1 + 1 + 4 + 40);
    epubcheck("big", &bytes);
}

#[test]
fn theme_overrides_the_stylesheet_and_empty_language_falls_back_to_french() {
    let theme_dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(theme_dir.path().join("epub")).expect("mkdir");
    let css = "body { color: #222; }\n";
    std::fs::write(theme_dir.path().join("epub/style.css"), css).expect("write css");
    let mut ctx = context(BUILD_TIME);
    ctx.theme = Theme::new(Some(theme_dir.path().to_path_buf()));
    let mut doc = rich_document();
    doc.meta.language = " ".into();
    let mut diags = Diagnostics::new();
    let pkg = open(&write_epub(&doc, &ctx, &mut diags).expect("EPUB written"));
    assert_eq!(pkg.text("OEBPS/stylesheet.css"), css);
    let opf = parse_opf(&pkg);
    assert_eq!(opf.values("dc:language"), ["fr"]);
    // parse_documents checks lang="fr" on every content document.
    assert_eq!(parse_documents(&pkg, &opf).ids.len(), 6);
}

/// The default corpus and the English fixture, loaded and written as `livret build` does.
fn corpus_epub(dir: &std::path::Path) -> Vec<u8> {
    let mut diags = Diagnostics::new();
    let (_, doc) = livret::load_document(dir, &mut diags).expect("corpus loads");
    assert!(!diags.has_errors(), "{:?}", diags.items());
    write(&doc, BUILD_TIME)
}

/// Every failed assertion of an Ace report, at any level, as "impact rule (document)".
fn ace_failures(value: &serde_json::Value, document: &str, out: &mut Vec<String>) {
    let document = value["earl:testSubject"]["url"]
        .as_str()
        .unwrap_or(document);
    if value["earl:result"]["earl:outcome"] == "fail"
        && let Some(rule) = value["earl:test"]["dct:title"].as_str()
    {
        let impact = value["earl:test"]["earl:impact"].as_str().unwrap_or("?");
        out.push(format!("{impact} {rule} ({document})"));
    }
    for child in value["assertions"].as_array().into_iter().flatten() {
        ace_failures(child, document, out);
    }
}

/// Ace by DAISY (in headless Chromium): no violation at any level, on the default corpus's
/// EPUB and on the English fixture's.
#[test]
fn ace_by_daisy_reports_no_violation() {
    let Some(tools) = common::a11y::checkers(".bin/ace-cli") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, corpus) in [
        ("default", common::repo().join("content")),
        ("english", common::fixture("lang-en-site")),
    ] {
        let book = dir.path().join(format!("{name}.epub"));
        std::fs::write(&book, corpus_epub(&corpus)).unwrap();
        let report_dir = dir.path().join(format!("{name}-ace"));
        let o = std::process::Command::new(tools.node_modules.join(".bin/ace-cli"))
            .args(["--force", "--silent", "--outdir"])
            .arg(&report_dir)
            .arg(&book)
            .env("PUPPETEER_EXECUTABLE_PATH", &tools.chrome)
            .env("PUPPETEER_SKIP_DOWNLOAD", "1")
            .output()
            .unwrap();
        let report = std::fs::read(report_dir.join("report.json")).unwrap_or_else(|e| {
            panic!(
                "ace wrote no report ({e}): {}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        });
        let report: serde_json::Value = serde_json::from_slice(&report).unwrap();
        let mut failures = Vec::new();
        for assertion in report["assertions"].as_array().into_iter().flatten() {
            ace_failures(assertion, "?", &mut failures);
        }
        assert!(failures.is_empty(), "Ace on {name}: {failures:#?}");
        assert_eq!(report["earl:result"]["earl:outcome"], "pass", "{name}");
    }
}

/// A page's `{:toc}` list is the HTML's business: the EPUB has its navigation document. Notes
/// carry their ARIA roles beside their `epub:type`.
#[test]
fn corpus_epub_drops_page_toc_and_marks_notes() {
    let pkg = open(&corpus_epub(&common::repo().join("content")));
    let opf = parse_opf(&pkg);
    let chapters: Vec<String> = opf
        .spine
        .iter()
        .filter(|f| !["titlepage.xhtml", "nav.xhtml"].contains(&f.as_str()))
        .map(|f| pkg.text(&format!("OEBPS/{f}")).to_string())
        .collect();
    assert!(!chapters.is_empty());
    assert!(chapters.iter().all(|c| !c.contains("page-toc")));
    let all = chapters.concat();
    assert!(all.contains("epub:type=\"noteref\" role=\"doc-noteref\""));
    assert!(all.contains("epub:type=\"footnote\" role=\"doc-footnote\""));
    assert!(pkg.text("OEBPS/nav.xhtml").contains("role=\"doc-toc\""));
}
