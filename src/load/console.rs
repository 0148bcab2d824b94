//! OTel Python `ConsoleSpanExporter` output and OTel JS `ReadableSpan` dumps. (In progress.)

use super::Sink;
use super::format::Format;
use super::json::Ctx;
use serde_json::value::RawValue;

pub fn load(fmt: Format, sink: &mut Sink, ctx: &Ctx, raw: &RawValue, _seq: u64) {
    sink.batch.diag(
        ctx.path,
        ctx.line_of(raw),
        format!("{} is not supported yet", fmt.name()),
    );
}
