//! livret: a Jekyll FAQ corpus → PDF, EPUB and HTML, each persona its own chapter.
//!
//! ```text
//! content/ ──load──▶ Corpus ──read──▶ Document ──passes──▶ Document ──write──▶ out/
//! ```

pub mod corpus;
pub mod diag;
pub mod ir;
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
    load_document_excluding(dir, &[], diags)
}

/// `load_document`, never reading the folders `excluded` (output folders inside the corpus),
/// nor the folder `out` of livret.toml names (so `check` skips it too).
pub fn load_document_excluding(
    dir: &Path,
    excluded: &[PathBuf],
    diags: &mut Diagnostics,
) -> Result<(Corpus, Document)> {
    let mut load_diags = Diagnostics::new();
    let loaded = corpus::load_corpus_excluding(dir, excluded, &mut load_diags);
    let loaded = match loaded {
        Ok(corpus)
            if corpus
                .config
                .out
                .as_deref()
                .is_some_and(|out| !excluded.contains(&PathBuf::from(out))) =>
        {
            // Read again without it: the settings that name it come from the corpus itself.
            let mut all = excluded.to_vec();
            all.extend(corpus.config.out.as_deref().map(PathBuf::from));
            load_diags = Diagnostics::new();
            corpus::load_corpus_excluding(dir, &all, &mut load_diags)
        }
        other => other,
    };
    // The diagnostics say why, when no book could be made.
    diags.extend(load_diags);
    let corpus = loaded?;
    let mut doc = read::read_document(&corpus, diags);
    passes::run_passes(&mut doc, &corpus, diags);
    Ok((corpus, doc))
}

/// Output folder when neither `-o` nor `out` in livret.toml names one.
pub const DEFAULT_OUT_DIR: &str = "out";

#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub corpus_dir: PathBuf,
    /// `None`: `out` of livret.toml, else `out/`.
    pub out_dir: Option<PathBuf>,
    /// Empty: `formats` of livret.toml, else all three.
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
    /// Wait for another build writing the same output folder instead of failing at once.
    pub wait: bool,
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
    let cli_out = options
        .out_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_OUT_DIR));
    let (corpus, doc) =
        load_document_excluding(&options.corpus_dir, std::slice::from_ref(&cli_out), diags)?;
    let settings = &corpus.config;
    let out_dir = match (&options.out_dir, &settings.out) {
        (Some(dir), _) => dir.clone(),
        (None, Some(dir)) => PathBuf::from(dir),
        (None, None) => cli_out,
    };
    inspect(&doc);
    let settings = &corpus.config;
    let strict = options.strict || settings.strict == Some(true);
    let split = options.split || settings.split == Some(true);
    let theme_dir = options
        .theme
        .clone()
        .or_else(|| settings.theme.as_ref().map(PathBuf::from));
    if strict {
        diags.promote_warnings();
    }
    if diags.has_errors() {
        return Err(Error::Content(diags.error_count()));
    }
    let formats = if options.formats.is_empty() {
        formats_from_config(settings.formats.as_deref())?
    } else {
        options.formats.clone()
    };
    if let Some(theme) = &theme_dir
        && !theme.is_dir()
    {
        return Err(Error::io(
            theme,
            std::io::Error::new(std::io::ErrorKind::NotFound, "theme directory not found"),
        ));
    }
    // A `--persona` selection is another book than the whole one: its own file stem, unless
    // livret.toml's `name` says otherwise.
    let mut stem = doc.meta.name.clone();
    if !options.personas.is_empty() && settings.name.is_none() {
        let mut chosen: Vec<&str> = doc
            .chapters
            .iter()
            .filter(|c| c.kind == ChapterKind::Persona && options.personas.contains(&c.id))
            .map(|c| c.id.as_str())
            .collect();
        chosen.dedup();
        stem = joined_stem(&stem, &chosen.join("-"));
    }
    let book_files = book_source_files(&corpus, &doc);
    // Moved, not cloned, when nothing is selected: a big book is held in memory once.
    let doc = if options.personas.is_empty() {
        doc
    } else {
        select_personas(&doc, &options.personas)?
    };
    let theme = Theme::new(theme_dir);
    theme.check_files()?;
    // Taken before any writer runs: a second build fails at once (or waits), not after its work.
    let lock = output::lock_output(&out_dir, options.wait)?;
    let ctx = WriteContext {
        theme,
        build_time: options.build_time,
        version: VERSION,
    };

    let mut variants = Vec::new();
    if split {
        for persona in doc
            .chapters
            .iter()
            .filter(|c| c.kind == ChapterKind::Persona)
        {
            let persona_stem = joined_stem(&doc.meta.name, &persona.id);
            // `--persona x --split`: the book already is that persona's file.
            if persona_stem == stem {
                continue;
            }
            let mut one = select::select_chapters(&doc, &|c| {
                c.kind == ChapterKind::Introduction || c.id == persona.id
            });
            one.meta.persona = Some(persona.id.clone());
            variants.push((persona_stem, one));
        }
    }
    variants.insert(0, (stem, doc));

    let mut pending = Vec::new();
    let mut reported: std::collections::HashSet<diag::Diagnostic> =
        diags.items().iter().cloned().collect();
    for &format in &formats {
        for (stem, variant) in &variants {
            let started = Instant::now();
            let mut writer_diags = Diagnostics::new();
            let bytes = write::write(format, variant, &ctx, &mut writer_diags)?;
            // Writers name pages relative to the corpus; the same problem found again in a
            // `--split` variant is reported once.
            for mut d in writer_diags.items().iter().cloned() {
                d.path = options.corpus_dir.join(&d.path).display().to_string();
                if reported.insert(d.clone()) {
                    diags.push(d);
                }
            }
            let path = out_dir.join(format!("{stem}.{}", format.extension()));
            let personas = variant
                .chapters
                .iter()
                .filter(|c| c.kind == ChapterKind::Persona)
                .map(|c| c.id.clone())
                .collect();
            pending.push((
                Artifact {
                    path,
                    format,
                    personas,
                    bytes: bytes.len() as u64,
                    sha256: manifest::sha256_hex(&bytes),
                    elapsed: started.elapsed(),
                },
                bytes,
            ));
        }
    }
    // Writers report what they could not render (an undecodable image…) as diagnostics too.
    if strict {
        diags.promote_warnings();
    }
    if diags.has_errors() {
        return Err(Error::Content(diags.error_count()));
    }
    let corpus_sha256 = manifest::corpus_digest(&options.corpus_dir, &book_files)?;
    let name_of = |a: &Artifact| {
        a.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let manifest = manifest::Manifest {
        livret_version: VERSION.to_string(),
        build_time: options.build_time,
        corpus_sha256,
        artifacts: pending
            .iter()
            .map(|(a, _)| manifest::ManifestEntry {
                path: name_of(a),
                format: a.format,
                personas: a.personas.clone(),
                bytes: a.bytes,
                sha256: a.sha256.clone(),
            })
            .collect(),
    };
    let files: Vec<(String, &[u8])> = pending
        .iter()
        .map(|(a, bytes)| (name_of(a), bytes.as_slice()))
        .collect();
    lock.publish(&files, manifest::FILE_NAME, manifest.to_json().as_bytes())?;
    Ok(pending.into_iter().map(|(artifact, _)| artifact).collect())
}

/// `<name>-<suffix>` within the stem bound: the name gives way first, so that two personas'
/// files never get the same name by truncation.
fn joined_stem(name: &str, suffix: &str) -> String {
    let suffix = corpus::safe_stem(suffix);
    let room = corpus::MAX_STEM_BYTES.saturating_sub(suffix.len() + 1);
    let mut cut = name.len().min(room);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    corpus::safe_stem(&format!("{}-{suffix}", &name[..cut]))
}

/// The files a book was built from, relative to the corpus root: every page read (each can be
/// a link target), the settings files and the images used.
fn book_source_files(corpus: &Corpus, doc: &Document) -> Vec<String> {
    let mut files: Vec<String> = corpus.routes.pages.iter().cloned().collect();
    let index_folder = corpus
        .index
        .path
        .rsplit_once('/')
        .map(|(folder, _)| format!("{folder}/"));
    let mut settings = vec!["livret.toml".to_string(), "_config.yml".to_string()];
    if let Some(folder) = index_folder {
        settings.push(format!("{folder}livret.toml"));
    }
    files.extend(
        settings
            .into_iter()
            .filter(|rel| corpus.root.join(rel).is_file()),
    );
    files.extend(doc.assets.iter().map(|asset| asset.path.clone()));
    files
}

/// `formats` of livret.toml (all three when absent).
fn formats_from_config(names: Option<&[String]>) -> Result<Vec<Format>> {
    let Some(names) = names else {
        return Ok(vec![Format::Html, Format::Epub, Format::Pdf]);
    };
    let mut formats = Vec::new();
    for name in names {
        let format = match name.trim().to_ascii_lowercase().as_str() {
            "html" => Format::Html,
            "epub" => Format::Epub,
            "pdf" => Format::Pdf,
            other => {
                return Err(Error::Usage(format!(
                    "livret.toml: unknown format `{}` in `formats` (html, epub or pdf)",
                    other.escape_debug()
                )));
            }
        };
        formats.push(format);
    }
    formats.sort();
    formats.dedup();
    if formats.is_empty() {
        return Err(Error::Usage("livret.toml: `formats` is empty".into()));
    }
    Ok(formats)
}

/// `livret clean`: remove what the last build wrote in `out_dir` (the artifacts its manifest
/// lists, and the manifest), waiting for a build in progress when `wait`. Returns their names.
pub fn clean(out_dir: &Path, wait: bool) -> Result<Vec<String>> {
    if !out_dir.exists() {
        return Ok(Vec::new());
    }
    let lock = output::lock_output(out_dir, wait)?;
    lock.clean(manifest::FILE_NAME)
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
        return Err(Error::Usage(format!(
            "unknown persona `{unknown}`; the personas are: {}",
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
