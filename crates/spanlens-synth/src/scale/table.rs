//! Parquet inputs for the scaler (MLflow `search_traces`, Phoenix `get_spans_dataframe`):
//! the rows are read once with arrow, every column is planned once (string cells become
//! templates, integer and timestamp columns are marked for shifting, structs, lists and
//! maps are followed), and each copy is rendered from the plans and written as its own
//! record batches, so the output is never in memory. The schema (with the pandas
//! metadata) and the compression codec are the input's.

use super::ScaleError;
use super::template::{Copy, Template};
use super::times::shift_int;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{
    Array, ArrayRef, LargeListArray, LargeStringArray, ListArray, MapArray, RecordBatch,
    StringArray, StructArray,
};
use arrow_schema::{DataType, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

/// What to do with one column (or a child of one) in every copy.
enum Plan {
    Keep,
    Utf8(Vec<Option<Template>>),
    LargeUtf8(Vec<Option<Template>>),
    /// Integers that look like epoch timestamps are shifted (`shift_int`).
    Int64,
    /// Timestamps are shifted; the value is units per second.
    Timestamp(TimeUnit),
    Struct(Vec<Plan>),
    List(Box<Plan>),
    LargeList(Box<Plan>),
    Map(Box<Plan>),
}

/// Earliest and latest time seen while planning, in epoch seconds.
#[derive(Default)]
struct Extent(Option<(i64, i64)>);

impl Extent {
    fn add(&mut self, lo: i64, hi: i64) {
        self.0 = Some(match self.0 {
            None => (lo, hi),
            Some((a, b)) => (a.min(lo), b.max(hi)),
        });
    }
}

/// The rows of a parquet file, planned for copying.
pub struct Table {
    /// The file's schema with its metadata (pandas keeps its index and dtypes there).
    schema: SchemaRef,
    batches: Vec<(RecordBatch, Vec<Plan>)>,
    props: WriterProperties,
    pub rows: usize,
    pub extent: Option<(i64, i64)>,
}

fn perr(path: &Path, e: impl std::fmt::Display) -> ScaleError {
    ScaleError::Parquet {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

pub fn read(path: &Path) -> Result<Table, ScaleError> {
    let file = File::open(path).map_err(|e| ScaleError::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| perr(path, e))?;
    let meta = builder.metadata().clone();
    let schema = builder.schema().clone();
    let codec = meta
        .row_groups()
        .first()
        .and_then(|rg| rg.columns().first())
        .map(|c| c.compression())
        .unwrap_or(parquet::basic::Compression::SNAPPY);
    // Row groups of at most 64 MB, as a writer with a bounded buffer makes them.
    let props = WriterProperties::builder()
        .set_compression(codec)
        .set_max_row_group_bytes(Some(64 << 20))
        .build();
    let mut extent = Extent::default();
    let mut batches = Vec::new();
    let mut rows = 0;
    for batch in builder.build().map_err(|e| perr(path, e))? {
        let batch = batch.map_err(|e| perr(path, e))?;
        rows += batch.num_rows();
        let plans = batch
            .columns()
            .iter()
            .map(|c| plan(c, &mut extent))
            .collect();
        batches.push((batch, plans));
    }
    Ok(Table {
        schema,
        batches,
        props,
        rows,
        extent: extent.0,
    })
}

impl Table {
    /// Writes `copies` copies; `copy_of(c)` says how copy `c` changes ids and times.
    pub fn write(
        &self,
        out: &Path,
        copies: u64,
        copy_of: impl Fn(u64) -> Copy,
    ) -> Result<(), ScaleError> {
        if self.batches.is_empty() {
            return Err(ScaleError::Empty {
                path: out.display().to_string(),
            });
        }
        let schema = self.schema.clone();
        let file = File::create(out).map_err(|e| ScaleError::io(out, e))?;
        let mut w = ArrowWriter::try_new(
            BufWriter::with_capacity(1 << 20, file),
            schema.clone(),
            Some(self.props.clone()),
        )
        .map_err(|e| perr(out, e))?;
        for c in 0..copies {
            let copy = copy_of(c);
            for (batch, plans) in &self.batches {
                let cols = batch
                    .columns()
                    .iter()
                    .zip(plans)
                    .map(|(a, p)| render(p, a, copy))
                    .collect();
                let b = RecordBatch::try_new(schema.clone(), cols).map_err(|e| perr(out, e))?;
                w.write(&b).map_err(|e| perr(out, e))?;
            }
        }
        let mut inner = w.into_inner().map_err(|e| perr(out, e))?;
        inner.flush().map_err(|e| ScaleError::io(out, e))
    }
}

fn templates<'a>(
    cells: impl Iterator<Item = Option<&'a str>>,
    extent: &mut Extent,
) -> Vec<Option<Template>> {
    cells
        .map(|v| {
            v.map(|s| {
                let t = Template::scan(s.as_bytes());
                if let Some((lo, hi)) = t.time_extent() {
                    extent.add(lo, hi);
                }
                t
            })
        })
        .collect()
}

fn plan(a: &ArrayRef, extent: &mut Extent) -> Plan {
    match a.data_type() {
        DataType::Utf8 => Plan::Utf8(templates(a.as_string::<i32>().iter(), extent)),
        DataType::LargeUtf8 => Plan::LargeUtf8(templates(a.as_string::<i64>().iter(), extent)),
        DataType::Int64 => Plan::Int64,
        DataType::Timestamp(unit, _) => {
            let per_sec = per_sec(*unit);
            let values = timestamp_values(a);
            if let (Some(lo), Some(hi)) = (values.iter().min(), values.iter().max()) {
                extent.add(lo / per_sec, hi / per_sec);
            }
            Plan::Timestamp(*unit)
        }
        DataType::Struct(_) => Plan::Struct(
            a.as_struct()
                .columns()
                .iter()
                .map(|c| plan(c, extent))
                .collect(),
        ),
        DataType::List(_) => Plan::List(Box::new(plan(a.as_list::<i32>().values(), extent))),
        DataType::LargeList(_) => {
            Plan::LargeList(Box::new(plan(a.as_list::<i64>().values(), extent)))
        }
        DataType::Map(_, _) => {
            let entries: ArrayRef = Arc::new(a.as_map().entries().clone());
            Plan::Map(Box::new(plan(&entries, extent)))
        }
        _ => Plan::Keep,
    }
}

fn per_sec(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    }
}

fn timestamp_values(a: &ArrayRef) -> Vec<i64> {
    fn vals<T: ArrowPrimitiveType<Native = i64>>(a: &ArrayRef) -> Vec<i64> {
        a.as_primitive::<T>().iter().flatten().collect()
    }
    match a.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => vals::<TimestampSecondType>(a),
        DataType::Timestamp(TimeUnit::Millisecond, _) => vals::<TimestampMillisecondType>(a),
        DataType::Timestamp(TimeUnit::Microsecond, _) => vals::<TimestampMicrosecondType>(a),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => vals::<TimestampNanosecondType>(a),
        _ => Vec::new(),
    }
}

fn map_prim<T: ArrowPrimitiveType<Native = i64>>(a: &ArrayRef, f: impl Fn(i64) -> i64) -> ArrayRef {
    Arc::new(
        a.as_primitive::<T>()
            .unary::<_, T>(f)
            .with_data_type(a.data_type().clone()),
    )
}

fn render_cells(ts: &[Option<Template>], copy: Copy) -> Vec<Option<String>> {
    let mut buf = Vec::new();
    ts.iter()
        .map(|t| {
            t.as_ref().map(|t| {
                buf.clear();
                t.render(copy, &mut buf);
                String::from_utf8_lossy(&buf).into_owned()
            })
        })
        .collect()
}

fn render(plan: &Plan, a: &ArrayRef, copy: Copy) -> ArrayRef {
    let s = copy.shift_secs;
    match plan {
        Plan::Keep => a.clone(),
        Plan::Utf8(ts) => Arc::new(StringArray::from(render_cells(ts, copy))),
        Plan::LargeUtf8(ts) => Arc::new(LargeStringArray::from(render_cells(ts, copy))),
        Plan::Int64 => map_prim::<Int64Type>(a, |v| shift_int(v, s)),
        Plan::Timestamp(unit) => {
            let d = s * per_sec(*unit);
            match unit {
                TimeUnit::Second => map_prim::<TimestampSecondType>(a, |v| v + d),
                TimeUnit::Millisecond => map_prim::<TimestampMillisecondType>(a, |v| v + d),
                TimeUnit::Microsecond => map_prim::<TimestampMicrosecondType>(a, |v| v + d),
                TimeUnit::Nanosecond => map_prim::<TimestampNanosecondType>(a, |v| v + d),
            }
        }
        Plan::Struct(plans) => {
            let st = a.as_struct();
            let (fields, cols, nulls) = st.clone().into_parts();
            let cols = cols
                .iter()
                .zip(plans)
                .map(|(c, p)| render(p, c, copy))
                .collect();
            Arc::new(
                StructArray::try_new_with_length(fields, cols, nulls, st.len())
                    .unwrap_or_else(|_| st.clone()),
            )
        }
        Plan::List(p) => {
            let (field, offsets, values, nulls) = a.as_list::<i32>().clone().into_parts();
            let values = render(p, &values, copy);
            match ListArray::try_new(field, offsets, values, nulls) {
                Ok(l) => Arc::new(l),
                Err(_) => a.clone(),
            }
        }
        Plan::LargeList(p) => {
            let (field, offsets, values, nulls) = a.as_list::<i64>().clone().into_parts();
            let values = render(p, &values, copy);
            match LargeListArray::try_new(field, offsets, values, nulls) {
                Ok(l) => Arc::new(l),
                Err(_) => a.clone(),
            }
        }
        Plan::Map(p) => {
            let (field, offsets, entries, nulls, ordered) = a.as_map().clone().into_parts();
            let entries: ArrayRef = Arc::new(entries);
            let rendered = render(p, &entries, copy);
            match MapArray::try_new(field, offsets, rendered.as_struct().clone(), nulls, ordered) {
                Ok(m) => Arc::new(m),
                Err(_) => a.clone(),
            }
        }
    }
}
