//! URL schemes, decided in one place for the reader (what to drop), the passes (what a link
//! is) and the writers (what may reach an `href`).

/// Schemes a link in the book may keep.
pub const LINK_SCHEMES: [&str; 5] = ["http", "https", "mailto", "tel", "ftp"];

/// Schemes that run code or smuggle documents: dropped from every output.
pub const DANGEROUS_SCHEMES: [&str; 4] = ["javascript", "vbscript", "data", "livescript"];

/// The scheme of an absolute URL, lowercased (`https`, `javascript`…); `None` for a relative
/// reference. Whitespace and control characters are skipped first, as browsers do
/// (`java\tscript:` is `javascript`).
pub fn url_scheme(url: &str) -> Option<String> {
    let cleaned: String = url
        .trim()
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect();
    let scheme = cleaned.get(..cleaned.find(':')?)?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    if !first.is_ascii_alphabetic()
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    Some(scheme.to_ascii_lowercase())
}

/// Whether `url` is absolute with a scheme a link may keep.
pub fn has_link_scheme(url: &str) -> bool {
    url_scheme(url).is_some_and(|s| LINK_SCHEMES.contains(&s.as_str()))
}

/// The dangerous scheme of `url`, if it has one.
pub fn dangerous_scheme(url: &str) -> Option<&'static str> {
    let scheme = url_scheme(url)?;
    DANGEROUS_SCHEMES.into_iter().find(|d| *d == scheme)
}

/// `%C3%A9` → `é`; `None` when an escape is malformed or the bytes are not UTF-8 (the preview
/// server refuses such a path; the reader keeps such text as written).
pub fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_string());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// [`percent_decode`], or the text as written when it cannot be decoded (a page's link or
/// image path: `100%` stays `100%`).
pub fn percent_decoded(text: &str) -> String {
    percent_decode(text).unwrap_or_else(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_or_keeps_what_it_cannot() {
        assert_eq!(percent_decoded("d%C3%A9claration"), "déclaration");
        assert_eq!(percent_decoded("100%"), "100%");
        assert_eq!(percent_decoded("%ZZ"), "%ZZ");
        assert_eq!(percent_decode("/a%20b.pdf").as_deref(), Some("/a b.pdf"));
        for malformed in ["/%", "/%zz", "/%ff"] {
            assert_eq!(percent_decode(malformed), None, "{malformed}");
        }
    }

    #[test]
    fn schemes_as_browsers_read_them() {
        assert_eq!(url_scheme("https://x").as_deref(), Some("https"));
        assert_eq!(
            url_scheme(" JavaScript:alert(1)").as_deref(),
            Some("javascript")
        );
        assert_eq!(url_scheme("java\tscript:x").as_deref(), Some("javascript"));
        assert_eq!(url_scheme("/faq/x.html"), None);
        assert_eq!(url_scheme("x.md#a:b"), None);
        assert_eq!(url_scheme("1a:b"), None);
        assert_eq!(url_scheme("no-colon"), None);
        assert_eq!(dangerous_scheme("DATA:text/html,x"), Some("data"));
        assert_eq!(dangerous_scheme("https://x"), None);
        assert!(has_link_scheme("mailto:a@b.fr"));
        assert!(!has_link_scheme("gopher://x"));
    }
}
