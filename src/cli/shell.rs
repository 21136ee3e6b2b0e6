//! `livret completions SHELL` and `livret man`: generated from the command's own definition,
//! so they never fall behind it.

use crate::Cli;
use clap::CommandFactory;
use livret::diag::Error;
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn print_completions(shell: clap_complete::Shell) -> Result<(), Error> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "livret", &mut script);
    print_bytes(&script);
    Ok(())
}

#[derive(clap::Args)]
pub struct ManArgs {
    /// A subcommand whose page to print (`build` prints livret-build(1)), or a folder to write
    /// every page into (livret.1, livret-build.1…); a name that is also a subcommand prints
    /// its page: write `./build` for a folder. Without it, livret(1) is printed.
    #[arg(value_name = "COMMAND|DIR")]
    pub target: Option<PathBuf>,
}

/// The command as its pages show it: built, so each subcommand is named `livret-NAME` (the
/// page livret(1) refers to), without the `help` subcommand.
fn built_command() -> clap::Command {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    command
}

/// A page, its footer naming livret and its version (a subcommand has no version of its own).
fn page(command: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(command).source(format!("livret {}", livret::VERSION))
}

/// Every page: livret's own, then one per visible subcommand.
fn pages() -> Vec<clap_mangen::Man> {
    let command = built_command();
    let mut pages: Vec<clap_mangen::Man> = command
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .cloned()
        .map(page)
        .collect();
    pages.insert(0, page(command));
    pages
}

/// A page on stdout; a reader that stops early (`| head`) is not an error.
fn print(page: clap_mangen::Man) -> Result<(), Error> {
    match page.render(&mut std::io::stdout()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Usage(format!("cannot write the manual page: {e}")))
        }
        _ => Ok(()),
    }
}

pub fn run_man(args: &ManArgs, quiet: bool) -> Result<(), Error> {
    let command = built_command();
    let Some(target) = &args.target else {
        return print(page(command));
    };
    let name = target.to_string_lossy();
    if name == "livret" {
        return print(page(command));
    }
    if let Some(sub) = command
        .get_subcommands()
        .find(|sub| !sub.is_hide_set() && sub.get_name() == name)
    {
        return print(page(sub.clone()));
    }
    // A folder: one that exists, or a path (a bare unknown word is more likely a typo).
    if target.is_dir() || target.components().count() > 1 {
        return write_pages(target, quiet);
    }
    let names: Vec<&str> = command
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .map(|sub| sub.get_name())
        .collect();
    Err(Error::Usage(format!(
        "man: `{name}` is neither a subcommand ({}) nor a folder; to write every page into a \
         new folder, give it as a path: ./{name}",
        names.join(", ")
    )))
}

/// Writes `livret.1` and `livret-COMMAND.1` for each subcommand into `dir` (made if missing).
fn write_pages(dir: &Path, quiet: bool) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let pages = pages();
    for page in &pages {
        let path = dir.join(page.get_filename());
        let mut roff = Vec::new();
        page.render(&mut roff)
            .map_err(|e| Error::Usage(format!("cannot write the manual page: {e}")))?;
        std::fs::write(&path, roff).map_err(|e| Error::io(&path, e))?;
    }
    if !quiet {
        super::report::eprint_line(format_args!(
            "wrote {} manual pages into {}",
            pages.len(),
            dir.display()
        ));
    }
    Ok(())
}

/// Made in memory, then written: a closed stdout (`livret completions bash | head`) ends it
/// quietly.
fn print_bytes(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}
