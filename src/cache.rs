//! What livret keeps between builds: results that cost more to make than to read back, each
//! filed under a digest of everything it is made from, so that a hit is byte for byte what a
//! fresh computation gives: the EPUB cover (a 1000 × 1600 raster and its PNG, most of a small
//! EPUB's time) and the verdict on each image checked whole (a full decode).
//!
//! The folder is `LIVRET_CACHE_DIR` (empty: no cache), else the platform's cache folder
//! (`$XDG_CACHE_HOME/livret`, `~/.cache/livret`, `~/Library/Caches/livret`,
//! `%LOCALAPPDATA%\livret\cache`). Nothing in it is needed: a missing, unreadable or damaged
//! entry is made again, and a folder that cannot be written is not an error. Each entry starts
//! with a signature and the SHA-256 of its payload, checked on every read; only such entries are
//! ever removed (the oldest, past `MAX_ENTRIES`).

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const CACHE_DIR_VAR: &str = "LIVRET_CACHE_DIR";
const SIGNATURE: &[u8] = b"livret cache 1\n";
/// Entries kept: a `--split` book of a few hundred personas stays whole between builds. The
/// folder holds at most twice this: pruned to 3/4 of it when a process first files an entry,
/// then at most this many filed by that process.
const MAX_ENTRIES: usize = 1024;
/// An entry larger than this is not one of ours.
const MAX_ENTRY_BYTES: u64 = 16 << 20;
/// Temporary files of a writer killed mid-write are removed after this long.
const STALE_TEMPORARY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Entries written by this process: past `MAX_ENTRIES` it stops adding (a build of thousands
/// of handouts does not sweep the folder it would sweep again next time).
static WRITTEN: AtomicUsize = AtomicUsize::new(0);

/// Whether the platform's cache folder is used when `LIVRET_CACHE_DIR` is not set: the
/// command line turns it on (`enable_platform_dir`); a program using the library, its tests
/// included, gets no cache unless it asks.
static PLATFORM_DIR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Use the platform's cache folder when `LIVRET_CACHE_DIR` does not name one.
pub fn enable_platform_dir() {
    PLATFORM_DIR.store(true, Ordering::Relaxed);
}

/// The cache folder, `None` when there is none (`LIVRET_CACHE_DIR=""`, no home, or a library
/// caller that did not enable it).
pub fn dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(CACHE_DIR_VAR) {
        return (!dir.is_empty()).then(|| PathBuf::from(dir));
    }
    PLATFORM_DIR
        .load(Ordering::Relaxed)
        .then(platform_dir)
        .flatten()
}

#[cfg(windows)]
fn platform_dir() -> Option<PathBuf> {
    let local = PathBuf::from(std::env::var_os("LOCALAPPDATA")?);
    Some(local.join("livret").join("cache"))
}

#[cfg(target_os = "macos")]
fn platform_dir() -> Option<PathBuf> {
    let home = PathBuf::from(std::env::var_os("HOME")?);
    Some(home.join("Library").join("Caches").join("livret"))
}

#[cfg(all(not(windows), not(target_os = "macos")))]
fn platform_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| Some(PathBuf::from(std::env::var_os("HOME")?).join(".cache")))?;
    Some(base.join("livret"))
}

/// The key of what is made from `inputs` by `what` (a name for the computation), in this
/// version of livret: a new version never reads an older one's entries.
pub fn key(what: &str, inputs: &[&[u8]]) -> [u8; 32] {
    let mut key = Sha256::new();
    key.update(what.as_bytes());
    key.update([0]);
    key.update(crate::VERSION.as_bytes());
    key.update([0]);
    for input in inputs {
        key.update(input);
    }
    key.finalize().into()
}

/// The file name of `kind`'s entry under `key`: `cover-<64 hex digits>`.
fn entry_name(kind: &str, key: &[u8; 32]) -> String {
    let mut name = format!("{kind}-");
    for byte in key {
        name.push_str(&format!("{byte:02x}"));
    }
    name
}

/// The payload of an entry's bytes, when they are one of ours and whole.
fn payload_of(bytes: &[u8]) -> Option<&[u8]> {
    let rest = bytes.strip_prefix(SIGNATURE)?;
    let (digest, payload) = rest.split_at_checked(32)?;
    (Sha256::digest(payload).as_slice() == digest).then_some(payload)
}

fn read_entry(path: &Path) -> Option<Vec<u8>> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_ENTRY_BYTES {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    payload_of(&bytes).map(<[u8]>::to_vec)
}

/// The payload filed under `key`, checked whole.
pub fn get(kind: &str, key: &[u8; 32]) -> Option<Vec<u8>> {
    read_entry(&dir()?.join(entry_name(kind, key)))
}

/// File `payload` under `key`. Failing to (a read-only home, a full disk) changes nothing but
/// the next build's time.
pub fn put(kind: &str, key: &[u8; 32], payload: &[u8]) {
    let Some(dir) = dir() else {
        return;
    };
    if WRITTEN.fetch_add(1, Ordering::Relaxed) >= MAX_ENTRIES {
        return;
    }
    // Pruned once a process, at its first entry: a `--split` build filing hundreds of covers
    // lists the folder once, not once a cover.
    static PRUNED: std::sync::Once = std::sync::Once::new();
    if write_entry(&dir, &entry_name(kind, key), payload).is_ok() {
        PRUNED.call_once(|| prune(&dir));
    }
}

/// Written whole under a temporary name, then renamed: a reader sees the old entry, none, or
/// the whole new one.
fn write_entry(dir: &Path, name: &str, payload: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let temporary = dir.join(format!(".{name}.{}-{nanos}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)?;
        file.write_all(SIGNATURE)?;
        file.write_all(&Sha256::digest(payload))?;
        file.write_all(payload)
    })();
    let renamed = written.and_then(|()| std::fs::rename(&temporary, dir.join(name)));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    renamed
}

/// Past `MAX_ENTRIES`, the oldest entries go, and temporary files a killed writer left; only
/// files that read as livret's entries are ever removed.
fn prune(dir: &Path) {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries = Vec::new();
    let now = std::time::SystemTime::now();
    for item in listing.flatten() {
        let Ok(meta) = item.metadata() else { continue };
        let Ok(modified) = meta.modified() else {
            continue;
        };
        let name = item.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.ends_with(".tmp") {
            let stale = now
                .duration_since(modified)
                .is_ok_and(|age| age > STALE_TEMPORARY);
            if stale && starts_with_signature(&item.path()) {
                let _ = std::fs::remove_file(item.path());
            }
        } else if meta.is_file() && is_entry_name(&name) {
            entries.push((modified, item.path()));
        }
    }
    if entries.len() <= MAX_ENTRIES {
        return;
    }
    entries.sort();
    let excess = entries.len() - MAX_ENTRIES * 3 / 4;
    for (_, path) in entries.into_iter().take(excess) {
        if read_entry(&path).is_some() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// `<kind>-<64 hex digits>`.
fn is_entry_name(name: &str) -> bool {
    name.rsplit_once('-').is_some_and(|(kind, key)| {
        !kind.is_empty() && key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

fn starts_with_signature(path: &Path) -> bool {
    let mut head = [0u8; SIGNATURE.len()];
    std::fs::File::open(path)
        .and_then(|mut file| std::io::Read::read_exact(&mut file, &mut head))
        .is_ok_and(|()| head == SIGNATURE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_back_only_when_whole_and_signed() {
        let dir = tempfile::tempdir().unwrap();
        let name = entry_name("cover", &[7; 32]);
        write_entry(dir.path(), &name, b"payload").unwrap();
        let path = dir.path().join(&name);
        assert_eq!(read_entry(&path).as_deref(), Some(&b"payload"[..]));
        assert_eq!(name.len(), "cover-".len() + 64);

        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read_entry(&path), None, "a damaged payload is not read");
        std::fs::write(&path, &bytes[..SIGNATURE.len() + 10]).unwrap();
        assert_eq!(read_entry(&path), None, "a cut entry is not read");
        std::fs::write(&path, b"a file of the user's").unwrap();
        assert_eq!(read_entry(&path), None);
    }

    #[test]
    fn pruning_removes_the_oldest_entries_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let foreign = dir.path().join("notes.txt");
        std::fs::write(&foreign, b"mine").unwrap();
        for n in 0..=MAX_ENTRIES {
            let mut key = [0u8; 32];
            key[..8].copy_from_slice(&(n as u64).to_be_bytes());
            write_entry(dir.path(), &entry_name("cover", &key), b"x").unwrap();
        }
        prune(dir.path());
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(
            left,
            MAX_ENTRIES * 3 / 4 + 1,
            "entries pruned to 3/4, the user's file kept"
        );
        assert!(foreign.exists());
    }
}
