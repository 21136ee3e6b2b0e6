//! `livret completions SHELL` and `livret man`: generated from the command's own definition,
//! so they never fall behind it.

use crate::Cli;
use clap::CommandFactory;
use livret::diag::Error;

pub fn print_completions(shell: clap_complete::Shell) -> Result<(), Error> {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "livret", &mut std::io::stdout());
    Ok(())
}

pub fn print_man_page() -> Result<(), Error> {
    let man = clap_mangen::Man::new(Cli::command());
    man.render(&mut std::io::stdout())
        .map_err(|e| Error::Usage(format!("cannot write the manual page: {e}")))
}
