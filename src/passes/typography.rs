//! French typography pass (docs/dialect.md, "French typography"): no-break spaces before
//! `; ! ? :` and inside `« »`, on prose text only. Crowbook's French formatter is the reference
//! behaviour.

use crate::ir::{Block, Document, Inline, LinkTarget, plain_text};

const NBSP: char = '\u{A0}';
const NARROW_NBSP: char = '\u{202F}';

pub fn apply_french_spacing(doc: &mut Document) {
    let meta = &mut doc.meta;
    for text in [&mut meta.title]
        .into_iter()
        .chain(meta.subtitle.as_mut())
        .chain(meta.summary.as_mut())
    {
        space_string(text);
    }
    for chapter in &mut doc.chapters {
        for text in [&mut chapter.title]
            .into_iter()
            .chain(chapter.subtitle.as_mut())
            .chain(chapter.summary.as_mut())
            .chain(chapter.label.as_mut())
        {
            space_string(text);
        }
        space_blocks(&mut chapter.blocks);
    }
}

fn space_string(text: &mut String) {
    respace(&mut [Piece::Text(text)]);
}

fn space_blocks(blocks: &mut [Block]) {
    for block in blocks {
        match block {
            Block::Para(inlines) | Block::Plain(inlines) => space_run(inlines),
            Block::Heading { content, .. } => space_run(content),
            Block::BulletList(items) | Block::OrderedList { items, .. } => {
                for item in items {
                    space_blocks(item);
                }
            }
            Block::BlockQuote(inner) | Block::Div { blocks: inner, .. } => space_blocks(inner),
            Block::Table { head, rows, .. } => {
                for cell in head.iter_mut().chain(rows.iter_mut().flatten()) {
                    space_run(cell);
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

fn space_run(inlines: &mut [Inline]) {
    let mut pieces = Vec::new();
    let mut notes = Vec::new();
    let mut alts = Vec::new();
    collect(inlines, &mut pieces, &mut notes, &mut alts);
    respace(&mut pieces);
    for alt in alts {
        space_string(alt);
    }
    for note in notes {
        space_blocks(note);
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

/// One character of the run: the text piece it belongs to (`None`: opaque or break).
#[derive(Clone, Copy)]
struct Char {
    piece: Option<usize>,
    c: char,
}

const OPAQUE_MARK: char = '\u{FFFC}';
const BREAK_MARK: char = '\n';

fn respace(pieces: &mut [Piece<'_>]) {
    let mut stream = Vec::new();
    let mut text_count = 0;
    for piece in pieces.iter() {
        match piece {
            Piece::Text(text) => {
                stream.extend(text.chars().map(|c| Char {
                    piece: Some(text_count),
                    c,
                }));
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
    let out = respace_stream(&stream);
    let mut texts = vec![String::new(); text_count];
    for ch in out {
        if let Some(text) = ch.piece.and_then(|i| texts.get_mut(i)) {
            text.push(ch.c);
        }
    }
    let mut texts = texts.into_iter();
    for piece in pieces.iter_mut() {
        if let Piece::Text(text) = piece
            && let Some(new_text) = texts.next()
        {
            **text = new_text;
        }
    }
}

fn is_text_space(ch: &Char) -> bool {
    ch.piece.is_some() && matches!(ch.c, ' ' | '\t' | NBSP | NARROW_NBSP | '\u{2009}')
}

fn respace_stream(stream: &[Char]) -> Vec<Char> {
    let mut out: Vec<Char> = Vec::with_capacity(stream.len() + 8);
    // The piece of a `«` just written: the next character decides its inner space.
    let mut open_quote: Option<usize> = None;
    let mut i = 0;
    while let Some(&ch) = stream.get(i) {
        if let Some(quote_piece) = open_quote.take() {
            if is_text_space(&ch) {
                let mut last = ch;
                while let Some(next) = stream.get(i).filter(|n| is_text_space(n)) {
                    last = *next;
                    i += 1;
                }
                out.push(Char {
                    piece: last.piece,
                    c: NARROW_NBSP,
                });
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
            out.push(ch);
            i += 1;
            continue;
        };
        if starts_url(stream, i) && out.last().is_none_or(|p| !p.c.is_alphanumeric()) {
            while let Some(&u) = stream
                .get(i)
                .filter(|u| u.piece == Some(piece) && !u.c.is_whitespace())
            {
                out.push(u);
                i += 1;
            }
            continue;
        }
        match ch.c {
            ';' | '!' | '?' | ':' | '»' => {
                let space = if ch.c == ':' { NBSP } else { NARROW_NBSP };
                let next = stream.get(i + 1).copied();
                space_before(&mut out, ch, space, next);
            }
            '«' => open_quote = Some(piece),
            _ => {}
        }
        out.push(ch);
        i += 1;
    }
    out
}

/// Put `space` before the mark `ch` about to be written: replace what was typed there, or
/// insert one where nothing was typed and the mark clearly ends a word.
fn space_before(out: &mut Vec<Char>, ch: Char, space: char, next: Option<Char>) {
    let typed = out.iter().rev().take_while(|c| is_text_space(c)).count();
    if typed > 0 {
        // Leading spaces of a paragraph, or after a line break, are left alone.
        let before = out.len() - typed;
        if before == 0
            || out
                .get(before - 1)
                .is_some_and(|c| c.piece.is_none() && c.c == BREAK_MARK)
        {
            return;
        }
        let piece = out.last().and_then(|c| c.piece);
        out.truncate(before);
        out.push(Char { piece, c: space });
        return;
    }
    let Some(last) = out.last().copied() else {
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

/// `https://…`, `ftp://…`, `mailto:…`, `tel:…`, `www.…` starting at `i`, within one text piece.
fn starts_url(stream: &[Char], i: usize) -> bool {
    let piece = stream.get(i).and_then(|c| c.piece);
    let word: String = stream
        .iter()
        .skip(i)
        .take_while(|c| c.piece == piece && !c.c.is_whitespace())
        .take(64)
        .map(|c| c.c.to_ascii_lowercase())
        .collect();
    if word.starts_with("www.") || word.starts_with("mailto:") || word.starts_with("tel:") {
        return true;
    }
    match word.split_once("://") {
        Some((scheme, _)) => {
            let mut chars = scheme.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Pos;
    use crate::passes::tests::{chapter, document, text};

    fn spaced(inlines: Vec<Inline>) -> Vec<Inline> {
        let mut doc = document(vec![chapter("c", "c.md", vec![Block::Para(inlines)])]);
        apply_french_spacing(&mut doc);
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
        apply_french_spacing(&mut doc);
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
        apply_french_spacing(&mut doc);
        assert_eq!(doc.chapters[0].title, "Pourquoi\u{202F}?");
        let dump = serde_json::to_string(&doc.chapters[0].blocks).unwrap_or_default();
        assert!(dump.contains("Quoi\u{202F}?"), "{dump}");
        assert!(dump.contains("Voir ici\u{202F}!"), "{dump}");
        assert!(dump.contains("Attention\u{A0}: chat"), "{dump}");
    }
}
