//! Bindings for `crate::profile`.

use super::array::{Aligned1, Aligned2};
use ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;

use super::run;
use crate::error::Error;
use crate::partition::Placement;
use crate::profile::{self, Layout, OrderStats, RankSums};
use crate::stats::TestResult;
use crate::table::{Missing, Table};

type Matrix<'py> = Bound<'py, PyArray2<f64>>;
type Vector<'py> = Bound<'py, PyArray1<f64>>;
type ProfileArrays<'py> = (
    Vector<'py>,
    (
        Matrix<'py>,
        Matrix<'py>,
        Matrix<'py>,
        Matrix<'py>,
        Matrix<'py>,
        Vector<'py>,
        Matrix<'py>,
        Vector<'py>,
    ),
    (Vec<Matrix<'py>>, Matrix<'py>, Vector<'py>),
);

fn labels_u32(l: ndarray::ArrayView1<'_, i64>, k: usize) -> crate::error::Result<Array1<u32>> {
    if let Some(&bad) = l.iter().find(|&&v| v < 0 || v as usize >= k) {
        return Err(Error::invalid(
            "labels",
            format!("label {bad} is not in 0..{k}"),
        ));
    }
    Ok(l.mapv(|v| v as u32))
}

fn to_py<'py>(py: Python<'py>, p: profile::Profile, k: usize) -> ProfileArrays<'py> {
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
    (Array1::from(p.sizes).into_pyarray(py), numeric, categorical)
}

/// Per-segment statistics and tests. Returns (sizes, numeric, categorical) with
/// numeric = (count, mean, median, sd) as p × (k + 1) matrices, tests p × 4 (statistic, df1,
/// df2, p), eta2 (p), kruskal p × 4 (NaN when not asked), minimum (p); categorical = (list of
/// (k + 1) × levels count matrices, tests q × 4, cramers_v (q)).
#[pyfunction]
#[pyo3(signature = (x, codes, *, n_levels, sample_weight, labels, k, kruskal, n_threads))]
#[allow(clippy::too_many_arguments)]
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
) -> PyResult<ProfileArrays<'py>> {
    let (x, c, l) = (x.as_array(), codes.as_array(), labels.as_array());
    let w = sample_weight.as_ref().map(|w| w.as_array());
    let p = run(py, n_threads, || {
        let labels = labels_u32(l, k)?;
        let table = Table::new(x, c, &n_levels, w, Missing::Allow)?;
        profile::profile(&table, labels.view(), k, kruskal)
    })?;
    Ok(to_py(py, p, k))
}

/// One pass of a distributed profile over a partition that starts on a chunk boundary:
/// (first chunk, chunk count) of each maximal chunk-tree node it holds and the nodes' row sums
/// (nodes × width): sizes, per-segment [Σw, Σw·y, Σw·y²] and category counts, or with `means`
/// (numeric columns × k) the per-segment sums of squares about them.
#[pyfunction]
#[pyo3(signature = (x, codes, *, n_levels, sample_weight, labels, k, means, row_start, n_total, n_threads))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn profile_partition_sums<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    codes: Aligned2<'py, u32>,
    n_levels: Vec<u32>,
    sample_weight: Option<Aligned1<'py, f64>>,
    labels: Aligned1<'py, i64>,
    k: usize,
    means: Option<Aligned2<'py, f64>>,
    row_start: usize,
    n_total: usize,
    n_threads: usize,
) -> PyResult<(
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u64>>,
    Matrix<'py>,
)> {
    let (x, c, l) = (x.as_array(), codes.as_array(), labels.as_array());
    let w = sample_weight.as_ref().map(|w| w.as_array());
    let m = means.as_ref().map(|m| m.as_array());
    let at = Placement { row_start, n_total };
    let s = run(py, n_threads, || {
        let labels = labels_u32(l, k)?;
        let table = Table::new(x, c, &n_levels, w, Missing::Allow)?;
        profile::partition_sums(&table, labels.view(), k, m, at)
    })?;
    Ok((
        Array1::from(s.first).into_pyarray(py),
        Array1::from(s.count).into_pyarray(py),
        s.sums.into_pyarray(py),
    ))
}

/// The profile (as `profile_stats` returns it) from the merged row sums of both passes and
/// each numeric column's minimum, medians (p × (k + 1)) and, for Kruskal–Wallis, twice the
/// segments' rank sums and their counts (p × k each) and Σ(t³ − t) of the ties (p).
#[pyfunction]
#[pyo3(signature = (sums, squares, *, n_levels, k, minimum, median, rank2=None, rank_count=None, ties=None))]
#[allow(clippy::too_many_arguments)]
pub fn profile_finish<'py>(
    py: Python<'py>,
    sums: Aligned1<'py, f64>,
    squares: Aligned1<'py, f64>,
    n_levels: Vec<u32>,
    k: usize,
    minimum: Aligned1<'py, f64>,
    median: Aligned2<'py, f64>,
    rank2: Option<Aligned2<'py, f64>>,
    rank_count: Option<Aligned2<'py, f64>>,
    ties: Option<Aligned1<'py, f64>>,
) -> PyResult<ProfileArrays<'py>> {
    let (minimum, median) = (minimum.as_array(), median.as_array());
    let p = minimum.len();
    if median.dim() != (p, k + 1) {
        return Err(super::to_py_err(
            py,
            Error::invalid("median", "must be numeric columns × (k + 1)"),
        ));
    }
    let ranks = match (&rank2, &rank_count, &ties) {
        (Some(r), Some(c), Some(t)) => {
            let (r, c, t) = (r.as_array(), c.as_array(), t.as_array());
            if r.dim() != (p, k) || c.dim() != (p, k) || t.len() != p {
                return Err(super::to_py_err(
                    py,
                    Error::invalid("rank2", "rank sums must be numeric columns × k"),
                ));
            }
            Some((r, c, t))
        }
        (None, None, None) => None,
        _ => {
            return Err(super::to_py_err(
                py,
                Error::invalid("rank2", "give rank2, rank_count and ties together"),
            ))
        }
    };
    let order: Vec<OrderStats> = (0..p)
        .map(|j| OrderStats {
            min: minimum[j],
            median: median.row(j).to_vec(),
            ranks: ranks.as_ref().map(|(r, c, t)| RankSums {
                rank2: r.row(j).to_vec(),
                count: c.row(j).to_vec(),
                ties: t[j],
            }),
        })
        .collect();
    let layout = Layout::new(k, p, &n_levels);
    let (sums, squares) = (sums.as_array(), squares.as_array());
    let sums = sums.to_vec();
    let squares = squares.to_vec();
    let prof =
        profile::finish(&layout, &sums, &squares, &order).map_err(|e| super::to_py_err(py, e))?;
    Ok(to_py(py, prof, k))
}
