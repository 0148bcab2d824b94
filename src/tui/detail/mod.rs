//! The detail pane's state: the selected span decoded once, laid out as styled lines for
//! the pane's width (rebuilt only when the span or the width changes), a line cursor, and
//! the copyable value under each line. Render slices the cached lines: O(screen).

mod builder;
pub mod doc;
pub mod json_tree;
pub mod view;

use super::theme::Theme;
use crate::model::detail::{SpanDetail, detail};
use crate::model::{SpanIx, TraceSet};
use ratatui::text::Line;
use serde_json::Value;
use tui_tree_widget::{TreeItem, TreeState};

/// A value the user can copy or open in the pager.
#[derive(Clone, Debug, PartialEq)]
pub struct Copyable {
    pub label: String,
    pub text: String,
}

/// One laid-out line and the copyable value it belongs to.
#[derive(Clone, Debug)]
pub struct DetailLine {
    pub line: Line<'static>,
    pub value: Option<usize>,
}

/// What `detail_doc` lays out for a span.
#[derive(Clone, Debug, Default)]
pub struct Doc {
    pub lines: Vec<DetailLine>,
    pub values: Vec<Copyable>,
    /// Section titles and their first line.
    pub sections: Vec<(String, usize)>,
}

/// State of the detail pane.
#[derive(Default)]
pub struct DetailPane {
    pub span: Option<SpanIx>,
    pub detail: Option<SpanDetail>,
    pub doc: Doc,
    built_for: Option<(SpanIx, u16)>,
    pub cursor: usize,
    pub offset: usize,
    pub height: usize,
    /// Show the span as a collapsible JSON tree instead of text.
    pub json_tree: bool,
    pub tree_json: Value,
    pub tree_items: Vec<TreeItem<'static, String>>,
    pub tree_state: TreeState<String>,
}

impl DetailPane {
    /// Points the pane at `span`, decoding it (once per selection).
    pub fn select(&mut self, set: &TraceSet, span: Option<SpanIx>) {
        if self.span == span {
            return;
        }
        self.span = span;
        self.detail = span.map(|s| detail(set, s));
        self.built_for = None;
        self.cursor = 0;
        self.offset = 0;
        self.tree_items.clear();
        self.tree_state = TreeState::default();
    }

    /// Drops the laid-out document (the span's assessments changed), keeping the cursor.
    pub fn invalidate(&mut self) {
        self.built_for = None;
    }

    /// Lays out the document for `width` cells unless it already is.
    pub fn layout(&mut self, set: &TraceSet, theme: &Theme, width: u16) {
        let Some(span) = self.span else {
            self.doc = Doc::default();
            return;
        };
        if self.built_for == Some((span, width)) {
            return;
        }
        let d = self.detail.get_or_insert_with(|| detail(set, span));
        self.doc = crate::tui::detail::doc::build(set, span, d, theme, width as usize);
        self.built_for = Some((span, width));
        self.cursor = self.cursor.min(self.doc.lines.len().saturating_sub(1));
        if self.json_tree && self.tree_items.is_empty() {
            self.tree_json = crate::model::detail::span_json(set, span);
            self.tree_items = crate::tui::detail::json_tree::tree_items(&self.tree_json, theme);
        }
    }

    /// Makes sure the document is laid out (at the last width, or 100 cells before any
    /// render), so copy and pager work on what the user sees.
    pub fn ensure_layout(&mut self, set: &TraceSet, theme: &Theme) {
        let width = self.built_for.map_or(100, |(_, w)| w);
        self.layout(set, theme, width);
    }

    /// Builds the JSON tree on first use.
    pub fn toggle_tree(&mut self, set: &TraceSet, theme: &Theme) {
        self.json_tree = !self.json_tree;
        if self.json_tree
            && self.tree_items.is_empty()
            && let Some(span) = self.span
        {
            self.tree_json = crate::model::detail::span_json(set, span);
            self.tree_items = crate::tui::detail::json_tree::tree_items(&self.tree_json, theme);
            self.tree_state.open(vec!["attributes".to_owned()]);
        }
    }

    pub fn move_by(&mut self, delta: isize) -> bool {
        if self.json_tree {
            return match delta {
                d if d < 0 => (0..-d).fold(false, |ch, _| self.tree_state.key_up() | ch),
                d => (0..d).fold(false, |ch, _| self.tree_state.key_down() | ch),
            };
        }
        let last = self.doc.lines.len().saturating_sub(1);
        let new = self.cursor.saturating_add_signed(delta).min(last);
        std::mem::replace(&mut self.cursor, new) != new
    }

    pub fn to_top(&mut self) {
        if self.json_tree {
            self.tree_state.select_first();
        } else {
            self.cursor = 0;
        }
    }

    pub fn to_bottom(&mut self) {
        if self.json_tree {
            self.tree_state.select_last();
        } else {
            self.cursor = self.doc.lines.len().saturating_sub(1);
        }
    }

    /// Moves to the next or previous section heading.
    pub fn jump_section(&mut self, forward: bool) -> bool {
        let target = if forward {
            self.doc
                .sections
                .iter()
                .map(|s| s.1)
                .find(|&l| l > self.cursor)
        } else {
            self.doc
                .sections
                .iter()
                .rev()
                .map(|s| s.1)
                .find(|&l| l < self.cursor)
        };
        match target {
            Some(l) => {
                self.cursor = l;
                self.offset = l;
                true
            }
            None => false,
        }
    }

    /// Puts the cursor on the first line of the section titled `title`.
    pub fn goto_section(&mut self, title: &str) -> bool {
        match self.doc.sections.iter().find(|(t, _)| t.starts_with(title)) {
            Some(&(_, l)) => {
                self.cursor = l;
                self.offset = l;
                true
            }
            None => false,
        }
    }

    /// Puts the cursor on the first line of one of `sections` (first that exists) that
    /// contains `needle` (case-insensitively), or on the section's heading.
    pub fn reveal_match(&mut self, sections: &[&str], needle: &str) {
        let needle = needle.to_lowercase();
        for title in sections {
            let Some(&(_, start)) = self.doc.sections.iter().find(|(t, _)| t.starts_with(title))
            else {
                continue;
            };
            let end = self
                .doc
                .sections
                .iter()
                .map(|s| s.1)
                .find(|&l| l > start)
                .unwrap_or(self.doc.lines.len());
            let hit = (start..end).find(|&i| {
                let text: String = self.doc.lines[i]
                    .line
                    .spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect();
                !needle.is_empty() && text.to_lowercase().contains(&needle)
            });
            if hit.is_some() || sections.len() == 1 {
                self.cursor = hit.unwrap_or(start);
                self.offset = self.cursor.saturating_sub(2);
                return;
            }
        }
    }

    /// The value under the cursor (in the JSON tree: the selected node).
    pub fn current_value(&self) -> Option<Copyable> {
        if self.json_tree {
            let path = self.tree_state.selected();
            let v = crate::tui::detail::json_tree::value_at(&self.tree_json, path)?;
            let text = match v {
                Value::String(s) => s.clone(),
                other => serde_json::to_string_pretty(other).unwrap_or_default(),
            };
            return Some(Copyable {
                label: path.join("."),
                text,
            });
        }
        let line = self.doc.lines.get(self.cursor)?;
        line.value.and_then(|i| self.doc.values.get(i)).cloned()
    }

    /// The whole document as plain text for the pager: unwrapped, with every value whole
    /// (the pane wraps, shortens long strings and cuts long blocks).
    pub fn full_text(&mut self, set: &TraceSet, theme: &Theme) -> String {
        let Some(span) = self.span else {
            return String::new();
        };
        let d = self.detail.get_or_insert_with(|| detail(set, span));
        let doc = crate::tui::detail::doc::build_full(set, span, d, theme);
        let lines: Vec<String> = doc.lines.iter().map(|l| line_text(&l.line)).collect();
        lines.join("\n")
    }

    pub fn scroll_into_view(&mut self, height: usize) {
        self.height = height.max(1);
        self.offset = super::scroll::keep_visible(self.offset, self.cursor, self.height);
    }
}

/// A line's text without its styles.
fn line_text(line: &Line) -> String {
    line.spans.iter().map(|s| s.content.as_ref()).collect()
}
