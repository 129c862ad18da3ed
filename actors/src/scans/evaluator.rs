//! Where a scan's CPU work runs: threads of their own at a lower scheduling priority, so that
//! scans running back to back never starve the answers of the sessions waiting on them.
//!
//! Evaluating the catalogue and parsing a configuration snapshot are pure CPU. On tokio's
//! blocking pool they competed as equals with everything else the server does; on a small
//! machine under a steady stream of scans, every answer then waited behind them (the soak's
//! get_posture p99 was hundreds of ms with scans completing several times a second). Here they
//! run on [`Evaluator`] threads whose nice value is raised by [`NICE`]: the kernel still gives
//! them whatever CPU is idle, and about a tenth of a busy core's share, so a scan always ends.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// How much lower than the server's threads the evaluator's threads run (Linux nice units;
/// 10 gives them about a tenth of the weight of a normal thread).
pub const NICE: i32 = 10;

type Job = Box<dyn FnOnce() + Send>;

/// A pool of low-priority threads for scans' CPU work; cloned cheaply. Its threads end when
/// the last clone is dropped.
#[derive(Clone)]
pub(crate) struct Evaluator {
    jobs: mpsc::Sender<Job>,
}

/// Why a job gave no result.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EvaluatorError {
    /// The evaluator's threads are gone (the process is stopping).
    #[error("the scan evaluator is stopped")]
    Stopped,
    /// The job panicked; the thread caught it and goes on with the next job.
    #[error("internal error while evaluating (a panic, logged)")]
    Panicked,
}

impl Evaluator {
    /// Starts `threads` threads (at least one).
    pub fn start(threads: usize) -> Evaluator {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("scan-eval-{n}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        let next = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        match next {
                            Ok(job) => {
                                // A panicking job answers its caller (its sender is dropped)
                                // and must not take the thread, and every later scan, with it.
                                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))
                                    .is_err()
                                {
                                    tracing::error!("a scan evaluation panicked");
                                }
                            }
                            Err(_) => break,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!("cannot start a scan evaluator thread: {e}");
            }
        }
        Evaluator { jobs }
    }

    /// Half the machine's cores (at least one): scans never take every core.
    pub fn for_this_machine() -> Evaluator {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Evaluator::start(cores / 2)
    }

    /// Runs `f` on an evaluator thread and answers its result.
    pub async fn run<T, F>(&self, f: F) -> Result<T, EvaluatorError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| EvaluatorError::Stopped)?;
        rx.await.map_err(|_| EvaluatorError::Panicked)
    }
}

/// Raises the calling thread's nice value by [`NICE`] (Linux: `setpriority` on a thread id
/// applies to that thread alone). Elsewhere, or if refused, the thread keeps its priority.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn lower_priority() {
    // SAFETY: `gettid` has no preconditions; `setpriority` with `PRIO_PROCESS` and the calling
    // thread's own id changes only that thread's nice value and touches no memory of ours.
    let set = unsafe {
        let tid = libc::gettid();
        libc::setpriority(
            libc::PRIO_PROCESS,
            libc::id_t::try_from(tid).unwrap_or(0),
            NICE,
        )
    };
    if set != 0 {
        tracing::warn!("cannot lower the scan evaluator's priority; scans run at normal priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_on_lower_priority_threads_and_answers_their_results() {
        let evaluator = Evaluator::start(2);
        let name = evaluator
            .run(|| std::thread::current().name().map(str::to_string))
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("scan-eval-"));
        #[cfg(target_os = "linux")]
        {
            let tid = evaluator.run(|| std::fs::read_to_string("/proc/thread-self/stat"));
            let stat = tid.await.unwrap().unwrap();
            // Field 19 of /proc/<tid>/stat is the nice value (after the parenthesised name).
            let after = stat.rsplit(')').next().unwrap();
            let nice: i32 = after.split_whitespace().nth(16).unwrap().parse().unwrap();
            assert_eq!(nice, NICE, "{stat}");
        }
        // A panicking job is an error for its caller only; the threads go on.
        for _ in 0..3 {
            let panicked = evaluator.run(|| -> i32 { panic!("boom") }).await;
            assert!(matches!(panicked, Err(EvaluatorError::Panicked)));
        }
        let sums = futures_util::future::join_all((0..8).map(|i| evaluator.run(move || i * 2)));
        let sums: Vec<i32> = sums.await.into_iter().map(Result::unwrap).collect();
        assert_eq!(sums, (0..8).map(|i| i * 2).collect::<Vec<_>>());
    }
}
