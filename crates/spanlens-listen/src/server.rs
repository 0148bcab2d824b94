//! The HTTP server: one thread running a tokio current-thread runtime with hyper.
//!
//! Why async here, against the project's "threads and one channel" rule: a receiver open
//! to other processes must cut off slow and stalled clients (a header deadline, a body
//! deadline) and bound its connections, while long-lived keep-alive exporters stay
//! connected. hyper does this with timers on one thread; a blocking server needs a thread
//! per connection and cannot time out a body read that trickles one byte a second without
//! its own deadline bookkeeping. The runtime never leaves this file: the rest of spanlens
//! sees a [`Receiver`] with `start`/`shutdown` and a [`Sink`] it calls synchronously.

use crate::config::Config;
use crate::counts::Counts;
use crate::decode::{self, DecodeError, Encoding};
use crate::reply;
use crate::sink::Sink;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::{Semaphore, watch};

/// The only path served: OTLP/HTTP's default for traces.
pub const TRACES_PATH: &str = "/v1/traces";

/// Why the receiver could not start.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error(
        "cannot listen on {addr}: the address is already in use (another spanlens listen, or a \
         collector?); choose another with --addr"
    )]
    InUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the receiver thread: {0}")]
    Start(#[source] std::io::Error),
}

/// A running receiver. Dropping it without [`Receiver::shutdown`] leaves its thread
/// serving until the process ends.
pub struct Receiver {
    addr: SocketAddr,
    counts: Arc<Counts>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

struct State {
    config: Config,
    sink: Arc<dyn Sink>,
    counts: Arc<Counts>,
}

impl Receiver {
    /// Binds `config.addr` (port 0 picks a free port: see [`Receiver::addr`]) and serves
    /// on a thread of its own. Binding happens here, so a port in use fails at once.
    pub fn start(config: Config, sink: Arc<dyn Sink>) -> Result<Receiver, ListenError> {
        let want = config.addr;
        let listener = std::net::TcpListener::bind(want).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AddrInUse {
                ListenError::InUse { addr: want }
            } else {
                ListenError::Bind { addr: want, source }
            }
        })?;
        let bind_err = |source| ListenError::Bind { addr: want, source };
        listener.set_nonblocking(true).map_err(bind_err)?;
        let addr = listener.local_addr().map_err(bind_err)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(ListenError::Start)?;
        let counts = Arc::new(Counts::default());
        let (stop, stopped) = watch::channel(false);
        let state = Arc::new(State {
            config,
            sink,
            counts: counts.clone(),
        });
        let thread = std::thread::Builder::new()
            .name("otlp-receiver".into())
            .spawn(move || runtime.block_on(serve(listener, state, stopped)))
            .map_err(ListenError::Start)?;
        Ok(Receiver {
            addr,
            counts,
            stop,
            thread: Some(thread),
        })
    }

    /// The address actually bound (the real port when port 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn counts(&self) -> Arc<Counts> {
        self.counts.clone()
    }

    /// Stops accepting, lets requests already being received finish (up to the
    /// configured grace), closes idle connections, and waits for the thread. Every
    /// request answered 200 has reached the sink before this returns.
    pub fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    state: Arc<State>,
    mut stop: watch::Receiver<bool>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let max = state.config.max_connections.max(1);
    let slots = Arc::new(Semaphore::new(max));
    loop {
        let stream = tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        // Over the limit the connection is closed at once: the client retries later,
        // and no idle socket can pin memory or a descriptor.
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, state.clone(), stop.clone(), slot));
    }
    drop(listener);
    // Every connection task holds a slot until it ends; wait for all of them to end.
    let _ = tokio::time::timeout(state.config.shutdown_grace, slots.acquire_many(max as u32)).await;
}

async fn connection(
    stream: tokio::net::TcpStream,
    state: Arc<State>,
    mut stop: watch::Receiver<bool>,
    _slot: tokio::sync::OwnedSemaphorePermit,
) {
    let header_timeout = state.config.header_timeout;
    let service = service_fn(move |req| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(handle(req, &state).await) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            // Finish the request in progress, if any, then close.
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

async fn handle(req: Request<Incoming>, state: &State) -> Response<Full<Bytes>> {
    let response = route(req, state).await;
    if response.status() != StatusCode::OK {
        state.counts.failed();
    }
    response
}

async fn route(req: Request<Incoming>, state: &State) -> Response<Full<Bytes>> {
    if req.uri().path() != TRACES_PATH {
        return plain(
            StatusCode::NOT_FOUND,
            "spanlens receives OTLP traces at POST /v1/traces\n",
        );
    }
    if req.method() != Method::POST {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "use POST /v1/traces\n");
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let content_type = header_text(&req, header::CONTENT_TYPE);
    let Some(encoding) = Encoding::from_content_type(&content_type) else {
        let msg = format!(
            "unsupported Content-Type '{}': send application/x-protobuf or application/json",
            content_type.escape_default()
        );
        return failure(
            Encoding::Protobuf,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            reply::INVALID_ARGUMENT,
            &msg,
        );
    };
    let content_encoding = req
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|_| header_text(&req, header::CONTENT_ENCODING));
    let body = match read_body(req, &state.config).await {
        Ok(body) => body,
        Err(r) => return r(encoding),
    };
    let max = state.config.max_body;
    let decoded = decode::decompress(body, content_encoding.as_deref(), max)
        .and_then(|body| decode::decode(&body, encoding));
    let request = match decoded {
        Ok(request) => request,
        Err(e) => return decode_failure(encoding, &e),
    };
    let checked = decode::check(request);
    if checked.accepted > 0 {
        let line = match decode::to_line(&checked.request) {
            Ok(line) => line,
            Err(e) => {
                let msg = format!("the spans could not be written as OTLP/JSON: {e}");
                return failure(
                    encoding,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    reply::INVALID_ARGUMENT,
                    &msg,
                );
            }
        };
        // The sink saves and hands on the line before the 200 below: what is
        // acknowledged is kept. A sink that cannot keep it makes the client retry.
        if let Err(e) = state.sink.accept(line) {
            let msg = format!("the receiver cannot keep spans now: {e}");
            return failure(
                encoding,
                StatusCode::SERVICE_UNAVAILABLE,
                reply::UNAVAILABLE,
                &msg,
            );
        }
    }
    state.counts.accepted(checked.accepted, checked.rejected);
    let body = reply::success(encoding, checked.rejected, checked.reason);
    respond(StatusCode::OK, encoding.mime(), body)
}

type Deferred = Box<dyn FnOnce(Encoding) -> Response<Full<Bytes>> + Send>;

/// Reads the whole body within the size limit and the body deadline; the error is the
/// response to send (and the connection is closed, since the body was not read through).
async fn read_body(req: Request<Incoming>, config: &Config) -> Result<Bytes, Deferred> {
    let max = config.max_body;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large(max));
    }
    let limit = config.body_timeout;
    let read = tokio::time::timeout(limit, Limited::new(req.into_body(), max).collect()).await;
    match read {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(too_large(max))
        }
        Ok(Err(e)) => {
            let msg = format!("the body could not be read (cut short?): {e}");
            Err(Box::new(move |enc| {
                closing(failure(
                    enc,
                    StatusCode::BAD_REQUEST,
                    reply::INVALID_ARGUMENT,
                    &msg,
                ))
            }))
        }
        Err(_) => {
            let msg = format!("the body was not received within {} s", limit.as_secs_f64());
            Err(Box::new(move |enc| {
                closing(failure(
                    enc,
                    StatusCode::REQUEST_TIMEOUT,
                    reply::DEADLINE_EXCEEDED,
                    &msg,
                ))
            }))
        }
    }
}

fn too_large(max: usize) -> Deferred {
    let msg = DecodeError::TooLarge { limit: max }.to_string();
    Box::new(move |enc| {
        closing(failure(
            enc,
            StatusCode::PAYLOAD_TOO_LARGE,
            reply::RESOURCE_EXHAUSTED,
            &msg,
        ))
    })
}

fn decode_failure(encoding: Encoding, e: &DecodeError) -> Response<Full<Bytes>> {
    let msg = e.to_string();
    match e {
        DecodeError::TooLarge { .. } | DecodeError::Bomb { .. } => failure(
            encoding,
            StatusCode::PAYLOAD_TOO_LARGE,
            reply::RESOURCE_EXHAUSTED,
            &msg,
        ),
        DecodeError::Encoding(_) => failure(
            encoding,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            reply::INVALID_ARGUMENT,
            &msg,
        ),
        _ => failure(
            encoding,
            StatusCode::BAD_REQUEST,
            reply::INVALID_ARGUMENT,
            &msg,
        ),
    }
}

fn header_text(req: &Request<Incoming>, name: header::HeaderName) -> String {
    req.headers()
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default()
}

fn failure(
    encoding: Encoding,
    status: StatusCode,
    code: i32,
    message: &str,
) -> Response<Full<Bytes>> {
    respond(
        status,
        encoding.mime(),
        reply::status(encoding, code, message),
    )
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    respond(
        status,
        "text/plain; charset=utf-8",
        text.as_bytes().to_vec(),
    )
}

fn closing(mut r: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

fn respond(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}
