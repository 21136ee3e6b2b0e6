//! The HTML of real corpora, parsed with an HTML5 parser: chapters in order, every `#` link
//! resolves, nothing executable; the Nu checker where installed.

use crate::common;

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
        jobs: 2,
    };
    String::from_utf8(livret::write_format(Format::Html, &doc, &ctx, &mut diags).unwrap()).unwrap()
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

/// The Nu HTML checker "where installed": `VNU_JAR`, or the copy `.ci/run` installs. No error
/// and no warning, on the default corpus and on a book with a chapter in another language.
#[test]
fn nu_checker_reports_no_errors_and_no_warnings() {
    let Some(jar) = common::nu_checker() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, corpus) in [
        ("default", repo().join("content")),
        ("two-languages", fixture("lang-fr-english-chapter")),
    ] {
        let file = dir.path().join(format!("{name}.html"));
        std::fs::write(&file, build_html(&corpus)).unwrap();
        let messages = common::nu_problems(&jar, &file);
        assert!(messages.is_empty(), "vnu on {name}: {messages:#?}");
    }
}

/// One `h1` (the book), chapter titles `h2`, the introduction's header not repeating the title
/// block, task items without a bullet, mail links printable without `mailto:`.
#[test]
fn reader_visible_structure_of_the_default_corpus() {
    let text = build_html(&repo().join("content"));
    let html = Html::parse_document(&text);
    assert_eq!(select(&html, "h1").len(), 1);
    assert!(select(&html, "main h1").is_empty());
    let summary = select(&html, ".book-summary")[0].text().collect::<String>();
    let repeated = select(&html, "p")
        .iter()
        .filter(|p| p.text().collect::<String>() == summary)
        .count();
    assert_eq!(repeated, 1, "the summary is printed once: {summary}");
    // The introduction's title is there for screen readers only.
    let intro_titles = select(&html, "#introduction > header > h2");
    assert_eq!(intro_titles.len(), 1);
    assert_eq!(
        intro_titles[0].value().attr("class"),
        Some("visually-hidden")
    );
    // Chapter headings one level down: a `##` of a chapter is an `h3`.
    assert!(!select(&html, "main section.chapter h3").is_empty());
    assert!(select(&html, "main section.chapter > h2").is_empty());
    // The page's `{:toc}` is its section list here (the EPUB leaves it out).
    assert!(!select(&html, "#citoyen nav.page-toc a").is_empty());
    // Every task item carries its box and the `task` class that hides the bullet.
    let tasks = select(&html, "li.task");
    assert!(!tasks.is_empty());
    for task in &tasks {
        let text = task.text().collect::<String>();
        assert!(text.starts_with(['☐', '☑']), "{text}");
    }
    assert!(text.contains("li.task { list-style: none; }"));
    // Scrolling code blocks and tables can be reached with the keyboard, each named apart.
    let regions: Vec<&str> = select(
        &html,
        "pre[tabindex='0'][role='region'], .table-wrap[tabindex='0'][role='region']",
    )
    .iter()
    .filter_map(|e| e.value().attr("aria-label"))
    .collect();
    assert_eq!(regions.len(), select(&html, "pre, .table-wrap").len());
    assert_eq!(
        regions.len(),
        regions.iter().collect::<BTreeSet<_>>().len(),
        "{regions:?}"
    );
}

/// A chapter whose subtitle equals its summary prints it once; a mail link whose text is not
/// the address prints the address (without `mailto:`) on paper.
#[test]
fn subtitle_equal_to_summary_and_mail_links() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path();
    std::fs::create_dir_all(corpus.join("_faq")).unwrap();
    std::fs::write(
        corpus.join("index.md"),
        "---\ntitle: Book\nlang: en\nbuttons:\n  - title: One\n    default: faq/one\n---\n\nIntro.\n",
    )
    .unwrap();
    std::fs::write(
        corpus.join("_faq/one.md"),
        "---\ntitle: One\nsubtitle: Same words\nsummary: Same words\n---\n\n\
         Write to [the team](mailto:team@example.org) or <mailto:help@example.org>.\n",
    )
    .unwrap();
    let html = Html::parse_document(&build_html(corpus));
    let texts: Vec<String> = select(&html, "#one p")
        .iter()
        .map(|p| p.text().collect())
        .collect();
    assert_eq!(
        texts.iter().filter(|t| *t == "Same words").count(),
        1,
        "{texts:?}"
    );
    let addresses: Vec<Option<&str>> = select(&html, "#one a[href^='mailto:']")
        .iter()
        .map(|a| a.value().attr("data-address"))
        .collect();
    assert_eq!(addresses, [Some("team@example.org"), None]);
}

/// axe-core in headless Chromium on the default corpus's page, on a desktop and a phone
/// screen, light and dark: nothing critical or serious.
#[test]
fn axe_core_finds_nothing_critical_or_serious() {
    let Some(tools) = common::a11y::checkers("axe-core/axe.min.js") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("book.html");
    std::fs::write(&file, build_html(&repo().join("content"))).unwrap();
    for viewport in ["1280x900", "375x800"] {
        let o = std::process::Command::new("node")
            .arg(repo().join("tests/a11y/axe.js"))
            .arg(&file)
            .arg(viewport)
            .env("NODE_PATH", &tools.node_modules)
            .env("CHROME", &tools.chrome)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "axe: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        for scheme in ["light", "dark"] {
            for impact in ["critical", "serious"] {
                assert!(
                    report[scheme][impact].is_null(),
                    "{viewport} {scheme}: {impact}: {}",
                    report[scheme][impact]
                );
            }
        }
    }
}
