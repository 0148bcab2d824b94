//! The id forms a scanned export writes (hex, `0x`-hex, UUID, base64), how each is
//! recognised, and how a fresh id is made and written back in the same form.

use crate::rng::mix;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// How an id was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdForm {
    /// 16 or 32 hex digits (also after `tr-`, `a-`: the prefix is left as it is).
    Hex { upper: bool },
    /// `0x` then 16 or 32 hex digits (MLflow 2.14–2.21 spans, the OTel console exporter).
    Hex0x { upper: bool },
    /// 8-4-4-4-12 hex (LangSmith, Langfuse); version and variant bits are kept.
    Uuid { upper: bool },
    /// Standard base64 of 8 or 16 bytes with its padding; `escaped` when a `/` was
    /// written `\/` (pandas `to_json`).
    Base64 { escaped: bool },
}

/// The new raw bytes of an id in a copy: a keyed hash, so every form of the same id in
/// the same copy gets the same new id.
pub(super) fn fresh(raw: &[u8], form: IdForm, copy: u64) -> Vec<u8> {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in raw {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut state = mix(h ^ mix(copy.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    let mut out = Vec::with_capacity(raw.len());
    while out.len() < raw.len() {
        state = mix(state.wrapping_add(0x9e37_79b9_7f4a_7c15));
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(raw.len());
    if matches!(form, IdForm::Uuid { .. }) {
        out[6] = (out[6] & 0x0f) | (raw[6] & 0xf0);
        out[8] = (out[8] & 0x3f) | (raw[8] & 0xc0);
    }
    out
}

pub(super) fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// A base64 id at `i`: 11 chars and `=`, or 22 and `==`, not followed by more base64.
/// `\/` counts as one `/`. Returns (bytes consumed, raw, raw length, escaped).
pub(super) fn base64_at(src: &[u8], i: usize) -> Option<(usize, [u8; 16], u8, bool)> {
    let mut text = Vec::with_capacity(24);
    let mut j = i;
    let mut escaped = false;
    while text.len() < 22 {
        match src.get(j..j + 2) {
            Some(b"\\/") => {
                text.push(b'/');
                escaped = true;
                j += 2;
            }
            _ => match src.get(j) {
                Some(&b) if is_b64(b) => {
                    text.push(b);
                    j += 1;
                }
                _ => break,
            },
        }
        if text.len() == 11 && src.get(j) == Some(&b'=') && src.get(j + 1) != Some(&b'=') {
            break;
        }
    }
    let pad = match text.len() {
        11 => 1,
        22 => 2,
        _ => return None,
    };
    if src.get(j..j + pad)? != &b"=="[..pad] {
        return None;
    }
    let end = j + pad;
    if src.get(end).is_some_and(|&b| is_b64(b) || b == b'=')
        || src.get(end..end + 2) == Some(b"\\/")
    {
        return None;
    }
    text.extend_from_slice(&b"=="[..pad]);
    let bytes = STANDARD.decode(&text).ok()?;
    let mut raw = [0u8; 16];
    raw[..bytes.len()].copy_from_slice(&bytes);
    Some((end - i, raw, bytes.len() as u8, escaped))
}

/// A word of exactly 16 or 32 hex digits, not all decimal (those are numbers).
pub(super) fn hex_id(word: &[u8]) -> Option<([u8; 16], u8, bool)> {
    if !matches!(word.len(), 16 | 32) || word.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut raw = [0u8; 16];
    for (k, pair) in word.chunks(2).enumerate() {
        raw[k] = hex_val(pair[0])? << 4 | hex_val(pair[1])?;
    }
    let upper = word.iter().any(|b| (b'A'..=b'F').contains(b));
    Some((raw, (word.len() / 2) as u8, upper))
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

pub(super) fn uuid_at(src: &[u8], i: usize) -> Option<([u8; 16], bool)> {
    let text = src.get(i..i + 36)?;
    if src.get(i + 36).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    let mut hex = Vec::with_capacity(32);
    for (k, &b) in text.iter().enumerate() {
        if matches!(k, 8 | 13 | 18 | 23) {
            if b != b'-' {
                return None;
            }
        } else {
            hex.push(b);
        }
    }
    let (raw, _, upper) = hex_id(&hex).or_else(|| {
        // An all-decimal UUID is still a UUID.
        let mut raw = [0u8; 16];
        for (k, pair) in hex.chunks(2).enumerate() {
            raw[k] = hex_val(pair[0])? << 4 | hex_val(pair[1])?;
        }
        Some((raw, 16, false))
    })?;
    Some((raw, upper))
}

pub(super) fn write_id(form: IdForm, raw: &[u8], out: &mut Vec<u8>) {
    let hex = |upper: bool, out: &mut Vec<u8>, bytes: &[u8]| {
        let digits: &[u8; 16] = if upper {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        for b in bytes {
            out.push(digits[usize::from(b >> 4)]);
            out.push(digits[usize::from(b & 15)]);
        }
    };
    match form {
        IdForm::Hex { upper } => hex(upper, out, raw),
        IdForm::Hex0x { upper } => {
            out.extend_from_slice(b"0x");
            hex(upper, out, raw);
        }
        IdForm::Uuid { upper } => {
            for (k, part) in [
                &raw[0..4],
                &raw[4..6],
                &raw[6..8],
                &raw[8..10],
                &raw[10..16],
            ]
            .iter()
            .enumerate()
            {
                if k > 0 {
                    out.push(b'-');
                }
                hex(upper, out, part);
            }
        }
        IdForm::Base64 { escaped } => {
            for b in STANDARD.encode(raw).bytes() {
                if escaped && b == b'/' {
                    out.push(b'\\');
                }
                out.push(b);
            }
        }
    }
}
