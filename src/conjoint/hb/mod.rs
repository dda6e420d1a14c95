//! Hierarchical Bayes multinomial logit (the sampler of Sawtooth's CBC/HB, openly re-implemented
//! in R's ChoiceModelR): β_i ~ N(Δ′z_i, D), D ~ IW(ν₀, ν₀·v·V₀), Δ flat.
//!
//! One iteration of a chain: every respondent's β_i takes one random-walk Metropolis step with
//! proposal β_i + ρ·chol(D)·ε; then Δ | β, D and D | β, Δ are drawn by Gibbs from the chain's own
//! stream, from sums over respondents that the Metropolis step accumulates (Σ r r′ and Σ z r′
//! with r_i = β_i − Δ′z_i, per block of respondents, added in block order); during burn-in ρ grows by 10 % when more than 30 % of the
//! respondents accepted, and shrinks by 10 % otherwise. Monotone constraints are applied to a
//! tied copy of β_i that enters the likelihood (and is what is recorded); the upper level sees the
//! unconstrained β_i.
//!
//! The Metropolis step runs four respondents side by side in SIMD lanes ([`LaneGroups`]): each
//! lane has its own xoshiro generator seeded from its respondent's stream, blocks of lane groups
//! run in parallel, and the blocks are fixed by the data, so the draws do not depend on the
//! number of threads.
//!
//! Files: this one holds the data, the parameters, the constraints and the sampler's chains;
//! [`metropolis`] the respondents' step, [`upper`] the Gibbs draws of Δ and D.

// Loops over the lanes index several `[f64; LANES]` values in step.
#![allow(clippy::needless_range_loop)]

use rayon::prelude::*;

mod metropolis;
mod shift;
mod summaries;
mod upper;

use self::metropolis::{work_len, BlockSums, GROUPS_PER_BLOCK};
use self::summaries::Summaries;
pub use self::summaries::QUANTILES;
use self::upper::{step, Upper};
use super::kernel;
use super::lanes::{LaneGroups, LANES, V};
use crate::error::{Error, Result};
use crate::linalg;
use crate::random::{Lanes, Stream};

/// A monotone constraint on part of the parameter vector.
#[derive(Debug, Clone, PartialEq)]
pub enum Constraint {
    /// A single coefficient ≥ 0 (`increasing = true`) or ≤ 0.
    Sign { index: usize, increasing: bool },
    /// The effects-coded parameters of one attribute (its first L−1 levels, the last level being
    /// minus their sum): the L part-worths are non-decreasing (or non-increasing) along the levels.
    Levels {
        indices: Vec<usize>,
        increasing: bool,
    },
}

/// Pool-adjacent-violators: the non-decreasing sequence closest to `v` in least squares (equal
/// weights), in place. It keeps the sum, so effects-coded part-worths still sum to zero.
fn isotonic(v: &mut [f64]) {
    let mut blocks: Vec<(f64, usize)> = Vec::with_capacity(v.len());
    for &x in v.iter() {
        blocks.push((x, 1));
        while blocks.len() > 1 {
            let (m2, n2) = blocks[blocks.len() - 1];
            let (m1, n1) = blocks[blocks.len() - 2];
            if m1 <= m2 {
                break;
            }
            blocks.pop();
            let n = n1 + n2;
            *blocks.last_mut().unwrap_or(&mut (0.0, 0)) =
                ((m1 * n1 as f64 + m2 * n2 as f64) / n as f64, n);
        }
    }
    let mut i = 0;
    for (m, n) in blocks {
        for x in &mut v[i..i + n] {
            *x = m;
        }
        i += n;
    }
}

impl Constraint {
    fn apply(&self, beta: &mut [f64], scratch: &mut Vec<f64>) {
        match self {
            Constraint::Sign { index, increasing } => {
                let b = &mut beta[*index];
                *b = if *increasing { b.max(0.0) } else { b.min(0.0) };
            }
            Constraint::Levels {
                indices,
                increasing,
            } => {
                scratch.clear();
                let mut sum = 0.0;
                for &i in indices {
                    scratch.push(beta[i]);
                    sum += beta[i];
                }
                scratch.push(-sum);
                if *increasing {
                    isotonic(scratch);
                } else {
                    scratch.reverse();
                    isotonic(scratch);
                    scratch.reverse();
                }
                for (&i, &v) in indices.iter().zip(scratch.iter()) {
                    beta[i] = v;
                }
            }
        }
    }
}

/// The data of a hierarchical model, owned (the sampler outlives the caller's arrays).
#[derive(Debug, Clone)]
pub struct HbData {
    /// Model matrix, row-major, `k` columns; rows of a task contiguous, tasks of a respondent
    /// contiguous. Released once [`HbSampler::new`] has built `lanes` from it.
    pub x: Vec<f64>,
    pub k: usize,
    /// Row offsets of the tasks (n_tasks + 1).
    pub starts: Vec<usize>,
    /// Chosen row (absolute) of each task.
    pub chosen: Vec<usize>,
    /// Task offsets of the respondents (n_respondents + 1).
    pub respondents: Vec<usize>,
    /// Upper-level covariates, n_respondents × q, row-major (a column of ones for the mean).
    pub z: Vec<f64>,
    pub q: usize,
    /// The tasks against their chosen rows, respondents in SIMD lanes (filled by
    /// [`HbSampler::new`]).
    pub lanes: LaneGroups,
}

impl HbData {
    pub fn n_respondents(&self) -> usize {
        self.respondents.len() - 1
    }

    fn validate(&self) -> Result<()> {
        let n_rows = self.x.len().checked_div(self.k).unwrap_or(0);
        let n_tasks = self.starts.len().saturating_sub(1);
        if self.k == 0 || n_rows * self.k != self.x.len() || n_tasks == 0 {
            return Err(Error::invalid(
                "data",
                "has no choice tasks or no parameters",
            ));
        }
        if self.starts[0] != 0 || self.starts[n_tasks] != n_rows || self.chosen.len() != n_tasks {
            return Err(Error::invalid("starts", "inconsistent task offsets"));
        }
        for t in 0..n_tasks {
            if self.starts[t + 1] < self.starts[t] + 2
                || !(self.starts[t]..self.starts[t + 1]).contains(&self.chosen[t])
            {
                return Err(Error::invalid("task", format!("task {t} is malformed")));
            }
        }
        let n = self.respondents.len().saturating_sub(1);
        if n < 2 || self.respondents[0] != 0 || self.respondents[n] != n_tasks {
            return Err(Error::invalid(
                "respondent",
                "a hierarchical model needs at least two respondents",
            ));
        }
        if self.respondents.windows(2).any(|w| w[1] <= w[0]) {
            return Err(Error::invalid(
                "respondent",
                "every respondent needs at least one task",
            ));
        }
        if self.q == 0 || self.z.len() != n * self.q || self.z.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid(
                "covariates",
                "need one finite row per respondent",
            ));
        }
        if self.x.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid("x", "contains NaN or infinite values"));
        }
        Ok(())
    }
}

/// The largest prior variance accepted: part-worths of ±1e3 already give choice probabilities of
/// exactly 0 or 1, and much larger scales overflow the float32 draws.
pub const MAX_PRIOR_VARIANCE: f64 = 1e6;

#[derive(Debug, Clone)]
pub struct HbParams {
    pub n_iter: usize,
    pub burn_in: usize,
    pub thin: usize,
    pub n_chains: usize,
    pub prior_variance: f64,
    pub prior_df: f64,
    /// Prior structure V₀ (k × k): identity for linear parameters, (L−1)/L and −1/L blocks for
    /// effects-coded attributes.
    pub v0: Vec<f64>,
    pub constraints: Vec<Constraint>,
    pub seed: u64,
    /// Keep every respondent's draw at every `draws_every`-th kept iteration (1: all kept
    /// draws; 0: none).
    pub draws_every: usize,
    /// Accumulate running summaries of the respondents' kept draws ([`summaries`]).
    pub summaries: bool,
    /// Respondents whose every kept draw is stored even when `draws_every` is 0 (a sample for
    /// convergence diagnostics), in increasing order.
    pub tracked: Vec<usize>,
    /// The affine move of [`shift`] after every iteration's Gibbs draws.
    pub translate: bool,
    /// Bytes the sampler may hold; checked before anything of the sampler's size is allocated.
    pub max_memory: u64,
}

/// What a sampler holds, in bytes, by part ([`HbParams::memory`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    /// Respondent draws kept by every chain, and the copy that gathers them at the end.
    pub draws: u64,
    /// Running summaries and the tracked respondents' draws.
    pub summaries: u64,
    /// Per-iteration monitors, Δ draws and the chains' state.
    pub other: u64,
}

impl Memory {
    pub fn total(&self) -> u64 {
        self.draws
            .saturating_add(self.summaries)
            .saturating_add(self.other)
    }
}

impl HbParams {
    /// Draws kept per chain: every `thin`-th iteration after burn-in.
    pub fn n_kept(&self) -> usize {
        (self.n_iter.saturating_sub(self.burn_in))
            .checked_div(self.thin)
            .unwrap_or(0)
    }

    /// An estimate of the memory a sampler of `n` respondents, `k` parameters and `q`
    /// covariates holds at its peak (saturating at u64::MAX).
    pub fn memory(&self, n: usize, k: usize, q: usize) -> Memory {
        let m = |parts: &[usize]| -> u64 {
            parts
                .iter()
                .try_fold(1u64, |a, &b| a.checked_mul(b as u64))
                .unwrap_or(u64::MAX)
        };
        let c = self.n_chains;
        let kept = self.n_kept();
        let stored = if self.draws_every > 0 {
            kept.div_ceil(self.draws_every)
        } else {
            0
        };
        // Every chain's f32 draws, plus one chain's while `results` gathers them.
        let draws = m(&[c.saturating_add(1), stored, n, k, 4]);
        let summaries = if self.summaries {
            m(&[c, n.div_ceil(LANES) * LANES, k, Summaries::BYTES])
        } else {
            0
        }
        .saturating_add(m(&[c.saturating_add(1), kept, self.tracked.len(), k, 4]));
        // Monitors (4 f64 per iteration, also copied to Python twice), Δ draws, and per
        // respondent slot β, tied β, the log-likelihoods, the generators and the seeding
        // streams.
        let other = m(&[c, self.n_iter, 3 * 32])
            .saturating_add(m(&[c.saturating_add(1), kept, q, k, 8]))
            .saturating_add(m(&[c, n.saturating_add(LANES), 24 * k + 96]));
        Memory {
            draws,
            summaries,
            other,
        }
    }

    /// Refuses a sampler that would hold more than `max_memory`, saying how much it needs and
    /// what reduces it.
    fn check_memory(&self, n: usize, k: usize, q: usize) -> Result<()> {
        let mem = self.memory(n, k, q);
        if mem.total() <= self.max_memory {
            return Ok(());
        }
        Err(Error::invalid(
            "max_memory",
            format!(
                "the sampler needs about {} (kept respondent draws {}: (n_chains + 1) × (n_iter \
                 − burn_in) / thin × {n} respondents × {k} parameters × 4 bytes, the last chain's \
                 worth for gathering them; running summaries \
                 {}; monitors, Δ draws and state {}), more than max_memory = {}. Reduce it with \
                 keep=\"summaries\" (posterior means, variances and quantiles without the draws), \
                 a larger thin, fewer n_chains or a shorter n_iter − burn_in, or raise max_memory",
                bytes(mem.total()),
                bytes(mem.draws),
                bytes(mem.summaries),
                bytes(mem.other),
                bytes(self.max_memory),
            ),
        ))
    }

    fn check(&self, k: usize) -> Result<()> {
        if self.n_iter == 0 || self.burn_in >= self.n_iter {
            return Err(Error::invalid("burn_in", "must be smaller than n_iter"));
        }
        if self.thin == 0 || (self.n_iter - self.burn_in) / self.thin == 0 {
            return Err(Error::invalid(
                "thin",
                "must be ≥ 1 and keep at least one draw",
            ));
        }
        if self.n_chains == 0 {
            return Err(Error::invalid("n_chains", "must be ≥ 1"));
        }
        if !(self.prior_variance.is_finite() && self.prior_variance > 0.0) {
            return Err(Error::invalid("prior_variance", "must be positive"));
        }
        if self.prior_variance > MAX_PRIOR_VARIANCE {
            return Err(Error::invalid(
                "prior_variance",
                format!(
                    "must be at most {MAX_PRIOR_VARIANCE:e} (utilities on the logit scale; larger \
                     prior variances let the draws overflow)"
                ),
            ));
        }
        if !(self.prior_df.is_finite() && self.prior_df > 0.0) {
            return Err(Error::invalid("prior_df", "must be positive"));
        }
        if self.v0.len() != k * k || linalg::cholesky(&self.v0, k).is_err() {
            return Err(Error::invalid(
                "prior",
                "V0 must be a positive definite k × k matrix",
            ));
        }
        for c in &self.constraints {
            let ok = match c {
                Constraint::Sign { index, .. } => *index < k,
                Constraint::Levels { indices, .. } => {
                    !indices.is_empty() && indices.iter().all(|&i| i < k)
                }
            };
            if !ok {
                return Err(Error::invalid(
                    "monotone",
                    "constraint refers to an unknown parameter",
                ));
            }
        }
        Ok(())
    }
}

/// A byte count for messages.
fn bytes(b: u64) -> String {
    if b == u64::MAX {
        "more than 16 EiB".into()
    } else if b >= 1 << 30 {
        format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64)
    }
}

/// Per-iteration monitors of one chain.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// Σ_i log-likelihood at the current (tied) β_i.
    pub loglik: Vec<f64>,
    /// Share of respondents whose proposal was accepted.
    pub acceptance: Vec<f64>,
    pub rho: Vec<f64>,
    /// Mean of the diagonal of D.
    pub avg_variance: Vec<f64>,
}

/// The state of one chain. The respondents' state is kept lane by lane ([`LaneGroups`]):
/// `beta[g * k + c][l]` is coefficient c of the respondent in lane l of group g.
#[derive(Debug, Clone)]
struct Chain {
    beta: Vec<V>,
    /// The tied copy of `beta` under monotone constraints; empty without them (it would equal
    /// `beta`, and keeping it would add its size to the memory every sweep streams through).
    tied: Vec<V>,
    ll: Vec<V>,
    rngs: Vec<Lanes>,
    upper: Stream,
    delta: Vec<f64>,
    d: Vec<f64>,
    chol_d: Vec<f64>,
    rho: f64,
    /// Σ ln ρ and count over the end of burn-in (the frozen ρ is their geometric mean).
    log_rho: (f64, usize),
    iter: usize,
    trace: Trace,
    draws: Vec<f32>,
    /// The tracked respondents' draws (kept × tracked × k).
    tracked_draws: Vec<f32>,
    summaries: Option<Summaries>,
    delta_draws: Vec<f64>,
    d_sum: Vec<f64>,
    n_kept: usize,
    /// Per block of groups: the sums the upper level needs (see [`BlockSums`]) and scratch.
    partials: Vec<f64>,
    work: Vec<V>,
    /// The translation move's scale, proposed log-likelihoods (per group) and per-block sums.
    shift_scale: f64,
    shift_accepted: usize,
    /// chol(H)⁻¹ of the curvature H of the move's log ratio, once estimated ([`shift`]).
    shift_shape: Option<Vec<f64>>,
    /// Σ ln s and count over the end of burn-in (the frozen s is their geometric mean).
    shift_log: (f64, usize),
    prop_beta: Vec<V>,
    prop_ll: Vec<V>,
    shift_sums: Vec<f64>,
}

impl Chain {
    /// A chain at β = 0, D = I, Δ = 0, ρ = 0.1: `streams` are its upper level's stream then one
    /// per respondent (each lane's generator is seeded from its respondent's stream; ghost
    /// lanes from the upper-level stream).
    fn new(data: &HbData, params: &HbParams, mut streams: Vec<Stream>) -> Chain {
        let (k, q, n) = (data.k, data.q, data.n_respondents());
        let lanes = &data.lanes;
        let n_groups = lanes.n_groups();
        let n_kept = params.n_kept();
        let n_blocks = n_groups.div_ceil(GROUPS_PER_BLOCK);
        let mut upper = streams.remove(0);
        let mut d = vec![0.0; k * k];
        for i in 0..k {
            d[i * k + i] = 1.0;
        }
        // Each lane's generator is seeded from its respondent's stream; ghost lanes from
        // the chain's upper-level stream.
        let rngs: Vec<Lanes> = (0..n_groups)
            .map(|g| {
                let mut seeds: Vec<Stream> = (0..LANES)
                    .map(|l| {
                        let slot = g * LANES + l;
                        if lanes.real[g][l] > 0.0 {
                            streams[lanes.source[slot]].clone()
                        } else {
                            let s = upper.clone();
                            upper.uniform();
                            s
                        }
                    })
                    .collect();
                Lanes::new(&mut seeds)
            })
            .collect();
        let beta = vec![[0.0; LANES]; n_groups * k];
        let mut v = vec![[0.0; LANES]; lanes.scratch_len()];
        let ll: Vec<V> = (0..n_groups)
            .map(|g| lanes.loglik::<crate::simd::Portable>(g, &beta[g * k..(g + 1) * k], &mut v))
            .collect();
        Chain {
            tied: if params.constraints.is_empty() {
                Vec::new()
            } else {
                beta.clone()
            },
            beta,
            ll,
            rngs,
            upper,
            delta: vec![0.0; q * k],
            chol_d: d.clone(),
            d,
            rho: 0.1,
            log_rho: (0.0, 0),
            iter: 0,
            trace: Trace::default(),
            draws: Vec::with_capacity(if params.draws_every > 0 {
                n_kept.div_ceil(params.draws_every) * n * k
            } else {
                0
            }),
            tracked_draws: Vec::with_capacity(n_kept * params.tracked.len() * k),
            summaries: params.summaries.then(|| Summaries::new(n_groups, k)),
            delta_draws: Vec::with_capacity(n_kept * q * k),
            d_sum: vec![0.0; k * k],
            n_kept: 0,
            partials: vec![0.0; n_blocks * BlockSums::len(k, q)],
            work: vec![[0.0; LANES]; n_blocks * work_len(k, q, lanes.scratch_len())],
            shift_scale: 0.5,
            shift_accepted: 0,
            shift_shape: None,
            shift_log: (0.0, 0),
            prop_beta: if params.translate {
                vec![[0.0; LANES]; n_groups * k]
            } else {
                Vec::new()
            },
            prop_ll: vec![[0.0; LANES]; n_groups],
            shift_sums: vec![0.0; n_blocks],
        }
    }
}

/// A set of chains advanced together; [`HbSampler::run`] can be called repeatedly (the Python
/// side reports progress between calls).
#[derive(Debug, Clone)]
pub struct HbSampler {
    data: HbData,
    params: HbParams,
    chains: Vec<Chain>,
    s0: Vec<f64>,
    nu0: f64,
    ztz: Vec<f64>,
    ztz_chol: Vec<f64>,
    /// The constant covariate (column, value) the translation move shifts, if any.
    shift_col: Option<(usize, f64)>,
}

impl HbSampler {
    pub fn new(mut data: HbData, params: HbParams) -> Result<Self> {
        data.validate()?;
        // Sizes first: nothing of the sampler's size is allocated before they are checked.
        let n = data.n_respondents();
        params.check(data.k)?;
        if params.tracked.iter().any(|&i| i >= n) {
            return Err(Error::invalid("tracked", "refers to an unknown respondent"));
        }
        params.check_memory(n, data.k, data.q)?;
        data.lanes = LaneGroups::new(kernel::Differences::new(
            &data.x,
            data.k,
            &data.starts,
            &data.chosen,
            &data.respondents,
        ));
        // The lanes hold the data from here on; the row-major matrix is not kept.
        data.x = Vec::new();
        let (k, q) = (data.k, data.q);
        data.lanes.set_covariates(&data.z, q);
        let mut ztz = vec![0.0; q * q];
        for zi in data.z.chunks_exact(q) {
            for a in 0..q {
                for b in 0..q {
                    ztz[a * q + b] += zi[a] * zi[b];
                }
            }
        }
        let ztz_chol = linalg::cholesky(&ztz, q).map_err(|j| {
            Error::invalid(
                "covariates",
                format!("column {j} is constant or collinear with the others"),
            )
        })?;
        let nu0 = k as f64 + params.prior_df;
        let s0: Vec<f64> = params
            .v0
            .iter()
            .map(|v| v * nu0 * params.prior_variance)
            .collect();
        let shift_col = (0..q)
            .find_map(|a| {
                let v = data.z[a];
                (v != 0.0 && data.z.chunks_exact(q).all(|zi| zi[a] == v)).then_some((a, v))
            })
            .filter(|_| params.translate);
        let mut all = Stream::many(params.seed, params.n_chains * (n + 1));
        let mut chains = Vec::with_capacity(params.n_chains);
        for _ in 0..params.n_chains {
            let rest = all.split_off(n + 1);
            let streams = std::mem::replace(&mut all, rest);
            chains.push(Chain::new(&data, &params, streams));
        }
        Ok(HbSampler {
            data,
            params,
            chains,
            s0,
            nu0,
            ztz,
            ztz_chol,
            shift_col,
        })
    }

    pub fn iterations_done(&self) -> usize {
        self.chains.first().map_or(0, |c| c.iter)
    }

    /// Advances every chain by up to `n` iterations (never past `n_iter`).
    pub fn run(&mut self, n: usize) {
        let target = (self.iterations_done() + n).min(self.params.n_iter);
        let upper = Upper {
            s0: &self.s0,
            nu0: self.nu0,
            ztz: &self.ztz,
            ztz_chol: &self.ztz_chol,
            shift_col: self.shift_col,
        };
        let (data, params) = (&self.data, &self.params);
        let start = self.iterations_done();
        // RLH (root likelihood): exp(log-likelihood / tasks), the quantity HB users watch.
        let n_tasks = data.starts.len().saturating_sub(1).max(1) as f64;
        crate::cancel::progress::total((target.saturating_sub(start) * self.chains.len()) as u64);
        self.chains.par_iter_mut().for_each(|chain| {
            while chain.iter < target && !crate::cancel::requested() {
                step(chain, data, params, &upper);
                // One step of one chain; the metric is the latest chain's RLH.
                let ll = chain.trace.loglik.last().copied().unwrap_or(f64::NAN);
                crate::cancel::progress::step((ll / n_tasks).exp());
            }
        });
    }

    pub fn params(&self) -> &HbParams {
        &self.params
    }

    pub fn n_chains(&self) -> usize {
        self.chains.len()
    }

    /// Kept (tied) respondent draws of chain `c`: stored × n_respondents × k, f32 (every
    /// `draws_every`-th kept iteration).
    pub fn draws(&self, c: usize) -> &[f32] {
        &self.chains[c].draws
    }

    /// Moves the kept respondent draws of chain `c` out of the sampler.
    pub fn take_draws(&mut self, c: usize) -> Vec<f32> {
        std::mem::take(&mut self.chains[c].draws)
    }

    /// Kept draws of the tracked respondents of chain `c`: n_kept × tracked × k.
    pub fn tracked_draws(&self, c: usize) -> &[f32] {
        &self.chains[c].tracked_draws
    }

    /// Running summaries of every chain merged, respondents in order (n × k each): posterior
    /// means, variances and the [`QUANTILES`]; None unless `summaries` was asked for.
    pub fn summaries(&self) -> Option<[Vec<f64>; 4]> {
        let chains: Option<Vec<&Summaries>> =
            self.chains.iter().map(|c| c.summaries.as_ref()).collect();
        Some(summaries::merge(
            &chains?,
            &self.data.lanes.position,
            self.data.k,
        ))
    }

    /// Share of iterations after burn-in whose translation move was accepted (chain `c`).
    pub fn shift_acceptance(&self, c: usize) -> f64 {
        let ch = &self.chains[c];
        let after = ch.iter.saturating_sub(self.params.burn_in);
        ch.shift_accepted as f64 / after.max(1) as f64
    }

    /// Kept Δ draws of chain `c`: n_kept × q × k.
    pub fn delta_draws(&self, c: usize) -> &[f64] {
        &self.chains[c].delta_draws
    }

    /// Posterior mean of D over the kept iterations of chain `c`.
    pub fn d_mean(&self, c: usize) -> Vec<f64> {
        let ch = &self.chains[c];
        let m = ch.n_kept.max(1) as f64;
        ch.d_sum.iter().map(|v| v / m).collect()
    }

    pub fn trace(&self, c: usize) -> &Trace {
        &self.chains[c].trace
    }

    pub fn n_kept(&self, c: usize) -> usize {
        self.chains[c].n_kept
    }

    pub fn rho(&self, c: usize) -> f64 {
        self.chains[c].rho
    }
}

fn tie_in_place(beta: &mut [f64], constraints: &[Constraint], scratch: &mut Vec<f64>) {
    for c in constraints {
        c.apply(beta, scratch);
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::upper::inverse_wishart;
    use super::*;

    #[test]
    fn isotonic_pools_violators_and_keeps_the_sum() {
        let mut v = vec![1.0, 3.0, 2.0, 0.0, 5.0];
        isotonic(&mut v);
        assert_eq!(v, vec![1.0, 5.0 / 3.0, 5.0 / 3.0, 5.0 / 3.0, 5.0]);
        let c = Constraint::Levels {
            indices: vec![0, 1],
            increasing: false,
        };
        // Levels (0.5, 1.0, -1.5) must be non-increasing: pool the first two.
        let mut beta = vec![0.5, 1.0, 7.0];
        c.apply(&mut beta, &mut Vec::new());
        assert_eq!(beta, vec![0.75, 0.75, 7.0]);
    }

    /// E[IW(ν, S)] = S / (ν − k − 1).
    #[test]
    fn inverse_wishart_has_the_right_mean() {
        let k = 3;
        let s = vec![2.0, 0.5, 0.0, 0.5, 1.0, 0.2, 0.0, 0.2, 1.5];
        let nu = 12.0;
        let mut st = Stream::new(4, 0);
        let n = 40_000;
        let mut mean = vec![0.0; k * k];
        for _ in 0..n {
            let d = inverse_wishart(&mut st, nu, &s, k).unwrap();
            mean.iter_mut()
                .zip(&d)
                .for_each(|(m, v)| *m += v / n as f64);
        }
        for (m, v) in mean.iter().zip(&s) {
            let want = v / (nu - k as f64 - 1.0);
            assert!((m - want).abs() < 0.01 + 0.03 * want.abs(), "{mean:?}");
        }
    }
}
