//! Which span outputs are worth parsing for token usage at load time. MLflow 2 autolog
//! keeps usage only inside the provider response (`{"usage": {...}}` in
//! `mlflow.spanOutputs`), so outputs of spans without token attributes are parsed to find
//! it; most outputs (retrievers, tools, agents) cannot hold it, and a byte scan proves so.

use crate::load::fast_fields::top_member_read;
use crate::load::fastjson::Tokens;
use crate::model::Enc;
use crate::model::conventions::{Semantics, usage_key};
use crate::model::text::decode_value;
use serde_json::value::RawValue;

/// Outputs larger than this are not parsed at load time to look for token usage.
const USAGE_SCAN_LIMIT: usize = 256 << 10;

/// Whether decoding `raw` (the JSON text of an attribute value: usually a JSON string
/// holding JSON) could give an object with a `usage` key. `false` only when it cannot:
/// every letter of a key decoded from it comes either from the same letter in `raw` or from
/// a `\u00XX` escape of an ASCII character (at either level of the double encoding), so
/// without the bytes `usage` and without such an escape there is no `usage` key.
///
/// PERF: parsing every output into a `Value` to look for the key cost as much as reading
/// the rest of the file; this is a `memmem` over bytes already in cache. The searchers are
/// built once: `memmem::find` builds one per call, 0.7% of a real-shape MLflow 3 load.
pub(super) fn worth_parsing(raw: &str) -> bool {
    use memchr::memmem::Finder;
    use std::sync::LazyLock;
    static USAGE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"usage"));
    static ESCAPE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\\u"));
    let b = raw.as_bytes();
    if b.len() >= USAGE_SCAN_LIMIT {
        return false;
    }
    USAGE.find(b).is_some() || ESCAPE.find_iter(b).any(|i| ascii_escape(&b[i + 2..]))
}

/// Reads the token usage of the provider response `raw` (an `mlflow.spanOutputs` value)
/// into `sem`: through typed fields where they can promise the `Value` reading's answer,
/// else through the `Value` reading, of the usage object or of the whole response.
pub(super) fn read_from_response(sem: &mut Semantics, raw: &str) {
    if response_text(raw)
        .and_then(|text| read_usage(sem, &text))
        .is_none()
    {
        sem.usage_from_response(&decode_value(raw.as_bytes(), Enc::JsonStrJson));
    }
}

/// The JSON text of the response `raw` (decoded when it is held in a string) when it is
/// an object; `None` for the `Value` reading to decide.
fn response_text(raw: &str) -> Option<std::borrow::Cow<'_, str>> {
    let inner = match raw.starts_with('"') {
        true => crate::load::json::string_text(raw),
        false => Some(std::borrow::Cow::Borrowed(raw)),
    };
    // Only objects: serde reads an array as a struct too.
    inner.filter(|t| t.trim_start().starts_with('{'))
}

/// The typed serde reading of a provider response: its `usage` member only.
#[derive(serde::Deserialize)]
struct Response<'a> {
    #[serde(borrow, default)]
    usage: Option<&'a RawValue>,
}

/// Reads the `usage` member of the response object `text` into `sem`, as the `Value`
/// reading (`decode_value(raw, JsonStrJson).get("usage")`) would read it: over the SIMD
/// token index, the usage object's members from the index built for the response; else
/// through a typed struct that skips every other member. `None` (nothing read) when
/// neither can promise the same answer (`usage` twice, bad JSON), for the `Value` reading.
///
/// PERF: the `Value` reading built the whole response (choices, messages, a map per
/// object) to read one member: a third of the CPU of loading real-shape MLflow 2 lines.
/// serde_json's typed reading then stepped through every string byte by byte (a tenth),
/// and reading the usage object again through serde cost 5%.
fn read_usage(sem: &mut Semantics, text: &str) -> Option<()> {
    let usage = match top_member_read(text, "usage", |t| usage_members(t, text)) {
        // serde refuses a key twice.
        Some((_, true, _)) => return None,
        Some((found, false, members)) => {
            if let Some(Some(m)) = members
                && sem.observe_usage_members(m.members())
            {
                return Some(());
            }
            // `null` reads as no member, as serde reads an `Option`.
            found.filter(|v| *v != "null")
        }
        None => serde_json::from_str::<Response>(text)
            .ok()?
            .usage
            .map(RawValue::get),
    };
    if let Some(u) = usage.filter(|u| u.starts_with('{'))
        && !sem.observe_usage_text(u)
    {
        // A key twice, or deep nesting: the object decoded.
        sem.usage_from_object(&serde_json::from_str(u).unwrap_or_default());
    }
    Some(())
}

/// Most members a usage object gives `observe_usage_members`: one per key it looks at.
const MEMBERS: usize = 10;

/// The members of a usage object that `usage_key` names.
struct Members<'t> {
    found: [(&'static str, &'t str); MEMBERS],
    len: usize,
}

impl<'t> Members<'t> {
    fn members(&self) -> &[(&'static str, &'t str)] {
        &self.found[..self.len]
    }
}

/// The members of the object at the cursor (in `text`) that `usage_key` names, each
/// value as its JSON text; `None` when the value is no object, a key is escaped (serde
/// decodes it), or there are more such members than keys (one comes twice).
fn usage_members<'t>(t: &mut Tokens<'_>, text: &'t str) -> Option<Members<'t>> {
    let mut m = Members {
        found: [("", ""); MEMBERS],
        len: 0,
    };
    if t.open(b'{', b'}')? {
        loop {
            let key = usage_key(t.key()?);
            let (a, b) = t.value()?;
            if let Some(key) = key {
                *m.found.get_mut(m.len)? = (key, text.get(a as usize..b as usize)?);
                m.len += 1;
            }
            if !t.next_member(b'}')? {
                break;
            }
        }
    }
    Some(m)
}

/// Whether the four hex digits at the start of `hex` (after a `\u`) name an ASCII
/// character (`0000` to `007F`): the escapes that can spell a letter.
fn ascii_escape(hex: &[u8]) -> bool {
    matches!(hex, [b'0', b'0', b'0'..=b'7', ..])
}

#[cfg(test)]
mod tests {
    use super::worth_parsing;
    use crate::model::Enc;
    use crate::model::text::decode_value;

    /// What the loader would find: a `usage` object at the top of the decoded value.
    fn has_usage(raw: &str) -> bool {
        decode_value(raw.as_bytes(), Enc::JsonStrJson)
            .get("usage")
            .is_some_and(|u| u.is_object())
    }

    /// What the `Value` reading finds: the `usage` member when it is an object.
    fn usage_by_value(raw: &str) -> Option<serde_json::Value> {
        let v = decode_value(raw.as_bytes(), Enc::JsonStrJson);
        v.get("usage").filter(|u| u.is_object()).cloned()
    }

    #[test]
    fn the_typed_usage_reading_agrees_with_the_value_reading_or_defers() {
        let cases = [
            r#""{\"id\": \"c1\", \"usage\": {\"prompt_tokens\": 12, \"total_tokens\": 15}}""#,
            r#"{"choices": [{"message": {"content": "hi"}}], "usage": {"input_tokens": 3}}"#,
            r#""{\"usage\": null}""#,
            r#""{\"usage\": [1, 2]}""#,
            r#""{\"usage\": \"many\"}""#,
            r#""{\"choices\": []}""#,
            r#""{\"u\u0073age\": {\"prompt_tokens\": 1}}""#,
            r#""  {\"usage\": {\"prompt_tokens\": 2}}  ""#,
            // Deferred: a key twice, no object, not JSON, a string holding a string.
            r#""{\"usage\": {\"prompt_tokens\": 1}, \"usage\": {\"prompt_tokens\": 2}}""#,
            r#""[{\"usage\": {}}]""#,
            r#"[{"usage": {}}]"#,
            r#""{\"usage\": {\"prompt_tokens\": 1}""#,
            r#""\"{\\\"usage\\\": {}}\"""#,
            r#""not json, usage""#,
            r#"{"usage": {"prompt_tokens": 1}} trailing"#,
        ];
        let mut typed = 0;
        for raw in cases {
            // `None`: the `Value` reading decides, as before.
            let mut by_types = super::Semantics::default();
            let text = super::response_text(raw);
            if text
                .and_then(|t| super::read_usage(&mut by_types, &t))
                .is_some()
            {
                typed += 1;
                let mut found = super::Semantics::default();
                if let Some(usage) = usage_by_value(raw) {
                    found.usage_from_object(&usage);
                }
                assert_eq!(format!("{by_types:?}"), format!("{found:?}"), "{raw}");
            }
            // And the tokens the load keeps, whichever reading it takes.
            let mut read = super::Semantics::default();
            super::read_from_response(&mut read, raw);
            let mut by_value = super::Semantics::default();
            by_value.usage_from_response(&decode_value(raw.as_bytes(), Enc::JsonStrJson));
            assert_eq!(format!("{read:?}"), format!("{by_value:?}"), "{raw}");
        }
        assert_eq!(typed, 8, "the plain shapes are read typed");
    }

    /// Seeded random responses (members of many kinds, `usage` absent, once, twice or
    /// spelled with an escape, damaged by `mutate_text`): the index reading gives the typed
    /// serde reading's answer whenever it answers, and answers for a good share (the rest,
    /// with an escaped key or a key twice, go to serde). Where it also reads the usage
    /// object's members, they give the tokens the reading of the object's text gives.
    #[test]
    fn the_index_reading_of_a_member_is_the_serde_reading() {
        use crate::load::fast_fields::top_member_read;
        use crate::load::mutate::{Rng, mutate_text};
        if !crate::load::fastjson::enabled() {
            return; // No vector kernel here: the index reading is not used.
        }
        let members = [
            r#""id": "chatcmpl-1""#,
            r#""choices": [{"index": 0, "message": {"content": "say "hi"
", "usage": 1}}]"#,
            r#""usage": {"prompt_tokens": 57, "completion_tokens_details": {"audio": null}}"#,
            r#""usage": null"#,
            r#""usage": [1, 2e3]"#,
            r#""usage": {"total_tokens": 1}"#,
            r#""usage": {"input_tokens": 5, "input_tokens": 6, "output": 2}"#,
            r#""usage": {"input": "7", "total": 2.5, "x": {"total_tokens": 9}, "output": -1}"#,
            r#""usage": {"output_tokens": 4294967296, "prompt_tokens": 3.0, "total": 12}"#,
            r#""usage": {"completion_tokens": 8, "t\u006ftal": 3}"#,
            r#""created": 1718000000"#,
            r#""model": "gpt-4o-café""#,
            r#""usage ": {}"#,
        ];
        // The reading of the usage object's text that the load took before.
        let by_text = |usage: &str| {
            let mut sem = super::Semantics::default();
            if !sem.observe_usage_text(usage) {
                sem.usage_from_object(&serde_json::from_str(usage).unwrap_or_default());
            }
            format!("{sem:?}")
        };
        let mut rng = Rng(11);
        let (mut answered, mut by_members, mut total) = (0, 0, 0);
        for _ in 0..6_000 {
            let n = rng.below(5);
            let picked: Vec<&str> = (0..n).map(|_| members[rng.below(members.len())]).collect();
            let mut text = format!("{{{}}}", picked.join(", "));
            if rng.below(3) == 0 {
                text = mutate_text(&text, &mut rng, &members);
            }
            let serde = serde_json::from_str::<super::Response>(&text)
                .ok()
                .map(|r| r.usage.map(|u| u.get()));
            total += 1;
            let read = top_member_read(&text, "usage", |t| super::usage_members(t, &text));
            let Some((found, false, members)) = read else {
                continue;
            };
            answered += 1;
            // `null` reads as no member, as serde reads an `Option`.
            assert_eq!(Some(found.filter(|v| *v != "null")), serde, "{text}");
            let mut sem = super::Semantics::default();
            if let Some(Some(m)) = members
                && sem.observe_usage_members(m.members())
            {
                by_members += 1;
                assert_eq!(format!("{sem:?}"), by_text(found.unwrap()), "{text}");
            }
        }
        assert!(
            answered > total / 3 && by_members > total / 15,
            "{answered} of {total} read over the index, {by_members} by members"
        );
    }

    #[test]
    fn outputs_that_could_hold_usage_are_parsed() {
        let with_usage = [
            r#""{\"id\": \"c1\", \"usage\": {\"prompt_tokens\": 3}}""#,
            r#"{"usage": {"prompt_tokens": 3}}"#,
            // The key spelled with escapes, at the outer and at the inner level.
            r#""{\"\u0075sage\": {\"prompt_tokens\": 3}}""#,
            r#""{\"us\\u0061ge\": {\"prompt_tokens\": 3}}""#,
            r#""{\"\\u0075s\u0061g\\u0065\": {}}""#,
        ];
        for raw in with_usage {
            assert!(has_usage(raw), "the case itself has usage: {raw}");
            assert!(worth_parsing(raw), "{raw}");
        }
    }

    #[test]
    fn outputs_that_cannot_hold_usage_are_not_parsed() {
        let without = [
            r#""\"It is rainy and 14\u00b0C in Paris \u2614.\"""#,
            r#""[{\"page_content\": \"Umbrellas.\", \"id\": \"doc-2\"}]""#,
            r#""{\"choices\": [{\"text\": \"caf\\u00e9\"}]}""#,
            r#"null"#,
            "42",
        ];
        for raw in without {
            assert!(!has_usage(raw), "the case itself has no usage: {raw}");
            assert!(!worth_parsing(raw), "{raw}");
        }
    }

    /// Seeded random keys, each letter of `usage` written plainly, as an outer or an inner
    /// escape, or replaced by something else: the scan may say "parse" for text without
    /// usage, never "skip" for text with it.
    #[test]
    fn the_scan_never_skips_an_output_with_usage() {
        let junk = ["x", "\\u00e9", "\\\"", " ", "\\u0041", "U"];
        let mut seed = 5u64;
        let (mut with, mut without) = (0, 0);
        for _ in 0..20_000 {
            let mut key = String::new();
            for letter in "usage".chars() {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let code = letter as u32;
                match (seed >> 33) % 5 {
                    0 | 1 => key.push(letter),
                    2 => key.push_str(&format!("\\u{code:04x}")),
                    3 => key.push_str(&format!("\\\\u{code:04X}")),
                    _ => key.push_str(junk[(seed >> 40) as usize % junk.len()]),
                }
            }
            let raw = format!(r#""{{\"{key}\": {{\"total_tokens\": 1}}}}""#);
            if has_usage(&raw) {
                with += 1;
                assert!(worth_parsing(&raw), "{raw}");
            } else {
                without += 1;
            }
        }
        assert!(
            with > 1000 && without > 1000,
            "{with} with usage, {without} without"
        );
    }
}
