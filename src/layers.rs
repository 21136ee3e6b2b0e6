//! The layer order of the crate, checked: a module may name (`crate::…`, `super::…`) only
//! modules of a lower layer, or its own top-level module. A module reaching up, or two
//! modules naming each other, fails `cargo test`, so the architecture cannot drift silently.
//! ARCHITECTURE.md shows the same order.

/// Bottom to top. Modules on one line are peers: they may not name each other.
pub const LAYERS: &[&[&str]] = &[
    &["diag", "url", "markup", "jobs"],
    &["labels", "format"],
    &["ir"],
    &["corpus"],
    &["read"],
    &["theme", "select"],
    // `write` here is write/mod.rs alone: the context every writer takes.
    &["write"],
    &["write::body", "write::fonts", "write::svg"],
    // The passes and the writers are peers: a writer reads what the passes made, never calls them.
    &["passes", "write::html", "write::epub", "write::pdf"],
    &["manifest"],
    &["settings"],
    &["output"],
    &["lib"],
];

/// The layer and name of the module a source file belongs to (`write/pdf/layout.rs` →
/// `write::pdf`), the most specific listed.
fn module_of(file: &str) -> Option<(usize, &'static str)> {
    let path = file.trim_end_matches(".rs").replace('/', "::");
    let path = path.trim_end_matches("::mod");
    LAYERS
        .iter()
        .enumerate()
        .flat_map(|(layer, modules)| modules.iter().map(move |m| (layer, *m)))
        .filter(|(_, m)| path == *m || path.starts_with(&format!("{m}::")))
        .max_by_key(|(_, m)| m.len())
}

/// Every `crate::a::b` and `super::…` path named in the code of `file` (comments left out),
/// as an absolute `a::b`.
fn named_paths(file: &str, source: &str) -> Vec<String> {
    let own = file.trim_end_matches(".rs").replace('/', "::");
    let own: Vec<&str> = own.trim_end_matches("::mod").split("::").collect();
    let mut paths = Vec::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        for (at, _) in code
            .match_indices("crate::")
            .chain(code.match_indices("super::"))
        {
            // `super::super::x` is read once, from its first `super`.
            if code[..at].ends_with("super::")
                || code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
            {
                continue;
            }
            let path: String = code[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let mut parts: Vec<&str> = path.trim_end_matches(':').split("::").collect();
            let absolute = if parts[0] == "crate" {
                parts.remove(0);
                parts
            } else {
                let ups = parts.iter().take_while(|p| **p == "super").count();
                let mut base: Vec<&str> = own[..own.len().saturating_sub(ups)].to_vec();
                base.extend(&parts[ups..]);
                base
            };
            paths.push(absolute.join("::"));
        }
    }
    paths
}

/// Violations in `files` (path relative to `src/`, text): `file: names target (layer a > b)`.
pub fn violations(files: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (file, source) in files {
        let Some((layer, module)) = module_of(file) else {
            continue;
        };
        for path in named_paths(file, source) {
            let Some((target_layer, target)) = module_of(&path.replace("::", "/")) else {
                continue;
            };
            let same_module = target == module || path.starts_with(&format!("{module}::"));
            if !same_module && target_layer >= layer {
                found.push(format!(
                    "{file} ({module}, layer {layer}) names crate::{path} ({target}, layer {target_layer})"
                ));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        let mut pending = vec![root.clone()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let rel = path
                        .strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    files.push((rel, std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
        files.sort();
        files
    }

    #[test]
    fn no_module_names_one_of_its_own_layer_or_above() {
        let found = violations(&sources());
        assert!(
            found.is_empty(),
            "modules reaching up:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn the_check_catches_an_arrow_up_and_a_peer() {
        let files = vec![
            ("labels.rs".to_string(), "use crate::corpus::X;".to_string()),
            (
                "write/epub/mod.rs".into(),
                "use crate::write::pdf::FontSet;".into(),
            ),
            (
                "write/pdf/mod.rs".into(),
                "use crate::write::pdf::x; // crate::output".into(),
            ),
            (
                "write/pdf/layout.rs".into(),
                "use super::super::fonts::X; use super::super::Format;".into(),
            ),
            ("write/html/mod.rs".into(), "use super::epub::X;".into()),
            (
                "write/pdf/serialize.rs".into(),
                "let r = crate::passes::svg::rasterize(x);".into(),
            ),
            (
                "read/mod.rs".into(),
                "use crate::corpus::Corpus; use crate::ir::Block;".into(),
            ),
        ];
        let found = violations(&files);
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(found[0].starts_with("labels.rs"));
        assert!(found[1].starts_with("write/epub/mod.rs"));
        assert!(found[2].starts_with("write/html/mod.rs"));
        assert!(found[3].starts_with("write/pdf/serialize.rs"));
    }
}
