//! The receiver's settings and their safe defaults.

use std::net::SocketAddr;
use std::time::Duration;

/// OTLP/HTTP's registered port, on loopback: nothing off this machine can send spans
/// unless the user names another address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:4318";
/// A request body (and the same body after gzip) may hold at most this much.
pub const DEFAULT_MAX_BODY: usize = 16 << 20;
/// How long a client may take to send a request's headers, and then its body.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more are closed as soon as they are accepted.
pub const DEFAULT_MAX_CONNECTIONS: usize = 128;

/// What the receiver listens on and how much it tolerates.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    /// Limit on the body as sent and on the body after decompression, in bytes.
    pub max_body: usize,
    /// Deadline for a request's headers, counted from when the server waits for them.
    pub header_timeout: Duration,
    /// Deadline for a request's whole body, counted from the end of its headers.
    pub body_timeout: Duration,
    pub max_connections: usize,
    /// How long shutdown waits for requests already being handled.
    pub shutdown_grace: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            addr: DEFAULT_ADDR.parse().expect("a valid literal address"),
            max_body: DEFAULT_MAX_BODY,
            header_timeout: DEFAULT_READ_TIMEOUT,
            body_timeout: DEFAULT_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}
