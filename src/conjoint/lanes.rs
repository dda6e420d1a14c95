//! Respondents side by side in SIMD lanes: the layout of the hierarchical model's Metropolis step.
//!
//! Eight respondents with the same number of tasks and alternatives form a group; every value of
//! the step (coefficients, utilities, normals, log-likelihoods) is a `[f64; LANES]` holding one
//! number per respondent (one AVX-512 register, two AVX2 ones), so the loops run over whole
//! vectors with no remainders and no horizontal sums. A group short of eight respondents is
//! filled with ghost lanes, copies of its first respondent that are computed and thrown away.

// Loops over the lanes index several `[f64; LANES]` values in step.
#![allow(clippy::needless_range_loop)]

use super::kernel::Differences;
use crate::simd::Isa;

pub const LANES: usize = 8;

/// One number per lane.
pub type V = [f64; LANES];

/// The sum of the lanes, in a fixed pairwise order.
#[inline(always)]
pub fn lane_sum(a: &V) -> f64 {
    ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))
}

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
    /// `x` in single precision when that is exact (prices in hundredths…), which halves the data
    /// the utilities stream through; `x` is then empty.
    pub x32: Vec<[f32; LANES]>,
    /// `x` as small integers when every column is a power of two times integers in −127..=127
    /// (effects and dummy codes, their differences, prices in halves…), a quarter of the single
    /// precision data: the utilities of a large panel are bound by the memory they stream
    /// through. Column c holds x / `scale[c]`; the utilities multiply β_c·`scale[c]` (exact: a
    /// power of two) by the integers, which gives every product, and so every utility, bit for
    /// bit as from `x`. `x` and `x32` are then empty.
    pub x8: Vec<[i8; LANES]>,
    pub scale: Vec<f64>,
    /// One 0/1 weight per row and lane (at `mask[offsets[g]..]`), empty when no task is short.
    pub mask: Vec<V>,
    /// The lane of each respondent: `position[i] = g * LANES + l`.
    pub position: Vec<usize>,
    /// The upper-level covariates lane by lane: `z[g * q + a]` holds covariate a of group g's
    /// lanes (ghosts copy their respondent's), so that the steps load them as vectors (see
    /// [`LaneGroups::set_covariates`]; empty until then).
    pub z: Vec<V>,
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
        let values = out
            .column_runs()
            .flat_map(|(run, c)| out.x[run].iter().flat_map(move |r| r.map(|v| (v, c))));
        if let Some(scale) = small_integer_scales(values, k) {
            let mut x8 = vec![[0i8; LANES]; out.x.len()];
            for (run, c) in out.column_runs() {
                for (d, r) in x8[run.clone()].iter_mut().zip(&out.x[run]) {
                    *d = r.map(|v| (v / scale[c]) as i8);
                }
            }
            out.x8 = x8;
            out.scale = scale;
            out.x = Vec::new();
        } else if out.x.iter().flatten().all(|&v| f64::from(v as f32) == v) {
            out.x32 = out.x.iter().map(|r| r.map(|v| v as f32)).collect();
            out.x = Vec::new();
        }
        out.diffs = diffs;
        out
    }

    /// The stored values column by column: (positions, column) for every column of every tile
    /// — tile (t, W) of group g holds column c at `(offsets[g] + t)·k + c·W..` (W values).
    fn column_runs(&self) -> impl Iterator<Item = (std::ops::Range<usize>, usize)> + '_ {
        let k = self.k;
        self.rows
            .iter()
            .zip(&self.offsets)
            .flat_map(move |(&n_rows, &offset)| {
                tiles(n_rows).flat_map(move |(t, w)| {
                    (0..k).map(move |c| {
                        let at = (offset + t) * k + c * w;
                        (at..at + w, c)
                    })
                })
            })
    }

    pub fn n_groups(&self) -> usize {
        self.rows.len()
    }

    /// The scratch length of [`LaneGroups::loglik`]: the most rows of a group, and k.
    pub fn scratch_len(&self) -> usize {
        self.rows.iter().copied().max().unwrap_or(0) + self.k
    }

    /// Each lane's Σ_t log P(chosen_t | β) over its tasks, with `beta[c]` the lanes' c-th
    /// coefficients; `v` is scratch of [`LaneGroups::scratch_len`]. As [`Differences::loglik`]:
    /// utilities in register tiles, one exp per row, per-task sums 1 + Σ_s e^{ṽ}, one logarithm
    /// of their product; a lane with a sum above 1e50 is recomputed by the exact shifted path.
    #[inline(always)]
    pub fn loglik<M: Isa>(&self, g: usize, beta: &[V], v: &mut [V]) -> V {
        let (n, n_tasks, k) = (self.rows[g], self.tasks[g], self.k);
        let off = self.offsets[g];
        let (v, scaled) = v.split_at_mut(n);
        if !self.x8.is_empty() {
            let scaled = &mut scaled[..k];
            for ((sc, &b), &s) in scaled.iter_mut().zip(beta).zip(&self.scale) {
                *sc = M::mul8(b, [s; LANES]);
            }
            utilities::<M, i8>(scaled, &self.x8[off * k..(off + n) * k], k, v);
        } else if self.x.is_empty() {
            utilities::<M, f32>(beta, &self.x32[off * k..(off + n) * k], k, v);
        } else {
            utilities::<M, f64>(beta, &self.x[off * k..(off + n) * k], k, v);
        }
        // (Plain loops: `array::map` and closures passed to std may not be inlined into the
        // AVX2 build, and `mul_add` outside it is a library call.)
        for row in v.iter_mut() {
            *row = M::exp8(*row);
        }
        if !self.mask.is_empty() {
            for (row, &w) in v.iter_mut().zip(&self.mask[off..off + n]) {
                *row = M::mul8(*row, w);
            }
        }
        // Task t's sum 1 + Σ_s e^{ṽ_st} into v[t] (row t is slot 0 of task t, read just before),
        // and the largest sum.
        let slots = n.checked_div(n_tasks).unwrap_or(0);
        let mut largest = [0.0; LANES];
        for t in 0..n_tasks {
            let mut sum = [1.0; LANES];
            for s in 0..slots {
                sum = M::add8(sum, v[s * n_tasks + t]);
            }
            largest = M::max8(sum, largest);
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
            for &sum in chunk {
                prod = M::mul8(prod, sum);
            }
            if prod.iter().any(|&p| p > 1e50) {
                logs = M::add8(logs, M::ln8(prod));
                prod = [1.0; LANES];
            }
        }
        M::sub8([0.0; LANES], M::add8(logs, M::ln8(prod)))
    }

    /// Stores the upper-level covariates (n_respondents × `q`, row-major) lane by lane in
    /// [`LaneGroups::z`].
    pub fn set_covariates(&mut self, z: &[f64], q: usize) {
        let mut out = vec![[0.0; LANES]; self.n_groups() * q];
        for (g, zg) in out.chunks_exact_mut(q.max(1)).enumerate() {
            for (a, za) in zg.iter_mut().enumerate() {
                for l in 0..LANES {
                    za[l] = z[self.source[g * LANES + l] * q + a];
                }
            }
        }
        self.z = out;
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

/// The power-of-two scale of each of `k` columns that makes every value of the column an integer
/// in −127..=127, if there is one for every column: 2^e for e the smallest exponent of a value's
/// lowest set bit (1 for a column of zeros). `values` yields (value, column). The exponents are
/// kept within ±60 so that β_c·2^e neither overflows nor loses bits for any β the sampler meets.
fn small_integer_scales(values: impl Iterator<Item = (f64, usize)>, k: usize) -> Option<Vec<f64>> {
    let mut low = vec![i32::MAX; k];
    let mut high = vec![0.0f64; k];
    for (v, c) in values {
        if !v.is_finite() {
            return None;
        }
        if v == 0.0 {
            continue;
        }
        let bits = v.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32;
        let mant = bits & ((1u64 << 52) - 1);
        // v = ±m·2^(exp − 1075) with m the significand (the implicit bit unless subnormal).
        let (m, e) = if exp == 0 {
            (mant, -1074)
        } else {
            (mant | (1u64 << 52), exp - 1075)
        };
        low[c] = low[c].min(e + m.trailing_zeros() as i32);
        high[c] = high[c].max(v.abs());
    }
    low.iter()
        .zip(&high)
        .map(|(&e, &h)| {
            if e == i32::MAX {
                return Some(1.0);
            }
            let scale = (-60..=60).contains(&e).then(|| 2f64.powi(e))?;
            (h <= 127.0 * scale).then_some(scale)
        })
        .collect()
}

/// The row tiles of a group of `n` rows: (first row, width), widths 4, then 1 (four rows of
/// eight lanes keep their sums in four AVX-512 registers, or eight AVX2 ones).
#[inline(always)]
fn tiles(n: usize) -> impl Iterator<Item = (usize, usize)> {
    let mut t = 0;
    std::iter::from_fn(move || {
        let w = match n - t {
            0 => return None,
            4.. => 4,
            _ => 1,
        };
        t += w;
        Some((t - w, w))
    })
}

/// A stored model-matrix value.
trait Elem: Copy {
    /// Four lanes as `f64` (exact).
    fn get8<M: Isa>(x: [Self; LANES]) -> V;
}

impl Elem for f64 {
    #[inline(always)]
    fn get8<M: Isa>(x: [f64; LANES]) -> V {
        x
    }
}

impl Elem for i8 {
    #[inline(always)]
    fn get8<M: Isa>(x: [i8; LANES]) -> V {
        M::from_i8x8(x)
    }
}

impl Elem for f32 {
    #[inline(always)]
    fn get8<M: Isa>(x: [f32; LANES]) -> V {
        M::from_f32x8(x)
    }
}

/// Utilities of a group's `n = v.len()` rows stored in tiles (see [`LaneGroups::offsets`]).
#[inline(always)]
fn utilities<M: Isa, E: Elem>(beta: &[V], x: &[[E; LANES]], k: usize, v: &mut [V]) {
    for (t, w) in tiles(v.len()) {
        let x = &x[t * k..(t + w) * k];
        match w {
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
    for (&b, col) in beta.iter().zip(x.chunks_exact(W)) {
        for (a, &xr) in acc.iter_mut().zip(col) {
            *a = M::madd8(b, E::get8::<M>(xr), *a);
        }
    }
    v.copy_from_slice(&acc);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{Avx2, Avx512, Portable};

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
        // Values in 1/1024ths up to ±1000 (their differences are exact in single precision and
        // too large for small integers: stored as f32), then the values rounded to halves
        // (stored as small integers with the scale 1/2).
        let single: Vec<f64> = x.iter().map(|v| (v * 1024e3).round() / 1024.0).collect();
        let halves: Vec<f64> = x.iter().map(|v| (2.0 * v).round() / 2.0).collect();
        for (x, storage) in [(&x, 64), (&single, 32), (&halves, 8)] {
            check_lanes(x, k, &starts, &chosen, &tasks, storage);
        }
    }

    /// The power-of-two scales: the lowest set bit over the column, refused when a value is
    /// above 127 times it or the exponent is out of range.
    #[test]
    fn small_integer_scales_are_powers_of_two() {
        let scales = |cols: &[&[f64]]| {
            let values = cols
                .iter()
                .enumerate()
                .flat_map(|(c, col)| col.iter().map(move |&v| (v, c)));
            small_integer_scales(values, cols.len())
        };
        assert_eq!(
            scales(&[&[0.5, -1.5, 2.0], &[0.0], &[256.0, -512.0, 32_512.0]]),
            Some(vec![0.5, 1.0, 256.0])
        );
        assert_eq!(scales(&[&[-127.0, 127.0, 3.0]]), Some(vec![1.0]));
        assert_eq!(scales(&[&[1.0, 128.0]]), None); // 128 = 128·2⁰
        assert_eq!(scales(&[&[0.25, 40.0]]), None); // 40 = 160·2⁻²
        assert_eq!(scales(&[&[0.1]]), None); // 0.1 is no small multiple of its lowest set bit
        assert_eq!(scales(&[&[2f64.powi(-61)]]), None);
        assert_eq!(scales(&[&[f64::NAN]]), None);
    }

    fn check_lanes(
        x: &[f64],
        k: usize,
        starts: &[usize],
        chosen: &[usize],
        tasks: &[usize],
        storage: usize,
    ) {
        let diffs = Differences::new(x, k, starts, chosen, tasks);
        let lanes = LaneGroups::new(diffs.clone());
        assert_eq!(lanes.n_groups(), 2); // 5 of one shape, 2 of the other (ghosts fill each)
        let stored = [
            (64, lanes.x.len()),
            (32, lanes.x32.len()),
            (8, lanes.x8.len()),
        ];
        for (bits, len) in stored {
            assert_eq!(len > 0, bits == storage, "{bits}-bit storage");
        }
        // The same values stored in double precision give every log-likelihood bit for bit.
        let mut wide = lanes.clone();
        wide.x = if storage == 64 {
            std::mem::take(&mut wide.x)
        } else if storage == 8 {
            let mut x = vec![[0.0; LANES]; lanes.x8.len()];
            for (run, c) in lanes.column_runs() {
                for (d, r) in x[run.clone()].iter_mut().zip(&lanes.x8[run]) {
                    *d = r.map(|v| f64::from(v) * lanes.scale[c]);
                }
            }
            wide.x8 = Vec::new();
            x
        } else {
            std::mem::take(&mut wide.x32)
                .iter()
                .map(|r| r.map(f64::from))
                .collect()
        };
        let mut w = vec![[0.0; LANES]; lanes.scratch_len()];
        let mut v = vec![[0.0; LANES]; lanes.scratch_len()];
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
                let wide_a = wide.loglik::<Portable>(g, &beta, &mut w);
                assert_eq!(a.map(f64::to_bits), wide_a.map(f64::to_bits));
                if crate::simd::has_avx2_fma() {
                    let wide_b = wide.loglik::<Avx2>(g, &beta, &mut w);
                    assert_eq!(b.map(f64::to_bits), wide_b.map(f64::to_bits));
                }
                // The AVX-512 build rounds as the AVX2 one: the same bits.
                if crate::simd::has_avx512() {
                    let c = lanes.loglik::<Avx512>(g, &beta, &mut v);
                    assert_eq!(b.map(f64::to_bits), c.map(f64::to_bits));
                }
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
