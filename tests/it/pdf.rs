//! The PDF writer on hand-built documents, checked with real tools (qpdf, poppler) and lopdf.

use crate::common;

use common::doc::{asset, chapter, heading, image, link, para, text, to_chapter};
use common::type0_font_names;
use livret::diag::Diagnostics;
use livret::ir::*;
use livret::theme::Theme;
use livret::write::WriteContext;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

const BUILD_TIME: i64 = 1_714_521_600; // 2024-05-01T00:00:00Z

fn internal(chapter: &str, anchor: Option<&str>, label: &str) -> Inline {
    link(to_chapter(chapter, anchor), label)
}

fn external(url: &str, label: &str) -> Inline {
    link(LinkTarget::External(url.into()), label)
}

fn png_with_alpha() -> Vec<u8> {
    let img = image::RgbaImage::from_fn(300, 150, |x, y| {
        image::Rgba([
            (x % 256) as u8,
            (y % 256) as u8,
            120,
            if x < 150 { 255 } else { 60 },
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

fn grey_png() -> Vec<u8> {
    let img = image::GrayImage::from_fn(120, 80, |x, _| image::Luma([(x * 2) as u8]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageLuma8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(400, 300, |x, y| {
        image::Rgb([(x / 2) as u8, (y / 2) as u8, 200])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode jpeg");
    out.into_inner()
}

fn lorem(n: usize) -> String {
    let words = [
        "Les",
        "données",
        "publiques",
        "ouvertes",
        "permettent",
        "aux",
        "citoyens",
        "de",
        "comprendre",
        "l’action",
        "administrative",
        "et",
        "d’en",
        "débattre",
        "librement",
        "grâce",
        "à",
        "une",
        "information",
        "accessible",
        "réutilisable",
        "documentée",
        "gratuitement",
    ];
    (0..n)
        .map(|k| words[k % words.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

fn rich_document() -> Document {
    let intro = chapter(
        "introduction",
        ChapterKind::Introduction,
        "Découvrir l’open data",
        vec![
            para(vec![text(&format!("Bienvenue\u{a0}! {}", lorem(120)))]),
            para(vec![
                text("Voir la "),
                internal("citoyen", Some("qu-est-ce"), "question du citoyen"),
                text(" ou le "),
                internal("developpeur", None, "parcours développeur"),
                text(", et le site "),
                external("https://www.data.gouv.fr/fr/", "data.gouv.fr"),
                text(". Un mot immense\u{202f}: "),
                text(
                    "anticonstitutionnellementanticonstitutionnellementanticonstitutionnellementanticonstitutionnellement",
                ),
                text(" puis une adresse "),
                external(
                    "https://www.data.gouv.fr/fr/datasets/base-adresse-nationale/very/long/path/that/does/not/fit/on/one/line/at/all/index.html",
                    "https://www.data.gouv.fr/fr/datasets/base-adresse-nationale/very/long/path/that/does/not/fit/on/one/line/at/all/index.html",
                ),
                text(" et un émoji 😀 pour finir « œuvre »… 漢字"),
            ]),
        ],
    );
    let citoyen = chapter(
        "citoyen",
        ChapterKind::Persona,
        "En tant que citoyen",
        vec![
            heading(2, "qu-est-ce", "Qu’est-ce que l’open data ?"),
            para(vec![
                text(&lorem(60)),
                Inline::Note(vec![para(vec![text("Une note de bas de page avec des détails précis.")])]),
                text(" "),
                Inline::Strong(vec![text("important")]),
                text(" et "),
                Inline::Emph(vec![text("souligné")]),
                text(", "),
                Inline::Code("let x = 42;".into()),
                text(" fin"),
                Inline::Superscript(vec![text("e")]),
                text("."),
            ]),
            Block::BulletList(vec![
                vec![Block::Plain(vec![text("premier point de la liste")])],
                vec![
                    Block::Plain(vec![text("second point avec une sous-liste")]),
                    Block::OrderedList {
                        start: 3,
                        items: vec![
                            vec![Block::Plain(vec![text("troisième élément numéroté")])],
                            vec![Block::Plain(vec![text("quatrième élément numéroté")])],
                        ],
                    },
                ],
            ]),
            Block::BlockQuote(vec![para(vec![text("Une citation mise en retrait, sobre et lisible.")])]),
            heading(2, "tableau", "Un tableau"),
            Block::Table {
                aligns: vec![Align::Left, Align::Center, Align::None],
                head: vec![vec![text("Jeu de données")], vec![text("Format")], vec![text("Description")]],
                rows: vec![
                    vec![vec![text("Base adresse")], vec![text("CSV")], vec![text(&lorem(30))]],
                    vec![vec![text("Cadastre")], vec![text("GeoJSON")], vec![text("Parcelles cadastrales de toute la France")]],
                ],
            },
            heading(3, "code", "Du code"),
            Block::CodeBlock {
                lang: Some("python".into()),
                text: "import requests\n\nresponse = requests.get(\"https://www.data.gouv.fr/api/1/datasets/?q=adresse&page_size=20&sort=-created\", timeout=30)\nfor d in response.json()[\"data\"]:\n    print(d[\"title\"])\n".into(),
            },
            Block::ThematicBreak,
            para(vec![image(0, "Un graphique en couleurs")]),
            para(vec![image(1, "Une photo")]),
            para(vec![image(2, "Un dégradé gris")]),
            para(vec![image(3, "Un schéma vectoriel")]),
            para(vec![text(&lorem(200))]),
        ],
    );
    let dev = chapter(
        "developpeur",
        ChapterKind::Persona,
        "En tant que développeur",
        vec![
            heading(2, "api", "L’API"),
            para(vec![
                text(&lorem(40)),
                Inline::Note(vec![para(vec![text("Seconde note.")])]),
                text(" Retour vers "),
                internal("citoyen", Some("tableau"), "le tableau"),
                text("."),
            ]),
            heading(2, "limites", "Les limites"),
            para(vec![text(&lorem(80))]),
        ],
    );
    Document {
        meta: Meta {
            name: "faq".into(),
            title: "Découvrir l’OpenData".into(),
            subtitle: Some("Questions fréquentes".into()),
            summary: Some("Tout savoir sur les données ouvertes, selon votre profil.".into()),
            publisher: Some("Etalab".into()),
            date: Some("2024-05-01".into()),
            ..Default::default()
        },
        chapters: vec![intro, citoyen, dev],
        assets: vec![
            asset("images/chart.png", ImageFormat::Png, png_with_alpha()),
            asset("images/photo.jpg", ImageFormat::Jpeg, jpeg()),
            asset("images/grey.png", ImageFormat::Png, grey_png()),
            asset("images/schema.svg", ImageFormat::Svg, b"<svg/>".to_vec()),
        ],
    }
}

fn context() -> WriteContext {
    WriteContext {
        theme: Theme::default(),
        build_time: BUILD_TIME,
        version: "0.1.0",
        jobs: 2,
    }
}

fn write(doc: &Document) -> (Vec<u8>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let bytes = livret::write::pdf::write_pdf(doc, &context(), &mut diags).expect("pdf written");
    (bytes, diags)
}

/// The rich document, written once for the tests that only read it (a debug build is slow).
fn rich() -> (Vec<u8>, Diagnostics) {
    static RICH: std::sync::OnceLock<(Vec<u8>, Diagnostics)> = std::sync::OnceLock::new();
    RICH.get_or_init(|| write(&rich_document())).clone()
}

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pdf");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    dir
}

fn save(name: &str, bytes: &[u8]) -> PathBuf {
    let path = out_dir().join(name);
    std::fs::write(&path, bytes).expect("write pdf");
    path
}

/// Whether `tool` runs; in CI a missing tool fails the test.
fn have(tool: &str) -> bool {
    common::require_tool(tool, &["-v"])
}

fn run(tool: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(tool).args(args).output().expect("tool runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn pdftotext(path: &std::path::Path, mode: &str) -> Vec<String> {
    let (ok, text, err) = run("pdftotext", &[mode, path.to_str().expect("utf8 path"), "-"]);
    assert!(ok, "pdftotext failed: {err}");
    text.split('\u{c}').map(str::to_string).collect()
}

#[test]
fn qpdf_check_passes_without_warnings() {
    if !have("qpdf") {
        return;
    }
    let (bytes, _) = rich();
    let path = save("rich.pdf", &bytes);
    let (ok, out, err) = run("qpdf", &["--check", path.to_str().expect("utf8")]);
    assert!(ok, "qpdf --check failed:\n{out}\n{err}");
    assert!(
        !out.to_lowercase().contains("warning") && err.trim().is_empty(),
        "qpdf warnings:\n{out}\n{err}"
    );
}

#[test]
fn every_font_is_embedded() {
    if !have("pdffonts") {
        return;
    }
    let (bytes, _) = rich();
    let path = save("fonts.pdf", &bytes);
    let (ok, out, err) = run("pdffonts", &[path.to_str().expect("utf8")]);
    assert!(ok, "{err}");
    let rows: Vec<&str> = out.lines().skip(2).collect();
    assert!(rows.len() >= 2, "{out}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type encoding emb sub uni object ID
        let emb = cols.get(cols.len() - 5).copied();
        assert_eq!(emb, Some("yes"), "font not embedded: {row}");
    }
    assert!(out.contains("DejaVuSerif"), "{out}");
    assert!(out.contains("DejaVuSansMono"), "{out}");
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace())
        .map(|w| w.replace('-', ""))
        .filter(|w| !w.is_empty())
        .collect()
}

fn normalise(text: &str) -> String {
    // Hyphens (added or not) and the code continuation mark are not words.
    let text: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '↪')
        .collect();
    // Nor is the page an internal link is followed by, "(p. 12)".
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("(p.") {
        let after = &rest[at + 3..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        out.push_str(&rest[..at]);
        if digits > 0 && after[digits..].starts_with(')') {
            rest = &after[digits + 1..];
        } else {
            out.push_str("(p.");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn paragraphs(blocks: &[Block], out: &mut Vec<String>) {
    for block in blocks {
        match block {
            Block::Para(i) | Block::Plain(i) => out.push(plain_text(i)),
            Block::BulletList(items) | Block::OrderedList { items, .. } => {
                items.iter().for_each(|b| paragraphs(b, out))
            }
            Block::BlockQuote(b) | Block::Div { blocks: b, .. } => paragraphs(b, out),
            Block::CodeBlock { text, .. } => out.push(text.clone()),
            Block::Table { head, rows, .. } => head
                .iter()
                .chain(rows.iter().flatten())
                .for_each(|c| out.push(plain_text(c))),
            Block::Heading { content, .. } => out.push(plain_text(content)),
            Block::ThematicBreak | Block::Toc => {}
        }
    }
}

#[test]
fn no_word_is_lost_and_chapters_come_in_order() {
    if !have("pdftotext") {
        return;
    }
    let doc = rich_document();
    let (bytes, diags) = rich();
    let path = save("words.pdf", &bytes);
    let pages = pdftotext(&path, "-layout");
    // Content-stream order keeps table cells and wrapped words together.
    let raw = pdftotext(&path, "-raw");
    let text = normalise(&raw.join("\n"));
    let mut paras = Vec::new();
    for chapter in &doc.chapters {
        paragraphs(&chapter.blocks, &mut paras);
    }
    for p in paras {
        for word in words(&p) {
            // The emoji is left out, a letter the fonts lack is replaced by a fallback glyph
            // (each with a warning).
            let word = word
                .replace('😀', "")
                .replace(['漢', '字'], "\u{fffd}")
                .replace(['\u{a0}', '\u{202f}'], "");
            assert!(
                text.contains(&word),
                "word {word:?} missing from the PDF text"
            );
        }
    }
    // Chapter titles in order, after the contents pages.
    let mut from = pages
        .iter()
        .position(|p| p.contains("Bienvenue"))
        .expect("intro page");
    for chapter in &doc.chapters {
        let found = pages[from..]
            .iter()
            .position(|p| p.contains(&chapter.title));
        let found = found.unwrap_or_else(|| panic!("chapter {} not found in order", chapter.title));
        from += found;
    }
    let warned = |code: &str| {
        diags
            .items()
            .iter()
            .filter(|d| d.message.contains(code))
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
    };
    let emoji = warned("U+1F600");
    assert_eq!(emoji.len(), 1, "one warning for the emoji: {emoji:?}");
    assert!(emoji[0].ends_with("left out"), "{emoji:?}");
    let kanji = warned("U+6F22");
    assert_eq!(kanji.len(), 1, "one warning for 漢: {:?}", diags.items());
    assert!(kanji[0].contains("printed as '\u{fffd}'"), "{kanji:?}");
    assert!(!text.contains('😀'));
    // The SVG is drawn (rasterised), not replaced by its alt text.
    assert!(
        !diags
            .items()
            .iter()
            .any(|d| d.message.contains("schema.svg")),
        "{:?}",
        diags.items()
    );
}

#[test]
fn same_input_same_bytes() {
    let doc = rich_document();
    let (a, _) = rich();
    let (b, _) = write(&doc);
    assert!(a == b, "two writes differ");
    assert!(a.starts_with(b"%PDF-1.7"));
}

fn load(bytes: &[u8]) -> lopdf::Document {
    lopdf::Document::load_mem(bytes).expect("lopdf reads it")
}

fn text_of(o: &lopdf::Object) -> String {
    match o {
        lopdf::Object::String(b, _) if b.starts_with(&[0xFE, 0xFF]) => {
            let units: Vec<u16> = b[2..]
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        lopdf::Object::String(b, _) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    }
}

#[test]
fn metadata_language_and_compression() {
    let (bytes, _) = rich();
    let pdf = load(&bytes);
    let info_id = pdf
        .trailer
        .get(b"Info")
        .and_then(|o| o.as_reference())
        .expect("Info");
    let info = pdf.get_dictionary(info_id).expect("Info dict");
    assert_eq!(
        text_of(info.get(b"Title").expect("Title")),
        "Découvrir l’OpenData"
    );
    assert_eq!(text_of(info.get(b"Author").expect("Author")), "Etalab");
    assert!(text_of(info.get(b"Subject").expect("Subject")).starts_with("Tout savoir"));
    assert_eq!(
        text_of(info.get(b"Creator").expect("Creator")),
        "livret 0.1.0"
    );
    assert!(info.get(b"Producer").is_ok());
    assert_eq!(
        text_of(info.get(b"CreationDate").expect("date")),
        "D:20240501000000+00'00'"
    );
    let catalog = pdf.catalog().expect("catalog");
    assert_eq!(text_of(catalog.get(b"Lang").expect("Lang")), "fr");
    assert!(pdf.trailer.get(b"ID").is_ok());
    for (id, object) in &pdf.objects {
        if let lopdf::Object::Stream(s) = object {
            // XMP stays plain text, readable by tools that scan for it (ISO 16684-1); the
            // cross-reference stream is lopdf's index of the file.
            let kind = s.dict.get(b"Type").and_then(|t| t.as_name()).ok();
            if kind == Some(b"Metadata") || kind == Some(b"XRef") {
                continue;
            }
            assert!(
                s.dict.get(b"Filter").is_ok(),
                "stream {id:?} is not compressed: {:?}",
                s.dict
            );
        }
    }
    // The JPEG is embedded as DCT, not re-encoded.
    let dct = pdf.objects.values().filter(|o| {
        matches!(o, lopdf::Object::Stream(s) if s.dict.get(b"Filter").and_then(|f| f.as_name()).is_ok_and(|n| n == b"DCTDecode"))
    });
    assert_eq!(dct.count(), 1);
}

fn page_index(pdf: &lopdf::Document) -> BTreeMap<lopdf::ObjectId, usize> {
    pdf.get_pages()
        .into_iter()
        .map(|(n, id)| (id, n as usize))
        .collect()
}

fn count_ir_links(blocks: &[Block], uri: &mut usize, goto: &mut usize, notes: &mut usize) {
    fn inl(inlines: &[Inline], uri: &mut usize, goto: &mut usize, notes: &mut usize) {
        for i in inlines {
            match i {
                Inline::Link {
                    target, content, ..
                } => {
                    match target {
                        LinkTarget::External(_) => *uri += 1,
                        LinkTarget::Internal { .. } => *goto += 1,
                        _ => {}
                    }
                    inl(content, uri, goto, notes);
                }
                Inline::Emph(c)
                | Inline::Strong(c)
                | Inline::Strikeout(c)
                | Inline::Superscript(c)
                | Inline::Subscript(c)
                | Inline::Span { content: c, .. } => inl(c, uri, goto, notes),
                Inline::Note(b) => {
                    *notes += 1;
                    count_ir_links(b, uri, goto, notes)
                }
                _ => {}
            }
        }
    }
    for block in blocks {
        match block {
            Block::Para(i) | Block::Plain(i) | Block::Heading { content: i, .. } => {
                inl(i, uri, goto, notes)
            }
            Block::BulletList(items) | Block::OrderedList { items, .. } => items
                .iter()
                .for_each(|b| count_ir_links(b, uri, goto, notes)),
            Block::BlockQuote(b) | Block::Div { blocks: b, .. } => {
                count_ir_links(b, uri, goto, notes)
            }
            Block::Table { head, rows, .. } => head
                .iter()
                .chain(rows.iter().flatten())
                .for_each(|c| inl(c, uri, goto, notes)),
            _ => {}
        }
    }
}

#[test]
fn outline_links_and_contents_point_at_the_right_pages() {
    if !have("pdftotext") {
        return;
    }
    let doc = rich_document();
    let (bytes, _) = rich();
    let path = save("links.pdf", &bytes);
    let pages = pdftotext(&path, "-layout");
    let pdf = load(&bytes);
    let index = page_index(&pdf);

    // Running header and footer on every page but the title page.
    let total = pdf.get_pages().len();
    let squeezed = |p: &str| p.replace(' ', "");
    assert!(!squeezed(&pages[0]).contains(&format!("1/{total}")));
    for (i, page) in pages.iter().enumerate().take(total).skip(1) {
        assert!(
            squeezed(page).contains(&format!("{}/{total}", i + 1)),
            "footer on page {}",
            i + 1
        );
        assert!(
            page.contains("Découvrir l’OpenData ·"),
            "header on page {}",
            i + 1
        );
    }
    assert!(
        pages.iter().any(|p| p.contains("↪")),
        "long code line continued"
    );

    // Outline: one entry per chapter, its `##` sections under it.
    let catalog = pdf.catalog().expect("catalog");
    let outlines = pdf
        .get_dictionary(
            catalog
                .get(b"Outlines")
                .and_then(|o| o.as_reference())
                .expect("Outlines"),
        )
        .expect("dict");
    let mut entry = outlines.get(b"First").and_then(|o| o.as_reference()).ok();
    let mut titles = Vec::new();
    while let Some(id) = entry {
        let dict = pdf.get_dictionary(id).expect("outline item");
        let mut children = Vec::new();
        let mut child = dict.get(b"First").and_then(|o| o.as_reference()).ok();
        while let Some(cid) = child {
            let c = pdf.get_dictionary(cid).expect("child");
            children.push(text_of(c.get(b"Title").expect("title")));
            child = c.get(b"Next").and_then(|o| o.as_reference()).ok();
        }
        titles.push((text_of(dict.get(b"Title").expect("title")), children));
        entry = dict.get(b"Next").and_then(|o| o.as_reference()).ok();
    }
    let expected: Vec<(String, Vec<String>)> = doc
        .chapters
        .iter()
        .map(|c| {
            let sections = c
                .blocks
                .iter()
                .filter_map(|b| match b {
                    Block::Heading {
                        level: 2, content, ..
                    } => Some(plain_text(content)),
                    _ => None,
                })
                .collect();
            (c.title.clone(), sections)
        })
        .collect();
    assert_eq!(titles, expected);

    // Annotations: URI and GoTo counts match the IR (GoTo: internal links, two per footnote, one
    // per contents line).
    let (mut uri, mut goto, mut notes) = (0, 0, 0);
    for c in &doc.chapters {
        count_ir_links(&c.blocks, &mut uri, &mut goto, &mut notes);
    }
    let toc_lines: usize = expected.iter().map(|(_, s)| 1 + s.len()).sum();
    let mut found_uri = 0;
    let mut gotos = Vec::new();
    for (&n, &pid) in &pdf.get_pages() {
        for annot in pdf.get_page_annotations(pid).expect("annots") {
            if let Ok(a) = annot.get(b"A").and_then(|a| a.as_dict()) {
                assert_eq!(a.get(b"S").and_then(|s| s.as_name()).expect("S"), b"URI");
                found_uri += 1;
            } else {
                let dest = annot.get(b"Dest").and_then(|d| d.as_array()).expect("Dest");
                let target = dest[0].as_reference().expect("page ref");
                gotos.push((n as usize, index[&target]));
            }
        }
    }
    assert_eq!(found_uri, uri);
    assert_eq!(gotos.len(), goto + 2 * notes + toc_lines);

    // A GoTo lands on the page where its target heading is; TOC numbers are chapter pages.
    let page_with = |needle: &str| {
        pages
            .iter()
            .rposition(|p| p.contains(needle))
            .map(|i| i + 1)
    };
    let table_page = page_with("Un tableau").expect("table heading");
    let dev_page = pages
        .iter()
        .position(|p| p.contains("L’API"))
        .map(|i| i + 1)
        .expect("dev");
    let from_dev: Vec<_> = gotos.iter().filter(|(from, _)| *from == dev_page).collect();
    assert!(
        from_dev.iter().any(|(_, to)| *to == table_page),
        "GoTo to the table heading: {from_dev:?}, table on {table_page}"
    );
    let toc = &pages[1];
    for c in &doc.chapters {
        let start = pages
            .iter()
            .enumerate()
            .skip(2)
            .find(|(_, p)| p.contains(&c.title))
            .map(|(i, _)| i + 1)
            .expect("chapter page");
        let line = toc
            .lines()
            .find(|l| l.contains(&c.title))
            .unwrap_or_else(|| panic!("{} not in contents:\n{toc}", c.title));
        let number: usize = line
            .split_whitespace()
            .last()
            .and_then(|n| n.parse().ok())
            .expect("page number");
        assert_eq!(number, start, "contents line {line:?}");
    }
}

#[test]
fn letter_size_and_split_handout_title() {
    if !have("pdftotext") {
        return;
    }
    let mut doc = rich_document();
    doc.meta.page_size = PageSize::Letter;
    doc.meta.persona = Some("citoyen".into());
    doc.chapters.retain(|c| c.id == "citoyen");
    let (bytes, _) = write(&doc);
    let pdf = load(&bytes);
    let first = *pdf.get_pages().get(&1).expect("page 1");
    let media = pdf
        .get_dictionary(first)
        .expect("page")
        .get(b"MediaBox")
        .and_then(|m| m.as_array())
        .expect("MediaBox")
        .clone();
    let width = match &media[2] {
        lopdf::Object::Real(r) => f64::from(*r),
        lopdf::Object::Integer(i) => *i as f64,
        _ => 0.0,
    };
    assert!((width - 612.0).abs() < 1.0, "Letter width {width}");
    let path = save("letter.pdf", &bytes);
    let pages = pdftotext(&path, "-layout");
    assert!(
        pages[0].contains("Profil") && pages[0].contains("En tant que citoyen"),
        "{}",
        pages[0]
    );
    assert!(pages[0].contains("Découvrir l’OpenData"));
}

#[test]
fn only_fonts_in_use_are_embedded_each_tagged_by_its_subset() {
    let (rich_bytes, _) = rich();
    let rich_fonts = type0_font_names(&load(&rich_bytes));
    assert!(
        rich_fonts.iter().any(|n| n.ends_with("+DejaVuSansMono")),
        "{rich_fonts:?}"
    );
    // Code is one mono face in every style: embedded once.
    assert_eq!(
        rich_fonts
            .iter()
            .filter(|n| n.ends_with("+DejaVuSansMono"))
            .count(),
        1,
        "{rich_fonts:?}"
    );

    let mut plain = rich_document();
    plain.chapters = vec![chapter(
        "seul",
        ChapterKind::Persona,
        "Seul",
        vec![para(vec![text("Un paragraphe sans code.")])],
    )];
    let (plain_bytes, _) = write(&plain);
    let plain_pdf = load(&plain_bytes);
    let plain_fonts = type0_font_names(&plain_pdf);
    assert!(
        plain_fonts.iter().all(|n| !n.contains("Mono")),
        "a book without code embeds no mono face: {plain_fonts:?}"
    );
    let untyped: Vec<&str> = plain_pdf
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter_map(|d| d.get(b"BaseFont").and_then(|n| n.as_name()).ok())
        .filter_map(|n| std::str::from_utf8(n).ok())
        .filter(|n| !n.contains('+'))
        .collect();
    assert!(untyped.is_empty(), "fonts not embedded: {untyped:?}");

    // Widths are listed for the glyphs used only (printpdf lists the whole face: ≈ 48 KB each).
    let cid_fonts: Vec<&lopdf::Dictionary> = plain_pdf
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.get(b"Subtype").and_then(|s| s.as_name()).ok() == Some(b"Type0"))
        .filter_map(|d| d.get(b"DescendantFonts").and_then(|a| a.as_array()).ok())
        .filter_map(|a| match a.first()? {
            lopdf::Object::Reference(r) => plain_pdf.get_dictionary(*r).ok(),
            other => other.as_dict().ok(),
        })
        .collect();
    assert!(!cid_fonts.is_empty());
    for font in cid_fonts {
        let w = font
            .get(b"W")
            .and_then(|w| w.as_array())
            .expect("a /W array");
        let listed: usize = w
            .iter()
            .filter_map(|o| o.as_array().ok())
            .map(Vec::len)
            .sum();
        // "Un paragraphe sans code.", the title, the header, page numbers, the title page.
        assert!(
            (1..80).contains(&listed),
            "{listed} widths listed in {} entries",
            w.len()
        );
    }

    // Different glyph sets, different tags; the face name after the tag is the same.
    let serif = |names: &[String]| {
        names
            .iter()
            .find(|n| n.ends_with("+DejaVuSerif"))
            .cloned()
            .expect("serif face")
    };
    assert_ne!(serif(&rich_fonts), serif(&plain_fonts));
}

/// The rich document's metadata with one chapter holding one two-column table.
fn table_document(head: Vec<Vec<Inline>>, rows: Vec<Vec<Vec<Inline>>>) -> Document {
    let mut doc = rich_document();
    doc.chapters = vec![chapter(
        "tableau",
        ChapterKind::Persona,
        "Tableau",
        vec![Block::Table {
            aligns: vec![Align::Left, Align::Left],
            head,
            rows,
        }],
    )];
    doc
}

#[test]
fn a_table_over_several_pages_repeats_its_header_row() {
    let cell = |s: String| vec![text(&s)];
    let rows: Vec<Vec<Vec<Inline>>> = (1..=150)
        .map(|n| vec![cell(format!("ligne{n}")), cell(format!("valeur{n}"))])
        .collect();
    let doc = table_document(vec![cell("Entête".into()), cell("Valeur".into())], rows);
    let (bytes, _) = write(&doc);
    if !have("pdftotext") {
        return;
    }
    let path = save("long-table.pdf", &bytes);
    let pages = pdftotext(&path, "-layout");
    let with_rows: Vec<&String> = pages.iter().filter(|p| p.contains("ligne")).collect();
    assert!(with_rows.len() >= 3, "{} pages of rows", with_rows.len());
    for page in &with_rows {
        assert!(
            page.contains("Entête"),
            "page without the header row:\n{page}"
        );
    }
    // Every row once, in order: the header is repeated, rows never are.
    let all = pages.concat();
    let mut last = 0;
    for n in 1..=150 {
        let word = format!("ligne{n} ");
        assert_eq!(all.matches(&word).count(), 1, "{word}");
        let at = all.find(&word).expect("row");
        assert!(at > last, "row {n} out of order");
        last = at;
    }
    if have("qpdf") {
        let (ok, out, err) = run("qpdf", &["--check", path.to_str().expect("utf8")]);
        assert!(ok, "{out}{err}");
    }
}

#[test]
fn a_header_row_taller_than_a_page_is_set_once_and_nothing_is_lost() {
    let cell = |s: String| vec![text(&s)];
    let tall_head = (0..1500)
        .map(|n| format!("tête{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    let tall_row = (0..1500)
        .map(|n| format!("corps{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut rows: Vec<Vec<Vec<Inline>>> = (1..=60)
        .map(|n| vec![cell(format!("ligne{n}")), cell("x".into())])
        .collect();
    rows.insert(30, vec![cell(tall_row), cell("y".into())]);
    let doc = table_document(vec![cell(tall_head), cell("Valeur".into())], rows);
    let (bytes, _) = write(&doc);
    if !have("pdftotext") {
        return;
    }
    let path = save("tall-table.pdf", &bytes);
    let all = pdftotext(&path, "-raw").concat();
    let count = |word: &str| all.split_whitespace().filter(|w| *w == word).count();
    // The header is set once (it would fill pages if repeated); every word of it, and of the
    // tall row, and every other row, once.
    for n in 0..1500 {
        assert_eq!(count(&format!("tête{n}")), 1, "tête{n}");
        assert_eq!(count(&format!("corps{n}")), 1, "corps{n}");
    }
    for n in 1..=60 {
        assert_eq!(count(&format!("ligne{n}")), 1, "ligne{n}");
    }
}

/// A lone image followed by the author's italic line: that line is its one caption (kramdown
/// shows no other), tagged `Caption`; the alt text is not printed under it as well.
#[test]
fn an_author_caption_under_an_image_is_its_only_caption() {
    let mut doc = rich_document();
    doc.chapters.truncate(1);
    doc.chapters[0].blocks = vec![
        para(vec![image(0, "Capture de l’écran d’accueil")]),
        para(vec![Inline::Emph(vec![text("La page d’accueil, en mai")])]),
        para(vec![text("Suite du texte.")]),
    ];
    let (bytes, _) = write(&doc);
    let pdf = load(&bytes);
    let captions = pdf
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.get(b"S").and_then(|s| s.as_name()).ok() == Some(b"Caption"))
        .count();
    // The author's caption, and the contents' title (a caption of the TOC).
    assert_eq!(captions, 2);
    if !have("pdftotext") {
        return;
    }
    let path = save("author-caption.pdf", &bytes);
    let all = pdftotext(&path, "-raw").concat();
    assert_eq!(all.matches("La page d’accueil, en mai").count(), 1, "{all}");
    assert!(!all.contains("Capture de l’écran d’accueil"), "{all}");
}

/// `page_size = "A5"` in `livret.toml`: 148 × 210 mm pages with margins of their own (15 mm at
/// the sides), every glyph inside them, the file still valid.
#[test]
fn a5_pages_have_their_own_margins() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    let copy = Command::new("cp")
        .arg("-r")
        .arg(common::fixture("compact-buttons"))
        .arg(&corpus)
        .status()
        .expect("cp");
    assert!(copy.success());
    std::fs::write(corpus.join("livret.toml"), "page_size = \"A5\"\n").unwrap();
    let (_out, pdfs) = common::build_into(&corpus, "pdf", &[]);
    let bytes = std::fs::read(&pdfs[0]).unwrap();
    let pdf = load(&bytes);
    let mm = |v: f64| v / 72.0 * 25.4;
    for (number, &page) in pdf.get_pages().iter() {
        let media = pdf
            .get_dictionary(page)
            .and_then(|d| d.get(b"MediaBox"))
            .and_then(|m| m.as_array())
            .expect("MediaBox")
            .iter()
            .map(|v| v.as_float().map(f64::from).or(v.as_i64().map(|i| i as f64)))
            .collect::<Result<Vec<f64>, _>>()
            .expect("numbers");
        assert!(
            (mm(media[2]) - 148.0).abs() < 0.1 && (mm(media[3]) - 210.0).abs() < 0.1,
            "page {number}: {media:?}"
        );
        let content = lopdf::content::Content::decode(&pdf.get_page_content(page)).unwrap();
        for op in content.operations.iter().filter(|op| op.operator == "Tm") {
            let x = op.operands[4]
                .as_float()
                .map(f64::from)
                .or(op.operands[4].as_i64().map(|i| i as f64))
                .unwrap();
            assert!(
                (14.9..=148.0 - 15.0).contains(&mm(x)),
                "page {number}: text at {:.1} mm from the left edge",
                mm(x)
            );
        }
    }
    if have("qpdf") {
        let (ok, out, err) = run("qpdf", &["--check", pdfs[0].to_str().unwrap()]);
        assert!(ok, "{out}{err}");
    }
}
