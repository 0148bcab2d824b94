//! Raw hits made displayable: a hit found in raw bytes is decoded as far as needed (the
//! field's real line and matched characters, and the tool calls inside its messages), so
//! a search of a million spans decodes only what it shows.

use super::engine::Hit;
use super::fields::{compact, text_of};
use super::matcher::TextMatcher;
use super::query::{FieldKind, Mode, Query};
use super::raw_scan::RawHit;
use crate::model::TraceSet;
use crate::model::messages::{Direction, messages_from};
use serde_json::Value;

/// A raw hit once decoded.
#[derive(Debug, Default)]
pub struct Expanded {
    /// The field itself, when the match survives decoding.
    pub field: Option<Hit>,
    /// Tool calls carried by its messages (arguments and results) that match.
    pub calls: Vec<Hit>,
}

/// Decodes a raw hit into displayable hits: the real line of the field and the matched
/// characters. A prompt or output made of messages also yields its tool calls' arguments
/// and results, as decoding the span would.
///
/// The field's own hit always stays (its score is the raw one): with `lines` off its line
/// is left to find later (`Hit::snippet` empty), which spares searching a long text for a
/// hit that is never shown; where no decoded line matches, the snippet is its first line.
pub fn expand(set: &TraceSet, q: &Query, m: &mut TextMatcher, h: &RawHit, lines: bool) -> Expanded {
    let key = (!h.key.is_empty()).then(|| set.str(h.key).to_owned());
    let searched = q.searches(h.field);
    let field_hit = |m: &mut TextMatcher, text: Option<&str>| {
        Hit {
            span: h.span,
            field: h.field,
            key: key.clone(),
            line: 0,
            snippet: String::new(),
            ranges: Vec::new(),
            score: h.score,
        }
        .with_line(m, text)
    };
    let carries_calls = matches!(h.field, FieldKind::Prompt | FieldKind::Output)
        && (q.searches(FieldKind::ToolArgs) || q.searches(FieldKind::ToolResult));
    // Exact and regex hits are decoded whole: a match in raw bytes may not survive
    // decoding (an escape, a key), and they are few.
    let fuzzy = q.mode == Mode::Fuzzy;
    let lines = lines || !fuzzy;
    let mut out = Expanded::default();
    if !lines && !carries_calls {
        out.field = searched.then(|| field_hit(m, None));
        return out;
    }
    let value = set.sources.value(h.text);
    let hit = |m: &mut TextMatcher, field: FieldKind, text: &str| {
        m.best_line(text).map(|lm| Hit {
            span: h.span,
            field,
            key: key.clone(),
            line: lm.line,
            snippet: lm.snippet,
            ranges: lm.ranges,
            score: lm.score + field.weight(),
        })
    };
    let mut msgs = match (&h.field, &value) {
        (FieldKind::Prompt, Value::Array(_) | Value::Object(_)) => {
            messages_from(&value, Direction::Input)
        }
        (FieldKind::Output, Value::Array(_) | Value::Object(_)) => {
            messages_from(&value, Direction::Output)
        }
        _ => Vec::new(),
    };
    crate::model::messages::pair_tool_results(&mut msgs);
    if searched {
        let text = match (lines, msgs.is_empty()) {
            (false, _) => None,
            (true, true) => Some(text_of(&value)),
            (true, false) => Some(
                (msgs.iter())
                    .map(|m| format!("{}: {}", m.role, m.content))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        };
        let found = |m: &mut TextMatcher, t: &str| m.best_line(t).is_some();
        out.field = match text {
            Some(t) if !fuzzy && !found(m, &t) => None,
            t => Some(field_hit(m, t.as_deref())),
        };
    }
    for c in msgs.iter().flat_map(|m| &m.tool_calls) {
        if q.searches(FieldKind::ToolArgs) {
            let text = format!("{}({})", c.name, compact(&c.arguments));
            out.calls.extend(hit(m, FieldKind::ToolArgs, &text));
        }
        if let Some(r) = c
            .result
            .as_ref()
            .filter(|_| q.searches(FieldKind::ToolResult))
        {
            out.calls.extend(hit(m, FieldKind::ToolResult, &text_of(r)));
        }
    }
    out
}

impl Hit {
    /// Fills in the best matching line of `text` (its first line where none matches);
    /// without a text, the hit is left for later.
    fn with_line(mut self, m: &mut TextMatcher, text: Option<&str>) -> Hit {
        let Some(text) = text else {
            return self;
        };
        match m.best_line(text) {
            Some(lm) => {
                (self.line, self.snippet, self.ranges) = (lm.line, lm.snippet, lm.ranges);
            }
            None => {
                let first = text.split('\n').next().unwrap_or("");
                self.snippet = first.chars().take(160).collect();
            }
        }
        self
    }
}
