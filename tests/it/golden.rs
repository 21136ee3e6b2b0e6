//! Reader goldens (the IR of each good corpus, as `livret dump-ir` prints it) and the HTML golden
//! of the default corpus. `LIVRET_UPDATE_GOLDEN=1 cargo test --test it golden` rewrites them; review
//! the diff before committing.

use crate::common;

use common::{fixture, repo};
use livret::diag::Diagnostics;
use livret::write::{Format, WriteContext};
use std::path::Path;

fn compare_or_update(golden: &Path, actual: &str) {
    if std::env::var_os("LIVRET_UPDATE_GOLDEN").is_some() {
        std::fs::write(golden, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(golden).unwrap_or_else(|_| {
        panic!(
            "{} missing: run with LIVRET_UPDATE_GOLDEN=1",
            golden.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output at line {}:\n  golden: {:?}\n  actual: {:?}\n(LIVRET_UPDATE_GOLDEN=1 rewrites it)",
            golden.display(),
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

fn ir_json(dir: &Path) -> String {
    let mut diags = Diagnostics::new();
    let (_, doc) = livret::load_document(dir, &mut diags).expect("corpus loads");
    assert!(!diags.has_errors(), "{:?}", diags.items());
    serde_json::to_string_pretty(&doc).unwrap() + "\n"
}

#[test]
fn reader_goldens() {
    // Run from the repository root so diagnostics and paths are stable.
    for (name, dir) in [
        ("default", repo().join("content")),
        ("compact-buttons", fixture("compact-buttons")),
        ("collections-dir", fixture("collections-dir")),
        ("script-injection", fixture("script-injection")),
    ] {
        compare_or_update(
            &repo().join(format!("tests/golden/{name}.ir.json")),
            &ir_json(&dir),
        );
    }
}

#[test]
fn html_golden_of_the_default_corpus() {
    let mut diags = Diagnostics::new();
    let (_, doc) = livret::load_document(&repo().join("content"), &mut diags).unwrap();
    let ctx = WriteContext {
        theme: Default::default(),
        build_time: 1_700_000_000,
        version: "golden",
        jobs: 2,
    };
    let html = livret::write_format(Format::Html, &doc, &ctx, &mut diags).unwrap();
    compare_or_update(
        &repo().join("tests/golden/default.html"),
        &String::from_utf8(html).unwrap(),
    );
}
