//! One parquet row (arrow arrays) as compact JSON, as pandas' `to_json(orient="records")`
//! would have written it, so the JSON loaders read parquet rows unchanged.
//!
//! Choices: NaN and infinities become `null` (pandas does the same); timestamps become
//! ISO-8601 with the column's full precision (`Z` when the column has a time zone, since
//! arrow stores UTC instants); struct fields that are null are left out, so pyarrow's
//! union-of-keys structs do not invent keys a row never had; binary becomes base64.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, OffsetSizeTrait};
use arrow_schema::{DataType, TimeUnit};
use base64::Engine;
use std::io::Write;

/// Nesting deeper than this is written as `null` (arrow schemas are finite, but a bound
/// keeps a hostile schema from exhausting the stack).
const MAX_DEPTH: usize = 64;

/// Writes row `row` of `cols` as one JSON object keyed by `names`.
pub fn write_row(out: &mut Vec<u8>, names: &[String], cols: &[ArrayRef], row: usize) {
    out.push(b'{');
    for (i, (name, col)) in names.iter().zip(cols).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, name);
        out.push(b':');
        write_value(out, col.as_ref(), row, 0);
    }
    out.push(b'}');
}

/// Whether every type inside `dt` can be written (others are written as `null`).
pub fn supported(dt: &DataType, depth: usize) -> bool {
    use DataType::*;
    if depth > MAX_DEPTH {
        return false;
    }
    match dt {
        List(f) | LargeList(f) | FixedSizeList(f, _) | Map(f, _) => {
            supported(f.data_type(), depth + 1)
        }
        Struct(fields) => fields.iter().all(|f| supported(f.data_type(), depth + 1)),
        Dictionary(_, v) => supported(v, depth + 1),
        ListView(_) | LargeListView(_) | Union(..) | RunEndEncoded(..) | Interval(_) => false,
        Decimal32(..) | Decimal64(..) => false,
        _ => true,
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn write_f64(out: &mut Vec<u8>, f: f64) {
    if f.is_finite() {
        let _ = serde_json::to_writer(&mut *out, &f);
    } else {
        out.extend_from_slice(b"null");
    }
}

/// Writes one cell. Nested values recurse with `depth + 1`, bounded by `MAX_DEPTH`.
pub(super) fn write_value(out: &mut Vec<u8>, a: &dyn Array, row: usize, depth: usize) {
    if depth > MAX_DEPTH
        || a.is_null(row)
        || !write_scalar(out, a, row) && !write_nested(out, a, row, depth)
    {
        out.extend_from_slice(b"null");
    }
}

/// Scalars: numbers, strings, booleans, binary, times. False for other types.
fn write_scalar(out: &mut Vec<u8>, a: &dyn Array, row: usize) -> bool {
    use DataType::*;
    match a.data_type() {
        Boolean => out.extend_from_slice(if a.as_boolean().value(row) {
            b"true"
        } else {
            b"false"
        }),
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => {
            let _ = write!(out, "{}", int_text(a, row));
        }
        Float16 => write_f64(out, a.as_primitive::<Float16Type>().value(row).to_f64()),
        Float32 => write_f64(out, f64::from(a.as_primitive::<Float32Type>().value(row))),
        Float64 => write_f64(out, a.as_primitive::<Float64Type>().value(row)),
        Decimal128(..) => out.extend_from_slice(
            a.as_primitive::<Decimal128Type>()
                .value_as_string(row)
                .as_bytes(),
        ),
        Decimal256(..) => out.extend_from_slice(
            a.as_primitive::<Decimal256Type>()
                .value_as_string(row)
                .as_bytes(),
        ),
        Utf8 => write_str(out, a.as_string::<i32>().value(row)),
        LargeUtf8 => write_str(out, a.as_string::<i64>().value(row)),
        Utf8View => write_str(out, a.as_string_view().value(row)),
        Binary => write_base64(out, a.as_binary::<i32>().value(row)),
        LargeBinary => write_base64(out, a.as_binary::<i64>().value(row)),
        BinaryView => write_base64(out, a.as_binary_view().value(row)),
        FixedSizeBinary(_) => write_base64(out, a.as_fixed_size_binary().value(row)),
        Timestamp(unit, tz) => write_timestamp(out, a, row, *unit, tz.is_some()),
        Date32 | Date64 | Time32(_) | Time64(_) | Duration(_) => write_temporal(out, a, row),
        _ => return false,
    }
    true
}

/// An integer cell of any width, as text.
fn int_text(a: &dyn Array, row: usize) -> String {
    use DataType::*;
    match a.data_type() {
        Int8 => a.as_primitive::<Int8Type>().value(row).to_string(),
        Int16 => a.as_primitive::<Int16Type>().value(row).to_string(),
        Int32 => a.as_primitive::<Int32Type>().value(row).to_string(),
        Int64 => a.as_primitive::<Int64Type>().value(row).to_string(),
        UInt8 => a.as_primitive::<UInt8Type>().value(row).to_string(),
        UInt16 => a.as_primitive::<UInt16Type>().value(row).to_string(),
        UInt32 => a.as_primitive::<UInt32Type>().value(row).to_string(),
        UInt64 => a.as_primitive::<UInt64Type>().value(row).to_string(),
        _ => "null".into(),
    }
}

fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    write_str(
        out,
        &base64::engine::general_purpose::STANDARD.encode(bytes),
    );
}

/// ISO-8601 with as many fractional digits as the unit has (`…:01.423211000Z` for ns).
fn write_timestamp(out: &mut Vec<u8>, a: &dyn Array, row: usize, unit: TimeUnit, utc: bool) {
    let (dt, fmt) = match unit {
        TimeUnit::Second => (
            a.as_primitive::<TimestampSecondType>()
                .value_as_datetime(row),
            "%Y-%m-%dT%H:%M:%S",
        ),
        TimeUnit::Millisecond => (
            a.as_primitive::<TimestampMillisecondType>()
                .value_as_datetime(row),
            "%Y-%m-%dT%H:%M:%S%.3f",
        ),
        TimeUnit::Microsecond => (
            a.as_primitive::<TimestampMicrosecondType>()
                .value_as_datetime(row),
            "%Y-%m-%dT%H:%M:%S%.6f",
        ),
        TimeUnit::Nanosecond => (
            a.as_primitive::<TimestampNanosecondType>()
                .value_as_datetime(row),
            "%Y-%m-%dT%H:%M:%S%.9f",
        ),
    };
    match dt {
        Some(dt) => {
            let zone = if utc { "Z" } else { "" };
            write_str(out, &format!("{}{zone}", dt.format(fmt)));
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// Dates and times of day as ISO text; durations as an integer count of their unit.
fn write_temporal(out: &mut Vec<u8>, a: &dyn Array, row: usize) {
    use DataType::*;
    let text = match a.data_type() {
        Date32 => a
            .as_primitive::<Date32Type>()
            .value_as_date(row)
            .map(|d| d.to_string()),
        Date64 => a
            .as_primitive::<Date64Type>()
            .value_as_datetime(row)
            .map(|d| d.to_string()),
        Time32(TimeUnit::Second) => a
            .as_primitive::<Time32SecondType>()
            .value_as_time(row)
            .map(|t| t.to_string()),
        Time32(_) => a
            .as_primitive::<Time32MillisecondType>()
            .value_as_time(row)
            .map(|t| t.to_string()),
        Time64(TimeUnit::Microsecond) => a
            .as_primitive::<Time64MicrosecondType>()
            .value_as_time(row)
            .map(|t| t.to_string()),
        Time64(_) => a
            .as_primitive::<Time64NanosecondType>()
            .value_as_time(row)
            .map(|t| t.to_string()),
        _ => {
            let n = duration_count(a, row);
            let _ = write!(out, "{n}");
            return;
        }
    };
    match text {
        Some(t) => write_str(out, &t),
        None => out.extend_from_slice(b"null"),
    }
}

fn duration_count(a: &dyn Array, row: usize) -> i64 {
    match a.data_type() {
        DataType::Duration(TimeUnit::Second) => a.as_primitive::<DurationSecondType>().value(row),
        DataType::Duration(TimeUnit::Millisecond) => {
            a.as_primitive::<DurationMillisecondType>().value(row)
        }
        DataType::Duration(TimeUnit::Microsecond) => {
            a.as_primitive::<DurationMicrosecondType>().value(row)
        }
        _ => a.as_primitive::<DurationNanosecondType>().value(row),
    }
}

/// Lists, structs, maps and dictionaries. False for types that are not written.
fn write_nested(out: &mut Vec<u8>, a: &dyn Array, row: usize, depth: usize) -> bool {
    use DataType::*;
    match a.data_type() {
        List(_) => write_list(out, a.as_list::<i32>(), row, depth),
        LargeList(_) => write_list(out, a.as_list::<i64>(), row, depth),
        FixedSizeList(_, len) => {
            let l = a.as_fixed_size_list();
            let start = l.value_offset_at(row);
            write_items(
                out,
                l.values().as_ref(),
                start..start + (*len).max(0) as usize,
                depth,
            );
        }
        Struct(_) => write_struct(out, a, row, depth),
        Map(..) => write_map(out, a, row, depth),
        Dictionary(..) => {
            let d = a.as_any_dictionary();
            let values = d.values();
            match int_text(d.keys(), row).parse::<usize>() {
                Ok(k) if k < values.len() => write_value(out, values.as_ref(), k, depth + 1),
                _ => out.extend_from_slice(b"null"),
            }
        }
        _ => return false,
    }
    true
}

fn write_list<O: OffsetSizeTrait>(
    out: &mut Vec<u8>,
    l: &arrow_array::GenericListArray<O>,
    row: usize,
    depth: usize,
) {
    let offsets = l.value_offsets();
    let (start, end) = (offsets[row].as_usize(), offsets[row + 1].as_usize());
    write_items(out, l.values().as_ref(), start..end, depth);
}

fn write_items(out: &mut Vec<u8>, values: &dyn Array, range: std::ops::Range<usize>, depth: usize) {
    out.push(b'[');
    for (n, i) in range.filter(|i| *i < values.len()).enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_value(out, values, i, depth + 1);
    }
    out.push(b']');
}

/// A struct cell as an object; null fields are left out (pyarrow writes the union of all
/// rows' keys, so a null field is usually a key this row never had).
fn write_struct(out: &mut Vec<u8>, a: &dyn Array, row: usize, depth: usize) {
    let s = a.as_struct();
    out.push(b'{');
    let mut first = true;
    for (field, col) in s.fields().iter().zip(s.columns()) {
        if col.is_null(row) || matches!(col.data_type(), DataType::Null) {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        write_str(out, field.name());
        out.push(b':');
        write_value(out, col.as_ref(), row, depth + 1);
    }
    out.push(b'}');
}

/// A map cell as an object; non-string keys are written as their JSON text.
fn write_map(out: &mut Vec<u8>, a: &dyn Array, row: usize, depth: usize) {
    let m = a.as_map();
    let offsets = m.value_offsets();
    let (start, end) = (
        offsets[row].max(0) as usize,
        offsets[row + 1].max(0) as usize,
    );
    let (keys, values) = (m.keys(), m.values());
    out.push(b'{');
    for (n, i) in (start..end.min(keys.len())).enumerate() {
        if n > 0 {
            out.push(b',');
        }
        let mut key = Vec::new();
        write_value(&mut key, keys.as_ref(), i, depth + 1);
        match serde_json::from_slice::<String>(&key) {
            Ok(k) => write_str(out, &k),
            Err(_) => write_str(out, &String::from_utf8_lossy(&key)),
        }
        out.push(b':');
        write_value(out, values.as_ref(), i, depth + 1);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::builder::{MapBuilder, StringBuilder, StringDictionaryBuilder};
    use arrow_array::{
        BinaryArray, Float32Array, NullArray, TimestampMicrosecondArray, TimestampMillisecondArray,
        TimestampSecondArray,
    };
    use std::sync::Arc;

    fn cells(col: ArrayRef) -> Vec<String> {
        (0..col.len())
            .map(|r| {
                let mut out = Vec::new();
                write_value(&mut out, col.as_ref(), r, 0);
                String::from_utf8(out).unwrap()
            })
            .collect()
    }

    #[test]
    fn timestamps_keep_their_unit_and_zone() {
        let us = TimestampMicrosecondArray::from(vec![1_795_896_721_401_405]);
        assert_eq!(cells(Arc::new(us)), [r#""2026-11-28T20:12:01.401405""#]);
        let ms = TimestampMillisecondArray::from(vec![Some(1_795_896_721_401), None])
            .with_timezone("+02:00");
        assert_eq!(
            cells(Arc::new(ms)),
            [r#""2026-11-28T20:12:01.401Z""#, "null"]
        );
        let s = TimestampSecondArray::from(vec![0]).with_timezone("UTC");
        assert_eq!(cells(Arc::new(s)), [r#""1970-01-01T00:00:00Z""#]);
    }

    #[test]
    fn floats_binary_nulls_dictionaries_and_maps() {
        let f = Float32Array::from(vec![1.5, f32::NAN, f32::INFINITY]);
        assert_eq!(cells(Arc::new(f)), ["1.5", "null", "null"]);
        let b = BinaryArray::from(vec![&b"hi"[..]]);
        assert_eq!(cells(Arc::new(b)), [r#""aGk=""#]);
        assert_eq!(cells(Arc::new(NullArray::new(1))), ["null"]);
        let mut d = StringDictionaryBuilder::<Int8Type>::new();
        d.append_value("LLM");
        d.append_null();
        d.append_value("LLM");
        assert_eq!(
            cells(Arc::new(d.finish())),
            [r#""LLM""#, "null", r#""LLM""#]
        );
        let mut m = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
        m.keys().append_value("env");
        m.values().append_value("test");
        m.append(true).unwrap();
        m.append(false).unwrap();
        assert_eq!(cells(Arc::new(m.finish())), [r#"{"env":"test"}"#, "null"]);
    }

    #[test]
    fn rows_are_objects_with_escaped_keys() {
        let col: ArrayRef = Arc::new(arrow_array::StringArray::from(vec!["a\"b"]));
        let mut out = Vec::new();
        write_row(&mut out, &["k\n".to_owned()], &[col], 0);
        assert_eq!(String::from_utf8(out).unwrap(), r#"{"k\n":"a\"b"}"#);
    }
}
