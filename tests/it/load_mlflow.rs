//! Tests for the mlflow loader.
