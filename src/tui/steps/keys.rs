//! The explorer's side of the step table: opening it from the trace list (computed by the
//! stats worker), sorting, lenses, group-by-path, the drill-down into a step's spans and
//! from there into a trace, the icicle, and taking the worker's answers.

use crate::model::TraceIx;
use crate::stats::GroupBy;
use crate::tui::action::Action;
use crate::tui::app::{App, Effect, Screen};
use crate::tui::steps::job::{StatsDone, StatsJob};
use crate::tui::steps::{Lens, Mode, StepsView};

impl App {
    /// `t` in the trace list: the step table over the listed traces (the filter's, if any).
    pub(crate) fn open_steps(&mut self) -> bool {
        self.screen = Screen::Steps;
        let traces = self.listed_traces();
        // Recomputed when the listed traces changed, or after a failed computation.
        let stale = self
            .steps
            .as_ref()
            .is_none_or(|v| v.traces != traces || (v.data.is_none() && v.pending.is_none()));
        if stale {
            let by = self.steps.as_ref().map_or(GroupBy::Step, |v| v.by);
            let mut view = StepsView::new(by);
            view.traces = traces;
            self.steps = Some(view);
            self.request_steps();
        }
        true
    }

    /// The traces the list shows, in set order.
    pub(crate) fn listed_traces(&self) -> Vec<TraceIx> {
        let mut t: Vec<u32> = self.traces.order.clone();
        t.sort_unstable();
        t.into_iter().map(TraceIx).collect()
    }

    /// Asks the worker for the step table of the view's traces and grouping.
    fn request_steps(&mut self) {
        self.stats_requests += 1;
        let generation = self.stats_requests;
        let Some(view) = self.steps.as_mut() else {
            return;
        };
        view.pending = Some(generation);
        self.effects.push(Effect::Stats(StatsJob::Steps {
            set: self.set.clone(),
            traces: view.traces.clone(),
            by: view.by,
            generation,
        }));
        self.status = Some(format!(
            "computing the step table of {} traces…",
            view.traces.len()
        ));
    }

    /// Takes a worker's answer, unless a newer request replaced it.
    pub fn on_stats_done(&mut self, done: StatsDone) {
        match done {
            StatsDone::Steps(generation, data) => {
                let Some(view) = self.steps.as_mut() else {
                    return;
                };
                if view.pending == Some(generation) {
                    view.install(data);
                    if self.screen == Screen::Steps {
                        self.status = Some(format!(
                            "{} steps · {} tools · {} prompt steps",
                            view.data.as_ref().map_or(0, |d| d.stats.steps.len()),
                            view.data.as_ref().map_or(0, |d| d.stats.tools.len()),
                            view.data.as_ref().map_or(0, |d| d.stats.prompts.len()),
                        ));
                    }
                }
            }
            StatsDone::Traces(generation, r) => self.on_traces_done(generation, r),
            StatsDone::Tallies(generation, t) => self.on_tallies_done(generation, t),
            StatsDone::Failed(generation, why) => {
                if let Some(view) = self
                    .steps
                    .as_mut()
                    .filter(|v| v.pending == Some(generation))
                {
                    view.pending = None;
                }
                let pending = [
                    &mut self.traces_pending,
                    &mut self.sessions_pending,
                    &mut self.tallies_pending,
                ];
                for p in pending {
                    if *p == Some(generation) {
                        *p = None;
                    }
                }
                self.status = Some(format!(
                    "internal error computing stats, please report it: {}",
                    crate::inert::line(&why)
                ));
            }
        }
    }

    pub(crate) fn update_steps(&mut self, action: Action) -> bool {
        let Some(view) = self.steps.as_ref() else {
            self.screen = Screen::Traces;
            return true;
        };
        match view.mode {
            Mode::Table => self.steps_table_key(action),
            Mode::Spans => self.steps_spans_key(action),
            Mode::Icicle => self.steps_icicle_key(action),
        }
    }

    fn steps_table_key(&mut self, action: Action) -> bool {
        let Some(view) = self.steps.as_mut() else {
            return false;
        };
        let page = view.cursor.height.max(1) as isize;
        if let Some(delta) = action.step(page) {
            let len = view.len();
            return view.cursor.move_by(delta, len);
        }
        match action {
            Action::CycleSort | Action::ReverseSort => {
                if action == Action::CycleSort {
                    view.cycle_sort();
                } else {
                    view.reverse();
                }
                let col = view.columns()[view.sort_column()].name;
                let dir = if view.is_descending() { "▼" } else { "▲" };
                self.status = Some(format!("sorted by {col} {dir}"));
            }
            Action::NextLens => {
                view.next_lens();
                self.status = Some(format!("{} lens (Tab: next)", view.lens.label()));
            }
            Action::GroupByPath => {
                view.by = match view.by {
                    GroupBy::Path => GroupBy::Step,
                    _ => GroupBy::Path,
                };
                view.lens = Lens::Steps;
                self.request_steps();
            }
            Action::FlameChart => {
                view.mode = Mode::Icicle;
                self.status = Some("icicle: time of all traces summed by step path".into());
            }
            Action::Open => match view.open_drill() {
                Some(name) => {
                    let n = view.drill.as_ref().map_or(0, |d| d.spans.len());
                    self.status = Some(format!(
                        "{n} spans of {}, errors first, then slowest · Enter opens one",
                        crate::inert::line(&name)
                    ));
                }
                None => {
                    self.status = Some(if view.data.is_none() {
                        "still computing the step table…".into()
                    } else {
                        "no spans behind this row".into()
                    })
                }
            },
            Action::Back => self.screen = Screen::Traces,
            _ => return false,
        }
        true
    }

    fn steps_spans_key(&mut self, action: Action) -> bool {
        let set = self.set.clone();
        let Some(view) = self.steps.as_mut() else {
            return false;
        };
        let Some(drill) = view.drill.as_mut() else {
            view.mode = Mode::Table;
            return true;
        };
        let page = drill.cursor.height.max(1) as isize;
        if let Some(delta) = action.step(page) {
            return drill.cursor.move_by(delta, drill.spans.len());
        }
        match action {
            Action::Back => view.mode = Mode::Table,
            Action::Open | Action::Right => {
                let Some(&span) = drill.spans.get(drill.cursor.at) else {
                    return false;
                };
                self.open_trace(set.trace_of(span));
                if let Some(tree) = self.tree.as_mut() {
                    tree.reveal(&set, span);
                }
                self.sync_detail();
                self.trace_from = Some(Screen::Steps);
            }
            _ => return false,
        }
        true
    }

    fn steps_icicle_key(&mut self, action: Action) -> bool {
        let Some(view) = self.steps.as_mut() else {
            return false;
        };
        if matches!(action, Action::Back | Action::FlameChart) {
            view.mode = Mode::Table;
            return true;
        }
        let Some(data) = view.data.clone() else {
            return false;
        };
        let ice = &data.icicle;
        let cur = view.ice_selected as usize;
        let Some(node) = ice.nodes.get(cur) else {
            return false;
        };
        let siblings = ice
            .nodes
            .get(node.parent as usize)
            .map_or(&[][..], |p| &p.children[..]);
        let pos = siblings.iter().position(|&c| c as usize == cur);
        let target = match action {
            Action::Down | Action::Open => node.children.first().copied(),
            Action::Up => (node.parent != u32::MAX).then_some(node.parent),
            Action::Right => pos.and_then(|p| siblings.get(p + 1).copied()),
            Action::Left => pos
                .and_then(|p| p.checked_sub(1))
                .and_then(|p| siblings.get(p).copied()),
            _ => return false,
        };
        match target {
            Some(t) => {
                view.ice_selected = t;
                true
            }
            None => false,
        }
    }
}
