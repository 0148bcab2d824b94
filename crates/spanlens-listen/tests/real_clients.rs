//! The Rust OpenTelemetry SDK's own OTLP exporter (HTTP protobuf, HTTP JSON, gzip) sends
//! spans with attributes to the receiver on an OS-chosen loopback port; every span must
//! come out with its attributes in the save file (loaded by spanlens) and in the live
//! state (the lines the receiver handed on, pushed into a `LiveLoad`).

mod common;

use common::*;
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span as _, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry_otlp::{Compression, Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use spanlens_core::load::live::LiveLoad;
use spanlens_core::model::{SpanIx, TraceSet};
use std::collections::BTreeMap;

const SPANS: usize = 40;

/// Sends `SPANS` spans (parents and children, four attribute types) through a batch
/// processor; returns each span's id with the `call.index` it carries.
fn send_with_sdk(endpoint: &str, protocol: Protocol, gzip: bool) -> BTreeMap<String, i64> {
    let mut builder = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(protocol)
        .with_endpoint(endpoint);
    if gzip {
        builder = builder.with_compression(Compression::Gzip);
    }
    let exporter = builder.build().expect("an exporter");
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .build();
    let tracer = provider.tracer("spanlens-test");
    let mut sent = BTreeMap::new();
    for i in 0..SPANS / 2 {
        tracer.in_span(format!("agent step {i}"), |cx| {
            let parent = cx.span();
            parent.set_attribute(KeyValue::new("call.index", (2 * i) as i64));
            parent.set_attribute(KeyValue::new("llm.model", "gpt-test"));
            sent.insert(parent.span_context().span_id().to_string(), (2 * i) as i64);
            let mut child = tracer.start_with_context("tool call", &cx);
            child.set_attribute(KeyValue::new("call.index", (2 * i + 1) as i64));
            child.set_attribute(KeyValue::new("tool.ok", i % 2 == 0));
            child.set_attribute(KeyValue::new("tool.score", 0.5));
            child.set_attribute(KeyValue::new("tool.input", format!("q{i} \"é\"\n")));
            sent.insert(
                child.span_context().span_id().to_string(),
                (2 * i + 1) as i64,
            );
            child.end();
        });
    }
    provider.force_flush().expect("flushed");
    provider.shutdown().expect("shut down");
    sent
}

/// Every sent span is in `set` once, with its attributes.
fn assert_all_there(set: &TraceSet, sent: &BTreeMap<String, i64>, where_: &str) {
    assert_eq!(set.spans.len(), sent.len(), "{where_}: span count");
    for i in 0..set.spans.len() {
        let ix = SpanIx(i as u32);
        let id = set.span_id(ix);
        let want = sent
            .get(id)
            .unwrap_or_else(|| panic!("{where_}: unknown span {id}"));
        assert_eq!(
            set.attr_value(ix, "call.index").unwrap(),
            *want,
            "{where_}: {id}"
        );
        if want % 2 == 1 {
            let n = want / 2;
            assert_eq!(set.attr_value(ix, "tool.ok").unwrap(), n % 2 == 0);
            assert_eq!(set.attr_value(ix, "tool.score").unwrap(), 0.5);
            assert_eq!(
                set.attr_value(ix, "tool.input").unwrap(),
                format!("q{n} \"é\"\n")
            );
            assert_eq!(set.span_name(ix), "tool call");
        } else {
            assert_eq!(set.attr_value(ix, "llm.model").unwrap(), "gpt-test");
        }
    }
    let with_parent = set
        .spans
        .iter()
        .filter(|s| s.parent != spanlens_core::model::span::NO_PARENT)
        .count();
    assert_eq!(
        with_parent,
        sent.len() / 2,
        "{where_}: children linked to parents"
    );
}

fn round_trip(protocol: Protocol, gzip: bool) {
    let run = start(config());
    let endpoint = format!("http://{}/v1/traces", run.addr);
    let sent = send_with_sdk(&endpoint, protocol, gzip);
    assert_eq!(sent.len(), SPANS);
    let counts = run.receiver.counts().snapshot();
    assert_eq!(
        (counts.spans, counts.rejected, counts.failed),
        (SPANS as u64, 0, 0)
    );
    assert_all_there(&load(&run.path), &sent, "save file");
    let mut live = LiveLoad::new("OTLP receiver", None);
    for line in run.lines.lock().unwrap().iter() {
        live.push_lines(line.clone());
    }
    assert_all_there(&live.snapshot(), &sent, "live state");
}

#[test]
fn sdk_exporter_http_protobuf() {
    round_trip(Protocol::HttpBinary, false);
}

#[test]
fn sdk_exporter_http_json() {
    round_trip(Protocol::HttpJson, false);
}

#[test]
fn sdk_exporter_http_protobuf_gzip() {
    round_trip(Protocol::HttpBinary, true);
}
