//! spanlens-core: load exported LLM and agent traces into one model, search and diff them.
//!
//! Nothing here imports the terminal UI (the `spanlens` crate holds it), so the layers are
//! enforced by the compiler. `unsafe` is denied everywhere but `memory`, which owns memory
//! mapping, `madvise` and the one parallel copy into fresh memory.
#![deny(unsafe_code)]

pub mod diff;
pub mod feedback;
pub mod inert;
pub mod load;
pub mod memory;
pub mod model;
mod runs;
pub mod search;
pub mod stats;
pub mod timing;
