//! `livret.toml` (the book's settings) and Jekyll's `_config.yml` (what the site says).

use super::front_matter::{parse_yaml_scalars, site_language, site_languages};
use super::source::line_col;
use super::{Config, SiteConfig};
use crate::diag::Diagnostics;

/// Parse `livret.toml`; an error (syntax, unknown key, wrong type) is a diagnostic at its
/// line:col and the defaults are used.
pub fn parse_config(text: &str, display_path: &str, diags: &mut Diagnostics) -> Config {
    match toml::from_str::<Config>(text) {
        Ok(config) => config,
        Err(error) => {
            let (line, col) = error
                .span()
                .map_or((1, 1), |span| line_col(text, span.start));
            let diagnostic = diags.error(
                display_path,
                line,
                col,
                format!("livret.toml: {}", error.message().trim_end()),
            );
            if let Some(close) = closest_known_key(error.message()) {
                diagnostic.with_hint(format!("did you mean `{close}`?"));
                return Config::default();
            }
            diagnostic.with_hint(
                "known keys: name, title, subtitle, author, publisher, language, date, \
                     identifier, index, personas, languages, page_size (\"A4\", \"A5\" or \"Letter\"), \
                 typography, [labels], formats, out, manifest, theme, split, strict, url, jobs",
            );
            Config::default()
        }
    }
}

/// For serde's "unknown field `x`, expected one of `a`, `b`": the known key closest to `x`.
fn closest_known_key(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, rest) = rest.split_once('`')?;
    let known: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    crate::diag::closest(unknown, &known)
}

/// A name livret may create in or remove from an output folder: no separator, not `..`, not
/// hidden, no control character.
pub fn is_bare_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control)
}

/// Why `name` cannot be a file stem, if it cannot: a separator, `..`, an absolute path or a
/// control character would write outside the output folder or forge a terminal line.
pub fn check_file_stem(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("is empty".into());
    }
    if name.contains(['/', '\\']) {
        return Err(format!(
            "`{}` holds a path separator; it must be a file stem",
            name.escape_debug()
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(format!(
            "`{}` holds a control character",
            name.escape_debug()
        ));
    }
    if name.starts_with('.') {
        return Err(format!(
            "`{}` starts with `.` (`..`, or a hidden file)",
            name.escape_debug()
        ));
    }
    if name.len() > super::MAX_STEM_BYTES {
        return Err(format!(
            "is {} bytes long; at most {} are allowed",
            name.len(),
            super::MAX_STEM_BYTES
        ));
    }
    Ok(())
}

/// Whether `tag` is a well-formed BCP 47 (RFC 5646) language tag; the error is a hint with the
/// tag to write instead when one can be guessed (`fr_FR` → `fr-FR`, `english` → `en`).
pub fn check_language_tag(tag: &str) -> Result<(), String> {
    if is_well_formed_language_tag(tag) {
        return Ok(());
    }
    let dashed = tag.trim().replace('_', "-");
    if dashed != tag && is_well_formed_language_tag(&dashed) {
        return Err(format!(
            "write `{dashed}`: subtags are joined by `-`, not `_`"
        ));
    }
    let lower = tag.trim().to_lowercase();
    let known = [
        ("english", "en"),
        ("french", "fr"),
        ("français", "fr"),
        ("francais", "fr"),
        ("german", "de"),
        ("deutsch", "de"),
        ("spanish", "es"),
        ("español", "es"),
        ("italian", "it"),
        ("portuguese", "pt"),
        ("dutch", "nl"),
    ];
    match known.iter().find(|(name, _)| *name == lower) {
        Some((_, code)) => Err(format!("write `{code}`: the tag is the language's code")),
        None => Err("a language code such as `fr`, `fr-FR`, `en` or `en-GB`".into()),
    }
}

/// RFC 5646 `Language-Tag` syntax (langtag, private use or a grandfathered tag), with a 2–3
/// letter primary language subtag.
fn is_well_formed_language_tag(tag: &str) -> bool {
    let lower = tag.to_ascii_lowercase();
    const GRANDFATHERED: [&str; 26] = [
        "en-gb-oed",
        "i-ami",
        "i-bnn",
        "i-default",
        "i-enochian",
        "i-hak",
        "i-klingon",
        "i-lux",
        "i-mingo",
        "i-navajo",
        "i-pwn",
        "i-tao",
        "i-tay",
        "i-tsu",
        "sgn-be-fr",
        "sgn-be-nl",
        "sgn-ch-de",
        "art-lojban",
        "cel-gaulish",
        "no-bok",
        "no-nyn",
        "zh-guoyu",
        "zh-hakka",
        "zh-min",
        "zh-min-nan",
        "zh-xiang",
    ];
    if GRANDFATHERED.contains(&lower.as_str()) {
        return true;
    }
    let subtags: Vec<&str> = lower.split('-').collect();
    let ok = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    let alpha = |s: &str, min: usize, max: usize| {
        ok(s, min, max) && s.bytes().all(|b| b.is_ascii_alphabetic())
    };
    let mut at = 0;
    let next = |at: usize| subtags.get(at).copied();
    if next(0) == Some("x") {
        return subtags.len() > 1 && subtags[1..].iter().all(|s| ok(s, 1, 8));
    }
    match next(at) {
        Some(language) if alpha(language, 2, 3) => {
            at += 1;
            // Up to three extended language subtags.
            let mut extlangs = 0;
            while extlangs < 3 && next(at).is_some_and(|s| alpha(s, 3, 3)) {
                at += 1;
                extlangs += 1;
            }
        }
        // 4–8 letter primary subtags are reserved by RFC 5646 and none is registered: a word
        // such as `english` is a language's name, not its tag.
        _ => return false,
    }
    if next(at).is_some_and(|s| alpha(s, 4, 4)) {
        at += 1;
    }
    if next(at)
        .is_some_and(|s| alpha(s, 2, 2) || (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit())))
    {
        at += 1;
    }
    while next(at).is_some_and(|s| {
        ok(s, 5, 8) || (s.len() == 4 && s.as_bytes()[0].is_ascii_digit() && ok(s, 4, 4))
    }) {
        at += 1;
    }
    while let Some(singleton) = next(at).filter(|s| ok(s, 1, 1) && *s != "x") {
        let _ = singleton;
        at += 1;
        let start = at;
        while next(at).is_some_and(|s| ok(s, 2, 8)) {
            at += 1;
        }
        if at == start {
            return false;
        }
    }
    if next(at) == Some("x") {
        at += 1;
        let start = at;
        while next(at).is_some_and(|s| ok(s, 1, 8)) {
            at += 1;
        }
        if at == start {
            return false;
        }
    }
    at == subtags.len()
}

/// Line of `"slug"` (or `'slug'`) in `livret.toml`, for diagnostics about `personas`.
pub fn config_value_line(text: &str, value: &str) -> u32 {
    let quoted = [format!("\"{value}\""), format!("'{value}'")];
    text.lines()
        .position(|line| quoted.iter().any(|q| line.contains(q.as_str())))
        .map_or(0, |index| index as u32 + 1)
}

/// Parse `_config.yml`: `collections_dir` and the scalar values for `{{ site.x }}`.
pub fn parse_site_config(text: &str, display_path: &str, diags: &mut Diagnostics) -> SiteConfig {
    let vars = parse_yaml_scalars(text, display_path, diags);
    let collections_dir = vars
        .get("collections_dir")
        .map(|dir| dir.trim().trim_matches('/').to_string())
        .unwrap_or_default();
    SiteConfig {
        collections_dir,
        vars,
        language: site_language(text),
        languages: site_languages(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::PageSize;

    #[test]
    fn full_config() {
        let mut diags = Diagnostics::new();
        let config = parse_config(
            "name = \"faq\"\ntitle = \"FAQ\"\nindex = \"faqs/index.md\"\n\
             personas = [\"citoyen\", \"producteur\"]\npage_size = \"Letter\"\n",
            "content/livret.toml",
            &mut diags,
        );
        assert!(diags.items().is_empty());
        assert_eq!(config.name.as_deref(), Some("faq"));
        assert_eq!(config.index.as_deref(), Some("faqs/index.md"));
        assert_eq!(config.personas.as_ref().map(Vec::len), Some(2));
        assert_eq!(config.page_size, Some(PageSize::Letter));
    }

    #[test]
    fn syntax_error_has_line_and_col() {
        let mut diags = Diagnostics::new();
        let config = parse_config(
            "title = \"FAQ\"\nname = \n",
            "content/livret.toml",
            &mut diags,
        );
        assert_eq!(config, Config::default());
        let item = &diags.items()[0];
        assert_eq!(item.line, 2, "{item:?}");
        assert!(item.col > 1, "{item:?}");
    }

    #[test]
    fn unknown_key_and_wrong_type_are_errors_at_their_line() {
        let mut diags = Diagnostics::new();
        parse_config(
            "title = \"FAQ\"\n\ncolour = \"red\"\n",
            "content/livret.toml",
            &mut diags,
        );
        assert_eq!(diags.items()[0].line, 3, "{:?}", diags.items());
        assert!(diags.items()[0].message.contains("colour"));
        let mut diags = Diagnostics::new();
        parse_config("autor = \"Me\"\n", "content/livret.toml", &mut diags);
        assert_eq!(
            diags.items()[0].hint.as_deref(),
            Some("did you mean `author`?"),
            "{:?}",
            diags.items()
        );
        let mut diags = Diagnostics::new();
        parse_config(
            "personas = \"citoyen\"\n",
            "content/livret.toml",
            &mut diags,
        );
        assert_eq!(diags.items()[0].line, 1);
    }

    #[test]
    fn site_config_collections_dir() {
        let mut diags = Diagnostics::new();
        let site = parse_site_config(
            "title: Site\ncollections_dir: /articles/\n",
            "content/_config.yml",
            &mut diags,
        );
        assert_eq!(site.collections_dir, "articles");
        assert_eq!(site.vars.get("title").map(String::as_str), Some("Site"));
    }

    #[test]
    fn language_tags_follow_bcp_47() {
        for good in [
            "fr",
            "fr-FR",
            "en-GB",
            "zh-Hant-TW",
            "sr-Latn-RS",
            "es-419",
            "de-CH-1901",
            "x-private",
            "en-US-x-twain",
            "i-klingon",
        ] {
            assert_eq!(check_language_tag(good), Ok(()), "{good}");
        }
        let hint = check_language_tag("fr_FR").unwrap_err();
        assert!(hint.contains("`fr-FR`"), "{hint}");
        let hint = check_language_tag("english").unwrap_err();
        assert!(hint.contains("`en`"), "{hint}");
        for bad in [
            "",
            "f",
            "fr-",
            "fr--FR",
            "123",
            "fr-FRANCE-toolongvariant",
            "en-a",
            "fr FR",
        ] {
            assert!(check_language_tag(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_name_is_a_file_stem() {
        assert_eq!(check_file_stem("guide-2026"), Ok(()));
        for bad in [
            "../../escape",
            "/tmp/x",
            "a\\b",
            "..",
            ".hidden",
            "a\nb",
            "",
            &"x".repeat(101),
        ] {
            assert!(check_file_stem(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn site_config_error_has_line() {
        let mut diags = Diagnostics::new();
        parse_site_config(
            "title: Site\nbad: [\nother: 1\n",
            "content/_config.yml",
            &mut diags,
        );
        assert!(diags.items()[0].line >= 2);
        assert_eq!(config_value_line("a = 1\npersonas = [\"x\"]\n", "x"), 2);
    }
}
