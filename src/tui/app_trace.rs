//! The trace screen's side of the explorer: opening a trace, and keys in its span tree
//! and detail pane (folding, zoom, error jumps, sections).

use super::action::Action;
use super::app::{App, Focus, Screen, plural};
use super::detail::DetailPane;
use super::tree::SpanTree;
use crate::model::TraceIx;

impl App {
    /// Opens a trace in the tree view, cursor on its first root.
    pub fn open_trace(&mut self, t: TraceIx) {
        self.trace_from = None;
        let tree = SpanTree::new(&self.set, t);
        let first = tree.selected();
        self.tree = Some(tree);
        let json_tree = self.detail.json_tree;
        self.detail = DetailPane::default();
        self.detail.json_tree = json_tree;
        self.detail.select(&self.set, first);
        self.screen = Screen::Trace;
        self.focus = Focus::Tree;
        let errors = self.set.trace(t).errors;
        if errors > 0 {
            self.status = Some(format!(
                "{errors} error span{} in this trace: ]e jumps to the next",
                plural(errors)
            ));
        }
    }

    pub(super) fn update_trace(&mut self, action: Action) -> bool {
        match action {
            Action::Back => {
                match self.focus {
                    Focus::Detail => self.focus = Focus::Tree,
                    Focus::Tree if self.tree.as_ref().is_some_and(|t| t.zoom.is_some()) => {
                        self.tree.as_mut().unwrap().zoom = None;
                    }
                    // A trace shown while loading goes back to the loading list.
                    Focus::Tree if self.partial.is_some() => self.screen = Screen::Loading,
                    Focus::Tree => self.screen = self.trace_from.take().unwrap_or(Screen::Traces),
                }
                true
            }
            Action::FocusNext => {
                self.focus = if self.focus == Focus::Tree {
                    Focus::Detail
                } else {
                    Focus::Tree
                };
                true
            }
            Action::NextError | Action::PrevError => self.jump_error(action == Action::NextError),
            Action::FlameChart => self.open_flame(),
            Action::ToggleJsonTree => {
                let set = self.set.clone();
                self.detail.toggle_tree(&set, &self.theme);
                true
            }
            _ if self.focus == Focus::Detail => self.update_detail(action),
            _ => self.update_tree(action),
        }
    }

    fn update_tree(&mut self, action: Action) -> bool {
        let set = self.set.clone();
        let Some(tree) = self.tree.as_mut() else {
            return false;
        };
        let page = tree.height.max(1) as isize;
        let sel = tree.selected();
        let changed = match action {
            Action::Down => tree.move_by(1),
            Action::Up => tree.move_by(-1),
            Action::PageDown => tree.move_by(page),
            Action::PageUp => tree.move_by(-page),
            Action::HalfPageDown => tree.move_by(page / 2),
            Action::HalfPageUp => tree.move_by(-page / 2),
            Action::Top => tree.move_to_row(0),
            Action::Bottom => tree.move_to_row(usize::MAX),
            Action::Open => {
                self.focus = Focus::Detail;
                true
            }
            Action::Left => match sel {
                Some(s) if SpanTree::has_children(&set, s) && !tree.is_collapsed(s) => {
                    tree.set_collapsed(&set, s, true)
                }
                Some(s) => match set.span(s).parent() {
                    Some(p) => tree.row_of(p).is_some_and(|r| tree.move_to_row(r)),
                    None => false,
                },
                None => false,
            },
            Action::Right => match sel {
                Some(s) if tree.is_collapsed(s) => tree.set_collapsed(&set, s, false),
                Some(s) if SpanTree::has_children(&set, s) => tree.move_by(1),
                _ => false,
            },
            Action::Toggle => {
                sel.is_some_and(|s| tree.set_collapsed(&set, s, !tree.is_collapsed(s)))
            }
            Action::CollapseAll => {
                tree.set_all(&set, true);
                true
            }
            Action::ExpandAll => {
                tree.set_all(&set, false);
                true
            }
            Action::ExpandSubtree | Action::CollapseSubtree => match sel {
                Some(s) => {
                    tree.set_subtree(&set, s, action == Action::CollapseSubtree);
                    true
                }
                None => false,
            },
            Action::ExpandDepth1 | Action::ExpandDepth2 | Action::ExpandDepth3 => {
                tree.expand_to_depth(&set, depth_of(action));
                true
            }
            Action::ExpandDepth4 | Action::ExpandDepth5 => {
                tree.expand_to_depth(&set, depth_of(action));
                true
            }
            Action::Zoom => {
                tree.toggle_zoom(&set);
                self.status = Some(match tree.zoom {
                    Some(z) => format!(
                        "timeline zoomed to {} (z or Esc: whole trace)",
                        set.span_name(z.root)
                    ),
                    None => "timeline shows the whole trace".into(),
                });
                true
            }
            _ => false,
        };
        self.sync_detail();
        changed
    }

    fn update_detail(&mut self, action: Action) -> bool {
        let page = self.detail.height.max(1) as isize;
        let d = &mut self.detail;
        match action {
            Action::Down => d.move_by(1),
            Action::Up => d.move_by(-1),
            Action::PageDown => d.move_by(page),
            Action::PageUp => d.move_by(-page),
            Action::HalfPageDown => d.move_by(page / 2),
            Action::HalfPageUp => d.move_by(-page / 2),
            Action::Top => {
                d.to_top();
                true
            }
            Action::Bottom => {
                d.to_bottom();
                true
            }
            Action::NextSection => d.jump_section(true),
            Action::PrevSection => d.jump_section(false),
            Action::Toggle | Action::Open if d.json_tree => d.tree_state.toggle_selected(),
            Action::Left if d.json_tree => d.tree_state.key_left(),
            Action::Right if d.json_tree => d.tree_state.key_right(),
            _ => false,
        }
    }

    /// Keeps the detail pane on the tree's selected span.
    pub(super) fn sync_detail(&mut self) {
        let sel = self.tree.as_ref().and_then(SpanTree::selected);
        let set = self.set.clone();
        self.detail.select(&set, sel);
    }

    fn jump_error(&mut self, forward: bool) -> bool {
        let set = self.set.clone();
        let Some(tree) = self.tree.as_mut() else {
            return false;
        };
        let Some(target) = tree.find_error(&set, forward) else {
            self.status = Some("no error spans in this trace".into());
            return false;
        };
        tree.reveal(&set, target);
        let (a, _) = tree.span_range();
        let errors: Vec<u32> = set.spans[set.trace(tree.trace).spans()]
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_error())
            .map(|(i, _)| a + i as u32)
            .collect();
        let nth = errors
            .iter()
            .position(|&e| e == target.0)
            .map_or(0, |p| p + 1);
        self.status = Some(format!(
            "error {nth} of {}: {}",
            errors.len(),
            crate::inert::line(set.span_name(target))
        ));
        self.sync_detail();
        if self.focus == Focus::Detail {
            self.detail.goto_section("Error");
        }
        true
    }
}

/// The depth an expand-to-depth action asks for.
fn depth_of(a: Action) -> u32 {
    match a {
        Action::ExpandDepth1 => 1,
        Action::ExpandDepth2 => 2,
        Action::ExpandDepth3 => 3,
        Action::ExpandDepth4 => 4,
        _ => 5,
    }
}
