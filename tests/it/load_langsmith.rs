//! Tests for the langsmith loader.
