//! The trace list shown while a large file loads, built from the loader's running tallies:
//! traces merged by id, errors first, then the slowest. The user can browse it and pick a
//! trace, which opens as soon as the load ends.

use crate::load::preview::TraceTally;
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct LoadingList {
    rows: Vec<TraceTally>,
    by_id: HashMap<String, usize>,
    /// Row indexes, errors first, then longest.
    pub order: Vec<u32>,
    /// The selected trace, by id: it keeps its place in the user's eye as rows re-sort.
    selected: Option<String>,
    pub offset: usize,
    pub height: usize,
    /// The trace to open when loading ends.
    pub pick: Option<String>,
    /// Whether the user moved the selection (then it carries over to the loaded list).
    pub browsed: bool,
}

/// How many traces the loading list ranks and shows.
pub const SHOWN: usize = 10_000;

impl LoadingList {
    /// Adds one block's tallies.
    pub fn absorb(&mut self, tallies: &[TraceTally]) {
        if tallies.is_empty() {
            return;
        }
        for t in tallies {
            match self.by_id.get(&t.trace_id) {
                Some(&i) => self.rows[i].absorb(t),
                None => {
                    self.by_id.insert(t.trace_id.clone(), self.rows.len());
                    self.rows.push(t.clone());
                }
            }
        }
        // Listed: the SHOWN traces with the most errors, then the longest. Picking them is
        // linear, so a file of a million one-span traces does not sort a million rows on
        // the UI thread after every block.
        let rows = &self.rows;
        let rank = |&a: &u32, &b: &u32| {
            let (a, b) = (&rows[a as usize], &rows[b as usize]);
            (b.errors, b.duration_ns()).cmp(&(a.errors, a.duration_ns()))
        };
        self.order = (0..rows.len() as u32).collect();
        if self.order.len() > SHOWN {
            self.order.select_nth_unstable_by(SHOWN, rank);
            self.order.truncate(SHOWN);
        }
        self.order.sort_by(rank);
        if self.selected.is_none() {
            self.selected = self.row(0).map(|t| t.trace_id.clone());
        }
    }

    /// Rows listed (at most `SHOWN`).
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Traces seen so far, listed or not.
    pub fn traces_seen(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The tally shown at position `i` of the list.
    pub fn row(&self, i: usize) -> Option<&TraceTally> {
        self.order.get(i).map(|&r| &self.rows[r as usize])
    }

    /// The position of the selected trace in the current order.
    pub fn cursor(&self) -> usize {
        let Some(id) = &self.selected else {
            return 0;
        };
        let at = self.by_id.get(id).copied().unwrap_or(0) as u32;
        self.order.iter().position(|&r| r == at).unwrap_or(0)
    }

    pub fn selected_id(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.is_empty() {
            return;
        }
        let last = self.len() as isize - 1;
        let to = (self.cursor() as isize + delta).clamp(0, last) as usize;
        self.selected = self.row(to).map(|t| t.trace_id.clone());
        self.browsed = true;
    }

    /// Keeps the cursor row within the `height` rows shown.
    pub fn scroll_into_view(&mut self, height: usize) {
        self.height = height.max(1);
        self.offset = super::scroll::keep_visible(self.offset, self.cursor(), self.height);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: &str, spans: u32, errors: u32, start: i64, end: i64) -> TraceTally {
        TraceTally {
            trace_id: id.into(),
            spans,
            errors,
            start_ns: start,
            end_ns: end,
            ..TraceTally::default()
        }
    }

    #[test]
    fn merges_by_id_and_orders_errors_then_duration_keeping_the_selection() {
        let mut l = LoadingList::default();
        l.absorb(&[t("a", 2, 0, 0, 10), t("b", 1, 0, 0, 50)]);
        assert_eq!(l.row(0).unwrap().trace_id, "b", "slowest first");
        l.move_by(1);
        assert_eq!(l.selected_id(), Some("a"));
        l.absorb(&[t("a", 3, 1, 5, 20), t("c", 1, 0, 0, 5)]);
        let a = l.row(0).unwrap();
        assert_eq!((a.trace_id.as_str(), a.spans, a.errors), ("a", 5, 1));
        assert_eq!((a.start_ns, a.end_ns), (0, 20));
        assert_eq!(l.cursor(), 0, "the selection followed trace a to the top");
        assert_eq!(l.len(), 3);
    }

    #[test]
    fn only_the_top_ranked_are_listed_but_all_are_counted() {
        let mut l = LoadingList::default();
        let many: Vec<TraceTally> = (0..SHOWN + 5)
            .map(|i| t(&i.to_string(), 1, u32::from(i % 1000 == 7), 0, i as i64))
            .collect();
        l.absorb(&many);
        assert_eq!((l.len(), l.traces_seen()), (SHOWN, SHOWN + 5));
        assert!(l.row(0).unwrap().errors == 1, "errors first");
        let listed: Vec<&str> = (0..l.len())
            .map(|i| l.row(i).unwrap().trace_id.as_str())
            .collect();
        assert!(
            !listed.contains(&"0") && !listed.contains(&"1"),
            "the shortest are left out"
        );
    }
}
