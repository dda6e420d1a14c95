//! The sufficient statistics of CHAID, as standalone kernels for a partitioned (group-by) build.
//!
//! Growing a tree needs, for every open node and predictor, the contingency table of the
//! predictor's categories against the target classes; everything after that (merging, tests,
//! Bonferroni, the split decision) works on those small tables. [`node_tables`] builds the
//! tables of many nodes in one pass over rows; tables from different partitions of the rows add
//! up to the tables of the whole data. [`merge_table`] runs the merging and the adjusted test on
//! one table — the step a driver calls after summing the partitions' tables.

use ndarray::{Array4, ArrayView2};

use super::merge::{merge_predictor, Response, Spec};
use super::partials::{check, PartTarget};
use crate::error::{Error, Result};
use crate::parallel::fold_rows;
use crate::stats::bonferroni::Merging;
use crate::stats::contingency::Statistic;
use crate::table::MISSING_CODE;

/// The table slot of a predictor code: the code itself, or `n_levels` (the last slot) for a
/// missing value.
#[inline]
pub fn table_slot(code: u32, n_levels: u32) -> usize {
    if code == MISSING_CODE {
        n_levels as usize
    } else {
        code as usize
    }
}

/// Weighted counts: `out[node, predictor, slot, class]` over the rows with `nodes[i] ≥ 0`, where
/// the slot is the row's code (`n_levels[p]` for missing; the last slot). `codes` is rows ×
/// predictors in any layout. Rows are summed in fixed chunks, so the result does not depend on
/// the number of threads.
#[allow(clippy::needless_range_loop)]
pub fn node_tables(
    codes: ArrayView2<u32>,
    n_levels: &[u32],
    y: &[u32],
    n_classes: usize,
    weights: Option<&[f64]>,
    nodes: &[i64],
    n_nodes: usize,
) -> Result<Array4<f64>> {
    let (n, p) = codes.dim();
    let target = PartTarget::Classes {
        codes: y,
        n_classes,
    };
    check(codes, n_levels, &target, weights, None, nodes, n_nodes)?;
    let slots = n_levels.iter().map(|&l| l as usize + 1).max().unwrap_or(1);
    let size = table_size(n_nodes, p, slots, n_classes)?;
    let flat = fold_rows(
        n,
        |rows| {
            let mut t = vec![0.0; size];
            for i in rows {
                if nodes[i] < 0 {
                    continue;
                }
                let node = nodes[i] as usize;
                let w = weights.map_or(1.0, |w| w[i]);
                let class = y[i] as usize;
                for j in 0..p {
                    let c = codes[[i, j]];
                    let slot = table_slot(c, n_levels[j]);
                    t[((node * p + j) * slots + slot) * n_classes + class] += w;
                }
            }
            t
        },
        |mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
            a
        },
    );
    Array4::from_shape_vec((n_nodes, p, slots, n_classes), flat)
        .map_err(|e| Error::invalid("tables", e.to_string()))
}

/// Cells of the tables (nodes × predictors × slots × classes), checked before anything is
/// allocated: the product must not overflow and one buffer of that many `f64` must be available
/// (each row chunk of the fold holds one).
fn table_size(n_nodes: usize, p: usize, slots: usize, n_classes: usize) -> Result<usize> {
    let too_large = || {
        Error::invalid(
            "n_nodes",
            format!(
                "tables of {n_nodes} nodes × {p} predictors × {slots} slots × {n_classes} \
                 classes do not fit in memory"
            ),
        )
    };
    let size = n_nodes
        .checked_mul(p)
        .and_then(|v| v.checked_mul(slots))
        .and_then(|v| v.checked_mul(n_classes))
        .filter(|&v| v <= isize::MAX as usize / 8)
        .ok_or_else(too_large)?;
    let mut probe: Vec<f64> = Vec::new();
    probe.try_reserve_exact(size).map_err(|_| too_large())?;
    Ok(size)
}

/// The merged groups of one predictor's table and their test, as the tree would use them.
#[derive(Debug, Clone)]
pub struct MergedTable {
    /// Slots per group (slot = category code; the last slot is missing).
    pub groups: Vec<Vec<usize>>,
    pub statistic: f64,
    pub df: f64,
    pub ln_p: f64,
    /// Bonferroni-adjusted ln p (SPSS's multipliers).
    pub ln_p_adjusted: f64,
    pub merging: Merging,
}

/// Merges the categories of one table (`slots × n_classes` weighted counts, the last slot holding
/// missing values) exactly as the tree does. `None` when fewer than two categories are present
/// or all merged into one group.
#[allow(clippy::too_many_arguments)]
pub fn merge_table(
    table: ArrayView2<f64>,
    ordinal: bool,
    statistic: Statistic,
    alpha_merge: f64,
    alpha_split_merged: f64,
    exhaustive: bool,
    split_merged: bool,
    min_child_size: f64,
) -> Result<Option<MergedTable>> {
    for (name, a) in [
        ("alpha_merge", alpha_merge),
        ("alpha_split_merged", alpha_split_merged),
    ] {
        if !(a > 0.0 && a < 1.0) {
            return Err(Error::invalid(name, "must be in (0, 1)"));
        }
    }
    let (slots, n_classes) = table.dim();
    if slots < 2 || n_classes < 2 {
        return Err(Error::invalid(
            "table",
            "needs at least two slots and two classes",
        ));
    }
    if table.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
        return Err(Error::invalid(
            "table",
            "counts must be finite and non-negative",
        ));
    }
    // Expected counts R_i C_j / N and the terms (O − E)² / E stay within the float range when
    // N ≤ 1e300, N / (smallest positive count) ≤ 1e150 and every positive expected count of
    // every merged subtable is normal: E ≥ (smallest positive row sum / N) × (smallest positive
    // count) ≥ 1e-305; beyond that they overflow or underflow (E = 0 next to a positive count)
    // and the statistic would be inf or 0 instead of an answer.
    let total = table.sum();
    let smallest = table
        .iter()
        .filter(|&&v| v > 0.0)
        .fold(f64::INFINITY, |m, &v| m.min(v));
    let smallest_row = table
        .rows()
        .into_iter()
        .map(|r| r.sum())
        .filter(|&v| v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let smallest_expected = smallest_row / total * smallest;
    if total > 1e300
        || (smallest.is_finite() && (total / smallest > 1e150 || smallest_expected < 1e-305))
    {
        return Err(Error::invalid(
            "table",
            format!(
                "the counts span too wide a range (total {total:e}, smallest positive count \
                 {smallest:e}): the total must be at most 1e300 and at most 1e150 times the \
                 smallest positive count, and expected counts must stay above 1e-305; rescale \
                 the counts or drop the tiny ones"
            ),
        ));
    }
    let flat: Vec<f64> = table.iter().cloned().collect();
    let spec = Spec {
        response: Response::Classes {
            n_classes,
            case: false,
        },
        statistic,
        ln_alpha_merge: alpha_merge.ln(),
        ln_alpha_split_merged: alpha_split_merged.ln(),
        exhaustive,
        split_merged,
        min_child_size,
    };
    Ok(
        merge_predictor(&flat, slots, ordinal, &spec).map(|c| MergedTable {
            groups: c.groups,
            statistic: c.test.statistic,
            df: c.test.df1,
            ln_p: c.test.ln_p,
            ln_p_adjusted: c.ln_p_adj,
            merging: c.merging,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn partitions_add_up() {
        let codes = array![[0u32, 1], [1, MISSING_CODE], [2, 0], [0, 1], [1, 1]];
        let y = [0, 1, 1, 0, 1];
        let nodes = [0i64, 0, 1, -1, 1];
        let all = node_tables(codes.view(), &[3, 2], &y, 2, None, &nodes, 2).unwrap();
        let a = node_tables(
            codes.slice(ndarray::s![..2, ..]),
            &[3, 2],
            &y[..2],
            2,
            None,
            &nodes[..2],
            2,
        )
        .unwrap();
        let b = node_tables(
            codes.slice(ndarray::s![2.., ..]),
            &[3, 2],
            &y[2..],
            2,
            None,
            &nodes[2..],
            2,
        )
        .unwrap();
        assert_eq!(all, &a + &b);
        // Node 0, predictor 1: row 0 code 1 class 0; row 1 missing (slot 2) class 1.
        assert_eq!(all[[0, 1, 1, 0]], 1.0);
        assert_eq!(all[[0, 1, 2, 1]], 1.0);
        assert_eq!(all.sum(), 8.0);
    }
}
