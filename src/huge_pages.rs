//! Transparent huge pages, only for builds big enough to gain from them (Linux).
//!
//! mimalloc asks the kernel for huge pages for its arenas: a build of a big corpus then takes a
//! few hundred page faults instead of tens of thousands, but a small build zeroes 2 MiB for
//! every arena page it touches, a fifth of its CPU for the default corpus's HTML. The command
//! line turns them off as it starts (`start_small`) and back on (`build_known`) once the corpus
//! read is big or a format that draws or lays out pages is asked for (an EPUB's cover is a
//! 6 MB raster, a PDF holds its pages); a library caller that did not opt in keeps the process
//! as it was.

use std::sync::atomic::{AtomicBool, Ordering};

/// Markdown read from which huge pages pay (measured: the generated corpus at scale 10, 0.7
/// MB, is even; at scale 100, 7 MB, they save a tenth of the build).
pub const BIG_CORPUS_BYTES: usize = 2 << 20;

static ADAPTIVE: AtomicBool = AtomicBool::new(false);

/// Turn huge pages off for this process until `build_known` says the build is big.
pub fn start_small() {
    if set_disabled(true) {
        ADAPTIVE.store(true, Ordering::Relaxed);
    }
}

/// Huge pages back on when `start_small` turned them off and `markdown_bytes` is big or the
/// build `draws_pages` (any format but HTML).
pub fn build_known(markdown_bytes: usize, draws_pages: bool) {
    let big = markdown_bytes >= BIG_CORPUS_BYTES || draws_pages;
    if big && ADAPTIVE.swap(false, Ordering::Relaxed) {
        set_disabled(false);
    }
}

/// Whether the kernel took the setting.
#[cfg(target_os = "linux")]
fn set_disabled(disabled: bool) -> bool {
    // SAFETY: PR_SET_THP_DISABLE takes an integer flag and touches no memory of ours.
    unsafe {
        libc::prctl(
            libc::PR_SET_THP_DISABLE,
            libc::c_ulong::from(disabled),
            0,
            0,
            0,
        ) == 0
    }
}

#[cfg(not(target_os = "linux"))]
fn set_disabled(_disabled: bool) -> bool {
    false
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn disabled_now() -> bool {
        // SAFETY: PR_GET_THP_DISABLE reads a flag of the process.
        unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1 }
    }

    #[test]
    fn a_small_html_build_keeps_them_off_and_a_big_or_drawn_one_turns_them_back_on() {
        for draws_pages in [false, true] {
            start_small();
            assert!(disabled_now());
            build_known(BIG_CORPUS_BYTES - 1, draws_pages);
            assert_eq!(disabled_now(), !draws_pages);
            build_known(BIG_CORPUS_BYTES, false);
            assert!(!disabled_now());
            // Once on, a later small build (the next build of `serve`) leaves them on.
            build_known(10, false);
            assert!(!disabled_now());
        }
    }
}
