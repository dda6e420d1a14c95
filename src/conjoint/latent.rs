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
//! One fused pass over the respondents (`Design::pass`) does the work of an EM iteration: at
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

use std::ops::Range;

use rayon::prelude::*;

use super::kernel;
use super::mnl::ChoiceData;
use crate::error::{Error, Result};
use crate::linalg;
use crate::random::Stream;
use crate::simd::{dispatch_avx2, Isa};

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

/// Respondents per block of the fused pass. Blocks are the unit of parallel work and their
/// partial sums are merged in block order, so results do not depend on the number of threads.
const BLOCK: usize = 16;

/// Posteriors below this do not weigh in the M-step: a respondent that surely belongs elsewhere
/// would change a class's statistics by less than 1e-12 of a respondent.
const MIN_WEIGHT: f64 = 1e-12;

#[inline(always)]
fn weight(h: f64) -> f64 {
    if h < MIN_WEIGHT {
        0.0
    } else {
        h
    }
}

/// Tasks of a block are padded to a multiple of this many (with zero rows that belong to no
/// respondent), so the kernels run over whole vectors.
const LANES: usize = 8;

/// A block of respondents in [`Design`].
struct Block {
    resp: Range<usize>,
    /// First task.
    t0: usize,
    /// Tasks, padded to a multiple of [`LANES`].
    nt: usize,
    /// Offsets of the block in `Design::x` and `Design::mask`.
    x: usize,
    mask: usize,
}

/// The choice data laid out for the fused pass.
struct Design<'a> {
    k: usize,
    /// Non-chosen alternatives per task: those of the largest task (smaller tasks are padded).
    jm: usize,
    /// Task offsets of the respondents.
    respondents: &'a [usize],
    blocks: Vec<Block>,
    /// Per block: for each non-chosen slot j and column a, the column x̃_ja over the block's
    /// (padded) tasks, at `block.x + (j·k + a)·nt`.
    x: Vec<f64>,
    /// Per block: 1 for a real alternative, 0 for padding (slot j at `block.mask + j·nt`). Empty
    /// when every task has jm + 1 alternatives.
    mask: Vec<f64>,
}

/// How the pass weighs the respondents of each class.
#[derive(Clone, Copy)]
enum Weights<'a> {
    /// Given weights (n × C), as in an M-step from given posteriors.
    Fixed(&'a [f64]),
    /// The posteriors at the pass's coefficients and these log class shares (the E-step);
    /// Q_c is also returned under `prev` (n × C) when given.
    Posterior {
        log_shares: &'a [f64],
        prev: Option<&'a [f64]>,
    },
}

#[derive(Clone, Copy)]
struct Spec<'a> {
    n_classes: usize,
    /// Coefficients, classes × k.
    beta: &'a [f64],
    weights: Weights<'a>,
    /// Gradients of the weighted class log-likelihoods Q_c.
    gradient: bool,
    /// Their information matrices (needs `gradient`).
    information: bool,
    /// At these class shares: the sum and the sum of outer products of the respondents' scores
    /// in θ = (β_1..β_C, γ_1..γ_{C−1}).
    scores: Option<&'a [f64]>,
}

/// The results of a pass.
#[derive(Debug, Clone)]
struct Pass {
    /// Marginal log-likelihood (posterior weights only).
    loglik: f64,
    /// Q_c = Σ_i w_ic log L_ic under the pass's weights (w = h without negligible values).
    q: Vec<f64>,
    /// Q_c under `prev` (posterior weights with `prev` only).
    q_prev: Vec<f64>,
    /// Classes × k.
    gradient: Vec<f64>,
    /// Classes × k × k.
    information: Vec<f64>,
    /// The weights of the pass (n × C): the posteriors, or a copy of the given weights.
    h: Vec<f64>,
    /// The score Σ_i s_i (length P = C·k + C − 1) and Σ_i s_i s_i′ (P × P).
    score: Vec<f64>,
    opg: Vec<f64>,
}

/// Where a block's sums lie in one flat vector (merged by adding the vectors): the marginal
/// log-likelihood at 0, then Q_c, Q_c under `prev`, and, when the pass computes them, the
/// gradients, information matrices, total score and sum of outer products of the scores.
#[derive(Debug, Clone, Copy)]
struct Layout {
    q: usize,
    q_prev: usize,
    gradient: usize,
    information: usize,
    score: usize,
    opg: usize,
    len: usize,
}

impl Layout {
    fn new(spec: &Spec, k: usize) -> Layout {
        let c = spec.n_classes;
        let np = c * k + c - 1;
        let scores = spec.scores.is_some();
        let mut len = 1;
        let mut take = |on: bool, n: usize| {
            let at = len;
            len += if on { n } else { 0 };
            at
        };
        let q = take(true, c);
        let q_prev = take(true, c);
        let gradient = take(spec.gradient, c * k);
        let information = take(spec.gradient && spec.information, c * k * k);
        let score = take(scores, np);
        let opg = take(scores, np * np);
        Layout {
            q,
            q_prev,
            gradient,
            information,
            score,
            opg,
            len,
        }
    }
}

/// Tasks per chunk of an information matrix: a chunk's gathered vectors (k·(J − 1)·CHUNK values)
/// stay in cache while their outer products are summed.
const CHUNK: usize = 128;

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

/// When no utility difference x̃_j′β of a block exceeds this (and tasks have fewer than 1,000
/// alternatives), the exponentials are taken unshifted and the chosen alternative's term is
/// exactly 1: one exponential fewer per task. Every task sum then stays below J·e³⁰, which keeps
/// the products in [`log_sums`] finite.
const UNSHIFTED: f64 = 30.0;

/// Respondents whose posterior in a class is below this are left out of the class's information
/// matrix (not of its gradient or Q_c). The matrix only sets the direction of the Newton step,
/// so this changes EM's path by a negligible amount and never its fixed point; late in EM, when
/// the classes have separated, it skips a part of the work.
const INFORMATION_MIN: f64 = 1e-4;

thread_local! {
    /// Each thread's work space for the blocks it runs, kept from pass to pass.
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Per-block work space (one per thread, see [`SCRATCH`]).
#[derive(Default)]
struct Scratch {
    /// C × jm × T: utilities, then choice probabilities of the non-chosen alternatives.
    p: Vec<f64>,
    /// C × T: probability of the chosen alternative.
    pc: Vec<f64>,
    /// T: each task's largest utility difference (at least 0), and its sum of exponentials.
    mx: Vec<f64>,
    sum: Vec<f64>,
    /// Respondents × C: log-likelihoods.
    ll: Vec<f64>,
    /// T: task weights of the class at hand (0 on padding).
    w: Vec<f64>,
    /// jm × T: weighted probabilities.
    wp: Vec<f64>,
    /// k × T: Σ_j p_j x̃_ja, summed by respondent into the scores.
    y: Vec<f64>,
    /// The block's respondent scores, P columns (zero columns up to a multiple of 4) of nb4
    /// values (nb rounded up to a multiple of 4, zero rows past nb), and nb4 unit weights (zero
    /// past nb).
    sc: Vec<f64>,
    ones: Vec<f64>,
    /// Pieces (first task, tasks) of the chunk of the information matrix being gathered.
    pieces: Vec<(usize, usize)>,
    chunk: Chunk,
}

/// A chunk of tasks gathered for an information matrix: m tasks padded to m4, a multiple of 4.
#[derive(Default)]
struct Chunk {
    /// The tails r_j of the recursion (m4).
    tail: Vec<f64>,
    /// The recursion's coefficients (m4 each) and running weighted means (k × m4).
    alpha: Vec<f64>,
    gamma: Vec<f64>,
    z: Vec<f64>,
    /// jm × m4 weights of the outer products.
    wd: Vec<f64>,
    /// The outer products' vectors: k columns (and room for columns up to a multiple of 4) of
    /// jm × m4 values, at a stride of jm · CHUNK.
    u: Vec<f64>,
}

/// Copies the lower triangle of a `k × k` matrix onto the upper one.
fn symmetrize(m: &mut [f64], k: usize) {
    for a in 0..k {
        for b in 0..a {
            m[b * k + a] = m[a * k + b];
        }
    }
}

/// Sets the length of a buffer whose every used element is written before it is read.
fn sized(v: &mut Vec<f64>, n: usize) {
    v.resize(n, 0.0);
}

impl<'a> Design<'a> {
    fn new(d: &ChoiceData, respondents: &'a [usize]) -> Self {
        let k = d.k;
        let n = respondents.len() - 1;
        let n_tasks = d.n_tasks();
        let size = |t: usize| d.starts[t + 1] - d.starts[t];
        let jm = (0..n_tasks).map(size).max().unwrap_or(2) - 1;
        let uneven = (0..n_tasks).any(|t| size(t) != jm + 1);
        let mut blocks = Vec::new();
        let (mut xo, mut mo) = (0, 0);
        for i0 in (0..n).step_by(BLOCK) {
            let resp = i0..(i0 + BLOCK).min(n);
            let t0 = respondents[resp.start];
            let nt = (respondents[resp.end] - t0).div_ceil(LANES) * LANES;
            blocks.push(Block {
                resp,
                t0,
                nt,
                x: xo,
                mask: mo,
            });
            xo += jm * k * nt;
            mo += jm * nt;
        }
        let mut x = vec![0.0; xo];
        let mut mask = if uneven { vec![0.0; mo] } else { Vec::new() };
        for b in &blocks {
            let nt = b.nt;
            for t in respondents[b.resp.start]..respondents[b.resp.end] {
                let tau = t - b.t0;
                let ch = d.chosen[t];
                let xc = &d.x[ch * k..(ch + 1) * k];
                for (j, r) in (d.starts[t]..d.starts[t + 1])
                    .filter(|&r| r != ch)
                    .enumerate()
                {
                    for (a, (v, c)) in d.x[r * k..(r + 1) * k].iter().zip(xc).enumerate() {
                        x[b.x + (j * k + a) * nt + tau] = v - c;
                    }
                    if uneven {
                        mask[b.mask + j * nt + tau] = 1.0;
                    }
                }
            }
        }
        Design {
            k,
            jm,
            respondents,
            blocks,
            x,
            mask,
        }
    }

    fn n(&self) -> usize {
        self.respondents.len() - 1
    }

    /// The sums of blocks `first..first + count` (writing their weights to `h`): halves in
    /// parallel, added along a binary tree whose shape depends only on the number of blocks, so
    /// the result is the same on any number of threads.
    fn fold(
        &self,
        first: usize,
        count: usize,
        spec: &Spec,
        lay: &Layout,
        h: &mut [f64],
    ) -> Vec<f64> {
        if count == 0 {
            return vec![0.0; lay.len];
        }
        if count == 1 {
            return SCRATCH.with(|cell| match cell.try_borrow_mut() {
                Ok(mut s) => block_pass(self, first, spec, lay, &mut s, h),
                Err(_) => block_pass(self, first, spec, lay, &mut Scratch::default(), h),
            });
        }
        let mid = count / 2;
        let (a, b) = h.split_at_mut((mid * BLOCK * spec.n_classes).min(h.len()));
        let (mut left, right) = rayon::join(
            || self.fold(first, mid, spec, lay, a),
            || self.fold(first + mid, count - mid, spec, lay, b),
        );
        left.iter_mut().zip(&right).for_each(|(a, b)| *a += b);
        left
    }

    /// One pass over all the respondents.
    fn pass(&self, spec: &Spec) -> Pass {
        let (c, k) = (spec.n_classes, self.k);
        let np = c * k + c - 1;
        let lay = Layout::new(spec, k);
        let mut h = vec![0.0; self.n() * c];
        let sums = self.fold(0, self.blocks.len(), spec, &lay, &mut h);
        let get = |at: usize, len: usize| sums[at..at + len].to_vec();
        let mut out = Pass {
            loglik: sums[0],
            q: get(lay.q, c),
            q_prev: get(lay.q_prev, c),
            gradient: get(lay.gradient, lay.information - lay.gradient),
            information: get(lay.information, lay.score - lay.information),
            h,
            score: get(lay.score, lay.opg - lay.score),
            opg: get(lay.opg, lay.len - lay.opg),
        };
        for info in out.information.chunks_exact_mut(k * k) {
            symmetrize(info, k);
        }
        if out.opg.len() == np * np {
            symmetrize(&mut out.opg, np);
        }
        out
    }
}

dispatch_avx2! {
    /// The fused pass over block `b` (the AVX2 + FMA build when the CPU has it): writes the
    /// block's weights (posteriors, or a copy of the given ones) to `h` and returns its sums
    /// (see [`Layout`]).
    fn block_pass => generic block_pass_impl; (
        ds: &Design,
        b: usize,
        spec: &Spec,
        lay: &Layout,
        s: &mut Scratch,
        h: &mut [f64],
    ) -> Vec<f64>
}

#[inline(always)]
fn block_pass_impl<M: Isa>(
    ds: &Design,
    b: usize,
    spec: &Spec,
    lay: &Layout,
    s: &mut Scratch,
    h: &mut [f64],
) -> Vec<f64> {
    let (k, jm, c) = (ds.k, ds.jm, spec.n_classes);
    let blk = &ds.blocks[b];
    let (nb, nt) = (blk.resp.len(), blk.nt);
    let xb = &ds.x[blk.x..blk.x + jm * k * nt];
    // Slot j's k columns, one after the other.
    let slot = |j: usize| &xb[j * k * nt..(j + 1) * k * nt];
    let mask = (!ds.mask.is_empty()).then(|| &ds.mask[blk.mask..blk.mask + jm * nt]);
    // Tasks of the block's r-th respondent, relative to the block.
    let local = |r: usize| {
        let i = blk.resp.start + r;
        ds.respondents[i] - blk.t0..ds.respondents[i + 1] - blk.t0
    };
    sized(&mut s.p, c * jm * nt);
    sized(&mut s.pc, c * nt);
    sized(&mut s.mx, nt);
    sized(&mut s.sum, nt);
    sized(&mut s.ll, nb * c);

    // Utilities x̃_j′β_c of every class, reading each column once for up to four classes.
    for j in 0..jm {
        let mut c0 = 0;
        while c0 < c {
            let g = (c - c0).min(4);
            let (x, beta) = (slot(j), &spec.beta[c0 * k..(c0 + g) * k]);
            let out = &mut s.p[c0 * jm * nt..(c0 + g) * jm * nt];
            match g {
                1 => utilities::<M, 1>(x, nt, beta, j, jm, out),
                2 => utilities::<M, 2>(x, nt, beta, j, jm, out),
                3 => utilities::<M, 3>(x, nt, beta, j, jm, out),
                _ => utilities::<M, 4>(x, nt, beta, j, jm, out),
            }
            c0 += g;
        }
    }

    // Choice probabilities and respondent log-likelihoods under every class.
    for cl in 0..c {
        let p = &mut s.p[cl * jm * nt..(cl + 1) * jm * nt];
        let pc = &mut s.pc[cl * nt..(cl + 1) * nt];
        s.mx.iter_mut().for_each(|m| *m = 0.0);
        for pj in p.chunks_exact(nt) {
            s.mx.iter_mut()
                .zip(pj.iter())
                .for_each(|(m, v)| *m = m.max(*v));
        }
        if jm < 1000 && s.mx.iter().fold(0.0, |a: f64, b| a.max(*b)) <= UNSHIFTED {
            // Small utilities (the usual case): no shift, the chosen term is exp(0) = 1 and
            // J − 1 exponentials remain.
            s.mx.iter_mut().for_each(|m| *m = 0.0);
            pc.iter_mut().for_each(|q| *q = 1.0);
        } else {
            // Shifted by max(0, max_j x̃_j′β): every term lies in (0, 1], one of them is 1.
            for (q, m) in pc.iter_mut().zip(&s.mx) {
                *q = kernel::exp_clamped::<M>(-m);
            }
        }
        s.sum.copy_from_slice(pc);
        for (j, pj) in p.chunks_exact_mut(nt).enumerate() {
            pj.iter_mut()
                .zip(&s.mx)
                .for_each(|(v, m)| *v = kernel::exp_clamped::<M>(*v - m));
            if let Some(mask) = mask {
                pj.iter_mut()
                    .zip(&mask[j * nt..(j + 1) * nt])
                    .for_each(|(v, m)| *v *= m);
            }
            s.sum.iter_mut().zip(pj.iter()).for_each(|(t, v)| *t += v);
        }
        for r in 0..nb {
            let tasks = local(r);
            s.ll[r * c + cl] = -log_sums(&s.mx[tasks.clone()], &s.sum[tasks]);
        }
        s.sum.iter_mut().for_each(|t| *t = 1.0 / *t);
        // The floor keeps the recursion of the information free of 0 / 0; it moves no
        // probability that matters next to the others (which sum to at least 1 / J).
        pc.iter_mut()
            .zip(&s.sum)
            .for_each(|(q, inv)| *q = (*q * inv).max(1e-300));
        for pj in p.chunks_exact_mut(nt) {
            pj.iter_mut().zip(&s.sum).for_each(|(v, inv)| *v *= inv);
        }
    }

    // Posteriors (or the given weights), the marginal likelihood and Q_c.
    let mut sums = vec![0.0; lay.len];
    for r in 0..nb {
        let i = blk.resp.start + r;
        let lli = &s.ll[r * c..(r + 1) * c];
        let hi = &mut h[r * c..(r + 1) * c];
        match spec.weights {
            Weights::Fixed(given) => hi.copy_from_slice(&given[i * c..(i + 1) * c]),
            Weights::Posterior { log_shares, prev } => {
                if let Some(prev) = prev {
                    let q = &mut sums[lay.q_prev..lay.q_prev + c];
                    for (q, (w, l)) in q.iter_mut().zip(prev[i * c..].iter().zip(lli)) {
                        *q += weight(*w) * l;
                    }
                }
                let mut m = f64::NEG_INFINITY;
                for (v, (lp, l)) in hi.iter_mut().zip(log_shares.iter().zip(lli)) {
                    *v = lp + l;
                    m = m.max(*v);
                }
                let mut sum = 0.0;
                for v in hi.iter_mut() {
                    *v = kernel::exp_clamped::<M>(*v - m);
                    sum += *v;
                }
                hi.iter_mut().for_each(|v| *v /= sum);
                sums[0] += m + sum.ln();
            }
        }
        let q = &mut sums[lay.q..lay.q + c];
        for (q, (w, l)) in q.iter_mut().zip(hi.iter().zip(lli)) {
            *q += weight(*w) * l;
        }
    }
    if let Weights::Fixed(_) = spec.weights {
        sums.copy_within(lay.q..lay.q + c, lay.q_prev);
    }

    // Gradients and information matrices of the weighted class likelihoods.
    if spec.gradient {
        // Padding tasks keep weight 0.
        s.w.clear();
        s.w.resize(nt, 0.0);
        sized(&mut s.wp, jm * nt);
        if spec.information {
            let cb = &mut s.chunk;
            let m = CHUNK;
            sized(&mut cb.wd, jm * m);
            for v in [&mut cb.tail, &mut cb.alpha, &mut cb.gamma] {
                sized(v, m);
            }
            sized(&mut cb.z, k * m);
            sized(&mut cb.u, k.div_ceil(4) * 4 * jm * m);
        }
        for cl in 0..c {
            let mut any = false;
            for r in 0..nb {
                let w = weight(h[r * c + cl]);
                any |= w > 0.0;
                s.w[local(r)].iter_mut().for_each(|v| *v = w);
            }
            if !any {
                continue;
            }
            let p = &s.p[cl * jm * nt..(cl + 1) * jm * nt];
            for (wp, pj) in s.wp.chunks_exact_mut(nt).zip(p.chunks_exact(nt)) {
                wp.iter_mut()
                    .zip(pj.iter().zip(&s.w))
                    .for_each(|(o, (p, w))| *o = p * w);
            }
            // g = −Σ_j X̃_j′ (w ∘ p_j).
            let g = &mut sums[lay.gradient + cl * k..lay.gradient + (cl + 1) * k];
            for (j, wp) in s.wp.chunks_exact(nt).enumerate() {
                dots::<M>(wp, slot(j), nt, g);
            }
            g.iter_mut().for_each(|v| *v = -*v);
            if !spec.information {
                continue;
            }
            // The tasks of the respondents that weigh in, CHUNK at a time.
            let at = lay.information + cl * k * k;
            let info = &mut sums[at..at + k * k];
            let pc = &s.pc[cl * nt..(cl + 1) * nt];
            let src = ChunkSource {
                x: xb,
                nt,
                k,
                jm,
                p,
                pc,
                w: &s.w,
            };
            s.pieces.clear();
            let mut fill = 0;
            for r in 0..nb {
                if h[r * c + cl] < INFORMATION_MIN {
                    continue;
                }
                let mut tasks = local(r);
                while !tasks.is_empty() {
                    let take = tasks.len().min(CHUNK - fill);
                    // Runs of respondents that weigh in make one piece.
                    match s.pieces.last_mut() {
                        Some(last) if last.0 + last.1 == tasks.start => last.1 += take,
                        _ => s.pieces.push((tasks.start, take)),
                    }
                    tasks.start += take;
                    fill += take;
                    if fill == CHUNK {
                        information_chunk::<M>(&src, &s.pieces, &mut s.chunk, info);
                        s.pieces.clear();
                        fill = 0;
                    }
                }
            }
            if fill > 0 {
                information_chunk::<M>(&src, &s.pieces, &mut s.chunk, info);
            }
        }
    }

    // Respondent scores s_i: ∂/∂β_c = −h_ic Σ_t Σ_j p_j x̃_j, ∂/∂γ_c = h_ic − π_c; their sum and
    // the sum of their outer products (by the kernel of the information matrices).
    if let Some(shares) = spec.scores {
        let np = c * k + c - 1;
        let nb4 = nb.div_ceil(4) * 4;
        s.sc.clear();
        s.sc.resize(np.div_ceil(4) * 4 * nb4, 0.0);
        s.ones.clear();
        s.ones.resize(nb4, 0.0);
        s.ones[..nb].iter_mut().for_each(|v| *v = 1.0);
        sized(&mut s.y, k * nt);
        for cl in 0..c {
            let p = &s.p[cl * jm * nt..(cl + 1) * jm * nt];
            mean_columns::<M>(xb, p, k, nt, &mut s.y);
            for (a, y) in s.y.chunks_exact(nt).enumerate() {
                let col = &mut s.sc[(cl * k + a) * nb4..(cl * k + a + 1) * nb4];
                for (r, v) in col[..nb].iter_mut().enumerate() {
                    *v = -h[r * c + cl] * run_sum(&y[local(r)]);
                }
            }
        }
        for cl in 0..c - 1 {
            let col = &mut s.sc[(c * k + cl) * nb4..(c * k + cl + 1) * nb4];
            for (r, v) in col[..nb].iter_mut().enumerate() {
                *v = h[r * c + cl] - shares[cl];
            }
        }
        let score = &mut sums[lay.score..lay.score + np];
        for (total, col) in score.iter_mut().zip(s.sc.chunks_exact(nb4)) {
            *total = col.iter().sum();
        }
        let opg = &mut sums[lay.opg..lay.opg + np * np];
        gram_lower::<M>(&s.ones, &s.sc, np, nb4, opg);
    }
    sums
}

/// What [`information_chunk`] gathers from: the block's columns (jm·k columns of nt tasks) and
/// the class's probabilities (jm × nt), chosen probabilities and task weights.
struct ChunkSource<'a> {
    x: &'a [f64],
    nt: usize,
    k: usize,
    jm: usize,
    p: &'a [f64],
    pc: &'a [f64],
    w: &'a [f64],
}

/// Adds the information Σ_t w_t Σ_j D_j u_j u_j′ of the tasks in `pieces` (at most CHUNK) to
/// `info` (lower triangle). diag(p) − pp′ over the non-chosen slots is L D L′ with
/// D_j = p_j r_j / r_{j−1}, r_j = p_chosen + Σ_{l>j} p_l, and column j of L gives
/// u_j = x̃_j − z_j, z_j = Σ_{l>j} p_l x̃_l / r_j; the slots are run from the last down with
/// z_{j−1} = (r_j z_j + p_j x̃_j) / r_{j−1}. Every term is a weighted outer product: no
/// cancellation.
#[inline(always)]
fn information_chunk<M: Isa>(
    src: &ChunkSource,
    pieces: &[(usize, usize)],
    cb: &mut Chunk,
    info: &mut [f64],
) {
    let (k, jm, nt) = (src.k, src.jm, src.nt);
    let m: usize = pieces.iter().map(|p| p.1).sum();
    let m4 = m.div_ceil(4) * 4;
    let stride = jm * CHUNK;
    // Every loop below runs over the pieces, reading the block's arrays where the pieces lie
    // and writing the chunk's packed ones (a separate gather would be a string of tiny copies).
    for j in (0..jm).rev() {
        let pj = &src.p[j * nt..(j + 1) * nt];
        let wd = &mut cb.wd[j * m4..(j + 1) * m4];
        let mut at = 0;
        for &(t0, n) in pieces {
            let tasks = t0..t0 + n;
            let out = wd[at..at + n]
                .iter_mut()
                .zip(cb.tail[at..at + n].iter_mut())
                .zip(
                    cb.alpha[at..at + n]
                        .iter_mut()
                        .zip(cb.gamma[at..at + n].iter_mut()),
                );
            let from = pj[tasks.clone()].iter().zip(&src.w[tasks.clone()]);
            // The tail r_j starts at p_chosen (slot jm − 1) and then grows by p_j.
            let first = (j + 1 == jm).then(|| &src.pc[tasks]);
            for (i, (((wd, tail), (al, ga)), (p, w))) in out.zip(from).enumerate() {
                let r = first.map_or(*tail, |pc| pc[i]);
                let next = r + p;
                let inv = 1.0 / next;
                *al = r * inv;
                *ga = p * inv;
                *wd = w * p * *al;
                *tail = next;
            }
            at += n;
        }
        wd[m..].iter_mut().for_each(|v| *v = 0.0);
        for a in 0..k {
            let x = &src.x[(j * k + a) * nt..(j * k + a + 1) * nt];
            let u = &mut cb.u[a * stride + j * m4..a * stride + (j + 1) * m4];
            let z = &mut cb.z[a * m4..(a + 1) * m4];
            let mut at = 0;
            for &(t0, n) in pieces {
                let x = &x[t0..t0 + n];
                let coef = cb.alpha[at..at + n].iter().zip(&cb.gamma[at..at + n]);
                let (u, z) = (&mut u[at..at + n], &mut z[at..at + n]);
                match (j + 1 == jm, j > 0) {
                    // z_{jm−1} = 0: u is x̃ itself.
                    (true, true) => {
                        for ((u, z), (x, (_, g))) in u.iter_mut().zip(z).zip(x.iter().zip(coef)) {
                            *u = *x;
                            *z = g * x;
                        }
                    }
                    (true, false) => u.copy_from_slice(x),
                    (false, true) => {
                        for ((u, z), (x, (al, g))) in u.iter_mut().zip(z).zip(x.iter().zip(coef)) {
                            *u = x - *z;
                            *z = M::madd(*al, *z, g * x);
                        }
                    }
                    (false, false) => {
                        for ((u, z), x) in u.iter_mut().zip(z.iter()).zip(x) {
                            *u = x - z;
                        }
                    }
                }
                at += n;
            }
            u[m..].iter_mut().for_each(|v| *v = 0.0);
        }
    }
    gram_lower::<M>(&cb.wd[..jm * m4], &cb.u, k, stride, info);
}

/// The utilities of slot j under G classes: for class g (coefficients `beta[g·k..(g + 1)·k]`),
/// `out[g·jm·n + j·n + τ] = Σ_a β_ga x_a[τ]` over the columns x_a = `x[a·n..(a + 1)·n]` (n a
/// multiple of 8), eight tasks at a time with the G sums in registers.
#[inline(always)]
fn utilities<M: Isa, const G: usize>(
    x: &[f64],
    n: usize,
    beta: &[f64],
    j: usize,
    jm: usize,
    out: &mut [f64],
) {
    let k = beta.len() / G;
    for q in 0..n / 8 {
        let mut acc = [[0.0f64; 8]; G];
        for (a, col) in x.chunks_exact(n).take(k).enumerate() {
            let xs = &col[8 * q..8 * q + 8];
            for (g, acc) in acc.iter_mut().enumerate() {
                let b = beta[g * k + a];
                for l in 0..8 {
                    acc[l] = M::madd(b, xs[l], acc[l]);
                }
            }
        }
        for (g, acc) in acc.iter().enumerate() {
            let at = g * jm * n + j * n + 8 * q;
            out[at..at + 8].copy_from_slice(acc);
        }
    }
}

/// y_a = Σ_j p_j ∘ x̃_ja for the columns of a block (`x`: jm·k columns of n tasks, n a multiple
/// of 8; `p`: jm × n), eight tasks at a time.
#[inline(always)]
fn mean_columns<M: Isa>(x: &[f64], p: &[f64], k: usize, n: usize, y: &mut [f64]) {
    let jm = p.len() / n;
    for q in 0..n / 8 {
        for (a, ya) in y.chunks_exact_mut(n).take(k).enumerate() {
            let mut acc = [0.0f64; 8];
            for j in 0..jm {
                let xs = &x[(j * k + a) * n + 8 * q..(j * k + a) * n + 8 * q + 8];
                let ps = &p[j * n + 8 * q..j * n + 8 * q + 8];
                for l in 0..8 {
                    acc[l] = M::madd(ps[l], xs[l], acc[l]);
                }
            }
            ya[8 * q..8 * q + 8].copy_from_slice(&acc);
        }
    }
}

/// Σ_t (m_t + ln S_t) over a respondent's tasks, where S_t ∈ [1, J]: four interleaved products of
/// the S_t (short dependency chains), taken to the logarithm whenever one could approach
/// overflow, and one logarithm at the end.
#[inline(always)]
fn log_sums(shift: &[f64], sums: &[f64]) -> f64 {
    let (mut prod, mut add) = ([1.0f64; 4], [0.0f64; 4]);
    let mut logs = 0.0;
    let (s4, m4) = (sums.chunks_exact(4), shift.chunks_exact(4));
    let (sr, mr) = (s4.remainder(), m4.remainder());
    for (s, m) in s4.zip(m4) {
        for l in 0..4 {
            prod[l] *= s[l];
            add[l] += m[l];
        }
        // Each factor is at most J, so four products below 1e60·J stay finite.
        if prod.iter().any(|p| *p > 1e60) {
            logs += ((prod[0] * prod[1]) * (prod[2] * prod[3])).ln();
            prod = [1.0; 4];
        }
    }
    for (l, (s, m)) in sr.iter().zip(mr).enumerate() {
        prod[l] *= s;
        add[l] += m;
    }
    lanes(&add) + logs + ((prod[0] * prod[1]) * (prod[2] * prod[3])).ln()
}

/// Σ v with four partial sums (a run of a respondent's tasks).
#[inline(always)]
fn run_sum(v: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks = v.chunks_exact(4);
    let rest: f64 = chunks.remainder().iter().sum();
    for c in chunks {
        for l in 0..4 {
            acc[l] += c[l];
        }
    }
    lanes(&acc) + rest
}

/// The sum of four partial sums, in a fixed order.
#[inline(always)]
fn lanes(a: &[f64; 4]) -> f64 {
    (a[0] + a[2]) + (a[1] + a[3])
}

/// `out[a] += Σ_ρ y[ρ] x_a[ρ]` over the columns x_a = `x[a·n..(a + 1)·n]` (n a multiple of 4).
#[inline(always)]
fn dots<M: Isa>(y: &[f64], x: &[f64], n: usize, out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if M::AVX2 {
        // SAFETY: `M::AVX2` holds only in the build that runs on CPUs with AVX2 and FMA.
        return unsafe { dots_avx2(y, x, n, out) };
    }
    dots_portable(y, x, n, out)
}

#[inline(always)]
fn dots_portable(y: &[f64], x: &[f64], n: usize, out: &mut [f64]) {
    for (col, o) in x.chunks_exact(n).zip(out.iter_mut()) {
        let mut acc = [0.0f64; 4];
        for (ys, xs) in y.chunks_exact(4).zip(col.chunks_exact(4)) {
            for l in 0..4 {
                acc[l] += ys[l] * xs[l];
            }
        }
        *o += lanes(&acc);
    }
}

/// [`dots`] with AVX2 + FMA, four columns at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn dots_avx2(y: &[f64], x: &[f64], n: usize, out: &mut [f64]) {
    use std::arch::x86_64::*;
    let m = out.len().min(x.len().checked_div(n).unwrap_or(0));
    if n % 4 != 0 || y.len() < n {
        return dots_portable(y, x, n, out);
    }
    let sum = |v: __m256d| {
        let mut a = [0.0f64; 4];
        // SAFETY: `a` holds four values.
        unsafe { _mm256_storeu_pd(a.as_mut_ptr(), v) };
        lanes(&a)
    };
    let (yp, xp) = (y.as_ptr(), x.as_ptr());
    let mut a = 0;
    while a + 4 <= m {
        let mut acc = [_mm256_setzero_pd(); 4];
        for i in (0..n).step_by(4) {
            // SAFETY: i + 4 ≤ n ≤ y.len(), and column a + c < m ends at (a + c + 1)·n ≤ x.len().
            unsafe {
                let yv = _mm256_loadu_pd(yp.add(i));
                for (c, acc) in acc.iter_mut().enumerate() {
                    *acc = _mm256_fmadd_pd(yv, _mm256_loadu_pd(xp.add((a + c) * n + i)), *acc);
                }
            }
        }
        for (c, acc) in acc.iter().enumerate() {
            out[a + c] += sum(*acc);
        }
        a += 4;
    }
    while a < m {
        let mut acc = _mm256_setzero_pd();
        for i in (0..n).step_by(4) {
            // SAFETY: as above.
            unsafe {
                acc = _mm256_fmadd_pd(
                    _mm256_loadu_pd(yp.add(i)),
                    _mm256_loadu_pd(xp.add(a * n + i)),
                    acc,
                );
            }
        }
        out[a] += sum(acc);
        a += 1;
    }
}

/// `info[a·k + b] += Σ_ρ wd[ρ] u_a[ρ] u_b[ρ]` for b ≤ a < k (the lower triangle), over the
/// columns u_a = `u[a·stride..a·stride + len]` (len = wd.len(), a multiple of 4); `u` holds k
/// rounded up to a multiple of 4 columns. The columns past k are read but only enter sums that
/// are dropped, so their contents do not matter.
#[inline(always)]
fn gram_lower<M: Isa>(wd: &[f64], u: &[f64], k: usize, stride: usize, info: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if M::AVX2 {
        // SAFETY: `M::AVX2` holds only in the build that runs on CPUs with AVX2 and FMA.
        return unsafe { gram_lower_avx2(wd, u, k, stride, info) };
    }
    gram_lower_portable(wd, u, k, stride, info)
}

#[inline(always)]
fn gram_lower_portable(wd: &[f64], u: &[f64], k: usize, stride: usize, info: &mut [f64]) {
    let len = wd.len();
    for a in 0..k {
        let x = &u[a * stride..a * stride + len];
        for b in 0..=a {
            let y = &u[b * stride..b * stride + len];
            let mut acc = [0.0f64; 4];
            for ((ws, xs), ys) in wd
                .chunks_exact(4)
                .zip(x.chunks_exact(4))
                .zip(y.chunks_exact(4))
            {
                for l in 0..4 {
                    acc[l] += ws[l] * xs[l] * ys[l];
                }
            }
            info[a * k + b] += lanes(&acc);
        }
    }
}

/// [`gram_lower`] with AVX2 + FMA: tiles of 2 × 4 columns whose eight sums stay in registers
/// (a tile on the diagonal also computes a few entries above it, which are dropped).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn gram_lower_avx2(wd: &[f64], u: &[f64], k: usize, stride: usize, info: &mut [f64]) {
    use std::arch::x86_64::*;
    let len = wd.len();
    let kp = k.div_ceil(4) * 4;
    if len % 4 != 0 || len > stride || u.len() < kp * stride || info.len() < k * k {
        return gram_lower_portable(wd, u, k, stride, info);
    }
    let (wp, up) = (wd.as_ptr(), u.as_ptr());
    for a in (0..k).step_by(2) {
        for b in (0..=(a + 1).min(k - 1)).step_by(4) {
            let mut acc = [_mm256_setzero_pd(); 8];
            for i in (0..len).step_by(4) {
                // SAFETY: a + 1 < kp and b + 3 < kp (b is a multiple of 4 below k), so every
                // column read ends by (kp − 1)·stride + len ≤ u.len(); i + 4 ≤ len = wd.len().
                unsafe {
                    let w = _mm256_loadu_pd(wp.add(i));
                    let x0 = _mm256_mul_pd(w, _mm256_loadu_pd(up.add(a * stride + i)));
                    let x1 = _mm256_mul_pd(w, _mm256_loadu_pd(up.add((a + 1) * stride + i)));
                    for c in 0..4 {
                        let y = _mm256_loadu_pd(up.add((b + c) * stride + i));
                        acc[c] = _mm256_fmadd_pd(x0, y, acc[c]);
                        acc[4 + c] = _mm256_fmadd_pd(x1, y, acc[4 + c]);
                    }
                }
            }
            for (t, acc) in acc.iter().enumerate() {
                let (ra, cb) = (a + t / 4, b + t % 4);
                if ra < k && cb <= ra {
                    let mut v = [0.0f64; 4];
                    // SAFETY: `v` holds four values.
                    unsafe { _mm256_storeu_pd(v.as_mut_ptr(), *acc) };
                    info[ra * k + cb] += lanes(&v);
                }
            }
        }
    }
}

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
        let mut t: Vec<f64> = dirs
            .iter()
            .map(|d| if d.is_some() { 1.0 } else { 0.0 })
            .collect();
        let (trial, next) = loop {
            let mut trial = coef.clone();
            for (cl, dir) in dirs.iter().enumerate() {
                if let Some(dir) = dir {
                    trial[cl * k..(cl + 1) * k]
                        .iter_mut()
                        .zip(dir)
                        .for_each(|(b, d)| *b += t[cl] * d);
                }
            }
            let weights = if e_step {
                Weights::Posterior {
                    log_shares: &log_pi,
                    prev: Some(&h),
                }
            } else {
                Weights::Fixed(&h)
            };
            let next = ds.pass(&Spec {
                n_classes: c,
                beta: &trial,
                weights,
                gradient: true,
                information: refresh,
                scores: None,
            });
            // Q_c must not fall under the weights of this M-step; a class whose step fails is
            // halved (and given up below 1e-6, leaving its β_c and Q_c exactly as they were).
            let mut ok = true;
            for (t, (new, old)) in t.iter_mut().zip(next.q_prev.iter().zip(&st.q)) {
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
                break (trial, next);
            }
        };
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
            h.copy_from_slice(&st.h);
            shares = column_means(&h, c);
            gain = ll - loglik;
            loglik = ll;
            let done = history.len() > 1 && exact && gain <= params.tol * (1.0 + ll.abs());
            if done || history.len() > params.max_iter {
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

fn shares_from_logits(gamma: &[f64]) -> Vec<f64> {
    let m = gamma.iter().cloned().fold(0.0, f64::max);
    let mut e: Vec<f64> = gamma.iter().map(|g| (g - m).exp()).collect();
    e.push((-m).exp());
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// Fits the latent-class MNL. The tasks of respondent i are `respondents[i]..respondents[i + 1]`
/// (contiguous).
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
    let ds = Design::new(d, respondents);
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
            em(&ds, h, &params)
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
        mut history,
        ..
    } = best;
    // BHHH finish on θ = (β, γ). Every pass at a trial point also gives the scores there, so an
    // accepted step costs one pass.
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
        let Ok(l) = linalg::cholesky(&at.opg, p) else {
            break;
        };
        let total = &at.score;
        let mut step = total.clone();
        linalg::cholesky_solve(&l, p, &mut step);
        let dec: f64 = step.iter().zip(total).map(|(a, b)| a * b).sum();
        covariance = linalg::cholesky_inverse(&l, p);
        if dec * 0.5 <= params.tol.min(1e-8) || it == 20 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conjoint::mnl;

    /// Long choice data with planted classes (respondent i in class i % C): `sizes` cycles the
    /// number of alternatives per task, `tasks` the number of tasks per respondent.
    struct Data {
        k: usize,
        x: Vec<f64>,
        starts: Vec<usize>,
        chosen: Vec<usize>,
        respondents: Vec<usize>,
    }

    impl Data {
        fn planted(
            n: usize,
            tasks: &[usize],
            sizes: &[usize],
            classes: &[&[f64]],
            seed: u64,
        ) -> Data {
            let k = classes[0].len();
            let mut s = Stream::new(seed, 0);
            let (mut x, mut starts, mut chosen, mut respondents) =
                (Vec::new(), vec![0], Vec::new(), vec![0]);
            let mut t = 0;
            for i in 0..n {
                let beta = classes[i % classes.len()];
                for _ in 0..tasks[i % tasks.len()] {
                    let j = sizes[t % sizes.len()];
                    let base = *starts.last().unwrap_or(&0);
                    let mut best = (f64::NEG_INFINITY, base);
                    for a in 0..j {
                        let row: Vec<f64> = (0..k)
                            .map(|c| {
                                if c + 1 == k {
                                    1.0 + 2.0 * s.uniform()
                                } else {
                                    (s.uniform() * 3.0).floor() - 1.0
                                }
                            })
                            .collect();
                        let u = linalg::dot(&row, beta) - (-s.uniform().ln()).ln();
                        if u > best.0 {
                            best = (u, base + a);
                        }
                        x.extend(row);
                    }
                    starts.push(base + j);
                    chosen.push(best.1);
                    t += 1;
                }
                respondents.push(t);
            }
            Data {
                k,
                x,
                starts,
                chosen,
                respondents,
            }
        }

        fn choice(&self) -> ChoiceData<'_> {
            ChoiceData {
                x: &self.x,
                k: self.k,
                starts: &self.starts,
                chosen: &self.chosen,
                weights: None,
            }
        }
    }

    const CLASSES: [&[f64]; 3] = [
        &[1.0, -0.5, 0.3, -2.0],
        &[-1.0, 0.8, 0.0, -0.5],
        &[0.2, 0.2, -1.2, -1.0],
    ];

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * (1.0 + a.abs().max(b.abs()))
    }

    /// With given weights, the pass's Q_c, gradients and information matrices equal the
    /// weighted conditional logit's statistics (mnl::loglik_stats, task weights = the
    /// respondent's weight; for the information, 0 below INFORMATION_MIN), on uneven tasks (2–4 alternatives, so padded slots) and respondents
    /// with 1–5 tasks spread over several blocks, with small and with large utilities.
    #[test]
    fn fixed_pass_equals_the_weighted_mnl_statistics() {
        let data = Data::planted(37, &[3, 1, 5, 2, 4], &[3, 2, 4, 3], &CLASSES, 7);
        check_fixed_pass(&data, 37);
        // Binary choices and a single parameter.
        let data = Data::planted(25, &[4, 7], &[2], &[&[1.0], &[-0.5], &[0.2]], 3);
        check_fixed_pass(&data, 25);
    }

    fn check_fixed_pass(data: &Data, n: usize) {
        let d = data.choice();
        let (c, k) = (3, d.k);
        let mut s = Stream::new(8, 0);
        let h: Vec<f64> = (0..n * c)
            .map(|i| match i % 11 {
                0 => 0.0,
                5 => 1e-13,
                8 => INFORMATION_MIN * 0.1,
                _ => s.uniform(),
            })
            .collect();
        let unit: Vec<f64> = (0..c * k).map(|_| s.uniform() * 2.0 - 1.0).collect();
        let ds = Design::new(&d, &data.respondents);
        // Small utilities (unshifted exponentials) and large ones (shifted).
        for scale in [1.0, 40.0] {
            let beta: Vec<f64> = unit.iter().map(|b| b * scale).collect();
            let out = ds.pass(&Spec {
                n_classes: c,
                beta: &beta,
                weights: Weights::Fixed(&h),
                gradient: true,
                information: true,
                scores: None,
            });
            for cl in 0..c {
                let w: Vec<f64> = (0..n)
                    .flat_map(|i| {
                        let v = weight(h[i * c + cl]);
                        (data.respondents[i]..data.respondents[i + 1]).map(move |_| v)
                    })
                    .collect();
                let dw = ChoiceData {
                    weights: Some(&w),
                    ..d
                };
                let b = &beta[cl * k..(cl + 1) * k];
                let want = mnl::loglik_stats(&dw, b, true);
                let got = out.q[cl];
                assert!(
                    close(got, want.loglik, 1e-12),
                    "{scale}: {got} {}",
                    want.loglik
                );
                for (a, b) in out.gradient[cl * k..].iter().zip(&want.gradient) {
                    assert!(close(*a, *b, 1e-10), "{scale}: {a} {b}");
                }
                // The information leaves out respondents below INFORMATION_MIN.
                let wi: Vec<f64> = w
                    .iter()
                    .map(|&v| if v < INFORMATION_MIN { 0.0 } else { v })
                    .collect();
                let di = ChoiceData {
                    weights: Some(&wi),
                    ..d
                };
                let want = mnl::loglik_stats(&di, b, true);
                for (a, b) in out.information[cl * k * k..].iter().zip(&want.information) {
                    assert!(close(*a, *b, 1e-10), "{scale}: {a} {b}");
                }
            }
        }
    }

    /// With posterior weights, the pass gives the marginal log-likelihood, the posteriors and
    /// the sum and outer products of the respondent scores of a direct computation.
    #[test]
    fn posterior_pass_gives_likelihood_posteriors_and_scores() {
        let data = Data::planted(21, &[4, 2, 3], &[2, 3, 4], &CLASSES, 9);
        let d = data.choice();
        let (n, c, k) = (21, 3, d.k);
        let beta: Vec<f64> = CLASSES
            .iter()
            .flat_map(|b| b.iter().map(|v| 0.8 * v))
            .collect();
        let shares = [0.5, 0.3, 0.2];
        let ds = Design::new(&d, &data.respondents);
        let out = ds.pass(&Spec {
            n_classes: c,
            beta: &beta,
            weights: Weights::Posterior {
                log_shares: &log_shares(&shares),
                prev: None,
            },
            gradient: false,
            information: false,
            scores: Some(&shares),
        });
        let np = c * k + c - 1;
        let mut total = 0.0;
        let (mut score, mut opg) = (vec![0.0; np], vec![0.0; np * np]);
        for i in 0..n {
            let tasks = data.respondents[i]..data.respondents[i + 1];
            let ll: Vec<f64> = (0..c)
                .map(|cl| {
                    let b = &beta[cl * k..(cl + 1) * k];
                    tasks
                        .clone()
                        .map(|t| {
                            let u: Vec<f64> = (d.starts[t]..d.starts[t + 1])
                                .map(|r| linalg::dot(&d.x[r * k..(r + 1) * k], b))
                                .collect();
                            let lse = u.iter().map(|v| v.exp()).sum::<f64>().ln();
                            u[d.chosen[t] - d.starts[t]] - lse
                        })
                        .sum()
                })
                .collect();
            let joint: Vec<f64> = (0..c).map(|cl| shares[cl] * ll[cl].exp()).collect();
            let marginal: f64 = joint.iter().sum();
            total += marginal.ln();
            // The respondent's score in θ = (β, γ).
            let mut si = vec![0.0; np];
            let mut p = Vec::new();
            for cl in 0..c {
                let hi = joint[cl] / marginal;
                assert!(close(out.h[i * c + cl], hi, 1e-12));
                for t in tasks.clone() {
                    let b = &beta[cl * k..(cl + 1) * k];
                    mnl::task_score(&d, b, t, hi, &mut si[cl * k..(cl + 1) * k], &mut p);
                }
                if cl + 1 < c {
                    si[c * k + cl] = hi - shares[cl];
                }
            }
            for a in 0..np {
                score[a] += si[a];
                for b in 0..np {
                    opg[a * np + b] += si[a] * si[b];
                }
            }
        }
        for (a, b) in out.score.iter().zip(&score) {
            assert!(close(*a, *b, 1e-11), "{a} {b}");
        }
        for (a, b) in out.opg.iter().zip(&opg) {
            assert!(close(*a, *b, 1e-11), "{a} {b}");
        }
        assert!(close(out.loglik, total, 1e-13), "{} {total}", out.loglik);
    }

    fn params(c: usize) -> LcParams {
        LcParams {
            n_classes: c,
            n_starts: 3,
            max_iter: 500,
            tol: 1e-8,
            newton_steps: 1,
            seed: 3,
        }
    }

    /// Planted classes come back; the log-likelihood never falls along the history; the fit is
    /// bit-identical on 1 and 3 threads.
    #[test]
    fn recovers_planted_classes_the_same_on_any_thread_count() {
        let data = Data::planted(240, &[10], &[3], &CLASSES, 11);
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map(|pool| pool.install(|| fit(&data.choice(), &data.respondents, params(3))))
        };
        let (Ok(Ok(a)), Ok(Ok(b))) = (run(1), run(3)) else {
            panic!("fit failed");
        };
        assert_eq!(a.loglik.to_bits(), b.loglik.to_bits());
        assert!(a
            .coef
            .iter()
            .zip(&b.coef)
            .all(|(x, y)| x.to_bits() == y.to_bits()));
        assert!(a
            .membership
            .iter()
            .zip(&b.membership)
            .all(|(x, y)| x.to_bits() == y.to_bits()));
        assert!(
            a.history.windows(2).all(|w| w[1] >= w[0]),
            "{:?}",
            a.history
        );
        let k = data.k;
        for truth in CLASSES {
            let err = (0..3)
                .map(|cl| {
                    a.coef[cl * k..(cl + 1) * k]
                        .iter()
                        .zip(truth)
                        .map(|(x, y)| (x - y).abs())
                        .fold(0.0, f64::max)
                })
                .fold(f64::INFINITY, f64::min);
            assert!(err < 0.5, "{truth:?} {:?}", a.coef);
        }
        assert_eq!(a.covariance.len(), (3 * k + 2) * (3 * k + 2));
    }

    /// One class is the conditional logit.
    #[test]
    fn one_class_is_the_mnl() {
        let data = Data::planted(60, &[6], &[3, 2], &CLASSES, 12);
        let d = data.choice();
        let lc = fit(&d, &data.respondents, params(1)).unwrap();
        let names: Vec<String> = (0..d.k).map(|j| format!("b{j}")).collect();
        let m = mnl::fit(
            &d,
            None,
            mnl::MnlParams {
                max_iter: 50,
                tol: 1e-12,
            },
            &names,
        )
        .unwrap();
        assert!(
            close(lc.loglik, m.loglik, 1e-10),
            "{} {}",
            lc.loglik,
            m.loglik
        );
        for (a, b) in lc.coef.iter().zip(&m.coef) {
            assert!((a - b).abs() < 1e-6, "{:?} {:?}", lc.coef, m.coef);
        }
        assert!(lc.membership.iter().all(|&v| v == 1.0));
    }

    /// Timing of the passes (one thread) and of a fit from one start (one and two threads) on
    /// the benchmark's shape (1,000 respondents × 12 tasks × 3 alternatives, 10 parameters,
    /// 3 classes), best of several runs:
    /// `cargo test --release --lib latent::tests::timing -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn timing() {
        let b1: &[f64] = &[0.2, 0.0, -0.3, 0.0, -0.3, 0.0, 0.5, 0.0, -0.2, -4.0];
        let b2: &[f64] = &[0.0, 0.0, -2.0, 0.3, -1.8, 0.3, 0.0, 0.0, -0.8, -0.8];
        let b3: &[f64] = &[2.0, -0.5, -0.5, 0.0, -0.3, 0.0, -1.5, 0.0, -0.3, -1.5];
        let data = Data::planted(1000, &[12], &[3], &[b1, b2, b3], 2);
        let d = data.choice();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        pool.install(|| {
            let ds = Design::new(&d, &data.respondents);
            let beta: Vec<f64> = [b1, b2, b3].concat();
            let shares = [0.3, 0.3, 0.4];
            let lp = log_shares(&shares);
            let h = ds
                .pass(&Spec {
                    n_classes: 3,
                    beta: &beta,
                    weights: Weights::Posterior {
                        log_shares: &lp,
                        prev: None,
                    },
                    gradient: false,
                    information: false,
                    scores: None,
                })
                .h;
            for (name, gradient, information, scores) in [
                ("likelihood", false, false, false),
                ("gradient", true, false, false),
                ("information", true, true, false),
                ("scores", false, false, true),
            ] {
                let spec = Spec {
                    n_classes: 3,
                    beta: &beta,
                    weights: Weights::Posterior {
                        log_shares: &lp,
                        prev: Some(&h),
                    },
                    gradient,
                    information,
                    scores: scores.then_some(&shares[..]),
                };
                let mut best = f64::INFINITY;
                for _ in 0..200 {
                    let t = std::time::Instant::now();
                    std::hint::black_box(ds.pass(&spec));
                    best = best.min(t.elapsed().as_secs_f64());
                }
                eprintln!("{name:>12}: {:.3} ms", best * 1e3);
            }
            let one = LcParams {
                n_starts: 1,
                ..params(3)
            };
            let f = fit(&d, &data.respondents, one).unwrap();
            eprintln!("EM iterations {}, {} in all", f.n_em, f.history.len());
            for threads in [1, 2] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let mut best = f64::INFINITY;
                for _ in 0..20 {
                    let t = std::time::Instant::now();
                    let f = pool.install(|| fit(&d, &data.respondents, one));
                    best = best.min(t.elapsed().as_secs_f64());
                    std::hint::black_box(f.ok());
                }
                eprintln!("fit, 1 start, {threads} thread(s): {:.3} ms", best * 1e3);
            }
        });
    }
}
