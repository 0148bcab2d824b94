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
    if (raw.len() == 16 || raw.len() == 32) && spanlens_json::lower_hex(raw.as_bytes()) {
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

/// Appends the canonical form of `raw` (`normalize`) to `out`.
///
/// PERF: MLflow 3 writes every span and parent id as padded standard base64 (`iAelNz3To4k=`).
/// Through `normalize` each took about 1,000 instructions (the base64 crate's general
/// decoder, a `String` of hex, then a copy): 5% of an MLflow load's instructions. Those
/// ids are decoded here by table, straight into `out`.
pub fn normalize_into(raw: &str, out: &mut Vec<u8>) {
    let mut buf = [0u8; 16];
    match padded_base64(raw.as_bytes(), &mut buf) {
        Some(n) => hex_into(&buf[..n], out),
        None => out.extend_from_slice(normalize(raw).as_bytes()),
    }
}

/// The bytes of a padded standard-base64 id of 8 bytes (11 digits and `=`) or 16 bytes
/// (22 digits and `==`) whose unused low bits are zero: exactly the ids `normalize`
/// decodes with its first engine (`STANDARD`), which refuses other trailing bits. Any
/// other text is `None`, and `normalize` reads it.
fn padded_base64(s: &[u8], buf: &mut [u8; 16]) -> Option<usize> {
    let (digits, bytes) = match s.len() {
        12 if s[11] == b'=' => (11, 8),
        24 if s[22] == b'=' && s[23] == b'=' => (22, 16),
        _ => return None,
    };
    let mut acc = 0u32;
    let mut bits = 0;
    let mut n = 0;
    for &c in &s[..digits] {
        let v = BASE64[c as usize];
        if v == NOT_BASE64 {
            return None;
        }
        acc = acc << 6 | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            buf[n] = (acc >> bits) as u8;
            n += 1;
            acc &= (1 << bits) - 1;
        }
    }
    (n == bytes && acc == 0).then_some(n)
}

/// The value of each standard-alphabet base64 digit; `NOT_BASE64` for other bytes.
const BASE64: [u8; 256] = {
    let mut t = [NOT_BASE64; 256];
    let mut i = 0;
    while i < 64 {
        t[b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i] as usize] =
            i as u8;
        i += 1;
    }
    t
};
const NOT_BASE64: u8 = 0xff;

/// Appends the lowercase hex of `bytes` to `out`. PERF: pairs of digits from a table,
/// room made once.
fn hex_into(bytes: &[u8], out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.extend_from_slice(&[DIGITS[(b >> 4) as usize], DIGITS[(b & 15) as usize]]);
    }
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
    let mut out = Vec::new();
    hex_into(bytes, &mut out);
    // Only ASCII digits were written.
    String::from_utf8(out).unwrap_or_default()
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
    fn ids_appended_by_table_are_the_ids_normalize_gives() {
        use base64::Engine;
        let engines = [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        let alphabet = b"ABCXYZabcxyz0189+/-_= .";
        let mut seed = 5u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed >> 33
        };
        let mut texts: Vec<String> = vec![
            "iAelNz3To4k=".into(),
            "iAelNz3To4l=".into(), // trailing bits set: STANDARD refuses it
            "bL8XeBlcyJzqhH26Rr8zPQ==".into(),
            "bL8XeBlcyJzqhH26Rr8zPR==".into(),
            "iAelNz3To4k".into(),
            "=AelNz3To4k=".into(),
        ];
        for _ in 0..20_000 {
            let len = [12, 24, 11, 22][next() as usize % 4];
            let mut t: Vec<u8> = (0..len).map(|_| alphabet[next() as usize % 18]).collect();
            match len {
                12 => t[11] = b'=',
                24 => t[22..].copy_from_slice(b"=="),
                _ => {}
            }
            if next() % 5 == 0 {
                let at = next() as usize % len;
                t[at] = alphabet[next() as usize % alphabet.len()];
            }
            texts.push(String::from_utf8(t).unwrap());
        }
        for n in [8usize, 16] {
            for _ in 0..2_000 {
                let raw: Vec<u8> = (0..n).map(|_| next() as u8).collect();
                texts.extend(engines.iter().map(|e| e.encode(&raw)));
            }
        }
        let mut by_table = 0;
        for t in &texts {
            let mut out = b"prefix".to_vec();
            super::normalize_into(t, &mut out);
            assert_eq!(&out[6..], normalize(t).as_bytes(), "{t:?}");
            by_table += super::padded_base64(t.as_bytes(), &mut [0; 16]).is_some() as usize;
        }
        assert!(by_table > 4_000, "only {by_table} ids took the table");
    }

    #[test]
    fn opaque_ids_are_kept() {
        let uuid = "01a223ca-632a-7d0b-8000-000000000001";
        assert_eq!(normalize(uuid), uuid);
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("run-1"), "run-1");
    }
}
