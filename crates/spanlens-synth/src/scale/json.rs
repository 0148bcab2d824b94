//! JSON inputs for the scaler: the file's top-level values, each made one line.
//!
//! JSON Lines stay one value per line. A single object (a pretty `Trace.to_json()`, an
//! OTLP request) becomes one line per copy, the JSON Lines users write. A single array
//! (pandas `to_json(orient="records")`, a REST dump) stays one array holding every copy's
//! elements. Only whitespace between tokens changes: a file that put a space after `:`
//! (Python's `json.dumps`) keeps `", "` and `": "` separators, as `to_json()` without
//! `pretty` writes them; others are compact.

use super::ScaleError;
use super::template::Template;
use serde::de::IgnoredAny;
use std::path::Path;

/// How the copies are laid out.
pub enum Layout {
    /// One line per template, repeated per copy.
    Lines(Vec<Template>),
    /// `[` elements of every copy `]`; `sep` goes between copies.
    Array { inner: Template, sep: &'static [u8] },
}

pub fn layout(path: &Path, src: &[u8]) -> Result<Layout, ScaleError> {
    let spaced = spaced(src);
    let mut values = Vec::new();
    let mut stream = serde_json::Deserializer::from_slice(src).into_iter::<IgnoredAny>();
    let mut start = 0;
    while let Some(v) = stream.next() {
        v.map_err(|e| ScaleError::Json {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let end = stream.byte_offset();
        values.push(compact(&src[start..end], spaced));
        start = end;
    }
    if values.len() == 1 && values[0].first() == Some(&b'[') {
        let v = &values[0];
        let inner = &v[1..v.len() - 1];
        return Ok(Layout::Array {
            inner: Template::scan(inner),
            sep: if spaced { b", " } else { b"," },
        });
    }
    Ok(Layout::Lines(
        values.iter().map(|v| Template::scan(v)).collect(),
    ))
}

/// Whether the first `:` between tokens is followed by a space.
fn spaced(src: &[u8]) -> bool {
    let mut in_str = false;
    let mut esc = false;
    for (i, &b) in src.iter().enumerate() {
        if in_str {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
        } else if b == b'"' {
            in_str = true;
        } else if b == b':' {
            return src.get(i + 1) == Some(&b' ');
        }
    }
    false
}

/// The value without whitespace between tokens (a space after `:` and `,` if `spaced`).
pub fn compact(src: &[u8], spaced: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len());
    let mut in_str = false;
    let mut esc = false;
    for &b in src {
        if in_str {
            out.push(b);
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b' ' | b'\n' | b'\r' | b'\t' => {}
            _ => {
                out.push(b);
                in_str = b == b'"';
                if spaced && (b == b':' || b == b',') {
                    out.push(b' ');
                }
            }
        }
    }
    out
}
