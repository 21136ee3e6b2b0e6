//! The livret command line: a thin layer over the library. Each subcommand lives in `cli/`.

mod cli;

use clap::{Parser, Subcommand};
use cli::build::BuildArgs;
use cli::check::CheckArgs;
use cli::clean::CleanArgs;
use cli::dump_ir::DumpIrArgs;
use cli::init::InitArgs;
use cli::report::{ColorChoice, Reporter};
use cli::serve::{ServeArgs, WatchArgs};
use livret::diag::{Diagnostics, Error};
use std::process::ExitCode;

/// Turn a Jekyll FAQ corpus (an index page whose `buttons:` list personas, one Markdown page
/// per persona) into a self-contained HTML page, an EPUB and a PDF handout.
#[derive(Parser)]
#[command(name = "livret", version, about, long_about = None)]
#[command(
    after_help = "Exit status: 0 built, 1 errors in the content, 2 usage or I/O errors.\n\
Examples:\n  livret init my-faq && cd my-faq     start a new corpus\n  \
livret serve                        preview in the browser, rebuilt on every change\n  \
livret build                        build content/ into out/ in every format\n  \
livret build docs/ -f pdf --split   one PDF for the book, one per persona\n  \
livret check --strict               fail on warnings too (for CI)"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// build: also print the book's chapters before writing.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Colour diagnostics: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Subcommand)]
enum Command {
    /// Build the book into the output directory.
    Build(BuildArgs),
    /// Run everything a build runs, every writer included, but write nothing; print every
    /// diagnostic.
    Check(CheckArgs),
    /// Remove what the last build wrote in the output directory (the files its manifest.json
    /// lists, and the manifest); the user's own files stay.
    Clean(CleanArgs),
    /// Print the document model (IR) as JSON, as the writers will see it.
    DumpIr(DumpIrArgs),
    /// Preview the book in the browser; rebuilt and reloaded on every change.
    Serve(ServeArgs),
    /// Rebuild into the output directory on every change (`serve` without the server).
    Watch(WatchArgs),
    /// Create a small working corpus to start from.
    Init(InitArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff): livret's own (`livret man > livret.1`), a subcommand's
    /// (`livret man build`), or write them all into a folder (`livret man ./man`).
    Man(cli::shell::ManArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut reporter = Reporter::new(cli.color, cli.quiet);
    let mut diags = Diagnostics::new();
    let result = match &cli.command {
        Command::Build(args) => cli::build::run_build(args, &cli, &mut reporter, &mut diags),
        Command::Check(args) => cli::check::run_check(args, &cli, &mut reporter, &mut diags),
        Command::Clean(args) => cli::clean::run_clean(args, &cli, &mut diags),
        Command::DumpIr(args) => cli::dump_ir::run_dump_ir(args, &mut diags),
        Command::Serve(args) => cli::serve::run_serve(args, &reporter),
        Command::Watch(args) => cli::serve::run_watch(args, &reporter),
        Command::Init(args) => cli::init::run_init(args, cli.quiet),
        Command::Completions { shell } => cli::shell::print_completions(*shell),
        Command::Man(args) => cli::shell::run_man(args, cli.quiet),
    };
    reporter.report(&diags);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Content(_)) => {
            reporter.summary(&diags);
            ExitCode::from(1)
        }
        Err(e) => {
            reporter.fatal(&e);
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
