//! Timing shared by the benchmarks: run once to warm up, then `runs` times, and print the
//! median, fastest and 99th-percentile run. Nothing is asserted.

use std::time::{Duration, Instant};

pub fn time<F: FnMut()>(label: &str, runs: u32, mut f: F) {
    f();
    let mut samples: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    samples.sort();
    let median = samples[samples.len() / 2];
    let p99 = samples[(samples.len() * 99 / 100).min(samples.len() - 1)];
    println!(
        "{label:<62} median {:>9.3} ms   min {:>9.3} ms   p99 {:>9.3} ms",
        ms(median),
        ms(samples[0]),
        ms(p99)
    );
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
