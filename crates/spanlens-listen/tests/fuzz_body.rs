//! Seeded random mutations of valid protobuf, JSON and gzip bodies: decoding, checking and
//! writing the line must never panic, and over HTTP every mutated body gets an answer
//! (200 or 4xx) from a receiver that stays up. Runs `SPANLENS_FUZZ_SECS` seconds (default
//! 2); a failure prints the seed to replay.

mod common;

use common::*;
use spanlens_listen::{Encoding, decode};
use std::time::{Duration, Instant};

/// xorshift64*: reproducible from its seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut b = base.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(b.len() + 1);
        let last = at.min(b.len().saturating_sub(1));
        match rng.below(6) {
            0 if !b.is_empty() => b[last] ^= 1 << rng.below(8),
            1 => b.truncate(at),
            2 => b.insert(at, rng.next() as u8),
            3 if !b.is_empty() => {
                let end = (at + rng.below(64)).min(b.len());
                let piece = b[at.min(end)..end].to_vec();
                b.splice(at..at, piece);
            }
            4 if !b.is_empty() => b[last] = [0, 0xff, b'"', b'{', b'9'][rng.below(5)],
            _ => b.extend((0..rng.below(16)).map(|_| rng.next() as u8)),
        }
    }
    b
}

fn bases() -> Vec<(Encoding, Vec<u8>)> {
    let mut req = request((0..6).map(|n| span(3, n)).collect());
    req.resource_spans[0].scope_spans[0].spans[1].parent_span_id = 1u64.to_be_bytes().to_vec();
    vec![
        (Encoding::Protobuf, protobuf(&req)),
        (Encoding::Json, json(&req)),
    ]
}

fn budget() -> Duration {
    let secs = std::env::var("SPANLENS_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok());
    Duration::from_secs_f64(secs.unwrap_or(2.0))
}

#[test]
fn decoding_mutated_bodies_never_panics() {
    let bases = bases();
    let (t, mut tried) = (Instant::now(), 0u64);
    let mut seed = 0x5eed_u64;
    while t.elapsed() < budget() {
        seed += 1;
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let (enc, base) = &bases[rng.below(bases.len())];
        let body = mutate(&mut rng, base);
        let gz = rng.below(4) == 0;
        let wire = if gz {
            mutate(&mut rng, &gzip(&body))
        } else {
            body
        };
        let outcome = std::panic::catch_unwind(|| {
            let encoding = gz.then_some("gzip");
            let bytes = decode::decompress(wire.clone().into(), encoding, 1 << 20)?;
            let checked = decode::check(decode::decode(&bytes, *enc)?);
            let line = decode::to_line(&checked.request)?;
            assert!(line.ends_with(b"\n") && memchr_count(&line) == 1);
            Ok::<_, spanlens_listen::DecodeError>(())
        });
        assert!(outcome.is_ok(), "panic on seed {seed} ({enc:?}, gzip {gz})");
        tried += 1;
    }
    println!("fuzz: {tried} mutated bodies decoded without a panic");
    assert!(tried > 100);
}

fn memchr_count(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

#[test]
fn mutated_bodies_over_http_always_get_an_answer() {
    let run = start(config());
    let bases = bases();
    let mut rng = Rng(0xfeed_beef);
    let t = Instant::now();
    let mut answered = 0;
    while t.elapsed() < budget() && answered < 300 {
        let (enc, base) = &bases[rng.below(bases.len())];
        let body = mutate(&mut rng, base);
        let r = post(run.addr, enc.mime(), "", &body);
        assert!(
            r.status == 200 || r.status == 400,
            "status {} for {body:?}",
            r.status
        );
        answered += 1;
    }
    // Still serving, and every saved line loads.
    let r = post(
        run.addr,
        "application/x-protobuf",
        "",
        &protobuf(&request(vec![span(1, 1)])),
    );
    assert_eq!(r.status, 200);
    let saved = run.lines.lock().unwrap().len();
    let set = load(&run.path);
    assert!(
        set.spans.len() >= saved,
        "{saved} lines, {} spans",
        set.spans.len()
    );
    println!("fuzz over HTTP: {answered} bodies answered, {saved} accepted");
}
