//! The search worker: one thread that runs the latest request and streams its results to
//! the main loop. A newer request cancels the one running (its generation moves on), so
//! typing never waits on a search.

use crate::model::TraceSet;
use crate::tui::run::Msg;
use crate::tui::search::Request;
use crate::tui::worker::Worker;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

/// Handle to the search thread.
pub struct Searcher {
    jobs: mpsc::Sender<(Arc<TraceSet>, Request)>,
    latest: Arc<AtomicU64>,
}

impl Searcher {
    pub fn spawn(results: mpsc::Sender<Msg>) -> Searcher {
        let (jobs, rx) = mpsc::channel::<(Arc<TraceSet>, Request)>();
        let latest = Arc::new(AtomicU64::new(0));
        let current = latest.clone();
        std::thread::Builder::new()
            .name("search".into())
            .spawn(move || {
                // What searches of one set can share; rebuilt when the set changes.
                let mut index: (Option<Arc<TraceSet>>, crate::search::Index) =
                    (None, Default::default());
                while let Ok(mut job) = rx.recv() {
                    // Only the newest request matters.
                    while let Ok(newer) = rx.try_recv() {
                        job = newer;
                    }
                    if !index.0.as_ref().is_some_and(|s| Arc::ptr_eq(s, &job.0)) {
                        index = (Some(job.0.clone()), Default::default());
                    }
                    // A panic ends this search, not the worker: the next request runs.
                    let one = || run_one(&job.0, &index.1, &job.1, &current, &results);
                    if let Err(why) = crate::tui::worker::caught(Worker::Search, one) {
                        let _ = results.send(Msg::WorkerFailed(Worker::Search, why.0));
                    }
                }
            })
            .expect("spawning the search thread");
        Searcher { jobs, latest }
    }

    /// Starts `req`, cancelling whatever runs now.
    pub fn start(&self, set: Arc<TraceSet>, req: Request) {
        self.latest.store(req.generation, Ordering::SeqCst);
        let _ = self.jobs.send((set, req));
    }
}

fn run_one(
    set: &TraceSet,
    index: &crate::search::Index,
    req: &Request,
    latest: &AtomicU64,
    results: &mpsc::Sender<Msg>,
) {
    let generation = req.generation;
    let cancelled = || latest.load(Ordering::SeqCst) != generation;
    let mut publish = |found: &crate::search::Found| {
        let msg = Msg::Search {
            generation,
            found: found.clone(),
            as_filter: req.as_filter,
        };
        let _ = results.send(msg);
    };
    crate::search::run(
        set,
        index,
        &req.query,
        req.scope,
        req.limit,
        &cancelled,
        &mut publish,
    );
}
