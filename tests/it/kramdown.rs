//! What Jekyll shows, livret shows: every page of `content/` and of every good fixture is
//! rendered by kramdown itself (Jekyll's defaults) and compared with livret's chapter in its
//! HTML, both parsed with scraper. See docs/dialect.md, "Checked against kramdown".
//!
//! Compared: visible text, heading outline, the `{:toc}` list, counts of lists, items, tables,
//! cells and code blocks, every image (same bytes, same alt) and every link (external URLs
//! equal; internal links landing on the same heading of the same chapter). Only the
//! differences in `INTENTIONAL` are allowed.

use crate::common;

use common::{fixture, repo};
use livret::corpus::{Corpus, Page};
use livret::diag::Diagnostics;
use livret::ir::Document;
use livret::write::{Format, WriteContext};
use scraper::{ElementRef, Html, Node, Selector};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What livret does differently from kramdown on purpose, once each, with the reason. The
/// comparison below names the entry it applies.
const INTENTIONAL: &[(&str, &str)] = &[
    (
        "title",
        "the page's opening `# heading` is the chapter title, printed once in the chapter header",
    ),
    (
        "heading-levels",
        "the single-page HTML has one <h1>, the book's title: a chapter's title is an <h2> and its \
         headings sit one level below kramdown's (a `#` heading inside a page is an <h3>); \
         livret's levels are compared one up",
    ),
    (
        "self-contained-images",
        "the HTML embeds images as data: URIs; compared by their bytes",
    ),
    (
        "shared-images",
        "an image shown more than once is an `<svg class=image>` drawing one embedded copy; its \
         alt is its aria-label, its title a `<title>` (not text of the page)",
    ),
    (
        "chapter-prefixed-ids",
        "ids are unique across the book (`{chapter}-{id}`); links are compared by where they land",
    ),
    (
        "typography",
        "French spacing, quotes and dashes are the typography pass's job (and kramdown's \
         smart_quotes/typographic_symbols): no-break spaces, spaces around ; : ! ? « » and \
         quote or dash characters are normalised on both sides",
    ),
    (
        "sanitised-html",
        "<script>, <style>, <iframe>, <object>, <embed> from pages never reach an output",
    ),
    (
        "image-captions",
        "a lone image without the author's caption is captioned with its title or alt text",
    ),
    (
        "notes",
        "footnotes get a 'Notes' heading, and their back links are not text",
    ),
    (
        "book-navigation",
        "each chapter ends with a link back to the book's contents",
    ),
    (
        "task-lists",
        "task-list boxes are the characters ☐/☑ (every format can show them), not <input>",
    ),
    (
        "math",
        "`$$…$$` stays as written text: no MathJax in a book; kramdown's \\( \\) \\[ \\] are read as $$",
    ),
    (
        "html-as-browsers-read-it",
        "raw HTML is parsed as browsers parse it (html5ever): kramdown leaves a tag with an \
         unquoted attribute value (`<img src=/x.png>`) as text",
    ),
    (
        "escaped-pipes-in-code",
        "`a \\| b` in a table cell's code span shows `a | b` (the GFM rule: the author escaped \
         the pipe to stay in the cell); kramdown keeps the backslash",
    ),
    (
        "heading-ial",
        "`## Titre {: .x}`: livret applies the attribute list; kramdown's GFM parser shows it \
         as text, markup no reader should see (it is taken off the heading line before kramdown)",
    ),
    (
        "markdown-in-html-blocks",
        "Markdown between a lone `<div>` line and its `</div>`, blank lines apart, is read as \
         Markdown (CommonMark's rule); kramdown without `parse_block_html` shows `**x**` as is. \
         Not normalised: a page that relies on it differs, the fixtures do not",
    ),
    (
        "links-outside-the-book",
        "a link to a site page that is not in the book keeps its text and loses its link",
    ),
];

/// Pages where an intentional difference cannot be normalised away: (corpus and page, what
/// differs, the INTENTIONAL entry).
const EXEMPT: &[(&str, &str, &str)] = &[
    (
        "script-injection: faq/citoyen.md",
        "text",
        "html-as-browsers-read-it",
    ),
    (
        "script-injection: faq/citoyen.md",
        "images",
        "html-as-browsers-read-it",
    ),
];

fn intentional(name: &str) -> &'static str {
    INTENTIONAL
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, _)| *n)
        .unwrap_or_else(|| panic!("`{name}` is not listed in INTENTIONAL"))
}

/// Jekyll's kramdown defaults (`_config.yml` setting nothing): GFM input, auto ids, smart
/// quotes, typographic symbols, `toc_levels` 1..6, `hard_wrap` off. Syntax highlighting is
/// off: Rouge only adds spans inside the same `<pre>`.
const KRAMDOWN_SCRIPT: &str = r#"
require 'kramdown'
require 'kramdown-parser-gfm'
Dir[File.join(ARGV[0], '*.md')].sort.each do |path|
  html = Kramdown::Document.new(File.read(path, encoding: 'UTF-8'),
    input: 'GFM', auto_ids: true, toc_levels: (1..6).to_a, hard_wrap: false,
    smart_quotes: %w[lsquo rsquo ldquo rdquo], entity_output: :as_char,
    footnote_nr: 1, syntax_highlighter: nil, math_engine: 'mathjax').to_html
  File.write(path.sub(/\.md\z/, '.html'), html)
end
"#;

fn kramdown_available() -> bool {
    let found = Command::new("ruby")
        .args(["-e", "require 'kramdown'; require 'kramdown-parser-gfm'"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "kramdown is required in CI (CI=true): apt-get install ruby-kramdown ruby-kramdown-parser-gfm"
            );
        }
        eprintln!(
            "skipped: kramdown not installed (apt-get install ruby-kramdown ruby-kramdown-parser-gfm)"
        );
    }
    found
}

/// Liquid as livret reads it, done before kramdown as Jekyll does: `{% link x %}` is the URL
/// the page is published at, `{{ site.baseurl }}`/`{{ site.url }}` nothing, `{{ page.x }}` /
/// `{{ site.x }}` their values, `{% raw %}` keeps its text, `{% comment %}` goes, any other tag
/// goes. Liquid inside fenced code and code spans is text (livret's rule; Jekyll would run it).
fn liquid_as_livret(body: &str, page: &Page, corpus: &Corpus) -> String {
    let mut out = String::with_capacity(body.len());
    let mut fence: Option<String> = None;
    let mut in_comment = false;
    for line in body.split_inclusive('\n') {
        let bare = line.trim_start_matches([' ', '>', '-', '*', '+']);
        if let Some(open) = &fence {
            if bare.trim_end().starts_with(open.as_str()) && bare.trim().len() >= open.len() {
                fence = None;
            }
            out.push_str(line);
            continue;
        }
        let ticks: String = bare
            .chars()
            .take_while(|c| *c == '`' || *c == '~')
            .collect();
        if ticks.len() >= 3
            && ticks
                .chars()
                .all(|c| c == ticks.chars().next().unwrap_or('`'))
        {
            fence = Some(ticks);
            out.push_str(line);
            continue;
        }
        out.push_str(&without_heading_ial(&liquid_line(
            line,
            page,
            corpus,
            &mut in_comment,
        )));
    }
    out
}

/// heading-ial: `## Titre {: .x}` as livret reads it, `## Titre`.
fn without_heading_ial(line: &str) -> String {
    let _ = intentional("heading-ial");
    let trimmed = line.trim_end();
    let is_heading = trimmed.trim_start().starts_with('#');
    match trimmed.rfind("{:") {
        Some(at) if is_heading && trimmed.ends_with('}') => {
            format!("{}{}", trimmed[..at].trim_end(), &line[trimmed.len()..])
        }
        _ => line.to_string(),
    }
}

fn liquid_line(line: &str, page: &Page, corpus: &Corpus, in_comment: &mut bool) -> String {
    let mut out = String::new();
    let mut rest = line;
    while !rest.is_empty() {
        if *in_comment {
            match rest.find("endcomment") {
                Some(at) => {
                    let after = &rest[at..];
                    let close = after.find("%}").map_or(after.len(), |c| c + 2);
                    rest = &after[close..];
                    *in_comment = false;
                }
                None => return out + if line.ends_with('\n') { "\n" } else { "" },
            }
            continue;
        }
        let next = ["`", "{{", "{%", "\\"]
            .iter()
            .filter_map(|m| rest.find(m).map(|at| (at, *m)))
            .min();
        let Some((at, mark)) = next else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match mark {
            "\\" => {
                let len = rest.chars().nth(1).map_or(1, |c| 1 + c.len_utf8());
                out.push_str(&rest[..len]);
                rest = &rest[len..];
            }
            "`" => {
                let run = rest.chars().take_while(|c| *c == '`').count();
                let close = rest[run..].find(&"`".repeat(run)).map(|c| run + c + run);
                let end = close.unwrap_or(run);
                out.push_str(&rest[..end]);
                rest = &rest[end..];
            }
            _ => {
                let closer = if mark == "{{" { "}}" } else { "%}" };
                let Some(close) = rest[2..].find(closer).map(|c| c + 4) else {
                    out.push_str(&rest[..2]);
                    rest = &rest[2..];
                    continue;
                };
                let inner = rest[2..close - 2].trim_matches('-').trim();
                rest = &rest[close..];
                if mark == "{{" {
                    let name = inner.split('|').next().unwrap_or("").trim();
                    let value = if let Some(key) = name.strip_prefix("page.") {
                        page.front.vars.get(key).cloned()
                    } else if name == "site.baseurl" || name == "site.url" {
                        None
                    } else if let Some(key) = name.strip_prefix("site.") {
                        corpus.site.vars.get(key).cloned()
                    } else {
                        None
                    };
                    out.push_str(&value.unwrap_or_default());
                } else {
                    let (name, args) = inner.split_once(' ').unwrap_or((inner, ""));
                    match name {
                        "link" | "post_url" => {
                            let path = args.trim().trim_matches(['"', '\'']);
                            let page = corpus.routes.resolve_file(path).unwrap_or(path);
                            let url = corpus.routes.published_at.get(page).cloned();
                            out.push_str(&url.unwrap_or_else(|| format!("/{path}")));
                        }
                        "comment" => *in_comment = true,
                        _ => {}
                    }
                }
            }
        }
    }
    out
}

/// Every page of the book rendered by kramdown: chapter id → kramdown's HTML.
fn kramdown_pages(corpus: &Corpus, doc: &Document, work: &Path) -> BTreeMap<String, String> {
    let pages: Vec<&Page> = std::iter::once(&corpus.index)
        .chain(corpus.personas.iter().map(|p| &p.page))
        .chain(&corpus.appendices)
        .collect();
    let mut files = BTreeMap::new();
    for (n, chapter) in doc.chapters.iter().enumerate() {
        let page = pages
            .iter()
            .find(|p| p.path == chapter.source)
            .expect("every chapter has its page");
        let file = work.join(format!("{n:03}.md"));
        std::fs::write(&file, liquid_as_livret(&page.body, page, corpus)).unwrap();
        files.insert(chapter.id.clone(), file.with_extension("html"));
    }
    let status = Command::new("ruby")
        .args(["-e", KRAMDOWN_SCRIPT])
        .arg(work)
        .status()
        .expect("ruby runs");
    assert!(status.success(), "kramdown failed");
    files
        .into_iter()
        .map(|(id, file)| (id, std::fs::read_to_string(file).unwrap()))
        .collect()
}

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

/// The part of a page that is compared: what livret or kramdown made of the page body.
struct Side<'a> {
    root: ElementRef<'a>,
    /// Subtrees left out of the text, counts and links (the reason is in INTENTIONAL).
    skipped: Vec<ElementRef<'a>>,
    /// Levels its headings sit below kramdown's (heading-levels).
    shift: u8,
}

fn skip_all<'a>(root: ElementRef<'a>, css: &str, skipped: &mut Vec<ElementRef<'a>>) {
    skipped.extend(root.select(&sel(css)));
}

impl<'a> Side<'a> {
    fn kramdown(page: &'a Html, title: &str) -> Side<'a> {
        let root = page.root_element();
        let mut skipped = Vec::new();
        skip_all(root, "#markdown-toc", &mut skipped);
        skip_all(root, "a.reversefootnote", &mut skipped); // notes
        skip_all(root, "script, style, iframe, object, embed", &mut skipped); // sanitised-html
        let _ = (intentional("notes"), intentional("sanitised-html"));
        // title: the page's opening `#` heading (only anchors before it).
        let first = root.children().filter_map(ElementRef::wrap).find(|e| {
            !(matches!(e.value().name(), "span" | "a") && e.text().collect::<String>().is_empty())
        });
        if let Some(h1) = first.filter(|e| e.value().name() == "h1") {
            let _ = intentional("title");
            let _ = title;
            skipped.push(h1);
        }
        Side {
            root,
            skipped,
            shift: 0,
        }
    }

    fn livret(section: ElementRef<'a>) -> Side<'a> {
        let mut skipped = Vec::new();
        skip_all(section, "header.chapter-header", &mut skipped); // title
        skip_all(section, "nav.page-toc", &mut skipped); // compared on its own
        skip_all(section, "p.back-to-contents", &mut skipped); // book-navigation
        skip_all(section, ".footnotes-title, a.footnote-back", &mut skipped); // notes
        skip_all(section, "svg.image > title", &mut skipped); // shared-images
        let _ = (
            intentional("book-navigation"),
            intentional("shared-images"),
            intentional("image-captions"),
        );
        // image-captions: a figcaption livret wrote (no italic from the author in it).
        for caption in section.select(&sel("figure > figcaption")) {
            if caption.select(&sel("em")).next().is_none() {
                skipped.push(caption);
            }
        }
        Side {
            root: section,
            skipped,
            shift: 1,
        }
    }

    /// Elements in document order, skipped subtrees left out.
    fn elements(&self) -> Vec<ElementRef<'a>> {
        let mut out = Vec::new();
        let mut stack = vec![self.root];
        while let Some(element) = stack.pop() {
            out.push(element);
            let children: Vec<ElementRef> = element
                .children()
                .filter_map(ElementRef::wrap)
                .filter(|e| !self.skipped.contains(e))
                .collect();
            stack.extend(children.into_iter().rev());
        }
        out
    }

    fn text(&self) -> String {
        let mut out = String::new();
        self.push_text(self.root, &mut out);
        normalise(&out)
    }

    fn push_text(&self, element: ElementRef, out: &mut String) {
        for child in element.children() {
            match child.value() {
                Node::Text(text) => out.push_str(text),
                Node::Element(_) => {
                    if let Some(e) = ElementRef::wrap(child)
                        && !self.skipped.contains(&e)
                    {
                        // Block and inline elements alike: a space apart (both sides).
                        out.push(' ');
                        self.push_text(e, out);
                        out.push(' ');
                    }
                }
                _ => {}
            }
        }
    }
}

/// typography, math, task-lists: the same text whoever set its punctuation.
fn normalise(text: &str) -> String {
    let _ = (
        intentional("typography"),
        intentional("math"),
        intentional("task-lists"),
    );
    let mut mapped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{a0}' | '\u{202f}' | '\u{2009}' | '\n' | '\t' | '\r' => mapped.push(' '),
            '’' | '‘' | '‛' => mapped.push('\''),
            '“' | '”' | '„' | '«' | '»' => mapped.push('"'),
            '–' => mapped.push_str("--"),
            '—' => mapped.push_str("---"),
            '…' => mapped.push_str("..."),
            '☐' | '☑' => {}
            c => mapped.push(c),
        }
    }
    let _ = intentional("escaped-pipes-in-code");
    let mapped = mapped
        .replace("\\|", "|")
        .replace("\\(", "$$")
        .replace("\\)", "$$")
        .replace("\\[", "$$")
        .replace("\\]", "$$");
    let words: Vec<&str> = mapped.split_whitespace().collect();
    let mut out = String::new();
    let tight = |c: char| ";:!?\"$".contains(c);
    for word in words {
        let joins = out.ends_with(tight) || word.starts_with(tight);
        if !out.is_empty() && !joins {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

fn outline(side: &Side) -> Vec<(u8, String)> {
    let _ = intentional("heading-levels");
    side.elements()
        .into_iter()
        .filter_map(|e| {
            let name = e.value().name();
            let level = name.strip_prefix('h')?.parse::<u8>().ok()?;
            Some((
                level.saturating_sub(side.shift).max(2),
                normalise(&e.text().collect::<String>()),
            ))
        })
        .collect()
}

fn counts(side: &Side) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for e in side.elements() {
        let kind = match e.value().name() {
            "ul" | "ol" => "lists",
            "li" => "items",
            "table" => "tables",
            "th" | "td" => "cells",
            "pre" => "code blocks",
            "dl" => "definition lists",
            "dt" => "terms",
            "dd" => "definitions",
            "blockquote" => "quotes",
            // Tight and loose items: kramdown's <p> in an item is spacing a reader sees.
            "p" if e
                .parent()
                .and_then(ElementRef::wrap)
                .is_some_and(|p| p.value().name() == "li") =>
            {
                "paragraphs in items"
            }
            _ => continue,
        };
        *counts.entry(kind).or_default() += 1;
    }
    counts
}

/// Each image as (its bytes, its alt text). self-contained-images: livret's `data:` URI is
/// decoded, kramdown's `src` read from the corpus. shared-images: livret's `svg.image` is read
/// from the copy it embeds or refers to (anywhere in `page`).
fn images(side: &Side, page: &Html, corpus_root: &Path, page_dir: &Path) -> Vec<(Vec<u8>, String)> {
    let _ = (
        intentional("self-contained-images"),
        intentional("shared-images"),
    );
    side.elements()
        .into_iter()
        .filter_map(|e| match e.value().name() {
            "img" => Some((
                e.value().attr("src").unwrap_or_default().to_string(),
                e.value().attr("alt").unwrap_or_default(),
            )),
            "svg" if e.value().classes().any(|c| c == "image") => Some((
                shared_image_src(e, page),
                e.value().attr("aria-label").unwrap_or_default(),
            )),
            _ => None,
        })
        .map(|(src, alt)| {
            let bytes = match src.split_once(";base64,") {
                Some((_, data)) => {
                    use base64::Engine;
                    base64::engine::general_purpose::STANDARD
                        .decode(data)
                        .unwrap_or_default()
                }
                None => {
                    let path = match src.strip_prefix('/') {
                        Some(site) => corpus_root.join(site),
                        None => page_dir.join(&src),
                    };
                    std::fs::read(path).unwrap_or_default()
                }
            };
            (bytes, normalise(alt))
        })
        .collect()
}

/// The `href` of the `<image>` a shared image draws: its own, or the one its `<use>` names.
fn shared_image_src(svg: ElementRef, page: &Html) -> String {
    let href = |e: ElementRef| e.value().attr("href").unwrap_or_default().to_string();
    if let Some(image) = svg.select(&sel("image")).next() {
        return href(image);
    }
    let Some(id) = svg.select(&sel("use")).next().and_then(|u| {
        u.value()
            .attr("href")?
            .strip_prefix('#')
            .map(str::to_string)
    }) else {
        return String::new();
    };
    page.select(&sel("image[id]"))
        .find(|image| image.value().attr("id") == Some(id.as_str()))
        .map(href)
        .unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq)]
enum Landing {
    External(String),
    Chapter(String),
    /// A heading of a chapter, by its text.
    Heading(String, String),
    /// Another element with an id (an anchor), by the id the author wrote.
    Anchor(String, String),
}

fn is_note_link(a: &ElementRef) -> bool {
    a.value().classes().any(|c| c == "footnote")
        || a.parent()
            .and_then(ElementRef::wrap)
            .is_some_and(|p| p.value().classes().any(|c| c == "footnote-ref"))
}

fn has_scheme(href: &str) -> bool {
    href.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// title: the page's `# title` heading is the chapter's start in the book.
fn landing_in(page: &Html, chapter: &str, title: &str, id: &str) -> Option<Landing> {
    let target = page
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
        .find(|e| {
            e.value().id() == Some(id)
                || (e.value().name() == "a" && e.value().attr("name") == Some(id))
        })?;
    let name = target.value().name();
    let text = normalise(&target.text().collect::<String>());
    Some(
        if (name == "h1" || name == "h2") && text == normalise(title) {
            Landing::Chapter(chapter.into())
        } else if name.len() == 2 && name.starts_with('h') {
            Landing::Heading(
                chapter.into(),
                normalise(&target.text().collect::<String>()),
            )
        } else {
            Landing::Anchor(chapter.into(), id.into())
        },
    )
}

struct Book<'a> {
    corpus: &'a Corpus,
    doc: &'a Document,
    kramdown: &'a BTreeMap<String, Html>,
    livret: &'a Html,
}

impl Book<'_> {
    /// Where a link of kramdown's page `chapter` lands; `None` for a link livret removes on
    /// purpose (links-outside-the-book) or that leads nowhere on the site either.
    fn kramdown_landing(&self, chapter: &str, href: &str) -> Option<Landing> {
        let scheme = href
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if has_scheme(href) && ["javascript", "vbscript", "data"].contains(&scheme.as_str()) {
            let _ = intentional("sanitised-html");
            return None;
        }
        if has_scheme(href) || href.starts_with("//") {
            return Some(Landing::External(href.into()));
        }
        let (path, fragment) = href.split_once('#').unwrap_or((href, ""));
        let target_chapter = if path.is_empty() {
            chapter.to_string()
        } else {
            let source = &self.doc.chapters.iter().find(|c| c.id == chapter)?.source;
            let page = self
                .corpus
                .routes
                .resolve(path)
                .or_else(|| self.corpus.routes.resolve_relative(source, path));
            let Some(found) = page.and_then(|p| self.doc.chapters.iter().find(|c| c.source == p))
            else {
                let _ = intentional("links-outside-the-book");
                return None;
            };
            found.id.clone()
        };
        if fragment.is_empty() {
            return Some(Landing::Chapter(target_chapter));
        }
        let page = self.kramdown.get(&target_chapter)?;
        let title = &self
            .doc
            .chapters
            .iter()
            .find(|c| c.id == target_chapter)?
            .title;
        landing_in(page, &target_chapter, title, &percent_decode(fragment))
    }

    fn livret_landing(&self, href: &str) -> Landing {
        let Some(id) = href.strip_prefix('#') else {
            return Landing::External(href.into());
        };
        if self.doc.chapters.iter().any(|c| c.id == id) {
            return Landing::Chapter(id.into());
        }
        let _ = intentional("chapter-prefixed-ids");
        let target = self
            .livret
            .root_element()
            .descendants()
            .filter_map(ElementRef::wrap)
            .find(|e| e.value().id() == Some(id));
        let chapter = target
            .and_then(|t| {
                t.ancestors()
                    .filter_map(ElementRef::wrap)
                    .find(|a| a.value().classes().any(|c| c == "chapter"))
            })
            .and_then(|s| s.value().id())
            .unwrap_or_default()
            .to_string();
        match target {
            Some(t) if t.value().name().len() == 2 && t.value().name().starts_with('h') => {
                Landing::Heading(chapter, normalise(&t.text().collect::<String>()))
            }
            _ => {
                let local = id
                    .strip_prefix(&format!("{chapter}-"))
                    .unwrap_or(id)
                    .to_string();
                Landing::Anchor(chapter, local)
            }
        }
    }
}

fn links(side: &Side) -> Vec<String> {
    side.elements()
        .into_iter()
        .filter(|e| e.value().name() == "a" && !is_note_link(e))
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect()
}

/// The `{:toc}` list as (depth, text) entries.
fn toc_entries(list: ElementRef) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for li in list.select(&sel("li")) {
        let depth = li
            .ancestors()
            .filter_map(ElementRef::wrap)
            .filter(|a| a.value().name() == "li")
            .count();
        let text = li
            .children()
            .filter_map(ElementRef::wrap)
            .find(|c| c.value().name() == "a")
            .map(|a| a.text().collect::<String>())
            .unwrap_or_default();
        out.push((depth, normalise(&text)));
    }
    out
}

/// Differences between livret's book and kramdown's pages for one corpus, with the number of
/// pages compared; `None` for a corpus livret refuses (a bad fixture: nothing is built).
fn compare_corpus(dir: &Path) -> Option<(usize, Vec<String>)> {
    let mut diags = Diagnostics::new();
    let (corpus, doc) = livret::load_document(dir, &mut diags).ok()?;
    if diags.has_errors() {
        return None;
    }
    let ctx = WriteContext {
        theme: Default::default(),
        build_time: 0,
        version: "test",
        jobs: 2,
    };
    let html = livret::write_format(Format::Html, &doc, &ctx, &mut diags).expect("HTML");
    let livret_page = Html::parse_document(&String::from_utf8(html).unwrap());
    let work = tempfile::tempdir().unwrap();
    let kramdown: BTreeMap<String, Html> = kramdown_pages(&corpus, &doc, work.path())
        .into_iter()
        .map(|(id, html)| (id, Html::parse_fragment(&html)))
        .collect();
    let book = Book {
        corpus: &corpus,
        doc: &doc,
        kramdown: &kramdown,
        livret: &livret_page,
    };
    let mut problems = Vec::new();
    for chapter in &doc.chapters {
        let corpus_name = dir.file_name().unwrap_or_default().to_string_lossy();
        let at = format!("{corpus_name}: {}", chapter.source);
        let mut differ = |what: &str, k: String, l: String| {
            let exempt = EXEMPT.iter().any(|(page, aspect, reason)| {
                at.ends_with(page) && *aspect == what && !intentional(reason).is_empty()
            });
            if k != l && !exempt {
                problems.push(format!(
                    "{at}: {what} differs\n  kramdown: {k}\n  livret:   {l}"
                ));
            }
        };
        let k_page = &kramdown[&chapter.id];
        let Some(section) = livret_page
            .select(&sel(&format!("section.chapter[id='{}']", chapter.id)))
            .next()
        else {
            problems.push(format!("{at}: no section in livret's HTML"));
            continue;
        };
        let k = Side::kramdown(k_page, &chapter.title);
        let l = Side::livret(section);

        let (kt, lt) = (k.text(), l.text());
        if kt != lt {
            let common = kt
                .char_indices()
                .zip(lt.chars())
                .find(|((_, a), b)| a != b)
                .map_or(kt.len().min(lt.len()), |((i, _), _)| i);
            let from = kt[..common]
                .char_indices()
                .rev()
                .nth(60)
                .map_or(0, |(i, _)| i);
            let context = |s: &str| {
                s.get(from..)
                    .unwrap_or("")
                    .chars()
                    .take(160)
                    .collect::<String>()
            };
            differ("text", context(&kt), context(&lt));
        }
        differ(
            "heading outline",
            format!("{:?}", outline(&k)),
            format!("{:?}", outline(&l)),
        );
        differ(
            "counts",
            format!("{:?}", counts(&k)),
            format!("{:?}", counts(&l)),
        );

        let page_dir = dir.join(Path::new(&chapter.source).parent().unwrap_or(Path::new("")));
        let describe = |images: Vec<(Vec<u8>, String)>| {
            images
                .into_iter()
                .map(|(bytes, alt)| format!("{} bytes, alt {alt:?}", bytes.len()))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let (ki, li) = (
            images(&k, k_page, dir, &page_dir),
            images(&l, &livret_page, dir, &page_dir),
        );
        if ki != li {
            differ("images", describe(ki), describe(li));
        }

        let k_links: Vec<Landing> = links(&k)
            .iter()
            .filter_map(|href| book.kramdown_landing(&chapter.id, href))
            .collect();
        let l_links: Vec<Landing> = links(&l).iter().map(|h| book.livret_landing(h)).collect();
        differ("links", format!("{k_links:?}"), format!("{l_links:?}"));

        let k_toc = k_page
            .select(&sel("#markdown-toc"))
            .next()
            .map(toc_entries)
            .unwrap_or_default();
        // title: kramdown's list starts with the page title, every heading under it.
        let title = normalise(&chapter.title);
        let k_toc: Vec<(usize, String)> = match k_toc.first() {
            Some((0, text)) if *text == title => k_toc[1..]
                .iter()
                .map(|(d, t)| (d.saturating_sub(1), t.clone()))
                .collect(),
            _ => k_toc,
        };
        let l_toc = section
            .select(&sel("nav.page-toc > ul"))
            .next()
            .map(toc_entries)
            .unwrap_or_default();
        differ("{:toc} list", format!("{k_toc:?}"), format!("{l_toc:?}"));
    }
    Some((doc.chapters.len(), problems))
}

/// `content/` and every good fixture (bad ones build nothing).
fn corpora() -> Vec<PathBuf> {
    let mut dirs = vec![repo().join("content")];
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(fixture(""))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    fixtures.sort();
    dirs.extend(fixtures);
    // A corpus of one's own: `LIVRET_KRAMDOWN_CORPUS=DIR cargo test --test it kramdown`.
    if let Some(extra) = std::env::var_os("LIVRET_KRAMDOWN_CORPUS") {
        dirs.push(PathBuf::from(extra));
    }
    dirs
}

#[test]
fn every_page_shows_what_kramdown_shows() {
    if !kramdown_available() {
        return;
    }
    let mut problems = Vec::new();
    let mut compared = Vec::new();
    for dir in corpora() {
        if let Some((pages, found)) = compare_corpus(&dir) {
            let name = dir.file_name().unwrap_or_default().to_string_lossy();
            compared.push(name.to_string());
            eprintln!("{name}: {pages} pages compared with kramdown");
            problems.extend(found);
        }
    }
    // Every good corpus was compared (the bad fixtures build nothing).
    for good in [
        "content",
        "compact-buttons",
        "collections-dir",
        "script-injection",
        "kramdown-idioms",
    ] {
        assert!(
            compared.iter().any(|c| c == good),
            "{good} not compared: {compared:?}"
        );
    }
    assert!(
        problems.is_empty(),
        "{} difference(s) with kramdown:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// The seven idioms kramdown users write, on the fixture `kramdown-idioms/` (no kramdown
// needed): each test failed before livret followed kramdown.

fn idioms_html() -> Html {
    let mut diags = Diagnostics::new();
    let (_, doc) = livret::load_document(&fixture("kramdown-idioms"), &mut diags).unwrap();
    assert!(diags.items().is_empty(), "{:?}", diags.items());
    let ctx = WriteContext {
        theme: Default::default(),
        build_time: 0,
        version: "test",
        jobs: 2,
    };
    let html = livret::write_format(Format::Html, &doc, &ctx, &mut diags).unwrap();
    Html::parse_document(&String::from_utf8(html).unwrap())
}

fn texts(page: &Html, css: &str) -> Vec<String> {
    page.select(&sel(css))
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn idiom_1_escaped_bracket_before_a_liquid_link_shows_the_url_never_a_marker() {
    let out = tempfile::tempdir().unwrap();
    let run = common::livret(&repo())
        .args([
            "build",
            "tests/fixtures/kramdown-idioms",
            "-f",
            "html,epub",
            "-o",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let html = std::fs::read_to_string(out.path().join("idiomes-kramdown.html")).unwrap();
    assert!(html.contains("ouvrez le [Dialecte](/faq/dialecte.html) dans"));
    let epub = std::fs::File::open(out.path().join("idiomes-kramdown.epub")).unwrap();
    let mut epub = zip::ZipArchive::new(epub).unwrap();
    let mut everything = html;
    for i in 0..epub.len() {
        let mut entry = epub.by_index(i).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        everything.push_str(&String::from_utf8_lossy(&bytes));
    }
    let ir = common::livret(&repo())
        .args(["dump-ir", "tests/fixtures/kramdown-idioms"])
        .output()
        .unwrap();
    everything.push_str(&String::from_utf8_lossy(&ir.stdout));
    assert!(
        !everything.contains("x-livret-page"),
        "an internal marker reached an output"
    );
}

#[test]
fn idiom_2_fragments_written_for_kramdown_ids_land_on_their_heading() {
    let page = idioms_html();
    let href = |text: &str| {
        page.select(&sel("a"))
            .find(|a| a.text().collect::<String>() == text)
            .and_then(|a| a.value().attr("href"))
            .unwrap_or_else(|| panic!("no link `{text}`"))
            .to_string()
    };
    assert_eq!(
        href("la section accentuée"),
        "#idiomes-via-un-systeme-de-fichier"
    );
    assert_eq!(href("sans encodage"), "#idiomes-via-un-systeme-de-fichier");
    assert_eq!(href("celle de l’API"), "#idiomes-via-l-api");
    assert_eq!(href("ses tableaux"), "#dialecte-des-tableaux-a-la-kramdown");
}

#[test]
fn idiom_3_email_autolinks_show_the_address() {
    let page = idioms_html();
    assert_eq!(
        texts(&page, "a[href='mailto:equipe@exemple.fr']"),
        ["equipe@exemple.fr"]
    );
    assert_eq!(
        texts(&page, "a[href='mailto:bureau@exemple.fr']"),
        ["bureau@exemple.fr"]
    );
}

#[test]
fn idiom_4_the_toc_lists_every_level_nested_but_no_toc_headings() {
    let page = idioms_html();
    let toc = page
        .select(&sel("#idiomes nav.page-toc > ul"))
        .next()
        .unwrap();
    let entries = toc_entries(toc);
    assert!(
        entries.contains(&(0, "Les identifiants de kramdown".into())),
        "{entries:?}"
    );
    assert!(
        entries.contains(&(1, "Via un système de fichier".into())),
        "{entries:?}"
    );
    assert!(entries.contains(&(1, "Via l'API".into())), "{entries:?}");
    assert!(
        !entries.iter().any(|(_, t)| t.contains("sans sommaire")),
        "{entries:?}"
    );
    assert_eq!(entries.len(), 8, "{entries:?}");
}

#[test]
fn idiom_5_an_author_caption_is_the_only_caption_and_no_alt_is_said_twice() {
    let page = idioms_html();
    let captions = texts(&page, "#idiomes figure > figcaption");
    assert_eq!(
        captions,
        [
            "Figure 1 : le parcours d’une donnée, de sa collecte à sa réutilisation",
            "Un point rouge"
        ]
    );
    assert_eq!(
        page.select(&sel("#idiomes figure > figcaption > em"))
            .count(),
        1
    );
    // The author's caption is not printed a second time as a paragraph.
    assert!(
        !texts(&page, "#idiomes p")
            .iter()
            .any(|p| p.contains("Figure 1"))
    );
    // Said once to a screen reader: a caption that repeats the alt is hidden from it.
    for figure in page.select(&sel("figure")) {
        let alt = figure_alt(figure);
        assert!(!alt.is_empty());
        for caption in figure.select(&sel("figcaption")) {
            let repeats = caption.text().collect::<String>().trim() == alt.trim();
            let hidden = caption.value().attr("aria-hidden") == Some("true");
            assert_eq!(
                repeats, hidden,
                "alt {alt:?} said twice, or a caption hidden"
            );
        }
    }
    let first = page.select(&sel("#idiomes figure")).next().unwrap();
    // Alt text gets the text's typography: it is printed as a caption too.
    assert_eq!(figure_alt(first), "Le parcours d’une donnée");
}

/// A figure's alt text: its `<img>`'s, or the name of the `svg.image` showing a shared image.
fn figure_alt(figure: ElementRef<'_>) -> &str {
    let shown = figure
        .select(&sel("img, svg.image"))
        .next()
        .unwrap()
        .value();
    shown.attr("alt").or(shown.attr("aria-label")).unwrap()
}

#[test]
fn idiom_6_unequal_backtick_runs_close_the_code_span_as_kramdown() {
    let page = idioms_html();
    assert!(texts(&page, "#idiomes code").contains(&"git log --oneline".to_string()));
    assert!(
        texts(&page, "#idiomes p")
            .iter()
            .any(|p| p.contains("git log --oneline` : la commande")),
    );
}

#[test]
fn idiom_7_only_items_a_blank_line_follows_are_paragraphs() {
    let page = idioms_html();
    assert_eq!(
        texts(&page, "#idiomes li > p"),
        ["la deuxième, suivie d’un blanc", "numéro un", "numéro deux"]
    );
    assert_eq!(
        texts(&page, "#idiomes ul:not(nav ul) > li").len()
            - texts(&page, "#idiomes ul:not(nav ul) > li > p").len(),
        3
    );
}

#[test]
fn the_idioms_fixture_passes_the_validators() {
    let out = tempfile::tempdir().unwrap();
    let run = common::livret(&repo())
        .args(["build", "tests/fixtures/kramdown-idioms", "-o"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    common::epubcheck(&out.path().join("idiomes-kramdown.epub"));
    common::qpdf_and_pdffonts(&out.path().join("idiomes-kramdown.pdf"));
}
