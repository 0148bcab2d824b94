//! Long text cells left in the parquet file: a Phoenix span table's payload columns
//! (inputs, outputs, messages) are not copied at load. A span refers to its cell by column
//! and row, and the cell's page is decoded again when the text is shown or searched, the
//! way JSON text is re-read from its file.
//!
//! Why: holding the decompressed text was most of a parquet load's memory and time. At a
//! million spans it is 1.5 GB of fresh pages, faulted in, zeroed and copied into. Left in
//! the file, the load went from 1.93 s to 1.43 s, and peak RSS from 2.2 GB to 0.87 GB.
//!
//! Finding one page: the pages of each kept column are located once, at load, by reading
//! their headers (parquet's page reader, over a reader that notes where each header is
//! read: the crate keeps its header parser private). A file's own offset index would say
//! the same, but pandas does not write one. The locations are given to the arrow reader
//! as an offset index, so that a row selection decodes one page and its dictionary.

use super::Reader;
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection,
    RowSelector,
};
use parquet::basic::Type as PhysicalType;
use parquet::column::page::PageReader;
use parquet::file::metadata::page_index::PageIndexBuilder;
use parquet::file::metadata::{FileMetaData, OffsetIndexBuilder, ParquetMetaDataBuilder};
use parquet::file::reader::{ChunkReader, Length};
use parquet::file::serialized_reader::SerializedPageReader;
use parquet::schema::types::{SchemaDescriptor, Type, TypePtr};
use std::io;
use std::sync::{Arc, Mutex};

/// Cells at most this long are copied at load all the same: they cost less held than a
/// page decode each time they are shown.
pub const INLINE: usize = 128;

/// Columns whose cells average fewer bytes than this are held, not left in the file.
const LONG: u64 = INLINE as u64;

/// Bits of a cell number that hold its row; the kept column's number is above them.
const ROW_BITS: u32 = 44;

/// Marks a cell that is part of a cell (`part_of_cell`): its row is in the bits from 32
/// up, its offset in the cell below them. Whole cells never have it (`ROW_BITS` rows, and
/// far fewer than 2^18 columns).
const PART: u64 = 1 << 62;

/// Bits of a part's cell that hold its row.
const PART_ROW_BITS: u32 = 30;

/// Decoded pages kept for reuse (a span's input and output, on each core).
const CACHED: usize = 8;

/// Pages each thread keeps at hand, and which `FileCells` they are of (by `id`).
const RECENT_PAGES: usize = 4;

thread_local! {
    /// PERF: a search reads a span's fields, then the next span's, from the same few pages;
    /// finding them here, without the shared cache's lock, took a tenth off an exact search.
    static RECENT: std::cell::RefCell<Vec<(u64, PageKey, Arc<ArrayRef>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Numbers `FileCells` apart for `RECENT` (an address could be reused).
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The kept columns of one parquet file, and how to decode any of their cells.
pub struct FileCells {
    id: u64,
    reader: Reader,
    /// The file's metadata, with the located pages as its offset index.
    meta: ArrowReaderMetadata,
    /// Name and leaf index of each kept column.
    columns: Vec<(String, usize)>,
    /// The first row (in the file) of each row group.
    group_starts: Vec<u64>,
    /// For each kept column and row group, the first row (in the group) of each data page.
    pages: Vec<Vec<Vec<u64>>>,
    cache: Mutex<Vec<(PageKey, Arc<ArrayRef>)>>,
}

/// A data page: kept column, row group, page.
type PageKey = (usize, usize, usize);

impl FileCells {
    /// Locates the pages of the long text columns among `names` (top-level columns);
    /// `None` when there are none, or a page cannot be located.
    pub fn locate(reader: &Reader, meta: &ArrowReaderMetadata, names: &[&str]) -> Option<Self> {
        let md = meta.metadata();
        let descr = md.file_metadata().schema_descr();
        let columns = long_columns(meta, names);
        let group_starts = group_starts(md);
        let rows = md.file_metadata().num_rows().max(0) as u64;
        if columns.is_empty() || rows >> ROW_BITS != 0 {
            return None;
        }
        let mut index = PageIndexBuilder::new(md.num_row_groups(), descr.num_columns());
        let mut pages = vec![Vec::new(); columns.len()];
        for g in 0..md.num_row_groups() {
            for (k, &(_, leaf)) in columns.iter().enumerate() {
                let (offsets, firsts) = page_locations(reader, meta, g, leaf).ok()?;
                index.put_offset_index(offsets, g, leaf);
                pages[k].push(firsts);
            }
        }
        let leaves: Vec<usize> = columns.iter().map(|c| c.1).collect();
        let md = ParquetMetaDataBuilder::new(as_plain_bytes(md.file_metadata(), &leaves)?)
            .set_row_groups(md.row_groups().to_vec())
            .set_page_index(Some(Arc::new(index.build())))
            .build();
        let opts = ArrowReaderOptions::new().with_schema(as_bytes(meta.schema(), &columns));
        let meta = ArrowReaderMetadata::try_new(Arc::new(md), opts).ok()?;
        Some(FileCells {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            reader: reader.clone(),
            meta,
            columns,
            group_starts,
            pages,
            cache: Mutex::new(Vec::new()),
        })
    }

    /// The number of the kept column named `name`.
    pub fn kept(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|(n, _)| n == name)
    }

    /// The cell of kept column `k` at `row` of the file (the `TextRef` offset, without
    /// `KEPT`; files of 2^ROW_BITS rows or more keep nothing in the file).
    pub fn cell(k: usize, row: u64) -> u64 {
        ((k as u64) << ROW_BITS) | row
    }

    /// The cell of the bytes at `off` in the cell of the first kept column at `row` (of
    /// the file): a part of an MLflow `trace` cell, which one span's text is. `None` past
    /// 2^30 rows or 4 GiB cells.
    pub fn part_of_cell(row: u64, off: usize) -> Option<u64> {
        let off = u32::try_from(off).ok()?;
        (row >> PART_ROW_BITS == 0).then_some(PART | row << 32 | u64::from(off))
    }

    /// The decoded page of kept column `k` holding `row` (of the file), and the row's
    /// index in it.
    fn page_of(&self, k: usize, row: u64) -> io::Result<(Arc<ArrayRef>, usize)> {
        let bad = || io::Error::other("no such cell in the parquet file");
        let g = (self.group_starts.partition_point(|&s| s <= row)).checked_sub(1);
        let g = g.ok_or_else(bad)?;
        let in_group = row - self.group_starts[g];
        let firsts = self.pages.get(k).and_then(|p| p.get(g)).ok_or_else(bad)?;
        let p = firsts.partition_point(|&f| f <= in_group).checked_sub(1);
        let p = p.ok_or_else(bad)?;
        let page = self.page((k, g, p))?;
        Ok((page, (in_group - firsts[p]) as usize))
    }

    /// A decoded page: one this thread read lately, or from the shared cache, or the file.
    fn page(&self, key: PageKey) -> io::Result<Arc<ArrayRef>> {
        let recent = RECENT.with_borrow(|r| {
            let hit = r.iter().find(|(id, k, _)| (*id, *k) == (self.id, key));
            hit.map(|(_, _, page)| page.clone())
        });
        if let Some(page) = recent {
            return Ok(page);
        }
        let page = self.shared_page(key)?;
        RECENT.with_borrow_mut(|r| {
            r.insert(0, (self.id, key, page.clone()));
            r.truncate(RECENT_PAGES);
        });
        Ok(page)
    }

    fn shared_page(&self, key: PageKey) -> io::Result<Arc<ArrayRef>> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = cache.iter().position(|(k, _)| *k == key) {
            let hit = cache.remove(i);
            cache.insert(0, hit.clone());
            return Ok(hit.1);
        }
        drop(cache);
        // The parquet crate asserts on some damaged data (see `parquet::load`); a file
        // changed since it was loaded must not take the explorer down.
        let page = super::quiet::catch(|| self.decode(key)).unwrap_or_else(|msg| {
            Err(io::Error::other(format!(
                "the parquet page is damaged (row group {}, column {}): {msg}",
                key.1, self.columns[key.0].0
            )))
        })?;
        let page = Arc::new(page);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(0, (key, page.clone()));
        cache.truncate(CACHED);
        Ok(page)
    }

    /// Decodes the rows of one data page (the reader reads that page and its dictionary).
    fn decode(&self, (k, g, p): PageKey) -> io::Result<ArrayRef> {
        let firsts = &self.pages[k][g];
        let group_rows = self.meta.metadata().row_group(g).num_rows().max(0) as u64;
        let (first, end) = (firsts[p], firsts.get(p + 1).copied().unwrap_or(group_rows));
        let rows = (end - first) as usize;
        let select = RowSelection::from(vec![
            RowSelector::skip(first as usize),
            RowSelector::select(rows),
        ]);
        let mask = ProjectionMask::leaves(self.meta.parquet_schema(), [self.columns[k].1]);
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(
            self.reader.clone(),
            self.meta.clone(),
        )
        .with_row_groups(vec![g])
        .with_projection(mask)
        .with_row_selection(select)
        .with_batch_size(rows.max(1))
        .build()
        .map_err(io::Error::other)?;
        let mut arrays = Vec::new();
        for batch in reader {
            arrays.push(batch.map_err(io::Error::other)?.column(0).clone());
        }
        // One batch: its size is the page's rows.
        match arrays.len() {
            1 => Ok(arrays.swap_remove(0)),
            _ => Err(io::Error::other(
                "a parquet page did not decode as one batch",
            )),
        }
    }
}

impl std::fmt::Debug for FileCells {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.columns.iter().map(|(n, _)| n.as_str()).collect();
        write!(f, "FileCells({names:?})")
    }
}

impl crate::model::Cells for FileCells {
    fn with_bytes(&self, cell: u64, len: u32, f: &mut dyn FnMut(&[u8])) -> io::Result<()> {
        let (k, row, part) = match cell & PART {
            0 => (cell >> ROW_BITS, cell & ((1 << ROW_BITS) - 1), None),
            _ => (
                0,
                (cell & !PART) >> 32,
                Some((cell & u64::from(u32::MAX)) as usize),
            ),
        };
        let (page, i) = self.page_of(k as usize, row)?;
        let present = i < page.len() && !page.is_null(i);
        let whole = match page.as_binary_view_opt() {
            Some(b) if present => b.value(i),
            _ => &[],
        };
        let bytes = match part {
            None => Some(whole),
            Some(off) => off
                .checked_add(len as usize)
                .and_then(|end| whole.get(off..end)),
        };
        let bytes = bytes.unwrap_or_default();
        if bytes.len() != len as usize {
            return Err(io::Error::other(
                "the parquet file changed since it was loaded",
            ));
        }
        f(bytes);
        Ok(())
    }
}

/// The file's metadata with the kept columns as plain byte arrays, not text: arrow then
/// reads them as bytes, without checking their UTF-8 again. PERF: the load checked it,
/// and checking it at every read was a tenth of an exact search. (Only this private
/// copy changes; the file is never written.)
fn as_plain_bytes(fm: &FileMetaData, leaves: &[usize]) -> Option<FileMetaData> {
    let descr = fm.schema_descr();
    let root = descr.root_schema();
    let names: Vec<String> = leaves
        .iter()
        .map(|&l| descr.column(l).name().to_owned())
        .collect();
    let fields: Vec<TypePtr> = (root.get_fields().iter())
        .map(|f| {
            let info = f.get_basic_info();
            if !f.is_primitive() || !names.iter().any(|n| n == info.name()) {
                return Ok(f.clone());
            }
            let b = Type::primitive_type_builder(info.name(), PhysicalType::BYTE_ARRAY)
                .with_repetition(info.repetition())
                .with_id(info.has_id().then(|| info.id()));
            b.build().map(Arc::new)
        })
        .collect::<parquet::errors::Result<_>>()
        .ok()?;
    let root = Type::group_type_builder(root.name())
        .with_fields(fields)
        .build()
        .ok()?;
    Some(FileMetaData::new(
        fm.version(),
        fm.num_rows(),
        fm.created_by().map(str::to_owned),
        fm.key_value_metadata().cloned(),
        Arc::new(SchemaDescriptor::new(Arc::new(root))),
        fm.column_orders().cloned(),
    ))
}

/// The arrow schema with the kept columns read as bytes (see `as_plain_bytes`).
fn as_bytes(schema: &SchemaRef, columns: &[(String, usize)]) -> SchemaRef {
    let kept = |f: &Field| columns.iter().any(|(n, _)| n == f.name());
    let fields: Vec<Field> = (schema.fields().iter())
        .map(|f| match kept(f) {
            true => f.as_ref().clone().with_data_type(DataType::BinaryView),
            false => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// Name and leaf index of the top-level columns among `names` whose cells are long on
/// average.
fn long_columns(meta: &ArrowReaderMetadata, names: &[&str]) -> Vec<(String, usize)> {
    let descr = meta.metadata().file_metadata().schema_descr();
    (0..descr.num_columns())
        .filter_map(|leaf| match descr.column(leaf).path().parts() {
            [name] if names.contains(&name.as_str()) && long(meta, leaf) => {
                Some((name.clone(), leaf))
            }
            _ => None,
        })
        .collect()
}

/// The first row (in the file) of each row group.
fn group_starts(md: &parquet::file::metadata::ParquetMetaData) -> Vec<u64> {
    let mut rows = 0u64;
    let rows_before = |rg: &parquet::file::metadata::RowGroupMetaData| {
        let first = rows;
        rows += rg.num_rows().max(0) as u64;
        first
    };
    md.row_groups().iter().map(rows_before).collect()
}

/// Whether a column's cells are long on average: uncompressed bytes per row (which
/// counts each value's 4-byte length too), or the text's own bytes per row where the
/// footer records them (its size statistics).
///
/// PERF: a dictionary-encoded column is small in the file however long its values are:
/// Phoenix `input.value`/`output.value` of 230 bytes a row measured 0.4 bytes a row
/// uncompressed, were held, and were half of the 1 GB held at 1M spans.
fn long(meta: &ArrowReaderMetadata, leaf: usize) -> bool {
    let md = meta.metadata();
    let rows: i64 = md.row_groups().iter().map(|g| g.num_rows()).sum();
    let bytes: i64 = (md.row_groups().iter())
        .map(|g| g.column(leaf).uncompressed_size())
        .sum();
    let text: i64 = (md.row_groups().iter())
        .map(|g| {
            g.column(leaf)
                .unencoded_byte_array_data_bytes()
                .unwrap_or(0)
        })
        .sum();
    rows > 0 && bytes.max(text) / rows >= LONG as i64
}

/// The offset index of one column chunk, and the first row of each data page, read from
/// the page headers.
fn page_locations(
    reader: &Reader,
    meta: &ArrowReaderMetadata,
    g: usize,
    leaf: usize,
) -> parquet::errors::Result<(
    parquet::file::page_index::offset_index::OffsetIndexMetaData,
    Vec<u64>,
)> {
    let rg = meta.metadata().row_group(g);
    let chunk = rg.column(leaf);
    let (start, len) = chunk.byte_range();
    let noting = Arc::new(Noting {
        inner: reader.clone(),
        reads: Mutex::new(Vec::new()),
    });
    let rows = rg.num_rows().max(0) as usize;
    let mut pages = SerializedPageReader::new(noting.clone(), chunk, rows, None)?;
    let mut found: Vec<(u64, u64)> = Vec::new();
    while let Some(page) = pages.peek_next_page()? {
        let at = noting.last();
        if !page.is_dict {
            // Top-level columns have one level per row.
            let n = page.num_rows.or(page.num_levels).unwrap_or(0) as u64;
            found.push((at, n));
        }
        pages.skip_next_page()?;
    }
    let mut index = OffsetIndexBuilder::new();
    let mut firsts = Vec::with_capacity(found.len());
    let mut row = 0u64;
    for (i, &(at, n)) in found.iter().enumerate() {
        let end = found.get(i + 1).map_or(start + len, |next| next.0);
        index.append_offset_and_size(at as i64, (end - at) as i32);
        index.append_row_count(n as i64);
        firsts.push(row);
        row += n;
    }
    if row != rows as u64 {
        return Err(parquet::errors::ParquetError::General(
            "page rows do not add up".into(),
        ));
    }
    Ok((index.build(), firsts))
}

/// A reader that notes where each read stream starts: the page reader opens one for each
/// page header.
struct Noting {
    inner: Reader,
    reads: Mutex<Vec<u64>>,
}

impl Noting {
    fn last(&self) -> u64 {
        let reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
        reads.last().copied().unwrap_or(0)
    }
}

impl Length for Noting {
    fn len(&self) -> u64 {
        self.inner.len()
    }
}

impl ChunkReader for Noting {
    type T = <Reader as ChunkReader>::T;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        let mut reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
        reads.push(start);
        drop(reads);
        self.inner.get_read(start)
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        self.inner.get_bytes(start, length)
    }
}
