//! Bindings for `crate::chaid`.

use super::array::{Aligned1, Aligned2};
use numpy::ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;

use super::{run, to_py_err};
use crate::chaid::predict::{self, FlatTree};
use crate::chaid::{self, ChaidParams, Inputs, Scale, Target, Tree};
use crate::error::Error;
use crate::stats::bonferroni::Merging;
use crate::stats::contingency::Statistic;

fn split_breaks(offsets: &[i64], values: &[f64]) -> Result<Vec<Vec<f64>>, Error> {
    let bad = || Error::invalid("breaks", "inconsistent offsets");
    if offsets.is_empty() {
        return Err(bad());
    }
    offsets
        .windows(2)
        .map(|w| {
            let (lo, hi) = (w[0], w[1]);
            if lo < 0 || hi < lo || hi as usize > values.len() {
                return Err(bad());
            }
            Ok(values[lo as usize..hi as usize].to_vec())
        })
        .collect()
}

/// Grows a CHAID tree. `y_codes` (with `n_classes`) for a categorical target, `y_values` for a
/// continuous one. Returns the tree as a dict of flat numpy arrays (one entry per node, pre-order).
#[pyfunction]
#[pyo3(signature = (codes, *, n_levels, ordinal, numeric, y_codes, n_classes, y_values, sample_weight, case_weight, rank, alpha_merge, alpha_split, alpha_split_merged, max_depth, min_parent_size, min_child_size, max_bins, exhaustive, split_merged, statistic, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn chaid_fit<'py>(
    py: Python<'py>,
    codes: Aligned2<'py, u32>,
    n_levels: Aligned1<'py, u32>,
    ordinal: Aligned1<'py, bool>,
    numeric: Aligned2<'py, f64>,
    y_codes: Option<Aligned1<'py, u32>>,
    n_classes: usize,
    y_values: Option<Aligned1<'py, f64>>,
    sample_weight: Option<Aligned1<'py, f64>>,
    case_weight: Option<Aligned1<'py, f64>>,
    rank: Option<Aligned1<'py, i64>>,
    alpha_merge: f64,
    alpha_split: f64,
    alpha_split_merged: f64,
    max_depth: Option<usize>,
    min_parent_size: f64,
    min_child_size: f64,
    max_bins: usize,
    exhaustive: bool,
    split_merged: bool,
    statistic: &str,
    n_threads: usize,
) -> PyResult<ChaidTree> {
    let statistic = parse_statistic(py, statistic)?;
    let params = ChaidParams {
        alpha_merge,
        alpha_split,
        alpha_split_merged,
        max_depth: max_depth.unwrap_or(usize::MAX),
        min_parent_size,
        min_child_size,
        max_bins,
        exhaustive,
        split_merged,
        statistic,
    };
    let n_levels = n_levels.as_slice()?.to_vec();
    let scales: Vec<Scale> = ordinal
        .as_array()
        .iter()
        .map(|&o| if o { Scale::Ordinal } else { Scale::Nominal })
        .collect();
    let rank: Option<Vec<usize>> = rank.map(|r| {
        r.as_array()
            .iter()
            .map(|&v| usize::try_from(v).unwrap_or(usize::MAX))
            .collect()
    });
    let (codes, numeric) = (codes.as_array(), numeric.as_array());
    let y_codes = y_codes.as_ref().map(|y| y.as_array());
    let y_values = y_values.as_ref().map(|y| y.as_array());
    let freq = sample_weight.as_ref().map(|w| w.as_array());
    let case = case_weight.as_ref().map(|w| w.as_array());
    let tree = run(py, n_threads, || {
        let target = match (y_codes, y_values) {
            (Some(y), None) => Target::Classes {
                codes: y.reborrow(),
                n_classes,
            },
            (None, Some(values)) => Target::Continuous(values.reborrow()),
            _ => {
                return Err(Error::invalid(
                    "y",
                    "pass exactly one of y_codes and y_values",
                ))
            }
        };
        // Both blocks are read column by column as they come (column-major from `_frame`).
        let inputs = Inputs {
            codes: codes.reborrow(),
            n_levels: &n_levels,
            scales: &scales,
            numeric: numeric.reborrow(),
            target,
            freq: freq.map(|w| w.reborrow()),
            case: case.map(|w| w.reborrow()),
            rank: rank.as_deref(),
        };
        chaid::fit_chaid(&inputs, &params)
    })?;
    Ok(tree_arrays(py, &tree))
}

/// A fitted CHAID tree as flat per-node arrays (what `chaid_fit` returns; the Python estimator
/// keeps these arrays as its fitted state).
#[pyclass(frozen, module = "segmint._core")]
pub struct ChaidTree {
    #[pyo3(get)]
    parent: Py<PyArray1<i64>>,
    #[pyo3(get)]
    depth: Py<PyArray1<i64>>,
    #[pyo3(get)]
    n_rows: Py<PyArray1<i64>>,
    #[pyo3(get)]
    weight: Py<PyArray1<f64>>,
    #[pyo3(get)]
    value: Py<PyArray2<f64>>,
    #[pyo3(get)]
    split: Py<PyArray1<i64>>,
    #[pyo3(get)]
    statistic: Py<PyArray1<f64>>,
    #[pyo3(get)]
    df1: Py<PyArray1<f64>>,
    #[pyo3(get)]
    df2: Py<PyArray1<f64>>,
    #[pyo3(get)]
    ln_p: Py<PyArray1<f64>>,
    #[pyo3(get)]
    ln_p_adj: Py<PyArray1<f64>>,
    #[pyo3(get)]
    n_categories: Py<PyArray1<i64>>,
    #[pyo3(get)]
    merging: Py<PyArray1<i64>>,
    #[pyo3(get)]
    default_child: Py<PyArray1<i64>>,
    #[pyo3(get)]
    map_offsets: Py<PyArray1<i64>>,
    #[pyo3(get)]
    map: Py<PyArray1<i64>>,
    #[pyo3(get)]
    present: Py<PyArray1<bool>>,
    #[pyo3(get)]
    breaks_offsets: Py<PyArray1<i64>>,
    #[pyo3(get)]
    breaks: Py<PyArray1<f64>>,
    #[pyo3(get)]
    n_classes: usize,
}

fn tree_arrays(py: Python<'_>, tree: &Tree) -> ChaidTree {
    let n = tree.nodes.len();
    let width = tree.nodes.first().map_or(0, |v| v.value.len());
    let mut value = Array2::<f64>::zeros((n, width));
    let nan = f64::NAN;
    let mut parent = Array1::<i64>::from_elem(n, -1);
    let mut depth = Array1::<i64>::zeros(n);
    let mut n_rows = Array1::<i64>::zeros(n);
    let mut weight = Array1::<f64>::zeros(n);
    let mut split = Array1::<i64>::from_elem(n, -1);
    let mut stat = Array1::<f64>::from_elem(n, nan);
    let mut df1 = Array1::<f64>::from_elem(n, nan);
    let mut df2 = Array1::<f64>::from_elem(n, nan);
    let mut ln_p = Array1::<f64>::from_elem(n, nan);
    let mut ln_p_adj = Array1::<f64>::from_elem(n, nan);
    let mut n_categories = Array1::<i64>::zeros(n);
    let mut merging = Array1::<i64>::from_elem(n, -1);
    let mut default_child = Array1::<i64>::from_elem(n, -1);
    let mut map_offsets = vec![0i64; n + 1];
    let mut map: Vec<i64> = Vec::new();
    let mut present: Vec<bool> = Vec::new();
    for (v, node) in tree.nodes.iter().enumerate() {
        value.row_mut(v).assign(&Array1::from(node.value.clone()));
        parent[v] = node.parent.map_or(-1, |p| p as i64);
        depth[v] = node.depth as i64;
        n_rows[v] = node.n_rows as i64;
        weight[v] = node.weight;
        if let Some(s) = &node.split {
            split[v] = s.predictor as i64;
            stat[v] = s.test.statistic;
            df1[v] = s.test.df1;
            df2[v] = s.test.df2;
            ln_p[v] = s.test.ln_p;
            ln_p_adj[v] = s.ln_p_adj;
            n_categories[v] = s.n_categories as i64;
            merging[v] = match s.merging {
                Merging::Nominal => 0,
                Merging::Ordinal => 1,
                Merging::Floating => 2,
            };
            default_child[v] = node.children[s.default_child] as i64;
            map.extend(s.slot_child.iter().map(|&c| node.children[c] as i64));
            present.extend(&s.present);
        }
        map_offsets[v + 1] = map.len() as i64;
    }
    let mut breaks_offsets = vec![0i64];
    let mut breaks: Vec<f64> = Vec::new();
    for b in &tree.breaks {
        breaks.extend(b);
        breaks_offsets.push(breaks.len() as i64);
    }
    ChaidTree {
        parent: parent.into_pyarray(py).unbind(),
        depth: depth.into_pyarray(py).unbind(),
        n_rows: n_rows.into_pyarray(py).unbind(),
        weight: weight.into_pyarray(py).unbind(),
        value: value.into_pyarray(py).unbind(),
        split: split.into_pyarray(py).unbind(),
        statistic: stat.into_pyarray(py).unbind(),
        df1: df1.into_pyarray(py).unbind(),
        df2: df2.into_pyarray(py).unbind(),
        ln_p: ln_p.into_pyarray(py).unbind(),
        ln_p_adj: ln_p_adj.into_pyarray(py).unbind(),
        n_categories: n_categories.into_pyarray(py).unbind(),
        merging: merging.into_pyarray(py).unbind(),
        default_child: default_child.into_pyarray(py).unbind(),
        map_offsets: Array1::from(map_offsets).into_pyarray(py).unbind(),
        map: Array1::from(map).into_pyarray(py).unbind(),
        present: Array1::from(present).into_pyarray(py).unbind(),
        breaks_offsets: Array1::from(breaks_offsets).into_pyarray(py).unbind(),
        breaks: Array1::from(breaks).into_pyarray(py).unbind(),
        n_classes: tree.n_classes,
    }
}

/// The leaf id of every row of new data (codes of the categorical predictors, unseen categories
/// as any code >= n_levels other than the missing code; continuous predictors as values).
#[pyfunction]
#[pyo3(signature = (codes, *, n_levels, numeric, split, map_offsets, map, default_child, breaks_offsets, breaks, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn chaid_apply<'py>(
    py: Python<'py>,
    codes: Aligned2<'py, u32>,
    n_levels: Aligned1<'py, u32>,
    numeric: Aligned2<'py, f64>,
    split: Aligned1<'py, i64>,
    map_offsets: Aligned1<'py, i64>,
    map: Aligned1<'py, i64>,
    default_child: Aligned1<'py, i64>,
    breaks_offsets: Aligned1<'py, i64>,
    breaks: Aligned1<'py, f64>,
    n_threads: usize,
) -> PyResult<Bound<'py, numpy::PyArray1<i64>>> {
    let n_levels = n_levels.as_slice()?.to_vec();
    let breaks = split_breaks(breaks_offsets.as_slice()?, breaks.as_slice()?)
        .map_err(|e| to_py_err(py, e))?;
    let (codes, numeric) = (codes.as_array(), numeric.as_array());
    let tree = FlatTree {
        split: split.as_array(),
        map_offsets: map_offsets.as_array(),
        map: map.as_array(),
        default_child: default_child.as_array(),
        breaks: &breaks,
    };
    let leaves = run(py, n_threads, || {
        predict::apply(&tree, codes, &n_levels, numeric)
    })?;
    Ok(leaves.into_pyarray(py))
}

/// Weighted contingency tables per node and predictor (nodes × predictors × slots × classes;
/// the last slot is missing): CHAID's sufficient statistics, additive over row partitions.
#[pyfunction]
#[pyo3(signature = (codes, *, n_levels, y, n_classes, sample_weight, nodes, n_nodes, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn chaid_node_tables<'py>(
    py: Python<'py>,
    codes: Aligned2<'py, u32>,
    n_levels: Vec<u32>,
    y: Aligned1<'py, u32>,
    n_classes: usize,
    sample_weight: Option<Aligned1<'py, f64>>,
    nodes: Aligned1<'py, i64>,
    n_nodes: usize,
    n_threads: usize,
) -> PyResult<Bound<'py, numpy::PyArray4<f64>>> {
    let (c, y, nodes) = (codes.as_array(), y.as_array(), nodes.as_array());
    let w = sample_weight.as_ref().map(|w| w.as_array());
    let t = run(py, n_threads, || {
        let y = y
            .as_slice()
            .ok_or_else(|| Error::invalid("y", "must be contiguous"))?;
        let nodes = nodes
            .as_slice()
            .ok_or_else(|| Error::invalid("nodes", "must be contiguous"))?;
        let w = w
            .as_ref()
            .map(|w| {
                w.as_slice()
                    .ok_or_else(|| Error::invalid("sample_weight", "must be contiguous"))
            })
            .transpose()?;
        chaid::tables::node_tables(c, &n_levels, y, n_classes, w, nodes, n_nodes)
    })?;
    Ok(t.into_pyarray(py))
}

/// What `chaid_merge_table` returns: the merged groups and the adjusted test.
#[pyclass(frozen, module = "segmint._core")]
pub struct MergedTable {
    /// Lists of slots, one per group.
    #[pyo3(get)]
    groups: Vec<Vec<usize>>,
    #[pyo3(get)]
    statistic: f64,
    #[pyo3(get)]
    df: f64,
    #[pyo3(get)]
    ln_p: f64,
    /// Bonferroni-adjusted (SPSS's multipliers).
    #[pyo3(get)]
    ln_p_adjusted: f64,
    /// "nominal", "ordinal" or "floating".
    #[pyo3(get)]
    merging: &'static str,
}

/// CHAID's merging and adjusted test on one table (slots × classes, the last slot missing):
/// None (fewer than two categories, or all merged) or the merged groups and test.
#[pyfunction]
#[pyo3(signature = (table, *, ordinal, statistic, alpha_merge, alpha_split_merged, exhaustive, split_merged, min_child_size))]
#[allow(clippy::too_many_arguments)]
pub fn chaid_merge_table<'py>(
    py: Python<'py>,
    table: Aligned2<'py, f64>,
    ordinal: bool,
    statistic: &str,
    alpha_merge: f64,
    alpha_split_merged: f64,
    exhaustive: bool,
    split_merged: bool,
    min_child_size: f64,
) -> PyResult<Option<MergedTable>> {
    let statistic = match statistic {
        "pearson" => Statistic::Pearson,
        "likelihood_ratio" => Statistic::LikelihoodRatio,
        other => {
            return Err(to_py_err(
                py,
                Error::invalid("test", format!("unknown test {other:?}")),
            ))
        }
    };
    let t = table.as_array();
    let m = chaid::tables::merge_table(
        t,
        ordinal,
        statistic,
        alpha_merge,
        alpha_split_merged,
        exhaustive,
        split_merged,
        min_child_size,
    )
    .map_err(|e| to_py_err(py, e))?;
    let Some(m) = m else { return Ok(None) };
    Ok(Some(MergedTable {
        groups: m.groups,
        statistic: m.statistic,
        df: m.df,
        ln_p: m.ln_p,
        ln_p_adjusted: m.ln_p_adjusted,
        merging: match m.merging {
            Merging::Nominal => "nominal",
            Merging::Ordinal => "ordinal",
            Merging::Floating => "floating",
        },
    }))
}

/// The `test` parameter of CHAID's bindings.
pub(super) fn parse_statistic(py: Python<'_>, name: &str) -> PyResult<Statistic> {
    match name {
        "pearson" => Ok(Statistic::Pearson),
        "likelihood_ratio" | "lr" | "g2" => Ok(Statistic::LikelihoodRatio),
        other => {
            let why = format!("must be \"pearson\" or \"likelihood_ratio\", got {other:?}");
            Err(to_py_err(py, Error::invalid("test", why)))
        }
    }
}
