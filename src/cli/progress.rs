//! What a build shows while it runs: the book's outline (`-v`) and a progress bar.

use super::report::{Reporter, print_line};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use livret::BuildObserver;
use livret::diag::escape_control;
use livret::ir::{ChapterKind, Document};
use livret::write::Format;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// The book's outline: its title, then each chapter's kind, id and source page.
fn print_book(doc: &Document, dir: &Path) {
    print_line(format_args!(
        "{} — {} chapter(s)",
        escape_control(&doc.meta.title),
        doc.chapters.len()
    ));
    for chapter in &doc.chapters {
        let kind = match chapter.kind {
            ChapterKind::Introduction => "introduction",
            ChapterKind::Persona => "persona",
            ChapterKind::Appendix => "appendix",
        };
        print_line(format_args!(
            "  {kind:<12} {:<16} {}",
            chapter.id,
            escape_control(&dir.join(&chapter.source).display().to_string())
        ));
    }
}

/// A progress bar on stderr for builds that last: drawn only on a terminal, and only once
/// the build has taken a second (a quick build prints nothing more than its result).
pub struct Progress {
    bar: Option<ProgressBar>,
    done: Option<mpsc::Sender<()>>,
    print_book: Option<PathBuf>,
}

/// How long a build runs before its progress bar shows.
const PROGRESS_AFTER: Duration = Duration::from_secs(1);

impl Progress {
    pub fn new(reporter: &Reporter, print_book: bool, dir: &Path) -> Self {
        let print_book = print_book.then(|| dir.to_path_buf());
        if !reporter.terminal || reporter.quiet() {
            return Self {
                bar: None,
                done: None,
                print_book,
            };
        }
        let bar = ProgressBar::with_draw_target(Some(1), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed}] {bar:24} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(format!("reading {}", dir.display()));
        let (done, finished) = mpsc::channel::<()>();
        let shown = bar.clone();
        std::thread::spawn(move || {
            if finished.recv_timeout(PROGRESS_AFTER) == Err(mpsc::RecvTimeoutError::Timeout) {
                shown.set_draw_target(ProgressDrawTarget::stderr());
                shown.enable_steady_tick(Duration::from_millis(120));
            }
        });
        Self {
            bar: Some(bar),
            done: Some(done),
            print_book,
        }
    }

    pub fn finish(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl BuildObserver for Progress {
    fn book(&mut self, doc: &Document) {
        if let Some(dir) = &self.print_book {
            // The outline and the bar share the terminal: print above the bar.
            match &self.bar {
                Some(bar) => bar.suspend(|| print_book(doc, dir)),
                None => print_book(doc, dir),
            }
        }
    }

    fn writing(&mut self, stem: &str, format: Format, done: usize, total: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(format!("{stem}.{}", format.extension()));
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
