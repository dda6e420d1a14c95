//! Routing rows through a fitted tree (given as flat arrays, so a tree fitted on one machine
//! routes identically on another).

use ndarray::{Array1, ArrayView1, ArrayView2};

use super::bin;
use crate::error::{Error, Result};
use crate::parallel::fold_rows_mut;
use crate::table::MISSING_CODE;

/// A tree as flat arrays. Node ids are positions; children have larger ids than their parent.
#[derive(Debug, Clone)]
pub struct FlatTree<'a> {
    /// Split predictor per node, −1 for a leaf (categorical predictors first, then continuous).
    pub split: ArrayView1<'a, i64>,
    /// `map[map_offsets[v]..map_offsets[v + 1]]`: the child node id per slot of node v's predictor.
    pub map_offsets: ArrayView1<'a, i64>,
    pub map: ArrayView1<'a, i64>,
    /// Child node id for unseen categories, −1 for a leaf.
    pub default_child: ArrayView1<'a, i64>,
    /// Bin upper bounds per continuous predictor.
    pub breaks: &'a [Vec<f64>],
}

impl FlatTree<'_> {
    fn check(&self, n_levels: &[u32]) -> Result<()> {
        let n = self.split.len();
        let bad = |why: String| Err(Error::invalid("tree", why));
        if self.map_offsets.len() != n + 1 || self.default_child.len() != n || n == 0 {
            return bad("inconsistent array lengths".into());
        }
        let p_cat = n_levels.len();
        for v in 0..n {
            let p = self.split[v];
            let (lo, hi) = (self.map_offsets[v], self.map_offsets[v + 1]);
            if lo < 0 || hi < lo || hi as usize > self.map.len() {
                return bad(format!("bad offsets at node {v}"));
            }
            if p < 0 {
                continue;
            }
            let p = p as usize;
            let slots = if p < p_cat {
                n_levels[p] as usize + 1
            } else if p - p_cat < self.breaks.len() {
                self.breaks[p - p_cat].len() + 1
            } else {
                return bad(format!("node {v} splits on unknown predictor {p}"));
            };
            if (hi - lo) as usize != slots {
                return bad(format!("node {v}: {} slots, expected {slots}", hi - lo));
            }
            let targets = self.map.slice(ndarray::s![lo as usize..hi as usize]);
            let d = self.default_child[v];
            if targets
                .iter()
                .chain([&d])
                .any(|&c| c <= v as i64 || c as usize >= n)
            {
                return bad(format!("node {v} has a child id out of range"));
            }
        }
        Ok(())
    }
}

/// The leaf id of every row.
pub fn apply(
    tree: &FlatTree<'_>,
    codes: ArrayView2<'_, u32>,
    n_levels: &[u32],
    numeric: ArrayView2<'_, f64>,
) -> Result<Array1<i64>> {
    tree.check(n_levels)?;
    let n = codes.nrows();
    if numeric.nrows() != n {
        return Err(Error::invalid(
            "numeric",
            format!("has {} rows, the codes {n}", numeric.nrows()),
        ));
    }
    if codes.ncols() != n_levels.len() || numeric.ncols() != tree.breaks.len() {
        return Err(Error::invalid(
            "X",
            "has a different number of columns than in fit",
        ));
    }
    let p_cat = n_levels.len();
    let mut out = vec![0i64; n];
    fold_rows_mut(
        &mut out,
        1,
        |rows, out| {
            for (i, o) in rows.zip(out.iter_mut()) {
                let mut v = 0usize;
                loop {
                    let p = tree.split[v];
                    if p < 0 {
                        break;
                    }
                    let p = p as usize;
                    let slot = if p < p_cat {
                        let c = codes[[i, p]];
                        if c == MISSING_CODE {
                            Some(n_levels[p] as usize)
                        } else if c < n_levels[p] {
                            Some(c as usize)
                        } else {
                            None
                        }
                    } else {
                        let b = &tree.breaks[p - p_cat];
                        Some(bin::slot(numeric[[i, p - p_cat]], b))
                    };
                    v = match slot {
                        Some(s) => tree.map[tree.map_offsets[v] as usize + s] as usize,
                        None => tree.default_child[v] as usize,
                    };
                }
                *o = v as i64;
            }
        },
        |_, _| (),
    );
    Ok(Array1::from(out))
}
