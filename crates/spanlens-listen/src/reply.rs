//! Response bodies, in the request's encoding: `ExportTraceServiceResponse` on success
//! (with `partial_success` when spans were rejected), `google.rpc.Status` on failure.

use crate::decode::Encoding;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};

/// `google.rpc.Status`, which OTLP/HTTP error bodies carry. opentelemetry-proto does not
/// ship it (it lives in googleapis), so its two fields that OTLP uses are declared here
/// with their protobuf tags; `details` (tag 3) is never sent.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Status {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
}

/// gRPC codes used in `Status.code` (OTLP lets servers omit it; clients read `message`).
pub const INVALID_ARGUMENT: i32 = 3;
pub const RESOURCE_EXHAUSTED: i32 = 8;
pub const UNAVAILABLE: i32 = 14;
pub const DEADLINE_EXCEEDED: i32 = 4;
pub const UNIMPLEMENTED: i32 = 12;
pub const NOT_FOUND: i32 = 5;

/// The success body; `rejected > 0` fills `partial_success`.
pub fn success(encoding: Encoding, rejected: u64, reason: Option<String>) -> Vec<u8> {
    let partial_success = (rejected > 0).then(|| ExportTracePartialSuccess {
        rejected_spans: i64::try_from(rejected).unwrap_or(i64::MAX),
        error_message: reason.unwrap_or_default(),
    });
    match (encoding, partial_success) {
        (Encoding::Protobuf, partial_success) => {
            prost::Message::encode_to_vec(&ExportTraceServiceResponse { partial_success })
        }
        // Written here rather than by the serde derive, which sends the int64 as a
        // number: the protobuf JSON mapping (and OTLP/JSON) writes int64 as a string.
        (Encoding::Json, None) => b"{}".to_vec(),
        (Encoding::Json, Some(p)) => serde_json::json!({
            "partialSuccess": {
                "rejectedSpans": p.rejected_spans.to_string(),
                "errorMessage": p.error_message,
            }
        })
        .to_string()
        .into_bytes(),
    }
}

/// An error body: a `Status` in protobuf, or in JSON when the request was JSON.
pub fn status(encoding: Encoding, code: i32, message: &str) -> Vec<u8> {
    match encoding {
        Encoding::Protobuf => prost::Message::encode_to_vec(&Status {
            code,
            message: message.to_string(),
        }),
        Encoding::Json => serde_json::json!({ "code": code, "message": message })
            .to_string()
            .into_bytes(),
    }
}
