//! Shared by the integration tests: paths, the real binary, and validator discovery.
#![allow(dead_code)]

pub mod a11y;
pub mod doc;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

/// The fixtures that build (tests/fixtures/README.md lists them with the bad ones).
pub const GOOD_FIXTURES: [&str; 12] = [
    "compact-buttons",
    "collections-dir",
    "script-injection",
    "lang-en-site",
    "lang-de-index",
    "lang-pt-config",
    "lang-fr-english-chapter",
    "lang-parallel-folders",
    "lang-polyglot",
    "lang-indexes",
    "lang-toml-list",
    "kramdown-idioms",
];

/// The livret binary under test, run from `cwd`.
pub fn livret(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_livret"));
    // No cache between builds unless a test asks for one: every build draws what it writes.
    cmd.current_dir(cwd)
        .env_remove("SOURCE_DATE_EPOCH")
        .env("LIVRET_CACHE_DIR", "");
    cmd
}

/// `livret ARGS` run in `cwd`, to its end.
pub fn run(cwd: &Path, args: &[&str]) -> Output {
    livret(cwd)
        .args(args)
        .output()
        .expect("the livret binary runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A copy of the folder `from` (a corpus) at `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{e}")) {
        let entry = entry.unwrap_or_else(|e| panic!("{e}"));
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// The names in `dir`, sorted (none when it does not exist).
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The Nu HTML checker "where installed": `VNU_JAR`, or the copy `.ci/run` installs; `None`
/// (and a line saying the test skipped) without it.
pub fn nu_checker() -> Option<PathBuf> {
    let jar = std::env::var("VNU_JAR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join(".ci/vnu/node_modules/vnu-jar/build/dist/vnu.jar"));
    if !jar.exists() {
        eprintln!("skipped: Nu HTML checker not installed (set VNU_JAR)");
        return None;
    }
    Some(jar)
}

/// The Nu checker's errors and warnings on `file`, one line each (`line:type message`).
pub fn nu_problems(jar: &Path, file: &Path) -> Vec<String> {
    let o = Command::new("java")
        .arg("-Xss8m")
        .arg("-jar")
        .arg(jar)
        .args(["--format", "json", "--stdout"])
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("java: {e}"));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("vnu output: {e}: {}", String::from_utf8_lossy(&o.stderr)));
    report["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["type"] == "error" || m["subType"] == "warning")
        .map(|m| format!("{}:{} {}", m["lastLine"], m["type"], m["message"]))
        .collect()
}

/// The benchmark generator's corpus at `scale` (`scripts/gen_corpus.py`) in `dir`: `true` when
/// made; without python3 a test says it skipped, and in CI (`CI=true`) it fails.
pub fn generated_corpus(scale: u32, dir: &Path) -> bool {
    let made = Command::new("python3")
        .arg(repo().join("scripts/gen_corpus.py"))
        .arg(scale.to_string())
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("python3 scripts/gen_corpus.py failed");
        }
        eprintln!("skipped: python3 not available to generate the corpus");
    }
    made
}

/// Whether a validator is installed. Missing in CI (`CI=true`) is a test failure; on a laptop
/// the test says it skipped and passes.
pub fn require_tool(tool: &str, probe: &[&str]) -> bool {
    let found = Command::new(tool)
        .args(probe)
        .output()
        .map(|o| o.status.success() || !o.stdout.is_empty() || !o.stderr.is_empty())
        .unwrap_or(false);
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{tool} is required in CI (CI=true) but is not installed");
        }
        eprintln!("skipped: {tool} not installed");
    }
    found
}

/// How to run epubcheck: Debian's jar through java (its `/usr/bin/epubcheck` is the bare jar),
/// else an `epubcheck` on PATH.
fn epubcheck_command() -> Option<Command> {
    let jar =
        std::env::var("EPUBCHECK_JAR").unwrap_or_else(|_| "/usr/share/java/epubcheck.jar".into());
    let java_works = || {
        Command::new("java")
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if Path::new(&jar).exists() && java_works() {
        let mut command = Command::new("java");
        command.args(["-jar", &jar]);
        return Some(command);
    }
    let works = Command::new("epubcheck")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    works.then(|| Command::new("epubcheck"))
}

fn missing_tool(tool: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{tool} is required in CI (CI=true) but is not installed");
    }
    eprintln!("skipped: {tool} not installed");
}

/// epubcheck must report 0 fatal errors, 0 errors and 0 warnings.
pub fn epubcheck(path: &Path) {
    let Some(mut command) = epubcheck_command() else {
        return missing_tool("epubcheck");
    };
    let output = command.arg(path).output().expect("run epubcheck");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let clean = report.contains("No errors or warnings detected")
        || report.contains("0 fatals / 0 errors / 0 warnings");
    assert!(
        output.status.success() && clean && !report.contains("WARNING"),
        "epubcheck {}:\n{report}",
        path.display()
    );
}

/// `qpdf --check` must exit 0 without a warning, and `pdffonts` must show every font embedded.
pub fn qpdf_and_pdffonts(path: &Path) {
    if !require_tool("qpdf", &["--version"]) || !require_tool("pdffonts", &["-v"]) {
        return;
    }
    let output = Command::new("qpdf")
        .arg("--check")
        .arg(path)
        .output()
        .expect("run qpdf");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success() && !report.to_lowercase().contains("warning"),
        "qpdf --check {}:\n{report}",
        path.display()
    );
    let output = Command::new("pdffonts")
        .arg(path)
        .output()
        .expect("run pdffonts");
    let fonts = String::from_utf8_lossy(&output.stdout);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "no font in {}", path.display());
    for row in rows {
        // Columns: name type encoding emb sub uni object ID; `emb` is the first yes/no.
        let emb = row.split_whitespace().find(|w| *w == "yes" || *w == "no");
        assert_eq!(
            emb,
            Some("yes"),
            "font not embedded in {}: {row}",
            path.display()
        );
    }
}

/// BaseFont names of a PDF's Type0 fonts (`TAG+Name` once subset), sorted.
pub fn type0_font_names(pdf: &lopdf::Document) -> Vec<String> {
    let mut names: Vec<String> = pdf
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.get(b"Subtype").and_then(|s| s.as_name()).ok() == Some(b"Type0"))
        .filter_map(|d| d.get(b"BaseFont").and_then(|n| n.as_name()).ok())
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    names.sort();
    names
}

/// CPU time this thread has used. Time bounds in tests use it: another build beside the tests
/// slows the wall clock, not this.
pub fn thread_cpu_time() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; CLOCK_THREAD_CPUTIME_ID exists on Linux and macOS.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
    if !ok {
        return std::time::Duration::ZERO;
    }
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// `livret -q build CORPUS -o TMP -f FORMATS EXTRA…` from the repository root; panics with
/// stderr unless it succeeds. Returns the folder and its artifacts of those formats, sorted.
pub fn build_into(
    corpus: &Path,
    formats: &str,
    extra: &[&str],
) -> (tempfile::TempDir, Vec<PathBuf>) {
    let out = tempfile::tempdir().unwrap();
    let o = livret(&repo())
        .args(["-q", "build"])
        .arg(corpus)
        .arg("-o")
        .arg(out.path())
        .args(["-f", formats])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}: {}",
        corpus.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    let wanted: Vec<&str> = formats.split(',').collect();
    let mut files: Vec<PathBuf> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            // `x.pdf`, and `x.print.pdf`/`x.cards.pdf` for the paper formats.
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            wanted
                .iter()
                .any(|w| name.ends_with(&format!(".{w}")) || name.ends_with(&format!(".{w}.pdf")))
        })
        .collect();
    files.sort();
    (out, files)
}
