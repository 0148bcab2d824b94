//! The explorer's state and its one `update(Action)`. `update` never touches the terminal:
//! side effects (clipboard, pager) are queued as `Effect`s for the runtime, so every key
//! sequence can be tested without a terminal.

use super::action::Action;
use super::detail::DetailPane;
use super::diff::DiffView;
use super::keymap::{Context, Key, KeyMap, Lookup};
use super::search::SearchState;
use super::theme::Theme;
use super::traces::TraceList;
use super::tree::SpanTree;
use crate::load::Progress;
use crate::model::{SpanIx, TraceIx, TraceSet};
use ratatui::layout::Rect;
use std::sync::Arc;

/// Which full-screen view is showing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Loading,
    Traces,
    Trace,
    Diff,
    /// Two runs of many traces compared (`app_runs`).
    Runs,
    /// The flame chart of the open trace.
    Flame,
    /// The step table across all loaded traces (and its drill-down and icicle).
    Steps,
}

/// Which pane of the trace view has the keyboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Tree,
    Detail,
}

/// A popup over the current screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help,
    Warnings,
    Search,
}

/// Something for the runtime to do outside the terminal's drawing.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Copy {
        label: String,
        text: String,
    },
    Pager(String),
    Search(super::search::Request),
    /// Ask the loader for the spans of this trace read so far (see `load::preview::Peek`).
    Peek(String),
    /// Compute a diff on a worker; the result comes back to `on_diff_ready`.
    Diff(super::diff::keys::DiffJob),
    /// Edit `text` in `$EDITOR`; the result comes back to `on_edited`.
    Edit {
        target: super::feedback::Target,
        text: String,
    },
    /// Compare two runs on a worker; the result comes back to `on_runs_ready`.
    Runs(super::runs::RunJob),
    /// Compute stats or filter traces on a worker; the result comes back to `on_stats_done`.
    Stats(super::steps::job::StatsJob),
}

/// Screen areas from the last render, for mouse hits.
#[derive(Clone, Copy, Debug, Default)]
pub struct Areas {
    pub list: Rect,
    pub tree: Rect,
    pub detail: Rect,
}

pub struct App {
    pub set: Arc<TraceSet>,
    pub screen: Screen,
    pub focus: Focus,
    pub overlay: Overlay,
    pub overlay_scroll: usize,
    /// The open popup's lines, built for one popup and width (see `view::overlay`).
    pub overlay_lines: Option<((Overlay, usize), Vec<ratatui::text::Line<'static>>)>,
    pub traces: TraceList,
    pub tree: Option<SpanTree>,
    pub detail: DetailPane,
    pub keymap: KeyMap,
    pub theme: Theme,
    pub pending: Vec<Key>,
    pub status: Option<String>,
    pub effects: Vec<Effect>,
    pub should_quit: bool,
    pub progress: Option<Progress>,
    pub areas: Areas,
    pub search: SearchState,
    pub diff: Option<DiffView>,
    /// The generation of the diff being computed, if any, and the last one asked for.
    pub diff_pending: Option<u64>,
    pub(super) diff_requests: u64,
    /// The run view, when two runs are compared.
    pub runs: Option<super::runs::RunView>,
    /// The top bar's summary of the loaded traces.
    pub headline: super::headline::Headline,
    /// Traces seen so far, while loading.
    pub loading: super::loading::LoadingList,
    /// While loading: the id of the trace shown as read so far (`set` holds only it).
    pub partial: Option<String>,
    /// Where marks are saved, and those not saved yet.
    pub feedback: crate::feedback::Store,
    /// Judgements per trace, for the trace list's column.
    pub tallies: Vec<crate::feedback::verdict::Tally>,
    /// The note being typed, if any.
    pub note: Option<super::feedback::NoteInput>,
    /// The flame chart of the open trace, while it is shown.
    pub flame: Option<super::flame::FlameChart>,
    /// The step table, kept while the listed traces stay the same.
    pub steps: Option<super::steps::StepsView>,
    /// The last stats job asked for (see `Effect::Stats`).
    pub(super) stats_requests: u64,
    /// Where `Esc` in the span tree goes back to, when not the trace list.
    pub trace_from: Option<Screen>,
    /// The trace list's query line, while open.
    pub trace_query: Option<super::app_trace_filter::QueryLine>,
    /// The filter and session jobs waited for.
    pub(super) traces_pending: Option<u64>,
    pub(super) sessions_pending: Option<u64>,
    /// The verdict count job waited for (see `count_verdicts`).
    pub(super) tallies_pending: Option<u64>,
    /// Set when the explorer follows a live source (`--follow`, the OTLP receiver).
    pub live: Option<super::live::LiveState>,
}

impl App {
    /// An app waiting for its traces to load.
    pub fn loading(keymap: KeyMap, theme: Theme) -> App {
        let set = Arc::new(TraceSet::default());
        App {
            traces: TraceList::new(&set),
            set,
            screen: Screen::Loading,
            focus: Focus::Tree,
            overlay: Overlay::None,
            overlay_scroll: 0,
            overlay_lines: None,
            tree: None,
            detail: DetailPane::default(),
            keymap,
            theme,
            pending: Vec::new(),
            status: None,
            effects: Vec::new(),
            should_quit: false,
            progress: None,
            areas: Areas::default(),
            search: SearchState::default(),
            diff: None,
            diff_pending: None,
            diff_requests: 0,
            runs: None,
            loading: Default::default(),
            headline: Default::default(),
            partial: None,
            feedback: crate::feedback::Store::new(crate::feedback::Location {
                primary: None,
                fallback: None,
            }),
            tallies: Vec::new(),
            note: None,
            flame: None,
            steps: None,
            stats_requests: 0,
            trace_from: None,
            trace_query: None,
            traces_pending: None,
            sessions_pending: None,
            tallies_pending: None,
            live: None,
        }
    }

    /// An app showing `set`: the trace list, or the trace itself when there is only one.
    pub fn new(set: TraceSet, keymap: KeyMap, theme: Theme) -> App {
        let mut app = App::loading(keymap, theme);
        app.on_loaded(set);
        app
    }

    /// Takes the loaded traces.
    pub fn on_loaded(&mut self, set: TraceSet) {
        let was_partial = self.leave_partial();
        self.install(Arc::new(set));
        self.progress = None;
        self.screen = Screen::Traces;
        if self.set.traces.len() == 1 {
            self.open_trace(TraceIx(0));
        } else {
            self.check_pick();
            self.after_load_pick();
        }
        if let Some(span_id) = was_partial {
            self.reselect(&span_id);
        }
        let n = self.headline.warnings;
        if n > 0 {
            self.status = Some(format!("{n} load warning{} (w to list)", plural(n as u32)));
        }
    }

    /// Makes `set` the one shown: what was built from the set before (trace list, top bar,
    /// popup lines, search hits) is rebuilt or dropped.
    pub(super) fn install(&mut self, set: Arc<TraceSet>) {
        self.search.reset();
        if self.overlay == Overlay::Search {
            self.overlay = Overlay::None;
        }
        self.set = set;
        self.traces = TraceList::new(&self.set);
        self.headline = super::headline::Headline::of(&self.set);
        self.count_verdicts();
        self.overlay_lines = None;
        self.steps = None;
        self.trace_query = None;
        (self.traces_pending, self.sessions_pending) = (None, None);
    }

    /// The key-map context for the current screen and focus.
    pub fn context(&self) -> Context {
        match (self.screen, self.focus) {
            (Screen::Trace, Focus::Tree) => Context::Tree,
            (Screen::Trace, Focus::Detail) => Context::Detail,
            (Screen::Diff, _) => Context::Diff,
            (Screen::Runs, _) => Context::Runs,
            (Screen::Flame, _) => Context::Flame,
            (Screen::Steps, _) => Context::Steps,
            _ => Context::Traces,
        }
    }

    /// Feeds one key press through the key map. Returns true when the screen may change.
    pub fn handle_key(&mut self, key: Key) -> bool {
        if self.overlay == Overlay::Search {
            return self.search_key(key);
        }
        if self.note.is_some() {
            return self.note_key(key);
        }
        if self.trace_query.is_some() && self.screen == Screen::Traces {
            return self.trace_query_key(key);
        }
        self.pending.push(key);
        match self.keymap.lookup(self.context(), &self.pending) {
            Lookup::Action(a) => {
                self.pending.clear();
                self.update(a)
            }
            Lookup::Pending => true,
            Lookup::Unbound => {
                // A stray key after a prefix should still work on its own. Count keys, not
                // the characters of their names: `Alt-q` alone would retry itself forever.
                let after_prefix = self.pending.len() > 1;
                self.pending.clear();
                if after_prefix {
                    return self.handle_key(key);
                }
                false
            }
        }
    }

    /// Applies one action. Returns true when something visible changed.
    pub fn update(&mut self, action: Action) -> bool {
        self.status = None;
        if self.overlay != Overlay::None {
            return self.update_overlay(action);
        }
        match action {
            Action::Quit => self.should_quit = true,
            Action::Help => self.show_overlay(Overlay::Help),
            Action::Warnings => self.show_overlay(Overlay::Warnings),
            Action::CopySpanId | Action::CopyTraceId | Action::CopyInput => self.copy(action),
            Action::CopyOutput | Action::CopySpanJson | Action::CopyValue => self.copy(action),
            Action::OpenPager => self.open_pager(),
            Action::Search => self.open_search(),
            Action::NextHit | Action::PrevHit => return self.step_hit(action == Action::NextHit),
            Action::ToggleFilter => self.toggle_filter(),
            Action::ThumbsUp | Action::ThumbsDown | Action::FeedbackNote => {
                return self.update_feedback(action);
            }
            Action::Score1 | Action::Score2 | Action::Score3 | Action::Score4 | Action::Score5 => {
                return self.update_feedback(action);
            }
            Action::ExpectedOutput | Action::RemoveFeedback | Action::SaveFeedback => {
                return self.update_feedback(action);
            }
            _ => {
                return match self.screen {
                    Screen::Loading => self.update_loading(action),
                    Screen::Traces => self.update_traces(action),
                    Screen::Trace => self.update_trace(action),
                    Screen::Diff => self.update_diff(action),
                    Screen::Runs => self.update_runs(action),
                    Screen::Flame => self.update_flame(action),
                    Screen::Steps => self.update_steps(action),
                };
            }
        }
        true
    }

    fn show_overlay(&mut self, o: Overlay) {
        self.overlay = o;
        self.overlay_scroll = 0;
    }

    fn update_overlay(&mut self, action: Action) -> bool {
        if action == Action::Bottom {
            // The render clamps this to the last full page.
            self.overlay_scroll = usize::MAX;
            return true;
        }
        if action.scroll(&mut self.overlay_scroll) {
            return true;
        }
        match action {
            Action::Quit => self.should_quit = true,
            Action::Help | Action::Warnings | Action::Back | Action::Open => {
                self.overlay = Overlay::None
            }
            _ => return false,
        }
        true
    }

    fn update_traces(&mut self, action: Action) -> bool {
        let page = self.traces.height.max(1) as isize;
        let set = self.set.clone();
        if let Some(delta) = action.step(page) {
            return self.traces.move_by(delta);
        }
        match action {
            Action::CycleSort => {
                self.traces.cycle_sort(&set);
                self.status = Some(format!("sorted by {}", self.traces.sort.label()));
                true
            }
            Action::ReverseSort => {
                self.traces.reverse(&set);
                true
            }
            Action::Mark => {
                self.traces.toggle_mark();
                self.traces.move_by(1);
                true
            }
            Action::Diff => {
                self.open_marked_diff();
                true
            }
            Action::StepTable => self.open_steps(),
            Action::GroupBySession => self.toggle_session_groups(),
            Action::FilterTraces => self.open_trace_query(),
            Action::Open | Action::Right => match self.traces.selected() {
                Some(t) => {
                    self.open_trace(t);
                    true
                }
                None => false,
            },
            _ => false,
        }
    }

    /// The span the trace view has selected.
    pub fn selected_span(&self) -> Option<SpanIx> {
        match self.screen {
            Screen::Trace => self.tree.as_ref().and_then(SpanTree::selected),
            _ => None,
        }
    }

    pub(super) fn selected_trace(&self) -> Option<TraceIx> {
        match self.screen {
            Screen::Trace => self.tree.as_ref().map(|t| t.trace),
            _ => self.traces.selected(),
        }
    }

    fn copy(&mut self, action: Action) {
        let set = self.set.clone();
        self.detail.ensure_layout(&set, &self.theme);
        let span = self.selected_span();
        let found: Option<(String, String)> = match action {
            Action::CopyTraceId => self
                .selected_trace()
                .map(|t| ("trace id".into(), set.trace_id(t).to_owned())),
            Action::CopySpanId => span.map(|s| ("span id".into(), set.span_id(s).to_owned())),
            Action::CopyInput => span
                .and_then(|s| set.span(s).input)
                .map(|t| ("input".into(), set.sources.text(t))),
            Action::CopyOutput => span
                .and_then(|s| set.span(s).output)
                .map(|t| ("output".into(), set.sources.text(t))),
            Action::CopySpanJson => span.map(|s| {
                let v = crate::model::detail::span_json(&set, s);
                (
                    "span JSON".into(),
                    serde_json::to_string_pretty(&v).unwrap_or_default(),
                )
            }),
            _ => match (self.screen, self.focus) {
                (Screen::Trace, Focus::Detail) => {
                    self.detail.current_value().map(|c| (c.label, c.text))
                }
                (Screen::Trace, Focus::Tree) => {
                    span.map(|s| ("span name".into(), set.span_name(s).to_owned()))
                }
                _ => self
                    .selected_trace()
                    .map(|t| ("trace id".into(), set.trace_id(t).to_owned())),
            },
        };
        match found {
            Some((label, text)) => {
                self.status = Some(format!(
                    "copied {label} ({} bytes) to the clipboard",
                    text.len()
                ));
                self.effects.push(Effect::Copy { label, text });
            }
            None => self.status = Some("nothing to copy here".into()),
        }
    }

    fn open_pager(&mut self) {
        if self.screen != Screen::Trace {
            self.status = Some("open a trace first".into());
            return;
        }
        let set = self.set.clone();
        self.detail.ensure_layout(&set, &self.theme);
        let text = match self.focus {
            Focus::Detail => self.detail.current_value().map(|c| c.text),
            Focus::Tree => None,
        }
        .unwrap_or_else(|| self.detail.full_text(&set, &self.theme));
        self.effects.push(Effect::Pager(text));
    }
}

pub fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}
