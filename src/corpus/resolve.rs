//! Where Jekyll publishes each page, and the reverse: which page a link or button target names.
//!
//! A target `faq/citoyen` matches, in this order of rules: `faq/citoyen.md` (or `.markdown`),
//! `faq/citoyen/index.md`, a collection file `_faq/citoyen.md` (possibly under
//! `collections_dir`), a `permalink:`, a `redirect_from:` entry. The first rule that matches
//! decides; two pages matching by the same rule are ambiguous.

use super::{FrontMatter, Routes};
use crate::url::percent_decoded;
use std::collections::{BTreeMap, BTreeSet};

/// How a site path was derived from a page; lower wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rule {
    FilePath,
    FolderIndex,
    Collection,
    Permalink,
    RedirectFrom,
}

/// What a target names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<'a> {
    Page(&'a str),
    Ambiguous(&'a [String]),
    Missing,
}

/// Strip what Jekyll ignores when matching: `{{ site.baseurl }}`, `?query`, `#fragment`,
/// percent-encoding, leading `./` and `/`, the extension (`.md`, `.markdown`, `.html`), trailing `/`.
pub fn normalise_site_path(target: &str) -> String {
    let mut path = target.trim();
    for liquid in [
        "{{ site.baseurl }}",
        "{{site.baseurl}}",
        "{{ site.url }}",
        "{{site.url}}",
    ] {
        path = path.strip_prefix(liquid).unwrap_or(path);
    }
    let path = path.split(['#', '?']).next().unwrap_or_default();
    let decoded = percent_decoded(path);
    let mut path = decoded.as_str();
    loop {
        let stripped = path.trim_start_matches('/');
        let stripped = stripped.strip_prefix("./").unwrap_or(stripped);
        if stripped == path {
            break;
        }
        path = stripped;
    }
    let path = path.trim_end_matches('/');
    let path = strip_page_extension(path);
    let segments: Vec<&str> = path
        .split('/')
        .filter(|segment| !segment.is_empty() && *segment != ".")
        .collect();
    segments.join("/")
}

fn strip_page_extension(path: &str) -> &str {
    let last_start = path.rfind('/').map_or(0, |slash| slash + 1);
    let last = path.get(last_start..).unwrap_or_default();
    for extension in [".md", ".markdown", ".html"] {
        if last.len() > extension.len()
            && last
                .get(last.len() - extension.len()..)
                .is_some_and(|end| end.eq_ignore_ascii_case(extension))
        {
            return path.get(..path.len() - extension.len()).unwrap_or(path);
        }
    }
    path
}

/// Build the routes of every page (`pages`: path relative to the root, front matter).
pub fn build_routes<'a>(
    pages: impl IntoIterator<Item = (&'a str, &'a FrontMatter)>,
    collections_dir: &str,
) -> Routes {
    let mut best: BTreeMap<String, (Rule, Vec<String>)> = BTreeMap::new();
    let mut page_paths = BTreeSet::new();
    let mut published_at = BTreeMap::new();
    for (path, front) in pages {
        page_paths.insert(path.to_string());
        published_at.insert(
            path.to_string(),
            published_url(path, front, collections_dir),
        );
        for (rule, site_path) in site_paths(path, front, collections_dir) {
            let entry = best.entry(site_path).or_insert_with(|| (rule, Vec::new()));
            if rule < entry.0 {
                *entry = (rule, Vec::new());
            }
            if rule == entry.0 && !entry.1.iter().any(|p| p == path) {
                entry.1.push(path.to_string());
            }
        }
    }
    Routes {
        by_site_path: best
            .into_iter()
            .map(|(site_path, (_, pages))| (site_path, pages))
            .collect(),
        pages: page_paths,
        collections_dir: collections_dir.to_string(),
        published_at,
        aliases: BTreeMap::new(),
    }
}

/// The URL Jekyll gives the page: its `permalink:`, else `/<collection>/<name>.html`,
/// `/<folder>/` for an `index.md`, `/<path>.html`.
fn published_url(path: &str, front: &FrontMatter, collections_dir: &str) -> String {
    if let Some(permalink) = front.permalink.as_deref().map(str::trim)
        && !permalink.is_empty()
    {
        return format!("/{}", permalink.trim_start_matches('/'));
    }
    let without_extension = strip_page_extension(path);
    let in_collections_dir = without_extension
        .strip_prefix(collections_dir)
        .and_then(|rest| rest.strip_prefix('/'))
        .filter(|_| !collections_dir.is_empty())
        .unwrap_or(without_extension);
    if let Some(site_path) = collection_site_path(in_collections_dir) {
        return format!("/{site_path}.html");
    }
    if without_extension == "index" {
        return "/".to_string();
    }
    if let Some(folder) = without_extension.strip_suffix("/index") {
        return format!("/{folder}/");
    }
    format!("/{without_extension}.html")
}

/// `base` joined with the relative `href`, `.` and `..` applied; `None` if it climbs out.
fn join_relative(base_folder: &str, href: &str) -> Option<String> {
    let mut segments: Vec<&str> = base_folder.split('/').filter(|s| !s.is_empty()).collect();
    for segment in href.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop()?;
            }
            other => segments.push(other),
        }
    }
    let mut joined = segments.join("/");
    if href.ends_with('/') {
        joined.push('/');
    }
    Some(joined)
}

/// Every site path a page is published at, with the rule that gives it.
fn site_paths(path: &str, front: &FrontMatter, collections_dir: &str) -> Vec<(Rule, String)> {
    let without_extension = strip_page_extension(path);
    let mut paths = vec![(Rule::FilePath, without_extension.to_string())];
    if without_extension == "index" {
        paths.push((Rule::FolderIndex, String::new()));
    } else if let Some(folder) = without_extension.strip_suffix("/index") {
        paths.push((Rule::FolderIndex, folder.to_string()));
    }
    let in_collections_dir = if collections_dir.is_empty() {
        Some(without_extension)
    } else {
        without_extension
            .strip_prefix(collections_dir)
            .and_then(|rest| rest.strip_prefix('/'))
    };
    // Collections sit in `_<name>/` under `collections_dir`; without `_config.yml`, the first
    // `_<name>/` folder of the path counts.
    let collection_path = [in_collections_dir, Some(without_extension)]
        .into_iter()
        .flatten()
        .find_map(collection_site_path);
    if let Some(site_path) = collection_path {
        paths.push((Rule::Collection, site_path));
    }
    if let Some(permalink) = &front.permalink {
        paths.push((Rule::Permalink, normalise_site_path(permalink)));
    }
    for redirect in &front.redirect_from {
        paths.push((Rule::RedirectFrom, normalise_site_path(redirect)));
    }
    paths
}

/// `_faq/x` (or `a/_faq/x`) → `faq/x`.
fn collection_site_path(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    let at = segments
        .iter()
        .position(|segment| segment.len() > 1 && segment.starts_with('_'))?;
    let rest = segments.get(at + 1..).filter(|rest| !rest.is_empty())?;
    let collection = segments.get(at)?.get(1..)?;
    Some(format!("{collection}/{}", rest.join("/")))
}

impl Routes {
    /// What `target` (a site path or URL path) names.
    pub fn lookup(&self, target: &str) -> Lookup<'_> {
        match self.by_site_path.get(&normalise_site_path(target)) {
            Some(pages) if pages.len() == 1 => {
                pages.first().map_or(Lookup::Missing, |p| Lookup::Page(p))
            }
            Some(pages) if !pages.is_empty() => Lookup::Ambiguous(pages),
            _ => Lookup::Missing,
        }
    }

    /// The page published at `target` (`/faq/citoyen.html`, `faq/citoyen/`, `_faq/x.md` …),
    /// when exactly one page is.
    pub fn resolve(&self, target: &str) -> Option<&str> {
        match self.lookup(target) {
            Lookup::Page(page) => Some(page),
            _ => None,
        }
    }

    /// The page of a file path relative to the site root, as Liquid's `{% link %}` names it:
    /// `_faq/x.md` and `articles/_faq/x.md` are the same page when `collections_dir` is
    /// `articles`.
    pub fn resolve_file(&self, file: &str) -> Option<&str> {
        let file = file.trim().trim_start_matches("./").trim_start_matches('/');
        let mut candidates = vec![file.to_string()];
        if !self.collections_dir.is_empty() {
            candidates.push(format!("{}/{file}", self.collections_dir));
            if let Some(rest) = file
                .strip_prefix(self.collections_dir.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
            {
                candidates.push(rest.to_string());
            }
        }
        candidates
            .iter()
            .find_map(|candidate| {
                self.pages
                    .get(candidate.as_str())
                    .or_else(|| self.aliases.get(candidate.as_str()))
            })
            .map(String::as_str)
    }

    /// The page a link in page `from_page` names: site-absolute (`/faq/x.html`), relative to
    /// the page's file (`producteur.md`, `../_faq/x.md`) or to its URL (`producteur.html`).
    /// `href` carries no `#fragment`.
    pub fn resolve_relative(&self, from_page: &str, href: &str) -> Option<&str> {
        let href = href.trim();
        let mut site_href = href;
        for liquid in [
            "{{ site.baseurl }}",
            "{{site.baseurl}}",
            "{{ site.url }}",
            "{{site.url}}",
        ] {
            site_href = site_href.strip_prefix(liquid).unwrap_or(site_href);
        }
        if site_href.starts_with('/') {
            return self
                .resolve(site_href)
                .or_else(|| self.resolve_file(site_href));
        }
        let href = percent_decoded(href.split(['#', '?']).next().unwrap_or_default());
        let file_folder = from_page.rsplit_once('/').map_or("", |(folder, _)| folder);
        if let Some(file) = join_relative(file_folder, &href)
            && let Some(page) = self
                .pages
                .get(file.as_str())
                .or_else(|| self.aliases.get(file.as_str()))
        {
            return Some(page);
        }
        let url = self.published_at.get(from_page)?;
        let url_folder = url.rsplit_once('/').map_or("", |(folder, _)| folder);
        self.resolve(&join_relative(url_folder, &href)?)
    }

    /// Page paths whose site paths look like `target`, best first (for "did you mean").
    pub fn suggest(&self, target: &str, limit: usize) -> Vec<String> {
        let wanted = normalise_site_path(target);
        let mut scores: BTreeMap<&str, f64> = BTreeMap::new();
        for (site_path, pages) in &self.by_site_path {
            let score = strsim::normalized_damerau_levenshtein(&wanted, site_path);
            for page in pages {
                let best = scores.entry(page).or_insert(0.0);
                *best = best.max(score);
            }
        }
        let mut ranked: Vec<(&str, f64)> = scores
            .into_iter()
            .filter(|(_, score)| *score >= 0.5)
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        ranked
            .into_iter()
            .take(limit)
            .map(|(page, _)| page.to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes(pages: &[(&str, FrontMatter)], collections_dir: &str) -> Routes {
        build_routes(
            pages.iter().map(|(path, front)| (*path, front)),
            collections_dir,
        )
    }

    fn plain(path: &str) -> (&str, FrontMatter) {
        (path, FrontMatter::default())
    }

    #[test]
    fn normalisation() {
        for target in [
            "faq/citoyen",
            "/faq/citoyen",
            "/faq/citoyen.html",
            "faq/citoyen.md",
            "faq/citoyen.markdown",
            "/faq/citoyen/",
            "./faq/citoyen",
            "{{ site.baseurl }}/faq/citoyen.html#top",
            "//faq//citoyen",
        ] {
            assert_eq!(normalise_site_path(target), "faq/citoyen", "{target}");
        }
        assert_eq!(normalise_site_path("/l%C3%A9gales.html"), "légales");
        assert_eq!(normalise_site_path("/"), "");
        assert_eq!(normalise_site_path(".md"), ".md");
    }

    #[test]
    fn file_path_rule() {
        let routes = routes(&[plain("faq/citoyen.md"), plain("faq/pro.markdown")], "");
        assert_eq!(routes.resolve("faq/citoyen"), Some("faq/citoyen.md"));
        assert_eq!(routes.resolve("/faq/pro.html"), Some("faq/pro.markdown"));
        assert_eq!(routes.resolve("faq/other"), None);
    }

    #[test]
    fn folder_index_rule() {
        let routes = routes(&[plain("faq/citoyen/index.md"), plain("index.md")], "");
        assert_eq!(
            routes.resolve("/faq/citoyen/"),
            Some("faq/citoyen/index.md")
        );
        assert_eq!(
            routes.resolve("faq/citoyen/index.html"),
            Some("faq/citoyen/index.md")
        );
        assert_eq!(routes.resolve("/"), Some("index.md"));
    }

    #[test]
    fn collection_rule_with_and_without_collections_dir() {
        let routes1 = routes(&[plain("_faq/citoyen.md")], "");
        assert_eq!(routes1.resolve("faq/citoyen"), Some("_faq/citoyen.md"));
        let routes2 = routes(&[plain("articles/_faq/citoyen.md")], "articles");
        assert_eq!(
            routes2.resolve("faq/citoyen"),
            Some("articles/_faq/citoyen.md")
        );
        // Without `_config.yml`, a collection folder under a subfolder is still found.
        let routes3 = routes(&[plain("articles/_faq/citoyen.md")], "");
        assert_eq!(
            routes3.resolve("/faq/citoyen.html"),
            Some("articles/_faq/citoyen.md")
        );
    }

    #[test]
    fn permalink_and_redirect_rules() {
        let with_permalink = FrontMatter {
            permalink: Some("/questions/citoyen/".into()),
            redirect_from: vec!["/ancien/citoyen.html".into()],
            ..FrontMatter::default()
        };
        let routes = routes(&[("pages/c.md", with_permalink)], "");
        assert_eq!(routes.resolve("questions/citoyen"), Some("pages/c.md"));
        assert_eq!(routes.resolve("/ancien/citoyen/"), Some("pages/c.md"));
    }

    #[test]
    fn earlier_rule_wins_same_rule_is_ambiguous() {
        let redirect = FrontMatter {
            redirect_from: vec!["faq/citoyen".into()],
            ..FrontMatter::default()
        };
        let routes1 = routes(&[plain("_faq/citoyen.md"), ("old.md", redirect)], "");
        assert_eq!(routes1.resolve("faq/citoyen"), Some("_faq/citoyen.md"));
        let routes2 = routes(
            &[plain("faq/citoyen.md"), plain("faq/citoyen.markdown")],
            "",
        );
        assert_eq!(routes2.resolve("faq/citoyen"), None);
        assert!(
            matches!(routes2.lookup("faq/citoyen"), Lookup::Ambiguous(pages) if pages.len() == 2)
        );
    }

    #[test]
    fn resolve_file_with_collections_dir() {
        let routes = routes(
            &[plain("articles/_faq/x.md"), plain("légales.md")],
            "articles",
        );
        assert_eq!(routes.resolve_file("_faq/x.md"), Some("articles/_faq/x.md"));
        assert_eq!(
            routes.resolve_file("articles/_faq/x.md"),
            Some("articles/_faq/x.md")
        );
        assert_eq!(routes.resolve_file("/légales.md"), Some("légales.md"));
        assert_eq!(routes.resolve_file("_faq/y.md"), None);
    }

    #[test]
    fn published_urls() {
        let permalink = FrontMatter {
            permalink: Some("questions/c/".into()),
            ..FrontMatter::default()
        };
        let routes = routes(
            &[
                plain("articles/_faq/x.md"),
                plain("faq/index.md"),
                plain("about.md"),
                ("c.md", permalink),
            ],
            "articles",
        );
        let url = |page: &str| routes.published_at.get(page).map(String::as_str);
        assert_eq!(url("articles/_faq/x.md"), Some("/faq/x.html"));
        assert_eq!(url("faq/index.md"), Some("/faq/"));
        assert_eq!(url("about.md"), Some("/about.html"));
        assert_eq!(url("c.md"), Some("/questions/c/"));
    }

    #[test]
    fn relative_links() {
        let routes = routes(
            &[
                plain("_faq/citoyen.md"),
                plain("_faq/producteur.md"),
                plain("about.md"),
            ],
            "",
        );
        let from = "_faq/citoyen.md";
        assert_eq!(
            routes.resolve_relative(from, "producteur.md"),
            Some("_faq/producteur.md")
        );
        assert_eq!(
            routes.resolve_relative(from, "producteur.html"),
            Some("_faq/producteur.md")
        );
        assert_eq!(
            routes.resolve_relative(from, "../about.md"),
            Some("about.md")
        );
        assert_eq!(
            routes.resolve_relative(from, "../about.html"),
            Some("about.md")
        );
        assert_eq!(
            routes.resolve_relative(from, "{{ site.baseurl }}/faq/producteur/"),
            Some("_faq/producteur.md")
        );
        assert_eq!(routes.resolve_relative(from, "/about.md"), Some("about.md"));
        assert_eq!(routes.resolve_relative(from, "../../../etc/passwd"), None);
        assert_eq!(routes.resolve_relative(from, "missing.md"), None);
    }

    #[test]
    fn suggestions_are_close_page_paths() {
        let routes = routes(
            &[
                plain("faqs/citizen.md"),
                plain("faqs/producer.md"),
                plain("about.md"),
            ],
            "",
        );
        let suggestions = routes.suggest("faq/citizen", 3);
        assert_eq!(
            suggestions.first().map(String::as_str),
            Some("faqs/citizen.md")
        );
        assert!(!suggestions.iter().any(|s| s == "about.md"));
    }
}
