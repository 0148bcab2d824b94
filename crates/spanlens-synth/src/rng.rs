//! A small deterministic PRNG (splitmix64) and the draws the generator needs.
//!
//! Only integer arithmetic and exactly rounded float operations are used (no `powf`, `ln`),
//! so the same seed gives the same bytes on every platform and the bundled samples can be
//! compared byte for byte.

/// The splitmix64 finaliser: a bijection on `u64`, so distinct inputs give distinct outputs.
pub fn mix(z: u64) -> u64 {
    let z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// splitmix64: one 64-bit state, good enough statistics for test data, very fast.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// An independent stream for `(seed, tag, index)`, so that drawing more numbers for one
    /// purpose (a trace's content) never shifts another (the next trace's shape).
    pub fn stream(seed: u64, tag: u64, index: u64) -> Self {
        Rng(mix(
            seed ^ mix(tag.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ mix(index))
        ))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(hi - lo + 1)
    }

    /// Uniform `usize` in `lo..=hi`.
    pub fn urange(&mut self, lo: usize, hi: usize) -> usize {
        self.range(lo as u64, hi as u64) as usize
    }

    /// Uniform in `[0, 1)`, with 53 bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Log-uniform in `lo..=hi`, in sixteenth-octave steps from a table of 2^(k/16) in
    /// 16-bit fixed point, with a uniform draw within the step. Integer only, so it is the
    /// same everywhere.
    pub fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        const STEP: [u64; 17] = [
            65536, 68438, 71468, 74632, 77936, 81386, 84990, 88752, 92682, 96785, 101070, 105545,
            110218, 115098, 120194, 125515, 131072,
        ];
        let lo = lo.max(1);
        if hi <= lo {
            return lo;
        }
        let mut octaves = 0u32;
        while octaves < 40 && (lo << (octaves + 1)) <= hi {
            octaves += 1;
        }
        loop {
            let s = self.below(u64::from(octaves + 1) * 16);
            let base = lo << (s / 16);
            let k = (s % 16) as usize;
            let a = ((u128::from(base) * u128::from(STEP[k])) >> 16) as u64;
            let b = ((u128::from(base) * u128::from(STEP[k + 1])) >> 16) as u64;
            let v = a + self.below(b - a);
            if v <= hi {
                return v;
            }
        }
    }

    /// One element of a non-empty slice.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_stay_in_range() {
        let mut r = Rng::new(7);
        for _ in 0..10_000 {
            let v = r.log_uniform(200, 20_000);
            assert!((200..=20_000).contains(&v));
            assert!((3..=9).contains(&r.range(3, 9)));
            assert!(r.unit() < 1.0);
        }
    }

    #[test]
    fn streams_are_independent_and_repeatable() {
        let a = Rng::stream(1, 2, 3).next_u64();
        assert_eq!(a, Rng::stream(1, 2, 3).next_u64());
        assert_ne!(a, Rng::stream(1, 2, 4).next_u64());
        assert_ne!(a, Rng::stream(1, 3, 3).next_u64());
    }
}
