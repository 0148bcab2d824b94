//! Workers that fail are seen: a panic on a worker thread (search, diff, run diff,
//! statistics) is caught there and reaches the UI as a message, so the status line says
//! what failed and the screen that waited on it is usable again instead of saying
//! "running" forever.

/// The workers whose failures the UI reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Worker {
    Search,
    Diff,
    Runs,
    Stats,
}

impl Worker {
    pub fn name(self) -> &'static str {
        match self {
            Worker::Search => "search",
            Worker::Diff => "diff",
            Worker::Runs => "run comparison",
            Worker::Stats => "statistics",
        }
    }

    /// The `SPANLENS_TEST_PANIC` value that makes this worker panic (for the tests).
    fn test_name(self) -> &'static str {
        match self {
            Worker::Search => "search",
            Worker::Diff => "diff",
            Worker::Runs => "runs",
            Worker::Stats => "stats",
        }
    }
}

/// A worker's panic, with its message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct WorkerPanic(pub String);

/// Runs `f` for `worker`, turning a panic into its message. The panic hook has already
/// recorded the message instead of printing it over the UI (`terminal`).
pub fn caught<T>(worker: Worker, f: impl FnOnce() -> T) -> Result<T, WorkerPanic> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if std::env::var("SPANLENS_TEST_PANIC").is_ok_and(|p| p == worker.test_name()) {
            panic!("SPANLENS_TEST_PANIC={}", worker.test_name());
        }
        f()
    }))
    .map_err(|_| {
        WorkerPanic(super::terminal::take_worker_panic().unwrap_or_else(|| "unknown panic".into()))
    })
}

/// Runs `job` on a thread of its own and sends its message, or `WorkerFailed` when it
/// panics.
pub fn spawn(
    worker: Worker,
    tx: &std::sync::mpsc::Sender<super::run::Msg>,
    job: impl FnOnce() -> super::run::Msg + Send + 'static,
) -> std::io::Result<()> {
    let tx = tx.clone();
    std::thread::Builder::new()
        .name(worker.test_name().into())
        .spawn(move || {
            let msg = caught(worker, job)
                .unwrap_or_else(|why| super::run::Msg::WorkerFailed(worker, why.0));
            let _ = tx.send(msg);
        })
        .map(drop)
}

impl super::app::App {
    /// A worker panicked: say so on the status line and stop waiting for it, so the screen
    /// that asked is usable again (a new query, `d` or `Esc` works as before).
    pub fn on_worker_failed(&mut self, worker: Worker, why: &str) {
        match worker {
            Worker::Search => self.search.running = false,
            Worker::Diff => self.diff_pending = None,
            Worker::Runs => {
                if let Some(v) = self.runs.as_mut() {
                    v.failed = Some(why.to_owned());
                }
            }
            Worker::Stats => {
                if let Some(v) = self.steps.as_mut() {
                    v.pending = None;
                }
                self.traces_pending = None;
                self.sessions_pending = None;
                self.tallies_pending = None;
            }
        }
        self.status = Some(format!(
            "{} failed (internal error, please report it): {}",
            worker.name(),
            crate::inert::line(why)
        ));
    }
}
