//! The accessibility checkers (axe-core, Ace by DAISY), from the npm packages `.ci/run`
//! installs in `.ci/a11y/` (or `A11Y_NODE_MODULES`), driving the system Chromium (or `CHROME`).

use std::path::PathBuf;

pub struct Checkers {
    pub node_modules: PathBuf,
    pub chrome: PathBuf,
}

/// The checkers, or `None` (outside CI: a "skipped" line; in CI: a failure) when missing.
pub fn checkers(needs: &str) -> Option<Checkers> {
    let node_modules = std::env::var("A11Y_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| super::repo().join(".ci/a11y/node_modules"));
    let chrome = std::env::var("CHROME").map(PathBuf::from).ok().or_else(|| {
        // Debian's /usr/bin/chromium is a shell wrapper; puppeteer wants the binary.
        [
            "/usr/lib/chromium/chromium",
            "/usr/bin/chromium",
            "/usr/bin/chromium-browser",
        ]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
    });
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    match chrome {
        Some(chrome) if node && node_modules.join(needs).exists() => Some(Checkers {
            node_modules,
            chrome,
        }),
        _ => {
            let what = format!("{needs} (node, chromium, npm packages in .ci/a11y)");
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{what} is required in CI (CI=true) but is not installed");
            }
            eprintln!("skipped: {what} not installed");
            None
        }
    }
}
