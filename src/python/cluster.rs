//! Bindings for `crate::cluster`.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::{run, to_py_err};
use crate::cluster::kmeans::{self, Init, KMeansParams};
use crate::cluster::metrics;
use crate::error::Error;
use crate::table::{Missing, Table};

type Labels<'py> = Bound<'py, PyArray1<i64>>;
type Matrix<'py> = Bound<'py, PyArray2<f64>>;
type Vector<'py> = Bound<'py, PyArray1<f64>>;

/// Fits k-means. `init` is "k-means++" or "random", or `init_centers` is given.
/// Returns (centers relative to offset, offset, labels, inertia, n_iter).
#[pyfunction]
#[pyo3(signature = (x, sample_weight, n_clusters, init, init_centers, n_init, max_iter, tol, seed, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn kmeans_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    n_clusters: usize,
    init: &str,
    init_centers: Option<PyReadonlyArray2<'py, f64>>,
    n_init: usize,
    max_iter: usize,
    tol: f64,
    seed: u64,
    n_threads: usize,
) -> PyResult<(Matrix<'py>, Vector<'py>, Labels<'py>, f64, usize)> {
    let init = match (init, init_centers) {
        (_, Some(c)) => Init::Centers(c.as_array().to_owned()),
        ("k-means++", None) => Init::KMeansPlusPlus,
        ("random", None) => Init::Random,
        (other, None) => {
            let why = format!("unknown method {other:?}");
            return Err(to_py_err(py, Error::invalid("init", why)));
        }
    };
    let params = KMeansParams {
        n_clusters,
        init,
        n_init,
        max_iter,
        tol,
        seed,
    };
    let x = x.as_array();
    let w = sample_weight.as_ref().map(|w| w.as_array());
    let fit = run(py, n_threads, || {
        let x = x.as_standard_layout();
        kmeans::fit_checked(x.view(), w, params)
    })?;
    Ok((
        fit.centered.into_pyarray(py),
        fit.offset.into_pyarray(py),
        fit.labels.mapv(i64::from).into_pyarray(py),
        fit.inertia,
        fit.n_iter,
    ))
}

/// Nearest centre per row and the weighted inertia (centres relative to `offset`).
#[pyfunction]
#[pyo3(signature = (x, sample_weight, centers, offset, n_threads))]
pub fn kmeans_predict<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    centers: PyReadonlyArray2<'py, f64>,
    offset: PyReadonlyArray1<'py, f64>,
    n_threads: usize,
) -> PyResult<(Labels<'py>, f64)> {
    let (x, c, o) = (x.as_array(), centers.as_array(), offset.as_array());
    let w = sample_weight.as_ref().map(|w| w.as_array());
    let (labels, inertia) = run(py, n_threads, || {
        let x = x.as_standard_layout();
        let table = Table::numeric(x.view(), w, Missing::Forbid)?;
        kmeans::predict(&table, c, o)
    })?;
    Ok((labels.mapv(i64::from).into_pyarray(py), inertia))
}

/// Euclidean distances of every row to every centre (centres relative to `offset`).
#[pyfunction]
#[pyo3(signature = (x, centers, offset, n_threads))]
pub fn kmeans_transform<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    centers: PyReadonlyArray2<'py, f64>,
    offset: PyReadonlyArray1<'py, f64>,
    n_threads: usize,
) -> PyResult<Matrix<'py>> {
    let (x, c, o) = (x.as_array(), centers.as_array(), offset.as_array());
    let dist = run(py, n_threads, || {
        let x = x.as_standard_layout();
        let table = Table::numeric(x.view(), None, Missing::Forbid)?;
        kmeans::transform(&table, c, o)
    })?;
    Ok(dist.into_pyarray(py))
}

/// The mergeable statistics of one Lloyd step on a partition: (sums, weights, inertia).
#[pyfunction]
#[pyo3(signature = (x, sample_weight, centers, offset, n_threads))]
pub fn kmeans_lloyd_stats<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    centers: PyReadonlyArray2<'py, f64>,
    offset: PyReadonlyArray1<'py, f64>,
    n_threads: usize,
) -> PyResult<(Matrix<'py>, Vector<'py>, f64)> {
    let (x, c, o) = (x.as_array(), centers.as_array(), offset.as_array());
    let w = sample_weight.as_ref().map(|w| w.as_array());
    let stats = run(py, n_threads, || {
        let x = x.as_standard_layout();
        let table = Table::numeric(x.view(), w, Missing::Forbid)?;
        kmeans::lloyd_stats(&table, c, o)
    })?;
    Ok((
        stats.sums.into_pyarray(py),
        stats.weights.into_pyarray(py),
        stats.inertia,
    ))
}

/// Silhouette width of every row (exact Euclidean).
#[pyfunction]
#[pyo3(signature = (x, labels, n_threads))]
pub fn silhouette_samples<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    labels: PyReadonlyArray1<'py, i64>,
    n_threads: usize,
) -> PyResult<Vector<'py>> {
    let (x, labels) = (x.as_array(), labels.as_array());
    let s = run(py, n_threads, || {
        let table = Table::numeric(x, None, Missing::Forbid)?;
        metrics::silhouette_samples(table.numeric, labels)
    })?;
    Ok(s.into_pyarray(py))
}

/// Calinski–Harabasz index.
#[pyfunction]
#[pyo3(signature = (x, labels, n_threads))]
pub fn calinski_harabasz_score<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    labels: PyReadonlyArray1<'py, i64>,
    n_threads: usize,
) -> PyResult<f64> {
    let (x, labels) = (x.as_array(), labels.as_array());
    run(py, n_threads, || {
        let table = Table::numeric(x, None, Missing::Forbid)?;
        metrics::calinski_harabasz(table.numeric, labels)
    })
}

/// Davies–Bouldin index.
#[pyfunction]
#[pyo3(signature = (x, labels, n_threads))]
pub fn davies_bouldin_score<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    labels: PyReadonlyArray1<'py, i64>,
    n_threads: usize,
) -> PyResult<f64> {
    let (x, labels) = (x.as_array(), labels.as_array());
    run(py, n_threads, || {
        let table = Table::numeric(x, None, Missing::Forbid)?;
        metrics::davies_bouldin(table.numeric, labels)
    })
}
