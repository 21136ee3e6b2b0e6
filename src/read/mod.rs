//! The reader: Markdown as kramdown writes it (DIALECT.md §3) → IR. Markdown is parsed here
//! once; nothing after this module sees Markdown or HTML text.

use crate::corpus::{Corpus, Page};
use crate::diag::Diagnostics;
use crate::ir::{Block, Document};

/// A page read into blocks, with its `# title` heading taken out when it duplicates the title.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadPage {
    /// Text of the page's first `#` heading when it opened the page (chapter title fallback).
    pub first_heading: Option<String>,
    pub blocks: Vec<Block>,
}

/// Read one page. `corpus` gives Liquid variables; diagnostics point at the page's lines.
pub fn read_page(page: &Page, corpus: &Corpus, diags: &mut Diagnostics) -> ReadPage {
    let _ = (page, corpus, diags);
    ReadPage {
        first_heading: None,
        blocks: Vec::new(),
    }
}

/// The whole book: introduction (index page), personas in order, appendices; meta from config,
/// index front matter and defaults.
pub fn read_document(corpus: &Corpus, diags: &mut Diagnostics) -> Document {
    let _ = (corpus, diags);
    unimplemented!("read_document")
}
