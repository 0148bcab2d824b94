//! The pieces behind the whole-process numbers of `bench/run.sh`: parse and build a
//! generated OTLP file, search it (short fields, exact and fuzzy long fields), load the
//! same spans as parquet and read one of its long cells from the file, and align and
//! compare two runs of 10,000 and 100,000 spans. Run: `cargo bench --bench pieces`
//! (`SPANLENS_BENCH_SPANS=N` changes the size of the load and search input, default
//! 200,000). Prints a table; no timing is asserted.

mod common;
use common::{ms, time};
use std::time::{Duration, Instant};

use spanlens::load::{LoadOptions, load};
use spanlens::model::{KEPT, SpanIx, TextRef, TraceIx, TraceSet};
use spanlens::search::{Index, Job, Query, Scope, Strategy, run_using};
use spanlens_synth::{GenFormat, GenOptions, generate};
use std::path::{Path, PathBuf};

fn main() {
    let dir = std::env::temp_dir().join(format!("spanlens-pieces-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spans: usize = std::env::var("SPANLENS_BENCH_SPANS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let path = write(
        &dir,
        "load.otlp.jsonl",
        &GenOptions {
            spans,
            ..GenOptions::default()
        },
    );
    let mb = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
    println!("spanlens pieces ({spans} generated spans, {mb:.0} MB of OTLP JSON Lines)");
    let mut set = None;
    time(&format!("load: parse + build {spans} spans"), 5, || {
        set = Some(
            load(
                std::slice::from_ref(&path),
                &LoadOptions::default(),
                &|_| {},
            )
            .unwrap(),
        );
    });
    search(set.as_ref().unwrap());
    drop(set);
    parquet_cells(&dir, spans);
    for n in [10_000, 100_000] {
        diff(&dir, n);
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Searches of each kind over the whole set, with both long-field strategies.
fn search(set: &TraceSet) {
    let index = Index::default();
    let cases = [
        (
            "short fields: tool name with a typo",
            "tool:get_wether",
            Strategy::Auto,
        ),
        ("exact, all fields, raw scan", "'timed out", Strategy::Raw),
        (
            "exact, all fields, decode every span",
            "'timed out",
            Strategy::Decode,
        ),
        (
            "regex, all fields, raw scan",
            "re:rate.limit",
            Strategy::Raw,
        ),
        (
            "fuzzy, all fields, raw scan",
            "weather paris",
            Strategy::Raw,
        ),
    ];
    for (label, q, strategy) in cases {
        let query = Query::parse(q).unwrap();
        let job = Job {
            set,
            index: &index,
            query: &query,
            scope: Scope::All,
            limit: 50,
        };
        let mut first = Duration::ZERO;
        time(&format!("search: {label} `{q}`"), 3, || {
            let t = Instant::now();
            let mut seen = false;
            run_using(job, strategy, &|| false, &mut |f| {
                if !seen && !f.hits.is_empty() {
                    seen = true;
                    first = t.elapsed();
                }
            });
        });
        println!("{:<62} first hits after {:>8.1} ms", "", ms(first));
    }
}

/// The same number of spans as parquet, whose long cells stay in the file: the load, and
/// what showing one cell costs when its page is not decoded yet (opening a span).
fn parquet_cells(dir: &Path, spans: usize) {
    let opts = GenOptions {
        spans,
        format: GenFormat::Parquet,
        ..GenOptions::default()
    };
    let path = write(dir, "load.parquet", &opts);
    let mut set = None;
    time(&format!("load: parquet, {spans} spans"), 3, || {
        let paths = std::slice::from_ref(&path);
        set = Some(load(paths, &LoadOptions::default(), &|_| {}).unwrap());
    });
    let set = set.unwrap();
    let kept: Vec<TextRef> = (0..set.spans.len() as u32)
        .flat_map(|i| set.attrs_of(SpanIx(i)).map(|(_, t)| t).collect::<Vec<_>>())
        .filter(|t| t.off & KEPT != 0)
        .collect();
    // Cells this far apart never share a page.
    let picks: Vec<TextRef> = kept.iter().step_by(2000).copied().collect();
    let mut next = 0;
    let runs = picks.len().saturating_sub(2).max(1) as u32;
    time(
        "parquet: read one long cell, page not decoded yet",
        runs,
        || {
            std::hint::black_box(set.sources.text(picks[next % picks.len()]));
            next += 1;
        },
    );
}

/// Align and compare two generated runs of one `n`-span trace (the second mutated).
fn diff(dir: &Path, n: usize) {
    let one = |mutate| GenOptions {
        spans: n,
        traces: Some(1),
        mutate,
        ..GenOptions::default()
    };
    let a = write(dir, &format!("a{n}.otlp.jsonl"), &one(0));
    let b = write(dir, &format!("b{n}.otlp.jsonl"), &one(1));
    let l = load(&[a], &LoadOptions::default(), &|_| {}).unwrap();
    let r = load(&[b], &LoadOptions::default(), &|_| {}).unwrap();
    let runs = if n > 50_000 { 3 } else { 10 };
    time(&format!("diff: align {n} vs {n} spans"), runs, || {
        spanlens::diff::align::align(&l, TraceIx(0), &r, TraceIx(0));
    });
    time(
        &format!("diff: align + compare {n} vs {n} spans"),
        runs,
        || {
            spanlens::diff::diff(&l, TraceIx(0), &r, TraceIx(0));
        },
    );
}

fn write(dir: &Path, name: &str, opts: &GenOptions) -> PathBuf {
    let path = dir.join(name);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    generate(opts, &mut out).unwrap();
    path
}
