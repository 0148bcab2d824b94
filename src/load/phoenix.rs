//! Phoenix exports: `get_spans_dataframe()` rows, REST `/spans`, REST `/spans/otlpv1`, and
//! span annotations. (In progress: being written.)

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
