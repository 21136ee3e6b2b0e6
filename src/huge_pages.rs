//! Pages of memory (Linux): transparent huge pages only for builds big enough to gain from them,
//! and pages faulted in ahead of the thread that writes them.
//!
//! mimalloc asks the kernel for huge pages for its arenas: a build of a big corpus then takes a
//! few hundred page faults instead of tens of thousands, but a small build zeroes 2 MiB for
//! every arena page it touches, a fifth of its CPU for the default corpus's HTML. The command
//! line turns them off as it starts (`start_small`) and back on (`build_known`) once the corpus
//! read is big or a format that draws or lays out pages is asked for (an EPUB's cover is a
//! 6 MB raster, a PDF holds its pages); a library caller that did not opt in keeps the process
//! as it was.
//!
//! `Region::populate` faults pages in ahead of the thread that will write them: a page's first
//! write costs about a microsecond here (a fault and a zeroed page), and the HTML page's 1.7 MB
//! at scale 10 is written on one thread while another is idle.

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

/// The spare capacity of a vector, by address: pages another thread may fault in ahead of the
/// writes (`populate`), which leaves their contents as they are.
#[derive(Clone, Copy)]
pub struct Region {
    start: usize,
    len: usize,
}

impl Region {
    pub fn of_capacity(bytes: &Vec<u8>) -> Region {
        Region {
            start: bytes.as_ptr() as usize,
            len: bytes.capacity(),
        }
    }

    /// Fault the region's whole pages in now (Linux `MADV_POPULATE_WRITE`), so that the thread
    /// writing them takes no page fault; elsewhere nothing.
    pub fn populate(self) {
        #[cfg(target_os = "linux")]
        {
            const PAGE: usize = 4096;
            let start = self.start.next_multiple_of(PAGE);
            let end = (self.start + self.len) / PAGE * PAGE;
            if end > start {
                // SAFETY: the pages lie within an allocation the caller holds; populating maps
                // them without changing a byte, and a failure only leaves them to fault later.
                unsafe {
                    libc::madvise(
                        start as *mut libc::c_void,
                        end - start,
                        libc::MADV_POPULATE_WRITE,
                    );
                }
            }
        }
    }
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

    #[test]
    fn populating_a_vectors_capacity_maps_its_pages_and_keeps_its_bytes() {
        const PAGE: usize = 4096;
        let mut bytes: Vec<u8> = Vec::with_capacity(64 * PAGE);
        bytes.extend_from_slice(b"written before");
        Region::of_capacity(&bytes).populate();
        assert_eq!(bytes, b"written before");
        // Every whole page of the capacity is now mapped (mincore: bit 0 of each page's byte).
        let start = (bytes.as_ptr() as usize).next_multiple_of(PAGE);
        let end = (bytes.as_ptr() as usize + bytes.capacity()) / PAGE * PAGE;
        let mut resident = vec![0u8; (end - start) / PAGE];
        // SAFETY: the range lies in `bytes`' allocation; `resident` has a byte per page.
        let asked = unsafe {
            libc::mincore(
                start as *mut libc::c_void,
                end - start,
                resident.as_mut_ptr(),
            )
        };
        assert_eq!(asked, 0);
        assert!(resident.iter().all(|page| page & 1 == 1), "{resident:?}");
        bytes.extend(std::iter::repeat_n(7, 100));
        assert_eq!(&bytes[..14], b"written before");
        // An empty vector has no pages to populate.
        Region::of_capacity(&Vec::new()).populate();
    }
}
