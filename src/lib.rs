//! livret: a Jekyll FAQ corpus → PDF, EPUB and HTML, each persona its own chapter.
//!
//! ```text
//! content/ ──load──▶ Corpus ──read──▶ Document ──passes──▶ Document ──write──▶ out/
//! ```

pub mod cache;
pub mod clock;
pub mod corpus;
pub mod diag;
pub mod format;
pub mod huge_pages;
pub mod ir;
pub mod jobs;
pub mod labels;
#[cfg(test)]
mod layers;
pub mod manifest;
pub mod markup;
pub mod output;
pub mod passes;
mod placement;
pub mod read;
pub mod select;
pub mod settings;
pub mod theme;
pub mod url;
pub mod write;

use corpus::Corpus;
use diag::{Diagnostics, Error, Result};
use ir::{ChapterKind, Document};
pub use settings::{DEFAULT_OUT_DIR, Settings};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use theme::Theme;
use write::{Format, WriteContext};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Load, read and resolve the corpus at `dir` with its own settings (no command-line flag): the
/// book every writer starts from (a corpus in several languages: its original language's).
/// Content problems are in `diags`; the document is returned even when some are errors.
pub fn load_document(dir: &Path, diags: &mut Diagnostics) -> Result<(Corpus, Document)> {
    load_book(&BuildOptions::for_corpus(dir), diags).map(|book| (book.corpus, book.doc))
}

/// One language's book, read and through the passes.
pub struct Book {
    /// `None` for a corpus in one language (its files carry no language suffix).
    pub language: Option<String>,
    pub corpus: Corpus,
    pub doc: Document,
}

/// Every book of a run under its settings: what `render` starts from.
pub struct Books {
    pub settings: Settings,
    pub theme: Theme,
    /// The original language's first; one book for a corpus in one language; with `--lang`,
    /// that language's alone.
    pub books: Vec<Book>,
}

/// The first book of `load_books` (the original language's): what `dump-ir` shows.
pub fn load_book(cli: &BuildOptions, diags: &mut Diagnostics) -> Result<Book> {
    let mut books = read_books(cli, diags, true)?.books;
    if books.is_empty() {
        return Err(Error::Content(diags.error_count()));
    }
    Ok(books.swap_remove(0))
}

/// The settings of `cli` resolved (`Settings::merge`), every language's corpus read without
/// the output folder, each document read and its passes run, its words (labels) resolved once:
/// its language's, then the theme's `labels.toml`, then livret.toml's `[labels]`.
pub fn load_books(cli: &BuildOptions, diags: &mut Diagnostics) -> Result<Books> {
    read_books(cli, diags, false)
}

/// `load_books`; with `first_only`, the other languages' documents are neither read nor passed.
fn read_books(cli: &BuildOptions, diags: &mut Diagnostics, first_only: bool) -> Result<Books> {
    let clock = Instant::now();
    let (corpora, settings) = settings::load_corpora(cli, diags)?;
    stage_time("load", clock);
    huge_pages::build_known(
        corpora
            .iter()
            .flat_map(|c| c.corpus.book_pages())
            .map(|page| page.body.len())
            .sum(),
        settings.formats.iter().any(|f| *f != Format::Html),
    );
    if let Some(theme) = &settings.theme
        && !theme.is_dir()
    {
        return Err(Error::io(
            theme,
            std::io::Error::new(std::io::ErrorKind::NotFound, "theme directory not found"),
        ));
    }
    let theme = Theme::new(settings.theme.clone());
    let theme_labels = theme.labels()?;
    let only = cli.language.as_deref();
    let mut books = Vec::new();
    // `--lang`: the files still take the original's name.
    let mut original_name = None;
    for (position, loaded) in corpora.into_iter().enumerate() {
        if let (Some(wanted), Some(tag)) = (only, loaded.language.as_deref())
            && tag != wanted
        {
            if position == 0 {
                original_name = Some(read::book_name(&loaded.corpus));
            }
            continue;
        }
        let corpus = loaded.corpus;
        if let Some(wanted) = only
            && loaded.language.is_none()
            && corpus.language().tag != wanted
        {
            return Err(Error::Usage(format!(
                "--lang {wanted}: the corpus is in one language, `{}`",
                corpus.language().tag
            )));
        }
        corpus::warn_when_unset(&corpus, diags);
        let words = labels::book_labels(
            &corpus.language().tag,
            theme_labels.as_ref(),
            corpus.config.labels.as_ref(),
            &corpus.display_path(&corpus.index.path),
            diags,
        );
        let clock = Instant::now();
        let mut doc = read::read_document(&corpus, words, settings.jobs, diags);
        stage_time("read", clock);
        let clock = Instant::now();
        passes::run_passes(
            &mut doc,
            &passes::PassInputs::of(&corpus, settings.jobs),
            diags,
        );
        stage_time("passes", clock);
        if let Some(name) = &original_name {
            doc.meta.name = name.clone();
        }
        books.push(Book {
            language: loaded.language,
            corpus,
            doc,
        });
        if first_only {
            break;
        }
    }
    Ok(Books {
        settings,
        theme,
        books,
    })
}

/// What the command line says, before `livret.toml` is read: `None`, empty or `false` leave
/// the choice to livret.toml, then to the defaults (`Settings::merge`).
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The corpus root (a project's `content/`).
    pub corpus_dir: PathBuf,
    /// The project folder holding the corpus, when there is one (`corpus::locate`): its
    /// livret.toml is read, and the default `out/`, `out` and `theme` are relative to it.
    pub project_dir: Option<PathBuf>,
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
    /// `--lang`: build only this language of a corpus in several.
    pub language: Option<String>,
    /// `-j`: writers run at once; `None` leaves it to livret.toml, then to the cores available.
    pub jobs: Option<usize>,
    /// The process ends once this build is written (the command line's `build`): the book read
    /// is left to the exit, which returns its memory at once, instead of being freed.
    pub exits_after: bool,
}

impl BuildOptions {
    /// `-o` as given, else `out/`: blind to livret.toml's `out`. Kept for `serve`/`watch` until
    /// they read `Settings::resolve`; everything else reads `Settings::out_dir`.
    pub fn out_dir_or_default(&self) -> PathBuf {
        self.out_dir
            .clone()
            .unwrap_or_else(|| self.in_project(Path::new(DEFAULT_OUT_DIR)))
    }

    /// A path of livret.toml (or the default `out/`): relative to the project folder when
    /// there is one, else to where livret runs.
    pub fn in_project(&self, rel: &Path) -> PathBuf {
        match &self.project_dir {
            Some(project) => corpus::in_project(project, rel),
            None => rel.to_path_buf(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Artifact {
    pub path: PathBuf,
    pub format: Format,
    /// BCP 47 tag of the artifact's language.
    pub language: String,
    /// Persona slugs in this artifact.
    pub personas: Vec<String>,
    pub bytes: u64,
    /// SHA-256 of the bytes (hex), as the manifest lists it: empty until published
    /// (`write_rendered` hashes while the file is written and synced).
    pub sha256: String,
    /// Time the writer took.
    pub elapsed: Duration,
}

/// What a caller may follow of a build: the book once read, then each writer as it starts.
pub trait BuildObserver {
    /// The book after the passes, before any writer.
    fn book(&mut self, _doc: &Document) {}
    /// Writer `done + 1` of `total` starts on `stem.format`.
    fn writing(&mut self, _stem: &str, _format: Format, _done: usize, _total: usize) {}
}

/// An artifact made in memory, not yet in `out/`.
pub struct Rendered {
    pub artifact: Artifact,
    pub bytes: Vec<u8>,
}

/// What `render` made: the artifacts, where they go, and what the book was built from.
pub struct RenderedBook {
    /// `-o`, else `out` of livret.toml, else `out/`.
    pub out_dir: PathBuf,
    /// The manifest's file name in `out_dir` (`manifest` of livret.toml, else `manifest.json`).
    pub manifest_name: String,
    /// The files the book was built from, relative to the corpus (the manifest's digest).
    pub book_files: Vec<String>,
    pub items: Vec<Rendered>,
}

/// What `write_rendered` put in the output folder, and what it left there although the
/// previous set listed it (files edited since livret wrote them).
#[derive(Debug)]
pub struct Published {
    pub artifacts: Vec<Artifact>,
    pub kept: output::Kept,
}

/// Every artifact of `options`, made in memory by the writers, with every diagnostic the
/// writers raise; nothing is written. `check` stops here, so it fails exactly where `build` would.
pub fn render(
    options: &BuildOptions,
    diags: &mut Diagnostics,
    observer: &mut dyn BuildObserver,
) -> Result<RenderedBook> {
    let Books {
        settings,
        theme,
        mut books,
    } = load_books(options, diags)?;
    if books.is_empty() {
        return Err(Error::Content(diags.error_count()));
    }
    for book in &books {
        observer.book(&book.doc);
    }
    if settings.strict {
        diags.promote_warnings();
    }
    if diags.has_errors() {
        return Err(Error::Content(diags.error_count()));
    }
    theme.check_files()?;
    // One livret.toml for every language: the original's `name` decides, and every language's
    // files share the original's name: `<name>.<lang>.<ext>`.
    let name_is_set = books[0].corpus.config.name.is_some();
    let name = books[0].doc.meta.name.clone();
    let original_personas = persona_ids(&books[0].doc);
    let mut book_files = Vec::new();
    let mut sets = Vec::new();
    for Book {
        language,
        corpus,
        mut doc,
    } in books.drain(..)
    {
        // `--persona` names the original's personas; a translation's are those at the same
        // place in its index.
        let ids = persona_ids(&doc);
        let personas: Vec<String> = settings
            .personas
            .iter()
            .map(|slug| {
                if ids.contains(slug) {
                    return slug.clone();
                }
                original_personas
                    .iter()
                    .position(|s| s == slug)
                    .and_then(|at| ids.get(at).cloned())
                    .unwrap_or_else(|| slug.clone())
            })
            .collect();
        if language.is_some() {
            doc.meta.name = name.clone();
        }
        book_files.extend(book_source_files(&corpus, &doc));
        let variants = book_variants(&personas, name_is_set, settings.split, doc)?;
        sets.push((language, variants));
    }
    book_files.sort();
    book_files.dedup();
    link_translations(&mut sets);
    let mut ctx = WriteContext {
        theme,
        build_time: settings.build_time,
        version: VERSION,
        jobs: 1,
    };

    // Every (format, file) pair is a task; they run on `settings.jobs` threads and come back in
    // this order, so bytes and diagnostics are those of a sequential build.
    let mut tasks = Vec::new();
    for &format in &settings.formats {
        for (language, variants) in &sets {
            for (stem, variant) in variants {
                tasks.push((format, language_stem(stem, language.as_deref()), variant));
            }
        }
    }
    let costs: Vec<jobs::Cost> = tasks
        .iter()
        .map(|&(format, _, doc)| {
            let size = doc.chapters.iter().map(ir::Chapter::weight).sum::<usize>();
            // Measured at scale 100: HTML 0.35 s, EPUB 0.42 s, PDF 1.6 s. Any other format is
            // a PDF of some kind: as long, and as heavy (its peak measured against the text).
            let (work, memory) = match format {
                Format::Html => (4, 0),
                Format::Epub => (5, 0),
                _ => {
                    let text = doc.chapters.iter().map(|c| ir::text_bytes(&c.blocks));
                    (20, jobs::pdf_weight(text.sum()))
                }
            };
            jobs::Cost {
                work: work * (size as u64 + 20_000),
                memory,
            }
        })
        .collect();
    // Threads the writers leave idle go to the chapters of each (a build of one format).
    ctx.jobs = (settings.jobs / tasks.len().max(1)).max(1);
    let total = tasks.len();
    let mut started = 0;
    let clock = Instant::now();
    let written = jobs::run_ordered(
        &costs,
        settings.jobs,
        jobs::memory_budget(),
        |i| {
            let (format, _, variant) = tasks[i];
            let clock = Instant::now();
            let mut writer_diags = Diagnostics::new();
            let bytes = write_format(format, variant, &ctx, &mut writer_diags);
            (bytes, writer_diags, clock.elapsed())
        },
        |i| {
            let (format, stem, _) = &tasks[i];
            observer.writing(stem, *format, started, total);
            started += 1;
        },
    );
    stage_time("writers", clock);
    let mut pending = Vec::new();
    let mut reported: std::collections::HashSet<diag::Diagnostic> =
        diags.items().iter().cloned().collect();
    let mut sources = SourceTexts::default();
    for ((format, stem, variant), (made, writer_diags, elapsed)) in tasks.into_iter().zip(written) {
        let bytes = made?;
        // Writers name pages relative to the corpus; the same problem found again in a
        // `--split` variant is reported once.
        for mut d in writer_diags.items().iter().cloned() {
            locate_in_source(&mut d, variant, &settings.corpus_dir, &mut sources);
            d.path = settings.corpus_dir.join(&d.path).display().to_string();
            if reported.insert(d.clone()) {
                diags.push(d);
            }
        }
        let path = settings
            .out_dir
            .join(format!("{stem}.{}", format.extension()));
        pending.push(Rendered {
            artifact: Artifact {
                path,
                format,
                language: variant.meta.language.clone(),
                personas: persona_ids(variant),
                bytes: bytes.len() as u64,
                sha256: String::new(),
                elapsed,
            },
            bytes,
        });
    }
    // Writers report what they could not render (an undecodable image…) as diagnostics too.
    if settings.strict {
        diags.promote_warnings();
    }
    if diags.has_errors() {
        return Err(Error::Content(diags.error_count()));
    }
    // Freeing a big book's millions of allocations takes longer than hashing its files: it is
    // done beside the publication, not before it, and not at all when the process ends next.
    if options.exits_after {
        std::mem::forget(sets);
    } else {
        let _ = std::thread::Builder::new()
            .name("livret-free".into())
            .spawn(move || drop(sets));
    }
    Ok(RenderedBook {
        manifest_name: settings.manifest_name,
        out_dir: settings.out_dir,
        book_files,
        items: pending,
    })
}

/// `LIVRET_TIMINGS=1`: each stage's wall time on stderr, to see where a build's time goes
/// without a profiler (ARCHITECTURE.md, "Where HTML and EPUB builds spend their time").
pub(crate) fn stage_time(stage: &str, since: Instant) {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("LIVRET_TIMINGS").is_some_and(|v| v == "1")) {
        eprintln!(
            "livret: {stage}: {:.1} ms, {}",
            since.elapsed().as_secs_f64() * 1000.0,
            resident_memory()
        );
    }
}

/// The process's resident memory now (`/proc/self/statm`, Linux), for `LIVRET_TIMINGS`: every
/// page first touched is zeroed by the kernel and unmapped again at exit.
fn resident_memory() -> String {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or_else(String::new, |pages| {
            format!(
                "{:.1} MiB resident",
                (pages * 4096) as f64 / f64::from(1 << 20)
            )
        })
}

/// One language's files: its tag (`None` for a one-language corpus) and each file's stem and
/// document.
type LanguageSet = (Option<String>, Vec<(String, Document)>);

/// The persona slugs of a book, in order.
fn persona_ids(doc: &Document) -> Vec<String> {
    doc.chapters
        .iter()
        .filter(|c| c.kind == ChapterKind::Persona)
        .map(|c| c.id.clone())
        .collect()
}

/// `<stem>.<lang>` for a book of a corpus in several languages.
fn language_stem(stem: &str, language: Option<&str>) -> String {
    match language {
        Some(tag) => format!("{stem}.{tag}"),
        None => stem.to_string(),
    }
}

/// The book's files before their language: the whole book (or the `--persona` selection),
/// then one handout per persona with `--split`.
fn book_variants(
    personas: &[String],
    name_is_set: bool,
    split: bool,
    doc: Document,
) -> Result<Vec<(String, Document)>> {
    // A `--persona` selection is another book than the whole one: its own file stem, unless
    // livret.toml's `name` says otherwise.
    let mut stem = doc.meta.name.clone();
    if !personas.is_empty() && !name_is_set {
        let mut chosen: Vec<&str> = doc
            .chapters
            .iter()
            .filter(|c| c.kind == ChapterKind::Persona && personas.contains(&c.id))
            .map(|c| c.id.as_str())
            .collect();
        chosen.dedup();
        stem = joined_stem(&stem, &chosen.join("-"));
    }
    // Moved, not cloned, when nothing is selected: a big book is held in memory once.
    let doc = if personas.is_empty() {
        doc
    } else {
        select_personas(&doc, personas)?
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
    Ok(variants)
}

/// Each language's book (and handout) knows the same file in every language: the whole book
/// the whole book, a handout the handout of the persona at the same place in the index.
fn link_translations(sets: &mut [LanguageSet]) {
    // One language built (`--lang`, or one language in all): no other file to link to.
    if sets.len() < 2 {
        return;
    }
    let files: Vec<Vec<(String, String)>> = sets
        .iter()
        .map(|(language, variants)| {
            variants
                .iter()
                .map(|(stem, doc)| {
                    let stem = language_stem(stem, language.as_deref());
                    (
                        format!("{stem}.{}", Format::Html.extension()),
                        doc.meta.language.clone(),
                    )
                })
                .collect()
        })
        .collect();
    for (at, (_, variants)) in sets.iter_mut().enumerate() {
        for (place, (_, doc)) in variants.iter_mut().enumerate() {
            doc.meta.translations = files
                .iter()
                .enumerate()
                .filter_map(|(other, files)| {
                    let (href, language) = files.get(place)?;
                    Some(ir::Translation {
                        name: corpus::language_name(language),
                        language: language.clone(),
                        href: href.clone(),
                        current: other == at,
                    })
                })
                .collect();
        }
    }
}

/// Writers name the page (or the image) a warning is about, rarely the place in it: point the
/// diagnostic at the first place the page shows that image (its kind becomes `Kind::Image`), or
/// holds that character (`Kind::MissingGlyph`). Characters the passes added (typographic spaces)
/// stay without a position.
fn locate_in_source(
    d: &mut diag::Diagnostic,
    doc: &Document,
    corpus_dir: &Path,
    sources: &mut SourceTexts,
) {
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
                let image = std::mem::replace(&mut d.path, chapter.source.clone());
                d.kind = diag::Kind::Image { image };
                d.line = pos.line;
                d.col = pos.col;
                return;
            }
        }
        return;
    }
    let diag::Kind::MissingGlyph { character: c } = d.kind else {
        return;
    };
    if !doc.chapters.iter().any(|chapter| chapter.source == d.path) {
        return;
    }
    let Some(text) = sources.text(corpus_dir, &d.path) else {
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

/// Pages read again to place writer warnings: each once per build (a `--split` build repeats
/// its warnings per handout), through the corpus's bounded reader (regular files only).
#[derive(Default)]
struct SourceTexts {
    pages: std::collections::HashMap<String, Option<String>>,
}

impl SourceTexts {
    fn text(&mut self, corpus_dir: &Path, rel: &str) -> Option<&str> {
        self.pages
            .entry(rel.to_string())
            .or_insert_with(|| {
                corpus::read_bounded(&corpus_dir.join(rel), corpus::MAX_PAGE_BYTES)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
            })
            .as_deref()
    }
}

/// Put artifacts made by `render` in their output folder with the manifest that lists them,
/// as one set: a build holds the folder's lock, each file is replaced atomically and a journal
/// finishes the set after any interruption (see `output.rs`); artifacts of the previous set that
/// this one does not hold are removed, unless edited since.
pub fn write_rendered(options: &BuildOptions, book: RenderedBook) -> Result<Published> {
    let RenderedBook {
        out_dir,
        manifest_name,
        book_files,
        items,
    } = book;
    let clock = Instant::now();
    let mut lock = output::lock_output(&out_dir, options.wait)?;
    lock.set_jobs(options.jobs.unwrap_or_else(jobs::available));
    stage_time("publish: lock", clock);
    let name_of = |a: &Artifact| {
        a.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    // Made while the artifacts are written and synced (`publish`): the corpus is read again
    // to digest it.
    let make_manifest = |digests: &[String]| -> Result<Vec<u8>> {
        let manifest = manifest::Manifest {
            generator: manifest::GENERATOR,
            manifest_version: manifest::MANIFEST_VERSION,
            livret_version: VERSION.to_string(),
            build_time: options.build_time,
            corpus_sha256: manifest::corpus_digest(&options.corpus_dir, &book_files)?,
            artifacts: items
                .iter()
                .zip(digests)
                .map(|(r, sha256)| manifest::ManifestEntry {
                    path: name_of(&r.artifact),
                    format: r.artifact.format,
                    language: r.artifact.language.clone(),
                    personas: r.artifact.personas.clone(),
                    bytes: r.artifact.bytes,
                    sha256: sha256.clone(),
                })
                .collect(),
        };
        Ok(manifest.to_json().into_bytes())
    };
    let files: Vec<output::SetFile> = items
        .iter()
        .map(|r| output::SetFile {
            name: name_of(&r.artifact),
            bytes: &r.bytes,
        })
        .collect();
    let publication = lock.publish(&files, &manifest_name, make_manifest)?;
    stage_time("publish", clock);
    Ok(Published {
        artifacts: items
            .into_iter()
            .zip(publication.sha256)
            .map(|(r, sha256)| Artifact {
                sha256,
                ..r.artifact
            })
            .collect(),
        kept: publication.kept,
    })
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

/// `livret clean`: remove what the last build wrote in `out_dir` (the artifacts its manifest
/// `manifest_name` lists that still hold livret's bytes, and the manifest), waiting for a build
/// in progress when `wait`. Returns the names removed and the edited files kept.
pub fn clean(
    out_dir: &Path,
    manifest_name: &str,
    wait: bool,
) -> Result<(Vec<String>, output::Kept)> {
    if !out_dir.exists() {
        return Ok(Default::default());
    }
    let lock = output::lock_output(out_dir, wait)?;
    lock.clean(manifest_name)
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

/// The bytes of `doc` in `format`: the one place that picks a writer.
pub fn write_format(
    format: Format,
    doc: &Document,
    ctx: &WriteContext,
    diags: &mut Diagnostics,
) -> Result<Vec<u8>> {
    match format {
        Format::Html => write::html::write_html(doc, ctx, diags),
        Format::Epub => write::epub::write_epub(doc, ctx, diags),
        Format::Pdf => write::pdf::write_pdf(doc, ctx, diags),
        Format::Print => write::pdf::write_print(doc, ctx, diags),
        Format::Booklet => write::pdf::write_booklet(doc, ctx, diags),
        Format::Cards => write::pdf::write_cards(doc, ctx, diags),
    }
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
