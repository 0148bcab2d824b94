//! Search at scale: match the raw bytes of every span field, in file order, without
//! decoding spans. Exact text is looked for in each of the ways an export may have escaped
//! it; fuzzy text is matched line by line (raw lines end at a newline or at a `\n`
//! escape). Hits are decoded afterwards only as far as needed: tool calls inside messages
//! for every hit, the real line for the shown ones (see `expand`). Mapped pages
//! are released as the scan moves on, so a search of a file larger than memory stays small.

use super::byte_index::{self as scan, Index};
use super::matcher::TextMatcher;
use super::query::{FieldKind, Mode, Query};
use crate::model::conventions::{Role, role_of};
use crate::model::{SourceData, SpanIx, SpanKind, Sym, TextRef, TraceSet};
use rayon::prelude::*;
use regex::bytes::Regex;

/// A hit found in raw bytes, not yet decoded.
#[derive(Clone, Copy, Debug)]
pub struct RawHit {
    pub score: u32,
    pub span: SpanIx,
    pub field: FieldKind,
    /// The attribute key (`Sym::EMPTY` for non-attribute fields).
    pub key: Sym,
    pub text: TextRef,
}

/// Bytes of file scanned between page releases.
const WINDOW: u64 = 64 << 20;
/// Spans per parallel work item.
const CHUNK: usize = 512;

/// Every raw hit of the spans in `range` passing `keep`.
pub fn hits(
    set: &TraceSet,
    index: &Index,
    q: &Query,
    range: std::ops::Range<usize>,
    keep: &(dyn Fn(SpanIx) -> bool + Sync),
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Vec<RawHit> {
    let exact = match q.mode {
        Mode::Exact => scan::raw_pattern(&q.text, q.case_sensitive),
        Mode::Regex => regex::bytes::RegexBuilder::new(&q.text)
            .case_insensitive(!q.case_sensitive)
            .build()
            .ok(),
        Mode::Fuzzy => None,
    };
    let loc = index.locator(set);
    let mut out = Vec::new();
    for src in 0..set.sources.len() {
        let Some(source) = set.sources.get(src as u16) else {
            continue;
        };
        let regions: Vec<(u64, u64, u32)> = loc
            .regions(src)
            .iter()
            .copied()
            .filter(|r| range.contains(&(r.2 as usize)) && keep(SpanIx(r.2)))
            .collect();
        if regions.is_empty() {
            continue;
        }
        let on_data = &mut |data: &[u8], release: &dyn Fn(u64)| {
            scan_regions(
                set,
                q,
                exact.as_ref(),
                &regions,
                data,
                release,
                cancelled,
                &mut out,
            )
        };
        match &source.data {
            SourceData::Memory(m) => on_data(m, &|_| {}),
            SourceData::File(f) => with_map(f, on_data),
            // A span's text is not one region here: its long cells are in the file.
            SourceData::Kept { .. } => {
                scan_spans(set, q, exact.as_ref(), &regions, cancelled, &mut out)
            }
        }
        if cancelled() {
            break;
        }
    }
    out
}

/// Scans `regions` (spans in file order) of one source, releasing pages behind it.
#[allow(clippy::too_many_arguments)]
fn scan_regions(
    set: &TraceSet,
    q: &Query,
    exact: Option<&Regex>,
    regions: &[(u64, u64, u32)],
    data: &[u8],
    release: &dyn Fn(u64),
    cancelled: &(dyn Fn() -> bool + Sync),
    out: &mut Vec<RawHit>,
) {
    let mut start = 0;
    while start < regions.len() && !cancelled() {
        // A window: the spans that start within the next WINDOW bytes.
        let first = regions[start].0;
        let end = start + regions[start..].partition_point(|r| r.0 < first + WINDOW);
        let end = end.max(start + 1);
        let found: Vec<Vec<RawHit>> = regions[start..end]
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut hits = Vec::new();
                match exact {
                    Some(re) => chunk_matches(set, q, re, chunk, data, &mut hits),
                    None => {
                        let mut m = TextMatcher::new(q);
                        for r in chunk {
                            span_hits(set, q, &mut m, SpanIx(r.2), Some(data), &mut hits);
                        }
                    }
                }
                hits
            })
            .collect();
        out.extend(found.into_iter().flatten());
        release(first + WINDOW);
        start = end;
    }
}

/// Scans `regions` of a source whose long cells are left in the input file, field by
/// field: each field's bytes are read on their own (cells of one page are decoded once,
/// while the page is cached).
fn scan_spans(
    set: &TraceSet,
    q: &Query,
    exact: Option<&Regex>,
    regions: &[(u64, u64, u32)],
    cancelled: &(dyn Fn() -> bool + Sync),
    out: &mut Vec<RawHit>,
) {
    let found: Vec<Vec<RawHit>> = regions
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut hits = Vec::new();
            let mut m = None;
            for r in chunk.iter().take_while(|_| !cancelled()) {
                let ix = SpanIx(r.2);
                match exact {
                    Some(re) => field_matches(set, q, re, ix, &mut hits),
                    None => {
                        let m = m.get_or_insert_with(|| TextMatcher::new(q));
                        span_hits(set, q, m, ix, None, &mut hits)
                    }
                }
            }
            hits
        })
        .collect();
    out.extend(found.into_iter().flatten());
}

/// The first exact or regex match in each searched field of one span.
fn field_matches(set: &TraceSet, q: &Query, re: &Regex, ix: SpanIx, out: &mut Vec<RawHit>) {
    for (field, key, text) in searched_fields(set, q, ix) {
        let mut at = None;
        let _ = set
            .sources
            .with_bytes(text, &mut |bytes| at = re.find(bytes).map(|m| m.start()));
        if let Some(at) = at {
            out.push(RawHit {
                score: exact_score(at as u64, field),
                span: ix,
                field,
                key,
                text,
            });
        }
    }
}

/// The score of an exact or regex match `at` bytes into a field: earlier is better.
fn exact_score(at: u64, field: FieldKind) -> u32 {
    1000u32.saturating_sub(at.min(500) as u32) + field.weight()
}

/// Exact and regex search over a run of spans: one pass of the pattern over their bytes
/// (the regex engine's literal search is far quicker than one call per field), each match
/// then placed in its span and field. Matches outside a searched field (keys, ids) are
/// passed over; after a hit, the rest of that field is skipped.
fn chunk_matches(
    set: &TraceSet,
    q: &Query,
    re: &Regex,
    chunk: &[(u64, u64, u32)],
    data: &[u8],
    out: &mut Vec<RawHit>,
) {
    let lo = chunk[0].0;
    let hi = chunk.iter().map(|r| r.1).max().unwrap_or(lo);
    let Some(hay) = data.get(lo as usize..(hi as usize).min(data.len())) else {
        return;
    };
    let mut fields: (u32, Vec<(FieldKind, Sym, TextRef)>) = (u32::MAX, Vec::new());
    let mut pos = 0;
    while let Some(m) = re.find_at(hay, pos) {
        pos = m.end().max(m.start() + 1);
        let (at, end) = (lo + m.start() as u64, lo + m.end() as u64);
        let Some(i) = chunk.partition_point(|r| r.0 <= at).checked_sub(1) else {
            continue;
        };
        let (_, span_end, span) = chunk[i];
        if at >= span_end {
            continue;
        }
        let src = set.span(SpanIx(span)).src;
        if fields.0 != span {
            fields = (span, searched_fields(set, q, SpanIx(span)));
        }
        let field_end = |t: &TextRef| t.off + u64::from(t.len);
        let Some(&(field, key, text)) = fields
            .1
            .iter()
            .find(|(_, _, t)| t.src == src && t.off <= at && end <= field_end(t))
        else {
            continue;
        };
        out.push(RawHit {
            score: exact_score(at - text.off, field),
            span: SpanIx(span),
            field,
            key,
            text,
        });
        pos = pos.max((field_end(&text) - lo) as usize);
    }
}

/// The raw fields of a span that `q` searches.
fn searched_fields(set: &TraceSet, q: &Query, ix: SpanIx) -> Vec<(FieldKind, Sym, TextRef)> {
    let mut v = raw_fields(set, ix, !q.attr_keys.is_empty());
    v.retain(|&(field, key, _)| wanted(set, q, field, key));
    v
}

/// Whether `q` searches a raw field. Messages carry tool calls, searched as tool
/// arguments and results.
fn wanted(set: &TraceSet, q: &Query, field: FieldKind, key: Sym) -> bool {
    let carries_tools = matches!(field, FieldKind::Prompt | FieldKind::Output)
        && (q.searches(FieldKind::ToolArgs) || q.searches(FieldKind::ToolResult));
    (q.searches(field) || carries_tools)
        && super::engine::key_wanted(q, (!key.is_empty()).then(|| set.str(key)))
}

/// Fuzzy-matches every searched raw field of one span, line by line. `data` is the
/// span's source when its bytes are at hand (`None` where long cells are in a file).
fn span_hits(
    set: &TraceSet,
    q: &Query,
    m: &mut TextMatcher,
    ix: SpanIx,
    data: Option<&[u8]>,
    out: &mut Vec<RawHit>,
) {
    for (field, key, text) in raw_fields(set, ix, !q.attr_keys.is_empty()) {
        if !wanted(set, q, field, key) {
            continue;
        }
        // Loaders keep a span's fields in its own source; anything else is read apart.
        let mut best = None;
        if let Some(data) = data.filter(|_| text.src == set.span(ix).src) {
            let range = text.off as usize..(text.off + u64::from(text.len)) as usize;
            best = data.get(range).and_then(|b| best_raw_line(m, b));
        } else {
            let _ = (set.sources).with_bytes(text, &mut |b| best = best_raw_line(m, b));
        }
        if let Some(score) = best {
            out.push(RawHit {
                score: score + field.weight(),
                span: ix,
                field,
                key,
                text,
            });
        }
    }
}

/// The best fuzzy score among the raw lines of `bytes` (lines end at a newline or at a
/// `\n` escape).
fn best_raw_line(m: &mut TextMatcher, bytes: &[u8]) -> Option<u32> {
    let text = simdutf8::basic::from_utf8(bytes).ok()?;
    let b = text.as_bytes();
    let mut best: Option<u32> = None;
    let mut start = 0;
    let mut at = 0;
    while at <= b.len() {
        let end = match memchr::memchr2(b'\n', b'\\', &b[at..]) {
            Some(i) => at + i,
            None => b.len(),
        };
        let (line_end, next) = if end == b.len() || b[end] == b'\n' {
            (end, end + 1)
        } else if b.get(end + 1) == Some(&b'n') {
            (end, end + 2)
        } else {
            // Another escape: part of the line.
            at = end + 2;
            continue;
        };
        if line_end > start
            && let Some(line) = text.get(start..line_end)
            && let Some(s) = m.score_fast(line)
        {
            best = Some(best.map_or(s, |x| x.max(s)));
        }
        start = next;
        at = next;
    }
    best
}

/// The searchable fields of a span as raw references: its input and output, status
/// message and events, and attributes that are not already one of those or a short field.
/// Asked for by key (`attr:KEY`, `explicit`), every attribute is an attribute, as when
/// decoding.
fn raw_fields(set: &TraceSet, ix: SpanIx, explicit: bool) -> Vec<(FieldKind, Sym, TextRef)> {
    let s = set.span(ix);
    let (in_kind, out_kind) = if s.kind == SpanKind::Tool {
        (FieldKind::ToolArgs, FieldKind::ToolResult)
    } else {
        (FieldKind::Prompt, FieldKind::Output)
    };
    let mut out = Vec::with_capacity(s.attr_len as usize + 3);
    out.extend(s.input.map(|t| (in_kind, Sym::EMPTY, t)));
    out.extend(s.output.map(|t| (out_kind, Sym::EMPTY, t)));
    for t in [s.status_msg, s.events].into_iter().flatten() {
        out.push((FieldKind::Error, Sym::EMPTY, t));
    }
    let same =
        |t: &TextRef, o: Option<TextRef>| o.is_some_and(|o| o.off == t.off && o.len == t.len);
    for (a, (key, text)) in set.attrs[s.attr_range()].iter().zip(set.attrs_of(ix)) {
        if explicit {
            out.push((FieldKind::Attribute, a.key, text));
            continue;
        }
        if same(&text, s.input) || same(&text, s.output) {
            continue;
        }
        let field = match role_of(key) {
            Some(Role::Tool | Role::Model(_) | Role::Kind(_)) => continue,
            Some(Role::Input(_)) => in_kind,
            Some(Role::Output(_)) => out_kind,
            _ if key.contains("input_messages")
                || key.starts_with("gen_ai.prompt")
                || key.contains("system_instructions") =>
            {
                FieldKind::Prompt
            }
            _ if key.contains("output_messages") || key.starts_with("gen_ai.completion") => {
                FieldKind::Output
            }
            _ => FieldKind::Attribute,
        };
        let key = if field == FieldKind::Attribute {
            a.key
        } else {
            Sym::EMPTY
        };
        out.push((field, key, text));
    }
    out
}

/// Releases the pages of a mapped file before an offset, once the scan has passed them.
type Release<'a> = &'a dyn Fn(u64);

/// Maps a file for the scan and gives the callback a way to release pages behind it.
fn with_map(file: &std::fs::File, f: &mut dyn FnMut(&[u8], Release)) {
    // Dropped before returning (see `memory::map`).
    let Ok(map) = crate::memory::map(file) else {
        return;
    };
    let released = std::cell::Cell::new(0usize);
    let release = |upto: u64| {
        let page = crate::memory::page_size();
        let upto = (upto as usize).min(map.len()) / page * page;
        let from = released.get();
        if upto > from {
            // Pages before `upto` are no longer read by the scan.
            crate::memory::release(&map, from, upto);
            released.set(upto);
        }
    };
    f(&map, &release);
}
