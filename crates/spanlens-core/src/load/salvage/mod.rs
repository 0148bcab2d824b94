//! Recovery of damaged JSON text: a truncated document or line is cut back to its last
//! complete record and closed; one bad value (a syntax error, a wrong type, an invalid
//! byte) costs only the smallest array element around it (a span, an attribute), which is
//! blanked out with spaces. Byte offsets never move (newlines stay), so text references
//! and line numbers into the repaired copy hold for the original.
//!
//! Runs only after a normal parse failed: good files never pay for it.

mod structure;
#[cfg(test)]
mod tests;

use super::json::Ctx;
use crate::model::{Batch, Pos};
use std::ops::Range;
pub use structure::too_deep;
use structure::*;

/// Most repairs tried on one text before keeping what comes before the next problem.
const MAX_REPAIRS: usize = 64;

/// Most repairs in a text larger than `BIG`: each costs a few parses of the whole text.
const MAX_REPAIRS_BIG: usize = 8;
const BIG: usize = 64 << 20;

/// Deepest nesting the scanner follows (serde_json itself stops at 128).
pub const MAX_DEPTH: usize = 128;

/// Keys of arrays whose elements are records (spans, runs, observations, resources): a cut
/// drops the partial record at the innermost such list, never a partial span.
const RECORD_LISTS: [&str; 14] = [
    "resourceSpans",
    "resource_spans",
    "scopeSpans",
    "scope_spans",
    "instrumentationLibrarySpans",
    "instrumentation_library_spans",
    "spans",
    "observations",
    "runs",
    "child_runs",
    "post",
    "patch",
    "data",
    "traces",
];

/// What made a parse fail: where (byte offset into the text) and why.
#[derive(Clone, Debug)]
pub struct Problem {
    pub at: usize,
    /// The text ended inside a value.
    pub eof: bool,
    pub reason: String,
}

impl Problem {
    /// The problem a serde_json error describes, for the text it was reading.
    pub fn of(text: &[u8], e: &serde_json::Error) -> Problem {
        let eof = e.is_eof();
        let at = if eof {
            text.len()
        } else {
            offset_of(text, e.line(), e.column())
        };
        Problem {
            at,
            eof,
            reason: super::short_error(e),
        }
    }
}

impl Problem {
    /// Bytes that are not UTF-8, where `e` says.
    pub fn invalid_utf8(e: std::str::Utf8Error) -> Problem {
        Problem {
            at: e.valid_up_to(),
            eof: e.error_len().is_none(),
            reason: "not valid UTF-8".into(),
        }
    }
}

/// Byte offset of a serde_json (line, column) position: the byte it had just read.
fn offset_of(text: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match memchr::memchr(b'\n', &text[start..]) {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    (start + column.saturating_sub(1)).min(text.len())
}

/// One thing a repair gave up, at a byte offset of the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Loss {
    /// The text ends early at `at` (`reason` is `None`), or is unreadable from `at` on:
    /// everything complete before `kept` is kept, the rest is lost.
    Cut {
        at: usize,
        kept: usize,
        reason: Option<String>,
    },
    /// The element `range`, `what` it was, dropped because of the problem at `at`.
    Dropped {
        at: usize,
        range: Range<usize>,
        what: String,
        reason: String,
    },
}

/// A repaired copy of a text and what the repair cost.
#[derive(Debug)]
pub struct Repair {
    pub text: Vec<u8>,
    pub losses: Vec<Loss>,
}

/// Repairs `text`, whose parse failed with `first`, until `check` (a parse of a candidate)
/// finds no problem. After `MAX_REPAIRS` steps the text is cut at the next problem; `None`
/// when even that does not mend it.
pub fn repair(
    text: &[u8],
    first: Problem,
    mut check: impl FnMut(&[u8]) -> Option<Problem>,
) -> Option<Repair> {
    let mut out = Repair {
        text: text.to_vec(),
        losses: Vec::new(),
    };
    let mut problem = first;
    let most = if text.len() > BIG {
        MAX_REPAIRS_BIG
    } else {
        MAX_REPAIRS
    };
    for step in 0..=most {
        if step == most {
            // Too many bad places: keep what comes before this one.
            problem.eof = false;
            let at = problem.at.min(out.text.len());
            if !cut(&mut out, at, &problem) {
                return None;
            }
            return check(&out.text).is_none().then_some(out);
        }
        let at = problem.at.min(out.text.len());
        let blanked = if problem.eof || problem.at >= out.text.len() {
            None
        } else {
            blank(&mut out, &problem, &mut check)
        };
        let next = match blanked {
            Some(next) => next,
            None => {
                if !cut(&mut out, at, &problem) {
                    return None;
                }
                check(&out.text)
            }
        };
        match next {
            None => return Some(out),
            Some(next) => problem = next,
        }
    }
    None
}

/// Cuts the text at `at` back to the end of the last complete record and closes every
/// container still open. False when there is nothing to close (or nothing before `at`).
fn cut(out: &mut Repair, at: usize, problem: &Problem) -> bool {
    let Some(stack) = scan(&out.text, at) else {
        return false;
    };
    if stack.is_empty() {
        // Between values: the text before `at` is whole; drop the rest.
        let kept = trim_end(&out.text, at);
        if kept == out.text.len() {
            return false;
        }
        out.text.truncate(kept);
        out.losses.push(cut_loss(at, kept, problem));
        return true;
    }
    let records = stack
        .iter()
        .rposition(|o| o.close == b']' && (o.record || o.depth == 0));
    if records.is_none() && prev_non_ws(&out.text, stack[0].open_at).is_some() {
        // A value cut short after whole ones (a stream of records): it is the record.
        let kept = trim_end(&out.text, stack[0].open_at);
        out.text.truncate(kept);
        out.losses.push(cut_loss(at, kept, problem));
        return true;
    }
    let unit = records
        .or_else(|| stack.iter().rposition(|o| o.close == b']'))
        .unwrap_or(stack.len() - 1);
    let kept = stack[unit].done;
    out.text.truncate(kept);
    for o in stack[..=unit].iter().rev() {
        out.text.push(o.close);
    }
    out.losses.push(cut_loss(at, kept, problem));
    true
}

fn cut_loss(at: usize, kept: usize, problem: &Problem) -> Loss {
    Loss::Cut {
        at,
        kept,
        reason: (!problem.eof).then(|| problem.reason.clone()),
    }
}

/// Blanks the smallest array element around the problem, trying each place it may end
/// (damage can hide its closing bracket) and keeping the one that gets the parse furthest
/// (the first that mends it all). Returns the problem after it (`None`: none left), or
/// `None` when no element holds the problem.
fn blank(
    out: &mut Repair,
    problem: &Problem,
    check: &mut impl FnMut(&[u8]) -> Option<Problem>,
) -> Option<Option<Problem>> {
    let at = problem.at;
    let stack = scan(&out.text, at)?;
    let mut best: Option<Mend> = None;
    for t in tries(&out.text, &stack, at)? {
        let mut text = out.text.clone();
        for b in &mut text[t.blank] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        let next = check(&text);
        let reach = next.as_ref().map_or(usize::MAX, |n| n.at);
        // Dropping one byte is right only when it mends everything: otherwise it may be
        // a bracket the text needs, and the parse would go wrong further on.
        if t.element.len() == 1 && reach != usize::MAX {
            continue;
        }
        if best.as_ref().is_none_or(|b| b.reach() < reach) {
            let (what, element) = (t.what, t.element);
            best = Some(Mend {
                text,
                what,
                element,
                next,
            });
        }
        if reach == usize::MAX {
            break;
        }
    }
    let best = best?;
    out.text = best.text;
    out.losses.push(Loss::Dropped {
        at,
        range: best.element,
        what: best.what,
        reason: problem.reason.clone(),
    });
    Some(best.next)
}

/// One way to mend the text: blank `blank`, losing `element`, `what` it is.
struct Try {
    blank: Range<usize>,
    what: String,
    element: Range<usize>,
}

impl Try {
    fn element(text: &[u8], element: Range<usize>, what: &str) -> Try {
        Try {
            blank: with_comma(text, element.clone()),
            what: what.to_owned(),
            element,
        }
    }

    fn byte(at: usize, what: &str) -> Try {
        Try {
            blank: at..at + 1,
            what: what.to_owned(),
            element: at..at + 1,
        }
    }
}

/// The ways to mend a problem at `at` (`stack` is open there), likeliest first: one stray
/// byte; the element of the innermost list that holds it, ending at the next element like
/// it, or where its brackets say; the element before it, when junk follows an element that
/// closed early; the elements of the lists around it. `None` when no list is open.
fn tries(text: &[u8], stack: &[Open], at: usize) -> Option<Vec<Try>> {
    let list = stack.iter().rposition(|o| o.close == b']')?;
    let start = skip_ws(text, stack[list].elem);
    // The next element like this one bounds it: an end past that start (brackets counted
    // through quotes the damage put out of step) would cost the next element too.
    let sibling = sibling_start(text, start, at);
    let mut ends: Vec<usize> = sibling.into_iter().collect();
    let counted = element_ends(text, start).into_iter();
    ends.extend(counted.filter(|&e| sibling.is_none_or(|s| e <= s)));
    // Nor may it reach the start of an enclosing element's sibling (the next span, when
    // an attribute's quotes are out of step).
    let outer: Vec<&[u8]> = stack[..list]
        .iter()
        .filter(|o| o.close == b']')
        .filter_map(|o| signature(text, skip_ws(text, o.elem)))
        .collect();
    let crosses = |r: Range<usize>| {
        (outer.iter()).any(|sig| memchr::memmem::find(&text[r.clone()], sig).is_some())
    };
    ends.retain(|&end| end > at && !crosses(at..end));
    let what = describe(stack[list].key.as_deref());
    let mut tries = Vec::new();
    // One byte too many (or one wrong byte between tokens) costs nothing else.
    if !text[at].is_ascii_whitespace() && text[at] != b'"' {
        tries.push(Try::byte(at, "a stray byte"));
    }
    if let Some(comma) = prev_non_ws(text, at).filter(|&c| text[c] == b',')
        && matches!(text[at], b']' | b'}')
    {
        tries.push(Try::byte(comma, "a stray comma"));
    }
    tries.extend(
        ends.into_iter()
            .map(|end| Try::element(text, start..end, &what)),
    );
    // Junk where an object was expected: the object before it closed early (a stray
    // bracket in it), so the loss is that object, up to the next one like it.
    let prev = skip_ws(text, stack[list].prev);
    if text[start] != b'{'
        && prev < start
        && let Some(end) = sibling_start(text, prev, at).filter(|&end| !crosses(at..end))
    {
        tries.push(Try::element(text, prev..end, &what));
    }
    if tries.len() < 2
        && let Some(end) = element_ends(text, at).into_iter().find(|&end| end > at)
    {
        // The element before the problem is whole (a missing comma after it): what is
        // lost is what follows, from the problem on.
        tries.push(Try::element(text, at..end, &what));
    }
    // Last, the elements around it (the span around a broken attribute), for damage that
    // puts its list out of step.
    let around = (stack[..list].iter().rev()).filter(|o| o.close == b']');
    for o in around.take(2) {
        let from = skip_ws(text, o.elem);
        let mut ends = element_ends(text, from);
        ends.extend(sibling_start(text, from, at));
        let what = describe(o.key.as_deref());
        for end in ends.into_iter().filter(|&end| end > at) {
            tries.push(Try::element(text, from..end, &what));
        }
    }
    Some(tries)
}

/// A blanked copy of the text, what it dropped, and the problem left after it.
struct Mend {
    text: Vec<u8>,
    what: String,
    element: Range<usize>,
    next: Option<Problem>,
}

impl Mend {
    /// How far the parse gets in it (`usize::MAX`: to the end).
    fn reach(&self) -> usize {
        self.next.as_ref().map_or(usize::MAX, |n| n.at)
    }
}

/// `range` and the comma that separates it from its neighbour (after it, or else before).
fn with_comma(text: &[u8], mut range: Range<usize>) -> Range<usize> {
    let after = skip_ws(text, range.end);
    if text.get(after) == Some(&b',') {
        range.end = after + 1;
    } else if let Some(before) = prev_non_ws(text, range.start)
        && text[before] == b','
    {
        range.start = before;
    }
    range
}

/// What an element of the list under `key` is, for a message.
fn describe(key: Option<&str>) -> String {
    match key {
        Some("spans") => "a span".into(),
        Some("attributes") => "an attribute".into(),
        Some("events") => "an event".into(),
        Some("links") => "a link".into(),
        Some("resourceSpans" | "resource_spans") => "a resource and its spans".into(),
        Some(
            "scopeSpans"
            | "scope_spans"
            | "instrumentationLibrarySpans"
            | "instrumentation_library_spans",
        ) => "a scope and its spans".into(),
        Some("observations") => "an observation".into(),
        Some("runs" | "child_runs" | "post" | "patch") => "a run".into(),
        Some(k) => format!("an element of `{k}`"),
        None => "a record".into(),
    }
}

/// Reports what a repair lost as warnings with positions. `ctx` is over the damaged text
/// (a `unit`: "file", "line", "request"), not the repaired copy.
pub fn report(batch: &mut Batch, ctx: &Ctx, losses: &[Loss], unit: &str) {
    for loss in losses {
        let (at, message) = match loss {
            Loss::Cut {
                at,
                kept: _,
                reason: None,
            } => (
                *at,
                format!(
                    "{unit} ends early (cut at byte {}): every complete span before the cut \
                     is loaded, the partial one is lost",
                    ctx.base + *at as u64
                ),
            ),
            Loss::Cut {
                at,
                kept: _,
                reason: Some(r),
            } => (
                *at,
                format!(
                    "unreadable from byte {} ({r}): what came before is loaded, the rest of \
                     the {unit} is lost",
                    ctx.base + *at as u64
                ),
            ),
            Loss::Dropped {
                at, what, reason, ..
            } => (
                *at,
                format!("{what} dropped ({reason}); the rest is loaded"),
            ),
        };
        // JSON Lines: the copy is one line, whose start becomes its line number once
        // loading is done; the column is said here.
        let (pos, message) = match ctx.pos_at(at) {
            Pos::Byte(_) => (Pos::Byte(ctx.base), format!("column {}: {message}", at + 1)),
            pos => (pos, message),
        };
        batch.diag(ctx.path, pos, message);
    }
}

/// Checks that `text` is JSON values back to back (a document, or a line).
pub fn check_json(text: &[u8]) -> Option<Problem> {
    let mut stream =
        serde_json::Deserializer::from_slice(text).into_iter::<serde::de::IgnoredAny>();
    for v in stream.by_ref() {
        if let Err(e) = v {
            return Some(Problem::of(text, &e));
        }
    }
    None
}
