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
//! per-token work is one bit scan. The scalar version is the reference the vector one is
//! tested against, and the fallback where AVX2 is missing.

/// Texts longer than this are left to serde_json (positions are `u32`, and the index of a
/// huge single line would cost more memory than it saves time).
pub const MAX_LEN: usize = 1 << 28;

/// Builds the index of `text` into `out` (cleared first). `None`: see the module docs.
pub fn build(text: &[u8], out: &mut Vec<u32>) -> Option<()> {
    out.clear();
    if text.len() > MAX_LEN {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    if avx2::available() {
        // SAFETY: the CPU has the features `build` is compiled for (checked above).
        return unsafe { avx2::build(text, out) };
    }
    scalar(text, out)
}

/// Bit masks of one 64-byte block, one bit per byte.
#[derive(Clone, Copy, Default)]
struct Masks {
    quote: u64,
    backslash: u64,
    /// `{ } [ ] : ,`
    structural: u64,
    /// space, tab, newline, carriage return
    space: u64,
    /// bytes below 0x20
    control: u64,
}

/// What carries from one block to the next.
#[derive(Default)]
struct Carry {
    escaped: u64,
    in_string: u64,
    scalar: u64,
}

const EVEN: u64 = 0x5555_5555_5555_5555;

/// The quotes of a block that open or close strings (those not escaped), and the bytes
/// that follow a backslash (simdjson's branchless escape finder). First half of `block`,
/// which needs the prefix XOR of the quotes in between.
#[inline(always)]
fn quotes(m: &Masks, carry: &mut Carry) -> (u64, u64) {
    let backslash = m.backslash & !carry.escaped;
    let follows = backslash << 1 | carry.escaped;
    let odd_starts = backslash & !EVEN & !follows;
    let (even_ends, overflow) = odd_starts.overflowing_add(backslash);
    let escaped = (EVEN ^ (even_ends << 1)) & follows;
    carry.escaped = overflow as u64;
    (m.quote & !escaped, escaped)
}

/// Turns one block's masks into index entries; `inside` is the prefix XOR of `quote` (1
/// from an opening quote up to its closing one). `None` when a string rule is broken.
#[inline(always)]
fn block(
    m: &Masks,
    quote: u64,
    inside: u64,
    at: u32,
    carry: &mut Carry,
    out: &mut Vec<u32>,
) -> Option<()> {
    let in_string = inside ^ carry.in_string;
    carry.in_string = ((in_string as i64) >> 63) as u64;
    if m.control & in_string != 0 {
        return None;
    }
    let scalar = !(m.structural | m.space | m.quote) & !in_string;
    let scalar_starts = scalar & !(scalar << 1 | carry.scalar);
    carry.scalar = scalar >> 63;
    push_bits((m.structural & !in_string) | quote | scalar_starts, at, out);
    Some(())
}

/// Checks the bytes that follow a backslash (bits of `escaped`, block at `at`): each must
/// be one of `" \\ / b f n r t u` (bits of `escapable`), and a `u` (bits of `u`) must
/// have four hex digits after it.
#[inline(always)]
fn escapes_valid(escaped: u64, escapable: u64, u: u64, at: usize, text: &[u8]) -> Option<()> {
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
fn push_bits(mut bits: u64, at: u32, out: &mut Vec<u32>) {
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
pub fn scalar(text: &[u8], out: &mut Vec<u32>) -> Option<()> {
    out.clear();
    let mut carry = Carry::default();
    for (n, chunk) in text.chunks(64).enumerate() {
        let bytes = padded(chunk);
        let m = scalar_masks(&bytes);
        let (quote, escaped) = quotes(&m, &mut carry);
        if escaped != 0 {
            let (escapable, u) = scalar_escapable(&bytes);
            escapes_valid(escaped, escapable, u, n * 64, text)?;
        }
        block(
            &m,
            quote,
            prefix_xor_shifts(quote),
            (n * 64) as u32,
            &mut carry,
            out,
        )?;
    }
    (carry.in_string == 0).then_some(())
}

/// A block of 64 bytes: the chunk, then spaces (which add no tokens).
fn padded(chunk: &[u8]) -> [u8; 64] {
    let mut b = [b' '; 64];
    b[..chunk.len()].copy_from_slice(chunk);
    b
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Carry, Masks, block, escapes_valid, padded, quotes};
    use std::arch::x86_64::*;
    use std::sync::OnceLock;

    pub fn available() -> bool {
        static YES: OnceLock<bool> = OnceLock::new();
        *YES.get_or_init(|| {
            is_x86_feature_detected!("avx2")
                && is_x86_feature_detected!("pclmulqdq")
                && is_x86_feature_detected!("popcnt")
                && is_x86_feature_detected!("bmi1")
        })
    }

    /// Classes by nibble (simdjson's trick): a byte's class is `LOW[lo] & HIGH[hi]`.
    /// Bits: 1 `,`  2 `:`  4 brackets and braces  8 space  16 tab, newline, return.
    const LOW: [i8; 16] = [8, 0, 0, 0, 0, 0, 0, 0, 0, 16, 18, 4, 1, 20, 0, 0];
    const HIGH: [i8; 16] = [16, 0, 9, 2, 0, 4, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0];

    #[target_feature(enable = "avx2,pclmulqdq,popcnt,bmi1")]
    fn masks(p: &[u8; 64]) -> Masks {
        // SAFETY: `p` is 64 readable bytes; unaligned loads are allowed.
        let (a, b) = unsafe {
            (
                _mm256_loadu_si256(p.as_ptr() as *const __m256i),
                _mm256_loadu_si256(p.as_ptr().add(32) as *const __m256i),
            )
        };
        let t = |x: [i8; 16]| {
            let l = _mm_set_epi8(
                x[15], x[14], x[13], x[12], x[11], x[10], x[9], x[8], x[7], x[6], x[5], x[4], x[3],
                x[2], x[1], x[0],
            );
            _mm256_set_m128i(l, l)
        };
        let (low, high, nibble) = (t(LOW), t(HIGH), _mm256_set1_epi8(0x0f));
        let class = |v: __m256i| {
            let lo = _mm256_shuffle_epi8(low, _mm256_and_si256(v, nibble));
            let hi = _mm256_shuffle_epi8(high, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
            _mm256_and_si256(lo, hi)
        };
        let (ca, cb) = (class(a), class(b));
        let zero = _mm256_setzero_si256();
        let none_of = |c: __m256i, bits: i8| {
            _mm256_cmpeq_epi8(_mm256_and_si256(c, _mm256_set1_epi8(bits)), zero)
        };
        let mask = |x: __m256i, y: __m256i| {
            _mm256_movemask_epi8(x) as u32 as u64 | (_mm256_movemask_epi8(y) as u32 as u64) << 32
        };
        let eq = |c: u8| {
            let c = _mm256_set1_epi8(c as i8);
            mask(_mm256_cmpeq_epi8(a, c), _mm256_cmpeq_epi8(b, c))
        };
        // Bytes below 0x20: max(byte, 0x1f) == 0x1f, unsigned.
        let low_ctl = _mm256_set1_epi8(0x1f);
        let below = |v: __m256i| _mm256_cmpeq_epi8(_mm256_max_epu8(v, low_ctl), low_ctl);
        Masks {
            quote: eq(b'"'),
            backslash: eq(b'\\'),
            structural: !mask(none_of(ca, 7), none_of(cb, 7)),
            space: !mask(none_of(ca, 24), none_of(cb, 24)),
            control: mask(below(a), below(b)),
        }
    }

    #[target_feature(enable = "avx2,pclmulqdq,popcnt,bmi1")]
    fn prefix_xor(x: u64) -> u64 {
        let v = _mm_clmulepi64_si128(_mm_set_epi64x(0, x as i64), _mm_set1_epi8(-1), 0);
        _mm_cvtsi128_si64(v) as u64
    }

    /// The bytes that may follow a backslash, and the `u`s; only for blocks with escapes.
    #[target_feature(enable = "avx2,pclmulqdq,popcnt,bmi1")]
    fn escapable(p: &[u8; 64]) -> (u64, u64) {
        // SAFETY: as in `masks`.
        let (a, b) = unsafe {
            (
                _mm256_loadu_si256(p.as_ptr() as *const __m256i),
                _mm256_loadu_si256(p.as_ptr().add(32) as *const __m256i),
            )
        };
        let mut x = _mm256_setzero_si256();
        let mut y = _mm256_setzero_si256();
        for c in *b"\"\\/bfnrtu" {
            let c = _mm256_set1_epi8(c as i8);
            x = _mm256_or_si256(x, _mm256_cmpeq_epi8(a, c));
            y = _mm256_or_si256(y, _mm256_cmpeq_epi8(b, c));
        }
        let uu = _mm256_set1_epi8(b'u' as i8);
        let (ua, ub) = (_mm256_cmpeq_epi8(a, uu), _mm256_cmpeq_epi8(b, uu));
        let mask = |x: __m256i, y: __m256i| {
            _mm256_movemask_epi8(x) as u32 as u64 | (_mm256_movemask_epi8(y) as u32 as u64) << 32
        };
        (mask(x, y), mask(ua, ub))
    }

    #[inline]
    #[target_feature(enable = "avx2,pclmulqdq,popcnt,bmi1")]
    fn step(
        chunk: &[u8; 64],
        at: usize,
        text: &[u8],
        c: &mut Carry,
        out: &mut Vec<u32>,
    ) -> Option<()> {
        let m = masks(chunk);
        let (quote, escaped) = quotes(&m, c);
        if escaped != 0 {
            let (escapable, u) = escapable(chunk);
            escapes_valid(escaped, escapable, u, at, text)?;
        }
        block(&m, quote, prefix_xor(quote), at as u32, c, out)
    }

    #[target_feature(enable = "avx2,pclmulqdq,popcnt,bmi1")]
    pub fn build(text: &[u8], out: &mut Vec<u32>) -> Option<()> {
        let mut carry = Carry::default();
        let mut chunks = text.chunks_exact(64);
        let mut at = 0;
        for chunk in &mut chunks {
            step(chunk.try_into().ok()?, at, text, &mut carry, out)?;
            at += 64;
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            step(&padded(rest), at, text, &mut carry, out)?;
        }
        (carry.in_string == 0).then_some(())
    }
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
            let mut s = String::new();
            for _ in 0..150 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let alphabet = b"{}[]:, \"\\\\ua0\t\ntrue-1e";
                s.push(alphabet[(seed >> 33) as usize % alphabet.len()] as char);
            }
            texts.push(s);
        }
        for t in &texts {
            let mut a = Vec::new();
            let ra = build(t.as_bytes(), &mut a);
            let mut b = Vec::new();
            let rb = scalar(t.as_bytes(), &mut b);
            assert_eq!(ra.is_some(), rb.is_some(), "{t:?}");
            if ra.is_some() {
                assert_eq!(a, b, "{t:?}");
            }
        }
    }
}
