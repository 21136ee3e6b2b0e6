//! kramdown's block extensions that CommonMark has no word for, found line by line before the
//! Markdown parser runs (docs/dialect.md, "kramdown extensions"): abbreviation definitions
//! `*[HTML]: …`, `{::comment}` and `{::nomarkdown}` blocks, and HTML blocks with
//! `markdown="1"`. Their marker lines are blanked in place (same bytes, so every offset and
//! line stays where it was); what they mean is returned for the reader to apply.

use super::raw_html::{HtmlToken, tokenize};
use crate::ir::{Block, Inline};

/// What the blanked lines meant.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Extensions {
    /// `(abbreviation, expansion)` in page order (a later definition wins).
    pub abbreviations: Vec<(String, String)>,
    /// `markdown="1"` elements: where each opens (its tag's attributes) and closes, as byte
    /// offsets of the parsed text, in order.
    pub html_divs: Vec<DivMark>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DivMark {
    Open {
        offset: usize,
        tag: String,
        attrs: Vec<(String, String)>,
    },
    Close {
        offset: usize,
    },
}

impl DivMark {
    pub(crate) fn offset(&self) -> usize {
        match self {
            DivMark::Open { offset, .. } | DivMark::Close { offset } => *offset,
        }
    }
}

/// Find the extensions in `body` and blank their lines in `text` (the pre-passed body: same
/// lines). Fenced code is left alone.
pub(crate) fn take_extensions(body: &str, text: &mut String) -> Extensions {
    let mut found = Extensions::default();
    let mut blank: Vec<std::ops::Range<usize>> = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut in_comment = false;
    let mut open_divs: Vec<String> = Vec::new();
    let mut offset = 0;
    for (body_line, line) in super::lines_inclusive(body).zip(super::lines_inclusive(text)) {
        let range = offset..offset + line.trim_end_matches('\n').len();
        offset += line.len();
        // Most lines are prose: outside a fence, a comment and a `markdown` HTML block, only a
        // line starting with one of these can be what this looks for.
        if fence.is_none()
            && !in_comment
            && open_divs.is_empty()
            && !body_line
                .trim_start()
                .starts_with(['`', '~', '>', '{', '*', '<'])
        {
            continue;
        }
        let bare = body_line.trim();
        if let Some((ch, len)) = fence {
            let run = bare.chars().take_while(|&c| c == ch).count();
            if run >= len && bare[run * ch.len_utf8()..].trim().is_empty() {
                fence = None;
            }
            continue;
        }
        if in_comment {
            blank.push(range);
            if bare.ends_with("{:/comment}") || bare.ends_with("{:/}") {
                in_comment = false;
            }
            continue;
        }
        let marker = bare.trim_start_matches(['>', ' ']);
        let run_char = marker.chars().next().filter(|c| *c == '`' || *c == '~');
        if let Some(ch) = run_char {
            let run = marker.chars().take_while(|&c| c == ch).count();
            if run >= 3 {
                fence = Some((ch, run));
                continue;
            }
        }
        if bare.starts_with("{::comment}") {
            blank.push(range);
            in_comment = !(bare.ends_with("{:/comment}") || bare.ends_with("{:/}"));
        } else if bare == "{::nomarkdown}" || bare == "{:/nomarkdown}" {
            // The content between stays: kramdown passes it through, livret reads it as HTML.
            blank.push(range);
        } else if let Some((abbreviation, expansion)) = abbreviation_definition(body_line) {
            found.abbreviations.push((abbreviation, expansion));
            blank.push(range);
        } else if let Some((tag, attrs)) = markdown_html_open(bare) {
            found.html_divs.push(DivMark::Open {
                offset: range.start,
                tag: tag.clone(),
                attrs,
            });
            open_divs.push(tag);
            blank.push(range);
        } else if let Some(tag) = open_divs.last()
            && bare == format!("</{tag}>")
        {
            found.html_divs.push(DivMark::Close {
                offset: range.start,
            });
            open_divs.pop();
            blank.push(range);
        }
    }
    // Spaces for the blanked lines: the same length keeps every offset valid. Copied around
    // them rather than checked as UTF-8 again (whole lines out, spaces in: still valid).
    if !blank.is_empty() {
        let mut spaced = String::with_capacity(text.len());
        let mut copied = 0;
        for range in blank {
            let Some(kept) = text.get(copied..range.start) else {
                continue;
            };
            spaced.push_str(kept);
            spaced.extend(std::iter::repeat_n(' ', range.len()));
            copied = range.end;
        }
        spaced.push_str(text.get(copied..).unwrap_or_default());
        *text = spaced;
    }
    found
}

/// `*[HTML]: HyperText Markup Language` (up to three spaces before it).
fn abbreviation_definition(line: &str) -> Option<(String, String)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = line.trim_start_matches(' ').strip_prefix("*[")?;
    let (abbreviation, rest) = rest.split_once("]:")?;
    let abbreviation = abbreviation.trim();
    if abbreviation.is_empty() || abbreviation.contains(']') {
        return None;
    }
    Some((abbreviation.to_string(), rest.trim().to_string()))
}

/// A line that is only an opening tag with `markdown="1"` (or `block`): its content is
/// Markdown.
fn markdown_html_open(line: &str) -> Option<(String, Vec<(String, String)>)> {
    if !line.starts_with('<') || !line.ends_with('>') {
        return None;
    }
    let tokens = tokenize(line);
    let [
        HtmlToken::Open {
            name,
            attrs,
            self_closing: false,
        },
    ] = tokens.as_slice()
    else {
        return None;
    };
    let markdown = attrs
        .iter()
        .any(|(key, value)| key == "markdown" && matches!(value.as_str(), "1" | "block"));
    let attrs = attrs
        .iter()
        .filter(|(key, _)| key != "markdown")
        .cloned()
        .collect();
    markdown.then(|| (name.clone(), attrs))
}

/// Every whole-word occurrence of a defined abbreviation in prose becomes a span titled with
/// its expansion (kramdown's `<abbr title>`); code and link targets are left alone.
pub(crate) fn apply_abbreviations(blocks: &mut [Block], abbreviations: &[(String, String)]) {
    if !abbreviations.is_empty() {
        abbreviate_blocks(blocks, &Lookup::new(abbreviations));
    }
}

fn abbreviate_blocks(blocks: &mut [Block], abbreviations: &Lookup) {
    for block in blocks {
        match block {
            Block::Para(inlines) | Block::Plain(inlines) => abbreviate(inlines, abbreviations),
            Block::Heading { content, .. } => abbreviate(content, abbreviations),
            Block::BulletList(items) | Block::OrderedList { items, .. } => items
                .iter_mut()
                .for_each(|item| abbreviate_blocks(item, abbreviations)),
            Block::BlockQuote(inner) | Block::Div { blocks: inner, .. } => {
                abbreviate_blocks(inner, abbreviations)
            }
            Block::Table { head, rows, .. } => head
                .iter_mut()
                .chain(rows.iter_mut().flatten())
                .for_each(|cell| abbreviate(cell, abbreviations)),
            Block::CodeBlock { .. } | Block::ThematicBreak | Block::Toc => {}
        }
    }
}

/// Depth is bounded by the reader's cap on nesting.
fn abbreviate(inlines: &mut Vec<Inline>, abbreviations: &Lookup) {
    let mut out = Vec::with_capacity(inlines.len());
    for mut inline in std::mem::take(inlines) {
        match &mut inline {
            Inline::Text(text) => {
                out.extend(split_abbreviations(text, abbreviations));
                continue;
            }
            Inline::Note(blocks) => abbreviate_blocks(blocks, abbreviations),
            other => {
                if let Some(c) = other.children_mut() {
                    abbreviate(c, abbreviations);
                }
            }
        }
        out.push(inline);
    }
    *inlines = out;
}

/// The defined abbreviations, looked up by their text: one lookup per distinct length at each
/// word start, so a page with thousands of definitions stays linear in its text.
struct Lookup<'a> {
    expansions: std::collections::HashMap<&'a str, &'a str>,
    /// Distinct byte lengths, longest first (`HTML5` wins over `HTML`).
    lengths: Vec<usize>,
}

impl<'a> Lookup<'a> {
    fn new(abbreviations: &'a [(String, String)]) -> Self {
        let expansions: std::collections::HashMap<&str, &str> = abbreviations
            .iter()
            .map(|(a, e)| (a.as_str(), e.as_str()))
            .collect();
        let mut lengths: Vec<usize> = expansions.keys().map(|a| a.len()).collect();
        lengths.sort_unstable_by(|a, b| b.cmp(a));
        lengths.dedup();
        Lookup {
            expansions,
            lengths,
        }
    }
}

fn split_abbreviations(text: &str, lookup: &Lookup) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut plain_from = 0;
    let mut at = 0;
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    while at < text.len() {
        let word_start = !is_word(text[..at].chars().next_back());
        let hit = word_start
            .then(|| {
                lookup.lengths.iter().find_map(|&len| {
                    let candidate = text.get(at..at + len)?;
                    let expansion = lookup.expansions.get(candidate)?;
                    (!is_word(text[at + len..].chars().next())).then_some((candidate, *expansion))
                })
            })
            .flatten();
        match hit {
            Some((abbreviation, expansion)) => {
                if plain_from < at {
                    out.push(Inline::Text(text[plain_from..at].to_string()));
                }
                out.push(Inline::Span {
                    attr: crate::ir::Attr {
                        id: None,
                        classes: vec!["abbreviation".into()],
                        attributes: vec![("title".into(), expansion.to_string())],
                    },
                    content: vec![Inline::Text(abbreviation.to_string())],
                });
                at += abbreviation.len();
                plain_from = at;
            }
            None => at += text[at..].chars().next().map_or(1, char::len_utf8),
        }
    }
    if plain_from < text.len() {
        out.push(Inline::Text(text[plain_from..].to_string()));
    }
    out
}
