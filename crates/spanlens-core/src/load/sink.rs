//! Where loaders put what they read: a batch of spans, and an arena for text they have to
//! synthesise; and how a file's batches and arenas become its `FileLoad`.

use super::in_input::InputCells;
use super::input::Input;
use crate::model::{Batch, Cells, FileLoad, Source, SourceData};
use std::sync::Arc;

/// Where a loader writes spans, and text it has to synthesise (unescaped JSON held in a
/// string, merged records): the arena becomes source `src` of the file (1, or one source
/// per part when parts of a file are loaded in parallel).
pub struct Sink {
    pub batch: Batch,
    pub arena: Vec<u8>,
    /// The source index text references into `arena` use.
    pub src: u16,
    /// Where references marked `KEPT` point: cells left in the input file.
    pub cells: Option<Arc<dyn Cells>>,
    /// References marked `KEPT` name escaped text in the input (`in_input`); the cells
    /// that read them are made when the file's sources are (they need the input).
    pub in_input: bool,
}

impl Default for Sink {
    fn default() -> Self {
        Sink {
            batch: Batch::default(),
            arena: Vec::new(),
            src: ARENA_SRC,
            cells: None,
            in_input: false,
        }
    }
}

/// Source index of a file's arena.
pub const ARENA_SRC: u16 = 1;

impl Sink {
    /// Appends text to the arena, returning its offset.
    pub fn stash(&mut self, text: &[u8]) -> u64 {
        let off = self.arena.len() as u64;
        self.arena.extend_from_slice(text);
        off
    }

    pub(crate) fn into_load(self, input: &Input, format: String, batches: Vec<Batch>) -> FileLoad {
        self.assemble(input, format, batches, Vec::new())
    }

    /// Like `into_load`, for a file loaded in parts: part `i` must have used source
    /// `ARENA_SRC + 1 + i`, so this sink's arena is kept (even empty) to hold number 1.
    pub(crate) fn into_load_parts(
        self,
        input: &Input,
        format: String,
        parts: Vec<Sink>,
    ) -> FileLoad {
        self.assemble(input, format, Vec::new(), parts)
    }

    /// The file's sources (the input, this sink's arena, each part's arena) and batches.
    fn assemble(
        self,
        input: &Input,
        format: String,
        mut batches: Vec<Batch>,
        mut parts: Vec<Sink>,
    ) -> FileLoad {
        // Parts were loaded apart: a loader's once-per-run note must not repeat at each.
        super::phoenix::join_annotation_runs(&mut parts);
        let cells_of = |sink_cells: Option<Arc<dyn Cells>>, in_input: bool| match sink_cells {
            None if in_input => {
                Some(Arc::new(InputCells::new(input.source().data)) as Arc<dyn Cells>)
            }
            cells => cells,
        };
        let memory = |arena: Vec<u8>, cells: Option<Arc<dyn Cells>>| Source {
            path: input.path().to_owned(),
            data: match cells {
                Some(cells) => SourceData::Kept {
                    arena: Arc::new(arena),
                    cells,
                },
                None => SourceData::Memory(Arc::new(arena)),
            },
        };
        let mut sources = crate::model::Sources::default();
        sources.add(input.source());
        if !self.arena.is_empty() || !parts.is_empty() || self.in_input {
            sources.add(memory(self.arena, cells_of(self.cells, self.in_input)));
        }
        for (i, part) in parts.into_iter().enumerate() {
            debug_assert_eq!(part.src as usize, ARENA_SRC as usize + 1 + i);
            sources.add(memory(part.arena, cells_of(part.cells, part.in_input)));
            batches.push(part.batch);
        }
        batches.push(self.batch);
        FileLoad {
            path: input.display(),
            format,
            sources,
            batches,
            // A trace shown while a compressed file loads must not wait for all of it.
            bytes: input.len_so_far(),
        }
    }
}
