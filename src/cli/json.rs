//! Writing JSON reports safe to print: every command's JSON goes through `render`.
//!
//! serde_json escapes C0 controls only. Many terminals act on C1 controls (U+0080–U+009F,
//! e.g. U+009B is CSI) even UTF-8 encoded, and bidi overrides reorder what follows, so
//! those, DEL and the Unicode line separators are written as `\uXXXX` escapes: the JSON
//! means the same, and `spanlens … --json` in a terminal shows nothing but text.

use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter};
use std::io::{self, Write};

/// The compact JSON text of `value`, with hostile characters escaped.
pub fn render(value: &impl Serialize) -> String {
    let mut out = Vec::new();
    write(&mut out, value);
    // Only whole UTF-8 strings and ASCII escapes were written.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `render(value)` to `out`, for reports put together from parts.
pub fn write(out: &mut Vec<u8>, value: &impl Serialize) {
    let len = out.len();
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, Inert);
    // Serialising a `Value` or a derived struct to memory cannot fail.
    if value.serialize(&mut ser).is_err() {
        out.truncate(len);
        out.extend_from_slice(b"null");
    }
}

/// Appends `render(&s)` to `out`: a string of printable ASCII without quotes or
/// backslashes (ids, names, times) is copied between quotes as it is, anything else goes
/// through `write`. PERF: serde's string writer cost 350 instructions a string, and
/// `summary --json` writes ten per trace; the check is a word at a time.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    if spanlens_json::plain_ascii(s.as_bytes()).is_some() {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        write(out, &s);
    }
}

/// Returns true when `c` must be written as an escape.
pub fn needs_escape(c: char) -> bool {
    matches!(c,
        '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200e}' | '\u{200f}' | '\u{061c}'
        | '\u{2028}' | '\u{2029}')
}

/// serde_json's compact output, escaping what `needs_escape` names.
struct Inert;

impl Formatter for Inert {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        frag: &str,
    ) -> io::Result<()> {
        // PERF: ASCII below DEL needs nothing (serde escaped the C0 controls already); one
        // vectorised byte scan instead of a char walk (ids, names and times are all ASCII).
        if frag.bytes().all(|b| b < 0x7f) {
            return w.write_all(frag.as_bytes());
        }
        let mut start = 0;
        for (i, c) in frag.char_indices() {
            if needs_escape(c) {
                w.write_all(&frag.as_bytes()[start..i])?;
                write!(w, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&frag.as_bytes()[start..])
    }

    fn write_char_escape<W: ?Sized + Write>(&mut self, w: &mut W, e: CharEscape) -> io::Result<()> {
        CompactFormatter.write_char_escape(w, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_string_is_written_as_write_writes_it() {
        // Every byte value alone, inside text and at either end; every char below U+0800
        // (C1 controls among them), and the escapes' neighbours.
        let mut texts: Vec<String> = (0u32..0x800)
            .filter_map(char::from_u32)
            .map(String::from)
            .collect();
        texts.extend((0u8..0x80).map(|b| format!("ab{}cd", b as char)));
        // Every ASCII byte and some longer characters at every place of the first two
        // eight-byte words and the remainder (`plain_ascii` reads words).
        let odd = ['é', '\u{7ff}', '\u{9b}', '\u{202e}', '\u{ffff}'];
        for c in (0u8..0x80).map(char::from).chain(odd) {
            for at in 0..19 {
                let mut t = "0123456789abcdefxyz".to_string();
                t.replace_range(at..at + 1, c.encode_utf8(&mut [0; 4]));
                texts.push(t);
            }
        }
        texts.extend(
            [
                "",
                "tr-0a1b",
                "chat gpt-4o",
                "2026-11-28T20:11:15.499Z",
                "\u{202e}x",
            ]
            .map(String::from),
        );
        for t in &texts {
            let (mut fast, mut slow) = (b"[".to_vec(), b"[".to_vec());
            write_str(&mut fast, t);
            write(&mut slow, &t);
            assert_eq!(fast, slow, "{t:?}");
        }
    }

    #[test]
    fn c1_bidi_and_separators_are_escaped_and_the_json_means_the_same() {
        let v = serde_json::json!({"k\u{9b}": "a\u{9b}31m\u{202e}b\u{2028}\u{7f}\x1b ok é"});
        let s = render(&v);
        assert_eq!(
            s,
            r#"{"k\u009b":"a\u009b31m\u202eb\u2028\u007f\u001b ok é"}"#
        );
        assert!(!s.chars().any(|c| c.is_control() || needs_escape(c)));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }
}
