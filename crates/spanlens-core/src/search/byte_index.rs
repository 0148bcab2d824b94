//! What raw-byte search needs: where each span's bytes are in its source (the locator),
//! and the raw spellings an exact needle may have in an export (escaped once or twice,
//! non-ASCII as `\uXXXX`).

use crate::model::{SpanIx, TraceSet};
use rayon::prelude::*;
use regex::bytes::{Regex, RegexBuilder};
use std::sync::OnceLock;

/// For each source, the byte regions of its spans, sorted by start: (start, end, span).
#[derive(Debug, Default)]
pub struct Locator {
    regions: Vec<Vec<(u64, u64, u32)>>,
}

impl Locator {
    /// The span regions of source `src`, in file order.
    pub fn regions(&self, src: usize) -> &[(u64, u64, u32)] {
        self.regions.get(src).map_or(&[], Vec::as_slice)
    }

    /// The span whose bytes contain offset `at` of source `src`.
    pub fn find(&self, src: usize, at: u64) -> Option<SpanIx> {
        let regions = self.regions.get(src)?;
        let i = regions.partition_point(|r| r.0 <= at).checked_sub(1)?;
        let (_, end, span) = regions[i];
        (at < end).then_some(SpanIx(span))
    }
}

/// Search state kept across searches of one trace set: the span locator, built on first
/// use (a pass over the spans' references).
#[derive(Debug, Default)]
pub struct Index {
    locator: OnceLock<Locator>,
}

impl Index {
    pub fn locator(&self, set: &TraceSet) -> &Locator {
        self.locator.get_or_init(|| build_locator(set))
    }
}

fn build_locator(set: &TraceSet) -> Locator {
    let mut regions: Vec<Vec<(u64, u64, u32)>> = vec![Vec::new(); set.sources.len()];
    for (i, s) in set.spans.iter().enumerate() {
        let ix = SpanIx(i as u32);
        let mut lo = u64::MAX;
        let mut hi = 0u64;
        let mut widen = |off: u64, len: u32| {
            lo = lo.min(off);
            hi = hi.max(off + u64::from(len));
        };
        for t in [s.status_msg, s.input, s.output, s.events, s.links]
            .into_iter()
            .flatten()
        {
            if t.src == s.src {
                widen(t.off, t.len);
            }
        }
        for a in &set.attrs[s.attr_range()] {
            widen(a.off, a.len);
        }
        if lo < hi {
            regions[s.src as usize].push((lo, hi, ix.0));
        }
    }
    regions.par_iter_mut().for_each(|r| r.sort_unstable());
    Locator { regions }
}

/// The raw spellings of `needle` an export may contain: as is, JSON-escaped, escaped twice
/// (JSON inside a JSON string, as MLflow writes attributes), and with non-ASCII as `\uXXXX`
/// (Python's default `json.dumps`).
pub fn raw_pattern(needle: &str, case_sensitive: bool) -> Option<Regex> {
    let once = json_escape(needle);
    let twice = json_escape(&once);
    let ascii = ascii_escape(&once);
    let mut forms = vec![needle.to_owned(), once, twice, ascii];
    forms.sort();
    forms.dedup();
    let alternation = forms
        .iter()
        .map(|f| regex::escape(f))
        .collect::<Vec<_>>()
        .join("|");
    RegexBuilder::new(&alternation)
        .case_insensitive(!case_sensitive)
        .unicode(!case_sensitive)
        .build()
        .ok()
}

fn json_escape(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted[1..quoted.len() - 1].to_owned()
}

fn ascii_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_spellings_are_found() {
        let re = raw_pattern("say \"hi\" café", false).unwrap();
        assert!(re.is_match(br#"{"v":"Say \"hi\" caf\u00e9"}"#));
        assert!(re.is_match(r#"{"v":"\"say \\\"hi\\\" café\""}"#.as_bytes()));
        assert!(re.is_match("say \"hi\" CAFÉ".as_bytes()));
        assert!(!re.is_match(b"say hi cafe"));
    }
}
