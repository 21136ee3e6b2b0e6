//! `livret check`: everything a build runs, every writer included, in memory; nothing written.
//! One pipeline with `build`, so `check` fails exactly where `build` would.

use super::args::{CorpusArg, ReportArgs, SelectionArgs, build_options};
use super::messages;
use super::progress::Progress;
use super::report::{DiagnosticsFormat, Reporter};
use crate::Cli;
use clap::Args;
use livret::diag::{Diagnostics, Error};
use livret::render;
use livret::write::Format;

#[derive(Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub corpus: CorpusArg,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    /// The same as --diagnostics (kept for scripts written before it).
    #[arg(
        long = "format",
        value_enum,
        conflicts_with = "diagnostics",
        hide = true
    )]
    pub format_alias: Option<DiagnosticsFormat>,
}

pub fn run_check(
    args: &CheckArgs,
    cli: &Cli,
    reporter: &mut Reporter,
    diags: &mut Diagnostics,
) -> Result<(), Error> {
    reporter.format = args.format_alias.unwrap_or(args.report.diagnostics);
    let located = args.corpus.locate()?;
    let dir = &located.corpus_dir;
    // Every writer of the default formats runs, whatever livret.toml's `formats`, in memory:
    // the output folder is never touched. Print and booklet repeat the PDF writer's work.
    let options = build_options(
        &located,
        None,
        Format::DEFAULT.to_vec(),
        &args.selection,
        args.report.strict,
    )?;
    let print = !cli.quiet && !reporter.json();
    let mut progress = Progress::new(reporter, print, dir);
    let result = render(&options, diags, &mut progress);
    progress.finish();
    result
        .map(drop)
        .map_err(|e| messages::explain_in(e, &options.out_dir_or_default()))
}
