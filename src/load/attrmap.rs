//! A bare attribute map (GenAI / OpenInference test fixtures) read as one span. (In progress.)

use super::Sink;
use super::json::Ctx;
use serde_json::value::RawValue;

pub fn load(sink: &mut Sink, ctx: &Ctx, raw: &RawValue, _seq: u64) {
    sink.batch.diag(
        ctx.path,
        ctx.line_of(raw),
        "attribute maps are not supported yet",
    );
}
