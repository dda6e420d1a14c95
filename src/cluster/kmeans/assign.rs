//! The fused assignment pass of k-means: centres packed in tiles, a register-blocked
//! multiply-add over 4 rows at a time (an AVX2 + FMA build through [`dispatch_avx2!`]), the
//! argmin and the per-cluster accumulation, over fixed chunks of rows merged in order.

use crate::parallel::fold_rows_mut;
use crate::simd::{dispatch_avx2, Isa};
use ndarray::ArrayView2;

/// Rows handled together by the register-blocked distance kernel.
pub(super) const ROWS: usize = 4;

/// Centres laid out for the kernel: tiles of `width` centres, within a tile feature-major, so one
/// feature of one row is multiplied against `width` contiguous centre coordinates.
pub(super) struct Packed {
    pub k: usize,
    pub d: usize,
    pub width: usize,
    pub tiles: usize,
    /// tiles × d × width
    pub coords: Vec<f64>,
    /// ‖c‖² per padded centre; +inf for the padding so it never wins
    pub norms: Vec<f64>,
    /// k × d, row-major
    pub rows: Vec<f64>,
}

impl Packed {
    pub(super) fn new(centers: ArrayView2<'_, f64>) -> Self {
        let (k, d) = centers.dim();
        let width = if k <= 4 { 4 } else { 8 };
        let tiles = k.div_ceil(width);
        let mut coords = vec![0.0; tiles * d * width];
        let mut norms = vec![f64::INFINITY; tiles * width];
        for (c, centre) in centers.outer_iter().enumerate() {
            let (t, lane) = (c / width, c % width);
            for (j, &v) in centre.iter().enumerate() {
                coords[(t * d + j) * width + lane] = v;
            }
            norms[c] = centre.iter().map(|v| v * v).sum();
        }
        Packed {
            k,
            d,
            width,
            tiles,
            coords,
            norms,
            rows: centers.iter().copied().collect(),
        }
    }
}

/// What one pass over the rows computes besides the labels.
#[derive(Clone, Copy)]
pub(super) struct Pass<'a> {
    pub x: &'a [f64],
    pub offset: &'a [f64],
    pub weights: Option<&'a [f64]>,
    pub centres: &'a Packed,
    pub accumulate: bool,
    pub inertia: bool,
}

#[derive(Clone)]
pub(super) struct Partial {
    pub sums: Vec<f64>,
    pub weights: Vec<f64>,
    pub inertia: f64,
    pub changed: usize,
}

impl Partial {
    pub(super) fn new(k: usize, d: usize, accumulate: bool) -> Self {
        let (ks, kd) = if accumulate { (k, k * d) } else { (0, 0) };
        Partial {
            sums: vec![0.0; kd],
            weights: vec![0.0; ks],
            inertia: 0.0,
            changed: 0,
        }
    }

    fn merge(mut self, other: Partial) -> Self {
        self.sums
            .iter_mut()
            .zip(&other.sums)
            .for_each(|(a, b)| *a += b);
        self.weights
            .iter_mut()
            .zip(&other.weights)
            .for_each(|(a, b)| *a += b);
        self.inertia += other.inertia;
        self.changed += other.changed;
        self
    }
}

/// Nearest centre (min of ‖c‖² − 2 x·c, first index on ties) for a block of 4 centred rows:
/// the portable version.
#[inline(always)]
#[allow(clippy::needless_range_loop)]
fn nearest_block_portable<const W: usize>(rows: [&[f64]; ROWS], c: &Packed) -> [u32; ROWS] {
    let d = c.d;
    let mut best = [f64::INFINITY; ROWS];
    let mut arg = [0u32; ROWS];
    for t in 0..c.tiles {
        let tile = &c.coords[t * d * W..(t + 1) * d * W];
        let norms = &c.norms[t * W..(t + 1) * W];
        for r in 0..ROWS {
            let mut acc = [0.0f64; W];
            for (cs, &xv) in tile.chunks_exact(W).zip(rows[r]) {
                for l in 0..W {
                    acc[l] += xv * cs[l];
                }
            }
            for l in 0..W {
                let dist = norms[l] - 2.0 * acc[l];
                if dist < best[r] {
                    best[r] = dist;
                    arg[r] = (t * W + l) as u32;
                }
            }
        }
    }
    arg
}

/// The same with AVX2 + FMA: a 4-row × `4V`-centre register block, the multiply-adds over the
/// features, then a vector argmin.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::needless_range_loop)] // register blocks read best as index loops
fn nearest_block_avx2<const V: usize>(rows: [&[f64]; ROWS], c: &Packed) -> [u32; ROWS] {
    use std::arch::x86_64::*;
    let d = c.d;
    let w = 4 * V;
    debug_assert_eq!(c.width, w);
    debug_assert!(rows.iter().all(|r| r.len() == d));
    let mut best = [f64::INFINITY; ROWS];
    let mut arg = [0u32; ROWS];
    for t in 0..c.tiles {
        let tile = &c.coords[t * d * w..(t + 1) * d * w];
        let mut acc = [[_mm256_setzero_pd(); V]; ROWS];
        for j in 0..d {
            // SAFETY: `tile` holds d × w values and every row d values, so all reads are in
            // bounds; unaligned loads are used throughout.
            unsafe {
                let mut cv = [_mm256_setzero_pd(); V];
                for (v, cvv) in cv.iter_mut().enumerate() {
                    *cvv = _mm256_loadu_pd(tile.as_ptr().add(j * w + 4 * v));
                }
                for r in 0..ROWS {
                    let xb = _mm256_broadcast_sd(&*rows[r].as_ptr().add(j));
                    for v in 0..V {
                        acc[r][v] = _mm256_fmadd_pd(xb, cv[v], acc[r][v]);
                    }
                }
            }
        }
        let two = _mm256_set1_pd(2.0);
        for r in 0..ROWS {
            let mut dist = [_mm256_setzero_pd(); V];
            let mut m = _mm256_set1_pd(f64::INFINITY);
            for v in 0..V {
                // SAFETY: norms holds tiles × w values.
                let norms = unsafe { _mm256_loadu_pd(c.norms.as_ptr().add(t * w + 4 * v)) };
                // ‖x‖² is the same for every centre and left out of the argmin.
                dist[v] = _mm256_fnmadd_pd(two, acc[r][v], norms);
                m = _mm256_min_pd(m, dist[v]);
            }
            m = _mm256_min_pd(m, _mm256_permute2f128_pd(m, m, 1));
            m = _mm256_min_pd(m, _mm256_permute_pd(m, 0b0101));
            let mut mask = 0u32;
            for v in 0..V {
                let eq = _mm256_cmp_pd(dist[v], m, _CMP_EQ_OQ);
                mask |= (_mm256_movemask_pd(eq) as u32) << (4 * v);
            }
            let min = _mm256_cvtsd_f64(m);
            if min < best[r] {
                best[r] = min;
                arg[r] = (t * w) as u32 + mask.trailing_zeros();
            }
        }
    }
    arg
}

dispatch_avx2! {
    /// Assigns rows `rows` to their nearest centre, writing `labels` (one per row) and adding to
    /// `part` (the AVX2 + FMA build when the CPU has it).
    fn assign_chunk => generic assign_chunk_impl; (
        p: &Pass<'_>,
        rows: std::ops::Range<usize>,
        labels: &mut [u32],
        part: &mut Partial,
    ) -> ()
}

#[inline(always)]
fn assign_chunk_impl<M: Isa>(
    p: &Pass<'_>,
    rows: std::ops::Range<usize>,
    labels: &mut [u32],
    part: &mut Partial,
) {
    let c = p.centres;
    let d = c.d;
    // Centred rows of the current block, row-major: buf[r * d + j].
    let mut buf = vec![0.0; d * ROWS];
    let start = rows.start;
    let n = rows.len();
    let mut r0 = 0;
    while r0 < n {
        let nb = ROWS.min(n - r0);
        let block = &p.x[(start + r0) * d..(start + r0 + nb) * d];
        for (dst, src) in buf.chunks_exact_mut(d).zip(block.chunks_exact(d)) {
            for ((b, &v), &o) in dst.iter_mut().zip(src).zip(p.offset) {
                *b = v - o;
            }
        }
        let block_rows = [&buf[..d], &buf[d..2 * d], &buf[2 * d..3 * d], &buf[3 * d..]];
        let arg = nearest::<M>(block_rows, c);
        for (r, row) in buf.chunks_exact(d).enumerate().take(nb) {
            let i = start + r0 + r;
            let label = arg[r];
            let slot = &mut labels[r0 + r];
            part.changed += usize::from(*slot != label);
            *slot = label;
            if !(p.accumulate || p.inertia) {
                continue;
            }
            let w = p.weights.map_or(1.0, |w| w[i]);
            let l = label as usize;
            if p.accumulate {
                let sums = &mut part.sums[l * d..(l + 1) * d];
                for (s, &v) in sums.iter_mut().zip(row) {
                    *s = M::madd(w, v, *s);
                }
                part.weights[l] += w;
            }
            if p.inertia {
                let centre = &c.rows[l * d..(l + 1) * d];
                let mut e = 0.0;
                for (&v, &cv) in row.iter().zip(centre) {
                    let diff = v - cv;
                    e = M::madd(diff, diff, e);
                }
                part.inertia += w * e;
            }
        }
        r0 += ROWS;
    }
}

#[inline(always)]
fn nearest<M: Isa>(rows: [&[f64]; ROWS], c: &Packed) -> [u32; ROWS] {
    #[cfg(target_arch = "x86_64")]
    if M::AVX2 {
        // SAFETY: `M::AVX2` holds only in the build that runs on CPUs with AVX2 and FMA.
        return unsafe {
            if c.width == 4 {
                nearest_block_avx2::<1>(rows, c)
            } else {
                nearest_block_avx2::<2>(rows, c)
            }
        };
    }
    if c.width == 4 {
        nearest_block_portable::<4>(rows, c)
    } else {
        nearest_block_portable::<8>(rows, c)
    }
}

/// One parallel pass: labels every row, returns the merged partial statistics.
pub(super) fn assign(p: Pass<'_>, labels: &mut [u32]) -> Partial {
    let (k, d) = (p.centres.k, p.centres.d);
    fold_rows_mut(
        labels,
        1,
        |rows, out| {
            let mut part = Partial::new(k, d, p.accumulate);
            assign_chunk(&p, rows, out, &mut part);
            part
        },
        Partial::merge,
    )
}
