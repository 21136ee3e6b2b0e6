//! Reliability (issue 14, and the output folder of issue 12): an atomic release set, one build
//! at a time per output folder, only regular files read, bounded work, no silent loss, safe
//! names. Everything runs the real binary.

mod common;

use common::livret;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A corpus in a temporary folder: an index whose buttons name `_faq/<persona>.md` pages.
fn corpus(personas: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let buttons: String = personas
        .iter()
        .map(|p| format!("  - title: {p}\n    default: faq/{p}\n"))
        .collect();
    write(
        dir.path(),
        "index.md",
        &format!("---\ntitle: Guide\nbuttons:\n{buttons}---\n\nIntroduction.\n"),
    );
    for p in personas {
        write(
            dir.path(),
            &format!("_faq/{p}.md"),
            &format!("---\ntitle: {p}\n---\n\n## Question de {p}\n\nRéponse.\n"),
        );
    }
    dir
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn build_cmd(dir: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = livret(dir);
    cmd.env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["-q", "build", "."])
        .arg("-o")
        .arg(out)
        .args(extra);
    cmd
}

fn run(mut cmd: Command) -> Output {
    cmd.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file of a folder, by name.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| e.unwrap())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            (name, bytes)
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `out` is one complete set: exactly the manifest and the files it lists, each with its size
/// and SHA-256.
fn assert_complete_set(out: &Path, context: &str) -> BTreeMap<String, Vec<u8>> {
    let files = snapshot(out);
    let manifest = files
        .get("manifest.json")
        .unwrap_or_else(|| panic!("{context}: no manifest in {files:?}", files = files.keys()));
    let manifest: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    let listed: BTreeMap<String, (u64, String)> = manifest["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["path"].as_str().unwrap().to_string(),
                (
                    a["bytes"].as_u64().unwrap(),
                    a["sha256"].as_str().unwrap().into(),
                ),
            )
        })
        .collect();
    let on_disk: Vec<&String> = files.keys().filter(|n| *n != "manifest.json").collect();
    assert_eq!(
        on_disk,
        listed.keys().collect::<Vec<_>>(),
        "{context}: the folder holds exactly the manifest's files"
    );
    for (name, (bytes, sha)) in &listed {
        let data = &files[name];
        assert_eq!(data.len() as u64, *bytes, "{context}: size of {name}");
        assert_eq!(&hex(data), sha, "{context}: sha256 of {name}");
    }
    files
}

/// A small deterministic generator (xorshift), seeded from the clock and printed, so a failing
/// run can be replayed with `LIVRET_TEST_SEED`.
struct Random(u64);

impl Random {
    fn new() -> Self {
        let seed = std::env::var("LIVRET_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("LIVRET_TEST_SEED={seed}");
        Random(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn staging_leftovers(out: &Path) -> Vec<String> {
    let name = out.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!(".{name}.livret-")))
        .collect()
}

#[test]
fn a_build_killed_at_any_moment_leaves_the_previous_set_or_the_new_one_whole() {
    let first = corpus(&["alpha", "beta"]);
    let second = corpus(&["gamma", "delta", "epsilon"]);
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    let args = ["-f", "html,epub", "--split"];
    let started = Instant::now();
    let o = run(build_cmd(first.path(), &out, &args));
    assert!(o.status.success(), "{}", stderr(&o));
    let quiet_time = started.elapsed();
    let mut previous = assert_complete_set(&out, "first build");
    let mut random = Random::new();
    let window = (quiet_time.as_millis() as u64 * 3 / 2).max(20);
    let (mut old_kept, mut new_whole) = (0, 0);
    for iteration in 0..24 {
        let source = if iteration % 2 == 0 { &second } else { &first };
        let mut child = build_cmd(source.path(), &out, &args).spawn().unwrap();
        let delay = random.below(window);
        std::thread::sleep(Duration::from_millis(delay));
        let signal = if iteration % 3 == 0 {
            libc::SIGINT
        } else {
            libc::SIGKILL
        };
        // SAFETY: signalling our own child, whose pid is valid until we wait for it.
        unsafe {
            libc::kill(child.id() as libc::pid_t, signal);
        }
        let _ = child.wait();
        let context = format!("iteration {iteration}: signal {signal} after {delay} ms");
        let now = assert_complete_set(&out, &context);
        if now == previous {
            old_kept += 1;
        } else {
            new_whole += 1;
        }
        previous = now;
    }
    eprintln!("kills: {old_kept} left the previous set, {new_whole} the new one");
    // The next build finds the killed builds' folders stale by their lock and removes them.
    let o = run(build_cmd(first.path(), &out, &args));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_complete_set(&out, "after the kills");
    assert_eq!(staging_leftovers(&out), Vec::<String>::new());
}

#[test]
fn two_builds_of_different_corpora_at_once_never_mix_their_files() {
    let first = corpus(&["alpha", "beta"]);
    let second = corpus(&["gamma", "delta", "epsilon"]);
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    let args = ["-f", "html", "--split"];
    let (mut refused, mut both) = (0, 0);
    for iteration in 0..20 {
        // Every other round the second build waits for the first instead of failing.
        let wait: &[&str] = if iteration % 2 == 0 { &[] } else { &["--wait"] };
        let mut a = build_cmd(first.path(), &out, &args);
        let mut b = build_cmd(second.path(), &out, &[&args[..], wait].concat());
        let a = a.stderr(Stdio::piped()).spawn().unwrap();
        let b = b.stderr(Stdio::piped()).spawn().unwrap();
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let context = format!("iteration {iteration}");
        assert!(
            a.status.success() || b.status.success(),
            "{context}: {} / {}",
            stderr(&a),
            stderr(&b)
        );
        for o in [&a, &b] {
            if !o.status.success() {
                assert_eq!(o.status.code(), Some(2), "{context}: {}", stderr(o));
                assert!(
                    stderr(o).contains("another build is writing"),
                    "{context}: {}",
                    stderr(o)
                );
                refused += 1;
            }
        }
        if a.status.success() && b.status.success() {
            both += 1;
        }
        let set = assert_complete_set(&out, &context);
        let manifest = String::from_utf8_lossy(&set["manifest.json"]).into_owned();
        let from_first = manifest.contains("alpha");
        let from_second = manifest.contains("gamma");
        assert!(
            from_first != from_second,
            "{context}: one corpus's set only"
        );
    }
    eprintln!("{refused} builds refused (lock held), {both} rounds where both built");
}

#[test]
fn a_build_refused_by_the_lock_says_so_and_wait_waits() {
    let book = corpus(&["alpha"]);
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // Hold the folder's lock as a running build would.
    let held = std::fs::File::open(&out).unwrap();
    held.lock().unwrap();
    let o = run(build_cmd(book.path(), &out, &["-f", "html"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("another build is writing"),
        "{}",
        stderr(&o)
    );
    assert!(snapshot(&out).is_empty(), "nothing written");
    let waiting = build_cmd(book.path(), &out, &["-f", "html", "--wait"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(snapshot(&out).is_empty(), "still waiting");
    drop(held);
    let o = waiting.wait_with_output().unwrap();
    assert!(o.status.success());
    assert_complete_set(&out, "after waiting");
}

#[test]
fn a_folder_in_the_way_of_an_artifact_leaves_the_previous_set_whole() {
    let book = corpus(&["alpha", "beta"]);
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    let o = run(build_cmd(book.path(), &out, &["-f", "html"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let before = snapshot(&out);
    // The split build's third file name is taken by a folder of the user's.
    std::fs::create_dir(out.join("guide-beta.html")).unwrap();
    let o = run(build_cmd(book.path(), &out, &["-f", "html", "--split"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("guide-beta.html"), "{}", stderr(&o));
    let mut after = snapshot(&out);
    after.remove("guide-beta.html");
    assert_eq!(after, before, "the previous set, byte for byte");
}

#[test]
fn the_users_own_files_in_the_output_folder_stay() {
    let book = corpus(&["alpha", "beta"]);
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("shared");
    write(&out, "notes.txt", "mine");
    let o = run(build_cmd(book.path(), &out, &["-f", "html", "--split"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(build_cmd(book.path(), &out, &["-f", "html"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<String> = snapshot(&out).into_keys().collect();
    assert_eq!(names, ["guide.html", "manifest.json", "notes.txt"]);
    let o = run({
        let mut c = livret(book.path());
        c.args(["clean", "-o"]).arg(&out);
        c
    });
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<String> = snapshot(&out).into_keys().collect();
    assert_eq!(names, ["notes.txt"], "clean removes livret's files only");
}

#[test]
fn a_split_build_then_a_plain_one_leaves_exactly_the_manifests_files() {
    let book = corpus(&["alpha", "beta"]);
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    let o = run(build_cmd(book.path(), &out, &["-f", "html", "--split"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(assert_complete_set(&out, "split").len(), 4);
    let o = run(build_cmd(book.path(), &out, &["-f", "html"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<String> = assert_complete_set(&out, "plain").into_keys().collect();
    assert_eq!(names, ["guide.html", "manifest.json"]);
    let o = run({
        let mut c = livret(book.path());
        c.args(["clean", "-o"]).arg(&out);
        c
    });
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!out.exists(), "an emptied output folder is removed");
}

#[test]
fn a_persona_selection_gets_its_own_file_name() {
    let book = corpus(&["alpha", "beta"]);
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    let o = run(build_cmd(book.path(), &out, &["-f", "html"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let whole = snapshot(&out)["guide.html"].clone();
    let o = run(build_cmd(
        book.path(),
        &out,
        &["-f", "html", "--persona", "beta"],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    let set = assert_complete_set(&out, "persona");
    assert!(set.contains_key("guide-beta.html"), "{:?}", set.keys());
    assert!(
        !set.contains_key("guide.html"),
        "the selection is its own set"
    );
    // With `name` set, the user chose the stem.
    write(book.path(), "livret.toml", "name = \"handout\"\n");
    let o = run(build_cmd(
        book.path(),
        &out,
        &["-f", "html", "--persona", "beta"],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(assert_complete_set(&out, "named").contains_key("handout.html"));
    assert_ne!(whole.len(), 0);
}

#[test]
fn a_name_that_is_not_a_file_stem_is_a_config_error_and_nothing_is_written() {
    for name in [
        "../../escape",
        "/tmp/livret-abs",
        "a\\\\b",
        "..",
        "bad\\u001b[31m",
    ] {
        let book = corpus(&["alpha"]);
        write(book.path(), "livret.toml", &format!("name = \"{name}\"\n"));
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("sub").join("out");
        let o = run(build_cmd(book.path(), &out, &["-f", "html"]));
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("livret.toml:1:1: error:"), "{name}: {err}");
        assert!(err.contains("`name`"), "{err}");
        assert!(
            !err.contains('\u{1b}'),
            "escape sequences never reach the terminal"
        );
        let written: Vec<PathBuf> = walk(parent.path());
        assert!(written.iter().all(|p| p.is_dir()), "{name}: {written:?}");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                pending.push(p.clone());
            }
            found.push(p);
        }
    }
    found
}

#[test]
fn an_output_folder_inside_the_corpus_is_never_read_nor_hashed() {
    let book = corpus(&["alpha"]);
    let digest = |o: &Output, out: &Path| -> String {
        assert!(o.status.success(), "{}", stderr(o));
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
        manifest["corpus_sha256"].as_str().unwrap().to_string()
    };
    let out = book.path().join("release");
    let first = digest(&run(build_cmd(book.path(), &out, &["-f", "html"])), &out);
    // A page-looking file in the output folder is not a page of the book.
    write(
        &out,
        "notes.md",
        "---\nbuttons:\n  - title: x\n    default: y\n---\n",
    );
    let o = run(build_cmd(book.path(), &out, &["-f", "html"]));
    assert_eq!(digest(&o, &out), first, "stable across builds");
    // A file the book does not use changes nothing either.
    write(book.path(), "unused.bin", "noise");
    let o = run(build_cmd(book.path(), &out, &["-f", "html"]));
    assert_eq!(digest(&o, &out), first);
    write(
        book.path(),
        "_faq/alpha.md",
        "---\ntitle: alpha\n---\n\nAutre.\n",
    );
    let o = run(build_cmd(book.path(), &out, &["-f", "html"]));
    assert_ne!(digest(&o, &out), first, "a page of the book changes it");
}

#[test]
fn settings_in_livret_toml_stand_for_options() {
    let book = corpus(&["alpha", "beta"]);
    write(
        book.path(),
        "livret.toml",
        "formats = [\"html\"]\nout = \"dist\"\nsplit = true\nstrict = false\n",
    );
    let o = run({
        let mut c = livret(book.path());
        c.args(["-q", "build", "."]);
        c
    });
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<String> = assert_complete_set(&book.path().join("dist"), "dist")
        .into_keys()
        .collect();
    assert_eq!(
        names,
        [
            "guide-alpha.html",
            "guide-beta.html",
            "guide.html",
            "manifest.json"
        ]
    );
}
