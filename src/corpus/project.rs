//! Where the corpus is: the folder given, or its `content/` when the folder given is a project
//! (the layout `livret init` makes: `livret.toml`, `content/`, `out/` side by side, as mdBook's
//! `book.toml` beside `src/`).

use std::path::{Path, PathBuf};

/// The corpus folder inside a project folder.
pub const CONTENT_DIR: &str = "content";

/// The corpus to read, and the project folder holding it when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The corpus root: site-absolute paths (`/img/x.png`) resolve against it.
    pub corpus_dir: PathBuf,
    /// The project folder: its `livret.toml` is read, and the default output folder, `out` and
    /// `theme` of livret.toml are relative to it.
    pub project_dir: Option<PathBuf>,
}

/// The folder `given` on the command line (`None`: the current folder's `content/`).
/// A folder holding a `content/` folder and either a `livret.toml` or no Markdown page of its
/// own (a README, a licence or a changelog aside) is a project; any other folder is the corpus
/// itself, as before.
pub fn locate(given: Option<&Path>) -> Located {
    let Some(dir) = given else {
        return Located {
            corpus_dir: PathBuf::from(CONTENT_DIR),
            project_dir: Some(PathBuf::from(".")),
        };
    };
    if dir.join(CONTENT_DIR).is_dir() && (dir.join("livret.toml").is_file() || !holds_pages(dir)) {
        Located {
            corpus_dir: dir.join(CONTENT_DIR),
            project_dir: Some(dir.to_path_buf()),
        }
    } else {
        Located {
            corpus_dir: dir.to_path_buf(),
            project_dir: None,
        }
    }
}

/// `rel` inside the project folder (`rel` alone for `.`, so messages say `out/`, not `./out/`).
pub fn in_project(project_dir: &Path, rel: &Path) -> PathBuf {
    if project_dir == Path::new(".") || rel.is_absolute() {
        rel.to_path_buf()
    } else {
        project_dir.join(rel)
    }
}

/// `dir` has a Markdown page at its top level that is not a README, licence or the like.
fn holds_pages(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let name = entry.file_name().to_string_lossy().to_lowercase();
        let stem = name.split('.').next().unwrap_or_default();
        super::walk::is_markdown(&name)
            && !name.starts_with('.')
            && !super::load::NOT_CONTENT.contains(&stem)
            && entry.file_type().is_ok_and(|t| !t.is_dir())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn a_folder_with_content_and_no_page_of_its_own_is_a_project() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir(root.join("content")).unwrap();
        fs::write(root.join("README.md"), "# hello").unwrap();
        fs::write(root.join("LICENSE.md"), "MIT").unwrap();
        let found = locate(Some(root));
        assert_eq!(found.corpus_dir, root.join("content"));
        assert_eq!(found.project_dir.as_deref(), Some(root));

        // A page of its own: the folder is the corpus (its content/ is a folder of pages)...
        fs::write(root.join("notes.md"), "# Notes\n").unwrap();
        assert_eq!(locate(Some(root)).project_dir, None);
        assert_eq!(locate(Some(root)).corpus_dir, root);
        // ...unless a livret.toml beside content/ says it is a project (a repository's docs).
        fs::write(root.join("livret.toml"), "").unwrap();
        assert_eq!(locate(Some(root)).project_dir.as_deref(), Some(root));

        let bare = tempfile::tempdir().unwrap();
        assert_eq!(locate(Some(bare.path())).project_dir, None);
        assert_eq!(
            locate(None).corpus_dir,
            PathBuf::from("content"),
            "no folder given: the current folder's content/"
        );
        assert_eq!(
            in_project(Path::new("."), Path::new("out")),
            PathBuf::from("out")
        );
        assert_eq!(
            in_project(Path::new("p"), Path::new("out")),
            PathBuf::from("p/out")
        );
    }
}
