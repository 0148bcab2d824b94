//! Taking a new live snapshot without losing the user's place: the trace list keeps its
//! sort, filter, marks and cursor (by trace id); an open trace keeps its cursor, folds
//! and zoom (by span id). A snapshot that arrives while a popup, the query line or a
//! worker's view (diff, step table, flame chart) is open waits until it closes, so what
//! those show stays consistent with the set they were computed on.

use super::{LiveState, Update};
use crate::model::{SpanIx, TraceIx, TraceSet};
use crate::tui::app::{App, Focus, Overlay, Screen};
use crate::tui::tree::SpanTree;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

impl App {
    /// Takes an update from the live source: counts and notices at once, the snapshot as
    /// soon as nothing open depends on the set shown.
    pub fn on_live(&mut self, u: Update) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        if u.counts.is_some() {
            live.counts = u.counts;
        }
        if let Some(set) = u.set {
            live.waiting = Some(Box::new(set));
        }
        if let Some(last) = u.notices.last() {
            self.status = Some(last.clone());
        }
        self.take_live_snapshot();
    }

    /// Installs the snapshot waiting, if any, when nothing open depends on the set shown.
    pub fn take_live_snapshot(&mut self) {
        if !self.can_take_snapshot() {
            return;
        }
        let Some(set) = self.live.as_mut().and_then(|l| l.waiting.take()) else {
            return;
        };
        let (before, after) = (self.set.total_spans(), set.total_spans());
        self.replace_set(*set);
        if let Some(live) = self.live.as_mut() {
            live.spans = after;
            if after != before {
                live.grew_at = Some(Instant::now());
            }
        }
    }

    fn can_take_snapshot(&self) -> bool {
        matches!(self.screen, Screen::Traces | Screen::Trace)
            && self.overlay != Overlay::Search
            && self.note.is_none()
            && self.trace_query.is_none()
            && self.traces_pending.is_none()
            && self.sessions_pending.is_none()
            && self.diff_pending.is_none()
    }

    /// Shows `set` in place of the current one, keeping the list and the open trace as
    /// they were where the same traces and spans are still there.
    fn replace_set(&mut self, set: TraceSet) {
        let old = self.set.clone();
        let list = ListPlace::of(self, &old);
        let tree = self
            .tree
            .as_ref()
            .map(|t| TreePlace::of(&old, t, &self.detail));
        let (screen, focus, overlay) = (self.screen, self.focus, self.overlay);
        self.install(Arc::new(set));
        self.overlay = overlay;
        let set = self.set.clone();
        list.restore(self, &set);
        self.screen = screen;
        self.focus = focus;
        if let Some(place) = tree {
            place.restore(self, &set);
        }
    }
}

/// The trace list's state, by trace id.
struct ListPlace {
    list: crate::tui::traces::TraceList,
    selected: Option<String>,
    marked: Vec<String>,
    /// The traces the filter kept, while one is set.
    kept: Option<Vec<String>>,
    sessions: Option<HashMap<String, Option<String>>>,
}

impl ListPlace {
    fn of(app: &App, set: &TraceSet) -> ListPlace {
        let id = |t: TraceIx| set.trace_id(t).to_owned();
        let l = &app.traces;
        let sessions = l.sessions.as_ref().map(|s| {
            (0..set.traces.len() as u32)
                .map(|t| (id(TraceIx(t)), s.get(t as usize).cloned().flatten()))
                .collect()
        });
        ListPlace {
            list: l.clone(),
            selected: l.selected().map(id),
            marked: l.marked.iter().map(|&t| id(t)).collect(),
            kept: (l.filter.is_some()).then(|| l.order.iter().map(|&t| id(TraceIx(t))).collect()),
            sessions,
        }
    }

    fn restore(self, app: &mut App, set: &TraceSet) {
        let ix = index_by_id(set);
        let find = |id: &String| ix.get(id.as_str()).copied();
        let l = &mut app.traces;
        (l.sort, l.descending, l.by_session) =
            (self.list.sort, self.list.descending, self.list.by_session);
        (l.filter, l.offset, l.height) = (self.list.filter, self.list.offset, self.list.height);
        l.sessions = self.sessions.map(|by_id| {
            let ids = (0..set.traces.len() as u32).map(|t| set.trace_id(TraceIx(t)));
            ids.map(|id| by_id.get(id).cloned().flatten()).collect()
        });
        if let Some(kept) = &self.kept {
            // Until the filter runs again on the new set, the traces it kept stay listed.
            l.order = kept.iter().filter_map(&find).collect();
        }
        l.marked = self.marked.iter().filter_map(&find).map(TraceIx).collect();
        l.cursor = 0;
        l.resort(set);
        if let Some(p) = (self.selected.as_ref().and_then(&find))
            .and_then(|t| l.order.iter().position(|&o| o == t))
        {
            l.cursor = p;
        } else {
            l.cursor = self.list.cursor.min(l.order.len().saturating_sub(1));
        }
        if let Some(text) = l.filter.clone() {
            app.refilter(&text);
        }
        if app.traces.by_session && app.traces.sessions.is_some() {
            // The known traces stay grouped; the new ones' sessions are read with the rest.
            app.regroup();
        }
    }
}

/// Each trace's index by its id.
fn index_by_id(set: &TraceSet) -> HashMap<&str, u32> {
    (0..set.traces.len() as u32)
        .map(|t| (set.trace_id(TraceIx(t)), t))
        .collect()
}

/// An open trace's state, by span id.
struct TreePlace {
    trace: String,
    selected: Option<String>,
    /// The selected row's distance from the top of the pane.
    row_on_screen: usize,
    collapsed: Vec<String>,
    zoom: Option<String>,
    /// The detail pane showed the selected span: its scroll is kept.
    detail: Option<(usize, usize)>,
}

impl TreePlace {
    fn of(set: &TraceSet, tree: &SpanTree, detail: &crate::tui::detail::DetailPane) -> TreePlace {
        let id = |s: SpanIx| set.span_id(s).to_owned();
        let selected = tree.selected();
        TreePlace {
            trace: set.trace_id(tree.trace).to_owned(),
            selected: selected.map(id),
            row_on_screen: tree.cursor.saturating_sub(tree.offset),
            collapsed: tree.collapsed_spans().map(id).collect(),
            zoom: tree.zoom.map(|z| id(z.root)),
            detail: (detail.span == selected && selected.is_some())
                .then_some((detail.cursor, detail.offset)),
        }
    }

    fn restore(self, app: &mut App, set: &TraceSet) {
        let Some(t) = set.find_trace(&self.trace) else {
            // The trace is gone (a rotated file): back to the list.
            app.tree = None;
            if app.screen == Screen::Trace {
                app.screen = Screen::Traces;
                app.focus = Focus::Tree;
            }
            return;
        };
        let spans: HashMap<&str, SpanIx> = set
            .trace(t)
            .spans()
            .map(|i| SpanIx(i as u32))
            .map(|s| (set.span_id(s), s))
            .collect();
        let find = |id: &String| spans.get(id.as_str()).copied();
        let mut tree = SpanTree::new(set, t);
        let collapsed: Vec<SpanIx> = self.collapsed.iter().filter_map(find).collect();
        tree.collapse_spans(set, &collapsed);
        if let Some(root) = self.zoom.as_ref().and_then(find) {
            tree.reveal(set, root);
            tree.toggle_zoom(set);
        }
        let selected = self.selected.as_ref().and_then(find);
        if let Some(s) = selected {
            tree.reveal(set, s);
        }
        tree.offset = tree.cursor.saturating_sub(self.row_on_screen);
        let now = tree.selected();
        app.tree = Some(tree);
        app.detail.span = None;
        app.detail.select(set, now);
        if let (Some((cursor, offset)), true) = (self.detail, selected.is_some()) {
            (app.detail.cursor, app.detail.offset) = (cursor, offset);
        }
    }
}

/// For tests: a live app with `label`, as `run_live` makes it.
pub fn live_app(
    set: TraceSet,
    label: &str,
    keymap: crate::tui::keymap::KeyMap,
    theme: crate::tui::theme::Theme,
) -> App {
    let mut app = App::new(set, keymap, theme);
    app.live = Some(LiveState::new(label));
    app
}
