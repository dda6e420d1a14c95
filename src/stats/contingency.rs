//! Pearson χ² and likelihood-ratio G² tests of independence on contingency tables given as rows
//! of weighted counts.
//!
//! Rows and columns with zero total are dropped before the test (df = (r'−1)(c'−1) on the rest),
//! as SPSS and R do; no Yates correction. With case weights SPSS estimates the expected counts of
//! the independence model m_ij = w̄_ij⁻¹ α_i β_j by iterative proportional fitting, w̄_ij being the
//! mean case weight of the cell.

use super::dist::ln_chi2_sf;
use super::TestResult;

/// Which χ² statistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    Pearson,
    LikelihoodRatio,
}

/// IPF stops when no expected count moves by more than this (SPSS's default).
const IPF_EPSILON: f64 = 1e-3;
const IPF_MAX_ITER: usize = 100;

/// Tests independence of the rows of `counts` (frequency-weighted counts, each of the same length).
/// `case` optionally holds, per cell, the sum of frequency × case weight.
pub fn test(counts: &[&[f64]], case: Option<&[&[f64]]>, stat: Statistic) -> TestResult {
    let (statistic, df) = statistic(counts, case, stat);
    if df == 0.0 {
        return TestResult::NULL;
    }
    TestResult {
        statistic,
        df1: df,
        df2: 0.0,
        ln_p: ln_chi2_sf(statistic, df),
    }
}

/// The statistic and its degrees of freedom (0 when the table has fewer than two non-empty rows
/// or columns), without the p-value.
pub fn statistic(counts: &[&[f64]], case: Option<&[&[f64]]>, stat: Statistic) -> (f64, f64) {
    match case {
        None => plain_statistic(counts, stat),
        Some(case) => case_weighted_statistic(counts, case, stat),
    }
}

/// Closed-form expected counts R_i C_j / N; one small allocation (the row totals).
fn plain_statistic(counts: &[&[f64]], stat: Statistic) -> (f64, f64) {
    let Some(first) = counts.first() else {
        return (0.0, 0.0);
    };
    let row_tot: Vec<f64> = counts.iter().map(|r| r.iter().sum()).collect();
    let rows = row_tot.iter().filter(|&&t| t > 0.0).count();
    let total: f64 = row_tot.iter().sum();
    if rows < 2 {
        return (0.0, 0.0);
    }
    let mut cols = 0usize;
    let mut x = 0.0;
    for c in 0..first.len() {
        let col: f64 = counts.iter().map(|r| r[c]).sum();
        if col <= 0.0 {
            continue;
        }
        cols += 1;
        for (row, &rt) in counts.iter().zip(&row_tot) {
            if rt <= 0.0 {
                continue;
            }
            // R_i C_j / N, reordered only when R_i C_j overflows or underflows (counts near 1e±300).
            let rc = rt * col;
            let e = if rc.is_finite() && rc >= f64::MIN_POSITIVE {
                rc / total
            } else {
                rt * (col / total)
            };
            let o = row[c];
            x += match stat {
                Statistic::Pearson => {
                    let d = o - e;
                    let t = d * d / e;
                    if t.is_finite() {
                        t
                    } else {
                        d * (d / e)
                    }
                }
                Statistic::LikelihoodRatio if o > 0.0 => 2.0 * o * (o / e).ln(),
                Statistic::LikelihoodRatio => 0.0,
            };
        }
    }
    if cols < 2 {
        return (0.0, 0.0);
    }
    (x.max(0.0), ((rows - 1) * (cols - 1)) as f64)
}

fn case_weighted_statistic(counts: &[&[f64]], case: &[&[f64]], stat: Statistic) -> (f64, f64) {
    let Some(first) = counts.first() else {
        return (0.0, 0.0);
    };
    let j = first.len();
    let rows: Vec<usize> = (0..counts.len())
        .filter(|&r| counts[r].iter().sum::<f64>() > 0.0)
        .collect();
    let cols: Vec<usize> = (0..j)
        .filter(|&c| counts.iter().map(|row| row[c]).sum::<f64>() > 0.0)
        .collect();
    if rows.len() < 2 || cols.len() < 2 {
        return (0.0, 0.0);
    }
    let nr = rows.len();
    let nc = cols.len();
    // The reduced table, row-major.
    let n: Vec<f64> = rows
        .iter()
        .flat_map(|&r| cols.iter().map(move |&c| counts[r][c]))
        .collect();
    let s: Vec<f64> = rows
        .iter()
        .flat_map(|&r| cols.iter().map(move |&c| case[r][c]))
        .collect();
    let row_tot: Vec<f64> = (0..nr)
        .map(|r| n[r * nc..(r + 1) * nc].iter().sum())
        .collect();
    let col_tot: Vec<f64> = (0..nc)
        .map(|c| (0..nr).map(|r| n[r * nc + c]).sum())
        .collect();
    let expected = ipf_expected(&n, &s, &row_tot, &col_tot, nc);
    let x = match stat {
        Statistic::Pearson => n
            .iter()
            .zip(&expected)
            .filter(|(_, &e)| e > 0.0)
            .map(|(&o, &e)| (o - e) * (o - e) / e)
            .sum::<f64>(),
        Statistic::LikelihoodRatio => {
            2.0 * n
                .iter()
                .zip(&expected)
                .filter(|(&o, &e)| o > 0.0 && e > 0.0)
                .map(|(&o, &e)| o * (o / e).ln())
                .sum::<f64>()
        }
    };
    (x.max(0.0), ((nr - 1) * (nc - 1)) as f64)
}

/// Expected counts under independence with case weights: m_ij = α_i β_j / w̄_ij, fitted to the
/// observed margins by iterative proportional fitting. Empty cells take the table's mean weight.
fn ipf_expected(n: &[f64], s: &[f64], row_tot: &[f64], col_tot: &[f64], nc: usize) -> Vec<f64> {
    let nr = row_tot.len();
    let mean_w = s.iter().sum::<f64>() / n.iter().sum::<f64>();
    let inv: Vec<f64> = n
        .iter()
        .zip(s)
        .map(|(&nn, &ss)| {
            let wbar = if nn > 0.0 && ss > 0.0 {
                ss / nn
            } else {
                mean_w
            };
            1.0 / wbar
        })
        .collect();
    let mut alpha = vec![1.0; nr];
    let mut beta = vec![1.0; nc];
    let mut m = inv.clone();
    for _ in 0..IPF_MAX_ITER {
        for r in 0..nr {
            let d: f64 = (0..nc).map(|c| inv[r * nc + c] * beta[c]).sum();
            alpha[r] = row_tot[r] / d;
        }
        for c in 0..nc {
            let d: f64 = (0..nr).map(|r| inv[r * nc + c] * alpha[r]).sum();
            beta[c] = col_tot[c] / d;
        }
        let mut change: f64 = 0.0;
        for k in 0..nr * nc {
            let new = inv[k] * alpha[k / nc] * beta[k % nc];
            change = change.max((new - m[k]).abs());
            m[k] = new;
        }
        if change < IPF_EPSILON {
            break;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_and_g2_match_scipy() {
        // scipy.stats.chi2_contingency([[10, 20, 30], [20, 25, 5]], correction=False)
        let a = [10.0, 20.0, 30.0];
        let b = [20.0, 25.0, 5.0];
        let r = test(&[&a, &b], None, Statistic::Pearson);
        assert!((r.statistic - 21.010582010582013).abs() < 1e-9);
        assert_eq!(r.df1, 2.0);
        assert!((r.p_value() - 2.739113860948443e-05).abs() < 1e-12);
        // lambda_="log-likelihood"
        let g = test(&[&a, &b], None, Statistic::LikelihoodRatio);
        assert!(
            (g.statistic - 22.85649819322839).abs() < 1e-9,
            "{}",
            g.statistic
        );
    }

    #[test]
    fn empty_rows_and_columns_are_dropped() {
        let a = [10.0, 0.0, 30.0];
        let b = [20.0, 0.0, 5.0];
        let z = [0.0, 0.0, 0.0];
        let r = test(&[&a, &z, &b], None, Statistic::Pearson);
        assert_eq!(r.df1, 1.0);
        let one_col = test(&[&[3.0, 0.0], &[4.0, 0.0]], None, Statistic::Pearson);
        assert_eq!(one_col, TestResult::NULL);
    }

    #[test]
    fn constant_case_weights_change_nothing() {
        let a = [10.0, 20.0, 30.0];
        let b = [20.0, 25.0, 5.0];
        let ca: Vec<f64> = a.iter().map(|v| v * 2.5).collect();
        let cb: Vec<f64> = b.iter().map(|v| v * 2.5).collect();
        let plain = test(&[&a, &b], None, Statistic::Pearson);
        let cased = test(&[&a, &b], Some(&[&ca, &cb]), Statistic::Pearson);
        assert!((plain.statistic - cased.statistic).abs() < 1e-3);
    }
}
