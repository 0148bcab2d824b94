//! Seeded mutations of JSON texts for the differential tests of the fast readers (fast
//! reader against serde reader on damaged and oddly spelled input).

use serde_json::{Map, Value};

/// A seeded generator (the tests must not depend on a random crate).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 = (self.0)
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// Byte positions of ASCII letters inside strings of the JSON text `t`.
fn letters_in_strings(t: &str) -> Vec<usize> {
    let (mut inside, mut escaped, mut out) = (false, false, Vec::new());
    for (i, b) in t.bytes().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if inside => escaped = true,
            b'"' => inside = !inside,
            b if inside && b.is_ascii_alphabetic() => out.push(i),
            _ => {}
        }
    }
    out
}

/// One random change to the text: a letter in a string (a key, an id, a value) written as
/// a `\u` escape, one of `dups` (`"key":value,` members) written first in some object,
/// or a byte removed, doubled, or the text cut there.
pub(crate) fn mutate_text(t: &str, rng: &mut Rng, dups: &[&str]) -> String {
    match rng.below(4) {
        0 | 1 => {
            let at = letters_in_strings(t);
            if at.is_empty() {
                return t.to_owned();
            }
            let i = at[rng.below(at.len())];
            format!("{}\\u{:04x}{}", &t[..i], t.as_bytes()[i], &t[i + 1..])
        }
        2 => {
            let opens: Vec<usize> = t.match_indices("{\"").map(|(i, _)| i).collect();
            if opens.is_empty() || dups.is_empty() {
                return t.to_owned();
            }
            let i = opens[rng.below(opens.len())];
            format!("{}{}{}", &t[..=i], dups[rng.below(dups.len())], &t[i + 1..])
        }
        _ => {
            let i = rng.below(t.len());
            let mut b = t.as_bytes().to_vec();
            match rng.below(3) {
                0 => drop(b.remove(i)),
                1 => b.insert(i, b[i]),
                _ => b.truncate(i),
            }
            String::from_utf8(b).unwrap_or_else(|_| t.to_owned())
        }
    }
}

/// How a format's differential test mutates a record.
pub(crate) struct Mutations {
    /// Picks an object of the record to change a field of.
    pub object: for<'v> fn(&'v mut Value, &mut Rng) -> Option<&'v mut Map<String, Value>>,
    /// Changes one field of that object.
    pub field: fn(&mut Map<String, Value>, &mut Rng),
    /// Changes the record's text.
    pub text: fn(&str, &mut Rng) -> String,
}

/// `rounds` mutated records (cycling through `bases`, seeded with `seed`): up to three
/// field changes each, then half the time a change to the text. Returns how many of them
/// `agree` says the fast reader read itself, and how many there were.
pub(crate) fn count_fast_reads(
    bases: &[Value],
    (rounds, seed): (usize, u64),
    m: &Mutations,
    agree: fn(&str) -> bool,
) -> (usize, usize) {
    let mut rng = Rng(seed);
    let mut fast = 0;
    for round in 0..rounds {
        let mut record = bases[round % bases.len()].clone();
        for _ in 0..1 + rng.below(3) {
            if let Some(obj) = (m.object)(&mut record, &mut rng) {
                (m.field)(obj, &mut rng);
            }
        }
        let mut text = record.to_string();
        if rng.below(2) == 0 {
            text = (m.text)(&text, &mut rng);
        }
        fast += usize::from(agree(&text));
    }
    (fast, rounds)
}

/// One random change to a field of `obj`: null, gone, a number as a string or a string as
/// a number, one of the format's own `special` values (ids in other spellings, times,
/// token objects), non-ASCII text, an empty container, an array.
pub(crate) fn mutate_field(obj: &mut Map<String, Value>, rng: &mut Rng, special: &[Value]) {
    let keys: Vec<String> = obj.keys().cloned().collect();
    if keys.is_empty() {
        return;
    }
    let key = &keys[rng.below(keys.len())];
    let v = &obj[key];
    let new = match rng.below(7) {
        0 => Value::Null,
        1 => {
            obj.shift_remove(key);
            return;
        }
        2 => match v {
            Value::Number(n) => Value::String(n.to_string()),
            Value::String(s) => (s.parse::<i64>().map(Value::from))
                .or_else(|_| s.parse::<f64>().map(Value::from))
                .unwrap_or(Value::from(42)),
            other => Value::String(other.to_string()),
        },
        3 if !special.is_empty() => special[rng.below(special.len())].clone(),
        3 | 4 => Value::String(format!(
            "{} café ☔ \u{1F600} \"q\"",
            v.as_str().unwrap_or("x")
        )),
        5 if v.is_array() => Value::Array(Vec::new()),
        5 => Value::Object(Map::new()),
        _ => serde_json::json!([1, {"n": null}]),
    };
    obj.insert(key.clone(), new);
}
