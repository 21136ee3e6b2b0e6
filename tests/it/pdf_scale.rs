//! The PDF at any size: memory per page stays bounded, and four times the book costs about four
//! times the time and memory (CPU time and peak RSS of the real binary, through GNU time).

use crate::common;

use common::repo;
use std::path::Path;
use std::process::Command;

/// Generates the benchmark corpus at `scale` into `dir`; `None` (with a note) when python3 or
/// GNU time is missing outside CI.
fn corpus(scale: u32, dir: &Path) -> Option<()> {
    let ok = Command::new("python3")
        .arg(repo().join("scripts/gen_corpus.py"))
        .arg(scale.to_string())
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    let time = Path::new("/usr/bin/time").exists();
    if ok && time {
        return Some(());
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("python3 and /usr/bin/time are required in CI");
    }
    eprintln!("skipped: python3 or /usr/bin/time missing");
    None
}

/// Builds the PDF of `corpus`: (CPU seconds, peak RSS in MiB, pages).
fn build_pdf(corpus: &Path, out: &Path) -> (f64, f64, usize) {
    let report = out.join("time.txt");
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%U %S %M", "-o"])
        .arg(&report)
        .arg(env!("CARGO_BIN_EXE_livret"))
        .env("LIVRET_CACHE_DIR", "")
        // Memory in 4 KiB pages: with transparent huge pages mimalloc's resident memory moves
        // in 2 MiB steps per segment (a 1-chapter book 34 MiB instead of 21), noise larger than
        // the growth these tests bound.
        .env("MIMALLOC_ALLOW_THP", "0")
        .args(["-q", "build"])
        .arg(corpus)
        .arg("-o")
        .arg(out)
        .args(["-f", "pdf"])
        .status()
        .expect("run livret");
    assert!(status.success());
    let text = std::fs::read_to_string(&report).expect("time report");
    let f: Vec<f64> = text
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let pdf = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .expect("a PDF");
    let pages = lopdf::Document::load(&pdf).expect("PDF").get_pages().len();
    (f[0] + f[1], f[2] / 1024.0, pages)
}

#[test]
fn memory_per_page_is_bounded_and_growth_is_linear() {
    let dir = tempfile::tempdir().unwrap();
    let mut runs = Vec::new();
    for scale in [1, 4, 10] {
        let corpus_dir = dir.path().join(format!("c{scale}"));
        if corpus(scale, &corpus_dir).is_none() {
            return;
        }
        let out = dir.path().join(format!("o{scale}"));
        std::fs::create_dir_all(&out).unwrap();
        let (cpu, rss, pages) = build_pdf(&corpus_dir, &out);
        eprintln!("scale {scale}: {cpu:.2} s CPU, {rss:.1} MiB peak, {pages} pages");
        runs.push((scale, cpu, rss, pages));
    }
    let (_, cpu1, rss1, pages1) = runs[0];
    let (_, cpu4, rss4, pages4) = runs[1];
    let (_, _, rss10, pages10) = runs[2];
    assert!(pages4 >= 2 * pages1, "{pages1} → {pages4} pages");
    // Linear within 1.5×: four times the book, at most six times the cost.
    assert!(cpu4 <= 6.0 * cpu1 + 0.5, "CPU {cpu1:.2} s → {cpu4:.2} s");
    assert!(rss4 <= 6.0 * rss1, "memory {rss1:.1} → {rss4:.1} MiB");
    // The bound of the benchmark (0.3 MiB a page at scale 100), generous here: the process's
    // fixed part (fonts, code) plus 0.5 MiB a page.
    assert!(
        rss10 <= 40.0 + 0.5 * pages10 as f64,
        "{rss10:.1} MiB for {pages10} pages"
    );
}

/// A book of `chapters` one-page chapters (each chapter starts a page).
fn short_chapters(chapters: usize, dir: &Path) {
    let faq = dir.join("_faq");
    std::fs::create_dir_all(&faq).unwrap();
    std::fs::write(
        dir.join("_config.yml"),
        "title: Court\nlang: fr\ncollections:\n  faq:\n    output: true\n    permalink: /faq/:name.html\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("index.md"),
        "---\ntitle: Court\nbuttons:\n  -\n    title: Un\n    default: faq/p00000\n---\n\n# Court\n\nDes pages courtes.\n",
    )
    .unwrap();
    for i in 0..chapters {
        std::fs::write(
            faq.join(format!("p{i:05}.md")),
            format!("---\ntitle: Page {i}\n---\n\n# Page {i}\n\nUne page courte, numéro {i}, avec une phrase.\n"),
        )
        .unwrap();
    }
}

/// Peak memory follows the largest chapter, not the page count: a finished page is encoded and
/// dropped, and the file is written as it is made. Beyond the process's fixed part (the peak of
/// a one-chapter book), four times the pages cost at most 1.5 times the memory (4 MiB of
/// allocator noise allowed), and well under 0.05 MB a page.
#[test]
fn peak_memory_does_not_grow_with_the_page_count() {
    if !Path::new("/usr/bin/time").exists() {
        return eprintln!("skipped: /usr/bin/time missing");
    }
    let dir = tempfile::tempdir().unwrap();
    let mut peaks = Vec::new();
    for chapters in [1, 250, 1000] {
        let corpus = dir.path().join(format!("c{chapters}"));
        short_chapters(chapters, &corpus);
        let out = dir.path().join(format!("o{chapters}"));
        std::fs::create_dir_all(&out).unwrap();
        let (_, rss, pages) = build_pdf(&corpus, &out);
        eprintln!("{chapters} chapters: {pages} pages, {rss:.1} MiB peak");
        peaks.push((rss, pages));
    }
    let (base, _) = peaks[0];
    let (n, pages_n) = peaks[1];
    let (four_n, pages_4n) = peaks[2];
    assert!(pages_4n >= 4 * pages_n - 40, "{pages_n} → {pages_4n} pages");
    assert!(
        four_n - base <= 1.5 * (n - base).max(4.0),
        "peak beyond the fixed {base:.1} MiB: {:.1} MiB for {pages_n} pages, {:.1} MiB for {pages_4n}",
        n - base,
        four_n - base
    );
    assert!(
        (four_n - base) / pages_4n as f64 <= 0.05,
        "{:.3} MiB a page",
        (four_n - base) / pages_4n as f64
    );
}
