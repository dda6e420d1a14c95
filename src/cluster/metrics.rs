//! Internal validity indices for choosing k: silhouette (exact), Calinski–Harabasz and
//! Davies–Bouldin, with scikit-learn's conventions for degenerate cases.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::error::{Error, Result};
use crate::parallel::fold_rows;
use rayon::prelude::*;

/// Labels as cluster indices 0..k, with k ≥ 2 and k < n (the range where the indices are
/// defined); returns k.
pub fn check_labels(labels: ArrayView1<'_, i64>, n: usize) -> Result<usize> {
    if labels.len() != n {
        return Err(Error::invalid(
            "labels",
            format!("has {} entries for {n} rows", labels.len()),
        ));
    }
    if let Some(&bad) = labels.iter().find(|&&l| l < 0) {
        return Err(Error::invalid(
            "labels",
            format!("must be cluster indices 0..k, found {bad}"),
        ));
    }
    let k = labels.iter().max().map_or(0, |&m| m as usize + 1);
    let mut present = vec![false; k];
    labels.iter().for_each(|&l| present[l as usize] = true);
    let used = present.iter().filter(|&&p| p).count();
    if used < 2 || used >= n {
        return Err(Error::invalid(
            "labels",
            format!("Number of labels is {used}. Valid values are 2 to n_samples - 1 (inclusive)"),
        ));
    }
    Ok(k)
}

/// Silhouette width of every row: (b − a) / max(a, b) with a the mean distance to the other
/// members of its cluster and b the smallest mean distance to another cluster; 0 for a row alone
/// in its cluster. Exact Euclidean distances, O(n² d).
///
/// The rows are sorted by cluster and held feature-major; each pair of rows is visited once: a
/// task per block of rows computes its distances to its own and all later blocks, adds them to
/// its rows' per-cluster sums and, for the later blocks, to per-block partial sums that are
/// merged in block order afterwards (so the result does not depend on the thread count).
pub fn silhouette_samples(
    x: ArrayView2<'_, f64>,
    labels: ArrayView1<'_, i64>,
) -> Result<Array1<f64>> {
    let (n, d) = x.dim();
    let k = check_labels(labels, n)?;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| labels[i]);
    let mut bounds = vec![0usize; k + 1];
    for &i in &order {
        bounds[labels[i] as usize + 1] += 1;
    }
    for c in 0..k {
        bounds[c + 1] += bounds[c];
    }
    let mut cols = vec![0.0; n * d];
    let mut cluster = vec![0usize; n];
    for (pos, &i) in order.iter().enumerate() {
        cluster[pos] = labels[i] as usize;
        for j in 0..d {
            cols[j * n + pos] = x[[i, j]];
        }
    }
    let sorted = Sorted {
        cols: &cols,
        cluster: &cluster,
        n,
        d,
        k,
    };
    let blocks = n.div_ceil(SUPER);
    let parts: Vec<(Vec<f64>, Vec<f64>)> = (0..blocks)
        .into_par_iter()
        .map(|b| block_task_dispatch(&sorted, b))
        .collect();
    // sums[c * n + pos]: Σ distance from sorted row pos to the members of cluster c.
    let mut sums = vec![0.0; k * n];
    for (b, (own, cross)) in parts.iter().enumerate() {
        let (start, end) = (b * SUPER, ((b + 1) * SUPER).min(n));
        for c in 0..k {
            for (dst, v) in sums[c * n + start..c * n + end]
                .iter_mut()
                .zip(&own[c * SUPER..])
            {
                *dst += v;
            }
            let rest = n - end;
            for (dst, v) in sums[c * n + end..(c + 1) * n]
                .iter_mut()
                .zip(&cross[c * rest..])
            {
                *dst += v;
            }
        }
    }
    let mut out = vec![0.0; n];
    for (pos, &i) in order.iter().enumerate() {
        let own = cluster[pos];
        let size = bounds[own + 1] - bounds[own];
        if size <= 1 {
            continue;
        }
        let a = sums[own * n + pos] / (size - 1) as f64;
        let b = (0..k)
            .filter(|&c| c != own && bounds[c + 1] > bounds[c])
            .map(|c| sums[c * n + pos] / (bounds[c + 1] - bounds[c]) as f64)
            .fold(f64::INFINITY, f64::min);
        let m = a.max(b);
        out[i] = if m > 0.0 { (b - a) / m } else { 0.0 };
    }
    Ok(Array1::from(out))
}

/// The data sorted by cluster, feature-major (`cols[j * n + pos]`), with each row's cluster.
struct Sorted<'a> {
    cols: &'a [f64],
    cluster: &'a [usize],
    n: usize,
    d: usize,
    k: usize,
}

/// Rows per task (the unit of parallel work and of the partial sums).
const SUPER: usize = 1024;
/// Columns per inner tile (kept in L1/L2).
const TILE: usize = 128;
/// Rows whose distances are computed together (each tile is loaded once for all of them).
const ROWS: usize = 4;

/// Squared distances to distances, in place.
#[inline(always)]
fn take_sqrt(dist: &mut [f64]) {
    for v in dist.iter_mut() {
        *v = v.sqrt();
    }
}

/// Σ v with four partial sums, so that it vectorises.
#[inline(always)]
fn sum4(v: &[f64]) -> f64 {
    let mut part = [0.0f64; 4];
    let chunks = v.chunks_exact(4);
    let rest: f64 = chunks.remainder().iter().sum();
    for c in chunks {
        for l in 0..4 {
            part[l] += c[l];
        }
    }
    (part[0] + part[1]) + (part[2] + part[3]) + rest
}

/// One block of rows against itself and every later block. Returns (own, cross): own[c * SUPER
/// + r] for the block's rows, cross[c * rest + (j − end)] for the rows after the block.
#[inline(always)]
fn block_task(s: &Sorted<'_>, b: usize) -> (Vec<f64>, Vec<f64>) {
    let (n, d, k) = (s.n, s.d, s.k);
    let (start, end) = (b * SUPER, ((b + 1) * SUPER).min(n));
    let rest = n - end;
    let mut own = vec![0.0; k * SUPER];
    let mut cross = vec![0.0; k * rest];
    let mut dist = vec![[0.0f64; TILE]; ROWS];
    let mut xs = vec![[0.0f64; ROWS]; d];
    let mut r0 = start;
    while r0 < end {
        let m = ROWS.min(end - r0);
        for (j, x) in xs.iter_mut().enumerate() {
            for (r, v) in x.iter_mut().enumerate() {
                *v = if r < m { s.cols[j * n + r0 + r] } else { 0.0 };
            }
        }
        // Columns: this block (all of it: both directions of its pairs) and every later row.
        let mut c0 = start;
        while c0 < n {
            let len = TILE.min(n - c0);
            for row in dist.iter_mut().take(m) {
                row[..len].fill(0.0);
            }
            for (j, x) in xs.iter().enumerate() {
                let col = &s.cols[j * n + c0..j * n + c0 + len];
                for (r, row) in dist.iter_mut().enumerate().take(m) {
                    let xv = x[r];
                    for (acc, &v) in row[..len].iter_mut().zip(col) {
                        let diff = v - xv;
                        *acc += diff * diff;
                    }
                }
            }
            for row in dist.iter_mut().take(m) {
                take_sqrt(&mut row[..len]);
            }
            // Row sums, one contiguous run per cluster within the tile.
            let mut seg = c0;
            while seg < c0 + len {
                let c = s.cluster[seg];
                let mut stop = seg + 1;
                while stop < c0 + len && s.cluster[stop] == c {
                    stop += 1;
                }
                for (r, row) in dist.iter().enumerate().take(m) {
                    own[c * SUPER + (r0 - start) + r] += sum4(&row[seg - c0..stop - c0]);
                }
                seg = stop;
            }
            // Column sums for the rows after this block.
            if c0 >= end {
                for (r, row) in dist.iter().enumerate().take(m) {
                    let c = s.cluster[r0 + r];
                    let dst = &mut cross[c * rest + (c0 - end)..c * rest + (c0 - end) + len];
                    for (acc, &v) in dst.iter_mut().zip(&row[..len]) {
                        *acc += v;
                    }
                }
            }
            c0 += len;
        }
        r0 += m;
    }
    (own, cross)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn block_task_avx2(s: &Sorted<'_>, b: usize) -> (Vec<f64>, Vec<f64>) {
    block_task(s, b)
}

fn block_task_dispatch(s: &Sorted<'_>, b: usize) -> (Vec<f64>, Vec<f64>) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has the features the function is compiled for (no FMA: the same
        // results on every x86-64).
        return unsafe { block_task_avx2(s, b) };
    }
    block_task(s, b)
}

/// Per-cluster counts and means, and the overall mean (unweighted).
fn cluster_means(
    x: ArrayView2<'_, f64>,
    labels: ArrayView1<'_, i64>,
    k: usize,
) -> (Vec<f64>, Array2<f64>, Array1<f64>) {
    let (n, d) = x.dim();
    let (counts, sums) = fold_rows(
        n,
        |rows| {
            let mut counts = vec![0.0; k];
            let mut sums = Array2::<f64>::zeros((k, d));
            for i in rows {
                let c = labels[i] as usize;
                counts[c] += 1.0;
                let mut s = sums.row_mut(c);
                s += &x.row(i);
            }
            (counts, sums)
        },
        |(mut ca, sa), (cb, sb)| {
            ca.iter_mut().zip(&cb).for_each(|(a, b)| *a += b);
            (ca, sa + sb)
        },
    );
    let total = sums.sum_axis(ndarray::Axis(0)) / n as f64;
    let mut means = sums;
    for (mut m, &c) in means.outer_iter_mut().zip(&counts) {
        if c > 0.0 {
            m /= c;
        }
    }
    (counts, means, total)
}

/// Calinski–Harabasz index: between- over within-cluster dispersion, scaled by (n − k)/(k − 1).
pub fn calinski_harabasz(x: ArrayView2<'_, f64>, labels: ArrayView1<'_, i64>) -> Result<f64> {
    let n = x.nrows();
    check_labels(labels, n)?;
    let k = labels.iter().max().map_or(0, |&m| m as usize + 1);
    let (counts, means, total) = cluster_means(x, labels, k);
    let used = counts.iter().filter(|&&c| c > 0.0).count() as f64;
    let extra: f64 = means
        .outer_iter()
        .zip(&counts)
        .map(|(m, &c)| {
            c * m
                .iter()
                .zip(&total)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
        })
        .sum();
    let intra = fold_rows(
        n,
        |rows| {
            rows.map(|i| {
                let m = means.row(labels[i] as usize);
                x.row(i)
                    .iter()
                    .zip(m)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
            })
            .sum::<f64>()
        },
        |a, b| a + b,
    );
    Ok(if intra == 0.0 {
        1.0
    } else {
        extra * (n as f64 - used) / (intra * (used - 1.0))
    })
}

/// Davies–Bouldin index: mean over clusters of the worst (sᵢ + sⱼ) / dᵢⱼ, with s the mean
/// distance of a cluster's points to its centroid and d the distance between centroids.
pub fn davies_bouldin(x: ArrayView2<'_, f64>, labels: ArrayView1<'_, i64>) -> Result<f64> {
    let n = x.nrows();
    check_labels(labels, n)?;
    let k = labels.iter().max().map_or(0, |&m| m as usize + 1);
    let (counts, means, _) = cluster_means(x, labels, k);
    let spread = fold_rows(
        n,
        |rows| {
            let mut s = vec![0.0; k];
            for i in rows {
                let c = labels[i] as usize;
                let m = means.row(c);
                s[c] += x
                    .row(i)
                    .iter()
                    .zip(m)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
                    .sqrt();
            }
            s
        },
        |mut a, b| {
            a.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
            a
        },
    );
    let used: Vec<usize> = (0..k).filter(|&c| counts[c] > 0.0).collect();
    let s: Vec<f64> = used.iter().map(|&c| spread[c] / counts[c]).collect();
    let dist = |a: usize, b: usize| {
        means
            .row(a)
            .iter()
            .zip(means.row(b))
            .map(|(p, q)| (p - q) * (p - q))
            .sum::<f64>()
            .sqrt()
    };
    let all_zero_spread = s.iter().all(|&v| v.abs() < f64::EPSILON);
    let mut all_zero_dist = true;
    let mut total = 0.0;
    for (ia, &a) in used.iter().enumerate() {
        let mut worst = f64::NEG_INFINITY;
        for (ib, &b) in used.iter().enumerate() {
            if ia == ib {
                continue;
            }
            let dab = dist(a, b);
            if dab.abs() >= f64::EPSILON {
                all_zero_dist = false;
            }
            let score = if dab == 0.0 {
                0.0
            } else {
                (s[ia] + s[ib]) / dab
            };
            worst = worst.max(score);
        }
        total += worst;
    }
    if all_zero_spread || all_zero_dist {
        return Ok(0.0);
    }
    Ok(total / used.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn silhouette_of_two_tight_pairs_by_hand() {
        // Points 0, 1 | 10, 11 on a line. For x = 0: a = 1, b = (10 + 11)/2 = 10.5.
        let x = array![[0.0], [1.0], [10.0], [11.0]];
        let l = array![0i64, 0, 1, 1];
        let s = silhouette_samples(x.view(), l.view()).unwrap();
        assert!((s[0] - (10.5 - 1.0) / 10.5).abs() < 1e-15);
        // x = 1: a = 1, b = (9 + 10)/2 = 9.5
        assert!((s[1] - (9.5 - 1.0) / 9.5).abs() < 1e-15);
    }

    #[test]
    fn singleton_cluster_scores_zero() {
        let x = array![[0.0], [1.0], [10.0]];
        let l = array![0i64, 0, 1];
        let s = silhouette_samples(x.view(), l.view()).unwrap();
        assert_eq!(s[2], 0.0);
    }

    #[test]
    fn ch_and_db_by_hand() {
        let x = array![[0.0], [2.0], [10.0], [12.0]];
        let l = array![0i64, 0, 1, 1];
        // means 1 and 11, overall 6: extra = 2·25 + 2·25 = 100; intra = 4 · 1 = 4
        // CH = 100 · (4 − 2) / (4 · 1) = 50
        assert!((calinski_harabasz(x.view(), l.view()).unwrap() - 50.0).abs() < 1e-12);
        // s = 1 for both, centroid distance 10: DB = 0.2
        assert!((davies_bouldin(x.view(), l.view()).unwrap() - 0.2).abs() < 1e-12);
    }

    #[test]
    fn one_cluster_is_an_error() {
        let x = array![[0.0], [1.0]];
        assert!(silhouette_samples(x.view(), array![0i64, 0].view()).is_err());
        assert!(calinski_harabasz(x.view(), array![0i64, 1].view()).is_err());
        assert!(davies_bouldin(x.view(), array![-1i64, 1].view()).is_err());
    }
}
