//! A Phoenix `get_spans_dataframe()`-style table as parquet: the DataFrame's core columns
//! and the OpenInference attribute columns an LLM app has, written in bounded record
//! batches and row groups of 64K rows.
//!
//! `ArrowWriter` needs `Write + Send`, which `&mut dyn Write` is not, so it writes into a
//! `Vec` that is drained into the output after every batch (the writer counts positions
//! itself, so draining does not disturb the file's offsets).

use super::content::{View, json_escape};
use super::otlp::docs_json;
use super::plan::{Kind, NONE};
use super::rng::mix;
use super::{GenOptions, Plans, chatjson};
use arrow_array::builder::{
    Float64Builder, LargeStringBuilder, StringBuilder, TimestampNanosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::io::{self, Write};
use std::sync::Arc;

const BATCH: usize = 8_192;
const ROW_GROUP: usize = 65_536;

fn schema() -> SchemaRef {
    let ts = DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()));
    let s = |n: &str, null| Field::new(n, DataType::Utf8, null);
    let big = |n: &str| Field::new(n, DataType::LargeUtf8, true);
    let f = |n: &str| Field::new(n, DataType::Float64, true);
    Arc::new(Schema::new(vec![
        s("name", false),
        s("span_kind", false),
        s("parent_id", true),
        Field::new("start_time", ts.clone(), false),
        Field::new("end_time", ts, false),
        s("status_code", false),
        s("status_message", false),
        s("context.span_id", false),
        s("context.trace_id", false),
        big("attributes.input.value"),
        big("attributes.output.value"),
        s("attributes.llm.model_name", true),
        f("attributes.llm.token_count.prompt"),
        f("attributes.llm.token_count.completion"),
        f("attributes.llm.token_count.total"),
        s("attributes.tool.name", true),
        s("attributes.openinference.span.kind", false),
    ]))
}

/// Column builders for one record batch.
struct Cols {
    name: StringBuilder,
    kind: StringBuilder,
    parent: StringBuilder,
    start: TimestampNanosecondBuilder,
    end: TimestampNanosecondBuilder,
    status: StringBuilder,
    message: StringBuilder,
    span_id: StringBuilder,
    trace_id: StringBuilder,
    input: LargeStringBuilder,
    output: LargeStringBuilder,
    model: StringBuilder,
    prompt: Float64Builder,
    completion: Float64Builder,
    total: Float64Builder,
    tool: StringBuilder,
    oi_kind: StringBuilder,
    rows: usize,
}

impl Cols {
    fn new() -> Self {
        Cols {
            name: StringBuilder::new(),
            kind: StringBuilder::new(),
            parent: StringBuilder::new(),
            start: TimestampNanosecondBuilder::new().with_timezone("UTC"),
            end: TimestampNanosecondBuilder::new().with_timezone("UTC"),
            status: StringBuilder::new(),
            message: StringBuilder::new(),
            span_id: StringBuilder::new(),
            trace_id: StringBuilder::new(),
            input: LargeStringBuilder::new(),
            output: LargeStringBuilder::new(),
            model: StringBuilder::new(),
            prompt: Float64Builder::new(),
            completion: Float64Builder::new(),
            total: Float64Builder::new(),
            tool: StringBuilder::new(),
            oi_kind: StringBuilder::new(),
            rows: 0,
        }
    }

    fn finish(&mut self, schema: &SchemaRef) -> io::Result<RecordBatch> {
        self.rows = 0;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.name.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.parent.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.end.finish()),
            Arc::new(self.status.finish()),
            Arc::new(self.message.finish()),
            Arc::new(self.span_id.finish()),
            Arc::new(self.trace_id.finish()),
            Arc::new(self.input.finish()),
            Arc::new(self.output.finish()),
            Arc::new(self.model.finish()),
            Arc::new(self.prompt.finish()),
            Arc::new(self.completion.finish()),
            Arc::new(self.total.finish()),
            Arc::new(self.tool.finish()),
            Arc::new(self.oi_kind.finish()),
        ];
        RecordBatch::try_new(schema.clone(), cols).map_err(io::Error::other)
    }
}

pub fn write(_opts: &GenOptions, plans: &mut Plans, out: &mut dyn Write) -> io::Result<()> {
    let schema = schema();
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP))
        .set_max_row_group_bytes(Some(256 << 20))
        .set_created_by("spanlens gen-traces".to_owned())
        .build();
    let mut w =
        ArrowWriter::try_new(Vec::new(), schema.clone(), Some(props)).map_err(io::Error::other)?;
    let spice = plans.spice();
    let mut cols = Cols::new();
    for plan in plans.by_ref() {
        let v = View::new(&plan, spice);
        let trace = plan.trace_hex();
        for i in 0..plan.len() {
            row(&mut cols, &v, i, &trace);
            if cols.rows == BATCH {
                w.write(&cols.finish(&schema)?).map_err(io::Error::other)?;
                drain(&mut w, out)?;
            }
        }
    }
    if cols.rows > 0 {
        w.write(&cols.finish(&schema)?).map_err(io::Error::other)?;
    }
    w.finish().map_err(io::Error::other)?;
    drain(&mut w, out)
}

fn drain(w: &mut ArrowWriter<Vec<u8>>, out: &mut dyn Write) -> io::Result<()> {
    let bytes = std::mem::take(w.inner_mut());
    out.write_all(&bytes)
}

/// Phoenix stores microseconds.
fn micros(ns: i64) -> i64 {
    ns - ns.rem_euclid(1_000)
}

fn row(c: &mut Cols, v: &View, i: usize, trace: &str) {
    let p = v.plan;
    let n = &p.nodes[i];
    c.rows += 1;
    c.name.append_value(v.func_name(i));
    c.kind.append_value(n.kind.label());
    c.oi_kind.append_value(n.kind.label());
    match n.parent {
        NONE => c.parent.append_null(),
        par => c.parent.append_value(p.span_hex(par as usize)),
    }
    c.start.append_value(micros(p.start[i]));
    c.end.append_value(micros(p.end[i]));
    match v.error(i) {
        Some(e) => {
            c.status.append_value("ERROR");
            c.message.append_value(e.status());
        }
        None => {
            c.status.append_value("OK");
            c.message.append_value("");
        }
    }
    c.span_id.append_value(p.span_hex(i));
    c.trace_id.append_value(trace);
    let (input, output) = io(v, i);
    c.input.append_option(input);
    c.output.append_option(output);
    let llm = n.kind == Kind::Llm;
    c.model.append_option(llm.then(|| v.model(i).1));
    let ok = llm && !n.failed();
    c.prompt.append_option(ok.then_some(f64::from(n.in_tokens)));
    c.completion
        .append_option(ok.then_some(f64::from(n.out_tokens)));
    c.total
        .append_option(ok.then_some(f64::from(n.in_tokens + n.out_tokens)));
    c.tool
        .append_option((n.kind == Kind::Tool).then(|| v.tool_name(i)));
}

/// `input.value` and `output.value` as the OpenInference instrumentors write them.
fn io(v: &View, i: usize) -> (Option<String>, Option<String>) {
    let n = &v.plan.nodes[i];
    let ok = !n.failed();
    match n.kind {
        Kind::Agent => (Some(v.agent_input(i)), Some(v.outcome(i))),
        Kind::Chain => {
            let (a, b) = v.chain_io(i);
            (Some(a), Some(b))
        }
        Kind::Llm => {
            let chat = v.chat(i);
            let model = v.model(i).1;
            let mut input = String::new();
            chatjson::openai_request(&mut input, model, chat.system, &chat.input, chat.tools);
            let output = chat.output.as_ref().map(|m| {
                let mut s = String::new();
                let id = format!("chatcmpl-{:016x}", mix(n.seed));
                chatjson::openai_response(
                    &mut s,
                    model,
                    &id,
                    m,
                    chat.finish,
                    (n.in_tokens, n.out_tokens),
                );
                s
            });
            (Some(input), output)
        }
        Kind::Tool => (Some(v.tool_args(i)), ok.then(|| v.tool_result(i))),
        Kind::Retriever => {
            let out = ok.then(|| {
                let mut s = String::new();
                docs_json(&mut s, &v.docs(i), true);
                s
            });
            (Some(v.question()), out)
        }
        Kind::Embedding => {
            let text = v.embed_input(i);
            (
                Some(format!("{{\"input\": [\"{}\"]}}", json_escape(&text))),
                None,
            )
        }
    }
}
