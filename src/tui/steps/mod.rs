//! State of the step table screen: the stats computed by the worker, the lens (steps, tools,
//! prompts), the sortable columns, the drill-down into one step's spans and the icicle.
//! Sorting and drill-down order are computed here, never while drawing.

mod cells;
pub mod job;
pub mod keys;
pub mod view;

use super::flame::icicle::Icicle;
use crate::model::SpanIx;
use crate::stats::{GroupBy, Stats, StepStats, ToolStats, percentile};
use std::sync::Arc;

/// Which table the screen shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lens {
    Steps,
    Tools,
    Prompts,
}

impl Lens {
    pub fn next(self) -> Lens {
        match self {
            Lens::Steps => Lens::Tools,
            Lens::Tools => Lens::Prompts,
            Lens::Prompts => Lens::Steps,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Lens::Steps => "steps",
            Lens::Tools => "tools",
            Lens::Prompts => "prompts",
        }
    }
}

/// What part of the screen has the keyboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Table,
    /// One step's spans across traces, worst first.
    Spans,
    Icicle,
}

/// A sortable column of one lens: its header and the key rows sort by.
pub struct Column {
    pub name: &'static str,
    /// Biggest first when sorting by it (everything but names).
    pub descending: bool,
}

const fn col(name: &'static str, descending: bool) -> Column {
    Column { name, descending }
}

/// The step lens's columns, in display order.
pub const STEP_COLUMNS: [Column; 13] = [
    col("step", false),
    col("traces", true),
    col("calls", true),
    col("max/tr", true),
    col("errors", true),
    col("err%", true),
    col("p50", true),
    col("p90", true),
    col("p99", true),
    col("max", true),
    col("self p50", true),
    col("crit%", true),
    col("tokens", true),
];

/// The tool lens's columns.
pub const TOOL_COLUMNS: [Column; 9] = [
    col("tool", false),
    col("calls", true),
    col("traces", true),
    col("errors", true),
    col("err%", true),
    col("max/tr", true),
    col("repeats", true),
    col("loops", true),
    col("args p50", true),
];

/// The prompt lens's columns.
pub const PROMPT_COLUMNS: [Column; 6] = [
    col("step", false),
    col("calls", true),
    col("in p50", true),
    col("in p95", true),
    col("in max", true),
    col("sys prompts", true),
];

/// A number or text to sort rows by.
#[derive(PartialEq, PartialOrd)]
enum SortVal<'a> {
    Num(f64),
    Text(&'a str),
}

fn num(v: Option<i64>) -> SortVal<'static> {
    SortVal::Num(v.map_or(-1.0, |v| v as f64))
}

/// The sort key of a step row for column `c`.
fn step_key<'a>(s: &'a StepStats, c: usize) -> SortVal<'a> {
    match c {
        0 => SortVal::Text(s.path.as_deref().unwrap_or(&s.name)),
        1 => SortVal::Num(f64::from(s.traces)),
        2 => SortVal::Num(s.calls as f64),
        3 => SortVal::Num(f64::from(s.max_calls_per_trace)),
        4 => SortVal::Num(s.errors as f64),
        5 => SortVal::Num(s.error_rate()),
        6 => num(s.duration(50.0)),
        7 => num(s.duration(90.0)),
        8 => num(s.duration(99.0)),
        9 => num(s.durations_ns.last().copied()),
        10 => num(percentile(&s.self_ns, 50.0)),
        11 => SortVal::Num(s.critical_path_ns as f64),
        _ => SortVal::Num((s.input_tokens + s.output_tokens) as f64),
    }
}

fn tool_key<'a>(t: &'a ToolStats, c: usize) -> SortVal<'a> {
    match c {
        0 => SortVal::Text(&t.name),
        1 => SortVal::Num(t.calls as f64),
        2 => SortVal::Num(f64::from(t.traces)),
        3 => SortVal::Num(t.errors as f64),
        4 => SortVal::Num(t.error_rate()),
        5 => SortVal::Num(f64::from(t.max_calls_per_trace)),
        6 => SortVal::Num(t.repeated_calls as f64),
        7 => SortVal::Num(t.loops as f64),
        _ => num(percentile(&t.arg_bytes, 50.0)),
    }
}

fn prompt_key<'a>(p: &'a crate::stats::PromptStats, c: usize) -> SortVal<'a> {
    match c {
        0 => SortVal::Text(&p.name),
        1 => SortVal::Num(p.calls as f64),
        2 => num(percentile(&p.input_sizes, 50.0)),
        3 => num(percentile(&p.input_sizes, 95.0)),
        4 => num(p.input_sizes.last().copied()),
        _ => SortVal::Num(p.system_prompts.len() as f64),
    }
}

/// A scrolling cursor over `len` rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub at: usize,
    pub offset: usize,
    pub height: usize,
}

impl Cursor {
    pub fn move_by(&mut self, delta: isize, len: usize) -> bool {
        let new = self
            .at
            .saturating_add_signed(delta)
            .min(len.saturating_sub(1));
        std::mem::replace(&mut self.at, new) != new
    }

    pub fn scroll_into_view(&mut self, height: usize) {
        self.height = height.max(1);
        self.offset = super::scroll::keep_visible(self.offset, self.at, self.height);
    }
}

/// What the worker computed for one grouping.
pub struct Computed {
    pub stats: Stats,
    pub icicle: Icicle,
    /// Sum of the traces' durations: what critical-path shares are shares of.
    pub total_ns: i64,
}

/// One step's spans, worst first.
#[derive(Clone, Debug)]
pub struct Drill {
    /// Row of the step in `Stats::steps` (or `tools`).
    pub row: usize,
    pub spans: Vec<SpanIx>,
    pub cursor: Cursor,
}

/// State of the step table screen.
pub struct StepsView {
    pub data: Option<Arc<Computed>>,
    pub by: GroupBy,
    pub lens: Lens,
    pub mode: Mode,
    /// Sort column per lens and direction.
    pub sort: [usize; 3],
    pub descending: [bool; 3],
    /// Rows of the current lens in display order.
    pub order: Vec<u32>,
    pub cursor: Cursor,
    pub drill: Option<Drill>,
    /// The icicle's selected node.
    pub ice_selected: u32,
    /// The worker job this view waits for, if any.
    pub pending: Option<u64>,
    /// The traces the table is computed over (the trace list's, filtered or not).
    pub traces: Vec<crate::model::TraceIx>,
}

impl StepsView {
    pub fn new(by: GroupBy) -> StepsView {
        StepsView {
            data: None,
            by,
            lens: Lens::Steps,
            mode: Mode::Table,
            // Steps: errors first (then p90 as the tie-breaker of `resort`).
            sort: [4, 1, 4],
            descending: [true; 3],
            order: Vec::new(),
            cursor: Cursor::default(),
            drill: None,
            ice_selected: 0,
            pending: None,
            traces: Vec::new(),
        }
    }

    fn lens_ix(&self) -> usize {
        self.lens as usize
    }

    pub fn columns(&self) -> &'static [Column] {
        match self.lens {
            Lens::Steps => &STEP_COLUMNS,
            Lens::Tools => &TOOL_COLUMNS,
            Lens::Prompts => &PROMPT_COLUMNS,
        }
    }

    pub fn sort_column(&self) -> usize {
        self.sort[self.lens_ix()]
    }

    pub fn is_descending(&self) -> bool {
        self.descending[self.lens_ix()]
    }

    /// Rows in the current lens.
    pub fn len(&self) -> usize {
        self.data.as_ref().map_or(0, |d| match self.lens {
            Lens::Steps => d.stats.steps.len(),
            Lens::Tools => d.stats.tools.len(),
            Lens::Prompts => d.stats.prompts.len(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes newly computed stats; the selected row stays selected by key where it can.
    pub fn install(&mut self, data: Arc<Computed>) {
        self.data = Some(data);
        self.pending = None;
        self.drill = None;
        self.ice_selected = 0;
        if self.mode == Mode::Spans {
            self.mode = Mode::Table;
        }
        self.resort();
    }

    /// Orders the rows by the sort column, ties by p90 (steps) then by key.
    pub fn resort(&mut self) {
        let Some(d) = self.data.clone() else {
            self.order.clear();
            return;
        };
        let (c, desc) = (self.sort_column(), self.is_descending());
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        let cmp = |a: &u32, b: &u32| {
            let (a, b) = (*a as usize, *b as usize);
            let ord = match self.lens {
                Lens::Steps => {
                    let (x, y) = (&d.stats.steps[a], &d.stats.steps[b]);
                    step_key(x, c)
                        .partial_cmp(&step_key(y, c))
                        .unwrap_or(std::cmp::Ordering::Equal)
                        .then_with(|| x.duration(90.0).cmp(&y.duration(90.0)))
                }
                Lens::Tools => {
                    let (x, y) = (&d.stats.tools[a], &d.stats.tools[b]);
                    tool_key(x, c)
                        .partial_cmp(&tool_key(y, c))
                        .unwrap_or(std::cmp::Ordering::Equal)
                }
                Lens::Prompts => {
                    let (x, y) = (&d.stats.prompts[a], &d.stats.prompts[b]);
                    prompt_key(x, c)
                        .partial_cmp(&prompt_key(y, c))
                        .unwrap_or(std::cmp::Ordering::Equal)
                }
            };
            let ord = if desc { ord.reverse() } else { ord };
            ord.then(a.cmp(&b))
        };
        order.sort_by(cmp);
        let selected = self.selected_row();
        self.order = order;
        self.cursor.at = selected
            .and_then(|s| self.order.iter().position(|&r| r as usize == s))
            .unwrap_or(0);
    }

    /// `s`: the next column, biggest first except for names.
    pub fn cycle_sort(&mut self) {
        let l = self.lens_ix();
        let n = self.columns().len();
        self.sort[l] = (self.sort[l] + 1) % n;
        self.descending[l] = self.columns()[self.sort[l]].descending;
        self.resort();
    }

    /// `S`: the other direction.
    pub fn reverse(&mut self) {
        let l = self.lens_ix();
        self.descending[l] = !self.descending[l];
        self.resort();
    }

    pub fn next_lens(&mut self) {
        self.lens = self.lens.next();
        self.cursor = Cursor::default();
        self.resort();
    }

    /// The selected row's index in its lens's vector.
    pub fn selected_row(&self) -> Option<usize> {
        self.order.get(self.cursor.at).map(|&r| r as usize)
    }

    /// The spans behind the selected row: a step's or a tool's; a prompt row's step.
    fn selected_spans(&self) -> Option<(String, &[SpanIx])> {
        let d = self.data.as_ref()?;
        let row = self.selected_row()?;
        match self.lens {
            Lens::Steps => {
                let s = &d.stats.steps[row];
                Some((s.path.clone().unwrap_or(s.name.clone()), &s.spans))
            }
            Lens::Tools => {
                let t = &d.stats.tools[row];
                Some((t.name.clone(), &t.spans))
            }
            Lens::Prompts => {
                let key = &d.stats.prompts[row].step;
                let s = d.stats.steps.iter().find(|s| &s.key == key)?;
                Some((s.name.clone(), &s.spans))
            }
        }
    }

    /// `Enter` on a row: its spans, errors first, then slowest (the worker sorted them).
    /// Returns the step's name.
    pub fn open_drill(&mut self) -> Option<String> {
        let row = self.selected_row()?;
        let (name, spans) = self.selected_spans()?;
        let spans = spans.to_vec();
        self.drill = Some(Drill {
            row,
            spans,
            cursor: Cursor::default(),
        });
        self.mode = Mode::Spans;
        Some(name)
    }
}

/// Up to `bins` counts of `sorted` durations on a log scale from its min to its max, for
/// the row's sparkline. O(bins × log n): each bin edge is a binary search.
pub fn histogram(sorted: &[i64], bins: usize) -> Vec<usize> {
    let (Some(&lo), Some(&hi)) = (sorted.first(), sorted.last()) else {
        return Vec::new();
    };
    let (lo, hi) = ((lo.max(1)) as f64, (hi.max(1)) as f64);
    let ratio = (hi / lo).max(1.0);
    let mut prev = 0;
    (1..=bins)
        .map(|b| {
            let edge = if b == bins {
                i64::MAX
            } else {
                (lo * ratio.powf(b as f64 / bins as f64)) as i64
            };
            let end = sorted.partition_point(|&v| v <= edge);
            let n = end - prev;
            prev = end;
            n
        })
        .collect()
}

/// A sparkline of counts: `▁▂▃▄▅▆▇█`, blank for empty bins.
pub fn sparkline(counts: &[usize]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    counts
        .iter()
        .map(|&n| match n {
            0 => ' ',
            n => BARS[((n - 1) * 8 / max).min(7)],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_bins_every_value_once() {
        let v = vec![1, 2, 4, 8, 16, 32, 64, 128];
        let h = histogram(&v, 7);
        assert_eq!(h.iter().sum::<usize>(), 8);
        assert_eq!(h.len(), 7);
        assert_eq!(sparkline(&[0, 1, 8]), " ▁█");
        assert!(histogram(&[], 4).is_empty());
    }
}
