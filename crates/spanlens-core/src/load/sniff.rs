//! What an input looks like from its first bytes: JSON Lines or a document, which format
//! a value is, and a useful reason when it is none.

use super::format::{self, Format};
use super::input::Input;
use super::json::{self, RawObject};
use serde_json::value::RawValue;

/// Classifies a top-level value: an object by its keys, an array by its first element.
pub(super) fn classify_value(raw: &RawValue) -> Option<Format> {
    classify_nested(raw, 0)
}

/// PERF: an array is classified by its first element, and that by its own first element,
/// a bounded number of times: each level reads the element whole, so following `[[[[…`
/// all the way down cost a pass per level (quadratic: an hour for 2 MB).
fn classify_nested(raw: &RawValue, depth: usize) -> Option<Format> {
    let t = raw.get();
    if t.starts_with('[') {
        if depth >= 2 {
            return None;
        }
        return classify_nested(json::first_element(raw)?, depth + 1);
    }
    format::classify(&RawObject::parse(raw)?)
}

/// Lines of the sniff window looked at past a damaged first line.
const LINES_LOOKED_AT: usize = 50;

/// The complete lines of `text` after the first (a line cut by the end of the window is
/// left out), at most `LINES_LOOKED_AT`.
fn later_lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut lines = text.split(|&b| b == b'\n');
    let complete = memchr::memchr_iter(b'\n', text).count();
    lines.next();
    lines.take(complete.saturating_sub(1)).take(LINES_LOOKED_AT)
}

/// A JSON Lines file whose first line is damaged: most later lines are whole JSON objects
/// starting at their first column. No pretty-printed document looks like that, nor an
/// array of one object per line (its lines end with commas).
pub(super) fn lines_past_bad_first(text: &[u8]) -> bool {
    if text[0] == b'[' {
        return false;
    }
    let (mut lines, mut whole) = (0, 0);
    for l in later_lines(text) {
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        if l.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        lines += 1;
        if l.first() == Some(&b'{') && serde_json::from_slice::<RawObject>(l).is_ok() {
            whole += 1;
        }
    }
    whole > 0 && whole * 2 >= lines
}

/// The format of a JSON Lines file: by its first line, or by the first later line that is
/// a whole, known record when the first is damaged.
pub(super) fn detect_lines(text: &[u8], input: &Input) -> Option<Format> {
    detect_line(first_line(text), input).or_else(|| {
        later_lines(text).find_map(|l| {
            let raw: &RawValue = serde_json::from_slice(l).ok()?;
            classify_value(raw)
        })
    })
}

pub(super) fn detect_line(first: &[u8], input: &Input) -> Option<Format> {
    // OTLP is decided by its first key, however long the line.
    if let Some(key) = first_key(first)
        && (key == "resourceSpans" || key == "resource_spans")
    {
        return Some(Format::Otlp);
    }
    if let Ok(raw) = serde_json::from_slice::<&RawValue>(first) {
        return classify_value(raw);
    }
    // The first line is longer than the sniff window (an MLflow trace per line with big
    // prompts): read the whole line, within reason, and classify that.
    let line = input.first_line(MAX_FIRST_LINE).ok()?;
    let raw: &RawValue = serde_json::from_slice(&line).ok()?;
    classify_value(raw)
}

/// Longest first line read to detect a JSON Lines format.
const MAX_FIRST_LINE: usize = 256 << 20;

/// JSON Lines when the first line is a complete value (or longer than the sniff window and
/// starts like a compact object). A pretty-printed document's first line is just `{`.
pub(super) fn is_json_lines(text: &[u8], truncated: bool) -> bool {
    if text[0] != b'{' {
        return false;
    }
    let line = first_line(text);
    if line.len() == text.len() && truncated {
        return first_key(line).is_some();
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok()
}

pub(super) fn first_line(text: &[u8]) -> &[u8] {
    let end = memchr::memchr(b'\n', text).unwrap_or(text.len());
    &text[..end]
}

/// The first key of a compact object (`{"key":`), if it can be read without escapes.
pub(super) fn first_key(text: &[u8]) -> Option<&str> {
    let rest = text.strip_prefix(b"{")?;
    let rest = skip_bom_ws(rest).strip_prefix(b"\"")?;
    let end = memchr::memchr(b'"', rest)?;
    std::str::from_utf8(&rest[..end]).ok()
}

pub(super) fn skip_bom_ws(b: &[u8]) -> &[u8] {
    let b = b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[start..]
}

/// Bytes at the start looked at by `looks_binary`.
const BINARY_WINDOW: usize = 4096;

/// True when the first bytes are mostly not text: more than one in twenty is a control
/// byte JSON forbids or breaks UTF-8. Random bytes score about one in two; a text export
/// with a damaged patch does not come close. NUL bytes do not count: a file cut by a crash
/// is often padded with them, and its JSON is still worth salvaging. Checked before a
/// file that opens with `{` or `[` is read whole as a document, so `/dev/urandom` (one
/// start in 128) is refused at once instead of being spooled until the disk fills.
pub(super) fn looks_binary(text: &[u8]) -> bool {
    let window = &text[..text.len().min(BINARY_WINDOW)];
    let controls = window
        .iter()
        .filter(|&&b| (b != 0 && b < 0x20 && !b"\t\n\r".contains(&b)) || b == 0x7f)
        .count();
    let mut broken = 0;
    for chunk in window.utf8_chunks() {
        // A character cut by the end of the window counts once at most: noise.
        broken += usize::from(!chunk.invalid().is_empty());
    }
    (controls + broken) * 20 > window.len()
}

pub(super) fn describe_non_json(text: &[u8]) -> String {
    if looks_binary(text) {
        return "not a trace file: binary content that is not parquet, gzip or zstd".into();
    }
    if text.starts_with(b"trace_id:")
        || text.starts_with(b"request_id:")
        || text.windows(10).any(|w| w == b"\ntrace_id:")
    {
        return "an MLflow trace_info.yaml: open its directory instead".into();
    }
    "not a trace file: content is not JSON".into()
}

pub(super) fn unknown(text: &[u8]) -> String {
    let keys: Vec<String> = serde_json::from_slice::<RawObject>(first_line(text))
        .or_else(|_| serde_json::from_slice::<RawObject>(text))
        .map(|o| o.0.iter().take(6).map(|(k, _)| k.0.to_string()).collect())
        .unwrap_or_default();
    if keys.is_empty() {
        "not a trace format spanlens knows".into()
    } else {
        format!(
            "not a trace format spanlens knows (top-level keys: {})",
            keys.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::looks_binary;

    /// Bytes of a xorshift stream, as `/dev/urandom` gives.
    fn random(n: usize) -> Vec<u8> {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn random_bytes_are_binary_and_text_with_damage_is_not() {
        let mut rnd = random(8192);
        rnd[0] = b'{';
        assert!(looks_binary(&rnd));
        let doc = "{\"spans\": [{\"name\": \"天気 ☔ café\", \"v\": \"\\u0000\"}]}\n".repeat(60);
        assert!(!looks_binary(doc.as_bytes()));
        // Zero padding after a crash, and a damaged patch of 100 bytes in 4 KiB.
        let mut padded = doc.clone().into_bytes();
        padded.extend(std::iter::repeat_n(0u8, 8192));
        assert!(!looks_binary(&padded));
        let mut patched = doc.into_bytes();
        patched[1000..1100].copy_from_slice(&random(100));
        assert!(!looks_binary(&patched));
        // A short head is judged on what there is.
        assert!(looks_binary(&rnd[..64]) && !looks_binary(b"{}"));
    }
}
