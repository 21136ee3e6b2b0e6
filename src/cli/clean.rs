//! `livret clean`: remove what the last build wrote in the output folder (the files its
//! manifest lists, and the manifest). The folder is the one `build` would write: `-o`, else
//! `out` of the corpus's livret.toml, else `out/`.

use super::args::{CorpusArg, OutputArgs};
use super::report::print_line;
use crate::Cli;
use clap::Args;
use livret::diag::{Diagnostics, Error, escape_control};
use livret::{BuildOptions, Settings};

#[derive(Args)]
pub struct CleanArgs {
    #[command(flatten)]
    pub corpus: CorpusArg,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run_clean(args: &CleanArgs, cli: &Cli, diags: &mut Diagnostics) -> Result<(), Error> {
    let located = livret::corpus::locate(args.corpus.dir.as_deref());
    let mut options = BuildOptions::for_corpus(&located.corpus_dir);
    options.project_dir = located.project_dir;
    options.out_dir = args.output.output.clone();
    options.wait = args.output.wait;
    // The corpus's livret.toml names the manifest, and the folder unless `-o` does.
    let settings = if !options.corpus_dir.is_dir() {
        Settings::without_corpus(&options)?
    } else if options.out_dir.is_some() {
        // `-o` given: a corpus that cannot be read leaves the default manifest name.
        let mut scratch = Diagnostics::new();
        match Settings::resolve(&options, &mut scratch) {
            Ok(settings) if !scratch.has_errors() => settings,
            _ => Settings::without_corpus(&options)?,
        }
    } else {
        let settings = Settings::resolve(&options, diags)?;
        if diags.has_errors() {
            // Its `out` may be what could not be read: clean nothing rather than a wrong folder.
            return Err(Error::Content(diags.error_count()));
        }
        settings
    };
    let (removed, kept) = livret::clean(&settings.out_dir, &settings.manifest_name, settings.wait)?;
    kept.warn(diags);
    if !cli.quiet {
        for name in &removed {
            print_line(format_args!(
                "removed {}",
                escape_control(&settings.out_dir.join(name).display().to_string())
            ));
        }
    }
    Ok(())
}
