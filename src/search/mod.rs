//! Search over spans: a small query language, fuzzy, exact and regex matching over names,
//! tool calls, prompts, outputs and attributes, and filters that narrow the tree.
//! Nothing here imports the UI; the matcher itself is isolated in `matcher`.

pub mod engine;
pub mod fields;
pub mod matcher;
pub mod query;

pub use engine::{Found, Hit, Scope, run};
pub use query::{FieldKind, Query};
