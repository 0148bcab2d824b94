//! Request bodies: the content type and encoding, gzip with a cap on the decompressed
//! size, the protobuf or JSON decode into the official OTLP types, the check that keeps
//! only spans with valid ids, and the OTLP/JSON line that is saved and shown.

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use std::io::Read;

/// The two OTLP/HTTP body encodings. Responses use the request's encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    /// The encoding a `Content-Type` names (parameters such as `charset` are ignored),
    /// or `None` for any other type (answered 415).
    pub fn from_content_type(value: &str) -> Option<Encoding> {
        let media = value.split(';').next().unwrap_or("").trim();
        if media.eq_ignore_ascii_case("application/x-protobuf") {
            Some(Encoding::Protobuf)
        } else if media.eq_ignore_ascii_case("application/json") {
            Some(Encoding::Json)
        } else {
            None
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// Why a body could not be read; each maps to one HTTP status (see `server.rs`).
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("the request body is larger than the limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the body decompresses to more than the limit of {limit} bytes")]
    Bomb { limit: usize },
    #[error("unsupported Content-Encoding '{0}': send gzip or no encoding")]
    Encoding(String),
    #[error("the gzip body cannot be decompressed: {0}")]
    Gzip(std::io::Error),
    #[error("the protobuf body is not an ExportTraceServiceRequest: {0}")]
    Protobuf(#[from] prost::DecodeError),
    #[error("the JSON body is not an ExportTraceServiceRequest: {0}")]
    Json(#[from] serde_json::Error),
}

/// Undoes `Content-Encoding` (gzip or identity), reading at most `limit` decompressed
/// bytes: a small body that inflates past it is refused without holding more.
pub fn decompress(body: Bytes, encoding: Option<&str>, limit: usize) -> Result<Bytes, DecodeError> {
    let name = encoding.map(str::trim).unwrap_or("");
    if name.is_empty() || name.eq_ignore_ascii_case("identity") {
        return Ok(body);
    }
    if !name.eq_ignore_ascii_case("gzip") {
        return Err(DecodeError::Encoding(name.to_string()));
    }
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    flate2::read::MultiGzDecoder::new(&body[..])
        .take(cap)
        .read_to_end(&mut out)
        .map_err(DecodeError::Gzip)?;
    if out.len() > limit {
        return Err(DecodeError::Bomb { limit });
    }
    Ok(out.into())
}

/// Decodes an `ExportTraceServiceRequest` in either encoding.
pub fn decode(body: &[u8], encoding: Encoding) -> Result<ExportTraceServiceRequest, DecodeError> {
    match encoding {
        Encoding::Protobuf => Ok(prost::Message::decode(body)?),
        Encoding::Json => Ok(serde_json::from_slice(body)?),
    }
}

/// A request with its invalid spans taken out, and what was taken.
#[derive(Debug)]
pub struct Checked {
    pub request: ExportTraceServiceRequest,
    pub accepted: u64,
    pub rejected: u64,
    /// The `partial_success.error_message` when something was rejected.
    pub reason: Option<String>,
}

/// Keeps the spans the OTLP spec calls valid: a 16-byte trace id and an 8-byte span id,
/// neither all zeros, and a parent span id that is empty or 8 bytes. Other spans are
/// rejected (counted in `partial_success`): nothing could place them in a trace.
/// Resources and scopes left without spans are dropped too.
pub fn check(mut request: ExportTraceServiceRequest) -> Checked {
    let (mut accepted, mut rejected) = (0u64, 0u64);
    for rs in &mut request.resource_spans {
        for ss in &mut rs.scope_spans {
            let before = ss.spans.len() as u64;
            ss.spans.retain(|s| {
                valid_id(&s.trace_id, 16)
                    && valid_id(&s.span_id, 8)
                    && (s.parent_span_id.is_empty() || s.parent_span_id.len() == 8)
            });
            accepted += ss.spans.len() as u64;
            rejected += before - ss.spans.len() as u64;
        }
        rs.scope_spans.retain(|ss| !ss.spans.is_empty());
    }
    request
        .resource_spans
        .retain(|rs| !rs.scope_spans.is_empty());
    let reason = (rejected > 0).then(|| {
        format!(
            "{rejected} span(s) rejected: a trace id must be 16 bytes and a span id 8 bytes, \
             not all zero; a parent span id empty or 8 bytes"
        )
    });
    Checked {
        request,
        accepted,
        rejected,
        reason,
    }
}

fn valid_id(id: &[u8], len: usize) -> bool {
    id.len() == len && id.iter().any(|&b| b != 0)
}

/// The request as one OTLP/JSON line, as the Collector's file exporter writes it:
/// camelCase keys, hex ids, 64-bit integers as strings, a final `\n` (JSON escapes every
/// newline inside strings, so the line is whole).
pub fn to_line(request: &ExportTraceServiceRequest) -> Result<Vec<u8>, serde_json::Error> {
    let mut line = serde_json::to_vec(request)?;
    line.push(b'\n');
    Ok(line)
}
