//! spanlens: load exported LLM and agent traces into one model and explore them.
//!
//! `model` and `load` never import the UI; the terminal UI lives in `tui`.

pub mod cli;
pub mod diff;
pub mod inert;
pub mod load;
pub mod model;
pub mod search;
pub mod stats;
pub mod synth;
pub mod timing;
pub mod tui;
