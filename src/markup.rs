//! The one escaper for markup (HTML, XHTML, the EPUB's XML files, the PDF's XMP metadata, the
//! preview server's pages): text and quoted attribute values, with one rule for characters.
//! Only the five XML-safe forms are produced, valid in HTML and XML alike; characters XML 1.0
//! forbids (C0 controls but tab, newline and return; DEL; noncharacters) are dropped.

/// The bytes `escape_into` looks at: `&<>"'`, control bytes but tab, newline and return, DEL,
/// and the lead bytes a noncharacter can start with (U+FDD0–FDEF and U+FFFE/FFFF: 0xEF; the
/// other planes' last two: 0xF0–0xF4).
const LOOK: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = !matches!(byte as u8, b'\t' | b'\n' | b'\r');
        byte += 1;
    }
    let mut others: &[u8] = b"&<>\"'\x7f\xef\xf0\xf1\xf2\xf3\xf4";
    while let [first, rest @ ..] = others {
        table[*first as usize] = true;
        others = rest;
    }
    table
};

/// Append `text`, escaped, to `out`. Runs of plain text are copied whole: only the bytes of
/// `LOOK` are looked at one by one.
pub fn escape_into(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at..].iter().position(|&b| LOOK[b as usize]) {
            Some(skip) => at += skip,
            None => break,
        }
        // `at` is on a character boundary: an ASCII byte or a lead byte.
        out.push_str(&text[copied..at]);
        let Some(c) = text[at..].chars().next() else {
            break;
        };
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_forbidden(c) => {}
            c => out.push(c),
        }
        at += c.len_utf8();
        copied = at;
    }
    out.push_str(&text[copied..]);
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    escape_into(&mut out, text);
    out
}

/// Characters XML 1.0 does not allow in a document (or discourages to the point that
/// validators refuse them): dropped, never escaped.
pub fn is_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}')
        || matches!(c, '\u{fdd0}'..='\u{fdef}')
        || (c as u32 & 0xfffe) == 0xfffe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_forms_and_forbidden_characters_dropped() {
        let table = [
            (
                "a & b < c > d \"e\" 'f'",
                "a &amp; b &lt; c &gt; d &quot;e&quot; &#39;f&#39;",
            ),
            ("tab\tline\nreturn\r", "tab\tline\nreturn\r"),
            ("bell\u{7}del\u{7f}nul\u{0}", "belldelnul"),
            ("\u{fdd0}x\u{fffe}y\u{ffff}z\u{1fffe}", "xyz"),
            ("été — 日本 🎉 \u{ef}\u{f0}", "été — 日本 🎉 \u{ef}\u{f0}"),
            ("\u{efff}\u{10ffd}", "\u{efff}\u{10ffd}"),
            ("", ""),
        ];
        for (input, expected) in table {
            assert_eq!(escape(input), expected, "{input:?}");
        }
    }

    #[test]
    fn same_as_one_character_at_a_time() {
        let text: String = (0u32..0x3_0000)
            .step_by(7)
            .filter_map(char::from_u32)
            .chain("&<>\"'".chars())
            .collect();
        let mut slow = String::new();
        for c in text.chars() {
            match c {
                '&' => slow.push_str("&amp;"),
                '<' => slow.push_str("&lt;"),
                '>' => slow.push_str("&gt;"),
                '"' => slow.push_str("&quot;"),
                '\'' => slow.push_str("&#39;"),
                c if is_forbidden(c) => {}
                c => slow.push(c),
            }
        }
        assert_eq!(escape(&text), slow);
    }
}
