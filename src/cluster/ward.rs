//! Ward hierarchical clustering by the nearest-neighbour chain, O(n·d) memory.
//!
//! Clusters are kept as centroids and sizes; the Ward distance of two clusters is
//! √(2 nₐ n_b / (nₐ + n_b)) · ‖cₐ − c_b‖ (SciPy's "ward" heights). Reciprocal nearest neighbours
//! found along the chain are merged; Ward's distance is reducible, so the result is the same
//! hierarchy as the greedy algorithm. The nearest-neighbour scan is a deterministic parallel
//! fold. The merges are returned in SciPy's linkage format.

use ndarray::{Array2, ArrayView2};

use crate::error::{Error, Result};
use crate::parallel::fold_rows;

/// SciPy linkage matrix: rows [a, b, height, size], cluster ids ≥ n for merged clusters.
pub fn linkage(x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
    let (n, d) = x.dim();
    if n < 2 {
        return Err(Error::invalid(
            "X",
            format!("Ward needs at least 2 rows, got {n}"),
        ));
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(Error::invalid("X", "contains NaN or inf"));
    }
    let mut centroid: Vec<f64> = x.iter().copied().collect();
    let mut size = vec![1.0f64; n];
    let mut active = vec![true; n];
    // Each merge: (slot a, slot b, height); the merged cluster takes slot min(a, b).
    let mut merges: Vec<(usize, usize, f64)> = Vec::with_capacity(n - 1);
    let mut chain: Vec<usize> = Vec::with_capacity(n);
    let ward = |centroid: &[f64], size: &[f64], a: usize, b: usize| -> f64 {
        let sq: f64 = centroid[a * d..(a + 1) * d]
            .iter()
            .zip(&centroid[b * d..(b + 1) * d])
            .map(|(p, q)| (p - q) * (p - q))
            .sum();
        2.0 * size[a] * size[b] / (size[a] + size[b]) * sq
    };
    let mut remaining = n;
    while remaining > 1 {
        if chain.is_empty() {
            chain.push(active.iter().position(|&a| a).expect("an active cluster"));
        }
        let a = *chain.last().expect("non-empty chain");
        let prev = if chain.len() >= 2 {
            Some(chain[chain.len() - 2])
        } else {
            None
        };
        // Nearest active cluster to a; the previous chain element wins ties (so the chain
        // terminates), then the lowest slot.
        let (best_d, best) = fold_rows(
            n,
            |rows| {
                let mut best = (f64::INFINITY, usize::MAX);
                for b in rows {
                    if b == a || !active[b] {
                        continue;
                    }
                    let dist = ward(&centroid, &size, a, b);
                    if dist < best.0 {
                        best = (dist, b);
                    }
                }
                best
            },
            |p, q| if q.0 < p.0 { q } else { p },
        );
        let b = match prev {
            Some(p) if ward(&centroid, &size, a, p) <= best_d => p,
            _ => best,
        };
        if Some(b) == prev {
            chain.pop();
            chain.pop();
            let (lo, hi) = (a.min(b), a.max(b));
            let height = ward(&centroid, &size, lo, hi).sqrt();
            let (na, nb) = (size[lo], size[hi]);
            for j in 0..d {
                centroid[lo * d + j] =
                    (na * centroid[lo * d + j] + nb * centroid[hi * d + j]) / (na + nb);
            }
            size[lo] = na + nb;
            active[hi] = false;
            merges.push((lo, hi, height));
            remaining -= 1;
        } else {
            chain.push(b);
        }
    }
    Ok(to_scipy(n, &merges))
}

/// Sorts merges by height (stable) and renames clusters as SciPy does: original rows 0..n,
/// the i-th merge creates cluster n + i; the smaller id first.
fn to_scipy(n: usize, merges: &[(usize, usize, f64)]) -> Array2<f64> {
    let mut order: Vec<usize> = (0..merges.len()).collect();
    order.sort_by(|&i, &j| merges[i].2.total_cmp(&merges[j].2).then(i.cmp(&j)));
    // Union–find over row slots: each slot's current cluster id.
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut id = (0..n).collect::<Vec<usize>>();
    let mut count = vec![1usize; n];
    let mut z = Array2::zeros((merges.len(), 4));
    for (row, &m) in order.iter().enumerate() {
        let (a, b, h) = merges[m];
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        let (ia, ib) = (id[ra], id[rb]);
        let total = count[ra] + count[rb];
        parent[rb] = ra;
        id[ra] = n + row;
        count[ra] = total;
        z[[row, 0]] = ia.min(ib) as f64;
        z[[row, 1]] = ia.max(ib) as f64;
        z[[row, 2]] = h;
        z[[row, 3]] = total as f64;
    }
    z
}

/// Flat clusters from a linkage matrix: cut to `k` clusters (the first n − k merges), labelled
/// 0.. in order of each cluster's first row.
pub fn cut(z: ArrayView2<'_, f64>, n: usize, k: usize) -> Result<Vec<u32>> {
    if k < 1 || k > n || z.nrows() + 1 != n {
        return Err(Error::invalid(
            "n_clusters",
            format!("must be between 1 and {n}"),
        ));
    }
    let mut parent: Vec<usize> = (0..2 * n - 1).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (row, merge) in z.outer_iter().take(n - k).enumerate() {
        let (a, b) = (merge[0] as usize, merge[1] as usize);
        let c = n + row;
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        parent[ra] = c;
        parent[rb] = c;
    }
    let mut label_of = std::collections::HashMap::new();
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let r = find(&mut parent, i);
        let next = label_of.len() as u32;
        labels.push(*label_of.entry(r).or_insert(next));
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn ward_heights_by_hand() {
        // 0 and 1 merge at √(2·1·1/2)·1 = 1; 10 joins: centroid 0.5, sizes 2 and 1:
        // √(2·2·1/3)·9.5.
        let x = array![[0.0], [1.0], [10.0]];
        let z = linkage(x.view()).unwrap();
        assert_eq!(z.row(0).to_vec(), vec![0.0, 1.0, 1.0, 2.0]);
        assert_eq!((z[[1, 0]], z[[1, 1]], z[[1, 3]]), (2.0, 3.0, 3.0));
        assert!((z[[1, 2]] - (4.0f64 / 3.0).sqrt() * 9.5).abs() < 1e-12);
        assert_eq!(cut(z.view(), 3, 2).unwrap(), vec![0, 0, 1]);
        assert_eq!(cut(z.view(), 3, 1).unwrap(), vec![0, 0, 0]);
        assert_eq!(cut(z.view(), 3, 3).unwrap(), vec![0, 1, 2]);
    }

    #[test]
    fn two_far_groups_split_first() {
        let x = array![[0.0, 0.0], [0.1, 0.0], [0.0, 0.2], [9.0, 9.0], [9.1, 9.0]];
        let z = linkage(x.view()).unwrap();
        let labels = cut(z.view(), 5, 2).unwrap();
        assert_eq!(labels, vec![0, 0, 0, 1, 1]);
        // heights ascending
        assert!(z.column(2).windows(2).into_iter().all(|w| w[0] <= w[1]));
    }
}
