//! The fused pass over the respondents: one sweep that gives, at given class coefficients, every
//! respondent's likelihood under every class, the posteriors (or given weights), the weighted
//! class log-likelihoods Q_c, their gradients and information matrices, and the respondents'
//! scores — whatever the [`Spec`] asks for. Blocks of respondents run in parallel; their sums
//! are added along a tree fixed by the number of blocks (the same result on any thread count).

use super::design::{BlockView, Design, BLOCK};
use super::kernels::{
    information_chunk, log_sums, mean_columns, sized, utilities, Chunk, ChunkSource, CHUNK,
};
use crate::conjoint::kernel;
use crate::linalg;
use crate::simd::{dispatch_avx2, Isa};

/// Posteriors below this do not weigh in the M-step: a respondent that surely belongs elsewhere
/// would change a class's statistics by less than 1e-12 of a respondent.
pub(super) const MIN_WEIGHT: f64 = 1e-12;

#[inline(always)]
pub(super) fn weight(h: f64) -> f64 {
    if h < MIN_WEIGHT {
        0.0
    } else {
        h
    }
}

/// When no utility difference x̃_j′β of a block exceeds this (and tasks have fewer than 1,000
/// alternatives), the exponentials are taken unshifted and the chosen alternative's term is
/// exactly 1: one exponential fewer per task. Every task sum then stays below J·e³⁰, which keeps
/// the products in [`log_sums`] finite.
const UNSHIFTED: f64 = 30.0;

/// Respondents whose posterior in a class is below this are left out of the class's information
/// matrix (not of its gradient or Q_c). The matrix only sets the direction of the Newton step,
/// so this changes EM's path by a negligible amount and never its fixed point; late in EM, when
/// the classes have separated, it skips a part of the work.
pub(super) const INFORMATION_MIN: f64 = 1e-4;

/// How the pass weighs the respondents of each class.
#[derive(Clone, Copy)]
pub(super) enum Weights<'a> {
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
pub(super) struct Spec<'a> {
    pub n_classes: usize,
    /// Coefficients, classes × k.
    pub beta: &'a [f64],
    pub weights: Weights<'a>,
    /// Gradients of the weighted class log-likelihoods Q_c.
    pub gradient: bool,
    /// Their information matrices (needs `gradient`).
    pub information: bool,
    /// At these class shares: the sum and the sum of outer products of the respondents' scores
    /// in θ = (β_1..β_C, γ_1..γ_{C−1}).
    pub scores: Option<&'a [f64]>,
}

/// The results of a pass.
#[derive(Debug, Clone)]
pub(super) struct Pass {
    /// Marginal log-likelihood (posterior weights only).
    pub loglik: f64,
    /// Q_c = Σ_i w_ic log L_ic under the pass's weights (w = h without negligible values).
    pub q: Vec<f64>,
    /// Q_c under `prev` (posterior weights with `prev` only).
    pub q_prev: Vec<f64>,
    /// Classes × k.
    pub gradient: Vec<f64>,
    /// Classes × k × k.
    pub information: Vec<f64>,
    /// The weights of the pass (n × C): the posteriors, or a copy of the given weights.
    pub h: Vec<f64>,
    /// The score Σ_i s_i (length P = C·k + C − 1) and Σ_i s_i s_i′ (P × P).
    pub score: Vec<f64>,
    pub opg: Vec<f64>,
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

/// One pass: the design, what is asked of it and where the block sums go.
struct Job<'a> {
    ds: &'a Design<'a>,
    spec: &'a Spec<'a>,
    lay: Layout,
}

impl Design<'_> {
    /// One pass over all the respondents.
    pub(super) fn pass(&self, spec: &Spec) -> Pass {
        let (c, k) = (spec.n_classes, self.k);
        let np = c * k + c - 1;
        let job = Job {
            ds: self,
            spec,
            lay: Layout::new(spec, k),
        };
        let lay = &job.lay;
        let mut h = vec![0.0; self.n() * c];
        let sums = fold(&job, 0, self.n_blocks(), &mut h);
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
            linalg::symmetrize(info, k);
        }
        if out.opg.len() == np * np {
            linalg::symmetrize(&mut out.opg, np);
        }
        out
    }
}

/// The sums of blocks `first..first + count` (writing their weights to `h`): halves in parallel,
/// added along a binary tree whose shape depends only on the number of blocks, so the result is
/// the same on any number of threads.
fn fold(job: &Job, first: usize, count: usize, h: &mut [f64]) -> Vec<f64> {
    if count == 0 {
        return vec![0.0; job.lay.len];
    }
    if count == 1 {
        return SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut s) => block_pass(job, first, &mut s, h),
            Err(_) => block_pass(job, first, &mut Scratch::default(), h),
        });
    }
    let mid = count / 2;
    let (a, b) = h.split_at_mut((mid * BLOCK * job.spec.n_classes).min(h.len()));
    let (mut left, right) = rayon::join(
        || fold(job, first, mid, a),
        || fold(job, first + mid, count - mid, b),
    );
    left.iter_mut().zip(&right).for_each(|(a, b)| *a += b);
    left
}

dispatch_avx2! {
    /// The fused pass over block `b` (the AVX2 + FMA build when the CPU has it): writes the
    /// block's weights (posteriors, or a copy of the given ones) to `h` and returns its sums
    /// (see [`Layout`]).
    fn block_pass => generic block_pass_impl;
        (job: &Job, b: usize, s: &mut Scratch, h: &mut [f64]) -> Vec<f64>
}

#[inline(always)]
fn block_pass_impl<M: Isa>(job: &Job, b: usize, s: &mut Scratch, h: &mut [f64]) -> Vec<f64> {
    let (spec, lay) = (job.spec, &job.lay);
    let blk = job.ds.block(b);
    let c = spec.n_classes;
    sized(&mut s.p, c * blk.jm * blk.nt);
    sized(&mut s.pc, c * blk.nt);
    sized(&mut s.mx, blk.nt);
    sized(&mut s.sum, blk.nt);
    sized(&mut s.ll, blk.nb * c);
    class_utilities::<M>(&blk, spec, &mut s.p);
    for cl in 0..c {
        class_probabilities::<M>(&blk, c, cl, s);
    }
    let mut sums = vec![0.0; lay.len];
    block_weights::<M>(&blk, spec, lay, &s.ll, h, &mut sums);
    if spec.gradient {
        block_gradients::<M>(&blk, spec, lay, s, h, &mut sums);
    }
    if let Some(shares) = spec.scores {
        block_scores::<M>(&blk, c, shares, lay, s, h, &mut sums);
    }
    sums
}

/// Utilities x̃_j′β_c of every class into `p` (C × jm × nt), reading each column once for up to
/// four classes.
#[inline(always)]
fn class_utilities<M: Isa>(blk: &BlockView, spec: &Spec, p: &mut [f64]) {
    let (k, jm, nt, c) = (blk.k, blk.jm, blk.nt, spec.n_classes);
    for j in 0..jm {
        let mut c0 = 0;
        while c0 < c {
            let g = (c - c0).min(4);
            let (x, beta) = (blk.slot(j), &spec.beta[c0 * k..(c0 + g) * k]);
            let out = &mut p[c0 * jm * nt..(c0 + g) * jm * nt];
            match g {
                1 => utilities::<M, 1>(x, nt, beta, j, jm, out),
                2 => utilities::<M, 2>(x, nt, beta, j, jm, out),
                3 => utilities::<M, 3>(x, nt, beta, j, jm, out),
                _ => utilities::<M, 4>(x, nt, beta, j, jm, out),
            }
            c0 += g;
        }
    }
}

/// Class `cl`'s choice probabilities (in place of its utilities in `s.p`, the chosen ones in
/// `s.pc`) and the respondents' log-likelihoods under it (`s.ll`).
#[inline(always)]
fn class_probabilities<M: Isa>(blk: &BlockView, c: usize, cl: usize, s: &mut Scratch) {
    let (jm, nt) = (blk.jm, blk.nt);
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
        if let Some(mask) = blk.mask {
            pj.iter_mut()
                .zip(&mask[j * nt..(j + 1) * nt])
                .for_each(|(v, m)| *v *= m);
        }
        s.sum.iter_mut().zip(pj.iter()).for_each(|(t, v)| *t += v);
    }
    for r in 0..blk.nb {
        let tasks = blk.tasks(r);
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

/// The block's weights into `h` (posteriors, or the given weights), and into `sums` the
/// marginal log-likelihood and Q_c (also under `prev`).
#[inline(always)]
fn block_weights<M: Isa>(
    blk: &BlockView,
    spec: &Spec,
    lay: &Layout,
    ll: &[f64],
    h: &mut [f64],
    sums: &mut [f64],
) {
    let c = spec.n_classes;
    for r in 0..blk.nb {
        let i = blk.first + r;
        let lli = &ll[r * c..(r + 1) * c];
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
}

/// Gradients (and information matrices) of the weighted class likelihoods into `sums`.
#[inline(always)]
fn block_gradients<M: Isa>(
    blk: &BlockView,
    spec: &Spec,
    lay: &Layout,
    s: &mut Scratch,
    h: &[f64],
    sums: &mut [f64],
) {
    let (k, jm, nt, c) = (blk.k, blk.jm, blk.nt, spec.n_classes);
    // Padding tasks keep weight 0.
    s.w.clear();
    s.w.resize(nt, 0.0);
    sized(&mut s.wp, jm * nt);
    if spec.information {
        s.chunk.size_for(k, jm);
    }
    for cl in 0..c {
        let mut any = false;
        for r in 0..blk.nb {
            let w = weight(h[r * c + cl]);
            any |= w > 0.0;
            s.w[blk.tasks(r)].iter_mut().for_each(|v| *v = w);
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
            linalg::dot_columns::<M>(wp, blk.slot(j), nt, g);
        }
        g.iter_mut().for_each(|v| *v = -*v);
        if spec.information {
            let at = lay.information + cl * k * k;
            class_information::<M>(blk, c, cl, s, h, &mut sums[at..at + k * k]);
        }
    }
}

/// Class `cl`'s information matrix (lower triangle) from the tasks of the respondents that weigh
/// in, [`CHUNK`] tasks at a time.
#[inline(always)]
fn class_information<M: Isa>(
    blk: &BlockView,
    c: usize,
    cl: usize,
    s: &mut Scratch,
    h: &[f64],
    info: &mut [f64],
) {
    let (jm, nt) = (blk.jm, blk.nt);
    let src = ChunkSource {
        x: blk.x,
        nt,
        k: blk.k,
        jm,
        p: &s.p[cl * jm * nt..(cl + 1) * jm * nt],
        pc: &s.pc[cl * nt..(cl + 1) * nt],
        w: &s.w,
    };
    s.pieces.clear();
    let mut fill = 0;
    for r in 0..blk.nb {
        if h[r * c + cl] < INFORMATION_MIN {
            continue;
        }
        let mut tasks = blk.tasks(r);
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

/// Respondent scores s_i: ∂/∂β_c = −h_ic Σ_t Σ_j p_j x̃_j, ∂/∂γ_c = h_ic − π_c; their sum and
/// the sum of their outer products (by the kernel of the information matrices) into `sums`.
#[inline(always)]
fn block_scores<M: Isa>(
    blk: &BlockView,
    c: usize,
    shares: &[f64],
    lay: &Layout,
    s: &mut Scratch,
    h: &[f64],
    sums: &mut [f64],
) {
    let (k, jm, nt, nb) = (blk.k, blk.jm, blk.nt, blk.nb);
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
        mean_columns::<M>(blk.x, p, k, nt, &mut s.y);
        for (a, y) in s.y.chunks_exact(nt).enumerate() {
            let col = &mut s.sc[(cl * k + a) * nb4..(cl * k + a + 1) * nb4];
            for (r, v) in col[..nb].iter_mut().enumerate() {
                *v = -h[r * c + cl] * linalg::sum4(&y[blk.tasks(r)]);
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
    linalg::gram_lower::<M>(&s.ones, &s.sc, np, nb4, opg);
}
