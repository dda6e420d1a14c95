//! The correlation / covariance pass: one parallel pass over the rows in fixed chunks.
//!
//! Each chunk yields [`Moments`]: the number of rows, the sums of the shifted values
//! `d = x - shift` and their cross-products, and with missing values (NaN) the same sums
//! restricted to the rows where both items of a pair are present together with the pairwise
//! counts. Moments of disjoint row sets add up ([`Moments::merge`]), so a distributed run can
//! compute them per part and merge; here the chunks are merged in chunk order along a fixed tree
//! ([`crate::parallel::fold_rows`]), so the result does not depend on the thread count.
//!
//! The cross-products are the bulk of the work (n·p²/2 multiply-adds): each chunk copies its
//! rows into a zero-padded block and accumulates `DᵀD` with a 4 × 8 register-blocked kernel
//! compiled for AVX2/FMA when the CPU has it.

use std::collections::HashMap;

use ndarray::{Array2, ArrayView2};

use crate::error::{Error, Result};
use crate::parallel::fold_rows;
use crate::partition::{merge_nodes, Placement};
use crate::simd::{dispatch_avx2, Isa};

/// Rows per cache block inside a chunk: a block of 50 padded items is 56 × 8 × 64 bytes.
const BLOCK_ROWS: usize = 64;

/// Additive sums of one set of rows. All matrices are `p × p`, row-major; `shift` is the
/// per-item constant subtracted before summing (the same for every part of one pass).
#[derive(Debug, Clone, PartialEq)]
pub struct Moments {
    pub p: usize,
    pub shift: Vec<f64>,
    /// Complete rows: count, Σd, Σddᵀ (full, symmetric). With missing values, these hold the
    /// pairwise versions below and `n` is the number of rows seen.
    pub n: f64,
    pub sum: Vec<f64>,
    pub cross: Vec<f64>,
    /// Pairwise (present only when some value is missing): `count[j,k]` rows with both items,
    /// `psum[j,k]` = Σ d_j over those rows, `psq[j,k]` = Σ d_j² over those rows.
    pub pairwise: Option<Pairwise>,
    /// Some value was infinite (an error for the caller to report).
    pub infinite: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pairwise {
    pub count: Vec<f64>,
    pub psum: Vec<f64>,
    pub psq: Vec<f64>,
}

fn add(a: &mut [f64], b: &[f64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

impl Moments {
    fn zero(p: usize, shift: Vec<f64>, pairwise: bool) -> Self {
        Moments {
            p,
            shift,
            n: 0.0,
            sum: vec![0.0; p],
            cross: vec![0.0; p * p],
            pairwise: pairwise.then(|| Pairwise {
                count: vec![0.0; p * p],
                psum: vec![0.0; p * p],
                psq: vec![0.0; p * p],
            }),
            infinite: false,
        }
    }

    /// The pairwise sums of complete rows: every pair has all `n` rows.
    fn complete_as_pairwise(&self) -> Pairwise {
        let p = self.p;
        let mut pw = Pairwise {
            count: vec![self.n; p * p],
            psum: vec![0.0; p * p],
            psq: vec![0.0; p * p],
        };
        for j in 0..p {
            for k in 0..p {
                pw.psum[j * p + k] = self.sum[j];
                pw.psq[j * p + k] = self.cross[j * p + j];
            }
        }
        pw
    }

    /// The moments of the union of two disjoint row sets (same items, same shift).
    pub fn merge(mut self, mut other: Moments) -> Moments {
        // A part without missing values joins a pairwise part as complete pairs.
        if self.pairwise.is_some() && other.pairwise.is_none() {
            other.pairwise = Some(other.complete_as_pairwise());
        } else if self.pairwise.is_none() && other.pairwise.is_some() {
            self.pairwise = Some(self.complete_as_pairwise());
        }
        self.infinite |= other.infinite;
        self.n += other.n;
        add(&mut self.sum, &other.sum);
        add(&mut self.cross, &other.cross);
        if let (Some(a), Some(b)) = (self.pairwise.as_mut(), other.pairwise.as_ref()) {
            add(&mut a.count, &b.count);
            add(&mut a.psum, &b.psum);
            add(&mut a.psq, &b.psq);
        }
        self
    }

    /// Covariance (n − 1 denominator), correlation and pairwise counts. With missing values each
    /// pair uses the rows where both are present (R's `use = "pairwise.complete.obs"`).
    pub fn finish(&self) -> Covariance {
        let p = self.p;
        let mut cov = Array2::zeros((p, p));
        let mut cor = Array2::zeros((p, p));
        let mut count = Array2::zeros((p, p));
        for j in 0..p {
            for k in 0..p {
                let (n, sj, sk, qj, qk, cjk) = match &self.pairwise {
                    None => (
                        self.n,
                        self.sum[j],
                        self.sum[k],
                        self.cross[j * p + j],
                        self.cross[k * p + k],
                        self.cross[j * p + k],
                    ),
                    Some(pw) => (
                        pw.count[j * p + k],
                        pw.psum[j * p + k],
                        pw.psum[k * p + j],
                        pw.psq[j * p + k],
                        pw.psq[k * p + j],
                        self.cross[j * p + k],
                    ),
                };
                count[[j, k]] = n;
                if n < 2.0 {
                    cov[[j, k]] = f64::NAN;
                    cor[[j, k]] = f64::NAN;
                    continue;
                }
                let c = (cjk - sj * sk / n) / (n - 1.0);
                let vj = ((qj - sj * sj / n) / (n - 1.0)).max(0.0);
                let vk = ((qk - sk * sk / n) / (n - 1.0)).max(0.0);
                cov[[j, k]] = c;
                cor[[j, k]] = if j == k {
                    if vj > 0.0 {
                        1.0
                    } else {
                        f64::NAN
                    }
                } else {
                    (c / (vj * vk).sqrt()).clamp(-1.0, 1.0)
                };
            }
        }
        // Exact symmetry (the two triangles come from the same sums in a different order).
        for j in 0..p {
            for k in 0..j {
                cov[[j, k]] = cov[[k, j]];
                cor[[j, k]] = cor[[k, j]];
            }
        }
        let mean = (0..p)
            .map(|j| match &self.pairwise {
                None => self.shift[j] + self.sum[j] / self.n,
                Some(pw) => self.shift[j] + pw.psum[j * p + j] / pw.count[j * p + j],
            })
            .collect();
        Covariance {
            cov,
            cor,
            count,
            mean,
        }
    }
}

/// What the pass yields.
#[derive(Debug, Clone)]
pub struct Covariance {
    pub cov: Array2<f64>,
    pub cor: Array2<f64>,
    /// Rows used for each pair (all equal to n without missing values).
    pub count: Array2<f64>,
    pub mean: Vec<f64>,
}

/// Padded width: a multiple of 8 so that every 4 × 8 block is full.
fn padded(p: usize) -> usize {
    p.div_ceil(8).max(1) * 8
}

/// `c += aᵀ b` over `rows` rows of two padded row-major blocks; only blocks with
/// `k ≥ j` when `upper` (then `a` and `b` are the same block).
#[inline(always)]
fn gemm_tn<I: Isa>(a: &[f64], b: &[f64], rows: usize, w: usize, c: &mut [f64], upper: bool) {
    let mut j0 = 0;
    while j0 < w {
        let k_start = if upper { j0 / 8 * 8 } else { 0 };
        let mut k0 = k_start;
        while k0 < w {
            let mut acc = [[0.0f64; 8]; 4];
            for r in 0..rows {
                let ra = &a[r * w + j0..r * w + j0 + 4];
                let rb = &b[r * w + k0..r * w + k0 + 8];
                for (x, accx) in ra.iter().zip(acc.iter_mut()) {
                    for (y, s) in rb.iter().zip(accx.iter_mut()) {
                        *s = I::madd(*x, *y, *s);
                    }
                }
            }
            for (da, accx) in acc.iter().enumerate() {
                let row = &mut c[(j0 + da) * w + k0..(j0 + da) * w + k0 + 8];
                for (s, v) in row.iter_mut().zip(accx) {
                    *s += v;
                }
            }
            k0 += 8;
        }
        j0 += 4;
    }
}

struct Pass<'a, 's> {
    x: ArrayView2<'a, f64>,
    shift: &'s [f64],
}

impl Pass<'_, '_> {
    #[inline(always)]
    fn chunk_impl<I: Isa>(&self, range: std::ops::Range<usize>) -> Moments {
        let p = self.x.ncols();
        let w = padded(p);
        // Missing values are handled per chunk: a chunk without any takes the complete path.
        let mut missing = false;
        let mut infinite = false;
        for i in range.clone() {
            for v in self.x.row(i) {
                missing |= v.is_nan();
                infinite |= v.is_infinite();
            }
        }
        let mut m = Moments::zero(p, self.shift.to_vec(), missing);
        if infinite {
            m.infinite = true;
            return m;
        }
        let mut cross = vec![0.0; w * w];
        let (mut count, mut psum, mut psq) = if missing {
            (vec![0.0; w * w], vec![0.0; w * w], vec![0.0; w * w])
        } else {
            (Vec::new(), Vec::new(), Vec::new())
        };
        let mut d = vec![0.0; BLOCK_ROWS * w];
        let mut ind = if missing {
            vec![0.0; BLOCK_ROWS * w]
        } else {
            Vec::new()
        };
        let mut sq = ind.clone();
        let mut start = range.start;
        while start < range.end {
            let end = (start + BLOCK_ROWS).min(range.end);
            let rows = end - start;
            for (r, i) in (start..end).enumerate() {
                let row = self.x.row(i);
                let dst = &mut d[r * w..r * w + p];
                for ((o, &v), &s) in dst.iter_mut().zip(row.iter()).zip(self.shift) {
                    *o = v - s;
                }
                if missing {
                    for j in 0..p {
                        let present = !dst[j].is_nan();
                        if !present {
                            dst[j] = 0.0;
                        }
                        ind[r * w + j] = if present { 1.0 } else { 0.0 };
                        sq[r * w + j] = dst[j] * dst[j];
                    }
                }
                for (s, v) in m.sum.iter_mut().zip(dst.iter()) {
                    *s += v;
                }
            }
            gemm_tn::<I>(&d, &d, rows, w, &mut cross, true);
            if missing {
                gemm_tn::<I>(&ind, &ind, rows, w, &mut count, true);
                // psum[j,k] = Σ d_j·1_k: (Dᵀ M); psq[j,k] = Σ d_j²·1_k.
                gemm_tn::<I>(&d, &ind, rows, w, &mut psum, false);
                gemm_tn::<I>(&sq, &ind, rows, w, &mut psq, false);
            }
            m.n += rows as f64;
            start = end;
        }
        let sym = |src: &[f64], dst: &mut [f64]| {
            for j in 0..p {
                for k in j..p {
                    dst[j * p + k] = src[j * w + k];
                    dst[k * p + j] = src[j * w + k];
                }
            }
        };
        let full = |src: &[f64], dst: &mut [f64]| {
            for j in 0..p {
                dst[j * p..j * p + p].copy_from_slice(&src[j * w..j * w + p]);
            }
        };
        sym(&cross, &mut m.cross);
        if let Some(pw) = m.pairwise.as_mut() {
            sym(&count, &mut pw.count);
            full(&psum, &mut pw.psum);
            full(&psq, &mut pw.psq);
        }
        m
    }
}

dispatch_avx2! {
    fn chunk_moments => generic Pass::chunk_impl; (ctx: &Pass, range: std::ops::Range<usize>) -> Moments
}

/// The first present value of every column (the shift that keeps the sums well conditioned);
/// 0 for a column with no present value.
pub fn default_shift(x: ArrayView2<'_, f64>) -> Vec<f64> {
    (0..x.ncols())
        .map(|j| {
            x.column(j)
                .iter()
                .copied()
                .find(|v| !v.is_nan())
                .unwrap_or(0.0)
        })
        .collect()
}

/// One pass over the rows of `x` (NaN = missing; infinite values are an error). `shift` must be
/// the same for every part of a distributed pass; [`default_shift`] of the first part will do.
pub fn moments(x: ArrayView2<'_, f64>, shift: &[f64]) -> Result<Moments> {
    let p = x.ncols();
    if shift.len() != p {
        return Err(Error::invalid("shift", "one value per column is needed"));
    }
    let pass = Pass { x, shift };
    let n = x.nrows();
    if n == 0 {
        return Ok(Moments::zero(p, shift.to_vec(), false));
    }
    let m = fold_rows(n, |r| chunk_moments(&pass, r), Moments::merge);
    if m.infinite {
        return Err(Error::invalid("X", "infinite values are not allowed"));
    }
    Ok(m)
}

/// The moments of one partition of a distributed pass, per maximal node of the in-memory chunk
/// tree it holds (see [`crate::partition`]); `shift` must be the whole data's
/// [`default_shift`]. [`merge_partitions`] of all partitions' nodes equals [`moments`] of all
/// rows, to the last bit.
pub fn partition_moments(
    x: ArrayView2<'_, f64>,
    shift: &[f64],
    at: Placement,
) -> Result<Vec<((usize, usize), Moments)>> {
    at.nodes(x.nrows())?
        .into_iter()
        .map(|(node, rows)| Ok((node, moments(x.slice(ndarray::s![rows, ..]), shift)?)))
        .collect()
}

/// The moments of all rows from the partitions' nodes, merged in the in-memory order.
pub fn merge_partitions(
    mut nodes: HashMap<(usize, usize), Moments>,
    n_total: usize,
) -> Result<Moments> {
    if let Some(m) = nodes.values().next() {
        let (p, shift) = (m.p, &m.shift);
        if nodes.values().any(|o| o.p != p || &o.shift != shift) {
            return Err(Error::invalid(
                "partitions",
                "the parts have different items or shifts",
            ));
        }
    }
    merge_nodes(&mut nodes, n_total, &Moments::merge)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn data(n: usize, p: usize) -> Array2<f64> {
        Array2::from_shape_fn((n, p), |(i, j)| {
            (((i * 31 + j * 17) % 97) as f64 * 0.37 + (i % 13) as f64 * (j as f64 + 1.0)).sin()
                + 100.0
        })
    }

    fn naive(x: &Array2<f64>) -> Array2<f64> {
        let (n, p) = x.dim();
        let mean: Vec<f64> = (0..p).map(|j| x.column(j).sum() / n as f64).collect();
        Array2::from_shape_fn((p, p), |(j, k)| {
            (0..n)
                .map(|i| (x[[i, j]] - mean[j]) * (x[[i, k]] - mean[k]))
                .sum::<f64>()
                / (n as f64 - 1.0)
        })
    }

    #[test]
    fn partitions_merge_to_the_whole_pass_bit_for_bit() {
        let (n, p) = (5 * 1024 + 300, 7);
        let mut x = data(n, p);
        x[[2000, 3]] = f64::NAN; // pairwise moments in one part only
        let shift = default_shift(x.view());
        let whole = moments(x.view(), &shift).unwrap();
        for cuts in [
            vec![0, n],
            vec![0, 1024, 3072, n],
            vec![0, 2048, 4096, 5120, n],
        ] {
            let mut nodes = HashMap::new();
            for w in cuts.windows(2) {
                let at = Placement {
                    row_start: w[0],
                    n_total: n,
                };
                let part = x.slice(ndarray::s![w[0]..w[1], ..]);
                nodes.extend(partition_moments(part, &shift, at).unwrap());
            }
            assert_eq!(merge_partitions(nodes, n).unwrap(), whole);
        }
        let missing = HashMap::from([(
            (0, 2),
            moments(x.slice(ndarray::s![..2048, ..]), &shift).unwrap(),
        )]);
        assert!(merge_partitions(missing, n).is_err());
    }

    #[test]
    fn covariance_matches_two_pass() {
        for (n, p) in [(5, 1), (3000, 11), (2100, 17)] {
            let x = data(n, p);
            let c = moments(x.view(), &default_shift(x.view()))
                .unwrap()
                .finish();
            let want = naive(&x);
            for (a, b) in c.cov.iter().zip(want.iter()) {
                assert!((a - b).abs() < 1e-10, "{a} {b}");
            }
        }
    }

    #[test]
    fn pairwise_matches_complete_pairs() {
        // NaNs in every chunk, then only in the first chunk (complete chunks join as pairs).
        for limit in [2500, 700] {
            pairwise_case(limit);
        }
    }

    fn pairwise_case(limit: usize) {
        let mut x = data(2500, 6);
        for i in (0..limit).step_by(7) {
            x[[i, i % 6]] = f64::NAN;
        }
        let c = moments(x.view(), &default_shift(x.view()))
            .unwrap()
            .finish();
        for j in 0..6 {
            for k in 0..6 {
                let rows: Vec<usize> = (0..2500)
                    .filter(|&i| !x[[i, j]].is_nan() && !x[[i, k]].is_nan())
                    .collect();
                let sub = Array2::from_shape_fn((rows.len(), 2), |(r, c)| {
                    x[[rows[r], if c == 0 { j } else { k }]]
                });
                let v = naive(&sub);
                let r = v[[0, 1]] / (v[[0, 0]] * v[[1, 1]]).sqrt();
                assert!((c.cor[[j, k]] - r).abs() < 1e-10);
                assert_eq!(c.count[[j, k]], rows.len() as f64);
            }
        }
    }

    #[test]
    fn thread_count_does_not_matter() {
        let x = data(9000, 9);
        let shift = default_shift(x.view());
        let run = |t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
                .install(|| moments(x.view(), &shift).unwrap())
        };
        assert_eq!(run(1), run(3));
    }
}
