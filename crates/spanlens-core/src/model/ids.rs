//! Trace and span id normalisation.
//!
//! Exports spell the same 16- or 8-byte id five ways: bare hex (any case), `0x`-prefixed
//! hex (MLflow 2.14–2.21, OTel Python console), base64 of the raw bytes (MLflow 3, protobuf
//! JSON look-alikes), `tr-` + hex (MLflow 3 trace ids), or an opaque string (UUIDs in
//! LangSmith and Langfuse). Everything that is really bytes becomes lowercase hex, so a
//! parent link written in one encoding finds a span written in another.

use base64::Engine;
use std::borrow::Cow;

/// Canonical form of an id: lowercase hex where the id is bytes, the original otherwise.
pub fn normalize(raw: &str) -> Cow<'_, str> {
    // PERF: the common case (OTLP, lowercase hex of 16 or 32 digits) in one pass.
    if (raw.len() == 16 || raw.len() == 32)
        && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Cow::Borrowed(raw);
    }
    let s = raw.trim();
    if s.is_empty() {
        return Cow::Borrowed("");
    }
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))
        && is_hex(hex)
    {
        return lower(hex);
    }
    if let Some(hex) = s.strip_prefix("tr-")
        && hex.len() == 32
        && is_hex(hex)
    {
        return lower(hex);
    }
    if (s.len() == 32 || s.len() == 16) && is_hex(s) {
        return lower(s);
    }
    let mut buf = [0u8; 24];
    if let Some(n) = base64_id(s, &mut buf) {
        return Cow::Owned(to_hex(&buf[..n]));
    }
    Cow::Borrowed(s)
}

/// Returns true when `raw` looks like an id, not a placeholder for "none".
pub fn is_present(raw: &str) -> bool {
    let s = raw.trim();
    !(s.is_empty() || s == "None" || s == "null" || s == "0000000000000000")
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Decodes a base64 id of 8 or 16 bytes (12 or 24 chars with padding) into `buf`, giving
/// its length. A 32- or 16-char hex string is also valid base64, so callers try hex first,
/// as MLflow's own reader does not. PERF: into a buffer on the stack, not a `Vec` per id
/// (MLflow 3 writes every trace, span and parent id this way).
fn base64_id(s: &str, buf: &mut [u8; 24]) -> Option<usize> {
    let plausible = matches!(s.len(), 12 | 24 | 11 | 22)
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'));
    if !plausible {
        return None;
    }
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    engines
        .iter()
        .find_map(|e| e.decode_slice(s, &mut buf[..]).ok())
        .filter(|&n| n == 8 || n == 16)
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn every_encoding_reaches_the_same_hex() {
        // The same MLflow 3 trace id as base64 and as `tr-` hex (formats.md §1.2).
        assert_eq!(
            normalize("3ULf6M1Zyk2fywS5j4qpBA=="),
            "dd42dfe8cd59ca4d9fcb04b98f8aa904"
        );
        assert_eq!(
            normalize("tr-dd42dfe8cd59ca4d9fcb04b98f8aa904"),
            "dd42dfe8cd59ca4d9fcb04b98f8aa904"
        );
        assert_eq!(normalize("0x84f212578f747953"), "84f212578f747953");
        assert_eq!(normalize("EEE19B7EC3C1B174"), "eee19b7ec3c1b174");
        assert_eq!(normalize("2H4ftZ/2zeI="), "d87e1fb59ff6cde2");
    }

    #[test]
    fn opaque_ids_are_kept() {
        let uuid = "01a223ca-632a-7d0b-8000-000000000001";
        assert_eq!(normalize(uuid), uuid);
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("run-1"), "run-1");
    }
}
