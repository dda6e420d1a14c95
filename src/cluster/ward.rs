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

/// The active clusters, stored densely and feature-major (`cols[j][pos]`) so the
/// nearest-neighbour scan streams through contiguous memory and vectorises across clusters.
struct Active {
    slot: Vec<usize>,
    pos_of: Vec<usize>,
    size: Vec<f64>,
    cols: Vec<Vec<f64>>,
}

impl Active {
    fn remove(&mut self, slot: usize) {
        let at = self.pos_of[slot];
        let last = self.slot.len() - 1;
        self.slot.swap_remove(at);
        self.size.swap_remove(at);
        for c in &mut self.cols {
            c.swap_remove(at);
        }
        if at < last {
            self.pos_of[self.slot[at]] = at;
        }
    }

    /// Ward distance (squared) between the clusters at two positions.
    fn ward(&self, p: usize, q: usize) -> f64 {
        let sq: f64 = self
            .cols
            .iter()
            .map(|c| (c[p] - c[q]) * (c[p] - c[q]))
            .sum();
        let (np, nq) = (self.size[p], self.size[q]);
        2.0 * np * nq / (np + nq) * sq
    }
}

const BLOCK: usize = 256;

/// Nearest cluster to position `a` among positions `range` (ties: lowest slot).
#[inline(always)]
fn scan(act: &Active, a: usize, range: std::ops::Range<usize>) -> (f64, usize) {
    let ca: Vec<f64> = act.cols.iter().map(|c| c[a]).collect();
    let na = act.size[a];
    let mut best = (f64::INFINITY, usize::MAX);
    let mut acc = [0.0f64; BLOCK];
    let mut start = range.start;
    while start < range.end {
        let len = BLOCK.min(range.end - start);
        let acc = &mut acc[..len];
        acc.fill(0.0);
        for (c, &x) in act.cols.iter().zip(&ca) {
            for (s, &v) in acc.iter_mut().zip(&c[start..start + len]) {
                let diff = v - x;
                *s += diff * diff;
            }
        }
        for (s, &nb) in acc.iter_mut().zip(&act.size[start..start + len]) {
            *s *= 2.0 * na * nb / (na + nb);
        }
        for (i, &dist) in acc.iter().enumerate() {
            let p = start + i;
            if p == a {
                continue;
            }
            if dist < best.0 || (dist == best.0 && act.slot[p] < best.1) {
                best = (dist, act.slot[p]);
            }
        }
        start += len;
    }
    best
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn scan_avx2(act: &Active, a: usize, range: std::ops::Range<usize>) -> (f64, usize) {
    scan(act, a, range)
}

fn scan_dispatch(act: &Active, a: usize, range: std::ops::Range<usize>) -> (f64, usize) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2. (No FMA: the same results on every x86-64.)
        return unsafe { scan_avx2(act, a, range) };
    }
    scan(act, a, range)
}

/// Below this many active clusters the scan runs on one thread.
const PARALLEL_SCAN: usize = 8192;

/// The nearest active cluster to the one at position `a`: (Ward distance², slot).
fn nearest(act: &Active, a: usize) -> (f64, usize) {
    let n = act.slot.len();
    if n < PARALLEL_SCAN {
        return scan_dispatch(act, a, 0..n);
    }
    fold_rows(
        n,
        |r| scan_dispatch(act, a, r),
        |p, q| {
            if q.0 < p.0 || (q.0 == p.0 && q.1 < p.1) {
                q
            } else {
                p
            }
        },
    )
}

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
    // Heights are linear in the data: data far from 1 in magnitude (squares that overflow or
    // underflow) are scaled by a power of two, which is exact, and the heights scaled back.
    let max = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let exp = if max > 0.0 && !(2f64.powi(-400)..=2f64.powi(400)).contains(&max) {
        (max.log2().floor() as i32).clamp(-1000, 1000)
    } else {
        0
    };
    let scale = 2f64.powi(-exp);
    let mut act = Active {
        slot: (0..n).collect(),
        pos_of: (0..n).collect(),
        size: vec![1.0; n],
        cols: (0..d)
            .map(|j| x.column(j).iter().map(|v| v * scale).collect())
            .collect(),
    };
    // Each merge: (slot a, slot b, height); the merged cluster keeps the lower slot.
    let mut merges: Vec<(usize, usize, f64)> = Vec::with_capacity(n - 1);
    let mut chain: Vec<usize> = Vec::with_capacity(n);
    crate::cancel::progress::total((n - 1) as u64);
    while act.slot.len() > 1 {
        if chain.is_empty() {
            chain.push(*act.slot.iter().min().expect("an active cluster"));
        }
        let a = *chain.last().expect("non-empty chain");
        let prev = if chain.len() >= 2 {
            Some(chain[chain.len() - 2])
        } else {
            None
        };
        let pa = act.pos_of[a];
        let (best_d, best) = nearest(&act, pa);
        if best == usize::MAX {
            return Err(Error::invalid("X", "distances are not finite"));
        }
        // The previous chain element wins ties, so the chain always ends.
        let b = match prev {
            Some(p) if act.ward(pa, act.pos_of[p]) <= best_d => p,
            _ => best,
        };
        if Some(b) == prev {
            chain.pop();
            chain.pop();
            let (lo, hi) = (a.min(b), a.max(b));
            let (plo, phi) = (act.pos_of[lo], act.pos_of[hi]);
            let height = act.ward(plo, phi).sqrt() * 2f64.powi(exp);
            if !height.is_finite() {
                return Err(Error::invalid(
                    "X",
                    "Ward's merge heights exceed the largest float; rescale the data",
                ));
            }
            let (na, nb) = (act.size[plo], act.size[phi]);
            for c in &mut act.cols {
                c[plo] = (na * c[plo] + nb * c[phi]) / (na + nb);
            }
            act.size[plo] = na + nb;
            act.remove(hi);
            merges.push((lo, hi, height));
            crate::cancel::progress::step(height);
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
