//! Reliability (issue 14, and the output folder of issue 12): an atomic release set, one build
//! at a time per output folder, only regular files read, bounded work, no silent loss, safe
//! names. Everything runs the real binary. Unix only: the tests make FIFOs and send signals.
#![cfg(unix)]

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
    // From the start to past the usual end: kills land before, during and after the swap.
    let window = (quiet_time.as_millis() as u64 * 3).max(20);
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
