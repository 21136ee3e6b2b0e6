//! `serve` and `watch`: rebuild on every change of the corpus, the theme or livret.toml.
//! `serve` also serves the current set (the HTML page with a preview bar, every artifact at its
//! own name) and reloads the browser by long polling: the page asks
//! `/__livret/wait?since=N&instance=ID` and the answer comes when build N+1 is done, or at once
//! when the server is another instance (it restarted). The reload script, the bar and the error
//! banner are added to the served page only, never to a written artifact.

mod http;

use super::args::{CorpusArg, format_parser};
use super::build::{FormatArg, SelectionArgs, build_options, formats};
use super::messages;
use super::report::{Reporter, eprint_line, print_line};
use clap::Args;
use livret::diag::{Diagnostics, Error};
use livret::write::Format;
use livret::{BuildObserver, BuildOptions, RenderedBook, Settings, build_time_from_env, render};
use notify_debouncer_full::{DebounceEventResult, new_debouncer, notify::RecursiveMode};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub corpus: CorpusArg,
    /// Port (0: any free port).
    #[arg(short, long, default_value_t = 3000)]
    pub port: u16,
    /// Address to listen on: 127.0.0.1 (this machine only), or this machine's address on the
    /// network (or 0.0.0.0) to preview on a phone or another computer.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub host: String,
    /// Open the page in the default browser once built.
    #[arg(long)]
    pub open: bool,
    /// Also write these formats into the output folder after every rebuild, comma-separated
    /// (html,epub,pdf) [default: none, the preview only]
    #[arg(short, long, alias = "formats", value_delimiter = ',', value_parser = format_parser())]
    pub format: Vec<FormatArg>,
    /// Output folder for -f [default: `out` of livret.toml, else out/ (a project's own)]
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub selection: SelectionArgs,
}

#[derive(Args)]
pub struct WatchArgs {
    #[command(flatten)]
    pub corpus: CorpusArg,
    /// Formats rebuilt into the output folder on every change, comma-separated
    /// [default: `formats` of livret.toml, else all three]
    #[arg(short, long, alias = "formats", value_delimiter = ',', value_parser = format_parser())]
    pub format: Vec<FormatArg>,
    /// Output folder [default: `out` of livret.toml, else out/ (a project's own)]
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub selection: SelectionArgs,
}

/// How long the file watcher waits for a burst of changes (an editor's save: a few ms) to end;
/// short, as it adds to every reload (10 to 12.5 ms with the watcher's tick of a quarter of it).
/// A longer burst only costs one more rebuild: changes during a build make one rebuild after it.
const DEBOUNCE: Duration = Duration::from_millis(10);
/// How long a reload request is held open before the page asks again.
const LONG_POLL: Duration = Duration::from_secs(25);
/// Long-polls held at once; past it a new one is answered at once and the page asks later.
const MAX_WAITERS: usize = 64;
const WAIT_PATH: &str = "/__livret/wait";
/// A corpus image larger than this is not served (the book refuses far smaller ones).
const MAX_IMAGE_BYTES: u64 = 64 << 20;

/// What `serve` and `watch` build, from their arguments and `livret.toml` (the one settings
/// value, `Settings`): the one place their options are made.
struct LoopSettings {
    /// Every format of the set; `serve` always has HTML for its page.
    options: BuildOptions,
    /// The formats written into the output folder (none: `serve` without `-f`).
    written: Vec<Format>,
    /// The output folder: `-o`, else `out` of livret.toml, else `out/`.
    out_dir: PathBuf,
    /// The theme folder: `--theme`, else `theme` of livret.toml (watched too).
    theme: Option<PathBuf>,
}

fn loop_settings(
    corpus: &CorpusArg,
    output: Option<&Path>,
    given: &[FormatArg],
    selection: &SelectionArgs,
    preview: bool,
) -> Result<LoopSettings, Error> {
    let located = corpus.locate()?;
    let flags = build_options(&located, output, formats(given), selection, false)?;
    // A corpus with errors still starts the loop (the first build shows them): its settings
    // are then the command line's over the defaults until it is fixed.
    let settings = match Settings::resolve(&flags, &mut Diagnostics::new()) {
        Ok(settings) => settings,
        Err(Error::Content(_)) => Settings::without_corpus(&flags)?,
        Err(other) => return Err(other),
    };
    // `serve` writes only what `-f` asks for; `watch` what `-f` or livret.toml says.
    let written = if preview {
        formats(given)
    } else {
        settings.formats.clone()
    };
    if !written.is_empty() {
        messages::check_output_dir(&settings.out_dir)?;
    }
    let mut set = written.clone();
    if preview {
        set.push(Format::Html);
    }
    set.sort();
    set.dedup();
    let mut options = flags;
    options.formats = set;
    options.out_dir = Some(settings.out_dir.clone());
    Ok(LoopSettings {
        options,
        written,
        out_dir: settings.out_dir,
        theme: settings.theme,
    })
}

/// The options of one rebuild: its own date (`SOURCE_DATE_EPOCH` when set, else now).
fn dated(options: &BuildOptions, formats: &[Format]) -> BuildOptions {
    let mut options = options.clone();
    if let Ok(now) = build_time_from_env() {
        options.build_time = now;
    }
    options.formats = formats.to_vec();
    options
}

/// An artifact of the current set, served at its own name.
struct Served {
    name: String,
    format: Format,
    bytes: Arc<[u8]>,
}

/// What the server shows: the last good set, and the last build's failure if it failed.
#[derive(Default)]
struct Preview {
    /// Incremented after every preview build, good or not.
    generation: u64,
    /// The whole book's HTML page as built (the preview's additions come when served).
    page: Option<String>,
    files: Vec<Served>,
    /// The corpus's images the book uses, relative to the corpus (site paths).
    images: Vec<String>,
    failure: Option<String>,
    /// Long-polls waiting for the next build.
    waiters: Vec<Waiter>,
}

struct Waiter {
    connection: http::Connection,
    deadline: Instant,
}

struct Shared {
    preview: Mutex<Preview>,
    stop: Arc<AtomicBool>,
    /// Tells a waiting page that this is another server than the one that served it.
    instance: String,
}

impl Shared {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Self {
            preview: Mutex::new(Preview::default()),
            stop: Arc::new(AtomicBool::new(false)),
            instance: format!("{:x}-{:x}", nanos, std::process::id()),
        }
    }

    fn preview(&self) -> std::sync::MutexGuard<'_, Preview> {
        self.preview.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A preview build ended: take its result and answer every waiting page.
    fn publish(&self, result: Result<Built, String>) {
        let (waiters, answer) = {
            let mut preview = self.preview();
            preview.generation += 1;
            match result {
                Ok(built) => {
                    preview.page = built.page;
                    preview.images = built.images;
                    replace_files(&mut preview.files, built.files);
                    preview.failure = None;
                }
                Err(text) => preview.failure = Some(text),
            }
            (
                std::mem::take(&mut preview.waiters),
                self.wait_answer(&preview, false),
            )
        };
        for waiter in waiters {
            waiter.connection.answer(&answer);
        }
    }

    /// `{"instance":…,"generation":N,"busy":…}`; `busy`: the page should wait before asking again.
    fn wait_answer(&self, preview: &Preview, busy: bool) -> http::Response {
        let body = serde_json::json!({
            "instance": self.instance,
            "generation": preview.generation,
            "busy": busy,
        })
        .to_string();
        http::Response::new(200, "application/json", body.into_bytes())
    }
}

/// The formats of `new` replace theirs in `files`; the others stay.
fn replace_files(files: &mut Vec<Served>, new: Vec<Served>) {
    files.retain(|old| !new.iter().any(|n| n.format == old.format));
    files.extend(new);
    files.sort_by(|a, b| (a.format, &a.name).cmp(&(b.format, &b.name)));
}

pub fn run_serve(args: &ServeArgs, reporter: &Reporter) -> Result<(), Error> {
    let settings = loop_settings(
        &args.corpus,
        args.output.as_deref(),
        &args.format,
        &args.selection,
        true,
    )?;
    let listener = TcpListener::bind((args.host.as_str(), args.port)).map_err(|e| {
        Error::Usage(if e.kind() == std::io::ErrorKind::AddrInUse {
            format!(
                "port {} is already in use: choose another with --port",
                args.port
            )
        } else {
            format!("cannot listen on {}:{}: {e}", args.host, args.port)
        })
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Usage(format!("cannot listen on {}: {e}", args.host)))?;
    let url = match addr {
        SocketAddr::V6(v6) => format!("http://[{}]:{}/", v6.ip(), v6.port()),
        SocketAddr::V4(v4) => format!("http://{v4}/"),
    };
    let shared = Shared::new();
    stop_on_interrupt(&shared, Some(addr))?;
    let hosts = http::HostCheck::new(&args.host);

    // Watching before the first build: a save during it is not missed.
    let ours = Arc::new(Mutex::new(Vec::new()));
    let (changed, changes) = std::sync::mpsc::channel();
    let _watcher = watch(
        &watched_paths(&settings),
        &settings.out_dir,
        Arc::clone(&ours),
        changed,
    )?;
    // The first build, whole: options it refuses (an unknown persona) stop here, as `build`.
    let first = dated(&settings.options, &settings.options.formats);
    match build_once(&first, &settings.written, &ours, reporter, true) {
        Ok(built) => shared.publish(Ok(built)),
        Err(Failure { error, .. }) if error.exit_code() == 2 => return Err(error),
        Err(Failure { text, .. }) => shared.publish(Err(text)),
    }
    print_line(format_args!("livret: serving {url} (Ctrl-C to stop)"));
    if args.open {
        open_browser(&url);
    }

    // Formats other than the preview's HTML, rebuilt after it without holding it up.
    let later: Vec<Format> = settings
        .written
        .iter()
        .copied()
        .filter(|f| *f != Format::Html)
        .collect();
    let later = &later;
    let pending: Mutex<Option<BuildOptions>> = Mutex::new(None);
    let pending_set = Condvar::new();
    std::thread::scope(|scope| {
        let shared = &shared;
        let (pending, pending_set, ours, settings) = (&pending, &pending_set, &ours, &settings);
        scope.spawn(move || {
            while !shared.stop.load(Ordering::SeqCst) {
                if changes.recv_timeout(Duration::from_millis(200)).is_err() {
                    continue;
                }
                // A burst of saves is one rebuild.
                while changes.try_recv().is_ok() {}
                // One date for the page and the set written after it.
                let options = dated(&settings.options, &settings.written);
                let html = BuildOptions {
                    formats: vec![Format::Html],
                    ..options.clone()
                };
                // The set is written whole, once: by the background build when it has more.
                let written_now: &[Format] = if later.is_empty() {
                    &settings.written
                } else {
                    &[]
                };
                match build_once(&html, written_now, ours, reporter, true) {
                    Ok(built) => {
                        shared.publish(Ok(built));
                        if !later.is_empty() {
                            *pending.lock().unwrap_or_else(|p| p.into_inner()) = Some(options);
                            pending_set.notify_one();
                        }
                    }
                    Err(failure) => shared.publish(Err(failure.text)),
                }
            }
            pending_set.notify_one();
        });
        if !later.is_empty() {
            scope.spawn(move || {
                while let Some(options) = next_pending(pending, pending_set, &shared.stop) {
                    // The whole set, as `build` writes it; the page is not reloaded for it.
                    let set = options.formats.clone();
                    match build_once(&options, &set, ours, reporter, false) {
                        Ok(built) => replace_files(&mut shared.preview().files, built.files),
                        // The page reloads to show it, over the preview just built.
                        Err(failure) => shared.publish(Err(failure.text)),
                    }
                }
            });
        }
        scope.spawn(move || expire_waiters(shared));
        http::serve(&listener, &hosts, &shared.stop, |request, connection| {
            answer(request, connection, shared, &settings.options.corpus_dir)
        });
    });
    print_line(format_args!("livret: stopped"));
    Ok(())
}

/// The latest set waiting for the background build, or `None` once stopping.
fn next_pending(
    pending: &Mutex<Option<BuildOptions>>,
    set: &Condvar,
    stop: &AtomicBool,
) -> Option<BuildOptions> {
    let mut slot = pending.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        if stop.load(Ordering::SeqCst) {
            return None;
        }
        if let Some(options) = slot.take() {
            return Some(options);
        }
        slot = set
            .wait_timeout(slot, Duration::from_millis(200))
            .unwrap_or_else(|p| p.into_inner())
            .0;
    }
}

/// Long-polls past their time are answered (the page asks again); all of them when stopping.
fn expire_waiters(shared: &Shared) {
    loop {
        let stopping = shared.stop.load(Ordering::SeqCst);
        let (due, answer) = {
            let mut preview = shared.preview();
            let now = Instant::now();
            let (due, kept) = std::mem::take(&mut preview.waiters)
                .into_iter()
                .partition(|w: &Waiter| stopping || w.deadline <= now);
            preview.waiters = kept;
            (due, shared.wait_answer(&preview, false))
        };
        for waiter in due {
            waiter.connection.answer(&answer);
        }
        if stopping {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

pub fn run_watch(args: &WatchArgs, reporter: &Reporter) -> Result<(), Error> {
    let settings = loop_settings(
        &args.corpus,
        args.output.as_deref(),
        &args.format,
        &args.selection,
        false,
    )?;
    let shared = Shared::new();
    stop_on_interrupt(&shared, None)?;
    let paths = watched_paths(&settings);
    // Watching before the first build: a save during it is not missed.
    let ours = Arc::new(Mutex::new(Vec::new()));
    let (changed, changes) = std::sync::mpsc::channel();
    let _watcher = watch(&paths, &settings.out_dir, Arc::clone(&ours), changed)?;
    let build = || {
        let options = dated(&settings.options, &settings.written);
        build_once(&options, &settings.written, &ours, reporter, false)
    };
    if let Err(Failure { error, .. }) = build()
        && error.exit_code() == 2
    {
        return Err(error);
    }
    print_line(format_args!(
        "livret: watching {} (Ctrl-C to stop)",
        paths
            .iter()
            .map(|(path, mode)| match mode {
                // A project's folder is watched for its livret.toml.
                RecursiveMode::NonRecursive => {
                    livret::corpus::in_project(path, Path::new("livret.toml"))
                        .display()
                        .to_string()
                }
                RecursiveMode::Recursive => path.display().to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    ));
    while !shared.stop.load(Ordering::SeqCst) {
        if changes.recv_timeout(Duration::from_millis(200)).is_ok() {
            while changes.try_recv().is_ok() {}
            let _ = build();
        }
    }
    print_line(format_args!("livret: stopped"));
    Ok(())
}

/// Ctrl-C (SIGINT) and SIGTERM end the loop after the build under way: no half-written file.
/// A server's accept loop is woken by one connection to itself.
fn stop_on_interrupt(shared: &Shared, server: Option<SocketAddr>) -> Result<(), Error> {
    let stop = Arc::clone(&shared.stop);
    ctrlc::set_handler(move || {
        stop.store(true, Ordering::SeqCst);
        if let Some(addr) = server {
            http::wake(addr);
        }
    })
    .map_err(|e| Error::Usage(format!("cannot catch Ctrl-C: {e}")))
}

/// The corpus, the theme folder when one is given, and a project's own folder (its
/// livret.toml, not its other folders: that one level only).
fn watched_paths(settings: &LoopSettings) -> Vec<(PathBuf, RecursiveMode)> {
    let mut paths = vec![(
        settings.options.corpus_dir.clone(),
        RecursiveMode::Recursive,
    )];
    paths.extend(
        settings
            .theme
            .clone()
            .map(|theme| (theme, RecursiveMode::Recursive)),
    );
    paths.extend(
        settings
            .options
            .project_dir
            .clone()
            .map(|project| (project, RecursiveMode::NonRecursive)),
    );
    paths
}

/// Watch `paths` recursively; every change sends one message, except livret's own writes:
/// the files of the set and its manifest in `out_dir` (named in `ours`), and its temporary names.
/// By name, not by folder: `-o .` puts the corpus inside the output folder.
fn watch(
    paths: &[(PathBuf, RecursiveMode)],
    out_dir: &Path,
    ours: Arc<Mutex<Vec<String>>>,
    changed: std::sync::mpsc::Sender<()>,
) -> Result<impl Drop + use<>, Error> {
    let out_dir = std::path::absolute(out_dir).unwrap_or_else(|_| out_dir.to_path_buf());
    // A project's folder is watched for its livret.toml alone (a log written there is no change).
    let projects: Vec<PathBuf> = paths
        .iter()
        .filter(|(_, mode)| *mode == RecursiveMode::NonRecursive)
        .map(|(path, _)| std::path::absolute(path).unwrap_or_else(|_| path.clone()))
        .collect();
    let mut debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
        let Ok(events) = result else { return };
        let names = ours.lock().unwrap_or_else(|p| p.into_inner()).clone();
        // Reading a file is an event too (the build reads every page): only changes count.
        let relevant = events
            .iter()
            .filter(|event| !event.kind.is_access() && !event.kind.is_other())
            .flat_map(|event| event.paths.iter())
            .filter(|path| {
                path.file_name().is_some_and(|n| n == "livret.toml")
                    || !path
                        .parent()
                        .is_some_and(|p| projects.iter().any(|d| d == p))
            })
            .any(|path| !written_by_livret(path, &out_dir, &names));
        if relevant {
            let _ = changed.send(());
        }
    })
    .map_err(|e| Error::Usage(format!("cannot watch for changes: {e}")))?;
    for (path, mode) in paths {
        // Absolute, so event paths compare with the absolute output folder.
        let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
        debouncer
            .watch(&path, *mode)
            .map_err(|e| Error::Usage(format!("cannot watch `{}`: {e}", path.display())))?;
    }
    Ok(debouncer)
}

/// `path` is one of livret's own: a temporary name (`.livret-…`, `.out.livret-…`, anywhere), the
/// output folder itself, or in it the manifest or a file of the set (`names`).
fn written_by_livret(path: &Path, out_dir: &Path, names: &[String]) -> bool {
    let temporary = path.components().any(|c| {
        let c = c.as_os_str().to_string_lossy();
        c.starts_with('.') && c.contains(".livret-")
    });
    // The folder itself: the set may be swapped in by renaming a whole folder.
    if temporary || path == out_dir {
        return true;
    }
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return false;
    };
    // The output folder may not exist when watching starts; resolved each time.
    let in_out = parent == out_dir
        || out_dir
            .canonicalize()
            .is_ok_and(|real| parent.canonicalize().is_ok_and(|p| p == real));
    let name = name.to_string_lossy();
    // `#<inode>`: how inotify names the unnamed file (O_TMPFILE) the journal is written in.
    let unnamed =
        name.len() > 1 && name.starts_with('#') && name[1..].bytes().all(|b| b.is_ascii_digit());
    in_out && (unnamed || names.iter().any(|n| *n == name))
}

/// A build that made its set: the served files, the page, the images.
struct Built {
    page: Option<String>,
    files: Vec<Served>,
    images: Vec<String>,
}

struct Failure {
    error: Error,
    /// The diagnostics and the error as plain text, for the page's banner.
    text: String,
}

/// One build of `options.formats`, in memory; the `written` ones put in the output folder as one
/// set (as `build` does). Diagnostics and one line (what, how long) go to the terminal.
fn build_once(
    options: &BuildOptions,
    written: &[Format],
    ours: &Mutex<Vec<String>>,
    reporter: &Reporter,
    preview: bool,
) -> Result<Built, Failure> {
    let started = Instant::now();
    let mut diags = Diagnostics::new();
    let result = render(options, &mut diags, &mut NoObserver).and_then(|rendered| {
        let RenderedBook {
            out_dir,
            manifest_name,
            book_files,
            items,
        } = rendered;
        // The whole book's page is the first (`--split` adds one per persona after it).
        let page = items
            .iter()
            .find(|r| r.artifact.format == Format::Html)
            .map(|r| String::from_utf8_lossy(&r.bytes).into_owned());
        let name_of = |path: &Path| {
            path.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        };
        let files: Vec<Served> = items
            .iter()
            .map(|r| Served {
                name: name_of(&r.artifact.path),
                format: r.artifact.format,
                bytes: Arc::from(r.bytes.as_slice()),
            })
            .collect();
        let images = book_files
            .iter()
            .filter(|f| image_type(f).is_some())
            .cloned()
            .collect();
        let kept: Vec<_> = items
            .into_iter()
            .filter(|r| written.contains(&r.artifact.format))
            .collect();
        let mut shown: Vec<String> = Vec::new();
        if !kept.is_empty() {
            // Known before the write, so the watcher ignores the write's own events.
            // The manifest too, under the name livret.toml gives it.
            *ours.lock().unwrap_or_else(|p| p.into_inner()) = kept
                .iter()
                .map(|r| name_of(&r.artifact.path))
                .chain([manifest_name.clone()])
                .collect();
            let book = RenderedBook {
                out_dir,
                manifest_name,
                book_files,
                items: kept,
            };
            let published =
                livret::write_rendered(options, book).map_err(|e| messages::explain(e, options))?;
            published.kept.warn(&mut diags);
            shown.extend(
                published
                    .artifacts
                    .iter()
                    .map(|a| a.path.display().to_string()),
            );
        }
        if preview {
            // What the preview shows that was not written.
            shown.extend(
                files
                    .iter()
                    .filter(|f| !written.contains(&f.format))
                    .map(|f| f.name.clone()),
            );
        }
        Ok((
            Built {
                page,
                files,
                images,
            },
            shown,
        ))
    });
    reporter.report(&diags);
    let stamp = clock();
    match result {
        Ok((built, shown)) => {
            if !reporter.quiet() {
                eprint_line(format_args!(
                    "livret: [{stamp}] built {} in {}",
                    shown.join(", "),
                    duration(started.elapsed())
                ));
            }
            Ok(built)
        }
        Err(error) => {
            let mut text = reporter.plain_text(&diags);
            match &error {
                Error::Content(_) => reporter.summary(&diags),
                other => reporter.fatal(other),
            }
            if !matches!(error, Error::Content(_)) {
                text.push_str(&format!("livret: error: {error}\n"));
            }
            if preview {
                eprint_line(format_args!(
                    "livret: [{stamp}] build failed; the last good page stays served"
                ));
            } else {
                eprint_line(format_args!(
                    "livret: [{stamp}] build failed; the output folder keeps the last set"
                ));
            }
            Err(Failure { error, text })
        }
    }
}

struct NoObserver;

impl BuildObserver for NoObserver {}

/// `42 ms` under a second, else `1.25 s`.
fn duration(elapsed: Duration) -> String {
    if elapsed < Duration::from_secs(1) {
        format!("{} ms", elapsed.as_millis())
    } else {
        format!("{:.2} s", elapsed.as_secs_f64())
    }
}

/// Hours, minutes and seconds (UTC) for the rebuild lines.
fn clock() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

fn content_type(format: Format) -> &'static str {
    match format {
        Format::Html => "text/html; charset=utf-8",
        Format::Epub => "application/epub+zip",
        Format::Pdf | Format::Print | Format::Booklet | Format::Cards => "application/pdf",
    }
}

/// The media type of an image the book may use, by extension.
fn image_type(path: &str) -> Option<&'static str> {
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        _ => return None,
    })
}

/// `/` is the preview page; `/<name>` each artifact of the set as built; `/<image>` the corpus's
/// images the book uses; `/__livret/wait` the long-poll. Anything else is 404.
fn answer(request: http::Request, connection: http::Connection, shared: &Shared, corpus: &Path) {
    if request.path == WAIT_PATH {
        return long_poll(&request, connection, shared);
    }
    let name = request.path.trim_start_matches('/');
    // The answer from memory, or the corpus image to read (outside the lock).
    let (response, image) = {
        let preview = shared.preview();
        if request.path == "/" || request.path == "/index.html" {
            let page = served_page(&preview, &shared.instance);
            let response = http::Response::new(200, content_type(Format::Html), page.into_bytes());
            (Some(response), None)
        } else if let Some(file) = preview.files.iter().find(|f| f.name == name) {
            let bytes = Arc::clone(&file.bytes);
            (
                Some(http::Response::new(200, content_type(file.format), bytes)),
                None,
            )
        } else {
            (None, preview.images.iter().find(|i| *i == name).cloned())
        }
    };
    let response = response
        .or_else(|| {
            let image = image?;
            Some(image_response(&corpus.join(&image), image_type(&image)?))
        })
        .unwrap_or_else(|| http::Response::text(404, "not found\n"));
    connection.answer(&response);
}

/// The image as it is on disk now (a corpus file the book uses; its name came from the build).
fn image_response(path: &Path, media_type: &'static str) -> http::Response {
    let small = std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() <= MAX_IMAGE_BYTES);
    match std::fs::read(path) {
        Ok(bytes) if small => http::Response::new(200, media_type, bytes),
        _ => http::Response::text(404, "not found\n"),
    }
}

/// Answered at once when the page is older than the last build or from another instance, or
/// when MAX_WAITERS are held (`busy`: the page asks again later); else held until the next build.
fn long_poll(request: &http::Request, connection: http::Connection, shared: &Shared) {
    let since = request.param("since").and_then(|n| n.parse::<u64>().ok());
    let other_instance = request
        .param("instance")
        .is_some_and(|id| id != shared.instance);
    let mut preview = shared.preview();
    let current = since.is_some_and(|n| n >= preview.generation) && !other_instance;
    if current && !shared.stop.load(Ordering::SeqCst) && preview.waiters.len() < MAX_WAITERS {
        preview.waiters.push(Waiter {
            connection,
            deadline: Instant::now() + LONG_POLL,
        });
        return;
    }
    let answer = shared.wait_answer(&preview, current);
    drop(preview);
    connection.answer(&answer);
}

/// The last good page with the preview bar, the reload script (and the failure, if the last
/// build failed) before `</body>`; a page of its own when no build has succeeded yet.
fn served_page(preview: &Preview, instance: &str) -> String {
    let script = format!(
        "<script>/* livret serve: reload when the book is rebuilt or the server restarted */\n\
         (function () {{\n\
           var seen = {generation}; var instance = '{instance}';\n\
           function wait() {{\n\
             fetch('{WAIT_PATH}?since=' + seen + '&instance=' + instance, {{ cache: 'no-store' }})\n\
               .then(function (r) {{ if (!r.ok) {{ throw r; }} return r.json(); }})\n\
               .then(function (s) {{\n\
                 if (s.instance !== instance || s.generation > seen) {{ location.reload(); }}\n\
                 else {{ setTimeout(wait, s.busy ? 2000 : 0); }}\n\
               }})\n\
               .catch(function () {{ setTimeout(wait, 1000); }});\n\
           }}\n\
           wait();\n\
         }})();\n</script>\n",
        generation = preview.generation
    );
    let links: Vec<String> = preview
        .files
        .iter()
        .map(|f| {
            let name = livret::markup::escape(&f.name);
            format!("<a href=\"/{name}\" style=\"color:#fff;margin-left:.8em\">{name}</a>")
        })
        .collect();
    let bar = format!(
        "<div id=\"livret-preview-bar\" style=\"position:fixed;bottom:0;right:0;\
         z-index:2147483646;padding:.3em .8em;background:#333;color:#fff;opacity:.9;\
         font:12px/1.6 sans-serif;border-top-left-radius:4px\">livret preview{}</div>\n",
        links.concat()
    );
    let banner = preview.failure.as_ref().map(|failure| {
        format!(
            "<div id=\"livret-build-failed\" style=\"position:fixed;top:0;left:0;right:0;\
             max-height:50vh;overflow:auto;z-index:2147483647;margin:0;padding:1em;\
             background:#fff0f0;color:#600;border-bottom:3px solid #c00;\
             font:13px/1.4 monospace;white-space:pre-wrap\"><strong>livret: the last build \
             failed; this is the last good page.</strong>\n{}</div>\n",
            livret::markup::escape(failure)
        )
    });
    let mut page = preview.page.clone().unwrap_or_else(|| {
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>livret</title></head>\
         <body><p>No page yet: the book has not built.</p></body></html>\n"
            .to_string()
    });
    let added = format!("{bar}{}{script}", banner.unwrap_or_default());
    match page.rfind("</body>") {
        Some(at) => page.insert_str(at, &added),
        None => page.push_str(&added),
    }
    page
}

/// The system's way to open a URL; failing that, the URL stays printed for the user.
fn open_browser(url: &str) {
    let mut command = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    let spawned = command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if spawned.is_err() {
        eprint_line(format_args!(
            "livret: cannot open a browser here; open {url} yourself"
        ));
    }
}
