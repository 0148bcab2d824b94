//! Tests for the phoenix loader.
