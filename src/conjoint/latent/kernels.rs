//! The kernels of the fused pass over a block of respondents: the utilities of up to four
//! classes per sweep over the columns, the probability-weighted column sums of the scores, the
//! per-respondent log-likelihood sums, and the information matrix of a chunk of tasks by the
//! LDL′ recursion (its weighted Gram matrix is `linalg::gram_lower`).
//!
//! Each is `#[inline(always)]` and generic over [`Isa`], so it is compiled into both builds of
//! the pass (`pass::block_pass`).

use crate::linalg;
use crate::simd::Isa;

/// Tasks per chunk of an information matrix: a chunk's gathered vectors (k·(J − 1)·CHUNK values)
/// stay in cache while their outer products are summed.
pub(super) const CHUNK: usize = 128;

/// A chunk of tasks gathered for an information matrix: m tasks padded to m4, a multiple of 4.
#[derive(Default)]
pub(super) struct Chunk {
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

impl Chunk {
    /// Room for a chunk of [`CHUNK`] tasks of `jm` slots and `k` columns.
    pub(super) fn size_for(&mut self, k: usize, jm: usize) {
        let m = CHUNK;
        sized(&mut self.wd, jm * m);
        for v in [&mut self.tail, &mut self.alpha, &mut self.gamma] {
            sized(v, m);
        }
        sized(&mut self.z, k * m);
        sized(&mut self.u, k.div_ceil(4) * 4 * jm * m);
    }
}

/// Sets the length of a buffer whose every used element is written before it is read.
pub(super) fn sized(v: &mut Vec<f64>, n: usize) {
    v.resize(n, 0.0);
}

/// What [`information_chunk`] gathers from: the block's columns (jm·k columns of nt tasks) and
/// the class's probabilities (jm × nt), chosen probabilities and task weights.
pub(super) struct ChunkSource<'a> {
    pub x: &'a [f64],
    pub nt: usize,
    pub k: usize,
    pub jm: usize,
    pub p: &'a [f64],
    pub pc: &'a [f64],
    pub w: &'a [f64],
}

/// Adds the information Σ_t w_t Σ_j D_j u_j u_j′ of the tasks in `pieces` (at most CHUNK) to
/// `info` (lower triangle). diag(p) − pp′ over the non-chosen slots is L D L′ with
/// D_j = p_j r_j / r_{j−1}, r_j = p_chosen + Σ_{l>j} p_l, and column j of L gives
/// u_j = x̃_j − z_j, z_j = Σ_{l>j} p_l x̃_l / r_j; the slots are run from the last down with
/// z_{j−1} = (r_j z_j + p_j x̃_j) / r_{j−1}. Every term is a weighted outer product: no
/// cancellation.
#[inline(always)]
pub(super) fn information_chunk<M: Isa>(
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
    linalg::gram_lower::<M>(&cb.wd[..jm * m4], &cb.u, k, stride, info);
}

/// The utilities of slot j under G classes: for class g (coefficients `beta[g·k..(g + 1)·k]`),
/// `out[g·jm·n + j·n + τ] = Σ_a β_ga x_a[τ]` over the columns x_a = `x[a·n..(a + 1)·n]` (n a
/// multiple of 8), eight tasks at a time with the G sums in registers.
#[inline(always)]
pub(super) fn utilities<M: Isa, const G: usize>(
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
pub(super) fn mean_columns<M: Isa>(x: &[f64], p: &[f64], k: usize, n: usize, y: &mut [f64]) {
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
pub(super) fn log_sums(shift: &[f64], sums: &[f64]) -> f64 {
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
    linalg::sum_lanes(&add) + logs + ((prod[0] * prod[1]) * (prod[2] * prod[3])).ln()
}
