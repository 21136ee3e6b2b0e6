//! The livret command line: a thin layer over the library.

use clap::{Args, Parser, Subcommand, ValueEnum};
use livret::diag::{Diagnostics, Error, Severity, escape_control};
use livret::ir::ChapterKind;
use livret::write::Format;
use livret::{BuildOptions, build_time_from_env, build_with, load_document};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Turn a Jekyll FAQ corpus (an index page whose `buttons:` list personas, one Markdown page
/// per persona) into a self-contained HTML page, an EPUB and a PDF handout.
#[derive(Parser)]
#[command(name = "livret", version, about, long_about = None)]
#[command(
    after_help = "Exit status: 0 built, 1 errors in the content, 2 usage or I/O errors.\n\
Examples:\n  livret build                      build content/ into out/ in every format\n  \
livret build docs/ -f pdf --split   one PDF for the book, one per persona\n  \
livret check --strict             fail on warnings too (for CI)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// build: also print the book's chapters before writing.
    #[arg(short, long, global = true)]
    verbose: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Build the book into the output directory.
    Build(BuildArgs),
    /// Load, read and resolve everything; write nothing; print every diagnostic.
    Check(CheckArgs),
    /// Remove what the last build wrote in the output directory (the files its manifest.json
    /// lists, and the manifest); the user's own files stay.
    Clean(CleanArgs),
    /// Print the document model (IR) as JSON, as the writers will see it.
    DumpIr {
        /// Corpus directory (holding the index page).
        #[arg(default_value = "content")]
        dir: PathBuf,
    },
}

#[derive(Args)]
struct BuildArgs {
    /// Corpus directory (holding the index page).
    #[arg(default_value = "content")]
    dir: PathBuf,
    /// Output directory [default: `out` of livret.toml, else out]
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Formats to write, comma-separated [default: `formats` of livret.toml, else all three]
    #[arg(short, long, value_delimiter = ',')]
    format: Vec<FormatArg>,
    /// Keep the introduction and this persona (slug, e.g. `producteur`); repeat for several.
    #[arg(long = "persona", value_name = "SLUG")]
    personas: Vec<String>,
    /// Also write one file per persona: <name>-<persona>.<format>.
    #[arg(long)]
    split: bool,
    /// Theme directory overriding the embedded one file by file (html/page.html, epub/style.css…).
    #[arg(long, value_name = "DIR")]
    theme: Option<PathBuf>,
    /// Treat warnings as errors.
    #[arg(long)]
    strict: bool,
    /// If another build is writing the output directory, wait for it instead of failing.
    #[arg(long)]
    wait: bool,
}

#[derive(Args)]
struct CleanArgs {
    /// Output directory.
    #[arg(short, long, default_value = "out")]
    output: PathBuf,
    /// If a build is writing the output directory, wait for it instead of failing.
    #[arg(long)]
    wait: bool,
}

#[derive(Args)]
struct CheckArgs {
    /// Corpus directory (holding the index page).
    #[arg(default_value = "content")]
    dir: PathBuf,
    /// Treat warnings as errors.
    #[arg(long)]
    strict: bool,
    /// How to print diagnostics: text, or JSON lines for CI.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut diags = Diagnostics::new();
    let result = match &cli.command {
        Command::Build(args) => run_build(args, &cli, &mut diags),
        Command::Check(args) => run_check(args, &cli, &mut diags),
        Command::Clean(args) => run_clean(args, &cli),
        Command::DumpIr { dir } => run_dump_ir(dir, &mut diags),
    };
    let json = matches!(
        &cli.command,
        Command::Check(CheckArgs {
            format: ReportFormat::Json,
            ..
        })
    );
    report(&diags, cli.quiet, json);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Content(_)) => {
            if !json {
                eprintln!(
                    "livret: {} error(s), {} warning(s)",
                    diags.error_count(),
                    diags.warning_count()
                );
            }
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("livret: error: {}", escape_control(&e.to_string()));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// Diagnostics on one source line that show the line under them; later ones print alone.
const EXCERPTS_PER_LINE: usize = 10;

fn report(diags: &Diagnostics, quiet: bool, json: bool) {
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    let mut out = std::io::stdout().lock();
    let mut sources = SourceLines::default();
    if json {
        for d in diags.items() {
            if quiet && d.severity == Severity::Warning {
                continue;
            }
            let line = serde_json::to_string(d).unwrap_or_default();
            let _ = writeln!(out, "{line}");
        }
        return;
    }
    // Repeats are printed once with their count: 120,000 identical warnings are one line.
    // A source line is shown under its first few diagnostics only: showing a 2 MB line under
    // each of 100,000 different ones would take time in the square of the line's length.
    let mut excerpts: HashMap<(&str, u32), usize> = HashMap::new();
    for (d, count) in diags.grouped() {
        if quiet && d.severity == Severity::Warning {
            continue;
        }
        let shown = excerpts.entry((d.path.as_str(), d.line)).or_default();
        *shown += 1;
        let source_line = if *shown <= EXCERPTS_PER_LINE {
            sources.line(&d.path, d.line)
        } else {
            None
        };
        let _ = writeln!(err, "{}", d.render(source_line));
        if count > 1 {
            let _ = writeln!(
                err,
                "  note: {} more like it in {}",
                count - 1,
                escape_control(&d.path)
            );
        }
    }
}

/// The pages diagnostics point at, read again (once each) to show the line under a message.
#[derive(Default)]
struct SourceLines {
    files: HashMap<String, Option<Vec<String>>>,
}

impl SourceLines {
    /// Pages larger than this are not read again: the message alone must do.
    const MAX_BYTES: u64 = 32 << 20;

    fn line(&mut self, path: &str, line: u32) -> Option<&str> {
        if line == 0 {
            return None;
        }
        let lines = self.files.entry(path.to_string()).or_insert_with(|| {
            let path = Path::new(path);
            let size = std::fs::metadata(path).ok().filter(|m| m.is_file())?.len();
            if size > Self::MAX_BYTES {
                return None;
            }
            let bytes = std::fs::read(path).ok()?;
            // Lines as the loader counts them: CRLF, CR and LF each end one.
            let text = String::from_utf8_lossy(&bytes).replace("\r\n", "\n");
            Some(text.split(['\n', '\r']).map(str::to_string).collect())
        });
        lines.as_ref()?.get(line as usize - 1).map(String::as_str)
    }
}

fn run_build(args: &BuildArgs, cli: &Cli, diags: &mut Diagnostics) -> Result<(), Error> {
    let mut formats: Vec<Format> = args.format.iter().map(|&f| f.into()).collect();
    formats.sort();
    formats.dedup();
    let options = BuildOptions {
        corpus_dir: args.dir.clone(),
        out_dir: args.output.clone(),
        formats,
        personas: args.personas.clone(),
        split: args.split,
        theme: args.theme.clone(),
        strict: args.strict,
        build_time: build_time_from_env()?,
        wait: args.wait,
    };
    let artifacts = build_with(&options, diags, &mut |doc| {
        if cli.verbose {
            print_book(doc, &args.dir);
        }
    })?;
    if !cli.quiet {
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

fn run_clean(args: &CleanArgs, cli: &Cli) -> Result<(), Error> {
    let removed = livret::clean(&args.output, args.wait)?;
    if !cli.quiet {
        for name in &removed {
            println!("removed {}", args.output.join(name).display());
        }
    }
    Ok(())
}

fn run_check(args: &CheckArgs, cli: &Cli, diags: &mut Diagnostics) -> Result<(), Error> {
    let (_corpus, doc) = load_document(&args.dir, diags)?;
    if args.strict {
        diags.promote_warnings();
    }
    if !cli.quiet && args.format == ReportFormat::Text {
        print_book(&doc, &args.dir);
    }
    if diags.has_errors() {
        return Err(Error::Content(diags.error_count()));
    }
    Ok(())
}

/// The book's outline: its title, then each chapter's kind, id and source page.
fn print_book(doc: &livret::ir::Document, dir: &std::path::Path) {
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

fn run_dump_ir(dir: &std::path::Path, diags: &mut Diagnostics) -> Result<(), Error> {
    let (_corpus, doc) = load_document(dir, diags)?;
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
