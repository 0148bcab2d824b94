//! Timestamps to integer nanoseconds since the Unix epoch, never through a float.
//!
//! Exports use decimal strings and JSON integers of nanoseconds (OTLP, MLflow spans),
//! RFC 3339 with 0–9 fractional digits and `Z` or an offset (MLflow info, Phoenix, Langfuse,
//! LangSmith), `YYYY-MM-DD HH:MM:SS.ffffff` in UTC (Langfuse blob export), epoch
//! milliseconds (MLflow DataFrames, LangSmith JS) and HrTime `[seconds, nanos]` (OTel JS).

/// Parses a decimal integer string of nanoseconds (OTLP `startTimeUnixNano`).
pub fn parse_nanos(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses an RFC 3339 / ISO-8601 date-time (`T` or space separator, optional zone).
/// A missing zone means UTC, as Langfuse's blob export writes it.
pub fn parse_iso(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    if b.len() < 19 {
        return None;
    }
    // PERF: digits folded by hand (at most four, so no overflow); `str::parse` took most
    // of the 1,200 instructions a time cost, and MLflow assessments carry two each.
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        (part.iter().all(u8::is_ascii_digit))
            .then(|| (part.iter()).fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut frac_ns = 0i64;
    if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &b[start..i];
        for (n, d) in digits.iter().take(9).enumerate() {
            frac_ns += i64::from(d - b'0') * 10i64.pow(8 - n as u32);
        }
    }
    let offset_s = parse_zone(&b[i..])?;
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + min * 60 + sec - offset_s;
    secs.checked_mul(1_000_000_000)?.checked_add(frac_ns)
}

fn parse_zone(z: &[u8]) -> Option<i64> {
    match z {
        [] | [b'Z'] | [b'z'] => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let digits: Vec<u8> = rest.iter().copied().filter(|c| *c != b':').collect();
            if digits.len() != 4 || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let h = i64::from(digits[0] - b'0') * 10 + i64::from(digits[1] - b'0');
            let m = i64::from(digits[2] - b'0') * 10 + i64::from(digits[3] - b'0');
            let off = h * 3600 + m * 60;
            Some(if *sign == b'-' { -off } else { off })
        }
        _ => None,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// Formats nanoseconds since the epoch as RFC 3339 UTC with millisecond precision.
pub fn format_iso_ms(ns: i64) -> String {
    match iso_ms_bytes(ns) {
        Some(out) => String::from_utf8_lossy(&out).into_owned(),
        None => {
            let (y, m, d, h, min, s, ms) = civil_ms(ns);
            format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{ms:03}Z")
        }
    }
}

/// `format_iso_ms(ns)` as ASCII bytes, for years 0 to 9999 (`None` for the others).
///
/// PERF: digits written by hand: `format!` took 3,000 instructions a time, and `summary`
/// writes one or two per trace, straight into its rows.
pub fn iso_ms_bytes(ns: i64) -> Option<[u8; 24]> {
    let (y, m, d, h, min, s, ms) = civil_ms(ns);
    if !(0..=9999).contains(&y) {
        return None;
    }
    let mut out = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut v: i64| {
        for k in (at..at + width).rev() {
            out[k] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, y);
    put(5, 2, m);
    put(8, 2, d);
    put(11, 2, h);
    put(14, 2, min);
    put(17, 2, s);
    put(20, 3, ms);
    Some(out)
}

/// Year, month, day, hour, minute, second and millisecond of `ns` since the epoch (UTC).
fn civil_ms(ns: i64) -> (i64, i64, i64, i64, i64, i64, i64) {
    let secs = ns.div_euclid(1_000_000_000);
    let ms = ns.rem_euclid(1_000_000_000) / 1_000_000;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60, ms)
}

/// Formats a duration compactly: `812ns`, `4.2µs`, `35ms`, `1.24s`, `3m05s`, `2h10m`.
pub fn format_duration(ns: i64) -> String {
    let neg = ns < 0;
    let a = ns.unsigned_abs();
    let body = if a < 1_000 {
        format!("{a}ns")
    } else if a < 1_000_000 {
        trim_unit(a as f64 / 1e3, "µs")
    } else if a < 1_000_000_000 {
        trim_unit(a as f64 / 1e6, "ms")
    } else if a < 60_000_000_000 {
        trim_unit(a as f64 / 1e9, "s")
    } else if a < 3_600_000_000_000 {
        let s = a / 1_000_000_000;
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        let m = a / 60_000_000_000;
        format!("{}h{:02}m", m / 60, m % 60)
    };
    if neg { format!("-{body}") } else { body }
}

fn trim_unit(v: f64, unit: &str) -> String {
    if v >= 100.0 {
        format!("{v:.0}{unit}")
    } else if v >= 10.0 {
        format!("{v:.1}{unit}")
    } else {
        format!("{v:.2}{unit}")
    }
}

/// Total length of the union of `(start, end)` intervals sorted by start: time covered at
/// least once, with overlaps (parallel children) counted once.
pub fn union_len(sorted: &[(i64, i64)]) -> i64 {
    let mut covered = 0;
    let mut cur: Option<(i64, i64)> = None;
    for &(a, z) in sorted {
        cur = match cur {
            Some((ca, cz)) if a <= cz => Some((ca, cz.max(z))),
            Some((ca, cz)) => {
                covered += cz - ca;
                Some((a, z))
            }
            None => Some((a, z)),
        };
    }
    if let Some((ca, cz)) = cur {
        covered += cz - ca;
    }
    covered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_with_any_precision_and_zone() {
        let base = 1_795_896_411_000_000_000i64; // 2026-11-28T20:06:51Z
        assert_eq!(parse_iso("2026-11-28T20:06:51Z"), Some(base));
        assert_eq!(
            parse_iso("2026-11-28T20:06:51.774Z"),
            Some(base + 774_000_000)
        );
        assert_eq!(
            parse_iso("2026-11-28T20:06:51.123456789Z"),
            Some(base + 123_456_789)
        );
        assert_eq!(
            parse_iso("2026-11-28T21:06:51.5+01:00"),
            Some(base + 500_000_000)
        );
        assert_eq!(parse_iso("2026-11-28 20:06:51.000001"), Some(base + 1_000));
        assert_eq!(parse_iso("yesterday"), None);
    }

    #[test]
    fn nanos_never_go_through_a_float() {
        // 2^53 + 1 is not representable as f64.
        assert_eq!(parse_nanos("9007199254740993"), Some(9_007_199_254_740_993));
        assert_eq!(
            parse_nanos("1795896411910624978"),
            Some(1_795_896_411_910_624_978)
        );
        assert_eq!(parse_nanos("-5"), None);
    }

    #[test]
    fn times_written_by_hand_are_those_format_writes() {
        let by_format = |ns: i64| {
            let secs = ns.div_euclid(1_000_000_000);
            let ms = ns.rem_euclid(1_000_000_000) / 1_000_000;
            let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
            let rem = secs.rem_euclid(86_400);
            let (h, min, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
            format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{ms:03}Z")
        };
        let mut seed = 9u64;
        let mut times = vec![0, -1, 1, i64::MAX, i64::MIN, 253_402_300_799_999_999];
        for _ in 0..20_000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            times.push(seed as i64);
            times.push((seed >> 4) as i64 % 4_000_000_000_000_000_000);
        }
        for ns in times {
            assert_eq!(format_iso_ms(ns), by_format(ns), "{ns}");
        }
    }

    #[test]
    fn formatting_round_trips() {
        let ns = parse_iso("2026-11-28T20:06:51.774Z").unwrap();
        assert_eq!(format_iso_ms(ns), "2026-11-28T20:06:51.774Z");
        assert_eq!(format_duration(1_240_000_000), "1.24s");
        assert_eq!(format_duration(35_000_000), "35.0ms");
        assert_eq!(format_duration(185_000_000_000), "3m05s");
    }
}
