//! The explorer's side of the run view: opening it on two runs (the comparison runs on a
//! worker), moving in its lists, and opening the tree diff of a pair (`Enter`; `Esc` in
//! the tree diff comes back here).

use crate::diff::runs::RunDiff;
use crate::model::{TraceIx, TraceSet};
use crate::tui::action::Action;
use crate::tui::app::{App, Effect, Screen};
use crate::tui::diff::keys::DiffJob;
use crate::tui::runs::{RunJob, RunPane, RunView};
use std::sync::Arc;

impl App {
    /// Opens the run view on two runs and asks a worker to compare them.
    pub fn open_runs(
        &mut self,
        left: Arc<TraceSet>,
        lt: Vec<TraceIx>,
        right: Arc<TraceSet>,
        rt: Vec<TraceIx>,
    ) {
        self.diff_requests += 1;
        let job = RunJob {
            left,
            lt: Arc::new(lt),
            right,
            rt: Arc::new(rt),
            generation: self.diff_requests,
        };
        self.runs = Some(RunView::new(&job));
        self.effects.push(Effect::Runs(job));
        self.screen = Screen::Runs;
        self.status = Some("comparing the runs…".into());
    }

    /// Takes a run comparison computed by a worker, if it is still the one on screen.
    pub fn on_runs_ready(&mut self, generation: u64, run: RunDiff) {
        if let Some(v) = self.runs.as_mut().filter(|v| v.generation == generation) {
            self.status = Some(format!(
                "{} paired · {} only left · {} only right · Enter opens a pair · Tab steps / pairs",
                run.pairing.pairs.len(),
                run.pairing.only_left.len(),
                run.pairing.only_right.len()
            ));
            v.run = Some(run);
        }
    }

    pub(crate) fn update_runs(&mut self, action: Action) -> bool {
        let Some(view) = self.runs.as_mut() else {
            return false;
        };
        if let Some(delta) = action.step(view.page().max(1) as isize) {
            return view.move_by(delta);
        }
        match action {
            Action::FocusNext => {
                view.pane = match view.pane {
                    RunPane::Steps => RunPane::Pairs,
                    RunPane::Pairs => RunPane::Steps,
                };
                true
            }
            Action::Open if view.run.is_none() => {
                self.status = Some("still comparing the runs…".into());
                true
            }
            Action::Open => {
                if view.pane == RunPane::Steps {
                    view.pane = RunPane::Pairs;
                    return true;
                }
                let Some((lt, rt)) = view.selected_pair() else {
                    return false;
                };
                let (left, right) = (view.left.clone(), view.right.clone());
                self.diff_requests += 1;
                let generation = self.diff_requests;
                self.diff_pending = Some(generation);
                self.effects.push(Effect::Diff(DiffJob::new(
                    (left, lt),
                    (right, rt),
                    true,
                    generation,
                )));
                self.status = Some("comparing the pair…".into());
                true
            }
            Action::Back => {
                self.status = Some("q quits".into());
                true
            }
            _ => false,
        }
    }
}
