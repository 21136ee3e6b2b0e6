//! Every language: where the book's language is found, the labels each format prints, the
//! punctuation per language (never inside code), and the warning when no language is set.
//! The fixtures `lang-*` are built by the real binary; HTML is read with an HTML5 parser, the
//! EPUB's XML with roxmltree, the PDF's text with `pdftotext`.

mod common;

use common::{fixture, livret, require_tool};
use scraper::{Html, Selector};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Output;

struct Built {
    _dir: tempfile::TempDir,
    out: PathBuf,
    output: Output,
}

impl Built {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// The one artifact of this format (the book, not a `--split` handout).
    fn artifact(&self, ext: &str) -> PathBuf {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&self.out)
            .unwrap_or_else(|e| panic!("{}: {e}", self.out.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == ext))
            .collect();
        found.sort_by_key(|p| p.as_os_str().len());
        found
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no .{ext} in {}: {}", self.out.display(), self.stderr()))
    }

    fn html(&self) -> Html {
        let text = std::fs::read_to_string(self.artifact("html")).unwrap_or_else(|e| panic!("{e}"));
        Html::parse_document(&text)
    }

    fn epub(&self) -> BTreeMap<String, String> {
        let file = std::fs::File::open(self.artifact("epub")).unwrap_or_else(|e| panic!("{e}"));
        let mut zip = zip::ZipArchive::new(file).unwrap_or_else(|e| panic!("{e}"));
        let mut entries = BTreeMap::new();
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).unwrap_or_else(|e| panic!("{e}"));
            let mut text = String::new();
            let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
            if name.ends_with("html") || name.ends_with(".opf") {
                entry
                    .read_to_string(&mut text)
                    .unwrap_or_else(|e| panic!("{e}"));
                entries.insert(name, text);
            }
        }
        entries
    }

    /// The PDF's text, or `None` when pdftotext is not installed (outside CI).
    fn pdf_text(&self, name: &str) -> Option<String> {
        if !require_tool("pdftotext", &["-v"]) {
            return None;
        }
        let output = std::process::Command::new("pdftotext")
            .arg(self.out.join(name))
            .arg("-")
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(output.status.success(), "pdftotext {name}");
        Some(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{e}")) {
        let entry = entry.unwrap_or_else(|e| panic!("{e}"));
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// Copy a fixture to a temporary corpus, let `edit` change it, build it with `args`.
fn build_with(name: &str, args: &[&str], edit: impl FnOnce(&Path)) -> Built {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let corpus = dir.path().join("corpus");
    copy_dir(&fixture(name), &corpus);
    edit(&corpus);
    let out = dir.path().join("out");
    let output = livret(dir.path())
        .arg("build")
        .arg(&corpus)
        .arg("-o")
        .arg(&out)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Built {
        _dir: dir,
        out,
        output,
    }
}

fn build(name: &str) -> Built {
    build_with(name, &[], |_| {})
}

fn texts(html: &Html, css: &str) -> Vec<String> {
    let selector = Selector::parse(css).unwrap_or_else(|e| panic!("{css}: {e:?}"));
    html.select(&selector)
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

fn attr(html: &Html, css: &str, name: &str) -> Vec<String> {
    let selector = Selector::parse(css).unwrap_or_else(|e| panic!("{css}: {e:?}"));
    html.select(&selector)
        .filter_map(|e| e.value().attr(name).map(str::to_string))
        .collect()
}

/// An XHTML document of the EPUB and its root's `xml:lang`.
fn xml_lang(xhtml: &str) -> Option<String> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let doc =
        roxmltree::Document::parse_with_options(xhtml, options).unwrap_or_else(|e| panic!("{e}"));
    doc.root_element()
        .attribute(("http://www.w3.org/XML/1998/namespace", "lang"))
        .map(str::to_string)
}

fn dc_language(epub: &BTreeMap<String, String>) -> Vec<String> {
    let opf = epub
        .iter()
        .find(|(name, _)| name.ends_with(".opf"))
        .map(|(_, text)| text.as_str())
        .unwrap_or_else(|| panic!("no OPF"));
    let doc = roxmltree::Document::parse(opf).unwrap_or_else(|e| panic!("{e}"));
    doc.descendants()
        .filter(|n| n.tag_name().name() == "language")
        .filter_map(|n| n.text().map(str::to_string))
        .collect()
}

/// What each fixture's labels must be in every format: (fixture, language, contents, notes).
const BOOKS: [(&str, &str, &str, &str); 3] = [
    ("lang-en-site", "en", "Contents", "Notes"),
    ("lang-de-index", "de", "Inhalt", "Anmerkungen"),
    ("lang-pt-config", "pt", "Sumário", "Notas"),
];

#[test]
fn language_from_site_config_index_or_livret_toml_in_every_format() {
    for (name, language, contents, notes) in BOOKS {
        let built = build(name);
        assert!(
            !built.stderr().contains("language is set nowhere"),
            "{name}: {}",
            built.stderr()
        );
        let html = built.html();
        assert_eq!(attr(&html, "html", "lang"), [language], "{name}");
        assert_eq!(texts(&html, "#toc-title"), [contents], "{name}");
        assert!(
            texts(&html, ".footnotes-title").contains(&notes.to_string()),
            "{name}"
        );

        common::epubcheck(&built.artifact("epub"));
        let epub = built.epub();
        assert_eq!(dc_language(&epub), [language], "{name}");
        for (file, text) in epub.iter().filter(|(f, _)| f.ends_with(".xhtml")) {
            assert_eq!(xml_lang(text).as_deref(), Some(language), "{name} {file}");
        }
        let nav = &epub["OEBPS/nav.xhtml"];
        assert!(nav.contains(&format!(">{contents}</")), "{name}: {nav}");
        let notes_aside = epub
            .values()
            .any(|t| t.contains("epub:type=\"footnote\" role=\"doc-footnote\""));
        assert!(notes_aside, "{name}: no EPUB footnote");

        let pdf = built.artifact("pdf");
        let file_name = pdf.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if let Some(text) = built.pdf_text(file_name) {
            assert!(text.contains(contents), "{name}: PDF has no {contents}");
            assert!(text.contains(notes), "{name}: PDF has no {notes}");
            assert!(
                !text.contains("Sommaire"),
                "{name}: French label in the PDF"
            );
        }
    }
}

#[test]
fn the_same_word_for_the_same_thing_in_html_epub_and_pdf() {
    let built = build_with("lang-en-site", &["--split"], |_| {});
    let html = built.html();
    assert_eq!(texts(&html, ".back-to-contents a")[0], "Back to contents");
    let epub = built.epub();
    let nav = &epub["OEBPS/nav.xhtml"];
    for landmark in ["Contents", "Title page", "Start"] {
        assert!(
            nav.contains(&format!(">{landmark}</a>")),
            "{landmark}: {nav}"
        );
    }
    // A handout names its persona in a reader's words, in the EPUB and the PDF alike.
    let handout_epub = std::fs::read_dir(&built.out)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with("-citizen.epub"))
        .unwrap_or_else(|| panic!("no handout"));
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(handout_epub).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
    let mut title_page = String::new();
    zip.by_name("OEBPS/titlepage.xhtml")
        .unwrap_or_else(|e| panic!("{e}"))
        .read_to_string(&mut title_page)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(title_page.contains("Profile: Citizen"), "{title_page}");
    if let Some(text) = built.pdf_text("open-data-handbook-citizen.pdf") {
        assert!(text.contains("Profile: Citizen"), "{text}");
        assert!(!text.contains("Persona"), "{text}");
    }
}

#[test]
fn punctuation_per_language_and_never_in_code() {
    let built = build("lang-en-site");
    let html = built.html();
    let prose = texts(&html, "#introduction p").join(" ");
    assert!(
        prose.contains("what “open data” means – and what it doesn’t."),
        "{prose}"
    );
    assert!(
        prose.contains("Who is this for?"),
        "no French spacing: {prose}"
    );
    assert!(prose.contains("on its own…"), "{prose}");
    let citizen = texts(&html, "#citizen p").join(" ");
    assert!(citizen.contains("“air quality”"), "{citizen}");
    assert!(citizen.contains("it’s the quickest"), "{citizen}");
    assert!(
        citizen.contains("Note: times are given as 10:30"),
        "{citizen}"
    );
    // Code, code blocks and autolinks keep what the author typed.
    assert!(texts(&html, "#citizen p code").contains(&"grep \"air quality\" data.csv".into()));
    assert_eq!(
        texts(&html, "#citizen pre code"),
        ["echo \"don't touch\" -- 'this' ..."]
    );
    assert!(texts(&html, "#citizen a").contains(&"https://example.org/it's--fine".into()));
    let administrator = texts(&html, "#administrator p").join(" ");
    assert!(
        administrator.contains("in one sentence – the period, the area — and the licence."),
        "{administrator}"
    );

    let german = build("lang-de-index").html();
    let intro = texts(&german, "#introduction p").join(" ");
    assert!(intro.contains("„offene Daten“"), "{intro}");
    assert!(texts(&german, "#buerger p code").contains(&"grep \"Luft\" daten.csv".into()));
    let portuguese = build("lang-pt-config").html();
    let intro = texts(&portuguese, "#introduction p").join(" ");
    assert!(intro.contains("«dados abertos»"), "{intro}");
}

#[test]
fn a_french_book_with_an_english_chapter() {
    let built = build("lang-fr-english-chapter");
    let html = built.html();
    assert_eq!(attr(&html, "html", "lang"), ["fr"]);
    assert_eq!(attr(&html, "section.chapter[lang]", "id"), ["visitor"]);
    assert_eq!(attr(&html, "section#visitor", "lang"), ["en"]);
    assert_eq!(texts(&html, "#toc-title"), ["Sommaire"]);
    let french = texts(&html, "#citoyen p").join(" ");
    assert!(
        french.contains("«\u{202F}qualité de l’air\u{202F}» dans le catalogue\u{A0}: c’est"),
        "{french:?}"
    );
    let english = texts(&html, "#visitor p").join(" ");
    assert!(
        english.contains("Search for “air quality”: it’s the quickest"),
        "{english:?}"
    );
    assert!(texts(&html, "#visitor h3").contains(&"Where do I start?".into()));

    common::epubcheck(&built.artifact("epub"));
    let epub = built.epub();
    assert_eq!(dc_language(&epub), ["fr"]);
    assert_eq!(
        xml_lang(&epub["OEBPS/visitor.xhtml"]).as_deref(),
        Some("en")
    );
    assert_eq!(
        xml_lang(&epub["OEBPS/citoyen.xhtml"]).as_deref(),
        Some("fr")
    );
}

#[test]
fn a_book_without_a_language_is_french_with_one_warning() {
    let built = build_with("lang-en-site", &["-f", "html"], |corpus| {
        std::fs::write(corpus.join("_config.yml"), "title: Open Data Handbook\n")
            .unwrap_or_else(|e| panic!("{e}"));
    });
    let stderr = built.stderr();
    assert_eq!(
        stderr.matches("language is set nowhere").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("index.md:1:1: warning:"), "{stderr}");
    assert!(
        stderr.contains("livret.toml") && stderr.contains("_config.yml"),
        "the hint names where to set one: {stderr}"
    );
    assert_eq!(attr(&built.html(), "html", "lang"), ["fr"]);

    // `locale` and `defaults` are where some sites put it.
    for config in [
        "locale: en_US\n",
        "defaults:\n  - scope:\n      path: \"\"\n    values:\n      lang: en\n",
    ] {
        let built = build_with("lang-en-site", &["-f", "html"], |corpus| {
            std::fs::write(corpus.join("_config.yml"), config).unwrap_or_else(|e| panic!("{e}"));
        });
        assert!(
            !built.stderr().contains("language is set nowhere"),
            "{config}"
        );
        let lang = attr(&built.html(), "html", "lang");
        assert!(lang == ["en"] || lang == ["en-US"], "{config}: {lang:?}");
    }
}

#[test]
fn an_unknown_language_gets_english_words_with_one_warning() {
    let built = build_with("lang-en-site", &["-f", "html"], |corpus| {
        std::fs::write(corpus.join("livret.toml"), "language = \"fy\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
    });
    let stderr = built.stderr();
    assert_eq!(
        stderr.matches("no words for the language `fy`").count(),
        1,
        "{stderr}"
    );
    let html = built.html();
    assert_eq!(attr(&html, "html", "lang"), ["fy"]);
    assert_eq!(texts(&html, "#toc-title"), ["Contents"]);
}

#[test]
fn labels_from_the_theme_and_livret_toml_reach_every_format() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let theme = dir.path().join("theme");
    std::fs::create_dir_all(&theme).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        theme.join("labels.toml"),
        "contents = \"In this book\"\nnotes = \"Footnotes\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let theme_arg = theme.to_string_lossy().into_owned();
    let built = build_with("lang-en-site", &["--theme", &theme_arg], |corpus| {
        std::fs::write(
            corpus.join("livret.toml"),
            "[labels]\nnotes = \"Endnotes\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    });
    let html = built.html();
    assert_eq!(texts(&html, "#toc-title"), ["In this book"]);
    // livret.toml is the book's own: it wins over the theme.
    assert!(texts(&html, ".footnotes-title").contains(&"Endnotes".into()));
    let epub = built.epub();
    assert!(epub["OEBPS/nav.xhtml"].contains(">In this book</"));
    if let Some(text) = built.pdf_text("open-data-handbook.pdf") {
        assert!(
            text.contains("In this book") && text.contains("Endnotes"),
            "{text}"
        );
    }

    // A label that does not exist is an error naming the file and its line.
    std::fs::write(
        theme.join("labels.toml"),
        "contents = \"x\"\ncontent = \"y\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("out2");
    let output = livret(dir.path())
        .arg("build")
        .arg(fixture("lang-en-site"))
        .args(["-o", &out.to_string_lossy(), "--theme", &theme_arg])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("labels.toml") && stderr.contains("line 2"),
        "{stderr}"
    );
    assert!(!out.exists() || std::fs::read_dir(&out).is_ok_and(|mut d| d.next().is_none()));
}

#[test]
fn typography_false_leaves_the_text_as_typed() {
    let built = build_with("lang-fr-english-chapter", &["-f", "html"], |corpus| {
        std::fs::write(corpus.join("livret.toml"), "typography = false\n")
            .unwrap_or_else(|e| panic!("{e}"));
    });
    let french = texts(&built.html(), "#citoyen p").join(" ");
    assert!(
        french.contains("Cherchez \"qualité de l'air\" dans le catalogue : c'est"),
        "{french:?}"
    );
}
