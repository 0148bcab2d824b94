//! Parquet exports (MLflow `search_traces`, Phoenix spans and annotations). (In progress.)

use super::format::Format;
use super::input::Input;
use crate::model::FileLoad;

pub fn load(_input: &Input, _format: Option<Format>) -> Result<FileLoad, String> {
    Err("parquet files are not supported yet".into())
}
