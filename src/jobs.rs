//! The writers of one build run concurrently: every (format, file) pair is a task, run on up to
//! `jobs` scoped threads from the one shared, read-only `Document`; the results come back in
//! task order, so the caller emits bytes and diagnostics exactly as a sequential build would.
//!
//! Longest tasks start first (the PDF, then the whole book before its handouts), so the build
//! ends close to its slowest writer. PDF writers also hold a share of a memory budget while they
//! run (`pdf_weight`), so that many handouts or a big book cannot multiply the peak.
//!
//! The per-chapter stages (`map_ordered`: reading, ids, typography, chapter bodies) run on a
//! pool of threads kept for the whole process, the calling thread taking chapters too.

use std::collections::VecDeque;
use std::num::NonZero;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

/// The cores available to the process (its affinity mask and cgroup quota), at least 1.
pub fn available() -> usize {
    // Asked once: the answer reads the cgroup files on every call.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZero::get))
}

/// What the scheduler knows of a task before it runs.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    /// Relative work; higher starts first.
    pub work: u64,
    /// Bytes of the memory budget the task holds while it runs (0: none).
    pub memory: u64,
}

/// The estimated peak of one PDF writer over a document of `text_bytes` bytes of text. Measured
/// (README's benchmark): 137 MiB of whole-process peak for the scale-100 book, 5.3 MB of text.
pub fn pdf_weight(text_bytes: usize) -> u64 {
    48 * MIB + 16 * text_bytes as u64
}

const MIB: u64 = 1 << 20;

/// A worker's stack: the 8 MiB a Linux main thread gets, not the 2 MiB of a spawned one, so a
/// deeply nested document is written on a worker as it was on the main thread.
const WORKER_STACK: usize = 8 << 20;

/// How much memory the PDF writers of one build may hold together: half of what the system
/// says is available (`MemAvailable`), else 2 GiB. One writer always runs, whatever its weight.
pub fn memory_budget() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("MemAvailable:"))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
        })
        .map_or(2048 * MIB, |kib| kib * 1024 / 2)
}

/// Which queue a task waits in: those that hold memory and those that do not.
struct Queues {
    heavy: VecDeque<usize>,
    light: VecDeque<usize>,
    free: u64,
    /// Tasks holding memory now: with none, the next heavy one runs whatever its weight.
    holding: usize,
}

enum Event<T> {
    Started(usize),
    Done(usize, T),
}

/// `run(i)` for each task `i` of `costs`, on at most `jobs` threads, with `budget` bytes for the
/// tasks that hold memory; `started(i)` is called on the calling thread as each task starts.
/// The results are in task order.
pub fn run_ordered<T: Send>(
    costs: &[Cost],
    jobs: usize,
    budget: u64,
    run: impl Fn(usize) -> T + Sync,
    mut started: impl FnMut(usize),
) -> Vec<T> {
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(costs[i].work));
    let (heavy, light) = order.into_iter().partition(|&i| costs[i].memory > 0);
    let queues = Mutex::new(Queues {
        heavy,
        light,
        free: budget,
        holding: 0,
    });
    let changed = Condvar::new();
    // The next task a worker may start, and the memory it then holds; `None` when none is left.
    let next = || -> Option<(usize, u64)> {
        let mut q = queues.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let heavy = q.heavy.front().map(|&i| (i, costs[i].memory.min(budget)));
            let heavy_fits = heavy.is_some_and(|(_, m)| m <= q.free || q.holding == 0);
            let light = q.light.front().copied();
            let take_heavy = match (heavy_fits, light) {
                (true, Some(l)) => costs[heavy.map_or(l, |h| h.0)].work >= costs[l].work,
                (true, None) => true,
                (false, _) => false,
            };
            if take_heavy && let Some((i, m)) = heavy {
                q.heavy.pop_front();
                q.free = q.free.saturating_sub(m);
                q.holding += 1;
                return Some((i, m));
            }
            if let Some(i) = light {
                q.light.pop_front();
                return Some((i, 0));
            }
            heavy?;
            q = changed.wait(q).unwrap_or_else(|e| e.into_inner());
        }
    };
    let release = |memory: u64| {
        if memory > 0 {
            let mut q = queues.lock().unwrap_or_else(|e| e.into_inner());
            q.free += memory;
            q.holding -= 1;
            changed.notify_all();
        }
    };
    let mut results: Vec<Option<T>> = (0..costs.len()).map(|_| None).collect();
    let workers = jobs.clamp(1, costs.len().max(1));
    if workers == 1 {
        // One at a time: here, as a sequential build would, with no thread to spawn.
        while let Some((i, memory)) = next() {
            started(i);
            results[i] = Some(run(i));
            release(memory);
        }
        return results.into_iter().flatten().collect();
    }
    let (events, received) = mpsc::channel::<Event<T>>();
    let work = |events: mpsc::Sender<Event<T>>| {
        while let Some((i, memory)) = next() {
            let _ = events.send(Event::Started(i));
            let result = run(i);
            release(memory);
            let _ = events.send(Event::Done(i, result));
        }
    };
    std::thread::scope(|scope| {
        let mut spawned = 0;
        for _ in 0..workers {
            let events = events.clone();
            let work = &work;
            // The stack the main thread has: a writer runs there with `-j 1` as before.
            let thread = std::thread::Builder::new().stack_size(WORKER_STACK);
            if thread.spawn_scoped(scope, move || work(events)).is_ok() {
                spawned += 1;
            }
        }
        // No thread to be had: the tasks run here, one after another.
        if spawned == 0 {
            work(events.clone());
        }
        drop(events);
        for event in received {
            match event {
                Event::Started(i) => started(i),
                Event::Done(i, result) => results[i] = Some(result),
            }
        }
    });
    // Every task ran unless a worker panicked, and then the scope re-raised the panic.
    results.into_iter().flatten().collect()
}

/// `run` over every item on up to `jobs` threads (heaviest first), the results in item order:
/// what reads the pages and runs the per-chapter passes. The calling thread takes items too,
/// beside `jobs - 1` threads of a pool kept for the whole process: a build maps a dozen times,
/// and spawning threads (each with a fresh allocator heap) every time cost more than the work
/// of a small book. One job, or one item, runs here alone.
pub fn map_ordered<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    weight: impl Fn(&T) -> u64,
    run: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let helpers = jobs.min(items.len()).saturating_sub(1);
    let Some(pool) = (helpers > 0).then(|| helper_pool(jobs - 1)).flatten() else {
        return items.iter().map(run).collect();
    };
    let weights: Vec<u64> = items.iter().map(weight).collect();
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(weights[i]));
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let work = || {
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let result = run(&items[i]);
            *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
        }
    };
    // Returns once every spawned loop has ended; a panic in one is raised here.
    pool.in_place_scope(|scope| {
        for _ in 0..helpers {
            scope.spawn(|_| work());
        }
        work();
    });
    results
        .into_iter()
        .filter_map(|slot| slot.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect()
}

/// `aside()` on a helper thread while `here()` runs on this one (what publication does: the
/// files written and synced beside the hashing): on the pool's thread when `jobs` makes one,
/// else on a thread of its own.
pub fn beside<A: Send, B>(
    jobs: usize,
    aside: impl FnOnce() -> A + Send,
    here: impl FnOnce() -> B,
) -> (A, B) {
    // Taken once, by the helper; here, after `here()`, if no helper could take it.
    let aside = Mutex::new(Some(aside));
    let take = || aside.lock().unwrap_or_else(|e| e.into_inner()).take();
    let mut aside_result = None;
    let here_result = match (jobs > 1).then(|| helper_pool(jobs - 1)).flatten() {
        // Returns once the spawned job has ended; a panic in it is raised here.
        Some(pool) => pool.in_place_scope(|scope| {
            scope.spawn(|_| aside_result = take().map(|aside| aside()));
            here()
        }),
        None => std::thread::scope(|scope| {
            let helper = std::thread::Builder::new()
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, || take().map(|aside| aside()));
            let here_result = here();
            if let Ok(helper) = helper {
                aside_result = helper
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            }
            here_result
        }),
    };
    let aside_result = match (aside_result, take()) {
        (Some(result), _) => result,
        (None, Some(aside)) => aside(),
        // The helper took it and returned, so it left a result.
        (None, None) => unreachable!("a taken `aside` always leaves its result"),
    };
    (aside_result, here_result)
}

/// The process's pool of `threads` helper threads, made at its first use and kept (one per
/// size asked: a process builds with one `-j`, tests with a few).
fn helper_pool(threads: usize) -> Option<&'static rayon_core::ThreadPool> {
    static POOLS: Mutex<Vec<(usize, &'static rayon_core::ThreadPool)>> = Mutex::new(Vec::new());
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&(_, pool)) = pools.iter().find(|(size, _)| *size == threads) {
        return Some(pool);
    }
    let pool = rayon_core::ThreadPoolBuilder::new()
        .num_threads(threads)
        .spawn_handler(|thread| {
            let builder = std::thread::Builder::new()
                .name(format!("livret-{}", thread.index()))
                .stack_size(WORKER_STACK);
            crate::placement::spawn_apart(builder, move || thread.run())?;
            Ok(())
        })
        .build()
        .ok()?;
    let pool: &'static rayon_core::ThreadPool = Box::leak(Box::new(pool));
    pools.push((threads, pool));
    Some(pool)
}

/// `change` on every item on up to `jobs` threads (heaviest first).
pub fn for_each_mut<T: Send>(
    items: &mut [T],
    jobs: usize,
    weight: impl Fn(&T) -> u64,
    change: impl Fn(&mut T) + Sync,
) {
    // Each item is taken by exactly one task: its lock is never contended.
    let cells: Vec<Mutex<&mut T>> = items.iter_mut().map(Mutex::new).collect();
    map_ordered(
        &cells,
        jobs,
        |cell| weight(&cell.lock().unwrap_or_else(|e| e.into_inner())),
        |cell| change(&mut cell.lock().unwrap_or_else(|e| e.into_inner())),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn map_and_change_in_place_keep_item_order_whatever_the_jobs() {
        let items: Vec<u64> = (0..200).map(|i| (i * 7919) % 101).collect();
        let expected: Vec<u64> = items.iter().map(|x| x * x + 1).collect();
        for jobs in [1, 2, 4, 16] {
            assert_eq!(map_ordered(&items, jobs, |x| *x, |x| x * x + 1), expected);
            let mut changed = items.clone();
            for_each_mut(&mut changed, jobs, |x| *x, |x| *x = *x * *x + 1);
            assert_eq!(changed, expected, "jobs {jobs}");
        }
        let threads = Mutex::new(std::collections::HashSet::new());
        map_ordered(
            &items,
            4,
            |_| 1,
            |_| {
                threads.lock().unwrap().insert(std::thread::current().id());
                std::thread::sleep(std::time::Duration::from_millis(1));
            },
        );
        assert!(
            threads.lock().unwrap().len() > 1,
            "work spread over threads"
        );
    }

    #[test]
    fn beside_runs_the_aside_on_another_thread_while_here_runs_here() {
        let caller = std::thread::current().id();
        for jobs in [1, 2, 4] {
            // Each side waits for the other to have started: run one after the other, they
            // would wait for ever (the channel's timeout turns that into a failure).
            let (aside_started, wait_aside) = mpsc::channel();
            let (here_started, wait_here) = mpsc::channel();
            let patience = std::time::Duration::from_secs(10);
            let (aside, here) = beside(
                jobs,
                move || {
                    aside_started.send(()).unwrap();
                    wait_here.recv_timeout(patience).unwrap();
                    std::thread::current().id()
                },
                || {
                    here_started.send(()).unwrap();
                    wait_aside.recv_timeout(patience).unwrap();
                    std::thread::current().id()
                },
            );
            assert_eq!(here, caller, "jobs {jobs}");
            assert_ne!(aside, caller, "jobs {jobs}");
        }
    }

    #[test]
    fn results_come_back_in_task_order_whatever_the_jobs() {
        let costs: Vec<Cost> = (0..50)
            .map(|i| Cost {
                work: (i * 7919) % 13,
                memory: if i % 3 == 0 { 10 } else { 0 },
            })
            .collect();
        for jobs in [1, 2, 4, 16] {
            let mut seen = Vec::new();
            let out = run_ordered(&costs, jobs, 25, |i| i * 2, |i| seen.push(i));
            assert_eq!(out, (0..50).map(|i| i * 2).collect::<Vec<_>>());
            seen.sort();
            assert_eq!(seen, (0..50).collect::<Vec<_>>());
        }
    }

    #[test]
    fn tasks_that_hold_memory_stay_within_the_budget() {
        let costs = vec![
            Cost {
                work: 1,
                memory: 40,
            };
            12
        ];
        let held = AtomicU64::new(0);
        let peak = AtomicU64::new(0);
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        run_ordered(
            &costs,
            8,
            100,
            |_| {
                let now = held.fetch_add(40, Ordering::SeqCst) + 40;
                peak.fetch_max(now, Ordering::SeqCst);
                most.fetch_max(running.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(5));
                running.fetch_sub(1, Ordering::SeqCst);
                held.fetch_sub(40, Ordering::SeqCst);
            },
            |_| {},
        );
        assert!(peak.load(Ordering::SeqCst) <= 100);
        assert!(most.load(Ordering::SeqCst) <= 2);
    }

    #[test]
    fn a_task_heavier_than_the_budget_still_runs_alone() {
        let costs = vec![
            Cost {
                work: 1,
                memory: 500,
            };
            3
        ];
        assert_eq!(run_ordered(&costs, 4, 100, |i| i, |_| {}), [0, 1, 2]);
    }
}
