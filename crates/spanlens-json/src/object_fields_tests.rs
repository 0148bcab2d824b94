//! `object_fields` against the serde derive reading it stands in for.

use super::object_fields;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de str>, D::Error> {
    <&RawValue>::deserialize(d).map(|v| Some(v.get()))
}

/// The shape the MLflow assessment reader derives (`source_type`, `source_id`).
#[derive(Deserialize, Default, Debug, PartialEq)]
struct Two<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    source_type: Option<&'a str>,
    #[serde(borrow, default, deserialize_with = "present")]
    source_id: Option<&'a str>,
}

fn by_walk(text: &str) -> Option<Two<'_>> {
    let mut out = [None; 2];
    object_fields(text, &["source_type", "source_id"], &mut out)?;
    Some(Two {
        source_type: out[0],
        source_id: out[1],
    })
}

#[test]
fn objects_read_as_the_serde_derive_reads_them_or_are_left_to_it() {
    let pieces = [
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        " ",
        "\n",
        "\"source_type\"",
        "\"source_id\"",
        "\"other\"",
        "\"sourc\\u0065_id\"",
        "\"HUMAN\"",
        "\"a\\\"b\"",
        "1",
        "-2.5e3",
        "01",
        "null",
        "true",
        "nul",
        "\"\"",
    ];
    let mut seed = 17u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    // Mostly well-formed objects, with a damaged piece now and then.
    let (mut walked, mut total) = (0, 0);
    for _ in 0..30_000 {
        let mut text = String::from("{");
        for m in 0..next() % 4 {
            if m > 0 {
                text.push(',');
            }
            text.push_str(pieces[8 + next() % 4]);
            text.push_str(": ");
            text.push_str(pieces[12 + next() % 9]);
        }
        text.push('}');
        if next() % 4 == 0 {
            let at = next() % (text.len() + 1);
            if text.is_char_boundary(at) {
                text.insert_str(at, pieces[next() % pieces.len()]);
            }
        }
        let serde = serde_json::from_str::<Two>(&text).ok();
        match by_walk(&text) {
            Some(got) => {
                assert_eq!(Some(got), serde, "{text:?}");
                walked += 1;
            }
            // Left to serde: only where serde refuses too, or an escape may be in a key.
            None => assert!(serde.is_none() || text.contains('\\'), "{text:?}"),
        }
        total += 1;
    }
    assert!(walked > total / 3, "only {walked} of {total} walked");
}

#[test]
fn unknown_keys_may_repeat_but_known_ones_may_not() {
    assert_eq!(
        by_walk(r#"{"x": 1, "x": [2], "source_id": "b"}"#),
        Some(Two {
            source_type: None,
            source_id: Some("\"b\""),
        })
    );
    assert!(by_walk(r#"{"source_id": "a", "source_id": "b"}"#).is_none());
    assert!(serde_json::from_str::<Two>(r#"{"source_id": "a", "source_id": "b"}"#).is_err());
}
