//! Byte tests eight bytes at a time (one `u64` word), for the short strings the readers
//! check on every field (ids, names, keys), where setting up memchr or a vector scan costs
//! more than the scan.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = ONES << 7;

/// `b` in every byte of a word.
#[inline(always)]
pub(crate) fn splat(b: u8) -> u64 {
    ONES * b as u64
}

/// Whether some byte of `x` is zero. Exact: a borrow only runs on from a byte that is zero.
#[inline(always)]
pub(crate) fn has_zero(x: u64) -> bool {
    x.wrapping_sub(ONES) & !x & HIGH != 0
}

/// Whether some byte of `x` is below 0x20, bytes compared unsigned (exact for any bound
/// up to 0x80).
#[inline(always)]
pub(crate) fn has_control(x: u64) -> bool {
    x.wrapping_sub(splat(0x20)) & !x & HIGH != 0
}

/// Whether some byte of `x` is 0x80 or above (not ASCII).
#[inline(always)]
pub(crate) fn has_high(x: u64) -> bool {
    x & HIGH != 0
}

/// Whether every byte of `s` passes: `word_ok` judges eight bytes at once, `byte_ok` the
/// few left at the end. The two must agree.
#[inline(always)]
pub(crate) fn all(s: &[u8], word_ok: impl Fn(u64) -> bool, byte_ok: impl Fn(u8) -> bool) -> bool {
    let mut words = s.chunks_exact(8);
    for w in &mut words {
        if !word_ok(u64::from_le_bytes(w.try_into().unwrap_or_default())) {
            return false;
        }
    }
    words.remainder().iter().all(|&b| byte_ok(b))
}
