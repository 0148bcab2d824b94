//! Damaged input never panics: deterministic mutations of each input format (truncation,
//! flipped bytes, deleted ranges, inserted JSON punctuation) either load or fail with an
//! error, and whatever loads can be decoded, searched and rendered.

use crate::common::*;
use spanlens::load::{self, LoadOptions};
use spanlens::model::{SpanIx, TraceSet};
use spanlens_synth::{GenFormat, GenOptions, Profile, generate};

const INSERTS: [&[u8]; 8] = [
    b"{",
    b"}",
    b"\"",
    b"\\",
    b"[",
    b"\x00",
    b"\xff\xfe",
    b",\"parentSpanId\":\"x\"",
];

fn mutate(data: &[u8], rng: &mut Rng, op: usize) -> Vec<u8> {
    let mut b = data.to_vec();
    let at = rng.below(b.len());
    match op % 4 {
        0 => b.truncate(at),
        1 => {
            for _ in 0..1 + rng.below(20) {
                let i = rng.below(b.len());
                b[i] = rng.next() as u8;
            }
        }
        2 => {
            let end = (at + 1 + rng.below(500)).min(b.len());
            b.drain(at..end);
        }
        _ => {
            let piece = INSERTS[rng.below(INSERTS.len())].repeat(1 + rng.below(5));
            b.splice(at..at, piece);
        }
    }
    b
}

/// Everything a user can do with a loaded set, in miniature: decode each span, search,
/// open each trace and render it.
fn exercise(set: TraceSet) {
    for i in 0..set.spans.len() as u32 {
        let _ = spanlens::model::detail::detail(&set, SpanIx(i));
    }
    let query = spanlens::search::Query::parse("weather").unwrap();
    let index = spanlens::search::Index::default();
    let scope = spanlens::search::Scope::All;
    spanlens::search::run(&set, &index, &query, scope, 20, &|| false, &mut |_| {});
    let traces = set.traces.len();
    let mut app = app_for_set(set);
    for _ in 0..traces.min(3) {
        press(&mut app, "enter");
        type_keys(&mut app, "]eG");
        render(&mut app, 80, 24);
        press(&mut app, "tab");
        render(&mut app, 80, 24);
        press(&mut app, "esc");
        press(&mut app, "esc");
        press(&mut app, "j");
    }
}

fn inputs() -> Vec<(String, Vec<u8>)> {
    let mut out = vec![
        (
            "agent.otlp.jsonl".to_owned(),
            std::fs::read(fixture("agent.otlp.jsonl")).unwrap(),
        ),
        (
            "hostile.otlp.json".to_owned(),
            std::fs::read(fixture("hostile.otlp.json")).unwrap(),
        ),
    ];
    for (format, name) in [
        (GenFormat::Mlflow, "gen.mlflow.jsonl"),
        (GenFormat::Parquet, "gen.parquet"),
    ] {
        let opts = GenOptions {
            spans: 60,
            traces: Some(3),
            format,
            profile: Profile::Sample,
            ..GenOptions::default()
        };
        let mut bytes = Vec::new();
        generate(&opts, &mut bytes).unwrap();
        out.push((name.to_owned(), bytes));
    }
    out
}

#[test]
fn damaged_files_load_or_fail_cleanly_and_never_panic() {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut loaded = 0;
    for (name, data) in inputs() {
        for op in 0..40 {
            let bytes = mutate(&data, &mut rng, op);
            let path = temp_file(&name, &bytes);
            let outcome = std::panic::catch_unwind(|| {
                match load::load(
                    std::slice::from_ref(&path),
                    &LoadOptions::default(),
                    &|_| {},
                ) {
                    Ok(set) => {
                        exercise(set);
                        true
                    }
                    Err(e) => {
                        assert!(
                            e.to_string().contains(&name),
                            "the error names the file: {e}"
                        );
                        false
                    }
                }
            });
            match outcome {
                Ok(true) => loaded += 1,
                Ok(false) => {}
                Err(_) => panic!("{name}, mutation {op}: panicked (input kept at {path:?})"),
            }
        }
    }
    assert!(
        loaded > 40,
        "most damaged files still load what is good ({loaded} of 160)"
    );
}
