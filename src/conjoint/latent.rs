//! Latent-class multinomial logit: C classes of respondents, each with its own coefficients.
//!
//! EM from several random starts (in parallel, one seeded stream each): the E-step gives each
//! respondent's posterior class probabilities h_ic ∝ π_c Π_t P(y_it | β_c); the M-step sets
//! π_c = mean_i h_ic and improves every β_c by Newton steps on the h-weighted conditional logit
//! (each step is accepted only if the weighted likelihood rises, so the marginal likelihood never
//! falls). The best start is finished by BHHH quasi-Newton steps on the marginal likelihood
//! (whose outer-product Hessian also gives the standard errors).

use rayon::prelude::*;

use super::kernel;
use super::mnl::{self, ChoiceData};
use crate::error::{Error, Result};
use crate::linalg;
use crate::random::Stream;

#[derive(Debug, Clone, Copy)]
pub struct LcParams {
    pub n_classes: usize,
    pub n_starts: usize,
    pub max_iter: usize,
    /// EM stops when the marginal log-likelihood rises by less than `tol · (1 + |LL|)`.
    pub tol: f64,
    /// Newton steps per class and M-step.
    pub newton_steps: usize,
    pub seed: u64,
}

#[derive(Debug, Clone)]
pub struct LcFit {
    /// Classes × k.
    pub coef: Vec<f64>,
    pub shares: Vec<f64>,
    /// Respondents × classes.
    pub membership: Vec<f64>,
    pub loglik: f64,
    /// Marginal log-likelihood after each EM iteration of the best start, then after each
    /// quasi-Newton step.
    pub history: Vec<f64>,
    pub n_em: usize,
    /// Covariance of (β_1, …, β_C, γ_1, …, γ_{C−1}) from the outer product of respondent scores
    /// (γ = class logits against the last class); empty when singular.
    pub covariance: Vec<f64>,
    pub start_logliks: Vec<f64>,
}

/// Respondent-level data: the tasks of respondent i are `respondents[i]..respondents[i + 1]`.
struct Panel<'a> {
    d: &'a ChoiceData<'a>,
    respondents: &'a [usize],
    /// `d.x` rearranged by [`kernel::by_respondent`].
    xt: Vec<f64>,
    /// `d.x` rearranged for the M-step's statistics.
    cols: mnl::Columns,
}

impl Panel<'_> {
    fn n(&self) -> usize {
        self.respondents.len() - 1
    }

    /// Σ_t log P(y_t | β) over respondent i's tasks; `v` is scratch.
    fn loglik(&self, i: usize, beta: &[f64], v: &mut Vec<f64>) -> f64 {
        let d = self.d;
        let tasks = self.respondents[i]..self.respondents[i + 1];
        kernel::tasks_loglik(&self.xt, d.k, d.starts, d.chosen, tasks, beta, v)
    }

    /// Score of respondent i under β: Σ_t (x_chosen − x̄_t), added to `out`, scaled by `w`.
    fn score(&self, i: usize, beta: &[f64], w: f64, out: &mut [f64], p: &mut Vec<f64>) {
        for t in self.respondents[i]..self.respondents[i + 1] {
            mnl::task_score(self.d, beta, t, w, out, p);
        }
    }

    /// E-step: writes h (n × C) and returns the marginal log-likelihood.
    fn e_step(&self, coef: &[f64], shares: &[f64], h: &mut [f64]) -> f64 {
        let c = shares.len();
        let k = self.d.k;
        let log_pi: Vec<f64> = shares.iter().map(|p| p.max(1e-300).ln()).collect();
        let lls: Vec<f64> = h
            .par_chunks_mut(c)
            .enumerate()
            .with_min_len(32)
            .map_init(Vec::new, |buf, (i, hi)| {
                let mut m = f64::NEG_INFINITY;
                for (cl, v) in hi.iter_mut().enumerate() {
                    *v = log_pi[cl] + self.loglik(i, &coef[cl * k..(cl + 1) * k], buf);
                    m = m.max(*v);
                }
                let mut s = 0.0;
                for v in hi.iter_mut() {
                    *v = (*v - m).exp();
                    s += *v;
                }
                for v in hi.iter_mut() {
                    *v /= s;
                }
                m + s.ln()
            })
            .collect();
        lls.iter().sum()
    }
}

/// Up to `steps` Newton steps with step halving on the weighted conditional logit. The
/// statistics at an accepted point (with its information matrix) serve the next step, so a
/// step costs one pass over the tasks unless it has to be halved.
fn weighted_newton(d: &ChoiceData, cols: &mnl::Columns, beta: &mut [f64], steps: usize) {
    let k = d.k;
    let mut s = mnl::loglik_stats_with(d, cols, beta, true);
    for _ in 0..steps {
        let mut info = s.information.clone();
        // A tiny ridge keeps classes with (near) zero weight solvable; it does not move the
        // optimum of a well-posed class noticeably.
        for j in 0..k {
            info[j * k + j] += 1e-9 * (1.0 + info[j * k + j]);
        }
        let Ok(l) = linalg::cholesky(&info, k) else {
            return;
        };
        let mut step = s.gradient.clone();
        linalg::cholesky_solve(&l, k, &mut step);
        let dec: f64 = step.iter().zip(&s.gradient).map(|(a, b)| a * b).sum();
        if dec < 1e-12 {
            return;
        }
        let mut t = 1.0;
        loop {
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, d)| b + t * d).collect();
            let ts = mnl::loglik_stats_with(d, cols, &trial, true);
            if ts.loglik >= s.loglik {
                beta.copy_from_slice(&trial);
                s = ts;
                break;
            }
            t *= 0.5;
            if t < 1e-6 {
                return;
            }
        }
    }
}

struct Run {
    coef: Vec<f64>,
    shares: Vec<f64>,
    h: Vec<f64>,
    loglik: f64,
    history: Vec<f64>,
}

fn em(panel: &Panel, groups: &[usize], start: Vec<f64>, params: &LcParams, tol: f64) -> Run {
    let (n, c, k) = (panel.n(), params.n_classes, panel.d.k);
    let n_tasks = panel.d.n_tasks();
    // Start: random soft memberships, then an M-step from β = 0.
    let mut h = start;
    let mut coef = vec![0.0; c * k];
    let mut shares = vec![1.0 / c as f64; c];
    let mut history = Vec::new();
    let mut weights = vec![0.0; n_tasks];
    let mut loglik = f64::NEG_INFINITY;
    for it in 0..=params.max_iter {
        // M-step.
        for cl in 0..c {
            shares[cl] = (0..n).map(|i| h[i * c + cl]).sum::<f64>() / n as f64;
            for (t, w) in weights.iter_mut().enumerate() {
                // Respondents that surely belong elsewhere are skipped: their weight would
                // change the class's statistics by less than 1e-12 of a respondent.
                let v = h[groups[t] * c + cl];
                *w = if v < 1e-12 { 0.0 } else { v };
            }
            let d = ChoiceData {
                weights: Some(&weights),
                ..*panel.d
            };
            let steps = if it == 0 {
                params.newton_steps.max(3)
            } else {
                params.newton_steps
            };
            weighted_newton(&d, &panel.cols, &mut coef[cl * k..(cl + 1) * k], steps);
        }
        let ll = panel.e_step(&coef, &shares, &mut h);
        history.push(ll);
        let done = it > 0 && ll - loglik <= tol * (1.0 + ll.abs());
        loglik = ll;
        if done {
            break;
        }
    }
    Run {
        coef,
        shares,
        h,
        loglik,
        history,
    }
}

/// Marginal log-likelihood, respondent scores (n × P) in θ = (β_1..β_C, γ_1..γ_{C−1}).
fn scores(panel: &Panel, coef: &[f64], shares: &[f64], h: &mut [f64]) -> (f64, Vec<f64>) {
    let (n, c, k) = (panel.n(), shares.len(), panel.d.k);
    let p = c * k + c - 1;
    let ll = panel.e_step(coef, shares, h);
    let mut g = vec![0.0; n * p];
    g.par_chunks_mut(p)
        .enumerate()
        .with_min_len(32)
        .for_each(|(i, gi)| {
            let mut buf = Vec::new();
            for cl in 0..c {
                let w = h[i * c + cl];
                panel.score(
                    i,
                    &coef[cl * k..(cl + 1) * k],
                    w,
                    &mut gi[cl * k..(cl + 1) * k],
                    &mut buf,
                );
            }
            for cl in 0..c - 1 {
                gi[c * k + cl] = h[i * c + cl] - shares[cl];
            }
        });
    (ll, g)
}

fn shares_from_logits(gamma: &[f64]) -> Vec<f64> {
    let m = gamma.iter().cloned().fold(0.0, f64::max);
    let mut e: Vec<f64> = gamma.iter().map(|g| (g - m).exp()).collect();
    e.push((-m).exp());
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

fn opg_factor(g: &[f64], p: usize) -> (Vec<f64>, std::result::Result<Vec<f64>, usize>) {
    let mut opg = vec![0.0; p * p];
    let mut total = vec![0.0; p];
    for gi in g.chunks_exact(p) {
        for a in 0..p {
            total[a] += gi[a];
            for b in 0..=a {
                opg[a * p + b] += gi[a] * gi[b];
            }
        }
    }
    for a in 0..p {
        for b in 0..a {
            opg[b * p + a] = opg[a * p + b];
        }
    }
    let l = linalg::cholesky(&opg, p);
    (total, l)
}

/// Fits the latent-class MNL. `groups[t]` is the respondent of task t; tasks of a respondent must
/// be contiguous (`respondents` holds their task offsets).
pub fn fit(d: &ChoiceData, respondents: &[usize], params: LcParams) -> Result<LcFit> {
    d.validate()?;
    let n = respondents.len().saturating_sub(1);
    if n == 0
        || respondents[0] != 0
        || respondents[n] != d.n_tasks()
        || respondents.windows(2).any(|w| w[1] <= w[0])
    {
        return Err(Error::invalid(
            "respondent",
            "every respondent needs at least one task",
        ));
    }
    let c = params.n_classes;
    if c == 0 || c > n {
        return Err(Error::invalid(
            "n_classes",
            format!("must be between 1 and the number of respondents ({n})"),
        ));
    }
    if params.n_starts == 0 {
        return Err(Error::invalid("n_starts", "must be ≥ 1"));
    }
    let mut groups = vec![0; d.n_tasks()];
    for i in 0..n {
        for g in &mut groups[respondents[i]..respondents[i + 1]] {
            *g = i;
        }
    }
    let xt = kernel::by_respondent(d.x, d.k, d.starts, respondents);
    let cols = mnl::Columns::new(d);
    let panel = Panel {
        d,
        respondents,
        xt,
        cols,
    };
    let k = d.k;
    let streams = Stream::many(params.seed, params.n_starts);
    let runs: Vec<Run> = streams
        .into_par_iter()
        .map(|mut s| {
            let mut h = vec![0.0; n * c];
            for hi in h.chunks_exact_mut(c) {
                // Random soft memberships leaning on one class.
                let lead = s.below(c as u64) as usize;
                let mut sum = 0.0;
                for (cl, v) in hi.iter_mut().enumerate() {
                    *v = s.uniform() + if cl == lead { 2.0 } else { 0.0 };
                    sum += *v;
                }
                hi.iter_mut().for_each(|v| *v /= sum);
            }
            em(&panel, &groups, h, &params, params.tol)
        })
        .collect();
    let start_logliks: Vec<f64> = runs.iter().map(|r| r.loglik).collect();
    let best = runs
        .into_iter()
        .enumerate()
        .max_by(|(i, a), (j, b)| a.loglik.total_cmp(&b.loglik).then(j.cmp(i)))
        .map(|(_, r)| r)
        .ok_or_else(|| Error::invalid("n_starts", "must be ≥ 1"))?;
    let n_em = best.history.len();
    let Run {
        mut coef,
        mut shares,
        mut h,
        mut loglik,
        mut history,
    } = best;
    // BHHH finish on θ = (β, γ).
    let p = c * k + c - 1;
    let mut gamma: Vec<f64> = (0..c - 1)
        .map(|cl| (shares[cl].max(1e-300) / shares[c - 1].max(1e-300)).ln())
        .collect();
    let mut covariance = Vec::new();
    for _ in 0..20 {
        let (ll, g) = scores(&panel, &coef, &shares, &mut h);
        loglik = ll;
        let (total, l) = opg_factor(&g, p);
        let Ok(l) = l else { break };
        let mut step = total.clone();
        linalg::cholesky_solve(&l, p, &mut step);
        let dec: f64 = step.iter().zip(&total).map(|(a, b)| a * b).sum();
        covariance = linalg::cholesky_inverse(&l, p);
        if dec * 0.5 <= params.tol.min(1e-8) {
            break;
        }
        let mut t = 1.0;
        let mut improved = false;
        while t > 1e-6 {
            let trial_coef: Vec<f64> = coef
                .iter()
                .zip(&step[..c * k])
                .map(|(b, s)| b + t * s)
                .collect();
            let trial_gamma: Vec<f64> = gamma
                .iter()
                .zip(&step[c * k..])
                .map(|(g, s)| g + t * s)
                .collect();
            let trial_shares = shares_from_logits(&trial_gamma);
            let mut th = h.clone();
            let tl = panel.e_step(&trial_coef, &trial_shares, &mut th);
            if tl > loglik {
                coef = trial_coef;
                gamma = trial_gamma;
                shares = trial_shares;
                h = th;
                loglik = tl;
                history.push(tl);
                improved = true;
                break;
            }
            t *= 0.5;
        }
        if !improved {
            break;
        }
    }
    Ok(LcFit {
        coef,
        shares,
        membership: h,
        loglik,
        history,
        n_em,
        covariance,
        start_logliks,
    })
}
