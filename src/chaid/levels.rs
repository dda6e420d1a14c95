//! Growing a tree level by level from tables built elsewhere (a distributed build: every
//! partition of the rows counts its [`node_tables`](super::tables::node_tables), a driver adds
//! them up). [`split_nodes`] takes the summed tables of the open nodes of one level and decides
//! each node's split exactly as [`fit_chaid`](super::fit_chaid) does on the same table: the same
//! merging, tests, Bonferroni adjustment, choice among the predictors and routing of the slots
//! (the code is shared with the in-memory growth).

use ndarray::{s, Array2, ArrayView2, ArrayView4, ShapeBuilder};
use rayon::prelude::*;

use super::bin;
use super::grow::{assign_slots, best_candidate};
use super::merge::{merge_predictor, Candidate, Response, Spec};
use super::tables::table_slot;
use super::ChaidParams;
use crate::error::{Error, Result};
use crate::stats::bonferroni::Merging;
use crate::stats::TestResult;
use crate::table::MISSING_CODE;

/// What the last axis of the tables holds (the in-memory tables of the same target).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sums {
    /// Frequency-weighted counts per class.
    Counts,
    /// Counts per class, then Σ frequency × case weight per class.
    CaseWeighted,
    /// `[Σf, Σw, Σw·y, Σw·y²]` of a continuous target centred on its weighted mean.
    Continuous,
}

/// How one node splits (what [`Split`](super::Split) holds, with the children counted by group).
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSplit {
    pub predictor: usize,
    /// Per slot of the predictor, the child (group) it goes to.
    pub slot_child: Vec<usize>,
    /// Per slot: the category was present in the node.
    pub present: Vec<bool>,
    /// The child of values never seen in the node: the largest child, the first of equals.
    pub default_child: usize,
    /// Number of children (merged groups).
    pub n_children: usize,
    pub test: TestResult,
    pub ln_p_adj: f64,
    pub n_categories: usize,
    pub merging: Merging,
}

/// The split of every node whose tables are given (`tables[node, predictor, slot, ..]`:
/// weighted counts or the sums `kind` says, the predictor's slots `0..n_slots[predictor]` used, the last of them for
/// missing values, slots beyond ignored), or `None` where the node does not split: no
/// predictor has two groups left after merging, or the best adjusted p exceeds
/// `params.alpha_split`. `rank` breaks exact ties between predictors (lower wins). The caller
/// decides which nodes may split (depth, size, purity) before counting their tables.
pub fn split_nodes(
    tables: ArrayView4<'_, f64>,
    n_slots: &[usize],
    ordinal: &[bool],
    rank: &[usize],
    params: &ChaidParams,
    kind: Sums,
) -> Result<Vec<Option<NodeSplit>>> {
    params.check()?;
    let (n_nodes, p, max_slots, width) = tables.dim();
    for (name, len) in [
        ("n_slots", n_slots.len()),
        ("ordinal", ordinal.len()),
        ("rank", rank.len()),
    ] {
        if len != p {
            return Err(Error::invalid(
                name,
                format!("has {len} entries for {p} predictors"),
            ));
        }
    }
    if let Some(&bad) = n_slots.iter().find(|&&k| k < 2 || k > max_slots) {
        return Err(Error::invalid(
            "n_slots",
            format!("{bad} slots; each predictor needs 2..={max_slots} (categories, then missing)"),
        ));
    }
    let response = match kind {
        Sums::Counts => Response::Classes {
            n_classes: width,
            case: false,
        },
        Sums::CaseWeighted => Response::Classes {
            n_classes: width / 2,
            case: true,
        },
        Sums::Continuous => Response::Continuous,
    };
    match response {
        Response::Classes { n_classes, .. } => {
            if n_classes < 2 || response.width() != width {
                return Err(Error::invalid(
                    "tables",
                    "needs at least two classes (twice as many numbers with case weights)",
                ));
            }
            if tables.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(Error::invalid(
                    "tables",
                    "counts must be finite and non-negative",
                ));
            }
        }
        Response::Continuous => {
            if width != response.width() {
                return Err(Error::invalid(
                    "tables",
                    format!(
                        "a continuous target needs {} sums per slot",
                        response.width()
                    ),
                ));
            }
            let bad = tables
                .indexed_iter()
                .any(|((.., k), v)| !v.is_finite() || (k != 2 && *v < 0.0));
            if bad {
                return Err(Error::invalid(
                    "tables",
                    "sums must be finite, counts, weights and squares non-negative",
                ));
            }
        }
    }
    let spec = Spec {
        response,
        statistic: params.statistic,
        ln_alpha_merge: params.alpha_merge.ln(),
        ln_alpha_split_merged: params.alpha_split_merged.ln(),
        exhaustive: params.exhaustive,
        split_merged: params.split_merged,
        min_child_size: params.min_child_size,
    };
    let ln_alpha_split = params.alpha_split.ln();
    Ok((0..n_nodes)
        .into_par_iter()
        .map(|v| {
            let candidates: Vec<Option<Candidate>> = (0..p)
                .into_par_iter()
                .map(|j| {
                    // Row-major slots × classes, as the in-memory tables are laid out.
                    let flat: Vec<f64> = tables
                        .slice(s![v, j, ..n_slots[j], ..])
                        .iter()
                        .copied()
                        .collect();
                    merge_predictor(&flat, n_slots[j], ordinal[j], &spec)
                })
                .collect();
            let (j, cand) = best_candidate(&candidates, rank)?;
            if cand.ln_p_adj > ln_alpha_split {
                return None;
            }
            let (slot_child, default_child) = assign_slots(n_slots[j], ordinal[j], cand);
            let mut present = vec![false; n_slots[j]];
            for &slot in cand.groups.iter().flatten() {
                present[slot] = true;
            }
            Some(NodeSplit {
                predictor: j,
                slot_child,
                present,
                default_child,
                n_children: cand.groups.len(),
                test: cand.test,
                ln_p_adj: cand.ln_p_adj,
                n_categories: cand.n_categories,
                merging: cand.merging,
            })
        })
        .collect())
}

/// Every predictor's code per row, column-major (categorical columns, then continuous ones):
/// categorical codes as given, continuous values binned with their `breaks` as the in-memory
/// tree bins them ([`bin::slot`](super::bin::slot)), missing values as `MISSING_CODE`.
pub fn code_block(
    codes: ArrayView2<'_, u32>,
    numeric: ArrayView2<'_, f64>,
    breaks: &[Vec<f64>],
) -> Result<Array2<u32>> {
    let (n, p_cat) = codes.dim();
    if numeric.nrows() != n || numeric.ncols() != breaks.len() {
        return Err(Error::invalid(
            "numeric",
            format!(
                "needs {n} rows and one column per breaks list ({})",
                breaks.len()
            ),
        ));
    }
    if breaks.iter().any(|b| b.is_empty()) {
        return Err(Error::invalid(
            "breaks",
            "every column needs at least one break",
        ));
    }
    let columns: Vec<Vec<u32>> = (0..p_cat + breaks.len())
        .into_par_iter()
        .map(|j| {
            if j < p_cat {
                return codes.column(j).to_vec();
            }
            let b = &breaks[j - p_cat];
            numeric
                .column(j - p_cat)
                .iter()
                .map(|&v| {
                    if v.is_nan() {
                        MISSING_CODE
                    } else {
                        bin::slot(v, b) as u32
                    }
                })
                .collect()
        })
        .collect();
    let flat: Vec<u32> = columns.concat();
    Array2::from_shape_vec((n, p_cat + breaks.len()).f(), flat)
        .map_err(|e| Error::invalid("codes", e.to_string()))
}

/// Rows routed to the next level: each row of a node that split (`predictor[node] ≥ 0`) goes to
/// `child[offsets[node] + slot]` (its slot: the code of the split predictor, `n_levels[p]` for
/// missing), which is `open_index[child]` among the next level's open nodes (−1: a leaf). Rows of
/// nodes that did not split, and rows in no node (−1), get −1. Returns the rows' new nodes and
/// the number of rows per child.
#[allow(clippy::too_many_arguments)]
pub fn route(
    codes: ArrayView2<'_, u32>,
    n_levels: &[u32],
    nodes: &[i64],
    predictor: &[i64],
    offsets: &[i64],
    child: &[i64],
    open_index: &[i64],
) -> Result<(Vec<i64>, Vec<i64>)> {
    let (n, p) = codes.dim();
    if nodes.len() != n {
        return Err(Error::invalid(
            "nodes",
            format!("has {} entries for {n} rows", nodes.len()),
        ));
    }
    if n_levels.len() != p || offsets.len() != predictor.len() + 1 {
        return Err(Error::invalid(
            "n_levels",
            "needs one entry per predictor, offsets one more than nodes",
        ));
    }
    let bad = |what: &str| Error::invalid(what.to_string(), "an index is out of range");
    let mut out = vec![-1i64; n];
    let mut counts = vec![0i64; open_index.len()];
    for (i, o) in out.iter_mut().enumerate() {
        let Ok(v) = usize::try_from(nodes[i]) else {
            continue;
        };
        let j = *predictor.get(v).ok_or_else(|| bad("nodes"))?;
        let Ok(j) = usize::try_from(j) else { continue };
        let c = *codes.get([i, j]).ok_or_else(|| bad("predictor"))?;
        let slot = table_slot(c, n_levels[j]);
        let at = usize::try_from(offsets[v]).map_err(|_| bad("offsets"))? + slot;
        let ch = *child.get(at).ok_or_else(|| bad("child"))?;
        let ch = usize::try_from(ch).map_err(|_| bad("child"))?;
        let count = counts.get_mut(ch).ok_or_else(|| bad("child"))?;
        *count += 1;
        *o = open_index[ch];
    }
    Ok((out, counts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chaid::tables::node_tables;
    use crate::chaid::{fit_chaid, Inputs, Scale, Target};
    use ndarray::{Array1, Array2};

    #[test]
    fn the_root_splits_as_the_in_memory_tree() {
        // Planted: y depends on x0 ({0, 1} vs {2, 3}); x1 is noise, ordinal with missing values.
        let n = 5000;
        let mut codes = Array2::<u32>::zeros((n, 2));
        let mut y = Array1::<u32>::zeros(n);
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as u32
        };
        for i in 0..n {
            codes[[i, 0]] = next() % 4;
            codes[[i, 1]] = match next() % 6 {
                5 => crate::table::MISSING_CODE,
                c => c,
            };
            let p = if codes[[i, 0]] >= 2 { 70 } else { 30 };
            y[i] = u32::from(next() % 100 < p);
        }
        let numeric = Array2::<f64>::zeros((n, 0));
        let params = ChaidParams::default();
        let tree = fit_chaid(
            &Inputs {
                codes: codes.view(),
                n_levels: &[4, 5],
                scales: &[Scale::Nominal, Scale::Ordinal],
                numeric: numeric.view(),
                target: Target::Classes {
                    codes: y.view(),
                    n_classes: 2,
                },
                freq: None,
                case: None,
                rank: None,
            },
            &params,
        )
        .unwrap();
        let nodes = vec![0i64; n];
        let t = node_tables(
            codes.view(),
            &[4, 5],
            y.as_slice().unwrap(),
            2,
            None,
            &nodes,
            1,
        )
        .unwrap();
        let got = split_nodes(
            t.view(),
            &[5, 6],
            &[false, true],
            &[0, 1],
            &params,
            Sums::Counts,
        )
        .unwrap();
        let got = got[0].as_ref().unwrap();
        let want = tree.nodes[0].split.as_ref().unwrap();
        assert_eq!(got.predictor, want.predictor);
        assert_eq!(got.slot_child, want.slot_child);
        assert_eq!(got.present, want.present);
        assert_eq!(got.default_child, want.default_child);
        assert_eq!(got.n_children, tree.nodes[0].children.len());
        assert_eq!(got.test, want.test);
        assert_eq!(got.ln_p_adj.to_bits(), want.ln_p_adj.to_bits());
        assert_eq!(got.slot_child[..4], [0, 0, 1, 1]);
    }

    #[test]
    fn bad_shapes_are_errors() {
        let t = ndarray::Array4::<f64>::zeros((1, 2, 3, 2));
        let params = ChaidParams::default();
        assert!(split_nodes(
            t.view(),
            &[3],
            &[false, false],
            &[0, 1],
            &params,
            Sums::Counts
        )
        .is_err());
        assert!(split_nodes(
            t.view(),
            &[3, 4],
            &[false, false],
            &[0, 1],
            &params,
            Sums::Counts
        )
        .is_err());
        let mut bad = t.clone();
        bad[[0, 0, 0, 0]] = f64::NAN;
        assert!(split_nodes(
            bad.view(),
            &[3, 3],
            &[false, false],
            &[0, 1],
            &params,
            Sums::Counts
        )
        .is_err());
        // Empty tables: nothing to split.
        let none = split_nodes(
            t.view(),
            &[3, 3],
            &[false, false],
            &[0, 1],
            &params,
            Sums::Counts,
        )
        .unwrap();
        assert_eq!(none, vec![None]);
    }

    #[test]
    fn rows_follow_their_node_split() {
        // Node 0 splits on predictor 1 (slots 0, 1, missing -> children 0, 1, 1); node 1 does
        // not split; child 1 is open (index 0), child 0 a leaf.
        let codes = ndarray::array![[0u32, 0], [1, 1], [2, MISSING_CODE], [0, 1], [1, 0]];
        let nodes = [0i64, 0, 0, 1, -1];
        let (next, counts) = route(
            codes.view(),
            &[3, 2],
            &nodes,
            &[1, -1],
            &[0, 3, 3],
            &[0, 1, 1],
            &[-1, 0],
        )
        .unwrap();
        assert_eq!(next, vec![-1, 0, 0, -1, -1]);
        assert_eq!(counts, vec![1, 2]);
        assert!(route(
            codes.view(),
            &[3, 2],
            &nodes,
            &[1, -1],
            &[0, 1, 1],
            &[0],
            &[0]
        )
        .is_err());
    }

    #[test]
    fn code_block_bins_as_the_tree() {
        let codes = ndarray::array![[1u32], [MISSING_CODE], [0]];
        let numeric = ndarray::array![[0.5, 1.0], [f64::NAN, 7.0], [3.0, -1.0]];
        let b = vec![vec![1.0, 3.0], vec![2.0]];
        let block = code_block(codes.view(), numeric.view(), &b).unwrap();
        assert_eq!(
            block,
            ndarray::array![[1u32, 0, 0], [MISSING_CODE, MISSING_CODE, 0], [0, 1, 0]]
        );
        assert!(block.t().is_standard_layout());
        assert!(code_block(codes.view(), numeric.view(), &b[..1]).is_err());
    }
}
