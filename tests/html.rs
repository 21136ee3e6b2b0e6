//! The HTML of real corpora, parsed with an HTML5 parser: chapters in order, every `#` link
//! resolves, nothing executable; the Nu checker where installed.

mod common;

use common::{fixture, repo};
use livret::diag::Diagnostics;
use livret::write::{Format, WriteContext};
use scraper::{Html, Selector};
use std::collections::BTreeSet;
use std::path::Path;

fn build_html(dir: &Path) -> String {
    let mut diags = Diagnostics::new();
    let (_, doc) = livret::load_document(dir, &mut diags).expect("corpus loads");
    assert!(!diags.has_errors(), "{:?}", diags.items());
    let ctx = WriteContext {
        theme: Default::default(),
        build_time: 0,
        version: "test",
    };
    String::from_utf8(livret::write::write(Format::Html, &doc, &ctx, &mut diags).unwrap()).unwrap()
}

fn select<'a>(html: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    html.select(&Selector::parse(css).unwrap()).collect()
}

fn assert_links_resolve_and_nothing_runs(text: &str) {
    let html = Html::parse_document(text);
    let ids: BTreeSet<&str> = select(&html, "[id]")
        .iter()
        .filter_map(|e| e.value().id())
        .collect();
    for a in select(&html, "a[href^='#']") {
        let target = &a.value().attr("href").unwrap()[1..];
        assert!(ids.contains(target), "href=#{target} names no id");
    }
    assert!(select(&html, "script, iframe, object, embed, body style").is_empty());
    for element in select(&html, "*") {
        for (name, value) in element.value().attrs() {
            assert!(!name.starts_with("on"), "event attribute {name}");
            let value = value.trim().to_ascii_lowercase();
            assert!(
                !value.starts_with("javascript:") && !value.starts_with("data:text"),
                "{name}={value}"
            );
        }
    }
}

#[test]
fn default_corpus_chapters_in_order_links_resolve() {
    let text = build_html(&repo().join("content"));
    let html = Html::parse_document(&text);
    let chapters: Vec<&str> = select(&html, "section.chapter")
        .iter()
        .filter_map(|s| s.value().id())
        .collect();
    assert_eq!(
        chapters,
        [
            "introduction",
            "citoyen",
            "producteur",
            "reutilisateur",
            "developpeur",
            "integrateur",
            "mentions-legales"
        ]
    );
    assert_eq!(select(&html, "html")[0].value().attr("lang"), Some("fr"));
    // Images are inlined, the book stands alone.
    let images = select(&html, "img");
    assert!(images.len() >= 3);
    assert!(images.iter().all(|i| {
        i.value()
            .attr("src")
            .is_some_and(|s| s.starts_with("data:image/"))
    }));
    // The cross-persona links of the corpus are internal.
    assert!(
        !select(&html, "#citoyen a[href^='#producteur']").is_empty(),
        "{{% link %}} to producteur"
    );
    assert!(
        !text.contains("{%") && !text.contains("{:"),
        "no Liquid or IAL left"
    );
    assert_links_resolve_and_nothing_runs(&text);
}

#[test]
fn hostile_html_never_reaches_the_output() {
    let text = build_html(&fixture("script-injection"));
    assert_links_resolve_and_nothing_runs(&text);
    assert!(text.contains("texte gardé"));
    assert!(
        text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the code block stays as text"
    );
}

#[test]
fn good_fixtures_link_cleanly() {
    for name in ["compact-buttons", "collections-dir"] {
        assert_links_resolve_and_nothing_runs(&build_html(&fixture(name)));
    }
}

/// The Nu HTML checker "where installed": `VNU_JAR`, or the copy `.ci/run` installs.
#[test]
fn nu_checker_reports_no_errors() {
    let jar = std::env::var("VNU_JAR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| repo().join(".ci/vnu/node_modules/vnu-jar/build/dist/vnu.jar"));
    if !jar.exists() {
        eprintln!("skipped: Nu HTML checker not installed (set VNU_JAR)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("book.html");
    std::fs::write(&file, build_html(&repo().join("content"))).unwrap();
    let o = std::process::Command::new("java")
        .args([
            "-jar",
            jar.to_str().unwrap(),
            "--errors-only",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "vnu: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}
