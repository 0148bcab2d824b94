//! Shared test helpers: a receiver on an OS-chosen loopback port whose sink appends to a
//! save file and keeps the lines, raw HTTP over a TCP socket, and OTLP request builders.
#![allow(dead_code)]

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use spanlens_listen::{Config, Receiver, SaveFile};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Running {
    pub receiver: Receiver,
    pub addr: SocketAddr,
    pub save: Arc<SaveFile>,
    pub lines: Arc<Mutex<Vec<Vec<u8>>>>,
    pub path: PathBuf,
}

/// A fresh path under the temp directory (removed first if a previous run left it).
pub fn temp_path(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("spanlens-listen-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

pub fn config() -> Config {
    Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    }
}

/// Starts a receiver with `config`; its sink saves each line, then keeps it in `lines`.
pub fn start(config: Config) -> Running {
    let path = temp_path("save.jsonl");
    let save = Arc::new(SaveFile::open_append(&path).unwrap());
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (s, l) = (save.clone(), lines.clone());
    let sink = move |line: Vec<u8>| {
        s.append(&line)?;
        l.lock().unwrap().push(line);
        Ok(())
    };
    let receiver = Receiver::start(config, Arc::new(sink)).unwrap();
    let addr = receiver.addr();
    Running {
        receiver,
        addr,
        save,
        lines,
        path,
    }
}

/// An HTTP response as read off the socket.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

/// Sends `head` (request line and headers, without the blank line) and `body`, with a
/// Content-Length unless `head` has one or is chunked, and reads the response (connection closed).
pub fn send(addr: SocketAddr, head: &str, body: &[u8]) -> Reply {
    let mut req = head.trim_end().to_string();
    let lower = head.to_ascii_lowercase();
    if !lower.contains("content-length") && !lower.contains("transfer-encoding") {
        req.push_str(&format!("\r\nContent-Length: {}", body.len()));
    }
    req.push_str("\r\nConnection: close\r\n\r\n");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(req.as_bytes()).unwrap();
    let _ = s.write_all(body);
    read_reply(&mut s).expect("a response")
}

pub fn post(addr: SocketAddr, content_type: &str, extra: &str, body: &[u8]) -> Reply {
    let mut head =
        format!("POST /v1/traces HTTP/1.1\r\nHost: test\r\nContent-Type: {content_type}");
    if !extra.is_empty() {
        head.push_str("\r\n");
        head.push_str(extra);
    }
    send(addr, &head, body)
}

/// Reads until the peer closes; `None` when it closed without sending anything.
pub fn read_reply(s: &mut TcpStream) -> Option<Reply> {
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    if raw.is_empty() {
        return None;
    }
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some(Reply {
        status,
        head,
        body: raw[split + 4..].to_vec(),
    })
}

pub fn kv(key: &str, v: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    }
}

/// A span with valid ids derived from `n` and a `test.n` attribute.
pub fn span(trace: u8, n: u64) -> Span {
    Span {
        trace_id: vec![trace; 16],
        span_id: (n + 1).to_be_bytes().to_vec(),
        name: format!("span-{n}"),
        start_time_unix_nano: 1_700_000_000_000_000_000 + n,
        end_time_unix_nano: 1_700_000_000_000_000_000 + n + 1000,
        attributes: vec![
            kv("test.n", any_value::Value::IntValue(n as i64)),
            kv(
                "test.label",
                any_value::Value::StringValue(format!("label {n}\n\"quoted\"")),
            ),
        ],
        ..Default::default()
    }
}

pub fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv(
                    "service.name",
                    any_value::Value::StringValue("svc".into()),
                )],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub fn protobuf(req: &ExportTraceServiceRequest) -> Vec<u8> {
    prost::Message::encode_to_vec(req)
}

pub fn json(req: &ExportTraceServiceRequest) -> Vec<u8> {
    serde_json::to_vec(req).unwrap()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Loads a saved file with spanlens's own loader.
pub fn load(path: &std::path::Path) -> spanlens_core::model::TraceSet {
    let opts = spanlens_core::load::LoadOptions::default();
    spanlens_core::load::load(&[path.to_path_buf()], &opts, &|_| {}).expect("the save file loads")
}

/// Every (span id, name) in a loaded set.
pub fn span_ids(set: &spanlens_core::model::TraceSet) -> Vec<String> {
    (0..set.spans.len())
        .map(|i| {
            set.span_id(spanlens_core::model::SpanIx(i as u32))
                .to_string()
        })
        .collect()
}
