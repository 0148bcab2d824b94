//! The trace list: one row per trace, sortable, with marks for the diff view.

use crate::model::{TraceIx, TraceSet};

/// Columns the trace list can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Start,
    Duration,
    Errors,
    Tokens,
    Spans,
    Name,
}

impl SortKey {
    pub const ALL: [SortKey; 6] = [
        SortKey::Start,
        SortKey::Duration,
        SortKey::Errors,
        SortKey::Tokens,
        SortKey::Spans,
        SortKey::Name,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Start => "start",
            SortKey::Duration => "duration",
            SortKey::Errors => "errors",
            SortKey::Tokens => "tokens",
            SortKey::Spans => "spans",
            SortKey::Name => "name",
        }
    }

    fn next(self) -> SortKey {
        let i = SortKey::ALL.iter().position(|k| *k == self).unwrap_or(0);
        SortKey::ALL[(i + 1) % SortKey::ALL.len()]
    }
}

/// State of the trace list.
#[derive(Debug, Clone)]
pub struct TraceList {
    /// Trace indices in display order.
    pub order: Vec<u32>,
    pub sort: SortKey,
    pub descending: bool,
    pub cursor: usize,
    pub offset: usize,
    pub height: usize,
    pub marked: Vec<TraceIx>,
    /// The trace-level query the list is filtered by, if any.
    pub filter: Option<String>,
    /// Session id of every trace, once the worker has read them (for grouping).
    pub sessions: Option<Vec<Option<String>>>,
    /// Rows are grouped by session (then by the sort key) when the sessions are known.
    pub by_session: bool,
    /// Metadata of the traces shown so far (read when a row is first drawn).
    pub meta: std::collections::HashMap<u32, crate::model::TraceMeta>,
}

impl TraceList {
    pub fn new(set: &TraceSet) -> TraceList {
        let mut list = TraceList {
            order: (0..set.traces.len() as u32).collect(),
            sort: SortKey::Start,
            descending: false,
            cursor: 0,
            offset: 0,
            height: 20,
            marked: Vec::new(),
            filter: None,
            sessions: None,
            by_session: false,
            meta: Default::default(),
        };
        list.resort(set);
        list
    }

    pub fn selected(&self) -> Option<TraceIx> {
        self.order.get(self.cursor).map(|&t| TraceIx(t))
    }

    /// Sorts by the current key; the selected trace stays selected.
    pub fn resort(&mut self, set: &TraceSet) {
        let selected = self.selected();
        let key = self.sort;
        self.order.sort_by(|&a, &b| {
            let (ta, tb) = (&set.traces[a as usize], &set.traces[b as usize]);
            let ord = match key {
                SortKey::Start => ta.start_ns.cmp(&tb.start_ns),
                SortKey::Duration => ta.duration_ns().cmp(&tb.duration_ns()),
                SortKey::Errors => ta.errors.cmp(&tb.errors),
                SortKey::Tokens => ta.total_tokens.cmp(&tb.total_tokens),
                SortKey::Spans => ta.span_count().cmp(&tb.span_count()),
                SortKey::Name => set.str(ta.name).cmp(set.str(tb.name)),
            };
            ord.then(a.cmp(&b))
        });
        if self.descending {
            self.order.reverse();
        }
        self.group_by_session();
        if let Some(sel) = selected {
            self.cursor = self.order.iter().position(|&t| t == sel.0).unwrap_or(0);
        }
    }

    pub fn cycle_sort(&mut self, set: &TraceSet) {
        self.sort = self.sort.next();
        // Biggest first is what one wants for everything but start time and name.
        self.descending = !matches!(self.sort, SortKey::Start | SortKey::Name);
        self.resort(set);
    }

    pub fn reverse(&mut self, set: &TraceSet) {
        self.descending = !self.descending;
        self.resort(set);
    }

    pub fn move_by(&mut self, delta: isize) -> bool {
        let last = self.order.len().saturating_sub(1);
        let new = self.cursor.saturating_add_signed(delta).min(last);
        std::mem::replace(&mut self.cursor, new) != new
    }

    /// Marks or unmarks the selected trace; at most two marks are kept (the oldest drops).
    pub fn toggle_mark(&mut self) {
        let Some(t) = self.selected() else { return };
        if let Some(i) = self.marked.iter().position(|m| *m == t) {
            self.marked.remove(i);
        } else {
            self.marked.push(t);
            if self.marked.len() > 2 {
                self.marked.remove(0);
            }
        }
    }

    pub fn scroll_into_view(&mut self, height: usize) {
        self.height = height.max(1);
        self.offset = super::scroll::keep_visible_filled(
            self.offset,
            self.cursor,
            self.height,
            self.order.len(),
        );
    }
}

impl TraceList {
    /// Keeps the sorted order within sessions and brings each session's traces together,
    /// sessions in the order their first trace comes; traces without one come last.
    fn group_by_session(&mut self) {
        let Some(sessions) = self.sessions.as_ref().filter(|_| self.by_session) else {
            return;
        };
        let mut first: std::collections::HashMap<&str, usize> = Default::default();
        for (i, &t) in self.order.iter().enumerate() {
            if let Some(s) = &sessions[t as usize] {
                first.entry(s.as_str()).or_insert(i);
            }
        }
        let rank = |t: u32| {
            sessions[t as usize]
                .as_deref()
                .map_or(usize::MAX, |s| first[s])
        };
        // A stable sort keeps the sort key's order inside each session.
        self.order.sort_by_key(|&t| rank(t));
    }

    /// The session of trace `t`, when the sessions are known.
    pub fn session_of(&self, t: u32) -> Option<&str> {
        self.sessions.as_ref()?.get(t as usize)?.as_deref()
    }

    /// Shows only `kept` (trace indices), or every trace again; the selection stays when
    /// it is still listed.
    pub fn set_kept(&mut self, set: &TraceSet, kept: Option<Vec<u32>>) {
        let before = self.selected();
        self.order = kept.unwrap_or_else(|| (0..set.traces.len() as u32).collect());
        self.cursor = 0;
        self.offset = 0;
        self.resort(set);
        if let Some(p) = before.and_then(|b| self.order.iter().position(|&t| t == b.0)) {
            self.cursor = p;
        }
    }

    /// Metadata of trace `t`, read once and kept (only rows on screen ask for it).
    pub fn meta_of(&mut self, set: &TraceSet, t: u32) -> &crate::model::TraceMeta {
        self.meta
            .entry(t)
            .or_insert_with(|| set.trace_meta(TraceIx(t)))
    }
}
