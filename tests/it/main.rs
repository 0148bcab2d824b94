//! Integration tests, in one binary to keep link time down on a 2-core machine.

mod common;
mod corpus;
mod detail;
mod diff;
mod load_console;
mod load_langfuse;
mod load_langsmith;
mod load_mlflow;
mod load_otlp;
mod load_parquet;
mod load_phoenix;
mod loading;
mod parquet_cells;
mod recovery;
mod robustness;
mod scale;
mod search;
mod synth;
mod tui_e2e;
mod tui_keys;
mod tui_render;
