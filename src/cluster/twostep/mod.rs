//! TwoStep cluster analysis (Chiu, Fang, Chen, Wang & Jeris 2001; IBM SPSS Statistics
//! Algorithms, "TwoStep Cluster Algorithms") for mixed numeric and categorical data.
//!
//! 1. Pre-cluster: one pass over the rows, in row order, builds a CF-tree ([`cftree`]) with the
//!    log-likelihood distance ([`cf`]); its leaf entries summarise the data in at most
//!    `leaf_size × branching^max_depth` sub-clusters (memory bounded by the tree).
//! 2. Cluster: agglomerative clustering of the leaf entries with the same distance
//!    ([`hierarchy`]); BIC or AIC per number of clusters and SPSS's two-phase rule pick k (or k
//!    is given).
//! 3. Assign: every row goes to the closest of the k clusters (log-likelihood distance), rows of
//!    outlier entries get −1; per-cluster profiles and predictor importance (F tests for numeric
//!    columns, Pearson χ² tests for categorical ones) come from the same pass.
//!
//! The tree is built single-threaded (it depends on row order by nature); the moments, the
//! neighbour scans of step 2 and the assignment of step 3 run in parallel over fixed chunks, so
//! the result is the same on any number of threads.

pub mod cf;
pub mod cftree;
pub mod hierarchy;

use ndarray::{Array1, Array2, ArrayView2};

use crate::error::{Error, Result};
use crate::parallel::{fold_rows, fold_rows_mut};
use crate::stats::contingency::{self, Statistic};
use crate::stats::{anova, TestResult};
use cf::{Cf, Space};
use cftree::{CfTree, TreeParams};
use hierarchy::{Criterion, Hierarchy, Table};

/// TwoStep's parameters.
#[derive(Debug, Clone)]
pub struct TwoStepParams {
    /// Fixed number of clusters, or None for SPSS's automatic choice.
    pub n_clusters: Option<usize>,
    /// Largest number of clusters the automatic choice considers (rows of the table).
    pub max_clusters: usize,
    pub criterion: Criterion,
    /// Numeric columns as z-scores (population standard deviation); Δ_k is then 1.
    pub standardize: bool,
    pub tree: TreeParams,
}

/// A fitted TwoStep model and everything the tests and the Python layer read from it.
#[derive(Debug, Clone)]
pub struct TwoStepFit {
    pub labels: Vec<i64>,
    pub n_clusters: usize,
    pub table: Table,
    pub model: Model,
    /// Leaf entries (regular ones first, then outlier entries), in clustering units.
    pub entries: Vec<Cf>,
    pub n_outlier_entries: usize,
    /// Entry of each row.
    pub row_entry: Vec<u32>,
    /// Cluster of each regular leaf entry in the k-cluster solution.
    pub entry_cluster: Vec<u32>,
    pub hierarchy: Hierarchy,
    pub threshold: f64,
    pub n_rebuilds: usize,
    /// Final clusters (rows by label): rows, Σ x, Σ x² (caller's units), level counts.
    pub profile: Profile,
    /// Per numeric column then per categorical column: F test or Pearson χ² test across the
    /// final clusters.
    pub importance: Vec<TestResult>,
}

/// What prediction needs: the space, the scaling, the clusters' CFs.
#[derive(Debug, Clone)]
pub struct Model {
    pub space: Space,
    pub n_levels: Vec<u32>,
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    pub clusters: Vec<Cf>,
}

/// Per-cluster sums over rows.
#[derive(Debug, Clone)]
pub struct Profile {
    pub n: Vec<f64>,
    pub s: Array2<f64>,
    pub ss: Array2<f64>,
    pub counts: Array2<f64>,
}

impl Profile {
    fn zeros(k: usize, p: usize, levels: usize) -> Profile {
        Profile {
            n: vec![0.0; k],
            s: Array2::zeros((k, p)),
            ss: Array2::zeros((k, p)),
            counts: Array2::zeros((k, levels)),
        }
    }

    fn merge(mut self, b: Profile) -> Profile {
        for (a, b) in self.n.iter_mut().zip(&b.n) {
            *a += b;
        }
        self.s += &b.s;
        self.ss += &b.ss;
        self.counts += &b.counts;
        self
    }
}

fn check_table(x: &ArrayView2<f64>, codes: &ArrayView2<u32>, n_levels: &[u32]) -> Result<()> {
    if x.nrows() != codes.nrows() {
        return Err(Error::invalid(
            "X",
            format!(
                "{} rows of numbers but {} rows of categories",
                x.nrows(),
                codes.nrows()
            ),
        ));
    }
    if codes.ncols() != n_levels.len() {
        return Err(Error::invalid(
            "n_levels",
            "one level count per categorical column",
        ));
    }
    if x.ncols() + codes.ncols() == 0 {
        return Err(Error::invalid("X", "no columns to cluster"));
    }
    for (k, col) in codes.columns().into_iter().enumerate() {
        if let Some(bad) = col.iter().find(|&&c| c >= n_levels[k]) {
            return Err(Error::invalid(
                format!("categorical column {k}"),
                format!("code {bad} is not one of its {} levels", n_levels[k]),
            ));
        }
    }
    if let Some(k) = (0..x.ncols()).find(|&k| x.column(k).iter().any(|v| !v.is_finite())) {
        return Err(Error::invalid(
            format!("numeric column {k}"),
            "values must be finite",
        ));
    }
    Ok(())
}

/// Mean and population variance of each numeric column (chunk sums merged in order).
fn moments(x: &ArrayView2<f64>) -> (Vec<f64>, Vec<f64>) {
    let (n, p) = x.dim();
    let add = |mut a: Vec<f64>, b: Vec<f64>| {
        a.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
        a
    };
    let sums = fold_rows(
        n,
        |rows| {
            let mut s = vec![0.0; p];
            for r in rows {
                for k in 0..p {
                    s[k] += x[[r, k]];
                }
            }
            s
        },
        add,
    );
    let mean: Vec<f64> = sums.iter().map(|s| s / n as f64).collect();
    let m2 = fold_rows(
        n,
        |rows| {
            let mut s = vec![0.0; p];
            for r in rows {
                for k in 0..p {
                    let d = x[[r, k]] - mean[k];
                    s[k] += d * d;
                }
            }
            s
        },
        add,
    );
    let var = m2.iter().map(|m| m / n as f64).collect();
    (mean, var)
}

/// Fits TwoStep on numeric columns `x` (caller's units) and categorical codes.
pub fn fit(
    x: ArrayView2<f64>,
    codes: ArrayView2<u32>,
    n_levels: &[u32],
    params: &TwoStepParams,
) -> Result<TwoStepFit> {
    let (n, p) = x.dim();
    if n == 0 {
        return Err(Error::invalid("X", "no rows"));
    }
    if n >= u32::MAX as usize {
        return Err(Error::invalid("X", "at most 2^32 − 2 rows"));
    }
    check_table(&x, &codes, n_levels)?;
    let tp = &params.tree;
    if tp.branching < 2 || tp.leaf_size < 1 || tp.max_depth < 1 {
        return Err(Error::invalid(
            "branching_factor",
            "branching_factor ≥ 2, max_leaf_entries ≥ 1, max_depth ≥ 1",
        ));
    }
    if !(tp.threshold >= 0.0 && tp.threshold.is_finite()) {
        return Err(Error::invalid("threshold", "must be a finite number ≥ 0"));
    }
    if params.max_clusters < 1 {
        return Err(Error::invalid("max_clusters", "must be at least 1"));
    }
    let (mean, var) = moments(&x);
    if let Some(k) = var.iter().position(|&v| v.is_nan() || v <= 0.0) {
        return Err(Error::invalid(
            format!("numeric column {k}"),
            "is constant: it cannot separate clusters (drop it)",
        ));
    }
    let (mean, scale, delta) = if params.standardize {
        (mean, var.iter().map(|v| v.sqrt()).collect(), vec![1.0; p])
    } else {
        (vec![0.0; p], vec![1.0; p], var)
    };
    let space = Space::new(delta, n_levels);

    // Step 1: the CF-tree, one row at a time.
    let mut tree = CfTree::new(&space, tp.clone(), n);
    let mut z = vec![0.0; p];
    let mut row = space.empty();
    let mut cbuf = vec![0u32; codes.ncols()];
    for r in 0..n {
        if r % 8192 == 0 && crate::cancel::requested() {
            return Err(Error::invalid("fit", "interrupted"));
        }
        for k in 0..p {
            z[k] = (x[[r, k]] - mean[k]) / scale[k];
        }
        for (j, c) in cbuf.iter_mut().enumerate() {
            *c = codes[[r, j]];
        }
        space.set_row(&mut row, &z, &cbuf);
        tree.insert_row(&row);
    }
    let leaves = tree.finish();
    let m = leaves.entries.len();

    // Step 2: the hierarchy of the leaf entries and the number of clusters.
    let hierarchy = hierarchy::agglomerate(&space, &leaves.entries);
    let n_regular: f64 = leaves.entries.iter().map(|e| e.n).sum();
    let table = hierarchy::table(
        &hierarchy,
        params.criterion,
        &space,
        n_levels,
        n_regular,
        params.max_clusters,
    );
    let k = match params.n_clusters {
        Some(k) if k > m => {
            return Err(Error::invalid(
                "n_clusters",
                format!(
                    "{k} clusters asked but the CF-tree has {m} leaf entries (sub-clusters); \
                     lower threshold or raise max_leaf_entries / max_depth"
                ),
            ))
        }
        Some(0) => return Err(Error::invalid("n_clusters", "must be at least 1")),
        Some(k) => k,
        None => hierarchy::choose_k(&table),
    };
    let entry_cluster = hierarchy.partition(k);
    let mut clusters: Vec<Cf> = (0..k).map(|_| space.empty()).collect();
    for (e, &c) in leaves.entries.iter().zip(&entry_cluster) {
        space.add(&mut clusters[c as usize], e);
    }
    let model = Model {
        space: space.clone(),
        n_levels: n_levels.to_vec(),
        mean,
        scale,
        clusters,
    };

    // Step 3: assignment, profiles, importance.
    let mut labels = vec![0i64; n];
    let profile = assign(
        &model,
        &x,
        &codes,
        Some((&leaves.row_entry, m)),
        &mut labels,
    );
    let importance = importance(&profile, &space, p);
    let mut entries = leaves.entries;
    let n_outlier_entries = leaves.outliers.len();
    entries.extend(leaves.outliers);
    Ok(TwoStepFit {
        labels,
        n_clusters: k,
        table,
        model,
        entries,
        n_outlier_entries,
        row_entry: leaves.row_entry,
        entry_cluster,
        hierarchy,
        threshold: leaves.threshold,
        n_rebuilds: leaves.n_rebuilds,
        profile,
        importance,
    })
}

/// Closest cluster of each row (−1 for rows of outlier entries when `outliers` gives the row
/// entries and the number of regular entries), and the profile of the result.
fn assign(
    model: &Model,
    x: &ArrayView2<f64>,
    codes: &ArrayView2<u32>,
    outliers: Option<(&[u32], usize)>,
    labels: &mut [i64],
) -> Profile {
    let (p, q) = (x.ncols(), codes.ncols());
    let k = model.clusters.len();
    let levels = model.space.n_levels_total();
    let offsets = &model.space.offsets;
    fold_rows_mut(
        labels,
        1,
        |rows, out| {
            let mut prof = Profile::zeros(k, p, levels);
            let mut z = vec![0.0; p];
            let mut c = vec![0u32; q];
            for (i, r) in rows.enumerate() {
                if let Some((row_entry, m)) = outliers {
                    if row_entry[r] as usize >= m {
                        out[i] = -1;
                        continue;
                    }
                }
                for j in 0..p {
                    z[j] = (x[[r, j]] - model.mean[j]) / model.scale[j];
                }
                for j in 0..q {
                    c[j] = codes[[r, j]];
                }
                let mut best = (0usize, f64::INFINITY);
                for (g, cl) in model.clusters.iter().enumerate() {
                    let d = model.space.dist_row(cl, &z, &c);
                    if d < best.1 {
                        best = (g, d);
                    }
                }
                let g = best.0;
                out[i] = g as i64;
                prof.n[g] += 1.0;
                for j in 0..p {
                    let v = x[[r, j]];
                    prof.s[[g, j]] += v;
                    prof.ss[[g, j]] += v * v;
                }
                for j in 0..q {
                    prof.counts[[g, offsets[j] + c[j] as usize]] += 1.0;
                }
            }
            prof
        },
        Profile::merge,
    )
}

/// F test (numeric) or Pearson χ² test (categorical) of each column across the clusters.
fn importance(profile: &Profile, space: &Space, p: usize) -> Vec<TestResult> {
    let k = profile.n.len();
    let mut out = Vec::with_capacity(p + space.q());
    for j in 0..p {
        let groups: Vec<[f64; anova::WIDTH]> = (0..k)
            .map(|g| {
                [
                    profile.n[g],
                    profile.n[g],
                    profile.s[[g, j]],
                    profile.ss[[g, j]],
                ]
            })
            .collect();
        let refs: Vec<&[f64]> = groups.iter().map(|g| &g[..]).collect();
        out.push(anova::test(&refs));
    }
    for j in 0..space.q() {
        let (a, b) = (space.offsets[j], space.offsets[j + 1]);
        let rows: Vec<Vec<f64>> = (0..k)
            .map(|g| {
                profile
                    .counts
                    .row(g)
                    .as_slice()
                    .map(|s| s[a..b].to_vec())
                    .unwrap_or_default()
            })
            .collect();
        let refs: Vec<&[f64]> = rows.iter().map(|r| &r[..]).collect();
        out.push(contingency::test(&refs, None, Statistic::Pearson));
    }
    out
}

/// Closest cluster of each row of new data.
pub fn predict(model: &Model, x: ArrayView2<f64>, codes: ArrayView2<u32>) -> Result<Array1<i64>> {
    if x.ncols() != model.mean.len() || codes.ncols() != model.n_levels.len() {
        return Err(Error::invalid("X", "not the columns of the fit"));
    }
    check_table(&x, &codes, &model.n_levels)?;
    let mut labels = vec![0i64; x.nrows()];
    assign(model, &x, &codes, None, &mut labels);
    Ok(Array1::from(labels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn params(n_clusters: Option<usize>) -> TwoStepParams {
        TwoStepParams {
            n_clusters,
            max_clusters: 8,
            criterion: Criterion::Bic,
            standardize: true,
            tree: TreeParams {
                threshold: 0.0,
                branching: 8,
                leaf_size: 8,
                max_depth: 3,
                outliers: false,
                outlier_fraction: 0.25,
            },
        }
    }

    #[test]
    fn recovers_three_groups() {
        let n = 900;
        let mut x = Array2::zeros((n, 2));
        let mut c = Array2::zeros((n, 1));
        for r in 0..n {
            let g = r % 3;
            let jitter = ((r * 7919) % 101) as f64 / 100.0 - 0.5;
            x[[r, 0]] = g as f64 * 6.0 + jitter;
            x[[r, 1]] = -(g as f64) * 4.0 + jitter * 0.5;
            c[[r, 0]] = g as u32;
        }
        let fit = fit(x.view(), c.view(), &[3], &params(None)).unwrap();
        assert_eq!(fit.n_clusters, 3);
        for r in 3..n {
            assert_eq!(fit.labels[r], fit.labels[r % 3]);
        }
        let again = predict(&fit.model, x.view(), c.view()).unwrap();
        assert_eq!(again.to_vec(), fit.labels);
    }

    #[test]
    fn constant_column_is_an_error() {
        let x = Array2::from_elem((10, 1), 1.0);
        let c = Array2::<u32>::zeros((10, 0));
        assert!(fit(x.view(), c.view(), &[], &params(None)).is_err());
    }
}
