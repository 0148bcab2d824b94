//! A fixed 64-bit hash (FNV-1a) for content: arguments, system prompts, tool definitions.
//! Fixed so that the hashes printed in reports are the same from run to run.

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// An FNV-1a hasher that can be fed in pieces.
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(OFFSET)
    }
}

impl Fnv {
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(PRIME);
        }
    }

    pub fn finish(self) -> u64 {
        self.0
    }
}

/// A hash map with foldhash's fixed state (keys here are local symbols and numbers, not
/// attacker-chosen text that could be made to collide in a local viewer).
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
