//! Finding the Markdown pages of a corpus: sorted walk, site folders skipped, symlinks never
//! followed out of the root.

use super::display_path;
use super::source::file_kind;
use crate::diag::{Diagnostics, Error, Result};
use std::path::{Path, PathBuf};

/// Folders deeper than this under the root are not searched for pages (a warning says so).
pub const MAX_FOLDER_DEPTH: usize = 64;

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

/// Relative paths (`/` separators) of the Markdown files under `root`, sorted. Folders in
/// `excluded` (canonical paths: the output folder) are never entered. Only regular files (or
/// links to them inside the root) are pages; a FIFO, socket or device named `.md` is skipped
/// with a warning. A folder that cannot be read, or lies deeper than `MAX_FOLDER_DEPTH`, is
/// skipped with a warning (the root itself must be readable).
pub fn markdown_files(
    root: &Path,
    excluded: &[PathBuf],
    diags: &mut Diagnostics,
) -> Result<Vec<String>> {
    let canonical_root = root.canonicalize().map_err(|e| Error::io(root, e))?;
    let mut found = Vec::new();
    // Iterative, depth-first, children pushed in reverse so they pop in sorted order.
    let mut pending = vec![(String::new(), 0usize)];
    while let Some((dir, depth)) = pending.pop() {
        let dir_path = root.join(&dir);
        let entries = match std::fs::read_dir(&dir_path) {
            Ok(entries) => entries,
            Err(e) if dir.is_empty() => return Err(Error::io(&dir_path, e)),
            Err(e) => {
                diags.warning(
                    display_path(root, &dir),
                    0,
                    0,
                    format!("folder not searched for pages: {e}"),
                );
                continue;
            }
        };
        let mut children = Vec::new();
        for entry in entries {
            let Ok(entry) = entry else {
                diags.warning(
                    display_path(root, &dir),
                    0,
                    0,
                    "an entry of this folder cannot be read; skipped",
                );
                continue;
            };
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
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            let is_dir = if file_type.is_symlink() {
                match entry.path().canonicalize() {
                    Ok(target) if target.starts_with(&canonical_root) => {
                        // A link to a folder inside the root only repeats pages (and may loop).
                        if target.is_dir() {
                            continue;
                        }
                        if is_markdown(&name) && !skip_unless_regular(root, &rel, &target, diags) {
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
                if name.starts_with('.') || SKIPPED_DIRS.contains(&name.as_str()) {
                    continue;
                }
                if !excluded.is_empty()
                    && entry
                        .path()
                        .canonicalize()
                        .is_ok_and(|path| excluded.contains(&path))
                {
                    continue;
                }
                if is_livret_output(&entry.path()) {
                    continue;
                }
                if depth + 1 > MAX_FOLDER_DEPTH {
                    diags.warning(
                        display_path(root, &dir),
                        0,
                        0,
                        format!(
                            "folders deeper than {MAX_FOLDER_DEPTH} levels are not searched for pages"
                        ),
                    );
                    continue;
                }
                subdirs.push((rel, depth + 1));
            } else if is_markdown(&name) && !name.starts_with('.') {
                if !file_type.is_symlink() && !file_type.is_file() {
                    if let Ok(meta) = entry.metadata() {
                        diags.warning(
                            display_path(root, &rel),
                            0,
                            0,
                            format!("{}, not a regular file: skipped", file_kind(&meta)),
                        );
                    }
                    continue;
                }
                found.push(rel);
            }
        }
        pending.extend(subdirs.into_iter().rev());
    }
    found.sort();
    Ok(found)
}

/// Whether `dir` is an output folder livret wrote (its `manifest.json` names a livret version):
/// whatever `-o` or `out` named it, what livret wrote is never read back as pages.
fn is_livret_output(dir: &Path) -> bool {
    use std::io::Read;
    let Ok((file, _)) = super::source::open_regular_file(&dir.join("manifest.json")) else {
        return false;
    };
    let mut head = Vec::new();
    if file.take(4096).read_to_end(&mut head).is_err() {
        return false;
    }
    String::from_utf8_lossy(&head).contains("\"livret_version\"")
}

/// Whether the link target `target` of page `rel` is a regular file; warns when it is not.
fn skip_unless_regular(root: &Path, rel: &str, target: &Path, diags: &mut Diagnostics) -> bool {
    match std::fs::metadata(target) {
        Ok(meta) if meta.is_file() => true,
        Ok(meta) => {
            diags.warning(
                display_path(root, rel),
                0,
                0,
                format!("links to {}, not a regular file: skipped", file_kind(&meta)),
            );
            false
        }
        Err(_) => false,
    }
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
        let files = markdown_files(root, &[], &mut diags).unwrap();
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
        let files = markdown_files(root, &[], &mut diags).unwrap();
        assert_eq!(files, vec!["alias.md", "index.md"]);
        assert_eq!(diags.warning_count(), 2);
    }

    #[test]
    fn missing_root_is_an_io_error() {
        let mut diags = Diagnostics::new();
        let result = markdown_files(Path::new("/nonexistent/livret"), &[], &mut diags);
        assert!(matches!(result, Err(Error::Io { .. })));
    }
}
