//! Counts of the inputs that left a loader's fast path, by path and reason, so the next
//! person can see what the fast path misses (`SPANLENS_TIMINGS` prints them).

/// One slow path taken: what took it (`"otlp line → serde reader"`), why, and how often.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlowPath {
    pub what: &'static str,
    pub why: &'static str,
    pub count: u64,
}

/// Slow paths taken, by (what, why). Few distinct reasons exist, so a list beats a map.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlowPaths(pub Vec<SlowPath>);

impl SlowPaths {
    /// Counts `n` more units (lines, spans, values) of `what` that took the slow path for `why`.
    pub fn add(&mut self, what: &'static str, why: &'static str, n: u64) {
        match self.0.iter_mut().find(|p| p.what == what && p.why == why) {
            Some(p) => p.count += n,
            None => self.0.push(SlowPath {
                what,
                why,
                count: n,
            }),
        }
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &SlowPaths) {
        for p in &other.0 {
            self.add(p.what, p.why, p.count);
        }
    }

    /// How many units of `what` took a slow path for `why` (0 when none did).
    pub fn count(&self, what: &str, why: &str) -> u64 {
        (self.0.iter())
            .filter(|p| p.what == what && p.why == why)
            .map(|p| p.count)
            .sum()
    }

    /// How many units of `what` took a slow path, for any reason.
    pub fn total(&self, what: &str) -> u64 {
        (self.0.iter())
            .filter(|p| p.what == what)
            .map(|p| p.count)
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// One line per (what, why), most taken first, for `SPANLENS_TIMINGS`.
    pub fn lines(&self) -> Vec<String> {
        let mut v = self.0.clone();
        v.sort_by(|a, b| b.count.cmp(&a.count).then(a.what.cmp(b.what)));
        v.iter()
            .map(|p| format!("slow path {}: {} ({})", p.what, p.count, p.why))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_by_path_and_reason() {
        let mut a = SlowPaths::default();
        a.add("otlp line", "escaped key", 2);
        a.add("otlp line", "escaped key", 3);
        a.add("otlp line", "bytesValue", 1);
        let mut b = SlowPaths::default();
        b.add("mlflow span", "unknown field", 4);
        b.add("otlp line", "bytesValue", 1);
        a.merge(&b);
        assert_eq!(a.count("otlp line", "escaped key"), 5);
        assert_eq!(a.count("otlp line", "bytesValue"), 2);
        assert_eq!(a.total("otlp line"), 7);
        assert_eq!(a.total("mlflow span"), 4);
        assert_eq!(a.lines()[0], "slow path otlp line: 5 (escaped key)");
    }
}
