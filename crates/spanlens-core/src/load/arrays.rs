//! One-document arrays (pandas `to_json(orient="records")`, a list of MLflow traces, a
//! LangSmith `list_runs` dump): the elements are walked straight from the buffer and
//! loaded in runs, each into a part with an arena of its own, on every core; the pages
//! behind the walk, and each run's once loaded, are given back.

use super::json::{self, Ctx};
use super::records::Release;
use super::sniff::{classify_value, skip_bom_ws};
use super::{ARENA_SRC, Format, LoadOptions, Sink, dispatch, is_empty_object, langsmith};
use rayon::prelude::*;
use serde_json::value::RawValue;

/// A document that is one array of records: its format and one part per run. `None` for
/// anything else (other values, a damaged or truncated array, an unknown shape).
/// PERF: the general path reads each value whole before walking it, a pass more.
pub(super) fn one_array(
    opts: &LoadOptions,
    ctx: &Ctx,
    release: &Release,
) -> Option<(Format, Vec<Sink>)> {
    if skip_bom_ws(ctx.buf).first() != Some(&b'[') {
        return None;
    }
    if ctx.buf.len() >= STREAM_FROM {
        return load_array_streaming(opts, ctx, release, MAX_RUN);
    }
    let mut elements = Vec::new();
    walk_releasing(ctx, release, |el| elements.push(el)).ok()?;
    let fmt = opts.format.or_else(|| classify_value(elements.first()?))?;
    let mut parts = Vec::new();
    load_elements(fmt, &mut parts, ctx, &elements, 1 << 32, release);
    Some((fmt, parts))
}

/// Walks the elements of the array in `ctx.buf`, giving back the pages behind the walk
/// every `RELEASE_STEP` bytes; each run's pages come back while it is parsed, and go
/// again once it is (`load_run`).
fn walk_releasing<'a>(
    ctx: &Ctx<'a>,
    release: &Release,
    mut f: impl FnMut(&'a RawValue),
) -> Result<(), serde_json::Error> {
    let mut released = 0;
    json::for_each_element(ctx.buf, |el| {
        let at = offset(ctx, el);
        if at - released >= RELEASE_STEP {
            release(released, at);
            released = at;
        }
        f(el)
    })
}

/// Documents this big are loaded while their array is walked (`load_array_streaming`).
const STREAM_FROM: usize = 4 * MAX_RUN;

/// `one_array` for a big document: each run of `run_bytes` of elements is loaded
/// on the pool as soon as the walk has found it, instead of after the whole walk. `None`,
/// with what was loaded dropped, when the array turns out damaged or of an unknown shape.
/// PERF: the walk is serial (serde_json finding each element's end): a 4 GB MLflow
/// `search_traces` array took about 4 s of it before any row was loaded.
fn load_array_streaming<'a>(
    opts: &LoadOptions,
    ctx: &Ctx<'a>,
    release: &Release,
    run_bytes: usize,
) -> Option<(Format, Vec<Sink>)> {
    let loaded = std::sync::Mutex::new(Vec::new());
    let mut fmt = opts.format;
    let mut run: Vec<&'a RawValue> = Vec::new();
    let (mut bytes, mut count, mut runs) = (0, 0u64, 0);
    let walked = rayon::scope(|scope| {
        let spawn_run = |fmt: Format, run: Vec<&'a RawValue>, first: u64, r: usize| {
            let loaded = &loaded;
            scope.spawn(move |_| {
                let src = ARENA_SRC as usize + 1 + r;
                let part = load_run(fmt, ctx, &run, ((1 << 32) + first + 1, src), release);
                loaded
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((r, part));
            });
        };
        let walked = walk_releasing(ctx, release, |el| {
            // The format is the first element's, as for a smaller document.
            if count == 0 {
                fmt = fmt.or_else(|| classify_value(el));
            }
            run.push(el);
            bytes += el.get().len();
            count += 1;
            if let Some(f) = fmt.filter(|_| bytes >= run_bytes) {
                let first = count - run.len() as u64;
                spawn_run(f, std::mem::take(&mut run), first, runs);
                (bytes, runs) = (0, runs + 1);
            }
        });
        if let Some(f) = fmt.filter(|_| walked.is_ok() && !run.is_empty()) {
            let first = count - run.len() as u64;
            spawn_run(f, std::mem::take(&mut run), first, runs);
        }
        walked
    });
    let fmt = fmt.filter(|_| walked.is_ok())?;
    let mut parts = loaded.into_inner().unwrap_or_else(|e| e.into_inner());
    parts.sort_unstable_by_key(|(r, _)| *r);
    Some((fmt, parts.into_iter().map(|(_, p)| p).collect()))
}

/// Bytes walked between two releases of the pages behind the walk.
const RELEASE_STEP: usize = 64 << 20;

/// Where `raw` (a slice of `ctx.buf`) starts in it.
fn offset(ctx: &Ctx, raw: &RawValue) -> usize {
    raw.get().as_ptr() as usize - ctx.buf.as_ptr() as usize
}

/// Loads array elements on every core, in runs of about equal size, each run into a part
/// with an arena of its own (source `ARENA_SRC + 1 + i`, after the parts before it). The
/// pages of each run's bytes are released once it is loaded.
/// PERF: a document of a million spans is often one array (pandas `to_json` records, a
/// list of MLflow traces); element by element on one core it loaded at half the speed.
pub(super) fn load_elements(
    fmt: Format,
    parts: &mut Vec<Sink>,
    ctx: &Ctx,
    elements: &[&RawValue],
    seq: u64,
    release: &Release,
) {
    // Small documents stay one run: nothing to gain, and a loader's once-per-run notes
    // (rows that all lack the same field) stay once. Big ones are cut into runs of at
    // most `MAX_RUN`, so that little of the document is resident at a time.
    let bytes: usize = elements.iter().map(|e| e.get().len()).sum();
    let runs = (rayon::current_num_threads() * 8).max(bytes / MAX_RUN);
    let runs = even_runs(elements, runs.min(bytes / MIN_RUN + 1));
    let first_src = ARENA_SRC as usize + 1 + parts.len();
    let loaded: Vec<Sink> = (runs.par_iter().enumerate())
        .map(|(r, range)| {
            let run = &elements[range.clone()];
            let first_seq = seq + range.start as u64 + 1;
            load_run(fmt, ctx, run, (first_seq, first_src + r), release)
        })
        .collect();
    parts.extend(loaded);
}

/// Loads a run of array elements into a part of its own (arena source `src`; element `j`
/// has order key `first_seq + j`), then releases the run's pages.
fn load_run(
    fmt: Format,
    ctx: &Ctx,
    run: &[&RawValue],
    (first_seq, src): (u64, usize),
    release: &Release,
) -> Sink {
    let mut part = Sink {
        src: u16::try_from(src).unwrap_or(u16::MAX),
        ..Sink::default()
    };
    for (j, &el) in run.iter().enumerate() {
        let seq = first_seq + j as u64;
        // A LangSmith run (an element of a `list_runs` dump) as a line is read.
        if fmt == Format::Langsmith
            && !is_empty_object(el.get())
            && langsmith::load_line_fast(&mut part, ctx, el.get(), seq)
        {
            continue;
        }
        dispatch(fmt, &mut part, ctx, el, seq);
    }
    if let (Some(first), Some(last)) = (run.first(), run.last()) {
        release(offset(ctx, first), offset(ctx, last) + last.get().len());
    }
    part
}

/// Bytes of array elements below which splitting a document does not pay.
const MIN_RUN: usize = 1 << 20;

/// Bytes of array elements above which a run is cut in two.
const MAX_RUN: usize = 64 << 20;

/// Splits `elements` into at most `n` runs of about the same number of bytes.
fn even_runs(elements: &[&RawValue], n: usize) -> Vec<std::ops::Range<usize>> {
    let bytes = || elements.iter().map(|e| e.get().len());
    crate::runs::by_weight(bytes(), (bytes().sum::<usize>() / n.max(1)).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What parts hold, read through each part's own symbols and ids, and with each part's
    /// arena source as one marker, so parts cut at other elements compare equal: spans
    /// (order keys included), attribute references, trace records, assessments and
    /// diagnostics.
    fn contents(parts: &[Sink]) -> Vec<String> {
        let (mut out, mut rest) = (Vec::new(), Vec::new());
        for p in parts {
            let b = &p.batch;
            let id = |r: crate::model::IdRef| &b.ids[r.off as usize..(r.off + r.len) as usize];
            for s in &b.spans {
                let names = [s.trace_id, s.name, s.model, s.tool, s.scope].map(|y| b.syms.get(y));
                let ids = [id(s.span_id), id(s.parent_id)];
                let attrs: Vec<_> = (b.attrs[s.attr_range()].iter())
                    .map(|a| (b.syms.get(a.key), a.off, a.len))
                    .collect();
                let mut s = *s;
                s.src = if s.src == p.src { u16::MAX } else { s.src };
                (s.trace_id, s.name, s.model, s.tool, s.scope) = Default::default();
                (s.span_id, s.parent_id, s.attr_start) = Default::default();
                out.push(format!("{names:?} {ids:?} {s:?} {attrs:?}"));
            }
            rest.extend(b.infos.iter().map(|i| format!("{i:?}")));
            rest.extend(b.assessments.iter().map(|a| format!("{a:?}")));
            rest.extend(b.diagnostics.iter().map(|d| format!("{d:?}")));
        }
        // The records of each kind in order (parts interleave kinds where they are cut).
        rest.sort();
        out.extend(rest);
        out
    }

    /// A big array loaded while it is walked gives what loading it after the walk gives,
    /// whatever the runs; a damaged one gives nothing, for the general path to read.
    #[test]
    fn an_array_loaded_while_walked_equals_one_loaded_after() {
        let opts = spanlens_synth::GenOptions {
            spans: 400,
            format: spanlens_synth::GenFormat::Mlflow,
            ..Default::default()
        };
        let mut bytes = Vec::new();
        spanlens_synth::generate(&opts, &mut bytes).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let doc = format!("[{}]", text.lines().collect::<Vec<_>>().join(",\n"));
        let ctx = Ctx::new(doc.as_bytes(), 0, 0, "doc.json");
        let mut elements = Vec::new();
        json::for_each_element(ctx.buf, |el| elements.push(el)).expect("an array");
        let mut whole = Vec::new();
        let opts = LoadOptions::default();
        let fmt = classify_value(elements[0]).expect("MLflow");
        load_elements(fmt, &mut whole, &ctx, &elements, 1 << 32, &|_, _| {});
        for run_bytes in [1, 20_000, 300_000, doc.len()] {
            let released = std::sync::Mutex::new(Vec::new());
            let release = |a: usize, b: usize| released.lock().unwrap().push((a, b));
            let (f, parts) = load_array_streaming(&opts, &ctx, &release, run_bytes).unwrap();
            assert_eq!(f, fmt);
            let (got, want) = (contents(&parts), contents(&whole));
            assert_eq!(got.len(), want.len(), "runs of {run_bytes} bytes");
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    g == w,
                    "runs of {run_bytes} bytes: {g:.400} against {w:.400}"
                );
            }
            let mut ranges = released.into_inner().unwrap();
            ranges.sort_unstable();
            assert_eq!(ranges.len(), parts.len(), "each run released once");
            assert!(ranges.windows(2).all(|w| w[0].1 < w[1].0), "{ranges:?}");
        }
        let cut = Ctx::new(&doc.as_bytes()[..doc.len() / 2], 0, 0, "doc.json");
        assert!(load_array_streaming(&opts, &cut, &|_, _| {}, 20_000).is_none());
    }

    /// Every run of a document's array is released once, after it is loaded: the ranges
    /// are disjoint, in order, and cover every element.
    #[test]
    fn each_run_of_an_array_is_released_once_loaded() {
        let pad = "x".repeat(1000);
        let element = format!(r#"{{"resourceSpans":[],"pad":"{pad}"}}"#);
        let text = format!("[{}]", vec![element; 3000].join(",\n"));
        let ctx = Ctx::new(text.as_bytes(), 0, 0, "doc.json");
        let mut elements = Vec::new();
        json::for_each_element(ctx.buf, |el| elements.push(el)).expect("an array");
        let released = std::sync::Mutex::new(Vec::new());
        let release = |a: usize, b: usize| released.lock().unwrap().push((a, b));
        let mut parts = Vec::new();
        load_elements(Format::Otlp, &mut parts, &ctx, &elements, 1 << 32, &release);
        let mut ranges = released.into_inner().unwrap();
        ranges.sort_unstable();
        assert!(
            parts.len() >= 2 && ranges.len() == parts.len(),
            "{ranges:?}"
        );
        assert_eq!(ranges[0].0, 1, "from the first element");
        assert_eq!(
            ranges.last().unwrap().1,
            text.len() - 1,
            "to the end of the last"
        );
        for w in ranges.windows(2) {
            assert!(w[0].1 < w[1].0, "disjoint: {w:?}");
            assert_eq!(
                &text[w[0].1..w[1].0],
                ",\n",
                "runs meet between two elements"
            );
        }
    }
}
