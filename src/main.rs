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
#[command(name = "livret", version, about, long_about = None, max_term_width = 80)]
#[command(
    after_help = "DIR is a project folder (livret.toml and content/, as `livret init` makes it)\n\
or a corpus folder; without it, the current folder's content/.\n\
Exit status: 0 built, 1 errors in the content, 2 usage or I/O errors.\n\
Examples:\n  \
livret init my-faq                start a project (livret.toml, content/)\n  \
livret serve my-faq               preview, rebuilt and reloaded on every save\n  \
livret build my-faq               my-faq/out/: HTML, EPUB and PDF\n  \
livret build -f pdf --split       one PDF for the book, one per persona\n  \
livret check --strict             fail on warnings too (for CI)"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// build: also print the book's chapters and their source files first (check always
    /// does).
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Colour diagnostics: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Subcommand)]
enum Command {
    /// Build the book into the output folder (HTML, EPUB, PDF)
    ///
    /// Reads the corpus, runs the passes and every writer asked for, then writes the set into
    /// the output folder at once, with its manifest.json; one line per file (path, size, time).
    /// Nothing is written when the content has errors (exit 1).
    Build(BuildArgs),
    /// Run everything a build runs, every writer included; write nothing
    ///
    /// Prints the book's chapters and every diagnostic. `check --strict` fails exactly where
    /// `build --strict` fails; the output folder is not touched.
    Check(CheckArgs),
    /// Remove what the last build wrote in the output folder
    ///
    /// The files its manifest lists whose bytes are still livret's, then the manifest; the
    /// folder and your own files stay (an artifact you edited stays too, with a warning).
    Clean(CleanArgs),
    /// Print the document model (IR) as JSON, as the writers see it
    DumpIr(DumpIrArgs),
    /// Preview the book in the browser, rebuilt and reloaded on every save
    ///
    /// Serves the HTML page (with a bar linking to every file of the set) on
    /// http://127.0.0.1:3000/; after a change the page is rebuilt first and reloads, the other
    /// formats of -f are written after it. Ctrl-C stops.
    Serve(ServeArgs),
    /// Rebuild into the output folder on every save (`serve` without the server)
    Watch(WatchArgs),
    /// Create a project to start from: livret.toml and a sample corpus in content/
    ///
    /// The sample builds at once with --strict. The folder may be new, empty, or hold only
    /// dot-files (.git), a README or a licence; nothing there is overwritten.
    Init(InitArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a manual page, or write them all into a folder
    ///
    /// `livret man > livret.1`: livret's own; `livret man build`: livret-build(1);
    /// `livret man ./man`: every page into that folder.
    Man(cli::shell::ManArgs),
}

/// Huge pages off until the corpus proves big (src/huge_pages.rs), from before the allocator
/// reserves its first arena: `main` is too late, the runtime allocates before it, and each
/// huge page touched then costs a 2 MiB clear (two of them, a tenth of a small build).
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array.00090")]
static HUGE_PAGES_OFF_BEFORE_ANY_ALLOCATION: extern "C" fn() = {
    extern "C" fn start_small() {
        livret::huge_pages::start_small();
    }
    start_small
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The command line keeps covers and image checks between builds (README, "The cache").
    livret::cache::enable_platform_dir();
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
    let status = match result {
        Ok(()) => 0,
        Err(Error::Content(_)) => {
            reporter.summary(&diags);
            1
        }
        Err(e) => {
            reporter.fatal(&e);
            e.exit_code() as u8
        }
    };
    exit_without_teardown(status)
}

/// Ends the process once what it printed is flushed, without the exit-time destructors: the
/// allocator's own walks every arena to hand its pages back to the kernel one `madvise` at a
/// time, memory the kernel takes back whole as the process ends (3 % of a scale-1 HTML build,
/// measured). Nothing of livret's runs at exit: every file is closed and synced before this.
fn exit_without_teardown(status: u8) -> ExitCode {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    #[cfg(unix)]
    // SAFETY: `_exit` ends the process at once; no Rust value is used after it.
    unsafe {
        libc::_exit(i32::from(status))
    }
    #[cfg(not(unix))]
    ExitCode::from(status)
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
