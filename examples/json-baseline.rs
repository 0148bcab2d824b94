//! The yardstick for load speed (issue: "parse the same bytes with serde_json into
//! `serde::de::IgnoredAny` using the same number of threads"): the file is read into memory
//! first (not timed), then every line is parsed into `IgnoredAny` (validation only,
//! nothing kept) on all cores. `bench/run.sh` compares `spanlens summary` against it.
//! JSON Lines are split into pieces on line boundaries; a file that is one document (a
//! one-line pandas records array, or pretty-printed JSON) is parsed whole on one thread.
//!
//! `READER` (JSON Lines only) swaps serde_json for a stage of spanlens's own fast reader,
//! on the same lines and threads, to see how much of a load is reading JSON at all:
//! `index` builds the SIMD token index of each line; `walk` also walks every token with
//! serde_json's checks (`spanlens_json::reads_whole`), building nothing. `summary` minus
//! `walk` is what building the model costs (docs/real-shape.md, "The reader's floor").
//!
//! Usage: cargo run --release --example json-baseline -- FILE [serde|index|walk]

use rayon::prelude::*;

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: json-baseline FILE [READER]");
    let reader = std::env::args().nth(2).unwrap_or_else(|| "serde".into());
    let read: fn(&[u8]) = match reader.as_str() {
        "serde" => |line| {
            let _: serde::de::IgnoredAny = serde_json::from_slice(line).expect("valid JSON");
        },
        "index" => |line| {
            spanlens_json::count_tokens(line).expect("indexable");
        },
        "walk" => |line| {
            let text = std::str::from_utf8(line).expect("UTF-8");
            assert!(spanlens_json::reads_whole(text), "read whole");
        },
        other => panic!("unknown reader {other}: serde, index or walk"),
    };
    let bytes = std::fs::read(&path).expect("read");
    // A pretty-printed document is not JSON Lines: its first line is not a value. It is
    // then parsed whole, on one thread, as a one-line document (a pandas records array) is.
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or(&[]);
    if serde_json::from_slice::<serde::de::IgnoredAny>(first).is_err() {
        let start = std::time::Instant::now();
        let _: serde::de::IgnoredAny = serde_json::from_slice(&bytes).expect("valid JSON");
        let secs = start.elapsed().as_secs_f64();
        eprintln!(
            "1 document, {:.1} MB parsed in {secs:.3} s on 1 thread",
            bytes.len() as f64 / 1e6
        );
        println!("{secs:.3}");
        return;
    }
    let start = std::time::Instant::now();
    // Split into as many pieces as the pool has threads (times four), on line boundaries.
    let parts = rayon::current_num_threads() * 4;
    let step = bytes.len() / parts + 1;
    let mut cuts = vec![0];
    while *cuts.last().unwrap() < bytes.len() {
        let guess = (cuts.last().unwrap() + step).min(bytes.len());
        let end = memchr::memchr(b'\n', &bytes[guess..]).map_or(bytes.len(), |i| guess + i + 1);
        cuts.push(end);
    }
    let lines: usize = cuts
        .par_windows(2)
        .map(|w| {
            let mut n = 0;
            for line in bytes[w[0]..w[1]]
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
            {
                read(line);
                n += 1;
            }
            n
        })
        .sum();
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{lines} lines, {:.1} MB read by {reader} in {secs:.3} s ({:.0} MB/s) on {} threads",
        bytes.len() as f64 / 1e6,
        bytes.len() as f64 / 1e6 / secs,
        rayon::current_num_threads()
    );
    println!("{secs:.3}");
}
