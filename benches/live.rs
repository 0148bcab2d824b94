//! Live mode's costs, without a terminal: pushing a generated OTLP export into a
//! `LiveLoad` a few lines at a time, rebuilding a snapshot at 10,000 and 100,000 spans,
//! and the follow path's latency (a line appended to a file that already holds N spans,
//! until it is in a snapshot: the `Follower` polled every 50 ms, then push and rebuild).
//! The explorer adds its throttle on top (a snapshot at most every 100 ms, or 4x the
//! rebuild time); `bench/follow_latency.py` times the whole path to the screen.
//! Run: `cargo bench --bench live`. Prints a table; no timing is asserted.

mod common;
use common::{ms, time};
use spanlens::load::follow::{FollowEvent, Follower};
use spanlens::load::live::LiveLoad;
use spanlens_synth::{GenOptions, generate};
use std::io::Write;
use std::time::{Duration, Instant};

fn main() {
    for spans in [10_000, 100_000] {
        let text = otlp(spans);
        let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
        let mut live = LiveLoad::new("bench", None);
        let t = Instant::now();
        for chunk in lines.chunks(20) {
            live.push_lines(chunk.concat());
        }
        let push = t.elapsed();
        println!(
            "push {spans} spans, 20 lines at a time ({} pushes){:>22} total {:>9.1} ms",
            lines.len().div_ceil(20),
            "",
            ms(push)
        );
        time(&format!("snapshot (rebuild) at {spans} spans"), 5, || {
            std::hint::black_box(live.snapshot());
        });
    }
    for spans in [0, 100_000] {
        follow_latency(spans);
    }
}

fn otlp(spans: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let opts = GenOptions {
        spans,
        ..GenOptions::default()
    };
    generate(&opts, &mut out).expect("generate");
    out
}

/// Appends 20 one-span lines to a file that holds `spans` spans, one every 137 ms, and
/// times each from its write to the first snapshot that holds it.
fn follow_latency(spans: usize) {
    let dir = std::env::temp_dir().join(format!("spanlens-live-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("follow.jsonl");
    std::fs::write(&path, otlp(spans)).unwrap();
    let mut follower = Follower::new(&path);
    let mut live = LiveLoad::new("bench", None);
    let feed = |f: &mut Follower, live: &mut LiveLoad| {
        for e in f.poll() {
            if let FollowEvent::Lines(b) = e {
                live.push_lines(b);
            }
        }
    };
    // Read the file that is there first (the follower reads at most 16 MB a poll).
    while live.bytes() < std::fs::metadata(&path).unwrap().len() {
        feed(&mut follower, &mut live);
    }
    let mut samples = Vec::new();
    for i in 0..20u32 {
        let name = format!("appended_{i}");
        let line = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{:032x}","spanId":"{:016x}","name":"{name}","startTimeUnixNano":"1","endTimeUnixNano":"2"}}]}}]}}]}}"#,
            0xfeed_0000u64 + u64::from(i),
            0xbeefu64 + u64::from(i)
        ) + "\n";
        std::thread::sleep(Duration::from_millis(137));
        let written = Instant::now();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(line.as_bytes()).unwrap();
        drop(f);
        // The poll loop's phase is arbitrary relative to the write: wait out a random part
        // of the 50 ms period, as the follow thread would.
        std::thread::sleep(Duration::from_millis(u64::from(i * 7 % 50)));
        loop {
            feed(&mut follower, &mut live);
            let set = live.snapshot();
            if set.traces.iter().any(|t| set.str(t.name) == name) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        samples.push(written.elapsed());
    }
    samples.sort();
    println!(
        "follow: appended line to snapshot, file of {spans} spans{:>10} median {:>9.1} ms   max {:>9.1} ms",
        "",
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() - 1])
    );
    let _ = std::fs::remove_dir_all(&dir);
}
