//! Lazy text: where a payload lives and how to decode it when a span is opened or searched.
//!
//! Prompts, outputs, messages and most attribute values are the bulk of a trace file. The
//! model keeps only a `TextRef` (source, offset, length, encoding) for them. A plain file
//! is re-read with positioned reads; compressed files, stdin and synthesised records live
//! in memory. Input files are only ever opened read-only.

use serde_json::Value;
use std::borrow::Cow;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

/// How the bytes behind a `TextRef` are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum Enc {
    /// Raw UTF-8 text.
    #[default]
    Utf8,
    /// Any JSON value.
    Json,
    /// A JSON string literal (with quotes and escapes).
    JsonStr,
    /// A JSON string literal whose content is itself JSON (MLflow attribute values,
    /// OpenInference `input.value`, `gen_ai.input.messages`), decoded when it parses.
    JsonStrJson,
    /// An OTLP `AnyValue` object: `{"stringValue": …}`, `{"intValue": "…"}`, …
    OtlpAny,
    /// An OTLP `AnyValue` whose string content may be JSON (decoded when it parses).
    OtlpAnyJson,
    /// A parquet cell: raw UTF-8 text as a string column held it, or, after a leading
    /// `CELL_JSON` byte (which UTF-8 never contains), the JSON of any other cell (numbers,
    /// booleans, lists, structs). The marker lets one span's attributes mix both under
    /// the span's single attribute encoding.
    Cell,
    /// A `Cell` whose text may itself be JSON (payloads), decoded when it parses.
    CellJson,
}

/// Marks a `Cell` whose bytes after it are JSON rather than text (0xFF is never UTF-8).
pub const CELL_JSON: u8 = 0xFF;

/// A reference to bytes in one of the trace set's sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct TextRef {
    pub off: u64,
    pub len: u32,
    pub src: u16,
    pub enc: Enc,
}

impl TextRef {
    pub fn new(src: u16, off: u64, len: usize, enc: Enc) -> Self {
        TextRef {
            off,
            len: len.min(u32::MAX as usize) as u32,
            src,
            enc,
        }
    }

    /// The same bytes read with another encoding.
    pub fn with_enc(self, enc: Enc) -> Self {
        TextRef { enc, ..self }
    }
}

/// Where a source's bytes are.
#[derive(Debug, Clone)]
pub enum SourceData {
    /// A regular file, re-read on demand.
    File(Arc<File>),
    /// Bytes held in memory (decompressed input, stdin, or records the loader wrote).
    Memory(Arc<Vec<u8>>),
    /// Bytes held in memory, and cells left in a compressed input file: a reference whose
    /// offset has `KEPT` set names a cell of `cells`, decoded when it is read.
    Kept {
        arena: Arc<Vec<u8>>,
        cells: Arc<dyn Cells>,
    },
}

/// The bit of `TextRef::off` that marks a cell kept in its input file (`SourceData::Kept`).
pub const KEPT: u64 = 1 << 63;

/// Text left in a compressed input file, decoded when read (parquet pages, where JSON text
/// is re-read from the file as it is).
pub trait Cells: Send + Sync + std::fmt::Debug {
    /// Calls `f` with the bytes of cell `cell` (the offset without `KEPT`), which are
    /// `len` long.
    fn with_bytes(&self, cell: u64, len: u32, f: &mut dyn FnMut(&[u8])) -> std::io::Result<()>;
}

/// One place text can be read from.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub data: SourceData,
}

/// All sources of a trace set; `TextRef::src` indexes this list.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    list: Vec<Source>,
}

impl Sources {
    /// Adds a source and returns its index.
    pub fn add(&mut self, source: Source) -> u16 {
        self.list.push(source);
        (self.list.len() - 1) as u16
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Replaces source `src` (used when a repaired copy was parsed in place of the input).
    pub fn replace(&mut self, src: u16, source: Source) {
        if let Some(slot) = self.list.get_mut(src as usize) {
            *slot = source;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn get(&self, src: u16) -> Option<&Source> {
        self.list.get(src as usize)
    }

    /// Appends `other`, returning the offset to add to its `src` indices.
    pub fn append(&mut self, other: Sources) -> u16 {
        let base = self.list.len() as u16;
        self.list.extend(other.list);
        base
    }

    /// Bytes held in memory across sources (file-backed sources count nothing).
    pub fn memory_bytes(&self) -> usize {
        self.list
            .iter()
            .map(|s| match &s.data {
                SourceData::Memory(m) | SourceData::Kept { arena: m, .. } => m.len(),
                SourceData::File(_) => 0,
            })
            .sum()
    }

    /// The raw bytes behind `r`.
    pub fn bytes(&self, r: TextRef) -> std::io::Result<Cow<'_, [u8]>> {
        let Some(source) = self.get(r.src) else {
            return Err(std::io::Error::other("unknown text source"));
        };
        let (off, len) = (r.off as usize, r.len as usize);
        match &source.data {
            SourceData::Kept { cells, .. } if r.off & KEPT != 0 => {
                let mut out = Vec::new();
                cells.with_bytes(r.off & !KEPT, r.len, &mut |b| out.extend_from_slice(b))?;
                Ok(Cow::Owned(out))
            }
            SourceData::Memory(m) | SourceData::Kept { arena: m, .. } => m
                .get(off..off + len)
                .map(Cow::Borrowed)
                .ok_or_else(|| std::io::Error::other("text reference out of range")),
            SourceData::File(f) => {
                let mut buf = vec![0u8; len];
                f.read_exact_at(&mut buf, r.off)?;
                Ok(Cow::Owned(buf))
            }
        }
    }

    /// Calls `f` with the raw bytes behind `r`, without copying them where they are held
    /// (PERF: search reads every long field this way).
    pub fn with_bytes(&self, r: TextRef, f: &mut dyn FnMut(&[u8])) -> std::io::Result<()> {
        match self.get(r.src).map(|s| &s.data) {
            Some(SourceData::Kept { cells, .. }) if r.off & KEPT != 0 => {
                cells.with_bytes(r.off & !KEPT, r.len, f)
            }
            _ => self.bytes(r).map(|b| f(&b)),
        }
    }

    /// Decodes `r` to display text: JSON strings are unescaped, other JSON is kept as written.
    pub fn text(&self, r: TextRef) -> String {
        match self.bytes(r) {
            Ok(b) => decode_text(&b, r.enc),
            Err(e) => format!("<unreadable: {e}>"),
        }
    }

    /// Decodes `r` to a JSON value; strings that hold JSON are parsed when the encoding says so.
    pub fn value(&self, r: TextRef) -> Value {
        match self.bytes(r) {
            Ok(b) => decode_value(&b, r.enc),
            Err(e) => Value::String(format!("<unreadable: {e}>")),
        }
    }
}

/// Decodes bytes to text: strings unescaped (however many JSON layers wrap them); when a
/// string held a JSON object or array, its text is returned as the source spelled it,
/// not re-serialised.
pub fn decode_text(bytes: &[u8], enc: Enc) -> String {
    match decode_value(bytes, enc) {
        Value::String(s) => s,
        structured => {
            let one_layer = match enc {
                Enc::JsonStrJson => Enc::JsonStr,
                Enc::OtlpAnyJson => Enc::OtlpAny,
                Enc::CellJson => Enc::Cell,
                _ => return structured.to_string(),
            };
            match decode_value(bytes, one_layer) {
                Value::String(s) => s,
                _ => structured.to_string(),
            }
        }
    }
}

/// Decodes bytes to a JSON value according to `enc`; invalid JSON falls back to the text.
pub fn decode_value(bytes: &[u8], enc: Enc) -> Value {
    let lossy = || Value::String(String::from_utf8_lossy(bytes).into_owned());
    match enc {
        Enc::Utf8 => lossy(),
        Enc::Json => serde_json::from_slice(bytes).unwrap_or_else(|_| lossy()),
        Enc::JsonStr => serde_json::from_slice::<String>(bytes)
            .map(Value::String)
            .unwrap_or_else(|_| lossy()),
        Enc::JsonStrJson => match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::String(s)) => json_in_string(s),
            Ok(other) => other,
            Err(_) => lossy(),
        },
        Enc::OtlpAny | Enc::OtlpAnyJson => match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => {
                let v = otlp_any_to_json(&v);
                match (enc, v) {
                    (Enc::OtlpAnyJson, Value::String(s)) => json_in_string(s),
                    (_, v) => v,
                }
            }
            Err(_) => lossy(),
        },
        Enc::Cell | Enc::CellJson => match bytes.split_first() {
            Some((&CELL_JSON, json)) if enc == Enc::Cell => decode_value(json, Enc::Json),
            Some((&CELL_JSON, json)) => decode_value(json, Enc::JsonStrJson),
            _ if enc == Enc::CellJson => json_in_string(lossy_string(bytes)),
            _ => lossy(),
        },
    }
}

fn lossy_string(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Parses a string that holds a JSON object or array; any other string stays a string.
/// Scalars are not unwrapped, so the text "42" stays text (it was written as text).
pub fn json_in_string(s: String) -> Value {
    let t = s.trim_start();
    if (t.starts_with('{') || t.starts_with('[') || t.starts_with('"'))
        && let Ok(v) = serde_json::from_str::<Value>(&s)
    {
        return v;
    }
    Value::String(s)
}

/// Turns an OTLP `AnyValue` (camelCase or snake_case, hex-ints as strings) into plain JSON.
pub fn otlp_any_to_json(v: &Value) -> Value {
    let Value::Object(map) = v else {
        return v.clone();
    };
    for (k, inner) in map {
        if inner.is_null() {
            continue; // Phoenix otlpv1 lists every member, most of them null
        }
        match k.as_str() {
            "stringValue" | "string_value" | "boolValue" | "bool_value" | "bytesValue"
            | "bytes_value" => return inner.clone(),
            "intValue" | "int_value" => return int_value(inner),
            "doubleValue" | "double_value" => return inner.clone(),
            "arrayValue" | "array_value" => {
                let values = inner.get("values").and_then(Value::as_array);
                return Value::Array(values.into_iter().flatten().map(otlp_any_to_json).collect());
            }
            "kvlistValue" | "kvlist_value" => {
                let values = inner.get("values").and_then(Value::as_array);
                return Value::Object(
                    values
                        .into_iter()
                        .flatten()
                        .map(|kv| {
                            let key = kv.get("key").and_then(Value::as_str).unwrap_or_default();
                            let val = kv.get("value").map(otlp_any_to_json).unwrap_or(Value::Null);
                            (key.to_owned(), val)
                        })
                        .collect(),
                );
            }
            _ => {}
        }
    }
    Value::Null
}

fn int_value(v: &Value) -> Value {
    match v {
        Value::String(s) => s
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(s.clone())),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_each_encoding() {
        assert_eq!(decode_text(br#""a\nb""#, Enc::JsonStr), "a\nb");
        assert_eq!(
            decode_value(br#""{\"x\": 3}""#, Enc::JsonStrJson),
            json!({"x": 3})
        );
        assert_eq!(
            decode_value(br#"{"intValue":"9007199254740993"}"#, Enc::OtlpAny),
            json!(9007199254740993i64)
        );
        assert_eq!(
            decode_value(
                br#"{"arrayValue":{"values":[{"stringValue":"stop"}]}}"#,
                Enc::OtlpAny
            ),
            json!(["stop"])
        );
        assert_eq!(
            decode_value(br#"{"string_value":"x","int_value":null}"#, Enc::OtlpAny),
            json!("x")
        );
        assert_eq!(decode_text(b"not json", Enc::Json), "not json");
    }

    #[test]
    fn decodes_parquet_cells() {
        // Raw text stays text, whatever it looks like; quotes and backslashes are not escapes.
        let raw = "say \"hi\" \\ café {\"x\": 1}";
        assert_eq!(decode_value(raw.as_bytes(), Enc::Cell), json!(raw));
        assert_eq!(decode_value(b"42", Enc::Cell), json!("42"));
        assert_eq!(decode_value(b"", Enc::Cell), json!(""));
        // Payloads: text that holds a JSON object is parsed, shown as spelled.
        let doc = r#"{"q": "café", "n": [1]}"#;
        assert_eq!(
            decode_value(doc.as_bytes(), Enc::CellJson),
            json!({"q": "café", "n": [1]})
        );
        assert_eq!(decode_text(doc.as_bytes(), Enc::CellJson), doc);
        assert_eq!(decode_value(b"42", Enc::CellJson), json!("42"));
        assert_eq!(decode_value(raw.as_bytes(), Enc::CellJson), json!(raw));
        // After the marker: JSON, so numbers are numbers and strings unescaped.
        let json = |t: &str| [&[CELL_JSON], t.as_bytes()].concat();
        assert_eq!(decode_value(&json("97.0"), Enc::Cell), json!(97.0));
        assert_eq!(decode_value(&json("true"), Enc::CellJson), json!(true));
        assert_eq!(decode_text(&json(r#""a\nb""#), Enc::Cell), "a\nb");
        assert_eq!(
            decode_value(&json(r#"[{"role":"user"}]"#), Enc::Cell),
            json!([{"role": "user"}])
        );
        assert_eq!(
            decode_value(&json(r#""{\"x\":3}""#), Enc::CellJson),
            json!({"x": 3})
        );
    }
}
