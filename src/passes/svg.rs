//! SVG checks for the assets pass: an SVG embedded as-is in the HTML and EPUB must be inert
//! (no script, no reference outside the file, a bounded `<use>` expansion). Drawing one is
//! the writers' job (`write/svg.rs`).

use std::collections::{HashMap, HashSet};

/// Most elements an SVG may stand for once every `<use>` is expanded (a `<use>` bomb of 10^9
/// clones fits in 2 KB).
pub const MAX_INSTANTIATED_ELEMENTS: u64 = 100_000;

/// An SVG is embedded as-is in the HTML and EPUB, so it must not run code or fetch anything: no
/// script or foreign content, no event handler, no reference (`href`, CSS `url()`, `@import`,
/// `image-set()`) outside the file except inline raster images, decided on the stylesheet as a
/// CSS reader sees it (escapes decoded, comments removed); and its `<use>` expansion is bounded.
pub fn check_svg_is_inert(text: &str) -> Result<(), String> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        nodes_limit: 1_000_000,
        // roxmltree never reads files: external entities are left unresolved.
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options)
        .map_err(|e| format!("unreadable SVG: {e}"))?;
    let refuse = |node: roxmltree::Node, what: String| {
        let line = doc.text_pos_at(node.range().start).row;
        Err(format!(
            "SVG {what} (its line {line}): not embedded, an image must not run or load anything"
        ))
    };
    for node in doc.descendants() {
        if node.is_text() && node.parent().is_some_and(|p| p.has_tag_name("style")) {
            if node.text().is_some_and(css_reaches_outside) {
                return refuse(node, "style sheet loading another file".into());
            }
            continue;
        }
        if !node.is_element() {
            continue;
        }
        let name = node.tag_name().name();
        if matches!(
            name,
            "script" | "foreignObject" | "iframe" | "object" | "embed" | "audio" | "video"
        ) {
            return refuse(node, format!("with a <{name}> element"));
        }
        for attribute in node.attributes() {
            let attr = attribute.name();
            let value = attribute.value();
            if attr.to_ascii_lowercase().starts_with("on") {
                return refuse(node, format!("with an event handler `{attr}`"));
            }
            if attr == "href" && !is_inline_reference(value) {
                return refuse(node, format!("referring to `{value}`"));
            }
            if css_reaches_outside(value) {
                return refuse(node, format!("with `{attr}` loading another file"));
            }
        }
    }
    let elements = instantiated_elements(&doc)?;
    if elements > MAX_INSTANTIATED_ELEMENTS {
        return Err(format!(
            "SVG whose <use> elements expand to more than {MAX_INSTANTIATED_ELEMENTS} elements: \
             not embedded"
        ));
    }
    Ok(())
}

/// `#id` in the same file, or an inline PNG/JPEG/GIF.
fn is_inline_reference(href: &str) -> bool {
    let href = href.trim().to_ascii_lowercase();
    href.starts_with('#')
        || ["data:image/png", "data:image/jpeg", "data:image/gif"]
            .iter()
            .any(|prefix| href.starts_with(prefix))
}

/// CSS text as a CSS reader sees it: comments removed, escapes (`\72`, `\69 `, `\(`) decoded,
/// lowercase.
fn decode_css(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = ' ';
                for c in chars.by_ref() {
                    if previous == '*' && c == '/' {
                        break;
                    }
                    previous = c;
                }
            }
            '\\' => {
                let mut hex = String::new();
                while hex.len() < 6 && chars.peek().is_some_and(char::is_ascii_hexdigit) {
                    hex.extend(chars.next());
                }
                if hex.is_empty() {
                    // `\x` is `x`; a backslash before a newline is nothing.
                    if let Some(next) = chars.next().filter(|c| *c != '\n') {
                        out.push(next);
                    }
                    continue;
                }
                // One whitespace after a hex escape belongs to it.
                if chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                    chars.next();
                }
                let decoded = u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .filter(|c| *c != '\0')
                    .unwrap_or('\u{FFFD}');
                out.push(decoded);
            }
            _ => out.push(c),
        }
    }
    out.to_lowercase()
}

/// CSS that loads something: `@import`, or a `url()`, `image-set()`, `image()` or `src()`
/// naming anything but `#id` or an inline image.
fn css_reaches_outside(css: &str) -> bool {
    if !css.contains(['(', '@', '\\']) {
        return false;
    }
    let css = decode_css(css);
    if css.contains("@import") {
        return true;
    }
    let functions = [
        "url(",
        "image-set(",
        "image(",
        "src(",
        "cross-fade(",
        "element(",
    ];
    functions.iter().any(|function| {
        css.match_indices(function).any(|(at, _)| {
            // A name that merely ends like one (`my-url(`) is another function.
            let before = css[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                return false;
            }
            let arguments = css[at + function.len()..]
                .split(')')
                .next()
                .unwrap_or_default();
            // Every reference in the arguments must stay inside the file.
            let references: Vec<&str> = if *function == "url(" || *function == "src(" {
                vec![arguments]
            } else {
                arguments
                    .split(',')
                    .map(|part| part.trim_start().trim_start_matches("url("))
                    .filter(|part| part.starts_with(['"', '\'']) || part.contains(':'))
                    .collect()
            };
            if *function == "element(" || *function == "cross-fade(" && references.is_empty() {
                return false;
            }
            references.iter().any(|reference| {
                let reference = reference.trim_start_matches([' ', '\t', '\n', '"', '\'']);
                !is_inline_reference(reference)
            })
        })
    })
}

/// Elements the SVG stands for once each `<use>` is replaced by what it refers to, counted
/// without expanding anything (each element's total is computed once). A `<use>` that refers
/// to itself, directly or not, is an error.
fn instantiated_elements(doc: &roxmltree::Document) -> Result<u64, String> {
    let by_id: HashMap<&str, roxmltree::NodeId> = doc
        .descendants()
        .filter(|n| n.is_element())
        .filter_map(|n| Some((n.attribute("id")?, n.id())))
        .collect();
    let use_target = |node: roxmltree::Node| -> Option<roxmltree::NodeId> {
        if !node.has_tag_name("use") {
            return None;
        }
        let href = node
            .attribute("href")
            .or_else(|| node.attribute(("http://www.w3.org/1999/xlink", "href")))?;
        by_id.get(href.trim().strip_prefix('#')?).copied()
    };
    let mut total: HashMap<roxmltree::NodeId, u64> = HashMap::new();
    let mut on_path: HashSet<roxmltree::NodeId> = HashSet::new();
    let root = doc.root_element();
    // Depth-first, iterative (a chain of `<use>` may be as long as the file).
    let mut stack = vec![(root.id(), false)];
    while let Some((id, expanded)) = stack.pop() {
        if total.contains_key(&id) {
            continue;
        }
        let Some(node) = doc.get_node(id) else {
            continue;
        };
        let dependencies = node
            .children()
            .filter(|c| c.is_element())
            .map(|c| c.id())
            .chain(use_target(node));
        if expanded {
            let sum = dependencies.fold(1u64, |sum, dep| {
                sum.saturating_add(total.get(&dep).copied().unwrap_or(0))
            });
            total.insert(id, sum);
            on_path.remove(&id);
            if sum > MAX_INSTANTIATED_ELEMENTS {
                return Ok(sum);
            }
            continue;
        }
        if !on_path.insert(id) {
            return Err("SVG with a <use> that refers to itself: not embedded".into());
        }
        stack.push((id, true));
        for dep in dependencies {
            if on_path.contains(&dep) {
                return Err("SVG with a <use> that refers to itself: not embedded".into());
            }
            if !total.contains_key(&dep) {
                stack.push((dep, false));
            }
        }
    }
    Ok(total.get(&root.id()).copied().unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(inner: &str) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">{inner}</svg>"#
        )
    }

    #[test]
    fn css_escapes_and_comments_do_not_hide_a_reference() {
        let refused = [
            r#"<rect style="fill: u\72l(http://x/y)"/>"#,
            r#"<style>@\69mport 'x.css';</style>"#,
            r#"<style>@im/**/port 'x.css';</style>"#,
            r#"<style>rect { fill: \75 \72 \6c (//evil/a) }</style>"#,
            r#"<style>rect { background: image-set("x.png" 1x) }</style>"#,
            r#"<style>rect { background: -webkit-image-set(url(x.png) 1x) }</style>"#,
            r#"<style>@font-face { src: url(f.woff) }</style>"#,
        ];
        for inner in refused {
            assert!(check_svg_is_inert(&wrap(inner)).is_err(), "{inner}");
        }
        let fine = [
            r##"<rect style="fill: url(#g)"/>"##,
            r#"<style>rect { background: image-set("data:image/png;base64,AA" 1x) }</style>"#,
            r#"<style>rect { fill: red } /* url(x) in a comment */</style>"#,
        ];
        for inner in fine {
            assert_eq!(check_svg_is_inert(&wrap(inner)), Ok(()), "{inner}");
        }
    }

    #[test]
    fn use_expansion_is_counted_not_done() {
        // Ten levels of ten `<use>` each: 10^10 clones in a few hundred bytes.
        let mut inner = String::from(r#"<rect id="l0" width="1" height="1"/>"#);
        for level in 1..=10 {
            inner.push_str(&format!(r#"<g id="l{level}">"#));
            for _ in 0..10 {
                inner.push_str(&format!(r##"<use href="#l{}"/>"##, level - 1));
            }
            inner.push_str("</g>");
        }
        let started = std::time::Instant::now();
        let refused = check_svg_is_inert(&wrap(&inner)).unwrap_err();
        assert!(refused.contains("<use>"), "{refused}");
        assert!(started.elapsed().as_secs() < 5);
        let looped = r##"<g id="a"><use href="#b"/></g><g id="b"><use xlink:href="#a"/></g>"##;
        assert!(check_svg_is_inert(&wrap(looped)).is_err());
        let few = r##"<g id="a"><rect/></g><use href="#a"/><use href="#a"/>"##;
        assert_eq!(check_svg_is_inert(&wrap(few)), Ok(()));
    }
}
