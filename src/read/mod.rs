//! The reader: Markdown as kramdown writes it (docs/dialect.md) → IR. Markdown is parsed here
//! once; nothing after this module sees Markdown or HTML text.
//!
//! A page goes through `liquid` (a line-preserving pre-pass for Liquid and kramdown IAL lines),
//! then `markdown` (pulldown-cmark events → IR, after `kramdown` blanked the lines of kramdown's
//! block extensions), which hands raw HTML to `raw_html`.

mod document;
mod kramdown;
mod liquid;
mod markdown;
mod raw_html;

pub use document::{book_name, read_document};

use crate::corpus::{Corpus, Page};
use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::ir::{Block, Inline, plain_text, visit_attrs};
use raw_html::Where;
use std::collections::HashMap;

/// Deepest nesting of block containers (lists, quotes, divs) and of inline containers kept in
/// the IR; deeper content is flattened into the deepest level, so that no later stage recurses
/// without bound.
pub(crate) const MAX_DEPTH: usize = 100;

/// A page read into blocks, with its `# title` heading taken out when it duplicates the title.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReadPage {
    /// Text of the page's first `#` heading when it opened the page (chapter title fallback).
    pub first_heading: Option<String>,
    pub blocks: Vec<Block>,
}

/// Read one page. `corpus` gives Liquid variables; diagnostics point at the page's lines.
pub fn read_page(page: &Page, corpus: &Corpus, diags: &mut Diagnostics) -> ReadPage {
    let mut rep = Reporter::new(diags, display_path(corpus, page), page.body_line.max(1));
    let vars = liquid::LiquidVars {
        page: &page.front.vars,
        site: &corpus.site.vars,
    };
    let prepared = liquid::prepare(&page.body, &vars, &mut rep);
    let mut blocks = markdown::read_markdown(&page.body, &prepared, &mut rep);
    replace_stray_page_markers(&mut blocks, corpus);
    let first_heading = take_title_heading(&mut blocks);
    rep.warn_duplicate_ids(&blocks);
    ReadPage {
        first_heading,
        blocks,
    }
}

/// The lines of `text`, each with its `\n`: `split_inclusive('\n')`, the newlines found by one
/// SIMD search over the page instead of one search per line (the reader walks each page's
/// lines four times).
pub(crate) fn lines_inclusive(text: &str) -> impl Iterator<Item = &str> {
    let mut newlines = memchr::memchr_iter(b'\n', text.as_bytes());
    let mut start = 0;
    std::iter::from_fn(move || {
        let end = match newlines.next() {
            Some(newline) => newline + 1,
            None if start < text.len() => text.len(),
            None => return None,
        };
        let line = text.get(start..end);
        start = end;
        line
    })
}

/// The Liquid/IAL pre-pass alone, as `read_page` runs it: the text handed to the Markdown
/// parser (for the fuzzer and for tests of the dialect).
pub fn prepare_dialect(page: &Page, corpus: &Corpus, diags: &mut Diagnostics) -> String {
    let mut rep = Reporter::new(diags, display_path(corpus, page), page.body_line.max(1));
    let vars = liquid::LiquidVars {
        page: &page.front.vars,
        site: &corpus.site.vars,
    };
    liquid::prepare(&page.body, &vars, &mut rep).text
}

/// Replace every `{% link %}` marker the Markdown parser did not take as a link target
/// (`\[Guide]({% link x.md %})`, an indented code block …) by the URL Jekyll publishes the page
/// at, as the site shows it: no internal marker reaches an output.
fn replace_stray_page_markers(blocks: &mut [Block], corpus: &Corpus) {
    let url_of = |encoded: &str| {
        let path = liquid::decode_target(encoded);
        corpus
            .routes
            .resolve_file(&path)
            .and_then(|page| corpus.routes.published_at.get(page))
            .cloned()
            .unwrap_or_else(|| format!("/{}", path.trim_start_matches('/')))
    };
    let fix = |text: &mut String| {
        if text.contains(liquid::PAGE_LINK_PREFIX) {
            *text = with_page_urls(text, &url_of);
        }
    };
    sweep_blocks(blocks, &fix);
}

fn with_page_urls(text: &str, url_of: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(liquid::PAGE_LINK_PREFIX) {
        out.push_str(&rest[..start]);
        let after = &rest[start + liquid::PAGE_LINK_PREFIX.len()..];
        // The target ends where the text goes on, or where another marker starts.
        let end = after
            .find(|c: char| c.is_whitespace() || "()<>[]\"'".contains(c))
            .unwrap_or(after.len())
            .min(after.find(liquid::PAGE_LINK_PREFIX).unwrap_or(after.len()));
        out.push_str(&url_of(&after[..end]));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn sweep_blocks(blocks: &mut [Block], fix: &dyn Fn(&mut String)) {
    for block in blocks {
        match block {
            Block::Para(inlines) | Block::Plain(inlines) => sweep_inlines(inlines, fix),
            Block::Heading { attr, content, .. } => {
                sweep_attr(attr, fix);
                sweep_inlines(content, fix);
            }
            Block::BulletList(items) | Block::OrderedList { items, .. } => {
                items.iter_mut().for_each(|item| sweep_blocks(item, fix));
            }
            Block::BlockQuote(inner) => sweep_blocks(inner, fix),
            Block::Div { attr, blocks } => {
                sweep_attr(attr, fix);
                sweep_blocks(blocks, fix);
            }
            Block::CodeBlock { text, .. } => fix(text),
            Block::Table { head, rows, .. } => {
                for cell in head.iter_mut().chain(rows.iter_mut().flatten()) {
                    sweep_inlines(cell, fix);
                }
            }
            Block::ThematicBreak | Block::Toc => {}
        }
    }
}

fn sweep_inlines(inlines: &mut [Inline], fix: &dyn Fn(&mut String)) {
    for inline in inlines {
        match inline {
            Inline::Text(text) | Inline::Code(text) => fix(text),
            Inline::Emph(c)
            | Inline::Strong(c)
            | Inline::Strikeout(c)
            | Inline::Superscript(c)
            | Inline::Subscript(c) => sweep_inlines(c, fix),
            Inline::Link { title, content, .. } => {
                if let Some(title) = title {
                    fix(title);
                }
                sweep_inlines(content, fix);
            }
            Inline::Image { alt, title, .. } => {
                fix(alt);
                if let Some(title) = title {
                    fix(title);
                }
            }
            Inline::Span { attr, content } => {
                sweep_attr(attr, fix);
                sweep_inlines(content, fix);
            }
            Inline::Note(blocks) => sweep_blocks(blocks, fix),
            Inline::SoftBreak | Inline::LineBreak => {}
        }
    }
}

fn sweep_attr(attr: &mut crate::ir::Attr, fix: &dyn Fn(&mut String)) {
    attr.attributes.iter_mut().for_each(|(_, value)| fix(value));
}

/// Remove the `#` heading that opens the page (only anchors may precede it) and return its
/// text. An explicit id on it stays in place as an empty anchor, so links to it still work.
fn take_title_heading(blocks: &mut Vec<Block>) -> Option<String> {
    let index = blocks.iter().position(|b| !is_anchor(b))?;
    let Some(Block::Heading { level: 1, .. }) = blocks.get(index) else {
        return None;
    };
    let Block::Heading { attr, content, .. } = blocks.remove(index) else {
        return None;
    };
    if attr.id.is_some() {
        let anchor = crate::ir::Attr {
            id: attr.id,
            ..Default::default()
        };
        blocks.insert(
            index,
            Block::Div {
                attr: anchor,
                blocks: Vec::new(),
            },
        );
    }
    Some(plain_text(&content).trim().to_string())
}

fn is_anchor(block: &Block) -> bool {
    matches!(block, Block::Div { attr, blocks } if blocks.is_empty() && attr.id.is_some())
}

/// The page's path as the user knows it: under the corpus root.
fn display_path(corpus: &Corpus, page: &Page) -> String {
    let root = corpus.root.to_string_lossy().replace('\\', "/");
    let root = root.trim_end_matches('/');
    if root.is_empty() || root == "." {
        page.path.clone()
    } else {
        format!("{root}/{}", page.path)
    }
}

/// Diagnostics about one page, with body lines turned into file lines.
pub(crate) struct Reporter<'a> {
    diags: &'a mut Diagnostics,
    path: String,
    /// Line of the file where the body starts (1-based).
    body_line: u32,
    /// The depth cap warns once per page.
    depth_warned: bool,
    /// Explicit ids as the reader wrote them into the IR, with where they stand in the page.
    ids_written: Vec<(String, Where)>,
}

impl<'a> Reporter<'a> {
    pub(crate) fn new(diags: &'a mut Diagnostics, path: String, body_line: u32) -> Self {
        Reporter {
            diags,
            path,
            body_line,
            depth_warned: false,
            ids_written: Vec::new(),
        }
    }

    /// `line` is 0-based in the body.
    pub(crate) fn file_line(&self, line: usize) -> u32 {
        self.body_line
            .saturating_add(u32::try_from(line).unwrap_or(u32::MAX))
    }

    pub(crate) fn warning(
        &mut self,
        line: usize,
        col: u32,
        message: impl Into<String>,
        hint: Option<&str>,
    ) {
        self.report(Severity::Warning, line, col, message.into(), hint);
    }

    pub(crate) fn error(
        &mut self,
        line: usize,
        col: u32,
        message: impl Into<String>,
        hint: Option<&str>,
    ) {
        self.report(Severity::Error, line, col, message.into(), hint);
    }

    fn report(
        &mut self,
        severity: Severity,
        line: usize,
        col: u32,
        message: String,
        hint: Option<&str>,
    ) {
        self.diags.push(Diagnostic {
            severity,
            path: self.path.clone(),
            line: self.file_line(line),
            col,
            message,
            hint: hint.map(str::to_string),
            kind: crate::diag::Kind::General,
        });
    }

    pub(crate) fn id_written(&mut self, id: &str, at: Where) {
        let id = id.trim();
        if !id.is_empty() {
            self.ids_written.push((id.to_string(), at));
        }
    }

    /// One warning at each repeated explicit id of the page. Counted in the IR the page became
    /// (an IAL may have replaced an id the reader wrote), placed where the reader met it.
    fn warn_duplicate_ids(&mut self, blocks: &[Block]) {
        let mut in_page: HashMap<String, usize> = HashMap::new();
        visit_attrs(blocks, &mut |attr| {
            if let Some(id) = attr
                .id
                .as_deref()
                .map(str::trim)
                .filter(|id| !id.is_empty())
            {
                *in_page.entry(id.to_string()).or_default() += 1;
            }
        });
        let mut first: HashMap<String, Where> = HashMap::new();
        let written = std::mem::take(&mut self.ids_written);
        for (id, at) in written {
            let Some(left) = in_page.get_mut(&id).filter(|n| **n > 0) else {
                continue;
            };
            *left -= 1;
            match first.get(&id) {
                None => {
                    first.insert(id, at);
                }
                Some(original) => {
                    let message = format!(
                        "duplicate id `{id}` in this page (first at line {})",
                        original.pos.line
                    );
                    let hint = format!("links to `#{id}` go to the first one");
                    self.warning(at.line, at.col, message, Some(&hint));
                }
            }
        }
    }

    pub(crate) fn depth_exceeded(&mut self, line: usize, col: u32) {
        if !self.depth_warned {
            self.depth_warned = true;
            self.warning(
                line,
                col,
                format!("content nested more than {MAX_DEPTH} levels deep is flattened"),
                Some("split the deeply nested lists or quotes"),
            );
        }
    }
}

/// `Découvrir l'OpenData !` → `decouvrir-l-opendata`: ASCII transliteration, lowercase, runs of
/// anything but `[a-z0-9]` become one `-`, none at either end.
pub fn slugify(text: &str) -> String {
    let ascii = deunicode::deunicode(text).to_ascii_lowercase();
    let mut slug = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

#[cfg(test)]
mod tests;
