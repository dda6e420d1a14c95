//! One partition's share of a distributed CHAID build whose sums must equal the in-memory ones
//! to the last bit: weighted tables, tables of a continuous target, and the target's weighted
//! mean.
//!
//! In memory ([`fit_chaid`](super::fit_chaid)), such sums are added per chunk of
//! [`CHUNK_ROWS`] input rows (the node's rows in it, in input order), then along the
//! [`fold_rows`](crate::parallel::fold_rows) tree over all the input's chunks. A partition that
//! starts on a chunk boundary holds whole chunks; [`partition_tables`] returns, per maximal node
//! of that tree inside it ([`Placement::nodes`]), every open node's tables added the same way,
//! and the driver merges the maximal nodes of all partitions in the in-memory order
//! ([`merge_nodes`](crate::partition::merge_nodes) or its Python twin). A node without rows in a
//! subtree gets zeros there, and adding a zero changes no sum (no partial is ever −0: every one
//! starts at +0).

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use super::columns::{add_class, add_value};
use super::grow::target_sums;
use super::tables::table_slot;
use crate::error::{Error, Result};
use crate::parallel::CHUNK_ROWS;
use crate::partition::Placement;
use crate::table::MISSING_CODE;

/// The target of a partition's rows.
#[derive(Debug, Clone, Copy)]
pub enum PartTarget<'a> {
    /// Class codes 0..n_classes.
    Classes { codes: &'a [u32], n_classes: usize },
    /// A continuous target, centred on the weighted mean of all rows (as in memory).
    Values(&'a [f64]),
}

/// One partition's tables: per maximal chunk-tree node `(first[i], count[i])`, the tables of
/// every open node, `tables[i]` flat in the order nodes × predictors × slots × width.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionTables {
    pub first: Vec<u64>,
    pub count: Vec<u64>,
    pub tables: Array2<f64>,
    /// (nodes, predictors, slots, width): slots is the largest predictor's, width the numbers
    /// per slot (classes; classes twice with case weights; 4 for a continuous target).
    pub shape: [usize; 4],
}

/// Per open node, its tables (None: no row of the node seen yet).
type Partial = Vec<Option<Vec<f64>>>;

/// The tables of the open nodes over one partition's rows (`nodes[i]`: the row's open node, or
/// −1), per maximal chunk-tree node inside the partition. `codes` is rows × predictors (any
/// layout), missing as `MISSING_CODE`; `freq` frequency weights (rows of weight 0 take no
/// part), `case` case weights.
#[allow(clippy::too_many_arguments)]
pub fn partition_tables(
    codes: ArrayView2<'_, u32>,
    n_levels: &[u32],
    target: PartTarget<'_>,
    freq: Option<&[f64]>,
    case: Option<&[f64]>,
    nodes: &[i64],
    n_nodes: usize,
    at: Placement,
) -> Result<PartitionTables> {
    let (n, p) = codes.dim();
    check(codes, n_levels, &target, freq, case, nodes, n_nodes)?;
    let slots = n_levels.iter().map(|&l| l as usize + 1).max().unwrap_or(1);
    let width = match target {
        PartTarget::Classes { n_classes, .. } => n_classes * if case.is_some() { 2 } else { 1 },
        PartTarget::Values(_) => 4,
    };
    let size = p
        .checked_mul(slots)
        .and_then(|v| v.checked_mul(width))
        .filter(|&v| {
            v.checked_mul(n_nodes)
                .is_some_and(|t| t <= isize::MAX as usize / 8)
        })
        .ok_or_else(|| Error::invalid("n_nodes", "the tables do not fit in memory"))?;
    let spec = at.nodes(n)?;
    let leaf = |rows: std::ops::Range<usize>| -> Partial {
        let mut out: Partial = vec![None; n_nodes];
        for i in rows {
            let Ok(v) = usize::try_from(nodes[i]) else {
                continue;
            };
            let f = freq.map_or(1.0, |w| w[i]);
            if f <= 0.0 {
                continue;
            }
            let c = case.map(|c| c[i]);
            let t = out[v].get_or_insert_with(|| vec![0.0; size]);
            for j in 0..p {
                let code = codes[[i, j]];
                let slot = table_slot(code, n_levels[j]);
                let row = &mut t[(j * slots + slot) * width..];
                match target {
                    PartTarget::Classes {
                        codes: y,
                        n_classes,
                    } => add_class(row, y[i] as usize, n_classes, f, c),
                    PartTarget::Values(y) => add_value(row, y[i], f, c),
                }
            }
        }
        out
    };
    let mut tables = Array2::zeros((spec.len(), n_nodes * size));
    for (k, ((first, count), rows)) in spec.iter().enumerate() {
        let node = fold_chunks(rows.start, rows.end, *first, *count, at, &leaf);
        let mut row = tables.row_mut(k);
        let dst = row.as_slice_mut().expect("a standard-layout row");
        for (v, t) in node.into_iter().enumerate() {
            if let Some(t) = t {
                dst[v * size..(v + 1) * size].copy_from_slice(&t);
            }
        }
    }
    Ok(PartitionTables {
        first: spec.iter().map(|((f, _), _)| *f as u64).collect(),
        count: spec.iter().map(|((_, c), _)| *c as u64).collect(),
        tables,
        shape: [n_nodes, p, slots, width],
    })
}

/// The partial of chunks `first..first + count` (local rows `lo..hi`), added along the
/// `fold_rows` tree.
fn fold_chunks(
    lo: usize,
    hi: usize,
    first: usize,
    count: usize,
    at: Placement,
    leaf: &(dyn Fn(std::ops::Range<usize>) -> Partial + Sync),
) -> Partial {
    if count == 1 {
        return leaf(lo..hi);
    }
    let mid = count / 2;
    let split = ((first + mid) * CHUNK_ROWS - at.row_start).min(hi);
    let (mut a, b) = rayon::join(
        || fold_chunks(lo, split, first, mid, at, leaf),
        || fold_chunks(split, hi, first + mid, count - mid, at, leaf),
    );
    for (x, y) in a.iter_mut().zip(b) {
        match (x.as_mut(), y) {
            (Some(x), Some(y)) => x.iter_mut().zip(&y).for_each(|(u, v)| *u += v),
            (None, Some(y)) => *x = Some(y),
            (_, None) => {}
        }
    }
    a
}

/// Checks the rows of a level's tables (in memory: [`super::tables::node_tables`]; on Dask:
/// a partition's): lengths, target, node numbers, weights and predictor codes.
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
pub(super) fn check(
    codes: ArrayView2<'_, u32>,
    n_levels: &[u32],
    target: &PartTarget<'_>,
    freq: Option<&[f64]>,
    case: Option<&[f64]>,
    nodes: &[i64],
    n_nodes: usize,
) -> Result<()> {
    let (n, p) = codes.dim();
    if n_levels.len() != p {
        return Err(Error::invalid("n_levels", format!("needs {p} values")));
    }
    let y_len = match target {
        PartTarget::Classes { codes, .. } => codes.len(),
        PartTarget::Values(v) => v.len(),
    };
    if y_len != n
        || nodes.len() != n
        || freq.is_some_and(|w| w.len() != n)
        || case.is_some_and(|w| w.len() != n)
    {
        return Err(Error::invalid(
            "y",
            "y, nodes and weights need one value per row",
        ));
    }
    match target {
        PartTarget::Classes { codes, n_classes } => {
            if let Some(&bad) = codes.iter().find(|&&c| c as usize >= *n_classes) {
                return Err(Error::invalid(
                    "y",
                    format!("class code {bad} is not below n_classes"),
                ));
            }
        }
        PartTarget::Values(v) => {
            if let Some(bad) = v.iter().find(|v| !v.is_finite()) {
                return Err(Error::invalid(
                    "y",
                    format!("must be finite (no missing values), found {bad}"),
                ));
            }
        }
    }
    if let Some(&bad) = nodes.iter().find(|&&v| v >= n_nodes as i64) {
        return Err(Error::invalid(
            "nodes",
            format!("node {bad} is not below n_nodes"),
        ));
    }
    for (what, w) in [("sample_weight", freq), ("case_weight", case)] {
        if w.is_some_and(|w| w.iter().any(|v| !(v.is_finite() && *v >= 0.0))) {
            return Err(Error::invalid(what, "needs finite, non-negative weights"));
        }
    }
    for j in 0..p {
        if let Some(c) = codes
            .column(j)
            .iter()
            .find(|&&c| c != MISSING_CODE && c >= n_levels[j])
        {
            return Err(Error::invalid(
                format!("codes[:, {j}]"),
                format!("code {c} is not below n_levels {}", n_levels[j]),
            ));
        }
    }
    Ok(())
}

/// One partition's Σw and Σw·y of a continuous target (w = frequency × case weight), per
/// maximal chunk-tree node: `(first, count, sums)`, sums nodes × 2. Merged along the tree they
/// give the in-memory fit's weighted mean, which centres the target.
pub fn partition_target_sums(
    y: &[f64],
    freq: Option<&[f64]>,
    case: Option<&[f64]>,
    at: Placement,
) -> Result<(Vec<u64>, Vec<u64>, Array2<f64>)> {
    let n = y.len();
    if freq.is_some_and(|w| w.len() != n) || case.is_some_and(|w| w.len() != n) {
        return Err(Error::invalid("y", "y and weights need one value per row"));
    }
    if let Some(bad) = y.iter().find(|v| !v.is_finite()) {
        return Err(Error::invalid(
            "y",
            format!("must be finite (no missing values), found {bad}"),
        ));
    }
    let spec = at.nodes(n)?;
    let sums: Vec<(f64, f64)> = spec
        .par_iter()
        .map(|(_, r)| {
            let freq = freq.map(|w| &w[r.clone()]);
            let case = case.map(|w| &w[r.clone()]);
            target_sums(&y[r.clone()], freq, case)
        })
        .collect();
    let mut out = Array2::zeros((spec.len(), 2));
    for (k, (sw, swy)) in sums.into_iter().enumerate() {
        out[[k, 0]] = sw;
        out[[k, 1]] = swy;
    }
    Ok((
        spec.iter().map(|((f, _), _)| *f as u64).collect(),
        spec.iter().map(|((_, c), _)| *c as u64).collect(),
        out,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chaid::levels::{split_nodes, Sums};
    use crate::chaid::{fit_chaid, ChaidParams, Inputs, Scale, Target};
    use crate::partition::merge_nodes;
    use ndarray::{Array1, Array2, Array4};
    use std::collections::HashMap;

    /// The in-memory root (value, split statistic) of a continuous target with frequency and
    /// case weights equals the one merged from partitions cut at chunk boundaries, to the bit.
    #[test]
    fn partitions_merge_to_the_in_memory_root() {
        let n = 5 * CHUNK_ROWS + 300;
        let mut state = 99u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let mut codes = Array2::<u32>::zeros((n, 2));
        let mut y = Array1::<f64>::zeros(n);
        let mut freq = Array1::<f64>::zeros(n);
        let mut case = Array1::<f64>::zeros(n);
        for i in 0..n {
            let a = (next() * 4.0) as u32;
            codes[[i, 0]] = a;
            codes[[i, 1]] = if next() < 0.1 {
                MISSING_CODE
            } else {
                (next() * 3.0) as u32
            };
            y[i] = 10.0 * f64::from(a) + 37.0 * next() + 0.1;
            freq[i] = if next() < 0.05 { 0.0 } else { 0.5 + next() };
            case[i] = 0.2 + 3.0 * next();
        }
        let numeric = Array2::<f64>::zeros((n, 0));
        let params = ChaidParams {
            max_depth: 1,
            ..ChaidParams::default()
        };
        let inputs = Inputs {
            codes: codes.view(),
            n_levels: &[4, 3],
            scales: &[Scale::Nominal, Scale::Ordinal],
            numeric: numeric.view(),
            target: Target::Continuous(y.view()),
            freq: Some(freq.view()),
            case: Some(case.view()),
            rank: None,
        };
        let tree = fit_chaid(&inputs, &params).unwrap();
        let (y, freq, case) = (
            y.as_slice().unwrap(),
            freq.as_slice().unwrap(),
            case.as_slice().unwrap(),
        );
        for cuts in [
            vec![0, n],
            vec![0, CHUNK_ROWS, 4 * CHUNK_ROWS, n],
            vec![0, 3 * CHUNK_ROWS, n],
        ] {
            let place = |lo: usize| Placement {
                row_start: lo,
                n_total: n,
            };
            let mut sums = HashMap::new();
            for w in cuts.windows(2) {
                let r = w[0]..w[1];
                let (first, count, s) = partition_target_sums(
                    &y[r.clone()],
                    Some(&freq[r.clone()]),
                    Some(&case[r.clone()]),
                    place(w[0]),
                )
                .unwrap();
                for k in 0..first.len() {
                    sums.insert(
                        (first[k] as usize, count[k] as usize),
                        [s[[k, 0]], s[[k, 1]]],
                    );
                }
            }
            let s = merge_nodes(&mut sums, n, &|a: [f64; 2], b: [f64; 2]| {
                [a[0] + b[0], a[1] + b[1]]
            })
            .unwrap();
            let mean = s[1] / s[0];
            let centred: Vec<f64> = y.iter().map(|v| v - mean).collect();
            let nodes: Vec<i64> = freq.iter().map(|&f| if f > 0.0 { 0 } else { -1 }).collect();
            let mut parts = HashMap::new();
            let mut shape = [0; 4];
            for w in cuts.windows(2) {
                let r = w[0]..w[1];
                let t = partition_tables(
                    codes.slice(ndarray::s![r.clone(), ..]),
                    &[4, 3],
                    PartTarget::Values(&centred[r.clone()]),
                    Some(&freq[r.clone()]),
                    Some(&case[r.clone()]),
                    &nodes[r.clone()],
                    1,
                    place(w[0]),
                )
                .unwrap();
                shape = t.shape;
                for k in 0..t.first.len() {
                    parts.insert(
                        (t.first[k] as usize, t.count[k] as usize),
                        t.tables.row(k).to_vec(),
                    );
                }
            }
            let flat = merge_nodes(&mut parts, n, &|mut a: Vec<f64>, b: Vec<f64>| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            })
            .unwrap();
            let tables = Array4::from_shape_vec(shape, flat).unwrap();
            let mut tot = [0.0; 4];
            for slot in 0..5 {
                for (t, v) in tot
                    .iter_mut()
                    .zip(tables.slice(ndarray::s![0, 0, slot, ..]))
                {
                    *t += v;
                }
            }
            let (f, w, s, q) = (tot[0], tot[1], tot[2], tot[3]);
            let m = s / w;
            let root = &tree.nodes[0];
            assert_eq!(root.value[0].to_bits(), f.to_bits());
            assert_eq!(root.value[1].to_bits(), w.to_bits());
            assert_eq!(root.value[2].to_bits(), (m + mean).to_bits());
            assert_eq!(root.value[3].to_bits(), (q - s * m).max(0.0).to_bits());
            let split = split_nodes(
                tables.view(),
                &[5, 4],
                &[false, true],
                &[0, 1],
                &params,
                Sums::Continuous,
            )
            .unwrap();
            let (got, want) = (split[0].as_ref().unwrap(), root.split.as_ref().unwrap());
            assert_eq!(got.predictor, want.predictor);
            assert_eq!(got.slot_child, want.slot_child);
            assert_eq!(got.test.statistic.to_bits(), want.test.statistic.to_bits());
            assert_eq!(got.ln_p_adj.to_bits(), want.ln_p_adj.to_bits());
        }
    }
}
