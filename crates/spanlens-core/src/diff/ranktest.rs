//! The Mann-Whitney U test (Wilcoxon rank-sum) over two samples of durations, used to
//! tell a latency change from noise. The p-value is the two-sided normal approximation
//! with the tie correction and a continuity correction of ½, as scipy's
//! `mannwhitneyu(method="asymptotic")` computes it; below `MIN_SAMPLES` per side the
//! approximation is poor, so no p-value is given at all.

/// Fewest samples on each side for which a p-value is reported.
pub const MIN_SAMPLES: usize = 8;

/// The outcome of one test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RankTest {
    /// U of the first sample: the number of (a, b) pairs with a > b, ties counting ½.
    pub u: f64,
    /// Two-sided p-value.
    pub p: f64,
}

/// Tests two samples, each sorted ascending. `None` when either has fewer than
/// `MIN_SAMPLES` values.
pub fn mann_whitney(a: &[i64], b: &[i64]) -> Option<RankTest> {
    if a.len() < MIN_SAMPLES || b.len() < MIN_SAMPLES {
        return None;
    }
    Some(mann_whitney_any(a, b))
}

/// The test without the sample-size floor (for known-value tests on small samples).
/// Both samples must be sorted ascending: ranks come from one merge, O(n), which keeps
/// a step with a million calls cheap.
pub fn mann_whitney_any(a: &[i64], b: &[i64]) -> RankTest {
    debug_assert!(a.is_sorted() && b.is_sorted());
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    // Sum of the ranks of `a`, and Σ(t³ - t) over tie groups.
    let (mut rank_sum_a, mut ties) = (0f64, 0f64);
    let mut next_rank = 1f64;
    while i < a.len() || j < b.len() {
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => unreachable!(),
        };
        let from_a = a[i..].iter().take_while(|&&x| x == v).count();
        let from_b = b[j..].iter().take_while(|&&y| y == v).count();
        let t = (from_a + from_b) as f64;
        // Tied values share the mean of the ranks they span.
        let mean_rank = next_rank + (t - 1.0) / 2.0;
        rank_sum_a += mean_rank * from_a as f64;
        ties += t * t * t - t;
        next_rank += t;
        i += from_a;
        j += from_b;
    }
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let n = n1 + n2;
    let mu = n1 * n2 / 2.0;
    let var = n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)).max(1.0));
    let p = if var <= 0.0 {
        // Every value tied: nothing tells the samples apart.
        1.0
    } else {
        let z = ((u - mu).abs() - 0.5).max(0.0) / var.sqrt();
        erfc(z / std::f64::consts::SQRT_2).min(1.0)
    };
    RankTest { u, p }
}

/// The complementary error function (Numerical Recipes' Chebyshev fit, fractional error
/// below 1.2e-7 everywhere: ample for a p-value shown to three digits).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn matches_scipy_on_its_documented_example() {
        // scipy.stats.mannwhitneyu(males, females, method="asymptotic"):
        // statistic=17.0, pvalue=0.11134688653314041.
        let mut males = vec![19, 22, 16, 29, 24];
        let mut females = vec![20, 11, 17, 12];
        males.sort();
        females.sort();
        let r = mann_whitney_any(&males, &females);
        assert_eq!(r.u, 17.0);
        assert!(close(r.p, 0.111_346_886_533_140_41, 1e-6), "{}", r.p);
        assert!(mann_whitney(&males, &females).is_none(), "too few samples");
    }

    #[test]
    fn ties_use_the_corrected_variance() {
        // Hand-computed: ranks of a = 1.5+1.5+4+4+6 = 17 → U = 2; tie groups of 2, 3 and 2
        // give Σ(t³-t) = 6+24+6 = 36; var = 5·4/12·(10 - 36/72) = 15.8333;
        // z = (|2-10| - 0.5)/√15.8333 = 1.88484; p = erfc(z/√2) = 0.059451.
        let a = [1, 1, 2, 2, 3];
        let b = [2, 4, 5, 5];
        let r = mann_whitney_any(&a, &b);
        assert_eq!(r.u, 2.0);
        assert!(close(r.p, 0.059_451, 2e-5), "{}", r.p);
    }

    #[test]
    fn identical_samples_are_not_different_and_shifted_ones_are() {
        let a: Vec<i64> = (0..40).map(|i| 100 + i).collect();
        assert!(mann_whitney(&a, &a).unwrap().p > 0.9);
        let b: Vec<i64> = a.iter().map(|x| x + 35).collect();
        let r = mann_whitney(&a, &b).unwrap();
        assert!(r.p < 1e-6, "{}", r.p);
        let all_same = vec![5i64; 10];
        assert_eq!(mann_whitney(&all_same, &all_same).unwrap().p, 1.0);
    }

    #[test]
    fn erfc_known_values() {
        assert!(close(erfc(0.0), 1.0, 1e-7));
        assert!(close(erfc(1.0), 0.157_299_207, 1e-7));
        assert!(close(erfc(-1.0), 1.842_700_793, 1e-7));
        assert!(close(erfc(3.0), 2.209_049_7e-5, 1e-9));
    }
}
