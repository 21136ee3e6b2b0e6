//! `serve` and `watch`: rebuild on every change of the corpus, the theme or livret.toml.
//! `serve` also serves the HTML on 127.0.0.1 and reloads the browser by long polling: the page
//! asks `/__livret/wait?since=N` and the answer comes when build N+1 is done. The reload script
//! and the error banner are added to the served page only, never to a written artifact.

use super::build::{FormatArg, SelectionArgs, build_options, formats};
use super::messages;
use super::report::Reporter;
use clap::Args;
use livret::diag::{Diagnostics, Error};
use livret::write::Format;
use livret::{BuildObserver, BuildOptions, Rendered, RenderedBook, render, write_rendered};
use notify_debouncer_full::{DebounceEventResult, new_debouncer, notify::RecursiveMode};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

#[derive(Args)]
pub struct ServeArgs {
    /// Corpus directory (holding the index page).
    #[arg(default_value = "content")]
    pub dir: PathBuf,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(short, long, default_value_t = 3000)]
    pub port: u16,
    /// Open the page in the default browser once built.
    #[arg(long)]
    pub open: bool,
    /// Also rebuild these formats into the output directory on every change (html,epub,pdf).
    #[arg(long, value_delimiter = ',')]
    pub formats: Vec<FormatArg>,
    /// Output directory for --formats.
    #[arg(short, long, default_value = "out")]
    pub output: PathBuf,
    #[command(flatten)]
    pub selection: SelectionArgs,
}

#[derive(Args)]
pub struct WatchArgs {
    /// Corpus directory (holding the index page).
    #[arg(default_value = "content")]
    pub dir: PathBuf,
    /// Formats rebuilt into the output directory on every change.
    #[arg(short, long = "formats", value_delimiter = ',', default_values = ["html", "epub", "pdf"])]
    pub formats: Vec<FormatArg>,
    /// Output directory.
    #[arg(short, long, default_value = "out")]
    pub output: PathBuf,
    #[command(flatten)]
    pub selection: SelectionArgs,
}

/// How long the file watcher waits for a burst of changes (an editor's save) to end.
const DEBOUNCE: Duration = Duration::from_millis(150);
/// How long a reload request is held open before the page asks again.
const LONG_POLL: Duration = Duration::from_secs(25);
const WAIT_PATH: &str = "/__livret/wait";

/// What the server shows: the last good page, and the last build's failure if it failed.
#[derive(Default)]
struct Preview {
    /// Incremented after every build, good or not.
    generation: u64,
    page: Option<String>,
    failure: Option<String>,
}

struct Shared {
    preview: Mutex<Preview>,
    rebuilt: Condvar,
    stop: AtomicBool,
}

pub fn run_serve(args: &ServeArgs, reporter: &Reporter) -> Result<(), Error> {
    messages::check_corpus_dir(&args.dir)?;
    let written = formats(&args.formats);
    if !written.is_empty() {
        messages::check_output_dir(&args.output)?;
    }
    let mut wanted = written.clone();
    wanted.push(Format::Html);
    wanted.sort();
    wanted.dedup();
    let options = build_options(
        &args.dir,
        Some(&args.output),
        wanted,
        &args.selection,
        false,
    )?;
    // Loopback only: a preview is not a publication.
    let server = tiny_http::Server::http(("127.0.0.1", args.port)).map_err(|e| {
        Error::Usage(if args.port != 0 && e.to_string().contains("in use") {
            format!(
                "port {} is already in use: choose another with --port",
                args.port
            )
        } else {
            format!("cannot listen on 127.0.0.1:{}: {e}", args.port)
        })
    })?;
    let port = server
        .server_addr()
        .to_ip()
        .map_or(args.port, |addr| addr.port());
    let url = format!("http://127.0.0.1:{port}/");
    let shared = Arc::new(Shared {
        preview: Mutex::new(Preview::default()),
        rebuilt: Condvar::new(),
        stop: AtomicBool::new(false),
    });
    stop_on_interrupt(&shared)?;

    let rebuild = |shared: &Shared| {
        let (page, failure) = rebuild_preview(&options, &written, reporter);
        let mut preview = shared.preview.lock().unwrap_or_else(|p| p.into_inner());
        preview.generation += 1;
        if page.is_some() {
            preview.page = page;
        }
        preview.failure = failure;
        shared.rebuilt.notify_all();
    };
    // Watching before the first build: a save during it is not missed.
    let (changed, changes) = std::sync::mpsc::channel();
    let _watcher = watch(
        &watched_paths(&options),
        &options.out_dir_or_default(),
        changed,
    )?;
    rebuild(&shared);
    println!("livret: serving {url} (Ctrl-C to stop)");
    if args.open {
        open_browser(&url);
    }

    std::thread::scope(|scope| -> Result<(), Error> {
        let builder = &shared;
        let rebuild = &rebuild;
        scope.spawn(move || {
            while !builder.stop.load(Ordering::SeqCst) {
                if changes.recv_timeout(Duration::from_millis(200)).is_ok() {
                    // A burst of saves is one rebuild.
                    while changes.try_recv().is_ok() {}
                    rebuild(builder);
                }
            }
        });
        while !shared.stop.load(Ordering::SeqCst) {
            match server.recv_timeout(Duration::from_millis(200)) {
                Ok(Some(request)) => {
                    let shared = Arc::clone(&shared);
                    // A reload request waits for the next build: one thread each.
                    std::thread::spawn(move || answer(request, &shared));
                }
                Ok(None) => {}
                Err(e) => {
                    // The rebuild thread ends too, or the scope would wait for it forever.
                    shared.stop.store(true, Ordering::SeqCst);
                    return Err(Error::Usage(format!("the preview server stopped: {e}")));
                }
            }
        }
        // Wake the pages waiting for a reload so their threads end.
        shared.rebuilt.notify_all();
        Ok(())
    })?;
    println!("livret: stopped");
    Ok(())
}

pub fn run_watch(args: &WatchArgs, reporter: &Reporter) -> Result<(), Error> {
    messages::check_corpus_dir(&args.dir)?;
    messages::check_output_dir(&args.output)?;
    let written = formats(&args.formats);
    let options = build_options(
        &args.dir,
        Some(&args.output),
        written.clone(),
        &args.selection,
        false,
    )?;
    let shared = Arc::new(Shared {
        preview: Mutex::new(Preview::default()),
        rebuilt: Condvar::new(),
        stop: AtomicBool::new(false),
    });
    stop_on_interrupt(&shared)?;
    // Watching before the first build: a save during it is not missed.
    let (changed, changes) = std::sync::mpsc::channel();
    let _watcher = watch(
        &watched_paths(&options),
        &options.out_dir_or_default(),
        changed,
    )?;
    rebuild_preview(&options, &written, reporter);
    println!(
        "livret: watching {} (Ctrl-C to stop)",
        watched_paths(&options)
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    while !shared.stop.load(Ordering::SeqCst) {
        if changes.recv_timeout(Duration::from_millis(200)).is_ok() {
            while changes.try_recv().is_ok() {}
            rebuild_preview(&options, &written, reporter);
        }
    }
    println!("livret: stopped");
    Ok(())
}

/// Ctrl-C (SIGINT) and SIGTERM end the loop after the build under way: no half-written file.
fn stop_on_interrupt(shared: &Arc<Shared>) -> Result<(), Error> {
    let shared = Arc::clone(shared);
    ctrlc::set_handler(move || shared.stop.store(true, Ordering::SeqCst))
        .map_err(|e| Error::Usage(format!("cannot catch Ctrl-C: {e}")))
}

/// The corpus, and the theme folder when one is given (livret.toml is in the corpus).
fn watched_paths(options: &BuildOptions) -> Vec<PathBuf> {
    let mut paths = vec![options.corpus_dir.clone()];
    paths.extend(options.theme.clone());
    paths
}

/// Watch `paths` recursively; every change outside `out_dir` (which may sit inside the corpus,
/// and which the rebuild itself writes) sends one message.
fn watch(
    paths: &[PathBuf],
    out_dir: &Path,
    changed: std::sync::mpsc::Sender<()>,
) -> Result<impl Drop + use<>, Error> {
    let out_dir = std::path::absolute(out_dir).unwrap_or_else(|_| out_dir.to_path_buf());
    let mut debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
        let Ok(events) = result else { return };
        // Reading a file is an event too (the build reads every page): only changes count.
        let relevant = events
            .iter()
            .filter(|event| !event.kind.is_access() && !event.kind.is_other())
            .flat_map(|event| event.paths.iter())
            .any(|path| {
                // The output folder may not exist when watching starts; resolved each time.
                let ours = path.starts_with(&out_dir)
                    || out_dir
                        .canonicalize()
                        .is_ok_and(|real| path.starts_with(real));
                let temporary = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(".livret-"));
                !ours && !temporary
            });
        if relevant {
            let _ = changed.send(());
        }
    })
    .map_err(|e| Error::Usage(format!("cannot watch for changes: {e}")))?;
    for path in paths {
        // Absolute, so event paths compare with the absolute output folder.
        let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
        debouncer
            .watch(&path, RecursiveMode::Recursive)
            .map_err(|e| Error::Usage(format!("cannot watch `{}`: {e}", path.display())))?;
    }
    Ok(debouncer)
}

/// One build: the HTML kept in memory for the server, `written` formats put in the output
/// folder. Diagnostics go to the terminal; a failure is returned as text for the page.
fn rebuild_preview(
    options: &BuildOptions,
    written: &[Format],
    reporter: &Reporter,
) -> (Option<String>, Option<String>) {
    let mut diags = Diagnostics::new();
    let result = render(options, &mut diags, &mut NoObserver).and_then(|rendered| {
        // The whole book's page (the first; `--split` adds one per persona after it).
        let page = rendered
            .items
            .iter()
            .find(|r| r.artifact.format == Format::Html)
            .map(|r| String::from_utf8_lossy(&r.bytes).into_owned());
        // Written as `build` writes them: the preview's script is added only when served.
        let RenderedBook {
            out_dir,
            manifest_name,
            book_files,
            items,
        } = rendered;
        let kept: Vec<Rendered> = items
            .into_iter()
            .filter(|r| written.contains(&r.artifact.format))
            .collect();
        if !kept.is_empty() {
            let book = RenderedBook {
                out_dir,
                manifest_name,
                book_files,
                items: kept,
            };
            let published =
                write_rendered(options, book).map_err(|e| messages::explain(e, options))?;
            published.kept.warn(&mut diags);
        }
        Ok(page)
    });
    reporter.report(&diags);
    let stamp = clock();
    match result {
        Ok(page) => {
            if !reporter.quiet() {
                eprintln!("livret: [{stamp}] built");
            }
            (page, None)
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
            eprintln!("livret: [{stamp}] build failed; the last good page stays served");
            (None, Some(text))
        }
    }
}

struct NoObserver;

impl BuildObserver for NoObserver {}

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

/// `/` is the book; `/__livret/wait?since=N` answers with the build number once it is past N.
fn answer(request: tiny_http::Request, shared: &Shared) {
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let response = match path {
        WAIT_PATH => {
            let since = query
                .split('&')
                .find_map(|pair| pair.strip_prefix("since="))
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
            let preview = shared.preview.lock().unwrap_or_else(|p| p.into_inner());
            let (preview, _) = shared
                .rebuilt
                .wait_timeout_while(preview, LONG_POLL, |p| {
                    p.generation <= since && !shared.stop.load(Ordering::SeqCst)
                })
                .unwrap_or_else(|p| p.into_inner());
            text_response(
                200,
                preview.generation.to_string(),
                "text/plain; charset=utf-8",
            )
        }
        "/" | "/index.html" => {
            let preview = shared.preview.lock().unwrap_or_else(|p| p.into_inner());
            text_response(200, served_page(&preview), "text/html; charset=utf-8")
        }
        _ => text_response(404, "not found".to_string(), "text/plain; charset=utf-8"),
    };
    let _ = request.respond(response);
}

fn text_response(
    status: u16,
    body: String,
    content_type: &str,
) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let mut response = tiny_http::Response::from_string(body).with_status_code(status);
    for (name, value) in [
        ("Content-Type", content_type),
        ("Cache-Control", "no-store"),
    ] {
        if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(header);
        }
    }
    response
}

/// The last good page with the reload script (and the failure, if the last build failed)
/// before `</body>`; a page of its own when no build has succeeded yet.
fn served_page(preview: &Preview) -> String {
    let script = format!(
        "<script>/* livret serve: reload when the book is rebuilt */\n\
         (function () {{\n\
           var seen = {generation};\n\
           function wait() {{\n\
             fetch('{WAIT_PATH}?since=' + seen, {{ cache: 'no-store' }})\n\
               .then(function (r) {{ return r.text(); }})\n\
               .then(function (n) {{ if (Number(n) > seen) {{ location.reload(); }} else {{ wait(); }} }})\n\
               .catch(function () {{ setTimeout(wait, 1000); }});\n\
           }}\n\
           wait();\n\
         }})();\n</script>\n",
        generation = preview.generation
    );
    let banner = preview.failure.as_ref().map(|failure| {
        format!(
            "<div id=\"livret-build-failed\" style=\"position:fixed;top:0;left:0;right:0;\
             max-height:50vh;overflow:auto;z-index:2147483647;margin:0;padding:1em;\
             background:#fff0f0;color:#600;border-bottom:3px solid #c00;\
             font:13px/1.4 monospace;white-space:pre-wrap\"><strong>livret: the last build \
             failed; this is the last good page.</strong>\n{}</div>\n",
            escape_html(failure)
        )
    });
    let mut page = preview.page.clone().unwrap_or_else(|| {
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>livret</title></head>\
         <body><p>No page yet: the book has not built.</p></body></html>\n"
            .to_string()
    });
    let added = format!("{}{script}", banner.unwrap_or_default());
    match page.rfind("</body>") {
        Some(at) => page.insert_str(at, &added),
        None => page.push_str(&added),
    }
    page
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
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
        eprintln!("livret: cannot open a browser here; open {url} yourself");
    }
}
