//! Stage 1 of the JSON reader (the SIMD token index) against serde_json validating the
//! same lines into `IgnoredAny`, both on one core, over generated OTLP JSON Lines
//! (`SPANLENS_BENCH_SPANS`, 200,000 by default), or over the lines of a file
//! (`SPANLENS_BENCH_FILE`: a real-shape export). `SPANLENS_NO_AVX512=1` times the AVX2
//! kernel, `SPANLENS_JSON_KERNEL=portable` the scalar path other architectures take.
//! Nothing is asserted: the differential tests check what the reader accepts.

use spanlens_synth::{GenOptions, generate};
use std::time::{Duration, Instant};

fn main() {
    let spans: usize = std::env::var("SPANLENS_BENCH_SPANS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let file = std::env::var_os("SPANLENS_BENCH_FILE");
    let bytes = match &file {
        Some(path) => std::fs::read(path).expect("read SPANLENS_BENCH_FILE"),
        None => {
            let mut bytes = Vec::new();
            let opts = GenOptions {
                spans,
                ..GenOptions::default()
            };
            generate(&opts, &mut bytes).expect("generate");
            bytes
        }
    };
    let lines: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let input = match &file {
        Some(path) => format!("{}", std::path::Path::new(path).display()),
        None => format!("{spans} generated spans of OTLP JSON Lines"),
    };
    println!(
        "spanlens-json stage 1 ({input}, {:.0} MB)",
        bytes.len() as f64 / 1e6
    );
    let mut tokens = 0;
    let index = median(|| {
        tokens = lines
            .iter()
            .filter_map(|l| spanlens_json::count_tokens(l))
            .sum();
    });
    report("stage 1: index every line (one core)", index, bytes.len());
    println!("{:<44} {tokens} tokens", "");
    let serde = median(|| {
        for l in &lines {
            let _: serde::de::IgnoredAny = serde_json::from_slice(l).expect("valid JSON");
        }
    });
    report("serde_json into IgnoredAny (one core)", serde, bytes.len());
}

/// Median of 5 runs after one to warm up.
fn median(mut f: impl FnMut()) -> Duration {
    f();
    let mut runs: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    runs.sort();
    runs[2]
}

fn report(what: &str, d: Duration, bytes: usize) {
    let gbs = bytes as f64 / d.as_secs_f64() / 1e9;
    println!(
        "{what:<44} median {:>8.1} ms, {gbs:.2} GB/s",
        d.as_secs_f64() * 1e3
    );
}
