//! The real binary on real corpora: exit codes, diagnostics, files written (or not).

mod common;

use common::{fixture, livret, repo};
use std::path::Path;
use std::process::Output;

fn run(cwd: &Path, args: &[&str]) -> Output {
    livret(cwd)
        .args(args)
        .output()
        .expect("the livret binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn build_writes_every_format_of_the_default_corpus() {
    let out = tempfile::tempdir().unwrap();
    let o = run(&repo(), &["build", "-o", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    for ext in ["html", "epub", "pdf"] {
        let path = out.path().join(format!("decouvrir-l-opendata.{ext}"));
        assert!(
            path.metadata().map(|m| m.len() > 1000).unwrap_or(false),
            "{} missing or tiny",
            path.display()
        );
        assert!(
            stdout(&o).contains(&format!("decouvrir-l-opendata.{ext}")),
            "one line per artifact: {}",
            stdout(&o)
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn check_passes_on_the_default_corpus_and_lists_its_chapters() {
    let o = run(&repo(), &["check", "--strict"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let order: Vec<usize> = [
        "introduction",
        "citoyen",
        "producteur",
        "reutilisateur",
        "developpeur",
        "integrateur",
        "appendix",
    ]
    .iter()
    .map(|word| {
        text.find(word)
            .unwrap_or_else(|| panic!("`{word}` not listed by check: {text}"))
    })
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "chapters out of order: {text}"
    );
}

#[test]
fn good_fixtures_check_clean() {
    for name in ["compact-buttons", "collections-dir", "script-injection"] {
        let o = run(&repo(), &["check", fixture(name).to_str().unwrap()]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
    }
}

fn assert_content_error(name: &str, dir: &Path, expected: &[&str]) {
    let o = run(&repo(), &["check", dir.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{name}: exit code; stderr: {}",
        stderr(&o)
    );
    let err = stderr(&o);
    for phrase in expected {
        assert!(
            err.contains(phrase),
            "{name}: `{phrase}` not in stderr:\n{err}"
        );
    }
}

#[test]
fn buttons_that_match_no_page_say_did_you_mean() {
    assert_content_error(
        "bad-buttons",
        &fixture("bad-buttons"),
        &["error:", "did you mean", "faq/citoyen.md"],
    );
}

#[test]
fn malformed_yaml_points_at_the_page_line() {
    assert_content_error(
        "bad-yaml",
        &fixture("bad-yaml"),
        &["index.md:5:19: error:", "YAML"],
    );
}

#[test]
fn a_missing_image_is_an_error() {
    assert_content_error(
        "missing-image",
        &fixture("missing-image"),
        &["error:", "absent.png"],
    );
}

#[test]
fn an_image_escaping_the_root_is_an_error() {
    assert_content_error(
        "escaping-image",
        &fixture("escaping-image/corpus"),
        &["error:", "secret.png"],
    );
}

#[test]
fn a_failed_build_leaves_the_previous_artifacts_intact() {
    let out = tempfile::tempdir().unwrap();
    let previous = out.path().join("decouvrir-l-opendata.html");
    std::fs::write(&previous, "previous good build").unwrap();
    let o = run(
        &repo(),
        &[
            "build",
            fixture("missing-image").to_str().unwrap(),
            "-o",
            out.path().to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&previous).unwrap(),
        "previous good build"
    );
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        1,
        "nothing else written"
    );
}

#[test]
fn usage_errors_exit_2() {
    let o = run(&repo(), &["build", "-f", "docx"]);
    assert_eq!(o.status.code(), Some(2));
    let out = tempfile::tempdir().unwrap();
    let o = run(
        &repo(),
        &[
            "build",
            "--persona",
            "astronaute",
            "-o",
            out.path().to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("producteur"),
        "lists the known personas: {}",
        stderr(&o)
    );
    let o = run(&repo(), &["check", "/nonexistent/corpus"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn persona_and_split_select_chapters() {
    let out = tempfile::tempdir().unwrap();
    let o = run(
        &repo(),
        &[
            "build",
            "-f",
            "html",
            "--persona",
            "producteur",
            "--split",
            "-o",
            out.path().to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // A selection has its own stem (issue 12): it never overwrites the whole book's file.
    assert!(!out.path().join("decouvrir-l-opendata.html").exists());
    let whole =
        std::fs::read_to_string(out.path().join("decouvrir-l-opendata-producteur.html")).unwrap();
    let html = scraper::Html::parse_document(&whole);
    let sections = scraper::Selector::parse("section.chapter").unwrap();
    let ids: Vec<_> = html
        .select(&sections)
        .filter_map(|s| s.value().id())
        .collect();
    assert_eq!(ids, ["introduction", "producteur"]);
    assert!(
        !out.path()
            .join("decouvrir-l-opendata-citoyen.html")
            .exists(),
        "--persona limits --split too"
    );
}

#[test]
fn check_json_prints_one_diagnostic_per_line() {
    let o = run(
        &repo(),
        &[
            "check",
            "--format",
            "json",
            fixture("bad-buttons").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(!lines.is_empty());
    assert!(
        lines
            .iter()
            .all(|d| d["severity"] == "error" || d["severity"] == "warning")
    );
    assert!(lines.iter().any(|d| d["line"].as_u64().unwrap_or(0) > 0));
}

#[test]
fn a_diagnostic_shows_the_page_line_with_a_caret() {
    let o = run(&repo(), &["check", fixture("bad-yaml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.ends_with("index.md:5:19: error: invalid YAML front matter: mapping values are not allowed in this context"))
        .unwrap_or_else(|| panic!("no YAML error in:\n{err}"));
    assert_eq!(lines[at + 1], "  |");
    assert_eq!(
        lines[at + 2],
        "5 | summary: Attention: ce résumé contient un deux-points non protégé"
    );
    assert_eq!(lines[at + 3], format!("  | {}^", " ".repeat(18)));
    // JSON lines stay one object per line.
    let o = run(
        &repo(),
        &[
            "check",
            "--format",
            "json",
            fixture("bad-yaml").to_str().unwrap(),
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.lines().all(|l| l.starts_with('{')), "{out}");
}
