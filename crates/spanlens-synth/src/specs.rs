//! Trace shapes and sizes: how many spans each trace of a generated file gets (specials
//! first when they fit, sizes summing exactly to the total), and which persona it follows.

use super::persona::{self, Persona};
use super::rng::Rng;
use super::{GenOptions, Profile, Scenario};
use std::io;

pub const MS: i64 = 1_000_000;

/// The special shapes a realistic file includes when it is large enough.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Normal,
    /// A chain of nested spans 30 levels below the root.
    Deep,
    /// One span with 5,000 children.
    FanOut,
    /// One trace of 100,000 spans.
    Huge,
}

pub const DEEP_SIZE: usize = 40;
pub const DEEP_LEVELS: usize = 30;
pub const FANOUT: usize = 5_000;
pub const FANOUT_SIZE: usize = 5_010;
pub const HUGE_SIZE: usize = 100_000;

/// One trace to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceSpec {
    pub size: usize,
    pub shape: Shape,
}

/// Stream tags, so each purpose draws from its own random stream.
pub mod tag {
    pub const SIZES: u64 = 1;
    pub const SHAPE: u64 = 2;
    pub const CONTENT: u64 = 3;
    pub const IDS: u64 = 4;
    pub const START: u64 = 5;
    pub const MUTATE: u64 = 6;
    pub const FACTS: u64 = 7;
}

/// Trace sizes summing exactly to `opts.spans`, specials first when they fit.
pub fn trace_specs(opts: &GenOptions) -> io::Result<Vec<TraceSpec>> {
    let mut rng = Rng::stream(opts.seed, tag::SIZES, 0);
    let n = opts.spans;
    if let Some(t) = opts.traces
        && (t > n || (t == 0 && n > 0))
    {
        let msg = format!("cannot spread {n} spans over {t} traces");
        return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
    }
    let mut specials = specials(opts);
    if let Some(t) = opts.traces {
        let total: usize = specials.iter().map(|s| s.size).sum();
        if specials.len() >= t || n - total.min(n) < 5 * (t - specials.len().min(t)) {
            specials.clear();
        }
    }
    let rest = n - specials.iter().map(|s| s.size).sum::<usize>();
    let sizes = match opts.traces {
        Some(t) => split(&mut rng, rest, t - specials.len(), opts.profile),
        None => fill(&mut rng, rest, opts.profile),
    };
    let mut out: Vec<TraceSpec> = sizes
        .into_iter()
        .map(|size| TraceSpec {
            size,
            shape: Shape::Normal,
        })
        .collect();
    // Specials go near the start, between ordinary traces, so they interleave with them.
    for (k, s) in specials.into_iter().enumerate() {
        out.insert((1 + 2 * k).min(out.len()), s);
    }
    Ok(out)
}

fn specials(opts: &GenOptions) -> Vec<TraceSpec> {
    if opts.profile != Profile::Realistic {
        return Vec::new();
    }
    let mut v = Vec::new();
    let mut add = |size, shape| v.push(TraceSpec { size, shape });
    if opts.spans >= 60 {
        add(DEEP_SIZE, Shape::Deep);
    }
    if opts.spans >= 10_000 {
        add(FANOUT_SIZE, Shape::FanOut);
    }
    if opts.spans >= 200_000 {
        add(HUGE_SIZE, Shape::Huge);
    }
    v
}

/// Log-uniform trace sizes until `n` is used up; the last trace takes the remainder.
fn fill(rng: &mut Rng, mut n: usize, profile: Profile) -> Vec<usize> {
    let hi = if profile == Profile::Sample { 60 } else { 500 };
    let mut v = Vec::new();
    while n > 0 {
        let mut s = rng.log_uniform(5, hi) as usize;
        if s >= n || n - s < 5 {
            s = n;
        }
        v.push(s);
        n -= s;
    }
    v
}

/// `n` spans over exactly `t` traces: each gets up to 5 (a usable trace), the rest is
/// shared by log-uniform weights.
fn split(rng: &mut Rng, n: usize, t: usize, profile: Profile) -> Vec<usize> {
    if t == 0 {
        return Vec::new();
    }
    let hi = if profile == Profile::Sample { 60 } else { 500 };
    let base = (n / t).min(5);
    let rest = n - base * t;
    let w: Vec<u64> = (0..t).map(|_| rng.log_uniform(5, hi)).collect();
    let total: u64 = w.iter().sum();
    let mut sizes: Vec<usize> = w
        .iter()
        .map(|&x| base + (rest as u128 * u128::from(x) / u128::from(total)) as usize)
        .collect();
    let mut sum: usize = sizes.iter().sum();
    let mut i = 0;
    while sum < n {
        sizes[i % t] += 1;
        sum += 1;
        i += 1;
    }
    sizes
}

/// The persona of trace `index`.
pub fn persona_for(opts: &GenOptions, spec: &TraceSpec, index: usize) -> &'static Persona {
    match opts.scenario {
        Scenario::Weather => &persona::WEATHER,
        Scenario::Support => &persona::SUPPORT,
        Scenario::Rag => &persona::RAG,
        Scenario::Incident => &persona::INCIDENT,
        Scenario::Research => &persona::RESEARCH,
        Scenario::Mixed => {
            let mut rng = Rng::stream(opts.seed, tag::SHAPE, index as u64 + (1 << 40));
            match spec.shape {
                Shape::Deep | Shape::FanOut => &persona::RESEARCH,
                Shape::Huge => &persona::INCIDENT,
                Shape::Normal if spec.size <= 12 && rng.chance(0.3) => &persona::RAG,
                Shape::Normal => rng.pick(&[
                    &persona::WEATHER,
                    &persona::SUPPORT,
                    &persona::INCIDENT,
                    &persona::RESEARCH,
                ]),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_add_up_with_and_without_a_trace_count() {
        for (spans, traces) in [
            (0, None),
            (3, None),
            (1_000, None),
            (12_345, None),
            (50, Some(50)),
            (999, Some(7)),
        ] {
            let opts = GenOptions {
                spans,
                traces,
                ..GenOptions::default()
            };
            let specs = trace_specs(&opts).expect("specs");
            assert_eq!(specs.iter().map(|s| s.size).sum::<usize>(), spans);
            if let Some(t) = traces {
                assert_eq!(specs.len(), t);
            }
            assert!(specs.iter().all(|s| s.size > 0));
        }
        let big = GenOptions {
            spans: 12_000,
            ..GenOptions::default()
        };
        let shapes: Vec<Shape> = trace_specs(&big)
            .expect("specs")
            .iter()
            .map(|s| s.shape)
            .collect();
        assert!(shapes.contains(&Shape::Deep) && shapes.contains(&Shape::FanOut));
        assert!(!shapes.contains(&Shape::Huge));
    }
}
