//! The PDF a public body can publish: every PDF livret writes passes PDF/UA-1 and PDF/A-2
//! (page-validation's veraPDF-mirroring rule sets, and pdfua), and its structure tree, read
//! back, says what the document model says.

use crate::common;

use common::{build_into, fixture, repo};
use livret::diag::Diagnostics;
use livret::ir::{Block, Inline, plain_text};
use lopdf::content::Content;
use lopdf::{Document, Object, ObjectId};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds `corpus`'s PDFs into a temporary folder.
fn build_pdfs(corpus: &Path, extra: &[&str]) -> (tempfile::TempDir, Vec<PathBuf>) {
    build_into(corpus, "pdf", extra)
}

/// The Python that has `page-validation` and `pdfua`: `LIVRET_CHECK_PYTHON`, the venv `.ci/run`
/// makes, the a11y tools' venv, or `python3`.
pub(crate) fn checker_python() -> PathBuf {
    if let Some(p) = std::env::var_os("LIVRET_CHECK_PYTHON") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    [
        repo().join(".ci/venv/bin/python"),
        home.join(".cache/a11y-tools/venv/bin/python"),
    ]
    .into_iter()
    .find(|p| p.exists())
    .unwrap_or_else(|| PathBuf::from("python3"))
}

/// Rules of page-validation that are wrong for a file claiming a higher conformance level. A
/// PDF/A-2 file declares one level in `pdfaid:conformance`, and level A includes the
/// requirements of levels U and B (ISO 19005-2:2011 §6.6.4 and clause 2, "conforming file":
/// "level A … shall also conform to level U and B"). The 2b and 2u rule sets check every
/// requirement, then also insist that the declared level be exactly theirs: that one
/// identification rule is the only one allowed to fail under those profiles.
fn allowed(profile: &str, rule: &str) -> bool {
    matches!(
        (profile, rule),
        ("2b", "PDFA2B-ID-CONFORMANCE-001") | ("2u", "PDFA2U-ID-CONFORMANCE-001")
    )
}

/// 0 failed rules under ua1, 2a, 2b and 2u (but the identification rule above), 0 pdfua errors.
fn assert_conforms(pdfs: &[PathBuf]) {
    let output = Command::new(checker_python())
        .arg(repo().join("scripts/pdf_conformance.py"))
        .arg("ua1,2a,2b,2u")
        .args(pdfs)
        .output();
    let output = match output {
        Ok(o) if o.status.code() != Some(3) => o,
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "page-validation is required in CI (CI=true): pip install page-validation pdfua"
                );
            }
            return eprintln!("skipped: page-validation not installed");
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "checker failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut checked = 0;
    for line in stdout.lines() {
        let report: serde_json::Value = serde_json::from_str(line).expect("one JSON per PDF");
        let file = report["file"].as_str().unwrap_or("?");
        for (profile, failures) in report["profiles"].as_object().expect("profiles") {
            let wrong: Vec<&serde_json::Value> = failures
                .as_array()
                .expect("failures")
                .iter()
                .filter(|f| !allowed(profile, f["rule"].as_str().unwrap_or("")))
                .collect();
            assert!(wrong.is_empty(), "{file} fails {profile}: {wrong:#?}");
        }
        let pdfua = report["pdfua_errors"]
            .as_array()
            .expect("pdfua ran on the file");
        assert!(pdfua.is_empty(), "{file}: pdfua errors {pdfua:#?}");
        checked += 1;
    }
    assert_eq!(checked, pdfs.len());
}

#[test]
fn every_pdf_passes_pdf_ua_1_and_pdf_a_2() {
    let (_dir, split) = build_pdfs(&repo().join("content"), &["--split"]);
    assert_eq!(split.len(), 6, "the book and five handouts");
    let mut all = split;
    let mut dirs = Vec::new();
    for name in [
        "compact-buttons",
        "collections-dir",
        "script-injection",
        "lang-en-site",
        "lang-de-index",
        "lang-pt-config",
        "lang-fr-english-chapter",
    ] {
        let (dir, pdfs) = build_pdfs(&fixture(name), &[]);
        all.extend(pdfs);
        dirs.push(dir);
    }
    let (dir, selection) = build_pdfs(&repo().join("content"), &["--persona", "producteur"]);
    all.extend(selection);
    dirs.push(dir);
    // The print edition and the persona cards meet the same standards.
    let (dir, paper) = build_into(&repo().join("content"), "print,cards", &[]);
    assert_eq!(paper.len(), 2, "{paper:?}");
    all.extend(paper);
    dirs.push(dir);
    assert_conforms(&all);
}

/// A structure element read back: its type, attributes, and children in order.
#[derive(Debug)]
struct Elem {
    role: String,
    alt: Option<String>,
    kids: Vec<Node>,
}

#[derive(Debug)]
enum Node {
    Elem(Elem),
    Content { page: ObjectId, mcid: i64 },
    Annot(ObjectId),
}

fn deref<'a>(pdf: &'a Document, o: &'a Object) -> &'a Object {
    match o {
        Object::Reference(id) => pdf.get_object(*id).expect("reference resolves"),
        other => other,
    }
}

fn text(o: &Object) -> String {
    match o {
        Object::String(bytes, _) if bytes.starts_with(&[0xFE, 0xFF]) => String::from_utf16_lossy(
            &bytes[2..]
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect::<Vec<_>>(),
        ),
        Object::String(bytes, _) => String::from_utf8_lossy(bytes).into_owned(),
        _ => String::new(),
    }
}

/// A structure element or a kid of one; `page` is the parent's `/Pg`, the page of a bare MCID.
fn read_elem(pdf: &Document, o: &Object, page: Option<ObjectId>) -> Node {
    if let Object::Integer(mcid) = o {
        return Node::Content {
            page: page.expect("an MCID kid needs its element's /Pg"),
            mcid: *mcid,
        };
    }
    let d = deref(pdf, o)
        .as_dict()
        .expect("a structure element is a dictionary");
    match d.get(b"Type").and_then(|t| t.as_name()).ok() {
        Some(b"MCR") => {
            return Node::Content {
                page: d
                    .get(b"Pg")
                    .and_then(|p| p.as_reference())
                    .expect("MCR /Pg"),
                mcid: d.get(b"MCID").and_then(|m| m.as_i64()).expect("MCID"),
            };
        }
        Some(b"OBJR") => {
            return Node::Annot(d.get(b"Obj").and_then(|p| p.as_reference()).expect("OBJR"));
        }
        _ => {}
    }
    let role =
        String::from_utf8_lossy(d.get(b"S").and_then(|s| s.as_name()).expect("/S")).into_owned();
    let own_page = d.get(b"Pg").and_then(|p| p.as_reference()).ok();
    let kids = match d.get(b"K") {
        Ok(Object::Array(items)) => items.iter().map(|k| read_elem(pdf, k, own_page)).collect(),
        Ok(other) => vec![read_elem(pdf, other, own_page)],
        Err(_) => Vec::new(),
    };
    Node::Elem(Elem {
        role,
        alt: d.get(b"Alt").ok().map(text),
        kids,
    })
}

/// Glyph → text maps of every font, by the font's resource name (livret shares one font
/// dictionary between pages).
fn text_maps(pdf: &Document) -> HashMap<Vec<u8>, HashMap<u16, String>> {
    let mut maps = HashMap::new();
    let page = *pdf.get_pages().values().next().expect("a page");
    let (direct, _) = pdf.get_page_resources(page).expect("resources");
    let fonts = direct
        .and_then(|r| r.get(b"Font").ok())
        .map(|f| deref(pdf, f).as_dict().expect("fonts").clone())
        .expect("font resources");
    for (name, font) in fonts.iter() {
        let font = deref(pdf, font).as_dict().expect("font");
        let id = font
            .get(b"ToUnicode")
            .and_then(|t| t.as_reference())
            .expect("ToUnicode");
        let stream = pdf
            .get_object(id)
            .and_then(|o| o.as_stream())
            .expect("stream");
        let data = stream
            .decompressed_content()
            .unwrap_or(stream.content.clone());
        let cmap = String::from_utf8_lossy(&data);
        let mut map = HashMap::new();
        for line in cmap
            .lines()
            .filter(|l| l.starts_with('<') && l.matches('<').count() == 2)
        {
            let parts: Vec<&str> = line
                .split(['<', '>'])
                .filter(|p| !p.trim().is_empty())
                .collect();
            let gid = u16::from_str_radix(parts[0], 16).expect("gid");
            let units: Vec<u16> = parts[1]
                .as_bytes()
                .chunks(4)
                .map(|c| u16::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
                .collect();
            map.insert(gid, String::from_utf16_lossy(&units));
        }
        maps.insert(name.clone(), map);
    }
    maps
}

/// The text of each marked-content sequence of each page; asserts on the way that nothing is
/// painted outside marked content.
fn marked_texts(pdf: &Document) -> HashMap<(ObjectId, i64), String> {
    let maps = text_maps(pdf);
    let mut texts = HashMap::new();
    for (number, &page) in pdf.get_pages().iter() {
        let content = Content::decode(&pdf.get_page_content(page)).expect("decodes");
        let mut depth = 0;
        let mut mcid: Option<i64> = None;
        let mut font: Vec<u8> = Vec::new();
        for op in &content.operations {
            match op.operator.as_str() {
                "BDC" => {
                    depth += 1;
                    mcid = op
                        .operands
                        .get(1)
                        .and_then(|p| p.as_dict().ok())
                        .and_then(|d| d.get(b"MCID").ok())
                        .and_then(|m| m.as_i64().ok());
                }
                "BMC" => depth += 1,
                "EMC" => {
                    depth -= 1;
                    mcid = None;
                }
                "Tf" => font = op.operands[0].as_name().expect("font name").to_vec(),
                "TJ" | "Tj" | "'" | "\"" | "Do" | "f" | "F" | "f*" | "S" | "s" | "B" | "b"
                | "sh" | "BI" => {
                    assert!(
                        depth > 0,
                        "page {number}: `{}` outside marked content",
                        op.operator
                    );
                    if op.operator == "TJ"
                        && let Some(id) = mcid
                    {
                        let out = texts.entry((page, id)).or_insert_with(String::new);
                        for item in op.operands[0].as_array().expect("TJ array") {
                            if let Object::String(bytes, _) = item {
                                for pair in bytes.chunks_exact(2) {
                                    let gid = u16::from_be_bytes([pair[0], pair[1]]);
                                    if let Some(s) = maps.get(&font).and_then(|m| m.get(&gid)) {
                                        out.push_str(s);
                                    }
                                }
                            } else if item
                                .as_i64()
                                .or(item.as_float().map(|f| f as i64))
                                .unwrap_or(0)
                                < -200
                            {
                                out.push(' ');
                            }
                        }
                        out.push(' ');
                    }
                }
                _ => {}
            }
        }
        assert_eq!(depth, 0, "page {number}: unbalanced marked content");
    }
    texts
}

fn collect_text(node: &Node, texts: &HashMap<(ObjectId, i64), String>, out: &mut String) {
    match node {
        Node::Content { page, mcid } => {
            out.push_str(texts.get(&(*page, *mcid)).map(String::as_str).unwrap_or(""))
        }
        Node::Elem(e) => e.kids.iter().for_each(|k| collect_text(k, texts, out)),
        Node::Annot(_) => {}
    }
}

fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(*c as u32, 0x1F000..=0x1FAFF | 0xFE0F))
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Walks the tree in reading order.
fn walk<'a>(node: &'a Node, out: &mut Vec<&'a Elem>) {
    if let Node::Elem(e) = node {
        out.push(e);
        for k in &e.kids {
            walk(k, out);
        }
    }
}

fn list_items(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .map(|b| match b {
            Block::BulletList(list) | Block::OrderedList { items: list, .. } => {
                list.len() + list.iter().map(|item| list_items(item)).sum::<usize>()
            }
            Block::BlockQuote(inner) | Block::Div { blocks: inner, .. } => list_items(inner),
            _ => 0,
        })
        .sum()
}

/// A chapter whose page says `lang: en` in a French book: its `Sect` carries `/Lang (en)`, the
/// catalog `/Lang (fr)`.
#[test]
fn a_chapter_in_another_language_says_so_in_the_structure() {
    let (_dir, pdfs) = build_pdfs(&fixture("lang-fr-english-chapter"), &[]);
    let pdf = Document::load(&pdfs[0]).expect("PDF loads");
    let catalog = pdf.catalog().unwrap();
    assert_eq!(text(catalog.get(b"Lang").unwrap()), "fr");
    let langs: Vec<(String, String)> = pdf
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.get(b"S").and_then(|s| s.as_name()).ok() == Some(b"Sect"))
        .filter_map(|d| {
            let lang = text(d.get(b"Lang").ok()?);
            Some(("Sect".to_string(), lang))
        })
        .collect();
    assert_eq!(langs, vec![("Sect".to_string(), "en".to_string())]);
}

#[test]
fn the_structure_tree_says_what_the_document_says() {
    let (_dir, pdfs) = build_pdfs(&repo().join("content"), &[]);
    let pdf = Document::load(&pdfs[0]).expect("PDF loads");
    let mut diags = Diagnostics::new();
    let (_, doc) = livret::load_document(&repo().join("content"), &mut diags).expect("loads");

    let catalog = pdf.catalog().expect("catalog");
    let mark_info = deref(&pdf, catalog.get(b"MarkInfo").expect("MarkInfo"))
        .as_dict()
        .unwrap();
    assert_eq!(mark_info.get(b"Marked").unwrap(), &Object::Boolean(true));
    let root = deref(
        &pdf,
        catalog.get(b"StructTreeRoot").expect("StructTreeRoot"),
    )
    .as_dict()
    .unwrap();
    assert!(root.get(b"ParentTree").is_ok() && root.get(b"ParentTreeNextKey").is_ok());
    for (_, &page) in pdf.get_pages().iter() {
        let p = pdf.get_dictionary(page).unwrap();
        assert_eq!(p.get(b"Tabs").unwrap().as_name().unwrap(), b"S");
    }
    let tree = read_elem(&pdf, &root.get(b"K").unwrap().as_array().unwrap()[0], None);
    let texts = marked_texts(&pdf);
    let mut elems = Vec::new();
    walk(&tree, &mut elems);
    assert_eq!(elems[0].role, "Document");

    // Headings: the book's title, then each chapter's title and headings, in order.
    let mut expected = vec![(1u8, doc.meta.title.clone())];
    for chapter in &doc.chapters {
        expected.push((1, chapter.title.clone()));
        fn headings(blocks: &[Block], out: &mut Vec<(u8, String)>) {
            for b in blocks {
                match b {
                    Block::Heading { level, content, .. } => {
                        out.push((*level, plain_text(content)))
                    }
                    Block::Div { blocks, .. } | Block::BlockQuote(blocks) => headings(blocks, out),
                    _ => {}
                }
            }
        }
        headings(&chapter.blocks, &mut expected);
        // A chapter with footnotes ends with them, under their own heading.
        let mut notes = 0;
        livret::ir::visit_inlines(&chapter.blocks, &mut |i| {
            notes += usize::from(matches!(i, Inline::Note(_)))
        });
        if notes > 0 {
            expected.push((2, "Notes".into()));
        }
    }
    let found: Vec<(u8, String)> = elems
        .iter()
        .filter(|e| e.role.len() == 2 && e.role.starts_with('H'))
        .map(|e| {
            let mut s = String::new();
            for k in &e.kids {
                collect_text(k, &texts, &mut s);
            }
            (e.role[1..].parse().unwrap(), normalise(&s))
        })
        .collect();
    let expected: Vec<(u8, String)> = expected
        .into_iter()
        .map(|(l, t)| (l, normalise(&t)))
        .collect();
    assert_eq!(found, expected);

    // Every image is a figure with its alternative text; list items are list items.
    let mut items = 0;
    let mut images = Vec::new();
    for chapter in &doc.chapters {
        items += list_items(&chapter.blocks);
        livret::ir::visit_inlines(&chapter.blocks, &mut |i| {
            if let Inline::Image { alt, .. } = i {
                images.push(alt.clone());
            }
        });
    }
    let figures: Vec<String> = elems
        .iter()
        .filter(|e| e.role == "Figure")
        .map(|e| e.alt.clone().expect("a figure has /Alt"))
        .collect();
    let expected_alts: Vec<String> = images
        .into_iter()
        .filter(|a| !a.trim().is_empty())
        .collect();
    assert!(!figures.is_empty());
    assert_eq!(figures, expected_alts);
    // Said once: no caption read to a screen reader repeats a figure's alt text (the default
    // corpus has captions made from the alt text, painted as artifacts).
    for caption in elems.iter().filter(|e| e.role == "Caption") {
        let mut own = String::new();
        for kid in &caption.kids {
            collect_text(kid, &texts, &mut own);
        }
        assert!(
            !figures.iter().any(|alt| normalise(alt) == normalise(&own)),
            "a caption repeats its figure's alt text: {own:?}"
        );
    }
    assert_eq!(elems.iter().filter(|e| e.role == "LI").count(), items);

    // Every link annotation is reachable from a `Link` element, and the parent tree agrees.
    let mut owners: BTreeMap<ObjectId, usize> = BTreeMap::new();
    for e in elems.iter().filter(|e| e.role == "Link") {
        for k in &e.kids {
            if let Node::Annot(a) = k {
                *owners.entry(*a).or_default() += 1;
            }
        }
    }
    let mut annots = 0;
    for (_, &page) in pdf.get_pages().iter() {
        let p = pdf.get_dictionary(page).unwrap();
        let Ok(list) = p.get(b"Annots") else { continue };
        for a in list.as_array().unwrap() {
            let id = a.as_reference().unwrap();
            let annot = pdf.get_dictionary(id).unwrap();
            assert!(annot.get(b"StructParent").is_ok());
            assert!(!text(annot.get(b"Contents").expect("/Contents")).is_empty());
            assert_eq!(annot.get(b"F").unwrap().as_i64().unwrap(), 4);
            assert_eq!(owners.get(&id), Some(&1), "annotation {id:?} has one Link");
            annots += 1;
        }
    }
    assert!(annots > 20, "{annots} link annotations");
    assert_eq!(owners.len(), annots);
}

/// `<span lang="en">` in a French page: a `Span` element with `/Lang (en)` around those words.
#[test]
fn a_span_in_another_language_says_so_in_the_structure() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("faq")).unwrap();
    std::fs::write(
        root.join("index.md"),
        "---\ntitle: T\nlang: fr\nbuttons:\n  - title: Citoyen\n    url: faq/citoyen\n---\nIntro\n",
    )
    .unwrap();
    std::fs::write(
        root.join("faq/citoyen.md"),
        "---\ntitle: Citoyen\n---\nLes données ouvertes, ou <span lang=\"en\">open data</span>, sont partout.\n",
    )
    .unwrap();
    let (_out, pdfs) = build_pdfs(root, &[]);
    let pdf = Document::load(&pdfs[0]).expect("PDF loads");
    let spans: Vec<String> = pdf
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.get(b"S").and_then(|s| s.as_name()).ok() == Some(b"Span"))
        .filter_map(|d| d.get(b"Lang").ok().map(text))
        .collect();
    assert_eq!(spans, vec!["en".to_string()]);
}

/// The tree's content leaves in reading order.
fn contents_in_order(node: &Node, out: &mut Vec<(ObjectId, i64)>) {
    match node {
        Node::Content { page, mcid } => out.push((*page, *mcid)),
        Node::Elem(e) => e.kids.iter().for_each(|k| contents_in_order(k, out)),
        Node::Annot(_) => {}
    }
}

/// A reader that follows the content stream (reflow, read-aloud in paint order) meets the text
/// in the order the structure tree reads it: on every page, the marked-content sequences come
/// in the tree's order (a list's label before its body, a link between its paragraph's runs).
#[test]
fn marked_content_is_painted_in_the_order_of_the_structure_tree() {
    // The print edition too: its page-foot notes are painted where their links are.
    let (_dir, mut pdfs) = build_into(&repo().join("content"), "pdf,print,cards", &[]);
    assert_eq!(pdfs.len(), 3);
    let (_dir2, fixture_pdfs) = build_pdfs(&fixture("lang-en-site"), &[]);
    pdfs.extend(fixture_pdfs);
    for path in &pdfs {
        let pdf = Document::load(path).expect("PDF loads");
        let catalog = pdf.catalog().expect("catalog");
        let root = deref(&pdf, catalog.get(b"StructTreeRoot").expect("root"))
            .as_dict()
            .unwrap();
        let tree = read_elem(&pdf, &root.get(b"K").unwrap().as_array().unwrap()[0], None);
        let mut reading = Vec::new();
        contents_in_order(&tree, &mut reading);
        let mut out_of_place = Vec::new();
        for (number, &page) in pdf.get_pages().iter() {
            let content = Content::decode(&pdf.get_page_content(page)).expect("decodes");
            let painted: Vec<i64> = content
                .operations
                .iter()
                .filter(|op| op.operator == "BDC")
                .filter_map(|op| {
                    op.operands
                        .get(1)?
                        .as_dict()
                        .ok()?
                        .get(b"MCID")
                        .ok()?
                        .as_i64()
                        .ok()
                })
                .collect();
            let read: Vec<i64> = reading
                .iter()
                .filter(|(p, _)| *p == page)
                .map(|&(_, mcid)| mcid)
                .collect();
            let mut sorted = read.clone();
            sorted.sort_unstable();
            let mut painted_sorted = painted.clone();
            painted_sorted.sort_unstable();
            assert_eq!(
                sorted,
                painted_sorted,
                "{}: page {number}: the tree and the page hold different sequences",
                path.display()
            );
            if read != painted {
                let misplaced = read.iter().zip(&painted).filter(|(a, b)| a != b).count();
                out_of_place.push(format!(
                    "page {number}: {misplaced} of {} sequences",
                    read.len()
                ));
            }
        }
        assert!(
            out_of_place.is_empty(),
            "{}: painted out of the structure's order on {}",
            path.display(),
            out_of_place.join(", ")
        );
    }
}

/// A big book's file is written as its objects are made (a classic cross-reference table, no
/// object streams): the bench generator's scale-10 corpus, over that size, conforms as well.
#[test]
fn a_book_written_as_it_is_made_passes_pdf_ua_1_and_pdf_a_2() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    if !common::generated_corpus(10, &corpus) {
        return;
    }
    let (_out, pdfs) = build_pdfs(&corpus, &[]);
    let bytes = std::fs::read(&pdfs[0]).unwrap();
    let tail = String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(400)..]).into_owned();
    assert!(
        tail.contains("\ntrailer\n"),
        "written with a classic table: {tail}"
    );
    assert_conforms(&pdfs);
}

/// The baselines (text matrix `y`, rounded to a tenth of a point) of each marked-content
/// sequence of each page.
fn baselines(pdf: &Document) -> HashMap<(ObjectId, i64), Vec<i64>> {
    let mut out: HashMap<(ObjectId, i64), Vec<i64>> = HashMap::new();
    for (_, &page) in pdf.get_pages().iter() {
        let content = Content::decode(&pdf.get_page_content(page)).expect("decodes");
        let mut mcid = None;
        for op in &content.operations {
            match op.operator.as_str() {
                "BDC" => {
                    mcid = op
                        .operands
                        .get(1)
                        .and_then(|p| p.as_dict().ok())
                        .and_then(|d| d.get(b"MCID").ok())
                        .and_then(|m| m.as_i64().ok())
                }
                "EMC" => mcid = None,
                "Tm" => {
                    if let (Some(id), Some(y)) = (mcid, op.operands.get(5)) {
                        let y = y.as_float().map(f64::from).or(y.as_i64().map(|v| v as f64));
                        if let Ok(y) = y {
                            out.entry((page, id))
                                .or_default()
                                .push((y * 10.0).round() as i64);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// Each paragraph (`P` outside tables) split over pages, with its lines on each page.
fn split_paragraphs(pdf: &Document) -> Vec<(String, Vec<(usize, usize)>)> {
    let numbers: HashMap<ObjectId, usize> = pdf
        .get_pages()
        .iter()
        .map(|(n, id)| (*id, *n as usize))
        .collect();
    let lines = baselines(pdf);
    let catalog = pdf.catalog().expect("catalog");
    let root = deref(pdf, catalog.get(b"StructTreeRoot").expect("root"))
        .as_dict()
        .unwrap();
    let tree = read_elem(pdf, &root.get(b"K").unwrap().as_array().unwrap()[0], None);
    let mut found = Vec::new();
    fn visit(
        node: &Node,
        in_table: bool,
        lines: &HashMap<(ObjectId, i64), Vec<i64>>,
        numbers: &HashMap<ObjectId, usize>,
        texts: &mut Vec<(String, Vec<(usize, usize)>)>,
    ) {
        let Node::Elem(e) = node else { return };
        let in_table = in_table || e.role == "Table";
        if e.role == "P" && !in_table {
            let mut contents = Vec::new();
            contents_in_order(node, &mut contents);
            let mut per_page: std::collections::BTreeMap<usize, std::collections::BTreeSet<i64>> =
                Default::default();
            for (page, mcid) in contents {
                let ys = lines.get(&(page, mcid)).cloned().unwrap_or_default();
                per_page.entry(numbers[&page]).or_default().extend(ys);
            }
            if per_page.len() > 1 {
                let counts = per_page.into_iter().map(|(p, ys)| (p, ys.len())).collect();
                texts.push((e.role.clone(), counts));
            }
            return;
        }
        for k in &e.kids {
            visit(k, in_table, lines, numbers, texts);
        }
    }
    visit(&tree, false, &lines, &numbers, &mut found);
    found
}

/// The books the typesetting rules are checked on: the default corpus, three fixtures and the
/// bench generator's scale-10 corpus (where python3 runs), each built into its own folder.
fn typeset_books() -> Vec<(tempfile::TempDir, Vec<PathBuf>)> {
    let mut books = vec![build_pdfs(&repo().join("content"), &[])];
    for name in ["lang-en-site", "compact-buttons", "lang-fr-english-chapter"] {
        books.push(build_pdfs(&fixture(name), &[]));
    }
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    if common::generated_corpus(10, &corpus) {
        books.push(build_pdfs(&corpus, &[]));
    }
    books
}

/// Typeset like a book: a paragraph split over two pages keeps at least two lines on each (no
/// orphan at a page foot, no widow at the next page's top), on the default corpus, the
/// fixtures and the bench generator's scale-10 corpus, every page read back from the PDF's own
/// structure (the baselines of each paragraph's marked content).
#[test]
fn no_widow_and_no_orphan_on_any_page() {
    let books = typeset_books();
    let mut faults = Vec::new();
    let mut split = 0;
    for (_dir, pdfs) in &books {
        for path in pdfs {
            let pdf = Document::load(path).expect("PDF loads");
            for (_, pages) in split_paragraphs(&pdf) {
                split += 1;
                let (first, last) = (pages[0], pages[pages.len() - 1]);
                if first.1 < 2 || last.1 < 2 {
                    faults.push(format!(
                        "{}: a paragraph with {} line(s) on page {} and {} on page {}",
                        path.file_name().unwrap().to_string_lossy(),
                        first.1,
                        first.0,
                        last.1,
                        last.0
                    ));
                }
            }
        }
    }
    eprintln!("{split} split paragraphs");
    assert!(
        split > 10,
        "only {split} paragraphs cross a page: the check saw nothing"
    );
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

/// Elements in reading order with the span of their content in the book's sequence of marked
/// content: (role, first, past the last).
fn spans(node: &Node, at: &mut usize, out: &mut Vec<(String, usize, usize)>) {
    match node {
        Node::Content { .. } => *at += 1,
        Node::Elem(e) => {
            let k = out.len();
            out.push((e.role.clone(), *at, *at));
            for kid in &e.kids {
                spans(kid, at, out);
            }
            out[k].2 = *at;
        }
        Node::Annot(_) => {}
    }
}

/// What must not end a page: a heading (kept with what follows), a list item's label (kept
/// with its body), a figure that has a caption (kept with it). Read from every page of the
/// default corpus, three fixtures and the scale-10 book.
#[test]
fn no_heading_label_or_captioned_figure_ends_a_page() {
    let books = typeset_books();
    let mut faults = Vec::new();
    let mut checked = 0;
    for (_dir, pdfs) in &books {
        for path in pdfs {
            let pdf = Document::load(path).expect("PDF loads");
            let numbers: HashMap<ObjectId, u32> =
                pdf.get_pages().iter().map(|(n, id)| (*id, *n)).collect();
            let catalog = pdf.catalog().expect("catalog");
            let root = deref(&pdf, catalog.get(b"StructTreeRoot").expect("root"))
                .as_dict()
                .unwrap();
            let tree = read_elem(&pdf, &root.get(b"K").unwrap().as_array().unwrap()[0], None);
            let mut sequence = Vec::new();
            contents_in_order(&tree, &mut sequence);
            let page_of = |i: usize| numbers[&sequence[i].0];
            let mut elems = Vec::new();
            spans(&tree, &mut 0, &mut elems);
            let name = path.file_name().unwrap().to_string_lossy();
            for (k, (role, first, end)) in elems.iter().enumerate() {
                if first == end || *end >= sequence.len() {
                    continue;
                }
                let kept = match role.as_str() {
                    "H2" | "H3" | "H4" | "H5" | "H6" | "Lbl" => true,
                    "Figure" => elems[k + 1..]
                        .iter()
                        .find(|(_, f, e)| f == end && e > f)
                        .is_some_and(|(r, _, _)| r == "Caption"),
                    _ => false,
                };
                if !kept {
                    continue;
                }
                checked += 1;
                if page_of(end - 1) != page_of(*end) {
                    faults.push(format!(
                        "{name}: a {role} ends page {}, what follows it starts page {}",
                        page_of(end - 1),
                        page_of(*end)
                    ));
                }
            }
        }
    }
    eprintln!("{checked} headings, labels and captioned figures");
    assert!(checked > 100, "only {checked} checked");
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}
