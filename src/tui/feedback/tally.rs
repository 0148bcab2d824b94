//! The trace list's verdict column: judgements counted per trace, off the UI thread when
//! that means decoding many assessments.

use crate::feedback::verdict;
use crate::tui::app::{App, Effect};
use crate::tui::steps::job::StatsJob;

/// Up to this many assessments still to decode are counted on the UI thread, so a small
/// export shows its verdicts on the first frame (about a millisecond per thousand).
/// More are counted by the stats worker: the 570,000 of 1M MLflow 3 spans took 0.5 s.
pub const COUNTED_HERE: usize = 4_096;

impl App {
    /// Counts the shown set's judgements per trace: now when that is cheap, else by a job
    /// whose answer `on_tallies_done` takes (the column stays empty until then).
    pub(in crate::tui) fn count_verdicts(&mut self) {
        let all = &self.set.assessments;
        if all.len() <= COUNTED_HERE || all.all_decoded() {
            self.tallies = verdict::tallies(&self.set);
            self.tallies_pending = None;
            return;
        }
        self.tallies = Vec::new();
        self.stats_requests += 1;
        let generation = self.stats_requests;
        self.tallies_pending = Some(generation);
        self.effects.push(Effect::Stats(StatsJob::Tallies {
            set: self.set.clone(),
            generation,
        }));
    }

    /// Takes the counts a job made, unless a newer set or mark asked again.
    pub(in crate::tui) fn on_tallies_done(&mut self, generation: u64, t: Vec<verdict::Tally>) {
        if self.tallies_pending == Some(generation) {
            self.tallies_pending = None;
            self.tallies = t;
        }
    }
}
