//! String interning: span names, attribute keys, model names and trace ids are stored once.
//!
//! A `Sym` is a plain `u32`; symbol 0 is always the empty string, so "no value" needs no
//! `Option`. Loaders fill a local interner per chunk (no locking on the hot path) and
//! `Interner::absorb` merges it into the global one, returning a remap table.

use std::collections::HashMap;

/// PERF: a fast non-cryptographic hasher; keys come from files, not from an adversary
/// who could exploit collisions in a local viewer.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// An interned string. `Sym::EMPTY` is the empty string.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(pub u32);

impl Sym {
    pub const EMPTY: Sym = Sym(0);

    /// Returns true when this is the empty string.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// Interned strings, kept in one contiguous buffer to avoid an allocation per string.
#[derive(Debug, Clone)]
pub struct Interner {
    buf: String,
    ends: Vec<u32>,
    map: FastMap<Box<str>, Sym>,
}

impl Default for Interner {
    fn default() -> Self {
        let mut map = FastMap::default();
        map.insert("".into(), Sym::EMPTY);
        Interner {
            buf: String::new(),
            ends: vec![0],
            map,
        }
    }
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Interns `s`, returning its symbol.
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.map.get(s) {
            return sym;
        }
        let sym = Sym(self.ends.len() as u32);
        self.buf.push_str(s);
        self.ends.push(self.buf.len() as u32);
        self.map.insert(s.into(), sym);
        sym
    }

    /// The symbol of `s` if it was interned.
    pub fn lookup(&self, s: &str) -> Option<Sym> {
        self.map.get(s).copied()
    }

    /// The text of a symbol. Unknown symbols read as the empty string.
    pub fn get(&self, sym: Sym) -> &str {
        let i = sym.0 as usize;
        if i == 0 || i >= self.ends.len() {
            return "";
        }
        &self.buf[self.ends[i - 1] as usize..self.ends[i] as usize]
    }

    /// Number of symbols, including the empty string.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Returns true when only the empty string is interned.
    pub fn is_empty(&self) -> bool {
        self.ends.len() == 1
    }

    /// Merges `other` into `self`; `remap[local.0]` is the symbol in `self`.
    pub fn absorb(&mut self, other: &Interner) -> Vec<Sym> {
        (0..other.len() as u32)
            .map(|i| self.intern(other.get(Sym(i))))
            .collect()
    }

    /// Approximate heap bytes used, for memory reports.
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity() * 2 + self.ends.capacity() * 4 + self.map.capacity() * 40
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_stable_and_merges() {
        let mut a = Interner::new();
        let x = a.intern("llm");
        assert_eq!(a.intern("llm"), x);
        assert_eq!(a.get(x), "llm");
        assert_eq!(a.get(Sym::EMPTY), "");
        let mut b = Interner::new();
        let y = b.intern("tool");
        let z = b.intern("llm");
        let remap = a.absorb(&b);
        assert_eq!(a.get(remap[y.0 as usize]), "tool");
        assert_eq!(remap[z.0 as usize], x);
    }
}
