//! The affine move of the hierarchical model (an interweaving step in the sense of Yu & Meng
//! 2011, "To center or not to center"): every β_i moves with the population mean and its
//! spread around it together.
//!
//! In the centred parameterisation the Gibbs sampler uses, α (the prior mean μ_i = Δ′z_i) and
//! D are strongly coupled with the β_i: given the β_i, α | β is N(β̄, D/N) and D | β is an
//! inverse Wishart around their scatter, so α and D move only as fast as the average and the
//! spread of N random-walk steps. The move, for a common shift δ (k values) and scale c > 0,
//!
//!   β_i → μ_i + δ + c·(β_i − μ_i),   Δ_col → Δ_col + δ/z_col,   D → c²·D
//!
//! (`col` the constant covariate, so every μ_i moves by δ) maps the deviations η_i = β_i − μ_i
//! to c·η_i: it is the update of (α, D) in the non-centred parameterisation β_i = μ_i + η_i
//! with the η_i / D^{1/2} held fixed. The maps form a group (shifts times scalings); its
//! Jacobian is c^{Nk} for the β_i and c^{k(k+1)} for D, and the N normal densities of the upper
//! level contribute c^{−Nk}, so with a random walk on (δ, ln c) (Haar measure dδ·dc/c) the
//! Metropolis ratio is the likelihood ratio Π_i L_i(β_i′)/L_i(β_i) (with monotone constraints,
//! of the tied copies) times the inverse-Wishart prior's ratio times the D Jacobian:
//!
//!   log r = Σ_i ΔLL_i − k·ν₀·ln c − ½·(c⁻² − 1)·tr(S₀ D⁻¹).
//!
//! Proposal: δ = s·chol(D)·ε/√N and ln c = s·u/√(2N) (the scales of α | β and of D | β), one
//! scale s adapted during burn-in towards 30 % acceptance and frozen after it, so the chain
//! after burn-in is a fixed Metropolis-within-Gibbs kernel with the posterior as its invariant
//! law.

// Loops over the lanes index several `[f64; LANES]` values in step.
#![allow(clippy::needless_range_loop)]

use rayon::prelude::*;

use super::metropolis::GROUPS_PER_BLOCK;
use super::upper::Upper;
use super::{tie_in_place, Chain, Constraint, HbData, HbParams};
use crate::conjoint::lanes::{lane_sum, LANES, V};
use crate::linalg;
use crate::simd::{dispatch_avx512, Isa};

/// The acceptance rate the scale adapts to during burn-in.
const TARGET: f64 = 0.3;

/// The shared inputs of one move.
struct Move<'a> {
    data: &'a HbData,
    /// The chain's Δ (q × k) before the move, the shift δ and the scale c.
    delta_now: &'a [f64],
    shift: &'a [f64],
    scale: f64,
    constraints: &'a [Constraint],
}

dispatch_avx512! {
    /// The moved β of the groups `first..` into `prop` and their log-likelihoods into
    /// `prop_ll`; returns the block's Σ over real lanes of (new − current) log-likelihood.
    fn move_block => generic Move::block_impl;
        (ctx: &Move, first: usize, beta: &[V], ll: &[V], out: (&mut [V], &mut [V]), work: &mut [V]) -> f64
}

impl Move<'_> {
    #[inline(always)]
    fn block_impl<M: Isa>(
        ctx: &Self,
        first: usize,
        beta: &[V],
        ll: &[V],
        (prop, prop_ll): (&mut [V], &mut [V]),
        work: &mut [V],
    ) -> f64 {
        let lanes = &ctx.data.lanes;
        let (k, q) = (ctx.data.k, ctx.data.q);
        let (tied, v) = work.split_at_mut(k);
        let mut one = vec![0.0; if ctx.constraints.is_empty() { 0 } else { k }];
        let mut scratch = Vec::new();
        let mut diff = [0.0; LANES];
        for (j, (((b, p), cur), new)) in beta
            .chunks_exact(k)
            .zip(prop.chunks_exact_mut(k))
            .zip(ll)
            .zip(prop_ll.iter_mut())
            .enumerate()
        {
            let g = first + j;
            // μ = Δ′z and the moved β = μ + δ + c·(β − μ), lane by lane in vector registers.
            let zs = &lanes.z[g * q..(g + 1) * q];
            for c in 0..k {
                let mut mu = [0.0; LANES];
                for (&za, da) in zs.iter().zip(ctx.delta_now.chunks_exact(k)) {
                    mu = M::madd8(za, [da[c]; LANES], mu);
                }
                let moved = M::add8(mu, [ctx.shift[c]; LANES]);
                p[c] = M::madd8([ctx.scale; LANES], M::sub8(b[c], mu), moved);
            }
            let used: &[V] = if ctx.constraints.is_empty() {
                p
            } else {
                for l in 0..LANES {
                    for (o, x) in one.iter_mut().zip(p.iter()) {
                        *o = x[l];
                    }
                    tie_in_place(&mut one, ctx.constraints, &mut scratch);
                    for (t, o) in tied.iter_mut().zip(&one) {
                        t[l] = *o;
                    }
                }
                tied
            };
            *new = lanes.loglik::<M>(g, used, v);
            let real = lanes.real[g];
            diff = M::madd8(real, M::sub8(*new, *cur), diff);
        }
        lane_sum(&diff)
    }
}

/// Σ_i log-likelihood change of the move x = (δ, ln c) (the moved β in `chain.prop_beta`, their
/// log-likelihoods in `chain.prop_ll`) plus the prior and Jacobian terms: the log of the
/// Metropolis ratio.
fn log_ratio(chain: &mut Chain, data: &HbData, params: &HbParams, upper: &Upper, x: &[f64]) -> f64 {
    let k = data.k;
    let (shift, log_c) = (&x[..k], x[k]);
    let ctx = Move {
        data,
        delta_now: &chain.delta,
        shift,
        scale: log_c.exp(),
        constraints: &params.constraints,
    };
    let work = chain.work.len() / chain.shift_sums.len().max(1);
    chain
        .beta
        .par_chunks(GROUPS_PER_BLOCK * k)
        .zip(chain.ll.par_chunks(GROUPS_PER_BLOCK))
        .zip(chain.prop_beta.par_chunks_mut(GROUPS_PER_BLOCK * k))
        .zip(chain.prop_ll.par_chunks_mut(GROUPS_PER_BLOCK))
        .zip(chain.work.par_chunks_mut(work))
        .zip(chain.shift_sums.par_iter_mut())
        .enumerate()
        .for_each(|(b, (((((beta, ll), prop), prop_ll), work), sum))| {
            *sum = move_block(&ctx, b * GROUPS_PER_BLOCK, beta, ll, (prop, prop_ll), work);
        });
    let diff: f64 = chain.shift_sums.iter().sum();
    // tr(S₀ D⁻¹), with (D⁻¹)_{ab} = Σ_p L⁻¹_{pa} L⁻¹_{pb} (L = chol D, p ≥ max(a, b)).
    let l_inv = linalg::lower_inverse(&chain.chol_d, k);
    let mut trace = 0.0;
    for a in 0..k {
        for b in 0..k {
            let d_inv: f64 = (a.max(b)..k)
                .map(|p| l_inv[p * k + a] * l_inv[p * k + b])
                .sum();
            trace += upper.s0[a * k + b] * d_inv;
        }
    }
    diff - k as f64 * upper.nu0 * log_c - 0.5 * ((-2.0 * log_c).exp() - 1.0) * trace
}

/// The proposal's shape: before the first curvature estimate, chol(D)/√N for δ and 1/√(2N) for
/// ln c (the scales of α | β and of D | β); after it, the inverse curvature of the log ratio.
fn proposal(chain: &mut Chain, k: usize, n: usize) -> Vec<f64> {
    let eps: Vec<f64> = (0..=k).map(|_| chain.upper.normal()).collect();
    let s = chain.shift_scale;
    match &chain.shift_shape {
        // x = s·M′ε with M = chol(H)⁻¹: covariance s²·H⁻¹.
        Some(m) => (0..=k)
            .map(|i| s * (i..=k).map(|p| m[p * (k + 1) + i] * eps[p]).sum::<f64>())
            .collect(),
        None => {
            let f = s / (n as f64).sqrt();
            let mut x: Vec<f64> = (0..k)
                .map(|i| {
                    f * (0..=i)
                        .map(|p| chain.chol_d[i * k + p] * eps[p])
                        .sum::<f64>()
                })
                .collect();
            x.push(s * eps[k] / (2.0 * n as f64).sqrt());
            x
        }
    }
}

/// Estimates the curvature H of the log ratio at x = 0 by central second differences (steps of
/// half the proposal's current standard deviation per coordinate) and keeps chol(H)⁻¹ as the
/// proposal's shape; keeps the old shape when H is not positive definite. Runs twice during
/// burn-in, never after it.
pub(super) fn estimate_shape(chain: &mut Chain, data: &HbData, params: &HbParams, upper: &Upper) {
    let (k, n) = (data.k, data.n_respondents());
    let d = k + 1;
    let h: Vec<f64> = match &chain.shift_shape {
        Some(m) => (0..d)
            .map(|i| {
                0.5 * (i..d)
                    .map(|p| m[p * d + i] * m[p * d + i])
                    .sum::<f64>()
                    .sqrt()
            })
            .collect(),
        None => {
            let mut h: Vec<f64> = (0..k)
                .map(|i| 0.5 * (chain.d[i * k + i] / n as f64).sqrt())
                .collect();
            h.push(0.5 / (2.0 * n as f64).sqrt());
            h
        }
    };
    let mut f = |x: &[f64]| log_ratio(chain, data, params, upper, x);
    let mut x = vec![0.0; d];
    let mut hess = vec![0.0; d * d];
    let mut plus = vec![0.0; d];
    let mut minus = vec![0.0; d];
    for a in 0..d {
        x[a] = h[a];
        plus[a] = f(&x);
        x[a] = -h[a];
        minus[a] = f(&x);
        x[a] = 0.0;
        hess[a * d + a] = -(plus[a] + minus[a]) / (h[a] * h[a]);
    }
    for a in 0..d {
        for b in 0..a {
            x[a] = h[a];
            x[b] = h[b];
            let pp = f(&x);
            x[a] = -h[a];
            x[b] = -h[b];
            let mm = f(&x);
            x[a] = 0.0;
            x[b] = 0.0;
            // f(h_a e_a + h_b e_b) + f(−…) = 2 f(0) + h_a² H_aa + h_b² H_bb + 2 h_a h_b H_ab
            // (f(0) = 0, H here the second derivative).
            let second = (pp + mm - (plus[a] + minus[a]) - (plus[b] + minus[b])) / 2.0;
            let v = -second / (h[a] * h[b]);
            hess[a * d + b] = v;
            hess[b * d + a] = v;
        }
    }
    if hess.iter().all(|v| v.is_finite()) {
        if let Ok(l) = linalg::cholesky(&hess, d) {
            chain.shift_shape = Some(linalg::lower_inverse(&l, d));
            chain.shift_scale = 2.38 / (d as f64).sqrt();
        }
    }
}

/// One affine move of `chain` (after its upper-level draws); `col` is the constant covariate's
/// column and value. Returns the change of the total log-likelihood when the move is accepted.
pub(super) fn affine(
    chain: &mut Chain,
    data: &HbData,
    params: &HbParams,
    upper: &Upper,
    col: (usize, f64),
) -> Option<f64> {
    let (k, n) = (data.k, data.n_respondents());
    let x = proposal(chain, k, n);
    let u = chain.upper.uniform();
    let log_r = log_ratio(chain, data, params, upper, &x);
    let diff: f64 = chain.shift_sums.iter().sum();
    // (A NaN ratio is rejected.)
    let accepted = u.ln() < log_r;
    let b = params.burn_in;
    if chain.iter < b {
        // Robbins–Monro on ln s; frozen at the mean of ln s over the last eighth of burn-in
        // (after the last curvature estimate), not wherever the last step left it.
        let a = if accepted { 1.0 } else { 0.0 };
        chain.shift_scale *= (0.1 * (a - TARGET)).exp();
        if chain.iter + b / 8 >= b {
            chain.shift_log.0 += chain.shift_scale.ln();
            chain.shift_log.1 += 1;
        }
        if chain.iter + 1 == b && chain.shift_log.1 > 0 {
            chain.shift_scale = (chain.shift_log.0 / chain.shift_log.1 as f64).exp();
        }
    }
    if !accepted {
        return None;
    }
    let (shift, scale) = (&x[..k], x[k].exp());
    std::mem::swap(&mut chain.beta, &mut chain.prop_beta);
    std::mem::swap(&mut chain.ll, &mut chain.prop_ll);
    let constraints = &params.constraints;
    // (Without constraints the tied copy is `beta` itself.)
    if !constraints.is_empty() {
        chain
            .beta
            .par_chunks(k)
            .zip(chain.tied.par_chunks_mut(k))
            .with_min_len(64)
            .for_each(|(beta, tied)| {
                let (mut one, mut scratch) = (vec![0.0; k], Vec::new());
                for l in 0..LANES {
                    for (o, b) in one.iter_mut().zip(beta.iter()) {
                        *o = b[l];
                    }
                    tie_in_place(&mut one, constraints, &mut scratch);
                    for (t, o) in tied.iter_mut().zip(&one) {
                        t[l] = *o;
                    }
                }
            });
    }
    let (c, z) = col;
    for j in 0..k {
        chain.delta[c * k + j] += shift[j] / z;
    }
    chain.d.iter_mut().for_each(|v| *v *= scale * scale);
    chain.chol_d.iter_mut().for_each(|v| *v *= scale);
    Some(diff)
}
