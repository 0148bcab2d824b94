//! MLflow traces. (In progress.)

use super::Sink;
use super::format::Format;
use super::json::Ctx;
use crate::model::FileLoad;
use serde_json::value::RawValue;
use std::path::Path;

pub fn load(fmt: Format, sink: &mut Sink, ctx: &Ctx, raw: &RawValue, _seq: u64) {
    sink.batch.diag(
        ctx.path,
        ctx.line_of(raw),
        format!("{} is not supported yet", fmt.name()),
    );
}

pub fn load_dir(_dir: &Path) -> Result<FileLoad, String> {
    Err("MLflow directories are not supported yet".into())
}
