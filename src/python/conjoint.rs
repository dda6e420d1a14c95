//! Bindings for `crate::conjoint`.

use numpy::ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::{run, to_py_err};
use crate::conjoint::{mnl, rating};
use crate::error::Error;

fn square(v: Vec<f64>, k: usize) -> Array2<f64> {
    Array2::from_shape_vec((k, k), v).unwrap_or_else(|_| Array2::zeros((k, k)))
}

fn indices(a: &PyReadonlyArray1<'_, i64>, what: &str) -> Result<Vec<usize>, Error> {
    a.as_array()
        .iter()
        .map(|&v| {
            usize::try_from(v).map_err(|_| Error::invalid(what.to_string(), "negative index"))
        })
        .collect()
}

/// Per-respondent OLS of ratings on a shared effects-coded design (intercept first).
#[pyfunction]
#[pyo3(signature = (design, ratings, levels, names, n_threads))]
pub fn rating_fit<'py>(
    py: Python<'py>,
    design: PyReadonlyArray2<'py, f64>,
    ratings: PyReadonlyArray2<'py, f64>,
    levels: Vec<usize>,
    names: Vec<String>,
    n_threads: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let (x, y) = (design.as_array(), ratings.as_array());
    let f = run(py, n_threads, || rating::fit(x, y, &levels, &names))?;
    let d = PyDict::new(py);
    d.set_item("coef", f.coef.into_pyarray(py))?;
    d.set_item("r2", f.r2.into_pyarray(py))?;
    d.set_item("part_worths", f.part_worths.into_pyarray(py))?;
    d.set_item("importance", f.importance.into_pyarray(py))?;
    d.set_item("pooled_coef", f.pooled_coef.into_pyarray(py))?;
    d.set_item("pooled_part_worths", f.pooled_part_worths.into_pyarray(py))?;
    d.set_item("pooled_r2", f.pooled_r2)?;
    d.set_item("pooled_sigma", f.pooled_sigma)?;
    Ok(d)
}

/// Conditional-logit maximum likelihood. `starts` (n_tasks + 1) delimit the tasks' rows,
/// `chosen` holds the chosen row of each task, `groups` the respondent index of each task (for the
/// clustered sandwich).
#[pyfunction]
#[pyo3(signature = (x, starts, chosen, groups, n_groups, names, weights, start, max_iter, tol, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn mnl_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    starts: PyReadonlyArray1<'py, i64>,
    chosen: PyReadonlyArray1<'py, i64>,
    groups: PyReadonlyArray1<'py, i64>,
    n_groups: usize,
    names: Vec<String>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
    start: Option<Vec<f64>>,
    max_iter: usize,
    tol: f64,
    n_threads: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let xa = x.as_array();
    let k = xa.ncols();
    let w = weights.as_ref().map(|w| w.as_array());
    let starts = indices(&starts, "starts").map_err(|e| to_py_err(py, e))?;
    let chosen = indices(&chosen, "chosen").map_err(|e| to_py_err(py, e))?;
    let groups = indices(&groups, "groups").map_err(|e| to_py_err(py, e))?;
    let (f, robust) = run(py, n_threads, || {
        let xs = xa
            .as_slice()
            .ok_or_else(|| Error::invalid("x", "must be C-contiguous"))?;
        let w = w
            .as_ref()
            .map(|w| {
                w.as_slice()
                    .ok_or_else(|| Error::invalid("weights", "must be contiguous"))
            })
            .transpose()?;
        let d = mnl::ChoiceData {
            x: xs,
            k,
            starts: &starts,
            chosen: &chosen,
            weights: w,
        };
        if groups.len() != d.n_tasks() || groups.iter().any(|&g| g >= n_groups) {
            return Err(Error::invalid(
                "groups",
                "need one respondent index per task",
            ));
        }
        let f = mnl::fit(
            &d,
            start.as_deref(),
            mnl::MnlParams { max_iter, tol },
            &names,
        )?;
        let robust = mnl::robust_covariance(&d, &f, &groups, n_groups);
        Ok((f, robust))
    })?;
    let d = PyDict::new(py);
    d.set_item("coef", Array1::from(f.coef).into_pyarray(py))?;
    d.set_item("covariance", square(f.covariance, k).into_pyarray(py))?;
    d.set_item("robust_covariance", square(robust, k).into_pyarray(py))?;
    d.set_item("information", square(f.information, k).into_pyarray(py))?;
    d.set_item("loglik", f.loglik)?;
    d.set_item("loglik_null", f.loglik_null)?;
    d.set_item("n_iter", f.n_iter)?;
    d.set_item("converged", f.converged)?;
    Ok(d)
}

/// The conditional logit's sufficient statistics at `beta` (log-likelihood, gradient,
/// information): they add over tasks, so partitions of a data set can be evaluated separately
/// (e.g. on Dask workers) and summed.
#[pyfunction]
#[pyo3(signature = (x, starts, chosen, beta, weights, n_threads))]
#[allow(clippy::type_complexity)]
pub fn mnl_stats<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    starts: PyReadonlyArray1<'py, i64>,
    chosen: PyReadonlyArray1<'py, i64>,
    beta: Vec<f64>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
    n_threads: usize,
) -> PyResult<(
    f64,
    Bound<'py, numpy::PyArray1<f64>>,
    Bound<'py, numpy::PyArray2<f64>>,
)> {
    let xa = x.as_array();
    let k = xa.ncols();
    let w = weights.as_ref().map(|w| w.as_array());
    let starts = indices(&starts, "starts").map_err(|e| to_py_err(py, e))?;
    let chosen = indices(&chosen, "chosen").map_err(|e| to_py_err(py, e))?;
    let s = run(py, n_threads, || {
        let xs = xa
            .as_slice()
            .ok_or_else(|| Error::invalid("x", "must be C-contiguous"))?;
        let w = w
            .as_ref()
            .map(|w| {
                w.as_slice()
                    .ok_or_else(|| Error::invalid("weights", "must be contiguous"))
            })
            .transpose()?;
        let d = mnl::ChoiceData {
            x: xs,
            k,
            starts: &starts,
            chosen: &chosen,
            weights: w,
        };
        d.validate()?;
        if beta.len() != k {
            return Err(Error::invalid("beta", format!("needs {k} values")));
        }
        Ok(mnl::loglik_stats(&d, &beta, true))
    })?;
    Ok((
        s.loglik,
        Array1::from(s.gradient).into_pyarray(py),
        square(s.information, k).into_pyarray(py),
    ))
}
