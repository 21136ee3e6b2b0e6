//! `livret dump-ir`: the document model as the writers will see it, as JSON on stdout.

use super::args::CorpusArg;
use clap::Args;
use livret::BuildOptions;
use livret::diag::{Diagnostics, Error};
use std::io::Write;

#[derive(Args)]
pub struct DumpIrArgs {
    #[command(flatten)]
    pub corpus: CorpusArg,
}

pub fn run_dump_ir(args: &DumpIrArgs, diags: &mut Diagnostics) -> Result<(), Error> {
    let located = args.corpus.locate()?;
    let mut options = BuildOptions::for_corpus(&located.corpus_dir);
    options.project_dir = located.project_dir;
    // The book under its own settings (livret.toml's theme gives its words, as in a build).
    let book = livret::load_book(&options, diags)?;
    if diags.has_errors() {
        return Err(Error::Content(diags.error_count()));
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut out, &book.doc)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(out))
        .and_then(|()| out.flush());
    match written {
        // A reader that stopped (`dump-ir | head`) has what it wanted.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Usage(format!("cannot write the IR: {e}"))),
        Ok(()) => Ok(()),
    }
}
