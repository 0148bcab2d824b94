//! Everything a user can ask the explorer to do. The snake_case names are the names used
//! in the config file's `[keys]` table.

use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Leave the explorer.
    Quit,
    /// Show or hide the key list.
    Help,
    /// Go back: close a popup, leave the detail pane, return to the trace list.
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    HalfPageUp,
    HalfPageDown,
    Top,
    Bottom,
    /// Open the selected trace, or move into the detail pane.
    Open,
    /// Collapse the selected span, or move to its parent.
    Left,
    /// Expand the selected span, or move to its first child.
    Right,
    /// Collapse or expand the selected span.
    Toggle,
    CollapseAll,
    ExpandAll,
    /// Expand the selected span and everything under it.
    ExpandSubtree,
    /// Collapse everything under the selected span.
    CollapseSubtree,
    ExpandDepth1,
    ExpandDepth2,
    ExpandDepth3,
    ExpandDepth4,
    ExpandDepth5,
    NextError,
    PrevError,
    /// Scale the timeline to the selected subtree, or back to the whole trace.
    Zoom,
    /// Switch between the span tree and the detail pane.
    FocusNext,
    /// Sort the trace list by the next key.
    CycleSort,
    ReverseSort,
    /// Mark the selected trace (two marks open the diff view).
    Mark,
    /// Show the load warnings.
    Warnings,
    /// Switch the detail pane between text and a collapsible JSON tree.
    ToggleJsonTree,
    NextSection,
    PrevSection,
    CopySpanId,
    CopyTraceId,
    CopyInput,
    CopyOutput,
    CopySpanJson,
    /// Copy what is selected: the value under the cursor in the detail pane, else the span name.
    CopyValue,
    /// Open the selected span's text (or the whole detail) in `$PAGER`.
    OpenPager,
    /// Open the search line.
    Search,
    /// Go to the next search hit.
    NextHit,
    /// Go to the previous search hit.
    PrevHit,
    /// Hide spans that do not match the search (ancestors stay), or show them again.
    ToggleFilter,
    /// Diff the two marked traces.
    Diff,
    /// Go to the next row that differs.
    NextDiff,
    /// Go to the previous row that differs.
    PrevDiff,
    /// Fold away subtrees in which nothing changed, or show them again.
    HideUnchanged,
    /// Mark the selected span (the trace, on its root or in the trace list) good.
    ThumbsUp,
    /// Mark the selected span (or trace) bad.
    ThumbsDown,
    /// Give the selected span (or trace) a score of 1 to 5.
    Score1,
    Score2,
    Score3,
    Score4,
    Score5,
    /// Write a free-text note on the selected span (or trace).
    FeedbackNote,
    /// Write the expected output in `$EDITOR`, starting from the actual output.
    ExpectedOutput,
    /// Remove your judgements on the selected span (or trace).
    RemoveFeedback,
    /// Retry saving judgements that could not be written.
    SaveFeedback,
    /// Open the flame chart of the trace (from the step table: the icicle of all traces).
    FlameChart,
    /// Open the step table across all loaded traces.
    StepTable,
    /// Group the step table by the step's path from the root, or by step again.
    GroupByPath,
    /// Switch the step table between the step, tool and prompt lenses.
    NextLens,
    /// Group the trace list by session, or list traces flat again.
    GroupBySession,
    /// Filter the trace list with a trace-level query (`status:error dur>5s`).
    FilterTraces,
}

impl Action {
    /// How far a list-moving action moves a cursor, on pages of `page` rows (`None` for
    /// actions that do not move one). Top and bottom are far moves that clamp.
    pub fn step(self, page: isize) -> Option<isize> {
        Some(match self {
            Action::Down => 1,
            Action::Up => -1,
            Action::PageDown => page,
            Action::PageUp => -page,
            Action::HalfPageDown => page / 2,
            Action::HalfPageUp => -page / 2,
            Action::Top => isize::MIN / 2,
            Action::Bottom => isize::MAX / 2,
            _ => return None,
        })
    }

    /// Applies a scrolling action to a text's first shown line (pages of 10 lines);
    /// false for other actions.
    pub fn scroll(self, top: &mut usize) -> bool {
        match self {
            Action::Down => *top += 1,
            Action::Up => *top = top.saturating_sub(1),
            Action::PageDown | Action::HalfPageDown => *top += 10,
            Action::PageUp | Action::HalfPageUp => *top = top.saturating_sub(10),
            Action::Top => *top = 0,
            _ => return false,
        }
        true
    }
}
