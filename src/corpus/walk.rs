//! Finding the Markdown pages of a corpus: sorted walk, site folders skipped, symlinks never
//! followed out of the root.

use super::display_path;
use crate::diag::{Diagnostics, Error, Result};
use std::path::Path;

/// Folders that hold no page of the book (Jekyll output, templates, dependencies, build output).
const SKIPPED_DIRS: [&str; 7] = [
    "_site",
    "_includes",
    "_layouts",
    "vendor",
    "node_modules",
    "out",
    "target",
];

pub fn is_markdown(name: &str) -> bool {
    let lower = name.to_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

/// Relative paths (`/` separators) of the Markdown files under `root`, sorted.
pub fn markdown_files(root: &Path, diags: &mut Diagnostics) -> Result<Vec<String>> {
    let canonical_root = root.canonicalize().map_err(|e| Error::io(root, e))?;
    let mut found = Vec::new();
    // Iterative, depth-first, children pushed in reverse so they pop in sorted order.
    let mut pending = vec![String::new()];
    while let Some(dir) = pending.pop() {
        let dir_path = root.join(&dir);
        let entries = std::fs::read_dir(&dir_path).map_err(|e| Error::io(&dir_path, e))?;
        let mut children = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir_path, e))?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                diags.warning(
                    display_path(root, &dir),
                    0,
                    0,
                    format!(
                        "file name {:?} is not UTF-8; skipped",
                        entry.file_name().to_string_lossy()
                    ),
                );
                continue;
            };
            children.push((name, entry));
        }
        children.sort_by(|a, b| a.0.cmp(&b.0));
        let mut subdirs = Vec::new();
        for (name, entry) in children {
            let rel = if dir.is_empty() {
                name.clone()
            } else {
                format!("{dir}/{name}")
            };
            let file_type = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
            let is_dir = if file_type.is_symlink() {
                match entry.path().canonicalize() {
                    Ok(target) if target.starts_with(&canonical_root) => {
                        // A link to a folder inside the root only repeats pages (and may loop).
                        if target.is_dir() {
                            continue;
                        }
                        false
                    }
                    Ok(_) => {
                        if is_markdown(&name) || target_is_dir(&entry) {
                            diags.warning(
                                display_path(root, &rel),
                                0,
                                0,
                                "symbolic link to outside the corpus; not followed",
                            );
                        }
                        continue;
                    }
                    Err(_) => continue,
                }
            } else {
                file_type.is_dir()
            };
            if is_dir {
                if !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_str()) {
                    subdirs.push(rel);
                }
            } else if is_markdown(&name) && !name.starts_with('.') {
                found.push(rel);
            }
        }
        pending.extend(subdirs.into_iter().rev());
    }
    found.sort();
    Ok(found)
}

fn target_is_dir(entry: &std::fs::DirEntry) -> bool {
    std::fs::metadata(entry.path()).is_ok_and(|meta| meta.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn sorted_skipping_site_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for path in [
            "index.md",
            "_faq/b.md",
            "_faq/a.markdown",
            "_faq/notes.txt",
            "_site/faq/a.md",
            "_includes/x.md",
            "_layouts/x.md",
            "vendor/x.md",
            "node_modules/x.md",
            ".git/x.md",
            "out/x.md",
            "target/x.md",
            "légales.md",
        ] {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, "x").unwrap();
        }
        let mut diags = Diagnostics::new();
        let files = markdown_files(root, &mut diags).unwrap();
        assert_eq!(
            files,
            vec!["_faq/a.markdown", "_faq/b.md", "index.md", "légales.md"]
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_the_root_are_not_followed() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret.md"), "x").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("index.md"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.md"), root.join("s.md")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(root.join("index.md"), root.join("alias.md")).unwrap();
        std::os::unix::fs::symlink(root, root.join("loop")).unwrap();
        let mut diags = Diagnostics::new();
        let files = markdown_files(root, &mut diags).unwrap();
        assert_eq!(files, vec!["alias.md", "index.md"]);
        assert_eq!(diags.warning_count(), 2);
    }

    #[test]
    fn missing_root_is_an_io_error() {
        let mut diags = Diagnostics::new();
        let result = markdown_files(Path::new("/nonexistent/livret"), &mut diags);
        assert!(matches!(result, Err(Error::Io { .. })));
    }
}
