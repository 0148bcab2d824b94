//! Tests of `unescape.rs`: every decoder against serde_json's decoding.

mod plain_tests {
    use super::super::plain_ascii;

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
fn draws(mut seed: u64) -> impl FnMut() -> usize {
    move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    }
}

mod literal_tests {
    use super::super::string_literal;
    use super::draws;

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
mod long_literal_tests {
    use super::super::{decode_words, str_literal, string_literal};
    use super::draws;

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

mod unescape_tests {
    use super::super::{unescape, unescape_mapped};
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
