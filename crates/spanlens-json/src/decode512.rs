//! Decoding a JSON string's contents 64 bytes at a time with AVX-512: the escaping
//! backslashes found as stage 1 finds them, the escaped letters mapped through one table
//! lookup, and the backslashes squeezed out with VBMI2's byte compress. `\u` escapes and
//! anything refused are left to the word-at-a-time decoder in `unescape`.
//!
//! PERF: MLflow 2's provider responses (JSON inside a JSON string, on every LLM span) are
//! decoded to read their token usage; an escape comes every eight bytes or so, and the
//! word-at-a-time decoder, which stops at each, was 8% of the CPU of loading them.

use super::index::escaped_bits;
use std::arch::x86_64::*;
use std::sync::OnceLock;

/// How a run of the kernel ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Every byte decoded.
    Done,
    /// Something serde_json refuses: a raw quote or control byte, an unknown escape, a
    /// backslash at the very end.
    Refused,
    /// A `\u` escape whose backslash is at this offset: everything before it is decoded.
    Unicode(usize),
}

/// Whether this CPU runs the kernel: where stage 1 runs its AVX-512 kernel (so the
/// switches that turn that off, `SPANLENS_JSON_KERNEL=portable|avx2` and
/// `SPANLENS_NO_AVX512`, turn this off too) and the CPU has VBMI and VBMI2 besides.
pub(crate) fn available() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        super::simd::runs_avx512()
            && is_x86_feature_detected!("avx512vbmi")
            && is_x86_feature_detected!("avx512vbmi2")
    })
}

/// What each escape letter decodes to (by the letter's low seven bits; the kernel checks
/// the eighth), 0 for letters serde_json refuses. `u` stays `u`: the kernel stops there.
const LETTERS: [u8; 128] = {
    let mut t = [0u8; 128];
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t[b'/' as usize] = b'/';
    t[b'b' as usize] = 0x08;
    t[b'f' as usize] = 0x0c;
    t[b'n' as usize] = b'\n';
    t[b'r' as usize] = b'\r';
    t[b't' as usize] = b'\t';
    t[b'u' as usize] = b'u';
    t
};

/// Decodes `s[from..]` (a JSON string's contents, starting outside any escape) onto
/// `out`, up to its end or its first `\u` escape.
///
/// # Safety
/// The CPU must have the features `available` checks.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vbmi2,popcnt")]
pub(crate) unsafe fn decode(s: &[u8], from: usize, out: &mut Vec<u8>) -> Stop {
    // SAFETY: the table is 128 readable bytes; unaligned loads are allowed.
    let (lo, hi) = unsafe {
        let t = LETTERS.as_ptr() as *const __m512i;
        (_mm512_loadu_si512(t), _mm512_loadu_si512(t.add(1)))
    };
    let (mut at, mut carry) = (from, 0u64);
    while at < s.len() {
        let n = (s.len() - at).min(64);
        let valid = if n == 64 { !0 } else { (1u64 << n) - 1 };
        // SAFETY: the masked load reads only the `n` bytes of `s` from `at`.
        let mut v = unsafe { _mm512_maskz_loadu_epi8(valid, s.as_ptr().add(at) as *const i8) };
        let eq = |c: u8| _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(c as i8));
        let control = _mm512_cmplt_epu8_mask(v, _mm512_set1_epi8(0x20)) & valid;
        let backslash = eq(b'\\');
        let escaped = escaped_bits(backslash, &mut carry);
        if control != 0 || eq(b'"') & !escaped != 0 {
            return Stop::Refused;
        }
        let mut keep = valid & !(backslash & !escaped);
        if escaped != 0 {
            let mapped = _mm512_permutex2var_epi8(lo, v, hi);
            let high = _mm512_movepi8_mask(v);
            if escaped & (high | _mm512_cmpeq_epi8_mask(mapped, _mm512_setzero_si512())) != 0 {
                return Stop::Refused;
            }
            let u = escaped & eq(b'u');
            v = _mm512_mask_blend_epi8(escaped, v, mapped);
            if u != 0 {
                // The backslash sits just before the letter (in the block before, when
                // the letter is the first byte).
                let letter = u.trailing_zeros();
                keep &= (1u64 << letter.saturating_sub(1)) - 1;
                push(out, _mm512_maskz_compress_epi8(keep, v), keep);
                return Stop::Unicode(at + letter as usize - 1);
            }
        }
        push(out, _mm512_maskz_compress_epi8(keep, v), keep);
        at += n;
    }
    // A backslash escaping nothing at the end.
    match carry {
        0 => Stop::Done,
        _ => Stop::Refused,
    }
}

/// Appends the first `keep.count_ones()` bytes of `v` to `out`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,popcnt")]
fn push(out: &mut Vec<u8>, v: __m512i, keep: u64) {
    out.reserve(64);
    let len = out.len();
    // SAFETY: `reserve` left room for 64 bytes past `len`; the bytes kept are the first
    // `count_ones` of them, all written by the store.
    unsafe {
        _mm512_storeu_si512(out.as_mut_ptr().add(len) as *mut __m512i, v);
        out.set_len(len + keep.count_ones() as usize);
    }
}
