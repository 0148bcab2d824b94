//! Decoding the escapes of a JSON string exactly as serde_json does when it decodes a
//! `&str` or `Cow<str>`: the fast readers decode names, ids and keys with escapes
//! (`"say \"hi\""`, `"caf\u00e9"`, Python's `ensure_ascii` output) instead of giving up.

/// The text of a JSON string's contents (between the quotes) with its escapes decoded;
/// `None` where serde_json refuses to decode it: an unknown escape, a short `\u`, or a
/// surrogate escape without its pair (serde_json decodes strings strictly, though it
/// accepts lone surrogates in strings it only skips).
pub fn unescape(s: &str) -> Option<String> {
    decode(s, |_, _| {})
}

/// The JSON text `raw`, one string literal with JSON white space around it allowed,
/// decoded as `serde_json::from_slice::<String>` decodes it: `None` where serde_json
/// refuses it (not one string, a raw quote or control character inside, an escape it
/// refuses, bytes that are not UTF-8).
///
/// PERF: serde_json decodes into a scratch buffer that grows as it goes and then copies
/// it out; this sizes the output once and checks the text between escapes eight bytes at
/// a time. MLflow's usage and cost objects (a JSON object in a string on every LLM span)
/// are decoded this way.
pub fn string_literal(raw: &[u8]) -> Option<String> {
    decode_plain(std::str::from_utf8(literal_contents(raw)?).ok()?)
}

/// `string_literal` of text already known to be UTF-8, which is not checked again.
/// PERF: MLflow 2's provider responses, a kilobyte or so each, are decoded this way.
pub fn str_literal(raw: &str) -> Option<String> {
    let inner = literal_contents(raw.as_bytes())?;
    // SAFETY: `inner` is `raw` with ASCII bytes cut from its ends, so still UTF-8.
    decode_plain(unsafe { std::str::from_utf8_unchecked(inner) })
}

/// The contents of the one string literal `raw` holds (white space around it allowed),
/// between its quotes, escapes and all.
fn literal_contents(raw: &[u8]) -> Option<&[u8]> {
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let start = raw.iter().position(|b| !space(b))?;
    let end = raw.iter().rposition(|b| !space(b))? + 1;
    let t = raw.get(start..end)?;
    // A quote or control character between escapes ends the string early or is refused;
    // an escaped closing quote leaves a backslash at the end, which `decode` refuses.
    t.strip_prefix(b"\"")?.strip_suffix(b"\"")
}

/// `s`, a JSON string's contents, decoded; `None` for a raw quote or control character
/// in it, or an escape serde_json refuses.
fn decode_plain(s: &str) -> Option<String> {
    let b = s.as_bytes();
    // Decoding never lengthens a text, so this is all the room it takes (and the vector
    // kernel's stores, 64 bytes at a time, their slack).
    let mut out: Vec<u8> = Vec::with_capacity(b.len() + 64);
    #[cfg(target_arch = "x86_64")]
    if b.len() >= 64 && super::decode512::available() {
        use super::decode512::{Stop, decode};
        let mut at = 0;
        loop {
            // SAFETY: `available` checked the features the kernel needs.
            match unsafe { decode(b, at, &mut out) } {
                Stop::Done => break,
                Stop::Refused => return None,
                Stop::Unicode(i) => {
                    let (ch, used) = escape(b, i + 1)?;
                    out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                    at = i + 1 + used;
                }
            }
        }
        // SAFETY: as below; the kernel removes only escaping backslashes and turns only
        // ASCII letters into ASCII bytes.
        return Some(unsafe { String::from_utf8_unchecked(out) });
    }
    decode_words(b, &mut out)?;
    // SAFETY: `s` is UTF-8 and is copied in runs that end before ASCII bytes (escapes,
    // quotes, control bytes) or at its end; escapes add whole characters.
    Some(unsafe { String::from_utf8_unchecked(out) })
}

/// `decode_plain` a word at a time, onto `out`: the portable way, and short texts.
///
/// PERF: each word's first backslash, quote or control byte found by its bit: in MLflow
/// 2's provider responses (JSON inside a JSON string) an escape comes every few bytes,
/// and finding each with `memchr` (a call and a vector setup per escape), then checking
/// and copying the bytes before it, cost more than the bytes.
fn decode_words(b: &[u8], out: &mut Vec<u8>) -> Option<()> {
    use super::words::{control_bits, splat, zero_bits};
    let mut i = 0;
    loop {
        while let Some(w) = b.get(i..i + 8) {
            let x = u64::from_le_bytes(w.try_into().ok()?);
            let stop = zero_bits(x ^ splat(b'\\')) | zero_bits(x ^ splat(b'"')) | control_bits(x);
            out.extend_from_slice(w);
            if stop == 0 {
                i += 8;
                continue;
            }
            // The lowest bit is exact (a borrow only runs upward from a true match).
            let k = (stop.trailing_zeros() / 8) as usize;
            out.truncate(out.len() - 8 + k);
            i += k;
            break;
        }
        let Some(&c) = b.get(i) else { break };
        match c {
            b'\\' => {
                let (ch, used) = escape(b, i + 1)?;
                out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                i += 1 + used;
            }
            b'"' | 0..0x20 => return None,
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(())
}

/// Whether `s`, a JSON string's contents, has no quote, no byte below 0x20 and (unless
/// `backslash_ok`) no backslash: with `backslash_ok` false, contents that decode to
/// themselves. PERF: eight bytes at a time.
#[inline]
pub fn decodes_to_itself(s: &[u8], backslash_ok: bool) -> bool {
    use super::words::{all, has_control, has_zero, splat};
    all(
        s,
        |x| {
            !has_control(x)
                && !has_zero(x ^ splat(b'"'))
                && (backslash_ok || !has_zero(x ^ splat(b'\\')))
        },
        |b| b >= 0x20 && b != b'"' && (backslash_ok || b != b'\\'),
    )
}

/// `s` as text when it is printable ASCII (0x20 to 0x7e) without a quote or backslash:
/// text that decodes to itself and that a terminal shows as it is. `None` for anything
/// else, which the caller reads (or writes) its general way. PERF: for the short values
/// read on every span (kinds, names, models) and written on every `summary --json` row,
/// where a UTF-8 check and a byte-by-byte scan cost a hundred instructions; here all of
/// it is a word at a time.
pub fn plain_ascii(s: &[u8]) -> Option<&str> {
    use super::words::{all, has_control, has_high, has_zero, splat};
    let plain = all(
        s,
        |x| {
            !has_high(x)
                && !has_control(x)
                && !has_zero(x ^ splat(b'"'))
                && !has_zero(x ^ splat(b'\\'))
                && !has_zero(x ^ splat(0x7f))
        },
        |b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\',
    );
    // SAFETY: ASCII bytes are valid UTF-8.
    plain.then(|| unsafe { std::str::from_utf8_unchecked(s) })
}

/// `unescape`, and where each decoded byte was in `s` (see `Shifts`).
pub fn unescape_mapped(s: &str) -> Option<(String, Shifts)> {
    let mut marks = Vec::new();
    let out = decode(s, |d, e| marks.push((d, e)))?;
    let decoded_len = out.len();
    Some((out, Shifts { marks, decoded_len }))
}

/// Decodes `s`, calling `mark(decoded, escaped)` with the offsets just after each escape.
fn decode(s: &str, mut mark: impl FnMut(usize, usize)) -> Option<String> {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        let Some(j) = memchr::memchr(b'\\', &b[i..]) else {
            out.push_str(s.get(i..)?);
            break;
        };
        out.push_str(s.get(i..i + j)?);
        i += j + 1;
        let (c, used) = escape(b, i)?;
        out.push(c);
        i += used;
        mark(out.len(), i);
    }
    Some(out)
}

/// The character of the escape whose letter (after the backslash) is at `at`, and how
/// many bytes it took from there. PERF: inlined, it is a jump on the letter.
#[inline(always)]
fn escape(b: &[u8], at: usize) -> Option<(char, usize)> {
    let c = match *b.get(at)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let (c, used) = unicode(b, at + 1)?;
            return Some((c, 1 + used));
        }
        _ => return None,
    };
    Some((c, 1))
}

/// Where each decoded byte of a JSON string's contents was in the escaped text: a mark
/// after every escape, so a range of the decoded text (a value inside a string that holds
/// JSON) can be referenced in the escaped text it came from, and decoded again when read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shifts {
    /// (decoded offset, escaped offset) just after each escape, in order.
    marks: Vec<(usize, usize)>,
    decoded_len: usize,
}

impl Shifts {
    /// The length of the decoded text.
    pub fn decoded_len(&self) -> usize {
        self.decoded_len
    }

    /// The offset in the escaped text of decoded offset `at`, which must fall between
    /// two decoded characters (a JSON token boundary always does).
    pub fn escaped_at(&self, at: usize) -> usize {
        match self.marks.partition_point(|&(d, _)| d <= at) {
            0 => at,
            k => {
                let (d, e) = self.marks[k - 1];
                e + (at - d)
            }
        }
    }
}

/// The character of the `\u` escape whose hex digits start at `at`, and how many bytes it
/// took (4, or 10 for a surrogate pair `XXXX\uYYYY`).
fn unicode(b: &[u8], at: usize) -> Option<(char, usize)> {
    let n = hex4(b, at)?;
    match n {
        0xDC00..=0xDFFF => None,
        0xD800..=0xDBFF => {
            if b.get(at + 4..at + 6)? != b"\\u" {
                return None;
            }
            let low = hex4(b, at + 6)?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return None;
            }
            let c = 0x1_0000 + ((n - 0xD800) << 10 | (low - 0xDC00));
            Some((char::from_u32(c)?, 10))
        }
        _ => Some((char::from_u32(n)?, 4)),
    }
}

/// Four hex digits at `at` as a number.
fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let d = b.get(at..at + 4)?;
    let s = std::str::from_utf8(d).ok()?;
    if !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

#[cfg(test)]
#[path = "unescape_tests.rs"]
mod tests;
