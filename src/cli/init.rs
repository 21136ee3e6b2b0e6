//! `livret init`: a small corpus that builds at once, to start from.

use clap::{Args, ValueEnum};
use livret::diag::Error;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct InitArgs {
    /// Folder to create the project in: new, empty, or holding only dot-files (.git), a README
    /// or a licence.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Language of the sample pages (and of the book: French typography for fr).
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    En,
    Fr,
}

/// The sample project, path → bytes: `livret.toml` beside the corpus `content/` (and the `out/`
/// a build makes), the layout `livret build DIR` reads as a project.
fn starter_files(lang: Lang) -> Vec<(&'static str, &'static [u8])> {
    let mut files: Vec<(&'static str, &'static [u8])> = match lang {
        Lang::En => vec![
            ("content/index.md", include_bytes!("starter/en/index.md")),
            (
                "content/_faq/newcomer.md",
                include_bytes!("starter/en/newcomer.md"),
            ),
            (
                "content/_faq/contributor.md",
                include_bytes!("starter/en/contributor.md"),
            ),
            ("livret.toml", include_bytes!("starter/en/livret.toml")),
        ],
        Lang::Fr => vec![
            ("content/index.md", include_bytes!("starter/fr/index.md")),
            (
                "content/_faq/debutant.md",
                include_bytes!("starter/fr/debutant.md"),
            ),
            (
                "content/_faq/contributeur.md",
                include_bytes!("starter/fr/contributeur.md"),
            ),
            ("livret.toml", include_bytes!("starter/fr/livret.toml")),
        ],
    };
    files.push(("content/_config.yml", include_bytes!("starter/_config.yml")));
    files.push((
        "content/img/diagram.png",
        include_bytes!("starter/diagram.png"),
    ));
    files.push((".gitignore", b"/out/\n"));
    files
}

pub fn run_init(args: &InitArgs, quiet: bool) -> Result<(), Error> {
    let dir = &args.dir;
    refuse_non_empty(dir)?;
    for (rel, bytes) in starter_files(args.lang) {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| cannot_create(dir, &e))?;
        }
        // Never over a file already there (a repository's own `.gitignore`).
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path);
        match created {
            Ok(mut file) => {
                use std::io::Write;
                file.write_all(bytes).map_err(|e| cannot_create(dir, &e))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if !quiet {
                    super::report::eprint_line(format_args!(
                        "livret: kept your {} as it is",
                        path.display()
                    ));
                }
            }
            Err(e) => return Err(cannot_create(dir, &e)),
        }
    }
    if !quiet {
        let (at, out) = if dir == Path::new(".") {
            (String::new(), "out/".to_string())
        } else {
            let shown = dir.display().to_string();
            (
                format!(" {shown}"),
                format!("{}/", dir.join("out").display()),
            )
        };
        super::report::print_line(format_args!(
            "livret: created a sample project in {}: livret.toml and the corpus in content/\n  \
             next: livret serve{at}   (preview, rebuilt as you edit)\n        \
             livret build{at}   ({out}: HTML, EPUB, PDF)",
            dir.display()
        ));
    }
    Ok(())
}

/// What a new project's folder may already hold: dot-files (`.git`, `.gitignore`), a README
/// and a licence. Anything else could be a corpus or a site livret would mix with.
fn may_hold(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    name.starts_with('.')
        || ["README", "LICENSE", "LICENCE", "COPYING", "UNLICENSE"]
            .iter()
            .any(|known| {
                upper == *known
                    || upper.starts_with(&format!("{known}."))
                    || upper.starts_with(&format!("{known}-"))
            })
}

fn refuse_non_empty(dir: &Path) -> Result<(), Error> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut other: Vec<String> = entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| !may_hold(name))
                .collect();
            other.sort();
            if let Some(first) = other.first() {
                return Err(Error::Usage(format!(
                    "`{}` already holds `{}`: livret init fills a new folder, or one holding only \
                     dot-files, a README or a licence (try `livret init my-faq`)",
                    dir.display(),
                    livret::diag::escape_control(first)
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory || dir.is_file() => Err(
            Error::Usage(format!("`{}` is a file, not a folder", dir.display())),
        ),
        Err(e) => Err(cannot_create(dir, &e)),
    }
}

fn cannot_create(dir: &Path, e: &std::io::Error) -> Error {
    Error::Usage(format!(
        "cannot create the sample corpus in `{}`: {}",
        dir.display(),
        e.kind()
    ))
}
