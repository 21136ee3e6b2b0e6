//! The real binary on real corpora: exit codes, diagnostics, files written (or not).

use crate::common;

use common::{fixture, livret, names_in, repo, run, stderr};
use std::path::Path;
use std::process::Output;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn build_writes_every_format_of_the_default_corpus() {
    let out = tempfile::tempdir().unwrap();
    let o = run(&repo(), &["build", "-o", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    for ext in ["html", "epub", "pdf"] {
        let path = out.path().join(format!("decouvrir-l-opendata.{ext}"));
        assert!(
            path.metadata().map(|m| m.len() > 1000).unwrap_or(false),
            "{} missing or tiny",
            path.display()
        );
        assert!(
            stdout(&o).contains(&format!("decouvrir-l-opendata.{ext}")),
            "one line per artifact: {}",
            stdout(&o)
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn check_passes_on_the_default_corpus_and_lists_its_chapters() {
    let o = run(&repo(), &["check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let order: Vec<usize> = [
        "introduction",
        "citoyen",
        "producteur",
        "reutilisateur",
        "developpeur",
        "integrateur",
        "appendix",
    ]
    .iter()
    .map(|word| {
        text.find(word)
            .unwrap_or_else(|| panic!("`{word}` not listed by check: {text}"))
    })
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "chapters out of order: {text}"
    );
}

#[test]
fn good_fixtures_check_clean() {
    for name in ["compact-buttons", "collections-dir", "script-injection"] {
        let o = run(&repo(), &["check", fixture(name).to_str().unwrap()]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
    }
}

fn assert_content_error(name: &str, dir: &Path, expected: &[&str]) {
    let o = run(&repo(), &["check", dir.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{name}: exit code; stderr: {}",
        stderr(&o)
    );
    let err = stderr(&o);
    for phrase in expected {
        assert!(
            err.contains(phrase),
            "{name}: `{phrase}` not in stderr:\n{err}"
        );
    }
}

#[test]
fn buttons_that_match_no_page_say_did_you_mean() {
    assert_content_error(
        "bad-buttons",
        &fixture("bad-buttons"),
        &["error:", "did you mean", "faq/citoyen.md"],
    );
}

#[test]
fn malformed_yaml_points_at_the_page_line() {
    assert_content_error(
        "bad-yaml",
        &fixture("bad-yaml"),
        &["index.md:5:19: error:", "YAML"],
    );
}

#[test]
fn a_missing_image_is_an_error() {
    assert_content_error(
        "missing-image",
        &fixture("missing-image"),
        &["error:", "absent.png"],
    );
}

#[test]
fn an_image_escaping_the_root_is_an_error() {
    assert_content_error(
        "escaping-image",
        &fixture("escaping-image/corpus"),
        &["error:", "secret.png"],
    );
}

#[test]
fn a_failed_build_leaves_the_previous_artifacts_intact() {
    let out = tempfile::tempdir().unwrap();
    let previous = out.path().join("decouvrir-l-opendata.html");
    std::fs::write(&previous, "previous good build").unwrap();
    let o = run(
        &repo(),
        &[
            "build",
            fixture("missing-image").to_str().unwrap(),
            "-o",
            out.path().to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&previous).unwrap(),
        "previous good build"
    );
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        1,
        "nothing else written"
    );
}

#[test]
fn usage_errors_exit_2() {
    let o = run(&repo(), &["build", "-f", "docx"]);
    assert_eq!(o.status.code(), Some(2));
    let out = tempfile::tempdir().unwrap();
    let o = run(
        &repo(),
        &[
            "build",
            "--persona",
            "astronaute",
            "-o",
            out.path().to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("producteur"),
        "lists the known personas: {}",
        stderr(&o)
    );
    let o = run(&repo(), &["check", "/nonexistent/corpus"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn persona_and_split_select_chapters() {
    let out = tempfile::tempdir().unwrap();
    let o = run(
        &repo(),
        &[
            "build",
            "-f",
            "html",
            "--persona",
            "producteur",
            "--split",
            "-o",
            out.path().to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // A selection has its own stem (issue 12): it never overwrites the whole book's file.
    assert!(!out.path().join("decouvrir-l-opendata.html").exists());
    let whole =
        std::fs::read_to_string(out.path().join("decouvrir-l-opendata-producteur.html")).unwrap();
    let html = scraper::Html::parse_document(&whole);
    let sections = scraper::Selector::parse("section.chapter").unwrap();
    let ids: Vec<_> = html
        .select(&sections)
        .filter_map(|s| s.value().id())
        .collect();
    assert_eq!(ids, ["introduction", "producteur"]);
    assert!(
        !out.path()
            .join("decouvrir-l-opendata-citoyen.html")
            .exists(),
        "--persona limits --split too"
    );
}

#[test]
fn check_json_prints_one_diagnostic_per_line() {
    let o = run(
        &repo(),
        &[
            "check",
            "--format",
            "json",
            fixture("bad-buttons").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(!lines.is_empty());
    assert!(
        lines
            .iter()
            .all(|d| d["severity"] == "error" || d["severity"] == "warning")
    );
    assert!(lines.iter().any(|d| d["line"].as_u64().unwrap_or(0) > 0));
}

#[test]
fn a_diagnostic_shows_the_page_line_with_a_caret() {
    let o = run(&repo(), &["check", fixture("bad-yaml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.ends_with("index.md:5:19: error: invalid YAML front matter: mapping values are not allowed in this context"))
        .unwrap_or_else(|| panic!("no YAML error in:\n{err}"));
    assert_eq!(lines[at + 1], "  |");
    assert_eq!(
        lines[at + 2],
        "5 | summary: Attention: ce résumé contient un deux-points non protégé"
    );
    assert_eq!(lines[at + 3], format!("  | {}^", " ".repeat(18)));
    // JSON lines stay one object per line.
    let o = run(
        &repo(),
        &[
            "check",
            "--format",
            "json",
            fixture("bad-yaml").to_str().unwrap(),
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.lines().all(|l| l.starts_with('{')), "{out}");
}

/// The diagnostics of a run as JSON objects (`--diagnostics json`), one per stdout line.
fn json_diagnostics(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn check_strict_fails_exactly_where_build_strict_fails() {
    // The default corpus, a good sample and a page with an image the PDF cannot draw.
    let project = tempfile::tempdir().unwrap();
    let sample = project.path().join("sample");
    assert!(run(project.path(), &["init", "sample"]).status.success());
    let cases = [
        repo().join("content"),
        sample.clone(),
        fixture("missing-image"),
    ];
    for corpus in &cases {
        let corpus = corpus.to_str().unwrap();
        let out = tempfile::tempdir().unwrap();
        let out = out.path().to_str().unwrap();
        // -v: the book's outline must not get into the JSON on stdout.
        let build = run(
            &repo(),
            &[
                "build",
                "-v",
                corpus,
                "--strict",
                "-o",
                out,
                "--diagnostics",
                "json",
            ],
        );
        let check = run(
            &repo(),
            &["check", corpus, "--strict", "--diagnostics", "json"],
        );
        assert_eq!(
            build.status.code(),
            check.status.code(),
            "{corpus}: build {} / check {}",
            stderr(&build),
            stderr(&check)
        );
        assert_eq!(
            json_diagnostics(&build),
            json_diagnostics(&check),
            "{corpus}: the same diagnostics"
        );
    }
    // The default corpus builds strictly (the release workflow checks it so).
    let check = run(&repo(), &["check", "--strict", "--diagnostics", "json"]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    // A character the PDF fonts lack (an emoji heading): a writer's warning, now in check, and
    // an error under --strict in both.
    let index = sample.join("content/index.md");
    let text = std::fs::read_to_string(&index).unwrap() + "\n## 💡 Astuce\n\nUn conseil.\n";
    std::fs::write(&index, text).unwrap();
    let corpus = sample.to_str().unwrap();
    let check = run(
        &repo(),
        &["check", corpus, "--strict", "--diagnostics", "json"],
    );
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    assert!(
        json_diagnostics(&check)
            .iter()
            .any(|d| d["message"].as_str().unwrap_or("").starts_with("PDF:")),
        "{}",
        stdout(&check)
    );
    let out = tempfile::tempdir().unwrap();
    let out = out.path().to_str().unwrap();
    let build = run(
        &repo(),
        &[
            "build",
            corpus,
            "--strict",
            "-o",
            out,
            "--diagnostics",
            "json",
        ],
    );
    assert_eq!(build.status.code(), Some(1), "{}", stderr(&build));
    assert_eq!(json_diagnostics(&build), json_diagnostics(&check));
    // check writes nothing, not even out/.
    let dir = tempfile::tempdir().unwrap();
    assert!(run(dir.path(), &["init", "."]).status.success());
    assert!(run(dir.path(), &["check"]).status.success());
    assert!(!dir.path().join("out").exists());
}

#[test]
fn diagnostics_json_on_build_and_the_check_format_alias_agree_and_are_sorted() {
    let corpus = fixture("bad-buttons");
    let corpus = corpus.to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let build = run(
        &repo(),
        &[
            "build",
            corpus,
            "-o",
            out.path().to_str().unwrap(),
            "--diagnostics",
            "json",
        ],
    );
    let alias = run(&repo(), &["check", corpus, "--format", "json"]);
    let check = run(&repo(), &["check", corpus, "--diagnostics", "json"]);
    assert_eq!(build.status.code(), Some(1));
    let items = json_diagnostics(&check);
    assert!(items.len() >= 2, "{}", stdout(&check));
    assert_eq!(items, json_diagnostics(&alias));
    assert_eq!(items, json_diagnostics(&build));
    assert!(
        stderr(&build).is_empty(),
        "JSON mode keeps stderr quiet: {}",
        stderr(&build)
    );
    let keys: Vec<(String, u64, u64)> = items
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["col"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "sorted by file, line, column");
}

#[test]
fn the_real_cause_comes_before_no_index_page() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.md"),
        "---\ntitle: [broken\nbuttons:\n  - title: A\n    default: a\n---\n# Hi\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("a.md"), "---\ntitle: A\n---\nText.\n").unwrap();
    let o = run(dir.path(), &["check", "."]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let yaml = err.find("invalid YAML").expect("the YAML error");
    let no_index = err.find("no index page").unwrap_or(usize::MAX);
    assert!(yaml < no_index, "{err}");
}

#[test]
fn colour_on_request_never_in_a_pipe_and_no_color_is_honoured() {
    let corpus = fixture("bad-yaml");
    let corpus = corpus.to_str().unwrap();
    let piped = run(&repo(), &["check", corpus]);
    assert!(!stderr(&piped).contains('\x1b'), "no colour in a pipe");
    let always = run(&repo(), &["check", corpus, "--color", "always"]);
    let err = stderr(&always);
    assert!(err.contains("\x1b[1;31merror:\x1b[0m"), "{err:?}");
    let never = livret(&repo())
        .args(["check", corpus, "--color", "never"])
        .output()
        .unwrap();
    assert!(!stderr(&never).contains('\x1b'));
    // On a terminal colour is the default, unless NO_COLOR says otherwise (`script` gives the
    // command a terminal).
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok()
    {
        let bin = env!("CARGO_BIN_EXE_livret");
        let on_tty = |no_color: bool| {
            let mut cmd = std::process::Command::new("script");
            cmd.args(["-qec", &format!("{bin} check {corpus}"), "/dev/null"])
                .current_dir(repo())
                .env("TERM", "xterm");
            if no_color {
                cmd.env("NO_COLOR", "1");
            } else {
                cmd.env_remove("NO_COLOR");
            }
            String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
        };
        assert!(
            on_tty(false).contains("\x1b[1;31merror:"),
            "{:?}",
            on_tty(false)
        );
        let plain = on_tty(true);
        assert!(
            plain.contains("error:") && !plain.contains('\x1b'),
            "{plain:?}"
        );
    } else {
        eprintln!("skipped (terminal part): script not installed");
    }
}

#[test]
fn init_makes_a_corpus_that_builds_strictly_at_once_and_refuses_a_non_empty_folder() {
    for (lang, stem, persona) in [
        ("en", "our-faq", "newcomer"),
        ("fr", "notre-faq", "debutant"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let o = run(dir.path(), &["init", "book", "--lang", lang]);
        assert!(o.status.success(), "{}", stderr(&o));
        let book = dir.path().join("book");
        assert!(book.join("livret.toml").exists());
        let toml = std::fs::read_to_string(book.join("livret.toml")).unwrap();
        assert!(
            toml.lines()
                .filter(|l| l.trim_start().starts_with('#'))
                .count()
                >= 5
        );
        let o = run(&book, &["build", "--strict"]);
        assert!(o.status.success(), "{lang}: {}", stderr(&o));
        let html = std::fs::read_to_string(book.join(format!("out/{stem}.html"))).unwrap();
        let page = scraper::Html::parse_document(&html);
        let sections = scraper::Selector::parse("section.chapter").unwrap();
        let ids: Vec<_> = page
            .select(&sections)
            .filter_map(|s| s.value().id())
            .collect();
        assert_eq!(ids.len(), 3, "introduction and two personas: {ids:?}");
        assert!(ids.contains(&persona));
        let images = scraper::Selector::parse("img[src^='data:image/png']").unwrap();
        assert_eq!(page.select(&images).count(), 1, "the sample image");
        for ext in ["epub", "pdf"] {
            assert!(book.join(format!("out/{stem}.{ext}")).exists());
        }
        // Not over an existing project.
        let o = run(dir.path(), &["init", "book"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("already holds"), "{}", stderr(&o));
    }
}

#[test]
fn init_fills_a_folder_holding_only_dot_files_a_readme_or_a_licence_and_overwrites_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("my-faq");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    std::fs::write(project.join(".gitignore"), "target/\n").unwrap();
    std::fs::write(project.join("README.md"), "# My FAQ\n").unwrap();
    std::fs::write(project.join("LICENSE"), "MIT\n").unwrap();
    let o = run(dir.path(), &["init", "my-faq"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(project.join("content/index.md").exists());
    assert_eq!(
        std::fs::read_to_string(project.join(".gitignore")).unwrap(),
        "target/\n",
        "the repository's own .gitignore is kept"
    );
    assert!(stderr(&o).contains(".gitignore"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(project.join("README.md")).unwrap(),
        "# My FAQ\n"
    );
    // Anything else may be a corpus or a site: refused, nothing written.
    let other = dir.path().join("site");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let o = run(dir.path(), &["init", "site"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("notes.txt"), "{}", stderr(&o));
    assert_eq!(names_in(&other), ["notes.txt"]);
}

#[test]
fn completions_for_bash_zsh_fish_and_a_man_page() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef livret"),
        ("fish", "complete -c livret"),
    ] {
        let o = run(&repo(), &["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        assert!(script.contains(marker), "{shell}: {script}");
        for sub in ["build", "check", "serve", "watch", "init"] {
            assert!(script.contains(sub), "{shell} completes {sub}");
        }
    }
    // bash itself reads the script it is given.
    let bash = run(&repo(), &["completions", "bash"]);
    let checked = std::process::Command::new("bash")
        .args(["-n", "-c", &stdout(&bash)])
        .status();
    if let Ok(status) = checked {
        assert!(status.success(), "bash -n rejects the completion script");
    }
    let o = run(&repo(), &["man"]);
    assert!(o.status.success());
    let man = stdout(&o);
    assert!(
        man.starts_with(".ie") || man.contains(".TH livret"),
        "{man}"
    );
    assert!(
        man.contains("serve") && man.contains("\\-\\-strict"),
        "{man}"
    );
    assert_eq!(
        run(&repo(), &["completions", "tcsh"]).status.code(),
        Some(2)
    );
}

#[test]
fn plain_sentences_for_a_missing_default_folder_a_file_as_corpus_and_o_on_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["build"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("content/") && err.contains("livret init"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one sentence: {err}");

    let page = dir.path().join("page.md");
    std::fs::write(&page, "# Hi\n").unwrap();
    let o = run(dir.path(), &["build", "page.md"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is a file"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("os error"), "{}", stderr(&o));

    let project = dir.path().join("p");
    assert!(run(dir.path(), &["init", "p"]).status.success());
    let o = run(&project, &["build", "-o", "content/index.md"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("is a file, not a folder"), "{err}");
    assert!(!err.contains(".tmp") && !err.contains("os error"), "{err}");
    assert!(!project.join("out").exists());

    let o = run(&project, &["build", "--persona", "newcommer"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `newcomer`?"),
        "{}",
        stderr(&o)
    );
}

#[cfg(unix)]
#[test]
fn an_unwritable_output_folder_is_one_plain_sentence() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    assert!(run(dir.path(), &["init", "."]).status.success());
    let out = dir.path().join("locked");
    std::fs::create_dir(&out).unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o555)).unwrap();
    // root writes anyway; sysfs refuses even root a new folder.
    let target = if std::fs::write(out.join("probe"), b"x").is_err() {
        "locked".to_string()
    } else if std::fs::create_dir("/sys/livret-probe")
        .is_err_and(|e| e.kind() == std::io::ErrorKind::PermissionDenied)
    {
        "/sys/livret-out".to_string()
    } else {
        eprintln!("skipped: no folder here that this user cannot write");
        return;
    };
    let o = run(dir.path(), &["build", "-f", "html", "-o", &target]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("cannot write into `{target}`: permission denied")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one sentence: {err}");
    assert!(
        !err.contains(".livret-") && !err.contains("os error"),
        "{err}"
    );
}

#[test]
fn did_you_mean_for_config_keys_and_image_paths_and_an_external_button_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run(dir.path(), &["init", "."]).status.success());
    let content = dir.path().join("content");
    // A typo in livret.toml.
    let toml = dir.path().join("livret.toml");
    let good_toml = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, good_toml.replace("author =", "autor =")).unwrap();
    let o = run(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("did you mean `author`?"),
        "{}",
        stderr(&o)
    );
    std::fs::write(&toml, &good_toml).unwrap();

    // A typo in an image path.
    let index = content.join("index.md");
    let good_index = std::fs::read_to_string(&index).unwrap();
    std::fs::write(&index, good_index.replace("diagram.png", "diagramme.png")).unwrap();
    let o = run(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("image not found") && err.contains("did you mean content/img/diagram.png?"),
        "{err}"
    );

    // A button to another site: skipped with a warning naming it; an error under --strict.
    let with_link = good_index.replace(
        "buttons:\n",
        "buttons:\n  - title: Forum\n    url: https://forum.example.org/\n",
    );
    std::fs::write(&index, with_link).unwrap();
    let o = run(dir.path(), &["build", "-f", "html"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("warning: button \"Forum\" points outside the site (https://forum.example.org/): skipped"),
        "{err}"
    );
    let o = run(dir.path(), &["check", "--strict"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("error: button \"Forum\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_progress_bar_only_on_a_terminal_for_a_build_over_a_second() {
    // In a pipe (this test's stderr): never any bar or escape sequence.
    let out = tempfile::tempdir().unwrap();
    let o = run(&repo(), &["build", "-o", out.path().to_str().unwrap()]);
    assert!(o.status.success());
    let err = stderr(&o);
    assert!(!err.contains('\x1b') && !err.contains('\r'), "{err:?}");
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped (terminal part): script not installed");
        return;
    }
    // On a terminal, a build that takes over a second (the default corpus, 3 formats × 6 files)
    // shows the writer it is on.
    let bin = env!("CARGO_BIN_EXE_livret");
    let started = std::time::Instant::now();
    let tty = std::process::Command::new("script")
        .args([
            "-qec",
            &format!(
                "stty cols 80 rows 24; {bin} build --split -o {}",
                out.path().display()
            ),
            "/dev/null",
        ])
        .current_dir(repo())
        .env("TERM", "xterm")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&tty.stdout);
    if started.elapsed() < std::time::Duration::from_secs(2) {
        eprintln!("skipped (terminal part): the build took under two seconds here");
        return;
    }
    assert!(
        shown.contains("decouvrir-l-opendata") && shown.contains("/18"),
        "the bar names the artifact and counts writers: {shown:?}"
    );
    // It fits an 80-column terminal: no drawn line (escape sequences aside) wraps.
    let mut plain = String::new();
    let mut chars = shown.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ parameters final-byte.
            if chars.peek() == Some(&'[') {
                chars.next();
                for n in chars.by_ref() {
                    if ('@'..='~').contains(&n) {
                        break;
                    }
                }
            }
            plain.push('\n');
            continue;
        }
        plain.push(c);
    }
    let widest = plain
        .split(['\r', '\n'])
        .map(|line| line.chars().count())
        .max()
        .unwrap_or(0);
    assert!(widest <= 80, "a line of {widest} columns: {plain:?}");
}

#[test]
fn characters_missing_from_the_pdf_fonts_are_one_grouped_warning_at_the_first_place() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run(dir.path(), &["init", "."]).status.success());
    let page = dir.path().join("content/_faq/newcomer.md");
    let mut text = std::fs::read_to_string(&page).unwrap();
    let line = text.lines().count() + 2;
    text.push_str("\nIn Japanese: 漢字かなまじり文.\n");
    std::fs::write(&page, text).unwrap();
    let o = run(dir.path(), &["check", "--diagnostics", "json"]);
    assert!(o.status.success(), "warnings only: {}", stderr(&o));
    // JSON: one object per character, its kind and character as fields, each at its place.
    let glyphs: Vec<serde_json::Value> = json_diagnostics(&o)
        .into_iter()
        .filter(|d| d["kind"] == "missing-glyph")
        .collect();
    let mut characters: Vec<&str> = glyphs
        .iter()
        .map(|d| d["character"].as_str().unwrap())
        .collect();
    characters.sort();
    let mut expected: Vec<String> = "漢字かなまじり文".chars().map(String::from).collect();
    expected.sort();
    assert_eq!(characters, expected, "{glyphs:#?}");
    for d in &glyphs {
        assert_eq!(d["path"], "content/_faq/newcomer.md");
        assert_eq!(d["line"].as_u64(), Some(line as u64), "{d}");
    }
    let first = glyphs.iter().find(|d| d["character"] == "漢").unwrap();
    assert_eq!(first["col"].as_u64(), Some(14), "{first}");
    assert!(first["message"].as_str().unwrap().contains("no glyph"));
    // The terminal: one grouped warning at the first place.
    let o = run(dir.path(), &["check"]);
    let message = stderr(&o);
    assert_eq!(message.matches("no glyph").count(), 1, "{message}");
    assert!(
        message.contains(&format!(
            "newcomer.md:{line}:14: warning: 8 warnings of this kind, first at {line}:14: PDF:"
        )),
        "{message}"
    );
    assert!(
        message.contains("'字'") && message.contains("'文'"),
        "{message}"
    );
    // build --strict refuses it as check --strict does.
    let o = run(dir.path(), &["build", "--strict", "-f", "pdf"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!dir.path().join("out").exists());
}

/// A corpus made by `livret init` in a temporary folder, with `extra` added to its livret.toml.
fn initialised(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    assert!(run(dir.path(), &["init", "."]).status.success());
    let toml = dir.path().join("livret.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push_str(extra);
    std::fs::write(&toml, text).unwrap();
    dir
}

#[test]
fn livret_toml_out_and_formats_are_honoured_by_build_and_clean() {
    let dir = initialised("out = \"dist\"\nformats = [\"html\"]\n");
    let o = run(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        names_in(&dir.path().join("dist")),
        ["manifest.json", "our-faq.html"]
    );
    assert!(
        !dir.path().join("out").exists(),
        "nothing in the default folder"
    );
    // A file of the user's in dist/ stays; livret's files go.
    std::fs::write(dir.path().join("dist/notes.txt"), "mine").unwrap();
    let o = run(dir.path(), &["clean"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("removed dist/our-faq.html"),
        "{}",
        stdout(&o)
    );
    assert_eq!(names_in(&dir.path().join("dist")), ["notes.txt"]);
    // `-o` still wins over livret.toml.
    let elsewhere = dir.path().join("elsewhere");
    let o = run(
        dir.path(),
        &["build", "-f", "epub", "-o", elsewhere.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(names_in(&elsewhere), ["manifest.json", "our-faq.epub"]);
    assert_eq!(names_in(&dir.path().join("dist")), ["notes.txt"]);
}

#[test]
fn clean_refuses_when_the_settings_cannot_be_read() {
    // A typo in livret.toml: its `out` is unknown, so no folder is cleaned.
    let dir = initialised("out = \"dist\"\nouts = 1\n");
    std::fs::create_dir(dir.path().join("out")).unwrap();
    std::fs::write(dir.path().join("out/keep.txt"), "x").unwrap();
    let o = run(dir.path(), &["clean"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("livret.toml"), "{}", stderr(&o));
    assert_eq!(names_in(&dir.path().join("out")), ["keep.txt"]);
}

#[test]
fn json_lists_every_diagnostic_the_terminal_folds() {
    let dir = initialised("");
    let page = dir.path().join("content/_faq/newcomer.md");
    let mut text = std::fs::read_to_string(&page).unwrap();
    text.push_str("\n![a](nope.png)\n\n![a](nope.png)\n\n![a](nope.png)\n");
    std::fs::write(&page, text).unwrap();
    let o = run(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(1));
    let shown = stderr(&o);
    assert!(shown.contains("2 more like it"), "folded: {shown}");
    assert!(shown.contains("3 error(s)"), "{shown}");
    let o = run(dir.path(), &["check", "--diagnostics", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let errors: Vec<serde_json::Value> = json_diagnostics(&o)
        .into_iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), 3, "one object per error: {errors:#?}");
    let lines: Vec<u64> = errors.iter().map(|d| d["line"].as_u64().unwrap()).collect();
    assert!(lines[0] < lines[1] && lines[1] < lines[2], "{lines:?}");
}

/// `args` run with stdout (or stderr) a pipe nobody reads: closed before livret writes.
fn run_with_closed(cwd: &Path, args: &[&str], closed_stderr: bool) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut command = livret(cwd);
    command.args(args);
    if closed_stderr {
        command.stderr(writer).stdout(std::process::Stdio::null());
    } else {
        command.stdout(writer).stderr(std::process::Stdio::piped());
    }
    command.output().expect("the livret binary runs")
}

#[test]
fn a_closed_stdout_ends_livret_quietly_with_the_build_done() {
    let dir = initialised("");
    // `livret build -v | head -1`, the reader gone: the build completes, no panic.
    let o = run_with_closed(dir.path(), &["build", "-v"], false);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    assert_eq!(
        names_in(&dir.path().join("out")),
        [
            "manifest.json",
            "our-faq.epub",
            "our-faq.html",
            "our-faq.pdf"
        ]
    );
    for args in [
        &["check"][..],
        &["dump-ir"],
        &["clean"],
        &["check", "--diagnostics", "json"],
        &["completions", "bash"],
        &["man"],
    ] {
        let o = run_with_closed(dir.path(), args, false);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
    }
    assert_eq!(
        names_in(&dir.path().join("out")),
        Vec::<String>::new(),
        "clean ran to its end"
    );
}

#[test]
fn a_closed_stderr_keeps_the_exit_code_of_the_work() {
    let dir = initialised("");
    let page = dir.path().join("content/_faq/newcomer.md");
    let mut text = std::fs::read_to_string(&page).unwrap();
    text.push_str("\n![a](nope.png)\n");
    std::fs::write(&page, text).unwrap();
    // Content errors: 1, not 101 (a panic printing them).
    let o = run_with_closed(dir.path(), &["check"], true);
    assert_eq!(o.status.code(), Some(1));
    // A usage error: 2.
    let o = run_with_closed(dir.path(), &["build", "no-such-folder"], true);
    assert_eq!(o.status.code(), Some(2));
}
