//! The detail's lines as they are laid out: wrapped to the pane (or whole, for the pager),
//! long blocks elided with a mark, each line tied to the value it copies.

use crate::inert;
use crate::tui::detail::json_tree::Seg;
use crate::tui::detail::{Copyable, DetailLine, Doc};
use crate::tui::theme::Theme;
use crate::tui::wrap;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use serde_json::Value;

/// Wrapped lines shown per block before the rest is left to the pager.
const MAX_BLOCK_LINES: usize = 400;
/// Wrapped lines shown per attribute before the rest is left to the pager.
pub(super) const MAX_ATTR_LINES: usize = 6;
/// Width of the section rules in the pager's text, which has no width of its own.
const FULL_RULE: usize = 72;

pub(super) struct Builder<'t> {
    pub(super) doc: Doc,
    pub(super) width: usize,
    pub(super) theme: &'t Theme,
    /// For the pager: nothing wrapped, shortened or cut.
    pub(super) full: bool,
}

impl Builder<'_> {
    pub(super) fn value(&mut self, label: &str, text: String) -> usize {
        self.doc.values.push(Copyable {
            label: label.to_owned(),
            text,
        });
        self.doc.values.len() - 1
    }

    pub(super) fn push(&mut self, line: Line<'static>, value: Option<usize>) {
        self.doc.lines.push(DetailLine { line, value });
    }

    pub(super) fn section(&mut self, title: &str) {
        if !self.doc.lines.is_empty() {
            self.push(Line::default(), None);
        }
        self.doc
            .sections
            .push((title.to_owned(), self.doc.lines.len()));
        let rule_w = if self.full { FULL_RULE } else { self.width };
        let rule = "─".repeat(rule_w.saturating_sub(wrap::width(title) + 4));
        let line = Line::from(vec![
            Span::styled(format!("── {title} "), self.theme.header()),
            Span::styled(rule, self.theme.muted()),
        ]);
        self.push(line, None);
    }

    /// Label/value pairs on one logical line, wrapped.
    pub(super) fn fields(&mut self, pairs: &[(&str, String, Style)], value: Option<usize>) {
        let mut segs: Vec<Seg> = Vec::new();
        for (i, (label, text, style)) in pairs.iter().enumerate() {
            if i > 0 {
                segs.push(("  ".into(), Style::new()));
            }
            segs.push((format!("{label} "), self.theme.muted()));
            segs.push((inert::line(text).into_owned(), *style));
        }
        for line in crate::tui::detail::json_tree::wrap_segments(segs, self.width) {
            self.push(line, value);
        }
    }

    /// Free text, wrapped and indented, cut after `MAX_BLOCK_LINES` (unless `full`).
    pub(super) fn text(&mut self, text: &str, style: Style, indent: usize, value: Option<usize>) {
        let lines = wrap::wrap(text, self.width.saturating_sub(indent));
        let total = lines.len();
        for l in lines.into_iter().take(self.max_lines(MAX_BLOCK_LINES)) {
            self.push(
                Line::from(vec![Span::raw(" ".repeat(indent)), Span::styled(l, style)]),
                value,
            );
        }
        self.elided(total, indent, value);
    }

    /// JSON, pretty and coloured; a plain string is shown as text. In `full` mode, every
    /// string whole (the pane shortens long ones).
    pub(super) fn json(&mut self, v: &Value, indent: usize, value: Option<usize>) {
        if let Value::String(s) = v {
            return self.text(s, Style::new(), indent, value);
        }
        if self.full {
            let text = serde_json::to_string_pretty(v).unwrap_or_default();
            return self.text(&text, Style::new(), indent, value);
        }
        let lines = crate::tui::detail::json_tree::pretty_lines(
            v,
            self.theme,
            self.width.saturating_sub(indent),
        );
        let total = lines.len();
        for mut l in lines.into_iter().take(MAX_BLOCK_LINES) {
            l.spans.insert(0, Span::raw(" ".repeat(indent)));
            self.push(l, value);
        }
        self.elided(total, indent, value);
    }

    pub(super) fn elided(&mut self, total: usize, indent: usize, value: Option<usize>) {
        self.elided_after(MAX_BLOCK_LINES, total, indent, value);
    }

    /// Says how many lines past the first `shown` of `total` were left to the pager.
    pub(super) fn elided_after(
        &mut self,
        shown: usize,
        total: usize,
        indent: usize,
        value: Option<usize>,
    ) {
        if total > shown && !self.full {
            let note = format!(
                "{}… {} more lines (o: open in $PAGER)",
                " ".repeat(indent),
                total - shown
            );
            self.push(Line::styled(note, self.theme.muted()), value);
        }
    }

    pub(super) fn max_lines(&self, limit: usize) -> usize {
        if self.full { usize::MAX } else { limit }
    }
}
