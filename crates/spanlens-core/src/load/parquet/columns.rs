//! Phoenix `get_spans_dataframe()` record batches read column by column: each row's span
//! is built straight from the arrow arrays, with no JSON record in between.
//!
//! Why: writing every row as JSON and parsing it again cost most of the load time and
//! held each row's text twice. The semantics are `phoenix::load_df_row`'s for the same row
//! (a test loads batches both ways and compares). String cells are copied into the part's
//! arena once, as raw UTF-8; other cells (numbers, lists of structs) as the JSON the
//! records path would have written, after a `CELL_JSON` marker, so that one span's
//! attributes can mix both under its single encoding (`Enc::Cell`). A row's bytes are
//! stashed together, so each span's text stays one region of the arena (raw search
//! relies on that).

use super::cells::{self, FileCells};
use super::row_json;
use crate::load::Sink;
use crate::load::json::{RawObject, is_null, raw_str};
use crate::load::phoenix::{DF_FIELDS, time_ns, time_ns_text};
use crate::model::text::CELL_JSON;
use crate::model::{Enc, KEPT, Pos, SpanDraft, SpanKind, Status, TextRef};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, LargeStringArray, RecordBatch, StringArray, StringViewArray};
use arrow_schema::{DataType, TimeUnit};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The span fields a DataFrame column can hold.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(usize)]
enum Field {
    TraceId,
    SpanId,
    Parent,
    Name,
    Kind,
    Start,
    End,
    StatusCode,
    StatusMsg,
    Events,
}

/// How many `Field`s there are.
const FIELDS: usize = Field::Events as usize + 1;

/// What else a column gives a row's span besides a field.
#[derive(Clone, Copy, Debug)]
enum Attr<'a> {
    None,
    /// An attribute with this key.
    Key(&'a str),
    /// An `attributes` object column: each of its keys is an attribute.
    Spread,
}

/// A string column, downcast once per batch.
#[derive(Clone, Copy)]
pub(super) enum Text<'a> {
    Small(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
}

impl<'a> Text<'a> {
    pub(super) fn of(a: &'a dyn Array) -> Option<Text<'a>> {
        match a.data_type() {
            DataType::Utf8 => Some(Text::Small(a.as_string::<i32>())),
            DataType::LargeUtf8 => Some(Text::Large(a.as_string::<i64>())),
            DataType::Utf8View => Some(Text::View(a.as_string_view())),
            _ => None,
        }
    }

    /// Bytes of text in the column.
    fn bytes(self) -> usize {
        match self {
            Text::Small(a) => a.value_data().len(),
            Text::Large(a) => a.value_data().len(),
            Text::View(a) => a.views().iter().map(|v| *v as u32 as usize).sum(),
        }
    }

    pub(super) fn value(self, row: usize) -> &'a str {
        match self {
            Text::Small(a) => a.value(row),
            Text::Large(a) => a.value(row),
            Text::View(a) => a.value(row),
        }
    }
}

/// One column of the batch and what it gives each row.
struct Column<'a> {
    array: &'a dyn Array,
    text: Option<Text<'a>>,
    field: Option<(Field, u8)>,
    attr: Attr<'a>,
    /// The column's number among those left in the file, if it is one.
    kept: Option<usize>,
}

/// Whether a column gives each row's span an attribute of its own (the columns whose
/// text may be left in the file).
pub fn is_attribute_column(name: &str) -> bool {
    matches!(attr_of(name), Attr::Key(_))
}

fn attr_of(name: &str) -> Attr<'_> {
    if let Some(key) = name.strip_prefix("attributes.") {
        Attr::Key(key)
    } else if name == "attributes" {
        Attr::Spread
    } else if DF_FIELDS.contains(&name) || name.starts_with("__index_level_") {
        Attr::None
    } else {
        // An extra column (a user-added one, or bare `trace_id`): kept, not lost.
        Attr::Key(name)
    }
}

impl<'a> Column<'a> {
    fn new(name: &'a str, array: &'a dyn Array, cells: Option<&FileCells>) -> Column<'a> {
        let text = Text::of(array);
        Column {
            array,
            text,
            field: field_of(name),
            attr: attr_of(name),
            kept: cells.and_then(|c| c.kept(name)).filter(|_| text.is_some()),
        }
    }

    /// The text of a long cell of a column left in the file: its cell number and bytes.
    fn kept_text(&self, row: usize) -> Option<(usize, &'a [u8])> {
        let k = self.kept?;
        let t = self.text.filter(|_| !self.array.is_null(row))?;
        let s = t.value(row).as_bytes();
        (s.len() > cells::INLINE).then_some((k, s))
    }

    /// The cell as text, as `RawObject::str` reads its JSON: strings as they are, numbers
    /// and booleans as written; `None` for nulls, lists and structs.
    fn str(&self, row: usize) -> Option<Cow<'a, str>> {
        if self.array.is_null(row) {
            return None;
        }
        if let Some(t) = self.text {
            return Some(Cow::Borrowed(t.value(row)));
        }
        let json = self.json(row);
        let raw: &RawValue = serde_json::from_slice(&json).ok()?;
        raw_str(raw).map(|s| Cow::Owned(s.into_owned()))
    }

    /// The cell as a time in ns: timestamps of any unit and zone (arrow stores UTC
    /// instants), or text and numbers as `phoenix::time_ns` reads them.
    fn time(&self, row: usize) -> Option<i64> {
        if self.array.is_null(row) {
            return None;
        }
        let a = self.array;
        let (value, mul) = match a.data_type() {
            DataType::Timestamp(TimeUnit::Second, _) => (
                a.as_primitive::<TimestampSecondType>().value(row),
                1_000_000_000,
            ),
            DataType::Timestamp(TimeUnit::Millisecond, _) => (
                a.as_primitive::<TimestampMillisecondType>().value(row),
                1_000_000,
            ),
            DataType::Timestamp(TimeUnit::Microsecond, _) => (
                a.as_primitive::<TimestampMicrosecondType>().value(row),
                1_000,
            ),
            DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                (a.as_primitive::<TimestampNanosecondType>().value(row), 1)
            }
            _ => return self.time_as_written(row),
        };
        value.checked_mul(mul)
    }

    fn time_as_written(&self, row: usize) -> Option<i64> {
        if let Some(t) = self.text {
            return time_ns_text(t.value(row));
        }
        let json = self.json(row);
        serde_json::from_slice::<&RawValue>(&json)
            .ok()
            .and_then(time_ns)
    }

    /// The cell as the JSON the records path writes.
    fn json(&self, row: usize) -> Vec<u8> {
        let mut out = Vec::new();
        row_json::write_value(&mut out, self.array, row, 0);
        out
    }

    /// Copies a non-null cell into the arena: text as is, anything else as marked JSON.
    /// Returns where it is, or `None` for a null (NaN is written as null, as pandas does).
    fn stash(&self, sink: &mut Sink, row: usize) -> Option<(u64, usize)> {
        if self.array.is_null(row) {
            return None;
        }
        if let Some(t) = self.text {
            let s = t.value(row);
            return Some((sink.stash(s.as_bytes()), s.len()));
        }
        let off = sink.arena.len();
        sink.arena.push(CELL_JSON);
        row_json::write_value(&mut sink.arena, self.array, row, 0);
        if &sink.arena[off + 1..] == b"null" {
            sink.arena.truncate(off);
            return None;
        }
        Some((off as u64, sink.arena.len() - off))
    }
}

/// The field a column holds and its rank (0 wins over 1 when both columns are there).
fn field_of(name: &str) -> Option<(Field, u8)> {
    Some(match name {
        "context.trace_id" => (Field::TraceId, 0),
        "trace_id" => (Field::TraceId, 1),
        "context.span_id" => (Field::SpanId, 0),
        "span_id" => (Field::SpanId, 1),
        "parent_id" => (Field::Parent, 0),
        "name" => (Field::Name, 0),
        "span_kind" => (Field::Kind, 0),
        "start_time" => (Field::Start, 0),
        "end_time" => (Field::End, 0),
        "status_code" => (Field::StatusCode, 0),
        "status_message" => (Field::StatusMsg, 0),
        "events" => (Field::Events, 0),
        _ => return None,
    })
}

/// A batch's columns, classified once.
struct Columns<'a> {
    cols: Vec<Column<'a>>,
    /// For each field (by `Field as usize`), the columns holding it, best first.
    holding: [Vec<usize>; FIELDS],
}

impl<'a> Columns<'a> {
    fn new(batch: &'a RecordBatch, cells: Option<&FileCells>) -> Columns<'a> {
        let schema = batch.schema_ref();
        let cols: Vec<Column> = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(f, a)| Column::new(f.name(), a.as_ref(), cells))
            .collect();
        let mut holding: [Vec<usize>; FIELDS] = Default::default();
        for (i, c) in cols.iter().enumerate() {
            if let Some((f, _)) = c.field {
                holding[f as usize].push(i);
            }
        }
        for h in &mut holding {
            h.sort_by_key(|&i| cols[i].field.map(|(_, rank)| rank));
        }
        Columns { cols, holding }
    }

    /// About the bytes the rows will stash: their text cells, and a guess for the others.
    fn arena_bytes(&self, rows: usize) -> usize {
        let stashed = self.cols.iter().filter(|c| {
            !matches!(c.attr, Attr::None) || c.field.is_some_and(|f| f.0 == Field::StatusMsg)
        });
        // Cells left in the file stash only their short cells.
        let bytes = |c: &Column| match (c.kept, c.text) {
            (Some(_), _) | (None, None) => rows * 16,
            (None, Some(t)) => t.bytes(),
        };
        stashed.map(bytes).sum()
    }

    fn holding(&self, field: Field) -> impl Iterator<Item = &Column<'a>> {
        self.holding[field as usize].iter().map(|&i| &self.cols[i])
    }

    /// The field as text from the first of its columns with a non-null cell.
    fn str(&self, field: Field, row: usize) -> Option<Cow<'a, str>> {
        let col = self.holding(field).find(|c| !c.array.is_null(row))?;
        col.str(row)
    }

    fn time(&self, field: Field, row: usize) -> Option<i64> {
        self.column(field).and_then(|c| c.time(row))
    }

    fn column(&self, field: Field) -> Option<&Column<'a>> {
        self.holding(field).next()
    }
}

/// Loads every row of a Phoenix spans batch into `sink`; `first_row` is the number of
/// rows before it in the file, and `cells` the columns whose long cells stay there.
pub fn load_batch(
    sink: &mut Sink,
    path: &str,
    batch: &RecordBatch,
    first_row: u64,
    cells: Option<&FileCells>,
) {
    let cols = Columns::new(batch, cells);
    // PERF: the arena is allocated once, at about its final size. Grown by doubling, its
    // pages were touched (and copied) several times, which cost more than the copying.
    sink.arena.reserve(cols.arena_bytes(batch.num_rows()));
    for r in 0..batch.num_rows() {
        let row_no = first_row + r as u64 + 1;
        load_row(sink, &cols, path, r, row_no);
    }
}

/// One row: the span `load_df_row` would build from the row's JSON record.
fn load_row(sink: &mut Sink, cols: &Columns, path: &str, r: usize, row_no: u64) {
    let tid = cols.str(Field::TraceId, r).unwrap_or_default();
    let sid = cols.str(Field::SpanId, r).unwrap_or_default();
    let mut d = sink.batch.begin(sink.src, Enc::Cell, row_no << 24);
    d.span.trace_id = sink.batch.trace_id(&tid);
    d.span.span_id = sink.batch.id(&sid);
    span_fields(sink, cols, path, (r, row_no), &mut d);
    for col in &cols.cols {
        match col.attr {
            Attr::None => {}
            Attr::Key(key) => {
                if let Some((k, text)) = col.kept_text(r) {
                    let cell = KEPT | FileCells::cell(k, row_no - 1);
                    let at = TextRef::new(sink.src, cell, text.len(), Enc::Cell);
                    sink.batch.attr(&mut d, key, text, at);
                } else if let Some((off, len)) = col.stash(sink, r) {
                    let at = TextRef::new(sink.src, off, len, Enc::Cell);
                    let raw = &sink.arena[off as usize..];
                    sink.batch.attr(&mut d, key, raw, at);
                }
            }
            Attr::Spread => spread(sink, col, r, &mut d),
        }
    }
    sink.batch.finish(d);
}

/// Name, kind, parent, times, status and events.
fn span_fields(sink: &mut Sink, cols: &Columns, path: &str, at: (usize, u64), d: &mut SpanDraft) {
    let (r, row_no) = at;
    let b = &mut sink.batch;
    d.span.parent_id = b.id(&cols.str(Field::Parent, r).unwrap_or_default());
    d.span.name = b.sym(&cols.str(Field::Name, r).unwrap_or_default());
    if let Some(kind) = cols
        .str(Field::Kind, r)
        .and_then(|k| SpanKind::from_label(&k))
    {
        d.sem.set_kind(0, kind);
    }
    match cols.time(Field::Start, r) {
        Some(t) => d.span.start_ns = t,
        None => b.diag(
            path,
            Pos::Record(row_no),
            "span has no valid start time; shown at 0",
        ),
    }
    d.span.set_end_ns(cols.time(Field::End, r));
    d.span.status = cols
        .str(Field::StatusCode, r)
        .map_or(Status::Unset, |c| Status::from_label(&c));
    d.span.status_msg = cols
        .column(Field::StatusMsg)
        .and_then(|c| status_message(sink, c, r));
    d.span.events = cols.column(Field::Events).and_then(|c| events(sink, c, r));
}

/// The status message, unless null or empty: text as is, other cells as the JSON string
/// the records path reads (`Enc::JsonStr`, so a number is shown as its text).
fn status_message(sink: &mut Sink, col: &Column, r: usize) -> Option<TextRef> {
    if col.array.is_null(r) {
        return None;
    }
    if let Some(t) = col.text {
        let s = t.value(r);
        let off = (!s.is_empty()).then(|| sink.stash(s.as_bytes()))?;
        return Some(TextRef::new(sink.src, off, s.len(), Enc::Cell));
    }
    let off = sink.arena.len();
    row_json::write_value(&mut sink.arena, col.array, r, 0);
    if matches!(&sink.arena[off..], b"null" | b"\"\"") {
        sink.arena.truncate(off);
        return None;
    }
    let len = sink.arena.len() - off;
    Some(TextRef::new(sink.src, off as u64, len, Enc::JsonStr))
}

/// The events as JSON, unless null or empty.
fn events(sink: &mut Sink, col: &Column, r: usize) -> Option<TextRef> {
    let off = sink.arena.len();
    row_json::write_value(&mut sink.arena, col.array, r, 0);
    if matches!(sink.arena[off..].trim_ascii(), b"[]" | b"null") {
        sink.arena.truncate(off);
        return None;
    }
    let len = sink.arena.len() - off;
    Some(TextRef::new(sink.src, off as u64, len, Enc::Json))
}

/// Every non-null key of an `attributes` object cell becomes an attribute, each value
/// stashed as marked JSON.
fn spread(sink: &mut Sink, col: &Column, r: usize, d: &mut SpanDraft) {
    if col.array.is_null(r) {
        return;
    }
    let json = col.json(r);
    let Ok(raw) = serde_json::from_slice::<&RawValue>(&json) else {
        return;
    };
    for (key, v) in RawObject::parse(raw).unwrap_or_default().0 {
        if is_null(v) {
            continue;
        }
        let off = sink.stash(&[CELL_JSON]);
        sink.stash(v.get().as_bytes());
        let len = sink.arena.len() - off as usize;
        let at = TextRef::new(sink.src, off, len, Enc::Cell);
        let raw = &sink.arena[off as usize..];
        sink.batch.attr(d, &key, raw, at);
    }
}
