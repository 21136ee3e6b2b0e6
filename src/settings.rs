//! One settings value per run: the command line over `livret.toml` over livret's defaults,
//! merged in one place (`Settings::merge`) before a command does its work. `build`, `check`,
//! `clean`, `dump-ir`, `serve` and `watch` all read the same value.

use crate::BuildOptions;
use crate::corpus::{self, Config, LanguageCorpus};
use crate::diag::{Diagnostics, Error, Result};
use crate::format::Format;
use std::path::{Path, PathBuf};

/// Output folder when neither `-o` nor `out` in livret.toml names one.
pub const DEFAULT_OUT_DIR: &str = "out";

/// What a run does, resolved: every field is the command line's value if it gave one, else
/// `livret.toml`'s, else livret's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub corpus_dir: PathBuf,
    /// `-o`, else `out` of livret.toml, else `out/`.
    pub out_dir: PathBuf,
    /// The manifest's file name in `out_dir`: `manifest` of livret.toml, else `manifest.json`.
    pub manifest_name: String,
    /// `-f`, else `formats` of livret.toml, else all three; sorted, once each.
    pub formats: Vec<Format>,
    /// Keep the introduction plus these personas (slugs); empty = the whole book.
    pub personas: Vec<String>,
    /// `--split`, or `split = true`.
    pub split: bool,
    /// `--theme`, else `theme` of livret.toml.
    pub theme: Option<PathBuf>,
    /// `--strict`, or `strict = true`: warnings count as errors.
    pub strict: bool,
    /// Unix seconds written as the build date (`SOURCE_DATE_EPOCH`).
    pub build_time: i64,
    /// Wait for another build writing the same output folder instead of failing at once.
    pub wait: bool,
    /// `-j`, else `jobs` of livret.toml, else the cores available: writers run at once.
    pub jobs: usize,
}

impl Settings {
    /// The command line `cli` over the settings file `config` over the defaults. Unknown names
    /// in `formats` were reported by the loader (an error, at their line), so they are skipped.
    pub fn merge(cli: &BuildOptions, config: &Config) -> Result<Settings> {
        let formats = if !cli.formats.is_empty() {
            let mut formats = cli.formats.clone();
            formats.sort();
            formats.dedup();
            formats
        } else {
            match &config.formats {
                None => Format::DEFAULT.to_vec(),
                Some(names) if names.is_empty() => {
                    return Err(Error::Usage("livret.toml: `formats` is empty".into()));
                }
                Some(names) => {
                    let mut formats: Vec<Format> =
                        names.iter().filter_map(|n| Format::parse(n)).collect();
                    formats.sort();
                    formats.dedup();
                    if formats.is_empty() {
                        Format::DEFAULT.to_vec()
                    } else {
                        formats
                    }
                }
            }
        };
        let jobs = match cli.jobs.or(config.jobs) {
            Some(0) => {
                return Err(Error::Usage(
                    "jobs must be at least 1 (-j, or `jobs` in livret.toml)".into(),
                ));
            }
            Some(n) => n,
            None => crate::jobs::available(),
        };
        Ok(Settings {
            corpus_dir: cli.corpus_dir.clone(),
            out_dir: cli.out_dir.clone().unwrap_or_else(|| {
                cli.in_project(Path::new(config.out.as_deref().unwrap_or(DEFAULT_OUT_DIR)))
            }),
            manifest_name: config
                .manifest
                .clone()
                .unwrap_or_else(|| crate::manifest::FILE_NAME.to_string()),
            formats,
            personas: cli.personas.clone(),
            split: cli.split || config.split == Some(true),
            theme: cli.theme.clone().or_else(|| {
                config
                    .theme
                    .as_ref()
                    .map(|theme| cli.in_project(Path::new(theme)))
            }),
            strict: cli.strict || config.strict == Some(true),
            build_time: cli.build_time,
            wait: cli.wait,
            jobs,
        })
    }

    /// The settings of a run over the corpus of `cli`: its `livret.toml` is read where the
    /// loader finds it (the corpus root, or beside the index page). Problems found on the way
    /// are in `diags`; `Err` when the corpus cannot be read at all.
    pub fn resolve(cli: &BuildOptions, diags: &mut Diagnostics) -> Result<Settings> {
        load_corpora(cli, diags).map(|(_, settings)| settings)
    }

    /// The settings when no corpus is read (`clean -o DIR`, a missing corpus folder): the
    /// command line over the defaults.
    pub fn without_corpus(cli: &BuildOptions) -> Result<Settings> {
        Settings::merge(cli, &Config::default())
    }
}

/// Every language's corpus of `cli` (the original's first), never reading the output folder
/// (which may lie inside it), and the settings the original's `livret.toml` gives.
pub(crate) fn load_corpora(
    cli: &BuildOptions,
    diags: &mut Diagnostics,
) -> Result<(Vec<LanguageCorpus>, Settings)> {
    let mut excluded = vec![cli.out_dir_or_default()];
    let only = cli.language.as_deref();
    let project = cli.project_dir.as_deref();
    let mut load_diags = Diagnostics::new();
    let mut loaded =
        corpus::load_project_corpora(&cli.corpus_dir, project, &excluded, only, &mut load_diags);
    if let Ok(Some(first)) = loaded.as_ref().map(|corpora| corpora.first()) {
        let out = Settings::merge(cli, &first.corpus.config)?.out_dir;
        if !excluded.contains(&out) {
            // Read again without it: the settings that name it come from the corpus itself.
            excluded.push(out);
            load_diags = Diagnostics::new();
            loaded = corpus::load_project_corpora(
                &cli.corpus_dir,
                project,
                &excluded,
                only,
                &mut load_diags,
            );
        }
    }
    // The diagnostics say why, when no book could be made.
    diags.extend(load_diags);
    let corpora = loaded?;
    let Some(first) = corpora.first() else {
        return Err(Error::Content(diags.error_count()));
    };
    let settings = Settings::merge(cli, &first.corpus.config)?;
    Ok((corpora, settings))
}

impl BuildOptions {
    /// The command line of a run that gives only the corpus folder.
    pub fn for_corpus(dir: &Path) -> BuildOptions {
        BuildOptions {
            corpus_dir: dir.to_path_buf(),
            project_dir: None,
            out_dir: None,
            formats: Vec::new(),
            personas: Vec::new(),
            split: false,
            theme: None,
            strict: false,
            build_time: 0,
            wait: false,
            language: None,
            jobs: None,
            exits_after: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_wins_then_livret_toml_then_the_defaults() {
        let cli = BuildOptions::for_corpus(Path::new("content"));
        let config = Config {
            out: Some("dist".into()),
            manifest: Some("livret-manifest.json".into()),
            formats: Some(vec!["pdf".into(), "HTML".into(), "pdf".into()]),
            theme: Some("house".into()),
            split: Some(true),
            strict: Some(true),
            ..Config::default()
        };
        let from_file = Settings::merge(&cli, &config).unwrap();
        assert_eq!(from_file.out_dir, PathBuf::from("dist"));
        assert_eq!(from_file.manifest_name, "livret-manifest.json");
        assert_eq!(from_file.formats, [Format::Html, Format::Pdf]);
        assert_eq!(from_file.theme, Some(PathBuf::from("house")));
        assert!(from_file.split && from_file.strict);

        let given = BuildOptions {
            out_dir: Some("site".into()),
            formats: vec![Format::Epub],
            theme: Some("mine".into()),
            ..cli.clone()
        };
        let from_cli = Settings::merge(&given, &config).unwrap();
        assert_eq!(from_cli.out_dir, PathBuf::from("site"));
        assert_eq!(from_cli.formats, [Format::Epub]);
        assert_eq!(from_cli.theme, Some(PathBuf::from("mine")));

        let defaults = Settings::merge(&cli, &Config::default()).unwrap();
        assert_eq!(defaults.out_dir, PathBuf::from(DEFAULT_OUT_DIR));
        assert_eq!(defaults.manifest_name, crate::manifest::FILE_NAME);
        assert_eq!(defaults.formats, Format::DEFAULT);
        assert!(!defaults.split && !defaults.strict && defaults.theme.is_none());

        let empty = Config {
            formats: Some(Vec::new()),
            ..Config::default()
        };
        assert!(Settings::merge(&cli, &empty).is_err());
    }
}
