//! spanlens's OTLP receiver: `POST /v1/traces` over HTTP (protobuf or JSON, gzip or not),
//! validated with the official OTLP types, acknowledged per the OTLP/HTTP specification,
//! and handed to a [`Sink`] as one OTLP/JSON line per request (the Collector file
//! exporter's shape). No UI: the `spanlens listen` command wires a sink to the save file
//! and the live view.
//!
//! Safety: bodies are size-limited before and after gzip, headers and bodies have read
//! deadlines, connections are bounded, and decoding never panics (prost and serde_json
//! return errors, and both bound their recursion depth).

pub mod config;
pub mod counts;
pub mod decode;
pub mod reply;
pub mod save;
pub mod server;
pub mod sink;

pub use config::Config;
pub use counts::{Counts, CountsSnapshot};
pub use decode::{Checked, DecodeError, Encoding};
pub use save::SaveFile;
pub use server::{ListenError, Receiver};
pub use sink::Sink;
