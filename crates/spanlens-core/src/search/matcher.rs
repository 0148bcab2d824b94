//! Text matching for search: fuzzy (nucleo), exact substring and regular expressions, with
//! smart case, returning the best line of a text and the matched character positions.
//!
//! This is the only module that names nucleo: the crate's release cadence is slow and it
//! may need swapping (television and atuin moved to frizbee), so nothing else depends on it.

use super::query::{Mode, Query};
use nucleo::pattern::{CaseMatching, Normalization, Pattern};
use nucleo::{Config, Matcher, Utf32Str};

/// nucleo's optimal matcher works on haystacks up to 2048 chars; longer lines are searched
/// in segments of this many characters so a hit still points near the match.
const SEGMENT: usize = 512;
/// Characters of context kept around a match in a snippet.
const SNIPPET: usize = 160;

/// The best match in one text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineMatch {
    /// 0-based line of the text.
    pub line: usize,
    /// The line, cut around the match.
    pub snippet: String,
    /// Matched character ranges within `snippet`.
    pub ranges: Vec<(usize, usize)>,
    pub score: u32,
}

/// The best line so far: its number, score, matched ranges and text.
type Best<'t> = (usize, u32, Vec<(usize, usize)>, &'t str);

/// A compiled query text.
pub struct TextMatcher {
    mode: Mode,
    pattern: Pattern,
    matcher: Matcher,
    /// For the fast raw-text path: the words of the query, and a matcher configured for
    /// their case (greedy matching takes its case from the matcher, not the needle).
    words: Vec<nucleo::Utf32String>,
    /// Each word as a literal to look for (ASCII words only), when greedy matching
    /// scores it too low.
    literals: Vec<Option<memchr::memmem::Finder<'static>>>,
    lower: Lower,
    greedy: Matcher,
    regex: Option<regex::Regex>,
    buf: Vec<char>,
    indices: Vec<u32>,
}

impl TextMatcher {
    pub fn new(q: &Query) -> TextMatcher {
        let case = if q.case_sensitive {
            CaseMatching::Respect
        } else {
            CaseMatching::Ignore
        };
        let pattern = Pattern::parse(&q.text, case, Normalization::Smart);
        let regex = match q.mode {
            Mode::Fuzzy => None,
            Mode::Exact => build_regex(&regex::escape(&q.text), q.case_sensitive),
            Mode::Regex => build_regex(&q.text, q.case_sensitive),
        };
        let matcher = Matcher::new(Config::DEFAULT);
        let mut config = Config::DEFAULT;
        config.ignore_case = !q.case_sensitive;
        let norm = |w: &str| {
            if q.case_sensitive {
                w.to_owned()
            } else {
                w.to_lowercase()
            }
        };
        let words = q
            .text
            .split_whitespace()
            .map(|w| nucleo::Utf32String::from(norm(w).as_str()))
            .collect();
        let literals = q
            .text
            .split_whitespace()
            .map(|w| {
                let w = norm(w);
                w.is_ascii()
                    .then(|| memchr::memmem::Finder::new(w.as_bytes()).into_owned())
            })
            .collect();
        TextMatcher {
            mode: q.mode,
            pattern,
            matcher,
            words,
            literals,
            lower: Lower {
                fold: !q.case_sensitive,
                buf: Vec::new(),
            },
            greedy: Matcher::new(config),
            regex,
            buf: Vec::new(),
            indices: Vec::new(),
        }
    }

    /// Matches a short, one-line value (a name). Returns the score and matched ranges.
    pub fn short(&mut self, s: &str) -> Option<(u32, Vec<(usize, usize)>)> {
        let m = self.line(s)?;
        Some((m.0, m.1))
    }

    /// The score of one line, without match positions (cheaper: used to rank raw text).
    pub fn score(&mut self, s: &str) -> Option<u32> {
        match self.mode {
            Mode::Fuzzy => self
                .pattern
                .score(Utf32Str::new(s, &mut self.buf), &mut self.matcher),
            Mode::Exact | Mode::Regex => self.line(s).map(|m| m.0),
        }
    }

    /// A fast fuzzy score for ranking raw text at scale: greedy (linear) matching of every
    /// word, and a floor so scattered matches across a long line do not count (fuzzy
    /// matching over long text otherwise "matches almost anything").
    pub fn score_fast(&mut self, s: &str) -> Option<u32> {
        if self.mode != Mode::Fuzzy {
            return self.score(s);
        }
        let hay = utf32(s, &mut self.buf);
        let mut total = 0u32;
        for (w, literal) in self.words.iter().zip(&self.literals) {
            let needle = w.slice(..);
            let mut score = u32::from(self.greedy.fuzzy_match_greedy(hay, needle)?);
            // Each matched character scores 16 before gap penalties: demand half of it.
            // Greedy matching takes the first of each character, so a word written out
            // later in the line can score below that: the word as written always counts.
            if score < needle.len() as u32 * 8 {
                let found = literal.as_ref().is_some_and(|f| self.lower.find_in(s, f));
                if !found {
                    return None;
                }
                score = needle.len() as u32 * 16;
            }
            total += score;
        }
        Some(total)
    }

    /// The best-scoring line of `text`.
    pub fn best_line(&mut self, text: &str) -> Option<LineMatch> {
        // (line, score, ranges, segment)
        let mut best: Option<Best> = None;
        let fuzzy = self.mode == Mode::Fuzzy;
        for (i, line) in text.split('\n').enumerate() {
            // Only fuzzy matching needs short haystacks; a substring may span any length.
            let segs: Vec<&str> = if fuzzy {
                segments(line).collect()
            } else {
                vec![line]
            };
            for seg in segs {
                if let Some((score, ranges)) = self.line(seg)
                    && best.as_ref().is_none_or(|b| score > b.1)
                {
                    best = Some((i, score, ranges, seg));
                }
            }
        }
        let (line, score, ranges, seg) = best?;
        let (snippet, ranges) = cut(seg, &ranges);
        Some(LineMatch {
            line,
            snippet,
            ranges,
            score,
        })
    }

    /// Matches one line: score and matched character ranges.
    fn line(&mut self, s: &str) -> Option<(u32, Vec<(usize, usize)>)> {
        match self.mode {
            Mode::Fuzzy => {
                let hay = Utf32Str::new(s, &mut self.buf);
                self.indices.clear();
                let score = self
                    .pattern
                    .indices(hay, &mut self.matcher, &mut self.indices)?;
                self.indices.sort_unstable();
                self.indices.dedup();
                Some((score, runs(&self.indices)))
            }
            Mode::Exact | Mode::Regex => {
                let re = self.regex.as_ref()?;
                let m = re.find(s)?;
                let start = s[..m.start()].chars().count();
                let len = m.as_str().chars().count();
                // Earlier matches in shorter lines rank a little higher.
                let score =
                    1000u32.saturating_sub(start.min(500) as u32 + (s.len().min(4000) / 10) as u32);
                Some((score, vec![(start, start + len.max(1))]))
            }
        }
    }
}

/// Looks for a literal word in a line, ignoring ASCII case unless `fold` is off.
struct Lower {
    fold: bool,
    buf: Vec<u8>,
}

impl Lower {
    fn find_in(&mut self, line: &str, word: &memchr::memmem::Finder) -> bool {
        if !self.fold {
            return word.find(line.as_bytes()).is_some();
        }
        self.buf.clear();
        self.buf
            .extend(line.bytes().map(|b| b.to_ascii_lowercase()));
        word.find(&self.buf).is_some()
    }
}

/// A haystack for nucleo. PERF: `Utf32Str::new` segments non-ASCII text into grapheme
/// clusters, which dominated scanning a million spans of mixed-script prompts; plain
/// characters are enough to rank a match.
fn utf32<'a>(s: &'a str, buf: &'a mut Vec<char>) -> Utf32Str<'a> {
    if s.is_ascii() {
        Utf32Str::Ascii(s.as_bytes())
    } else {
        buf.clear();
        buf.extend(s.chars());
        Utf32Str::Unicode(buf)
    }
}

fn build_regex(pattern: &str, case_sensitive: bool) -> Option<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(!case_sensitive)
        .build()
        .ok()
}

/// Splits a long line into segments of `SEGMENT` characters (on char boundaries).
fn segments(line: &str) -> impl Iterator<Item = &str> {
    let mut rest = line;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let cut = rest
            .char_indices()
            .nth(SEGMENT)
            .map_or(rest.len(), |(i, _)| i);
        let (seg, tail) = rest.split_at(cut);
        rest = tail;
        Some(seg)
    })
    .chain(std::iter::once("").filter(move |_| line.is_empty()))
}

/// Sorted indices to ranges of consecutive indices.
fn runs(indices: &[u32]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &i in indices {
        let i = i as usize;
        match out.last_mut() {
            Some(r) if r.1 == i => r.1 = i + 1,
            _ => out.push((i, i + 1)),
        }
    }
    out
}

/// Cuts `line` to at most `SNIPPET` characters around its matches, shifting the ranges.
fn cut(line: &str, ranges: &[(usize, usize)]) -> (String, Vec<(usize, usize)>) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= SNIPPET {
        return (line.to_owned(), ranges.to_vec());
    }
    let first = ranges.first().map_or(0, |r| r.0);
    let start = first
        .saturating_sub(SNIPPET / 4)
        .min(chars.len().saturating_sub(SNIPPET));
    let end = (start + SNIPPET).min(chars.len());
    let mut snippet: String = chars[start..end].iter().collect();
    let lead = if start > 0 { 1 } else { 0 };
    if start > 0 {
        snippet.insert(0, '…');
    }
    if end < chars.len() {
        snippet.push('…');
    }
    let shifted = ranges
        .iter()
        .filter(|r| r.0 >= start && r.1 <= end)
        .map(|r| (r.0 - start + lead, r.1 - start + lead))
        .collect();
    (snippet, shifted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(q: &str) -> TextMatcher {
        TextMatcher::new(&Query::parse(q).unwrap())
    }

    #[test]
    fn fuzzy_tolerates_a_typo_by_order_and_finds_the_line() {
        let mut t = m("get_wether");
        assert!(t.short("get_weather").is_some());
        assert!(t.short("geocode").is_none());
        let text = "first line\nthen call get_weather now\nlast";
        let hit = t.best_line(text).unwrap();
        assert_eq!(hit.line, 1);
        assert_eq!(hit.snippet, "then call get_weather now");
    }

    #[test]
    fn exact_and_regex_with_smart_case() {
        let mut t = m("'rainy and");
        let hit = t.best_line("a\nIt is Rainy and 14C").unwrap();
        assert_eq!((hit.line, hit.ranges.clone()), (1, vec![(6, 15)]));
        assert!(
            m("'Rainy").best_line("it is rainy").is_none(),
            "upper case makes case matter"
        );
        let hit = m("re:timed? out")
            .best_line("x\ngeocoder timed out")
            .unwrap();
        assert_eq!(hit.line, 1);
    }

    #[test]
    fn long_lines_are_cut_around_the_match() {
        let line = format!("{}needle{}", "a".repeat(1000), "b".repeat(1000));
        let hit = m("'needle").best_line(&line).unwrap();
        assert!(hit.snippet.chars().count() <= SNIPPET + 2);
        let (a, b) = hit.ranges[0];
        let found: String = hit.snippet.chars().skip(a).take(b - a).collect();
        assert_eq!(found, "needle");
    }
}
