//! One-way ANOVA F test from per-group sums (SPSS CHAID's test for a continuous target).
//!
//! A group is `[f, w, s, q]`: the frequency-weighted count Σf, the analysis weight Σw (frequency ×
//! case weight), Σw·y and Σw·y². Sums of squares use w, degrees of freedom use f:
//! F = (SSB / (r − 1)) / (SSW / (N_f − r)).

use super::dist::ln_f_sf;
use super::TestResult;

/// Width of a group's sums.
pub const WIDTH: usize = 4;

/// The F test of the groups with a positive count.
pub fn test(groups: &[&[f64]]) -> TestResult {
    let live: Vec<&[f64]> = groups.iter().copied().filter(|g| g[0] > 0.0).collect();
    let r = live.len();
    let nf: f64 = live.iter().map(|g| g[0]).sum();
    if r < 2 || nf - r as f64 <= 0.0 {
        return TestResult::NULL;
    }
    let w: f64 = live.iter().map(|g| g[1]).sum();
    let grand = live.iter().map(|g| g[2]).sum::<f64>() / w;
    let mut ssb = 0.0;
    let mut ssw = 0.0;
    for g in &live {
        let mean = g[2] / g[1];
        ssb += g[1] * (mean - grand) * (mean - grand);
        ssw += (g[3] - g[2] * mean).max(0.0);
    }
    let df1 = (r - 1) as f64;
    let df2 = nf - r as f64;
    if ssw <= f64::EPSILON * ssb.max(1.0) {
        // No variation within groups: perfect separation if the means differ.
        let (statistic, ln_p) = if ssb > f64::EPSILON {
            (f64::INFINITY, f64::NEG_INFINITY)
        } else {
            (0.0, 0.0)
        };
        return TestResult {
            statistic,
            df1,
            df2,
            ln_p,
        };
    }
    let statistic = (ssb / df1) / (ssw / df2);
    TestResult {
        statistic,
        df1,
        df2,
        ln_p: ln_f_sf(statistic, df1, df2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(ys: &[f64]) -> [f64; 4] {
        let n = ys.len() as f64;
        [n, n, ys.iter().sum(), ys.iter().map(|y| y * y).sum::<f64>()]
    }

    #[test]
    fn matches_scipy_f_oneway() {
        // scipy.stats.f_oneway([1, 2, 3, 4], [2, 4, 6], [10, 11, 9, 12, 10])
        let a = sums(&[1.0, 2.0, 3.0, 4.0]);
        let b = sums(&[2.0, 4.0, 6.0]);
        let c = sums(&[10.0, 11.0, 9.0, 12.0, 10.0]);
        let r = test(&[&a, &b, &c]);
        assert!(
            (r.statistic - 38.934065934065956).abs() < 1e-9,
            "{}",
            r.statistic
        );
        assert_eq!((r.df1, r.df2), (2.0, 9.0));
        assert!(
            (r.p_value() - 3.708677963015405e-05).abs() < 1e-12,
            "{}",
            r.p_value()
        );
    }
}
