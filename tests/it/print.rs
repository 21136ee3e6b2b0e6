//! The PDFs for paper, through the binary: the print edition prints every address at the foot of
//! the page its link is on, internal links name their target's page ("p. N") in the print and
//! screen PDFs alike, and the persona cards hold one page per persona with its questions and a QR
//! code to its page on the site.

use crate::common;

use common::{livret, repo};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// `livret build CORPUS -o TMP -f FORMATS`; panics with stderr unless it succeeds.
fn build(corpus: &Path, formats: &str) -> (tempfile::TempDir, String) {
    let out = tempfile::tempdir().unwrap();
    let o = livret(&repo())
        .args(["build"])
        .arg(corpus)
        .arg("-o")
        .arg(out.path())
        .args(["-f", formats])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{}: {stderr}", corpus.display());
    (out, stderr)
}

/// The one file of `dir` ending with `suffix`.
fn file(dir: &Path, suffix: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .filter(|p| suffix != ".pdf" || !p.to_string_lossy().ends_with(".print.pdf"))
        .filter(|p| suffix != ".pdf" || !p.to_string_lossy().ends_with(".cards.pdf"))
        .collect();
    assert_eq!(found.len(), 1, "one {suffix} in {}", dir.display());
    found.into_iter().next().unwrap()
}

/// Each page's text, as pdftotext reads it; `None` (test skipped) without pdftotext.
fn pages(pdf: &Path) -> Option<Vec<String>> {
    if !common::require_tool("pdftotext", &["-v"]) {
        return None;
    }
    let o = std::process::Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let mut pages: Vec<String> = text.split('\u{c}').map(String::from).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    Some(pages)
}

/// Spaces of every kind as one space, and the line breaks undone: after `/ . ? &` (where the
/// print edition breaks an address) with nothing, else with a space.
fn joined(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c == '\n' {
            if out.ends_with(['/', '.', '?', '&']) {
                continue;
            }
            if !out.ends_with(' ') {
                out.push(' ');
            }
            continue;
        }
        if c.is_whitespace() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Spaces of every kind as one space, line breaks as spaces.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The document model `livret dump-ir` prints.
fn model(corpus: &Path) -> Value {
    let o = livret(&repo())
        .args(["-q", "dump-ir"])
        .arg(corpus)
        .output()
        .unwrap();
    assert!(o.status.success());
    serde_json::from_slice(&o.stdout).unwrap()
}

fn plain(inlines: &Value) -> String {
    let mut out = String::new();
    fn walk(v: &Value, out: &mut String) {
        match v {
            Value::String(s) if s == "SoftBreak" || s == "LineBreak" => out.push(' '),
            Value::Object(map) => {
                for (key, value) in map {
                    if key == "Text" || key == "Code" {
                        out.push_str(value.as_str().unwrap_or(""));
                    } else if key == "content" || value.is_array() || value.is_object() {
                        walk(value, out);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    walk(inlines, &mut out);
    out
}

/// Every link of the model: its target and its text.
fn links(v: &Value, out: &mut Vec<(Value, String)>) {
    match v {
        Value::Object(map) => {
            if let Some(link) = map.get("Link") {
                out.push((link["target"].clone(), plain(&link["content"])));
            }
            map.values().for_each(|v| links(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| links(v, out)),
        _ => {}
    }
}

/// The heading an anchor `id` names: the heading with that id, or the first heading at or after
/// a div with that id (an empty `<div id>` set before a section's heading), in book order.
fn heading(model: &Value, id: &str) -> Option<String> {
    // (id of a heading or div, the heading's text), in order.
    fn walk(v: &Value, out: &mut Vec<(Option<String>, Option<String>)>) {
        match v {
            Value::Object(map) => {
                if let Some(h) = map.get("Heading") {
                    let id = h["attr"]["id"].as_str().map(String::from);
                    out.push((id, Some(plain(&h["content"]))));
                }
                if let Some(div) = map.get("Div") {
                    out.push((div["attr"]["id"].as_str().map(String::from), None));
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut places = Vec::new();
    walk(&model["chapters"], &mut places);
    let at = places.iter().position(|(i, _)| i.as_deref() == Some(id))?;
    places[at..].iter().find_map(|(_, text)| text.clone())
}

/// The addresses of the link annotations on each page.
fn uris_by_page(pdf: &Path) -> Vec<Vec<String>> {
    let doc = lopdf::Document::load(pdf).unwrap();
    doc.get_pages()
        .values()
        .map(|&page| {
            let mut uris = Vec::new();
            let annots = doc
                .get_dictionary(page)
                .ok()
                .and_then(|d| d.get(b"Annots").ok())
                .and_then(|a| match a {
                    lopdf::Object::Reference(id) => doc.get_object(*id).ok(),
                    other => Some(other),
                })
                .and_then(|a| a.as_array().ok())
                .cloned()
                .unwrap_or_default();
            for annot in annots {
                let Ok(id) = annot.as_reference() else {
                    continue;
                };
                let Ok(annot) = doc.get_dictionary(id) else {
                    continue;
                };
                let action = match annot.get(b"A") {
                    Ok(lopdf::Object::Reference(id)) => doc.get_dictionary(*id).ok(),
                    Ok(lopdf::Object::Dictionary(d)) => Some(d),
                    _ => None,
                };
                if let Some(uri) = action.and_then(|a| a.get(b"URI").ok())
                    && let Ok(bytes) = uri.as_str()
                {
                    uris.push(String::from_utf8_lossy(bytes).into_owned());
                }
            }
            uris
        })
        .collect()
}

#[test]
fn the_print_edition_prints_every_address_at_the_foot_of_its_page() {
    let content = repo().join("content");
    let (dir, _) = build(&content, "html,print");
    let print = file(dir.path(), ".print.pdf");
    common::qpdf_and_pdffonts(&print);
    let Some(pages) = pages(&print) else { return };
    let html = std::fs::read_to_string(file(dir.path(), ".html")).unwrap();
    let mut all = Vec::new();
    links(&model(&content), &mut all);
    let external: Vec<String> = all
        .iter()
        .filter_map(|(target, _)| target["External"].as_str().map(String::from))
        .collect();
    assert!(external.len() >= 10, "the corpus links out: {external:?}");
    let text = joined(&pages.join("\n"));
    for url in &external {
        assert!(html.contains(&format!("href=\"{}\"", url.replace('&', "&amp;"))));
        // A link whose text is its own address shows it (an e-mail address without `mailto:`).
        let shown = url.trim_start_matches("mailto:");
        assert!(text.contains(shown), "{url} is not printed");
    }
    // Each address is on the page its link is on (the annotations say where the links are).
    let by_page = uris_by_page(&print);
    assert_eq!(by_page.len(), pages.len());
    let mut noted = 0;
    for (k, uris) in by_page.iter().enumerate() {
        let page = joined(&pages[k]);
        for uri in uris {
            let shown = uri.trim_start_matches("mailto:");
            assert!(
                page.contains(shown),
                "page {}: {uri} not printed there",
                k + 1
            );
            noted += 1;
        }
    }
    assert!(noted >= external.len(), "{noted} links found");
}

/// Pages named after internal links (`TEXT (p. N)`) in `pages`: each target's heading is on
/// page N. Returns how many references were checked.
fn check_page_references(model: &Value, pages: &[String]) -> usize {
    let mut all = Vec::new();
    links(model, &mut all);
    let chapters = model["chapters"].as_array().unwrap();
    let page_ref = "p.";
    let text = words(&pages.join("\n")).replace("- ", "-");
    let mut checked = 0;
    for (target, label) in &all {
        let Some(internal) = target.get("Internal") else {
            continue;
        };
        let chapter = internal["chapter"].as_str().unwrap();
        let title = match internal["anchor"].as_str() {
            Some(anchor) => heading(model, anchor).unwrap(),
            None => chapters
                .iter()
                .find(|c| c["id"] == chapter)
                .and_then(|c| c["title"].as_str())
                .unwrap()
                .to_string(),
        };
        let label = words(label);
        let wanted = format!("{label} ({page_ref} ");
        let found: Vec<usize> = text
            .match_indices(&wanted)
            .filter_map(|(at, _)| {
                let rest = &text[at + wanted.len()..];
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                rest[digits.len()..]
                    .starts_with(')')
                    .then(|| digits.parse().ok())?
            })
            .collect();
        assert!(!found.is_empty(), "no page after the link «{label}»");
        for n in found {
            assert!(
                (1..=pages.len()).contains(&n),
                "«{label}» names page {n} of {}",
                pages.len()
            );
            assert!(
                words(&pages[n - 1]).contains(&words(&title)),
                "«{label}» (p. {n}): «{title}» is not on page {n}"
            );
            checked += 1;
        }
    }
    checked
}

#[test]
fn internal_links_name_the_page_of_their_target_in_both_pdfs() {
    let content = repo().join("content");
    let (dir, _) = build(&content, "pdf,print");
    let model = model(&content);
    for pdf in [file(dir.path(), ".print.pdf"), file(dir.path(), ".pdf")] {
        let Some(pages) = pages(&pdf) else { return };
        let checked = check_page_references(&model, &pages);
        assert!(checked >= 3, "{}: {checked} references", pdf.display());
    }
}

/// The QR code on `page` of `pdf`, decoded (rendered by pdftoppm); `None` when it has none.
fn qr_code(pdf: &Path, page: usize) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("page");
    let o = std::process::Command::new("pdftoppm")
        .args(["-r", "150", "-gray", "-png", "-singlefile"])
        .args(["-f", &page.to_string(), "-l", &page.to_string()])
        .arg(pdf)
        .arg(&stem)
        .output()
        .unwrap();
    assert!(o.status.success());
    let image = image::open(stem.with_extension("png")).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    let grid = grids.first()?;
    Some(grid.decode().expect("the QR code decodes").1)
}

#[test]
fn cards_hold_one_page_per_persona_with_its_questions_and_its_address() {
    let content = repo().join("content");
    let (dir, _) = build(&content, "cards");
    let cards = file(dir.path(), ".cards.pdf");
    common::qpdf_and_pdffonts(&cards);
    let Some(pages) = pages(&cards) else { return };
    if !common::require_tool("pdftoppm", &["-v"]) {
        return;
    }
    let model = model(&content);
    let personas: Vec<&Value> = model["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "persona")
        .collect();
    assert!(personas.len() >= 3);
    assert_eq!(pages.len(), personas.len(), "one page per persona");
    for (k, persona) in personas.iter().enumerate() {
        let page = words(&pages[k]);
        let title = persona["title"].as_str().unwrap();
        assert!(page.contains(&words(title)), "page {}: {title}", k + 1);
        let mut questions = 0;
        for block in persona["blocks"].as_array().unwrap() {
            if let Some(h) = block.get("Heading")
                && h["level"] == 2
            {
                let question = words(&plain(&h["content"]));
                assert!(page.contains(&question), "{title}: «{question}» missing");
                questions += 1;
            }
        }
        assert!(questions > 0, "{title} has questions");
        let id = persona["id"].as_str().unwrap();
        assert_eq!(
            qr_code(&cards, k + 1).as_deref(),
            Some(format!("https://faq.data.gouv.fr/faq/{id}.html").as_str()),
            "page {}",
            k + 1
        );
    }
}

#[test]
fn cards_take_the_address_from_livret_toml_and_say_when_there_is_none() {
    if !common::require_tool("pdftoppm", &["-v"]) {
        return;
    }
    // A corpus whose _config.yml names no address: no QR code, one warning naming the keys.
    let corpus = tempfile::tempdir().unwrap();
    let root = corpus.path();
    let fixture = common::fixture("collections-dir");
    let copy = std::process::Command::new("cp")
        .arg("-r")
        .arg(fixture.join("."))
        .arg(root)
        .status()
        .unwrap();
    assert!(copy.success());
    let (dir, stderr) = build(root, "cards");
    let cards = file(dir.path(), ".cards.pdf");
    assert_eq!(
        stderr.matches("cards: the site's address").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("`url`"), "{stderr}");
    assert_eq!(qr_code(&cards, 1), None);
    std::fs::write(
        root.join("livret.toml"),
        "url = \"https://example.org/aide/\"\n",
    )
    .unwrap();
    let (dir, stderr) = build(root, "cards");
    assert!(!stderr.contains("cards:"), "{stderr}");
    let cards = file(dir.path(), ".cards.pdf");
    assert_eq!(
        qr_code(&cards, 2).as_deref(),
        Some("https://example.org/aide/faq/producteur.html")
    );
    drop(corpus);
}

#[test]
fn split_writes_a_print_edition_per_persona() {
    let out = tempfile::tempdir().unwrap();
    let o = livret(&repo())
        .args(["-q", "build", "content", "-f", "print", "--split", "-o"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let names = common::names_in(out.path());
    let prints: Vec<&String> = names.iter().filter(|n| n.ends_with(".print.pdf")).collect();
    assert_eq!(prints.len(), 6, "the book and five handouts: {names:?}");
    assert!(names.contains(&"decouvrir-l-opendata-citoyen.print.pdf".to_string()));
}
