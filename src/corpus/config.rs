//! `livret.toml` (the book's settings) and Jekyll's `_config.yml` (what the site says).

use super::front_matter::{parse_yaml_scalars, site_language};
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
                     identifier, index, personas, page_size (\"A4\" or \"Letter\"), typography, \
                 [labels]",
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
