//! Every input the fuzzers found a crash with, replayed through the same code path
//! (`fuzz/src/lib.rs`, included below): none may panic again.
//!
//! Inputs live in `tests/fixtures/fuzz/<target>-<short-name>.bin`. To replay a whole folder
//! (e.g. `fuzz/artifacts/pipeline/` after a run):
//! `LIVRET_FUZZ_REPLAY=fuzz/artifacts/pipeline cargo test --test it fuzz_regressions replay`.

#[path = "../../fuzz/src/lib.rs"]
mod harness;

use std::path::{Path, PathBuf};

const FIXTURES: &str = "tests/fixtures/fuzz";

fn inputs(folder: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| {
                    path.file_name()
                        .and_then(|name| name.to_str())
                        .is_some_and(|name| name.starts_with(prefix))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

fn replay_files(target: &str, files: &[PathBuf]) {
    for file in files {
        let data = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        eprintln!("replaying {}", file.display());
        match target {
            "pipeline" => {
                let dir = harness::scratch_dir();
                harness::run_pipeline(&data, dir.path());
            }
            "front_matter" => harness::run_front_matter(&data),
            _ => panic!("unknown fuzz target {target}"),
        }
    }
}

#[test]
fn front_matter_regressions() {
    let files = inputs(Path::new(FIXTURES), "front_matter-");
    assert!(!files.is_empty(), "no front_matter fixture in {FIXTURES}");
    replay_files("front_matter", &files);
}

#[test]
fn pipeline_regressions() {
    let files = inputs(Path::new(FIXTURES), "pipeline-");
    replay_files("pipeline", &files);
}

/// Replays every file of `LIVRET_FUZZ_REPLAY` (a folder named after its target, as cargo-fuzz
/// makes them: `fuzz/artifacts/<target>`); does nothing when unset.
#[test]
fn replay() {
    let Some(folder) = std::env::var_os("LIVRET_FUZZ_REPLAY").map(PathBuf::from) else {
        return;
    };
    let target = folder
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default()
        .to_string();
    replay_files(&target, &inputs(&folder, ""));
}

/// The pipeline harness itself: an input names page A's front matter and body, page B, and
/// an image; the book has a chapter per page.
#[test]
fn pipeline_input_layout() {
    let input =
        harness::split_pipeline_input(b"title: A\0# Body\0---\ntitle: B\n---\nb\0\x89PNG\0x");
    assert_eq!(input.front, b"title: A");
    assert_eq!(input.body, b"# Body");
    assert_eq!(input.second_page, Some(&b"---\ntitle: B\n---\nb"[..]));
    assert_eq!(input.image, Some(&b"\x89PNG\0x"[..]));

    let dir = harness::scratch_dir();
    harness::write_corpus(
        b"title: A\0# A\n\ntext\0---\ntitle: B\n---\n# B\n",
        dir.path(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut diags = livret::diag::Diagnostics::new();
    let (corpus, doc) =
        livret::load_document(dir.path(), &mut diags).unwrap_or_else(|e| panic!("{e}"));
    let slugs: Vec<&str> = corpus.personas.iter().map(|p| p.slug.as_str()).collect();
    assert_eq!(slugs, ["a", "b"]);
    assert!(doc.chapters.len() >= 2);
    // The harness reaches the writers' real work, not an early error.
    let ctx = livret::write::WriteContext {
        theme: livret::theme::Theme::default(),
        build_time: 0,
        version: livret::VERSION,
        jobs: 1,
    };
    for format in [livret::write::Format::Html, livret::write::Format::Epub] {
        let bytes = livret::write_format(format, &doc, &ctx, &mut diags)
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert!(bytes.len() > 1000, "{format:?}");
    }
    // A shorter input removes the previous one's second page and image.
    harness::write_corpus(b"title: A\0text", dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert!(!dir.path().join("faq/b.md").exists());
    assert!(!dir.path().join("img/a.png").exists());
}
