//! Where a helper thread starts (Linux).
//!
//! Linux places a new thread by the recent load of each core, and in a process a few
//! milliseconds old that history is its parent's: measured on two cores, a build started by a
//! shell (which forks) had its pool thread placed beside the busy main thread and waiting there
//! up to 3 ms, while the other core idled, until the balancer moved it; the two-job build was
//! then no faster than one job. `spawn_apart` starts a thread off the spawning thread's core
//! and then gives it back every core the process may use: a nudge at birth, not a pin.

use std::thread::{Builder, JoinHandle};

/// `run` on a new thread made by `builder`, started on another core than this thread's when
/// the process may use one.
pub fn spawn_apart(
    builder: Builder,
    run: impl FnOnce() + Send + 'static,
) -> std::io::Result<JoinHandle<()>> {
    let (placed, wait_placed) = std::sync::mpsc::channel::<Option<cores::Mask>>();
    let handle = builder.spawn(move || {
        // The mask this thread had before the nudge, given back before any work.
        if let Ok(Some(allowed)) = wait_placed.recv() {
            cores::set_this_threads_cores(&allowed);
        }
        run()
    })?;
    let _ = placed.send(cores::move_off_this_core(&handle));
    Ok(handle)
}

#[cfg(target_os = "linux")]
mod cores {
    use std::os::unix::thread::JoinHandleExt;

    pub struct Mask(libc::cpu_set_t);

    /// Restrict `thread` to the cores of this thread's mask but the one it runs on; the mask
    /// as it was, when that left some core.
    pub fn move_off_this_core(thread: &std::thread::JoinHandle<()>) -> Option<Mask> {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: an all-zero cpu_set_t is the empty set.
        let mut allowed: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: `allowed` is a writable cpu_set_t of `size` bytes; 0 is this thread.
        if unsafe { libc::sched_getaffinity(0, size, &mut allowed) } != 0 {
            return None;
        }
        // SAFETY: no argument; -1 on failure.
        let here = usize::try_from(unsafe { libc::sched_getcpu() }).ok()?;
        let mut apart = allowed;
        if here >= libc::CPU_SETSIZE as usize {
            return None;
        }
        // SAFETY: `here` is below CPU_SETSIZE, the set's size in bits.
        if unsafe {
            libc::CPU_CLR(here, &mut apart);
            libc::CPU_COUNT(&apart)
        } == 0
        {
            return None;
        }
        // SAFETY: the handle's thread has not been joined, so its pthread_t is valid; `apart`
        // is a cpu_set_t of `size` bytes.
        let moved = unsafe { libc::pthread_setaffinity_np(thread.as_pthread_t(), size, &apart) };
        (moved == 0).then_some(Mask(allowed))
    }

    pub fn set_this_threads_cores(mask: &Mask) {
        // SAFETY: `mask.0` is a cpu_set_t of the size given; 0 is this thread. A failure leaves
        // the thread where it is, which only costs speed.
        unsafe {
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mask.0);
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod cores {
    pub struct Mask;

    pub fn move_off_this_core(_thread: &std::thread::JoinHandle<()>) -> Option<Mask> {
        None
    }

    pub fn set_this_threads_cores(_mask: &Mask) {}
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn mask_of_this_thread() -> Vec<usize> {
        // SAFETY: as in `move_off_this_core`.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::cpu_set_t>();
        assert_eq!(unsafe { libc::sched_getaffinity(0, size, &mut set) }, 0);
        (0..libc::CPU_SETSIZE as usize)
            // SAFETY: every `cpu` is below CPU_SETSIZE.
            .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
            .collect()
    }

    #[test]
    fn the_nudge_leaves_every_core_but_the_spawners() {
        let spawner = mask_of_this_thread();
        let (go, wait_go) = std::sync::mpsc::channel::<()>();
        let (report, seen) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let _ = wait_go.recv();
            let _ = report.send(mask_of_this_thread());
        });
        let before = cores::move_off_this_core(&thread);
        go.send(()).unwrap();
        let nudged = seen.recv().unwrap();
        thread.join().unwrap();
        if spawner.len() < 2 {
            // One core: nowhere else to go, and the thread is left as it was.
            assert!(before.is_none());
            assert_eq!(nudged, spawner);
        } else {
            assert!(before.is_some());
            assert_eq!(nudged.len(), spawner.len() - 1, "{nudged:?} of {spawner:?}");
            assert!(nudged.iter().all(|cpu| spawner.contains(cpu)));
        }
    }

    #[test]
    fn a_thread_started_apart_runs_with_every_core_of_its_spawner() {
        let spawner = mask_of_this_thread();
        let (report, seen) = std::sync::mpsc::channel();
        spawn_apart(Builder::new(), move || {
            let _ = report.send(mask_of_this_thread());
        })
        .unwrap()
        .join()
        .unwrap();
        // Not pinned: the nudge is undone before the thread's work starts.
        assert_eq!(seen.recv().unwrap(), spawner);
    }
}
