//! The Metropolis step of the hierarchical model: every respondent's β_i takes one random-walk
//! step with proposal β_i + ρ·chol(D)·ε, four respondents side by side in SIMD lanes
//! ([`LaneGroups`](crate::conjoint::lanes::LaneGroups)), blocks of lane groups in parallel. Each
//! block also sums what the upper level's Gibbs draws need ([`BlockSums`]).

// Loops over the lanes index several `[f64; LANES]` values in step.
#![allow(clippy::needless_range_loop)]

use rayon::prelude::*;

use super::{tie_in_place, Chain, Constraint, HbData};
use crate::conjoint::lanes::{lane_sum, LANES, V};
use crate::random::Lanes;
use crate::simd::{dispatch_avx512, Isa};

/// Groups of respondents per parallel task of the Metropolis step (fixed, so that the sums over
/// blocks do not depend on the number of threads).
pub(super) const GROUPS_PER_BLOCK: usize = 8;

/// The layout of one block's sums in `Chain::partials`: accepted count, Σ log-likelihood,
/// Σ r r′ (k × k, lower triangle) and Σ z r′ (q × k), with r_i = β_i − Δ′z_i at the Δ of the
/// Metropolis step.
pub(super) struct BlockSums;

impl BlockSums {
    pub(super) const fn len(k: usize, q: usize) -> usize {
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
    /// The log-likelihoods' scratch length ([`LaneGroups::scratch_len`]), computed once per
    /// sweep (it is a scan over all groups: per block it made the sweep quadratic in the number
    /// of respondents).
    ///
    /// [`LaneGroups::scratch_len`]: crate::conjoint::lanes::LaneGroups::scratch_len
    scratch: usize,
}

dispatch_avx512! {
    /// One Metropolis step for the groups `first..first + ll.len()`, writing the block's
    /// [`BlockSums`] to `sums`. The AVX-512 or AVX2/FMA build runs when the CPU has it.
    fn metropolis_block => generic Metropolis::block_impl;
        (ctx: &Metropolis, first: usize, block: Block) -> ()
}

/// One block's share of a chain's state: the groups `first..first + ll.len()`.
struct Block<'a> {
    beta: &'a mut [V],
    /// The tied copy of `beta` (under constraints; empty without them).
    tied: &'a mut [V],
    ll: &'a mut [V],
    rngs: &'a mut [Lanes],
    /// Its [`BlockSums`].
    sums: &'a mut [f64],
    /// Scratch of [`work_len`].
    work: &'a mut [V],
}

/// The scratch of one block of the Metropolis step (see `Metropolis::block_impl`).
pub(super) fn work_len(k: usize, q: usize, scratch: usize) -> usize {
    6 * k + scratch + 2 + k * k + q * k + GROUPS_PER_BLOCK * k
}

/// The Metropolis step of every respondent of `chain` at its current D, Δ and ρ; returns the
/// blocks' [`BlockSums`] added in block order.
pub(super) fn sweep(chain: &mut Chain, data: &HbData, constraints: &[Constraint]) -> Vec<f64> {
    let (k, q) = (data.k, data.q);
    let l_inv = crate::linalg::lower_inverse(&chain.chol_d, k);
    let scratch = data.lanes.scratch_len();
    let ctx = Metropolis {
        data,
        l: &chain.chol_d,
        l_inv: &l_inv,
        delta: &chain.delta,
        rho: chain.rho,
        constraints,
        k,
        q,
        scratch,
    };
    let stride = BlockSums::len(k, q);
    let work = work_len(k, q, scratch);
    // Each block's share of the tied copy (empty slices without constraints).
    let n_blocks = chain.ll.len().div_ceil(GROUPS_PER_BLOCK);
    let tied: Vec<&mut [V]> = if chain.tied.is_empty() {
        (0..n_blocks).map(|_| <&mut [V]>::default()).collect()
    } else {
        chain.tied.chunks_mut(GROUPS_PER_BLOCK * k).collect()
    };
    chain
        .beta
        .par_chunks_mut(GROUPS_PER_BLOCK * k)
        .zip(tied.into_par_iter())
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
    let mut total = vec![0.0; stride];
    for part in chain.partials.chunks_exact(stride) {
        total.iter_mut().zip(part).for_each(|(t, p)| *t += p);
    }
    total
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
        for ((&ap, &bp), (&xp, &ep)) in terms {
            s = M::madd8([ap; LANES], xp, s);
            t = M::madd8([bp; LANES], ep, t);
        }
        *yi = s;
        *wi = t;
    }
}

/// The vectors of one group's step (one value per lane), carved from the block's scratch: the
/// prior mean μ = Δ′z, r = β − μ, y = L⁻¹r, the normals ε, the proposal (and its tied copy),
/// and the utilities' scratch; `one` and `scratch` serve the constraints.
struct Vectors<'a> {
    mu: &'a mut [V],
    r: &'a mut [V],
    y: &'a mut [V],
    eps: &'a mut [V],
    prop: &'a mut [V],
    prop_tied: &'a mut [V],
    v: &'a mut [V],
    one: Vec<f64>,
    scratch: Vec<f64>,
}

impl<'a> Vectors<'a> {
    fn new(buf: &'a mut [V], k: usize, constrained: bool) -> Self {
        let (mu, rest) = buf.split_at_mut(k);
        let (r, rest) = rest.split_at_mut(k);
        let (y, rest) = rest.split_at_mut(k);
        let (eps, rest) = rest.split_at_mut(k);
        let (prop, rest) = rest.split_at_mut(k);
        let (prop_tied, v) = rest.split_at_mut(k);
        Vectors {
            mu,
            r,
            y,
            eps,
            prop,
            prop_tied,
            v,
            // (No allocation per block without constraints.)
            one: if constrained {
                vec![0.0; k]
            } else {
                Vec::new()
            },
            scratch: Vec::new(),
        }
    }
}

impl Metropolis<'_> {
    #[inline(always)]
    fn block_impl<M: Isa>(ctx: &Self, first: usize, block: Block) {
        let (k, q) = (ctx.k, ctx.q);
        let lanes = &ctx.data.lanes;
        let zero = [0.0; LANES];
        // The block's scratch (no allocation per iteration): the step's vectors, the block's
        // sums lane by lane until the end, and each group's r = β − μ (zero in ghost lanes) for
        // the sums.
        let n_groups = block.ll.len();
        let (buf, rest) = block.work.split_at_mut(6 * k + ctx.scratch);
        let (acc, rest) = rest.split_at_mut(2 + k * k + q * k);
        let rs = &mut rest[..GROUPS_PER_BLOCK * k];
        acc[..2].fill(zero);
        let mut s = Vectors::new(buf, k, !ctx.constraints.is_empty());
        let mut tied = block.tied.chunks_exact_mut(k);
        for (j, ((beta, ll), rng)) in block
            .beta
            .chunks_exact_mut(k)
            .zip(block.ll.iter_mut())
            .zip(block.rngs.iter_mut())
            .enumerate()
        {
            let tied = tied.next().unwrap_or_default();
            let g = first + j;
            let real = lanes.real[g];
            ctx.prior_mean::<M>(g, beta, &mut s);
            ctx.propose::<M>(beta, rng, &mut s);
            let prop_ll = ctx.proposal_loglik::<M>(g, &mut s);
            let accept = ctx.accept::<M>(real, prop_ll, rng, (beta, tied, ll), &mut s);
            for l in 0..LANES {
                acc[0][l] += accept[l];
                acc[1][l] = M::madd(real[l], ll[l], acc[1][l]);
            }
            rs[j * k..(j + 1) * k].copy_from_slice(s.r);
        }
        let zs = &lanes.z[first * q..(first + n_groups) * q];
        cross_products::<M>(rs, zs, n_groups, k, q, &mut acc[2..]);
        for (s, a) in block.sums.iter_mut().zip(acc.iter()) {
            *s = lane_sum(a);
        }
    }

    /// Group g's prior mean μ = Δ′z and r = β − μ.
    #[inline(always)]
    fn prior_mean<M: Isa>(&self, g: usize, beta: &[V], s: &mut Vectors) {
        let (k, q) = (self.k, self.q);
        let z = &self.data.lanes.z[g * q..(g + 1) * q];
        for (c, (m, (rc, &b))) in s.mu.iter_mut().zip(s.r.iter_mut().zip(beta)).enumerate() {
            let mut acc = [0.0; LANES];
            for (&za, da) in z.iter().zip(self.delta.chunks_exact(k)) {
                acc = M::madd8(za, [da[c]; LANES], acc);
            }
            *m = acc;
            *rc = M::sub8(b, acc);
        }
    }

    /// The proposal β + ρ·L·ε, and y = L⁻¹(β − μ): with it the proposal's prior term is
    /// L⁻¹(β* − μ) = y + ρε.
    #[inline(always)]
    fn propose<M: Isa>(&self, beta: &[V], rng: &mut Lanes, s: &mut Vectors) {
        rng.normals::<M>(s.eps);
        lower_mul_lanes::<M>((self.l_inv, s.r, s.y), (self.l, s.eps, s.prop), self.k);
        for (p, &b) in s.prop.iter_mut().zip(beta) {
            *p = M::madd8([self.rho; LANES], *p, b);
        }
    }

    /// The lanes' log-likelihoods at the proposal (its tied copy under constraints).
    #[inline(always)]
    fn proposal_loglik<M: Isa>(&self, g: usize, s: &mut Vectors) -> V {
        let lanes = &self.data.lanes;
        if self.constraints.is_empty() {
            return lanes.loglik::<M>(g, s.prop, s.v);
        }
        for l in 0..LANES {
            for (o, p) in s.one.iter_mut().zip(s.prop.iter()) {
                *o = p[l];
            }
            tie_in_place(&mut s.one, self.constraints, &mut s.scratch);
            for (t, o) in s.prop_tied.iter_mut().zip(&s.one) {
                t[l] = *o;
            }
        }
        lanes.loglik::<M>(g, s.prop_tied, s.v)
    }

    /// Accepts the proposal where u < exp(min(log ratio, 0)), updating (β, tied β, ll) and
    /// r = β − μ (zero in ghost lanes); returns the accepted real lanes (1.0 each).
    #[inline(always)]
    fn accept<M: Isa>(
        &self,
        real: V,
        prop_ll: V,
        rng: &mut Lanes,
        (beta, tied, ll): (&mut [V], &mut [V], &mut V),
        s: &mut Vectors,
    ) -> V {
        let zero = [0.0; LANES];
        let (mut cur, mut new) = (zero, zero);
        for (&a, &e) in s.y.iter().zip(s.eps.iter()) {
            let b = M::madd8([self.rho; LANES], e, a);
            cur = M::madd8(a, a, cur);
            new = M::madd8(b, b, new);
        }
        let u = rng.uniform::<M>();
        // The proposal is taken where u < p = exp(min(log ratio, 0)), by vector selects (lane
        // by lane scalar stores followed by vector loads stall the loads). A NaN ratio stays
        // NaN through the min and the exponential, and is rejected.
        let log_ratio = M::sub8(
            M::sub8(prop_ll, *ll),
            M::mul8([0.5; LANES], M::sub8(new, cur)),
        );
        let p = M::exp8(M::min8(zero, log_ratio));
        *ll = M::select_lt8(u, p, prop_ll, *ll);
        for c in 0..self.k {
            beta[c] = M::select_lt8(u, p, s.prop[c], beta[c]);
            // Ghost lanes contribute nothing to the sums.
            s.r[c] = M::mul8(real, M::sub8(beta[c], s.mu[c]));
        }
        // (`tied` is empty without constraints: the tied copy is `beta` itself.)
        for (t, p_tied) in tied.iter_mut().zip(s.prop_tied.iter()) {
            *t = M::select_lt8(u, p, *p_tied, *t);
        }
        M::select_lt8(u, p, real, zero)
    }
}

/// Σ r r′ (lower triangle, into `out[..k·k]`) and Σ z r′ (into `out[k·k..]`) over the block's
/// `n_groups` groups, one output at a time with its sum in a register.
#[inline(always)]
fn cross_products<M: Isa>(rs: &[V], zs: &[V], n_groups: usize, k: usize, q: usize, out: &mut [V]) {
    let zero = [0.0; LANES];
    let (rr, zr) = out.split_at_mut(k * k);
    for a in 0..k {
        for b in 0..=a {
            // Two partial sums (even and odd groups) halve the chain of dependent adds.
            let (mut s, mut t) = (zero, zero);
            let mut pairs = rs.chunks_exact(2 * k);
            for pair in &mut pairs {
                s = M::madd8(pair[a], pair[b], s);
                t = M::madd8(pair[k + a], pair[k + b], t);
            }
            let row = pairs.remainder();
            if !row.is_empty() {
                s = M::madd8(row[a], row[b], s);
            }
            rr[a * k + b] = M::add8(s, t);
        }
    }
    for a in 0..q {
        for c in 0..k {
            let mut s = zero;
            for g in 0..n_groups {
                s = M::madd8(zs[g * q + a], rs[g * k + c], s);
            }
            zr[a * k + c] = s;
        }
    }
}
