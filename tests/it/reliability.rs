//! Reliability (issue 14, and the output folder of issue 12): an atomic release set, one build
//! at a time per output folder, only regular files read, bounded work, no silent loss, safe
//! names. Everything runs the real binary. Unix only: the tests make FIFOs and send signals.
#![cfg(unix)]

use crate::common;

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
    assert_complete_files(&files, context);
    files
}

/// `files` (name → bytes) are one complete set: see `assert_complete_set`.
fn assert_complete_files(files: &BTreeMap<String, Vec<u8>>, context: &str) {
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

/// Entries livret may leave beside the output folder: none, ever.
fn siblings(out: &Path) -> Vec<String> {
    let name = out.file_name().unwrap().to_string_lossy().into_owned();
    let mut names: Vec<String> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| *n != name)
        .collect();
    names.sort();
    names
}

/// The set `source` builds with `args`, made once in a folder of its own: name → bytes.
fn reference_set(source: &Path, args: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    let o = run(build_cmd(source, &out, args));
    assert!(o.status.success(), "{}", stderr(&o));
    snapshot(&out)
}

/// After a kill: every file of `out` is whole — the user's own file as it was, every other
/// visible file byte for byte one of the two sets' versions of it; hidden files are livret's
/// temporary files and journal, which the next command finishes or removes.
fn assert_whole_files(
    out: &Path,
    sets: &[&BTreeMap<String, Vec<u8>>],
    users: &BTreeMap<String, Vec<u8>>,
    context: &str,
) {
    for (name, bytes) in snapshot(out) {
        if name.starts_with('.') {
            continue;
        }
        if let Some(mine) = users.get(&name) {
            assert_eq!(&bytes, mine, "{context}: the user's {name}");
            continue;
        }
        assert!(
            sets.iter().any(|set| set.get(&name) == Some(&bytes)),
            "{context}: {name} is neither set's version ({} bytes)",
            bytes.len()
        );
    }
}

/// `out` holds one complete set plus exactly the user's files, unchanged.
fn assert_set_and_users(out: &Path, users: &BTreeMap<String, Vec<u8>>, context: &str) {
    let mut files = snapshot(out);
    for (name, bytes) in users {
        assert_eq!(
            files.remove(name).as_ref(),
            Some(bytes),
            "{context}: {name}"
        );
    }
    assert_complete_files(&files, context);
}

/// Kill builds at random moments and right after each rename, the output folder empty or
/// holding a user's file: every file stays whole, and the next build leaves one consistent set
/// beside the user's file, with nothing of livret's left over.
fn kill_loop(users: &BTreeMap<String, Vec<u8>>) {
    let first = corpus(&["alpha", "beta"]);
    let second = corpus(&["gamma", "delta", "epsilon"]);
    // HTML only: a kill loop of 80 builds stays quick, and `--split` still makes several files.
    let args = ["-f", "html", "--split"];
    let sets = [
        reference_set(first.path(), &args),
        reference_set(second.path(), &args),
    ];
    let set_refs: Vec<&BTreeMap<String, Vec<u8>>> = sets.iter().collect();
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    std::fs::create_dir(&out).unwrap();
    for (name, bytes) in users {
        std::fs::write(out.join(name), bytes).unwrap();
    }
    let started = Instant::now();
    let o = run(build_cmd(first.path(), &out, &args));
    assert!(o.status.success(), "{}", stderr(&o));
    let window = (started.elapsed().as_millis() as u64 * 3).max(20);
    let mut random = Random::new();
    for iteration in 0..40 {
        let (source, renames) = if iteration % 2 == 0 {
            (&second, sets[1].len())
        } else {
            (&first, sets[0].len())
        };
        let mut cmd = build_cmd(source.path(), &out, &args);
        let context = if iteration < 20 {
            let delay = random.below(window);
            let mut child = cmd.spawn().unwrap();
            std::thread::sleep(Duration::from_millis(delay));
            // SAFETY: signalling our own child, whose pid is valid until we wait for it.
            unsafe {
                libc::kill(child.id() as libc::pid_t, libc::SIGKILL);
            }
            let _ = child.wait();
            format!("iteration {iteration}: killed after {delay} ms")
        } else {
            // Each rename of the set, the manifest's last, in turn.
            let after = 1 + (iteration - 20) / 2 % renames;
            cmd.env("LIVRET_FAULT_KILL_AFTER_RENAMES", after.to_string());
            let o = run(cmd);
            assert!(!o.status.success(), "iteration {iteration}: not killed");
            format!("iteration {iteration}: killed right after rename {after}")
        };
        assert_whole_files(&out, &set_refs, users, &context);
        // The next build (of the other corpus) finishes what was left, then writes its set.
        let next = if iteration % 2 == 0 { &first } else { &second };
        let o = run(build_cmd(next.path(), &out, &args));
        assert!(o.status.success(), "{context}: {}", stderr(&o));
        assert_set_and_users(&out, users, &context);
    }
    assert_eq!(siblings(&out), Vec::<String>::new());
}

#[test]
fn builds_killed_at_any_moment_in_an_empty_output_folder_leave_whole_files_then_one_set() {
    kill_loop(&BTreeMap::new());
}

#[test]
fn builds_killed_at_any_moment_beside_a_users_file_leave_it_and_then_one_set() {
    let users = BTreeMap::from([("notes.txt".to_string(), b"mine".to_vec())]);
    kill_loop(&users);
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
    assert!(
        snapshot(&out).is_empty(),
        "clean empties the folder and keeps it"
    );
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
    // `check` does not read that folder either (a page there would be a second index).
    write(
        &book.path().join("dist"),
        "notes.md",
        "---\nbuttons:\n  - title: x\n    default: y\n---\n",
    );
    let o = run(check_cmd(book.path()));
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Run `cmd`, killing it if it runs past `limit` (a hang is a failure, not a stuck test).
fn run_within(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {limit:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn check_cmd(dir: &Path) -> Command {
    let mut cmd = livret(dir);
    cmd.args(["check", "."]);
    cmd
}

/// Ten times the time the same command takes on the minimal corpus, at least 10 s.
fn hang_limit() -> Duration {
    let book = corpus(&["alpha"]);
    let started = Instant::now();
    let o = run(check_cmd(book.path()));
    assert!(o.status.success(), "{}", stderr(&o));
    (started.elapsed() * 10).max(Duration::from_secs(10))
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[test]
fn a_fifo_named_like_a_page_is_skipped_with_a_warning_not_read() {
    let limit = hang_limit();
    let book = corpus(&["alpha"]);
    mkfifo(&book.path().join("x.md"));
    std::os::unix::fs::symlink(book.path().join("x.md"), book.path().join("_faq/link.md")).unwrap();
    let o = run_within(check_cmd(book.path()), limit);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("x.md: warning: a FIFO (named pipe), not a regular file"),
        "{err}"
    );
    assert!(err.contains("link.md: warning: links to a FIFO"), "{err}");
    // A FIFO as livret.toml: the book's settings cannot be read, an error (not a hang).
    mkfifo(&book.path().join("livret.toml"));
    let o = run_within(check_cmd(book.path()), limit);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("livret.toml: error: a FIFO"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_fifo_in_a_theme_is_an_error_naming_it_not_a_hang() {
    let limit = hang_limit();
    let book = corpus(&["alpha"]);
    let theme = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(theme.path().join("html")).unwrap();
    mkfifo(&theme.path().join("html/style.css"));
    let out = tempfile::tempdir().unwrap();
    let mut cmd = build_cmd(book.path(), &out.path().join("out"), &["-f", "html"]);
    cmd.arg("--theme").arg(theme.path());
    let o = run_within(cmd, limit);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("style.css"), "{}", stderr(&o));
    assert!(stderr(&o).contains("FIFO"), "{}", stderr(&o));
}

#[test]
fn a_fifo_or_oversized_file_as_a_theme_font_is_an_error_naming_it_for_pdf_and_epub() {
    let limit = hang_limit();
    let book = corpus(&["alpha"]);
    let theme = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(theme.path().join("pdf/fonts")).unwrap();
    mkfifo(&theme.path().join("pdf/fonts/code.ttf"));
    let out = tempfile::tempdir().unwrap();
    for format in ["pdf", "epub"] {
        let mut cmd = build_cmd(book.path(), &out.path().join("out"), &["-f", format]);
        cmd.arg("--theme").arg(theme.path());
        let o = run_within(cmd, limit);
        assert_eq!(o.status.code(), Some(2), "{format}: {}", stderr(&o));
        assert!(stderr(&o).contains("code.ttf"), "{}", stderr(&o));
        assert!(stderr(&o).contains("FIFO"), "{}", stderr(&o));
    }
    // Over 50 MiB: refused from its size, before a byte is read (a sparse file costs nothing).
    let font = theme.path().join("pdf/fonts/code.ttf");
    std::fs::remove_file(&font).unwrap();
    std::fs::File::create(&font)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let mut cmd = build_cmd(book.path(), &out.path().join("out"), &["-f", "pdf"]);
    cmd.arg("--theme").arg(theme.path());
    let o = run_within(cmd, limit);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("larger than the 52428800 bytes"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_unclosed_liquid_block_is_an_error_at_its_opening_tag() {
    let cases = [
        ("{% comment %}", "comment"),
        ("{% raw %}", "raw"),
        ("{% if page.x %}", "if"),
        ("{% for x in site.y %}", "for"),
        ("{% capture z %}", "capture"),
    ];
    for (tag, name) in cases {
        let book = corpus(&["alpha"]);
        write(
            book.path(),
            "_faq/alpha.md",
            &format!("---\ntitle: alpha\n---\n\nAvant.\n\nTexte {tag} suite.\n\nFin.\n"),
        );
        let o = run(check_cmd(book.path()));
        assert_eq!(o.status.code(), Some(1), "{tag}: {}", stderr(&o));
        let err = stderr(&o);
        // Line 7, column 7: where the tag opens.
        let expected = format!("_faq/alpha.md:7:7: error: Liquid `{{% {name} %}}` is never closed");
        assert!(err.contains(&expected), "{tag}: {err}");
        assert!(err.contains(&format!("end{name}")), "{err}");
    }
    // Closed, each is fine.
    let book = corpus(&["alpha"]);
    write(
        book.path(),
        "_faq/alpha.md",
        "---\ntitle: alpha\n---\n\n{% comment %}x{% endcomment %} {% if a %}{% if b %}y{% endif %}{% endif %}\n",
    );
    let o = run(check_cmd(book.path()));
    assert!(!stderr(&o).contains("never closed"), "{}", stderr(&o));
}

/// Best of three runs of `check` on a corpus made by `make(n)`.
fn check_time(make: &dyn Fn(&Path, usize), n: usize) -> Duration {
    let book = corpus(&["alpha"]);
    make(book.path(), n);
    (0..3)
        .map(|_| {
            let started = Instant::now();
            let o = run(check_cmd(book.path()));
            assert!(o.status.code().is_some(), "no crash: {}", stderr(&o));
            started.elapsed()
        })
        .min()
        .unwrap()
}

/// Time at size 2n is at most 3× the time at size n: linear, not quadratic.
fn assert_linear(what: &str, make: &dyn Fn(&Path, usize), n: usize) {
    let small = check_time(make, n);
    let large = check_time(make, 2 * n);
    eprintln!("{what}: {n} → {small:?}, {} → {large:?}", 2 * n);
    assert!(
        large <= small * 3,
        "{what}: {small:?} at {n}, {large:?} at {}",
        2 * n
    );
}

#[test]
fn twenty_thousand_identical_headings_take_linear_time() {
    assert_linear(
        "identical headings",
        &|root, n| {
            let body = "## Question\n\nRéponse.\n\n".repeat(n);
            write(
                root,
                "_faq/alpha.md",
                &format!("---\ntitle: alpha\n---\n\n{body}"),
            );
        },
        20_000,
    );
}

#[test]
fn a_hundred_and_twenty_thousand_warnings_on_one_line_print_in_linear_time_grouped() {
    let make = |root: &Path, n: usize| {
        let line = "{% unknown %}".repeat(n);
        write(
            root,
            "_faq/alpha.md",
            &format!("---\ntitle: alpha\n---\n\n{line}\n"),
        );
    };
    assert_linear("Liquid warnings on one line", &make, 60_000);
    let book = corpus(&["alpha"]);
    make(book.path(), 120_000);
    let o = run(check_cmd(book.path()));
    let err = stderr(&o);
    assert_eq!(err.matches("is not supported").count(), 1, "grouped");
    assert!(err.contains("119999 more like it"), "{err}");
}

#[test]
fn control_characters_in_file_names_and_text_never_reach_the_terminal() {
    let book = corpus(&["alpha"]);
    write(
        book.path(),
        "_faq/bad\nname\u{1b}[2J.md",
        "---\ntitle: x\nbroken: [\n---\n",
    );
    write(
        book.path(),
        "_faq/alpha.md",
        "---\ntitle: \"alpha \\e[31m\"\n---\n\n{{ page.nope\u{1b}[2J }}\n",
    );
    let o = run(check_cmd(book.path()));
    let all = format!("{}{}", stderr(&o), String::from_utf8_lossy(&o.stdout));
    assert!(!all.contains('\u{1b}'), "{all:?}");
    assert!(all.contains("bad\\nname\\u{1b}[2J.md"), "{all}");
    // No line was forged by the newline in the file name.
    assert!(!all.lines().any(|l| l.starts_with("name")), "{all}");
}

#[test]
fn persona_slugs_and_stems_are_safe_unique_and_short() {
    let long = "t".repeat(300);
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "index.md",
        &format!(
            "---\ntitle: \"{long}\"\nbuttons:\n  - title: A\n    default: \"faq/a<b>\"\n  - title: B\n    default: \"faq/a_b_\"\n---\n\nIntro.\n"
        ),
    );
    write(dir.path(), "_faq/a<b>.md", "---\ntitle: A\n---\n\nA.\n");
    write(dir.path(), "_faq/a_b_.md", "---\ntitle: B\n---\n\nB.\n");
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    let o = run(build_cmd(dir.path(), &out, &["-f", "html", "--split"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let set = assert_complete_set(&out, "safe names");
    for name in set.keys() {
        let stem = name.rsplit_once('.').unwrap().0;
        assert!(stem.len() <= 100, "{name}");
        assert!(
            stem.chars().all(|c| c.is_alphanumeric() || c == '-'),
            "{name}"
        );
    }
    assert_eq!(set.len(), 4, "{:?}", set.keys());
    let stems: Vec<&String> = set.keys().collect();
    assert!(stems.iter().any(|n| n.ends_with("-a-b.html")), "{stems:?}");
    assert!(
        stems.iter().any(|n| n.ends_with("-a-b-2.html")),
        "{stems:?}"
    );
}

#[test]
fn a_folder_too_deep_outside_the_book_is_skipped_with_a_warning() {
    let book = corpus(&["alpha"]);
    // Made level by level from inside, as paths this long cannot be made at once.
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("cd \"$1\" && i=0; while [ $i -lt 2100 ]; do mkdir d && cd -P d || exit 1; i=$((i+1)); done; echo x > page.md")
        .arg("sh")
        .arg(book.path().join("archive"));
    std::fs::create_dir(book.path().join("archive")).unwrap();
    assert!(cmd.status().unwrap().success());
    let o = run(check_cmd(book.path()));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("folders deeper than 64 levels are not searched"),
        "{}",
        stderr(&o)
    );
    // Removed from inside too, for the same reason.
    let _ = Command::new("sh")
        .arg("-c")
        .arg("cd \"$1\" && i=0; while [ -d d ]; do cd -P d; i=$((i+1)); done; while [ $i -gt 0 ]; do cd -P .. && rm -rf d; i=$((i-1)); done")
        .arg("sh")
        .arg(book.path().join("archive"))
        .status();
}

#[test]
fn a_language_that_is_not_bcp_47_is_an_error_with_the_tag_to_write() {
    for (language, hint) in [("fr_FR", "`fr-FR`"), ("english", "`en`")] {
        let book = corpus(&["alpha"]);
        write(
            book.path(),
            "livret.toml",
            &format!("title = \"Guide\"\nlanguage = \"{language}\"\n"),
        );
        let o = run(check_cmd(book.path()));
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("livret.toml:2:1: error:"), "{err}");
        assert!(err.contains(hint), "{err}");
    }
    // The index's `lang`, when livret.toml has no `language`.
    let book = corpus(&["alpha"]);
    let index = std::fs::read_to_string(book.path().join("index.md")).unwrap();
    write(
        book.path(),
        "index.md",
        &index.replace("title: Guide\n", "title: Guide\nlang: fr_FR\n"),
    );
    let o = run(check_cmd(book.path()));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("index.md:3:1: error: `lang: fr_FR`"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("`fr-FR`"), "{}", stderr(&o));
}

fn build_with_page_template(template: &str) -> Output {
    let book = corpus(&["alpha"]);
    let theme = tempfile::tempdir().unwrap();
    write(theme.path(), "html/page.html", template);
    let parent = tempfile::tempdir().unwrap();
    let mut cmd = build_cmd(book.path(), &parent.path().join("out"), &["-f", "html"]);
    cmd.arg("--theme").arg(theme.path());
    let o = run_within(cmd, Duration::from_secs(120));
    assert!(
        !parent.path().join("out/guide.html").exists(),
        "nothing written"
    );
    o
}

#[test]
fn a_theme_template_looping_without_end_runs_out_of_fuel() {
    let o = build_with_page_template(
        "{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}\
         {% endfor %}{% endfor %}{% endfor %}",
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("html/page.html"), "{err}");
    assert!(err.contains("a loop without end?"), "{err}");
}

#[test]
fn a_theme_template_repeating_the_book_stops_at_the_output_limit() {
    let o = build_with_page_template(
        "{% for a in range(10000) %}{% for b in range(10000) %}{{ css }}{% endfor %}{% endfor %}",
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("html/page.html"), "{err}");
    assert!(err.contains("the page grew past"), "{err}");
}

/// A page of the book showing `images` (file names under `img/`).
fn corpus_with_images(images: &[(&str, Vec<u8>)]) -> tempfile::TempDir {
    let book = corpus(&["alpha"]);
    let mut body = String::from("---\ntitle: alpha\n---\n\n");
    for (name, bytes) in images {
        let path = book.path().join("img").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        body.push_str(&format!("![{name}](/img/{name})\n\n"));
    }
    write(book.path(), "_faq/alpha.md", &body);
    book
}

fn encoded(image: image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

#[test]
fn a_jpeg_cut_in_half_is_an_error_naming_it() {
    let jpeg = encoded(
        image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(256, 256, |x, y| {
            image::Rgb([x as u8, y as u8, (x ^ y) as u8])
        })),
        image::ImageFormat::Jpeg,
    );
    let half = jpeg[..jpeg.len() / 2].to_vec();
    let book = corpus_with_images(&[("whole.jpg", jpeg), ("half.jpg", half)]);
    let parent = tempfile::tempdir().unwrap();
    let o = run(build_cmd(
        book.path(),
        &parent.path().join("out"),
        &["-f", "html"],
    ));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("_faq/alpha.md:7:1: error: image"), "{err}");
    assert!(err.contains("half.jpg: truncated JPEG"), "{err}");
    assert!(!err.contains("whole.jpg"), "{err}");
}

#[test]
fn images_over_the_books_pixel_budget_are_an_error_naming_the_image() {
    // Four 8,000 × 8,000 images (64 Mpixels each, under the 100 Mpixel limit of one image):
    // 256 Mpixels together, over the 250 Mpixel budget.
    let png = encoded(
        image::DynamicImage::ImageLuma8(image::GrayImage::new(8_000, 8_000)),
        image::ImageFormat::Png,
    );
    let names = ["a.png", "b.png", "c.png", "d.png"];
    let images: Vec<(&str, Vec<u8>)> = names.iter().map(|n| (*n, png.clone())).collect();
    let book = corpus_with_images(&images);
    let parent = tempfile::tempdir().unwrap();
    let o = run(build_cmd(
        book.path(),
        &parent.path().join("out"),
        &["-f", "html"],
    ));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("d.png: 8000×8000 pixels"), "{err}");
    assert!(err.contains("budget of 250000000 pixels"), "{err}");
    assert_eq!(err.matches("budget").count(), 1, "{err}");
}

#[test]
fn svgs_hiding_references_in_css_escapes_or_bombing_with_use_are_refused() {
    let svg = |inner: &str| {
        format!(r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">{inner}</svg>"#)
            .into_bytes()
    };
    let mut bomb = String::from(r#"<rect id="l0" width="1" height="1"/>"#);
    for level in 1..=9 {
        bomb.push_str(&format!(r#"<g id="l{level}">"#));
        for _ in 0..10 {
            bomb.push_str(&format!(r##"<use href="#l{}"/>"##, level - 1));
        }
        bomb.push_str("</g>");
    }
    let book = corpus_with_images(&[
        (
            "escaped.svg",
            svg(r#"<rect style="fill: u\72l(https://evil.example/x)"/>"#),
        ),
        (
            "import.svg",
            svg(r#"<style>@\69mport "https://evil.example/x.css";</style>"#),
        ),
        ("bomb.svg", svg(&bomb)),
    ]);
    let o = run_within(check_cmd(book.path()), Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("escaped.svg: SVG with `style` loading another file"),
        "{err}"
    );
    assert!(
        err.contains("import.svg: SVG style sheet loading another file"),
        "{err}"
    );
    assert!(
        err.contains("bomb.svg: SVG whose <use> elements expand"),
        "{err}"
    );
}

#[test]
fn many_different_warnings_on_one_line_print_in_linear_time() {
    // Each message differs (no grouping); the 1 MB line is shown under the first few only.
    let make = |root: &Path, n: usize| {
        let line: String = (0..n).map(|i| format!("{{{{ page.v{i} }}}}")).collect();
        write(
            root,
            "_faq/alpha.md",
            &format!("---\ntitle: alpha\n---\n\n{line}\n"),
        );
    };
    assert_linear("different Liquid warnings on one line", &make, 30_000);
}

#[test]
fn an_unknown_format_in_livret_toml_is_an_error_at_its_line() {
    let book = corpus(&["alpha"]);
    write(
        book.path(),
        "livret.toml",
        "title = \"Guide\"\nformats = [\"html\", \"docx\"]\n",
    );
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    let o = run(build_cmd(book.path(), &out, &[]));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("livret.toml:2:1: error: livret.toml: unknown format `docx`"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists(), "nothing written, not even the folder");
}

/// A sparse file of `len` bytes: huge to `stat`, free to make.
fn sparse(path: &Path, len: u64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::File::create(path).unwrap().set_len(len).unwrap();
}

#[test]
fn oversized_pages_are_refused_from_their_size_and_unused_files_are_never_read() {
    let limit = hang_limit();
    let book = corpus(&["alpha"]);
    // 2 GiB the book does not use: neither a page nor hashed.
    sparse(&book.path().join("data/dump.bin"), 2 << 30);
    // A page over 50 MiB outside the book: a warning, the build goes on.
    sparse(&book.path().join("notes/huge.md"), 60 << 20);
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    let o = run_within(build_cmd(book.path(), &out, &["-f", "html"]), limit);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_within(check_cmd(book.path()), limit);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o)
            .contains("notes/huge.md: warning: 62914560 bytes: larger than the 52428800 bytes"),
        "{}",
        stderr(&o)
    );
    // The same size for a page of the book: an error naming it, nothing written.
    sparse(&book.path().join("_faq/alpha.md"), 60 << 20);
    let before = snapshot(&out);
    let o = run_within(build_cmd(book.path(), &out, &["-f", "html"]), limit);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("_faq/alpha.md: error: 62914560 bytes: larger than"),
        "{}",
        stderr(&o)
    );
    assert_eq!(snapshot(&out), before);
}

fn clean_cmd(cwd: &Path, out: &Path) -> Command {
    let mut cmd = livret(cwd);
    cmd.args(["clean", "-o"]).arg(out);
    cmd
}

#[test]
fn a_foreign_manifest_and_what_it_lists_survive_build_and_clean() {
    let book = corpus(&["alpha"]);
    for foreign in [
        r#"{"name":"My PWA"}"#,
        r#"{"artifacts":[{"path":"index.html"}]}"#,
        "not json at all",
    ] {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("public");
        write(&out, "manifest.json", foreign);
        write(&out, "index.html", "<p>my app</p>");
        let before = snapshot(&out);
        let o = run(build_cmd(book.path(), &out, &["-f", "html"]));
        assert_eq!(o.status.code(), Some(2), "{foreign}: {}", stderr(&o));
        assert!(stderr(&o).contains("manifest.json"), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("-o"),
            "says how to proceed: {}",
            stderr(&o)
        );
        assert_eq!(snapshot(&out), before, "{foreign}: nothing written");
        let o = run(clean_cmd(book.path(), &out));
        assert_eq!(o.status.code(), Some(2), "{foreign}: {}", stderr(&o));
        assert_eq!(snapshot(&out), before, "{foreign}: nothing deleted");
        assert_eq!(siblings(&out), Vec::<String>::new());
    }
}

#[test]
fn a_manifest_name_in_livret_toml_builds_beside_a_foreign_manifest() {
    let book = corpus(&["alpha"]);
    write(
        book.path(),
        "livret.toml",
        "manifest = \"livret-manifest.json\"\n",
    );
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("public");
    write(&out, "manifest.json", r#"{"name":"My PWA"}"#);
    let o = run(build_cmd(book.path(), &out, &["-f", "html"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<String> = snapshot(&out).into_keys().collect();
    assert_eq!(
        names,
        ["guide.html", "livret-manifest.json", "manifest.json"]
    );
    assert_eq!(
        std::fs::read_to_string(out.join("manifest.json")).unwrap(),
        r#"{"name":"My PWA"}"#
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("livret-manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["generator"], "livret");
}

#[test]
fn a_users_file_named_like_an_artifact_is_never_overwritten() {
    let book = corpus(&["alpha"]);
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    write(&out, "guide.html", "my own page");
    let o = run(build_cmd(book.path(), &out, &["-f", "html"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("guide.html"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not written by livret"),
        "{}",
        stderr(&o)
    );
    let names: Vec<String> = snapshot(&out).into_keys().collect();
    assert_eq!(names, ["guide.html"]);
    assert_eq!(
        std::fs::read_to_string(out.join("guide.html")).unwrap(),
        "my own page"
    );
}

#[test]
fn an_edited_artifact_survives_clean_and_a_rebuild_that_drops_it_with_a_warning() {
    let book = corpus(&["alpha", "beta"]);
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    let o = run(build_cmd(book.path(), &out, &["-f", "html", "--split"]));
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(out.join("guide-beta.html"), "annotated by hand").unwrap();
    // The plain build drops the handouts: the edited one stays, named in a warning.
    let mut cmd = livret(book.path());
    cmd.args(["build", ".", "-f", "html", "-o"]).arg(&out);
    let o = run(cmd);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("guide-beta.html") && stderr(&o).contains("edited"),
        "{}",
        stderr(&o)
    );
    let names: Vec<String> = snapshot(&out).into_keys().collect();
    assert_eq!(names, ["guide-beta.html", "guide.html", "manifest.json"]);
    std::fs::write(out.join("guide.html"), "annotated too").unwrap();
    let o = run(clean_cmd(book.path(), &out));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("guide.html"), "{}", stderr(&o));
    let names: Vec<String> = snapshot(&out).into_keys().collect();
    assert_eq!(names, ["guide-beta.html", "guide.html"]);
    assert_eq!(
        std::fs::read_to_string(out.join("guide.html")).unwrap(),
        "annotated too"
    );
}

#[test]
fn a_users_folder_named_like_livrets_old_staging_folders_survives() {
    let book = corpus(&["alpha"]);
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    write(parent.path(), ".out.livret-notes/todo.txt", "keep me");
    for _ in 0..2 {
        let o = run(build_cmd(book.path(), &out, &["-f", "html"]));
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = run(clean_cmd(book.path(), &out));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(parent.path().join(".out.livret-notes/todo.txt")).unwrap(),
        "keep me"
    );
    assert_eq!(siblings(&out), [".out.livret-notes"]);
}

#[test]
fn a_symlinked_output_folder_stays_a_symlink_and_its_target_is_updated() {
    let first = corpus(&["alpha"]);
    let second = corpus(&["beta"]);
    let parent = tempfile::tempdir().unwrap();
    let site = parent.path().join("site");
    std::fs::create_dir(&site).unwrap();
    let out = parent.path().join("out");
    std::os::unix::fs::symlink("site", &out).unwrap();
    for book in [&first, &second] {
        let o = run(build_cmd(book.path(), &out, &["-f", "html", "--split"]));
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            std::fs::symlink_metadata(&out)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let names: Vec<String> = assert_complete_set(&site, "site").into_keys().collect();
        assert!(
            names.contains(&format!(
                "guide-{}.html",
                if std::ptr::eq(book, &first) {
                    "alpha"
                } else {
                    "beta"
                }
            )),
            "{names:?}"
        );
    }
    assert_eq!(siblings(&out), ["site"]);
}

#[test]
fn the_output_folder_keeps_its_inode_owner_and_mode_across_builds_and_clean() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let book = corpus(&["alpha", "beta"]);
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o2750)).unwrap();
    let before = std::fs::metadata(&out).unwrap();
    for args in [
        &["-f", "html"][..],
        &["-f", "html,epub", "--split"],
        &["-f", "html"],
    ] {
        let o = run(build_cmd(book.path(), &out, args));
        assert!(o.status.success(), "{}", stderr(&o));
        let now = std::fs::metadata(&out).unwrap();
        assert_eq!(
            (now.ino(), now.dev(), now.uid(), now.gid(), now.mode()),
            (
                before.ino(),
                before.dev(),
                before.uid(),
                before.gid(),
                before.mode()
            ),
            "{args:?}"
        );
    }
    let o = run(clean_cmd(book.path(), &out));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::metadata(&out).unwrap().ino(), before.ino());
}

#[test]
fn a_writable_output_folder_under_a_read_only_parent_builds() {
    let book = corpus(&["alpha"]);
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // Root ignores permission bits: an immutable parent (chattr +i) is read-only even for root.
    let immutable = Command::new("chattr")
        .arg("+i")
        .arg(parent.path())
        .status()
        .is_ok_and(|s| s.success());
    if !immutable {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    let parent_is_read_only = std::fs::create_dir(parent.path().join("probe")).is_err();
    let o = run(build_cmd(book.path(), &out, &["-f", "html,epub"]));
    let o2 = run(build_cmd(book.path(), &out, &["-f", "html"]));
    if immutable {
        let _ = Command::new("chattr").arg("-i").arg(parent.path()).status();
    } else {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    if !parent_is_read_only {
        eprintln!("skipped: this file system cannot make the parent read-only here");
        return;
    }
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o2.status.success(), "{}", stderr(&o2));
    assert_complete_set(&out, "under a read-only parent");
}
