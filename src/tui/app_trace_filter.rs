//! The trace list's query line and session grouping: `f` types a trace-level query
//! (`status:error dur>5s session:abc`), parsed at once so an unknown predicate is an error
//! on the line, and run by the stats worker; `c` groups the list by session.

use super::app::{App, Effect};
use super::keymap::Key;
use super::steps::job::{StatsJob, TracesDone};
use crate::stats::TraceFilter;
use ratatui::crossterm::event::{KeyCode, KeyModifiers};

/// The query line while it is open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryLine {
    pub input: String,
    /// Why the input does not parse, shown under it.
    pub error: Option<String>,
}

impl App {
    /// `f` in the trace list: opens the query line on the current filter.
    pub(super) fn open_trace_query(&mut self) -> bool {
        let input = self.traces.filter.clone().unwrap_or_default();
        self.trace_query = Some(QueryLine { input, error: None });
        true
    }

    /// Keys while the query line is open. Enter applies (an empty query clears), Esc
    /// leaves the filter as it was.
    pub(super) fn trace_query_key(&mut self, key: Key) -> bool {
        let Some(line) = self.trace_query.as_mut() else {
            return false;
        };
        let ctrl = key.mods.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => self.trace_query = None,
            KeyCode::Enter => {
                let text = line.input.trim().to_owned();
                self.apply_trace_query(&text);
            }
            KeyCode::Char('c') if ctrl => self.should_quit = true,
            KeyCode::Char('u') if ctrl => line.input.clear(),
            KeyCode::Char(c) if !ctrl => line.input.push(c),
            KeyCode::Backspace => {
                line.input.pop();
            }
            _ => return false,
        }
        if let Some(line) = self.trace_query.as_mut() {
            // Checked as it is typed: the error shows before Enter is pressed.
            line.error = TraceFilter::parse(&line.input).err().map(|e| e.to_string());
        }
        true
    }

    fn apply_trace_query(&mut self, text: &str) {
        if text.is_empty() {
            self.trace_query = None;
            self.traces.filter = None;
            let set = self.set.clone();
            self.traces.set_kept(&set, None);
            self.status = Some(format!("filter cleared: {} traces", self.set.traces.len()));
            return;
        }
        match TraceFilter::parse(text) {
            Ok(filter) => {
                self.trace_query = None;
                self.traces.filter = Some(text.to_owned());
                self.request_traces(Some(filter), false);
                self.status = Some(format!("filtering traces by {}…", crate::inert::line(text)));
            }
            Err(e) => {
                if let Some(line) = self.trace_query.as_mut() {
                    line.error = Some(e.to_string());
                }
            }
        }
    }

    /// `c` in the trace list: groups by session, or lists flat again.
    pub(super) fn toggle_session_groups(&mut self) -> bool {
        self.traces.by_session = !self.traces.by_session;
        if !self.traces.by_session {
            let set = self.set.clone();
            self.traces.resort(&set);
            self.status = Some("traces listed flat".into());
        } else if self.traces.sessions.is_some() {
            let set = self.set.clone();
            self.traces.resort(&set);
            self.status = Some("traces grouped by session".into());
        } else {
            self.request_traces(None, true);
            self.status = Some("reading the traces' sessions…".into());
        }
        true
    }

    fn request_traces(&mut self, filter: Option<TraceFilter>, sessions: bool) {
        self.stats_requests += 1;
        let generation = self.stats_requests;
        if filter.is_some() {
            self.traces_pending = Some(generation);
        } else {
            self.sessions_pending = Some(generation);
        }
        self.effects.push(Effect::Stats(StatsJob::Traces {
            set: self.set.clone(),
            filter,
            sessions,
            generation,
        }));
    }

    /// Runs the list's filter again (on a new live snapshot).
    pub(super) fn refilter(&mut self, text: &str) {
        if let Ok(filter) = TraceFilter::parse(text) {
            self.request_traces(Some(filter), false);
        }
    }

    /// Reads the traces' sessions again (on a new live snapshot).
    pub(super) fn regroup(&mut self) {
        self.request_traces(None, true);
    }

    /// Takes the worker's filter result or sessions.
    pub(super) fn on_traces_done(&mut self, generation: u64, r: TracesDone) {
        let set = self.set.clone();
        if self.sessions_pending == Some(generation) {
            self.sessions_pending = None;
            self.traces.sessions = r.sessions;
            self.traces.resort(&set);
            let n = self.traces.sessions.as_ref().map_or(0, |s| {
                let mut ids: Vec<&String> = s.iter().flatten().collect();
                ids.sort_unstable();
                ids.dedup();
                ids.len()
            });
            if self.traces.by_session {
                self.status = Some(format!("traces grouped by session ({n} sessions)"));
            }
        }
        if self.traces_pending == Some(generation) {
            self.traces_pending = None;
            let kept = r.kept.unwrap_or_default();
            let n = kept.len();
            self.traces.set_kept(&set, Some(kept));
            self.status = Some(format!(
                "{n} of {} traces match (f edits, empty clears)",
                set.traces.len()
            ));
        }
    }
}
