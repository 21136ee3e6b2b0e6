//! Raw HTML in a page → IR, keeping safe structure only. Dropped on purpose, each with one
//! warning: `<script>`, `<style>`, `<iframe>` and other active elements (with their content),
//! `on*` and `style` attributes, and `javascript:`/`vbscript:`/`data:` URLs.
//!
//! Block HTML is parsed with scraper (html5ever); inline HTML arrives from pulldown-cmark one tag
//! at a time, so `markdown` keeps a stack and asks this module what each tag becomes.

use super::liquid::{PAGE_LINK_PREFIX, decode_target};
use super::{MAX_DEPTH, Reporter};
use crate::ir::{Attr, Block, Cell, Inline, LinkTarget, Pos};
use scraper::node::Node;
use scraper::{ElementRef, Html};

/// Attributes kept in `Attr::attributes`; everything else is dropped.
const SAFE_ATTRIBUTES: &[&str] = &["title", "lang", "dir", "width", "height", "alt"];

/// Elements removed with their content.
const DROPPED_ELEMENTS: &[&str] = &[
    "script", "style", "iframe", "object", "embed", "form", "frame", "frameset", "applet",
    "noscript", "template", "base", "link", "meta", "textarea", "select", "button", "input", "svg",
    "math", "audio", "video", "canvas",
];

/// Dropped elements that have no content or end tag.
const VOID_DROPPED: &[&str] = &["embed", "base", "link", "meta", "input", "frame"];

/// Elements that hold blocks; they end a paragraph of inline content.
const BLOCK_ELEMENTS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "aside",
    "header",
    "footer",
    "main",
    "nav",
    "figure",
    "figcaption",
    "center",
    "details",
    "summary",
    "address",
    "dl",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "td",
    "th",
    "caption",
    "hr",
    "fieldset",
    "hgroup",
];

/// Block elements that become a `Block::Div`.
pub(crate) const DIV_ELEMENTS: &[&str] = &[
    "div",
    "section",
    "article",
    "aside",
    "header",
    "footer",
    "main",
    "nav",
    "figure",
    "figcaption",
    "center",
    "details",
    "summary",
    "address",
    "dl",
    "dt",
    "dd",
    "fieldset",
    "hgroup",
    "li",
    "caption",
];

/// A body line (0-based) and column: where the HTML sits in the page.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Where {
    pub line: usize,
    pub col: u32,
    /// The same place as an IR position (file line).
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum HtmlToken {
    Open {
        name: String,
        attrs: Vec<(String, String)>,
        self_closing: bool,
    },
    Close {
        name: String,
    },
    Text(String),
    /// Comments, doctypes, processing instructions: never shown.
    Ignored,
}

/// Elements without content or end tag.
const VOID_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Deepest element nesting in a token list (unclosed elements count as open).
pub(crate) fn nesting_of(tokens: &[HtmlToken]) -> usize {
    let mut depth = 0usize;
    let mut deepest = 0;
    for token in tokens {
        match token {
            HtmlToken::Open {
                name,
                self_closing: false,
                ..
            } if !VOID_ELEMENTS.contains(&name.as_str()) => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            HtmlToken::Close { .. } => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The text of a token list, without the content of dropped elements (each warned about).
pub(crate) fn text_of(tokens: &[HtmlToken], rep: &mut Reporter, at: Where) -> String {
    let mut text = String::new();
    let mut dropped: Option<&str> = None;
    for token in tokens {
        match (token, dropped) {
            (HtmlToken::Close { name }, Some(open)) if name == open => dropped = None,
            (_, Some(_)) => {}
            (
                HtmlToken::Open {
                    name, self_closing, ..
                },
                None,
            ) if is_dropped(name) => {
                warn_dropped_element(rep, at, name);
                if !self_closing && !is_void_dropped(name) {
                    dropped = Some(name);
                }
            }
            (HtmlToken::Text(t), None) => {
                text.push_str(t);
                text.push(' ');
            }
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn is_dropped(name: &str) -> bool {
    DROPPED_ELEMENTS.contains(&name)
}

pub(crate) fn is_void_dropped(name: &str) -> bool {
    VOID_DROPPED.contains(&name)
}

/// Split HTML text into tags and text (enough for pulldown-cmark's inline HTML pieces and for
/// classifying a block; real parsing is html5ever's job).
pub(crate) fn tokenize(html: &str) -> Vec<HtmlToken> {
    let mut tokens = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        if rest.starts_with('<')
            && let Some((token, used)) = parse_tag(rest)
        {
            tokens.push(token);
            rest = &rest[used..];
            continue;
        }
        let next = rest
            .char_indices()
            .skip(1)
            .find(|&(_, c)| c == '<')
            .map_or(rest.len(), |(i, _)| i);
        tokens.push(HtmlToken::Text(decode_entities(&rest[..next])));
        rest = &rest[next..];
    }
    tokens
}

/// One tag at the start of `text` (which starts with `<`) and the bytes it used.
fn parse_tag(text: &str) -> Option<(HtmlToken, usize)> {
    if let Some(body) = text.strip_prefix("<!--") {
        let end = body.find("-->").map_or(text.len(), |p| p + 4 + 3);
        return Some((HtmlToken::Ignored, end));
    }
    if text.starts_with("<!") || text.starts_with("<?") {
        let end = text.find('>').map_or(text.len(), |p| p + 1);
        return Some((HtmlToken::Ignored, end));
    }
    if let Some(body) = text.strip_prefix("</") {
        let name_len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(body.len());
        if name_len == 0 {
            return None;
        }
        let end = body.find('>')? + 3;
        let name = body[..name_len].to_ascii_lowercase();
        return Some((HtmlToken::Close { name }, end));
    }
    let body = &text[1..];
    let name_len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(body.len());
    if name_len == 0 || !body.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let name = body[..name_len].to_ascii_lowercase();
    let mut i = 1 + name_len;
    let mut attrs = Vec::new();
    let bytes = text.as_bytes();
    loop {
        while i < text.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= text.len() {
            return None;
        }
        if text[i..].starts_with("/>") {
            return Some((
                HtmlToken::Open {
                    name,
                    attrs,
                    self_closing: true,
                },
                i + 2,
            ));
        }
        if bytes[i] == b'>' {
            return Some((
                HtmlToken::Open {
                    name,
                    attrs,
                    self_closing: false,
                },
                i + 1,
            ));
        }
        if bytes[i] == b'/' {
            i += 1;
            continue;
        }
        let name_end = text[i..]
            .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '>' || c == '/')
            .map_or(text.len(), |p| p + i);
        let attr_name = text[i..name_end].to_ascii_lowercase();
        i = name_end;
        while i < text.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < text.len() && bytes[i] == b'=' {
            i += 1;
            while i < text.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < text.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                let quote = bytes[i] as char;
                let close = text[i + 1..].find(quote)? + i + 1;
                value = decode_entities(&text[i + 1..close]);
                i = close + 1;
            } else {
                let end = text[i..]
                    .find(|c: char| c.is_ascii_whitespace() || c == '>')
                    .map_or(text.len(), |p| p + i);
                value = decode_entities(&text[i..end]);
                i = end;
            }
        }
        if !attr_name.is_empty() {
            attrs.push((attr_name, value));
        }
    }
}

/// The character references that matter in attribute values and short texts.
pub(crate) fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest
            .char_indices()
            .take(12)
            .find(|&(_, c)| c == ';')
            .map(|(i, _)| i)
        else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

pub(crate) use crate::url::dangerous_scheme;

/// Link target of an `href`/Markdown destination as written.
pub(crate) fn link_target(url: &str) -> LinkTarget {
    match url.strip_prefix(PAGE_LINK_PREFIX) {
        Some(page) => LinkTarget::Page(decode_target(page)),
        None => LinkTarget::Source(url.to_string()),
    }
}

/// Image source as written (a `{% link %}` marker becomes the path it names).
pub(crate) fn image_source(url: &str) -> String {
    match url.strip_prefix(PAGE_LINK_PREFIX) {
        Some(page) => decode_target(page),
        None => url.to_string(),
    }
}

pub(crate) fn warn_url(rep: &mut Reporter, at: Where, scheme: &str, what: &str) {
    rep.warning(
        at.line,
        at.col,
        format!("{what} with a `{scheme}:` URL removed"),
        Some("links and images must point at pages, files or web addresses"),
    );
}

/// Safe attributes of an element that goes into the book; `on*` and `style` attributes are
/// dropped with one warning. Its id is recorded for the page's duplicate-id check.
pub(crate) fn safe_attr(
    tag: &str,
    attrs: &[(String, String)],
    rep: &mut Reporter,
    at: Where,
) -> Attr {
    let attr = check_attr(tag, attrs, rep, at);
    if let Some(id) = &attr.id {
        rep.id_written(id, at);
    }
    attr
}

/// The safe attributes of an element, with the warning about the others, and nothing recorded:
/// for elements whose own attributes do not reach the book (an `<img>`, a dropped `<script>`).
pub(crate) fn check_attr(
    tag: &str,
    attrs: &[(String, String)],
    rep: &mut Reporter,
    at: Where,
) -> Attr {
    let mut attr = Attr::default();
    let mut dropped = Vec::new();
    for (name, value) in attrs {
        match name.as_str() {
            "id" => attr.id = Some(value.clone()).filter(|v| !v.is_empty()),
            "name" if tag == "a" && attr.id.is_none() => {
                attr.id = Some(value.clone()).filter(|v| !v.is_empty());
            }
            "class" => attr
                .classes
                .extend(value.split_whitespace().map(str::to_string)),
            n if SAFE_ATTRIBUTES.contains(&n) => {
                attr.attributes.push((name.clone(), value.clone()))
            }
            n if n.starts_with("on") || n == "style" => dropped.push(format!("`{n}`")),
            _ => {}
        }
    }
    if !dropped.is_empty() {
        rep.warning(
            at.line,
            at.col,
            format!("attribute {} removed from <{tag}>", dropped.join(", ")),
            Some("scripts and inline styles never reach the book"),
        );
    }
    attr
}

pub(crate) fn warn_dropped_element(rep: &mut Reporter, at: Where, name: &str) {
    rep.warning(
        at.line,
        at.col,
        format!("<{name}> element removed with its content"),
        Some("the book never carries scripts, styles, frames or forms"),
    );
}

/// What an inline element becomes once its content is known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum InlineForm {
    Span(Attr),
    Link {
        target: LinkTarget,
        title: Option<String>,
        attr: Attr,
        pos: Pos,
    },
    Emph,
    Strong,
    Strikeout,
    Superscript,
    Subscript,
    Code,
    /// A harmless tag without an IR form: its content stays, the tag goes.
    Unwrap,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InlineElement {
    pub tag: String,
    pub form: InlineForm,
}

pub(crate) enum InlineOpen {
    /// An element whose content follows, up to its end tag.
    Container(InlineElement),
    /// A complete result (`<br>`, `<img>`).
    Leaf(Vec<Inline>),
    /// Removed with its content (a warning was given).
    Drop,
    Nothing,
}

/// What an opening tag met in inline content becomes.
pub(crate) fn open_inline(
    name: &str,
    attrs: &[(String, String)],
    rep: &mut Reporter,
    at: Where,
) -> InlineOpen {
    if is_dropped(name) {
        warn_dropped_element(rep, at, name);
        return InlineOpen::Drop;
    }
    let attr_value = |key: &str| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let form = match name {
        "br" => return InlineOpen::Leaf(vec![Inline::LineBreak]),
        "wbr" | "hr" => return InlineOpen::Nothing,
        "img" => {
            // Called for its warning about handlers; an image keeps src, alt and title.
            let _ = check_attr(name, attrs, rep, at);
            let Some(src) = attr_value("src").filter(|s| !s.trim().is_empty()) else {
                return InlineOpen::Nothing;
            };
            if let Some(scheme) = dangerous_scheme(&src) {
                warn_url(rep, at, scheme, "image");
                return InlineOpen::Nothing;
            }
            return InlineOpen::Leaf(vec![Inline::Image {
                src: image_source(src.trim()),
                alt: attr_value("alt").unwrap_or_default(),
                title: attr_value("title"),
                asset: None,
                pos: at.pos,
            }]);
        }
        "a" => {
            let attr = safe_attr(name, attrs, rep, at);
            match attr_value("href") {
                Some(href) => {
                    if let Some(scheme) = dangerous_scheme(&href) {
                        warn_url(rep, at, scheme, "link");
                        if attr.id.is_some() {
                            InlineForm::Span(attr)
                        } else {
                            InlineForm::Unwrap
                        }
                    } else {
                        let title = attr_value("title");
                        InlineForm::Link {
                            target: link_target(href.trim()),
                            title,
                            attr: Attr {
                                id: attr.id,
                                classes: attr.classes,
                                attributes: Vec::new(),
                            },
                            pos: at.pos,
                        }
                    }
                }
                None => InlineForm::Span(attr),
            }
        }
        "span" => InlineForm::Span(safe_attr(name, attrs, rep, at)),
        "em" | "i" | "cite" | "dfn" | "var" => InlineForm::Emph,
        "strong" | "b" => InlineForm::Strong,
        "s" | "del" | "strike" => InlineForm::Strikeout,
        "sup" => InlineForm::Superscript,
        "sub" => InlineForm::Subscript,
        "code" | "kbd" | "samp" | "tt" => InlineForm::Code,
        _ => {
            // Still report handlers on a tag that is unwrapped.
            let _ = check_attr(name, attrs, rep, at);
            InlineForm::Unwrap
        }
    };
    InlineOpen::Container(InlineElement {
        tag: name.to_string(),
        form,
    })
}

/// The inlines an element becomes with its content.
pub(crate) fn finish_inline(element: InlineElement, content: Vec<Inline>) -> Vec<Inline> {
    let wrapped = match element.form {
        InlineForm::Span(attr) => {
            if attr == Attr::default() {
                return content;
            }
            Inline::Span { attr, content }
        }
        InlineForm::Link {
            target,
            title,
            attr,
            pos,
        } => {
            let link = Inline::Link {
                target,
                title,
                content,
                pos,
            };
            if attr == Attr::default() {
                link
            } else {
                Inline::Span {
                    attr,
                    content: vec![link],
                }
            }
        }
        InlineForm::Emph => Inline::Emph(content),
        InlineForm::Strong => Inline::Strong(content),
        InlineForm::Strikeout => Inline::Strikeout(content),
        InlineForm::Superscript => Inline::Superscript(content),
        InlineForm::Subscript => Inline::Subscript(content),
        InlineForm::Code => Inline::Code(crate::ir::plain_text(&content)),
        InlineForm::Unwrap => return content,
    };
    vec![wrapped]
}

/// A paragraph made only of empty anchors (`<span id="x"></span>`): one empty `Div` per anchor.
pub(crate) fn anchors_only(inlines: &[Inline]) -> Option<Vec<Block>> {
    let mut anchors = Vec::new();
    for inline in inlines {
        match inline {
            Inline::Span { attr, content } if content.is_empty() && attr.id.is_some() => {
                anchors.push(Block::Div {
                    attr: attr.clone(),
                    blocks: Vec::new(),
                });
            }
            Inline::Text(t) if t.trim().is_empty() => {}
            Inline::SoftBreak | Inline::LineBreak => {}
            _ => return None,
        }
    }
    (!anchors.is_empty()).then_some(anchors)
}

/// Push an inline, merging adjacent text.
pub(crate) fn push_inline(inlines: &mut Vec<Inline>, inline: Inline) {
    if let Inline::Text(text) = &inline
        && let Some(Inline::Text(last)) = inlines.last_mut()
    {
        last.push_str(text);
        return;
    }
    if matches!(&inline, Inline::Text(t) if t.is_empty()) {
        return;
    }
    inlines.push(inline);
}

/// Inline content as a block: nothing if blank, anchors as divs, else `Plain`.
pub(crate) fn plain_blocks(mut inlines: Vec<Inline>) -> Vec<Block> {
    trim_inlines(&mut inlines);
    if inlines.is_empty() {
        return Vec::new();
    }
    anchors_only(&inlines).unwrap_or_else(|| vec![Block::Plain(inlines)])
}

/// Remove leading and trailing white space of inline content.
pub(crate) fn trim_inlines(inlines: &mut Vec<Inline>) {
    while let Some(first) = inlines.first_mut() {
        match first {
            Inline::Text(t) => {
                let trimmed = t.trim_start().to_string();
                if trimmed.is_empty() {
                    inlines.remove(0);
                } else {
                    *t = trimmed;
                    break;
                }
            }
            Inline::SoftBreak | Inline::LineBreak => {
                inlines.remove(0);
            }
            _ => break,
        }
    }
    while let Some(last) = inlines.last_mut() {
        match last {
            Inline::Text(t) => {
                let trimmed = t.trim_end().to_string();
                if trimmed.is_empty() {
                    inlines.pop();
                } else {
                    *t = trimmed;
                    break;
                }
            }
            Inline::SoftBreak | Inline::LineBreak => {
                inlines.pop();
            }
            _ => break,
        }
    }
}

/// A block of raw HTML → blocks. `depth` is the block nesting it sits at.
pub(crate) fn html_to_blocks(
    html: &str,
    rep: &mut Reporter,
    at: Where,
    depth: usize,
) -> Vec<Block> {
    let fragment = Html::parse_fragment(html);
    let mut converter = Converter { rep, at };
    converter.blocks_of(fragment.root_element(), depth)
}

struct Converter<'r, 'd> {
    rep: &'r mut Reporter<'d>,
    at: Where,
}

fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        if c.is_ascii_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

fn attrs_of(element: ElementRef) -> Vec<(String, String)> {
    element
        .value()
        .attrs()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect()
}

impl Converter<'_, '_> {
    fn blocks_of(&mut self, parent: ElementRef, depth: usize) -> Vec<Block> {
        let mut blocks = Vec::new();
        let mut pending: Vec<Inline> = Vec::new();
        for child in parent.children() {
            match child.value() {
                Node::Text(text) => {
                    push_inline(&mut pending, Inline::Text(collapse_whitespace(text)))
                }
                Node::Element(element) => {
                    let name = element.name().to_ascii_lowercase();
                    let Some(child) = ElementRef::wrap(child) else {
                        continue;
                    };
                    if BLOCK_ELEMENTS.contains(&name.as_str()) {
                        blocks.extend(plain_blocks(std::mem::take(&mut pending)));
                        self.block_element(&name, child, depth, &mut blocks);
                    } else {
                        self.inline_element(&name, child, depth, &mut pending);
                    }
                }
                _ => {}
            }
        }
        blocks.extend(plain_blocks(pending));
        blocks
    }

    /// Text content only, for content past the depth cap.
    fn flattened(&mut self, element: ElementRef) -> Vec<Block> {
        self.rep.depth_exceeded(self.at.line, self.at.col);
        let text: String = element.text().collect();
        plain_blocks(vec![Inline::Text(collapse_whitespace(&text))])
    }

    fn block_element(
        &mut self,
        name: &str,
        element: ElementRef,
        depth: usize,
        out: &mut Vec<Block>,
    ) {
        if depth >= MAX_DEPTH {
            out.extend(self.flattened(element));
            return;
        }
        let attrs = attrs_of(element);
        let depth = depth + 1;
        match name {
            "p" => {
                let _ = check_attr(name, &attrs, self.rep, self.at);
                let mut inlines = self.inlines_of(element, depth);
                trim_inlines(&mut inlines);
                if let Some(anchors) = anchors_only(&inlines) {
                    out.extend(anchors);
                } else if !inlines.is_empty() {
                    out.push(Block::Para(inlines));
                }
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let level = name[1..].parse().unwrap_or(1);
                let attr = safe_attr(name, &attrs, self.rep, self.at);
                let mut content = self.inlines_of(element, depth);
                trim_inlines(&mut content);
                out.push(Block::Heading {
                    level,
                    attr,
                    content,
                });
            }
            "ul" | "ol" => {
                let _ = check_attr(name, &attrs, self.rep, self.at);
                let mut items = Vec::new();
                for child in element.child_elements() {
                    let child_name = child.value().name().to_ascii_lowercase();
                    if is_dropped(&child_name) {
                        warn_dropped_element(self.rep, self.at, &child_name);
                        continue;
                    }
                    items.push(self.blocks_of(child, depth));
                }
                if name == "ol" {
                    let start = attrs
                        .iter()
                        .find(|(k, _)| k == "start")
                        .and_then(|(_, v)| v.trim().parse().ok())
                        .unwrap_or(1);
                    out.push(Block::OrderedList { start, items });
                } else {
                    out.push(Block::BulletList(items));
                }
            }
            "blockquote" => {
                let _ = check_attr(name, &attrs, self.rep, self.at);
                out.push(Block::BlockQuote(self.blocks_of(element, depth)));
            }
            "pre" => {
                let _ = check_attr(name, &attrs, self.rep, self.at);
                let lang = element
                    .child_elements()
                    .find(|c| c.value().name() == "code")
                    .and_then(|code| {
                        code.value()
                            .classes()
                            .find_map(|c| c.strip_prefix("language-").map(str::to_string))
                    });
                let text: String = element.text().collect();
                let text = text.strip_suffix('\n').unwrap_or(&text).to_string();
                out.push(Block::CodeBlock { lang, text });
            }
            "table" => {
                let _ = check_attr(name, &attrs, self.rep, self.at);
                out.push(self.table(element, depth));
            }
            "hr" => out.push(Block::ThematicBreak),
            _ => {
                let attr = safe_attr(name, &attrs, self.rep, self.at);
                let blocks = self.blocks_of(element, depth);
                out.push(Block::Div { attr, blocks });
            }
        }
    }

    fn table(&mut self, table: ElementRef, depth: usize) -> Block {
        let mut head: Vec<Cell> = Vec::new();
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        let mut row_elements: Vec<(bool, ElementRef)> = Vec::new();
        for child in table.child_elements() {
            match child.value().name() {
                "thead" | "tbody" | "tfoot" => {
                    let in_head = child.value().name() == "thead";
                    for row in child.child_elements() {
                        if row.value().name() == "tr" {
                            row_elements.push((in_head, row));
                        }
                    }
                }
                "tr" => row_elements.push((false, child)),
                _ => {}
            }
        }
        for (index, (in_head, row)) in row_elements.into_iter().enumerate() {
            let _ = check_attr("tr", &attrs_of(row), self.rep, self.at);
            let mut all_th = true;
            let mut cells = Vec::new();
            for cell in row.child_elements() {
                let name = cell.value().name();
                if name != "td" && name != "th" {
                    continue;
                }
                all_th &= name == "th";
                let _ = check_attr(name, &attrs_of(cell), self.rep, self.at);
                let mut content = self.inlines_of(cell, depth + 1);
                trim_inlines(&mut content);
                cells.push(content);
            }
            if head.is_empty() && (in_head || (index == 0 && all_th && !cells.is_empty())) {
                head = cells;
            } else {
                rows.push(cells);
            }
        }
        crate::ir::padded_table(Vec::new(), head, rows)
    }

    fn inlines_of(&mut self, parent: ElementRef, depth: usize) -> Vec<Inline> {
        let mut inlines = Vec::new();
        for child in parent.children() {
            match child.value() {
                Node::Text(text) => {
                    push_inline(&mut inlines, Inline::Text(collapse_whitespace(text)))
                }
                Node::Element(element) => {
                    let name = element.name().to_ascii_lowercase();
                    if let Some(child) = ElementRef::wrap(child) {
                        self.inline_element(&name, child, depth, &mut inlines);
                    }
                }
                _ => {}
            }
        }
        inlines
    }

    fn inline_element(
        &mut self,
        name: &str,
        element: ElementRef,
        depth: usize,
        out: &mut Vec<Inline>,
    ) {
        if depth >= MAX_DEPTH {
            self.rep.depth_exceeded(self.at.line, self.at.col);
            let text: String = element.text().collect();
            push_inline(out, Inline::Text(collapse_whitespace(&text)));
            return;
        }
        if BLOCK_ELEMENTS.contains(&name) {
            // A block inside inline content: keep its text flowing, separated by a space.
            let content = self.inlines_of(element, depth + 1);
            push_inline(out, Inline::Text(" ".into()));
            for inline in content {
                push_inline(out, inline);
            }
            push_inline(out, Inline::Text(" ".into()));
            return;
        }
        let attrs = attrs_of(element);
        match open_inline(name, &attrs, self.rep, self.at) {
            InlineOpen::Container(el) => {
                let content = self.inlines_of(element, depth + 1);
                for inline in finish_inline(el, content) {
                    push_inline(out, inline);
                }
            }
            InlineOpen::Leaf(inlines) => {
                for inline in inlines {
                    push_inline(out, inline);
                }
            }
            InlineOpen::Drop | InlineOpen::Nothing => {}
        }
    }
}
