//! Turning failures into one plain sentence a person can act on.

use livret::BuildOptions;
use livret::diag::Error;
use std::io::ErrorKind;
use std::path::Path;

/// The corpus folder exists and is a folder; the default one missing names `livret init`.
pub fn check_corpus_dir(dir: &Path) -> Result<(), Error> {
    let shown = dir.display();
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => {
            let folder = dir
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            Err(Error::Usage(format!(
                "`{shown}` is a file; give the folder that holds the FAQ's index page (perhaps `{}`)",
                folder.display()
            )))
        }
        Err(e) if e.kind() == ErrorKind::NotFound && dir == Path::new("content") => {
            Err(Error::Usage(
                "no `content/` folder here: give the corpus folder (`livret build DIR`), \
                 or create a small corpus to start from with `livret init`"
                    .to_string(),
            ))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Err(Error::Usage(format!(
            "the corpus folder `{shown}` does not exist"
        ))),
        Err(e) => Err(Error::Usage(format!(
            "cannot read the corpus folder `{shown}`: {}",
            plain_cause(&e)
        ))),
    }
}

/// The output folder is a folder (or can be made); `-o` on a file is refused before any work.
pub fn check_output_dir(out: &Path) -> Result<(), Error> {
    let shown = out.display();
    match std::fs::metadata(out) {
        Ok(meta) if !meta.is_dir() => Err(Error::Usage(format!(
            "the output `{shown}` is a file, not a folder: give a folder with -o (livret names \
             the files in it)"
        ))),
        _ => Ok(()),
    }
}

/// `explain_in` the output folder the command line names (`serve` and `watch`, until they read
/// `Settings::out_dir`).
pub fn explain(error: Error, options: &BuildOptions) -> Error {
    explain_in(error, &options.out_dir_or_default())
}

/// I/O failures in plain words, naming the output folder `out_dir` rather than a temporary file.
pub fn explain_in(error: Error, out_dir: &Path) -> Error {
    match error {
        Error::Io { path, source } => {
            let out_dir = out_dir.to_path_buf();
            let in_out = path.starts_with(&out_dir);
            let is_temp = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(".livret-"));
            if in_out || is_temp {
                let folder = if is_temp {
                    path.parent().unwrap_or(&out_dir)
                } else {
                    &out_dir
                };
                let folder = folder.display();
                // A file of the set (not the folder, not a temporary file): name it.
                let file = path
                    .file_name()
                    .filter(|_| !is_temp && path != out_dir)
                    .map(|n| format!("`{}` in ", n.to_string_lossy()))
                    .unwrap_or_default();
                let message = match source.kind() {
                    ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => format!(
                        "cannot write into `{folder}`: permission denied; choose another folder \
                         with -o, or make it writable"
                    ),
                    ErrorKind::StorageFull => {
                        format!("cannot write into `{folder}`: the disk is full")
                    }
                    ErrorKind::NotADirectory => format!(
                        "cannot write into `{folder}`: a file stands where a folder should be"
                    ),
                    ErrorKind::AlreadyExists | ErrorKind::IsADirectory => format!(
                        "cannot write {file}`{folder}`: something of that name is in the way \
                         (a folder?); move it, or choose another folder with -o"
                    ),
                    _ => format!("cannot write {file}`{folder}`: {}", plain_cause(&source)),
                };
                return Error::Usage(message);
            }
            Error::Io { path, source }
        }
        other => other,
    }
}

/// An OS error without its "(os error N)" tail.
fn plain_cause(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}
