//! The inner loop shared by the choice models: the log-likelihood of a run of choice tasks.

use std::ops::Range;

use crate::parallel::dispatch_avx2;

dispatch_avx2! {
    /// Σ_t log P(chosen_t) over `tasks` at coefficients `beta`, by a stable log-sum-exp; `v` is
    /// scratch. `x` is laid out by [`by_respondent`]: the rows `starts[t0]..starts[t1]` of the
    /// tasks are stored column-major at `x[starts[t0] * k..starts[t1] * k]`, so `tasks` must be
    /// one of the runs given to `by_respondent`. The AVX2/FMA build runs when the CPU has it.
    pub fn tasks_loglik => tasks_loglik_impl; (
        x: &[f64],
        k: usize,
        starts: &[usize],
        chosen: &[usize],
        tasks: Range<usize>,
        beta: &[f64],
        v: &mut Vec<f64>,
    ) -> f64
}

/// The row-major model matrix `x` (`k` columns) rearranged for [`tasks_loglik`]: for each run
/// of tasks `runs[i]..runs[i + 1]`, its rows become a column-major block in place.
pub fn by_respondent(x: &[f64], k: usize, starts: &[usize], runs: &[usize]) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    for w in runs.windows(2) {
        let (r0, r1) = (starts[w[0]], starts[w[1]]);
        let n = r1 - r0;
        for (j, row) in x[r0 * k..r1 * k].chunks_exact(k).enumerate() {
            for (c, &v) in row.iter().enumerate() {
                out[r0 * k + c * n + j] = v;
            }
        }
    }
    out
}

/// Each respondent's log-likelihood at their own coefficients (`beta`: respondents × k,
/// row-major); `x` row-major as given, respondent `i`'s tasks `runs[i]..runs[i + 1]`.
pub fn respondent_logliks(
    x: &[f64],
    k: usize,
    starts: &[usize],
    chosen: &[usize],
    runs: &[usize],
    beta: &[f64],
) -> Vec<f64> {
    use rayon::prelude::*;
    let xt = by_respondent(x, k, starts, runs);
    (0..runs.len().saturating_sub(1))
        .into_par_iter()
        .map_init(Vec::new, |v, i| {
            tasks_loglik(
                &xt,
                k,
                starts,
                chosen,
                runs[i]..runs[i + 1],
                &beta[i * k..(i + 1) * k],
                v,
            )
        })
        .collect()
}

/// Utilities of all the rows, shifted by each task's maximum, exponentiated in one vectorisable
/// pass; one logarithm of the product of the tasks' sums.
#[inline(always)]
fn tasks_loglik_impl(
    x: &[f64],
    k: usize,
    starts: &[usize],
    chosen: &[usize],
    tasks: Range<usize>,
    beta: &[f64],
    v: &mut Vec<f64>,
) -> f64 {
    let (t0, t1) = (tasks.start, tasks.end);
    let (r0, r1) = (starts[t0], starts[t1]);
    let n = r1 - r0;
    // The rows of these tasks, column-major (see `by_respondent`): v = Σ_c β_c x_c, a
    // multiply-add over contiguous columns without horizontal sums.
    let block = &x[r0 * k..r1 * k];
    v.clear();
    v.resize(n, 0.0);
    for (b, col) in beta.iter().zip(block.chunks_exact(n)) {
        v.iter_mut().zip(col).for_each(|(u, x)| *u += b * x);
    }
    let mut chosen_sum = 0.0;
    let mut max_sum = 0.0;
    for t in t0..t1 {
        let (a, b) = (starts[t] - r0, starts[t + 1] - r0);
        let m = v[a..b].iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        chosen_sum += v[chosen[t] - r0];
        max_sum += m;
        v[a..b].iter_mut().for_each(|u| *u -= m);
    }
    v.iter_mut().for_each(|u| *u = exp_nonpositive(*u));
    let (mut prod, mut logs) = (1.0, 0.0);
    for t in t0..t1 {
        let (a, b) = (starts[t] - r0, starts[t + 1] - r0);
        // Each sum lies in [1, J]: the product stays finite for hundreds of tasks.
        prod *= v[a..b].iter().sum::<f64>();
        if prod > 1e250 {
            logs += prod.ln();
            prod = 1.0;
        }
    }
    chosen_sum - max_sum - (logs + prod.ln())
}

/// exp(x) for x ≤ 0 (−∞ allowed) to about 2 ulp, branch-free so that loops over it vectorise:
/// x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite), exp(r) by its Taylor series to degree 13
/// (truncation < 1e-17), 2ⁿ from the exponent bits. Results below e⁻⁷⁰⁸ are not needed (they
/// are added to a sum ≥ 1) and come out as ≈ e⁻⁷⁰⁸.
#[inline(always)]
pub fn exp_nonpositive(x: f64) -> f64 {
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // ln 2, upper bits
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // ln 2 − LN2_HI
    const SHIFT: f64 = 6_755_399_441_055_744.0; // 1.5·2⁵²: adding it rounds to an integer
    let x = x.max(-708.0);
    let t = x * std::f64::consts::LOG2_E + SHIFT;
    let n = t - SHIFT;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let mut p = 1.0 / 6_227_020_800.0; // 1/13!
    for c in [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p * r + c;
    }
    let e = (t.to_bits() as i64).wrapping_sub(SHIFT.to_bits() as i64);
    p * f64::from_bits(((e + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_exp_matches_std_to_a_few_ulp() {
        let mut worst: f64 = 0.0;
        for i in 0..200_000 {
            let x = -(i as f64) * 0.0035 - 1e-3 * (i % 7) as f64;
            let (a, b) = (exp_nonpositive(x), x.exp());
            if b > 1e-300 {
                worst = worst.max(((a - b) / b).abs());
            }
        }
        assert!(worst < 1e-15, "{worst}");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert!(exp_nonpositive(f64::NEG_INFINITY) < 1e-300);
    }

    #[test]
    fn loglik_matches_a_direct_computation() {
        // Two tasks: 3 and 2 alternatives, k = 2.
        let x = [1.0, 0.0, 0.0, 1.0, 0.5, 0.5, 2.0, -1.0, 0.0, 0.0];
        let starts = [0, 3, 5];
        let chosen = [1, 3];
        let beta = [0.7, -0.2];
        let u: Vec<f64> = x
            .chunks(2)
            .map(|r| r[0] * beta[0] + r[1] * beta[1])
            .collect();
        let lse = |s: &[f64]| s.iter().map(|v| v.exp()).sum::<f64>().ln();
        let want = (u[1] - lse(&u[0..3])) + (u[3] - lse(&u[3..5]));
        let xt = by_respondent(&x, 2, &starts, &[0, 2]);
        let got = tasks_loglik(&xt, 2, &starts, &chosen, 0..2, &beta, &mut Vec::new());
        assert!((got - want).abs() < 1e-14, "{got} {want}");
    }
}
