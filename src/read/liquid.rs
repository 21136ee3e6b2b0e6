//! Pre-pass on a page body before Markdown parsing: Liquid (`{% link %}`, `{{ page.x }}` …) and
//! kramdown IAL lines (`{: .x}`). It never adds or removes a newline, so a line of the output is
//! the same line of the page. Fenced code blocks and code spans are left untouched.

use super::Reporter;
use std::collections::BTreeMap;

/// Link targets made from `{% link x %}` / `{% post_url x %}` start with this; the Markdown
/// reader turns them into `LinkTarget::Page`. Not a scheme anybody writes.
pub(crate) const PAGE_LINK_PREFIX: &str = "x-livret-page:";

/// Values for `{{ page.x }}` and `{{ site.x }}`.
pub(crate) struct LiquidVars<'a> {
    pub page: &'a BTreeMap<String, String>,
    pub site: &'a BTreeMap<String, String>,
}

/// A kramdown inline attribute list: `{: #id .class key="value"}` or `{:toc}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Ial {
    pub id: Option<String>,
    pub classes: Vec<String>,
    pub attributes: Vec<(String, String)>,
    /// `{:toc}`: the preceding `* TOC` list is the table-of-contents placeholder.
    pub toc: bool,
}

/// A block IAL found on a line of its own; the line itself was blanked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BlockIal {
    /// Byte offset of the blanked line in `Prepared::text`.
    pub offset: usize,
    pub ial: Ial,
    /// Indented or after `>`: it belongs inside a list item or quote.
    pub nested: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prepared {
    pub text: String,
    pub block_ials: Vec<BlockIal>,
    /// `(offset in text, offset in body)` after each replacement, in order: maps a position in
    /// `text` back to the page, so that columns stay right.
    pub anchors: Vec<(usize, usize)>,
}

impl Prepared {
    /// The body offset of `offset` in `text`.
    pub(crate) fn body_offset(&self, offset: usize) -> usize {
        let index = self.anchors.partition_point(|&(out, _)| out <= offset);
        match index.checked_sub(1).and_then(|i| self.anchors.get(i)) {
            Some(&(out, body)) => body + (offset - out),
            None => offset,
        }
    }
}

/// Run the pre-pass over `body`.
pub(crate) fn prepare(body: &str, vars: &LiquidVars, rep: &mut Reporter) -> Prepared {
    let mut scanner = Scanner {
        vars,
        out: String::with_capacity(body.len()),
        block_ials: Vec::new(),
        anchors: Vec::new(),
        raw_open: false,
        comment_open: false,
        opened_at: None,
        open_blocks: Vec::new(),
    };
    let mut fence: Option<(char, usize)> = None;
    let mut chunk_start: Option<usize> = None;
    let mut chunk_line = 0usize;
    let mut offset = 0usize;
    for (line_index, line) in super::lines_inclusive(body).enumerate() {
        let is_code = match fence {
            Some((ch, len)) => {
                if closes_fence(line, ch, len) {
                    fence = None;
                }
                true
            }
            None => match opens_fence(line) {
                Some(open) => {
                    fence = Some(open);
                    true
                }
                None => false,
            },
        };
        let blank = line.trim().is_empty();
        if is_code || blank {
            if let Some(start) = chunk_start.take() {
                scanner.chunk(&body[start..offset], start, chunk_line, rep);
            }
            scanner.copy_code(line, offset);
        } else if chunk_start.is_none() {
            chunk_start = Some(offset);
            chunk_line = line_index;
        }
        offset += line.len();
    }
    if let Some(start) = chunk_start {
        scanner.chunk(&body[start..], start, chunk_line, rep);
    }
    scanner.report_unclosed(rep);
    Prepared {
        text: scanner.out,
        block_ials: scanner.block_ials,
        anchors: scanner.anchors,
    }
}

/// The line without container prefixes (blockquote `>`, indentation): fences inside list
/// items and quotes count too.
fn strip_container_prefix(line: &str) -> &str {
    line.trim_start_matches([' ', '\t', '>'])
}

fn opens_fence(line: &str) -> Option<(char, usize)> {
    let mut rest = strip_container_prefix(line);
    // A fence may open a list item: `- ```html`.
    for marker in ["- ", "* ", "+ "] {
        if let Some(after) = rest.strip_prefix(marker) {
            rest = after.trim_start();
        }
    }
    if let Some(after_number) = rest
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .strip_prefix(". ")
        && after_number.len() + 2 < rest.len()
    {
        rest = after_number.trim_start();
    }
    let ch = rest.chars().next()?;
    if ch != '`' && ch != '~' {
        return None;
    }
    let len = rest.chars().take_while(|&c| c == ch).count();
    if len < 3 {
        return None;
    }
    let info = &rest[len..];
    if ch == '`' && info.contains('`') {
        return None;
    }
    Some((ch, len))
}

fn closes_fence(line: &str, ch: char, len: usize) -> bool {
    let rest = strip_container_prefix(line);
    let run = rest.chars().take_while(|&c| c == ch).count();
    run >= len && rest[run * ch.len_utf8()..].trim().is_empty()
}

struct Scanner<'v, 'a> {
    vars: &'v LiquidVars<'a>,
    out: String,
    block_ials: Vec<BlockIal>,
    anchors: Vec<(usize, usize)>,
    /// Inside `{% raw %}`: Liquid is text until `{% endraw %}`.
    raw_open: bool,
    /// Inside `{% comment %}`: removed until `{% endcomment %}`.
    comment_open: bool,
    /// Where the open `{% raw %}` or `{% comment %}` started (body line, column).
    opened_at: Option<(usize, u32)>,
    /// Block tags (`if`, `for`, `capture`…) opened and not yet closed, innermost last.
    open_blocks: Vec<OpenBlock>,
}

/// A Liquid block tag waiting for its `end…` tag.
struct OpenBlock {
    name: &'static str,
    line: usize,
    col: u32,
}

/// Liquid's block tags other than `raw` and `comment`, each closed by `end<name>`.
const BLOCK_TAGS: [&str; 6] = ["if", "unless", "case", "for", "tablerow", "capture"];

/// The newlines of `text`, so that removed text keeps the line count.
fn newlines_of(text: &str) -> String {
    text.chars().filter(|&c| c == '\n').collect()
}

impl Scanner<'_, '_> {
    fn copy_code(&mut self, line: &str, body_offset: usize) {
        if self.comment_open {
            self.out.push_str(&newlines_of(line));
            self.anchor(body_offset + line.len());
        } else {
            self.out.push_str(line);
        }
    }

    /// Record that the output so far ends at `body_offset` of the body.
    fn anchor(&mut self, body_offset: usize) {
        self.anchors.push((self.out.len(), body_offset));
    }

    /// A run of non-blank lines outside fenced code (a code span never crosses a blank line).
    fn chunk(&mut self, chunk: &str, base: usize, first_line: usize, rep: &mut Reporter) {
        let bytes = chunk.as_bytes();
        let mut i = 0;
        let mut line = first_line;
        let mut cursor = LineCursor::default();
        // Once a closing delimiter is missing from some point on, it is missing from every
        // later point: remembered, so that a line of 100,000 `{{` is not searched 100,000 times.
        let (mut no_var_close, mut no_tag_close, mut no_ial_close) = (false, false, false);
        while i < chunk.len() {
            let rest = &chunk[i..];
            if self.comment_open {
                match find_tag(rest, "endcomment") {
                    Some((start, end)) => {
                        self.out.push_str(&newlines_of(&rest[..start]));
                        line += count_newlines(&rest[..end]);
                        self.out.push_str(&newlines_of(&rest[start..end]));
                        self.comment_open = false;
                        i += end;
                        self.anchor(base + i);
                    }
                    None => {
                        self.out.push_str(&newlines_of(rest));
                        self.anchor(base + chunk.len());
                        return;
                    }
                }
                continue;
            }
            if self.raw_open {
                match find_tag(rest, "endraw") {
                    Some((start, end)) => {
                        self.out.push_str(&rest[..start]);
                        self.out.push_str(&newlines_of(&rest[start..end]));
                        line += count_newlines(&rest[..end]);
                        self.raw_open = false;
                        i += end;
                        self.anchor(base + i);
                    }
                    None => {
                        self.out.push_str(rest);
                        return;
                    }
                }
                continue;
            }
            let b = bytes[i];
            if b == b'\\' && i + 1 < chunk.len() && chunk.is_char_boundary(i + 2) {
                // An escaped character is never the start of a code span or of Liquid.
                self.out.push_str(&chunk[i..i + 2]);
                line += count_newlines(&chunk[i..i + 2]);
                i += 2;
                continue;
            }
            if b == b'`' {
                let run = rest.bytes().take_while(|&c| c == b'`').count();
                let copied = match find_closing_backticks(&rest[run..], run) {
                    Some(close_end) => run + close_end,
                    None => run,
                };
                self.out.push_str(&rest[..copied]);
                line += count_newlines(&rest[..copied]);
                i += copied;
                continue;
            }
            if let Some(after) = rest.strip_prefix("{{") {
                let close = (!no_var_close).then(|| after.find("}}")).flatten();
                no_var_close = close.is_none();
                if let Some(close) = close.map(|p| p + 2) {
                    let expression = &rest[2..close];
                    let col = cursor.column(chunk, i);
                    let value = self.expand_variable(expression, line, col, rep);
                    self.out.push_str(&value);
                    self.out.push_str(&newlines_of(&rest[..close + 2]));
                    line += count_newlines(&rest[..close + 2]);
                    i += close + 2;
                    self.anchor(base + i);
                    continue;
                }
            } else if let Some(after) = rest.strip_prefix("{%") {
                let close = (!no_tag_close).then(|| after.find("%}")).flatten();
                no_tag_close = close.is_none();
                if let Some(close) = close.map(|p| p + 2) {
                    let inner = &rest[2..close];
                    let col = cursor.column(chunk, i);
                    let replacement = self.expand_tag(inner, line, col, rep);
                    self.out.push_str(&replacement);
                    self.out.push_str(&newlines_of(&rest[..close + 2]));
                    line += count_newlines(&rest[..close + 2]);
                    i += close + 2;
                    self.anchor(base + i);
                    continue;
                }
                rep.warning(
                    line,
                    cursor.column(chunk, i),
                    "unclosed Liquid tag `{%`",
                    Some("close it with `%}` or escape it as `\\{%`"),
                );
            } else if rest.starts_with("{:")
                && !no_ial_close
                && let Some(close) = rest.find('}').or_else(|| {
                    no_ial_close = true;
                    None
                })
                && !rest[..close].contains('\n')
            {
                let end = i + close + 1;
                cursor.seek(chunk, i);
                let (line_start, line_end) = (cursor.start, cursor.end);
                let before = &chunk[line_start..i];
                let after = &chunk[end..line_end];
                let ial = parse_ial(&rest[2..close]);
                if before.trim_start_matches([' ', '\t', '>']).is_empty() && after.trim().is_empty()
                {
                    // A line of its own: a block IAL. Blank the line, keep any `>` prefix.
                    let kept = self.out.len().saturating_sub(i - line_start);
                    self.out.truncate(kept);
                    self.out.push_str(before.trim_end());
                    self.block_ials.push(BlockIal {
                        offset: kept,
                        ial,
                        nested: !before.is_empty(),
                    });
                    i = line_end;
                    self.anchor(base + i);
                    continue;
                }
                if chunk[line_start..].trim_start().starts_with('#') {
                    // A heading's trailing `{: #id}`: pulldown-cmark reads `{#id}` itself.
                    self.out.push('{');
                    self.out.push_str(&rest[2..close + 1]);
                    i = end;
                    self.anchor(base + i);
                    continue;
                }
                // A span IAL (`[x](url){:target="_blank"}`): never shown.
                i = end;
                self.anchor(base + i);
                continue;
            }
            // Plain text up to the next byte that can start something: copied as one run.
            let ch_len = rest.chars().next().map_or(1, char::len_utf8);
            let run = ch_len
                + memchr::memchr3(b'\\', b'`', b'{', &bytes[i + ch_len..])
                    .unwrap_or(chunk.len() - i - ch_len);
            line += count_newlines(&rest[..run]);
            self.out.push_str(&rest[..run]);
            i += run;
        }
    }

    fn expand_variable(
        &self,
        expression: &str,
        line: usize,
        col: u32,
        rep: &mut Reporter,
    ) -> String {
        let expression = expression.trim_matches('-').trim();
        let name = expression.split('|').next().unwrap_or("").trim();
        if name == "site.baseurl" || name == "site.url" {
            return String::new();
        }
        let value = if let Some(key) = name.strip_prefix("page.") {
            self.vars.page.get(key)
        } else if let Some(key) = name.strip_prefix("site.") {
            self.vars.site.get(key)
        } else {
            None
        };
        match value {
            Some(value) => value.replace(['\n', '\r'], " "),
            None => {
                rep.warning(
                    line,
                    col,
                    format!("unknown Liquid variable `{{{{ {expression} }}}}`; removed"),
                    Some("define it in the page's front matter or in _config.yml"),
                );
                String::new()
            }
        }
    }

    fn expand_tag(&mut self, inner: &str, line: usize, col: u32, rep: &mut Reporter) -> String {
        let inner = inner.trim_matches('-').trim();
        let (name, args) = inner
            .split_once(char::is_whitespace)
            .map_or((inner, ""), |(n, a)| (n, a.trim()));
        match name {
            "link" | "post_url" => {
                let target = args.trim_matches(|c| c == '"' || c == '\'');
                if target.is_empty() {
                    rep.warning(
                        line,
                        col,
                        format!("`{{% {name} %}}` without a target"),
                        None,
                    );
                    return String::new();
                }
                format!("{PAGE_LINK_PREFIX}{}", encode_target(target))
            }
            "raw" => {
                self.raw_open = true;
                self.opened_at = Some((line, col));
                String::new()
            }
            "comment" => {
                self.comment_open = true;
                self.opened_at = Some((line, col));
                String::new()
            }
            _ => {
                self.track_block(name, line, col);
                rep.warning(
                    line,
                    col,
                    format!("Liquid tag `{{% {inner} %}}` is not supported; removed"),
                    Some("livret reads Markdown only; write the content into the page"),
                );
                String::new()
            }
        }
    }
}

impl Scanner<'_, '_> {
    /// Keep the stack of open block tags: `if` opens, `endif` closes the innermost `if`.
    fn track_block(&mut self, name: &str, line: usize, col: u32) {
        if let Some(tag) = BLOCK_TAGS.iter().find(|tag| **tag == name) {
            self.open_blocks.push(OpenBlock {
                name: tag,
                line,
                col,
            });
        } else if let Some(closed) = name.strip_prefix("end")
            && let Some(at) = self.open_blocks.iter().rposition(|b| b.name == closed)
        {
            self.open_blocks.truncate(at);
        }
    }

    /// What is still open at the end of the page is an error at its opening tag, as in Jekyll
    /// ("'comment' tag was never closed"): the rest of the page would be lost silently.
    fn report_unclosed(&mut self, rep: &mut Reporter) {
        let unclosed_text = if self.comment_open {
            Some(("comment", "everything after it is dropped"))
        } else if self.raw_open {
            Some(("raw", "everything after it is printed as written"))
        } else {
            None
        };
        if let (Some((name, effect)), Some((line, col))) = (unclosed_text, self.opened_at) {
            rep.error(
                line,
                col,
                format!("Liquid `{{% {name} %}}` is never closed: {effect}"),
                Some(&format!("close it with `{{% end{name} %}}`")),
            );
        }
        for block in std::mem::take(&mut self.open_blocks) {
            rep.error(
                block.line,
                block.col,
                format!("Liquid `{{% {} %}}` is never closed", block.name),
                Some(&format!("close it with `{{% end{} %}}`", block.name)),
            );
        }
    }
}

fn count_newlines(text: &str) -> usize {
    memchr::memchr_iter(b'\n', text.as_bytes()).count()
}

/// The line around a byte of a chunk and its column, carried on from the previous query:
/// queries come in order, so a line holding 100,000 tags is scanned once, not once per tag.
#[derive(Default)]
struct LineCursor {
    /// Bounds of the current line in the chunk (`end` at its `\n` or the chunk's end).
    start: usize,
    end: usize,
    /// Last byte queried, and its characters from `start`.
    at: usize,
    chars: usize,
    valid: bool,
}

impl LineCursor {
    fn seek(&mut self, chunk: &str, at: usize) {
        let at = at.min(chunk.len());
        if !(self.valid && self.at <= at && at <= self.end) {
            let before = chunk.get(..at).unwrap_or_default();
            let after = chunk.get(at..).unwrap_or_default();
            self.start = before.rfind('\n').map_or(0, |p| p + 1);
            self.end = after.find('\n').map_or(chunk.len(), |p| at + p);
            self.at = self.start;
            self.chars = 0;
            self.valid = true;
        }
        self.chars += chunk.get(self.at..at).map_or(0, |s| s.chars().count());
        self.at = at;
    }

    /// 1-based column (in characters) of byte `at`.
    fn column(&mut self, chunk: &str, at: usize) -> u32 {
        self.seek(chunk, at);
        u32::try_from(self.chars + 1).unwrap_or(u32::MAX)
    }
}

/// Where `{% name %}` (any whitespace, `-` trimming) starts and ends in `text`.
fn find_tag(text: &str, name: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(start) = text[from..].find("{%").map(|p| p + from) {
        let close = text[start + 2..].find("%}")? + start + 2;
        if text[start + 2..close].trim_matches('-').trim() == name {
            return Some((start, close + 2));
        }
        from = close + 2;
    }
    None
}

/// End (exclusive) of the first run of exactly `run` backticks in `text`.
fn find_closing_backticks(text: &str, run: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let len = bytes[i..].iter().take_while(|&&c| c == b'`').count();
            if len == run {
                return Some(i + len);
            }
            i += len;
        } else {
            i += 1;
        }
    }
    None
}

/// Percent-encode what would end a Markdown link destination. Line ends and tabs too: the
/// pre-pass must not move text to another line (a fuzz finding: `{% link a\nb %}`).
fn encode_target(target: &str) -> String {
    let mut out = String::with_capacity(target.len());
    for c in target.chars() {
        match c {
            '%' => out.push_str("%25"),
            ' ' => out.push_str("%20"),
            '\n' => out.push_str("%0A"),
            '\t' => out.push_str("%09"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            _ => out.push(c),
        }
    }
    out
}

/// Inverse of `encode_target`.
pub(crate) fn decode_target(target: &str) -> String {
    target
        .replace("%20", " ")
        .replace("%28", "(")
        .replace("%29", ")")
        .replace("%3C", "<")
        .replace("%3E", ">")
        .replace("%0A", "\n")
        .replace("%09", "\t")
        .replace("%25", "%")
}

/// `#id .class key="value" toc` (the text between `{:` and `}`).
pub(crate) fn parse_ial(text: &str) -> Ial {
    let mut ial = Ial::default();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let token_end = token_end(rest);
        let token = &rest[..token_end];
        rest = rest[token_end..].trim_start();
        if let Some(id) = token.strip_prefix('#') {
            if !id.is_empty() {
                ial.id = Some(id.to_string());
            }
        } else if let Some(class) = token.strip_prefix('.') {
            if !class.is_empty() {
                ial.classes.push(class.to_string());
            }
        } else if let Some((key, value)) = token.split_once('=') {
            let value = value.trim_matches(|c| c == '"' || c == '\'');
            ial.attributes.push((key.to_string(), value.to_string()));
        } else if token == "toc" {
            ial.toc = true;
        }
    }
    ial
}

/// End of the token at the start of `text`: whitespace ends it, except inside quotes.
fn token_end(text: &str) -> usize {
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c.is_whitespace() => return i,
            None => {}
        }
    }
    text.len()
}
