//! Typography pass, per language (docs/dialect.md): kramdown's default `smart_quotes` and `typographic_symbols`
//! (’ for apostrophes, the language's quotes, … – —) for every language, then French spacing
//! (no-break spaces before `; ! ? :` and inside `« »`, Crowbook's French formatter is the
//! reference) for `fr*`. Prose text only: never code, URLs, autolinks or attributes.

use crate::ir::{Block, Document, Inline, LinkTarget, plain_text};
use crate::labels::primary_language;

const NBSP: char = '\u{A0}';
const NARROW_NBSP: char = '\u{202F}';

/// Opening and closing marks: primary quotes (`"…"`), then secondary ones (`'…'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Quotes {
    open: char,
    close: char,
    open_single: char,
    close_single: char,
}

/// What the pass does to a text in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Smart quotes, apostrophes, `...`, `--`, `---`.
    quotes: Option<Quotes>,
    /// French no-break spaces.
    french: bool,
}

impl Rules {
    /// The rules of a BCP 47 language tag; a language without quotes of its own gets English
    /// ones, as kramdown gives every language.
    pub fn for_language(tag: &str) -> Rules {
        let lower = tag.trim().to_ascii_lowercase().replace('_', "-");
        let primary = primary_language(&lower);
        let quotes = |q: [char; 4]| Quotes {
            open: q[0],
            close: q[1],
            open_single: q[2],
            close_single: q[3],
        };
        let quotes = match primary.as_str() {
            "fr" => quotes(['«', '»', '“', '”']),
            "de" => quotes(['„', '“', '‚', '‘']),
            // Brazilian Portuguese quotes as English does.
            "pt" if lower.starts_with("pt-br") => quotes(['“', '”', '‘', '’']),
            "es" | "pt" | "it" => quotes(['«', '»', '“', '”']),
            _ => quotes(['“', '”', '‘', '’']),
        };
        Rules {
            quotes: Some(quotes),
            french: primary == "fr",
        }
    }

    /// French spacing alone (text already typographically quoted).
    #[cfg(test)]
    fn french_spacing() -> Rules {
        Rules {
            quotes: None,
            french: true,
        }
    }
}

/// The book's metadata in its language, each chapter in its own (`Chapter::lang`) or the book's.
/// The blocks are rewritten in slices on up to `jobs` threads: each block is a text of its own.
pub fn apply_typography(doc: &mut Document, jobs: usize) {
    let book = Rules::for_language(&doc.meta.language);
    let meta = &mut doc.meta;
    for text in [&mut meta.title]
        .into_iter()
        .chain(meta.subtitle.as_mut())
        .chain(meta.summary.as_mut())
    {
        rewrite_string(text, book);
    }
    // A chapter's weight spread evenly over its blocks: walking every block to count its text
    // cost a tenth of the pass, on one thread.
    let total: usize = doc.chapters.iter().map(crate::ir::Chapter::weight).sum();
    // Slices small enough to share out evenly, big enough that handing them out costs nothing.
    let slice_bytes = (total / (jobs.max(1) * 8)).max(16 * 1024);
    let mut slices: Vec<(u64, &mut [Block], Rules)> = Vec::new();
    for chapter in &mut doc.chapters {
        let rules = chapter.lang.as_deref().map_or(book, Rules::for_language);
        rewrite_chapter_texts(chapter, rules);
        let block_bytes = (chapter.weight() / chapter.blocks.len().max(1)).max(1);
        for slice in chapter.blocks.chunks_mut(slice_bytes.div_ceil(block_bytes)) {
            slices.push(((slice.len() * block_bytes) as u64, slice, rules));
        }
    }
    crate::jobs::for_each_mut(
        &mut slices,
        jobs,
        |(bytes, _, _)| *bytes,
        |(_, blocks, rules)| rewrite_blocks(blocks, *rules),
    );
}

/// A chapter's title, subtitle, summary and label.
fn rewrite_chapter_texts(chapter: &mut crate::ir::Chapter, rules: Rules) {
    for text in [&mut chapter.title]
        .into_iter()
        .chain(chapter.subtitle.as_mut())
        .chain(chapter.summary.as_mut())
        .chain(chapter.label.as_mut())
    {
        rewrite_string(text, rules);
    }
}

fn rewrite_string(text: &mut String, rules: Rules) {
    rewrite(&mut [Piece::Text(text)], rules);
}

fn rewrite_blocks(blocks: &mut [Block], rules: Rules) {
    for block in blocks {
        match block {
            Block::Para(inlines) | Block::Plain(inlines) => rewrite_run(inlines, rules),
            Block::Heading { content, .. } => rewrite_run(content, rules),
            Block::BulletList(items) | Block::OrderedList { items, .. } => {
                for item in items {
                    rewrite_blocks(item, rules);
                }
            }
            Block::BlockQuote(inner) | Block::Div { blocks: inner, .. } => {
                rewrite_blocks(inner, rules)
            }
            Block::Table { head, rows, .. } => {
                for cell in head.iter_mut().chain(rows.iter_mut().flatten()) {
                    rewrite_run(cell, rules);
                }
            }
            Block::CodeBlock { .. } | Block::ThematicBreak | Block::Toc => {}
        }
    }
}

/// A run of inline content seen as one stream of characters, so that `**Attention**:` is
/// treated like `Attention:`.
enum Piece<'a> {
    Text(&'a mut String),
    /// Code, image, autolink, note reference: not prose, never touched, never spaced after.
    Opaque,
    /// A soft or hard line break: a space we cannot turn into a no-break one.
    Break,
}

fn rewrite_run(inlines: &mut [Inline], rules: Rules) {
    let mut pieces = Vec::new();
    let mut notes = Vec::new();
    let mut alts = Vec::new();
    collect(inlines, &mut pieces, &mut notes, &mut alts);
    rewrite(&mut pieces, rules);
    // Alt text is read aloud and printed as a caption: the same typography as the text.
    for alt in alts {
        rewrite_string(alt, rules);
    }
    for note in notes {
        rewrite_blocks(note, rules);
    }
}

fn collect<'a>(
    inlines: &'a mut [Inline],
    pieces: &mut Vec<Piece<'a>>,
    notes: &mut Vec<&'a mut Vec<Block>>,
    alts: &mut Vec<&'a mut String>,
) {
    for inline in inlines {
        match inline {
            Inline::Text(text) => pieces.push(Piece::Text(text)),
            Inline::Emph(c)
            | Inline::Strong(c)
            | Inline::Strikeout(c)
            | Inline::Superscript(c)
            | Inline::Subscript(c)
            | Inline::Span { content: c, .. } => collect(c, pieces, notes, alts),
            Inline::Link {
                target, content, ..
            } => {
                if is_autolink(target, content) {
                    pieces.push(Piece::Opaque);
                } else {
                    collect(content, pieces, notes, alts);
                }
            }
            Inline::Image { alt, .. } => {
                pieces.push(Piece::Opaque);
                alts.push(alt);
            }
            Inline::Code(_) => pieces.push(Piece::Opaque),
            Inline::Note(blocks) => {
                pieces.push(Piece::Opaque);
                notes.push(blocks);
            }
            Inline::SoftBreak | Inline::LineBreak => pieces.push(Piece::Break),
        }
    }
}

/// A link whose text is its own URL (`<https://…>`, `<mailto:…>`).
fn is_autolink(target: &LinkTarget, content: &[Inline]) -> bool {
    let url = match target {
        LinkTarget::Source(url) | LinkTarget::External(url) => url,
        LinkTarget::Page(_) | LinkTarget::Internal { .. } => return false,
    };
    let shown = plain_text(content);
    let shown = shown.trim();
    shown == url
        || url.strip_prefix("mailto:") == Some(shown)
        || url.strip_prefix("tel:") == Some(shown)
}

/// One character of the run and the text piece it belongs to (`None`: opaque or break).
#[derive(Clone, Copy)]
struct Char {
    piece: Option<u32>,
    c: char,
}

const OPAQUE_MARK: char = '\u{FFFC}';
const BREAK_MARK: char = '\n';

/// A run of pieces as one UTF-8 text (an opaque piece is `OPAQUE_MARK`, a break `BREAK_MARK`)
/// and the piece each stretch of it belongs to. The passes search its bytes for marks, decode
/// characters only around those, and copy what lies between as bytes.
struct Stream {
    text: String,
    /// The first byte of each stretch of one owner (`None`: opaque or break), in order; each
    /// text piece is one stretch.
    owners: Vec<(usize, Option<u32>)>,
}

impl Stream {
    fn with_capacity(bytes: usize) -> Stream {
        Stream {
            text: String::with_capacity(bytes),
            owners: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.text.len()
    }

    /// The index in `owners` of the stretch holding byte `i`.
    fn stretch(&self, i: usize) -> usize {
        self.owners
            .partition_point(|&(start, _)| start <= i)
            .saturating_sub(1)
    }

    /// The bytes of the stretch holding byte `i`.
    fn stretch_bounds(&self, i: usize) -> (usize, usize) {
        let k = self.stretch(i);
        let start = self.owners.get(k).map_or(0, |&(start, _)| start);
        (start, self.stretch_end(k))
    }

    /// Where stretch `k` ends: the next one's first byte, else the text's end.
    fn stretch_end(&self, k: usize) -> usize {
        self.owners
            .get(k + 1)
            .map_or(self.len(), |&(start, _)| start)
    }

    fn piece_at(&self, i: usize) -> Option<u32> {
        self.owners
            .get(self.stretch(i))
            .and_then(|&(_, piece)| piece)
    }

    /// The character starting at byte `i`.
    fn get(&self, i: usize) -> Option<Char> {
        let c = self.text.get(i..)?.chars().next()?;
        Some(Char {
            piece: self.piece_at(i),
            c,
        })
    }

    /// The character ending at byte `i`, and the byte it starts at.
    fn before(&self, i: usize) -> Option<(usize, Char)> {
        let c = self.text.get(..i)?.chars().next_back()?;
        let start = i - c.len_utf8();
        Some((
            start,
            Char {
                piece: self.piece_at(start),
                c,
            },
        ))
    }

    fn last(&self) -> Option<Char> {
        self.before(self.len()).map(|(_, ch)| ch)
    }

    fn push(&mut self, ch: Char) {
        self.own_from_end(ch.piece);
        self.text.push(ch.c);
    }

    fn push_str(&mut self, text: &str, piece: Option<u32>) {
        if !text.is_empty() {
            self.own_from_end(piece);
            self.text.push_str(text);
        }
    }

    /// Bytes `from..to` of `other`, each stretch keeping its piece.
    fn copy(&mut self, other: &Stream, from: usize, to: usize) {
        let mut k = other.stretch(from);
        let mut at = from;
        while at < to {
            let end = other.stretch_end(k).min(to);
            let piece = other.owners.get(k).and_then(|&(_, piece)| piece);
            self.push_str(&other.text[at..end], piece);
            at = end;
            k += 1;
        }
    }

    /// What is pushed next belongs to `piece`: a new stretch unless the last one is its.
    fn own_from_end(&mut self, piece: Option<u32>) {
        if self.owners.last().is_none_or(|&(_, last)| last != piece) {
            self.owners.push((self.len(), piece));
        }
    }

    fn truncate(&mut self, len: usize) {
        self.text.truncate(len);
        while self.owners.last().is_some_and(|&(start, _)| start >= len) {
            self.owners.pop();
        }
    }
}

fn rewrite(pieces: &mut [Piece<'_>], rules: Rules) {
    let piece_texts = || {
        pieces.iter().filter_map(|piece| match piece {
            Piece::Text(text) => Some(text.as_str()),
            _ => None,
        })
    };
    // Many runs hold nothing this pass changes: left as they are, unread.
    if !piece_texts().any(|text| has_mark(text, rules)) {
        return;
    }
    // Which texts may hold a URL: only theirs are searched for one.
    let may_hold_url: Vec<bool> = piece_texts().map(may_hold_url).collect();
    let bytes = piece_texts().map(str::len).sum::<usize>() + pieces.len() * 3;
    let mut stream = Stream::with_capacity(bytes);
    let mut text_count: u32 = 0;
    for piece in pieces.iter() {
        match piece {
            Piece::Text(text) => {
                stream.push_str(text, Some(text_count));
                text_count += 1;
            }
            Piece::Opaque => stream.push(Char {
                piece: None,
                c: OPAQUE_MARK,
            }),
            Piece::Break => stream.push(Char {
                piece: None,
                c: BREAK_MARK,
            }),
        }
    }
    let mut out = stream;
    if let Some(quotes) = rules.quotes {
        out = smarten_stream(&out, quotes, &may_hold_url);
    }
    if rules.french {
        out = respace_stream(&out, &may_hold_url);
    }
    // Written back into the pieces' own strings, stretch by stretch.
    let mut texts: Vec<&mut String> = pieces
        .iter_mut()
        .filter_map(|piece| match piece {
            Piece::Text(text) => Some(&mut **text),
            _ => None,
        })
        .collect();
    for text in &mut texts {
        text.clear();
    }
    for (k, &(start, piece)) in out.owners.iter().enumerate() {
        let end = out.stretch_end(k);
        if let Some(text) = piece.and_then(|i| texts.get_mut(i as usize)) {
            text.push_str(&out.text[start..end]);
        }
    }
}

fn is_text_space(ch: &Char) -> bool {
    ch.piece.is_some() && matches!(ch.c, ' ' | '\t' | NBSP | NARROW_NBSP | '\u{2009}')
}

/// French spacing. What lies between the marks is copied as it is, from `copied` on, when
/// the output must be read or written.
fn respace_stream(stream: &Stream, may_hold_url: &[bool]) -> Stream {
    let mut out = Stream::with_capacity(stream.len() + 16);
    // The piece of a `«` just read: the next character decides its inner space.
    let mut open_quote: Option<u32> = None;
    let mut marks = Marks::new(&stream.text, FRENCH_MARKS);
    let mut i = 0;
    let mut copied = 0;
    loop {
        if open_quote.is_none() {
            i = marks.next(i);
        }
        let Some(ch) = stream.get(i) else {
            break;
        };
        let width = ch.c.len_utf8();
        if let Some(quote_piece) = open_quote.take() {
            out.copy(stream, copied, i);
            copied = i;
            if is_text_space(&ch) {
                let mut last = ch;
                while let Some(next) = stream.get(i).filter(is_text_space) {
                    last = next;
                    i += next.c.len_utf8();
                }
                out.push(Char {
                    piece: last.piece,
                    c: NARROW_NBSP,
                });
                copied = i;
                continue;
            }
            if ch.c != BREAK_MARK && ch.c != '»' {
                out.push(Char {
                    piece: Some(quote_piece),
                    c: NARROW_NBSP,
                });
            }
        }
        let Some(piece) = ch.piece else {
            i += width;
            continue;
        };
        if may_hold_url[piece as usize]
            && let Some(end) = url_end(stream, i, piece)
        {
            i = end;
            continue;
        }
        match ch.c {
            ';' | '!' | '?' | ':' | '»' => {
                out.copy(stream, copied, i);
                copied = i;
                let space = if ch.c == ':' { NBSP } else { NARROW_NBSP };
                space_before(&mut out, ch, space, stream.get(i + width));
            }
            '«' => open_quote = Some(piece),
            _ => {}
        }
        i += width;
    }
    out.copy(stream, copied, stream.len());
    out
}

/// kramdown's `smart_quotes` and `typographic_symbols`: `"` and `'` become the language's
/// quotes (or ’), `...` …, `---` —, `--` –. URLs in the text are left as typed. Every mark is
/// one ASCII byte, and only ever in a text.
fn smarten_stream(stream: &Stream, quotes: Quotes, may_hold_url: &[bool]) -> Stream {
    let mut out = Stream::with_capacity(stream.len());
    let bytes = stream.text.as_bytes();
    let mut marks = Marks::new(&stream.text, SMART_MARKS);
    let mut single_open = false;
    let mut i = 0;
    let mut copied = 0;
    loop {
        i = marks.next(i);
        let Some(&mark) = bytes.get(i) else {
            break;
        };
        let Some(piece) = stream.piece_at(i) else {
            i += 1;
            continue;
        };
        if may_hold_url[piece as usize]
            && let Some(end) = url_end(stream, i, piece)
        {
            i = end;
            continue;
        }
        let same = |k: usize| bytes.get(i + k) == Some(&mark);
        let (symbol, width) = match mark {
            b'.' if same(1) && same(2) => ('…', 3),
            b'-' if same(1) && same(2) => ('—', 3),
            b'-' if same(1) => ('–', 2),
            b'"' | b'\'' => {
                out.copy(stream, copied, i);
                copied = i;
                let before = out.last().map(|c| c.c);
                let after = stream.get(i + 1).map(|c| c.c);
                let mut c = quote_mark(mark == b'"', before, after, quotes);
                if c == quotes.open_single {
                    single_open = true;
                } else if c == '’' && single_open && !after.is_some_and(char::is_alphanumeric) {
                    // Closes the open single quote (‘ in German), unless inside a word (l’été).
                    c = quotes.close_single;
                    single_open = false;
                }
                (c, 1)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        out.copy(stream, copied, i);
        out.push(Char {
            piece: Some(piece),
            c: symbol,
        });
        i += width;
        copied = i;
    }
    out.copy(stream, copied, stream.len());
    out
}

/// The mark for a straight quote between `before` and `after` (`None`: start or end of text).
fn quote_mark(double: bool, before: Option<char>, after: Option<char>, quotes: Quotes) -> char {
    let opens_after = |c: char| {
        c.is_whitespace() || c == BREAK_MARK || matches!(c, '(' | '[' | '{' | '-' | '–' | '—' | '/')
    };
    let at_start =
        before.is_none_or(|c| opens_after(c) || c == quotes.open || c == quotes.open_single);
    let word_follows = after.is_some_and(|c| !c.is_whitespace() && c != BREAK_MARK);
    let opening = at_start && word_follows;
    match (double, opening) {
        // An elided year or number (’01, ’09, the ’80s) takes an apostrophe, as in kramdown.
        (false, true) if after.is_some_and(|c| c.is_ascii_digit()) => '’',
        (true, true) => quotes.open,
        (true, false) if before.is_some_and(|c| !c.is_whitespace()) || !word_follows => {
            quotes.close
        }
        (true, false) => '"',
        (false, true) => quotes.open_single,
        // An apostrophe (l’été, it’s) and a closing single quote are the same mark in kramdown.
        (false, false) => '’',
    }
}

/// Put `space` before the mark `ch` about to be written: replace what was typed there, or
/// insert one where nothing was typed and the mark clearly ends a word.
fn space_before(out: &mut Stream, ch: Char, space: char, next: Option<Char>) {
    let mut before = out.len();
    while let Some((start, _)) = out.before(before).filter(|(_, c)| is_text_space(c)) {
        before = start;
    }
    if before < out.len() {
        // Leading spaces of a paragraph, or after a line break, are left alone.
        if before == 0
            || out
                .before(before)
                .is_some_and(|(_, c)| c.piece.is_none() && c.c == BREAK_MARK)
        {
            return;
        }
        let piece = out.last().and_then(|c| c.piece);
        out.truncate(before);
        out.push(Char { piece, c: space });
        return;
    }
    let Some(last) = out.last() else {
        return;
    };
    // After code, an image or a line break we cannot tell: leave it as typed.
    if last.piece.is_none() {
        return;
    }
    let ends_word = if ch.c == '»' {
        !last.c.is_whitespace() && last.c != '«'
    } else {
        let word_end = last.c.is_alphanumeric()
            || matches!(
                last.c,
                ')' | ']' | '»' | '"' | '”' | '’' | '\'' | '…' | '%' | '€'
            );
        // `?!` and `!!` get one space, before the first mark.
        let repeated = matches!(ch.c, '!' | '?') && matches!(last.c, '!' | '?');
        // `10:30`, `a:b`, `std::fs`, `index.php?id=1`: not punctuation ending a word.
        let glued = next.is_some_and(|n| {
            n.piece.is_some()
                && (n.c.is_alphanumeric()
                    || matches!(n.c, '/' | ':' | '=' | '&' | '_' | '#' | '@' | '+' | '~'))
        });
        word_end && !repeated && !glued
    };
    if ends_word {
        out.push(Char {
            piece: ch.piece,
            c: space,
        });
    }
}

/// The bytes `smarten_stream` acts on, in groups of up to three for one SIMD search each:
/// `" ' -` and `.` (`.` and `-` only when doubled).
const SMART_MARKS: [&[u8]; 2] = [b"\"'-", b"."];

/// The bytes `respace_stream` spaces before (and after `«`): `; ! ?`, and `:` with 0xC2, the
/// first byte of `«` and `»` (and of other characters, told apart by the next byte).
const FRENCH_MARKS: [&[u8]; 2] = [b";!?", b":\xC2"];

/// Whether `text` holds a mark either rule set acts on: a `.` or `-` only when doubled, or at
/// the text's end, where the next text may double it.
fn has_mark(text: &str, rules: Rules) -> bool {
    let bytes = text.as_bytes();
    let smart = rules.quotes.is_some() && {
        let mut marks = Marks::new(text, SMART_MARKS);
        let mut at = 0;
        loop {
            at = marks.next(at);
            let Some(&mark) = bytes.get(at) else {
                break false;
            };
            at += 1;
            if matches!(mark, b'"' | b'\'') || bytes.get(at).is_none_or(|&next| next == mark) {
                break true;
            }
        }
    };
    smart || (rules.french && Marks::new(text, FRENCH_MARKS).next(0) < text.len())
}

/// Whether `text` has what `starts_url` looks for (`://`, `mailto:`, `tel:`, `www.`, in any
/// case): a text without any holds no URL.
fn may_hold_url(text: &str) -> bool {
    let bytes = text.as_bytes();
    let ends_with = |end: usize, word: &[u8]| {
        end.checked_sub(word.len())
            .is_some_and(|start| bytes[start..end].eq_ignore_ascii_case(word))
    };
    memchr::memchr2_iter(b':', b'.', bytes).any(|i| match bytes[i] {
        b':' => {
            bytes.get(i + 1..i + 3) == Some(b"//")
                || ends_with(i, b"mailto")
                || ends_with(i, b"tel")
        }
        _ => ends_with(i, b"www"),
    })
}

/// The marks of one rule set in a text, in order: each group of bytes is searched (memchr) from
/// where it was last found on, so every byte is searched once per group however often asked.
struct Marks<'a> {
    bytes: &'a [u8],
    groups: [&'static [u8]; 2],
    /// Each group's first byte at or after where it was last searched from (the text's length
    /// when none); `None` before the first search.
    found: [Option<usize>; 2],
}

impl<'a> Marks<'a> {
    fn new(text: &'a str, groups: [&'static [u8]; 2]) -> Marks<'a> {
        Marks {
            bytes: text.as_bytes(),
            groups,
            found: [None; 2],
        }
    }

    /// The first byte from `from` on that starts a mark (the text's length when none does):
    /// what lies before it is copied unchanged. A mark is only ever in a text piece.
    fn next(&mut self, mut from: usize) -> usize {
        loop {
            let mut first = self.bytes.len();
            for (group, found) in self.groups.iter().zip(&mut self.found) {
                let at = match *found {
                    Some(at) if at >= from => at,
                    _ => {
                        let rest = self.bytes.get(from..).unwrap_or_default();
                        let hit = match **group {
                            [a] => memchr::memchr(a, rest),
                            [a, b] => memchr::memchr2(a, b, rest),
                            [a, b, c] => memchr::memchr3(a, b, c, rest),
                            _ => None,
                        };
                        hit.map_or(self.bytes.len(), |p| from + p)
                    }
                };
                *found = Some(at);
                first = first.min(at);
            }
            // 0xC2 starts `«` and `»`, and characters that are no mark.
            if self.bytes.get(first) == Some(&0xC2)
                && !matches!(self.bytes.get(first + 1), Some(0xAB | 0xBB))
            {
                from = first + 1;
                continue;
            }
            return first;
        }
    }
}

/// Where the URL that byte `i` is part of ends (`None`: `i` is in no URL). A URL starts at a
/// word's start (an ASCII letter after no letter or digit) and runs to the end of its text's
/// word; only the characters a pass may change are asked, so the word around `i` is searched
/// for the start. The characters a pass puts in place of others are never letters or digits,
/// and the ones they replace never were: the stream tells what the output would.
fn url_end(stream: &Stream, i: usize, piece: u32) -> Option<usize> {
    debug_assert_eq!(stream.piece_at(i), Some(piece));
    let (start, end) = stream.stretch_bounds(i);
    let text = &stream.text;
    let word_start = text[start..i]
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(start, |(p, c)| start + p + c.len_utf8());
    let starts_here = |s: usize| {
        text[s..].starts_with(|c: char| c.is_ascii_alphabetic())
            && text[..s]
                .chars()
                .next_back()
                .is_none_or(|before| !before.is_alphanumeric())
            && starts_url(&text[s..end])
    };
    let mut boundaries = text[word_start..i]
        .char_indices()
        .map(|(p, _)| word_start + p)
        .chain([i]);
    if !boundaries.any(starts_here) {
        return None;
    }
    Some(
        text[i..end]
            .char_indices()
            .find(|(_, c)| c.is_whitespace())
            .map_or(end, |(p, _)| i + p),
    )
}

/// `https://…`, `ftp://…`, `mailto:…`, `tel:…`, `www.…` at the start of `text` (one piece's).
fn starts_url(text: &str) -> bool {
    // Read without allocating: this runs at every word's start.
    let mut word = text
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(64)
        .map(|c| c.to_ascii_lowercase());
    let mut scheme = ['\0'; 8];
    let mut scheme_len = 0;
    while let Some(c) = word.next() {
        match c {
            ':' if scheme_len > 0 => {
                let name = scheme.get(..scheme_len.min(8)).unwrap_or_default();
                if name == ['m', 'a', 'i', 'l', 't', 'o'] || name == ['t', 'e', 'l'] {
                    return true;
                }
                return word.next() == Some('/') && word.next() == Some('/');
            }
            '.' if scheme_len == 3 && scheme[..3] == ['w', 'w', 'w'] => return true,
            c if c.is_ascii_alphabetic()
                || (scheme_len > 0 && (c.is_ascii_digit() || matches!(c, '+' | '-' | '.'))) =>
            {
                if let Some(slot) = scheme.get_mut(scheme_len) {
                    *slot = c;
                }
                scheme_len += 1;
            }
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply_to_chapter(chapter: &mut crate::ir::Chapter, rules: Rules) {
        rewrite_chapter_texts(chapter, rules);
        rewrite_blocks(&mut chapter.blocks, rules);
    }
    use crate::ir::Pos;
    use crate::passes::tests::{chapter, document, text};

    fn spaced(inlines: Vec<Inline>) -> Vec<Inline> {
        let mut doc = document(vec![chapter("c", "c.md", vec![Block::Para(inlines)])]);
        apply_to_chapter(&mut doc.chapters[0], Rules::french_spacing());
        match doc.chapters.remove(0).blocks.remove(0) {
            Block::Para(inlines) => inlines,
            other => panic!("para expected, got {other:?}"),
        }
    }

    fn spaced_text(input: &str) -> String {
        match spaced(vec![text(input)]).as_slice() {
            [Inline::Text(t)] => t.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rules_on_plain_text() {
        // `_` is U+202F (narrow), `~` is U+00A0 in the expected column.
        let table = [
            ("Pourquoi ?", "Pourquoi_?"),
            ("Pourquoi?", "Pourquoi_?"),
            ("Oui !", "Oui_!"),
            ("Oui!", "Oui_!"),
            ("a ; b", "a_; b"),
            ("a; b", "a_; b"),
            ("Note : ceci", "Note~: ceci"),
            ("Note: ceci", "Note~: ceci"),
            ("« citation »", "«_citation_»"),
            ("«citation»", "«_citation_»"),
            ("« citation ! »", "«_citation_!_»"),
            // Already typed: no doubling; U+00A0 before `;!?»` becomes U+202F.
            ("Pourquoi\u{202F}?", "Pourquoi_?"),
            ("Pourquoi\u{A0}?", "Pourquoi_?"),
            ("Note\u{A0}: x", "Note~: x"),
            ("«\u{A0}x\u{A0}»", "«_x_»"),
            ("Pourquoi  ?", "Pourquoi_?"),
            ("Quoi ?!", "Quoi_?!"),
            ("Quoi?!", "Quoi_?!"),
            ("Non!!", "Non_!!"),
            // URLs and times are left alone.
            (
                "Voir https://data.gouv.fr/fr/?q=x!",
                "Voir https://data.gouv.fr/fr/?q=x!",
            ),
            ("à 10:30 puis", "à 10:30 puis"),
            ("mailto:a@b.fr et www.x.fr?", "mailto:a@b.fr et www.x.fr?"),
            ("le module std::fs", "le module std::fs"),
            ("page.php?id=1", "page.php?id=1"),
            ("(voir plus bas) !", "(voir plus bas)_!"),
            ("? au début", "? au début"),
            ("", ""),
        ];
        for (input, expected) in table {
            let expected = expected.replace('_', "\u{202F}").replace('~', "\u{A0}");
            assert_eq!(spaced_text(input), expected, "{input:?}");
        }
    }

    #[test]
    fn idempotent() {
        for input in ["« Oui ! » : non ; peut-être ?", "Quoi?! Note:x"] {
            let once = spaced_text(input);
            assert_eq!(spaced_text(&once), once, "{input:?}");
        }
    }

    #[test]
    fn never_in_code_autolinks_or_code_blocks() {
        let url = "https://x.fr/a?b=1";
        let input = vec![
            Inline::Code("a ? b : c".into()),
            text(" et "),
            Inline::Link {
                target: LinkTarget::External(url.into()),
                title: None,
                content: vec![text(url)],
                pos: Pos::default(),
            },
            text("!"),
        ];
        let out = spaced(input.clone());
        // Nothing typed after the autolink or the code: nothing inserted.
        assert_eq!(out, input);

        let mut doc = document(vec![chapter(
            "c",
            "c.md",
            vec![Block::CodeBlock {
                lang: Some("html".into()),
                text: "<p>Oui !</p>\nNote : x".into(),
            }],
        )]);
        let before = doc.clone();
        apply_to_chapter(&mut doc.chapters[0], Rules::french_spacing());
        assert_eq!(doc, before);
    }

    #[test]
    fn across_inline_boundaries() {
        // `**Attention** :` and `**Attention**:` → no-break space outside the strong.
        let out = spaced(vec![
            Inline::Strong(vec![text("Attention")]),
            text(" : lire"),
        ]);
        assert_eq!(out[1], text("\u{A0}: lire"));
        let out = spaced(vec![
            Inline::Strong(vec![text("Attention")]),
            text(": lire"),
        ]);
        assert_eq!(out[1], text("\u{A0}: lire"));
        // `***Note :***`: inside the emphasis.
        let out = spaced(vec![Inline::Strong(vec![Inline::Emph(vec![text(
            "Note :",
        )])])]);
        assert_eq!(
            out[0],
            Inline::Strong(vec![Inline::Emph(vec![text("Note\u{A0}:")])])
        );
        // Link text is prose; the space after it belongs to the next text.
        let out = spaced(vec![
            Inline::Link {
                target: LinkTarget::Internal {
                    chapter: "c".into(),
                    anchor: None,
                },
                title: None,
                content: vec![text("la FAQ")],
                pos: Pos::default(),
            },
            text("?"),
        ]);
        assert_eq!(out[1], text("\u{202F}?"));
        // After code or a line break: only a typed space is changed, nothing inserted.
        let out = spaced(vec![Inline::Code("x".into()), text(": a")]);
        assert_eq!(out[1], text(": a"));
        let out = spaced(vec![Inline::Code("x".into()), text(" : a")]);
        assert_eq!(out[1], text("\u{A0}: a"));
        let out = spaced(vec![text("mot"), Inline::SoftBreak, text("? a")]);
        assert_eq!(out[2], text("? a"));
        // Guillemets around emphasis.
        let out = spaced(vec![
            text("«"),
            Inline::Emph(vec![text("titre")]),
            text("»"),
        ]);
        assert_eq!(
            out,
            vec![
                text("«\u{202F}"),
                Inline::Emph(vec![text("titre")]),
                text("\u{202F}»")
            ]
        );
    }

    #[test]
    fn titles_notes_and_alt_text_too() {
        let mut doc = document(vec![chapter(
            "c",
            "c.md",
            vec![Block::Heading {
                level: 2,
                attr: Default::default(),
                content: vec![
                    text("Quoi ?"),
                    Inline::Note(vec![Block::Para(vec![text("Voir ici!")])]),
                    Inline::Image {
                        src: "/img/a.png".into(),
                        alt: "Attention : chat".into(),
                        title: None,
                        asset: None,
                        pos: Pos::default(),
                    },
                ],
            }],
        )]);
        doc.chapters[0].title = "Pourquoi ?".into();
        apply_to_chapter(&mut doc.chapters[0], Rules::french_spacing());
        assert_eq!(doc.chapters[0].title, "Pourquoi\u{202F}?");
        let dump = serde_json::to_string(&doc.chapters[0].blocks).unwrap_or_default();
        assert!(dump.contains("Quoi\u{202F}?"), "{dump}");
        assert!(dump.contains("Voir ici\u{202F}!"), "{dump}");
        assert!(dump.contains("Attention\u{A0}: chat"), "{dump}");
    }

    #[test]
    fn alt_text_printed_as_a_caption_gets_the_texts_apostrophes_and_quotes() {
        let image = |alt: &str| Inline::Image {
            src: "/img/a.png".into(),
            alt: alt.into(),
            title: None,
            asset: None,
            pos: Pos::default(),
        };
        let out = typeset("fr", vec![image(r#"Capture d'écran du "tableau""#)]);
        match out.as_slice() {
            [Inline::Image { alt, .. }] => {
                assert_eq!(alt, "Capture d’écran du «\u{202F}tableau\u{202F}»")
            }
            other => panic!("{other:?}"),
        }
    }

    fn typeset(language: &str, input: Vec<Inline>) -> Vec<Inline> {
        let mut doc = document(vec![chapter("c", "c.md", vec![Block::Para(input)])]);
        doc.meta.language = language.into();
        apply_typography(&mut doc, 1);
        match doc.chapters.remove(0).blocks.remove(0) {
            Block::Para(inlines) => inlines,
            other => panic!("para expected, got {other:?}"),
        }
    }

    fn typeset_text(language: &str, input: &str) -> String {
        match typeset(language, vec![text(input)]).as_slice() {
            [Inline::Text(t)] => t.replace('\u{202F}', "_").replace('\u{A0}', "~"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn quotes_and_symbols_per_language() {
        let table = [
            ("en", r#"She said "it's fine"..."#, "She said “it’s fine”…"),
            ("en-GB", "'single' -- and --- dash", "‘single’ – and — dash"),
            ("en", "Who is this for?", "Who is this for?"),
            ("en", "Note: times 10:30", "Note: times 10:30"),
            (
                "de",
                r#"Er sagt "Hallo" und 'so'"#,
                "Er sagt „Hallo“ und ‚so‘",
            ),
            ("es", r#"Dijo "hola""#, "Dijo «hola»"),
            ("pt", r#"Disse "olá""#, "Disse «olá»"),
            ("pt-BR", r#"Disse "olá""#, "Disse “olá”"),
            ("it", r#"Disse "ciao" all'amico"#, "Disse «ciao» all’amico"),
            ("nl", r#"Hij zei "hallo""#, "Hij zei “hallo”"),
            (
                "fr",
                r#"Il dit "bonjour" à l'équipe : oui"#,
                "Il dit «_bonjour_» à l’équipe~: oui",
            ),
            ("fr-CA", "Pourquoi?", "Pourquoi_?"),
            // An elided number takes an apostrophe (kramdown), never an opening quote.
            (
                "fr",
                "des '01, '09 pour les premiers",
                "des ’01, ’09 pour les premiers",
            ),
            ("en", "the '80s and 'quoted'", "the ’80s and ‘quoted’"),
            // Unknown language: kramdown's default, English quotes; no French spacing.
            ("fy", r#""Hoi" ?"#, "“Hoi” ?"),
            // A URL in the text is left as typed.
            (
                "en",
                "see https://x.org/a--b...c",
                "see https://x.org/a--b...c",
            ),
        ];
        for (language, input, expected) in table {
            assert_eq!(
                typeset_text(language, input),
                expected,
                "{language}: {input}"
            );
        }
    }

    #[test]
    fn quotes_across_markup_but_never_in_code_or_autolinks() {
        let url = "https://example.org/it's--here";
        let out = typeset(
            "en",
            vec![
                text("\""),
                Inline::Emph(vec![text("quoted")]),
                text("\" and "),
                Inline::Code("\"raw\" -- 'x'...".into()),
                text(" it's "),
                Inline::Link {
                    target: LinkTarget::External(url.into()),
                    title: Some("\"title\"".into()),
                    content: vec![text(url)],
                    pos: Pos::default(),
                },
            ],
        );
        assert_eq!(
            out,
            vec![
                text("“"),
                Inline::Emph(vec![text("quoted")]),
                text("” and "),
                Inline::Code("\"raw\" -- 'x'...".into()),
                text(" it’s "),
                Inline::Link {
                    target: LinkTarget::External(url.into()),
                    title: Some("\"title\"".into()),
                    content: vec![text(url)],
                    pos: Pos::default(),
                },
            ]
        );
    }

    #[test]
    fn a_chapter_in_another_language_gets_its_own_rules() {
        let mut doc = document(vec![
            chapter(
                "fr",
                "fr.md",
                vec![Block::Para(vec![text("Qui ? \"Vous\"")])],
            ),
            chapter("en", "en.md", vec![Block::Para(vec![text("Who? \"You\"")])]),
        ]);
        doc.chapters[1].lang = Some("en".into());
        apply_typography(&mut doc, 2);
        assert_eq!(
            doc.chapters[0].blocks[0],
            Block::Para(vec![text("Qui\u{202F}? «\u{202F}Vous\u{202F}»")])
        );
        assert_eq!(
            doc.chapters[1].blocks[0],
            Block::Para(vec![text("Who? “You”")])
        );
    }

    #[test]
    fn a_book_cut_in_slices_on_several_threads_reads_as_on_one() {
        let paragraphs = |n: usize| -> Vec<Block> {
            (0..n)
                .map(|i| {
                    Block::Para(vec![
                        text(&format!("Il dit : \"oui\" ({i}) -- l'été... ")),
                        Inline::Strong(vec![text("Note")]),
                        text(": voir https://example.org/a?b=c !"),
                    ])
                })
                .collect()
        };
        let book = || {
            let mut doc = document(vec![
                chapter("a", "a.md", paragraphs(400)),
                chapter("b", "b.md", paragraphs(700)),
                chapter("c", "c.md", paragraphs(50)),
            ]);
            doc.chapters[2].lang = Some("de".into());
            doc
        };
        let mut one = book();
        apply_typography(&mut one, 1);
        assert!(crate::ir::text_bytes(&one.chapters[1].blocks) > 3 * 16 * 1024);
        for jobs in [2, 3, 8] {
            let mut many = book();
            apply_typography(&mut many, jobs);
            assert_eq!(many.chapters, one.chapters, "{jobs} jobs");
        }
        assert_ne!(one.chapters, book().chapters, "the pass changed the text");
    }
}
