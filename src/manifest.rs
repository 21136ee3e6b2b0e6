//! `out/manifest.json`: what a release attaches and checks — every artifact with its SHA-256,
//! the livret version, and a digest of the corpus the artifacts were built from.

use crate::diag::{Error, Result};
use crate::write::Format;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::Path;

pub const FILE_NAME: &str = "manifest.json";
/// What a manifest (and the output folder's journal) of livret's says it is.
pub const GENERATOR: &str = "livret";

/// Version of the manifest's layout; with `generator` it signs the file as livret's.
pub const MANIFEST_VERSION: u32 = 2;

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// Always `livret`: livret touches only files a manifest signed so lists.
    pub generator: &'static str,
    pub manifest_version: u32,
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
    /// BCP 47 tag of the artifact's language.
    pub language: String,
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

/// Digest of the files a book was built from (`files`, relative to `root`, `/` separators):
/// sorted paths and contents, each file streamed (never held whole in memory). Output folders,
/// pages nobody reads and unused files play no part, so the digest changes only with the book.
pub fn corpus_digest(root: &Path, files: &[String]) -> Result<String> {
    let mut files: Vec<&String> = files.iter().collect();
    files.sort();
    files.dedup();
    let mut hasher = Sha256::new();
    for rel in files {
        let path = root.join(rel);
        let mut file = crate::corpus::open_regular(&path)?;
        hasher.update(rel.as_bytes());
        hasher.update([0]);
        let mut length = 0u64;
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let read =
                std::io::Read::read(&mut file, &mut buffer).map_err(|e| Error::io(&path, e))?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
            length += read as u64;
        }
        hasher.update(length.to_le_bytes());
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
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
    fn digest_changes_with_the_files_named_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.md"), "a").unwrap();
        let files = vec!["index.md".to_string()];
        let first = corpus_digest(dir.path(), &files).unwrap();
        std::fs::write(dir.path().join("unused.bin"), "noise").unwrap();
        assert_eq!(corpus_digest(dir.path(), &files).unwrap(), first);
        std::fs::write(dir.path().join("index.md"), "b").unwrap();
        assert_ne!(corpus_digest(dir.path(), &files).unwrap(), first);
    }

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
