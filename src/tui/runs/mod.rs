//! State of the run view: two runs compared (computed by a worker, so it starts empty),
//! a cursor in the step table and one in the pair list, and which of the two has the keys.

pub mod keys;
pub mod view;

use crate::diff::runs::{RunDiff, compare_runs};
use crate::model::{TraceIx, TraceSet};
use std::sync::Arc;

/// Which list of the run view has the keyboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunPane {
    Steps,
    Pairs,
}

/// Two runs to compare off the UI thread (10,000 traces a side take about a second).
#[derive(Clone)]
pub struct RunJob {
    pub left: Arc<TraceSet>,
    pub lt: Arc<Vec<TraceIx>>,
    pub right: Arc<TraceSet>,
    pub rt: Arc<Vec<TraceIx>>,
    pub generation: u64,
}

impl std::fmt::Debug for RunJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RunJob #{} ({} vs {} traces)",
            self.generation,
            self.lt.len(),
            self.rt.len()
        )
    }
}

impl PartialEq for RunJob {
    fn eq(&self, o: &Self) -> bool {
        self.generation == o.generation
            && Arc::ptr_eq(&self.left, &o.left)
            && Arc::ptr_eq(&self.right, &o.right)
    }
}

impl RunJob {
    /// Pairs the traces and compares the steps; the slow part, run by a worker.
    pub fn run(self) -> (u64, RunDiff) {
        let run = compare_runs(&self.left, &self.lt, &self.right, &self.rt);
        (self.generation, run)
    }
}

pub struct RunView {
    pub left: Arc<TraceSet>,
    pub right: Arc<TraceSet>,
    pub lt: Arc<Vec<TraceIx>>,
    pub rt: Arc<Vec<TraceIx>>,
    /// `None` while the worker computes it.
    pub run: Option<RunDiff>,
    /// Why the worker failed, when it did (the view then says so instead of waiting).
    pub failed: Option<String>,
    pub generation: u64,
    pub pane: RunPane,
    pub step_cursor: usize,
    pub step_offset: usize,
    pub pair_cursor: usize,
    pub pair_offset: usize,
    /// Rows of each list on screen at the last render (pages move by them).
    pub step_height: usize,
    pub pair_height: usize,
}

impl RunView {
    pub fn new(job: &RunJob) -> RunView {
        RunView {
            left: job.left.clone(),
            right: job.right.clone(),
            lt: job.lt.clone(),
            rt: job.rt.clone(),
            run: None,
            failed: None,
            generation: job.generation,
            pane: RunPane::Pairs,
            step_cursor: 0,
            step_offset: 0,
            pair_cursor: 0,
            pair_offset: 0,
            step_height: 10,
            pair_height: 10,
        }
    }

    /// Moves the cursor of the list that has the keys. Returns true when it moved.
    pub fn move_by(&mut self, delta: isize) -> bool {
        let Some(run) = &self.run else { return false };
        let (cursor, len) = match self.pane {
            RunPane::Steps => (&mut self.step_cursor, run.steps.len()),
            RunPane::Pairs => (&mut self.pair_cursor, run.pairs.len()),
        };
        let new = cursor
            .saturating_add_signed(delta)
            .min(len.saturating_sub(1));
        std::mem::replace(cursor, new) != new
    }

    pub fn page(&self) -> usize {
        match self.pane {
            RunPane::Steps => self.step_height,
            RunPane::Pairs => self.pair_height,
        }
    }

    /// The pair under the cursor.
    pub fn selected_pair(&self) -> Option<(TraceIx, TraceIx)> {
        let p = self.run.as_ref()?.pairs.get(self.pair_cursor)?;
        Some((p.left, p.right))
    }
}
