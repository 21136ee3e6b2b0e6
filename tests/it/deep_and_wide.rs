//! Pages that are deep or wide in one direction (issue 17, item 6), through the binary: many
//! `{:toc}` markers, lists nested past the depth limit, a large 16-bit PNG.

use crate::common;

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

const INDEX: &str = "---
title: Livre
buttons:
  - title: Citoyen
    default: faq/citoyen
---

# Accueil

Bienvenue.
";

/// A corpus whose one persona page has `body` as its text.
fn corpus(body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.md"), INDEX).unwrap();
    std::fs::write(dir.path().join("_config.yml"), "lang: fr\n").unwrap();
    std::fs::create_dir(dir.path().join("faq")).unwrap();
    let page = format!("---\ntitle: Citoyen\n---\n\n{body}");
    std::fs::write(dir.path().join("faq/citoyen.md"), page).unwrap();
    dir
}

/// `livret build CORPUS -o CORPUS/out -f FORMATS`: its stderr and its own CPU time (user +
/// system, from `wait4`: tests running beside it do not count).
// The child is reaped by `wait4`, which Command has no way to call.
#[allow(clippy::zombie_processes)]
fn build(corpus: &Path, formats: &str) -> (String, Duration) {
    let mut child = common::livret(corpus)
        .args(["build", ".", "-o", "out", "-f", formats])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let mut status = 0;
    // SAFETY: `usage` is a valid out-pointer; the child is ours and not yet waited for.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    assert_eq!(unsafe { libc::wait4(pid, &mut status, 0, &mut usage) }, pid);
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{stderr}"
    );
    (stderr, time(usage.ru_utime) + time(usage.ru_stime))
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// n headings, each under a `{:toc}` marker.
fn toc_page(n: usize) -> String {
    (0..n)
        .map(|i| format!("* TOC\n{{:toc}}\n\n## Titre {i}\n\nTexte {i}.\n\n"))
        .collect()
}

/// A page of n headings and n `{:toc}` markers: the list is written once and each later
/// marker links to it, so doubling n at most triples the HTML and EPUB size and the CPU time
/// (it was quadratic: 3,000 markers made 372 MiB of HTML).
#[test]
fn toc_markers_grow_the_html_and_epub_linearly() {
    const N: usize = 600;
    let mut runs = Vec::new();
    for n in [N, 2 * N] {
        let dir = corpus(&toc_page(n));
        let (_, cpu) = build(dir.path(), "html,epub");
        let html = file_size(&dir.path().join("out/livre.html"));
        let epub = file_size(&dir.path().join("out/livre.epub"));
        eprintln!("{n} markers: HTML {html} B, EPUB {epub} B, {cpu:?} CPU");
        runs.push((dir, html, epub, cpu));
    }
    let (_, html1, epub1, cpu1) = &runs[0];
    let (dir, html2, epub2, cpu2) = &runs[1];
    assert!(html2 <= &(3 * html1), "HTML {html1} B → {html2} B");
    assert!(epub2 <= &(3 * epub1), "EPUB {epub1} B → {epub2} B");
    // Process start and the writers' fixed work make the small run's time noisy: a margin of
    // a quarter second on top, far below what the quadratic list costs at this size.
    assert!(
        *cpu2 <= 3 * *cpu1 + Duration::from_millis(250),
        "CPU {cpu1:?} → {cpu2:?}"
    );

    // One list of every heading, and each other marker a link to it.
    let html = std::fs::read_to_string(dir.path().join("out/livre.html")).unwrap();
    let page = scraper::Html::parse_document(&html);
    let select = |css: &str| {
        let selector = scraper::Selector::parse(css).unwrap();
        page.select(&selector).count()
    };
    assert_eq!(select("#citoyen nav.page-toc"), 1);
    assert_eq!(select("#citoyen nav.page-toc li > a"), 2 * N);
    assert_eq!(
        select("#citoyen p.page-toc-link a[href='#citoyen.toc']"),
        2 * N - 1
    );
    assert_eq!(select("nav.page-toc[id='citoyen.toc']"), 1);
}

/// Each "niveau i" is a whole text node of its own block (`<p>` or `<li>`), never glued to the
/// next item's text.
fn assert_items_apart(markup: &str, format: &str) {
    let page = scraper::Html::parse_document(markup);
    for i in 95..=105 {
        let wanted = format!("niveau {i}");
        let alone = page.tree.nodes().any(|node| {
            node.value().as_text().is_some_and(|t| t.trim() == wanted)
                && node
                    .parent()
                    .and_then(|p| p.value().as_element().map(|e| e.name().to_string()))
                    .is_some_and(|name| name == "p" || name == "li")
        });
        assert!(alone, "{format}: \"{wanted}\" is not a block of its own");
    }
    assert!(
        !markup.contains("niveau 100niveau"),
        "{format}: glued items"
    );
}

/// Items nested past the depth limit (100) keep apart in all three formats
/// (`niveau 100niveau 101…` before), with the depth warning.
#[test]
fn list_items_past_the_depth_limit_stay_apart_in_every_format() {
    let body: String = (1..=105)
        .map(|depth| format!("{}- niveau {depth}\n", "  ".repeat(depth - 1)))
        .collect::<String>()
        + "\nfin\n";
    let dir = corpus(&body);
    let (stderr, _) = build(dir.path(), "html,epub,pdf");
    assert!(
        stderr.contains("warning: content nested more than 100 levels deep is flattened"),
        "{stderr}"
    );

    let html = std::fs::read_to_string(dir.path().join("out/livre.html")).unwrap();
    assert_items_apart(&html, "HTML");

    let epub = std::fs::File::open(dir.path().join("out/livre.epub")).unwrap();
    let mut epub = zip::ZipArchive::new(epub).unwrap();
    let name = epub
        .file_names()
        .filter_map(|name| name.ok().map(|n| n.into_owned()))
        .find(|name| name.contains("citoyen") && name.ends_with(".xhtml"))
        .expect("the chapter's XHTML");
    let mut xhtml = String::new();
    epub.by_name(&name)
        .unwrap()
        .read_to_string(&mut xhtml)
        .unwrap();
    assert_items_apart(&xhtml, "EPUB");

    if common::require_tool("pdftotext", &["-v"]) {
        let text = std::process::Command::new("pdftotext")
            .arg(dir.path().join("out/livre.pdf"))
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        for i in 95..=105 {
            let wanted = format!("niveau {i}");
            assert!(
                text.lines().any(|line| line.trim_end().ends_with(&wanted)),
                "PDF: \"{wanted}\" does not end a line:\n{text}"
            );
        }
        assert!(!text.contains("niveau 100niveau"), "PDF: glued items");
    }
}

/// A 16-bit RGBA PNG of 72 Mpixels (within the 100-Mpixel and book budgets): 576 MB at 16 bits,
/// over the PDF writer's decode bound, so it was left blank ("Memory limit exceeded"). It is
/// now converted to 8 bits where images are read, and drawn.
#[test]
fn a_large_16_bit_png_is_drawn_in_the_pdf() {
    const WIDTH: u32 = 9_000;
    const HEIGHT: u32 = 8_000;
    let dir = corpus("![Carte](/img/carte.png)\n");
    std::fs::create_dir(dir.path().join("img")).unwrap();
    let file = std::fs::File::create(dir.path().join("img/carte.png")).unwrap();
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Sixteen);
    let mut writer = encoder.write_header().unwrap();
    let mut stream = writer.stream_writer().unwrap();
    // Opaque dark red, row by row: the test never holds the whole image.
    let row: Vec<u8> = [0xA0, 0x00, 0x10, 0x00, 0x10, 0x00, 0xFF, 0xFF]
        .repeat(WIDTH as usize)
        .to_vec();
    for _ in 0..HEIGHT {
        std::io::Write::write_all(&mut stream, &row).unwrap();
    }
    stream.finish().unwrap();
    writer.finish().unwrap();

    let (stderr, _) = build(dir.path(), "pdf");
    assert!(!stderr.contains("left blank"), "{stderr}");

    let pdf = lopdf::Document::load(dir.path().join("out/livre.pdf")).unwrap();
    let images: Vec<(i64, i64, Vec<u8>)> = pdf
        .objects
        .values()
        .filter_map(|object| object.as_stream().ok())
        .filter(|s| s.dict.get(b"Subtype").and_then(|t| t.as_name()).ok() == Some(b"Image"))
        .map(|s| {
            let size = |key: &[u8]| s.dict.get(key).and_then(|v| v.as_i64()).unwrap_or(0);
            let pixels = s
                .decompressed_content()
                .unwrap_or_else(|_| s.content.clone());
            (size(b"Width"), size(b"Height"), pixels)
        })
        .collect();
    assert_eq!(images.len(), 1, "one image XObject");
    let (width, height, pixels) = &images[0];
    assert!(*width > 1 && *height > 1, "a {width}×{height} stand-in");
    // Drawn in its colour (RGB samples), not white.
    assert_eq!(&pixels[..3], &[0xA0, 0x10, 0x10]);
}
