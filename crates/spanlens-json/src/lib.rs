//! A SIMD JSON reader for the hot loaders: stage 1 indexes every token of a text in one
//! vector pass (`index`), stage 2 walks the index with the checks serde_json makes
//! (`tokens`). A loader built on it reads what it expects and gives up (`None`) on
//! anything else, leaving the text to its serde_json reader, which has the exact error
//! messages. Text this reader accepts is text serde_json accepts.

#[cfg(target_arch = "x86_64")]
mod decode512;
mod index;
mod repeat;
#[cfg(target_arch = "x86_64")]
mod simd;
mod tokens;
mod unescape;
mod words;

pub use tokens::{Tokens, valid_number};
pub use unescape::{
    Shifts, decodes_to_itself, plain_ascii, str_literal, string_literal, unescape, unescape_mapped,
};
pub use words::lower_hex;

use std::cell::RefCell;
use std::sync::OnceLock;

/// Whether the loaders should use this reader: `SPANLENS_SERDE_ONLY=1` turns it off, to
/// compare the two readers on the same file (tests and benchmarks).
///
/// PERF: off where the CPU has no vector kernel (any architecture but x86-64 with AVX2):
/// the portable stage 1 took 1.38-1.42 s of CPU where serde_json alone took 0.75-0.82 s
/// (docs/real-shape.md), so there the loaders do better without it.
/// `SPANLENS_JSON_KERNEL=portable` forces the portable path on, to measure and test it.
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        let serde_only = std::env::var_os("SPANLENS_SERDE_ONLY").is_some_and(|v| v == "1");
        let forced = std::env::var_os("SPANLENS_JSON_KERNEL").is_some_and(|v| v == "portable");
        !serde_only && (has_vector_kernel() || forced)
    })
}

/// True when stage 1 runs a vector kernel on this CPU.
pub fn has_vector_kernel() -> bool {
    #[cfg(target_arch = "x86_64")]
    return simd::has_kernel();
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Index entries kept between calls on a thread; more is given back after a huge text.
const KEEP: usize = 4 << 20;

thread_local! {
    static INDEX: RefCell<repeat::Index> = RefCell::new(repeat::Index::default());
    /// Buffers for texts indexed while another text's index is in use (JSON inside a
    /// string of a document being walked), one per level of nesting. PERF: these started
    /// from an empty buffer on every call, a fresh allocation grown as it filled.
    static NESTED: RefCell<Vec<repeat::Index>> = const { RefCell::new(Vec::new()) };
    /// How many `try_with_index` calls are running on this thread.
    static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Runs `f` on the token index of `text` (a buffer reused per thread); `None` when the
/// text cannot be indexed (see `index::build`) or `f` gives up.
pub fn with_index<R>(text: &[u8], f: impl FnOnce(&[u32]) -> Option<R>) -> Option<R> {
    try_with_index(text, f).ok().flatten()
}

/// Why a text has no token index, for the counts of what took the slow path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoIndex {
    /// Longer than `index::MAX_LEN` (256 MB).
    TooLong,
    /// A control character or a bad escape in a string, or a string left open.
    BadString,
}

impl NoIndex {
    pub fn as_str(self) -> &'static str {
        match self {
            NoIndex::TooLong => "longer than 256 MB",
            NoIndex::BadString => "a control character or bad escape in a string, or one left open",
        }
    }
}

/// Like `with_index`, saying why when the text cannot be indexed.
pub fn try_with_index<R>(text: &[u8], f: impl FnOnce(&[u32]) -> R) -> Result<R, NoIndex> {
    if text.len() > index::MAX_LEN {
        return Err(NoIndex::TooLong);
    }
    // Taken out while `f` runs: `f` may index other texts (JSON in a string), on a
    // buffer of their own (`NESTED`).
    let depth = DEPTH.get();
    let mut index = match depth {
        0 => INDEX.with(|c| std::mem::take(&mut *c.borrow_mut())),
        _ => NESTED.with(|c| c.borrow_mut().pop()).unwrap_or_default(),
    };
    let built = if index.take_ready(text) {
        Some(())
    } else {
        index.build(text)
    };
    let r = match built {
        Some(()) => {
            // Counted back down on the way out, also when `f` panics.
            struct Level(usize);
            impl Drop for Level {
                fn drop(&mut self) {
                    DEPTH.set(self.0);
                }
            }
            let _level = Level(depth);
            DEPTH.set(depth + 1);
            Ok(f(&index.idx))
        }
        None => Err(NoIndex::BadString),
    };
    if index.idx.capacity() > KEEP {
        index = repeat::Index::default();
    }
    match depth {
        0 => INDEX.with(|c| *c.borrow_mut() = index),
        _ => NESTED.with(|c| c.borrow_mut().push(index)),
    }
    r
}

/// Indexes the first line of `rest` (up to its first newline) and says where it ends:
/// the newline is found in the same pass as the tokens. The next `with_index` on exactly
/// that line (the same bytes at the same address, or those without a carriage return at
/// the end) uses this index instead of building it again. `None` when the line cannot be
/// indexed; its end is then not known.
///
/// PERF: a JSON Lines reader looked for each line's end first, a pass over every byte
/// (memchr, 5% of the CPU of loading collector OTLP) before the index read them again.
pub fn index_line(rest: &[u8]) -> Option<usize> {
    INDEX.with(|c| c.borrow_mut().build_line(rest))
}

/// Forgets the index `index_line` built if no reader took it: true when it was not taken
/// (the line's reader does not use this reader, or read another text).
pub fn line_untaken() -> bool {
    INDEX.with(|c| c.borrow_mut().take_ready_any())
}

/// Whether the reader takes `text` as exactly one JSON value. Text it takes is text
/// serde_json takes (the fuzz target and the differential tests check this); it may give
/// up on valid text that serde_json would read.
pub fn reads_whole(text: &str) -> bool {
    with_index(text.as_bytes(), |idx| {
        let mut t = Tokens::new(text, idx);
        t.value()?;
        t.done().then_some(())
    })
    .is_some()
}

/// The number of tokens in `text`, or `None` when stage 2 would not read it (see
/// `index::build`). For benchmarks of stage 1.
pub fn count_tokens(text: &[u8]) -> Option<usize> {
    with_index(text, |idx| Some(idx.len()))
}

#[cfg(test)]
mod whole_tests {
    #[test]
    fn a_line_indexed_ahead_is_read_once_and_only_for_that_line() {
        let piece = b"{\"a\": [1, 2]}\n{\"b\": 3}";
        let len = super::index_line(piece).expect("indexable");
        assert_eq!(len, 13);
        let line = &piece[..len];
        // The reader of that line gets the index built ahead, and takes it.
        let n = super::with_index(line, |idx| Some(idx.len()));
        assert_eq!(n, Some(10));
        assert!(!super::line_untaken(), "the reader took it");
        // Built ahead but read as another text (a copy): built again for that text, and
        // the one built ahead is gone.
        super::index_line(&piece[len + 1..]).expect("indexable");
        let copy = piece[len + 1..].to_vec();
        assert_eq!(super::with_index(&copy, |idx| Some(idx.len())), Some(6));
        assert!(!super::line_untaken(), "any read forgets it");
        // Built ahead and never read.
        super::index_line(piece).expect("indexable");
        assert!(super::line_untaken());
        assert!(!super::line_untaken(), "forgotten once told");
        // A line that cannot be indexed has no index ready for it.
        assert_eq!(super::index_line(b"[\"a\tb\"]\n[]"), None);
        assert!(!super::line_untaken());
    }

    #[test]
    fn texts_indexed_inside_another_text_s_reading_get_their_own_index() {
        let outer = br#"{"a": "{\"b\": [1, 2, 3]}", "c": [true]}"#;
        let inner = br#"{"b": [1, 2, 3]}"#;
        let deeper = br#"[[], {}]"#;
        let alone = |t: &[u8]| super::with_index(t, |idx| Some(idx.to_vec())).unwrap();
        let (want_outer, want_inner, want_deeper) = (alone(outer), alone(inner), alone(deeper));
        for _ in 0..3 {
            let got = super::with_index(outer, |idx| {
                let before = idx.to_vec();
                let nested = super::with_index(inner, |i| {
                    let d = super::with_index(deeper, |d| Some(d.to_vec()))?;
                    Some((i.to_vec(), d))
                })?;
                assert_eq!(idx, &before[..], "the outer index is left as it was");
                Some((before, nested))
            });
            assert_eq!(
                got,
                Some((
                    want_outer.clone(),
                    (want_inner.clone(), want_deeper.clone())
                ))
            );
        }
        // Back at the top level: the index built ahead for a line is taken again.
        let len = super::index_line(b"[1]\n").expect("indexable");
        assert_eq!(super::with_index(b"[1]", |idx| Some(idx.len())), Some(3));
        assert_eq!(len, 3);
        assert!(!super::line_untaken(), "the top-level reader took it");
    }

    #[test]
    fn reads_whole_takes_one_value_and_nothing_after_it() {
        assert!(super::reads_whole(r#"{"a": [1, "x", null]}"#));
        assert!(super::reads_whole(" 12 "));
        assert!(!super::reads_whole(r#"{"a": 1} {"#));
        assert!(!super::reads_whole(r#"{"a": 1"#));
        assert!(!super::reads_whole(""));
    }
}
