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
    zero_bits(x) != 0
}

/// The high bit of each zero byte of `x`, and perhaps of bytes above one (where a borrow
/// runs on): the lowest bit set is exact, and none is set when no byte is zero.
#[inline(always)]
pub(crate) fn zero_bits(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HIGH
}

/// Whether some byte of `x` is below 0x20, bytes compared unsigned (exact for any bound
/// up to 0x80).
#[inline(always)]
pub(crate) fn has_control(x: u64) -> bool {
    control_bits(x) != 0
}

/// The high bit of each byte of `x` below 0x20, as `zero_bits` (the lowest exact).
#[inline(always)]
pub(crate) fn control_bits(x: u64) -> u64 {
    x.wrapping_sub(splat(0x20)) & !x & HIGH
}

/// Whether some byte of `x` is 0x80 or above (not ASCII).
#[inline(always)]
pub(crate) fn has_high(x: u64) -> bool {
    x & HIGH != 0
}

/// The high bit of each byte of `x` that lies in `lo..=hi`, for a word with no byte of
/// 0x80 or above (see `has_high`): adding a constant below 0x80 to such a byte carries
/// into no other byte, and its high bit says whether the byte reached the bound.
#[inline(always)]
pub(crate) fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let at_least = x + splat(0x80 - lo);
    let above = x + splat(0x7f - hi);
    at_least & !above & HIGH
}

/// Whether every byte of `s` is `0-9` or `a-f`: lowercase hex, the canonical form of
/// span and trace ids. PERF: each span has two or three ids; byte by byte they cost
/// about 100 instructions each.
pub fn lower_hex(s: &[u8]) -> bool {
    all(
        s,
        |x| !has_high(x) && (in_range(x, b'0', b'9') | in_range(x, b'a', b'f')) == HIGH,
        |b| matches!(b, b'0'..=b'9' | b'a'..=b'f'),
    )
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

#[cfg(test)]
mod tests {
    #[test]
    fn hex_checked_a_word_at_a_time_as_byte_by_byte() {
        let bytes = b"0123456789abcdefABCDEF/:`g@G \x7f\x80\xff-";
        let mut seed = 3u64;
        for len in [7usize, 8, 16, 21, 24, 32] {
            for _ in 0..20_000 {
                let s: Vec<u8> = (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                        // Mostly hex digits, so that whole runs pass.
                        let pick = (seed >> 33) as usize;
                        if pick.is_multiple_of(8) {
                            bytes[pick / 8 % bytes.len()]
                        } else {
                            bytes[pick % 16]
                        }
                    })
                    .collect();
                let by_byte = s.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                assert_eq!(super::lower_hex(&s), by_byte, "{s:?}");
            }
        }
    }
}
