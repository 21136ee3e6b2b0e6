//! `build`, `check` and `dump-ir`: one pipeline, so `check` fails exactly where `build` would.

use super::messages;
use super::report::{DiagnosticsFormat, Reporter};
use crate::Cli;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use livret::diag::{Diagnostics, Error, escape_control};
use livret::ir::{ChapterKind, Document};
use livret::write::Format;
use livret::{BuildObserver, BuildOptions, build_observed, build_time_from_env, render};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

#[derive(Args)]
pub struct BuildArgs {
    /// Corpus directory (holding the index page).
    #[arg(default_value = "content")]
    pub dir: PathBuf,
    /// Output directory [default: `out` of livret.toml, else out]
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Formats to write, comma-separated [default: `formats` of livret.toml, else all three]
    #[arg(short, long, value_delimiter = ',')]
    pub format: Vec<FormatArg>,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
    /// How to print diagnostics: text on stderr, or JSON lines on stdout (for CI).
    #[arg(long, value_enum, default_value_t = DiagnosticsFormat::Text)]
    pub diagnostics: DiagnosticsFormat,
    /// If another build is writing the output directory, wait for it instead of failing.
    #[arg(long)]
    pub wait: bool,
}

#[derive(Args)]
pub struct CleanArgs {
    /// Output directory.
    #[arg(short, long, default_value = "out")]
    pub output: PathBuf,
    /// If a build is writing the output directory, wait for it instead of failing.
    #[arg(long)]
    pub wait: bool,
}

/// What goes into the book: the same flags for `build`, `check`, `serve` and `watch`.
#[derive(Args, Clone)]
pub struct SelectionArgs {
    /// Keep the introduction and this persona (slug, e.g. `producteur`); repeat for several.
    #[arg(long = "persona", value_name = "SLUG")]
    pub personas: Vec<String>,
    /// Also write one file per persona: <name>-<persona>.<format>.
    #[arg(long)]
    pub split: bool,
    /// Theme directory overriding the embedded one file by file (html/page.html, epub/style.css…).
    #[arg(long, value_name = "DIR")]
    pub theme: Option<PathBuf>,
    /// Build only this language of a corpus in several (`pt`): <name>.<lang>.<format>.
    #[arg(long = "lang", value_name = "TAG")]
    pub language: Option<String>,
}

#[derive(Args)]
pub struct CheckArgs {
    /// Corpus directory (holding the index page).
    #[arg(default_value = "content")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
    /// How to print diagnostics: text on stderr, or JSON lines on stdout (for CI).
    #[arg(long, value_enum, default_value_t = DiagnosticsFormat::Text)]
    pub diagnostics: DiagnosticsFormat,
    /// The same as --diagnostics (kept for scripts written before it).
    #[arg(
        long = "format",
        value_enum,
        conflicts_with = "diagnostics",
        hide = true
    )]
    pub format_alias: Option<DiagnosticsFormat>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Html,
    Epub,
    Pdf,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Html => Format::Html,
            FormatArg::Epub => Format::Epub,
            FormatArg::Pdf => Format::Pdf,
        }
    }
}

/// Formats as given, sorted and once each.
pub fn formats(given: &[FormatArg]) -> Vec<Format> {
    let mut formats: Vec<Format> = given.iter().map(|&f| f.into()).collect();
    formats.sort();
    formats.dedup();
    formats
}

/// `out`: `None` lets livret.toml's `out` (else `out/`) decide; empty `formats` likewise.
pub fn build_options(
    dir: &Path,
    out: Option<&Path>,
    formats: Vec<Format>,
    selection: &SelectionArgs,
    strict: bool,
) -> Result<BuildOptions, Error> {
    Ok(BuildOptions {
        corpus_dir: dir.to_path_buf(),
        out_dir: out.map(Path::to_path_buf),
        formats,
        personas: selection.personas.clone(),
        split: selection.split,
        theme: selection.theme.clone(),
        strict,
        build_time: build_time_from_env()?,
        wait: false,
        language: selection.language.clone(),
    })
}

pub fn run_clean(args: &CleanArgs, cli: &Cli, diags: &mut Diagnostics) -> Result<(), Error> {
    let (removed, kept) = livret::clean(&args.output, livret::manifest::FILE_NAME, args.wait)?;
    kept.warn(diags);
    if !cli.quiet {
        for name in &removed {
            println!(
                "removed {}",
                escape_control(&args.output.join(name).display().to_string())
            );
        }
    }
    Ok(())
}

pub fn run_build(
    args: &BuildArgs,
    cli: &Cli,
    reporter: &mut Reporter,
    diags: &mut Diagnostics,
) -> Result<(), Error> {
    reporter.format = args.diagnostics;
    messages::check_corpus_dir(&args.dir)?;
    if let Some(output) = &args.output {
        messages::check_output_dir(output)?;
    }
    let mut options = build_options(
        &args.dir,
        args.output.as_deref(),
        formats(&args.format),
        &args.selection,
        args.strict,
    )?;
    options.wait = args.wait;
    // With JSON diagnostics, stdout holds JSON only: no outline even with -v.
    let outline = cli.verbose && !reporter.json();
    let mut progress = Progress::new(reporter, outline, &args.dir);
    let result = build_observed(&options, diags, &mut progress);
    progress.finish();
    let published = result.map_err(|e| messages::explain(e, &options))?;
    published.kept.warn(diags);
    let artifacts = published.artifacts;
    // With JSON diagnostics stdout is for them alone; manifest.json lists the artifacts.
    if !cli.quiet && !reporter.json() {
        let width = artifacts
            .iter()
            .map(|a| a.path.display().to_string().chars().count())
            .max()
            .unwrap_or(0);
        for a in &artifacts {
            let path = escape_control(&a.path.display().to_string()).into_owned();
            println!(
                "{path:<width$}  {:>10}  {:>6.2} s",
                human_size(a.bytes),
                a.elapsed.as_secs_f64()
            );
        }
    }
    Ok(())
}

pub fn run_check(
    args: &CheckArgs,
    cli: &Cli,
    reporter: &mut Reporter,
    diags: &mut Diagnostics,
) -> Result<(), Error> {
    reporter.format = args.format_alias.unwrap_or(args.diagnostics);
    messages::check_corpus_dir(&args.dir)?;
    // Every writer runs, in memory: the output folder is never touched.
    let options = build_options(
        &args.dir,
        None,
        Format::ALL.to_vec(),
        &args.selection,
        args.strict,
    )?;
    let print = !cli.quiet && !reporter.json();
    let mut progress = Progress::new(reporter, print, &args.dir);
    let result = render(&options, diags, &mut progress);
    progress.finish();
    result.map(drop).map_err(|e| messages::explain(e, &options))
}

/// The book's outline: its title, then each chapter's kind, id and source page.
fn print_book(doc: &Document, dir: &Path) {
    println!(
        "{} — {} chapter(s)",
        escape_control(&doc.meta.title),
        doc.chapters.len()
    );
    for chapter in &doc.chapters {
        let kind = match chapter.kind {
            ChapterKind::Introduction => "introduction",
            ChapterKind::Persona => "persona",
            ChapterKind::Appendix => "appendix",
        };
        println!(
            "  {kind:<12} {:<16} {}",
            chapter.id,
            escape_control(&dir.join(&chapter.source).display().to_string())
        );
    }
}

pub fn run_dump_ir(dir: &Path, diags: &mut Diagnostics) -> Result<(), Error> {
    messages::check_corpus_dir(dir)?;
    let (_corpus, doc) = livret::load_document(dir, diags)?;
    if diags.has_errors() {
        return Err(Error::Content(diags.error_count()));
    }
    let json = serde_json::to_string_pretty(&doc)
        .map_err(|e| Error::Usage(format!("cannot serialise the IR: {e}")))?;
    println!("{json}");
    Ok(())
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / (1 << 10) as f64),
        b => format!("{b} B"),
    }
}

/// A progress bar on stderr for builds that last: drawn only on a terminal, and only once
/// the build has taken a second (a quick build prints nothing more than its result).
pub struct Progress {
    bar: Option<ProgressBar>,
    done: Option<mpsc::Sender<()>>,
    print_book: Option<PathBuf>,
}

/// How long a build runs before its progress bar shows.
const PROGRESS_AFTER: Duration = Duration::from_secs(1);

impl Progress {
    pub fn new(reporter: &Reporter, print_book: bool, dir: &Path) -> Self {
        let print_book = print_book.then(|| dir.to_path_buf());
        if !reporter.terminal || reporter.quiet() {
            return Self {
                bar: None,
                done: None,
                print_book,
            };
        }
        let bar = ProgressBar::with_draw_target(Some(1), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed}] {bar:30} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(format!("reading {}", dir.display()));
        let (done, finished) = mpsc::channel::<()>();
        let shown = bar.clone();
        std::thread::spawn(move || {
            if finished.recv_timeout(PROGRESS_AFTER) == Err(mpsc::RecvTimeoutError::Timeout) {
                shown.set_draw_target(ProgressDrawTarget::stderr());
                shown.enable_steady_tick(Duration::from_millis(120));
            }
        });
        Self {
            bar: Some(bar),
            done: Some(done),
            print_book,
        }
    }

    pub fn finish(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl BuildObserver for Progress {
    fn book(&mut self, doc: &Document) {
        if let Some(dir) = &self.print_book {
            // The outline and the bar share the terminal: print above the bar.
            match &self.bar {
                Some(bar) => bar.suspend(|| print_book(doc, dir)),
                None => print_book(doc, dir),
            }
        }
    }

    fn writing(&mut self, stem: &str, format: Format, done: usize, total: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(format!("{stem}.{}", format.extension()));
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
