//! JSON plumbing shared by the loaders: borrowed strings, raw objects that keep byte
//! positions, text references into the input, and element-by-element array walks.
//!
//! PERF: nothing here builds a `serde_json::Value` per span. Objects are read as
//! `(key, &RawValue)` pairs borrowed from the input buffer, so a payload costs one
//! validation pass and a `TextRef`, and is decoded only when someone looks at it.

use crate::model::{Enc, Pos, TextRef};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// A string borrowed from the input when it has no escapes, owned otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CowStr<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for CowStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = CowStr<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

impl std::ops::Deref for CowStr<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// A JSON object as `(key, raw value)` pairs, in file order, borrowed from the input.
#[derive(Debug, Default)]
pub struct RawObject<'a>(pub Vec<(CowStr<'a>, &'a RawValue)>);

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((k, v)) = map.next_entry::<CowStr<'de>, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(RawObject(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'a> RawObject<'a> {
    /// Parses `raw` as an object; anything else gives `None`.
    pub fn parse(raw: &'a RawValue) -> Option<RawObject<'a>> {
        serde_json::from_str(raw.get()).ok()
    }

    pub fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().find(|(k, _)| &*k.0 == key).map(|(_, v)| *v)
    }

    /// The first of `keys` present and not null.
    pub fn any(&self, keys: &[&str]) -> Option<&'a RawValue> {
        keys.iter()
            .find_map(|k| self.get(k).filter(|v| !is_null(v)))
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// A string field (numbers are printed); `None` for null, absent or other types.
    pub fn str(&self, keys: &[&str]) -> Option<Cow<'a, str>> {
        self.any(keys).and_then(raw_str)
    }

    pub fn obj(&self, key: &str) -> Option<RawObject<'a>> {
        self.get(key).and_then(RawObject::parse)
    }

    pub fn arr(&self, key: &str) -> Vec<&'a RawValue> {
        self.get(key).map(raw_array).unwrap_or_default()
    }
}

/// Returns true when the raw value is `null`.
pub fn is_null(raw: &RawValue) -> bool {
    is_null_text(raw.get())
}

/// `t.trim() == "null"`, for JSON texts. PERF: the readers ask this of every field of
/// every span; a text that starts with an ASCII byte other than `n` or white space
/// cannot be `null`, so most are told apart by their first byte without trimming.
pub fn is_null_text(t: &str) -> bool {
    match t.as_bytes().first() {
        Some(&b) if b.is_ascii() && b != b'n' && !b.is_ascii_whitespace() && b != 0x0b => false,
        _ => t.trim() == "null",
    }
}

/// A raw value as a string: strings unescaped, numbers and booleans as written.
pub fn raw_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    text_str(raw.get())
}

/// The JSON text `t` as a string, as `raw_str` says.
pub fn text_str(t: &str) -> Option<Cow<'_, str>> {
    let t = t.trim();
    if t.starts_with('"') {
        string_text(t)
    } else if t == "null" || t.starts_with('{') || t.starts_with('[') {
        None
    } else {
        Some(Cow::Borrowed(t))
    }
}

/// The JSON text `t` (a string, quotes included, nothing around it) unescaped; `None` when
/// it is not exactly one valid string, as `serde_json` says. PERF: most strings (ids,
/// names, times) have no escapes and come back borrowed without setting up a deserializer.
pub fn string_text(t: &str) -> Option<Cow<'_, str>> {
    let plain = (t.len() >= 2 && t.starts_with('"') && t.ends_with('"'))
        .then(|| &t[1..t.len() - 1])
        .filter(|inner| needs_no_decoding(inner.as_bytes()));
    match plain {
        Some(inner) => Some(Cow::Borrowed(inner)),
        // PERF: decoded as serde_json decodes a `String` (the same answers, tested there),
        // with the output sized once: MLflow 2's provider responses are decoded here to
        // read their usage, and serde_json's decode was a tenth of loading their lines.
        None => spanlens_json::str_literal(t).map(Cow::Owned),
    }
}

/// Whether `s` has no byte below 0x20, no quote and no backslash: string contents that
/// decode to themselves. PERF: a word at a time (`string_text` reads every id, name and
/// time of an MLflow span and assessment this way; byte by byte it was 2% of a load).
fn needs_no_decoding(s: &[u8]) -> bool {
    spanlens_json::decodes_to_itself(s, false)
}

/// The elements of a raw array (empty for anything else).
pub fn raw_array(raw: &RawValue) -> Vec<&RawValue> {
    serde_json::from_str::<Vec<&RawValue>>(raw.get()).unwrap_or_default()
}

/// A raw value as i64: JSON integers and decimal strings, never through a float.
pub fn raw_i64(raw: &RawValue) -> Option<i64> {
    text_i64(raw.get())
}

/// The JSON text `t` as i64, as `raw_i64` says.
pub fn text_i64(t: &str) -> Option<i64> {
    // PERF: the common cases, a run of digits quoted (OTLP's nanosecond times) or not
    // (MLflow 3's), without trimming or the general parser: `str::parse` after two trims
    // was 3% of the instructions of a real-shape MLflow 3 load.
    let d = t
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(t);
    if let Some(n) = digits_u64(d.as_bytes()) {
        return i64::try_from(n).ok();
    }
    // Anything else (a sign, white space, 20 digits or more) the general way.
    let t = t.trim().trim_matches('"');
    t.parse::<i64>().ok()
}

/// The value of 1 to 19 ASCII digits (which always fit a `u64`), eight at a time;
/// `None` for anything else, which the caller reads the long way.
///
/// PERF: OTLP writes each span's two times as 19 quoted digits; checked one digit at a
/// time they cost about 130 instructions each.
fn digits_u64(d: &[u8]) -> Option<u64> {
    if d.is_empty() || d.len() > 19 {
        return None;
    }
    let (head, rest) = d.split_at(d.len() % 8);
    let mut n = 0u64;
    for &b in head {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    for eight in rest.chunks_exact(8) {
        n = n * 100_000_000 + eight_digits(eight.try_into().ok()?)?;
    }
    Some(n)
}

/// The value of eight ASCII digits, the first the most significant (SWAR: the digits'
/// pairs, then quads, then the whole, combined in one register).
fn eight_digits(b: [u8; 8]) -> Option<u64> {
    let v = u64::from_le_bytes(b);
    // Every byte is 0x30..=0x39: its high nibble is 3, and adding 6 keeps it 3.
    let high = 0xF0F0_F0F0_F0F0_F0F0;
    let threes = 0x3030_3030_3030_3030;
    if v & high != threes || (v.wrapping_add(0x0606_0606_0606_0606) & high) != threes {
        return None;
    }
    let v = v - threes;
    let v = (v * 10 + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    let v = (v * 100 + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((v * 10_000 + (v >> 32)) & 0xFFFF_FFFF)
}

/// A raw value as f64 (numbers or numeric strings).
pub fn raw_f64(raw: &RawValue) -> Option<f64> {
    raw.get()
        .trim()
        .trim_matches('"')
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
}

/// Where a parse is happening: the buffer, its offset in the source, and the source index.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub buf: &'a [u8],
    pub base: u64,
    pub src: u16,
    pub path: &'a str,
    /// JSON Lines blocks: positions are reported as byte offsets in the file and turned
    /// into line numbers once loading is done (counting lines per block would cost a pass).
    pub by_offset: bool,
    /// Lines of the document before `buf` (a repaired copy of part of it).
    pub line0: u64,
    /// `buf` is the input's own bytes (source 0, at `base`), read to load the whole file:
    /// a string holding a whole trace may then be left there, escaped, instead of kept
    /// decoded in memory (`mlflow::kept`). Not for repaired copies or live chunks.
    pub in_place: bool,
    /// `buf` is a repaired copy: where something was mended its bytes are not those the
    /// text references read later, so what must read as it was read now (a kept
    /// assessment) is decoded now instead.
    pub repaired: bool,
}

impl<'a> Ctx<'a> {
    /// A context over a whole document (or a whole in-memory text).
    pub fn new(buf: &'a [u8], base: u64, src: u16, path: &'a str) -> Ctx<'a> {
        Ctx {
            buf,
            base,
            src,
            path,
            by_offset: false,
            line0: 0,
            in_place: false,
            repaired: false,
        }
    }

    /// Where byte `off` of `buf` is: its line and column in a document, its byte offset
    /// in JSON Lines.
    pub fn pos_at(&self, off: usize) -> Pos {
        let off = off.min(self.buf.len());
        if self.by_offset {
            return Pos::Byte(self.base + off as u64);
        }
        let before = &self.buf[..off];
        let line = memchr::memchr_iter(b'\n', before).count() as u64;
        let start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        Pos::LineCol(self.line0 + line + 1, (off - start) as u64 + 1)
    }

    /// Offset of the text `s` in `buf`, if it is borrowed from it.
    pub fn offset_of(&self, s: &str) -> Option<usize> {
        let off = (s.as_ptr() as usize).checked_sub(self.buf.as_ptr() as usize)?;
        (off + s.len() <= self.buf.len()).then_some(off)
    }

    /// A context over `copy`, a repaired copy of the text `s` borrowed from `buf`: text
    /// references and positions into it are those of the original.
    pub fn over_copy<'b>(&self, s: &str, copy: &'b [u8]) -> Ctx<'b>
    where
        'a: 'b,
    {
        let off = self.offset_of(s).unwrap_or(0);
        // JSON Lines positions are byte offsets: no lines to count.
        let lines = if self.by_offset {
            0
        } else {
            memchr::memchr_iter(b'\n', &self.buf[..off]).count() as u64
        };
        Ctx {
            buf: copy,
            base: self.base + off as u64,
            line0: self.line0 + lines,
            in_place: false,
            repaired: true,
            ..*self
        }
    }

    /// A reference to `raw`, which must be borrowed from `self.buf`.
    pub fn at(&self, raw: &RawValue, enc: Enc) -> TextRef {
        self.at_text(raw.get(), enc)
    }

    /// A reference to the JSON text `s`, which must be borrowed from `self.buf`.
    pub fn at_text(&self, s: &str, enc: Enc) -> TextRef {
        let off = s.as_ptr() as usize - self.buf.as_ptr() as usize;
        debug_assert!(
            off + s.len() <= self.buf.len(),
            "raw value outside the buffer"
        );
        TextRef::new(self.src, self.base + off as u64, s.len(), enc)
    }

    /// A reference to `raw` if it is present and not null.
    pub fn at_opt(&self, raw: Option<&RawValue>, enc: Enc) -> Option<TextRef> {
        self.at_opt_text(raw.map(RawValue::get), enc)
    }

    /// A reference to the JSON text `s` if it is present and neither null nor `""`.
    pub fn at_opt_text(&self, s: Option<&str>, enc: Enc) -> Option<TextRef> {
        s.filter(|s| s.trim() != "null" && *s != "\"\"")
            .map(|s| self.at_text(s, enc))
    }

    /// Where `raw` is: its line (1-based) in a document, its byte offset in JSON Lines.
    pub fn line_of(&self, raw: &RawValue) -> Pos {
        self.line_of_text(raw.get())
    }

    /// Where the text `s` (borrowed from `self.buf`) is, as `line_of` says.
    pub fn line_of_text(&self, s: &str) -> Pos {
        let off = (s.as_ptr() as usize).saturating_sub(self.buf.as_ptr() as usize);
        let off = off.min(self.buf.len());
        if self.by_offset {
            return Pos::Byte(self.base + off as u64);
        }
        Pos::Line(self.line0 + memchr::memchr_iter(b'\n', &self.buf[..off]).count() as u64 + 1)
    }

    /// Byte offset of `raw` in the source, used as a stable order key.
    pub fn seq(&self, raw: &RawValue) -> u64 {
        self.base + (raw.get().as_ptr() as usize - self.buf.as_ptr() as usize) as u64
    }
}

/// Position of a serde_json error.
pub fn error_pos(e: &serde_json::Error) -> Pos {
    if e.line() == 0 {
        Pos::None
    } else {
        Pos::LineCol(e.line() as u64, e.column() as u64)
    }
}

/// Parses the elements of a top-level JSON array one by one, so a damaged element or a
/// truncated file keeps every element before it. `f` gets each element.
pub fn for_each_element<'a>(
    buf: &'a [u8],
    mut f: impl FnMut(&'a RawValue),
) -> Result<(), serde_json::Error> {
    struct Seq<'f, 'a, F: FnMut(&'a RawValue)>(&'f mut F, std::marker::PhantomData<&'a ()>);
    impl<'de, F: FnMut(&'de RawValue)> Visitor<'de> for Seq<'_, 'de, F> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(raw) = seq.next_element::<&'de RawValue>()? {
                (self.0)(raw);
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_slice(buf);
    de.deserialize_seq(Seq(&mut f, std::marker::PhantomData))?;
    de.end()
}

/// The first element of a raw array (`None` for an empty array or anything else), read
/// without parsing the rest: classifying a document by its first record must not cost a
/// pass over a gigabyte.
pub fn first_element(raw: &RawValue) -> Option<&RawValue> {
    struct First<'a, 'de>(&'a mut Option<&'de RawValue>);
    impl<'de> Visitor<'de> for First<'_, 'de> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            *self.0 = seq.next_element::<&'de RawValue>()?;
            Ok(())
        }
    }
    let mut first = None;
    let mut de = serde_json::Deserializer::from_str(raw.get());
    // The rest of the array is left unread, which serde_json reports as an error: the
    // element already read is all that is wanted.
    let _ = de.deserialize_seq(First(&mut first));
    first
}

/// Reads JSON values written back to back (one document, JSON Lines, or pretty objects one
/// after another as the OTel Python console exporter writes them). Stops at the first
/// syntax error and returns it, keeping what came before.
pub fn for_each_value<'a>(
    buf: &'a [u8],
    mut f: impl FnMut(&'a RawValue),
) -> Result<(), serde_json::Error> {
    let stream = serde_json::Deserializer::from_slice(buf).into_iter::<&'a RawValue>();
    for item in stream {
        f(item?);
    }
    Ok(())
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
