//! Bonferroni multipliers for a predictor whose I categories were merged into r groups
//! (IBM SPSS "CHAID and Exhaustive CHAID algorithms"; Kass 1980), as natural logarithms.

use statrs::function::factorial::ln_binomial;

/// How a predictor's categories may be merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merging {
    /// Any two categories may merge.
    Nominal,
    /// Only adjacent categories merge.
    Ordinal,
    /// Ordinal with a missing ("floating") category that may merge with any group.
    Floating,
}

/// ln B for `i` categories present in the node merged into `r` groups.
///
/// CHAID: nominal S(I, r) (Stirling number of the second kind), ordinal C(I−1, r−1), floating
/// C(I−2, r−2) + r·C(I−2, r−1); B = 1 when nothing was merged (r = I).
/// Exhaustive CHAID (IBM's convention): ordinal and floating I(I−1)/2, nominal I(I²−1)/2; B = 1
/// when I ≤ 2 (a single possible configuration).
pub fn ln_multiplier(kind: Merging, i: usize, r: usize, exhaustive: bool) -> f64 {
    if i <= 1 || r == 0 {
        return 0.0;
    }
    if exhaustive {
        if i <= 2 {
            return 0.0;
        }
        let fi = i as f64;
        return match kind {
            Merging::Ordinal | Merging::Floating => (fi * (fi - 1.0) / 2.0).ln(),
            Merging::Nominal => (fi * (fi * fi - 1.0) / 2.0).ln(),
        };
    }
    if r >= i {
        return 0.0;
    }
    let (i64_, r64) = (i as u64, r as u64);
    match kind {
        Merging::Ordinal => ln_binomial(i64_ - 1, r64 - 1),
        Merging::Nominal => ln_stirling2(i, r),
        Merging::Floating => {
            if i < 2 {
                return 0.0;
            }
            // r ≥ 2 here whenever the floating category stands alone or joins a group of ≥ 2.
            let a = if r >= 2 {
                ln_binomial(i64_ - 2, r64 - 2)
            } else {
                f64::NEG_INFINITY
            };
            let b = if r - 1 <= i - 2 {
                (r as f64).ln() + ln_binomial(i64_ - 2, r64 - 1)
            } else {
                f64::NEG_INFINITY
            };
            log_add_exp(a, b).max(0.0)
        }
    }
}

fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if hi == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// ln S(n, k), Stirling numbers of the second kind, by the recurrence
/// S(n, k) = k S(n−1, k) + S(n−1, k−1) in log space (the alternating closed form cancels badly).
pub fn ln_stirling2(n: usize, k: usize) -> f64 {
    if k == 0 || k > n {
        return f64::NEG_INFINITY;
    }
    // row[j] = ln S(m, j) for the current m, j = 0..=k.
    let mut row = vec![f64::NEG_INFINITY; k + 1];
    row[0] = 0.0; // S(0, 0) = 1
    for m in 1..=n {
        let top = m.min(k);
        for j in (1..=top).rev() {
            row[j] = log_add_exp((j as f64).ln() + row[j], row[j - 1]);
        }
        row[0] = f64::NEG_INFINITY;
    }
    row[k]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(kind: Merging, i: usize, r: usize, ex: bool) -> f64 {
        ln_multiplier(kind, i, r, ex).exp()
    }

    #[test]
    fn stirling_numbers() {
        // S(4,2) = 7, S(5,3) = 25, S(10,4) = 34105, S(30, 2) = 2^29 − 1.
        for (n, k, want) in [
            (4, 2, 7.0),
            (5, 3, 25.0),
            (10, 4, 34105.0),
            (30, 2, 536870911.0),
        ] {
            let got = ln_stirling2(n, k).exp();
            assert!((got - want).abs() < 1e-9 * want, "S({n},{k}) = {got}");
        }
        assert!(ln_stirling2(500, 250).is_finite());
    }

    #[test]
    fn multipliers_by_kind() {
        assert!((b(Merging::Nominal, 4, 2, false) - 7.0).abs() < 1e-9);
        assert!((b(Merging::Ordinal, 4, 2, false) - 3.0).abs() < 1e-9);
        assert!((b(Merging::Ordinal, 10, 4, false) - 84.0).abs() < 1e-9);
        // floating: C(I−2, r−2) + r C(I−2, r−1); I = 5, r = 3: C(3,1) + 3 C(3,2) = 12.
        assert!((b(Merging::Floating, 5, 3, false) - 12.0).abs() < 1e-9);
        assert_eq!(b(Merging::Nominal, 4, 4, false), 1.0);
        assert!((b(Merging::Nominal, 4, 2, true) - 30.0).abs() < 1e-9);
        assert!((b(Merging::Ordinal, 4, 2, true) - 6.0).abs() < 1e-9);
        assert_eq!(b(Merging::Nominal, 2, 2, true), 1.0);
    }
}
