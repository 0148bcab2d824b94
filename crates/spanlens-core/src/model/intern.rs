//! String interning: span names, attribute keys, model names and trace ids are stored once.
//!
//! A `Sym` is a plain `u32`; symbol 0 is always the empty string, so "no value" needs no
//! `Option`. Loaders fill a local interner per chunk (no locking on the hot path) and
//! `Interner::absorb` merges it into the global one, returning a remap table.

use foldhash::fast::FixedState;
use hashbrown::HashTable;
use std::hash::BuildHasher;

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
///
/// PERF: the table holds symbols only, hashed by their text in `buf`: a map keyed by
/// `Box<str>` stored every text twice and allocated once per new string, and interning
/// hashed twice (look up, then insert). Merging 166,667 trace ids into the set was most of
/// the serial merge at 1M MLflow spans. The hasher is fast and not keyed: keys come from
/// files, not from an adversary who could exploit collisions in a local viewer.
#[derive(Debug, Clone)]
pub struct Interner {
    buf: String,
    ends: Vec<u32>,
    table: HashTable<Sym>,
    hasher: FixedState,
}

impl Default for Interner {
    fn default() -> Self {
        let hasher = FixedState::default();
        let mut table = HashTable::new();
        table.insert_unique(hasher.hash_one(""), Sym::EMPTY, |_| hasher.hash_one(""));
        Interner {
            buf: String::new(),
            ends: vec![0],
            table,
            hasher,
        }
    }
}

/// The text of `sym` in a buffer and its ends (`Interner::get`, borrowing only those).
fn text<'a>(buf: &'a str, ends: &[u32], sym: Sym) -> &'a str {
    let i = sym.0 as usize;
    if i == 0 || i >= ends.len() {
        return "";
    }
    &buf[ends[i - 1] as usize..ends[i] as usize]
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Interns `s`, returning its symbol.
    pub fn intern(&mut self, s: &str) -> Sym {
        let hash = self.hasher.hash_one(s);
        let found = (self.table).find(hash, |&k| text(&self.buf, &self.ends, k) == s);
        if let Some(&sym) = found {
            return sym;
        }
        let sym = Sym(self.ends.len() as u32);
        self.buf.push_str(s);
        self.ends.push(self.buf.len() as u32);
        let (buf, ends, hasher) = (&self.buf, &self.ends, &self.hasher);
        (self.table).insert_unique(hash, sym, |&k| hasher.hash_one(text(buf, ends, k)));
        sym
    }

    /// Room for `syms` more symbols of `bytes` in all, so that merging many interners
    /// grows the table once.
    pub fn reserve(&mut self, syms: usize, bytes: usize) {
        self.buf.reserve(bytes);
        self.ends.reserve(syms);
        let (buf, ends, hasher) = (&self.buf, &self.ends, &self.hasher);
        (self.table).reserve(syms, |&k| hasher.hash_one(text(buf, ends, k)));
    }

    /// Bytes of text held.
    pub fn text_len(&self) -> usize {
        self.buf.len()
    }

    /// The symbol of `s` if it was interned.
    pub fn lookup(&self, s: &str) -> Option<Sym> {
        let hash = self.hasher.hash_one(s);
        (self.table)
            .find(hash, |&k| text(&self.buf, &self.ends, k) == s)
            .copied()
    }

    /// The text of a symbol. Unknown symbols read as the empty string.
    pub fn get(&self, sym: Sym) -> &str {
        text(&self.buf, &self.ends, sym)
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
        self.buf.capacity() + self.ends.capacity() * 4 + self.table.capacity() * 5
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
