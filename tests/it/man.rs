//! `livret man`: a page per subcommand, written all at once into a folder or printed one by one
//! (issue 20, item 5), through the binary.

use crate::common;

use common::{livret, repo, require_tool};
use std::path::Path;
use std::process::{Command, Output};

fn run(cwd: &Path, args: &[&str]) -> Output {
    livret(cwd).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The `.TH` title of a roff page.
fn title(roff: &str) -> Option<&str> {
    let line = roff.lines().find(|l| l.starts_with(".TH "))?;
    line.split_whitespace().nth(1)
}

/// The pages livret(1) refers to in its SUBCOMMANDS section: `livret\-build(1)`….
fn referenced_pages(roff: &str) -> Vec<String> {
    roff.lines()
        .filter_map(|l| l.strip_prefix("livret\\-"))
        .filter_map(|l| l.strip_suffix("(1)"))
        .map(|name| format!("livret-{}", name.replace("\\-", "-")))
        .collect()
}

/// groff, where installed, renders the page without a warning (`-k`: UTF-8 through preconv,
/// as man does).
fn groff_accepts(path: &Path) {
    if !require_tool("groff", &["--version"]) {
        return;
    }
    let o = Command::new("groff")
        .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "groff {}: {}",
        path.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn man_writes_a_page_per_subcommand_into_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["man", "./pages"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pages = dir.path().join("pages");
    let main = std::fs::read_to_string(pages.join("livret.1")).expect("livret.1");
    assert_eq!(title(&main), Some("livret"));
    let referenced = referenced_pages(&main);
    for command in ["build", "check", "clean", "serve", "watch", "init", "man"] {
        assert!(
            referenced.contains(&format!("livret-{command}")),
            "livret(1) does not refer to livret-{command}(1): {referenced:?}"
        );
    }
    // Every page livret(1) refers to exists, titled after its file.
    for name in &referenced {
        let path = pages.join(format!("{name}.1"));
        let roff = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{name}.1"));
        assert_eq!(title(&roff), Some(name.as_str()), "{name}.1");
        assert!(roff.contains(".SH SYNOPSIS"), "{name}.1");
        groff_accepts(&path);
    }
    assert_eq!(
        std::fs::read_dir(&pages).unwrap().count(),
        referenced.len() + 1,
        "one file per page"
    );
    groff_accepts(&pages.join("livret.1"));
}

#[test]
fn man_prints_one_subcommands_page() {
    let o = run(&repo(), &["man", "build"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = stdout(&o);
    assert_eq!(title(&page), Some("livret-build"), "{page}");
    // build's own options, in its synopsis and options.
    assert!(page.contains("\\fBlivret build\\fR"), "{page}");
    for option in ["\\-\\-output", "\\-\\-split", "\\-\\-strict"] {
        assert!(page.contains(option), "{option} missing:\n{page}");
    }
    assert!(page.contains("livret 0.") || page.contains(&format!("livret {}", livret::VERSION)));

    let serve = stdout(&run(&repo(), &["man", "serve"]));
    assert_eq!(title(&serve), Some("livret-serve"));
    assert_ne!(serve, page);

    // Without an argument: livret(1), as before.
    let main = stdout(&run(&repo(), &["man"]));
    assert_eq!(title(&main), Some("livret"));
}

#[test]
fn man_refuses_an_unknown_name_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["man", "biuld"]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("biuld") && stderr.contains("build") && stderr.contains("./biuld"),
        "{stderr}"
    );
    assert!(o.stdout.is_empty());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn every_subcommand_says_what_it_does_in_help_that_fits_80_columns() {
    let subcommands = [
        "build",
        "check",
        "clean",
        "dump-ir",
        "serve",
        "watch",
        "init",
        "completions",
        "man",
    ];
    let top = stdout(&run(&repo(), &["--help"]));
    for name in subcommands {
        // Listed at the top with one line saying what it does.
        let listed = top
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} not listed: {top}"));
        assert!(listed.split_whitespace().count() >= 4, "{listed}");
    }
    for args in std::iter::once(vec!["--help"]).chain(subcommands.map(|n| vec!["help", n])) {
        // Wider than 80 is wrapped even where the terminal (COLUMNS) would allow it.
        let o = livret(&repo())
            .args(&args)
            .env("COLUMNS", "200")
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}");
        let help = stdout(&o);
        for line in help.lines() {
            assert!(
                line.chars().count() <= 80,
                "{args:?}: {} columns: {line}",
                line.chars().count()
            );
        }
        // The description above `Usage:` says what the command does, in a sentence or more.
        let about = help.split("Usage:").next().unwrap_or_default();
        assert!(about.split_whitespace().count() >= 5, "{args:?}: {help}");
    }
}
