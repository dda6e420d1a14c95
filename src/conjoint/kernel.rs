//! The inner loop shared by the choice models: the log-likelihood of a run of choice tasks.

use super::data::ChoiceData;
use crate::simd::Portable;

/// The row-major model matrix `x` (`k` columns) rearranged run by run: for each run of tasks
/// `runs[i]..runs[i + 1]`, its rows become a column-major block in place.
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
    let diffs = Differences::new(x, k, starts, chosen, runs);
    (0..runs.len().saturating_sub(1))
        .into_par_iter()
        .map_init(
            || vec![0.0; diffs.max_rows()],
            |v, i| diffs.loglik(i, &beta[i * k..(i + 1) * k], v),
        )
        .collect()
}

/// exp(x) for x ≤ 0 (−∞ allowed) to about 2 ulp; see [`exp_clamped`].
#[inline(always)]
pub fn exp_nonpositive(x: f64) -> f64 {
    exp_clamped::<Portable>(x)
}

pub use crate::simd::exp_clamped;

/// Choice tasks rewritten against their chosen alternative (see [`super::data`]), per respondent:
/// the view of the hierarchical model's per-respondent likelihoods.
///
/// Respondent i's difference rows are `rows[i]..rows[i + 1]`, stored column-major at
/// `d[rows[i] * k..rows[i + 1] * k]`, slot-major within a column: row s·T + t is the s-th
/// non-chosen alternative of the respondent's task t (T tasks, S = the most alternatives of a
/// task − 1 slots). Tasks with fewer alternatives leave zero rows that `mask` (one 0/1 weight
/// per row, empty when every task of every respondent is full) switches off.
#[derive(Debug, Clone, Default)]
pub struct Differences {
    pub d: Vec<f64>,
    pub k: usize,
    pub rows: Vec<usize>,
    /// Task offsets of the respondents.
    pub tasks: Vec<usize>,
    pub mask: Vec<f64>,
}

impl Differences {
    /// From the row-major model matrix `x` (`k` columns), the task row offsets `starts`, the
    /// chosen rows and the respondents' task offsets.
    pub fn new(x: &[f64], k: usize, starts: &[usize], chosen: &[usize], tasks: &[usize]) -> Self {
        let data = ChoiceData {
            x,
            k,
            starts,
            chosen,
            weights: None,
        };
        let mut rows = vec![0];
        for w in tasks.windows(2) {
            let slots = data.max_slots(w[0]..w[1]);
            rows.push(rows[rows.len() - 1] + slots * (w[1] - w[0]));
        }
        let total = rows[rows.len() - 1];
        let mut d = vec![0.0; total * k];
        let mut mask = vec![1.0; total];
        for (i, w) in tasks.windows(2).enumerate() {
            let (r0, n) = (rows[i], rows[i + 1] - rows[i]);
            let n_tasks = w[1] - w[0];
            let slots = n.checked_div(n_tasks).unwrap_or(0);
            let block = &mut d[r0 * k..(r0 + n) * k];
            for (t, task) in (w[0]..w[1]).enumerate() {
                let filled = data.differences(task, |s, col, v| {
                    block[col * n + s * n_tasks + t] = v;
                });
                for s in filled..slots {
                    mask[r0 + s * n_tasks + t] = 0.0;
                }
            }
        }
        if mask.iter().all(|&m| m == 1.0) {
            mask.clear();
        }
        Differences {
            d,
            k,
            rows,
            tasks: tasks.to_vec(),
            mask,
        }
    }

    /// The most difference rows of a respondent (the scratch length [`Differences::loglik`]
    /// needs).
    pub fn max_rows(&self) -> usize {
        self.rows.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0)
    }

    /// Σ_t log P(chosen_t | β) over respondent `i`'s tasks, exactly for any utilities: per task
    /// −(m + log(e^{−m} + Σ_s e^{ṽ_s − m})) with m = max(0, ṽ). `v` is scratch of at least
    /// [`Differences::max_rows`]. (The sampler's fast path is `lanes::LaneGroups`,
    /// which falls back on this.)
    pub fn loglik(&self, i: usize, beta: &[f64], v: &mut [f64]) -> f64 {
        let (r0, r1) = (self.rows[i], self.rows[i + 1]);
        let n = r1 - r0;
        let n_tasks = self.tasks[i + 1] - self.tasks[i];
        let v = &mut v[..n];
        v.fill(0.0);
        for (&b, col) in beta
            .iter()
            .zip(self.d[r0 * self.k..r1 * self.k].chunks_exact(n))
        {
            v.iter_mut().zip(col).for_each(|(u, &x)| *u += b * x);
        }
        let slots = n.checked_div(n_tasks).unwrap_or(0);
        let on = |row: usize| self.mask.is_empty() || self.mask[r0 + row] > 0.0;
        (0..n_tasks)
            .map(|t| {
                let rows = (0..slots).map(|s| s * n_tasks + t).filter(|&r| on(r));
                let m = rows.clone().map(|r| v[r]).fold(0.0, f64::max);
                let sum: f64 = (-m).exp() + rows.map(|r| (v[r] - m).exp()).sum::<f64>();
                -(m + sum.ln())
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_exp_matches_std_to_a_few_ulp() {
        // Both builds: the AVX2 one where the CPU has it (the Isa contract).
        type Exp = fn(f64) -> f64;
        let mut builds: Vec<(&str, Exp)> = vec![("portable", exp_clamped::<Portable>)];
        if crate::simd::has_avx2_fma() {
            builds.push(("avx2", exp_clamped::<crate::simd::Avx2>));
        }
        for (name, f) in builds {
            let mut worst: f64 = 0.0;
            for i in 0..400_000 {
                let x = 700.0 - (i as f64) * 0.0035 - 1e-3 * (i % 7) as f64;
                let (a, b) = (f(x), x.exp());
                if b > 1e-300 {
                    worst = worst.max(((a - b) / b).abs());
                }
            }
            assert!(worst < 1e-15, "{name}: {worst}");
            assert_eq!(f(0.0), 1.0);
            assert!(f(f64::NEG_INFINITY) < 1e-300);
        }
    }

    /// Difference rows against a direct log-sum-exp: tasks of 3 and 2 alternatives (a masked
    /// slot), two respondents, moderate and huge utilities (the shifted fallback).
    #[test]
    fn differences_loglik_matches_a_direct_computation() {
        let k = 2;
        // Respondent 0: tasks of 3 and 2 rows; respondent 1: one task of 3 rows.
        let x = [
            1.0, 0.0, 0.0, 1.0, 0.5, 0.5, 2.0, -1.0, 0.0, 0.0, 0.3, 0.1, -0.2, 0.4, 1.0, 1.0,
        ];
        let starts = [0, 3, 5, 8];
        let chosen = [1, 3, 7];
        let tasks = [0, 2, 3];
        let diffs = Differences::new(&x, k, &starts, &chosen, &tasks);
        assert_eq!(diffs.rows, vec![0, 4, 6]);
        assert_eq!(diffs.mask, vec![1.0, 1.0, 1.0, 0.0, 1.0, 1.0]);
        let lse = |s: &[f64]| {
            let m = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            m + s.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
        };
        for scale in [1.0, 40.0, 300.0, -900.0] {
            let beta = [0.7 * scale, -0.2 * scale];
            let u: Vec<f64> = x
                .chunks(k)
                .map(|r| r[0] * beta[0] + r[1] * beta[1])
                .collect();
            let want = [
                (u[1] - lse(&u[0..3])) + (u[3] - lse(&u[3..5])),
                u[7] - lse(&u[5..8]),
            ];
            let mut v = vec![0.0; diffs.max_rows()];
            for (i, w) in want.iter().enumerate() {
                let got = diffs.loglik(i, &beta, &mut v);
                assert!(
                    (got - w).abs() < 1e-12 * (1.0 + w.abs()),
                    "{scale} {i} {got} {w}"
                );
            }
        }
    }
}
