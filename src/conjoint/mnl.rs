//! Conditional (multinomial) logit by Newton's method with step halving.
//!
//! The kernel that matters for scale is [`loglik_stats`]: one pass over the tasks returns the
//! log-likelihood, its gradient and the information matrix (minus the Hessian) — sufficient
//! statistics that add over tasks, so a partitioned data set gives the same numbers when the
//! per-partition results are summed.

pub use super::data::ChoiceData;
use super::kernel::{self, exp_nonpositive};
use crate::error::{Error, Result};
use crate::linalg;
use crate::parallel::{fold_rows, CHUNK_ROWS};
use crate::simd::dispatch_avx2;

/// Log-likelihood, gradient and information matrix (`k × k`, row-major) at `beta`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub loglik: f64,
    pub gradient: Vec<f64>,
    pub information: Vec<f64>,
}

impl Stats {
    fn zero(k: usize, hessian: bool) -> Self {
        Stats {
            loglik: 0.0,
            gradient: vec![0.0; k],
            information: if hessian {
                vec![0.0; k * k]
            } else {
                Vec::new()
            },
        }
    }

    /// The statistics of two consecutive task ranges (the merge of the chunk tree).
    pub fn merge(mut self, other: Stats) -> Stats {
        self.loglik += other.loglik;
        self.gradient
            .iter_mut()
            .zip(&other.gradient)
            .for_each(|(a, b)| *a += b);
        self.information
            .iter_mut()
            .zip(&other.information)
            .for_each(|(a, b)| *a += b);
        self
    }
}

/// Adds task `t`'s score w·(x_chosen − x̄) to `out` (length k); `p` is scratch. The per-task
/// gradient that the respondent-level sandwich and the latent-class BHHH step sum by respondent.
pub fn task_score(
    d: &ChoiceData,
    beta: &[f64],
    t: usize,
    w: f64,
    out: &mut [f64],
    p: &mut Vec<f64>,
) {
    let k = d.k;
    let (a, b) = (d.starts[t], d.starts[t + 1]);
    p.clear();
    let mut m = f64::NEG_INFINITY;
    for r in a..b {
        let v = linalg::dot(&d.x[r * k..(r + 1) * k], beta);
        m = m.max(v);
        p.push(v);
    }
    let mut sum = 0.0;
    for v in p.iter_mut() {
        *v = exp_nonpositive(*v - m);
        sum += *v;
    }
    let chosen = &d.x[d.chosen[t] * k..(d.chosen[t] + 1) * k];
    out.iter_mut().zip(chosen).for_each(|(o, c)| *o += w * c);
    for (j, r) in (a..b).enumerate() {
        let f = w * p[j] / sum;
        out.iter_mut()
            .zip(&d.x[r * k..(r + 1) * k])
            .for_each(|(o, x)| *o -= f * x);
    }
}

/// The sufficient statistics of the conditional logit at `beta`, summed over the tasks in a fixed
/// chunk order (bit-identical on any number of threads). `hessian = false` skips the information.
/// For repeated evaluations on the same data build [`Columns`] once and call
/// [`loglik_stats_with`].
pub fn loglik_stats(d: &ChoiceData, beta: &[f64], hessian: bool) -> Stats {
    loglik_stats_with(d, &Columns::new(d), beta, hessian)
}

/// Column sums of the rows and the null log-likelihood −Σ_t w_t log J_t (every coefficient
/// zero) of a range of tasks: what the centring of [`Columns`] and [`MnlFit::loglik_null`] sum.
/// Both add over the fixed task chunks of [`fold_rows`] (see [`totals`]), so a partitioned data
/// set merges its per-chunk partials into the same numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Totals {
    /// Rows of the tasks.
    pub rows: usize,
    /// Column sums (k), rows added in order.
    pub sums: Vec<f64>,
    pub loglik_null: f64,
}

impl Totals {
    /// The totals of `tasks`, rows and tasks added in order.
    pub fn of(d: &ChoiceData, tasks: std::ops::Range<usize>) -> Totals {
        let k = d.k;
        let (r0, r1) = (d.starts[tasks.start], d.starts[tasks.end]);
        let mut sums = vec![0.0; k];
        for row in d.x[r0 * k..r1 * k].chunks_exact(k) {
            sums.iter_mut().zip(row).for_each(|(m, v)| *m += v);
        }
        let loglik_null = tasks
            .map(|t| {
                -d.weights.map_or(1.0, |w| w[t]) * ((d.starts[t + 1] - d.starts[t]) as f64).ln()
            })
            .sum();
        Totals {
            rows: r1 - r0,
            sums,
            loglik_null,
        }
    }

    /// The totals of two consecutive task ranges (the merge of the chunk tree).
    pub fn merge(mut self, other: Totals) -> Totals {
        self.rows += other.rows;
        self.sums
            .iter_mut()
            .zip(&other.sums)
            .for_each(|(a, b)| *a += b);
        self.loglik_null += other.loglik_null;
        self
    }

    /// The column means the model matrix is centred on.
    pub fn mean(&self) -> Vec<f64> {
        let n = self.rows.max(1) as f64;
        self.sums.iter().map(|s| s / n).collect()
    }
}

/// The [`Totals`] of all tasks, summed over the fixed task chunks in chunk-tree order.
pub fn totals(d: &ChoiceData) -> Totals {
    fold_rows(d.n_tasks(), |tasks| Totals::of(d, tasks), Totals::merge)
}

/// The model matrix rearranged for [`loglik_stats_with`]: each fixed chunk of tasks (the chunks
/// of [`fold_rows`]) holds its rows column-major, and every column is centred on its overall
/// mean. Centring changes no statistic (utilities shift by a constant within every task) but
/// keeps the one-pass information formula below free of cancellation.
#[derive(Debug, Clone)]
pub struct Columns(Vec<f64>);

impl Columns {
    pub fn new(d: &ChoiceData) -> Self {
        Self::centred(d, &totals(d).mean())
    }

    /// The columns centred on `mean` (the overall means, [`Totals::mean`]): a partition of a
    /// distributed fit that starts on a chunk boundary lays out its tasks exactly as the whole
    /// data set's chunks.
    pub fn centred(d: &ChoiceData, mean: &[f64]) -> Self {
        let k = d.k;
        let centred: Vec<f64> =
            d.x.chunks_exact(k)
                .flat_map(|row| row.iter().zip(mean).map(|(v, m)| v - m))
                .collect();
        let n_tasks = d.n_tasks();
        let runs: Vec<usize> = (0..n_tasks)
            .step_by(CHUNK_ROWS)
            .chain(std::iter::once(n_tasks))
            .collect();
        Columns(kernel::by_respondent(&centred, k, d.starts, &runs))
    }

    /// The rearranged values (as many as the model matrix has).
    pub fn values(&self) -> &[f64] {
        &self.0
    }
}

/// As [`loglik_stats`], from the column-major chunks of `cols` (built once per data set): every
/// step is a multiply-add or dot product over a chunk's contiguous columns. The information uses
/// Σ_r w p_r x_r x_r′ − Σ_t w x̄_t x̄_t′ (on centred columns).
pub fn loglik_stats_with(d: &ChoiceData, cols: &Columns, beta: &[f64], hessian: bool) -> Stats {
    let k = d.k;
    let mut s = fold_rows(
        d.n_tasks(),
        |tasks| chunk_stats(d, &cols.0, beta, tasks, hessian),
        Stats::merge,
    );
    if hessian {
        linalg::symmetrize(&mut s.information, k);
    }
    s
}

/// The statistics of one chunk of tasks (`tasks` a chunk of [`fold_rows`] over `d`'s tasks) from
/// the values of [`Columns`] (`xt`), information not yet symmetrized.
pub fn chunk_stats(
    d: &ChoiceData,
    xt: &[f64],
    beta: &[f64],
    tasks: std::ops::Range<usize>,
    hessian: bool,
) -> Stats {
    chunk_columns(d, xt, beta, tasks, hessian)
}

dispatch_avx2! {
    /// The statistics of one chunk of tasks from its column-major block.
    fn chunk_columns => chunk_columns_impl; (
        d: &ChoiceData,
        xt: &[f64],
        beta: &[f64],
        tasks: std::ops::Range<usize>,
        hessian: bool,
    ) -> Stats
}

#[inline(always)]
fn chunk_columns_impl(
    d: &ChoiceData,
    xt: &[f64],
    beta: &[f64],
    tasks: std::ops::Range<usize>,
    hessian: bool,
) -> Stats {
    let k = d.k;
    let mut s = Stats::zero(k, hessian);
    let (t0, t1) = (tasks.start, tasks.end);
    let (r0, r1) = (d.starts[t0], d.starts[t1]);
    let n = r1 - r0;
    let n_t = t1 - t0;
    let block = &xt[r0 * k..r1 * k];
    let col = |c: usize| &block[c * n..(c + 1) * n];
    // Utilities.
    let mut v = vec![0.0; n];
    for (c, &b) in beta.iter().enumerate() {
        v.iter_mut().zip(col(c)).for_each(|(u, x)| *u += b * x);
    }
    // Shift by each task's maximum; the chosen utilities enter the likelihood.
    let mut w = vec![0.0; n_t];
    let mut ll_parts = 0.0;
    for (j, t) in (t0..t1).enumerate() {
        let (a, b) = (d.starts[t] - r0, d.starts[t + 1] - r0);
        w[j] = d.weights.map_or(1.0, |w| w[t]);
        let m = v[a..b].iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        ll_parts += w[j] * (v[d.chosen[t] - r0] - m);
        v[a..b].iter_mut().for_each(|u| *u -= m);
    }
    v.iter_mut().for_each(|u| *u = exp_nonpositive(*u));
    // Probabilities times task weights (q), and the log of each task's sum.
    let mut log_sums = 0.0;
    for (j, t) in (t0..t1).enumerate() {
        let (a, b) = (d.starts[t] - r0, d.starts[t + 1] - r0);
        let sum: f64 = v[a..b].iter().sum();
        if w[j] > 0.0 {
            log_sums += w[j] * sum.ln();
        }
        let f = w[j] / sum;
        v[a..b].iter_mut().for_each(|u| *u *= f);
    }
    s.loglik = ll_parts - log_sums;
    let q = &v;
    for c in 0..k {
        let x = col(c);
        let chosen: f64 = (t0..t1)
            .zip(&w)
            .map(|(t, wt)| wt * x[d.chosen[t] - r0])
            .sum();
        s.gradient[c] = chosen - linalg::dot(q, x);
    }
    if hessian {
        // x̄_t per column (k × n_t), then the two sums of the information.
        let mut xbar = vec![0.0; k * n_t];
        let mut qx = vec![0.0; n];
        // Tasks of one size (the usual design) are summed in fixed-width groups.
        let j0 = d.starts[t0 + 1] - d.starts[t0];
        let uniform = (t0..t1).all(|t| d.starts[t + 1] - d.starts[t] == j0);
        for c in 0..k {
            let x = col(c);
            qx.iter_mut()
                .zip(q.iter().zip(x))
                .for_each(|(o, (a, b))| *o = a * b);
            let xb = &mut xbar[c * n_t..(c + 1) * n_t];
            if uniform {
                match j0 {
                    2 => segment_sums::<2>(&qx, xb),
                    3 => segment_sums::<3>(&qx, xb),
                    4 => segment_sums::<4>(&qx, xb),
                    5 => segment_sums::<5>(&qx, xb),
                    _ => xb
                        .iter_mut()
                        .zip(qx.chunks_exact(j0))
                        .for_each(|(o, s)| *o = s.iter().sum()),
                }
            } else {
                for (j, t) in (t0..t1).enumerate() {
                    xb[j] = qx[d.starts[t] - r0..d.starts[t + 1] - r0].iter().sum();
                }
            }
            for (o, &wj) in xb.iter_mut().zip(&w) {
                *o = if wj > 0.0 { *o / wj } else { 0.0 };
            }
        }
        let mut wxb = vec![0.0; n_t];
        for c in 0..k {
            qx.iter_mut()
                .zip(q.iter().zip(col(c)))
                .for_each(|(o, (a, b))| *o = a * b);
            let xbc = &xbar[c * n_t..(c + 1) * n_t];
            wxb.iter_mut()
                .zip(w.iter().zip(xbc))
                .for_each(|(o, (a, b))| *o = a * b);
            for l in 0..=c {
                s.information[c * k + l] +=
                    linalg::dot(&qx, col(l)) - linalg::dot(&wxb, &xbar[l * n_t..(l + 1) * n_t]);
            }
        }
    }
    s
}

/// Sums of consecutive groups of `J` values.
#[inline(always)]
fn segment_sums<const J: usize>(v: &[f64], out: &mut [f64]) {
    for (o, s) in out.iter_mut().zip(v.chunks_exact(J)) {
        let mut acc = 0.0;
        for x in s {
            acc += x;
        }
        *o = acc;
    }
}

/// Per-task score vectors (x_chosen − x̄, weighted) summed per respondent, whose tasks are
/// `respondents[i]..respondents[i + 1]`: the scores of the cluster-robust sandwich.
pub fn respondent_scores(d: &ChoiceData, beta: &[f64], respondents: &[usize]) -> Vec<f64> {
    let k = d.k;
    let n = respondents.len().saturating_sub(1);
    let mut out = vec![0.0; n * k];
    let mut p = Vec::new();
    for (i, g) in out.chunks_exact_mut(k).enumerate() {
        for t in respondents[i]..respondents[i + 1] {
            task_score(d, beta, t, d.weights.map_or(1.0, |w| w[t]), g, &mut p);
        }
    }
    out
}

#[derive(Debug, Clone, Copy)]
pub struct MnlParams {
    pub max_iter: usize,
    /// Stop when half the Newton decrement g′H⁻¹g falls below `tol`.
    pub tol: f64,
}

#[derive(Debug, Clone)]
pub struct MnlFit {
    pub coef: Vec<f64>,
    pub information: Vec<f64>,
    pub covariance: Vec<f64>,
    pub loglik: f64,
    pub loglik_null: f64,
    pub n_iter: usize,
    pub converged: bool,
}

fn unidentified(names: &[String], j: usize, at_start: bool) -> Error {
    let name = names
        .get(j)
        .cloned()
        .unwrap_or_else(|| format!("parameter {j}"));
    if at_start {
        Error::invalid(
            name,
            "is not identified: the design gives it no variation of its own within tasks \
             (it is constant or a combination of other parameters)",
        )
    } else {
        Error::invalid(
            name,
            "cannot be estimated: the choices are perfectly predicted along it (separation), \
             its estimate diverges",
        )
    }
}

/// Cholesky factor of the information scaled to unit diagonal, D I D with D = diag(I)^(-1/2),
/// and D: the rank test then does not depend on the units of the attributes (a price in cents ×
/// 1e20 must not make a brand look unidentified). `Err(j)`: parameter j is not identified.
fn scaled_cholesky(
    information: &[f64],
    k: usize,
) -> std::result::Result<(Vec<f64>, Vec<f64>), usize> {
    let mut scale = vec![0.0; k];
    for (j, d) in scale.iter_mut().enumerate() {
        let v = information[j * k + j];
        if !(v.is_finite() && v > 0.0) {
            return Err(j);
        }
        *d = 1.0 / v.sqrt();
    }
    let mut scaled = information.to_vec();
    for i in 0..k {
        for j in 0..k {
            scaled[i * k + j] *= scale[i] * scale[j];
        }
    }
    Ok((linalg::cholesky(&scaled, k)?, scale))
}

/// Maximum likelihood for the conditional logit from `start` (zeros if `None`).
pub fn fit_mnl(
    d: &ChoiceData,
    start: Option<&[f64]>,
    params: MnlParams,
    names: &[String],
) -> Result<MnlFit> {
    d.validate()?;
    let tot = totals(d);
    let cols = Columns::centred(d, &tot.mean());
    newton(
        d.k,
        start,
        params,
        names,
        tot.loglik_null,
        |beta, hessian| Ok(loglik_stats_with(d, &cols, beta, hessian)),
    )
}

/// Newton's method with step halving on the statistics `stats(beta, hessian)` returns (the
/// information symmetrized when `hessian`): [`fit_mnl`] evaluates them in memory, a distributed
/// fit by merging its partitions' statistics, so both take the same steps.
pub fn newton(
    k: usize,
    start: Option<&[f64]>,
    params: MnlParams,
    names: &[String],
    loglik_null: f64,
    mut stats: impl FnMut(&[f64], bool) -> Result<Stats>,
) -> Result<MnlFit> {
    let mut beta = start.map_or_else(|| vec![0.0; k], <[f64]>::to_vec);
    if beta.len() != k {
        return Err(Error::invalid("start", format!("needs {k} values")));
    }
    let mut s = stats(&beta, true)?;
    let mut n_iter = 0;
    let mut converged = false;
    crate::cancel::progress::total(params.max_iter as u64);
    crate::cancel::progress::metric(s.loglik);
    while n_iter < params.max_iter && !crate::cancel::requested() {
        let (l, scale) =
            scaled_cholesky(&s.information, k).map_err(|j| unidentified(names, j, n_iter == 0))?;
        let mut step: Vec<f64> = s.gradient.iter().zip(&scale).map(|(g, d)| g * d).collect();
        linalg::cholesky_solve(&l, k, &mut step);
        step.iter_mut().zip(&scale).for_each(|(v, d)| *v *= d);
        let decrement: f64 = step.iter().zip(&s.gradient).map(|(a, b)| a * b).sum();
        if decrement * 0.5 <= params.tol {
            // Within tolerance: one last full step lands at machine precision (quadratic
            // convergence), unless it would lower the likelihood.
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, d)| b + d).collect();
            let t = stats(&trial, true)?;
            if t.loglik >= s.loglik {
                beta = trial;
                s = t;
            }
            converged = true;
            break;
        }
        n_iter += 1;
        let mut t = 1.0;
        loop {
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, d)| b + t * d).collect();
            let ll = stats(&trial, false)?.loglik;
            if ll >= s.loglik - 1e-12 * s.loglik.abs() || t < 1e-8 {
                beta = trial;
                break;
            }
            t *= 0.5;
        }
        s = stats(&beta, true)?;
        crate::cancel::progress::step(s.loglik);
    }
    crate::cancel::progress::metric(s.loglik);
    let (l, scale) =
        scaled_cholesky(&s.information, k).map_err(|j| unidentified(names, j, false))?;
    let mut covariance = linalg::cholesky_inverse(&l, k);
    for i in 0..k {
        for j in 0..k {
            covariance[i * k + j] *= scale[i] * scale[j];
        }
    }
    Ok(MnlFit {
        covariance,
        coef: beta,
        information: s.information,
        loglik: s.loglik,
        loglik_null,
        n_iter,
        converged,
    })
}

/// The respondent-clustered sandwich H⁻¹ (Σ_g s_g s_g′) H⁻¹ at a fitted model.
pub fn robust_covariance(d: &ChoiceData, fit: &MnlFit, respondents: &[usize]) -> Vec<f64> {
    sandwich(
        &fit.covariance,
        &respondent_scores(d, &fit.coef, respondents),
        d.k,
    )
}

/// H⁻¹ (Σ_g s_g s_g′) H⁻¹ from the covariance H⁻¹ (`k × k`) and the respondents' score vectors
/// (`k` each, in respondent order; the meat adds them in that order).
pub fn sandwich(covariance: &[f64], scores: &[f64], k: usize) -> Vec<f64> {
    let mut meat = vec![0.0; k * k];
    for g in scores.chunks_exact(k) {
        for i in 0..k {
            for j in 0..k {
                meat[i * k + j] += g[i] * g[j];
            }
        }
    }
    let c = covariance;
    let mut tmp = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            tmp[i * k + j] = (0..k).map(|p| c[i * k + p] * meat[p * k + j]).sum();
        }
    }
    let mut out = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            out[i * k + j] = (0..k).map(|p| tmp[i * k + p] * c[p * k + j]).sum();
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;
    use crate::random::Stream;

    /// Planted β, 3 alternatives, Gumbel errors: the estimate lands near the truth and the
    /// gradient vanishes at it; the analytic information equals a finite difference of the gradient.
    #[test]
    fn recovers_planted_coefficients() {
        let (k, n_tasks, j) = (3, 4000, 3);
        let truth = [1.0, -0.5, 0.25];
        let mut s = Stream::new(11, 0);
        let mut x = Vec::new();
        let mut starts = vec![0];
        let mut chosen = Vec::new();
        for t in 0..n_tasks {
            let mut best = (f64::NEG_INFINITY, 0);
            for a in 0..j {
                let row: Vec<f64> = (0..k).map(|_| s.uniform() * 2.0 - 1.0).collect();
                let u: f64 = row.iter().zip(truth).map(|(x, b)| x * b).sum::<f64>()
                    - (-s.uniform().ln()).ln();
                if u > best.0 {
                    best = (u, t * j + a);
                }
                x.extend(row);
            }
            starts.push((t + 1) * j);
            chosen.push(best.1);
        }
        let d = ChoiceData {
            x: &x,
            k,
            starts: &starts,
            chosen: &chosen,
            weights: None,
        };
        let names: Vec<String> = (0..k).map(|i| format!("b{i}")).collect();
        let f = fit_mnl(
            &d,
            None,
            MnlParams {
                max_iter: 50,
                tol: 1e-12,
            },
            &names,
        )
        .unwrap();
        assert!(f.converged && f.n_iter < 10, "{f:?}");
        for (b, t) in f.coef.iter().zip(truth) {
            assert!((b - t).abs() < 0.15, "{:?}", f.coef);
        }
        let g = loglik_stats(&d, &f.coef, false).gradient;
        assert!(g.iter().all(|v| v.abs() < 1e-6), "{g:?}");
        // Finite-difference information at a non-optimal point.
        let b0 = [0.3, 0.1, -0.2];
        let s0 = loglik_stats(&d, &b0, true);
        let h = 1e-6;
        for i in 0..k {
            let mut bp = b0;
            bp[i] += h;
            let gp = loglik_stats(&d, &bp, false).gradient;
            for l in 0..k {
                let fd = -(gp[l] - s0.gradient[l]) / h;
                assert!((fd - s0.information[l * k + i]).abs() < 1e-3 * (1.0 + fd.abs()));
            }
        }
    }

    /// LL, gradient and information task by task, straight from the formulas (REFERENCES.md):
    /// LL = Σ w (v_c − log Σ exp v), g = Σ w (x_c − x̄), I = Σ w Σ_j p_j (x_j − x̄)(x_j − x̄)′.
    fn textbook_stats(d: &ChoiceData, beta: &[f64]) -> Stats {
        let k = d.k;
        let mut s = Stats {
            loglik: 0.0,
            gradient: vec![0.0; k],
            information: vec![0.0; k * k],
        };
        for t in 0..d.n_tasks() {
            let w = d.weights.map_or(1.0, |w| w[t]);
            let rows: Vec<&[f64]> = (d.starts[t]..d.starts[t + 1])
                .map(|r| &d.x[r * k..(r + 1) * k])
                .collect();
            let v: Vec<f64> = rows
                .iter()
                .map(|x| x.iter().zip(beta).map(|(a, b)| a * b).sum())
                .collect();
            let lse = v.iter().map(|u| u.exp()).sum::<f64>().ln();
            let p: Vec<f64> = v.iter().map(|u| (u - lse).exp()).collect();
            let c = d.chosen[t] - d.starts[t];
            s.loglik += w * (v[c] - lse);
            let xbar: Vec<f64> = (0..k)
                .map(|i| rows.iter().zip(&p).map(|(x, p)| p * x[i]).sum())
                .collect();
            for i in 0..k {
                s.gradient[i] += w * (rows[c][i] - xbar[i]);
                for l in 0..k {
                    s.information[i * k + l] += w * rows
                        .iter()
                        .zip(&p)
                        .map(|(x, p)| p * (x[i] - xbar[i]) * (x[l] - xbar[l]))
                        .sum::<f64>();
                }
            }
        }
        s
    }

    /// The column-major statistics equal the textbook formulas (uneven task sizes, weights,
    /// a zero weight, chunks of several thousand tasks).
    #[test]
    fn column_path_matches_the_textbook_formulas() {
        let k = 4;
        let mut st = Stream::new(5, 0);
        let (mut x, mut starts, mut chosen, mut w) = (Vec::new(), vec![0], Vec::new(), Vec::new());
        for t in 0..2500 {
            let j = 2 + t % 3;
            let base = *starts.last().unwrap();
            for _ in 0..j * k {
                x.push(st.uniform() * 4.0 + 10.0);
            }
            starts.push(base + j);
            chosen.push(base + t % j);
            w.push(if t % 97 == 0 { 0.0 } else { st.uniform() });
        }
        let d = ChoiceData {
            x: &x,
            k,
            starts: &starts,
            chosen: &chosen,
            weights: Some(&w),
        };
        let cols = Columns::new(&d);
        let beta = [0.3, -0.2, 0.5, 0.1];
        let (a, b) = (
            textbook_stats(&d, &beta),
            loglik_stats_with(&d, &cols, &beta, true),
        );
        assert!((a.loglik - b.loglik).abs() < 1e-9 * a.loglik.abs());
        for (u, v) in a.gradient.iter().zip(&b.gradient) {
            assert!((u - v).abs() < 1e-9 * (1.0 + u.abs()), "{u} {v}");
        }
        for (u, v) in a.information.iter().zip(&b.information) {
            assert!((u - v).abs() < 1e-9 * (1.0 + u.abs()), "{u} {v}");
        }
    }

    #[test]
    fn unidentified_parameter_is_named() {
        // Column 1 is constant within every task.
        let x = vec![1.0, 5.0, 0.0, 5.0, 0.5, 2.0, 0.0, 2.0];
        let d = ChoiceData {
            x: &x,
            k: 2,
            starts: &[0, 2, 4],
            chosen: &[0, 3],
            weights: None,
        };
        let names = vec!["a".to_string(), "price".to_string()];
        let e = fit_mnl(
            &d,
            None,
            MnlParams {
                max_iter: 20,
                tol: 1e-10,
            },
            &names,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("price:"), "{e}");
    }
}
