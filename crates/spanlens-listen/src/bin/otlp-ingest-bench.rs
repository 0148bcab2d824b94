//! Sustained OTLP/HTTP protobuf ingest: a receiver with a save file, and client threads
//! on keep-alive connections sending requests of 512 spans (5 attributes each, distinct
//! ids) as fast as they are acknowledged. Prints spans/s accepted.
//!
//! `cargo run --release -p spanlens-listen --bin otlp-ingest-bench -- [REQUESTS] [CLIENTS]
//! [ADDR]` (defaults 600 and 3). The save file goes to the temp directory and is removed.
//! With ADDR the requests go to a receiver already running there (`spanlens listen`)
//! instead, e.g. to time keys in the live view while it ingests.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use spanlens_listen::{Config, Receiver, SaveFile};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Instant;

const SPANS_PER_REQUEST: u64 = 512;

fn attr(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

/// Request `n`: one trace of 512 spans, a root and its children.
fn body(n: u64) -> Vec<u8> {
    let trace_id = [n.to_be_bytes(), 1u64.to_be_bytes()].concat();
    let spans = (0..SPANS_PER_REQUEST)
        .map(|i| Span {
            trace_id: trace_id.clone(),
            span_id: (n * SPANS_PER_REQUEST + i + 1).to_be_bytes().to_vec(),
            parent_span_id: if i == 0 {
                vec![]
            } else {
                (n * SPANS_PER_REQUEST + 1).to_be_bytes().to_vec()
            },
            name: format!("llm call {i}"),
            kind: 3,
            start_time_unix_nano: 1_700_000_000_000_000_000 + i * 1000,
            end_time_unix_nano: 1_700_000_000_000_000_000 + i * 1000 + 900,
            attributes: vec![
                attr(
                    "gen_ai.request.model",
                    Value::StringValue("gpt-4o-mini".into()),
                ),
                attr("gen_ai.usage.input_tokens", Value::IntValue(120)),
                attr("gen_ai.usage.output_tokens", Value::IntValue(40)),
                attr(
                    "input.value",
                    Value::StringValue(format!("What is the weather in city {i}?")),
                ),
                attr("llm.ok", Value::BoolValue(true)),
            ],
            ..Default::default()
        })
        .collect();
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    prost::Message::encode_to_vec(&req)
}

/// Sends `count` requests on one keep-alive connection; every answer must be 200.
fn client(addr: SocketAddr, first: u64, count: u64) {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    for n in first..first + count {
        let b = body(n);
        let head = format!(
            "POST /v1/traces HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
            b.len()
        );
        writer.write_all(head.as_bytes()).expect("send head");
        writer.write_all(&b).expect("send body");
        let mut status = String::new();
        reader.read_line(&mut status).expect("status line");
        assert!(status.starts_with("HTTP/1.1 200"), "request {n}: {status}");
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().expect("length");
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).expect("body");
    }
}

/// Sends `requests` requests from `clients` threads to `addr`; returns the seconds taken.
fn send_all(addr: SocketAddr, requests: u64, clients: u64) -> f64 {
    let per = requests / clients;
    let t = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|c| std::thread::spawn(move || client(addr, c * per, per)))
        .collect();
    for h in handles {
        h.join().expect("client");
    }
    t.elapsed().as_secs_f64()
}

fn main() {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<u64> = raw.iter().filter_map(|a| a.parse().ok()).collect();
    let requests = args.first().copied().unwrap_or(600);
    let clients = args.get(1).copied().unwrap_or(3).max(1);
    if let Some(addr) = raw.iter().find_map(|a| a.parse::<SocketAddr>().ok()) {
        let secs = send_all(addr, requests, clients);
        let spans = (requests / clients) * clients * SPANS_PER_REQUEST;
        println!(
            "{spans} spans to {addr} in {secs:.2} s: {:.0} spans/s",
            spans as f64 / secs
        );
        return;
    }
    let path = std::env::temp_dir().join(format!("otlp-ingest-bench-{}.jsonl", std::process::id()));
    let save = Arc::new(SaveFile::open_append(&path).expect("save file"));
    let s = save.clone();
    let sink = move |line: Vec<u8>| s.append(&line);
    let config = Config {
        addr: "127.0.0.1:0".parse().expect("addr"),
        ..Config::default()
    };
    let receiver = Receiver::start(config, Arc::new(sink)).expect("receiver");
    let addr = receiver.addr();
    let per = requests / clients;
    let secs = send_all(addr, requests, clients);
    let c = receiver.counts().snapshot();
    receiver.shutdown();
    save.sync().expect("sync");
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        c.spans,
        per * clients * SPANS_PER_REQUEST,
        "every span accepted"
    );
    println!(
        "{} requests x {SPANS_PER_REQUEST} spans from {clients} clients in {secs:.2} s: {:.0} spans/s accepted, \
         {:.1} MB saved ({:.1} MB/s)",
        c.requests,
        c.spans as f64 / secs,
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs
    );
}
