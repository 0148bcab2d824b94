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
mod plain_tests {
    use super::plain_ascii;

    #[test]
    fn only_ascii_that_needs_no_decoding_is_taken() {
        let odd = ['"', '\\', '\n', '\u{1f}', '\u{7f}', 'é', '\u{202e}'];
        for len in 0..20 {
            let base = "abcdefghijklmnopqrstu"[..len].to_string();
            assert_eq!(plain_ascii(base.as_bytes()), Some(base.as_str()));
            for at in 0..len {
                for c in odd {
                    let mut t = base.clone();
                    t.replace_range(at..at + 1, c.encode_utf8(&mut [0; 4]));
                    assert_eq!(plain_ascii(t.as_bytes()), None, "{t:?}");
                }
            }
        }
        assert_eq!(plain_ascii(&[b'a', 0xff, b'b']), None);
        // Every byte alone, and at each place of a word and its remainder.
        for b in 0..=255u8 {
            let want = (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\';
            for at in 0..11 {
                let mut t = *b"abcdefghijk";
                t[at] = b;
                assert_eq!(plain_ascii(&t).is_some(), want, "{b:#x} at {at}");
            }
        }
    }
}

/// Seeded draws for the tests below (reproducible).
#[cfg(test)]
fn draws(mut seed: u64) -> impl FnMut() -> usize {
    move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    }
}

#[cfg(test)]
mod literal_tests {
    use super::{draws, string_literal};

    #[test]
    fn string_literals_decode_as_serde_json_decodes_them() {
        let pieces: [&[u8]; 24] = [
            b"plain text, ",
            b"{\\\"k\\\": ",
            b"\"",
            b"\\",
            b"\\\"",
            b"\\\\",
            b"\\u00e9",
            b"\\ud83d\\ude00",
            b"\\ud83d",
            b"\\ude00",
            b"\\u12",
            b"\\x",
            b"\\n",
            b"\\/",
            b"a",
            b"{",
            b"\t",
            b"\x01",
            b" ",
            b"\n",
            "é".as_bytes(),
            b"\xe9",
            b"\xff",
            b"0",
        ];
        let mut next = draws(3);
        let (mut agreed, mut decoded) = (0, 0);
        for _ in 0..40_000 {
            let mut raw = Vec::new();
            for _ in 0..next() % 4 {
                raw.push(b" \t\n"[next() % 3]);
            }
            raw.push(b'"');
            // Short ones, and long ones whose words (eight bytes) hold every piece at
            // every place.
            let len = if next().is_multiple_of(2) { 8 } else { 48 };
            for _ in 0..next() % len {
                raw.extend_from_slice(pieces[next() % pieces.len()]);
            }
            if !next().is_multiple_of(8) {
                raw.push(b'"');
            }
            for _ in 0..next() % 3 {
                raw.extend_from_slice(pieces[next() % pieces.len()]);
            }
            let serde = serde_json::from_slice::<String>(&raw).ok();
            assert_eq!(
                string_literal(&raw),
                serde,
                "{:?}",
                String::from_utf8_lossy(&raw)
            );
            agreed += 1;
            decoded += serde.is_some() as usize;
        }
        assert!(
            decoded > 2_000,
            "only {decoded} of {agreed} texts were strings"
        );
    }
}

/// Long texts, which take the vector kernel where the CPU has one (`decode512`): every
/// piece at every place of a 64-byte block and across two, and runs of escapes.
#[cfg(test)]
mod long_literal_tests {
    use super::{decode_words, draws, str_literal, string_literal};

    /// What serde_json decodes the contents `inner` (quotes added) to.
    fn serde(inner: &[u8]) -> Option<String> {
        let raw = [b"\"".as_slice(), inner, b"\""].concat();
        serde_json::from_slice::<String>(&raw).ok()
    }

    fn check(inner: &[u8]) {
        let raw = [b"\"".as_slice(), inner, b"\""].concat();
        let want = serde(inner);
        let got = string_literal(&raw);
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(inner));
        if let Ok(raw) = std::str::from_utf8(&raw) {
            assert_eq!(str_literal(raw), want, "{raw:?}");
        }
        // The portable decoder, run directly, agrees too (on UTF-8 text, as it is given).
        if std::str::from_utf8(inner).is_ok() {
            let mut out = Vec::new();
            let words = decode_words(inner, &mut out).map(|()| String::from_utf8(out).unwrap());
            assert_eq!(words, want, "{:?}", String::from_utf8_lossy(inner));
        }
    }

    #[test]
    fn every_escape_at_every_place_of_a_block_decodes_as_serde_json_decodes() {
        let pieces: [&[u8]; 16] = [
            b"\\\"",
            b"\\\\",
            b"\\\\\\\"",
            b"\\u00e9",
            b"\\ud83d\\ude00",
            b"\\ud83d",
            b"\\u12",
            b"\\x",
            b"\\n\\t\\b\\f\\r\\/",
            b"\"",
            b"\x01",
            b"\\",
            "é€".as_bytes(),
            b"\\\xc3\xa9",
            b"\\u0041\\u005c",
            b"\x7f",
        ];
        let mut decoded = 0;
        for pad in 0..140 {
            for piece in pieces {
                for tail in [0, 1, 63, 64, 70] {
                    let mut inner = vec![b'a'; pad];
                    inner.extend_from_slice(piece);
                    inner.extend(std::iter::repeat_n(b'z', tail));
                    check(&inner);
                    decoded += serde(&inner).is_some() as usize;
                }
            }
        }
        assert!(decoded > 6_000, "only {decoded} decoded");
    }

    #[test]
    fn long_texts_dense_with_escapes_decode_as_serde_json_decodes() {
        let pieces: [&[u8]; 12] = [
            b"{\\\"key\\\": ",
            b"\\\"v\\\\\\\"q\\\"",
            b"\\\\",
            b"\\n",
            b"text ",
            "héllo ".as_bytes(),
            b"\\u00e9",
            b"\\ud83d\\ude00",
            b"\\/",
            b", ",
            b"}",
            b"\\u2614",
        ];
        let bad: [&[u8]; 4] = [b"\"", b"\\q", b"\x1f", b"\\"];
        let mut next = draws(11);
        let mut decoded = 0;
        for _ in 0..6_000 {
            let mut inner = Vec::new();
            for _ in 0..20 + next() % 120 {
                inner.extend_from_slice(pieces[next() % pieces.len()]);
            }
            // A tenth get one thing serde_json refuses, somewhere.
            if next().is_multiple_of(10) {
                let at = next() % inner.len();
                let at = (0..=at)
                    .rev()
                    .find(|&i| std::str::from_utf8(&inner[..i]).is_ok());
                let at = at.unwrap_or(0);
                let piece = bad[next() % bad.len()];
                inner.splice(at..at, piece.iter().copied());
            }
            check(&inner);
            decoded += serde(&inner).is_some() as usize;
        }
        assert!(decoded > 4_000, "only {decoded} decoded");
    }
}

#[cfg(test)]
mod tests {
    use super::{unescape, unescape_mapped};
    use std::borrow::Cow;

    /// What serde_json decodes the string literal `lit` (with quotes) to, if anything.
    fn serde(lit: &str) -> Option<String> {
        serde_json::from_str::<Cow<str>>(lit)
            .ok()
            .map(Cow::into_owned)
    }

    /// `n` strings of `len` pieces each, drawn from `pieces` (seeded, reproducible).
    fn random_strings<'p>(
        pieces: &'p [&str],
        mut seed: u64,
        n: usize,
        len: usize,
    ) -> impl Iterator<Item = String> + 'p {
        (0..n).map(move |_| {
            let mut s = String::new();
            for _ in 0..len {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            s
        })
    }

    #[test]
    fn decodes_as_serde_json_decodes() {
        let cases = [
            r#""plain""#,
            r#""say \"hi\"\n\t\\ \/ \b\f\r""#,
            r#""caf\u00e9 \u263a \u00B0C""#,
            r#""\ud83d\ude00 smile""#,
            r#""lone \ud83d here""#,
            r#""lone \ude00 trail""#,
            r#""pair broken \ud83d\u0041""#,
            r#""high then escape \ud83d\n""#,
            r#""short \u12""#,
            r#""bad \q escape""#,
            r#""ends in \ud83d""#,
            r#""é漢字 raw""#,
            r#""\u0000 nul""#,
        ];
        for lit in cases {
            let inner = &lit[1..lit.len() - 1];
            assert_eq!(unescape(inner), serde(lit), "{lit}");
        }
    }

    #[test]
    fn random_escapes_decode_as_serde_json_decodes() {
        let pieces = [
            "a", "é", "\\\"", "\\\\", "\\/", "\\n", "\\u00e9", "\\ud83d", "\\ude00", "\\uDBFF",
            "\\uDFFF", "\\u0041", "\\x", "\\u12", "漢",
        ];
        for s in random_strings(&pieces, 3, 20_000, 6) {
            // No lone backslash or quote among the pieces: `s` is what can stand
            // between two quotes.
            let lit = format!("\"{s}\"");
            assert_eq!(unescape(&s), serde(&lit), "{lit}");
        }
    }

    /// Every range of the decoded text between two characters is the decoding of the
    /// escaped range `Shifts` gives for it; strings `unescape` refuses have no shifts.
    #[test]
    fn shifts_map_decoded_ranges_to_the_escaped_text_they_came_from() {
        let pieces = [
            "a",
            "{",
            "é",
            "\\\"",
            "\\\\",
            "\\/",
            "\\n",
            "\\u00e9",
            "\\u0041",
            "\\u263a",
            "\\ud83d\\ude00",
            "\\ud83d",
            "\\x",
            "漢",
            "\\\\\\\"",
        ];
        let (mut decoded_ok, mut refused) = (0, 0);
        for s in random_strings(&pieces, 7, 5_000, 8) {
            let mapped = unescape_mapped(&s);
            assert_eq!(mapped.as_ref().map(|m| &m.0), unescape(&s).as_ref(), "{s}");
            let Some((decoded, shifts)) = mapped else {
                refused += 1;
                continue;
            };
            decoded_ok += 1;
            assert_eq!(shifts.decoded_len(), decoded.len(), "{s}");
            let cuts: Vec<usize> = (0..=decoded.len())
                .filter(|&c| decoded.is_char_boundary(c))
                .collect();
            for &a in &cuts {
                for &b in cuts.iter().filter(|&&b| b >= a) {
                    let (ea, eb) = (shifts.escaped_at(a), shifts.escaped_at(b));
                    assert_eq!(unescape(&s[ea..eb]).as_deref(), Some(&decoded[a..b]), "{s}");
                }
            }
        }
        assert!(
            decoded_ok > 1_000 && refused > 1_000,
            "{decoded_ok} {refused}"
        );
    }
}
