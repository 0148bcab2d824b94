//! Hand-made requests against a running receiver: each status the OTLP/HTTP spec asks
//! for, gzip and its bomb limit, bodies cut short, slow and stalled clients, the
//! connection limit, a failing sink, and what ends up in the save file.

mod common;

use common::*;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use spanlens_listen::SaveFile;
use spanlens_listen::reply::Status;
use std::io::Write;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PB: &str = "application/x-protobuf";
const JS: &str = "application/json";

fn status_msg(r: &Reply) -> String {
    let s: Status = prost::Message::decode(&r.body[..]).expect("a protobuf Status body");
    s.message
}

#[test]
fn protobuf_request_is_saved_and_acknowledged_in_protobuf() {
    let run = start(config());
    let r = post(
        run.addr,
        PB,
        "",
        &protobuf(&request(vec![span(7, 1), span(7, 2)])),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("content-type").as_deref(), Some(PB));
    let resp: ExportTraceServiceResponse = prost::Message::decode(&r.body[..]).unwrap();
    assert!(resp.partial_success.is_none());
    let set = load(&run.path);
    assert_eq!(set.spans.len(), 2);
    let ix = (0..2)
        .map(spanlens_core::model::SpanIx)
        .find(|&i| set.span_name(i) == "span-2")
        .unwrap();
    assert_eq!(
        set.attr_value(ix, "test.label").unwrap(),
        "label 2\n\"quoted\""
    );
    assert_eq!(set.attr_value(ix, "test.n").unwrap(), 2);
    assert_eq!(run.receiver.counts().snapshot().spans, 2);
}

#[test]
fn json_request_is_saved_and_acknowledged_in_json() {
    let run = start(config());
    let r = post(
        run.addr,
        "application/json; charset=utf-8",
        "",
        &json(&request(vec![span(3, 9)])),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("content-type").as_deref(), Some(JS));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert!(v.get("partialSuccess").is_none_or(|p| p.is_null()), "{v}");
    let set = load(&run.path);
    assert_eq!(span_ids(&set), vec!["000000000000000a".to_string()]);
    assert_eq!(
        set.attr_value(spanlens_core::model::SpanIx(0), "test.n")
            .unwrap(),
        9
    );
    // The saved line is OTLP/JSON as the file exporter writes it: hex ids, camelCase.
    let line = String::from_utf8(run.lines.lock().unwrap()[0].clone()).unwrap();
    assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
    assert!(
        line.contains("\"traceId\":\"03030303030303030303030303030303\""),
        "{line}"
    );
    assert!(line.contains("\"resourceSpans\""));
}

#[test]
fn spans_with_bad_ids_are_rejected_in_a_partial_success() {
    let run = start(config());
    let mut bad_trace = span(1, 5);
    bad_trace.trace_id = vec![0; 16];
    let mut bad_span = span(1, 6);
    bad_span.span_id = vec![1, 2, 3];
    let req = request(vec![span(1, 1), bad_trace, bad_span, span(1, 2)]);
    let r = post(run.addr, PB, "", &protobuf(&req));
    assert_eq!(r.status, 200);
    let resp: ExportTraceServiceResponse = prost::Message::decode(&r.body[..]).unwrap();
    let partial = resp.partial_success.expect("partial success");
    assert_eq!(partial.rejected_spans, 2);
    assert!(partial.error_message.contains("trace id must be 16 bytes"));
    assert_eq!(load(&run.path).spans.len(), 2);
    let c = run.receiver.counts().snapshot();
    assert_eq!((c.spans, c.rejected), (2, 2));
    // JSON too, and a request whose spans are all rejected saves nothing.
    let mut only_bad = span(2, 1);
    only_bad.span_id.clear();
    let r = post(run.addr, JS, "", &json(&request(vec![only_bad])));
    assert_eq!(r.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["partialSuccess"]["rejectedSpans"], "1", "{v}");
    assert_eq!(run.lines.lock().unwrap().len(), 1);
}

#[test]
fn wrong_path_method_and_content_type_are_refused() {
    let run = start(config());
    let r = send(
        run.addr,
        "POST /v1/metrics HTTP/1.1\r\nHost: t\r\nContent-Type: application/json",
        b"{}",
    );
    assert_eq!(r.status, 404);
    let r = send(run.addr, "GET /v1/traces HTTP/1.1\r\nHost: t", b"");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow").as_deref(), Some("POST"));
    let r = post(run.addr, "text/plain", "", b"hello");
    assert_eq!(r.status, 415);
    assert!(status_msg(&r).contains("unsupported Content-Type 'text/plain'"));
    let r = post(run.addr, PB, "Content-Encoding: br", b"xx");
    assert_eq!(r.status, 415);
    assert!(status_msg(&r).contains("Content-Encoding 'br'"));
    assert!(run.lines.lock().unwrap().is_empty());
    assert_eq!(run.receiver.counts().snapshot().failed, 4);
}

#[test]
fn malformed_bodies_get_400_with_a_status_message() {
    let run = start(config());
    let r = post(run.addr, PB, "", b"\xff\xff\xff\xff not protobuf");
    assert_eq!(r.status, 400);
    assert!(
        status_msg(&r).contains("protobuf body"),
        "{}",
        status_msg(&r)
    );
    let r = post(run.addr, JS, "", b"{\"resourceSpans\": [");
    assert_eq!(r.status, 400);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert!(v["message"].as_str().unwrap().contains("JSON body"), "{v}");
    let r = post(run.addr, PB, "Content-Encoding: gzip", b"not gzip at all");
    assert_eq!(r.status, 400);
    assert!(status_msg(&r).contains("gzip"));
    assert!(run.lines.lock().unwrap().is_empty());
}

#[test]
fn bodies_over_the_limit_get_413() {
    let mut cfg = config();
    cfg.max_body = 4096;
    let run = start(cfg);
    let big = protobuf(&request((0..200).map(|n| span(4, n)).collect()));
    assert!(big.len() > 4096);
    let r = post(run.addr, PB, "", &big);
    assert_eq!(r.status, 413);
    assert!(status_msg(&r).contains("4096"));
    // Chunked, so no Content-Length announces it: the limit still holds while reading.
    let mut chunked = format!("{:x}\r\n", big.len()).into_bytes();
    chunked.extend_from_slice(&big);
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    let r = post(run.addr, PB, "Transfer-Encoding: chunked", &chunked);
    assert_eq!(r.status, 413, "{r:?}");
    assert!(run.lines.lock().unwrap().is_empty());
}

#[test]
fn gzip_bodies_are_read_and_bombs_are_stopped() {
    let mut cfg = config();
    cfg.max_body = 64 << 10;
    let run = start(cfg);
    let body = gzip(&protobuf(&request(vec![span(5, 1), span(5, 2)])));
    let r = post(run.addr, PB, "Content-Encoding: gzip", &body);
    assert_eq!(r.status, 200, "{r:?}");
    let body = gzip(&json(&request(vec![span(5, 3)])));
    assert_eq!(
        post(run.addr, JS, "Content-Encoding: GZIP", &body).status,
        200
    );
    assert_eq!(load(&run.path).spans.len(), 3);
    // 8 MiB of zeros compress to a few KiB: under the body limit, far over it inflated.
    let bomb = gzip(&vec![0u8; 8 << 20]);
    assert!(bomb.len() < 64 << 10);
    let r = post(run.addr, PB, "Content-Encoding: gzip", &bomb);
    assert_eq!(r.status, 413);
    assert!(status_msg(&r).contains("decompresses to more than"));
}

#[test]
fn a_body_cut_short_is_not_saved_and_the_receiver_goes_on() {
    let mut cfg = config();
    cfg.body_timeout = Duration::from_millis(800);
    let run = start(cfg);
    let body = protobuf(&request(vec![span(6, 1)]));
    // The client announces more than it sends, then closes its side.
    let mut s = TcpStream::connect(run.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nHost: t\r\nContent-Type: {PB}\r\nContent-Length: {}\r\n\r\n",
        body.len() + 100
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    if let Some(r) = read_reply(&mut s) {
        assert_ne!(r.status, 200, "{r:?}");
    }
    // The client announces more and stalls: the body deadline answers 408.
    let mut s = TcpStream::connect(run.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body).unwrap();
    let t = Instant::now();
    let r = read_reply(&mut s).expect("a 408");
    assert_eq!(r.status, 408, "{r:?}");
    assert!(t.elapsed() < Duration::from_secs(5));
    assert!(run.lines.lock().unwrap().is_empty());
    assert_eq!(post(run.addr, PB, "", &body).status, 200);
}

/// Sends `bytes` one a second; returns what came back and when the server hung up.
fn trickle(addr: std::net::SocketAddr, bytes: &[u8]) -> (Option<Reply>, Duration) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let t = Instant::now();
    for b in bytes {
        if s.write_all(&[*b]).is_err() || t.elapsed() > Duration::from_secs(8) {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    (read_reply(&mut s), t.elapsed())
}

#[test]
fn a_client_sending_one_byte_a_second_is_cut_off() {
    let mut cfg = config();
    cfg.header_timeout = Duration::from_secs(2);
    cfg.body_timeout = Duration::from_secs(2);
    let run = start(cfg);
    // In the headers.
    let head = b"POST /v1/traces HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n";
    let (reply, took) = trickle(run.addr, head);
    assert!(
        reply.is_none_or(|r| r.status == 408),
        "cut off without a 200"
    );
    assert!(took < Duration::from_secs(6), "took {took:?}");
    // In the body, after complete headers.
    let mut s = TcpStream::connect(run.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s.write_all(b"POST /v1/traces HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n").unwrap();
    let t = Instant::now();
    let mut reply = None;
    for b in b"{\"resourceSpans\":[]" {
        if s.write_all(&[*b]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
        if t.elapsed() > Duration::from_secs(3) {
            reply = read_reply(&mut s);
            break;
        }
    }
    assert_eq!(reply.expect("a 408").status, 408);
    assert!(run.lines.lock().unwrap().is_empty());
}

#[test]
fn an_idle_connection_is_closed_after_the_header_deadline() {
    let mut cfg = config();
    cfg.header_timeout = Duration::from_millis(700);
    let run = start(cfg);
    let mut s = TcpStream::connect(run.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let t = Instant::now();
    let reply = read_reply(&mut s);
    assert!(reply.is_none_or(|r| r.status == 408));
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[test]
fn connections_over_the_limit_are_closed_at_once() {
    let mut cfg = config();
    cfg.max_connections = 2;
    cfg.header_timeout = Duration::from_secs(30);
    let run = start(cfg);
    let held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(run.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut third = TcpStream::connect(run.addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let t = Instant::now();
    assert!(read_reply(&mut third).is_none());
    assert!(t.elapsed() < Duration::from_secs(3));
    drop(held);
    // The slots free up once the server sees the two connections close.
    let body = protobuf(&request(vec![span(8, 1)]));
    let t = Instant::now();
    loop {
        let mut s = TcpStream::connect(run.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let head = format!(
            "POST /v1/traces HTTP/1.1\r\nHost: t\r\nContent-Type: {PB}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let sent = s
            .write_all(head.as_bytes())
            .and_then(|()| s.write_all(&body));
        if let (Ok(()), Some(r)) = (sent, read_reply(&mut s)) {
            assert_eq!(r.status, 200);
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(5), "slots never freed");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_sink_that_cannot_keep_spans_makes_the_client_retry() {
    let sink = |_: Vec<u8>| Err(std::io::Error::other("disk full"));
    let receiver = spanlens_listen::Receiver::start(config(), Arc::new(sink)).unwrap();
    let r = post(
        receiver.addr(),
        PB,
        "",
        &protobuf(&request(vec![span(9, 1)])),
    );
    assert_eq!(r.status, 503);
    assert!(status_msg(&r).contains("disk full"));
    assert_eq!(receiver.counts().snapshot().spans, 0);
    receiver.shutdown();
}

#[test]
fn a_port_in_use_is_a_clear_error_and_shutdown_frees_it() {
    let run = start(config());
    let mut cfg = config();
    cfg.addr = run.addr;
    let sink = |_: Vec<u8>| Ok(());
    let err = spanlens_listen::Receiver::start(cfg.clone(), Arc::new(sink))
        .err()
        .expect("the port is taken");
    assert!(err.to_string().contains("already in use"), "{err}");
    let t = Instant::now();
    run.receiver.shutdown();
    assert!(t.elapsed() < Duration::from_secs(3));
    assert!(TcpStream::connect(run.addr).is_err());
}

#[test]
fn the_save_file_is_appended_to_never_truncated() {
    let path = temp_path("existing.jsonl");
    std::fs::write(&path, b"{\"resourceSpans\":[]}").unwrap(); // no final newline
    let save = Arc::new(SaveFile::open_append(&path).unwrap());
    let s = save.clone();
    let sink = move |line: Vec<u8>| s.append(&line);
    let receiver = spanlens_listen::Receiver::start(config(), Arc::new(sink)).unwrap();
    assert_eq!(
        post(
            receiver.addr(),
            PB,
            "",
            &protobuf(&request(vec![span(2, 2)]))
        )
        .status,
        200
    );
    receiver.shutdown();
    save.sync().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("{\"resourceSpans\":[]}\n{"), "{text}");
    assert_eq!(text.lines().count(), 2);
    assert_eq!(load(&path).spans.len(), 1);
}
