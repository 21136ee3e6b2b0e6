//! What the fuzz targets run. `tests/it/fuzz_regressions.rs` includes this very file, so a saved
//! crash input replays exactly the code path that found it.

use livret::corpus::{
    Config, Corpus, Page, Routes, SiteConfig, decode_text, parse_front_matter, split_front_matter,
};
use livret::diag::Diagnostics;
use livret::theme::Theme;
use livret::write::{Format, WriteContext};
use std::path::Path;

/// Site variables the generated `_config.yml` defines, for `{{ site.x }}` in fuzzed pages.
const SITE_CONFIG: &str = "title: Fuzz\nurl: \"https://example.org\"\nlang: fr\n";

/// A pipeline input cut at NUL bytes: page A's front matter, page A's body, page B (a whole
/// file, optional), and an image (the rest of the input, NULs included, optional).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PipelineInput<'a> {
    pub front: &'a [u8],
    pub body: &'a [u8],
    pub second_page: Option<&'a [u8]>,
    pub image: Option<&'a [u8]>,
}

pub fn split_pipeline_input(data: &[u8]) -> PipelineInput<'_> {
    let mut parts = data.splitn(4, |&b| b == 0);
    PipelineInput {
        front: parts.next().unwrap_or_default(),
        body: parts.next().unwrap_or_default(),
        second_page: parts.next(),
        image: parts.next(),
    }
}

/// A fresh corpus folder, in memory (`/dev/shm`) when the system has one.
pub fn scratch_dir() -> tempfile::TempDir {
    let builder = tempfile::Builder::new().prefix("livret-fuzz-").to_owned();
    let in_memory = Path::new("/dev/shm");
    let made = if in_memory.is_dir() {
        builder.tempdir_in(in_memory)
    } else {
        builder.tempdir()
    };
    match made {
        Ok(dir) => dir,
        Err(e) => panic!("cannot make a scratch folder for the fuzzer: {e}"),
    }
}

/// Write the corpus of `data` into `dir`, replacing the previous input's files: an index whose
/// buttons name `faq/a` (and `faq/b` when there is a second page), the pages, `img/a.png`.
pub fn write_corpus(data: &[u8], dir: &Path) -> std::io::Result<()> {
    let input = split_pipeline_input(data);
    std::fs::create_dir_all(dir.join("faq"))?;
    std::fs::create_dir_all(dir.join("img"))?;

    let mut index = String::from("---\ntitle: Fuzz\nbuttons:\n  - title: A\n    default: faq/a\n");
    if input.second_page.is_some() {
        index.push_str("  - title: B\n    default: faq/b\n");
    }
    index.push_str("---\n\n# Fuzz\n\n![image](/img/a.png) [A](faq/a.md)\n");
    std::fs::write(dir.join("index.md"), index)?;
    std::fs::write(dir.join("_config.yml"), SITE_CONFIG)?;

    let mut page = b"---\n".to_vec();
    page.extend_from_slice(input.front);
    page.extend_from_slice(b"\n---\n");
    page.extend_from_slice(input.body);
    std::fs::write(dir.join("faq/a.md"), page)?;

    replace_or_remove(&dir.join("faq/b.md"), input.second_page)?;
    replace_or_remove(&dir.join("img/a.png"), input.image)
}

fn replace_or_remove(path: &Path, bytes: Option<&[u8]>) -> std::io::Result<()> {
    match bytes {
        Some(bytes) => std::fs::write(path, bytes),
        None => match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        },
    }
}

/// The whole pipeline on one input: corpus → IR → every writer, PDF included (an `Err` from a
/// writer is fine; only a panic, a hang or a blow-up is a finding). Writers run even when the
/// content has errors, which `livret build` would stop at: the library must survive both.
pub fn run_pipeline(data: &[u8], dir: &Path) {
    if write_corpus(data, dir).is_err() {
        return;
    }
    let mut diags = Diagnostics::new();
    let Ok((_corpus, doc)) = livret::load_document(dir, &mut diags) else {
        return;
    };
    let ctx = WriteContext {
        theme: Theme::default(),
        build_time: 0,
        version: livret::VERSION,
        jobs: 1,
    };
    for format in Format::ALL {
        if let Err(e) = livret::write_format(format, &doc, &ctx, &mut diags) {
            // The PDF writer turns a panic of its libraries into an error: still a finding.
            let message = e.to_string();
            assert!(!message.contains("the PDF libraries failed"), "{message}");
        }
    }
    // `--persona` and `--split` cut the book: each persona alone, as `build --split` does.
    for chapter in &doc.chapters {
        let _ = livret::select_personas(&doc, std::slice::from_ref(&chapter.id));
    }
    for diagnostic in diags.items() {
        let _ = diagnostic.to_string();
    }
}

/// A page as the loader reads it (decode, front matter) and the Liquid/IAL pre-pass over its
/// body, with no disk and no Markdown parsing.
pub fn run_front_matter(data: &[u8]) {
    const PATH: &str = "faq/page.md";
    let mut diags = Diagnostics::new();
    let text = decode_text(data, PATH, &mut diags);
    let split = split_front_matter(&text);
    let parsed = split
        .yaml
        .map(|(yaml, first_line)| parse_front_matter(yaml, first_line, PATH, &mut diags))
        .unwrap_or_default();
    let page = Page {
        path: PATH.to_string(),
        front: parsed.front,
        body: split.body.to_string(),
        body_line: split.body_line,
    };
    let mut site = SiteConfig::default();
    site.vars.insert("title".into(), "Fuzz".into());
    let corpus = Corpus {
        root: ".".into(),
        config: Config::default(),
        site,
        index: page.clone(),
        personas: Vec::new(),
        appendices: Vec::new(),
        routes: Routes::default(),
    };
    let prepared = livret::read::prepare_dialect(&page, &corpus, &mut diags);
    // The pre-pass promises to keep every line where it was (diagnostics rely on it).
    assert_eq!(
        prepared.matches('\n').count(),
        page.body.matches('\n').count(),
        "the pre-pass added or removed a line"
    );
    for diagnostic in diags.items() {
        let _ = diagnostic.to_string();
    }
}
