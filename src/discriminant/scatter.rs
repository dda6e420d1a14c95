//! The one pass over the rows: per-class counts, means and centred scatter (cross-product)
//! matrices, from which the within-group scatter W, the between-group scatter B and the per-class
//! covariances of Box's M all follow.
//!
//! Each fixed chunk of rows is gathered class by class into a zero-padded row-major block, centred
//! at the chunk's own class mean, and its cross-products are formed by a 4 × 8 register-blocked
//! outer-product kernel. Chunks merge with Chan, Golub & LeVeque's pairwise update
//! (M = M_a + M_b + n_a n_b / n · d d′), in chunk order along a fixed tree: the result is
//! numerically sound (no raw sums of squares) and bit-identical on any number of threads.

#![allow(clippy::needless_range_loop)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;

use ndarray::{Array2, ArrayView1, ArrayView2};

use crate::error::{Error, Result};
use crate::parallel::fold_rows;
use crate::partition::{merge_nodes, Placement};
use crate::simd::{dispatch_avx2, Isa};

/// Per-class sufficient statistics of the rows.
#[derive(Debug, Clone)]
pub struct ClassStats {
    /// Rows per class.
    pub counts: Vec<u64>,
    /// Class means, g × p.
    pub means: Array2<f64>,
    /// Centred scatter Σ (x − m_c)(x − m_c)′ of each class, p × p (symmetric).
    pub scatter: Vec<Array2<f64>>,
}

impl ClassStats {
    /// Pooled within-group scatter W = Σ_c scatter_c.
    pub fn within(&self) -> Array2<f64> {
        let p = self.means.ncols();
        let mut w = Array2::zeros((p, p));
        for s in &self.scatter {
            w += s;
        }
        w
    }

    /// The grand mean (weighted by class sizes).
    pub fn grand_mean(&self) -> Vec<f64> {
        let p = self.means.ncols();
        let n: f64 = self.counts.iter().map(|&c| c as f64).sum();
        let mut m = vec![0.0; p];
        for (c, &nc) in self.counts.iter().enumerate() {
            for (j, mj) in m.iter_mut().enumerate() {
                *mj += nc as f64 * self.means[[c, j]];
            }
        }
        m.iter_mut().for_each(|v| *v /= n);
        m
    }

    /// Between-group scatter B = Σ_c n_c (m_c − m)(m_c − m)′.
    pub fn between(&self) -> Array2<f64> {
        let p = self.means.ncols();
        let m = self.grand_mean();
        let mut b = Array2::zeros((p, p));
        for (c, &nc) in self.counts.iter().enumerate() {
            let d: Vec<f64> = (0..p).map(|j| self.means[[c, j]] - m[j]).collect();
            for i in 0..p {
                for j in 0..p {
                    b[[i, j]] += nc as f64 * d[i] * d[j];
                }
            }
        }
        b
    }
}

/// One class's partial statistics: count, mean, centred scatter (row-major p × p, upper part
/// filled until the end).
#[derive(Clone)]
struct Part {
    n: u64,
    mean: Vec<f64>,
    m2: Vec<f64>,
}

fn merge_part(a: Part, b: Part, p: usize) -> Part {
    if a.n == 0 {
        return b;
    }
    if b.n == 0 {
        return a;
    }
    let n = a.n + b.n;
    let (na, nb, nf) = (a.n as f64, b.n as f64, n as f64);
    let d: Vec<f64> = b.mean.iter().zip(&a.mean).map(|(y, x)| y - x).collect();
    let mean: Vec<f64> = a
        .mean
        .iter()
        .zip(&d)
        .map(|(m, di)| m + di * (nb / nf))
        .collect();
    let f = na * nb / nf;
    let mut m2 = a.m2;
    for i in 0..p {
        let fi = f * d[i];
        let row = &mut m2[i * p..(i + 1) * p];
        let brow = &b.m2[i * p..(i + 1) * p];
        for j in i..p {
            row[j] += brow[j] + fi * d[j];
        }
    }
    Part { n, mean, m2 }
}

thread_local! {
    static BLOCK: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Columns padded to a multiple of 8 for the kernel.
fn padded(p: usize) -> usize {
    p.div_ceil(8) * 8
}

#[inline(always)]
fn gram_upper_imp<I: Isa>(z: &[f64], pp: usize, p: usize, out: &mut [f64]) {
    for ib in (0..pp).step_by(4) {
        if ib >= p {
            break;
        }
        for jb in ((ib / 8) * 8..pp).step_by(8) {
            let mut acc = [[0.0f64; 8]; 4];
            for row in z.chunks_exact(pp) {
                let zi = &row[ib..ib + 4];
                let zj = &row[jb..jb + 8];
                for a in 0..4 {
                    for b in 0..8 {
                        acc[a][b] = I::madd(zi[a], zj[b], acc[a][b]);
                    }
                }
            }
            for (a, acc_a) in acc.iter().enumerate() {
                let i = ib + a;
                if i >= p {
                    break;
                }
                for (b, &v) in acc_a.iter().enumerate() {
                    let j = jb + b;
                    if j >= i && j < p {
                        out[i * p + j] = v;
                    }
                }
            }
        }
    }
}

dispatch_avx2! {
    /// Upper triangle of Z′Z for a zero-padded row-major block Z (rows × pp) into `out` (p × p).
    fn gram_upper => generic gram_upper_imp; (z: &[f64], pp: usize, p: usize, out: &mut [f64]) -> ()
}

fn leaf(x: &[f64], p: usize, labels: &[u32], g: usize, rows: Range<usize>) -> Vec<Part> {
    let pp = padded(p);
    let mut order: Vec<Vec<usize>> = vec![Vec::new(); g];
    for i in rows {
        order[labels[i] as usize].push(i);
    }
    BLOCK.with(|cell| {
        let mut block = cell.borrow_mut();
        order
            .iter()
            .map(|idx| {
                let nc = idx.len();
                if nc == 0 {
                    return Part {
                        n: 0,
                        mean: vec![0.0; p],
                        m2: vec![0.0; p * p],
                    };
                }
                block.clear();
                block.resize(nc * pp, 0.0);
                let mut mean = vec![0.0; p];
                for (dst, &i) in block.chunks_exact_mut(pp).zip(idx) {
                    let src = &x[i * p..(i + 1) * p];
                    dst[..p].copy_from_slice(src);
                    for (m, v) in mean.iter_mut().zip(src) {
                        *m += v;
                    }
                }
                let inv = 1.0 / nc as f64;
                mean.iter_mut().for_each(|m| *m *= inv);
                for dst in block.chunks_exact_mut(pp) {
                    for (v, m) in dst[..p].iter_mut().zip(&mean) {
                        *v -= m;
                    }
                }
                let mut m2 = vec![0.0; p * p];
                gram_upper(&block, pp, p, &mut m2);
                Part {
                    n: nc as u64,
                    mean,
                    m2,
                }
            })
            .collect()
    })
}

/// The per-class partials of the rows of `x`, folded over fixed chunks in chunk order.
fn fold_parts(x: ArrayView2<f64>, labels: &[u32], g: usize) -> Vec<Part> {
    let (n, p) = x.dim();
    let owned;
    let xs: &[f64] = match x.as_slice() {
        Some(s) => s,
        None => {
            owned = x.as_standard_layout().to_owned();
            owned.as_slice().unwrap_or(&[])
        }
    };
    fold_rows(
        n,
        |rows| leaf(xs, p, labels, g, rows),
        |a, b| {
            a.into_iter()
                .zip(b)
                .map(|(pa, pb)| merge_part(pa, pb, p))
                .collect()
        },
    )
}

/// Checks the shapes and labels; returns the labels as a vector.
fn checked_labels(x: ArrayView2<f64>, labels: ArrayView1<u32>, g: usize) -> Result<Vec<u32>> {
    let (n, p) = x.dim();
    if labels.len() != n {
        return Err(Error::invalid(
            "y",
            format!("has {} labels for {n} rows", labels.len()),
        ));
    }
    if p == 0 {
        return Err(Error::invalid("X", "has no columns"));
    }
    let labels: Vec<u32> = labels.to_vec();
    if let Some(&bad) = labels.iter().find(|&&l| l as usize >= g) {
        return Err(Error::invalid("y", format!("label {bad} is not in 0..{g}")));
    }
    Ok(labels)
}

/// Per-class counts, means and centred scatter of `x` (n × p) grouped by `labels` (in 0..g).
/// Fails on a label outside 0..g, on a length mismatch and on non-finite values.
pub fn class_stats(x: ArrayView2<f64>, labels: ArrayView1<u32>, g: usize) -> Result<ClassStats> {
    let labels = checked_labels(x, labels, g)?;
    finish(fold_parts(x, &labels, g), x.ncols())
}

fn finish(parts: Vec<Part>, p: usize) -> Result<ClassStats> {
    let g = parts.len();
    let mut means = Array2::zeros((g, p));
    let mut scatter = Vec::with_capacity(g);
    let mut counts = Vec::with_capacity(g);
    for (c, part) in parts.into_iter().enumerate() {
        counts.push(part.n);
        for j in 0..p {
            means[[c, j]] = part.mean[j];
        }
        let mut s = Array2::zeros((p, p));
        for i in 0..p {
            for j in i..p {
                s[[i, j]] = part.m2[i * p + j];
                s[[j, i]] = part.m2[i * p + j];
            }
        }
        scatter.push(s);
    }
    let finite = means.iter().all(|v| v.is_finite())
        && scatter.iter().all(|s| s.iter().all(|v| v.is_finite()));
    if !finite {
        return Err(Error::invalid(
            "X",
            "contains NaN or infinity (or values too large to square)",
        ));
    }
    Ok(ClassStats {
        counts,
        means,
        scatter,
    })
}

/// The per-class partials of one chunk-tree node of a distributed pass (see
/// [`crate::partition`]): row `c` of `mean` (g × p) and `m2` (g × p², upper triangle filled) is
/// class `c`.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeStats {
    pub node: (usize, usize),
    pub counts: Vec<u64>,
    pub mean: Array2<f64>,
    pub m2: Array2<f64>,
}

/// The class partials of one partition of a distributed pass, per maximal node of the
/// in-memory chunk tree it holds; [`merge_partition_stats`] of all partitions' nodes equals
/// [`class_stats`] of all rows to the last bit.
pub fn partition_stats(
    x: ArrayView2<f64>,
    labels: ArrayView1<u32>,
    g: usize,
    at: Placement,
) -> Result<Vec<NodeStats>> {
    let labels = checked_labels(x, labels, g)?;
    let p = x.ncols();
    at.nodes(x.nrows())?
        .into_iter()
        .map(|(node, rows)| {
            let parts = fold_parts(
                x.slice(ndarray::s![rows.clone(), ..]),
                &labels[rows.clone()],
                g,
            );
            let mut mean = Array2::zeros((g, p));
            let mut m2 = Array2::zeros((g, p * p));
            for (c, part) in parts.iter().enumerate() {
                mean.row_mut(c).assign(&ArrayView1::from(&part.mean));
                m2.row_mut(c).assign(&ArrayView1::from(&part.m2));
            }
            Ok(NodeStats {
                node,
                counts: parts.iter().map(|part| part.n).collect(),
                mean,
                m2,
            })
        })
        .collect()
}

/// The class statistics of all rows from the partitions' nodes, merged in the in-memory order.
pub fn merge_partition_stats(nodes: Vec<NodeStats>, n_total: usize) -> Result<ClassStats> {
    let Some(first) = nodes.first() else {
        return Err(Error::invalid("partitions", "no partition statistics"));
    };
    let (g, p) = first.mean.dim();
    let mut table = HashMap::with_capacity(nodes.len());
    for ns in nodes {
        if ns.counts.len() != g || ns.mean.dim() != (g, p) || ns.m2.dim() != (g, p * p) {
            return Err(Error::invalid(
                "partitions",
                "node statistics of different shapes",
            ));
        }
        let parts: Vec<Part> = (0..g)
            .map(|c| Part {
                n: ns.counts[c],
                mean: ns.mean.row(c).to_vec(),
                m2: ns.m2.row(c).to_vec(),
            })
            .collect();
        if table.insert(ns.node, parts).is_some() {
            return Err(Error::invalid(
                "partitions",
                "a chunk-tree node appears twice",
            ));
        }
    }
    let merge = |a: Vec<Part>, b: Vec<Part>| -> Vec<Part> {
        a.into_iter()
            .zip(b)
            .map(|(pa, pb)| merge_part(pa, pb, p))
            .collect()
    };
    finish(merge_nodes(&mut table, n_total, &merge)?, p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

    #[test]
    fn partitions_merge_to_the_whole_pass_bit_for_bit() {
        let (n, p, g) = (4 * 1024 + 77, 5, 3);
        let x = Array2::from_shape_fn((n, p), |(i, j)| {
            ((i * 7 + j * 13) % 17) as f64 * 0.37 + (i % 5) as f64 + 1e3
        });
        let labels = Array1::from_shape_fn(n, |i| ((i * 31) % g) as u32);
        let whole = class_stats(x.view(), labels.view(), g).unwrap();
        for cuts in [vec![0, n], vec![0, 1024, 3072, n], vec![0, 2048, 4096, n]] {
            let mut nodes = Vec::new();
            for w in cuts.windows(2) {
                let at = Placement {
                    row_start: w[0],
                    n_total: n,
                };
                let rows = ndarray::s![w[0]..w[1], ..];
                let part =
                    partition_stats(x.slice(rows), labels.slice(ndarray::s![w[0]..w[1]]), g, at)
                        .unwrap();
                nodes.extend(part);
            }
            let merged = merge_partition_stats(nodes, n).unwrap();
            assert_eq!(merged.counts, whole.counts);
            assert_eq!(merged.means, whole.means);
            assert_eq!(merged.scatter, whole.scatter);
        }
    }

    #[test]
    fn matches_two_pass_formula() {
        let (n, p, g) = (3000, 11, 3);
        let x = Array2::from_shape_fn((n, p), |(i, j)| {
            ((i * 7 + j * 13) % 17) as f64 * 0.37 + (i % 5) as f64 + 1e6
        });
        let labels = Array1::from_shape_fn(n, |i| ((i * 31) % g) as u32);
        let s = class_stats(x.view(), labels.view(), g).expect("stats");
        for c in 0..g {
            let rows: Vec<usize> = (0..n).filter(|&i| labels[i] as usize == c).collect();
            assert_eq!(s.counts[c] as usize, rows.len());
            let mean: Vec<f64> = (0..p)
                .map(|j| rows.iter().map(|&i| x[[i, j]]).sum::<f64>() / rows.len() as f64)
                .collect();
            for j in 0..p {
                assert!((s.means[[c, j]] - mean[j]).abs() < 1e-8);
            }
            for a in 0..p {
                for b in 0..p {
                    let v: f64 = rows
                        .iter()
                        .map(|&i| (x[[i, a]] - mean[a]) * (x[[i, b]] - mean[b]))
                        .sum();
                    assert!((s.scatter[c][[a, b]] - v).abs() < 1e-6 * (1.0 + v.abs()));
                }
            }
        }
    }
}
