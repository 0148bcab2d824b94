//! Stage 1 of the fast JSON reader: one vector pass that finds every token of a text
//! (simdjson's structural index) and checks its strings, 64 bytes at a time.
//!
//! The index holds the byte position of every `{ } [ ] : ,` outside strings, of both quotes
//! of every string, and of the first byte of every other scalar (number, `true`, ...).
//! `None` means the text is not something stage 2 should read: a control character or a
//! bad escape in a string, or an unterminated string. The caller then hands the text to
//! serde_json, which reports the error with its position.
//!
//! PERF: serde_json spends most of its time stepping byte by byte through short strings;
//! here a 64-byte block costs a few dozen vector instructions whatever it holds, and the
//! per-token work is one bit scan. The vector versions (`simd`) only compute the masks; the
//! scalar version here is the reference they are tested against, and the fallback where
//! neither AVX-512 nor AVX2 is there.

/// Texts longer than this are left to serde_json (positions are `u32`, and the index of a
/// huge single line would cost more memory than it saves time).
pub const MAX_LEN: usize = 1 << 28;

/// Builds the index of `text` into `out` (cleared first). `None`: see the module docs.
/// (Loaders go through `repeat::Index::build`, which may start after a repeated head.)
#[cfg(test)]
pub fn build(text: &[u8], out: &mut Vec<u32>) -> Option<()> {
    out.clear();
    build_from(text, 0, out)
}

/// Indexes `text[from..]`, appending to `out`, which must hold the index of `text[..from]`
/// already; `from` is 0 or just after a `{ } [ ] : ,` outside a string, where no string,
/// escape or scalar is open, so the rest is indexed as if from the start.
pub(crate) fn build_from(text: &[u8], from: usize, out: &mut Vec<u32>) -> Option<()> {
    if text.len() > MAX_LEN {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    if let Some(r) = super::simd::build(text, from, out) {
        return r;
    }
    scalar_from(text, from, out)
}

/// `build_from` of `text[from..]` up to its first newline (or its end), found in the same
/// pass: where the line ends, its index in `out` exactly as `build_from` gives it for
/// `text[..end]`. `None` when that line cannot be indexed (its end is then not known).
pub(crate) fn build_line_from(text: &[u8], from: usize, out: &mut Vec<u32>) -> Option<usize> {
    // A line longer than `MAX_LEN` is not indexed: the search stops there.
    let limit = text.len().min(MAX_LEN);
    let end = line_from(&text[..limit], from, out)?;
    (end < limit || limit == text.len()).then_some(end)
}

fn line_from(text: &[u8], from: usize, out: &mut Vec<u32>) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(r) = super::simd::build_line(text, from, out) {
        return r;
    }
    scalar_line_from(text, from, out)
}

/// `line_from` with the reference version: the line's end, then its index.
fn scalar_line_from(text: &[u8], from: usize, out: &mut Vec<u32>) -> Option<usize> {
    let end = from + memchr::memchr(b'\n', text.get(from..)?).unwrap_or(text.len() - from);
    scalar_from(&text[..end], from, out).map(|()| end)
}

/// Bit masks of one 64-byte block, one bit per byte.
#[derive(Clone, Copy, Default)]
pub(super) struct Masks {
    pub quote: u64,
    pub backslash: u64,
    /// `{ } [ ] : ,`
    pub structural: u64,
    /// space, tab, newline, carriage return
    pub space: u64,
    /// bytes below 0x20
    pub control: u64,
}

/// What carries from one block to the next.
#[derive(Default)]
pub(super) struct Carry {
    escaped: u64,
    in_string: u64,
    scalar: u64,
}

impl Carry {
    /// Whether the text ended inside a string.
    pub(super) fn unterminated(&self) -> bool {
        self.in_string != 0
    }
}

const EVEN: u64 = 0x5555_5555_5555_5555;

/// The quotes of a block that open or close strings (those not escaped), and the bytes
/// that follow a backslash (simdjson's branchless escape finder). First half of `block`,
/// which needs the prefix XOR of the quotes in between.
#[inline(always)]
pub(super) fn quotes(m: &Masks, carry: &mut Carry) -> (u64, u64) {
    let escaped = escaped_bits(m.backslash, &mut carry.escaped);
    (m.quote & !escaped, escaped)
}

/// The bytes of a block that follow an escaping backslash, given the block's backslashes
/// and `carry` (1 when the block before ended on an escaping backslash; updated for the
/// next block). A backslash that is not itself escaped escapes the byte after it.
#[inline(always)]
pub(crate) fn escaped_bits(backslash: u64, carry: &mut u64) -> u64 {
    let backslash = backslash & !*carry;
    let follows = backslash << 1 | *carry;
    let odd_starts = backslash & !EVEN & !follows;
    let (even_ends, overflow) = odd_starts.overflowing_add(backslash);
    *carry = overflow as u64;
    (EVEN ^ (even_ends << 1)) & follows
}

/// Turns one block's masks into index entries; `inside` is the prefix XOR of `quote` (1
/// from an opening quote up to its closing one). `None` when a string rule is broken.
#[inline(always)]
pub(super) fn block(
    m: &Masks,
    quote: u64,
    inside: u64,
    at: u32,
    carry: &mut Carry,
    out: &mut Vec<u32>,
) -> Option<()> {
    push_bits(block_bits(m, quote, inside, carry)?, at, out);
    Some(())
}

/// The bits of a block's index entries (see `block`), for a kernel that appends them
/// its own way.
#[inline(always)]
pub(super) fn block_bits(m: &Masks, quote: u64, inside: u64, carry: &mut Carry) -> Option<u64> {
    let in_string = inside ^ carry.in_string;
    carry.in_string = ((in_string as i64) >> 63) as u64;
    if m.control & in_string != 0 {
        return None;
    }
    let scalar = !(m.structural | m.space | m.quote) & !in_string;
    let scalar_starts = scalar & !(scalar << 1 | carry.scalar);
    carry.scalar = scalar >> 63;
    Some((m.structural & !in_string) | quote | scalar_starts)
}

/// Checks the bytes that follow a backslash (bits of `escaped`, block at `at`): each must
/// be one of `" \\ / b f n r t u` (bits of `escapable`), and a `u` (bits of `u`) must
/// have four hex digits after it.
#[inline(always)]
pub(super) fn escapes_valid(
    escaped: u64,
    escapable: u64,
    u: u64,
    at: usize,
    text: &[u8],
) -> Option<()> {
    if escaped & !escapable != 0 {
        return None;
    }
    let mut u = escaped & u;
    while u != 0 {
        let i = at + u.trailing_zeros() as usize;
        if !text.get(i + 1..i + 5)?.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u &= u - 1;
    }
    Some(())
}

/// Appends `at + i` for every set bit `i`. PERF: eight at a time without a branch per
/// bit (simdjson's flattening); slots past the last bit get junk and are not kept.
#[inline(always)]
pub(super) fn push_bits(mut bits: u64, at: u32, out: &mut Vec<u32>) {
    let len = out.len();
    let count = bits.count_ones() as usize;
    out.reserve(64);
    let spare = out.spare_capacity_mut()[..64].as_mut_ptr() as *mut u32;
    let mut i = 0;
    while i < count {
        for k in 0..8 {
            // SAFETY: `i + k < 64` (`count <= 64`, `i` a multiple of 8 below it), and the
            // spare room is at least 64. PERF: volatile, so that LLVM does not gather the
            // eight values into a vector first, which was 10% slower.
            unsafe {
                spare
                    .add(i + k)
                    .write_volatile(at.wrapping_add(bits.trailing_zeros()))
            };
            bits &= bits.wrapping_sub(1);
        }
        i += 8;
    }
    // SAFETY: the first `count` spare slots were written, and `count <= 64`.
    unsafe { out.set_len(len + count) };
}

/// Masks of a block, computed byte by byte.
fn scalar_masks(chunk: &[u8; 64]) -> Masks {
    let mut m = Masks::default();
    for (i, &b) in chunk.iter().enumerate() {
        let bit = 1u64 << i;
        let set = |mask: &mut u64, yes: bool| *mask |= if yes { bit } else { 0 };
        set(&mut m.quote, b == b'"');
        set(&mut m.backslash, b == b'\\');
        set(
            &mut m.structural,
            matches!(b, b'{' | b'}' | b'[' | b']' | b':' | b','),
        );
        set(&mut m.space, matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
        set(&mut m.control, b < 0x20);
    }
    m
}

/// The bytes that may follow a backslash, and the `u`s, computed byte by byte.
fn scalar_escapable(chunk: &[u8; 64]) -> (u64, u64) {
    let (mut escapable, mut u) = (0, 0);
    for (i, &b) in chunk.iter().enumerate() {
        let ok = matches!(
            b,
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' | b'u'
        );
        escapable |= (ok as u64) << i;
        u |= ((b == b'u') as u64) << i;
    }
    (escapable, u)
}

/// Prefix XOR without carry-less multiplication.
fn prefix_xor_shifts(mut x: u64) -> u64 {
    for s in [1, 2, 4, 8, 16, 32] {
        x ^= x << s;
    }
    x
}

/// The reference version: the same blocks, masks computed one byte at a time.
#[cfg(test)]
pub fn scalar(text: &[u8], out: &mut Vec<u32>) -> Option<()> {
    out.clear();
    scalar_from(text, 0, out)
}

/// `build_from` with the reference version.
fn scalar_from(text: &[u8], from: usize, out: &mut Vec<u32>) -> Option<()> {
    let mut carry = Carry::default();
    for (n, chunk) in text.get(from..)?.chunks(64).enumerate() {
        let at = from + n * 64;
        let bytes = padded(chunk);
        let m = scalar_masks(&bytes);
        let (quote, escaped) = quotes(&m, &mut carry);
        if escaped != 0 {
            let (escapable, u) = scalar_escapable(&bytes);
            escapes_valid(escaped, escapable, u, at, text)?;
        }
        block(
            &m,
            quote,
            prefix_xor_shifts(quote),
            at as u32,
            &mut carry,
            out,
        )?;
    }
    (!carry.unterminated()).then_some(())
}

/// A block of 64 bytes: the chunk, then spaces (which add no tokens).
pub(super) fn padded(chunk: &[u8]) -> [u8; 64] {
    let mut b = [b' '; 64];
    b[..chunk.len()].copy_from_slice(chunk);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(text: &str) -> Option<Vec<u32>> {
        let mut out = Vec::new();
        scalar(text.as_bytes(), &mut out).map(|_| out)
    }

    #[test]
    fn finds_structurals_quotes_and_scalar_starts() {
        // {"a": [1, true], "b\"c": "x{y"}
        let t = r#"{"a": [1, true], "b\"c": "x{y"}"#;
        let got = idx(t).unwrap();
        let chars: String = got
            .iter()
            .map(|&i| t.as_bytes()[i as usize] as char)
            .collect();
        assert_eq!(chars, r#"{"":[1,t],"":""}"#);
    }

    #[test]
    fn rejects_what_json_forbids_in_strings() {
        assert!(idx("\"a\tb\"").is_none(), "control character in a string");
        assert!(idx(r#""\x""#).is_none(), "unknown escape");
        assert!(idx(r#""\u12""#).is_none(), "short \\u escape");
        assert!(idx(r#""abc"#).is_none(), "unterminated");
        assert!(
            idx("\t\"a\\u00e9\\\\\"\n").is_some(),
            "whitespace outside, escapes inside"
        );
    }

    /// `n` bytes drawn from `alphabet` by a seeded generator (the same texts every run).
    fn random_text(seed: &mut u64, n: usize, alphabet: &[u8]) -> Vec<u8> {
        (0..n)
            .map(|_| {
                *seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                alphabet[(*seed >> 33) as usize % alphabet.len()]
            })
            .collect()
    }

    #[test]
    fn vector_version_matches_the_reference() {
        // Blocks boundaries fall inside escapes, strings and scalars across these.
        let mut texts: Vec<String> = vec![
            r#"{"k":"v\\","n":-1.5e3,"t":true,"s":"\"q\"","u":"\u00e9"}"#.repeat(9),
            format!("{}\"{}\"", " ".repeat(62), "\\\\".repeat(40)),
            "\"\u{7f}é漢字\"".repeat(30),
            "[1,2,3,null,false]".repeat(20),
        ];
        let mut seed = 7u64;
        for _ in 0..300 {
            let s = random_text(&mut seed, 150, b"{}[]:, \"\\\\ua0\t\ntrue-1e");
            texts.push(String::from_utf8(s).expect("ASCII"));
        }
        let mut kernels = 0;
        for t in &texts {
            let mut want = Vec::new();
            let want = scalar(t.as_bytes(), &mut want).map(|()| want);
            #[cfg(target_arch = "x86_64")]
            for (name, got) in super::super::simd::each_kernel(t.as_bytes()) {
                assert_eq!(got, want, "{name} on {t:?}");
                kernels += 1;
            }
        }
        eprintln!("{kernels} kernel runs compared");
    }

    #[test]
    fn every_kernel_finds_the_first_line_and_indexes_it_as_the_reference() {
        // Random texts with newlines (also inside strings, where they end the line too),
        // each read from every offset so that newlines fall at every place in a block.
        let mut seed = 3u64;
        let mut lines = 0;
        for _ in 0..60 {
            let s = random_text(&mut seed, 300, b"{}[]:, \"\"\\ua0\ttrue-1e\n");
            for from in (0..s.len()).step_by(7) {
                let rest = &s[from..];
                let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
                let mut want = Vec::new();
                let want = scalar(&rest[..end], &mut want).map(|()| (end, want));
                let mut got = Vec::new();
                let got_portable = scalar_line_from(rest, 0, &mut got).map(|e| (e, got));
                assert_eq!(
                    got_portable,
                    want,
                    "portable on {:?}",
                    String::from_utf8_lossy(rest)
                );
                #[cfg(target_arch = "x86_64")]
                for (name, got) in super::super::simd::each_kernel_line(rest) {
                    assert_eq!(got, want, "{name} on {:?}", String::from_utf8_lossy(rest));
                }
                lines += usize::from(want.is_some());
            }
        }
        assert!(lines > 300, "{lines}");
    }

    #[test]
    fn every_kernel_started_after_a_structural_gives_the_whole_index() {
        // The start `repeat` uses: just after a `{ } [ ] : ,` outside a string, with the
        // entries before it kept. Blocks then fall at other offsets than from 0.
        let texts = [
            r#"{"k":"v\\","n":-1.5e3,"t":[true,null],"s":"\"{q}\"","u":"\u00e9"}"#.repeat(5),
            format!(
                "[{}]",
                r#"{"key":"a","value":{"stringValue":"x y"}}, "#.repeat(8) + "1"
            ),
        ];
        let mut starts = 0;
        for t in &texts {
            let t = t.as_bytes();
            let mut whole = Vec::new();
            scalar(t, &mut whole).expect("indexable");
            for (k, &at) in whole.iter().enumerate() {
                if !matches!(t[at as usize], b'{' | b'}' | b'[' | b']' | b':' | b',') {
                    continue;
                }
                let from = at as usize + 1;
                let mut got = whole[..=k].to_vec();
                scalar_from(t, from, &mut got).expect("indexable");
                assert_eq!(got, whole, "portable, from {from}");
                #[cfg(target_arch = "x86_64")]
                for (name, got) in super::super::simd::each_kernel_from(t, from, &whole[..=k]) {
                    assert_eq!(got.as_ref(), Some(&whole), "{name}, from {from}");
                }
                starts += 1;
            }
        }
        assert!(starts > 100, "{starts}");
    }
}
