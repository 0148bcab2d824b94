//! The search line and its results: what was typed, the request in flight, the hits so far,
//! and the selected hit. Text input bypasses the key map while the line is open.

mod keys;
pub mod view;
pub mod worker;

use crate::search::{Found, Query, Scope};

/// A search for the runtime to start: results come back tagged with `generation`.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub generation: u64,
    pub query: Query,
    pub scope: Scope,
    pub limit: usize,
    /// Apply the result as a filter of the tree when it is complete.
    pub as_filter: bool,
}

/// Hits kept for the results list and n/N.
pub const LIST_LIMIT: usize = 5_000;

/// State of the search line and results.
#[derive(Clone, Debug, Default)]
pub struct SearchState {
    /// The query as typed.
    pub input: String,
    /// Search every loaded trace (else only the open trace).
    pub all_traces: bool,
    pub generation: u64,
    /// The query last sent, and its parse error if it did not parse.
    pub query: Option<Query>,
    pub error: Option<String>,
    pub found: Found,
    pub running: bool,
    pub selected: usize,
    pub offset: usize,
    pub height: usize,
    /// The hit n/N last moved to.
    pub current: Option<usize>,
    /// The active tree filter's query text, if a filter is on.
    pub filter: Option<String>,
}

impl SearchState {
    /// Forgets the query and its hits (the trace set they point into is being replaced);
    /// results still in flight are dropped by their generation.
    pub fn reset(&mut self) {
        *self = SearchState {
            generation: self.generation + 1,
            ..SearchState::default()
        };
    }

    /// Starts a new generation for `query`; stale results will be dropped.
    pub fn next_request(&mut self, query: Query, scope: Scope, as_filter: bool) -> Request {
        self.generation += 1;
        self.running = true;
        self.query = Some(query.clone());
        let limit = if as_filter { usize::MAX } else { LIST_LIMIT };
        Request {
            generation: self.generation,
            query,
            scope,
            limit,
            as_filter,
        }
    }

    /// Takes results if they belong to the current search. Returns true when taken.
    pub fn accept(&mut self, generation: u64, found: Found) -> bool {
        if generation != self.generation {
            return false;
        }
        self.running = !found.done;
        self.found = found;
        self.selected = self.selected.min(self.found.hits.len().saturating_sub(1));
        true
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.found.hits.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn scroll_into_view(&mut self, height: usize) {
        self.height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + self.height {
            self.offset = self.selected + 1 - self.height;
        }
    }
}
