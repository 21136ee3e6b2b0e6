//! Front matter: split the YAML block from the body, and read it. The only place YAML is parsed
//! (serde_yaml), also used for `_config.yml`.
//!
//! serde_yaml bounds nesting depth (128) and alias expansion ("billion laughs"), so hostile input
//! gives an error, never a hang; positions are mapped back to the page's own lines.

use super::{Button, FrontMatter};
use crate::diag::Diagnostics;
use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;

/// Front matter is a few lines; more than this is a mistake or an attack, not metadata.
const MAX_YAML_BYTES: usize = 1 << 20;

/// A page cut into its front matter and body.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitPage<'a> {
    /// The YAML between the fences, and the file line it starts on (1-based).
    pub yaml: Option<(&'a str, u32)>,
    pub body: &'a str,
    /// File line where `body` starts (1-based).
    pub body_line: u32,
    /// The file opens with `---` but no closing `---`/`...` follows: no front matter then.
    pub unclosed: bool,
}

/// Jekyll's rule: the first line is `---`; the next `---` or `...` line closes the block. Any
/// later `---` belongs to the body (a thematic break). `text` has LF line ends.
pub fn split_front_matter(text: &str) -> SplitPage<'_> {
    let whole = SplitPage {
        yaml: None,
        body: text,
        body_line: 1,
        unclosed: false,
    };
    let Some((first, _)) = text.split_once('\n').or(Some((text, ""))) else {
        return whole;
    };
    if first.trim_end() != "---" {
        return whole;
    }
    let yaml_start = first.len() + 1;
    let mut offset = yaml_start;
    let mut line = 2u32;
    while offset <= text.len() {
        let rest = text.get(offset..).unwrap_or_default();
        let (current, has_newline) = match rest.split_once('\n') {
            Some((current, _)) => (current, true),
            None => (rest, false),
        };
        let fence = current.trim_end();
        if fence == "---" || fence == "..." {
            let body_start = (offset + current.len() + usize::from(has_newline)).min(text.len());
            return SplitPage {
                yaml: Some((text.get(yaml_start..offset).unwrap_or_default(), 2)),
                body: text.get(body_start..).unwrap_or_default(),
                body_line: line + 1,
                unclosed: false,
            };
        }
        if !has_newline {
            break;
        }
        offset += current.len() + 1;
        line += 1;
    }
    SplitPage {
        unclosed: true,
        ..whole
    }
}

/// What the loader needs beyond `FrontMatter`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFrontMatter {
    pub front: FrontMatter,
    /// File line of the `buttons:` key when present (the page claims to be the index).
    pub buttons_line: Option<u32>,
}

/// A YAML block of a file: its text, the file line it starts on, the path shown in diagnostics.
struct YamlSource<'a> {
    yaml: &'a str,
    first_line: u32,
    display_path: &'a str,
    /// What the block is, for messages ("front matter", "YAML").
    kind: &'a str,
}

impl YamlSource<'_> {
    fn file_line(&self, yaml_line: u32) -> u32 {
        self.first_line.saturating_add(yaml_line.saturating_sub(1))
    }

    /// File line of the top-level `key:`, else the first line of the block.
    fn key_line(&self, key: &str) -> u32 {
        self.yaml
            .lines()
            .position(|line| is_top_level_key(line, key))
            .map_or(self.first_line, |index| self.file_line(index as u32 + 1))
    }

    /// serde_yaml reports a duplicate key without a position: find its second top-level use.
    fn duplicate_key_line(&self, message: &str) -> u32 {
        let Some(key) = message
            .strip_prefix("duplicate entry with key \"")
            .and_then(|rest| rest.strip_suffix('"'))
        else {
            return self.first_line;
        };
        self.yaml
            .lines()
            .enumerate()
            .filter(|(_, line)| is_top_level_key(line, key))
            .nth(1)
            .map_or(self.first_line, |(index, _)| {
                self.file_line(index as u32 + 1)
            })
    }

    /// Parse to a value; a syntax error becomes a diagnostic at the file's line and column.
    fn parse(&self, diags: &mut Diagnostics) -> Option<Value> {
        if self.yaml.len() > MAX_YAML_BYTES {
            diags.error(
                self.display_path,
                self.first_line,
                1,
                format!(
                    "{} is too large ({} bytes, at most {MAX_YAML_BYTES})",
                    self.kind,
                    self.yaml.len()
                ),
            );
            return None;
        }
        match serde_yaml::from_str::<Value>(self.yaml) {
            Ok(value) => Some(value),
            Err(error) => {
                let text = error.to_string();
                let message = without_yaml_position(&text);
                let (line, col) = match error.location() {
                    _ if message.starts_with("duplicate entry") => {
                        (self.duplicate_key_line(&message), 1)
                    }
                    Some(location) => (
                        self.file_line(location.line() as u32),
                        location.column() as u32,
                    ),
                    None => (self.duplicate_key_line(&message), 1),
                };
                let diagnostic = diags.error(
                    self.display_path,
                    line,
                    col,
                    format!("invalid {}: {message}", self.kind),
                );
                if self.yaml.contains('\t') {
                    diagnostic.with_hint("YAML does not allow tabs for indentation; use spaces");
                } else if message.contains("repetition limit") {
                    diagnostic.with_hint("aliases (`*name`) expand to too much data");
                } else if message.contains("recursion limit") {
                    diagnostic.with_hint("the YAML is nested too deeply");
                }
                None
            }
        }
    }

    /// Top-level mapping of the block (empty block → empty mapping).
    fn mapping(&self, diags: &mut Diagnostics) -> Option<Mapping> {
        match self.parse(diags)? {
            Value::Null => Some(Mapping::new()),
            Value::Mapping(mapping) => Some(mapping),
            _ => {
                diags
                    .error(
                        self.display_path,
                        self.first_line,
                        1,
                        format!("{} must be `key: value` lines", self.kind),
                    )
                    .with_hint("e.g. `title: Citoyen`");
                None
            }
        }
    }
}

/// serde_yaml's message without its " at line N column M" (our diagnostic has the file's own).
fn without_yaml_position(text: &str) -> String {
    let mut message = text.to_string();
    while let Some(at) = message.find(" at line ") {
        let rest = message.get(at + " at line ".len()..).unwrap_or_default();
        let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        let rest = rest
            .strip_prefix(" column ")
            .map_or(rest, |r| r.trim_start_matches(|c: char| c.is_ascii_digit()));
        message = format!("{}{rest}", message.get(..at).unwrap_or_default());
    }
    message
}

fn is_top_level_key(line: &str, key: &str) -> bool {
    let unquoted = line
        .strip_prefix('"')
        .and_then(|rest| rest.strip_prefix(key)?.strip_prefix('"'))
        .or_else(|| {
            line.strip_prefix('\'')
                .and_then(|rest| rest.strip_prefix(key)?.strip_prefix('\''))
        })
        .or_else(|| line.strip_prefix(key));
    unquoted.is_some_and(|rest| rest.trim_start_matches([' ', '\t']).starts_with(':'))
}

/// Text of a scalar (string, number, bool; null is empty), looking through tags.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Null => Some(String::new()),
        Value::Tagged(tagged) => scalar_text(&tagged.value),
        Value::Sequence(_) | Value::Mapping(_) => None,
    }
}

/// Read a page's front matter (`yaml` starts at file line `first_line`).
pub fn parse_front_matter(
    yaml: &str,
    first_line: u32,
    display_path: &str,
    diags: &mut Diagnostics,
) -> ParsedFrontMatter {
    let source = YamlSource {
        yaml,
        first_line,
        display_path,
        kind: "YAML front matter",
    };
    let mut parsed = ParsedFrontMatter::default();
    let Some(mapping) = source.mapping(diags) else {
        return parsed;
    };
    let front = &mut parsed.front;
    for (key, value) in &mapping {
        let Some(key) = scalar_text(key) else {
            continue;
        };
        if let Some(text) = scalar_text(value) {
            front.vars.insert(key.clone(), text);
        }
        let field = match key.as_str() {
            "title" => &mut front.title,
            "subtitle" => &mut front.subtitle,
            "label" => &mut front.label,
            "summary" => &mut front.summary,
            "lang" => &mut front.lang,
            "date" => &mut front.date,
            "permalink" => &mut front.permalink,
            "redirect_from" => {
                front.redirect_from = text_list(&source, &key, value, diags);
                continue;
            }
            "buttons" => {
                parsed.buttons_line = Some(source.key_line("buttons"));
                front.buttons = read_buttons(&source, value, diags);
                continue;
            }
            _ => continue,
        };
        *field = text_value(&source, &key, value, diags).filter(|text| !text.trim().is_empty());
    }
    parsed
}

/// A text field: a scalar, or a list of scalars joined with spaces (with a warning).
fn text_value(
    source: &YamlSource,
    key: &str,
    value: &Value,
    diags: &mut Diagnostics,
) -> Option<String> {
    if let Some(text) = scalar_text(value) {
        return Some(text);
    }
    let items = match value {
        Value::Sequence(items) => items.iter().map(scalar_text).collect::<Option<Vec<_>>>(),
        _ => None,
    };
    let line = source.key_line(key);
    match items {
        Some(items) => {
            diags.warning(
                source.display_path,
                line,
                1,
                format!("`{key}` is a list; its items are joined"),
            );
            Some(items.join(" "))
        }
        None => {
            diags
                .warning(
                    source.display_path,
                    line,
                    1,
                    format!("`{key}` should be text; ignored"),
                )
                .with_hint(format!("write `{key}: some text`"));
            None
        }
    }
}

/// A string or a list of strings (`redirect_from`).
fn text_list(
    source: &YamlSource,
    key: &str,
    value: &Value,
    diags: &mut Diagnostics,
) -> Vec<String> {
    let items: Vec<String> = match value {
        Value::Sequence(items) => items.iter().filter_map(scalar_text).collect(),
        other => scalar_text(other).into_iter().collect(),
    };
    if items.is_empty() && !matches!(value, Value::Null | Value::Sequence(_)) {
        diags.warning(
            source.display_path,
            source.key_line(key),
            1,
            format!("`{key}` should be a path or a list of paths; ignored"),
        );
    }
    items
        .into_iter()
        .filter(|item| !item.trim().is_empty())
        .collect()
}

/// Where a button item stands in the file (block style only).
#[derive(Debug, Clone, Default, PartialEq)]
struct ItemPlace {
    /// The `title:` line, else the item's `-` line.
    line: u32,
    /// Line and column of the value of each of `default:`, `page:`, `url:` written.
    targets: Vec<(&'static str, u32, u32)>,
}

/// Places of the items of the top-level `buttons:` list, in order (block style only).
fn button_item_places(source: &YamlSource) -> Vec<ItemPlace> {
    let lines: Vec<&str> = source.yaml.lines().collect();
    let Some(start) = lines
        .iter()
        .position(|line| is_top_level_key(line, "buttons"))
    else {
        return Vec::new();
    };
    let mut items = Vec::new();
    for (index, line) in lines.iter().enumerate().skip(start + 1) {
        let content = line.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        let is_item = content == "-" || content.starts_with("- ");
        if indent == 0 && !is_item {
            break;
        }
        if is_item {
            items.push((indent, source.file_line(index as u32 + 1)));
        }
    }
    let Some(min_indent) = items.iter().map(|(indent, _)| *indent).min() else {
        return Vec::new();
    };
    let starts: Vec<u32> = items
        .into_iter()
        .filter(|(indent, _)| *indent == min_indent)
        .map(|(_, line)| line)
        .collect();
    // Point at the item's `title:` line when there is one (block form puts it below the `-`).
    starts
        .iter()
        .enumerate()
        .map(|(at, &start)| {
            let end = starts.get(at + 1).copied().unwrap_or(u32::MAX);
            let item_lines: Vec<(u32, &str)> = lines
                .iter()
                .enumerate()
                .map(|(index, line)| (source.file_line(index as u32 + 1), *line))
                .filter(|(line_no, _)| *line_no >= start && *line_no < end)
                .collect();
            let key_of = |line: &str| line.trim_start_matches([' ', '-']).to_string();
            let line = item_lines
                .iter()
                .find(|(_, line)| is_top_level_key(&key_of(line), "title"))
                .map_or(start, |(line_no, _)| *line_no);
            let targets = ["default", "page", "url"]
                .into_iter()
                .filter_map(|key| {
                    let (line_no, text) = item_lines
                        .iter()
                        .find(|(_, line)| is_top_level_key(&key_of(line), key))?;
                    // The value starts after the key's `:` and the spaces after it.
                    let colon = text.find(':')?;
                    let value = colon
                        + 1
                        + (text[colon + 1..].len()
                            - text[colon + 1..].trim_start_matches([' ', '\t']).len());
                    let col = text[..value].chars().count() as u32 + 1;
                    Some((key, *line_no, col))
                })
                .collect();
            ItemPlace { line, targets }
        })
        .collect()
}

fn read_buttons(source: &YamlSource, value: &Value, diags: &mut Diagnostics) -> Vec<Button> {
    let key_line = source.key_line("buttons");
    let items = match value {
        Value::Sequence(items) => items,
        Value::Null => return Vec::new(),
        _ => {
            diags
                .error(
                    source.display_path,
                    key_line,
                    1,
                    "`buttons` must be a list of personas",
                )
                .with_hint(
                    "write `buttons:` then `  - title: Citoyen` / `    default: faq/citoyen`",
                );
            return Vec::new();
        }
    };
    let places = button_item_places(source);
    let places = if places.len() == items.len() {
        places
    } else {
        vec![
            ItemPlace {
                line: key_line,
                targets: Vec::new()
            };
            items.len()
        ]
    };
    let mut buttons = Vec::new();
    for (item, place) in items.iter().zip(places) {
        let line = place.line;
        let field = |name: &str| match item {
            Value::Mapping(mapping) => mapping
                .get(name)
                .and_then(scalar_text)
                .map(|text| text.trim().to_string())
                .filter(|text| !text.is_empty()),
            _ => None,
        };
        if !matches!(item, Value::Mapping(_)) {
            diags
                .error(
                    source.display_path,
                    line,
                    1,
                    "a button must have `title:` and `default:`",
                )
                .with_hint("e.g. `- title: Citoyen` then `  default: faq/citoyen`");
            continue;
        }
        let target = ["default", "page", "url"]
            .into_iter()
            .find_map(|key| field(key).map(|value| (key, value)));
        match (field("title"), target) {
            (Some(title), Some((key, target))) => buttons.push(Button {
                title,
                target,
                line,
                target_at: place
                    .targets
                    .iter()
                    .find(|(k, _, _)| *k == key)
                    .map_or((line, 1), |&(_, line, col)| (line, col)),
            }),
            (None, _) => {
                diags
                    .error(source.display_path, line, 1, "button without a `title:`")
                    .with_hint("add `title: <persona name>`");
            }
            (Some(title), None) => {
                diags
                    .error(
                        source.display_path,
                        line,
                        1,
                        format!("button \"{title}\" names no page"),
                    )
                    .with_hint("add `default: <page path>`, e.g. `default: faq/citoyen`");
            }
        }
    }
    buttons
}

/// The site's language in `_config.yml`, with the key it was found under: `lang`, else
/// `locale` (`en_US`), else `lang` in a `defaults` entry's `values` (the site-wide one first).
/// Nothing is reported here: `parse_yaml_scalars` already reported a syntax error.
pub fn site_language(yaml: &str) -> Option<(String, &'static str)> {
    if yaml.len() > MAX_YAML_BYTES {
        return None;
    }
    let Ok(Value::Mapping(mapping)) = serde_yaml::from_str::<Value>(yaml) else {
        return None;
    };
    let text = |value: Option<&Value>| {
        value
            .and_then(scalar_text)
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    };
    if let Some(lang) = text(mapping.get("lang")) {
        return Some((lang, "lang"));
    }
    if let Some(locale) = text(mapping.get("locale")) {
        return Some((locale, "locale"));
    }
    let Some(Value::Sequence(defaults)) = mapping.get("defaults") else {
        return None;
    };
    // A default scoped to the whole site (`path: ""` or no path) wins over a narrower one.
    let scope_path = |entry: &Value| {
        text(entry.get("scope").and_then(|scope| scope.get("path"))).unwrap_or_default()
    };
    let mut entries: Vec<&Value> = defaults.iter().collect();
    entries.sort_by_key(|entry| !scope_path(entry).is_empty());
    entries
        .into_iter()
        .find_map(|entry| text(entry.get("values").and_then(|values| values.get("lang"))))
        .map(|lang| (lang, "defaults"))
}

/// `languages:` of `_config.yml` (jekyll-polyglot): the tags listed, in order.
pub fn site_languages(yaml: &str) -> Vec<String> {
    if yaml.len() > MAX_YAML_BYTES {
        return Vec::new();
    }
    let Ok(Value::Mapping(mapping)) = serde_yaml::from_str::<Value>(yaml) else {
        return Vec::new();
    };
    match mapping.get("languages") {
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(scalar_text)
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

/// Scalar top-level keys of a YAML file such as `_config.yml` (nested values are skipped).
pub fn parse_yaml_scalars(
    yaml: &str,
    display_path: &str,
    diags: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let source = YamlSource {
        yaml,
        first_line: 1,
        display_path,
        kind: "YAML",
    };
    let Some(mapping) = source.mapping(diags) else {
        return BTreeMap::new();
    };
    mapping
        .iter()
        .filter_map(|(key, value)| Some((scalar_text(key)?, scalar_text(value)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> (ParsedFrontMatter, Diagnostics) {
        let mut diags = Diagnostics::new();
        let parsed = parse_front_matter(yaml, 2, "content/p.md", &mut diags);
        (parsed, diags)
    }

    #[test]
    fn later_dashes_are_a_thematic_break() {
        let text = "---\ntitle: A\n---\n# A\n\ntext\n\n---\n\nmore\n";
        let split = split_front_matter(text);
        assert_eq!(split.yaml, Some(("title: A\n", 2)));
        assert_eq!(split.body, "# A\n\ntext\n\n---\n\nmore\n");
        assert_eq!(split.body_line, 4);
    }

    #[test]
    fn dots_close_the_front_matter() {
        let split = split_front_matter("---\ntitle: A\n...\nbody\n");
        assert_eq!(split.yaml, Some(("title: A\n", 2)));
        assert_eq!(split.body, "body\n");
    }

    #[test]
    fn empty_front_matter_and_page_that_is_only_front_matter() {
        let split = split_front_matter("---\n---\nbody");
        assert_eq!(split.yaml, Some(("", 2)));
        assert_eq!((split.body, split.body_line), ("body", 3));
        let split = split_front_matter("---\ntitle: A\n---");
        assert_eq!(split.yaml, Some(("title: A\n", 2)));
        assert_eq!((split.body, split.body_line), ("", 4));
    }

    #[test]
    fn no_front_matter_or_unclosed() {
        let split = split_front_matter("# Title\n---\n");
        assert_eq!(
            (split.yaml, split.body, split.unclosed),
            (None, "# Title\n---\n", false)
        );
        let split = split_front_matter("---\ntitle: A\n");
        assert!(split.unclosed);
        assert_eq!(split.yaml, None);
    }

    #[test]
    fn known_and_unknown_keys() {
        let (parsed, diags) = parse(
            "layout: page\ntitle: \"Citoyen\"\nlabel: 'En tant que citoyen'\n\
             redirect_from: /old/\ntags: [a, b]\nweight: 3\ndate: 2019-05-01\n",
        );
        assert!(diags.items().is_empty(), "{:?}", diags.items());
        let front = parsed.front;
        assert_eq!(front.title.as_deref(), Some("Citoyen"));
        assert_eq!(front.label.as_deref(), Some("En tant que citoyen"));
        assert_eq!(front.date.as_deref(), Some("2019-05-01"));
        assert_eq!(front.redirect_from, vec!["/old/".to_string()]);
        assert_eq!(front.vars.get("layout").map(String::as_str), Some("page"));
        assert_eq!(front.vars.get("weight").map(String::as_str), Some("3"));
        assert!(!front.vars.contains_key("tags"));
        assert_eq!(parsed.buttons_line, None);
    }

    #[test]
    fn redirect_from_list() {
        let (parsed, _) = parse("redirect_from:\n  - /a/\n  - /b.html\n");
        assert_eq!(parsed.front.redirect_from, vec!["/a/", "/b.html"]);
    }

    #[test]
    fn block_and_compact_buttons_with_lines() {
        let yaml = "layout: page\nbuttons:\n  -\n    title: Citoyen\n    default: faq/citoyen\n  \
                    - title: Producteur\n    page: faq/producteur\n\nfoo: bar\n";
        let (parsed, diags) = parse(yaml);
        assert!(diags.items().is_empty(), "{:?}", diags.items());
        assert_eq!(parsed.buttons_line, Some(3));
        let buttons = parsed.front.buttons;
        assert_eq!(buttons.len(), 2);
        assert_eq!(
            (
                buttons[0].title.as_str(),
                buttons[0].target.as_str(),
                buttons[0].line
            ),
            ("Citoyen", "faq/citoyen", 5)
        );
        assert_eq!(
            (
                buttons[1].title.as_str(),
                buttons[1].target.as_str(),
                buttons[1].line
            ),
            ("Producteur", "faq/producteur", 7)
        );
        // A wrong target is reported at its value.
        assert_eq!(buttons[0].target_at, (6, 14));
        assert_eq!(buttons[1].target_at, (8, 11));
        // `default:` wins over `page:` in one item, and is the place reported.
        let (parsed, _) = parse(
            "buttons:
  - title: A
    page: x
    default:   y
",
        );
        assert_eq!(parsed.front.buttons[0].target, "y");
        assert_eq!(parsed.front.buttons[0].target_at, (5, 16));
        // Flow style cannot be placed by the line scan: the button's line, column 1.
        let (parsed, _) = parse(
            "buttons: [{title: A, default: x}]
",
        );
        assert_eq!(parsed.front.buttons[0].target_at, (2, 1));
    }

    #[test]
    fn buttons_at_column_zero_and_url_target() {
        let (parsed, _) = parse("buttons:\n- title: A\n  url: /a.html\n- title: B\n  default: b\n");
        let lines: Vec<u32> = parsed.front.buttons.iter().map(|b| b.line).collect();
        assert_eq!(lines, vec![3, 5]);
        assert_eq!(parsed.front.buttons[0].target, "/a.html");
    }

    #[test]
    fn buttons_of_wrong_type_error_at_their_line() {
        let (_, diags) = parse("title: x\nbuttons: citoyen\n");
        assert_eq!(diags.items()[0].line, 3);
        assert!(diags.has_errors());
        let (parsed, diags) = parse("buttons:\n  - just text\n  - title: B\n    default: b\n");
        assert_eq!(diags.items()[0].line, 3);
        assert_eq!(parsed.front.buttons.len(), 1);
        let (_, diags) = parse("buttons:\n  - title: A\n");
        assert!(diags.items()[0].message.contains("\"A\" names no page"));
    }

    #[test]
    fn yaml_error_points_at_the_page_line() {
        // YAML starts at file line 2; the bad line is the YAML's 3rd line.
        let (_, diags) = parse("title: ok\nsummary: fine\nlabel: [unclosed\nother: x\n");
        let item = &diags.items()[0];
        assert!(item.message.starts_with("invalid YAML"), "{}", item.message);
        assert!(item.line >= 4, "line {}", item.line);
        assert!(!item.message.contains(" at line "), "{item:?}");
    }

    #[test]
    fn yaml_error_column_is_kept() {
        let (_, diags) = parse("title: ok\nsummary: \"oops\n");
        let item = &diags.items()[0];
        assert_eq!(item.path, "content/p.md");
        assert!(item.line >= 3 && item.col >= 1, "{item:?}");
    }

    #[test]
    fn duplicate_keys_are_reported_with_line() {
        let (_, diags) = parse("title: A\nsummary: s\ntitle: B\n");
        let item = &diags.items()[0];
        assert!(item.message.contains("duplicate"), "{item:?}");
        assert_eq!(item.line, 4, "{item:?}");
    }

    #[test]
    fn tabs_give_a_diagnostic_with_hint() {
        let (_, diags) = parse("buttons:\n\t- title: A\n");
        let item = &diags.items()[0];
        assert!(
            item.hint.as_deref().unwrap_or("").contains("tabs"),
            "{item:?}"
        );
        assert_eq!(item.line, 3);
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut yaml = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
        {
            let refs = vec![format!("*{prev}"); 9].join(",");
            yaml.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        let (_, diags) = parse(&yaml);
        assert!(diags.has_errors());
        assert!(
            diags.items()[0].message.contains("limit"),
            "{:?}",
            diags.items()
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let yaml = format!("title: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
        let (_, diags) = parse(&yaml);
        assert!(diags.has_errors());
        let yaml: String = (0..1_000)
            .map(|depth| format!("{}k:\n", " ".repeat(depth)))
            .collect();
        let (_, diags) = parse(&yaml);
        assert!(diags.has_errors());
    }

    #[test]
    fn huge_front_matter_is_refused() {
        let yaml = format!("title: {}\n", "x".repeat(MAX_YAML_BYTES));
        let (parsed, diags) = parse(&yaml);
        assert!(diags.items()[0].message.contains("too large"));
        assert_eq!(parsed.front.title, None);
    }

    #[test]
    fn non_mapping_front_matter_is_an_error() {
        let (_, diags) = parse("- a\n- b\n");
        assert_eq!(diags.items()[0].line, 2);
        let (parsed, diags) = parse("");
        assert!(diags.items().is_empty());
        assert_eq!(parsed.front, FrontMatter::default());
    }

    #[test]
    fn config_scalars() {
        let mut diags = Diagnostics::new();
        let vars = parse_yaml_scalars(
            "collections_dir: articles\ntitle: Site\nnested:\n  a: 1\n",
            "content/_config.yml",
            &mut diags,
        );
        assert_eq!(
            vars.get("collections_dir").map(String::as_str),
            Some("articles")
        );
        assert!(!vars.contains_key("nested"));
    }
}
