//! spanlens: the terminal UI and the command line over `spanlens-core`.
//!
//! The model, loaders, search, diff, statistics and feedback live in the `spanlens-core`
//! crate and are re-exported here under their old paths; this crate adds the explorer
//! (`tui`) and the commands (`cli`).
#![forbid(unsafe_code)]

pub mod cli;
pub mod tui;

pub use spanlens_core::{diff, feedback, inert, load, memory, model, search, stats, timing};
