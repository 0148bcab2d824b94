//! Tests for the parquet loader.
