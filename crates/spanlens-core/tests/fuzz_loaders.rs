//! Stable-Rust fuzzing of every loader: seeded mutations of small files in each format,
//! loaded with detection and with each format forced. A load must not panic, must end in
//! bounded time, and must not allocate more than a bounded multiple of its input.
//!
//! The loop runs for `SPANLENS_FUZZ_SECS` seconds (default 10; `.ci/run` sets it) and
//! prints how many inputs it tried. A failure prints the seed and mutation, and writes the
//! input to `$TMPDIR/spanlens-fuzz-failure.bin` to replay it. Coverage-guided fuzzing with
//! libFuzzer is in `fuzz/` (nightly, for local use).

use spanlens_core::load::{self, Format, LoadOptions};
use spanlens_synth::{GenFormat, GenOptions, Profile, generate};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Counts live heap bytes and their peak, so a load's allocation can be bounded.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: delegates to the system allocator; the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.realloc(ptr, layout, new) };
        if !p.is_null() {
            if new >= layout.size() {
                let now = LIVE.fetch_add(new - layout.size(), Relaxed) + new - layout.size();
                PEAK.fetch_max(now, Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new, Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// A load may hold this many times its input, plus a fixed allowance for thread pools,
/// buffers and the model's tables. Measured peaks on the seeds are far below it; a loader
/// that, say, expands a nesting bomb or pre-allocates from a length field trips it.
const ALLOC_FACTOR: usize = 48;
const ALLOC_FIXED: usize = 96 << 20;
/// No load of these small inputs may take longer (a debug build on a loaded 2-core VM).
const HANG: Duration = Duration::from_secs(20);

/// xorshift64: deterministic, so every failure reproduces from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to JSON and to the line splitter.
const PIECES: [&[u8]; 12] = [
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b"\\",
    b",",
    b":",
    b"\n",
    b"\xef\xbb\xbf",
    b"\xff",
    b"null",
];

/// One mutation of `data`; the name says which, for the failure message.
fn mutate(data: &[u8], rng: &mut Rng) -> (Vec<u8>, &'static str) {
    let mut b = data.to_vec();
    let at = rng.below(b.len() + 1);
    let what = match rng.below(8) {
        0 => {
            b.truncate(at);
            "truncate"
        }
        1 => {
            for _ in 0..1 + rng.below(16) {
                let i = rng.below(b.len());
                if let Some(x) = b.get_mut(i) {
                    *x = rng.next() as u8;
                }
            }
            "flip bytes"
        }
        2 => {
            let end = (at + 1 + rng.below(400)).min(b.len());
            b.drain(at.min(end)..end);
            "delete range"
        }
        3 => {
            let piece = PIECES[rng.below(PIECES.len())].repeat(1 + rng.below(4));
            b.splice(at..at, piece);
            "insert punctuation"
        }
        4 => {
            let end = (at + rng.below(300)).min(b.len());
            let copy = b[at.min(end)..end].to_vec();
            b.splice(at..at, copy);
            "duplicate range"
        }
        5 => {
            let depth = 1 + rng.below(5000);
            let mut nest = b"[".repeat(depth);
            nest.extend(b"]".repeat(rng.below(depth + 1)));
            b.splice(at..at, nest);
            "nesting"
        }
        6 => {
            let digits = b"9".repeat(1 + rng.below(400));
            b.splice(at..at, digits);
            "long number"
        }
        _ => {
            b.splice(at..at, b"\"\\u0000\\ud800\\udfff\x1b[31m\"".to_vec());
            "escapes"
        }
    };
    (b, what)
}

/// Small valid files of every family, made here (never copied from real exports).
fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let gen_file = |format, spans| {
        let opts = GenOptions {
            spans,
            traces: Some(3),
            format,
            seed: 7,
            profile: Profile::Sample,
            ..Default::default()
        };
        let mut out = Vec::new();
        generate(&opts, &mut out).expect("generate");
        out
    };
    vec![
        ("otlp.jsonl", gen_file(GenFormat::Otlp, 40)),
        ("mlflow.jsonl", gen_file(GenFormat::Mlflow, 40)),
        ("phoenix.parquet", gen_file(GenFormat::Parquet, 40)),
        ("langfuse.json", LANGFUSE.as_bytes().to_vec()),
        ("langsmith.jsonl", LANGSMITH.as_bytes().to_vec()),
        ("console.txt", CONSOLE.as_bytes().to_vec()),
        ("phoenix-rest.json", PHOENIX_REST.as_bytes().to_vec()),
    ]
}

const LANGFUSE: &str = r#"{"trace": {"id": "t1", "name": "weather", "timestamp": "2025-06-06T14:40:28.000Z", "sessionId": "s1", "userId": "u1", "tags": ["a"]},
 "observations": [
  {"id": "o1", "traceId": "t1", "type": "SPAN", "name": "agent", "startTime": "2025-06-06T14:40:28.000Z", "endTime": "2025-06-06T14:40:29.000Z", "input": {"q": "rain?"}, "output": "yes"},
  {"id": "o2", "traceId": "t1", "parentObservationId": "o1", "type": "GENERATION", "name": "chat", "model": "gpt-4o", "startTime": "2025-06-06T14:40:28.100Z", "endTime": "2025-06-06T14:40:28.900Z", "usageDetails": {"input": 10, "output": 5}, "level": "ERROR", "statusMessage": "rate limited"}
 ]}"#;

const LANGSMITH: &str = r#"{"id":"01a2","name":"agent","run_type":"chain","start_time":"2026-11-28T20:13:15.946665Z","end_time":"2026-11-28T20:13:15.961319Z","inputs":{"question":"weather?"},"outputs":{"output":"rainy"},"parent_run_id":null,"trace_id":"01a2","dotted_order":"20261128T201315946665Z01a2"}
{"id":"01a3","name":"ChatOpenAI","run_type":"llm","start_time":"2026-11-28T20:13:15.950000Z","end_time":"2026-11-28T20:13:15.960000Z","inputs":{"messages":[{"role":"user","content":"hi"}]},"outputs":{"content":"rainy"},"parent_run_id":"01a2","trace_id":"01a2","dotted_order":"20261128T201315946665Z01a2.20261128T201315950000Z01a3","error":"boom"}
"#;

const CONSOLE: &str = r#"{
    "name": "chat gpt-4o",
    "context": {
        "trace_id": "0x5b8aa5a2d2c872e8321cf37308d69df2",
        "span_id": "0x051581bf3cb55c13",
        "trace_state": "[]"
    },
    "kind": "SpanKind.CLIENT",
    "parent_id": null,
    "start_time": "2025-06-06T14:40:28.000000Z",
    "end_time": "2025-06-06T14:40:29.000000Z",
    "status": {
        "status_code": "UNSET"
    },
    "attributes": {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o"
    },
    "events": [],
    "links": [],
    "resource": {
        "attributes": {"service.name": "demo"},
        "schema_url": ""
    }
}
"#;

const PHOENIX_REST: &str = r#"{"data": [{"id": "U3BhbjoxMjM=", "name": "agent", "context": {"trace_id": "5b8aa5a2d2c872e8321cf37308d69df2", "span_id": "051581bf3cb55c13"}, "span_kind": "AGENT", "parent_id": null, "start_time": "2025-06-06T14:40:28.000000+00:00", "end_time": "2025-06-06T14:40:29.000000+00:00", "status_code": "OK", "status_message": "", "attributes": {"input.value": "rain?", "openinference.span.kind": "AGENT"}, "events": []}], "next_cursor": null}"#;

/// Loads one mutant the ways a user could, checking time and allocation; the error is
/// what went wrong.
fn check(path: &Path, len: usize) -> Result<(), String> {
    let mut forced: Vec<Option<Format>> = vec![None];
    forced.extend([Format::Otlp, Format::MlflowTrace, Format::Langfuse].map(Some));
    for format in forced {
        let opts = LoadOptions {
            format,
            ..Default::default()
        };
        let base = LIVE.load(Relaxed);
        PEAK.store(base, Relaxed);
        let start = Instant::now();
        let result = std::panic::catch_unwind(|| {
            let r = load::load(&[path.to_path_buf()], &opts, &|_| {});
            // Whatever loads must also be readable: decode every payload.
            if let Ok(set) = &r {
                for s in &set.spans {
                    for t in [s.input, s.output, s.status_msg].into_iter().flatten() {
                        let _ = set.sources.text(t);
                    }
                }
            }
            r.is_ok()
        });
        let took = start.elapsed();
        let peak = PEAK.load(Relaxed).saturating_sub(base);
        let name = format.map_or("detected", Format::name);
        if result.is_err() {
            return Err(format!("panicked ({name})"));
        }
        if took > HANG {
            return Err(format!("took {took:?} ({name})"));
        }
        if peak > ALLOC_FACTOR * len + ALLOC_FIXED {
            return Err(format!("allocated {peak} bytes for {len} ({name})"));
        }
    }
    Ok(())
}

fn budget() -> Duration {
    let secs = std::env::var("SPANLENS_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    Duration::from_secs(secs)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spanlens-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

#[test]
fn every_loader_survives_seeded_mutations_within_time_and_memory_bounds() {
    // Panics are caught and reported as failures; keep their text off the test output.
    std::panic::set_hook(Box::new(|_| {}));
    let seeds = seeds();
    let (start, budget) = (Instant::now(), budget());
    let mut tried = 0usize;
    let mut rng = Rng(0x5eed_0f5a);
    // Every seed unmutated first, then mutants in turn until the budget is spent.
    while tried < seeds.len() || start.elapsed() < budget {
        let (name, data) = &seeds[tried % seeds.len()];
        let state = rng.0;
        let (bytes, what) = if tried < seeds.len() {
            (data.clone(), "none")
        } else {
            mutate(data, &mut rng)
        };
        let path = scratch(name);
        std::fs::write(&path, &bytes).expect("write mutant");
        if let Err(e) = check(&path, bytes.len()) {
            let keep = std::env::temp_dir().join("spanlens-fuzz-failure.bin");
            let _ = std::fs::write(&keep, &bytes);
            let _ = std::panic::take_hook();
            panic!(
                "{name}, mutation `{what}` from rng state {state:#x} (input {tried}): {e}; input kept at {}",
                keep.display()
            );
        }
        tried += 1;
    }
    let _ = std::panic::take_hook();
    let _ = std::fs::remove_dir_all(scratch("x").parent().expect("dir"));
    eprintln!(
        "fuzz_loaders: {tried} inputs ({} seeds) in {:.1?}",
        seeds.len(),
        start.elapsed()
    );
    assert!(tried > seeds.len(), "the budget allowed no mutant at all");
}
