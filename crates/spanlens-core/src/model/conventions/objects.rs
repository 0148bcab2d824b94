//! Usage and cost objects written as JSON inside a JSON string (MLflow's
//! `"{\"input_tokens\": 57, \"output_tokens\": 17, …}"`) read through typed fields, without
//! building a `Value` map. PERF: decoding them into `Value`s (the string, then a map with
//! a `String` per key) was a tenth of loading real-shape MLflow 3 lines.

use super::{Semantics, as_f64, as_u32};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// Keys of a usage object, per slot (input, output, total), first found wins.
const USAGE_KEYS: [&[&str]; 3] = [
    &["input_tokens", "input", "prompt_tokens"],
    &["output_tokens", "output", "completion_tokens"],
    &["total_tokens", "total"],
];

/// Keys of a cost object holding the total, first found wins.
const COST_KEYS: [&str; 2] = ["total_cost", "total"];

/// The fields any of the keys above can name. serde refuses an object that names one of
/// them twice, where a `Value` map keeps the last: such objects take the `Value` reading.
#[derive(Deserialize)]
struct Fields<'a> {
    #[serde(borrow, default)]
    input_tokens: Option<&'a RawValue>,
    #[serde(borrow, default)]
    input: Option<&'a RawValue>,
    #[serde(borrow, default)]
    prompt_tokens: Option<&'a RawValue>,
    #[serde(borrow, default)]
    output_tokens: Option<&'a RawValue>,
    #[serde(borrow, default)]
    output: Option<&'a RawValue>,
    #[serde(borrow, default)]
    completion_tokens: Option<&'a RawValue>,
    #[serde(borrow, default)]
    total_tokens: Option<&'a RawValue>,
    #[serde(borrow, default)]
    total: Option<&'a RawValue>,
    #[serde(borrow, default)]
    total_cost: Option<&'a RawValue>,
}

impl Fields<'_> {
    fn get(&self, key: &str) -> Option<Value> {
        let raw = match key {
            "input_tokens" => self.input_tokens,
            "input" => self.input,
            "prompt_tokens" => self.prompt_tokens,
            "output_tokens" => self.output_tokens,
            "output" => self.output,
            "completion_tokens" => self.completion_tokens,
            "total_tokens" => self.total_tokens,
            "total" => self.total,
            "total_cost" => self.total_cost,
            _ => None,
        }?;
        serde_json::from_str(raw.get()).ok()
    }
}

/// Every key the readings of these objects look at (`Fields` has a field for each).
pub(super) fn known_keys() -> impl Iterator<Item = &'static str> {
    USAGE_KEYS
        .iter()
        .flat_map(|k| k.iter())
        .chain(&COST_KEYS)
        .copied()
}

/// `key` as named in `known_keys`, when it is one: the keys a reader of usage objects
/// collects before `observe_usage_members`.
pub fn usage_key(key: &str) -> Option<&'static str> {
    known_keys().find(|k| *k == key)
}

/// Whether `key` is one of `known_keys`: an object naming one twice is not read flat.
fn known(key: &[u8]) -> bool {
    known_keys().any(|k| k.as_bytes() == key)
}

/// Whether `text` holds a number serde_json refuses as out of range (`1e400`): a `Value`
/// reading refuses the whole object, which typed fields, reading only theirs, would not.
fn out_of_range(text: &str) -> bool {
    super::flat::text_may_overflow(text.as_bytes()) && serde_json::from_str::<Value>(text).is_err()
}

/// A number or `null` as written, as `as_u32` reads its `Value`. PERF: short unsigned
/// integers, the token counts written, are read without serde_json.
fn u32_of(text: &[u8]) -> Option<u32> {
    if (1..=9).contains(&text.len()) && text.iter().all(u8::is_ascii_digit) {
        return text
            .iter()
            .try_fold(0u32, |n, &d| Some(n * 10 + u32::from(d - b'0')));
    }
    as_u32(&serde_json::from_slice(text).ok()?)
}

/// A number or `null` as written, as `as_f64` reads its `Value`.
fn f64_of(text: &[u8]) -> Option<f64> {
    as_f64(&serde_json::from_slice(text).ok()?)
}

/// The text inside `raw` when it is a JSON string holding what looks like a JSON object;
/// `None` sends the value to the `Value` reading (not a string, no object inside, deep
/// nesting: serde_json stops at 128 levels, where the two readings could differ).
fn inner_object(raw: &[u8]) -> Option<String> {
    // As `serde_json::from_slice::<String>`, sized once (see `string_literal`).
    let inner = spanlens_json::string_literal(raw)?;
    let t = inner.trim_start();
    (t.starts_with('{') && !deep(t)).then_some(inner)
}

/// More brackets than serde_json's 128 levels could nest safely below: such text goes to
/// the `Value` reading, so the two readings cannot part on depth.
fn deep(text: &str) -> bool {
    text.bytes().filter(|b| matches!(b, b'{' | b'[')).count() > 100
}

impl Semantics {
    /// Reads a usage (`cost == false`) or cost object from its JSON-in-string text, as
    /// `observe_value` reads the decoded object; `false` when it must be decoded instead.
    pub(super) fn observe_object_text(&mut self, raw: &[u8], cost: bool) -> bool {
        if let Some(flat) = super::flat::members(raw, known) {
            let get = |k: &str| flat.get(k.as_bytes());
            self.keep_object(
                cost,
                |k| get(k).and_then(u32_of),
                |k| get(k).and_then(f64_of),
            );
            return true;
        }
        // A key named twice, a Python repr, trailing text: serde refuses, `Value` decides.
        let Some(inner) = inner_object(raw) else {
            return false;
        };
        if out_of_range(&inner) {
            return false;
        }
        let Ok(fields) = serde_json::from_str::<Fields>(&inner) else {
            return false;
        };
        self.keep_fields(&fields, cost);
        true
    }

    /// Reads a usage object from its JSON text (an object as written, not inside a
    /// string), as `usage_from_object` reads it decoded; `false` when it must be decoded
    /// instead (a key twice, deep nesting, no object).
    pub fn observe_usage_text(&mut self, text: &str) -> bool {
        // A number out of f64's range is not looked for here (it costs a scan of every
        // object, and MLflow 2's reader of the response around it skips by grammar too):
        // read by `Value`s, the whole response would give nothing.
        if !text.starts_with('{') || deep(text) {
            return false;
        }
        let Ok(fields) = serde_json::from_str::<Fields>(text) else {
            return false;
        };
        self.keep_fields(&fields, false);
        true
    }

    /// Reads a usage object from the members of it that `usage_key` names (each key and
    /// its value's JSON text as written), as `usage_from_object` reads it decoded; `false`
    /// when a key comes twice, which a `Value` map and serde read differently.
    pub fn observe_usage_members(&mut self, members: &[(&str, &str)]) -> bool {
        let twice = |(i, (k, _)): (usize, &(&str, &str))| members[..i].iter().any(|m| m.0 == *k);
        if members.iter().enumerate().any(twice) {
            return false;
        }
        let get = |k: &str| members.iter().find(|m| m.0 == k).map(|m| m.1.as_bytes());
        self.keep_object(
            false,
            |k| get(k).and_then(u32_of),
            |k| get(k).and_then(f64_of),
        );
        true
    }

    fn keep_fields(&mut self, fields: &Fields, cost: bool) {
        let value = |k: &str| fields.get(k);
        self.keep_object(
            cost,
            |k| value(k).as_ref().and_then(as_u32),
            |k| value(k).as_ref().and_then(as_f64),
        );
    }

    /// What a usage object (`cost == false`: a token count per slot) or a cost object
    /// (its total) gives, each key's value read by `tokens` or `total`: the first key of
    /// each slot whose value reads counts. Every reading of these objects (decoded into a
    /// `Value`, typed, flat) keeps through here, so all keep the same keys in one order.
    pub(super) fn keep_object(
        &mut self,
        cost: bool,
        tokens: impl Fn(&str) -> Option<u32>,
        total: impl Fn(&str) -> Option<f64>,
    ) {
        if cost {
            if let Some(c) = COST_KEYS.iter().find_map(|k| total(k)) {
                self.keep_cost(c);
            }
            return;
        }
        for (slot, keys) in USAGE_KEYS.iter().enumerate() {
            if let Some(n) = keys.iter().find_map(|k| tokens(k)) {
                self.keep_tokens(slot, n);
            }
        }
    }
}
