//! Search over spans: a small query language, fuzzy, exact and regex matching over names,
//! tool calls, prompts, outputs and attributes, and filters that narrow the tree.
//! Nothing here imports the UI; the matcher itself is isolated in `matcher`.

pub mod assess;
pub mod byte_index;
pub mod engine;
pub mod fields;
pub mod matcher;
pub mod query;
mod raw_expand;
mod raw_scan;
mod short_fields;
mod tracemeta;

pub use byte_index::Index;
pub use engine::{Found, Hit, Job, Scope, Strategy, run, run_using};
pub use query::{FieldKind, Query, QueryError};
