//! Writers in parallel (`-j`): the same bytes and the same diagnostics, in the same order, as a
//! build on one thread; `-j 0` and `jobs = 0` are refused.

use crate::common;

use common::{fixture, livret, names_in, repo};
use std::path::Path;
use std::process::Output;

fn run(cwd: &Path, args: &[&str]) -> Output {
    livret(cwd)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(args)
        .output()
        .expect("the livret binary runs")
}

/// Builds `corpus` with `-j 1` and `-j 4` (plus `extra`) and asserts the two folders hold the
/// same files with the same bytes; returns how many files that was.
fn same_bytes_with_one_and_four_jobs(corpus: &Path, extra: &[&str]) -> usize {
    let outs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for (out, jobs) in outs.iter().zip(["1", "4"]) {
        let mut args = vec!["-q", "build", corpus.to_str().unwrap()];
        args.extend(["-o", out.path().to_str().unwrap(), "-j", jobs]);
        args.extend(extra);
        let o = run(&repo(), &args);
        assert!(
            o.status.success(),
            "{} -j {jobs}: {}",
            corpus.display(),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let names = names_in(outs[0].path());
    assert_eq!(names, names_in(outs[1].path()), "{}", corpus.display());
    for name in &names {
        let one = std::fs::read(outs[0].path().join(name)).unwrap();
        let four = std::fs::read(outs[1].path().join(name)).unwrap();
        assert!(
            one == four,
            "{}: {name} differs between -j 1 and -j 4",
            corpus.display()
        );
    }
    names.len()
}

#[test]
fn four_jobs_write_the_bytes_one_job_writes() {
    let content = repo().join("content");
    // The book in three formats, then with its five handouts: 3 + manifest, 18 + manifest.
    assert_eq!(same_bytes_with_one_and_four_jobs(&content, &[]), 4);
    assert_eq!(
        same_bytes_with_one_and_four_jobs(&content, &["--split"]),
        19
    );
    // Every good fixture (tests/fixtures/README.md), with its handouts.
    for name in common::GOOD_FIXTURES {
        let files = same_bytes_with_one_and_four_jobs(&fixture(name), &["--split"]);
        assert!(files >= 4, "{name}: {files} files");
    }
}

#[test]
fn diagnostics_come_in_the_same_order_with_one_and_four_jobs() {
    // Warnings from the reader (a script) and from the PDF writer (characters its fonts lack)
    // in two chapters, each found again in the handouts.
    let dir = tempfile::tempdir().unwrap();
    assert!(run(dir.path(), &["init", "."]).status.success());
    for (page, extra) in [
        (
            "newcomer",
            "\nIn Japanese: 漢字かな.\n\n<script>alert(1)</script>\n",
        ),
        ("contributor", "\nIn Korean: 한국어 and Thai: ภาษาไทย.\n"),
    ] {
        let path = dir.path().join(format!("content/_faq/{page}.md"));
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(extra);
        std::fs::write(&path, text).unwrap();
    }
    let check = |jobs: &str, format: &str| {
        let o = run(
            dir.path(),
            &["check", "--split", "--diagnostics", format, "-j", jobs],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        (
            String::from_utf8(o.stdout).unwrap(),
            String::from_utf8(o.stderr).unwrap(),
        )
    };
    let one = check("1", "json");
    let paths: Vec<String> = one
        .0
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|d| d["kind"] == "missing-glyph")
        .map(|d| d["path"].as_str().unwrap().to_string())
        .collect();
    assert!(
        paths.iter().any(|p| p.ends_with("newcomer.md"))
            && paths.iter().any(|p| p.ends_with("contributor.md")),
        "{}",
        one.0
    );
    assert!(one.0.contains("script"), "{}", one.0);
    for _ in 0..3 {
        assert_eq!(check("4", "json"), one);
    }
    assert_eq!(check("4", "text"), check("1", "text"));
}

#[test]
fn zero_jobs_is_a_usage_error() {
    let content = repo().join("content");
    let out = tempfile::tempdir().unwrap();
    for flag in ["-j", "--jobs"] {
        let o = run(
            &repo(),
            &[
                "build",
                content.to_str().unwrap(),
                "-o",
                out.path().to_str().unwrap(),
                flag,
                "0",
            ],
        );
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let dir = tempfile::tempdir().unwrap();
    assert!(run(dir.path(), &["init", "."]).status.success());
    let toml = dir.path().join("livret.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push_str("jobs = 0\n");
    std::fs::write(&toml, &text).unwrap();
    for command in ["build", "check"] {
        let o = run(dir.path(), &[command]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{command}: {stderr}");
        assert!(stderr.contains("jobs"), "{stderr}");
    }
    assert!(!dir.path().join("out").exists());
    // `jobs = 2` is taken, and the command line wins over it.
    std::fs::write(&toml, text.replace("jobs = 0", "jobs = 2")).unwrap();
    assert!(run(dir.path(), &["-q", "build"]).status.success());
    assert!(
        run(dir.path(), &["-q", "build", "-j", "1"])
            .status
            .success()
    );
}
