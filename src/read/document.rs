//! The whole book: introduction, personas, appendices, and the book's metadata.

use super::{ReadPage, read_page, slugify};
use crate::corpus::{Corpus, Page};
use crate::diag::Diagnostics;
use crate::ir::{Chapter, ChapterKind, Document, Meta};
use crate::labels::Labels;
use std::collections::BTreeSet;

/// The whole book: introduction (index page), personas in order, appendices; meta from config,
/// index front matter and defaults.
pub fn read_document(
    corpus: &Corpus,
    labels: Labels,
    jobs: usize,
    diags: &mut Diagnostics,
) -> Document {
    let mut ids = BTreeSet::new();
    let mut chapters = Vec::with_capacity(corpus.personas.len() + corpus.appendices.len() + 1);

    // Pages read on `jobs` threads, each with its own diagnostics, merged in book order: the
    // report is the one a sequential read gives.
    let pages: Vec<&Page> = corpus.book_pages().collect();
    let read = crate::jobs::map_ordered(
        &pages,
        jobs,
        |page| page.body.len() as u64,
        |page| {
            let mut page_diags = Diagnostics::new();
            let read = read_page(page, corpus, &mut page_diags);
            (read, page_diags)
        },
    );
    let mut read = read.into_iter().map(|(page, page_diags)| {
        diags.extend(page_diags);
        page
    });
    let mut next_page = || read.next().unwrap_or_default();

    let index = next_page();
    let index_title = non_empty(corpus.index.front.title.as_deref())
        .or_else(|| non_empty(index.first_heading.as_deref()));
    chapters.push(chapter(
        corpus,
        unique_id("introduction", &mut ids),
        ChapterKind::Introduction,
        index_title.clone().unwrap_or_else(|| "Introduction".into()),
        &corpus.index,
        index.blocks,
    ));

    for persona in &corpus.personas {
        let read = next_page();
        let title =
            page_title(&persona.page, &read).unwrap_or_else(|| persona.button.title.clone());
        let slug = if persona.slug.is_empty() {
            slugify(&persona.button.title)
        } else {
            persona.slug.clone()
        };
        chapters.push(chapter(
            corpus,
            unique_id(&slug, &mut ids),
            ChapterKind::Persona,
            title,
            &persona.page,
            read.blocks,
        ));
    }

    for page in &corpus.appendices {
        let read = next_page();
        let stem = page_stem(&page.path);
        let title = page_title(page, &read).unwrap_or_else(|| stem.to_string());
        chapters.push(chapter(
            corpus,
            unique_id(&crate::corpus::safe_stem(&slugify(stem)), &mut ids),
            ChapterKind::Appendix,
            title,
            page,
            read.blocks,
        ));
    }

    let mut meta = book_meta(corpus, index_title, labels);
    meta.page_urls = chapters
        .iter()
        .filter_map(|c| {
            let url = corpus.routes.published_at.get(&c.source)?;
            Some((c.id.clone(), url.clone()))
        })
        .collect();
    Document {
        meta,
        chapters,
        assets: Vec::new(),
    }
}

fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

fn page_title(page: &Page, read: &ReadPage) -> Option<String> {
    non_empty(page.front.title.as_deref()).or_else(|| non_empty(read.first_heading.as_deref()))
}

/// `_faq/mentions-légales.md` → `mentions-légales`; `faq/autre/index.md` → `autre`.
fn page_stem(path: &str) -> &str {
    let mut segments = path.rsplit('/');
    let file = segments.next().unwrap_or(path);
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    if stem == "index" {
        segments.next().filter(|s| !s.is_empty()).unwrap_or(stem)
    } else {
        stem
    }
}

/// `base` (or `chapter` when empty), with `-2`, `-3` … when already taken.
fn unique_id(base: &str, ids: &mut BTreeSet<String>) -> String {
    let base = if base.is_empty() { "chapter" } else { base };
    let mut id = base.to_string();
    let mut n = 2;
    while ids.contains(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    ids.insert(id.clone());
    id
}

fn chapter(
    corpus: &Corpus,
    id: String,
    kind: ChapterKind,
    title: String,
    page: &Page,
    blocks: Vec<crate::ir::Block>,
) -> Chapter {
    Chapter {
        id,
        kind,
        title,
        subtitle: non_empty(page.front.subtitle.as_deref()),
        summary: non_empty(page.front.summary.as_deref()),
        label: non_empty(page.front.label.as_deref()),
        source: page.path.clone(),
        lang: corpus.page_language(page.front.lang.as_deref()),
        blocks,
        source_bytes: page.body.len(),
    }
}

/// The book's file stem: `name` of livret.toml, else its title's slug, else `livret`.
fn book_stem(corpus: &Corpus, title: Option<&str>) -> String {
    non_empty(corpus.config.name.as_deref())
        .or_else(|| {
            title
                .map(|t| crate::corpus::safe_stem(&slugify(t)))
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| "livret".into())
}

/// The stem `read_document` gives the book, reading no more than the index page (and that only
/// when no title is set): what the files of a corpus in several languages are named after.
pub fn book_name(corpus: &Corpus) -> String {
    let title = non_empty(corpus.config.title.as_deref())
        .or_else(|| non_empty(corpus.index.front.title.as_deref()))
        .or_else(|| {
            let index = read_page(&corpus.index, corpus, &mut Diagnostics::new());
            non_empty(index.first_heading.as_deref())
        });
    book_stem(corpus, title.as_deref())
}

/// `labels`: the book's words, resolved once by the caller (language, theme, livret.toml).
fn book_meta(corpus: &Corpus, index_title: Option<String>, labels: Labels) -> Meta {
    let config = &corpus.config;
    let front = &corpus.index.front;
    let var = |key: &str| non_empty(front.vars.get(key).map(String::as_str));
    let title = non_empty(config.title.as_deref()).or(index_title);
    Meta {
        name: book_stem(corpus, title.as_deref()),
        title: title.unwrap_or_else(|| "livret".into()),
        subtitle: non_empty(config.subtitle.as_deref())
            .or_else(|| non_empty(front.subtitle.as_deref())),
        summary: non_empty(front.summary.as_deref()),
        author: non_empty(config.author.as_deref()).or_else(|| var("author")),
        publisher: non_empty(config.publisher.as_deref()).or_else(|| var("publisher")),
        labels,
        language: corpus.language().tag,
        date: non_empty(config.date.as_deref()).or_else(|| non_empty(front.date.as_deref())),
        identifier: non_empty(config.identifier.as_deref()).or_else(|| var("identifier")),
        page_size: config.page_size.unwrap_or_default(),
        persona: None,
        translations: Vec::new(),
        site_url: site_url(corpus),
        page_urls: Default::default(),
    }
}

/// `url` of livret.toml, else `url` + `baseurl` of `_config.yml` (as Jekyll joins them).
fn site_url(corpus: &Corpus) -> Option<String> {
    let var = |key: &str| corpus.site.vars.get(key).map(|v| v.trim().to_string());
    let url = non_empty(corpus.config.url.as_deref()).or_else(|| {
        let base = non_empty(var("url").as_deref())?;
        let path = var("baseurl").unwrap_or_default();
        Some(format!(
            "{}/{}",
            base.trim_end_matches('/'),
            path.trim_matches('/')
        ))
    })?;
    let url = url.trim_end_matches('/').to_string();
    (url.starts_with("https://") || url.starts_with("http://")).then_some(url)
}
