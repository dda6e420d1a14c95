//! Internal validity indices for choosing k: silhouette (exact), Calinski–Harabasz and
//! Davies–Bouldin, with scikit-learn's conventions for degenerate cases.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::error::{Error, Result};
use crate::parallel::{fold_rows, fold_rows_mut};

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

fn row(x: &ArrayView2<'_, f64>, i: usize) -> Vec<f64> {
    x.row(i).to_vec()
}

/// Silhouette width of every row: (b − a) / max(a, b) with a the mean distance to the other
/// members of its cluster and b the smallest mean distance to another cluster; 0 for a row alone
/// in its cluster. Exact Euclidean distances, O(n² d), parallel over rows.
///
/// Rows are visited in cluster order, so each cluster's distances are one contiguous run that
/// vectorises, with the data held feature-major.
pub fn silhouette_samples(
    x: ArrayView2<'_, f64>,
    labels: ArrayView1<'_, i64>,
) -> Result<Array1<f64>> {
    let (n, d) = x.dim();
    let k = check_labels(labels, n)?;
    // Cluster-sorted, feature-major copy of the data.
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
    for (pos, &i) in order.iter().enumerate() {
        for j in 0..d {
            cols[j * n + pos] = x[[i, j]];
        }
    }
    let sorted = Sorted {
        cols: &cols,
        bounds: &bounds,
        n,
    };
    let mut out = vec![0.0; n];
    fold_rows_mut(
        &mut out,
        1,
        |rows, o| silhouette_rows_dispatch(&x, labels, &sorted, rows, o),
        |_, _| (),
    );
    Ok(Array1::from(out))
}

/// The data sorted by cluster, feature-major, with each cluster's range.
struct Sorted<'a> {
    cols: &'a [f64],
    bounds: &'a [usize],
    n: usize,
}

const BLOCK: usize = 256;

/// Rows handled together: each block of the data is loaded once for all of them.
const ROWS: usize = 4;

/// Σ √v over a block, with four partial sums so that it vectorises.
#[inline(always)]
fn sum_sqrt(v: &[f64]) -> f64 {
    let mut part = [0.0f64; 4];
    let chunks = v.chunks_exact(4);
    let rest: f64 = chunks.remainder().iter().map(|a| a.sqrt()).sum();
    for c in chunks {
        for l in 0..4 {
            part[l] += c[l].sqrt();
        }
    }
    (part[0] + part[1]) + (part[2] + part[3]) + rest
}

#[inline(always)]
fn silhouette_rows(
    x: &ArrayView2<'_, f64>,
    labels: ArrayView1<'_, i64>,
    sorted: &Sorted<'_>,
    rows: std::ops::Range<usize>,
    out: &mut [f64],
) {
    let Sorted { cols, bounds, n } = *sorted;
    let k = bounds.len() - 1;
    let d = x.ncols();
    let mut acc = vec![[0.0f64; BLOCK]; ROWS];
    let mut sums = vec![0.0; k * ROWS];
    let all: Vec<usize> = rows.clone().collect();
    for (group, outs) in all.chunks(ROWS).zip(out.chunks_mut(ROWS)) {
        let m = group.len();
        let xs: Vec<Vec<f64>> = group.iter().map(|&i| row(x, i)).collect();
        for c in 0..k {
            let mut total = [0.0f64; ROWS];
            let mut start = bounds[c];
            while start < bounds[c + 1] {
                let len = BLOCK.min(bounds[c + 1] - start);
                for a in acc.iter_mut().take(m) {
                    a[..len].fill(0.0);
                }
                for j in 0..d {
                    let col = &cols[j * n + start..j * n + start + len];
                    for (r, a) in acc.iter_mut().enumerate().take(m) {
                        let xij = xs[r][j];
                        for (s, &v) in a[..len].iter_mut().zip(col) {
                            let diff = v - xij;
                            *s += diff * diff;
                        }
                    }
                }
                for (t, a) in total.iter_mut().zip(&acc).take(m) {
                    *t += sum_sqrt(&a[..len]);
                }
                start += len;
            }
            for r in 0..m {
                sums[r * k + c] = total[r];
            }
        }
        for (r, (&i, s)) in group.iter().zip(outs.iter_mut()).enumerate() {
            let own = labels[i] as usize;
            let size = bounds[own + 1] - bounds[own];
            if size <= 1 {
                *s = 0.0;
                continue;
            }
            let a = sums[r * k + own] / (size - 1) as f64;
            let b = (0..k)
                .filter(|&c| c != own && bounds[c + 1] > bounds[c])
                .map(|c| sums[r * k + c] / (bounds[c + 1] - bounds[c]) as f64)
                .fold(f64::INFINITY, f64::min);
            let m = a.max(b);
            *s = if m > 0.0 { (b - a) / m } else { 0.0 };
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn silhouette_rows_avx2(
    x: &ArrayView2<'_, f64>,
    labels: ArrayView1<'_, i64>,
    sorted: &Sorted<'_>,
    rows: std::ops::Range<usize>,
    out: &mut [f64],
) {
    silhouette_rows(x, labels, sorted, rows, out)
}

fn silhouette_rows_dispatch(
    x: &ArrayView2<'_, f64>,
    labels: ArrayView1<'_, i64>,
    sorted: &Sorted<'_>,
    rows: std::ops::Range<usize>,
    out: &mut [f64],
) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has the features the function is compiled for.
        return unsafe { silhouette_rows_avx2(x, labels, sorted, rows, out) };
    }
    silhouette_rows(x, labels, sorted, rows, out)
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
