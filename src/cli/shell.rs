//! `livret completions SHELL` and `livret man`: generated from the command's own definition,
//! so they never fall behind it.

use crate::Cli;
use clap::CommandFactory;
use livret::diag::Error;
use std::io::Write;

pub fn print_completions(shell: clap_complete::Shell) -> Result<(), Error> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "livret", &mut script);
    print_bytes(&script);
    Ok(())
}

pub fn print_man_page() -> Result<(), Error> {
    let man = clap_mangen::Man::new(Cli::command());
    let mut page = Vec::new();
    man.render(&mut page)
        .map_err(|e| Error::Usage(format!("cannot write the manual page: {e}")))?;
    print_bytes(&page);
    Ok(())
}

/// Made in memory, then written: a closed stdout (`livret man | head`) ends it quietly.
fn print_bytes(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}
