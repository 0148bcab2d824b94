//! The explorer's side of search: typing in the search line, taking results from the
//! worker, jumping to a hit, stepping with n/N, and filtering the tree.

use crate::search::{FieldKind, Found, Hit, Query, Scope};
use crate::tui::app::{App, Effect, Focus, Overlay, Screen};
use crate::tui::keymap::Key;
use ratatui::crossterm::event::{KeyCode, KeyModifiers};

impl App {
    /// Opens the search line, scoped to the open trace when one is open.
    pub(crate) fn open_search(&mut self) {
        self.overlay = Overlay::Search;
        if self.screen != Screen::Trace {
            self.search.all_traces = true;
        }
    }

    /// Keys while the search line is open: text goes into the query.
    pub(crate) fn search_key(&mut self, key: Key) -> bool {
        let ctrl = key.mods.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => self.overlay = Overlay::None,
            KeyCode::Enter => {
                let i = self.search.selected;
                self.overlay = Overlay::None;
                self.jump_to_hit(i);
            }
            KeyCode::Down => self.search.move_by(1),
            KeyCode::Up => self.search.move_by(-1),
            KeyCode::PageDown => self.search.move_by(self.search.height as isize),
            KeyCode::PageUp => self.search.move_by(-(self.search.height as isize)),
            KeyCode::Tab | KeyCode::BackTab => {
                if self.tree.is_some() {
                    self.search.all_traces = !self.search.all_traces;
                    self.restart_search();
                }
            }
            KeyCode::Char('f') if ctrl => {
                self.overlay = Overlay::None;
                self.apply_filter();
            }
            KeyCode::Char('u') if ctrl => self.edit_query(|q| q.clear()),
            KeyCode::Char('w') if ctrl => self.edit_query(|q| {
                let keep = q.trim_end().rfind(' ').map_or(0, |i| i + 1);
                q.truncate(keep);
            }),
            KeyCode::Char('c') if ctrl => self.should_quit = true,
            KeyCode::Char(c) if !ctrl => self.edit_query(|q| q.push(c)),
            KeyCode::Backspace => self.edit_query(|q| {
                q.pop();
            }),
            _ => return false,
        }
        true
    }

    fn edit_query(&mut self, f: impl FnOnce(&mut String)) {
        f(&mut self.search.input);
        self.search.selected = 0;
        self.search.offset = 0;
        self.restart_search();
    }

    fn scope(&self) -> Scope {
        match (&self.tree, self.search.all_traces) {
            (Some(t), false) => Scope::Trace(t.trace),
            _ => Scope::All,
        }
    }

    /// Parses the typed query and asks the runtime to run it. An empty query also clears
    /// the filter; a query that does not parse clears the hits of the one before.
    fn restart_search(&mut self) {
        let text = self.search.input.clone();
        if text.trim().is_empty() {
            self.drop_hits(None);
            self.clear_filter();
            return;
        }
        match Query::parse(&text) {
            Ok(q) => {
                self.search.error = None;
                let req = self.search.next_request(q, self.scope(), false);
                self.effects.push(Effect::Search(req));
            }
            Err(e) => self.drop_hits(Some(e.to_string())),
        }
    }

    /// Forgets the hits shown (results still in flight are dropped by their generation).
    fn drop_hits(&mut self, error: Option<String>) {
        let s = &mut self.search;
        s.generation += 1;
        s.found = Found::default();
        s.error = error;
        s.running = false;
        s.current = None;
    }

    /// Takes results from the search worker (stale generations are dropped).
    pub fn on_search_found(&mut self, generation: u64, found: Found, as_filter: bool) -> bool {
        let complete = found.done;
        if !self.search.accept(generation, found) {
            return false;
        }
        if as_filter && complete {
            self.set_filter_from_hits();
        }
        true
    }

    /// Opens the hit's trace, reveals its span, and scrolls the detail pane to the match.
    pub fn jump_to_hit(&mut self, i: usize) {
        let Some(hit) = self.search.found.hits.get(i).cloned() else {
            self.status = Some("no hits".into());
            return;
        };
        let set = self.set.clone();
        let trace = set.trace_of(hit.span);
        if self.tree.as_ref().is_none_or(|t| t.trace != trace) {
            self.open_trace(trace);
        }
        if let Some(tree) = self.tree.as_mut() {
            tree.reveal(&set, hit.span);
        }
        self.sync_detail();
        self.detail.ensure_layout(&set, &self.theme);
        self.detail
            .reveal_match(section_for(&hit), &matched_text(&hit));
        self.focus = if hit.field == FieldKind::Name {
            Focus::Tree
        } else {
            Focus::Detail
        };
        self.search.current = Some(i);
        let total = self.search.found.total;
        self.status = Some(format!(
            "hit {} of {total}: {} in {}",
            i + 1,
            hit.field_label(),
            crate::inert::line(set.span_name(hit.span))
        ));
    }

    /// n / N: the next or previous hit, wrapping.
    pub(crate) fn step_hit(&mut self, forward: bool) -> bool {
        let n = self.search.found.hits.len();
        if n == 0 {
            self.status = Some("no search hits: / searches".into());
            return true;
        }
        let next = match (self.search.current, forward) {
            (None, _) => 0,
            (Some(c), true) => (c + 1) % n,
            (Some(c), false) => (c + n - 1) % n,
        };
        self.jump_to_hit(next);
        true
    }

    /// F: filter the tree by the current query, or clear the filter.
    pub(crate) fn toggle_filter(&mut self) {
        if !self.clear_filter() {
            self.apply_filter();
        }
    }

    /// Shows every span again. False when no filter was on.
    fn clear_filter(&mut self) -> bool {
        if self.search.filter.take().is_none() {
            return false;
        }
        let set = self.set.clone();
        if let Some(tree) = self.tree.as_mut() {
            tree.set_filter(&set, None);
        }
        self.status = Some("filter cleared: every span is shown".into());
        true
    }

    /// Runs the query over the open trace with no limit and filters when it completes.
    /// With an empty query, clears the filter instead.
    fn apply_filter(&mut self) {
        let Some(trace) = self.tree.as_ref().map(|t| t.trace) else {
            self.status = Some("open a trace to filter it".into());
            return;
        };
        if self.search.input.trim().is_empty() {
            if !self.clear_filter() {
                self.status = Some("type a search first (/), then filter with F or Ctrl-f".into());
            }
            return;
        }
        match Query::parse(&self.search.input) {
            Ok(q) => {
                let req = self.search.next_request(q, Scope::Trace(trace), true);
                self.effects.push(Effect::Search(req));
                self.status = Some("filtering…".into());
            }
            Err(e) => self.status = Some(format!("cannot filter: {e}")),
        }
    }

    /// Keeps matching spans and their ancestors; everything else is hidden.
    fn set_filter_from_hits(&mut self) {
        let set = self.set.clone();
        let Some(tree) = self.tree.as_mut() else {
            return;
        };
        let (base, end) = tree.span_range();
        let mut keep = vec![false; (end - base) as usize];
        // A span can match in several fields: the status counts spans, not hits.
        let mut matched = 0usize;
        let mut is_match = vec![false; keep.len()];
        for h in &self.search.found.hits {
            if let Some(m) = tree
                .contains(h.span)
                .then(|| &mut is_match[(h.span.0 - base) as usize])
                && !*m
            {
                *m = true;
                matched += 1;
            }
            let mut cur = Some(h.span);
            while let Some(s) = cur.filter(|s| tree.contains(*s)) {
                let slot = &mut keep[(s.0 - base) as usize];
                if *slot {
                    break;
                }
                *slot = true;
                cur = set.span(s).parent();
            }
        }
        tree.set_filter(&set, Some(keep));
        let hidden = tree.hidden_by_filter();
        self.search.filter = Some(self.search.input.clone());
        self.status = Some(format!(
            "filter: {matched} matching span{}, {hidden} span{} hidden (F clears)",
            crate::tui::app::plural(matched as u32),
            crate::tui::app::plural(hidden as u32)
        ));
        self.sync_detail();
    }
}

/// The detail section a hit's field is shown in.
fn section_for(hit: &Hit) -> &'static [&'static str] {
    match hit.field {
        FieldKind::Name | FieldKind::Kind | FieldKind::Model | FieldKind::Tool => &["Span"],
        FieldKind::Prompt => &["Messages", "Input"],
        FieldKind::Output => &["Messages", "Output"],
        FieldKind::ToolArgs => &["Tool call", "Messages", "Input"],
        FieldKind::ToolResult => &["Tool call", "Messages", "Output"],
        FieldKind::Error => &["Error"],
        FieldKind::Attribute => &["Attributes"],
    }
}

/// The text to look for in the detail: the longest matched run, else the snippet.
fn matched_text(hit: &Hit) -> String {
    let chars: Vec<char> = hit.snippet.chars().collect();
    let longest = hit.ranges.iter().max_by_key(|r| r.1 - r.0);
    match longest {
        Some(&(a, b)) if b - a >= 3 && b <= chars.len() => chars[a..b].iter().collect(),
        _ => {
            let s = hit.snippet.trim_start_matches('…');
            let s = s.split_once(": ").map_or(s, |(_, rest)| rest);
            s.chars().take(24).collect()
        }
    }
}
