//! Work for the stats worker: the step table (with the icicle) for a set of traces, and the
//! trace list's filter, session grouping and verdict counts. Each job runs on a thread of its own and
//! answers over the main channel; a generation number drops answers the user no longer
//! waits for, so no key ever waits on a computation over every span.

use crate::model::{MetaKeys, TraceIx, TraceSet};
use crate::stats::{GroupBy, TraceFilter};
use crate::tui::flame::icicle::Icicle;
use crate::tui::steps::Computed;
use std::sync::Arc;

/// A computation to run off the UI thread.
#[derive(Clone)]
pub enum StatsJob {
    /// The step, tool and prompt tables of `traces`, grouped `by`, and their icicle.
    Steps {
        set: Arc<TraceSet>,
        traces: Vec<TraceIx>,
        by: GroupBy,
        generation: u64,
    },
    /// The traces passing `filter`, and (when `sessions`) every trace's session id.
    Traces {
        set: Arc<TraceSet>,
        filter: Option<TraceFilter>,
        sessions: bool,
        generation: u64,
    },
    /// The judgements of every trace, counted (decoding every assessment).
    Tallies { set: Arc<TraceSet>, generation: u64 },
}

/// What a job answers.
pub enum StatsDone {
    Steps(u64, Arc<Computed>),
    Traces(u64, TracesDone),
    Tallies(u64, Vec<crate::feedback::verdict::Tally>),
    /// The job panicked: the screen says so instead of waiting forever.
    Failed(u64, String),
}

/// The trace list's answer.
#[derive(Debug, Default)]
pub struct TracesDone {
    /// Traces kept by the filter, in set order; `None` without a filter.
    pub kept: Option<Vec<u32>>,
    /// Session id of every trace, when asked for.
    pub sessions: Option<Vec<Option<String>>>,
}

impl StatsJob {
    pub fn generation(&self) -> u64 {
        match self {
            StatsJob::Steps { generation, .. }
            | StatsJob::Traces { generation, .. }
            | StatsJob::Tallies { generation, .. } => *generation,
        }
    }

    /// Runs the job, turning a panic into `StatsDone::Failed`.
    pub fn run_caught(self) -> StatsDone {
        let generation = self.generation();
        crate::tui::worker::caught(crate::tui::worker::Worker::Stats, || self.run())
            .unwrap_or_else(|why| StatsDone::Failed(generation, why.0))
    }

    /// Runs the job (the slow part).
    pub fn run(self) -> StatsDone {
        match self {
            StatsJob::Steps {
                set,
                traces,
                by,
                generation,
            } => {
                let mut stats = crate::stats::compute(&set, &traces, by);
                // The drill-down lists spans worst first; sorted here, not on a key press.
                for s in &mut stats.steps {
                    s.spans = crate::stats::worst_first(&set, &s.spans);
                }
                for t in &mut stats.tools {
                    t.spans = crate::stats::worst_first(&set, &t.spans);
                }
                let icicle = Icicle::build(&set, &traces);
                let total_ns = traces
                    .iter()
                    .map(|&t| set.trace(t).duration_ns().max(0))
                    .sum();
                let computed = Computed {
                    stats,
                    icicle,
                    total_ns,
                };
                StatsDone::Steps(generation, Arc::new(computed))
            }
            StatsJob::Traces {
                set,
                filter,
                sessions,
                generation,
            } => {
                let kept = filter.map(|f| f.select(&set).into_iter().map(|t| t.0).collect());
                let sessions = sessions.then(|| {
                    let keys = MetaKeys::new(&set);
                    (0..set.traces.len() as u32)
                        .map(|t| keys.trace_meta(&set, TraceIx(t)).session)
                        .collect()
                });
                StatsDone::Traces(generation, TracesDone { kept, sessions })
            }
            StatsJob::Tallies { set, generation } => {
                StatsDone::Tallies(generation, crate::feedback::verdict::tallies(&set))
            }
        }
    }
}

impl std::fmt::Debug for StatsJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatsJob::Steps { by, generation, .. } => {
                write!(f, "StatsJob::Steps #{generation} by {}", by.as_str())
            }
            StatsJob::Traces {
                filter, generation, ..
            } => write!(f, "StatsJob::Traces #{generation} {filter:?}"),
            StatsJob::Tallies { generation, .. } => write!(f, "StatsJob::Tallies #{generation}"),
        }
    }
}

/// Jobs are equal when they are the same request.
impl PartialEq for StatsJob {
    fn eq(&self, o: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(o)
            && self.generation() == o.generation()
    }
}
