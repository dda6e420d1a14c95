//! Bindings for `crate::cluster`.

use super::array::{Aligned1, Aligned2};
use ndarray::{ArrayView1, ArrayView2};
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;

use super::{run, to_py_err};
use crate::cluster::clara::{self, ClaraData, ClaraParams};
use crate::cluster::gower;
use crate::cluster::kmeans::{self, Init, KMeansParams};
use crate::cluster::kmedoids::{self, KMedoidsParams, MedoidInit};
use crate::cluster::kprototypes::{self, KPrototypesParams, ProtoInit, Update};
use crate::cluster::metrics;
use crate::cluster::ward;
use crate::error::Error;
use crate::table::{Missing, Table};

type Labels<'py> = Bound<'py, PyArray1<i64>>;
type Matrix<'py> = Bound<'py, PyArray2<f64>>;
type Vector<'py> = Bound<'py, PyArray1<f64>>;
type KPrototypesOut<'py> = (
    Matrix<'py>,
    Bound<'py, PyArray2<u32>>,
    Labels<'py>,
    f64,
    usize,
    f64,
);

/// Fits k-means. `init` is "k-means++" or "random", or `init_centers` is given.
/// Returns (centers relative to offset, offset, labels, inertia, n_iter).
#[pyfunction]
#[pyo3(signature = (x, sample_weight, *, n_clusters, init, init_centers, n_init, max_iter, tol, seed, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn kmeans_fit<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    sample_weight: Option<Aligned1<'py, f64>>,
    n_clusters: usize,
    init: &str,
    init_centers: Option<Aligned2<'py, f64>>,
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
        kmeans::fit_kmeans_checked(x.view(), w, params)
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
#[pyo3(signature = (x, sample_weight, *, centers, offset, n_threads))]
pub fn kmeans_predict<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    sample_weight: Option<Aligned1<'py, f64>>,
    centers: Aligned2<'py, f64>,
    offset: Aligned1<'py, f64>,
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

/// The largest magnitude of each column's finite values (0 for a column with none).
#[pyfunction]
#[pyo3(signature = (x, *, n_threads))]
pub fn finite_abs_max<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    n_threads: usize,
) -> PyResult<Vector<'py>> {
    let x = x.as_array();
    let top = run(py, n_threads, || Ok(crate::table::finite_abs_max(x)))?;
    Ok(top.into_pyarray(py))
}

/// Euclidean distances of every row to every centre (centres relative to `offset`).
#[pyfunction]
#[pyo3(signature = (x, centers, *, offset, n_threads))]
pub fn kmeans_transform<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    centers: Aligned2<'py, f64>,
    offset: Aligned1<'py, f64>,
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
#[pyo3(signature = (x, sample_weight, centers, *, offset, n_threads))]
pub fn kmeans_lloyd_stats<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    sample_weight: Option<Aligned1<'py, f64>>,
    centers: Aligned2<'py, f64>,
    offset: Aligned1<'py, f64>,
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
#[pyo3(signature = (x, labels, *, n_threads))]
pub fn silhouette_samples<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    labels: Aligned1<'py, i64>,
    n_threads: usize,
) -> PyResult<Vector<'py>> {
    let (x, labels) = (x.as_array(), labels.as_array());
    let s = run(py, n_threads, || {
        let table = Table::numeric(x, None, Missing::Forbid)?;
        metrics::silhouette_samples(table.numeric, labels)
    })?;
    Ok(s.into_pyarray(py))
}

type Index = fn(ArrayView2<'_, f64>, ArrayView1<'_, i64>) -> crate::error::Result<f64>;

fn numeric_index(
    py: Python<'_>,
    x: Aligned2<'_, f64>,
    labels: Aligned1<'_, i64>,
    n_threads: usize,
    index: Index,
) -> PyResult<f64> {
    let (x, labels) = (x.as_array(), labels.as_array());
    run(py, n_threads, || {
        let table = Table::numeric(x, None, Missing::Forbid)?;
        index(table.numeric, labels)
    })
}

/// A cluster validity index of numeric data: `index` is "calinski_harabasz" or
/// "davies_bouldin".
#[pyfunction]
#[pyo3(signature = (x, labels, *, index, n_threads))]
pub fn cluster_index<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    labels: Aligned1<'py, i64>,
    index: &str,
    n_threads: usize,
) -> PyResult<f64> {
    let f = match index {
        "calinski_harabasz" => metrics::calinski_harabasz,
        "davies_bouldin" => metrics::davies_bouldin,
        other => {
            return Err(to_py_err(
                py,
                Error::invalid("index", format!("unknown index {other:?}")),
            ))
        }
    };
    numeric_index(py, x, labels, n_threads, f)
}

/// Fits k-prototypes. `init` is "huang", "random" or "k-means++", or `init_numeric` and
/// `init_modes` are given; `update` is "online" or "batch"; `gamma` None = the kmodes default.
/// Returns (numeric centres, modes, labels, cost, n_iter, gamma).
#[pyfunction]
#[pyo3(signature = (x, codes, *, n_levels, sample_weight, n_clusters, gamma, init, init_numeric, init_modes, update, n_init, max_iter, seed, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn kprototypes_fit<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    codes: Aligned2<'py, u32>,
    n_levels: Vec<u32>,
    sample_weight: Option<Aligned1<'py, f64>>,
    n_clusters: usize,
    gamma: Option<f64>,
    init: &str,
    init_numeric: Option<Aligned2<'py, f64>>,
    init_modes: Option<Aligned2<'py, u32>>,
    update: &str,
    n_init: usize,
    max_iter: usize,
    seed: u64,
    n_threads: usize,
) -> PyResult<KPrototypesOut<'py>> {
    let init = match (init, init_numeric, init_modes) {
        (_, Some(num), Some(modes)) => ProtoInit::Given {
            numeric: num.as_array().to_owned(),
            modes: modes.as_array().to_owned(),
        },
        ("huang", None, None) => ProtoInit::Huang,
        ("random", None, None) => ProtoInit::Random,
        ("k-means++", None, None) => ProtoInit::KMeansPlusPlus,
        (other, _, _) => {
            let why = format!("unknown method {other:?} (or only half of the prototypes given)");
            return Err(to_py_err(py, Error::invalid("init", why)));
        }
    };
    let update = match update {
        "online" => Update::Online,
        "batch" => Update::Batch,
        other => {
            let why = format!("must be 'online' or 'batch', got {other:?}");
            return Err(to_py_err(py, Error::invalid("update", why)));
        }
    };
    let params = KPrototypesParams {
        n_clusters,
        gamma,
        init,
        update,
        n_init,
        max_iter,
        seed,
    };
    let (x, c) = (x.as_array(), codes.as_array());
    let w = sample_weight.as_ref().map(|w| w.as_array());
    let fit = run(py, n_threads, || {
        let (x, c) = (x.as_standard_layout(), c.as_standard_layout());
        let table = Table::new(x.view(), c.view(), &n_levels, w, Missing::Forbid)?;
        kprototypes::fit_kprototypes(&table, &params)
    })?;
    Ok((
        fit.numeric.into_pyarray(py),
        fit.modes.into_pyarray(py),
        fit.labels.mapv(i64::from).into_pyarray(py),
        fit.cost,
        fit.n_iter,
        fit.gamma,
    ))
}

/// Nearest prototype per row (unseen categories, coded as missing, match no mode) and the cost.
#[pyfunction]
#[pyo3(signature = (x, codes, *, n_levels, numeric, modes, gamma, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn kprototypes_predict<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    codes: Aligned2<'py, u32>,
    n_levels: Vec<u32>,
    numeric: Aligned2<'py, f64>,
    modes: Aligned2<'py, u32>,
    gamma: f64,
    n_threads: usize,
) -> PyResult<(Labels<'py>, f64)> {
    let (x, c) = (x.as_array(), codes.as_array());
    let (num, modes) = (numeric.as_array(), modes.as_array());
    let (labels, cost) = run(py, n_threads, || {
        let table = Table::new(x, c, &n_levels, None, Missing::Allow)?;
        if table.numeric.iter().any(|v| v.is_nan()) {
            return Err(Error::invalid("X", "missing numeric values"));
        }
        kprototypes::predict(&table, num, modes, gamma)
    })?;
    Ok((labels.mapv(i64::from).into_pyarray(py), cost))
}

fn mixed_rows<'a>(
    numeric: &'a ndarray::ArrayView2<'a, f64>,
    codes: &'a ndarray::ArrayView2<'a, u32>,
) -> gower::MixedRows<'a> {
    gower::MixedRows {
        numeric: numeric.view(),
        codes: codes.view(),
    }
}

/// Gower distances between two mixed tables (numeric with NaN, codes with MISSING_CODE), with
/// the given numeric ranges and per-variable weights (numeric first). `float32` halves memory.
#[pyfunction]
#[pyo3(signature = (x_num, x_codes, y_num, y_codes, *, ranges, halved, weights, float32, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn gower_matrix<'py>(
    py: Python<'py>,
    x_num: Aligned2<'py, f64>,
    x_codes: Aligned2<'py, u32>,
    y_num: Aligned2<'py, f64>,
    y_codes: Aligned2<'py, u32>,
    ranges: Vec<f64>,
    halved: Vec<bool>,
    weights: Aligned1<'py, f64>,
    float32: bool,
    n_threads: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let metric = gower::GowerMetric::new(
        &ranges,
        &halved,
        weights.as_array(),
        x_codes.as_array().ncols(),
    )
    .map_err(|e| to_py_err(py, e))?;
    let (xn, xc, yn, yc) = (
        x_num.as_array(),
        x_codes.as_array(),
        y_num.as_array(),
        y_codes.as_array(),
    );
    let (x, y) = (mixed_rows(&xn, &xc), mixed_rows(&yn, &yc));
    Ok(if float32 {
        let d = run(py, n_threads, || gower::gower::<f32>(x, y, &metric))?;
        d.into_pyarray(py).into_any()
    } else {
        let d = run(py, n_threads, || gower::gower::<f64>(x, y, &metric))?;
        d.into_pyarray(py).into_any()
    })
}

/// Euclidean distance matrix between the rows of two numeric blocks.
#[pyfunction]
#[pyo3(signature = (x, y, *, float32, n_threads))]
pub fn euclidean_matrix<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    y: Aligned2<'py, f64>,
    float32: bool,
    n_threads: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let (x, y) = (x.as_array(), y.as_array());
    Ok(if float32 {
        let d = run(py, n_threads, || gower::euclidean::<f32>(x, y))?;
        d.into_pyarray(py).into_any()
    } else {
        let d = run(py, n_threads, || gower::euclidean::<f64>(x, y))?;
        d.into_pyarray(py).into_any()
    })
}

fn kmedoids_run<T: kmedoids::Dissimilarity>(
    py: Python<'_>,
    d: ndarray::ArrayView2<'_, T>,
    params: &KMedoidsParams,
    n_threads: usize,
) -> PyResult<kmedoids::KMedoidsFit> {
    run(py, n_threads, || kmedoids::fit_kmedoids(d, params))
}

/// FasterPAM on a square dissimilarity matrix (float64 or float32). `init`: "build", "random",
/// or `medoids` given. Returns (medoids, labels, cost, n_iter, n_swaps).
#[pyfunction]
#[pyo3(signature = (d, *, n_clusters, init, medoids, n_init, max_iter, seed, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn kmedoids_fit<'py>(
    py: Python<'py>,
    d: Bound<'py, PyAny>,
    n_clusters: usize,
    init: &str,
    medoids: Option<Vec<usize>>,
    n_init: usize,
    max_iter: usize,
    seed: u64,
    n_threads: usize,
) -> PyResult<(Vec<usize>, Labels<'py>, f64, usize, usize)> {
    let init = match (init, medoids) {
        (_, Some(m)) => MedoidInit::Given(m),
        ("build", None) => MedoidInit::Build,
        ("random", None) => MedoidInit::Random,
        (other, None) => {
            let why = format!("must be 'build', 'random' or medoid indices, got {other:?}");
            return Err(to_py_err(py, Error::invalid("init", why)));
        }
    };
    let params = KMedoidsParams {
        n_clusters,
        init,
        n_init,
        max_iter,
        seed,
    };
    let fit = if let Ok(m) = d.extract::<Aligned2<'py, f64>>() {
        kmedoids_run(py, m.as_array(), &params, n_threads)?
    } else {
        let m = d.extract::<Aligned2<'py, f32>>()?;
        kmedoids_run(py, m.as_array(), &params, n_threads)?
    };
    let labels = ndarray::Array1::from(fit.labels).mapv(i64::from);
    Ok((
        fit.medoids,
        labels.into_pyarray(py),
        fit.cost,
        fit.n_iter,
        fit.n_swaps,
    ))
}

/// Ward linkage matrix (SciPy format) of the rows of `x`.
#[pyfunction]
#[pyo3(signature = (x, *, n_threads))]
pub fn ward_linkage<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    n_threads: usize,
) -> PyResult<Matrix<'py>> {
    let x = x.as_array();
    let z = run(py, n_threads, || ward::linkage(x))?;
    Ok(z.into_pyarray(py))
}

/// Flat labels (0.., in order of first row) cutting a linkage matrix into `k` clusters.
#[pyfunction]
#[pyo3(signature = (z, *, n, k))]
pub fn ward_cut<'py>(
    py: Python<'py>,
    z: Aligned2<'py, f64>,
    n: usize,
    k: usize,
) -> PyResult<Labels<'py>> {
    let z = z.as_array();
    let labels = run(py, 1, || ward::cut(z, n, k))?;
    Ok(ndarray::Array1::from(labels)
        .mapv(i64::from)
        .into_pyarray(py))
}

/// A CLARA fit: the best medoids, every row's label, the samples drawn and their costs.
#[pyclass(frozen, module = "segmint._core")]
pub struct ClaraResult {
    inner: clara::ClaraFit,
}

#[pymethods]
impl ClaraResult {
    /// Row positions of the medoids.
    #[getter]
    fn medoids<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        let v: Vec<i64> = self.inner.medoids.iter().map(|&m| m as i64).collect();
        v.into_pyarray(py)
    }
    /// Index of each row's medoid.
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> Labels<'py> {
        let v: Vec<i64> = self.inner.labels.iter().map(|&l| i64::from(l)).collect();
        v.into_pyarray(py)
    }
    /// Σ over all rows of the dissimilarity to the nearest medoid.
    #[getter]
    fn cost(&self) -> f64 {
        self.inner.cost
    }
    /// The rows of each sample, one sample per row, ascending.
    #[getter]
    fn samples<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<i64>> {
        let s = &self.inner.samples;
        let m = s.first().map_or(0, |r| r.len());
        let flat: Vec<i64> = s.iter().flatten().map(|&i| i as i64).collect();
        ndarray::Array2::from_shape_vec((s.len(), m), flat)
            .expect("samples of one size")
            .into_pyarray(py)
    }
    /// Total cost of each sample's medoids over all rows (NaN: sample skipped).
    #[getter]
    fn sample_costs<'py>(&self, py: Python<'py>) -> Vector<'py> {
        self.inner.sample_costs.clone().into_pyarray(py)
    }
    /// Index of the sample whose medoids were kept.
    #[getter]
    fn best_sample(&self) -> usize {
        self.inner.best_sample
    }
    /// FasterPAM passes on the best sample.
    #[getter]
    fn n_iter(&self) -> usize {
        self.inner.n_iter
    }
}

fn medoid_init(py: Python<'_>, init: &str) -> PyResult<MedoidInit> {
    match init {
        "build" => Ok(MedoidInit::Build),
        "random" => Ok(MedoidInit::Random),
        other => Err(to_py_err(
            py,
            Error::invalid(
                "init",
                format!("CLARA needs 'build' or 'random', got {other:?}"),
            ),
        )),
    }
}

/// CLARA with FasterPAM on each sample, on Gower dissimilarities computed on the fly (numeric
/// block with NaN = missing, codes with MISSING_CODE = missing; ranges, halved and weights as
/// for `gower_matrix`).
#[pyfunction]
#[pyo3(signature = (x_num, x_codes, *, ranges, halved, weights, n_clusters, n_samples, sample_size, init, n_init, max_iter, seed, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn clara_gower<'py>(
    py: Python<'py>,
    x_num: Aligned2<'py, f64>,
    x_codes: Aligned2<'py, u32>,
    ranges: Vec<f64>,
    halved: Vec<bool>,
    weights: Aligned1<'py, f64>,
    n_clusters: usize,
    n_samples: usize,
    sample_size: usize,
    init: &str,
    n_init: usize,
    max_iter: usize,
    seed: u64,
    n_threads: usize,
) -> PyResult<ClaraResult> {
    let params = ClaraParams {
        n_clusters,
        n_samples,
        sample_size,
        init: medoid_init(py, init)?,
        n_init,
        max_iter,
        seed,
    };
    let metric = gower::GowerMetric::new(
        &ranges,
        &halved,
        weights.as_array(),
        x_codes.as_array().ncols(),
    )
    .map_err(|e| to_py_err(py, e))?;
    let (xn, xc) = (x_num.as_array(), x_codes.as_array());
    let fit = run(py, n_threads, || {
        let (xn, xc) = (xn.as_standard_layout(), xc.as_standard_layout());
        let data = ClaraData::Gower {
            numeric: xn.view(),
            codes: xc.view(),
            metric,
        };
        clara::fit_clara(&data, &params)
    })?;
    Ok(ClaraResult { inner: fit })
}

/// CLARA with FasterPAM on each sample, on Euclidean distances computed on the fly.
#[pyfunction]
#[pyo3(signature = (x, *, n_clusters, n_samples, sample_size, init, n_init, max_iter, seed, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn clara_euclidean<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    n_clusters: usize,
    n_samples: usize,
    sample_size: usize,
    init: &str,
    n_init: usize,
    max_iter: usize,
    seed: u64,
    n_threads: usize,
) -> PyResult<ClaraResult> {
    let params = ClaraParams {
        n_clusters,
        n_samples,
        sample_size,
        init: medoid_init(py, init)?,
        n_init,
        max_iter,
        seed,
    };
    let x = x.as_array();
    let fit = run(py, n_threads, || {
        let x = x.as_standard_layout();
        clara::fit_clara(&ClaraData::Euclidean(x.view()), &params)
    })?;
    Ok(ClaraResult { inner: fit })
}
