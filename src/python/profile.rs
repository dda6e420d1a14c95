//! Bindings for `crate::profile`.

use super::array::{Aligned1, Aligned2};
use ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;

use super::run;
use crate::error::Error;
use crate::profile;
use crate::stats::TestResult;
use crate::table::{Missing, Table};

type Matrix<'py> = Bound<'py, PyArray2<f64>>;

/// Per-segment statistics and tests. Returns (sizes, numeric, categorical) with
/// numeric = (count, mean, median, sd) as p × (k + 1) matrices, tests p × 4 (statistic, df1,
/// df2, p), eta2 (p), kruskal p × 4 (NaN when not asked); categorical = (list of (k + 1) ×
/// levels count matrices, tests q × 4, cramers_v (q)).
#[pyfunction]
#[pyo3(signature = (x, codes, *, n_levels, sample_weight, labels, k, kruskal, n_threads))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn profile_stats<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    codes: Aligned2<'py, u32>,
    n_levels: Vec<u32>,
    sample_weight: Option<Aligned1<'py, f64>>,
    labels: Aligned1<'py, i64>,
    k: usize,
    kruskal: bool,
    n_threads: usize,
) -> PyResult<(
    Bound<'py, PyArray1<f64>>,
    (
        Matrix<'py>,
        Matrix<'py>,
        Matrix<'py>,
        Matrix<'py>,
        Matrix<'py>,
        Bound<'py, PyArray1<f64>>,
        Matrix<'py>,
        Bound<'py, PyArray1<f64>>,
    ),
    (Vec<Matrix<'py>>, Matrix<'py>, Bound<'py, PyArray1<f64>>),
)> {
    let (x, c, l) = (x.as_array(), codes.as_array(), labels.as_array());
    let w = sample_weight.as_ref().map(|w| w.as_array());
    let p = run(py, n_threads, || {
        if let Some(&bad) = l.iter().find(|&&v| v < 0 || v as usize >= k) {
            return Err(Error::invalid(
                "labels",
                format!("label {bad} is not in 0..{k}"),
            ));
        }
        let labels: Array1<u32> = l.mapv(|v| v as u32);
        let table = Table::new(x, c, &n_levels, w, Missing::Allow)?;
        profile::profile(&table, labels.view(), k, kruskal)
    })?;
    let rows = |f: &dyn Fn(&profile::NumericColumn) -> Vec<f64>| -> Array2<f64> {
        let mut m = Array2::from_elem((p.numeric.len(), k + 1), f64::NAN);
        for (j, col) in p.numeric.iter().enumerate() {
            for (g, v) in f(col).into_iter().enumerate() {
                m[[j, g]] = v;
            }
        }
        m
    };
    let test_row = |t: &TestResult| vec![t.statistic, t.df1, t.df2, t.ln_p.exp()];
    let tests = |ts: Vec<Option<TestResult>>| -> Array2<f64> {
        let mut m = Array2::from_elem((ts.len(), 4), f64::NAN);
        for (j, t) in ts.iter().enumerate() {
            if let Some(t) = t {
                for (a, v) in test_row(t).into_iter().enumerate() {
                    m[[j, a]] = v;
                }
            }
        }
        m
    };
    let numeric = (
        rows(&|c| c.count.clone()).into_pyarray(py),
        rows(&|c| c.mean.clone()).into_pyarray(py),
        rows(&|c| c.median.clone()).into_pyarray(py),
        rows(&|c| c.sd.clone()).into_pyarray(py),
        tests(p.numeric.iter().map(|c| Some(c.anova)).collect()).into_pyarray(py),
        Array1::from_iter(p.numeric.iter().map(|c| c.eta2)).into_pyarray(py),
        tests(p.numeric.iter().map(|c| c.kruskal).collect()).into_pyarray(py),
        Array1::from_iter(p.numeric.iter().map(|c| c.min)).into_pyarray(py),
    );
    let categorical = (
        p.categorical
            .iter()
            .map(|c| c.counts.clone().into_pyarray(py))
            .collect(),
        tests(p.categorical.iter().map(|c| Some(c.chi2)).collect()).into_pyarray(py),
        Array1::from_iter(p.categorical.iter().map(|c| c.cramers_v)).into_pyarray(py),
    );
    Ok((Array1::from(p.sizes).into_pyarray(py), numeric, categorical))
}
