//! Real validators on real builds: epubcheck on every EPUB, `qpdf --check` and `pdffonts` on every
//! PDF, for the default corpus (whole and `--split`), every good fixture, and the bench
//! generator's scale-10 corpus.

use crate::common;

use common::{build_into, epubcheck, fixture, qpdf_and_pdffonts, repo};
use std::path::Path;

fn build_and_validate(corpus: &Path, extra: &[&str]) -> usize {
    let (_out, files) = build_into(corpus, "epub,pdf", extra);
    for path in &files {
        match path.extension().and_then(|e| e.to_str()) {
            Some("epub") => epubcheck(path),
            _ => qpdf_and_pdffonts(path),
        }
    }
    files.len()
}

#[test]
fn default_corpus_whole_and_split() {
    // The book and five handouts, in both formats.
    assert_eq!(
        build_and_validate(&repo().join("content"), &["--split"]),
        12
    );
}

#[test]
fn good_fixtures() {
    for name in ["compact-buttons", "collections-dir", "script-injection"] {
        assert_eq!(build_and_validate(&fixture(name), &[]), 2, "{name}");
    }
}

#[test]
fn generated_corpus_at_scale_10() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    if !common::generated_corpus(10, &corpus) {
        return;
    }
    assert_eq!(build_and_validate(&corpus, &[]), 2);
}
