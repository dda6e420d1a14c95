//! Bindings of the distributed conditional logit (see `segmint.distributed._mnl`): the partition
//! kernels return plain arrays per chunk-tree node, which the client merges in the in-memory
//! order and feeds to the one Newton driver through [`mnl_newton`].

use super::array::{Aligned1, Aligned2};
use numpy::ndarray::{Array1, Array2, Array3};
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArray3, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
};
use pyo3::prelude::*;

use super::conjoint::{choice_data, indices, task_indices, MnlFit};
use super::{run, to_py_err};
use crate::conjoint::{mnl, mnl_partition};
use crate::error::Error;
use crate::linalg;
use crate::partition::Placement;

type Nodes<'py> = (Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<u64>>);

fn node_arrays<'py, T>(py: Python<'py>, nodes: &[((usize, usize), T)]) -> Nodes<'py> {
    let first: Array1<u64> = nodes.iter().map(|((f, _), _)| *f as u64).collect();
    let count: Array1<u64> = nodes.iter().map(|((_, c), _)| *c as u64).collect();
    (first.into_pyarray(py), count.into_pyarray(py))
}

/// A partition's [`mnl::Totals`] per maximal node of the chunk tree over the tasks: node first
/// chunks, node chunk counts, rows (nodes), column sums (nodes × k), null log-likelihoods (nodes).
/// Validates the partition's tasks.
#[pyfunction]
#[pyo3(signature = (x, starts, chosen, *, task_start, n_tasks_total, n_threads))]
#[allow(clippy::type_complexity)]
pub fn mnl_partition_totals<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    starts: Aligned1<'py, i64>,
    chosen: Aligned1<'py, i64>,
    task_start: usize,
    n_tasks_total: usize,
    n_threads: usize,
) -> PyResult<(
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray1<f64>>,
)> {
    let xa = x.as_array();
    let k = xa.ncols();
    let (starts, chosen) = task_indices(py, &starts, &chosen)?;
    let at = Placement {
        row_start: task_start,
        n_total: n_tasks_total,
    };
    let nodes = run(py, n_threads, || {
        let d = choice_data(xa, &starts, &chosen, None)?;
        mnl_partition::partition_totals(&d, at)
    })?;
    let (first, count) = node_arrays(py, &nodes);
    let rows: Array1<u64> = nodes.iter().map(|(_, t)| t.rows as u64).collect();
    let sums = Array2::from_shape_fn((nodes.len(), k), |(i, j)| nodes[i].1.sums[j]);
    let null: Array1<f64> = nodes.iter().map(|(_, t)| t.loglik_null).collect();
    Ok((
        first,
        count,
        rows.into_pyarray(py),
        sums.into_pyarray(py),
        null.into_pyarray(py),
    ))
}

/// A partition's model matrix centred on the overall column means and laid out per chunk of
/// tasks, column-major (the kernel's layout, returned as rows × k values: not rows).
#[pyfunction]
#[pyo3(signature = (x, starts, chosen, *, mean, n_threads))]
pub fn mnl_partition_columns<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    starts: Aligned1<'py, i64>,
    chosen: Aligned1<'py, i64>,
    mean: Vec<f64>,
    n_threads: usize,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let xa = x.as_array();
    let (n, k) = (xa.nrows(), xa.ncols());
    let (starts, chosen) = task_indices(py, &starts, &chosen)?;
    let cols = run(py, n_threads, || {
        let d = choice_data(xa, &starts, &chosen, None)?;
        d.validate()?;
        if mean.len() != k {
            return Err(Error::invalid("mean", format!("needs {k} values")));
        }
        Ok(mnl::Columns::centred(&d, &mean))
    })?;
    let a = Array2::from_shape_vec((n, k), cols.values().to_vec())
        .map_err(|e| to_py_err(py, Error::invalid("columns", e.to_string())))?;
    Ok(a.into_pyarray(py))
}

/// A partition's log-likelihoods (nodes), gradients (nodes × k) and information matrices
/// (nodes × k × k, not symmetrized; nodes × 0 × 0 without `hessian`) per maximal node of the
/// chunk tree over the tasks, from its [`mnl_partition_columns`].
#[pyfunction]
#[pyo3(signature = (columns, starts, chosen, *, beta, hessian, task_start, n_tasks_total, n_threads))]
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
pub fn mnl_partition_stats<'py>(
    py: Python<'py>,
    columns: Aligned2<'py, f64>,
    starts: Aligned1<'py, i64>,
    chosen: Aligned1<'py, i64>,
    beta: Vec<f64>,
    hessian: bool,
    task_start: usize,
    n_tasks_total: usize,
    n_threads: usize,
) -> PyResult<(
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray3<f64>>,
)> {
    let xa = columns.as_array();
    let k = xa.ncols();
    let (starts, chosen) = task_indices(py, &starts, &chosen)?;
    let at = Placement {
        row_start: task_start,
        n_total: n_tasks_total,
    };
    let nodes = run(py, n_threads, || {
        let d = choice_data(xa, &starts, &chosen, None)?;
        mnl_partition::partition_stats(&d, d.x, &beta, hessian, at)
    })?;
    let (first, count) = node_arrays(py, &nodes);
    let m = nodes.len();
    let kh = if hessian { k } else { 0 };
    let ll: Array1<f64> = nodes.iter().map(|(_, s)| s.loglik).collect();
    let grad = Array2::from_shape_fn((m, k), |(i, j)| nodes[i].1.gradient[j]);
    let info = Array3::from_shape_fn((m, kh, kh), |(i, a, b)| nodes[i].1.information[a * k + b]);
    Ok((
        first,
        count,
        ll.into_pyarray(py),
        grad.into_pyarray(py),
        info.into_pyarray(py),
    ))
}

/// Score vectors (respondents × k) of the clustered sandwich at `beta`, summed over each
/// respondent's tasks `respondent_starts[i]..respondent_starts[i + 1]` in order.
#[pyfunction]
#[pyo3(signature = (x, starts, chosen, respondent_starts, *, beta, n_threads))]
pub fn mnl_respondent_scores<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    starts: Aligned1<'py, i64>,
    chosen: Aligned1<'py, i64>,
    respondent_starts: Aligned1<'py, i64>,
    beta: Vec<f64>,
    n_threads: usize,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let xa = x.as_array();
    let k = xa.ncols();
    let (starts, chosen) = task_indices(py, &starts, &chosen)?;
    let runs = indices(&respondent_starts, "respondent_starts").map_err(|e| to_py_err(py, e))?;
    let scores = run(py, n_threads, || {
        let d = choice_data(xa, &starts, &chosen, None)?;
        d.validate()?;
        d.check_respondents(&runs, "respondent_starts")?;
        if beta.len() != k {
            return Err(Error::invalid("beta", format!("needs {k} values")));
        }
        Ok(mnl::respondent_scores(&d, &beta, &runs))
    })?;
    let n = runs.len() - 1;
    let a = Array2::from_shape_vec((n, k), scores)
        .map_err(|e| to_py_err(py, Error::invalid("scores", e.to_string())))?;
    Ok(a.into_pyarray(py))
}

fn vector(a: &Bound<'_, PyAny>, len: usize, what: &str) -> PyResult<Vec<f64>> {
    let v: PyReadonlyArray1<'_, f64> = a.extract()?;
    let v: Vec<f64> = v.as_array().iter().copied().collect();
    if v.len() != len {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "{what}: needs {len} values, got {}",
            v.len()
        )));
    }
    Ok(v)
}

/// Conditional-logit maximum likelihood by the in-memory Newton driver on statistics that
/// `stats(beta, hessian) -> (loglik, gradient (k), information (k × k, unsymmetrized) or None)`
/// returns, and the clustered sandwich from `scores(beta) -> respondents × k` at the estimate.
/// The callbacks run on this thread with the interpreter attached (they wait for a Dask
/// cluster); the driver's own work between them is a k × k factorisation.
#[pyfunction]
#[pyo3(signature = (stats, scores, *, k, names, loglik_null, start=None, max_iter, tol))]
#[allow(clippy::too_many_arguments)]
pub fn mnl_newton(
    py: Python<'_>,
    stats: Bound<'_, PyAny>,
    scores: Bound<'_, PyAny>,
    k: usize,
    names: Vec<String>,
    loglik_null: f64,
    start: Option<Vec<f64>>,
    max_iter: usize,
    tol: f64,
) -> PyResult<MnlFit> {
    let mut failure: Option<PyErr> = None;
    let evaluate = |beta: &[f64], hessian: bool| -> PyResult<mnl::Stats> {
        let out = stats.call1((PyArray1::from_slice(py, beta), hessian))?;
        let (loglik, gradient, information): (f64, Bound<'_, PyAny>, Bound<'_, PyAny>) =
            out.extract()?;
        let gradient = vector(&gradient, k, "gradient")?;
        let information = if hessian {
            let m: Bound<'_, PyArray2<f64>> = information.extract()?;
            let flat = m.reshape([k * k]).map_err(|_| {
                pyo3::exceptions::PyValueError::new_err(format!("information: needs {k} × {k}"))
            })?;
            let mut v = vector(flat.as_any(), k * k, "information")?;
            linalg::symmetrize(&mut v, k);
            v
        } else {
            Vec::new()
        };
        Ok(mnl::Stats {
            loglik,
            gradient,
            information,
        })
    };
    let fit = mnl::newton(
        k,
        start.as_deref(),
        mnl::MnlParams { max_iter, tol },
        &names,
        loglik_null,
        |beta, hessian| {
            evaluate(beta, hessian).map_err(|e| {
                failure = Some(e);
                Error::invalid("stats", "the partition pass failed")
            })
        },
    );
    if let Some(e) = failure {
        return Err(e);
    }
    let fit = fit.map_err(|e| to_py_err(py, e))?;
    let s = scores.call1((PyArray1::from_slice(py, &fit.coef),))?;
    let s: PyReadonlyArray2<'_, f64> = s.extract()?;
    let s = s.as_array();
    if s.ncols() != k {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "scores: need {k} columns"
        )));
    }
    let s: Vec<f64> = s.iter().copied().collect();
    let robust = mnl::sandwich(&fit.covariance, &s, k);
    Ok(MnlFit::new(py, fit, robust, k))
}
