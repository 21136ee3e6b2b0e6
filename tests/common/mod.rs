//! Shared by the integration tests: paths, the real binary, and validator discovery.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

/// The livret binary under test, run from `cwd`.
pub fn livret(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_livret"));
    cmd.current_dir(cwd).env_remove("SOURCE_DATE_EPOCH");
    cmd
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
