//! The scaler behind `scale-export`: turns one real export file into a benchmark input of
//! N spans by writing its traces again and again, each copy with fresh trace, span and
//! assessment ids and its times moved later, and every key and value encoding as the SDK
//! wrote it (hex stays hex of the same length and case, base64 stays base64, `0x`, `tr-`
//! and UUID forms stay, nanosecond strings stay strings, ISO text stays ISO text).
//!
//! What is remapped, wherever it occurs (field values, JSON-in-string attributes, paths,
//! parquet cells, the `trace` JSON column), is decided by the value's shape
//! (`template`): 16/32-hex words, `0x`+hex, UUIDs and 12/24-char padded base64 are ids;
//! 13/16/19-digit integers between 1.0e12 and 2.2e12 ms (µs, ns) and ISO or
//! `dotted_order` date-times are times. Parquet integer columns follow the same rule and
//! timestamp columns are shifted in their unit.

pub mod clock;
mod ids;
pub mod json;
pub mod table;
pub mod template;
mod times;

use spanlens_core::load::{self, LoadOptions};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use template::Copy;

/// Why a file could not be scaled.
#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not JSON or JSON Lines: {message}")]
    Json { path: String, message: String },
    #[error("{path}: parquet: {message}")]
    Parquet { path: String, message: String },
    #[error("{path}: spanlens loads no spans from it, so there is nothing to replicate")]
    Empty { path: String },
    #[error("{path}: spanlens cannot load it: {message}")]
    Load { path: String, message: String },
}

impl ScaleError {
    fn io(path: &Path, source: std::io::Error) -> ScaleError {
        ScaleError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// What `scale_file` wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScaleReport {
    pub copies: u64,
    pub spans_per_copy: u64,
    pub traces_per_copy: u64,
    /// `copies × spans_per_copy`: at least the spans asked for, in whole copies.
    pub spans: u64,
    pub traces: u64,
    pub bytes: u64,
    /// How much later each copy's times are than the previous copy's.
    pub stride_secs: i64,
}

/// Scales `input` to at least `spans` spans (whole copies) into `output`.
pub fn scale_file(input: &Path, output: &Path, spans: u64) -> Result<ScaleReport, ScaleError> {
    let (spans_per_copy, traces_per_copy) = count(input)?;
    let copies = spans.div_ceil(spans_per_copy).max(1);
    let src = std::fs::read(input).map_err(|e| ScaleError::io(input, e))?;
    let stride_secs;
    if src.starts_with(b"PAR1") {
        let t = table::read(input)?;
        stride_secs = stride(t.extent);
        t.write(output, copies, |c| copy(c, stride_secs))?;
    } else {
        let layout = json::layout(input, &src)?;
        stride_secs = stride(extent(&layout));
        write_json(&layout, output, copies, stride_secs)?;
    }
    let bytes = std::fs::metadata(output)
        .map_err(|e| ScaleError::io(output, e))?
        .len();
    Ok(ScaleReport {
        copies,
        spans_per_copy,
        traces_per_copy,
        spans: copies * spans_per_copy,
        traces: copies * traces_per_copy,
        bytes,
        stride_secs,
    })
}

/// Spans and traces in one copy, as spanlens itself loads them.
fn count(input: &Path) -> Result<(u64, u64), ScaleError> {
    let path = input.display().to_string();
    let set =
        load::load(&[input.to_path_buf()], &LoadOptions::default(), &|_| {}).map_err(|e| {
            ScaleError::Load {
                path: path.clone(),
                message: e.to_string(),
            }
        })?;
    if set.spans.is_empty() {
        return Err(ScaleError::Empty { path });
    }
    Ok((set.spans.len() as u64, set.traces.len() as u64))
}

fn copy(index: u64, stride_secs: i64) -> Copy {
    Copy {
        index,
        shift_secs: index as i64 * stride_secs,
    }
}

/// Copies follow one another: each starts a whole second after the previous one ends.
fn stride(extent: Option<(i64, i64)>) -> i64 {
    extent.map_or(1, |(lo, hi)| (hi - lo).max(0) + 1)
}

fn extent(layout: &json::Layout) -> Option<(i64, i64)> {
    let all: Vec<(i64, i64)> = match layout {
        json::Layout::Lines(ts) => ts.iter().filter_map(|t| t.time_extent()).collect(),
        json::Layout::Array { inner, .. } => inner.time_extent().into_iter().collect(),
    };
    let lo = all.iter().map(|e| e.0).min()?;
    let hi = all.iter().map(|e| e.1).max()?;
    Some((lo, hi))
}

/// Copies rendered this many at a time on the thread pool, written in order.
const CHUNK: u64 = 256;

fn write_json(
    layout: &json::Layout,
    output: &Path,
    copies: u64,
    stride_secs: i64,
) -> Result<(), ScaleError> {
    use rayon::prelude::*;
    let file = File::create(output).map_err(|e| ScaleError::io(output, e))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let io = |e| ScaleError::io(output, e);
    if let json::Layout::Array { .. } = layout {
        w.write_all(b"[").map_err(io)?;
    }
    for start in (0..copies).step_by(CHUNK as usize) {
        let end = (start + CHUNK).min(copies);
        let parts: Vec<Vec<u8>> = (start..end)
            .into_par_iter()
            .map(|c| {
                let mut out = Vec::new();
                match layout {
                    json::Layout::Lines(ts) => {
                        for t in ts {
                            t.render(copy(c, stride_secs), &mut out);
                            out.push(b'\n');
                        }
                    }
                    json::Layout::Array { inner, sep } => {
                        if c > 0 && !inner.is_empty() {
                            out.extend_from_slice(sep);
                        }
                        inner.render(copy(c, stride_secs), &mut out);
                    }
                }
                out
            })
            .collect();
        for p in parts {
            w.write_all(&p).map_err(io)?;
        }
    }
    if let json::Layout::Array { .. } = layout {
        w.write_all(b"]\n").map_err(io)?;
    }
    w.flush().map_err(io)
}
