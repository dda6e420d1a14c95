//! Bindings for `crate::cluster::twostep`.

use super::array::{Aligned1, Aligned2};
use ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;

use super::{run, to_py_err};
use crate::cluster::twostep::cf::{Cf, Space};
use crate::cluster::twostep::cftree::TreeParams;
use crate::cluster::twostep::hierarchy::Criterion;
use crate::cluster::twostep::{self, Model, TwoStepFit as Fit, TwoStepParams};
use crate::error::Error;

type Arr1<'py> = Bound<'py, PyArray1<f64>>;
type Arr2<'py> = Bound<'py, PyArray2<f64>>;
type Ints<'py> = Bound<'py, PyArray1<i64>>;

fn vec1<'py>(py: Python<'py>, v: &[f64]) -> Arr1<'py> {
    Array1::from(v.to_vec()).into_pyarray(py)
}

/// Stacks one vector per CF (`get` picks which) into a matrix.
fn stack<'py>(py: Python<'py>, cfs: &[Cf], width: usize, get: impl Fn(&Cf) -> &[f64]) -> Arr2<'py> {
    let mut out = Array2::zeros((cfs.len(), width));
    for (i, cf) in cfs.iter().enumerate() {
        for (j, v) in get(cf).iter().enumerate() {
            out[[i, j]] = *v;
        }
    }
    out.into_pyarray(py)
}

/// A fitted TwoStep model: labels, the auto-clustering table, the clusters' sufficient
/// statistics, the CF-tree's leaf entries and the final profiles, as numpy arrays.
#[pyclass(frozen, module = "segmint._core")]
pub struct TwoStepFit {
    fit: Fit,
}

#[pymethods]
impl TwoStepFit {
    /// Cluster of each row (−1: outlier).
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> Ints<'py> {
        Array1::from(self.fit.labels.clone()).into_pyarray(py)
    }
    #[getter]
    fn n_clusters(&self) -> usize {
        self.fit.n_clusters
    }
    /// BIC or AIC for J = 1, 2, ... clusters.
    #[getter]
    fn criterion<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.table.criterion)
    }
    #[getter]
    fn criterion_change<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.table.change)
    }
    #[getter]
    fn ratio_change<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.table.ratio_change)
    }
    #[getter]
    fn ratio_distance<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.table.ratio_distance)
    }
    #[getter]
    fn mean<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.model.mean)
    }
    #[getter]
    fn scale<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.model.scale)
    }
    #[getter]
    fn delta<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.model.space.delta)
    }
    /// Rows per cluster of the hierarchy (the model `predict` uses).
    #[getter]
    fn cluster_n<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        let n: Vec<f64> = self.fit.model.clusters.iter().map(|c| c.n).collect();
        vec1(py, &n)
    }
    #[getter]
    fn cluster_sum<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        stack(
            py,
            &self.fit.model.clusters,
            self.fit.model.mean.len(),
            |c| &c.s,
        )
    }
    #[getter]
    fn cluster_sumsq<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        stack(
            py,
            &self.fit.model.clusters,
            self.fit.model.mean.len(),
            |c| &c.ss,
        )
    }
    #[getter]
    fn cluster_counts<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        let w = self.fit.model.space.n_levels_total();
        stack(py, &self.fit.model.clusters, w, |c| &c.counts)
    }
    /// Rows per leaf entry (regular entries, then outlier entries).
    #[getter]
    fn entry_n<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        let n: Vec<f64> = self.fit.entries.iter().map(|c| c.n).collect();
        vec1(py, &n)
    }
    #[getter]
    fn entry_sum<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        stack(py, &self.fit.entries, self.fit.model.mean.len(), |c| &c.s)
    }
    #[getter]
    fn entry_sumsq<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        stack(py, &self.fit.entries, self.fit.model.mean.len(), |c| &c.ss)
    }
    #[getter]
    fn entry_counts<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        let w = self.fit.model.space.n_levels_total();
        stack(py, &self.fit.entries, w, |c| &c.counts)
    }
    #[getter]
    fn n_outlier_entries(&self) -> usize {
        self.fit.n_outlier_entries
    }
    /// Leaf entry of each row.
    #[getter]
    fn row_entry<'py>(&self, py: Python<'py>) -> Ints<'py> {
        Array1::from_iter(self.fit.row_entry.iter().map(|&e| e as i64)).into_pyarray(py)
    }
    /// Cluster of each regular leaf entry in the hierarchy's k-cluster solution.
    #[getter]
    fn entry_cluster<'py>(&self, py: Python<'py>) -> Ints<'py> {
        Array1::from_iter(self.fit.entry_cluster.iter().map(|&e| e as i64)).into_pyarray(py)
    }
    /// Merges of the hierarchy, (m − 1) × 2 entry slots: merge i joins the clusters holding
    /// these two entries, going from m − i to m − i − 1 clusters.
    #[getter]
    fn merges<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<i64>> {
        let h = &self.fit.hierarchy.merges;
        let mut out = Array2::zeros((h.len(), 2));
        for (i, &(a, b, _)) in h.iter().enumerate() {
            out[[i, 0]] = a as i64;
            out[[i, 1]] = b as i64;
        }
        out.into_pyarray(py)
    }
    #[getter]
    fn merge_distances<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        let d: Vec<f64> = self.fit.hierarchy.merges.iter().map(|m| m.2).collect();
        vec1(py, &d)
    }
    #[getter]
    fn threshold(&self) -> f64 {
        self.fit.threshold
    }
    #[getter]
    fn n_rebuilds(&self) -> usize {
        self.fit.n_rebuilds
    }
    /// Rows per final cluster (by label).
    #[getter]
    fn profile_n<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.profile.n)
    }
    #[getter]
    fn profile_sum<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.profile.s.clone().into_pyarray(py)
    }
    #[getter]
    fn profile_sumsq<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.profile.ss.clone().into_pyarray(py)
    }
    #[getter]
    fn profile_counts<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.profile.counts.clone().into_pyarray(py)
    }
    /// Per column (numeric, then categorical): F or Pearson χ² statistic.
    #[getter]
    fn importance_statistic<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        let v: Vec<f64> = self.fit.importance.iter().map(|t| t.statistic).collect();
        vec1(py, &v)
    }
    #[getter]
    fn importance_df1<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        let v: Vec<f64> = self.fit.importance.iter().map(|t| t.df1).collect();
        vec1(py, &v)
    }
    #[getter]
    fn importance_df2<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        let v: Vec<f64> = self.fit.importance.iter().map(|t| t.df2).collect();
        vec1(py, &v)
    }
    /// Natural log of each test's p-value.
    #[getter]
    fn importance_ln_p<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        let v: Vec<f64> = self.fit.importance.iter().map(|t| t.ln_p).collect();
        vec1(py, &v)
    }
}

/// Fits TwoStep on numeric columns `x` and categorical `codes` (`n_levels` per column).
#[pyfunction]
#[pyo3(signature = (x, codes, *, n_levels, n_clusters, max_clusters, criterion, standardize, threshold, branching_factor, max_leaf_entries, max_depth, outlier_handling, outlier_fraction, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn twostep_fit(
    py: Python<'_>,
    x: Aligned2<'_, f64>,
    codes: Aligned2<'_, u32>,
    n_levels: Vec<u32>,
    n_clusters: Option<usize>,
    max_clusters: usize,
    criterion: &str,
    standardize: bool,
    threshold: f64,
    branching_factor: usize,
    max_leaf_entries: usize,
    max_depth: usize,
    outlier_handling: bool,
    outlier_fraction: f64,
    n_threads: usize,
) -> PyResult<TwoStepFit> {
    let criterion = match criterion {
        "bic" => Criterion::Bic,
        "aic" => Criterion::Aic,
        other => {
            let why = format!("must be 'bic' or 'aic', got {other:?}");
            return Err(to_py_err(py, Error::invalid("criterion", why)));
        }
    };
    let params = TwoStepParams {
        n_clusters,
        max_clusters,
        criterion,
        standardize,
        tree: TreeParams {
            threshold,
            branching: branching_factor,
            leaf_size: max_leaf_entries,
            max_depth,
            outliers: outlier_handling,
            outlier_fraction,
        },
    };
    let (x, c) = (x.as_array(), codes.as_array());
    let fit = run(py, n_threads, || twostep::fit(x, c, &n_levels, &params))?;
    Ok(TwoStepFit { fit })
}

/// Closest cluster (log-likelihood distance) of each row, from the clusters' statistics.
#[pyfunction]
#[pyo3(signature = (x, codes, *, n_levels, mean, scale, delta, cluster_n, cluster_sum, cluster_sumsq, cluster_counts, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn twostep_predict<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    codes: Aligned2<'py, u32>,
    n_levels: Vec<u32>,
    mean: Vec<f64>,
    scale: Vec<f64>,
    delta: Vec<f64>,
    cluster_n: Aligned1<'py, f64>,
    cluster_sum: Aligned2<'py, f64>,
    cluster_sumsq: Aligned2<'py, f64>,
    cluster_counts: Aligned2<'py, f64>,
    n_threads: usize,
) -> PyResult<Ints<'py>> {
    let (x, c) = (x.as_array(), codes.as_array());
    let (cn, cs, css, cc) = (
        cluster_n.as_array(),
        cluster_sum.as_array(),
        cluster_sumsq.as_array(),
        cluster_counts.as_array(),
    );
    let labels = run(py, n_threads, || {
        let p = mean.len();
        let k = cn.len();
        let space = Space::new(delta.clone(), &n_levels);
        let ok = scale.len() == p
            && space.p() == p
            && cs.dim() == (k, p)
            && css.dim() == (k, p)
            && cc.dim() == (k, space.n_levels_total());
        if !ok {
            return Err(Error::invalid("model", "inconsistent cluster statistics"));
        }
        let clusters = (0..k)
            .map(|g| {
                let row = |a: &ndarray::ArrayView2<f64>| a.row(g).to_vec();
                space.from_sums(cn[g], &row(&cs), &row(&css), &row(&cc))
            })
            .collect();
        let model = Model {
            space: space.clone(),
            n_levels: n_levels.clone(),
            mean: mean.clone(),
            scale: scale.clone(),
            clusters,
        };
        twostep::predict(&model, x, c)
    })?;
    Ok(labels.into_pyarray(py))
}
