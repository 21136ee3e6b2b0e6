//! `out/manifest.json`: what a release attaches and checks — every artifact with its SHA-256,
//! the livret version, and a digest of the corpus the artifacts were built from.

use crate::diag::{Error, Result};
use crate::write::Format;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::Path;

pub const FILE_NAME: &str = "manifest.json";

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub livret_version: String,
    /// `SOURCE_DATE_EPOCH` the artifacts carry as their date.
    pub build_time: i64,
    /// SHA-256 over the corpus's input files (sorted paths and contents).
    pub corpus_sha256: String,
    pub artifacts: Vec<ManifestEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ManifestEntry {
    /// Relative to the output directory.
    pub path: String,
    pub format: Format,
    pub personas: Vec<String>,
    pub bytes: u64,
    pub sha256: String,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Digest of every regular file under `root` that can feed a build (hidden entries and Jekyll's
/// generated `_site/` skipped), in sorted path order; symlinks are not followed.
pub fn corpus_digest(root: &Path) -> Result<String> {
    let mut files = Vec::new();
    collect_files(root, root, &mut files)?;
    files.sort();
    let mut hasher = Sha256::new();
    for rel in &files {
        let bytes = std::fs::read(root.join(rel)).map_err(|e| Error::io(root.join(rel), e))?;
        hasher.update(rel.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn collect_files(root: &Path, dir: &Path, files: &mut Vec<String>) -> Result<()> {
    // An explicit stack: a deep tree must not deepen ours.
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name == "_site" {
                continue;
            }
            let kind = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                let rel = entry
                    .path()
                    .strip_prefix(root)
                    .unwrap_or(&entry.path())
                    .to_string_lossy()
                    .replace('\\', "/");
                files.push(rel);
            }
        }
    }
    Ok(())
}

impl Manifest {
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_changes_with_content_and_ignores_hidden_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.md"), "a").unwrap();
        let first = corpus_digest(dir.path()).unwrap();
        std::fs::write(dir.path().join(".DS_Store"), "noise").unwrap();
        assert_eq!(corpus_digest(dir.path()).unwrap(), first);
        std::fs::write(dir.path().join("index.md"), "b").unwrap();
        assert_ne!(corpus_digest(dir.path()).unwrap(), first);
    }

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
