//! The trace-level filter language: which traces a list or a stats run keeps.
//!
//! A query is whitespace-separated predicates, all of which must hold; a leading `-`
//! negates one. `status:error` (`status:ok`: no error), `has:tool:NAME`, `has:name:TEXT`,
//! `model:NAME`, `dur>5s` (also `>=`, `<`, `<=`), `start>2025-06-02T09:00` (a date, with
//! hours, minutes, seconds and a zone optional; UTC without one), `session:ID`, `user:ID`,
//! `tag:KEY` or `tag:KEY=VALUE`. A word without a colon matches the trace id or root name.
//! Text matches ignore case and match anywhere in the value. An unknown `key:` is an error
//! listing the valid predicates, never a filter that silently matches nothing.

use crate::model::time::parse_iso;
use crate::model::{MetaKeys, SpanKind, TraceIx, TraceMeta, TraceSet};
use crate::search::query::{Cmp, parse_duration};

/// The predicates, as the error for an unknown one lists them.
pub const PREDICATES: &str = "status:error, status:ok, has:tool:NAME, has:name:TEXT, \
    model:NAME, dur>5s, start>2025-06-02T09:00, session:ID, user:ID, tag:KEY, tag:KEY=VALUE";

/// Why a filter did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("unknown predicate `{0}`; valid predicates: {PREDICATES}")]
    Unknown(String),
    #[error("`{token}`: {expected}")]
    BadValue {
        token: String,
        expected: &'static str,
    },
}

/// One predicate on a trace.
#[derive(Clone, Debug, PartialEq)]
pub enum Pred {
    /// The trace has an error span (or the source says it failed); `false`: it has none.
    Error(bool),
    HasTool(String),
    HasName(String),
    Model(String),
    Duration(Cmp, i64),
    Start(Cmp, i64),
    Session(String),
    User(String),
    Tag(String, Option<String>),
    /// Trace id or root name.
    Text(String),
}

impl Pred {
    fn needs_meta(&self) -> bool {
        matches!(self, Pred::Session(_) | Pred::User(_) | Pred::Tag(..))
    }
}

/// A parsed trace filter: every predicate must hold (negated ones must not).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceFilter {
    pub preds: Vec<(bool, Pred)>,
}

/// Parses a trace filter.
pub fn parse(input: &str) -> Result<TraceFilter, FilterError> {
    TraceFilter::parse(input)
}

impl TraceFilter {
    pub fn parse(input: &str) -> Result<TraceFilter, FilterError> {
        let mut preds = Vec::new();
        for token in input.split_whitespace() {
            let (negate, body) = match token.strip_prefix('-') {
                Some(rest) if !rest.is_empty() => (true, rest),
                _ => (false, token),
            };
            preds.push((negate, pred(body, token)?));
        }
        Ok(TraceFilter { preds })
    }

    pub fn is_empty(&self) -> bool {
        self.preds.is_empty()
    }

    /// Whether trace `t` passes. Metadata predicates look the metadata keys up on each call;
    /// to filter many traces use `select` or `matches_with`.
    pub fn matches(&self, set: &TraceSet, t: TraceIx) -> bool {
        if self.preds.iter().any(|(_, p)| p.needs_meta()) {
            self.matches_with(set, &MetaKeys::new(set), t)
        } else {
            self.check(set, t, &mut None, None)
        }
    }

    /// `matches` with the metadata keys looked up once, for many traces.
    pub fn matches_with(&self, set: &TraceSet, keys: &MetaKeys, t: TraceIx) -> bool {
        self.check(set, t, &mut None, Some(keys))
    }

    /// The traces of `set` that pass, in order (in parallel).
    pub fn select(&self, set: &TraceSet) -> Vec<TraceIx> {
        use rayon::prelude::*;
        let keys = MetaKeys::new(set);
        (0..set.traces.len() as u32)
            .into_par_iter()
            .map(TraceIx)
            .filter(|&t| self.matches_with(set, &keys, t))
            .collect()
    }

    fn check(
        &self,
        set: &TraceSet,
        t: TraceIx,
        meta: &mut Option<TraceMeta>,
        keys: Option<&MetaKeys>,
    ) -> bool {
        self.preds.iter().all(|(negate, p)| {
            let hit = if p.needs_meta() {
                let m = meta.get_or_insert_with(|| match keys {
                    Some(k) => k.trace_meta(set, t),
                    None => set.trace_meta(t),
                });
                meta_holds(p, m)
            } else {
                holds(set, t, p)
            };
            hit != *negate
        })
    }
}

fn pred(body: &str, token: &str) -> Result<Pred, FilterError> {
    let bad = |expected| FilterError::BadValue {
        token: token.to_owned(),
        expected,
    };
    for (prefix, is_dur) in [("dur", true), ("start", false)] {
        if let Some(rest) = body.strip_prefix(prefix)
            && let Some((cmp, value)) = comparison(rest)
        {
            return if is_dur {
                let ns = parse_duration(value).ok_or(bad("a duration like 5s, 150ms, 2m"))?;
                Ok(Pred::Duration(cmp, ns))
            } else {
                let ns = parse_time(value).ok_or(bad("a UTC time like 2025-06-02T09:00"))?;
                Ok(Pred::Start(cmp, ns))
            };
        }
    }
    let Some((key, value)) = body.split_once(':') else {
        return Ok(Pred::Text(body.to_lowercase()));
    };
    let text = || value.to_lowercase();
    Ok(match key {
        "status" => match text().as_str() {
            "error" | "err" => Pred::Error(true),
            "ok" => Pred::Error(false),
            _ => return Err(bad("status:error or status:ok")),
        },
        "has" => match value.split_once(':') {
            Some(("tool", name)) if !name.is_empty() => Pred::HasTool(name.to_lowercase()),
            Some(("name", name)) if !name.is_empty() => Pred::HasName(name.to_lowercase()),
            _ => return Err(bad("has:tool:NAME or has:name:TEXT")),
        },
        "model" => Pred::Model(text()),
        "session" => Pred::Session(text()),
        "user" => Pred::User(text()),
        "tag" if !value.is_empty() => match value.split_once('=') {
            Some((k, v)) => Pred::Tag(k.to_lowercase(), Some(v.to_lowercase())),
            None => Pred::Tag(text(), None),
        },
        "tag" => return Err(bad("tag:KEY or tag:KEY=VALUE")),
        _ => return Err(FilterError::Unknown(token.to_owned())),
    })
}

/// `>5s` → (Gt, "5s").
fn comparison(rest: &str) -> Option<(Cmp, &str)> {
    Some(match rest.as_bytes() {
        [b'>', b'=', ..] => (Cmp::Ge, &rest[2..]),
        [b'<', b'=', ..] => (Cmp::Le, &rest[2..]),
        [b'>', ..] => (Cmp::Gt, &rest[1..]),
        [b'<', ..] => (Cmp::Lt, &rest[1..]),
        _ => return None,
    })
}

/// `2025-06-02`, `2025-06-02T09`, `2025-06-02T09:00`, or a full RFC 3339 time; UTC
/// unless a zone is given.
pub fn parse_time(s: &str) -> Option<i64> {
    let zone_at = s
        .char_indices()
        .skip(10)
        .find(|(_, c)| matches!(c, 'Z' | 'z' | '+' | '-'))
        .map_or(s.len(), |(i, _)| i);
    let (body, zone) = s.split_at(zone_at);
    let padded = match body.len() {
        10 => format!("{body}T00:00:00"),
        13 => format!("{body}:00:00"),
        16 => format!("{body}:00"),
        _ => body.to_owned(),
    };
    parse_iso(&format!("{padded}{zone}"))
}

fn compare(cmp: Cmp, value: i64, bound: i64) -> bool {
    match cmp {
        Cmp::Lt => value < bound,
        Cmp::Le => value <= bound,
        Cmp::Gt => value > bound,
        Cmp::Ge => value >= bound,
    }
}

fn contains(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(needle)
}

/// Predicates read from the arena alone.
fn holds(set: &TraceSet, t: TraceIx, p: &Pred) -> bool {
    let trace = set.trace(t);
    let spans = &set.spans[trace.spans()];
    match p {
        Pred::Error(want) => {
            let failed = trace.errors > 0 || trace.state == Some(crate::model::Status::Error);
            failed == *want
        }
        Pred::HasTool(name) => spans.iter().any(|s| {
            let tool = if !s.tool.is_empty() {
                s.tool
            } else if s.kind == SpanKind::Tool {
                s.name
            } else {
                return false;
            };
            contains(set.str(tool), name)
        }),
        Pred::HasName(text) => spans.iter().any(|s| contains(set.str(s.name), text)),
        Pred::Model(m) => spans
            .iter()
            .any(|s| !s.model.is_empty() && contains(set.str(s.model), m)),
        Pred::Duration(cmp, ns) => compare(*cmp, trace.duration_ns(), *ns),
        Pred::Start(cmp, ns) => compare(*cmp, trace.start_ns, *ns),
        Pred::Text(text) => {
            contains(set.str(trace.id), text)
                || contains(set.str(trace.original_id), text)
                || contains(set.str(trace.name), text)
        }
        Pred::Session(_) | Pred::User(_) | Pred::Tag(..) => false,
    }
}

/// Predicates on trace metadata.
fn meta_holds(p: &Pred, m: &TraceMeta) -> bool {
    match p {
        Pred::Session(s) => m.session.as_deref().is_some_and(|v| contains(v, s)),
        Pred::User(u) => m.user.as_deref().is_some_and(|v| contains(v, u)),
        Pred::Tag(k, v) => m.tags.iter().any(|(tk, tv)| {
            tk.to_lowercase() == *k && v.as_ref().is_none_or(|v| tv.to_lowercase() == *v)
        }),
        _ => false,
    }
}
