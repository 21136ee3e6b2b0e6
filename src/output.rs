//! Putting artifacts in `out/`: every file is written to a temporary file in the same directory
//! and renamed into place, so a failed or killed build never leaves a partial file and never
//! damages the previous artifact.

use crate::diag::{Error, Result};
use std::io::Write;
use std::path::Path;

/// Temporary files are `.livret-<pid>-XXXXXX.tmp`: the pid tells a later build whether the
/// writer is still alive or was killed.
const TEMP_PREFIX: &str = ".livret-";
const TEMP_SUFFIX: &str = ".tmp";

/// Remove the temporary files that killed builds left in `dir` (those of live processes stay:
/// two builds may share an output directory).
pub fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .filter(|n| n.ends_with(TEMP_SUFFIX))
            .and_then(|n| n.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !process_is_alive(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(target_os = "linux")]
fn process_is_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_is_alive(_pid: u32) -> bool {
    // Without a cheap check, never remove what might be another build's file.
    true
}

/// Write `bytes` to `path` atomically (temp file in the same directory, fsync, rename).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut temp = tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    temp.write_all(bytes)
        .map_err(|e| Error::io(temp.path(), e))?;
    // tempfile creates 0600 files; an artifact is for sharing, like any file the user writes.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::Permissions::from_mode(0o644);
        temp.as_file()
            .set_permissions(mode)
            .map_err(|e| Error::io(temp.path(), e))?;
    }
    temp.as_file()
        .sync_all()
        .map_err(|e| Error::io(temp.path(), e))?;
    temp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_previous_file_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("book.html");
        std::fs::write(&path, b"old").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(
                mode & 0o777,
                0o644,
                "readable by others, like any published file"
            );
        }
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("book.html")]);
    }

    #[test]
    fn stale_temp_files_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".livret-4294967-abc123.tmp");
        let alive = dir
            .path()
            .join(format!(".livret-{}-abc123.tmp", std::process::id()));
        let unrelated = dir.path().join(".livret-notes.tmp");
        for path in [&dead, &alive, &unrelated] {
            std::fs::write(path, b"partial").unwrap();
        }
        remove_stale_temp_files(dir.path());
        assert!(!dead.exists());
        assert!(alive.exists(), "a live build's file stays");
        assert!(unrelated.exists(), "not ours");
    }

    #[test]
    fn an_unwritable_directory_is_an_io_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("out");
        std::fs::write(&blocker, b"a file where a directory should be").unwrap();
        let err = write_atomically(&blocker.join("book.html"), b"x").unwrap_err();
        assert!(err.to_string().contains("out"), "{err}");
        assert_eq!(err.exit_code(), 2);
    }
}
