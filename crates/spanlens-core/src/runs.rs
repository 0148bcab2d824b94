//! Cutting a list into contiguous runs of about equal weight, so work spread over the
//! pool (array elements by bytes, traces by spans) finishes together and merges back in
//! order.

use std::ops::Range;

/// Runs of consecutive items whose weights add up to at least `per` each (the last run
/// takes what is left), given each item's weight in order.
pub(crate) fn by_weight(weights: impl Iterator<Item = usize>, per: usize) -> Vec<Range<usize>> {
    let (mut runs, mut start, mut acc, mut len) = (Vec::new(), 0, 0, 0);
    for (i, w) in weights.enumerate() {
        acc += w;
        len = i + 1;
        if acc >= per {
            runs.push(start..len);
            (start, acc) = (len, 0);
        }
    }
    if start < len {
        runs.push(start..len);
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::by_weight;

    #[test]
    fn runs_close_once_their_weight_is_reached_and_the_rest_is_a_run() {
        assert_eq!(
            by_weight([3, 1, 1, 5, 2].into_iter(), 4),
            [0..2, 2..4, 4..5]
        );
        assert_eq!(by_weight([4, 4].into_iter(), 4), [0..1, 1..2]);
        let one: Vec<std::ops::Range<usize>> = vec![std::ops::Range { start: 0, end: 3 }];
        assert_eq!(by_weight([0, 0, 0].into_iter(), 1), one);
        assert!(by_weight(std::iter::empty(), 1).is_empty());
    }
}
