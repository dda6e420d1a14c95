//! Respondents side by side in SIMD lanes: the layout of the hierarchical model's Metropolis step.
//!
//! Four respondents with the same number of tasks and alternatives form a group; every value of
//! the step (coefficients, utilities, normals, log-likelihoods) is a `[f64; LANES]` holding one
//! number per respondent, so the loops run over whole vectors with no remainders and no
//! horizontal sums. A group short of four respondents is filled with ghost lanes, copies of its
//! first respondent that are computed and thrown away.

// Loops over the lanes index several `[f64; LANES]` values in step.
#![allow(clippy::needless_range_loop)]

use super::kernel::{exp_clamped, Differences};
use crate::simd::Isa;

pub const LANES: usize = 4;

/// One number per lane.
pub type V = [f64; LANES];

/// The difference rows of [`Differences`] regrouped lane by lane.
#[derive(Debug, Clone, Default)]
pub struct LaneGroups {
    pub k: usize,
    /// `source[g * LANES + l]`: the respondent whose data lane `l` of group `g` holds.
    pub source: Vec<usize>,
    /// 1.0 for a real lane, 0.0 for a ghost.
    pub real: Vec<V>,
    /// Difference rows and tasks of each group.
    pub rows: Vec<usize>,
    pub tasks: Vec<usize>,
    /// Group g's rows start at `x[offsets[g] * k]`, in the tiles of [`tiles`]: tile (t, W) holds
    /// rows t..t + W column by column at `x[(offsets[g] + t) * k..(offsets[g] + t + W) * k]`, so
    /// that the utilities read the data in one sequential sweep.
    pub offsets: Vec<usize>,
    pub x: Vec<V>,
    /// `x` in single precision when that is exact (effects and dummy codes, prices in halves…),
    /// which halves the data the utilities stream through; `x` is then empty.
    pub x32: Vec<[f32; LANES]>,
    /// One 0/1 weight per row and lane (at `mask[offsets[g]..]`), empty when no task is short.
    pub mask: Vec<V>,
    /// The lane of each respondent: `position[i] = g * LANES + l`.
    pub position: Vec<usize>,
    /// The slow exact path for a lane whose utilities are huge.
    diffs: Differences,
}

impl LaneGroups {
    /// Groups the respondents of `diffs` by their (tasks, rows) shape, in respondent order
    /// within a shape.
    pub fn new(diffs: Differences) -> Self {
        let k = diffs.k;
        let n = diffs.rows.len().saturating_sub(1);
        let shape = |i: usize| {
            (
                diffs.tasks[i + 1] - diffs.tasks[i],
                diffs.rows[i + 1] - diffs.rows[i],
            )
        };
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| shape(i));
        let mut groups = Vec::new();
        for run in order.chunk_by(|&a, &b| shape(a) == shape(b)) {
            groups.extend(run.chunks(LANES).map(|c| c.to_vec()));
        }
        let mut out = LaneGroups {
            k,
            position: vec![0; n],
            ..Default::default()
        };
        let masked = !diffs.mask.is_empty();
        let mut offset = 0;
        for (g, members) in groups.iter().enumerate() {
            let (n_tasks, n_rows) = shape(members[0]);
            out.rows.push(n_rows);
            out.tasks.push(n_tasks);
            out.offsets.push(offset);
            let mut real = [0.0; LANES];
            let mut x = vec![[0.0; LANES]; n_rows * k];
            let mut mask = vec![[1.0; LANES]; if masked { n_rows } else { 0 }];
            for l in 0..LANES {
                let i = members.get(l).copied().unwrap_or(members[0]);
                out.source.push(i);
                if l < members.len() {
                    real[l] = 1.0;
                    out.position[i] = g * LANES + l;
                }
                let r0 = diffs.rows[i];
                let src = &diffs.d[r0 * k..(r0 + n_rows) * k]; // column-major
                for (t, w) in tiles(n_rows) {
                    for c in 0..k {
                        for row in t..t + w {
                            x[t * k + c * w + (row - t)][l] = src[c * n_rows + row];
                        }
                    }
                }
                for (dst, src) in mask.iter_mut().zip(diffs.mask.get(r0..).unwrap_or(&[])) {
                    dst[l] = *src;
                }
            }
            out.real.push(real);
            out.x.extend(x);
            out.mask.extend(mask);
            offset += n_rows;
        }
        if out.x.iter().flatten().all(|&v| f64::from(v as f32) == v) {
            out.x32 = out.x.iter().map(|r| r.map(|v| v as f32)).collect();
            out.x = Vec::new();
        }
        out.diffs = diffs;
        out
    }

    pub fn n_groups(&self) -> usize {
        self.rows.len()
    }

    /// The most rows of a group (the scratch length of [`LaneGroups::loglik`]).
    pub fn max_rows(&self) -> usize {
        self.rows.iter().copied().max().unwrap_or(0)
    }

    /// Each lane's Σ_t log P(chosen_t | β) over its tasks, with `beta[c]` the lanes' c-th
    /// coefficients; `v` is scratch of [`LaneGroups::max_rows`]. As [`Differences::loglik`]:
    /// utilities in register tiles, one exp per row, per-task sums 1 + Σ_s e^{ṽ}, one logarithm
    /// of their product; a lane with a sum above 1e50 is recomputed by the exact shifted path.
    #[inline(always)]
    pub fn loglik<M: Isa>(&self, g: usize, beta: &[V], v: &mut [V]) -> V {
        let (n, n_tasks, k) = (self.rows[g], self.tasks[g], self.k);
        let off = self.offsets[g];
        let v = &mut v[..n];
        if self.x.is_empty() {
            utilities::<M, f32>(beta, &self.x32[off * k..(off + n) * k], k, v);
        } else {
            utilities::<M, f64>(beta, &self.x[off * k..(off + n) * k], k, v);
        }
        // (Plain loops: `array::map` and closures passed to std may not be inlined into the
        // AVX2 build, and `mul_add` outside it is a library call.)
        for row in v.iter_mut() {
            for e in row.iter_mut() {
                *e = exp_clamped::<M>(*e);
            }
        }
        if !self.mask.is_empty() {
            for (row, w) in v.iter_mut().zip(&self.mask[off..off + n]) {
                for l in 0..LANES {
                    row[l] *= w[l];
                }
            }
        }
        // Task t's sum 1 + Σ_s e^{ṽ_st} into v[t] (row t is slot 0 of task t, read just before),
        // and the largest sum.
        let slots = n.checked_div(n_tasks).unwrap_or(0);
        let mut largest = [0.0; LANES];
        for t in 0..n_tasks {
            let mut sum = [1.0; LANES];
            for s in 0..slots {
                let e = &v[s * n_tasks + t];
                for l in 0..LANES {
                    sum[l] += e[l];
                }
            }
            for l in 0..LANES {
                largest[l] = if sum[l] > largest[l] {
                    sum[l]
                } else {
                    largest[l]
                };
            }
            v[t] = sum;
        }
        if largest.iter().any(|&m| m > 1e50) {
            let mut ll = [0.0; LANES];
            self.exact(g, beta, &mut ll);
            return ll;
        }
        // Products of up to five sums (each ≤ 1e50) at a time, rescaled through their logarithm
        // when above 1e50, so they stay finite.
        let (mut prod, mut logs) = ([1.0; LANES], [0.0; LANES]);
        for chunk in v[..n_tasks].chunks(5) {
            for sum in chunk {
                for l in 0..LANES {
                    prod[l] *= sum[l];
                }
            }
            if prod.iter().any(|&p| p > 1e50) {
                for l in 0..LANES {
                    logs[l] += prod[l].ln();
                    prod[l] = 1.0;
                }
            }
        }
        let mut ll = [0.0; LANES];
        for l in 0..LANES {
            ll[l] = -(logs[l] + prod[l].ln());
        }
        ll
    }

    /// Recomputes every lane of group `g` by the scalar path, which handles any utilities.
    #[cold]
    fn exact(&self, g: usize, beta: &[V], ll: &mut V) {
        let mut b = vec![0.0; self.k];
        let mut v = vec![0.0; self.diffs.max_rows()];
        for (l, out) in ll.iter_mut().enumerate() {
            for (bc, lanes) in b.iter_mut().zip(beta) {
                *bc = lanes[l];
            }
            let i = self.source[g * LANES + l];
            *out = self.diffs.loglik(i, &b, &mut v);
        }
    }
}

/// The row tiles of a group of `n` rows: (first row, width), widths 8, then 4, then 1.
#[inline(always)]
fn tiles(n: usize) -> impl Iterator<Item = (usize, usize)> {
    let mut t = 0;
    std::iter::from_fn(move || {
        let w = match n - t {
            0 => return None,
            8.. => 8,
            4..8 => 4,
            _ => 1,
        };
        t += w;
        Some((t - w, w))
    })
}

/// A stored model-matrix value.
trait Elem: Copy {
    fn get(self) -> f64;
}

impl Elem for f64 {
    #[inline(always)]
    fn get(self) -> f64 {
        self
    }
}

impl Elem for f32 {
    #[inline(always)]
    fn get(self) -> f64 {
        f64::from(self)
    }
}

/// Utilities of a group's `n = v.len()` rows stored in tiles (see [`LaneGroups::offsets`]).
#[inline(always)]
fn utilities<M: Isa, E: Elem>(beta: &[V], x: &[[E; LANES]], k: usize, v: &mut [V]) {
    for (t, w) in tiles(v.len()) {
        let x = &x[t * k..(t + w) * k];
        match w {
            8 => utility_tile::<M, E, 8>(beta, x, &mut v[t..t + 8]),
            4 => utility_tile::<M, E, 4>(beta, x, &mut v[t..t + 4]),
            _ => utility_tile::<M, E, 1>(beta, x, &mut v[t..t + 1]),
        }
    }
}

/// Utilities of one tile of W rows (`x`: its k columns of W rows) into `v` (W rows); the sums
/// stay in registers over the columns.
#[inline(always)]
fn utility_tile<M: Isa, E: Elem, const W: usize>(beta: &[V], x: &[[E; LANES]], v: &mut [V]) {
    let mut acc = [[0.0; LANES]; W];
    for (b, col) in beta.iter().zip(x.chunks_exact(W)) {
        for (a, xr) in acc.iter_mut().zip(col) {
            for l in 0..LANES {
                a[l] = M::madd(b[l], xr[l].get(), a[l]);
            }
        }
    }
    v.copy_from_slice(&acc);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{Avx2, Portable};

    /// Seven respondents of two shapes (3 tasks × 2 slots, and 2 tasks with a short task): the
    /// lanes' log-likelihoods equal the scalar ones, ghosts included, huge utilities included.
    #[test]
    fn lanes_match_the_scalar_loglik() {
        let k = 3;
        let mut x = Vec::new();
        let (mut starts, mut chosen, mut tasks) = (vec![0], Vec::new(), vec![0]);
        let mut seed = 1u64;
        let mut rnd = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            ((seed >> 33) as f64 / (1u64 << 31) as f64) - 0.5
        };
        for i in 0..7 {
            let sizes: &[usize] = if i % 3 == 1 { &[3, 2] } else { &[3, 3, 3] };
            for (t, &m) in sizes.iter().enumerate() {
                let r0 = starts[starts.len() - 1];
                for _ in 0..m * k {
                    x.push(rnd() * 2.0);
                }
                chosen.push(r0 + (i + t) % m);
                starts.push(r0 + m);
            }
            tasks.push(chosen.len());
        }
        // Then the same values rounded to halves: exact in single precision.
        let halves: Vec<f64> = x.iter().map(|v| (2.0 * v).round() / 2.0).collect();
        for (x, single) in [(&x, false), (&halves, true)] {
            check_lanes(x, k, &starts, &chosen, &tasks, single);
        }
    }

    fn check_lanes(
        x: &[f64],
        k: usize,
        starts: &[usize],
        chosen: &[usize],
        tasks: &[usize],
        single: bool,
    ) {
        let diffs = Differences::new(x, k, starts, chosen, tasks);
        let lanes = LaneGroups::new(diffs.clone());
        assert_eq!(lanes.n_groups(), 3); // 5 of one shape (4 + 1), 2 of the other
        assert_eq!(lanes.x.is_empty(), single);
        let mut v = vec![[0.0; LANES]; lanes.max_rows()];
        let mut vs = vec![0.0; diffs.max_rows()];
        for scale in [1.0, 200.0] {
            for g in 0..lanes.n_groups() {
                let beta: Vec<V> = (0..k)
                    .map(|c| std::array::from_fn(|l| scale * (0.3 * c as f64 - 0.2 * l as f64)))
                    .collect();
                let a = lanes.loglik::<Portable>(g, &beta, &mut v);
                // The AVX2 build's arithmetic, where the CPU has it (the Isa contract).
                let b = if crate::simd::has_avx2_fma() {
                    lanes.loglik::<Avx2>(g, &beta, &mut v)
                } else {
                    a
                };
                for l in 0..LANES {
                    let i = lanes.source[g * LANES + l];
                    let bl: Vec<f64> = beta.iter().map(|c| c[l]).collect();
                    let want = diffs.loglik(i, &bl, &mut vs);
                    let tol = 1e-12 * (1.0 + want.abs());
                    assert!((a[l] - want).abs() < tol && (b[l] - want).abs() < tol);
                }
            }
        }
        for i in 0..7 {
            assert_eq!(lanes.source[lanes.position[i]], i);
        }
    }
}
