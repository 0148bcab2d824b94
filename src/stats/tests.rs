//! Unit tests of the stats core: percentiles, critical path, tools, filters.

use super::*;

#[test]
fn percentile_is_nearest_rank() {
    let v: Vec<i64> = (1..=10).collect();
    assert_eq!(percentile(&v, 50.0), Some(5));
    assert_eq!(percentile(&v, 90.0), Some(9));
    assert_eq!(percentile(&v, 99.0), Some(10));
    assert_eq!(percentile(&v, 100.0), Some(10));
    assert_eq!(percentile(&v, 0.0), Some(1));
    assert_eq!(percentile(&[7], 50.0), Some(7));
    assert_eq!(percentile(&[], 50.0), None);
}
