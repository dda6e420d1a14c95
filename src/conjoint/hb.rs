//! Hierarchical Bayes multinomial logit (the sampler of Sawtooth's CBC/HB, openly re-implemented
//! in R's ChoiceModelR): β_i ~ N(Δ′z_i, D), D ~ IW(ν₀, ν₀·v·V₀), Δ flat.
//!
//! One iteration of a chain: every respondent's β_i takes one random-walk Metropolis step with
//! proposal β_i + ρ·chol(D)·ε (in parallel; each respondent has its own random stream, so the
//! draws do not depend on the number of threads); then Δ | β, D and D | β, Δ are drawn by Gibbs
//! from the chain's own stream; during burn-in ρ grows by 10 % when more than 30 % of the
//! respondents accepted, and shrinks by 10 % otherwise. Monotone constraints are applied to a
//! tied copy of β_i that enters the likelihood (and is what is recorded); the upper level sees the
//! unconstrained β_i.

use rayon::prelude::*;

use super::kernel;
use crate::error::{Error, Result};
use crate::linalg;
use crate::parallel::dispatch_avx2;
use crate::random::Stream;

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
    /// contiguous.
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
    /// `x` rearranged by [`kernel::by_respondent`] (filled by [`HbSampler::new`]).
    pub xt: Vec<f64>,
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

    /// Log-likelihood of respondent `i`'s choices at `beta`; `v` is scratch.
    #[inline(always)]
    fn loglik(&self, i: usize, beta: &[f64], v: &mut Vec<f64>) -> f64 {
        let (t0, t1) = (self.respondents[i], self.respondents[i + 1]);
        kernel::tasks_loglik(
            &self.xt,
            self.k,
            &self.starts,
            &self.chosen,
            t0..t1,
            beta,
            v,
        )
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

/// The state of one chain.
#[derive(Debug, Clone)]
struct Chain {
    beta: Vec<f64>,
    tied: Vec<f64>,
    ll: Vec<f64>,
    streams: Vec<Stream>,
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
    ztz_chol: Vec<f64>,
}

impl HbSampler {
    pub fn new(mut data: HbData, params: HbParams) -> Result<Self> {
        data.validate()?;
        data.xt = kernel::by_respondent(&data.x, data.k, &data.starts, &data.respondents);
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
        for _ in 0..params.n_chains {
            let rest = all.split_off(n + 1);
            let mut streams = std::mem::replace(&mut all, rest);
            let upper = streams.remove(0);
            let mut d = vec![0.0; k * k];
            for i in 0..k {
                d[i * k + i] = 1.0;
            }
            let beta = vec![0.0; n * k];
            let ll: Vec<f64> = (0..n)
                .map(|i| data.loglik(i, &beta[i * k..(i + 1) * k], &mut Vec::new()))
                .collect();
            chains.push(Chain {
                tied: beta.clone(),
                beta,
                ll,
                streams,
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
            });
        }
        Ok(HbSampler {
            data,
            params,
            chains,
            s0,
            nu0,
            ztz_chol,
        })
    }

    pub fn iterations_done(&self) -> usize {
        self.chains.first().map_or(0, |c| c.iter)
    }

    /// Advances every chain by up to `n` iterations (never past `n_iter`).
    pub fn run(&mut self, n: usize) {
        let target = (self.iterations_done() + n).min(self.params.n_iter);
        let (data, params, s0, nu0, ztz_chol) =
            (&self.data, &self.params, &self.s0, self.nu0, &self.ztz_chol);
        self.chains.par_iter_mut().for_each(|chain| {
            while chain.iter < target {
                step(chain, data, params, s0, nu0, ztz_chol);
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

fn tie(beta: &[f64], out: &mut [f64], constraints: &[Constraint], scratch: &mut Vec<f64>) {
    out.copy_from_slice(beta);
    for c in constraints {
        c.apply(out, scratch);
    }
}

/// ½ (β − μ)′ D⁻¹ (β − μ) with D = L L′.
#[inline(always)]
fn half_quad(l: &[f64], k: usize, beta: &[f64], mu: &[f64], tmp: &mut [f64]) -> f64 {
    // Forward substitution L y = β − μ; the form is ‖y‖².
    let mut s = 0.0;
    for i in 0..k {
        let mut v = beta[i] - mu[i];
        for p in 0..i {
            v -= l[i * k + p] * tmp[p];
        }
        v /= l[i * k + i];
        tmp[i] = v;
        s += v * v;
    }
    0.5 * s
}

/// Respondents per parallel task of the Metropolis step.
const BLOCK: usize = 16;

/// What the Metropolis step of one iteration needs (shared by all respondents).
struct Metropolis<'a> {
    data: &'a HbData,
    l: &'a [f64],
    delta: &'a [f64],
    rho: f64,
    constraints: &'a [Constraint],
    k: usize,
    q: usize,
}

dispatch_avx2! {
    /// One Metropolis step for respondents `first..first + ll.len()`; returns how many
    /// accepted. The AVX2/FMA build runs when the CPU has it.
    fn metropolis_block => Metropolis::block_impl; (
        ctx: &Metropolis,
        first: usize,
        beta: &mut [f64],
        tied: &mut [f64],
        ll: &mut [f64],
        streams: &mut [Stream],
    ) -> usize
}

impl Metropolis<'_> {
    #[inline(always)]
    fn block_impl(
        ctx: &Self,
        first: usize,
        beta: &mut [f64],
        tied: &mut [f64],
        ll: &mut [f64],
        streams: &mut [Stream],
    ) -> usize {
        let (k, q, l, rho) = (ctx.k, ctx.q, ctx.l, ctx.rho);
        let mut buf = vec![0.0; 5 * k];
        let (mu, rest) = buf.split_at_mut(k);
        let (eps, rest) = rest.split_at_mut(k);
        let (prop, rest) = rest.split_at_mut(k);
        let (prop_tied, y) = rest.split_at_mut(k);
        let mut scratch = Vec::new();
        let mut v = Vec::new();
        let mut accepted = 0;
        for (j, (((beta, tied), ll), stream)) in beta
            .chunks_exact_mut(k)
            .zip(tied.chunks_exact_mut(k))
            .zip(ll.iter_mut())
            .zip(streams.iter_mut())
            .enumerate()
        {
            let i = first + j;
            let zi = &ctx.data.z[i * q..(i + 1) * q];
            for (c, m) in mu.iter_mut().enumerate() {
                *m = (0..q).map(|a| zi[a] * ctx.delta[a * k + c]).sum();
            }
            for e in eps.iter_mut() {
                *e = stream.normal();
            }
            linalg::lower_mul(l, k, eps, prop);
            for (p, b) in prop.iter_mut().zip(beta.iter()) {
                *p = b + rho * *p;
            }
            let prop_ll = if ctx.constraints.is_empty() {
                ctx.data.loglik(i, prop, &mut v)
            } else {
                tie(prop, prop_tied, ctx.constraints, &mut scratch);
                ctx.data.loglik(i, prop_tied, &mut v)
            };
            // Prior: with y = L⁻¹(β − μ) the proposal's is L⁻¹(β* − μ) = y + ρε.
            let cur = half_quad(l, k, beta, mu, y);
            let new: f64 = 0.5
                * y.iter()
                    .zip(eps.iter())
                    .map(|(a, e)| (a + rho * e) * (a + rho * e))
                    .sum::<f64>();
            let log_ratio = prop_ll - new - *ll + cur;
            let u = stream.uniform();
            if u > 0.0 && u.ln() < log_ratio {
                beta.copy_from_slice(prop);
                if ctx.constraints.is_empty() {
                    tied.copy_from_slice(prop);
                } else {
                    tied.copy_from_slice(prop_tied);
                }
                *ll = prop_ll;
                accepted += 1;
            }
        }
        accepted
    }
}

fn step(
    chain: &mut Chain,
    data: &HbData,
    params: &HbParams,
    s0: &[f64],
    nu0: f64,
    ztz_chol: &[f64],
) {
    let k = data.k;
    let q = data.q;
    let n = data.n_respondents();
    let rho = chain.rho;
    let l = &chain.chol_d;
    let delta = &chain.delta;
    let constraints = &params.constraints;
    // 1. Metropolis step for every respondent, in blocks of BLOCK respondents.
    let ctx = Metropolis {
        data,
        l,
        delta,
        rho,
        constraints,
        k,
        q,
    };
    let accepted: usize = chain
        .beta
        .par_chunks_mut(BLOCK * k)
        .zip(chain.tied.par_chunks_mut(BLOCK * k))
        .zip(chain.ll.par_chunks_mut(BLOCK))
        .zip(chain.streams.par_chunks_mut(BLOCK))
        .enumerate()
        .map(|(b, (((beta, tied), ll), streams))| {
            metropolis_block(&ctx, b * BLOCK, beta, tied, ll, streams)
        })
        .sum();
    let acceptance = accepted as f64 / n as f64;
    // 2. Δ | β, D: Δ̂ = (Z′Z)⁻¹ Z′B, Δ = Δ̂ + C⁻ᵀ E L′ with Z′Z = C C′, D = L L′.
    let mut ztb = vec![0.0; q * k];
    for i in 0..n {
        let zi = &data.z[i * q..(i + 1) * q];
        let bi = &chain.beta[i * k..(i + 1) * k];
        for a in 0..q {
            for j in 0..k {
                ztb[a * k + j] += zi[a] * bi[j];
            }
        }
    }
    let mut delta_hat = vec![0.0; q * k];
    let mut col = vec![0.0; q];
    for j in 0..k {
        for a in 0..q {
            col[a] = ztb[a * k + j];
        }
        linalg::cholesky_solve(ztz_chol, q, &mut col);
        for a in 0..q {
            delta_hat[a * k + j] = col[a];
        }
    }
    // E L′ (q × k), then C⁻ᵀ on the left (back substitution with C′, column by column).
    let mut el = vec![0.0; q * k];
    for a in 0..q {
        let e: Vec<f64> = (0..k).map(|_| chain.upper.normal()).collect();
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
    for (d, (h, e)) in chain.delta.iter_mut().zip(delta_hat.iter().zip(&el)) {
        *d = h + e;
    }
    // 3. D | β, Δ ~ IW(ν₀ + N, S₀ + Σ (β_i − μ_i)(β_i − μ_i)′).
    let mut s = s0.to_vec();
    let mut r = vec![0.0; k];
    for i in 0..n {
        let zi = &data.z[i * q..(i + 1) * q];
        let bi = &chain.beta[i * k..(i + 1) * k];
        for j in 0..k {
            r[j] = bi[j] - (0..q).map(|a| zi[a] * chain.delta[a * k + j]).sum::<f64>();
        }
        for a in 0..k {
            for b in 0..=a {
                s[a * k + b] += r[a] * r[b];
            }
        }
    }
    for a in 0..k {
        for b in 0..a {
            s[b * k + a] = s[a * k + b];
        }
    }
    let nu = nu0 + n as f64;
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
    let total_ll: f64 = chain.ll.iter().sum();
    chain.trace.loglik.push(total_ll);
    chain.trace.acceptance.push(acceptance);
    chain.trace.rho.push(chain.rho);
    chain
        .trace
        .avg_variance
        .push((0..k).map(|j| chain.d[j * k + j]).sum::<f64>() / k as f64);
    chain.iter += 1;
    if chain.iter > params.burn_in && (chain.iter - params.burn_in) % params.thin == 0 {
        chain.draws.extend(chain.tied.iter().map(|&v| v as f32));
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
