//! The vector kernels of stage 1 (`index`) for x86-64: the masks of a 64-byte block with
//! AVX-512 (one register, compares straight into bit masks) or AVX2 (two registers and
//! `movemask`), picked at run time. Everything after the masks is shared with the scalar
//! reference in `index`.
//!
//! PERF: on this machine AVX-512 indexes 3.75 GB/s and AVX2 3.34 GB/s on one core
//! (`cargo bench --bench pieces`, the second with `SPANLENS_NO_AVX512=1`); the portable
//! path (`SPANLENS_JSON_KERNEL=portable`) is measured in docs/real-shape.md.

use super::index::{Carry, Masks, block_bits, escapes_valid, padded, push_bits, quotes};
use std::arch::x86_64::*;
use std::sync::OnceLock;

#[derive(Clone, Copy, PartialEq)]
enum Kernel {
    Avx512,
    Avx2,
    None,
}

/// The kernel this CPU runs, picked once.
fn kernel() -> Kernel {
    static KERNEL: OnceLock<Kernel> = OnceLock::new();
    *KERNEL.get_or_init(|| {
        // `SPANLENS_JSON_KERNEL=portable` takes the scalar path other architectures take,
        // to measure it here; `avx2` skips AVX-512 (as `SPANLENS_NO_AVX512` does).
        let forced = std::env::var("SPANLENS_JSON_KERNEL").ok();
        let no_avx512 = std::env::var_os("SPANLENS_NO_AVX512").is_some();
        match forced.as_deref() {
            Some("portable") => Kernel::None,
            Some("avx2") if has_avx2() => Kernel::Avx2,
            _ if has_avx512() && !no_avx512 => Kernel::Avx512,
            _ if has_avx2() => Kernel::Avx2,
            _ => Kernel::None,
        }
    })
}

/// True when the CPU has a vector kernel (and none was forced off).
pub fn has_kernel() -> bool {
    kernel() != Kernel::None
}

/// True when stage 1 runs the AVX-512 kernel: other AVX-512 code (`decode512`) follows
/// the same choice and the same switches.
pub(crate) fn runs_avx512() -> bool {
    kernel() == Kernel::Avx512
}

/// Indexes `text[from..]` with the best kernel the CPU has (see `index::build_from`);
/// `None` when it has none of them.
pub fn build(text: &[u8], from: usize, out: &mut Vec<u32>) -> Option<Option<()>> {
    match kernel() {
        // SAFETY: picked only when the CPU has AVX-512 and the base features.
        Kernel::Avx512 => Some(unsafe { avx512::build(text, from, out) }),
        // SAFETY: picked only when the CPU has AVX2 and the base features.
        Kernel::Avx2 => Some(unsafe { avx2::build(text, from, out) }),
        Kernel::None => None,
    }
}

/// `build` up to the first newline (see `index::build_line_from`); `None` when the CPU
/// has no kernel.
pub fn build_line(text: &[u8], from: usize, out: &mut Vec<u32>) -> Option<Option<usize>> {
    match kernel() {
        // SAFETY: picked only when the CPU has AVX-512 and the base features.
        Kernel::Avx512 => Some(unsafe { avx512::build_line(text, from, out) }),
        // SAFETY: picked only when the CPU has AVX2 and the base features.
        Kernel::Avx2 => Some(unsafe { avx2::build_line(text, from, out) }),
        Kernel::None => None,
    }
}

/// Features every kernel needs besides its vector width.
fn has_base() -> bool {
    is_x86_feature_detected!("pclmulqdq")
        && is_x86_feature_detected!("popcnt")
        && is_x86_feature_detected!("bmi1")
}

fn has_avx512() -> bool {
    has_base() && is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bw")
}

fn has_avx2() -> bool {
    has_base() && is_x86_feature_detected!("avx2")
}

/// Byte classes by nibble (simdjson's trick): a byte's class is `LOW[lo] & HIGH[hi]`.
/// Bits: 1 `,`  2 `:`  4 brackets and braces  8 space  16 tab, newline, return.
const LOW: [i8; 16] = [8, 0, 0, 0, 0, 0, 0, 0, 0, 16, 18, 4, 1, 20, 0, 0];
const HIGH: [i8; 16] = [16, 0, 9, 2, 0, 4, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0];
/// Class bits of structural bytes and of white space.
const STRUCTURAL: i8 = 7;
const SPACE: i8 = 24;

/// One 128-bit lane holding a 16-entry table.
#[inline(always)]
fn table(x: [i8; 16]) -> __m128i {
    // SAFETY: SSE2 is part of x86-64.
    unsafe { _mm_loadu_si128(x.as_ptr() as *const __m128i) }
}

/// The block loop, the same for every kernel: `$load` reads a block, `$push` appends a
/// block's entries; `masks` and `escapable` are the kernel's own.
macro_rules! kernel {
    ($features:literal, $vec:ty, $load:path, $push:path) => {
        #[target_feature(enable = $features)]
        fn prefix_xor(x: u64) -> u64 {
            let v = _mm_clmulepi64_si128(_mm_set_epi64x(0, x as i64), _mm_set1_epi8(-1), 0);
            _mm_cvtsi128_si64(v) as u64
        }

        #[inline]
        #[target_feature(enable = $features)]
        fn step(
            v: $vec,
            at: usize,
            text: &[u8],
            carry: &mut Carry,
            out: &mut Vec<u32>,
        ) -> Option<()> {
            let m = masks(v);
            let (quote, escaped) = quotes(&m, carry);
            if escaped != 0 {
                let (escapable, u) = escapable(v);
                escapes_valid(escaped, escapable, u, at, text)?;
            }
            let bits = block_bits(&m, quote, prefix_xor(quote), carry)?;
            $push(bits, at as u32, out);
            Some(())
        }

        #[target_feature(enable = $features)]
        pub fn build(text: &[u8], from: usize, out: &mut Vec<u32>) -> Option<()> {
            let mut carry = Carry::default();
            let mut chunks = text.get(from..)?.chunks_exact(64);
            let mut at = from;
            for chunk in &mut chunks {
                step($load(chunk.try_into().ok()?), at, text, &mut carry, out)?;
                at += 64;
            }
            let rest = chunks.remainder();
            if !rest.is_empty() {
                step($load(&padded(rest)), at, text, &mut carry, out)?;
            }
            (!carry.unterminated()).then_some(())
        }

        /// `build` of `text[from..]` up to its first newline (or its end): the index of
        /// that line, as `build` gives it for the line alone, and where the line ends.
        /// `None` when the line cannot be indexed (its end is then not looked for).
        #[target_feature(enable = $features)]
        pub fn build_line(text: &[u8], from: usize, out: &mut Vec<u32>) -> Option<usize> {
            let mut carry = Carry::default();
            let mut chunks = text.get(from..)?.chunks_exact(64);
            let mut at = from;
            for chunk in &mut chunks {
                let v: $vec = $load(chunk.try_into().ok()?);
                let nl = newlines(v);
                if nl != 0 {
                    // The line's last block, read as `build` reads it: cut and padded.
                    let end = at + nl.trailing_zeros() as usize;
                    let line = &text[..end];
                    step($load(&padded(&line[at..])), at, line, &mut carry, out)?;
                    return (!carry.unterminated()).then_some(end);
                }
                step(v, at, text, &mut carry, out)?;
                at += 64;
            }
            let rest = chunks.remainder();
            let end = at + memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            let line = &text[..end];
            if end > at {
                step($load(&padded(&line[at..])), at, line, &mut carry, out)?;
            }
            (!carry.unterminated()).then_some(end)
        }
    };
}

mod avx512 {
    use super::*;

    kernel!(
        "avx512f,avx512bw,pclmulqdq,popcnt,bmi1",
        __m512i,
        load,
        push
    );

    /// Appends `at + i` for every set bit `i` of `bits`, sixteen bits at a time: the
    /// positions of a quarter are packed into one register and stored whole.
    ///
    /// PERF: the scalar `push_bits` spends a bit scan, a clear and a store on each entry;
    /// the collector's OTLP lines hold about one entry in six bytes, and appending them
    /// was a third of the index's instructions.
    #[inline]
    #[target_feature(enable = "avx512f,popcnt")]
    fn push(bits: u64, at: u32, out: &mut Vec<u32>) {
        let len = out.len();
        out.reserve(64);
        let spare = out.spare_capacity_mut()[..64].as_mut_ptr() as *mut u32;
        let iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let mut n = 0;
        for q in 0..4 {
            let quarter = (bits >> (16 * q)) as u16;
            let first = at.wrapping_add(16 * q) as i32;
            let packed = _mm512_maskz_compress_epi32(
                quarter,
                _mm512_add_epi32(iota, _mm512_set1_epi32(first)),
            );
            // SAFETY: `n <= 16 * q`, so the sixteen slots written end at most 64 slots
            // into the spare room, which holds 64. Slots past the set bits get junk and
            // are not kept.
            unsafe { _mm512_storeu_si512(spare.add(n) as *mut _, packed) };
            n += quarter.count_ones() as usize;
        }
        // SAFETY: the first `n` spare slots were written (`n` is the count of set bits).
        unsafe { out.set_len(len + n) };
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn load(p: &[u8; 64]) -> __m512i {
        // SAFETY: `p` is 64 readable bytes; unaligned loads are allowed.
        unsafe { _mm512_loadu_si512(p.as_ptr() as *const _) }
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn masks(v: __m512i) -> Masks {
        let nibble = _mm512_set1_epi8(0x0f);
        let low = _mm512_broadcast_i32x4(table(LOW));
        let high = _mm512_broadcast_i32x4(table(HIGH));
        let lo = _mm512_shuffle_epi8(low, _mm512_and_si512(v, nibble));
        let hi = _mm512_shuffle_epi8(high, _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble));
        let class = _mm512_and_si512(lo, hi);
        let eq = |c: u8| _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(c as i8));
        Masks {
            quote: eq(b'"'),
            backslash: eq(b'\\'),
            structural: _mm512_test_epi8_mask(class, _mm512_set1_epi8(STRUCTURAL)),
            space: _mm512_test_epi8_mask(class, _mm512_set1_epi8(SPACE)),
            control: _mm512_cmplt_epu8_mask(v, _mm512_set1_epi8(0x20)),
        }
    }

    /// The newlines of a block.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn newlines(v: __m512i) -> u64 {
        _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'\n' as i8))
    }

    /// The bytes that may follow a backslash, and the `u`s (blocks with escapes only).
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn escapable(v: __m512i) -> (u64, u64) {
        let eq = |c: u8| _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(c as i8));
        let u = eq(b'u');
        (u | b"\"\\/bfnrt".iter().fold(0, |m, &c| m | eq(c)), u)
    }
}

mod avx2 {
    use super::*;

    /// A block as two 32-byte halves.
    type Pair = (__m256i, __m256i);

    kernel!("avx2,pclmulqdq,popcnt,bmi1", Pair, load, push_bits);

    #[inline]
    #[target_feature(enable = "avx2")]
    fn load(p: &[u8; 64]) -> Pair {
        // SAFETY: `p` is 64 readable bytes; unaligned loads are allowed.
        unsafe {
            (
                _mm256_loadu_si256(p.as_ptr() as *const __m256i),
                _mm256_loadu_si256(p.as_ptr().add(32) as *const __m256i),
            )
        }
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn bits((x, y): Pair) -> u64 {
        _mm256_movemask_epi8(x) as u32 as u64 | (_mm256_movemask_epi8(y) as u32 as u64) << 32
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn eq((a, b): Pair, c: u8) -> u64 {
        let c = _mm256_set1_epi8(c as i8);
        bits((_mm256_cmpeq_epi8(a, c), _mm256_cmpeq_epi8(b, c)))
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn masks(v: Pair) -> Masks {
        let nibble = _mm256_set1_epi8(0x0f);
        let low = _mm256_broadcastsi128_si256(table(LOW));
        let high = _mm256_broadcastsi128_si256(table(HIGH));
        let class = |v: __m256i| {
            let lo = _mm256_shuffle_epi8(low, _mm256_and_si256(v, nibble));
            let hi = _mm256_shuffle_epi8(high, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
            _mm256_and_si256(lo, hi)
        };
        let (ca, cb) = (class(v.0), class(v.1));
        let zero = _mm256_setzero_si256();
        let none = |c: __m256i, bits: i8| {
            _mm256_cmpeq_epi8(_mm256_and_si256(c, _mm256_set1_epi8(bits)), zero)
        };
        // Bytes below 0x20: max(byte, 0x1f) == 0x1f, unsigned.
        let low_ctl = _mm256_set1_epi8(0x1f);
        let below = |x: __m256i| _mm256_cmpeq_epi8(_mm256_max_epu8(x, low_ctl), low_ctl);
        Masks {
            quote: eq(v, b'"'),
            backslash: eq(v, b'\\'),
            structural: !bits((none(ca, STRUCTURAL), none(cb, STRUCTURAL))),
            space: !bits((none(ca, SPACE), none(cb, SPACE))),
            control: bits((below(v.0), below(v.1))),
        }
    }

    /// The newlines of a block.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn newlines(v: Pair) -> u64 {
        eq(v, b'\n')
    }

    /// The bytes that may follow a backslash, and the `u`s (blocks with escapes only).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn escapable(v: Pair) -> (u64, u64) {
        let u = eq(v, b'u');
        (u | b"\"\\/bfnrt".iter().fold(0, |m, &c| m | eq(v, c)), u)
    }
}

/// A line's end and index, by a named kernel (for tests).
#[cfg(test)]
pub type KernelLine = (&'static str, Option<(usize, Vec<u32>)>);

/// `build_line(text, 0, ..)` by every kernel this CPU can run, named (for tests).
#[cfg(test)]
pub fn each_kernel_line(text: &[u8]) -> Vec<KernelLine> {
    let mut all = Vec::new();
    let mut run = |name, f: unsafe fn(&[u8], usize, &mut Vec<u32>) -> Option<usize>| {
        let mut out = Vec::new();
        // SAFETY: only called below for kernels whose features the CPU has.
        let r = unsafe { f(text, 0, &mut out) };
        all.push((name, r.map(|end| (end, out))));
    };
    if has_avx512() {
        run("avx512", avx512::build_line);
    }
    if has_avx2() {
        run("avx2", avx2::build_line);
    }
    all
}

/// The index of `text` by every kernel this CPU can run, named (for tests).
#[cfg(test)]
pub fn each_kernel(text: &[u8]) -> Vec<(&'static str, Option<Vec<u32>>)> {
    each_kernel_from(text, 0, &[])
}

/// `index::build_from(text, from, ..)` by every kernel this CPU can run, starting from
/// the entries `before` (for tests).
#[cfg(test)]
pub fn each_kernel_from(
    text: &[u8],
    from: usize,
    before: &[u32],
) -> Vec<(&'static str, Option<Vec<u32>>)> {
    let mut all = Vec::new();
    let mut run = |name, f: unsafe fn(&[u8], usize, &mut Vec<u32>) -> Option<()>| {
        let mut out = before.to_vec();
        // SAFETY: only called below for kernels whose features the CPU has.
        let r = unsafe { f(text, from, &mut out) };
        all.push((name, r.map(|()| out)));
    };
    if has_avx512() {
        run("avx512", avx512::build);
    }
    if has_avx2() {
        run("avx2", avx2::build);
    }
    all
}
