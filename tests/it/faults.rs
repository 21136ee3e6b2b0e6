//! Faults around the build: a killed build, two builds at once, an unwritable output, a broken
//! theme. The promise: previous artifacts stay intact, no partial file, a message naming the file.

use crate::common;

use common::{livret, repo};
use std::path::Path;
use std::time::Duration;

const BOOK: &str = "decouvrir-l-opendata";

fn build(out: &Path, extra: &[&str]) -> std::process::Output {
    livret(&repo())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["-q", "build", "-o", out.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap()
}

fn artifacts(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_killed_build_leaves_the_previous_artifacts_and_no_partial_file() {
    let out = tempfile::tempdir().unwrap();
    assert!(build(out.path(), &["--split"]).status.success());
    let good = artifacts(out.path());
    // Kill builds at several points of their life; whatever the moment, each artifact is the
    // previous (identical) one, and a temporary file left by the kill is cleaned up next time.
    for delay_ms in [5, 40, 120, 300] {
        let mut child = livret(&repo())
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args(["-q", "build", "--split", "-o", out.path().to_str().unwrap()])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let now: Vec<_> = artifacts(out.path())
            .into_iter()
            .filter(|(name, _)| !name.ends_with(".tmp"))
            .collect();
        assert_eq!(now, good, "killed after {delay_ms} ms");
    }
    assert!(build(out.path(), &["--split"]).status.success());
    assert_eq!(
        artifacts(out.path()),
        good,
        "stale temporary files removed, artifacts unchanged"
    );
}

#[test]
fn two_builds_into_the_same_directory_do_not_corrupt_each_other() {
    let out = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            livret(&repo())
                .env("SOURCE_DATE_EPOCH", "1700000000")
                // One build at a time per output folder: the second waits for the first.
                .args([
                    "-q",
                    "build",
                    "--split",
                    "--wait",
                    "-o",
                    out.path().to_str().unwrap(),
                ])
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let alone = tempfile::tempdir().unwrap();
    assert!(build(alone.path(), &["--split"]).status.success());
    assert_eq!(artifacts(out.path()), artifacts(alone.path()));
}

#[test]
fn an_unwritable_output_directory_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("out");
    std::fs::write(&not_a_dir, "a file where the output directory should be").unwrap();
    let o = build(&not_a_dir, &["-f", "html"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(not_a_dir.to_str().unwrap()));
}

#[test]
fn a_missing_theme_directory_exits_2_naming_it() {
    let out = tempfile::tempdir().unwrap();
    let o = build(out.path(), &["-f", "html", "--theme", "/nonexistent/theme"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/theme"));
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn a_theme_template_error_exits_1_naming_the_file() {
    let theme = theme_with(&[("html/page.html", b"<html>{% for x in %}</html>".as_slice())]);
    let out = tempfile::tempdir().unwrap();
    let previous = out.path().join(format!("{BOOK}.html"));
    std::fs::write(&previous, "previous").unwrap();
    let o = build(
        out.path(),
        &["-f", "html", "--theme", theme.path().to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("html/page.html"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&previous).unwrap(), "previous");
}

#[test]
fn a_theme_overrides_one_file_and_keeps_the_rest() {
    let theme = theme_with(&[(
        "html/style.css",
        b"body { color: rebeccapurple }".as_slice(),
    )]);
    let out = tempfile::tempdir().unwrap();
    let o = build(
        out.path(),
        &["-f", "html", "--theme", theme.path().to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(out.path().join(format!("{BOOK}.html"))).unwrap();
    assert!(html.contains("rebeccapurple"));
    assert!(
        html.contains("class=\"chapter"),
        "the embedded page template is still used"
    );
}

/// A theme folder holding `files` (path under the theme, bytes).
fn theme_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let theme = tempfile::tempdir().unwrap();
    for (rel, bytes) in files {
        let path = theme.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    theme
}

#[test]
fn a_theme_font_that_is_not_a_font_exits_2_naming_it_and_keeps_the_previous_pdf() {
    let theme = theme_with(&[(
        "pdf/fonts/text-bold.ttf",
        b"<html>not a font</html>".as_slice(),
    )]);
    let out = tempfile::tempdir().unwrap();
    let previous = out.path().join(format!("{BOOK}.pdf"));
    std::fs::write(&previous, "previous").unwrap();
    let o = build(
        out.path(),
        &["-f", "pdf", "--theme", theme.path().to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("pdf/fonts/text-bold.ttf"), "{stderr}");
    assert!(stderr.contains("not a TrueType/OpenType font"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&previous).unwrap(), "previous");
    // The EPUB's cover is set in the same faces: the same error.
    let o = build(
        out.path(),
        &["-f", "epub", "--theme", theme.path().to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    // A truncated font is refused the same way, before any layout.
    let font = std::fs::read(repo().join("fonts/DejaVuSansMono.ttf")).unwrap();
    let theme = theme_with(&[("pdf/fonts/code.ttf", &font[..4000])]);
    let o = build(
        out.path(),
        &["-f", "pdf", "--theme", theme.path().to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("pdf/fonts/code.ttf"));
}

#[test]
fn a_theme_font_replaces_its_face_in_the_pdf() {
    let font = std::fs::read(repo().join("fonts/DejaVuSansMono.ttf")).unwrap();
    let theme = theme_with(&[("pdf/fonts/text-regular.ttf", &font)]);
    let out = tempfile::tempdir().unwrap();
    let o = build(
        out.path(),
        &["-f", "pdf", "--theme", theme.path().to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pdf = lopdf::Document::load(out.path().join(format!("{BOOK}.pdf"))).unwrap();
    let mut names: Vec<String> = common::type0_font_names(&pdf)
        .iter()
        .map(|n| n.split('+').nth(1).unwrap_or("").to_string())
        .collect();
    names.sort();
    // The text's regular face is now the mono file; bold and italic stay DejaVu Serif.
    assert_eq!(
        names,
        [
            "DejaVuSansMono",
            "DejaVuSansMono",
            "DejaVuSerif-Bold",
            "DejaVuSerif-BoldItalic",
            "DejaVuSerif-Italic"
        ]
    );
}

#[test]
fn a_damaged_theme_font_is_an_error_not_a_panic() {
    // DejaVu Sans Mono claiming 5 glyphs (`maxp`) while its character map names thousands:
    // ttf-parser reads it, rusttype asserts on the first character past glyph 5.
    let mut font = std::fs::read(repo().join("fonts/DejaVuSansMono.ttf")).unwrap();
    let tables = usize::from(u16::from_be_bytes([font[4], font[5]]));
    let record = (0..tables)
        .map(|i| 12 + 16 * i)
        .find(|&at| &font[at..at + 4] == b"maxp")
        .expect("a maxp table");
    let offset = u32::from_be_bytes(font[record + 8..record + 12].try_into().unwrap()) as usize;
    font[offset + 4..offset + 6].copy_from_slice(&5u16.to_be_bytes());
    let theme = theme_with(&[("pdf/fonts/code.ttf", &font)]);
    let out = tempfile::tempdir().unwrap();
    let o = build(
        out.path(),
        &["-f", "pdf", "--theme", theme.path().to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("pdf/fonts/code.ttf"), "{stderr}");
    assert!(stderr.contains("the font is damaged"), "{stderr}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}
