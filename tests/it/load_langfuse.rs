//! Tests for the langfuse loader.
