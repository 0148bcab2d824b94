//! Tests for the console loader.
