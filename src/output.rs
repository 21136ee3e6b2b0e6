//! Putting a release set (every artifact of a build and its manifest) in `out/` so that readers
//! see the previous set or the new one, never a mix.
//!
//! - One build at a time per output folder: an advisory lock (`flock`) on the folder itself.
//! - When the folder holds only livret's own files, the new set is written into a fresh sibling
//!   folder (`.<out>.livret-XXXXXX`) and swapped with it in one step (`renameat2` with
//!   `RENAME_EXCHANGE` on Linux). Otherwise (the user's own files are there too, another OS,
//!   a file system that cannot exchange) each file is renamed into place, manifest last.
//! - Leftovers of killed builds are found by their lock (a live build holds its folder's lock),
//!   never by process id.

use crate::diag::{Error, Result};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Temporary files inside the output folder (the file-by-file mode).
const TEMP_PREFIX: &str = ".livret-";
const TEMP_SUFFIX: &str = ".tmp";
/// Largest previous `manifest.json` read to learn which files livret wrote.
const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// One build's exclusive hold on an output folder, released when dropped (or when the process
/// dies, however it dies).
#[derive(Debug)]
pub struct OutputLock {
    dir: PathBuf,
    _lock: File,
}

/// How `publish` put the set in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishMode {
    /// The whole folder was swapped in one step.
    Exchanged,
    /// Each file was renamed into place (the manifest last).
    FileByFile,
}

/// Take the lock of `dir` (created if missing). Without `wait`, a folder another build holds is
/// an error at once; with it, the call blocks until that build ends.
pub fn lock_output(dir: &Path, wait: bool) -> Result<OutputLock> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::io(
            dir,
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "exists and is not a folder",
            ),
        ));
    }
    loop {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let file = File::open(dir).map_err(|e| Error::io(dir, e))?;
        if wait {
            file.lock().map_err(|e| Error::io(dir, e))?;
        } else {
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Usage(format!(
                        "another build is writing {}; wait for it or pass --wait",
                        dir.display()
                    )));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(dir, e)),
            }
        }
        // The folder may have been swapped while we waited: the lock must be on what the path
        // names now.
        if same_file(&file, dir) {
            return Ok(OutputLock {
                dir: dir.to_path_buf(),
                _lock: file,
            });
        }
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(held), Ok(now)) => held.dev() == now.dev() && held.ino() == now.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.is_dir()
}

impl OutputLock {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Put `files` (bare file names and bytes) and `manifest` (written as `manifest_name`, last)
    /// in the output folder as one set. Files of the previous set (its manifest's list) that
    /// this set does not have are removed, so the folder and the manifest always agree.
    pub fn publish(
        &self,
        files: &[(String, &[u8])],
        manifest_name: &str,
        manifest: &[u8],
    ) -> Result<PublishMode> {
        for (name, _) in files {
            if !is_bare_file_name(name) {
                return Err(Error::Usage(format!(
                    "artifact name `{}` is not a plain file name",
                    name.escape_debug()
                )));
            }
        }
        self.remove_leftovers();
        let previous = previous_artifacts(&self.dir, manifest_name);
        if self.holds_only(&previous, manifest_name)
            && let Some(()) = self.publish_by_exchange(files, manifest_name, manifest)?
        {
            return Ok(PublishMode::Exchanged);
        }
        self.publish_file_by_file(files, manifest_name, manifest, &previous)?;
        Ok(PublishMode::FileByFile)
    }

    /// Remove every artifact the manifest lists, the manifest, livret's leftovers, and the folder
    /// itself when nothing else is left in it. Returns the names removed.
    pub fn clean(&self, manifest_name: &str) -> Result<Vec<String>> {
        self.remove_leftovers();
        let mut removed = Vec::new();
        let listed = previous_artifacts(&self.dir, manifest_name);
        for name in listed
            .iter()
            .chain(std::iter::once(&manifest_name.to_string()))
        {
            let path = self.dir.join(name);
            if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                removed.push(name.clone());
            }
        }
        // Only an empty folder goes: the user's own files stay, and so does their folder.
        let _ = std::fs::remove_dir(&self.dir);
        Ok(removed)
    }

    /// Whether every entry of the folder is livret's: the previous set, its manifest, temp files.
    fn holds_only(&self, previous: &[String], manifest_name: &str) -> bool {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return false;
        };
        entries.flatten().all(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let regular = entry.file_type().is_ok_and(|t| t.is_file());
            regular && (name == manifest_name || previous.contains(&name) || is_temp_name(&name))
        })
    }

    /// Temp files in the folder and staging folders beside it that no live build holds.
    fn remove_leftovers(&self) {
        // Under our lock no other build writes in the folder: every temp file in it is stale.
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                if is_temp_name(&entry.file_name().to_string_lossy())
                    && entry.file_type().is_ok_and(|t| t.is_file())
                {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let Some((parent, prefix)) = self.staging_place() else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(&parent) else {
            return;
        };
        for entry in entries.flatten() {
            if !entry.file_name().to_string_lossy().starts_with(&prefix)
                || !entry.file_type().is_ok_and(|t| t.is_dir())
            {
                continue;
            }
            // A staging folder whose lock we can take belongs to no live build.
            let Ok(held) = File::open(entry.path()) else {
                continue;
            };
            if held.try_lock().is_ok() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }

    /// The folder the staging folders go in (the output folder's parent) and their name prefix.
    fn staging_place(&self) -> Option<(PathBuf, String)> {
        let absolute = std::path::absolute(&self.dir).ok()?;
        let name = absolute.file_name()?.to_string_lossy().into_owned();
        let parent = absolute.parent()?.to_path_buf();
        Some((parent, format!(".{name}.livret-")))
    }

    /// Write the set into a fresh sibling folder, then swap the two. `None` when this system
    /// cannot swap folders (the caller falls back to file by file).
    fn publish_by_exchange(
        &self,
        files: &[(String, &[u8])],
        manifest_name: &str,
        manifest: &[u8],
    ) -> Result<Option<()>> {
        if !cfg!(target_os = "linux") {
            return Ok(None);
        }
        let Some((parent, prefix)) = self.staging_place() else {
            return Ok(None);
        };
        let staging = tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir_in(&parent)
            .map_err(|e| Error::io(&parent, e))?;
        // Held until this build ends, so no other build takes it for a leftover.
        let staging_lock = File::open(staging.path()).map_err(|e| Error::io(staging.path(), e))?;
        staging_lock
            .try_lock()
            .map_err(|e| Error::io(staging.path(), std::io::Error::other(e.to_string())))?;
        copy_folder_mode(&self.dir, staging.path());
        for (name, bytes) in files {
            write_synced(&staging.path().join(name), bytes)?;
        }
        write_synced(&staging.path().join(manifest_name), manifest)?;
        sync_folder(staging.path());
        match exchange(staging.path(), &self.dir) {
            Ok(()) => {}
            Err(e) if exchange_unsupported(&e) => return Ok(None),
            Err(e) => return Err(Error::io(&self.dir, e)),
        }
        sync_folder(&parent);
        // The staging path now holds the previous set; dropping `staging` removes it.
        drop(staging);
        drop(staging_lock);
        Ok(Some(()))
    }

    fn publish_file_by_file(
        &self,
        files: &[(String, &[u8])],
        manifest_name: &str,
        manifest: &[u8],
        previous: &[String],
    ) -> Result<()> {
        // Refuse before the first rename what would stop the set half-way (a folder named like
        // an artifact).
        for name in files.iter().map(|(n, _)| n.as_str()).chain([manifest_name]) {
            let path = self.dir.join(name);
            if let Ok(meta) = std::fs::symlink_metadata(&path)
                && !meta.is_file()
            {
                return Err(Error::io(
                    path,
                    std::io::Error::new(
                        std::io::ErrorKind::AlreadyExists,
                        "is in the way of an artifact and is not a regular file",
                    ),
                ));
            }
        }
        let mut written = Vec::new();
        for (name, bytes) in files {
            written.push((name.clone(), temp_file_with(&self.dir, bytes)?));
        }
        let manifest_temp = temp_file_with(&self.dir, manifest)?;
        for (name, temp) in written {
            let path = self.dir.join(&name);
            temp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
        }
        let path = self.dir.join(manifest_name);
        manifest_temp
            .persist(&path)
            .map_err(|e| Error::io(&path, e.error))?;
        for name in previous {
            if files.iter().any(|(n, _)| n == name) || name == manifest_name {
                continue;
            }
            let path = self.dir.join(name);
            if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                let _ = std::fs::remove_file(&path);
            }
        }
        sync_folder(&self.dir);
        Ok(())
    }
}

/// A name livret may create in or remove from an output folder: no separator, not `..`, not
/// hidden, no control character.
pub fn is_bare_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control)
}

fn is_temp_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)
}

/// The artifact names the previous `manifest.json` lists (bare names only: a manifest edited to
/// name `../x` never makes livret remove anything outside the folder).
pub fn previous_artifacts(dir: &Path, manifest_name: &str) -> Vec<String> {
    let path = dir.join(manifest_name);
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return Vec::new();
    };
    if !meta.is_file() || meta.len() > MAX_MANIFEST_BYTES {
        return Vec::new();
    }
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    value
        .get("artifacts")
        .and_then(|a| a.as_array())
        .map(|artifacts| {
            artifacts
                .iter()
                .filter_map(|a| a.get("path")?.as_str())
                .filter(|name| is_bare_file_name(name))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = File::create(path).map_err(|e| Error::io(path, e))?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))?;
    set_shared_mode(&file, path)?;
    file.sync_all().map_err(|e| Error::io(path, e))
}

fn temp_file_with(dir: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile> {
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    temp.write_all(bytes)
        .map_err(|e| Error::io(temp.path(), e))?;
    set_shared_mode(temp.as_file(), temp.path())?;
    temp.as_file()
        .sync_all()
        .map_err(|e| Error::io(temp.path(), e))?;
    Ok(temp)
}

/// tempfile creates 0600 files; an artifact is for sharing, like any file the user writes.
fn set_shared_mode(file: &File, path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io(path, e))?;
    }
    #[cfg(not(unix))]
    let _ = (file, path);
    Ok(())
}

/// The staging folder takes the output folder's permissions (tempfile makes it 0700).
fn copy_folder_mode(from: &Path, to: &Path) {
    if let Ok(meta) = std::fs::metadata(from) {
        let _ = std::fs::set_permissions(to, meta.permissions());
    }
}

fn sync_folder(dir: &Path) {
    // Makes the renames durable; a file system that cannot sync a folder is not an error.
    if let Ok(file) = File::open(dir) {
        let _ = file.sync_all();
    }
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both pointers are valid NUL-terminated strings that outlive the call.
    let status = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if status == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Errors that mean "this system or file system cannot swap these folders", not a failure.
fn exchange_unsupported(e: &std::io::Error) -> bool {
    #[cfg(target_os = "linux")]
    if let Some(code) = e.raw_os_error() {
        return matches!(
            code,
            libc::EINVAL | libc::ENOSYS | libc::EXDEV | libc::EBUSY | libc::ENOTSUP
        );
    }
    e.kind() == std::io::ErrorKind::Unsupported
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn manifest_listing(names: &[&str]) -> Vec<u8> {
        let artifacts: Vec<_> = names
            .iter()
            .map(|n| serde_json::json!({ "path": n }))
            .collect();
        serde_json::json!({ "artifacts": artifacts })
            .to_string()
            .into_bytes()
    }

    #[test]
    fn a_set_replaces_the_previous_one_and_its_extra_files_go() {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("out");
        let lock = lock_output(&out, false).unwrap();
        let first = [("a.html".to_string(), &b"1"[..]), ("a-x.html".into(), b"2")];
        lock.publish(
            &first,
            "manifest.json",
            &manifest_listing(&["a.html", "a-x.html"]),
        )
        .unwrap();
        assert_eq!(names(&out), ["a-x.html", "a.html", "manifest.json"]);
        let second = [("a.html".to_string(), &b"3"[..])];
        let mode = lock
            .publish(&second, "manifest.json", &manifest_listing(&["a.html"]))
            .unwrap();
        assert_eq!(names(&out), ["a.html", "manifest.json"]);
        assert_eq!(std::fs::read(out.join("a.html")).unwrap(), b"3");
        if cfg!(target_os = "linux") {
            assert_eq!(mode, PublishMode::Exchanged);
        }
        assert_eq!(names(parent.path()), ["out"], "no staging folder left");
    }

    #[test]
    fn the_users_own_files_stay_and_the_set_is_written_file_by_file() {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("notes.txt"), b"mine").unwrap();
        let lock = lock_output(&out, false).unwrap();
        let set = [("a.html".to_string(), &b"1"[..])];
        let mode = lock
            .publish(&set, "manifest.json", &manifest_listing(&["a.html"]))
            .unwrap();
        assert_eq!(mode, PublishMode::FileByFile);
        assert_eq!(names(&out), ["a.html", "manifest.json", "notes.txt"]);
        let removed = lock.clean("manifest.json").unwrap();
        assert_eq!(removed, ["a.html", "manifest.json"]);
        assert_eq!(names(&out), ["notes.txt"]);
    }

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("out");
        let first = lock_output(&out, false).unwrap();
        let refused = lock_output(&out, false).unwrap_err().to_string();
        assert!(refused.contains("another build is writing"), "{refused}");
        drop(first);
        assert!(lock_output(&out, false).is_ok());
    }

    #[test]
    fn leftovers_are_removed_only_when_no_build_holds_them() {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("out");
        let dead = parent.path().join(".out.livret-dead");
        let live = parent.path().join(".out.livret-live");
        std::fs::create_dir_all(&dead).unwrap();
        std::fs::create_dir_all(&live).unwrap();
        let live_lock = File::open(&live).unwrap();
        live_lock.lock().unwrap();
        let lock = lock_output(&out, false).unwrap();
        std::fs::write(out.join(".livret-123-abc.tmp"), b"partial").unwrap();
        lock.remove_leftovers();
        assert!(!dead.exists());
        assert!(live.exists(), "a live build's folder stays");
        assert!(names(&out).is_empty());
    }

    #[test]
    fn an_output_path_that_is_a_file_is_an_io_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("out");
        std::fs::write(&blocker, b"a file where a directory should be").unwrap();
        let err = lock_output(&blocker, false).unwrap_err();
        assert!(err.to_string().contains("out"), "{err}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn bare_names_only() {
        for bad in ["", "../x", "a/b", "a\\b", ".hidden", "a\nb"] {
            assert!(!is_bare_file_name(bad), "{bad:?}");
        }
        assert!(is_bare_file_name("livre-citoyen.pdf"));
    }
}
