//! Putting a release set (every artifact of a build and its manifest) in the output folder,
//! touching only what livret can prove it wrote.
//!
//! - One build at a time per output folder: an advisory lock (`flock`) on the folder itself.
//! - The folder itself is never created anew, moved or replaced (its inode, owner, mode, ACLs, a
//!   symlink to it or a mount of it stay); files are replaced inside it, each atomically: a
//!   temporary file beside it, synced, then renamed over it.
//! - A file is livret's only when a livret manifest (signed `"generator": "livret"`) lists it and
//!   its bytes still match the listed SHA-256. Anything else is the user's: never overwritten,
//!   moved or deleted. A foreign or unreadable manifest stops the build before anything is
//!   written.
//! - A journal makes the set whole again after any interruption. On Linux the files are
//!   written and synced unnamed (`O_TMPFILE`, in no folder: a failure or a kill leaves nothing),
//!   then the journal is committed with every rename to do and each file's digest, then the
//!   files get their temporary names, durable before the first rename. Where unnamed files do
//!   not work the journal is written (prepared) before the first temporary file, then committed.
//!   The journal goes after the manifest's rename. The next command that locks the folder
//!   finishes a committed journal, undoes a prepared one, and undoes a committed one whose
//!   temporary files did not all get their names (no rename was made then). Temporary files
//!   are removed only when a journal of livret's names them, never by their name alone.

use crate::corpus::is_bare_file_name;
use crate::diag::{Error, Result};
use crate::manifest::GENERATOR;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The journal's name in the output folder.
pub const JOURNAL_NAME: &str = ".livret-journal.json";
/// Every temporary name starts so: hidden, and not a name a person picks.
const TEMP_PREFIX: &str = ".livret-";
const TEMP_SUFFIX: &str = ".partial";
/// Largest manifest or journal read back.
const MAX_RECORD_BYTES: u64 = 16 << 20;
/// Fault injection for the kill tests: the process kills itself right after this many renames.
const KILL_AFTER_RENAMES_VAR: &str = "LIVRET_FAULT_KILL_AFTER_RENAMES";

/// One build's exclusive hold on an output folder, released when dropped (or when the process
/// dies, however it dies).
#[derive(Debug)]
pub struct OutputLock {
    dir: PathBuf,
    _lock: File,
    jobs: usize,
    /// The folder takes unnamed files (Linux `O_TMPFILE`; not every file system does).
    unnamed: bool,
}

/// One file of a set: its bare name and its bytes.
pub struct SetFile<'a> {
    pub name: String,
    pub bytes: &'a [u8],
}

/// A set put in the output folder: what was kept, and each file's SHA-256 (hex), in order.
#[derive(Debug)]
pub struct Publication {
    pub kept: Kept,
    pub sha256: Vec<String>,
}

/// What `publish` or `clean` left alone although the previous set listed it: files edited since
/// livret wrote them (they are the user's now).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Kept {
    pub edited: Vec<PathBuf>,
}

impl Kept {
    /// One warning per file kept, naming it.
    pub fn warn(&self, diags: &mut crate::diag::Diagnostics) {
        for path in &self.edited {
            diags
                .warning(
                    path.display().to_string(),
                    0,
                    0,
                    "edited since livret wrote it: kept, and no longer livret's",
                )
                .with_hint("delete it yourself if you do not need it");
        }
    }
}

/// Take the lock of `dir` (created if missing, never replaced), then finish or undo what an
/// interrupted build left. Without `wait`, a folder another build holds is an error at once;
/// with it, the call blocks until that build ends.
pub fn lock_output(dir: &Path, wait: bool) -> Result<OutputLock> {
    if let Ok(meta) = std::fs::metadata(dir)
        && !meta.is_dir()
    {
        return Err(Error::io(
            dir,
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "exists and is not a folder",
            ),
        ));
    }
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
    let lock = OutputLock {
        dir: dir.to_path_buf(),
        _lock: file,
        jobs: 1,
        unnamed: unnamed_files_work(dir),
    };
    lock.recover()?;
    Ok(lock)
}

/// A manifest of livret's, as far as ownership goes: each artifact's name and digest.
#[derive(Debug, Default)]
struct PreviousSet {
    /// The manifest file exists (and is livret's).
    present: bool,
    artifacts: BTreeMap<String, String>,
}

impl PreviousSet {
    /// Whether `name` is livret's: listed, a regular file, and its bytes still the listed ones.
    fn owns(&self, dir: &Path, name: &str) -> bool {
        let Some(listed) = self.artifacts.get(name) else {
            return false;
        };
        file_sha256(&dir.join(name)).is_some_and(|actual| &actual == listed)
    }
}

/// The journal of one build, as written in the output folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Journal {
    generator: String,
    journal_version: u32,
    state: JournalState,
    /// Temporary name → final name, in order (the manifest last).
    renames: Vec<(String, String)>,
    /// Files of the previous set this set drops, with the digest they must still have.
    removals: Vec<(String, String)>,
    /// The SHA-256 of each renamed file, in the order of `renames` (absent from journals
    /// written before it was recorded).
    #[serde(default)]
    sha256: Vec<String>,
}

impl Journal {
    fn to_json(&self, path: &Path) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(|e| Error::io(path, e.into()))
    }

    /// Whether every temporary file is there or already renamed (its final name holds its
    /// bytes). A journal is committed before unnamed files are linked: when one is missing,
    /// the build stopped before its names were durable, so before any rename.
    fn renames_can_finish(&self, dir: &Path) -> bool {
        self.sha256.len() != self.renames.len()
            || self
                .renames
                .iter()
                .zip(&self.sha256)
                .all(|((temp, name), digest)| {
                    std::fs::symlink_metadata(dir.join(temp)).is_ok_and(|m| m.is_file())
                        || file_sha256(&dir.join(name)).as_ref() == Some(digest)
                })
    }
}

const JOURNAL_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum JournalState {
    /// Temporary files may exist, nothing renamed yet: undo.
    Prepared,
    /// Every temporary file is whole, the renames may have begun: finish them (or undo, when
    /// a temporary file never got its name: see `renames_can_finish`).
    Committed,
}

impl OutputLock {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many files `publish` writes and syncs at once (1 unless set).
    pub fn set_jobs(&mut self, jobs: usize) {
        self.jobs = jobs.max(1);
    }

    /// Put `files` in the output folder as one set, with the manifest `make_manifest` returns
    /// from their digests (written as `manifest_name`, last). Files of the previous set that
    /// this set does not have are removed when they still hold what livret wrote, and kept
    /// (returned) when edited. When a name is taken by something livret did not write, or
    /// `make_manifest` fails, the set is not published and the folder is left as it was.
    pub fn publish(
        &self,
        files: &[SetFile],
        manifest_name: &str,
        make_manifest: impl FnOnce(&[String]) -> Result<Vec<u8>>,
    ) -> Result<Publication> {
        for name in files.iter().map(|f| f.name.as_str()).chain([manifest_name]) {
            if !is_bare_file_name(name) || name.starts_with(TEMP_PREFIX) {
                return Err(Error::Usage(format!(
                    "artifact name `{}` is not a plain file name",
                    name.escape_debug()
                )));
            }
        }
        // Each step's own time under LIVRET_TIMINGS=1.
        let mut clock = std::time::Instant::now();
        let mut step_time = |step: &str| {
            crate::stage_time(step, clock);
            clock = std::time::Instant::now();
        };
        let previous = read_previous_set(&self.dir, manifest_name)?;
        // What needs no reading (a name held by a folder, or by a file no manifest lists) stops
        // the build before anything is written.
        for file in files {
            self.check_unlisted(&previous, &file.name)?;
        }

        let build_id = build_identity();
        let temp_name = |n: usize| format!("{TEMP_PREFIX}{build_id}-{n}{TEMP_SUFFIX}");
        let mut renames: Vec<(String, String)> = files
            .iter()
            .enumerate()
            .map(|(n, file)| (temp_name(n), file.name.clone()))
            .collect();
        renames.push((temp_name(files.len()), manifest_name.to_string()));
        let journal = Journal {
            generator: GENERATOR.into(),
            journal_version: JOURNAL_VERSION,
            state: JournalState::Prepared,
            renames,
            removals: Vec::new(),
            sha256: Vec::new(),
        };
        // Unnamed files (Linux) are in no folder until they are linked, after the committed
        // journal: nothing to undo before that, so no prepared journal. Elsewhere the temporary
        // files have their names from the start, and a prepared journal names them first.
        let unnamed = self.unnamed;
        if !unnamed {
            self.write_journal(&journal, &build_id)?;
        }
        let temp_path = |n: usize| self.dir.join(&journal.renames[n].0);
        // The files are written and synced (`jobs` at once, each waiting for its own sync)
        // while this thread, otherwise idle, hashes them, proves the names livret replaces or
        // removes still its own (reading and hashing those), makes the manifest and stages it
        // and the committed journal. Until the journal is committed, a failure only drops or
        // removes the temporary files.
        let costs: Vec<crate::jobs::Cost> = files
            .iter()
            .map(|file| crate::jobs::Cost {
                work: file.bytes.len() as u64,
                memory: 0,
            })
            .collect();
        let (written, checked) = crate::jobs::beside(
            self.jobs,
            || {
                crate::jobs::run_ordered(
                    &costs,
                    self.jobs,
                    0,
                    |i| stage(&self.dir, &temp_path(i), files[i].bytes, unnamed),
                    |_| {},
                )
            },
            || {
                let (kept, removals) = self.prove_replaceable(&previous, files, manifest_name)?;
                let digests: Vec<String> = files
                    .iter()
                    .map(|file| crate::manifest::sha256_hex(file.bytes))
                    .collect();
                let manifest = make_manifest(&digests)?;
                let committed = Journal {
                    state: JournalState::Committed,
                    removals,
                    sha256: digests
                        .iter()
                        .cloned()
                        .chain([crate::manifest::sha256_hex(&manifest)])
                        .collect(),
                    ..journal.clone()
                };
                // The journal staged on the helper (once it has written the files) while the
                // manifest is staged here: their syncs overlap instead of following each other.
                let manifest_path = temp_path(files.len());
                let (staged, journal_staged) = if unnamed {
                    let journal_path = self.dir.join(JOURNAL_NAME);
                    let journal_bytes = committed.to_json(&journal_path)?;
                    let (journal, manifest) = crate::jobs::beside(
                        self.jobs,
                        || stage(&self.dir, &journal_path, &journal_bytes, true),
                        || stage(&self.dir, &manifest_path, &manifest, true),
                    );
                    (manifest?, Some(journal?))
                } else {
                    (stage(&self.dir, &manifest_path, &manifest, false)?, None)
                };
                Ok((kept, digests, committed, staged, journal_staged))
            },
        );
        step_time("publish: files written, ownership proven");
        let outcome = checked.and_then(|(kept, digests, committed, manifest, journal_staged)| {
            let mut staged = written.into_iter().collect::<Result<Vec<Staged>>>()?;
            staged.push(manifest);
            Ok((kept, digests, committed, staged, journal_staged))
        });
        let (kept, digests, committed, staged, journal_staged) = match outcome {
            Ok(found) => found,
            Err(e) => {
                // Undo at once; what this cannot remove, the next run's recovery does.
                if !unnamed {
                    let _ = self.undo(&journal);
                }
                return Err(e);
            }
        };
        match journal_staged {
            // The journal, then the temporary names, each durable before what follows: a
            // recovery that finds a temporary file missing and its final name without the new
            // bytes knows no rename was made.
            Some(journal_file) => {
                journal_file.link(&self.dir.join(JOURNAL_NAME))?;
                sync_folder(&self.dir);
                let linked = staged
                    .into_iter()
                    .enumerate()
                    .try_for_each(|(n, file)| file.link(&temp_path(n)));
                if let Err(e) = linked {
                    let _ = self.undo(&committed);
                    return Err(e);
                }
                sync_folder(&self.dir);
            }
            None => self.write_journal(&committed, &build_id)?,
        }
        step_time("publish: manifest written, journal committed");
        self.finish(&committed)?;
        step_time("publish: renamed, journal removed");
        Ok(Publication {
            kept,
            sha256: digests,
        })
    }

    /// Every name of `files` free or livret's own file; and the files of the previous set this
    /// one drops: to remove (still livret's, with their digest) or kept (edited since).
    fn prove_replaceable(
        &self,
        previous: &PreviousSet,
        files: &[SetFile],
        manifest_name: &str,
    ) -> Result<(Kept, Vec<(String, String)>)> {
        for file in files {
            self.check_replaceable(previous, &file.name)?;
        }
        let mut kept = Kept::default();
        let mut removals = Vec::new();
        for (name, digest) in &previous.artifacts {
            if files.iter().any(|file| &file.name == name) || name == manifest_name {
                continue;
            }
            let path = self.dir.join(name);
            if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                continue;
            }
            if previous.owns(&self.dir, name) {
                removals.push((name.clone(), digest.clone()));
            } else {
                kept.edited.push(path);
            }
        }
        Ok((kept, removals))
    }

    /// Remove every artifact the manifest lists that still holds what livret wrote, then the
    /// manifest. Edited artifacts stay (returned); the folder itself always stays.
    pub fn clean(&self, manifest_name: &str) -> Result<(Vec<String>, Kept)> {
        let previous = read_previous_set(&self.dir, manifest_name)?;
        let mut removed = Vec::new();
        let mut kept = Kept::default();
        for name in previous.artifacts.keys() {
            let path = self.dir.join(name);
            if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                continue;
            }
            if previous.owns(&self.dir, name) {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                removed.push(name.clone());
            } else {
                kept.edited.push(path);
            }
        }
        if previous.present {
            let path = self.dir.join(manifest_name);
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            removed.push(manifest_name.to_string());
        }
        sync_folder(&self.dir);
        Ok((removed, kept))
    }

    /// What `check_replaceable` can tell without reading the file: a name held by something
    /// that is not a regular file, or by a file the previous set does not list.
    fn check_unlisted(&self, previous: &PreviousSet, name: &str) -> Result<()> {
        let listed = previous.artifacts.contains_key(name);
        match std::fs::symlink_metadata(self.dir.join(name)) {
            Ok(meta) if !meta.is_file() || !listed => self.check_replaceable(previous, name),
            _ => Ok(()),
        }
    }

    /// An artifact may take `name` only when nothing is there or livret's own file is.
    fn check_replaceable(&self, previous: &PreviousSet, name: &str) -> Result<()> {
        let path = self.dir.join(name);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            return Ok(());
        };
        if !meta.is_file() {
            return Err(Error::Output {
                path,
                message: "is in the way of an artifact and is not a regular file; nothing was \
                          written"
                    .into(),
            });
        }
        if previous.owns(&self.dir, name) {
            return Ok(());
        }
        let why = if previous.artifacts.contains_key(name) {
            "was edited since livret wrote it"
        } else {
            "was not written by livret"
        };
        Err(Error::Output {
            path,
            message: format!(
                "{why}; livret never overwrites it and nothing was written: move it away, or \
                 build into another folder (-o DIR)"
            ),
        })
    }

    /// The journal replaced atomically: written whole and synced (unnamed where the folder
    /// takes it, so a kill leaves no half journal), named, then renamed over the journal.
    fn write_journal(&self, journal: &Journal, build_id: &str) -> Result<()> {
        let temp = self
            .dir
            .join(format!("{TEMP_PREFIX}{build_id}.journal{TEMP_SUFFIX}"));
        let text = journal.to_json(&temp)?;
        let _ = std::fs::remove_file(&temp);
        stage(&self.dir, &temp, &text, self.unnamed)?.link(&temp)?;
        let path = self.dir.join(JOURNAL_NAME);
        std::fs::rename(&temp, &path).map_err(|e| Error::io(&path, e))?;
        sync_folder(&self.dir);
        Ok(())
    }

    /// The renames of a committed journal (those not done yet), the removals, then the journal.
    fn finish(&self, journal: &Journal) -> Result<()> {
        let kill_after = std::env::var(KILL_AFTER_RENAMES_VAR)
            .ok()
            .and_then(|v| v.parse::<usize>().ok());
        for (done, (temp, name)) in journal.renames.iter().enumerate() {
            let from = self.dir.join(temp);
            if std::fs::symlink_metadata(&from).is_err() {
                continue; // renamed before an interruption
            }
            let to = self.dir.join(name);
            std::fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
            if kill_after == Some(done + 1) {
                kill_self();
            }
        }
        for (name, digest) in &journal.removals {
            let path = self.dir.join(name);
            if file_sha256(&path).as_ref() == Some(digest) {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            }
        }
        sync_folder(&self.dir);
        self.remove_journal()
    }

    /// The temporary files of a prepared journal, then the journal: the previous set stays.
    fn undo(&self, journal: &Journal) -> Result<()> {
        for (temp, _) in &journal.renames {
            let path = self.dir.join(temp);
            if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            }
        }
        sync_folder(&self.dir);
        self.remove_journal()
    }

    fn remove_journal(&self) -> Result<()> {
        let path = self.dir.join(JOURNAL_NAME);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&path, e)),
        }
        // Not synced: what the journal stood for is durable already, and a journal back after
        // a crash is finished or undone again with nothing left to do.
        Ok(())
    }

    /// What an interrupted build left: its journal finished or undone, and the journal's own
    /// temporary copies that say they are livret's journals removed.
    fn recover(&self) -> Result<()> {
        self.remove_stray_journal_copies();
        let path = self.dir.join(JOURNAL_NAME);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            return Ok(());
        };
        let journal = if meta.is_file() {
            read_bounded(&path).and_then(|bytes| serde_json::from_slice::<Journal>(&bytes).ok())
        } else {
            None
        };
        let journal = journal
            .filter(|j| j.generator == GENERATOR && j.journal_version == JOURNAL_VERSION)
            .filter(|j| {
                j.renames
                    .iter()
                    .all(|(t, n)| is_temp_name(t) && is_bare_file_name(n))
                    && j.removals.iter().all(|(n, _)| is_bare_file_name(n))
            })
            .ok_or_else(|| Error::Output {
                path: path.clone(),
                message: "is not a journal livret can read; livret leaves it alone: move it \
                          away to build here"
                    .into(),
            })?;
        match journal.state {
            JournalState::Committed if journal.renames_can_finish(&self.dir) => {
                self.finish(&journal)
            }
            JournalState::Committed | JournalState::Prepared => self.undo(&journal),
        }
    }

    fn remove_stray_journal_copies(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !(is_temp_name(&name) && name.ends_with(&format!(".journal{TEMP_SUFFIX}"))) {
                continue;
            }
            let is_ours = entry.file_type().is_ok_and(|t| t.is_file())
                && read_bounded(&entry.path())
                    .and_then(|bytes| serde_json::from_slice::<Journal>(&bytes).ok())
                    .is_some_and(|j| j.generator == GENERATOR);
            if is_ours {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

fn is_temp_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX)
        && name.ends_with(TEMP_SUFFIX)
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control)
}

/// The previous set livret wrote in `dir`: empty when there is no manifest; an error naming the
/// file when `manifest_name` is there but is not a manifest of livret's.
fn read_previous_set(dir: &Path, manifest_name: &str) -> Result<PreviousSet> {
    let path = dir.join(manifest_name);
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return Ok(PreviousSet::default());
    };
    let foreign = |why: &str| Error::Output {
        path: path.clone(),
        message: format!(
            "{why}; livret never overwrites or deletes it and nothing was written: build into \
             another folder (-o DIR), or give livret's manifest another name (`manifest = \
             \"livret-manifest.json\"` in livret.toml)"
        ),
    };
    if !meta.is_file() {
        return Err(foreign("is not a regular file"));
    }
    if meta.len() > MAX_RECORD_BYTES {
        return Err(foreign("is too large to be a manifest of livret's"));
    }
    let value = read_bounded(&path)
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .ok_or_else(|| foreign("is not JSON, so not a manifest of livret's"))?;
    if !is_livret_manifest(&value) {
        return Err(foreign("is not a manifest livret wrote"));
    }
    let artifacts = value["artifacts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| {
            let name = a.get("path")?.as_str()?;
            let digest = a.get("sha256")?.as_str()?;
            is_bare_file_name(name).then(|| (name.to_string(), digest.to_string()))
        })
        .collect();
    Ok(PreviousSet {
        present: true,
        artifacts,
    })
}

/// Signed as livret's: `"generator": "livret"` with a manifest version, or (manifests written
/// before the signature) a `livret_version`, a corpus digest and an artifact list.
pub fn is_livret_manifest(value: &serde_json::Value) -> bool {
    let artifacts = value.get("artifacts").is_some_and(|a| a.is_array());
    let signed = value.get("generator").and_then(|g| g.as_str()) == Some(GENERATOR)
        && value.get("manifest_version").is_some_and(|v| v.is_u64());
    let before_signature = value.get("livret_version").is_some_and(|v| v.is_string())
        && value.get("corpus_sha256").is_some_and(|v| v.is_string());
    artifacts && (signed || before_signature)
}

fn read_bounded(path: &Path) -> Option<Vec<u8>> {
    let file = File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_RECORD_BYTES).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// SHA-256 of a regular file's bytes (hex), streamed.
fn file_sha256(path: &Path) -> Option<String> {
    if !std::fs::symlink_metadata(path).ok()?.is_file() {
        return None;
    }
    let mut file = File::open(path).ok()?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file.read(&mut buffer).ok()?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Some(
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

/// A build's identity in its temporary names: unique enough that two builds (even on two
/// machines sharing the folder) never pick the same names.
fn build_identity() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut hasher = Sha256::new();
    hasher.update(nanos.to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    hasher.update((&hasher as *const Sha256 as usize).to_le_bytes());
    hasher.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new file (never an existing one) holding `bytes`, synced, readable by all like any file
/// the user writes.
fn write_new_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
    let mut file = options.open(path).map_err(|e| Error::io(path, e))?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))?;
    file.sync_all().map_err(|e| Error::io(path, e))
}

/// A file of the set written whole and synced, before its temporary name is durable.
enum Staged {
    /// In no folder yet (`O_TMPFILE`): dropped, it leaves nothing behind.
    #[cfg(target_os = "linux")]
    Unnamed(File),
    /// Already under its temporary name (a set's files: a prepared journal lists them).
    Named,
}

impl Staged {
    /// The file under `path`, its temporary name.
    fn link(self, path: &Path) -> Result<()> {
        match self {
            #[cfg(target_os = "linux")]
            Staged::Unnamed(file) => link_unnamed(&file, path).map_err(|e| Error::io(path, e)),
            Staged::Named => {
                let _ = path;
                Ok(())
            }
        }
    }
}

/// `bytes` written whole and synced: unnamed in `dir` when `unnamed`, else as `path`.
fn stage(dir: &Path, path: &Path, bytes: &[u8], unnamed: bool) -> Result<Staged> {
    #[cfg(target_os = "linux")]
    if unnamed {
        return write_unnamed_synced(dir, bytes)
            .map(Staged::Unnamed)
            .map_err(|e| Error::io(path, e));
    }
    let _ = (dir, unnamed);
    write_new_synced(path, bytes).map(|()| Staged::Named)
}

/// Whether `dir` takes unnamed files (Linux `O_TMPFILE`; not every file system does).
fn unnamed_files_work(dir: &Path) -> bool {
    #[cfg(target_os = "linux")]
    return open_unnamed(dir).is_ok();
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        false
    }
}

/// A new file in `dir` with no name (`O_TMPFILE`), readable by all once linked.
#[cfg(target_os = "linux")]
fn open_unnamed(dir: &Path) -> std::io::Result<File> {
    use std::os::fd::FromRawFd;
    use std::os::unix::ffi::OsStrExt;
    let folder = std::ffi::CString::new(dir.as_os_str().as_bytes())?;
    // SAFETY: a valid NUL-terminated path; the descriptor returned is owned by the `File`.
    let fd = unsafe {
        libc::open(
            folder.as_ptr(),
            libc::O_TMPFILE | libc::O_WRONLY | libc::O_CLOEXEC,
            0o644,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh descriptor nothing else owns.
    Ok(unsafe { File::from_raw_fd(fd) })
}

#[cfg(target_os = "linux")]
fn write_unnamed_synced(dir: &Path, bytes: &[u8]) -> std::io::Result<File> {
    let mut file = open_unnamed(dir)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(file)
}

/// An unnamed file given its first name, `path` (never an existing file's).
#[cfg(target_os = "linux")]
fn link_unnamed(file: &File, path: &Path) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    let source = std::ffi::CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
    let target = std::ffi::CString::new(path.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let linked = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            source.as_ptr(),
            libc::AT_FDCWD,
            target.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if linked != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

fn sync_folder(dir: &Path) {
    // Makes the renames durable; a file system that cannot sync a folder is not an error.
    if let Ok(file) = File::open(dir) {
        let _ = file.sync_all();
    }
}

fn kill_self() {
    #[cfg(unix)]
    // SAFETY: sending a signal to our own process id.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    std::process::abort();
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

    /// A signed manifest listing `files` with their digests.
    fn manifest_of(files: &[(String, &[u8])]) -> Vec<u8> {
        let artifacts: Vec<_> = files
            .iter()
            .map(|(n, bytes)| {
                serde_json::json!({ "path": n, "sha256": crate::manifest::sha256_hex(bytes) })
            })
            .collect();
        serde_json::json!({ "generator": "livret", "manifest_version": 2, "artifacts": artifacts })
            .to_string()
            .into_bytes()
    }

    fn publish(lock: &OutputLock, files: &[(String, &[u8])]) -> Result<Kept> {
        publish_with(lock, files, || Ok(manifest_of(files)))
    }

    fn publish_with(
        lock: &OutputLock,
        files: &[(String, &[u8])],
        make_manifest: impl FnOnce() -> Result<Vec<u8>>,
    ) -> Result<Kept> {
        let set: Vec<SetFile> = files
            .iter()
            .map(|(name, bytes)| SetFile {
                name: name.clone(),
                bytes,
            })
            .collect();
        let published = lock.publish(&set, "manifest.json", |digests| {
            let listed: Vec<String> = files
                .iter()
                .map(|(_, bytes)| crate::manifest::sha256_hex(bytes))
                .collect();
            assert_eq!(digests, listed, "the digests given to the manifest");
            make_manifest()
        })?;
        Ok(published.kept)
    }

    /// A journal of build `feed` renaming its two temporary files (returned) to `a.html` and
    /// `manifest.json`.
    fn journal_renaming_a_and_the_manifest(state: JournalState) -> (Journal, [String; 2]) {
        let temps = [
            ".livret-feed-0.partial".to_string(),
            ".livret-feed-1.partial".to_string(),
        ];
        let journal = Journal {
            generator: GENERATOR.into(),
            journal_version: JOURNAL_VERSION,
            state,
            renames: vec![
                (temps[0].clone(), "a.html".into()),
                (temps[1].clone(), "manifest.json".into()),
            ],
            removals: vec![],
            sha256: vec![],
        };
        (journal, temps)
    }

    #[test]
    fn a_set_replaces_the_previous_one_in_place_and_its_extra_files_go() {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("out");
        let lock = lock_output(&out, false).unwrap();
        let first = [("a.html".to_string(), &b"1"[..]), ("a-x.html".into(), b"2")];
        publish(&lock, &first).unwrap();
        assert_eq!(names(&out), ["a-x.html", "a.html", "manifest.json"]);
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&out).unwrap());
        let second = [("a.html".to_string(), &b"3"[..])];
        assert_eq!(publish(&lock, &second).unwrap(), Kept::default());
        assert_eq!(names(&out), ["a.html", "manifest.json"]);
        assert_eq!(std::fs::read(out.join("a.html")).unwrap(), b"3");
        #[cfg(unix)]
        assert_eq!(
            std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&out).unwrap()),
            inode
        );
        assert_eq!(names(parent.path()), ["out"], "nothing beside the folder");
    }

    #[test]
    fn the_users_files_stay_and_clean_keeps_the_folder() {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("notes.txt"), b"mine").unwrap();
        let lock = lock_output(&out, false).unwrap();
        publish(&lock, &[("a.html".to_string(), &b"1"[..])]).unwrap();
        assert_eq!(names(&out), ["a.html", "manifest.json", "notes.txt"]);
        let (removed, kept) = lock.clean("manifest.json").unwrap();
        assert_eq!(removed, ["a.html", "manifest.json"]);
        assert_eq!(kept, Kept::default());
        assert_eq!(names(&out), ["notes.txt"]);
    }

    #[test]
    fn a_file_livret_did_not_write_is_never_overwritten() {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("a.html"), b"mine").unwrap();
        let lock = lock_output(&out, false).unwrap();
        let err = publish(&lock, &[("a.html".to_string(), &b"1"[..])]).unwrap_err();
        assert!(err.to_string().contains("not written by livret"), "{err}");
        assert_eq!(names(&out), ["a.html"]);
        assert_eq!(std::fs::read(out.join("a.html")).unwrap(), b"mine");
    }

    #[test]
    fn a_set_refused_while_its_files_were_written_leaves_the_folder_as_it_was() {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("out");
        let lock = lock_output(&out, false).unwrap();
        let big = vec![b'x'; 4 << 20];
        let files = [
            ("a.html".to_string(), &b"1"[..]),
            ("b.epub".into(), &big[..]),
        ];
        publish(&lock, &files).unwrap();
        let manifest = std::fs::read(out.join("manifest.json")).unwrap();
        // Found only by hashing, after the new files began to be written: the set is refused.
        std::fs::write(out.join("a.html"), b"edited").unwrap();
        let err = publish(&lock, &files).unwrap_err();
        assert!(
            err.to_string().contains("edited since livret wrote it"),
            "{err}"
        );
        assert_eq!(names(&out), ["a.html", "b.epub", "manifest.json"]);
        assert_eq!(std::fs::read(out.join("a.html")).unwrap(), b"edited");
        // A manifest that cannot be made (the corpus unreadable): the same.
        std::fs::write(out.join("a.html"), b"1").unwrap();
        let refused = publish_with(&lock, &[("a.html".to_string(), &b"2"[..])], || {
            Err(Error::Usage("no manifest".into()))
        });
        assert!(refused.is_err());
        assert_eq!(names(&out), ["a.html", "b.epub", "manifest.json"]);
        assert_eq!(std::fs::read(out.join("a.html")).unwrap(), b"1");
        assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), manifest);
    }

    #[test]
    fn an_edited_artifact_is_kept_by_a_rebuild_that_drops_it_and_by_clean() {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("out");
        let lock = lock_output(&out, false).unwrap();
        publish(
            &lock,
            &[("a.html".to_string(), &b"1"[..]), ("b.html".into(), b"2")],
        )
        .unwrap();
        std::fs::write(out.join("b.html"), b"edited").unwrap();
        let kept = publish(&lock, &[("a.html".to_string(), &b"3"[..])]).unwrap();
        assert_eq!(kept.edited, [out.join("b.html")]);
        assert_eq!(std::fs::read(out.join("b.html")).unwrap(), b"edited");
        std::fs::write(out.join("a.html"), b"edited too").unwrap();
        let (removed, kept) = lock.clean("manifest.json").unwrap();
        assert_eq!(removed, ["manifest.json"]);
        assert_eq!(kept.edited, [out.join("a.html")]);
        assert_eq!(names(&out), ["a.html", "b.html"]);
    }

    #[test]
    fn a_foreign_manifest_stops_the_build_and_clean_before_anything_is_touched() {
        for foreign in [
            &br#"{"name":"My PWA"}"#[..],
            br#"{"artifacts":[{"path":"index.html"}]}"#,
            b"not json at all",
        ] {
            let parent = tempfile::tempdir().unwrap();
            let out = parent.path().join("out");
            std::fs::create_dir(&out).unwrap();
            std::fs::write(out.join("manifest.json"), foreign).unwrap();
            std::fs::write(out.join("index.html"), b"app").unwrap();
            let lock = lock_output(&out, false).unwrap();
            let err = publish(&lock, &[("a.html".to_string(), &b"1"[..])]).unwrap_err();
            assert!(err.to_string().contains("manifest.json"), "{err}");
            assert!(err.to_string().contains("livret.toml"), "{err}");
            assert!(lock.clean("manifest.json").is_err());
            assert_eq!(names(&out), ["index.html", "manifest.json"]);
            assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), foreign);
        }
    }

    #[test]
    fn a_prepared_journal_is_undone_and_a_committed_one_finished() {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("out");
        let lock = lock_output(&out, false).unwrap();
        let old = [("a.html".to_string(), &b"old"[..])];
        publish(&lock, &old).unwrap();
        let new = [("a.html".to_string(), &b"new"[..])];
        let (mut journal, temps) = journal_renaming_a_and_the_manifest(JournalState::Prepared);
        std::fs::write(out.join(&temps[0]), b"new").unwrap();
        std::fs::write(out.join(&temps[1]), manifest_of(&new)).unwrap();
        lock.write_journal(&journal, "feed").unwrap();
        drop(lock);
        let lock = lock_output(&out, false).unwrap();
        assert_eq!(names(&out), ["a.html", "manifest.json"]);
        assert_eq!(std::fs::read(out.join("a.html")).unwrap(), b"old");

        std::fs::write(out.join(&temps[0]), b"new").unwrap();
        std::fs::write(out.join(&temps[1]), manifest_of(&new)).unwrap();
        journal.state = JournalState::Committed;
        lock.write_journal(&journal, "feed").unwrap();
        drop(lock);
        lock_output(&out, false).unwrap();
        assert_eq!(names(&out), ["a.html", "manifest.json"]);
        assert_eq!(std::fs::read(out.join("a.html")).unwrap(), b"new");
    }

    #[test]
    fn a_committed_journal_is_undone_when_a_file_never_got_its_name_and_finished_after_a_rename() {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("out");
        let lock = lock_output(&out, false).unwrap();
        let old = [("a.html".to_string(), &b"old"[..])];
        publish(&lock, &old).unwrap();
        let old_manifest = std::fs::read(out.join("manifest.json")).unwrap();
        let new = [("a.html".to_string(), &b"new"[..])];
        let new_manifest = manifest_of(&new);
        let (mut journal, temps) = journal_renaming_a_and_the_manifest(JournalState::Committed);
        journal.sha256 = vec![
            crate::manifest::sha256_hex(b"new"),
            crate::manifest::sha256_hex(&new_manifest),
        ];
        // Stopped before the first temporary name was durable: the previous set stays.
        std::fs::write(out.join(&temps[1]), &new_manifest).unwrap();
        lock.write_journal(&journal, "feed").unwrap();
        drop(lock);
        let lock = lock_output(&out, false).unwrap();
        assert_eq!(names(&out), ["a.html", "manifest.json"]);
        assert_eq!(std::fs::read(out.join("a.html")).unwrap(), b"old");
        assert_eq!(
            std::fs::read(out.join("manifest.json")).unwrap(),
            old_manifest
        );
        // Stopped after the first rename: the set is finished.
        std::fs::write(out.join("a.html"), b"new").unwrap();
        std::fs::write(out.join(&temps[1]), &new_manifest).unwrap();
        lock.write_journal(&journal, "feed").unwrap();
        drop(lock);
        lock_output(&out, false).unwrap();
        assert_eq!(names(&out), ["a.html", "manifest.json"]);
        assert_eq!(
            std::fs::read(out.join("manifest.json")).unwrap(),
            new_manifest
        );
    }

    #[test]
    fn without_unnamed_files_a_set_is_published_and_refused_alike() {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("out");
        let mut lock = lock_output(&out, false).unwrap();
        lock.unnamed = false;
        publish(
            &lock,
            &[("a.html".to_string(), &b"1"[..]), ("b.html".into(), b"2")],
        )
        .unwrap();
        publish(&lock, &[("a.html".to_string(), &b"3"[..])]).unwrap();
        assert_eq!(names(&out), ["a.html", "manifest.json"]);
        assert_eq!(std::fs::read(out.join("a.html")).unwrap(), b"3");
        let manifest = std::fs::read(out.join("manifest.json")).unwrap();
        let refused = publish_with(&lock, &[("a.html".to_string(), &b"4"[..])], || {
            Err(Error::Usage("no manifest".into()))
        });
        assert!(refused.is_err());
        assert_eq!(names(&out), ["a.html", "manifest.json"]);
        assert_eq!(std::fs::read(out.join("a.html")).unwrap(), b"3");
        assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), manifest);
    }

    #[test]
    fn a_journal_livret_cannot_read_is_left_alone_with_an_error() {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join(JOURNAL_NAME), b"my notes").unwrap();
        std::fs::write(out.join(".livret-x.partial"), b"mine").unwrap();
        let err = lock_output(&out, false).unwrap_err();
        assert!(err.to_string().contains(JOURNAL_NAME), "{err}");
        assert_eq!(names(&out), [".livret-journal.json", ".livret-x.partial"]);
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
    fn an_output_path_that_is_a_file_is_an_io_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("out");
        std::fs::write(&blocker, b"a file where a directory should be").unwrap();
        let err = lock_output(&blocker, false).unwrap_err();
        assert!(err.to_string().contains("out"), "{err}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn manifests_of_livret_are_told_from_others() {
        let signed =
            serde_json::json!({"generator": "livret", "manifest_version": 2, "artifacts": []});
        let before =
            serde_json::json!({"livret_version": "0.1.0", "corpus_sha256": "ab", "artifacts": []});
        assert!(is_livret_manifest(&signed));
        assert!(is_livret_manifest(&before));
        for other in [
            serde_json::json!({"name": "My PWA"}),
            serde_json::json!({"artifacts": [{"path": "index.html"}]}),
            serde_json::json!({"generator": "vite", "manifest_version": 2, "artifacts": []}),
        ] {
            assert!(!is_livret_manifest(&other), "{other}");
        }
    }

    #[test]
    fn bare_names_only() {
        for bad in ["", "../x", "a/b", "a\\b", ".hidden", "a\nb"] {
            assert!(!is_bare_file_name(bad), "{bad:?}");
        }
        assert!(is_bare_file_name("livre-citoyen.pdf"));
    }
}
