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

// Loops over the lanes index several `[f64; LANES]` values in step.
#![allow(clippy::needless_range_loop)]

use rayon::prelude::*;

use super::kernel;
use super::lanes::{LaneGroups, LANES, V};
use crate::error::{Error, Result};
use crate::linalg;
use crate::random::{Lanes, Stream};
use crate::simd::{dispatch_avx2, Isa};

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
}

impl HbParams {
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
    delta_draws: Vec<f64>,
    d_sum: Vec<f64>,
    n_kept: usize,
    /// Per block of groups: the sums the upper level needs (see [`BlockSums`]) and scratch.
    partials: Vec<f64>,
    work: Vec<V>,
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
}

impl HbSampler {
    pub fn new(mut data: HbData, params: HbParams) -> Result<Self> {
        data.validate()?;
        data.lanes = LaneGroups::new(kernel::Differences::new(
            &data.x,
            data.k,
            &data.starts,
            &data.chosen,
            &data.respondents,
        ));
        // The lanes hold the data from here on; the row-major matrix is not kept.
        data.x = Vec::new();
        let k = data.k;
        params.check(k)?;
        let n = data.n_respondents();
        let q = data.q;
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
        let mut all = Stream::many(params.seed, params.n_chains * (n + 1));
        let n_kept = (params.n_iter - params.burn_in) / params.thin;
        let mut chains = Vec::with_capacity(params.n_chains);
        let lanes = &data.lanes;
        let n_groups = lanes.n_groups();
        for _ in 0..params.n_chains {
            let rest = all.split_off(n + 1);
            let mut streams = std::mem::replace(&mut all, rest);
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
            let mut v = vec![[0.0; LANES]; lanes.max_rows()];
            let ll: Vec<V> = (0..n_groups)
                .map(|g| {
                    lanes.loglik::<crate::simd::Portable>(g, &beta[g * k..(g + 1) * k], &mut v)
                })
                .collect();
            chains.push(Chain {
                tied: beta.clone(),
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
                draws: Vec::with_capacity(n_kept * n * k),
                delta_draws: Vec::with_capacity(n_kept * q * k),
                d_sum: vec![0.0; k * k],
                n_kept: 0,
                partials: vec![0.0; n_groups.div_ceil(GROUPS_PER_BLOCK) * BlockSums::len(k, q)],
                work: vec![
                    [0.0; LANES];
                    n_groups.div_ceil(GROUPS_PER_BLOCK) * work_len(k, q, lanes.max_rows())
                ],
            });
        }
        Ok(HbSampler {
            data,
            params,
            chains,
            s0,
            nu0,
            ztz,
            ztz_chol,
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
        };
        let (data, params) = (&self.data, &self.params);
        self.chains.par_iter_mut().for_each(|chain| {
            while chain.iter < target {
                step(chain, data, params, &upper);
            }
        });
    }

    pub fn params(&self) -> &HbParams {
        &self.params
    }

    pub fn n_chains(&self) -> usize {
        self.chains.len()
    }

    /// Kept (tied) respondent draws of chain `c`: n_kept × n_respondents × k, f32.
    pub fn draws(&self, c: usize) -> &[f32] {
        &self.chains[c].draws
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

/// Groups of respondents per parallel task of the Metropolis step (fixed, so that the sums over
/// blocks do not depend on the number of threads).
const GROUPS_PER_BLOCK: usize = 8;

/// The layout of one block's sums in `Chain::partials`: accepted count, Σ log-likelihood,
/// Σ r r′ (k × k, lower triangle) and Σ z r′ (q × k), with r_i = β_i − Δ′z_i at the Δ of the
/// Metropolis step.
struct BlockSums;

impl BlockSums {
    const fn len(k: usize, q: usize) -> usize {
        2 + k * k + q * k
    }
}

/// What the Metropolis step of one iteration needs (shared by all respondents).
struct Metropolis<'a> {
    data: &'a HbData,
    /// chol(D) and its inverse, row-major lower triangles.
    l: &'a [f64],
    l_inv: &'a [f64],
    delta: &'a [f64],
    rho: f64,
    constraints: &'a [Constraint],
    k: usize,
    q: usize,
}

/// The constants of the upper level.
struct Upper<'a> {
    s0: &'a [f64],
    nu0: f64,
    ztz: &'a [f64],
    ztz_chol: &'a [f64],
}

dispatch_avx2! {
    /// One Metropolis step for the groups `first..first + ll.len()`, writing the block's
    /// [`BlockSums`] to `sums`. The AVX2/FMA build runs when the CPU has it.
    fn metropolis_block => generic Metropolis::block_impl; (
        ctx: &Metropolis,
        first: usize,
        block: Block,
    ) -> ()
}

/// One block's share of a chain's state: the groups `first..first + ll.len()`.
struct Block<'a> {
    beta: &'a mut [V],
    tied: &'a mut [V],
    ll: &'a mut [V],
    rngs: &'a mut [Lanes],
    /// Its [`BlockSums`].
    sums: &'a mut [f64],
    /// Scratch of [`work_len`].
    work: &'a mut [V],
}

/// The scratch of one block of the Metropolis step (see `Metropolis::block_impl`).
fn work_len(k: usize, q: usize, max_rows: usize) -> usize {
    6 * k + q + max_rows + 2 + k * k + q * k + GROUPS_PER_BLOCK * (k + q)
}

/// y = A x and w = B e lane by lane, for row-major lower-triangular A and B, side by side so
/// that the two chains of multiply-adds of a row run together.
#[inline(always)]
fn lower_mul_lanes<M: Isa>(
    (a, x, y): (&[f64], &[V], &mut [V]),
    (b, e, w): (&[f64], &[V], &mut [V]),
    k: usize,
) {
    let rows = a.chunks_exact(k).zip(b.chunks_exact(k));
    for (i, ((ra, rb), (yi, wi))) in rows.zip(y.iter_mut().zip(w.iter_mut())).enumerate() {
        let (mut s, mut t) = ([0.0; LANES], [0.0; LANES]);
        let terms = ra[..i + 1].iter().zip(&rb[..i + 1]).zip(x.iter().zip(e));
        for ((&ap, &bp), (xp, ep)) in terms {
            for l in 0..LANES {
                s[l] = M::madd(ap, xp[l], s[l]);
                t[l] = M::madd(bp, ep[l], t[l]);
            }
        }
        *yi = s;
        *wi = t;
    }
}

impl Metropolis<'_> {
    #[inline(always)]
    fn block_impl<M: Isa>(ctx: &Self, first: usize, block: Block) {
        let Block {
            beta,
            tied,
            ll,
            rngs,
            sums,
            work,
        } = block;
        let (k, q, rho) = (ctx.k, ctx.q, ctx.rho);
        let lanes = &ctx.data.lanes;
        let zero = [0.0; LANES];
        // The block's scratch (no allocation per iteration): the step's vectors, the block's
        // sums lane by lane until the end, and each group's r = β − μ (zero in ghost lanes) and
        // z for the sums.
        let n_groups = ll.len();
        let (buf, rest) = work.split_at_mut(6 * k + q + lanes.max_rows());
        let (acc, rest) = rest.split_at_mut(2 + k * k + q * k);
        let (rs, zs) = rest.split_at_mut(GROUPS_PER_BLOCK * k);
        acc[..2].fill(zero);
        let (mu, rest) = buf.split_at_mut(k);
        let (r, rest) = rest.split_at_mut(k);
        let (y, rest) = rest.split_at_mut(k);
        let (eps, rest) = rest.split_at_mut(k);
        let (prop, rest) = rest.split_at_mut(k);
        let (prop_tied, rest) = rest.split_at_mut(k);
        let (z, v) = rest.split_at_mut(q);
        let mut one = vec![0.0; k];
        let mut scratch = Vec::new();
        for (j, (((beta, tied), ll), rng)) in beta
            .chunks_exact_mut(k)
            .zip(tied.chunks_exact_mut(k))
            .zip(ll.iter_mut())
            .zip(rngs.iter_mut())
            .enumerate()
        {
            let g = first + j;
            let real = lanes.real[g];
            for (a, za) in z.iter_mut().enumerate() {
                for l in 0..LANES {
                    za[l] = ctx.data.z[lanes.source[g * LANES + l] * q + a];
                }
            }
            for (c, (m, (rc, b))) in mu.iter_mut().zip(r.iter_mut().zip(beta.iter())).enumerate() {
                let mut s = zero;
                for (za, da) in z.iter().zip(ctx.delta.chunks_exact(k)) {
                    for l in 0..LANES {
                        s[l] = M::madd(za[l], da[c], s[l]);
                    }
                }
                *m = s;
                for l in 0..LANES {
                    rc[l] = b[l] - s[l];
                }
            }
            // Prior: with y = L⁻¹(β − μ) the proposal's is L⁻¹(β* − μ) = y + ρε.
            rng.normals::<M>(eps);
            lower_mul_lanes::<M>((ctx.l_inv, r, y), (ctx.l, eps, prop), k);
            for (p, b) in prop.iter_mut().zip(beta.iter()) {
                for l in 0..LANES {
                    p[l] = M::madd(rho, p[l], b[l]);
                }
            }
            let prop_ll = if ctx.constraints.is_empty() {
                lanes.loglik::<M>(g, prop, v)
            } else {
                for l in 0..LANES {
                    for (o, p) in one.iter_mut().zip(prop.iter()) {
                        *o = p[l];
                    }
                    tie_in_place(&mut one, ctx.constraints, &mut scratch);
                    for (t, o) in prop_tied.iter_mut().zip(&one) {
                        t[l] = *o;
                    }
                }
                lanes.loglik::<M>(g, prop_tied, v)
            };
            let (mut cur, mut new) = (zero, zero);
            for (a, e) in y.iter().zip(eps.iter()) {
                for l in 0..LANES {
                    let b = M::madd(rho, e[l], a[l]);
                    cur[l] = M::madd(a[l], a[l], cur[l]);
                    new[l] = M::madd(b, b, new[l]);
                }
            }
            let u = rng.uniform::<M>();
            // Accept where u < exp(min(log ratio, 0)); `keep` is an all-ones bit mask where
            // the proposal is taken, so the updates below are branch-free selects.
            let mut accept = [0.0; LANES];
            let mut keep = [0u64; LANES];
            for l in 0..LANES {
                let log_ratio = prop_ll[l] - ll[l] - 0.5 * (new[l] - cur[l]);
                // (A NaN ratio stays NaN and is rejected.)
                let p = kernel::exp_clamped::<M>(if log_ratio >= 0.0 { 0.0 } else { log_ratio });
                keep[l] = if u[l] < p { u64::MAX } else { 0 };
                accept[l] = if u[l] < p { real[l] } else { 0.0 };
            }
            let select = |new: f64, old: f64, m: u64| {
                f64::from_bits((new.to_bits() & m) | (old.to_bits() & !m))
            };
            for l in 0..LANES {
                ll[l] = select(prop_ll[l], ll[l], keep[l]);
            }
            let tied_src: &[V] = if ctx.constraints.is_empty() {
                prop
            } else {
                prop_tied
            };
            for c in 0..k {
                for l in 0..LANES {
                    beta[c][l] = select(prop[c][l], beta[c][l], keep[l]);
                    tied[c][l] = select(tied_src[c][l], tied[c][l], keep[l]);
                    // Ghost lanes contribute nothing to the sums.
                    r[c][l] = real[l] * (beta[c][l] - mu[c][l]);
                }
            }
            for l in 0..LANES {
                acc[0][l] += accept[l];
                acc[1][l] = M::madd(real[l], ll[l], acc[1][l]);
            }
            rs[j * k..(j + 1) * k].copy_from_slice(r);
            zs[j * q..(j + 1) * q].copy_from_slice(z);
        }
        // Σ r r′ (lower triangle) and Σ z r′ over the block, one output at a time with its sum
        // in a register.
        let (rr, zr) = acc[2..].split_at_mut(k * k);
        for a in 0..k {
            for b in 0..=a {
                // Two partial sums (even and odd groups) halve the chain of dependent adds.
                let (mut s, mut t) = (zero, zero);
                let mut pairs = rs.chunks_exact(2 * k);
                for pair in &mut pairs {
                    let (x, y) = (&pair[a], &pair[b]);
                    let (x2, y2) = (&pair[k + a], &pair[k + b]);
                    for l in 0..LANES {
                        s[l] = M::madd(x[l], y[l], s[l]);
                        t[l] = M::madd(x2[l], y2[l], t[l]);
                    }
                }
                let row = pairs.remainder();
                if !row.is_empty() {
                    for l in 0..LANES {
                        s[l] = M::madd(row[a][l], row[b][l], s[l]);
                    }
                }
                for l in 0..LANES {
                    rr[a * k + b][l] = s[l] + t[l];
                }
            }
        }
        for a in 0..q {
            for c in 0..k {
                let mut s = zero;
                for g in 0..n_groups {
                    let (x, y) = (&zs[g * q + a], &rs[g * k + c]);
                    for l in 0..LANES {
                        s[l] = M::madd(x[l], y[l], s[l]);
                    }
                }
                zr[a * k + c] = s;
            }
        }
        for (s, a) in sums.iter_mut().zip(acc.iter()) {
            *s = (a[0] + a[1]) + (a[2] + a[3]);
        }
    }
}

fn step(chain: &mut Chain, data: &HbData, params: &HbParams, upper: &Upper) {
    let k = data.k;
    let q = data.q;
    let n = data.n_respondents();
    let l_inv = linalg::lower_inverse(&chain.chol_d, k);
    // 1. Metropolis step for every respondent, in blocks of groups of respondents, each block
    // summing what the upper level needs.
    let ctx = Metropolis {
        data,
        l: &chain.chol_d,
        l_inv: &l_inv,
        delta: &chain.delta,
        rho: chain.rho,
        constraints: &params.constraints,
        k,
        q,
    };
    let stride = BlockSums::len(k, q);
    let work = work_len(k, q, data.lanes.max_rows());
    chain
        .beta
        .par_chunks_mut(GROUPS_PER_BLOCK * k)
        .zip(chain.tied.par_chunks_mut(GROUPS_PER_BLOCK * k))
        .zip(chain.ll.par_chunks_mut(GROUPS_PER_BLOCK))
        .zip(chain.rngs.par_chunks_mut(GROUPS_PER_BLOCK))
        .zip(chain.partials.par_chunks_mut(stride))
        .zip(chain.work.par_chunks_mut(work))
        .enumerate()
        .for_each(|(b, (((((beta, tied), ll), rngs), sums), work))| {
            let block = Block {
                beta,
                tied,
                ll,
                rngs,
                sums,
                work,
            };
            metropolis_block(&ctx, b * GROUPS_PER_BLOCK, block)
        });
    // The blocks' sums, added in block order.
    let mut total = vec![0.0; stride];
    for part in chain.partials.chunks_exact(stride) {
        total.iter_mut().zip(part).for_each(|(t, p)| *t += p);
    }
    let (head, rest) = total.split_at(2);
    let (rr, zr) = rest.split_at(k * k);
    let acceptance = head[0] / n as f64;
    let total_ll = head[1];
    let l = &chain.chol_d;
    // 2. Δ | β, D: Δ̂ = (Z′Z)⁻¹ Z′B = Δ + (Z′Z)⁻¹ Z′R, then Δ̂ + C⁻ᵀ E L′ with Z′Z = C C′,
    // D = L L′.
    let ztz_chol = upper.ztz_chol;
    let mut shift = vec![0.0; q * k];
    let mut col = vec![0.0; q];
    for j in 0..k {
        for a in 0..q {
            col[a] = zr[a * k + j];
        }
        linalg::cholesky_solve(ztz_chol, q, &mut col);
        for a in 0..q {
            shift[a * k + j] = col[a];
        }
    }
    // E L′ (q × k), then C⁻ᵀ on the left (back substitution with C′, column by column).
    let mut el = vec![0.0; q * k];
    let mut e = vec![0.0; k];
    for a in 0..q {
        for v in e.iter_mut() {
            *v = chain.upper.normal();
        }
        for j in 0..k {
            // (E L′)_{aj} = Σ_p E_{ap} L_{jp}
            el[a * k + j] = (0..=j).map(|p| e[p] * l[j * k + p]).sum();
        }
    }
    for j in 0..k {
        for a in (0..q).rev() {
            let mut v = el[a * k + j];
            for b in a + 1..q {
                v -= ztz_chol[b * q + a] * el[b * k + j];
            }
            el[a * k + j] = v / ztz_chol[a * q + a];
        }
    }
    // The move of Δ: G = Δ_new − Δ.
    let g: Vec<f64> = shift.iter().zip(&el).map(|(s, e)| s + e).collect();
    chain.delta.iter_mut().zip(&g).for_each(|(d, g)| *d += g);
    // 3. D | β, Δ ~ IW(ν₀ + N, S₀ + Σ (β_i − Δ′z_i)(β_i − Δ′z_i)′), the sum being
    // Σ (r_i − G′z_i)(…)′ = R′R − R′Z G − G′Z′R + G′Z′Z G.
    let mut zg = vec![0.0; q * k]; // Z′Z G
    for a in 0..q {
        for j in 0..k {
            zg[a * k + j] = (0..q).map(|b| upper.ztz[a * q + b] * g[b * k + j]).sum();
        }
    }
    let mut s = upper.s0.to_vec();
    for a in 0..k {
        for b in 0..=a {
            let mut v = rr[a * k + b];
            for c in 0..q {
                v += -zr[c * k + a] * g[c * k + b] - g[c * k + a] * zr[c * k + b]
                    + g[c * k + a] * zg[c * k + b];
            }
            s[a * k + b] += v;
            if a != b {
                s[b * k + a] += v;
            }
        }
    }
    let nu = upper.nu0 + n as f64;
    if let Some(d) = inverse_wishart(&mut chain.upper, nu, &s, k) {
        if let Ok(ld) = linalg::cholesky(&d, k) {
            chain.d = d;
            chain.chol_d = ld;
        }
    }
    // 4. Adapt ρ during burn-in. The rule makes ρ oscillate around the value that gives 30 %
    // acceptance; it is frozen at the geometric mean of its last `window` burn-in values rather
    // than wherever the last step left it (which alone can put acceptance anywhere in 25–40 %).
    if chain.iter < params.burn_in {
        chain.rho *= if acceptance > 0.3 { 1.1 } else { 0.9 };
        let window = (params.burn_in / 10).clamp(1, 200);
        if chain.iter + window >= params.burn_in {
            chain.log_rho.0 += chain.rho.ln();
            chain.log_rho.1 += 1;
        }
        if chain.iter + 1 == params.burn_in {
            chain.rho = (chain.log_rho.0 / chain.log_rho.1 as f64).exp();
        }
    }
    // 5. Record.
    chain.trace.loglik.push(total_ll);
    chain.trace.acceptance.push(acceptance);
    chain.trace.rho.push(chain.rho);
    chain
        .trace
        .avg_variance
        .push((0..k).map(|j| chain.d[j * k + j]).sum::<f64>() / k as f64);
    chain.iter += 1;
    if chain.iter > params.burn_in && (chain.iter - params.burn_in) % params.thin == 0 {
        let lanes = &data.lanes;
        for &p in &lanes.position {
            let (g, l) = (p / LANES, p % LANES);
            let tied = &chain.tied[g * k..(g + 1) * k];
            chain.draws.extend(tied.iter().map(|c| c[l] as f32));
        }
        chain.delta_draws.extend_from_slice(&chain.delta);
        chain
            .d_sum
            .iter_mut()
            .zip(&chain.d)
            .for_each(|(a, b)| *a += b);
        chain.n_kept += 1;
    }
}

/// A draw from the inverse-Wishart IW(ν, S): with S = L L′ and the Bartlett factor A of a
/// standard Wishart(ν, I), D = L A⁻ᵀ A⁻¹ L′.
fn inverse_wishart(stream: &mut Stream, nu: f64, s: &[f64], k: usize) -> Option<Vec<f64>> {
    let l = linalg::cholesky(s, k).ok()?;
    let mut a = vec![0.0; k * k];
    for i in 0..k {
        a[i * k + i] = stream.chi_square(nu - i as f64).sqrt();
        for j in 0..i {
            a[i * k + j] = stream.normal();
        }
    }
    let ai = linalg::lower_inverse(&a, k);
    // R = A⁻¹ L′ (k × k); D = R′R.
    let mut r = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            // (A⁻¹ L′)_{ij} = Σ_p A⁻¹_{ip} L_{jp}, p ≤ min(i, j)
            r[i * k + j] = (0..=i.min(j)).map(|p| ai[i * k + p] * l[j * k + p]).sum();
        }
    }
    let mut d = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let v: f64 = (0..k).map(|p| r[p * k + i] * r[p * k + j]).sum();
            d[i * k + j] = v;
            d[j * k + i] = v;
        }
    }
    Some(d)
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
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
