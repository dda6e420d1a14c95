//! TwoStep's cluster step: agglomerative clustering of the leaf entries with the log-likelihood
//! distance, the information criterion per number of clusters, and SPSS's two-phase choice of
//! the number of clusters.

use rayon::prelude::*;

use super::cf::{Cf, Space};

/// The merges of the leaf entries, down to one cluster.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    /// (kept slot, merged slot, distance), in merge order: merge `i` goes from `m − i` clusters
    /// to `m − i − 1`.
    pub merges: Vec<(usize, usize, f64)>,
    /// Σ ξ over the clusters of the `J`-cluster solution, at index `J` (index 0 unused).
    pub total_xi: Vec<f64>,
}

impl Hierarchy {
    pub fn n_entries(&self) -> usize {
        self.merges.len() + 1
    }

    /// d_min(C_J): the distance of the merge from J to J − 1 clusters (2 ≤ J ≤ m).
    pub fn distance(&self, j: usize) -> f64 {
        self.merges[self.n_entries() - j].2
    }

    /// The cluster (0..k, numbered by first entry) of each entry in the k-cluster solution.
    pub fn partition(&self, k: usize) -> Vec<u32> {
        let m = self.n_entries();
        let mut parent: Vec<usize> = (0..m).collect();
        fn find(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        for &(a, b, _) in self.merges.iter().take(m.saturating_sub(k)) {
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            parent[rb] = ra;
        }
        let mut label = vec![u32::MAX; m];
        let mut out = vec![0u32; m];
        let mut next = 0u32;
        for (i, slot) in out.iter_mut().enumerate() {
            let r = find(&mut parent, i);
            if label[r] == u32::MAX {
                label[r] = next;
                next += 1;
            }
            *slot = label[r];
        }
        out
    }
}

/// Nearest active neighbour of `i` (smallest index on ties) and its distance.
fn nearest(space: &Space, cfs: &[Cf], active: &[bool], i: usize) -> (usize, f64) {
    let mut best = (usize::MAX, f64::INFINITY);
    for (j, cf) in cfs.iter().enumerate() {
        if j != i && active[j] {
            let d = space.dist(&cfs[i], cf);
            if d < best.1 || best.0 == usize::MAX {
                best = (j, d);
            }
        }
    }
    best
}

/// Agglomerates the entries down to one cluster, each step merging the closest pair (smallest
/// indices on ties). Nearest-neighbour lists keep it O(m²) distance evaluations in practice;
/// the scans run in parallel, each one independent of the thread count.
pub fn agglomerate(space: &Space, entries: &[Cf]) -> Hierarchy {
    let m = entries.len();
    let mut cfs: Vec<Cf> = entries.to_vec();
    let mut active = vec![true; m];
    let mut total = cfs.iter().map(|c| c.xi).sum::<f64>();
    let mut total_xi = vec![0.0; m + 1];
    total_xi[m] = total;
    let mut nn: Vec<(usize, f64)> = (0..m)
        .into_par_iter()
        .map(|i| nearest(space, &cfs, &active, i))
        .collect();
    let mut merges = Vec::with_capacity(m.saturating_sub(1));
    for j in (1..m).rev() {
        // The closest pair: the smallest nearest-neighbour distance, first slot on ties.
        let mut best = (usize::MAX, f64::INFINITY);
        for (i, &(_, d)) in nn.iter().enumerate() {
            if active[i] && (d < best.1 || best.0 == usize::MAX) {
                best = (i, d);
            }
        }
        let i = best.0;
        let (a, b) = (i.min(nn[i].0), i.max(nn[i].0));
        let merged = {
            let mut u = cfs[a].clone();
            space.add(&mut u, &cfs[b]);
            u
        };
        let d = cfs[a].xi + cfs[b].xi - merged.xi;
        total += merged.xi - cfs[a].xi - cfs[b].xi;
        total_xi[j] = total;
        merges.push((a, b, d));
        cfs[a] = merged;
        active[b] = false;
        if j == 1 {
            break;
        }
        // Distances from the merged cluster; neighbours that pointed at a or b rescan.
        let to_a: Vec<f64> = (0..m)
            .into_par_iter()
            .map(|k| {
                if k != a && active[k] {
                    space.dist(&cfs[a], &cfs[k])
                } else {
                    f64::INFINITY
                }
            })
            .collect();
        let mut nn_a = (usize::MAX, f64::INFINITY);
        let mut rescan = Vec::new();
        for k in 0..m {
            if k == a || !active[k] {
                continue;
            }
            if to_a[k] < nn_a.1 || nn_a.0 == usize::MAX {
                nn_a = (k, to_a[k]);
            }
            let (nk, dk) = nn[k];
            if nk == a || nk == b {
                rescan.push(k);
            } else if to_a[k] < dk || (to_a[k] == dk && a < nk) {
                nn[k] = (a, to_a[k]);
            }
        }
        nn[a] = nn_a;
        let found: Vec<(usize, f64)> = rescan
            .par_iter()
            .map(|&k| nearest(space, &cfs, &active, k))
            .collect();
        for (k, f) in rescan.into_iter().zip(found) {
            nn[k] = f;
        }
    }
    Hierarchy { merges, total_xi }
}

/// Which information criterion ranks the numbers of clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criterion {
    Bic,
    Aic,
}

/// The auto-clustering table, J = 1..=rows: the criterion, its change from J − 1, the ratio of
/// that change to the change from 1 to 2 clusters, and the ratio of distance measures
/// d_min(C_J) / d_min(C_{J+1}) (NaN where undefined).
#[derive(Debug, Clone)]
pub struct Table {
    pub criterion: Vec<f64>,
    pub change: Vec<f64>,
    pub ratio_change: Vec<f64>,
    pub ratio_distance: Vec<f64>,
}

/// Number of free parameters of a J-cluster model: J (2 K_A + Σ (L_k − 1)).
pub fn n_parameters(j: usize, p: usize, n_levels: &[u32]) -> f64 {
    let per = 2 * p
        + n_levels
            .iter()
            .map(|&l| l.saturating_sub(1) as usize)
            .sum::<usize>();
    (j * per) as f64
}

/// BIC(J) = −2 Σ ξ + m_J ln N, AIC(J) = −2 Σ ξ + 2 m_J.
pub fn information(
    criterion: Criterion,
    total_xi: f64,
    j: usize,
    space: &Space,
    n_levels: &[u32],
    n: f64,
) -> f64 {
    let m = n_parameters(j, space.p(), n_levels);
    let penalty = match criterion {
        Criterion::Bic => m * n.ln(),
        Criterion::Aic => 2.0 * m,
    };
    -2.0 * total_xi + penalty
}

/// The table for J = 1..=max_clusters (at most the number of entries).
pub fn table(
    h: &Hierarchy,
    criterion: Criterion,
    space: &Space,
    n_levels: &[u32],
    n: f64,
    max_clusters: usize,
) -> Table {
    let m = h.n_entries();
    let rows = max_clusters.min(m);
    let ic: Vec<f64> = (1..=rows)
        .map(|j| information(criterion, h.total_xi[j], j, space, n_levels, n))
        .collect();
    let mut change = vec![f64::NAN; rows];
    let mut ratio_change = vec![f64::NAN; rows];
    let mut ratio_distance = vec![f64::NAN; rows];
    for j in 2..=rows {
        change[j - 1] = ic[j - 1] - ic[j - 2];
    }
    if rows >= 2 {
        for j in 2..=rows {
            ratio_change[j - 1] = change[j - 1] / change[1];
        }
    }
    for j in 2..=rows {
        if j < m {
            let (dj, dnext) = (h.distance(j), h.distance(j + 1));
            if dnext > 0.0 {
                ratio_distance[j - 1] = dj / dnext;
            }
        }
    }
    Table {
        criterion: ic,
        change,
        ratio_change,
        ratio_distance,
    }
}

/// SPSS's automatic number of clusters from the table. Phase 1: if the criterion rises from 1
/// to 2 clusters, 1; else the initial estimate is the smallest J whose ratio of criterion
/// changes, (IC(J + 1) − IC(J)) / (IC(2) − IC(1)), is below 0.04 (the largest J if none is).
/// Phase 2: among J = 2..=estimate, the largest ratio of distance measures R(J) = d_min(C_J) /
/// d_min(C_{J+1}) and the second largest: the first if it exceeds the second by more than a
/// factor 1.15, else the larger of the two J.
pub fn choose_k(t: &Table) -> usize {
    let rows = t.criterion.len();
    if rows < 2 || t.change[1].is_nan() || t.change[1] >= 0.0 {
        return 1;
    }
    let mut estimate = rows;
    for j in 1..rows {
        // ratio_change at row j + 1 is (IC(j + 1) − IC(j)) / (IC(2) − IC(1)).
        if t.ratio_change[j] < 0.04 {
            estimate = j;
            break;
        }
    }
    if estimate < 2 {
        return estimate;
    }
    let mut first: Option<(usize, f64)> = None;
    let mut second: Option<(usize, f64)> = None;
    for j in 2..=estimate {
        let r = t.ratio_distance[j - 1];
        if !r.is_finite() {
            continue;
        }
        match first {
            Some((_, r1)) if r <= r1 => {
                if second.is_none_or(|(_, r2)| r > r2) {
                    second = Some((j, r));
                }
            }
            _ => {
                second = first;
                first = Some((j, r));
            }
        }
    }
    match (first, second) {
        (None, _) => estimate,
        (Some((j1, _)), None) => j1,
        (Some((j1, r1)), Some((j2, r2))) => {
            if r1 > 1.15 * r2 {
                j1
            } else {
                j1.max(j2)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_separated_groups_merge_last() {
        let space = Space::new(vec![1.0], &[]);
        let xs = [0.0, 0.1, 0.2, 10.0, 10.1, 10.2];
        let entries: Vec<Cf> = xs.iter().map(|&x| space.row(&[x], &[])).collect();
        let h = agglomerate(&space, &entries);
        assert_eq!(h.partition(2), vec![0, 0, 0, 1, 1, 1]);
        // Σ ξ falls by each merge's distance.
        for (i, &(_, _, d)) in h.merges.iter().enumerate() {
            let j = 6 - i;
            assert!((h.total_xi[j] - d - h.total_xi[j - 1]).abs() < 1e-9);
        }
        let t = table(&h, Criterion::Bic, &space, &[], 6.0, 5);
        assert_eq!(t.criterion.len(), 5);
    }

    #[test]
    fn choose_k_rules() {
        let t = Table {
            criterion: vec![100.0, 50.0, 20.0, 19.5, 19.4],
            change: vec![f64::NAN, -50.0, -30.0, -0.5, -0.1],
            ratio_change: vec![f64::NAN, 1.0, 0.6, 0.01, 0.002],
            ratio_distance: vec![f64::NAN, 1.5, 4.0, 1.1, f64::NAN],
        };
        assert_eq!(choose_k(&t), 3);
        let rising = Table {
            criterion: vec![1.0, 2.0],
            change: vec![f64::NAN, 1.0],
            ratio_change: vec![f64::NAN, 1.0],
            ratio_distance: vec![f64::NAN, f64::NAN],
        };
        assert_eq!(choose_k(&rising), 1);
    }
}
