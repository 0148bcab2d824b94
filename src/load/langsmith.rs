//! LangSmith runs and `{post, patch}` ingestion batches. (In progress.)

use super::Sink;
use super::json::Ctx;
use serde_json::value::RawValue;

pub fn load(sink: &mut Sink, ctx: &Ctx, raw: &RawValue, _seq: u64) {
    sink.batch
        .diag(ctx.path, ctx.line_of(raw), "langsmith is not supported yet");
}
