//! Bindings for `crate::chaid::levels` (the level-wise split decision of a distributed CHAID
//! build).

use super::array::Aligned2;
use numpy::ndarray::{Array1, Ix4};
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;

use super::array::{Aligned, Aligned1};
use super::run;
use crate::chaid::levels::{self, NodeSplit};
use crate::chaid::ChaidParams;
use crate::chaid::{bin, partials};
use crate::error::Error;
use crate::partition::Placement;
use crate::stats::bonferroni::Merging;

/// How one node of a level splits (what `chaid_split_nodes` returns per splitting node).
#[pyclass(frozen, module = "segmint._core")]
pub struct ChaidNodeSplit {
    /// The predictor (core numbering: categorical columns, then continuous ones).
    #[pyo3(get)]
    predictor: usize,
    /// Per slot (categories, then missing): the child (merged group) it goes to.
    #[pyo3(get)]
    slot_child: Py<PyArray1<i64>>,
    /// Per slot: the category was present in the node.
    #[pyo3(get)]
    present: Py<PyArray1<bool>>,
    /// The child of unseen categories.
    #[pyo3(get)]
    default_child: usize,
    #[pyo3(get)]
    n_children: usize,
    #[pyo3(get)]
    statistic: f64,
    #[pyo3(get)]
    df1: f64,
    #[pyo3(get)]
    df2: f64,
    #[pyo3(get)]
    ln_p: f64,
    #[pyo3(get)]
    ln_p_adj: f64,
    #[pyo3(get)]
    n_categories: usize,
    /// 0 nominal, 1 ordinal, 2 floating.
    #[pyo3(get)]
    merging: i64,
}

fn to_py(py: Python<'_>, s: NodeSplit) -> ChaidNodeSplit {
    ChaidNodeSplit {
        predictor: s.predictor,
        slot_child: Array1::from_iter(s.slot_child.iter().map(|&c| c as i64))
            .into_pyarray(py)
            .unbind(),
        present: Array1::from(s.present).into_pyarray(py).unbind(),
        default_child: s.default_child,
        n_children: s.n_children,
        statistic: s.test.statistic,
        df1: s.test.df1,
        df2: s.test.df2,
        ln_p: s.test.ln_p,
        ln_p_adj: s.ln_p_adj,
        n_categories: s.n_categories,
        merging: match s.merging {
            Merging::Nominal => 0,
            Merging::Ordinal => 1,
            Merging::Floating => 2,
        },
    }
}

/// The split of every node of one level from its summed tables (nodes × predictors × slots ×
/// width, as `chaid_node_tables` or `chaid_partition_tables` count them; `sums` says what the
/// width holds: "counts" per class, "case" counts then case-weighted counts per class,
/// "continuous" [Σf, Σw, Σw·y, Σw·y²]): None where the node does not split.
#[pyfunction]
#[pyo3(signature = (tables, *, n_slots, ordinal, rank, alpha_merge, alpha_split, alpha_split_merged, min_child_size, exhaustive, split_merged, statistic, n_threads, sums="counts"))]
#[allow(clippy::too_many_arguments)]
pub fn chaid_split_nodes<'py>(
    py: Python<'py>,
    tables: Aligned<'py, f64, Ix4>,
    n_slots: Aligned1<'py, i64>,
    ordinal: Aligned1<'py, bool>,
    rank: Aligned1<'py, i64>,
    alpha_merge: f64,
    alpha_split: f64,
    alpha_split_merged: f64,
    min_child_size: f64,
    exhaustive: bool,
    split_merged: bool,
    statistic: &str,
    n_threads: usize,
    sums: &str,
) -> PyResult<Vec<Option<ChaidNodeSplit>>> {
    let statistic = super::chaid::parse_statistic(py, statistic)?;
    let kind = match sums {
        "counts" => levels::Sums::Counts,
        "case" => levels::Sums::CaseWeighted,
        "continuous" => levels::Sums::Continuous,
        other => {
            return Err(super::to_py_err(
                py,
                Error::invalid(
                    "sums",
                    format!("must be 'counts', 'case' or 'continuous', got {other:?}"),
                ),
            ))
        }
    };
    let params = ChaidParams {
        alpha_merge,
        alpha_split,
        alpha_split_merged,
        min_child_size,
        exhaustive,
        split_merged,
        statistic,
        ..ChaidParams::default()
    };
    let to_usize = |v: &i64| usize::try_from(*v).unwrap_or(usize::MAX);
    let n_slots: Vec<usize> = n_slots.as_array().iter().map(to_usize).collect();
    let rank: Vec<usize> = rank.as_array().iter().map(to_usize).collect();
    let ordinal: Vec<bool> = ordinal.as_array().to_vec();
    let t = tables.as_array();
    let splits = run(py, n_threads, || {
        levels::split_nodes(t, &n_slots, &ordinal, &rank, &params, kind)
    })?;
    Ok(splits
        .into_iter()
        .map(|s| s.map(|s| to_py(py, s)))
        .collect())
}

/// Rows routed to the next level (what `chaid_route` returns).
#[pyclass(frozen, module = "segmint._core")]
pub struct ChaidRoute {
    /// Each row's place among the next level's open nodes (-1: a leaf or no node).
    #[pyo3(get)]
    nodes: Py<PyArray1<i64>>,
    /// Rows per child.
    #[pyo3(get)]
    counts: Py<PyArray1<i64>>,
}

/// Routes the rows of the nodes that split to their children (see `chaid::levels::route`).
#[pyfunction]
#[pyo3(signature = (codes, *, n_levels, nodes, predictor, offsets, child, open_index, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn chaid_route<'py>(
    py: Python<'py>,
    codes: Aligned2<'py, u32>,
    n_levels: Vec<u32>,
    nodes: Aligned1<'py, i64>,
    predictor: Aligned1<'py, i64>,
    offsets: Aligned1<'py, i64>,
    child: Aligned1<'py, i64>,
    open_index: Aligned1<'py, i64>,
    n_threads: usize,
) -> PyResult<ChaidRoute> {
    let codes = codes.as_array();
    let (nodes, predictor, offsets) = (
        nodes.as_slice()?,
        predictor.as_slice()?,
        offsets.as_slice()?,
    );
    let (child, open_index) = (child.as_slice()?, open_index.as_slice()?);
    let (next, counts) = run(py, n_threads, || {
        levels::route(
            codes, &n_levels, nodes, predictor, offsets, child, open_index,
        )
    })?;
    Ok(ChaidRoute {
        nodes: Array1::from(next).into_pyarray(py).unbind(),
        counts: Array1::from(counts).into_pyarray(py).unbind(),
    })
}

/// Every predictor's code per row, column-major: the categorical codes, then the continuous
/// columns binned with their breaks (`breaks[breaks_offsets[j]..breaks_offsets[j + 1]]`),
/// missing values as the missing code.
#[pyfunction]
#[pyo3(signature = (codes, *, numeric, breaks_offsets, breaks, n_threads))]
pub fn chaid_code_block<'py>(
    py: Python<'py>,
    codes: Aligned2<'py, u32>,
    numeric: Aligned2<'py, f64>,
    breaks_offsets: Aligned1<'py, i64>,
    breaks: Aligned1<'py, f64>,
    n_threads: usize,
) -> PyResult<Bound<'py, PyArray2<u32>>> {
    let (codes, numeric) = (codes.as_array(), numeric.as_array());
    let (offsets, values) = (breaks_offsets.as_slice()?, breaks.as_slice()?);
    let block = run(py, n_threads, || {
        let bad = || Error::invalid("breaks_offsets", "inconsistent offsets");
        let lists = offsets
            .windows(2)
            .map(|w| {
                let lo = usize::try_from(w[0]).map_err(|_| bad())?;
                let hi = usize::try_from(w[1]).map_err(|_| bad())?;
                values.get(lo..hi).map(<[f64]>::to_vec).ok_or_else(bad)
            })
            .collect::<Result<Vec<Vec<f64>>, Error>>()?;
        levels::code_block(codes, numeric, &lists)
    })?;
    Ok(block.into_pyarray(py))
}

/// The in-memory bin of each cumulative weight `cum` of `total` with `max_bins` bins
/// (`chaid::bin::bin_of`): the Dask driver's boundary search uses the in-memory rule itself.
#[pyfunction]
#[pyo3(signature = (cum, *, total, max_bins))]
pub fn chaid_bin_of<'py>(
    py: Python<'py>,
    cum: Aligned1<'py, f64>,
    total: f64,
    max_bins: usize,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let k = max_bins as f64;
    let bins: Vec<i64> = cum
        .as_slice()?
        .iter()
        .map(|&c| bin::bin_of(c, total, k))
        .collect();
    Ok(Array1::from(bins).into_pyarray(py))
}

/// One partition's tables of the open nodes (`nodes`: each row's open node or -1), per maximal
/// node of the in-memory chunk tree inside it (the partition starts at global row `row_start`
/// of `n_total`, a multiple of 1,024): (first chunk, chunk count, tables), the tables flat per
/// maximal node in the order nodes × predictors × slots × width, and that shape. The target is
/// `y_codes` (classes) or `y_values` (a continuous target centred on its weighted mean).
#[pyfunction]
#[pyo3(signature = (codes, *, n_levels, y_codes, n_classes, y_values, sample_weight, case_weight, nodes, n_nodes, row_start, n_total, n_threads))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn chaid_partition_tables<'py>(
    py: Python<'py>,
    codes: Aligned2<'py, u32>,
    n_levels: Vec<u32>,
    y_codes: Option<Aligned1<'py, u32>>,
    n_classes: usize,
    y_values: Option<Aligned1<'py, f64>>,
    sample_weight: Option<Aligned1<'py, f64>>,
    case_weight: Option<Aligned1<'py, f64>>,
    nodes: Aligned1<'py, i64>,
    n_nodes: usize,
    row_start: usize,
    n_total: usize,
    n_threads: usize,
) -> PyResult<(
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray2<f64>>,
    [usize; 4],
)> {
    let codes = codes.as_array();
    let target = match (&y_codes, &y_values) {
        (Some(c), None) => partials::PartTarget::Classes {
            codes: c.as_slice()?,
            n_classes,
        },
        (None, Some(v)) => partials::PartTarget::Values(v.as_slice()?),
        _ => {
            return Err(super::to_py_err(
                py,
                Error::invalid("y", "pass exactly one of y_codes and y_values"),
            ))
        }
    };
    let freq = sample_weight.as_ref().map(|w| w.as_slice()).transpose()?;
    let case = case_weight.as_ref().map(|w| w.as_slice()).transpose()?;
    let nodes = nodes.as_slice()?;
    let at = Placement { row_start, n_total };
    let t = run(py, n_threads, || {
        partials::partition_tables(codes, &n_levels, target, freq, case, nodes, n_nodes, at)
    })?;
    Ok((
        Array1::from(t.first).into_pyarray(py),
        Array1::from(t.count).into_pyarray(py),
        t.tables.into_pyarray(py),
        t.shape,
    ))
}

/// One partition's Σw and Σw·y of a continuous target (w = frequency × case weight) per maximal
/// chunk-tree node: (first chunk, chunk count, sums nodes × 2); merged along the tree they give
/// the in-memory fit's weighted mean.
#[pyfunction]
#[pyo3(signature = (y, *, sample_weight, case_weight, row_start, n_total, n_threads))]
#[allow(clippy::type_complexity)]
pub fn chaid_target_sums<'py>(
    py: Python<'py>,
    y: Aligned1<'py, f64>,
    sample_weight: Option<Aligned1<'py, f64>>,
    case_weight: Option<Aligned1<'py, f64>>,
    row_start: usize,
    n_total: usize,
    n_threads: usize,
) -> PyResult<(
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray2<f64>>,
)> {
    let y = y.as_slice()?;
    let freq = sample_weight.as_ref().map(|w| w.as_slice()).transpose()?;
    let case = case_weight.as_ref().map(|w| w.as_slice()).transpose()?;
    let at = Placement { row_start, n_total };
    let (first, count, sums) = run(py, n_threads, || {
        partials::partition_target_sums(y, freq, case, at)
    })?;
    Ok((
        Array1::from(first).into_pyarray(py),
        Array1::from(count).into_pyarray(py),
        sums.into_pyarray(py),
    ))
}
