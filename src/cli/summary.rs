//! `spanlens summary`: what the files hold, for people and (with `--json`) for scripts.

use crate::inert;
use crate::model::time::{format_duration, format_iso_ms, iso_ms_bytes};
use crate::model::{Anomalies, Trace, TraceSet};
use serde_json::{Value, json};
use std::fmt::Write;

/// Writes the `--json` text with its final newline: the same text as
/// `render(to_json(set))`, but each trace's row is built only while it is written, and
/// rows are written on the pool, a round of parts at a time.
///
/// PERF: the whole `Value` of 16,667 traces held 85 MB at its peak, more than the loaded
/// model of their 100,000 spans; writing 166,667 rows on one thread, then joining them,
/// took 0.27 s at 1M spans. Holding every part until all were written still cost 70 MB at
/// 1M MLflow 3 spans, the peak of `summary`; a round holds a few MB.
pub fn write_json(set: &TraceSet, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use rayon::prelude::*;
    let head = to_json_without_traces(set);
    // The keys in the order `to_json` writes them.
    let mut open = b"{\"files\":".to_vec();
    super::json::write(&mut open, &head["files"]);
    open.extend_from_slice(b",\"totals\":");
    super::json::write(&mut open, &head["totals"]);
    open.extend_from_slice(b",\"traces\":[");
    out.write_all(&open)?;
    // Parts of 64 to 2,048 rows, several per thread so that the threads finish together.
    let threads = rayon::current_num_threads();
    let part = (set.traces.len() / (8 * threads)).clamp(64, 2048);
    // Each file's path as JSON, written into every row of its traces.
    let paths: Vec<Vec<u8>> = (set.files.iter())
        .map(|f| super::json::render(&f.path).into_bytes())
        .collect();
    // PERF: each part's buffer is refilled round after round: new ones (of a MB or
    // more, each its own mapping) were faulted in and zeroed every round, a quarter of
    // writing the rows of 1M MLflow 3 spans.
    let mut parts: Vec<Vec<u8>> = vec![Vec::new(); 2 * threads];
    for (r, round) in set.traces.chunks(part * 2 * threads).enumerate() {
        let chunks = round.par_chunks(part).enumerate();
        (parts.par_iter_mut().zip(chunks)).for_each(|(text, (n, chunk))| {
            text.clear();
            text.reserve(chunk.len() * 512);
            for (i, t) in chunk.iter().enumerate() {
                if r > 0 || n > 0 || i > 0 {
                    text.push(b',');
                }
                TraceRow::of(set, t).write(text, &paths[t.file as usize]);
            }
        });
        let filled = round.len().div_ceil(part);
        parts[..filled].iter().try_for_each(|p| out.write_all(p))?;
    }
    let mut close = b"],\"warnings\":".to_vec();
    super::json::write(&mut close, &head["warnings"]);
    close.extend_from_slice(b"}\n");
    out.write_all(&close)
}

/// The `--json` document. Its shape is relied on by scripts; fields may be added, never
/// renamed.
pub fn to_json(set: &TraceSet) -> Value {
    let mut v = to_json_without_traces(set);
    let traces: Vec<Value> = set
        .traces
        .iter()
        .map(|t| serde_json::to_value(TraceRow::of(set, t)).unwrap_or_default())
        .collect();
    v["traces"] = Value::Array(traces);
    v
}

/// The `--json` document with an empty `traces` list.
fn to_json_without_traces(set: &TraceSet) -> Value {
    let files: Vec<Value> = set
        .files
        .iter()
        .map(|f| {
            json!({
                "path": f.path, "format": f.format, "bytes": f.bytes,
                "traces": f.traces, "spans": f.spans, "errors": f.errors,
                "warnings": warnings_for(set, &f.path),
            })
        })
        .collect();
    let anomalies = set.anomalies();
    json!({
        "files": files,
        "totals": {
            "files": set.files.len(),
            "traces": set.traces.len(),
            "spans": set.total_spans(),
            "errors": set.total_errors(),
            "assessments": set.assessments.len(),
            "anomalies": anomalies_json(&anomalies),
        },
        "traces": [],
        "warnings": set.diagnostics.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
    })
}

fn warnings_for(set: &TraceSet, path: &str) -> Vec<String> {
    set.diagnostics
        .iter()
        .filter(|d| d.path == path)
        .map(|d| d.to_string())
        .collect()
}

/// One trace of the `--json` document, in the order its keys are written. PERF: a typed
/// row instead of a `json!` map per trace (a tenth of `summary --json` on 143,000 traces
/// went to building and dropping those maps).
#[derive(serde::Serialize)]
struct TraceRow<'a> {
    trace_id: &'a str,
    root: &'a str,
    spans: u32,
    roots: u32,
    errors: u32,
    /// Written as a string: JSON readers lose integers past 2^53.
    #[serde(serialize_with = "decimal_string")]
    start_unix_nano: i64,
    #[serde(serialize_with = "iso_ms")]
    start: i64,
    duration_ns: i64,
    input_tokens: u64,
    output_tokens: u64,
    total_tokens: u64,
    file: &'a str,
    anomalies: AnomalyCounts<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'static str>,
}

impl<'a> TraceRow<'a> {
    fn of(set: &'a TraceSet, t: &'a Trace) -> TraceRow<'a> {
        TraceRow {
            trace_id: set.str(t.id),
            root: set.str(t.name),
            spans: t.span_count(),
            roots: t.roots,
            errors: t.errors,
            start_unix_nano: t.start_ns,
            start: t.start_ns,
            duration_ns: t.duration_ns(),
            input_tokens: t.input_tokens,
            output_tokens: t.output_tokens,
            total_tokens: t.total_tokens,
            file: &set.files[t.file as usize].path,
            anomalies: AnomalyCounts(&t.anomalies),
            original_id: (!t.original_id.is_empty()).then(|| set.str(t.original_id)),
            cost: t.cost,
            state: t.state.map(|s| s.as_str()),
        }
    }
}

impl TraceRow<'_> {
    /// Appends the row's JSON: the text `json::write(out, self)` gives, keys in the same
    /// order (a test compares the two on every row of a generated file and of hostile
    /// names). `path` is the row's file path, already written as JSON.
    ///
    /// PERF: through serde's derive a row cost about 8,500 instructions (a map of eight
    /// anomaly counts, the path escaped again on every row, numbers through `Serialize`),
    /// 4-5% of the instructions of `summary --json`. Strings go through
    /// `json::write_str`, which escapes what a terminal would act on.
    fn write(&self, out: &mut Vec<u8>, path: &[u8]) {
        let text = |out: &mut Vec<u8>, key: &[u8], v: &str| {
            out.extend_from_slice(key);
            super::json::write_str(out, v);
        };
        text(out, b"{\"trace_id\":", self.trace_id);
        text(out, b",\"root\":", self.root);
        number(out, b",\"spans\":", self.spans.into());
        number(out, b",\"roots\":", self.roots.into());
        number(out, b",\"errors\":", self.errors.into());
        // PERF: digits straight into the row, not a `String` a row through `Display`.
        number(out, b",\"start_unix_nano\":\"", self.start_unix_nano.into());
        out.push(b'"');
        match iso_ms_bytes(self.start) {
            // Digits, dashes and colons: nothing to escape.
            Some(iso) => {
                out.extend_from_slice(b",\"start\":\"");
                out.extend_from_slice(&iso);
                out.push(b'"');
            }
            None => text(out, b",\"start\":", &format_iso_ms(self.start)),
        }
        number(out, b",\"duration_ns\":", self.duration_ns.into());
        number(out, b",\"input_tokens\":", self.input_tokens.into());
        number(out, b",\"output_tokens\":", self.output_tokens.into());
        number(out, b",\"total_tokens\":", self.total_tokens.into());
        out.extend_from_slice(b",\"file\":");
        out.extend_from_slice(path);
        let mut sep = b",\"anomalies\":{".as_slice();
        for (key, n) in self.anomalies.counts() {
            // The keys are ours, plain ASCII: written without a check.
            out.extend_from_slice(sep);
            out.push(b'"');
            out.extend_from_slice(key.as_bytes());
            number(out, b"\":", n.into());
            sep = b",";
        }
        out.push(b'}');
        if let Some(id) = self.original_id {
            text(out, b",\"original_id\":", id);
        }
        if let Some(cost) = self.cost {
            out.extend_from_slice(b",\"cost\":");
            super::json::write(out, &cost);
        }
        if let Some(state) = self.state {
            text(out, b",\"state\":", state);
        }
        out.push(b'}');
    }
}

/// Serialises nanoseconds since the epoch as `format_iso_ms` writes them.
fn iso_ms<S: serde::Serializer>(ns: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_iso_ms(*ns))
}

/// Serialises an integer as its decimal digits in a string.
fn decimal_string<S: serde::Serializer>(n: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(n)
}

/// Appends `key` and `n` in decimal, as serde_json writes an integer.
fn number(out: &mut Vec<u8>, key: &[u8], n: i128) {
    out.extend_from_slice(key);
    let mut digits = [0u8; 40];
    let mut at = digits.len();
    // PERF: digits of a `u64` where the value fits (every count and duration does): a
    // `u128` division by ten is a call of a few dozen instructions, a `u64` one a multiply.
    let mut digit = |d: u8| {
        at -= 1;
        digits[at] = b'0' + d;
    };
    // The low digits of a value beyond `u64` (never a count or a duration) in `u128`.
    let mut wide = n.unsigned_abs();
    while wide > u128::from(u64::MAX) {
        digit((wide % 10) as u8);
        wide /= 10;
    }
    let mut m = wide as u64;
    loop {
        digit((m % 10) as u8);
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[at..]);
}

fn anomalies_json(a: &Anomalies) -> Value {
    serde_json::to_value(AnomalyCounts(a)).unwrap_or_default()
}

/// A trace's or the files' anomaly counts, in the order their keys are written.
struct AnomalyCounts<'a>(&'a Anomalies);

impl AnomalyCounts<'_> {
    /// The counts by key, in the order they are written.
    fn counts(&self) -> [(&'static str, u32); 8] {
        let a = self.0;
        [
            ("orphans", a.orphans),
            ("duplicate_ids", a.duplicate_ids),
            ("cycles", a.cycles),
            ("starts_before_parent", a.starts_before_parent),
            ("ends_after_parent", a.ends_after_parent),
            ("negative_durations", a.negative_durations),
            ("in_progress", a.in_progress),
            ("missing_ids", a.missing_ids),
        ]
    }
}

impl serde::Serialize for AnomalyCounts<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let counts = self.counts();
        let mut map = s.serialize_map(Some(counts.len()))?;
        for (k, v) in counts {
            map.serialize_entry(k, &v)?;
        }
        map.end()
    }
}

/// The human report.
pub fn to_text(set: &TraceSet) -> String {
    let mut out = String::new();
    for f in &set.files {
        let _ = writeln!(
            out,
            "{}  {}  {} traces  {} spans  {} errors",
            inert::line(&f.path),
            f.format,
            f.traces,
            f.spans,
            f.errors
        );
    }
    let _ = writeln!(
        out,
        "\n{:<34} {:<28} {:<24} {:>9} {:>6} {:>6} {:>13}",
        "TRACE", "ROOT", "START", "DURATION", "SPANS", "ERRORS", "TOKENS IN/OUT"
    );
    for t in &set.traces {
        let _ = writeln!(
            out,
            "{:<34} {:<28} {:<24} {:>9} {:>6} {:>6} {:>13}",
            clip(&inert::line(set.str(t.id)), 34),
            clip(&inert::line(set.str(t.name)), 28),
            format_iso_ms(t.start_ns),
            format_duration(t.duration_ns()),
            t.span_count(),
            t.errors,
            format!("{}/{}", t.input_tokens, t.output_tokens),
        );
    }
    let _ = writeln!(
        out,
        "\n{} files, {} traces, {} spans, {} errors, {} assessments",
        set.files.len(),
        set.traces.len(),
        set.total_spans(),
        set.total_errors(),
        set.assessments.len()
    );
    let anomalies = set.anomalies().describe();
    if !set.diagnostics.is_empty() || !anomalies.is_empty() {
        let _ = writeln!(out, "\nwarnings:");
        for d in &set.diagnostics {
            let _ = writeln!(out, "  {}", inert::line(&d.to_string()));
        }
        for a in anomalies {
            let _ = writeln!(out, "  {a}");
        }
    }
    out
}

/// Cuts `s` to `width` characters, marking the cut with `…`.
pub fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod number_tests {
    #[test]
    fn numbers_are_written_as_format_writes_them() {
        let mut ns: Vec<i128> = vec![0, 9, 10, -1, -10, 99, 100];
        ns.extend([i64::MIN, i64::MAX].map(i128::from));
        ns.extend([u64::MAX].map(i128::from));
        ns.extend([
            i128::from(u64::MAX) + 1,
            -i128::from(u64::MAX) - 1,
            i128::MIN,
            i128::MAX,
        ]);
        let mut seed = 3u64;
        for _ in 0..1000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            ns.push(i128::from(seed as i64) >> (seed % 60));
        }
        for n in ns {
            let mut out = Vec::new();
            super::number(&mut out, b"k:", n);
            assert_eq!(String::from_utf8(out).unwrap(), format!("k:{n}"));
        }
    }
}
