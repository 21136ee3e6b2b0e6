//! livret: a Jekyll FAQ corpus → PDF, EPUB and HTML, each persona its own chapter.
//!
//! ```text
//! content/ ──load──▶ Corpus ──read──▶ Document ──passes──▶ Document ──write──▶ out/
//! ```

pub mod corpus;
pub mod diag;
pub mod ir;
pub mod labels;
pub mod manifest;
pub mod output;
pub mod passes;
pub mod read;
pub mod select;
pub mod theme;
pub mod url;
pub mod write;

use corpus::Corpus;
use diag::{Diagnostics, Error, Result};
use ir::{ChapterKind, Document};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use theme::Theme;
use write::{Format, WriteContext};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Load, read and resolve the corpus at `dir`: the book every writer starts from.
/// Content problems are in `diags`; the document is returned even when some are errors.
pub fn load_document(dir: &Path, diags: &mut Diagnostics) -> Result<(Corpus, Document)> {
    let corpus = corpus::load_corpus(dir, diags)?;
    corpus::warn_when_unset(&corpus, diags);
    let mut doc = read::read_document(&corpus, diags);
    doc.meta.labels = labels::book_labels(
        &doc.meta.language,
        None,
        corpus.config.labels.as_ref(),
        &corpus.display_path(&corpus.index.path),
        diags,
    );
    passes::run_passes(&mut doc, &corpus, diags);
    Ok((corpus, doc))
}

#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub corpus_dir: PathBuf,
    pub out_dir: PathBuf,
    pub formats: Vec<Format>,
    /// Keep the introduction plus these personas (slugs); empty = the whole book.
    pub personas: Vec<String>,
    /// Also write one file per persona.
    pub split: bool,
    pub theme: Option<PathBuf>,
    /// Warnings count as errors.
    pub strict: bool,
    /// Unix seconds written as the build date (`SOURCE_DATE_EPOCH`).
    pub build_time: i64,
}

#[derive(Debug, Clone)]
pub struct Artifact {
    pub path: PathBuf,
    pub format: Format,
    /// Persona slugs in this artifact.
    pub personas: Vec<String>,
    pub bytes: u64,
    pub sha256: String,
    /// Time the writer took.
    pub elapsed: Duration,
}

/// Build every requested artifact. Nothing is written unless every writer succeeded and the
/// content had no error; each file is then written atomically.
pub fn build(options: &BuildOptions, diags: &mut Diagnostics) -> Result<Vec<Artifact>> {
    build_with(options, diags, &mut |_| {})
}

/// `build`, showing the book (after the passes, before any writer) to `inspect`.
pub fn build_with(
    options: &BuildOptions,
    diags: &mut Diagnostics,
    inspect: &mut dyn FnMut(&Document),
) -> Result<Vec<Artifact>> {
    build_observed(options, diags, &mut InspectOnly(inspect))
}

/// What a caller may follow of a build: the book once read, then each writer as it starts.
pub trait BuildObserver {
    /// The book after the passes, before any writer.
    fn book(&mut self, _doc: &Document) {}
    /// Writer `done + 1` of `total` starts on `stem.format`.
    fn writing(&mut self, _stem: &str, _format: Format, _done: usize, _total: usize) {}
}

struct InspectOnly<'a>(&'a mut dyn FnMut(&Document));

impl BuildObserver for InspectOnly<'_> {
    fn book(&mut self, doc: &Document) {
        (self.0)(doc)
    }
}

/// An artifact made in memory, not yet in `out/`.
pub struct Rendered {
    pub artifact: Artifact,
    pub bytes: Vec<u8>,
}

/// Every artifact of `options`, made in memory by the writers, with every diagnostic the
/// writers raise; nothing is written. `check` stops here, so it fails exactly where `build` would.
pub fn render(
    options: &BuildOptions,
    diags: &mut Diagnostics,
    observer: &mut dyn BuildObserver,
) -> Result<Vec<Rendered>> {
    let (corpus, mut doc) = load_document(&options.corpus_dir, diags)?;
    observer.book(&doc);
    if options.strict {
        diags.promote_warnings();
    }
    if diags.has_errors() {
        return Err(Error::Content(diags.error_count()));
    }
    if let Some(theme) = &options.theme
        && !theme.is_dir()
    {
        return Err(Error::io(
            theme,
            std::io::Error::new(std::io::ErrorKind::NotFound, "theme directory not found"),
        ));
    }
    let theme = Theme::new(options.theme.clone());
    if let Some(overrides) = theme.labels()? {
        // The language's own words were resolved (and any warning given) by `load_document`.
        doc.meta.labels = labels::book_labels(
            &doc.meta.language,
            Some(&overrides),
            corpus.config.labels.as_ref(),
            "",
            &mut Diagnostics::new(),
        );
    }
    // Moved, not cloned, when nothing is selected: a big book is held in memory once.
    let doc = if options.personas.is_empty() {
        doc
    } else {
        select_personas(&doc, &options.personas)?
    };
    let ctx = WriteContext {
        theme,
        build_time: options.build_time,
        version: VERSION,
    };

    let mut variants = Vec::new();
    if options.split {
        for persona in doc
            .chapters
            .iter()
            .filter(|c| c.kind == ChapterKind::Persona)
        {
            let mut one = select::select_chapters(&doc, &|c| {
                c.kind == ChapterKind::Introduction || c.id == persona.id
            });
            one.meta.persona = Some(persona.id.clone());
            variants.push((format!("{}-{}", doc.meta.name, persona.id), one));
        }
    }
    variants.insert(0, (doc.meta.name.clone(), doc));

    let total = options.formats.len() * variants.len();
    let mut pending = Vec::new();
    for &format in &options.formats {
        for (stem, variant) in &variants {
            observer.writing(stem, format, pending.len(), total);
            let started = Instant::now();
            let mut writer_diags = Diagnostics::new();
            let bytes = write::write(format, variant, &ctx, &mut writer_diags)?;
            // Writers name pages relative to the corpus; the same problem found again in a
            // `--split` variant is reported once.
            for mut d in writer_diags.items().iter().cloned() {
                locate_in_source(&mut d, variant, &options.corpus_dir);
                d.path = options.corpus_dir.join(&d.path).display().to_string();
                if !diags.items().contains(&d) {
                    diags.push(d);
                }
            }
            let path = options
                .out_dir
                .join(format!("{stem}.{}", format.extension()));
            let personas = variant
                .chapters
                .iter()
                .filter(|c| c.kind == ChapterKind::Persona)
                .map(|c| c.id.clone())
                .collect();
            pending.push(Rendered {
                artifact: Artifact {
                    path,
                    format,
                    personas,
                    bytes: bytes.len() as u64,
                    sha256: manifest::sha256_hex(&bytes),
                    elapsed: started.elapsed(),
                },
                bytes,
            });
        }
    }
    // Writers report what they could not render (an undecodable image…) as diagnostics too.
    if options.strict {
        diags.promote_warnings();
    }
    if diags.has_errors() {
        return Err(Error::Content(diags.error_count()));
    }
    Ok(pending)
}

/// Writers name the page (or the image) a warning is about, rarely the place in it: point the
/// diagnostic at the first place the page shows that image, or holds that character (`U+XXXX`
/// in the message). Characters the passes added (typographic spaces) stay without a position.
fn locate_in_source(d: &mut diag::Diagnostic, doc: &Document, corpus_dir: &Path) {
    if d.line != 0 {
        return;
    }
    if let Some(index) = doc.assets.iter().position(|a| a.path == d.path) {
        for chapter in &doc.chapters {
            let mut first = None;
            ir::visit_inlines(&chapter.blocks, &mut |inline| {
                if let ir::Inline::Image {
                    asset: Some(i),
                    pos,
                    ..
                } = inline
                    && *i == index
                    && first.is_none()
                {
                    first = Some(*pos);
                }
            });
            if let Some(pos) = first.filter(|p| p.line > 0) {
                if !d.message.contains(&d.path) {
                    d.message = format!("{} (image {})", d.message, d.path);
                }
                d.path = chapter.source.clone();
                d.line = pos.line;
                d.col = pos.col;
                return;
            }
        }
        return;
    }
    let Some(c) = named_code_point(&d.message) else {
        return;
    };
    if !doc.chapters.iter().any(|chapter| chapter.source == d.path) {
        return;
    }
    let Ok(text) = std::fs::read_to_string(corpus_dir.join(&d.path)) else {
        return;
    };
    for (n, line) in text.lines().enumerate() {
        if let Some(col) = line.chars().position(|x| x == c) {
            d.line = n as u32 + 1;
            d.col = col as u32 + 1;
            return;
        }
    }
}

/// The character a message names as `(U+XXXX)`.
fn named_code_point(message: &str) -> Option<char> {
    let at = message.find("(U+")? + 3;
    let hex: String = message[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    char::from_u32(u32::from_str_radix(&hex, 16).ok()?)
}

/// `build`, telling `observer` how it goes.
pub fn build_observed(
    options: &BuildOptions,
    diags: &mut Diagnostics,
    observer: &mut dyn BuildObserver,
) -> Result<Vec<Artifact>> {
    let pending = render(options, diags, observer)?;
    write_rendered(options, pending)
}

/// Put artifacts made by `render` in `options.out_dir`, then the manifest that lists them.
pub fn write_rendered(options: &BuildOptions, pending: Vec<Rendered>) -> Result<Vec<Artifact>> {
    let corpus_sha256 = manifest::corpus_digest(&options.corpus_dir)?;
    output::remove_stale_temp_files(&options.out_dir);
    let mut artifacts = Vec::new();
    for Rendered { artifact, bytes } in pending {
        output::write_atomically(&artifact.path, &bytes)?;
        artifacts.push(artifact);
    }
    // Last, so a manifest never lists a file that is not there.
    let manifest = manifest::Manifest {
        livret_version: VERSION.to_string(),
        build_time: options.build_time,
        corpus_sha256,
        artifacts: artifacts
            .iter()
            .map(|a| manifest::ManifestEntry {
                path: a
                    .path
                    .strip_prefix(&options.out_dir)
                    .unwrap_or(&a.path)
                    .to_string_lossy()
                    .replace('\\', "/"),
                format: a.format,
                personas: a.personas.clone(),
                bytes: a.bytes,
                sha256: a.sha256.clone(),
            })
            .collect(),
    };
    output::write_atomically(
        &options.out_dir.join(manifest::FILE_NAME),
        manifest.to_json().as_bytes(),
    )?;
    Ok(artifacts)
}

/// `--persona`: the introduction plus the named personas (in book order).
pub fn select_personas(doc: &Document, slugs: &[String]) -> Result<Document> {
    if slugs.is_empty() {
        return Ok(doc.clone());
    }
    let known: Vec<&str> = doc
        .chapters
        .iter()
        .filter(|c| c.kind == ChapterKind::Persona)
        .map(|c| c.id.as_str())
        .collect();
    if let Some(unknown) = slugs.iter().find(|s| !known.contains(&s.as_str())) {
        let guess = diag::closest(unknown, &known)
            .map(|close| format!("did you mean `{close}`? "))
            .unwrap_or_default();
        return Err(Error::Usage(format!(
            "unknown persona `{unknown}`; {guess}the personas are: {}",
            known.join(", ")
        )));
    }
    Ok(select::select_chapters(doc, &|c| {
        c.kind == ChapterKind::Introduction || slugs.contains(&c.id)
    }))
}

/// `SOURCE_DATE_EPOCH` when set and valid, else the current time.
pub fn build_time_from_env() -> Result<i64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => value.trim().parse::<i64>().map_err(|_| {
            Error::Usage(format!(
                "SOURCE_DATE_EPOCH must be a number of seconds, not `{value}`"
            ))
        }),
        Err(_) => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)),
    }
}
