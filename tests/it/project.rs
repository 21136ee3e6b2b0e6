//! The project folder `livret init` makes (`livret.toml` and `content/` side by side), given to
//! every command from outside it, as `mdbook build my-book` takes a book's folder.

use crate::common::{names_in, run, stderr};

#[test]
fn init_then_build_from_outside_writes_into_the_project_out_folder() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("my-faq");
    // A repository made by `git init`: only `.git` in it.
    std::fs::create_dir_all(project.join(".git")).unwrap();
    let o = run(dir.path(), &["init", "my-faq"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        project.join("livret.toml").is_file(),
        "settings at the root"
    );
    assert!(!project.join("content/livret.toml").exists());

    // From outside: the corpus is my-faq/content, `/img/diagram.png` resolves against it.
    let o = run(dir.path(), &["build", "my-faq", "--strict"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        names_in(&project.join("out")),
        [
            "manifest.json",
            "our-faq.epub",
            "our-faq.html",
            "our-faq.pdf"
        ]
    );
    assert!(!dir.path().join("out").exists(), "nothing where livret ran");
    let html = std::fs::read_to_string(project.join("out/our-faq.html")).unwrap();
    assert!(html.contains("data:image/png"), "the sample image is in");
    // The root livret.toml is the one read: its name and author are in the book.
    assert!(html.contains("The project team"), "author of livret.toml");

    // check, dump-ir and clean take the same folder.
    let o = run(dir.path(), &["check", "my-faq", "--strict"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(dir.path(), &["dump-ir", "my-faq"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("newcomer"));
    let o = run(dir.path(), &["clean", "my-faq"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(names_in(&project.join("out")), Vec::<String>::new());

    // Inside the project, `livret build` writes the same place.
    let o = run(&project, &["build", "-f", "html"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        names_in(&project.join("out")),
        ["manifest.json", "our-faq.html"]
    );
}

#[test]
fn out_and_theme_of_the_project_livret_toml_are_relative_to_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    assert!(run(dir.path(), &["init", "p"]).status.success());
    std::fs::create_dir_all(project.join("house/html")).unwrap();
    std::fs::write(
        project.join("house/html/style.css"),
        "body { color: #abcdef; }\n",
    )
    .unwrap();
    let toml = project.join("livret.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push_str("out = \"dist\"\ntheme = \"house\"\nformats = [\"html\"]\n");
    std::fs::write(&toml, text).unwrap();
    let o = run(dir.path(), &["build", "p"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(project.join("dist/our-faq.html")).unwrap();
    assert!(html.contains("#abcdef"), "the project's theme");
    assert!(!dir.path().join("dist").exists());
    // `-o` stays relative to where livret runs.
    let o = run(dir.path(), &["build", "p", "-o", "here"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        names_in(&dir.path().join("here")),
        ["manifest.json", "our-faq.html"]
    );
    let o = run(dir.path(), &["clean", "p"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(names_in(&project.join("dist")), Vec::<String>::new());
}

#[test]
fn a_livret_toml_in_the_project_and_one_in_its_corpus_is_an_error_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run(dir.path(), &["init", "p"]).status.success());
    std::fs::write(dir.path().join("p/content/livret.toml"), "name = \"x\"\n").unwrap();
    for command in ["build", "check", "clean", "dump-ir"] {
        let o = run(dir.path(), &[command, "p"]);
        assert_eq!(o.status.code(), Some(2), "{command}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("p/livret.toml") && err.contains("p/content/livret.toml"),
            "{command}: {err}"
        );
    }
    assert!(!dir.path().join("p/out").exists());
}

#[test]
fn a_bare_corpus_folder_is_still_read_as_the_corpus() {
    // The corpus folder itself (index page at its top): livret.toml inside it, out/ where
    // livret runs, as before projects.
    let dir = tempfile::tempdir().unwrap();
    assert!(run(dir.path(), &["init", "p"]).status.success());
    let corpus = dir.path().join("p/content");
    std::fs::rename(dir.path().join("p/livret.toml"), corpus.join("livret.toml")).unwrap();
    let o = run(dir.path(), &["build", "p/content", "-f", "html"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        names_in(&dir.path().join("out")),
        ["manifest.json", "our-faq.html"]
    );
    // The project without a root livret.toml: its content/ is the corpus, out/ is the project's.
    let o = run(dir.path(), &["build", "p", "-f", "html"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        names_in(&dir.path().join("p/out")),
        ["manifest.json", "our-faq.html"]
    );
}
