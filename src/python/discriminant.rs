//! Bindings for `crate::discriminant`.

use super::array::{Aligned1, Aligned2};
use ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;

use super::run;
use crate::discriminant::{self, classify, scatter, Fit, Method, Params};
use crate::error::Error;
use crate::partition::Placement;

type Arr1<'py> = Bound<'py, PyArray1<f64>>;
type Arr2<'py> = Bound<'py, PyArray2<f64>>;
/// A classification table (actual × predicted counts).
type Counts<'py> = Bound<'py, PyArray2<u64>>;

/// A fitted discriminant analysis: every table as numpy arrays.
#[pyclass(frozen, module = "segmint._core")]
pub struct DiscriminantFit {
    fit: Fit,
}

fn vec1<'py>(py: Python<'py>, v: &[f64]) -> Arr1<'py> {
    Array1::from(v.to_vec()).into_pyarray(py)
}

fn idx<'py>(py: Python<'py>, v: &[usize]) -> Bound<'py, PyArray1<i64>> {
    Array1::from_iter(v.iter().map(|&i| i as i64)).into_pyarray(py)
}

fn lab<'py>(py: Python<'py>, v: &[u32]) -> Bound<'py, PyArray1<i64>> {
    Array1::from_iter(v.iter().map(|&i| i as i64)).into_pyarray(py)
}

#[pymethods]
impl DiscriminantFit {
    /// Rows per class.
    #[getter]
    fn counts<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        Array1::from_iter(self.fit.stats.counts.iter().map(|&c| c as i64)).into_pyarray(py)
    }
    /// Class means, g × p.
    #[getter]
    fn means<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.stats.means.clone().into_pyarray(py)
    }
    /// Pooled within-group scatter W, p × p.
    #[getter]
    fn within<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.stats.within().into_pyarray(py)
    }
    /// Between-group scatter B, p × p.
    #[getter]
    fn between<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.stats.between().into_pyarray(py)
    }
    /// Variables in the analysis (column indices, entry order).
    #[getter]
    fn selected<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        idx(py, &self.fit.selected)
    }
    /// Variables that failed the tolerance test.
    #[getter]
    fn excluded<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        idx(py, &self.fit.excluded)
    }
    #[getter]
    fn eigenvalues<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.canonical.eigenvalues)
    }
    /// Wilks' λ, χ², df, p per function set (q × 4).
    #[getter]
    fn wilks<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.canonical.wilks.clone().into_pyarray(py)
    }
    /// Wilks' λ, F, df1, df2, p per variable (p × 5).
    #[getter]
    fn univariate<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.univariate.clone().into_pyarray(py)
    }
    /// Box's M, F, df1, df2, p.
    #[getter]
    fn box_m<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.canonical.box_m)
    }
    /// ln det of each group's covariance, then of the pooled one.
    #[getter]
    fn log_dets<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.canonical.log_dets)
    }
    #[getter]
    fn raw_coef<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.canonical.raw_coef.clone().into_pyarray(py)
    }
    #[getter]
    fn raw_const<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.canonical.raw_const)
    }
    #[getter]
    fn standardized<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.canonical.standardized.clone().into_pyarray(py)
    }
    /// Pooled within-group correlations of all p variables with the functions.
    #[getter]
    fn structure<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.canonical.structure.clone().into_pyarray(py)
    }
    #[getter]
    fn centroids<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.canonical.centroids.clone().into_pyarray(py)
    }
    /// Fisher's classification functions on all p columns (zero rows for variables not in the
    /// analysis), p × g.
    /// Centred scatter of each class, g × p² (row-major p × p per class).
    #[getter]
    fn scatter<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        let st = &self.fit.stats;
        let p = st.means.ncols();
        let mut out = Array2::zeros((st.scatter.len(), p * p));
        for (c, s) in st.scatter.iter().enumerate() {
            for (dst, v) in out.row_mut(c).iter_mut().zip(s.iter()) {
                *dst = *v;
            }
        }
        out.into_pyarray(py)
    }
    #[getter]
    fn class_coef<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.canonical.class_coef_full.clone().into_pyarray(py)
    }
    #[getter]
    fn class_const<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.canonical.class_const)
    }
    /// Stepwise history: one row per step with entered (1/0), variable, n_vars, λ, F, df1, df2,
    /// p, exact (1/0), F-to-enter / remove.
    #[getter]
    fn steps<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        let s = &self.fit.steps;
        let mut m = Array2::zeros((s.len(), 10));
        for (r, st) in s.iter().enumerate() {
            let row = [
                f64::from(u8::from(st.entered)),
                st.variable as f64,
                st.n_vars as f64,
                st.lambda,
                st.f,
                st.df1,
                st.df2,
                st.p,
                f64::from(u8::from(st.exact)),
                st.f_change,
            ];
            for (c, v) in row.into_iter().enumerate() {
                m[[r, c]] = v;
            }
        }
        m.into_pyarray(py)
    }
    /// Predicted class of each row by the functions of all rows.
    #[getter]
    fn predicted<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        lab(py, &self.fit.predicted)
    }
    /// Leave-one-out predicted class of each row (None unless asked).
    #[getter]
    fn loo<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<i64>>> {
        self.fit.loo.as_ref().map(|v| lab(py, v))
    }
}

fn params(
    priors: Vec<f64>,
    stepwise: bool,
    f_in: f64,
    f_out: f64,
    tolerance: f64,
    cross_validate: bool,
) -> Params {
    Params {
        priors,
        method: if stepwise {
            Method::Wilks
        } else {
            Method::Direct
        },
        f_in,
        f_out,
        tolerance,
        cross_validate,
    }
}

fn shape_error(e: ndarray::ShapeError) -> Error {
    Error::invalid("partitions", e.to_string())
}

fn class_labels(l: ndarray::ArrayView1<'_, i64>, n_groups: usize) -> Result<Array1<u32>, Error> {
    if let Some(&bad) = l.iter().find(|&&v| v < 0 || v as usize >= n_groups) {
        return Err(Error::invalid(
            "y",
            format!("label {bad} is not in 0..{n_groups}"),
        ));
    }
    Ok(l.mapv(|v| v as u32))
}

/// The class partials of one partition of a distributed pass, per chunk-tree node
/// (`crate::discriminant::scatter::partition_stats`): row `i` of every array is node `i`;
/// `mean` is nodes × (g·p), `m2` nodes × (g·p²).
#[pyclass(frozen, module = "segmint._core")]
pub struct ClassNodes {
    #[pyo3(get)]
    node_first: Py<PyArray1<u64>>,
    #[pyo3(get)]
    node_count: Py<PyArray1<u64>>,
    #[pyo3(get)]
    counts: Py<PyArray2<u64>>,
    #[pyo3(get)]
    mean: Py<PyArray2<f64>>,
    #[pyo3(get)]
    m2: Py<PyArray2<f64>>,
}

#[pyfunction]
#[pyo3(signature = (x, labels, *, n_groups, row_start, n_total, n_threads))]
pub fn discriminant_partition_stats<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    labels: Aligned1<'py, i64>,
    n_groups: usize,
    row_start: usize,
    n_total: usize,
    n_threads: usize,
) -> PyResult<ClassNodes> {
    let (x, l) = (x.as_array(), labels.as_array());
    let nodes = run(py, n_threads, || {
        let labels = class_labels(l, n_groups)?;
        let at = Placement { row_start, n_total };
        scatter::partition_stats(x, labels.view(), n_groups, at)
    })?;
    let (m, g, p) = (nodes.len(), n_groups, x.ncols());
    let mut counts = Array2::<u64>::zeros((m, g));
    let mut mean = Array2::<f64>::zeros((m, g * p));
    let mut m2 = Array2::<f64>::zeros((m, g * p * p));
    for (i, ns) in nodes.iter().enumerate() {
        counts
            .row_mut(i)
            .assign(&ndarray::ArrayView1::from(&ns.counts));
        for (dst, src) in mean.row_mut(i).iter_mut().zip(ns.mean.iter()) {
            *dst = *src;
        }
        for (dst, src) in m2.row_mut(i).iter_mut().zip(ns.m2.iter()) {
            *dst = *src;
        }
    }
    let ids = |pick: fn((usize, usize)) -> usize| {
        nodes
            .iter()
            .map(|ns| pick(ns.node) as u64)
            .collect::<Array1<u64>>()
            .into_pyarray(py)
            .unbind()
    };
    Ok(ClassNodes {
        node_first: ids(|(f, _)| f),
        node_count: ids(|(_, c)| c),
        counts: counts.into_pyarray(py).unbind(),
        mean: mean.into_pyarray(py).unbind(),
        m2: m2.into_pyarray(py).unbind(),
    })
}

/// The fit from the partitions' [`ClassNodes`] (concatenated), merged along the in-memory chunk
/// tree: everything but the per-row classifications (`predicted` empty, `loo` None).
#[pyfunction]
#[pyo3(signature = (node_first, node_count, counts, mean, m2, *, n_features, n_total, priors, stepwise, f_in, f_out, tolerance))]
#[allow(clippy::too_many_arguments)]
pub fn discriminant_fit_nodes<'py>(
    py: Python<'py>,
    node_first: Aligned1<'py, u64>,
    node_count: Aligned1<'py, u64>,
    counts: Aligned2<'py, u64>,
    mean: Aligned2<'py, f64>,
    m2: Aligned2<'py, f64>,
    n_features: usize,
    n_total: usize,
    priors: Vec<f64>,
    stepwise: bool,
    f_in: f64,
    f_out: f64,
    tolerance: f64,
) -> PyResult<DiscriminantFit> {
    let (first, count) = (node_first.as_array(), node_count.as_array());
    let (counts, mean, m2) = (counts.as_array(), mean.as_array(), m2.as_array());
    let params = params(priors, stepwise, f_in, f_out, tolerance, false);
    let fit = run(py, 1, || {
        let (m, g, p) = (first.len(), counts.ncols(), n_features);
        if count.len() != m
            || counts.nrows() != m
            || mean.dim() != (m, g * p)
            || m2.dim() != (m, g * p * p)
        {
            return Err(Error::invalid(
                "partitions",
                "node arrays of inconsistent shapes",
            ));
        }
        let nodes = (0..m)
            .map(|i| {
                Ok(scatter::NodeStats {
                    node: (first[i] as usize, count[i] as usize),
                    counts: counts.row(i).to_vec(),
                    mean: mean
                        .row(i)
                        .to_owned()
                        .into_shape_with_order((g, p))
                        .map_err(shape_error)?,
                    m2: m2
                        .row(i)
                        .to_owned()
                        .into_shape_with_order((g, p * p))
                        .map_err(shape_error)?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        discriminant::fit_stats(scatter::merge_partition_stats(nodes, n_total)?, &params)
    })?;
    Ok(DiscriminantFit { fit })
}

/// The classification table (actual × predicted counts, g × g) of one partition's rows by the
/// fitted functions, and with `cross_validate` the leave-one-out table (else empty), from the
/// fit's class statistics: `counts` (g), `means` (g × p), `scatter` (g × p²).
#[pyfunction]
#[pyo3(signature = (x, labels, *, coef, intercept, counts, means, scatter, selected, priors, cross_validate, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn discriminant_partition_tables<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    labels: Aligned1<'py, i64>,
    coef: Aligned2<'py, f64>,
    intercept: Vec<f64>,
    counts: Aligned1<'py, i64>,
    means: Aligned2<'py, f64>,
    scatter: Aligned2<'py, f64>,
    selected: Vec<usize>,
    priors: Vec<f64>,
    cross_validate: bool,
    n_threads: usize,
) -> PyResult<(Counts<'py>, Counts<'py>)> {
    let (x, l) = (x.as_array(), labels.as_array());
    let (coef, counts, means, scatter) = (
        coef.as_array().to_owned(),
        counts.as_array(),
        means.as_array().to_owned(),
        scatter.as_array(),
    );
    let g = intercept.len();
    let (orig, loo) = run(py, n_threads, || {
        let labels = class_labels(l, g)?;
        let p = x.ncols();
        if counts.len() != g || means.dim() != (g, p) || scatter.dim() != (g, p * p) {
            return Err(Error::invalid(
                "stats",
                "class statistics of inconsistent shapes",
            ));
        }
        let table = |pred: &[u32]| {
            let mut t = Array2::<u64>::zeros((g, g));
            for (&a, &b) in labels.iter().zip(pred) {
                t[[a as usize, b as usize]] += 1;
            }
            t
        };
        let orig = table(&classify::predict(x, &coef, &intercept)?);
        if !cross_validate {
            return Ok((orig, Array2::zeros((0, 0))));
        }
        let stats = scatter::ClassStats {
            counts: counts.iter().map(|&c| c.max(0) as u64).collect(),
            means: means.clone(),
            scatter: (0..g)
                .map(|c| {
                    scatter
                        .row(c)
                        .to_owned()
                        .into_shape_with_order((p, p))
                        .map_err(shape_error)
                })
                .collect::<Result<Vec<_>, Error>>()?,
        };
        let w = stats.within();
        let loo = classify::leave_one_out(x, labels.view(), &stats, &w, &selected, &priors)?;
        Ok((orig, table(&loo)))
    })?;
    Ok((orig.into_pyarray(py), loo.into_pyarray(py)))
}

/// Fits the discriminant analysis of `x` (n × p) on `labels` (0..n_groups).
#[pyfunction]
#[pyo3(signature = (x, labels, *, n_groups, priors, stepwise, f_in, f_out, tolerance, cross_validate, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn discriminant_fit(
    py: Python<'_>,
    x: Aligned2<'_, f64>,
    labels: Aligned1<'_, i64>,
    n_groups: usize,
    priors: Vec<f64>,
    stepwise: bool,
    f_in: f64,
    f_out: f64,
    tolerance: f64,
    cross_validate: bool,
    n_threads: usize,
) -> PyResult<DiscriminantFit> {
    let (x, l) = (x.as_array(), labels.as_array());
    let params = params(priors, stepwise, f_in, f_out, tolerance, cross_validate);
    let fit = run(py, n_threads, || {
        let labels = class_labels(l, n_groups)?;
        discriminant::fit(x, labels.view(), n_groups, &params)
    })?;
    Ok(DiscriminantFit { fit })
}

/// Posterior probabilities (n × g) from classification functions `coef` (p × g) and
/// `intercept` (g).
#[pyfunction]
#[pyo3(signature = (x, *, coef, intercept, n_threads))]
pub fn discriminant_proba<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    coef: Aligned2<'py, f64>,
    intercept: Aligned1<'py, f64>,
    n_threads: usize,
) -> PyResult<Arr2<'py>> {
    let (x, coef) = (x.as_array(), coef.as_array().to_owned());
    let intercept = intercept.as_array().to_vec();
    let p = run(py, n_threads, || classify::proba(x, &coef, &intercept))?;
    Ok(p.into_pyarray(py))
}
