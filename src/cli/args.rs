//! Argument groups shared by the subcommands (mdBook's model: each subcommand flattens the
//! groups it takes), and the command line turned into `BuildOptions` for `Settings::merge`.

use super::report::DiagnosticsFormat;
use clap::Args;
use livret::corpus::Located;
use livret::diag::Error;
use livret::write::Format;
use livret::{BuildOptions, build_time_from_env};
use std::path::{Path, PathBuf};

/// `-f` takes the formats through `Format`'s own parser, the one `livret.toml` is read with.
pub type FormatArg = Format;

/// The project or corpus folder: the first positional argument of every subcommand that reads one.
#[derive(Args, Clone)]
pub struct CorpusArg {
    /// Project folder (holding content/ and livret.toml, as `livret init` makes it) or corpus
    /// folder (holding the index page) [default: the current folder's content/]
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

impl CorpusArg {
    /// The corpus to read and the project holding it (`corpus::locate`), the corpus checked to
    /// be a folder.
    pub fn locate(&self) -> Result<Located, Error> {
        let located = livret::corpus::locate(self.dir.as_deref());
        super::messages::check_corpus_dir(&located.corpus_dir)?;
        Ok(located)
    }
}

/// Where the set goes, for the subcommands that write or clean it.
#[derive(Args, Clone)]
pub struct OutputArgs {
    /// Output folder [default: `out` of livret.toml, else out/ (a project's own)]
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// If another build is writing the output folder, wait for it instead of failing.
    #[arg(long)]
    pub wait: bool,
}

/// What goes into the book: the same flags for `build`, `check`, `serve` and `watch`.
#[derive(Args, Clone)]
pub struct SelectionArgs {
    /// Keep the introduction and this persona (slug, e.g. `producteur`); repeat for several.
    #[arg(long = "persona", value_name = "SLUG")]
    pub personas: Vec<String>,
    /// Also make one file per persona: <name>-<persona>.<format> (`check` checks them, `build`
    /// writes them) [default: `split` of livret.toml]
    #[arg(long)]
    pub split: bool,
    /// Theme directory overriding the embedded one file by file (html/page.html, epub/style.css…)
    /// [default: `theme` of livret.toml]
    #[arg(long, value_name = "DIR")]
    pub theme: Option<PathBuf>,
    /// Build only this language of a corpus in several (`pt`): <name>.<lang>.<format>.
    #[arg(long = "lang", value_name = "TAG")]
    pub language: Option<String>,
    /// Writers run at once (formats and --split handouts) [default: `jobs` of livret.toml, else
    /// the cores available]
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
}

/// How problems are judged and shown, for `build` and `check`.
#[derive(Args, Clone)]
pub struct ReportArgs {
    /// Treat warnings as errors [default: `strict` of livret.toml].
    #[arg(long)]
    pub strict: bool,
    /// How to print diagnostics: text on stderr, or JSON lines on stdout (for CI), one object
    /// per diagnostic.
    #[arg(long, value_enum, default_value_t = DiagnosticsFormat::Text)]
    pub diagnostics: DiagnosticsFormat,
}

/// `-f`'s values: the names listed in `--help` and completions, read by `Format`'s parser.
pub fn format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Format::ALL.map(Format::name))
        .try_map(|name| name.parse::<Format>())
}

/// Formats as given, sorted and once each.
pub fn formats(given: &[FormatArg]) -> Vec<Format> {
    let mut formats = given.to_vec();
    formats.sort();
    formats.dedup();
    formats
}

/// The command line as `BuildOptions`: `out` `None` and empty `formats` leave the choice to
/// livret.toml, then to the defaults.
pub fn build_options(
    located: &Located,
    out: Option<&Path>,
    formats: Vec<Format>,
    selection: &SelectionArgs,
    strict: bool,
) -> Result<BuildOptions, Error> {
    Ok(BuildOptions {
        corpus_dir: located.corpus_dir.clone(),
        project_dir: located.project_dir.clone(),
        out_dir: out.map(Path::to_path_buf),
        formats,
        personas: selection.personas.clone(),
        split: selection.split,
        theme: selection.theme.clone(),
        strict,
        build_time: build_time_from_env()?,
        wait: false,
        language: selection.language.clone(),
        jobs: selection.jobs.map(|n| n as usize),
        exits_after: false,
    })
}
