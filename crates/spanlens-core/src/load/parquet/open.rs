//! Opening a parquet file: its bytes (mapped, held, or read by position), its footer
//! checked against the file's length before the arrow reader trusts it, and text columns
//! read as string views.

use crate::load::input::Input;
use bytes::Bytes;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::reader::{ChunkReader, Length};
use std::sync::Arc;

/// A reader over the file (re-read by position) or the in-memory bytes (stdin, gzip),
/// and the file's metadata.
pub(super) fn open(input: &Input) -> Result<(Reader, ArrowReaderMetadata), String> {
    let file = |f: &std::fs::File| {
        f.try_clone()
            .map(|f| Reader::File(Arc::new(f)))
            .map_err(|e| format!("cannot read parquet: {e}"))
    };
    let reader = match input {
        Input::File { file: f, .. } => file(f)?,
        Input::Memory { bytes, .. } => Reader::Memory(Bytes::from_owner(Shared(bytes.clone()))),
        // Parquet starts at its footer: wait for the whole file.
        Input::Spool { file: f, spool, .. } => {
            spool.total().map_err(|e| format!("cannot read: {e}"))?;
            file(f)?
        }
    };
    let unreadable = |e| format!("not a readable parquet file: {e}");
    let meta = ArrowReaderMetadata::load(&reader, ArrowReaderOptions::new()).map_err(unreadable)?;
    // A file whose text columns cannot be read as views is read as it was written.
    let views = as_views(meta.schema()).and_then(|views| {
        let opts = ArrowReaderOptions::new().with_schema(views);
        ArrowReaderMetadata::try_new(meta.metadata().clone(), opts).ok()
    });
    Ok((reader, views.unwrap_or(meta)))
}

/// The schema with its top-level text columns read as string views, when it has any.
///
/// PERF: a view points into the decompressed page, where a plain string array copies
/// every value into a new buffer first: at 1M spans that was 1.5 GB copied, and as many
/// fresh pages zeroed by the kernel.
pub(super) fn as_views(schema: &arrow_schema::SchemaRef) -> Option<arrow_schema::SchemaRef> {
    use arrow_schema::{DataType, Field, Schema};
    let is_text = |f: &Field| matches!(f.data_type(), DataType::Utf8 | DataType::LargeUtf8);
    if !schema.fields().iter().any(|f| is_text(f)) {
        return None;
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match is_text(f) {
            true => f.as_ref().clone().with_data_type(DataType::Utf8View),
            false => f.as_ref().clone(),
        })
        .collect();
    Some(Arc::new(Schema::new_with_metadata(
        fields,
        schema.metadata().clone(),
    )))
}

/// What the footer says must agree with the file: row counts add up, and every column
/// chunk (and its page index) lies between the leading magic and the footer, its
/// dictionary before its data. The reader asserts on these instead of failing, or reads
/// past the end; each is an error naming the row group and column.
pub(super) fn check_metadata(meta: &ParquetMetaData, len: u64) -> Result<(), String> {
    let bad = |g: usize, col: &str, what: &str| {
        format!("not a readable parquet file: row group {g}, column {col:?}: {what}")
    };
    // "PAR1" at the start; the footer's length and "PAR1" at the end.
    let (first, last) = (4u64, len.saturating_sub(8));
    let mut rows = 0i64;
    for (g, rg) in meta.row_groups().iter().enumerate() {
        if rg.num_rows() < 0 {
            return Err(format!(
                "not a readable parquet file: row group {g} has {} rows",
                rg.num_rows()
            ));
        }
        rows = rows.saturating_add(rg.num_rows());
        for col in rg.columns() {
            let name = col.column_path().string();
            let data = col.data_page_offset();
            let start = col.dictionary_page_offset().unwrap_or(data);
            let size = col.compressed_size();
            let inside = |at: i64, n: i64| {
                at >= first as i64 && n >= 0 && (at as u64).saturating_add(n as u64) <= last
            };
            if !inside(start, size) || data < start || !inside(data, 0) {
                return Err(bad(g, &name, "lies outside the file"));
            }
            if col.num_values() < 0 || (col.num_values() > 0 && size == 0) {
                return Err(bad(g, &name, "its value count and size disagree"));
            }
            let index = [
                (col.offset_index_offset(), col.offset_index_length()),
                (col.column_index_offset(), col.column_index_length()),
            ];
            for (at, n) in index {
                if let (Some(at), Some(n)) = (at, n)
                    && !(at >= 0 && n >= 0 && (at as u64).saturating_add(n as u64) <= len)
                {
                    return Err(bad(g, &name, "its page index lies outside the file"));
                }
            }
        }
    }
    let declared = meta.file_metadata().num_rows();
    if rows != declared {
        return Err(format!(
            "not a readable parquet file: the footer says {declared} rows, its row groups hold {rows}"
        ));
    }
    Ok(())
}

/// In-memory bytes shared with the input, without a copy.
pub(super) struct Shared(Arc<Vec<u8>>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Either kind of parquet source, as one `ChunkReader`. Files are read by position:
/// pages of kept cells are read from several threads.
#[derive(Clone)]
pub(super) enum Reader {
    File(Arc<std::fs::File>),
    Memory(Bytes),
}

impl Length for Reader {
    fn len(&self) -> u64 {
        match self {
            Reader::File(f) => Length::len(&**f),
            Reader::Memory(b) => Length::len(b),
        }
    }
}

impl ChunkReader for Reader {
    type T = Box<dyn std::io::Read>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(match self {
            Reader::File(f) => Box::new(At {
                file: f.clone(),
                pos: start,
            }),
            Reader::Memory(b) => Box::new(b.get_read(start)?),
        })
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        match self {
            Reader::File(f) => {
                use std::os::unix::fs::FileExt;
                let mut buf = vec![0; length];
                f.read_exact_at(&mut buf, start)?;
                Ok(buf.into())
            }
            Reader::Memory(b) => b.get_bytes(start, length),
        }
    }
}

/// Reads a file from a position, without moving the offset the file's handles share.
pub(super) struct At {
    file: Arc<std::fs::File>,
    pos: u64,
}

impl std::io::Read for At {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}
