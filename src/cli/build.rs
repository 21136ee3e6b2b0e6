//! `livret build`: the settings resolved, the book rendered, then written as one set.

use super::args::{CorpusArg, OutputArgs, ReportArgs, format_parser};
use super::messages;
use super::progress::Progress;
use super::report::{Reporter, print_line};
use crate::Cli;
use clap::Args;
use livret::diag::{Diagnostics, Error, escape_control};
use livret::{render, write_rendered};

// `serve` and `watch` take these from here.
pub use super::args::{FormatArg, SelectionArgs, build_options, formats};

#[derive(Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub corpus: CorpusArg,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Formats to write, comma-separated [default: `formats` of livret.toml, else all three]
    #[arg(short, long, value_delimiter = ',', value_parser = format_parser())]
    pub format: Vec<FormatArg>,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

pub fn run_build(
    args: &BuildArgs,
    cli: &Cli,
    reporter: &mut Reporter,
    diags: &mut Diagnostics,
) -> Result<(), Error> {
    reporter.format = args.report.diagnostics;
    let located = args.corpus.locate()?;
    let dir = &located.corpus_dir;
    if let Some(output) = &args.output.output {
        messages::check_output_dir(output)?;
    }
    let mut options = build_options(
        &located,
        args.output.output.as_deref(),
        formats(&args.format),
        &args.selection,
        args.report.strict,
    )?;
    options.wait = args.output.wait;
    options.exits_after = true;
    // With JSON diagnostics, stdout holds JSON only: no outline even with -v.
    let outline = cli.verbose && !reporter.json();
    let mut progress = Progress::new(reporter, outline, dir);
    let result = render(&options, diags, &mut progress);
    progress.finish();
    let book = result.map_err(|e| messages::explain_in(e, &options.out_dir_or_default()))?;
    // livret.toml may name the folder: errors name the one resolved.
    let out_dir = book.out_dir.clone();
    if book.out_dir != options.out_dir_or_default() {
        messages::check_output_dir(&out_dir)?;
    }
    let published =
        write_rendered(&options, book).map_err(|e| messages::explain_in(e, &out_dir))?;
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
            print_line(format_args!(
                "{path:<width$}  {:>10}  {:>6.2} s",
                human_size(a.bytes),
                a.elapsed.as_secs_f64()
            ));
        }
    }
    Ok(())
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / (1 << 10) as f64),
        b => format!("{b} B"),
    }
}
