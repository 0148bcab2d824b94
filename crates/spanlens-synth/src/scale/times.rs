//! The timestamp forms a scanned export writes (epoch digits, ISO text, LangSmith's
//! compact `dotted_order` time), how each is recognised, and how it is written shifted.

use super::clock::Civil;

/// How a timestamp was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeForm {
    /// A decimal integer of epoch milliseconds (13 digits), microseconds (16) or
    /// nanoseconds (19), as a JSON number or inside a string; `unit` is its size in ns.
    Digits { unit: i64 },
    /// `YYYY-MM-DD?hh:mm:ss` with `sep` between date and time (`T` or a space); the
    /// fraction and zone after it are left as written.
    Iso { sep: u8 },
    /// `YYYYMMDDThhmmss` (LangSmith `dotted_order`).
    Compact,
}

/// Shifts an integer that looks like an epoch timestamp (13, 16 or 19 digits between
/// 1.0e12 and 2.2e12 ms, and the same for µs and ns); other values come back unchanged.
pub fn shift_int(value: i64, shift_secs: i64) -> i64 {
    match epoch_unit(value) {
        Some(unit) => value + shift_secs * (1_000_000_000 / unit),
        None => value,
    }
}

pub(super) fn epoch_unit(value: i64) -> Option<i64> {
    [
        (1_000_000_000_000, 1_000_000),
        (1_000_000_000_000_000, 1_000),
        (1_000_000_000_000_000_000, 1),
    ]
    .into_iter()
    .find(|(lo, _)| (*lo..=*lo / 10 * 22).contains(&value))
    .map(|(_, unit)| unit)
}

fn digits(src: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = src.get(at..at + n)?;
    s.iter()
        .all(u8::is_ascii_digit)
        .then(|| s.iter().fold(0, |v, d| v * 10 + u32::from(d - b'0')))
}

/// A date and time at `i`: a 4-digit year, then 2-digit month, day, hour, minute and
/// second at the offsets `at` (the two forms differ only in their separators).
fn civil_at(src: &[u8], i: usize, at: [usize; 5]) -> Option<Civil> {
    let two = |k: usize| digits(src, i + at[k], 2);
    Some(Civil {
        year: i64::from(digits(src, i, 4)?),
        month: two(0)?,
        day: two(1)?,
        hour: two(2)?,
        minute: two(3)?,
        second: two(4)?,
    })
}

/// `YYYY-MM-DD?hh:mm:ss` → (19, epoch seconds, separator).
pub(super) fn iso_at(src: &[u8], i: usize) -> Option<(usize, i64, u8)> {
    let s = src.get(i..i + 19)?;
    let sep = s[10];
    if s[4] != b'-' || s[7] != b'-' || !matches!(sep, b'T' | b' ') || s[13] != b':' || s[16] != b':'
    {
        return None;
    }
    let c = civil_at(src, i, [5, 8, 11, 14, 17])?;
    c.valid().then(|| (19, c.epoch_secs(), sep))
}

/// `YYYYMMDDThhmmss[digits]Z` → (15, epoch seconds): the fraction and `Z` are not part
/// of the site.
pub(super) fn compact_at(src: &[u8], i: usize) -> Option<(usize, i64)> {
    if src.get(i + 8) != Some(&b'T') {
        return None;
    }
    let c = civil_at(src, i, [4, 6, 9, 11, 13])?;
    let frac = src[i + 15..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    (c.valid() && src.get(i + 15 + frac) == Some(&b'Z')).then(|| (15, c.epoch_secs()))
}

pub(super) fn write_time(form: TimeForm, value: i64, shift_secs: i64, out: &mut Vec<u8>) {
    use std::io::Write;
    match form {
        TimeForm::Digits { unit } => {
            let _ = write!(out, "{}", value + shift_secs * (1_000_000_000 / unit));
        }
        TimeForm::Iso { sep } => {
            let c = Civil::from_epoch_secs(value + shift_secs);
            let _ = write!(
                out,
                "{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}",
                c.year, c.month, c.day, sep as char, c.hour, c.minute, c.second
            );
        }
        TimeForm::Compact => {
            let c = Civil::from_epoch_secs(value + shift_secs);
            let _ = write!(
                out,
                "{:04}{:02}{:02}T{:02}{:02}{:02}",
                c.year, c.month, c.day, c.hour, c.minute, c.second
            );
        }
    }
}
