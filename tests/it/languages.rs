//! Every language: where the book's language is found, the labels each format prints, the
//! punctuation per language (never inside code), and the warning when no language is set.
//! The fixtures `lang-*` are built by the real binary; HTML is read with an HTML5 parser, the
//! EPUB's XML with roxmltree, the PDF's text with `pdftotext`.

use crate::common;

use common::{copy_dir, fixture, livret, require_tool};
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

// One FAQ in several languages (issue 21): every layout livret reads, one complete set per
// language in one run.

/// Each multilingual fixture: its file stem and, per language, (tag, title, contents label).
/// A language of a fixture: (tag, title, contents label).
type Language<'a> = (&'a str, &'a str, &'a str);

const MULTILINGUAL: [(&str, &str, &[Language]); 4] = [
    (
        "lang-parallel-folders",
        "guia-dos-dados-abertos",
        &[
            ("pt", "Guia dos Dados Abertos", "Sumário"),
            ("en", "Open Data Guide", "Contents"),
            ("fr", "Guide des données ouvertes", "Sommaire"),
        ],
    ),
    (
        "lang-polyglot",
        "foire-aux-questions",
        &[
            ("fr", "Foire aux questions", "Sommaire"),
            ("en", "Frequently asked questions", "Contents"),
            ("de", "Häufige Fragen", "Inhalt"),
        ],
    ),
    (
        "lang-indexes",
        "questions-frequentes",
        &[
            ("fr", "Questions fréquentes", "Sommaire"),
            ("en", "Frequent questions", "Contents"),
        ],
    ),
    (
        "lang-toml-list",
        "guia",
        &[
            ("pt", "Perguntas frequentes", "Sumário"),
            ("en", "Frequently asked questions", "Contents"),
        ],
    ),
];

/// `livret <args>` run in a temporary folder, at a fixed build date.
fn run(args: &[&std::ffi::OsStr]) -> Output {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    livret(dir.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn read_html(path: &Path) -> Html {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Html::parse_document(&text)
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
}

fn epub_entries(path: &Path) -> BTreeMap<String, String> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{e}"));
    let mut zip = zip::ZipArchive::new(file).unwrap_or_else(|e| panic!("{e}"));
    let mut entries = BTreeMap::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap_or_else(|e| panic!("{e}"));
        let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        if name.ends_with("html") || name.ends_with(".opf") {
            let mut text = String::new();
            entry
                .read_to_string(&mut text)
                .unwrap_or_else(|e| panic!("{e}"));
            entries.insert(name, text);
        }
    }
    entries
}

#[test]
fn every_layout_builds_one_complete_set_per_language() {
    for (name, stem, languages) in MULTILINGUAL {
        let built = build_with(name, &["--split"], |_| {});
        assert!(
            !built.stderr().contains("warning"),
            "{name}: a fixture in step has no warning: {}",
            built.stderr()
        );
        let names = file_names(&built.out);
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(built.out.join("manifest.json"))
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let listed = manifest["artifacts"]
            .as_array()
            .unwrap_or_else(|| panic!("no artifacts"));
        let mut counted = 0;
        for (language, title, contents) in languages {
            // The book and one handout per persona, in every format.
            let suffix = format!(".{language}.html");
            let handouts = names
                .iter()
                .filter(|n| n.starts_with(&format!("{stem}-")) && n.ends_with(&suffix))
                .count();
            assert!(handouts >= 1, "{name} {language}: no handout in {names:?}");
            for ext in ["html", "epub", "pdf"] {
                let own: Vec<&String> = names
                    .iter()
                    .filter(|n| n.ends_with(&format!(".{language}.{ext}")))
                    .collect();
                assert_eq!(
                    own.len(),
                    handouts + 1,
                    "{name} {language} {ext}: {names:?}"
                );
                counted += own.len();
                for file in own {
                    let entry = listed
                        .iter()
                        .find(|a| a["path"] == file.as_str())
                        .unwrap_or_else(|| panic!("{name}: {file} not in the manifest"));
                    assert_eq!(entry["language"], *language, "{name} {file}");
                }
            }

            let html = read_html(&built.out.join(format!("{stem}.{language}.html")));
            assert_eq!(attr(&html, "html", "lang"), [*language], "{name}");
            assert_eq!(texts(&html, "title"), [*title], "{name} {language}");
            assert_eq!(texts(&html, "#toc-title"), [*contents], "{name} {language}");

            let epub_path = built.out.join(format!("{stem}.{language}.epub"));
            common::epubcheck(&epub_path);
            let epub = epub_entries(&epub_path);
            assert_eq!(dc_language(&epub), [*language], "{name}");
            let opf = epub
                .iter()
                .find(|(n, _)| n.ends_with(".opf"))
                .map(|(_, t)| t.clone())
                .unwrap_or_default();
            assert!(
                opf.contains(&format!(">{title}<")),
                "{name} {language}: {opf}"
            );
            for (file, text) in epub.iter().filter(|(f, _)| f.ends_with(".xhtml")) {
                assert_eq!(xml_lang(text).as_deref(), Some(*language), "{name} {file}");
            }

            let pdf_name = format!("{stem}.{language}.pdf");
            common::qpdf_and_pdffonts(&built.out.join(&pdf_name));
            if let Some(text) = built.pdf_text(&pdf_name) {
                assert!(text.contains(title), "{name}: PDF has no {title}");
                assert!(text.contains(contents), "{name}: PDF has no {contents}");
            }
        }
        // Nothing but the sets and the manifest.
        assert_eq!(names.len(), counted + 1, "{name}: {names:?}");
        assert_eq!(listed.len(), counted, "{name}");
    }
}

#[test]
fn html_alternates_resolve_to_the_same_file_in_every_language() {
    for (name, _, languages) in MULTILINGUAL {
        let built = build_with(name, &["--split", "-f", "html"], |_| {});
        for file in file_names(&built.out)
            .iter()
            .filter(|n| n.ends_with(".html"))
        {
            let html = read_html(&built.out.join(file));
            let hrefs = attr(&html, "link[rel=alternate]", "href");
            let langs = attr(&html, "link[rel=alternate]", "hreflang");
            assert_eq!(langs.len(), languages.len(), "{name} {file}");
            for (href, lang) in hrefs.iter().zip(&langs) {
                let target = built.out.join(href);
                assert!(target.is_file(), "{name} {file}: {href} does not exist");
                assert_eq!(
                    attr(&read_html(&target), "html", "lang"),
                    std::slice::from_ref(lang)
                );
                // A handout links to the same persona's handout.
                assert_eq!(
                    href.contains('-'),
                    file.contains('-'),
                    "{name} {file} → {href}"
                );
            }
            // The visible switcher: every language, this one marked as the current page.
            assert_eq!(attr(&html, "nav.languages a", "href"), hrefs, "{name}");
            assert_eq!(attr(&html, "nav.languages a", "hreflang"), langs, "{name}");
            assert_eq!(
                attr(&html, "nav.languages a[aria-current=page]", "href"),
                std::slice::from_ref(file),
                "{name}"
            );
            assert_eq!(attr(&html, "nav.languages", "aria-label").len(), 1);
        }
    }
}

#[test]
fn links_between_pages_stay_inside_their_language() {
    let built = build_with("lang-parallel-folders", &["-f", "html"], |_| {});
    let html = read_html(&built.out.join("guia-dos-dados-abertos.en.html"));
    // `/faqs/produtor.html` in the English page names the English producer page.
    let links = attr(&html, "#cidadao a", "href");
    assert!(links.contains(&"#produtor".to_string()), "{links:?}");
    assert_eq!(texts(&html, "#produtor h2"), ["Producer"]);
    let intro = attr(&html, "#introduction a", "href");
    assert!(intro.contains(&"#produtor".to_string()), "{intro:?}");
}

#[test]
fn a_missing_translation_is_a_warning_and_an_error_with_strict() {
    let remove = |corpus: &Path| {
        std::fs::remove_file(corpus.join("faqs-fr/produtor.md")).unwrap_or_else(|e| panic!("{e}"))
    };
    let built = build_with("lang-parallel-folders", &["-f", "html"], remove);
    let stderr = built.stderr();
    assert!(
        stderr.contains(
            "faqs/produtor.md:1:1: warning: page `faqs/produtor.md` (pt) has no translation in `fr`"
        ),
        "{stderr}"
    );
    // The French book goes without that chapter; the others keep it.
    let french = read_html(&built.out.join("guia-dos-dados-abertos.fr.html"));
    assert!(texts(&french, "#produtor h2").is_empty());
    let english = read_html(&built.out.join("guia-dos-dados-abertos.en.html"));
    assert_eq!(texts(&english, "#produtor h2"), ["Producer"]);

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let corpus = dir.path().join("corpus");
    copy_dir(&fixture("lang-parallel-folders"), &corpus);
    remove(&corpus);
    let strict = run(&[
        "build".as_ref(),
        corpus.as_os_str(),
        "-o".as_ref(),
        dir.path().join("out").as_os_str(),
        "--strict".as_ref(),
    ]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&strict.stderr).contains("has no translation in `fr`"));
    assert!(!dir.path().join("out").join("manifest.json").exists());

    // A button in one index and not the other, an image in one page and not its translation.
    let built = build_with("lang-indexes", &["-f", "html"], |corpus| {
        let index = corpus.join("en/index.md");
        let text = std::fs::read_to_string(&index).unwrap_or_else(|e| panic!("{e}"));
        let text = text.replace(
            "---\n\n#",
            "  - title: Journalist\n    default: en/faq/journalist\n---\n\n#",
        );
        std::fs::write(&index, text).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            corpus.join("en/faq/journalist.md"),
            "---\ntitle: Journalist\n---\n\n# Journalist\n\nText.\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        std::fs::copy(
            fixture("kramdown-idioms").join("img/point.png"),
            corpus.join("faq/logo.png"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let page = corpus.join("faq/citoyen.md");
        let text = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&page, format!("{text}\n![Logo](logo.png)\n"))
            .unwrap_or_else(|e| panic!("{e}"));
    });
    let stderr = built.stderr();
    assert!(
        stderr.contains("button \"Journalist\" (en) has no counterpart in the `fr` index"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "`en/faq/citizen.md` (en) shows 0 image(s), its original `faq/citoyen.md` (fr) 1"
        ),
        "{stderr}"
    );
}

#[test]
fn check_lists_a_translation_older_than_its_original() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let corpus = dir.path().join("corpus");
    copy_dir(&fixture("lang-parallel-folders"), &corpus);
    let page = corpus.join("faqs_en/cidadao.md");
    let text = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&page, text.replace("2024-03-05", "2024-02-20"))
        .unwrap_or_else(|e| panic!("{e}"));
    let output = run(&["check".as_ref(), corpus.as_os_str()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "faqs_en/cidadao.md:3:1: warning: translation `faqs_en/cidadao.md` (en, 2024-02-20) is older than its original `faqs/cidadao.md` (pt, 2024-03-01)"
        ),
        "{stderr}"
    );
    // The French translation, dated after its original, is not listed.
    assert!(!stderr.contains("faqs-fr/cidadao.md"), "{stderr}");
}

#[test]
fn lang_builds_only_that_language() {
    let built = build_with(
        "lang-polyglot",
        &["--lang", "en", "-f", "html,epub"],
        |_| {},
    );
    assert_eq!(
        file_names(&built.out),
        [
            "foire-aux-questions.en.epub",
            "foire-aux-questions.en.html",
            "manifest.json"
        ]
    );
    let html = read_html(&built.out.join("foire-aux-questions.en.html"));
    assert_eq!(texts(&html, "title"), ["Frequently asked questions"]);
    // No other language was built: nothing to link to.
    assert!(attr(&html, "link[rel=alternate]", "href").is_empty());

    let unknown = run(&[
        "check".as_ref(),
        fixture("lang-polyglot").as_os_str(),
        "--lang".as_ref(),
        "es".as_ref(),
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("fr, en, de"), "{stderr}");
}

#[test]
fn a_one_language_corpus_builds_as_before() {
    // No language suffix, no alternates, no switcher; `--lang` with its own language changes
    // no byte, another is refused.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let corpus = fixture("lang-pt-config");
    let build = |out: &str, extra: &[&str]| {
        let out = dir.path().join(out);
        let mut args = vec![
            "build".as_ref(),
            corpus.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
            "--split".as_ref(),
        ];
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        let output = run(&args);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        out
    };
    let plain = build("plain", &[]);
    let names = file_names(&plain);
    assert!(
        names.contains(&"guia-dos-dados-abertos.html".to_string()),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.contains(".pt.")), "{names:?}");
    let html = read_html(&plain.join("guia-dos-dados-abertos.html"));
    assert!(attr(&html, "link[rel=alternate]", "href").is_empty());
    assert!(texts(&html, "nav.languages").is_empty());
    let same = build("same", &["--lang", "pt"]);
    assert_eq!(file_names(&same), names);
    for name in &names {
        let a = std::fs::read(plain.join(name)).unwrap_or_else(|e| panic!("{e}"));
        let b = std::fs::read(same.join(name)).unwrap_or_else(|e| panic!("{e}"));
        assert!(a == b, "{name} differs");
    }
    let other = run(&[
        "check".as_ref(),
        corpus.as_os_str(),
        "--lang".as_ref(),
        "en".as_ref(),
    ]);
    assert_eq!(other.status.code(), Some(2));
}

#[test]
fn a_persona_of_the_original_selects_the_same_persona_in_every_language() {
    // `developpeur` is `developer` in the English index, at the same place.
    let built = build_with(
        "lang-indexes",
        &["--persona", "developpeur", "-f", "html"],
        |_| {},
    );
    assert_eq!(
        file_names(&built.out),
        [
            "manifest.json",
            "questions-frequentes-developer.en.html",
            "questions-frequentes-developpeur.fr.html",
        ]
    );
    let english = read_html(&built.out.join("questions-frequentes-developer.en.html"));
    assert_eq!(texts(&english, "section.persona h2"), ["Developer"]);
    assert_eq!(
        attr(&english, "link[rel=alternate][hreflang=fr]", "href"),
        ["questions-frequentes-developpeur.fr.html"]
    );
}

#[test]
fn lang_is_not_stopped_by_another_language_that_cannot_be_built() {
    // The English index names a page that does not exist: `--lang fr` still builds.
    let built = build_with("lang-indexes", &["--lang", "fr", "-f", "html"], |corpus| {
        std::fs::remove_file(corpus.join("en/faq/developer.md")).unwrap_or_else(|e| panic!("{e}"));
    });
    assert_eq!(
        file_names(&built.out),
        ["manifest.json", "questions-frequentes.fr.html"]
    );
    assert!(!built.stderr().contains("en/"), "{}", built.stderr());
}

/// The switcher and alternates are valid HTML: the Nu checker where installed (`VNU_JAR`, or
/// the copy `.ci/run` installs), no error and no warning.
#[test]
fn a_multilingual_page_passes_the_nu_checker() {
    let Some(jar) = common::nu_checker() else {
        return;
    };
    let built = build_with("lang-polyglot", &["-f", "html"], |_| {});
    let messages = common::nu_problems(&jar, &built.out.join("foire-aux-questions.de.html"));
    assert!(messages.is_empty(), "{messages:#?}");
}
