//! How a sweep spreads its runs over the cores: how many runs train at once, and on which
//! threads each run's kernels run.
//!
//! A run's larger kernels — burn-flex's matrix products, the fused recurrence's row chunks and
//! its products (gemm) — are rayon tasks, so they run on the rayon pool the run is installed
//! in. Between them a run is serial: the autodiff graph, the optimiser, data batching and
//! evaluation run on the worker's own thread. [`Workers`] chooses between
//!
//! * [`RunThreads::Shared`]: `runs` worker threads whose kernels all go to the process's one
//!   pool (one process, every run's kernels spread over every core), and
//! * [`RunThreads::Own`]: each worker installed in a pool of its own (with one thread per run
//!   and as many runs as cores, the layout of one single-threaded process per core, without
//!   the processes).
//!
//! Every run is seeded by its configuration alone, and neither the fused kernels' row chunks
//! nor the backends' products change their sums with the number of threads, so the layout
//! changes how long a sweep takes, not what it finds: the bench's runs come out bit for bit
//! alike in every layout. [`Workers::default`] is the layout measured fastest on a grid of study 03
//! (benches/sweep_throughput.rs, BENCHMARKS.md "Sweep throughput").

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::TrainError;

/// Where a worker's run sends its kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunThreads {
    /// The process's rayon pool, shared by every worker.
    Shared,
    /// A pool of this many threads for each worker.
    Own(usize),
}

/// How many runs of a sweep train at once, and on which threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workers {
    /// Runs trained at once, each on its own worker thread.
    pub runs: usize,
    /// The threads each run's kernels use.
    pub threads: RunThreads,
}

/// The cores this process may use (1 when the system does not say).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Workers {
    /// One run at a time, its kernels on the process's pool.
    pub fn one() -> Self {
        Self { runs: 1, threads: RunThreads::Shared }
    }

    /// `runs` at once, all sending their kernels to the process's pool.
    pub fn shared(runs: usize) -> Self {
        Self { runs, threads: RunThreads::Shared }
    }

    /// `runs` at once, each with a pool of `threads` threads.
    pub fn pooled(runs: usize, threads: usize) -> Self {
        Self { runs, threads: RunThreads::Own(threads) }
    }

    /// `runs` at once, the cores divided between them: each run gets a pool of
    /// ⌊cores / runs⌋ threads (at least one).
    pub fn spread(runs: usize) -> Self {
        Self::pooled(runs, (cores() / runs.max(1)).max(1))
    }

    /// As many runs as cores, each with a one-thread pool.
    pub fn per_core() -> Self {
        Self::pooled(cores(), 1)
    }

    /// An error naming the field when there are no runs or no threads.
    pub fn validate(&self) -> Result<(), TrainError> {
        if self.runs == 0 {
            return Err(TrainError::config("workers", "at least one run at once"));
        }
        if self.threads == RunThreads::Own(0) {
            return Err(TrainError::config("workers", "at least one thread per run"));
        }
        Ok(())
    }
}

impl Default for Workers {
    /// One run per core, each single-threaded: on the 2-core reference machine 8 runs of study
    /// 03's grid took 37.6–37.7 s this way, 43.5–48.3 s as two runs sharing the process's pool
    /// and 56.8–57.8 s one at a time on both cores; two single-threaded processes took
    /// 37.9–38.6 s (BENCHMARKS.md, "Sweep throughput", two invocations). A run's serial parts — the autodiff
    /// graph, the optimiser, batching — leave a core idle that a second run fills, and a
    /// one-thread pool pays no synchronisation for the kernels it no longer splits.
    fn default() -> Self {
        Self::per_core()
    }
}

impl std::fmt::Display for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.threads {
            RunThreads::Shared => write!(f, "{} at once on the shared pool", self.runs),
            RunThreads::Own(t) => write!(f, "{} at once, {t} thread{} each", self.runs, if t == 1 { "" } else { "s" }),
        }
    }
}

/// Runs `run` on every item of `items` with `workers`: each worker takes the next item when it
/// has finished one, inside its own pool where [`RunThreads::Own`] asks for it. When a run fails,
/// the other workers finish the item they are on and stop; the first error is returned.
pub(crate) fn run_queue<P: Send>(items: Vec<P>, workers: Workers, run: impl Fn(P) -> Result<(), TrainError> + Sync) -> Result<(), TrainError> {
    workers.validate()?;
    let queue = Mutex::new(items.into_iter());
    let failed = AtomicBool::new(false);
    let work = || -> Result<(), TrainError> {
        while !failed.load(Ordering::SeqCst) {
            let Some(item) = queue.lock().expect("the queue lock is never poisoned").next() else { return Ok(()) };
            if let Err(error) = run(item) {
                failed.store(true, Ordering::SeqCst);
                return Err(error);
            }
        }
        Ok(())
    };
    let worker = || -> Result<(), TrainError> {
        match workers.threads {
            RunThreads::Shared => work(),
            RunThreads::Own(threads) => rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| TrainError::Io(format!("a worker's thread pool of {threads}: {e}")))?
                .install(work),
        }
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.runs).map(|_| scope.spawn(worker)).collect();
        let mut first = Ok(());
        for handle in handles {
            let result = handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            if first.is_ok() {
                first = result;
            }
        }
        first
    })
}
