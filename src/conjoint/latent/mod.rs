//! Latent-class multinomial logit: C classes of respondents, each with its own coefficients.
//!
//! EM from several random starts (in parallel, one seeded stream each): the E-step gives each
//! respondent's posterior class probabilities h_ic ∝ π_c Π_t P(y_it | β_c); the M-step sets
//! π_c = mean_i h_ic and moves every β_c by a Newton step on the h-weighted conditional logit
//! Q_c(β) = Σ_i h_ic log L_i(β). A step is kept only if Q_c does not fall (otherwise it is
//! halved), so the marginal likelihood never falls (a generalised EM). The best start is finished
//! by BHHH quasi-Newton steps on the marginal likelihood (whose outer-product Hessian also gives
//! the standard errors).
//!
//! One fused pass over the respondents ([`pass`]: `Design::pass`) does the work of an EM iteration: at
//! new coefficients it computes every respondent's likelihood under every class, the posteriors
//! (the E-step), Q_c under the posteriors of the M-step that produced the coefficients (the check
//! of that step) and, from the choice probabilities in hand, the h-weighted gradients and
//! information matrices of every class (the next Newton step). A step that fails its check is
//! halved and the pass redone; that is rare. The information matrices, the costliest part, are
//! only recomputed while the coefficients move a lot and near convergence (`REFRESH`,
//! `NEAR`); the other steps reuse the last ones.
//!
//! The tasks are stored as differences from the chosen row: with x̃_j = x_j − x_chosen,
//! log P(chosen) = −log(1 + Σ_{j≠chosen} exp(x̃_j′β)), so the chosen row drops out, the gradient
//! is −Σ_j p_j x̃_j and the information Σ_j p_j x̃_j x̃_j′ − (Σ_j p_j x̃_j)(Σ_j p_j x̃_j)′ is summed
//! as J − 1 weighted outer products per task (the LDL′ factors of diag(p) − pp′), free of
//! cancellation.
//!
//! Files: this one is the EM driver (random starts, the generalised EM of each, the BHHH finish);
//! [`design`] lays the data out in blocks of respondents, [`pass`] is the fused pass over them
//! and [`kernels`] its inner loops.

mod design;
mod kernels;
mod pass;
#[cfg(test)]
mod tests;

use rayon::prelude::*;

use self::design::Design;
use self::pass::{Pass, Spec, Weights};
use super::data::ChoiceData;
use crate::error::{Error, Result};
use crate::linalg;
use crate::random::{Stream, Streams};

/// EM starts run (and are compared) in blocks of this many.
const START_BLOCK: usize = 64;

#[derive(Debug, Clone, Copy)]
pub struct LcParams {
    pub n_classes: usize,
    pub n_starts: usize,
    pub max_iter: usize,
    /// EM stops when the marginal log-likelihood rises by less than `tol · (1 + |LL|)`.
    pub tol: f64,
    /// Newton steps per class and M-step (at least one; with one, every pass is also an
    /// E-step).
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

/// The information matrices are recomputed in a pass when the coefficients will have moved by
/// more than this since they were (largest absolute change, summed over the steps), and after a
/// step had to be halved; otherwise the Newton step uses the last ones. Late in EM the steps are
/// small and a slightly stale matrix gives as good a step, so about half the passes skip the
/// matrices' cost; a step is accepted on Q_c all the same, so this never affects monotonicity or
/// the fixed point.
const REFRESH: f64 = 0.5;

/// EM counts as near convergence when the last iteration gained less than this many times its
/// stopping threshold; it then recomputes the information matrices in every pass and stops only
/// after a step taken with fresh ones.
const NEAR: f64 = 100.0;

/// Newton directions I_c⁻¹ g_c of the classes (with a tiny ridge that keeps classes with (near)
/// zero weight solvable without moving the optimum of a well-posed class noticeably); `None`
/// where a class has nothing left to gain or its information is singular.
fn newton_directions(
    gradient: &[f64],
    information: &[f64],
    c: usize,
    k: usize,
) -> Vec<Option<Vec<f64>>> {
    (0..c)
        .map(|cl| {
            let mut info = information[cl * k * k..(cl + 1) * k * k].to_vec();
            for j in 0..k {
                info[j * k + j] += 1e-9 * (1.0 + info[j * k + j]);
            }
            let l = linalg::cholesky(&info, k).ok()?;
            let g = &gradient[cl * k..(cl + 1) * k];
            let mut step = g.to_vec();
            linalg::cholesky_solve(&l, k, &mut step);
            let dec: f64 = step.iter().zip(g).map(|(a, b)| a * b).sum();
            (dec >= 1e-12).then_some(step)
        })
        .collect()
}

fn column_means(h: &[f64], c: usize) -> Vec<f64> {
    let n = h.len() / c;
    let mut m = vec![0.0; c];
    for hi in h.chunks_exact(c) {
        m.iter_mut().zip(hi).for_each(|(a, b)| *a += b);
    }
    m.iter_mut().for_each(|v| *v /= n as f64);
    m
}

fn log_shares(shares: &[f64]) -> Vec<f64> {
    shares.iter().map(|p| p.max(1e-300).ln()).collect()
}

struct Run {
    coef: Vec<f64>,
    shares: Vec<f64>,
    loglik: f64,
    history: Vec<f64>,
}

/// Random soft memberships (n × C) leaning on one class each: the start of an EM run.
fn random_start(s: &mut Stream, n: usize, c: usize) -> Vec<f64> {
    let mut h = vec![0.0; n * c];
    for hi in h.chunks_exact_mut(c) {
        let lead = s.below(c as u64) as usize;
        let mut sum = 0.0;
        for (cl, v) in hi.iter_mut().enumerate() {
            *v = s.uniform() + if cl == lead { 2.0 } else { 0.0 };
            sum += *v;
        }
        hi.iter_mut().for_each(|v| *v /= sum);
    }
    h
}

/// Generalised EM from the memberships `start`.
fn em(ds: &Design, start: Vec<f64>, params: &LcParams) -> Run {
    let (c, k) = (params.n_classes, ds.k);
    // Start: random soft memberships, then an M-step from β = 0.
    let mut h = start;
    let mut shares = column_means(&h, c);
    let mut coef = vec![0.0; c * k];
    let mut st = ds.pass(&Spec {
        n_classes: c,
        beta: &coef,
        weights: Weights::Fixed(&h),
        gradient: true,
        information: true,
        scores: None,
    });
    let mut history = Vec::new();
    let mut loglik = f64::NEG_INFINITY;
    let mut gain = f64::INFINITY;
    // The information matrices of the last pass that computed them; whether that was the
    // last pass; how far the coefficients have moved since (largest absolute change, summed
    // over the steps); whether a step has been halved since.
    let mut info = st.information.clone();
    let mut fresh = true;
    let mut moved = 0.0f64;
    let mut halved = false;
    let mut steps_left = params.newton_steps.max(1);
    loop {
        let dirs = newton_directions(&st.gradient, &info, c, k);
        let exact = fresh;
        steps_left -= 1;
        let e_step = steps_left == 0;
        let step: f64 = dirs
            .iter()
            .flatten()
            .flat_map(|d| d.iter().map(|v| v.abs()))
            .fold(0.0, f64::max);
        // Near convergence the matrices are kept fresh, so that EM stops after exact Newton
        // steps (a one-class model then lands on the conditional logit's maximum).
        let near = history.len() > 1 && gain <= NEAR * params.tol * (1.0 + loglik.abs());
        let refresh = !e_step || moved + step > REFRESH || halved || near;
        let log_pi = log_shares(&shares);
        let weights = if e_step {
            Weights::Posterior {
                log_shares: &log_pi,
                prev: Some(&h),
            }
        } else {
            Weights::Fixed(&h)
        };
        let (trial, next, any_halved) = newton_step(ds, &coef, &dirs, weights, refresh, &st.q);
        halved |= any_halved;
        coef = trial;
        st = next;
        fresh = refresh;
        if refresh {
            info.copy_from_slice(&st.information);
            moved = 0.0;
            halved = false;
        } else {
            moved += step;
        }
        if e_step {
            let ll = st.loglik;
            history.push(ll);
            crate::cancel::progress::advance(1);
            h.copy_from_slice(&st.h);
            shares = column_means(&h, c);
            gain = ll - loglik;
            loglik = ll;
            let done = history.len() > 1 && exact && gain <= params.tol * (1.0 + ll.abs());
            if done || history.len() > params.max_iter || crate::cancel::requested() {
                break;
            }
            steps_left = params.newton_steps.max(1);
        }
    }
    Run {
        coef,
        shares,
        loglik,
        history,
    }
}

/// The M-step's move of every class along its Newton direction `dirs`, with the pass at the new
/// coefficients under `weights`: Q_c must not fall below `q_before` under the weights of this
/// M-step, and a class whose step fails is halved (and given up below 1e-6, leaving its β_c
/// and Q_c exactly as they were). Returns the coefficients, their pass and whether a step was
/// halved.
fn newton_step(
    ds: &Design,
    coef: &[f64],
    dirs: &[Option<Vec<f64>>],
    weights: Weights,
    information: bool,
    q_before: &[f64],
) -> (Vec<f64>, Pass, bool) {
    let k = ds.k;
    let mut halved = false;
    let mut t: Vec<f64> = dirs
        .iter()
        .map(|d| if d.is_some() { 1.0 } else { 0.0 })
        .collect();
    loop {
        let mut trial = coef.to_vec();
        for (cl, dir) in dirs.iter().enumerate() {
            if let Some(dir) = dir {
                trial[cl * k..(cl + 1) * k]
                    .iter_mut()
                    .zip(dir)
                    .for_each(|(b, d)| *b += t[cl] * d);
            }
        }
        let next = ds.pass(&Spec {
            n_classes: dirs.len(),
            beta: &trial,
            weights,
            gradient: true,
            information,
            scores: None,
        });
        let mut ok = true;
        for (t, (new, old)) in t.iter_mut().zip(next.q_prev.iter().zip(q_before)) {
            if *t > 0.0 && new < old {
                ok = false;
                halved = true;
                *t *= 0.5;
                if *t < 1e-6 {
                    *t = 0.0;
                }
            }
        }
        if ok {
            return (trial, next, halved);
        }
    }
}

fn shares_from_logits(gamma: &[f64]) -> Vec<f64> {
    let m = gamma.iter().cloned().fold(0.0, f64::max);
    let mut e: Vec<f64> = gamma.iter().map(|g| (g - m).exp()).collect();
    e.push((-m).exp());
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// Checks the respondents' task offsets and the class and start counts; returns the number of
/// respondents.
fn check(d: &ChoiceData, respondents: &[usize], params: &LcParams) -> Result<usize> {
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
    Ok(n)
}

/// Fits the latent-class MNL. The tasks of respondent i are `respondents[i]..respondents[i + 1]`
/// (contiguous).
pub fn fit_latent_class(d: &ChoiceData, respondents: &[usize], params: LcParams) -> Result<LcFit> {
    let n = check(d, respondents, &params)?;
    let c = params.n_classes;
    let ds = Design::new(d, respondents);
    // Progress: EM iterations (up to max_iter per start), then the best log-likelihood.
    crate::cancel::progress::total((params.n_starts * (params.max_iter + 1)) as u64);
    let mut start_logliks: Vec<f64> = Vec::new();
    start_logliks
        .try_reserve_exact(params.n_starts)
        .map_err(|_| {
            Error::invalid(
                "n_starts",
                format!(
                    "keeping the log-likelihood of {} starts needs {:.2} GiB of memory that could \
                 not be allocated",
                    params.n_starts,
                    params.n_starts as f64 * 8.0 / (1u64 << 30) as f64
                ),
            )
        })?;
    // Starts in fixed blocks (streams in order, one jump each; only the best run kept), so that
    // memory does not grow with n_starts; the highest log-likelihood wins, the first on ties.
    let mut streams = Streams::new(params.seed).take(params.n_starts).enumerate();
    let mut best: Option<Run> = None;
    loop {
        if best.is_some() && crate::cancel::requested() {
            break; // interrupted: the caller discards the result
        }
        let block: Vec<(usize, Stream)> = streams.by_ref().take(START_BLOCK).collect();
        if block.is_empty() {
            break;
        }
        let runs: Vec<Run> = block
            .into_par_iter()
            .filter(|(i, _)| *i == 0 || !crate::cancel::requested()) // interrupted: discarded
            .map(|(_, mut s)| {
                let run = em(&ds, random_start(&mut s, n, c), &params);
                let used = run.history.len().min(params.max_iter + 1);
                crate::cancel::progress::advance((params.max_iter + 1 - used) as u64);
                crate::cancel::progress::higher(run.loglik);
                run
            })
            .collect();
        for run in runs {
            start_logliks.push(run.loglik);
            if best
                .as_ref()
                .is_none_or(|b| run.loglik.total_cmp(&b.loglik).is_gt())
            {
                best = Some(run);
            }
        }
    }
    let best = best.ok_or_else(|| Error::invalid("n_starts", "must be ≥ 1"))?;
    let n_em = best.history.len();
    let Finish {
        coef,
        shares,
        at,
        covariance,
        history,
    } = bhhh(&ds, best, params.tol);
    crate::cancel::progress::metric(at.loglik);
    Ok(LcFit {
        coef,
        shares,
        membership: at.h,
        loglik: at.loglik,
        history,
        n_em,
        covariance,
        start_logliks,
    })
}

/// The best start after its BHHH steps.
struct Finish {
    coef: Vec<f64>,
    shares: Vec<f64>,
    /// The pass (with scores) at the final estimates.
    at: Pass,
    covariance: Vec<f64>,
    history: Vec<f64>,
}

/// BHHH finish on θ = (β, γ) from the best EM run. Every pass at a trial point also gives the
/// scores there, so an accepted step costs one pass.
fn bhhh(ds: &Design, run: Run, tol: f64) -> Finish {
    let Run {
        mut coef,
        mut shares,
        mut history,
        ..
    } = run;
    let (c, k) = (shares.len(), ds.k);
    let p = c * k + c - 1;
    let mut gamma: Vec<f64> = (0..c - 1)
        .map(|cl| (shares[cl].max(1e-300) / shares[c - 1].max(1e-300)).ln())
        .collect();
    let scores_at = |coef: &[f64], shares: &[f64]| {
        ds.pass(&Spec {
            n_classes: c,
            beta: coef,
            weights: Weights::Posterior {
                log_shares: &log_shares(shares),
                prev: None,
            },
            gradient: false,
            information: false,
            scores: Some(shares),
        })
    };
    let mut at = scores_at(&coef, &shares);
    let mut covariance = Vec::new();
    for it in 0.. {
        if crate::cancel::requested() {
            break; // the caller discards the result
        }
        let Ok(l) = linalg::cholesky(&at.opg, p) else {
            break;
        };
        let total = &at.score;
        let mut step = total.clone();
        linalg::cholesky_solve(&l, p, &mut step);
        let dec: f64 = step.iter().zip(total).map(|(a, b)| a * b).sum();
        covariance = linalg::cholesky_inverse(&l, p);
        if dec * 0.5 <= tol.min(1e-8) || it == 20 {
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
            let trial = scores_at(&trial_coef, &trial_shares);
            if trial.loglik > at.loglik {
                coef = trial_coef;
                gamma = trial_gamma;
                shares = trial_shares;
                history.push(trial.loglik);
                at = trial;
                improved = true;
                break;
            }
            t *= 0.5;
        }
        if !improved {
            break;
        }
    }
    Finish {
        coef,
        shares,
        at,
        covariance,
        history,
    }
}
