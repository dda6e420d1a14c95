//! Growing the tree: per node one pass over its rows builds all predictors' tables, the
//! predictors are merged and tested in parallel on those tables, the best one splits the node.

use ndarray::Axis;
use rayon::prelude::*;

use super::merge::{merge_predictor, Candidate, Response, Spec};
use super::{bin, ChaidParams, Inputs, Node, Scale, Split, Target, Tree};
use crate::error::{Error, Result};
use crate::parallel::fold_rows;
use crate::table::{check_numeric, check_weights, Missing, MISSING_CODE};

/// Where a predictor's codes are: `base[i * stride + offset]`, missing as `MISSING_CODE` (or, for
/// binned columns, already as the missing slot).
struct Column<'a> {
    base: &'a [u32],
    stride: usize,
    offset: usize,
    /// The missing slot (= number of categories).
    missing: usize,
}

impl Column<'_> {
    #[inline]
    fn slot(&self, i: usize) -> usize {
        let c = self.base[i * self.stride + self.offset];
        if c == MISSING_CODE {
            self.missing
        } else {
            c as usize
        }
    }
}

struct Grower<'a> {
    cols: Vec<Column<'a>>,
    ordinal: Vec<bool>,
    offsets: Vec<usize>,
    table_len: usize,
    width: usize,
    response: Response,
    classes: Option<&'a [u32]>,
    values: Option<Vec<f64>>,
    y_offset: f64,
    freq: Option<&'a [f64]>,
    case: Option<&'a [f64]>,
    params: &'a ChaidParams,
    spec: Spec,
    rank: Vec<usize>,
}

/// Grows a CHAID (or Exhaustive CHAID) tree.
pub fn fit(inputs: &Inputs<'_>, params: &ChaidParams) -> Result<Tree> {
    params.check()?;
    let n = inputs.codes.nrows();
    if inputs.numeric.nrows() != n {
        return Err(Error::invalid(
            "codes",
            format!("has {n} rows, the numeric block {}", inputs.numeric.nrows()),
        ));
    }
    if inputs.n_levels.len() != inputs.codes.ncols() {
        return Err(Error::invalid(
            "n_levels",
            format!(
                "has {} entries for {} columns",
                inputs.n_levels.len(),
                inputs.codes.ncols()
            ),
        ));
    }
    if n == 0 {
        return Err(Error::invalid("X", "has no rows (n_samples=0)"));
    }
    if inputs.codes.ncols() + inputs.numeric.ncols() == 0 {
        return Err(Error::invalid("X", "has no predictors"));
    }
    if n > u32::MAX as usize {
        return Err(Error::invalid("X", format!("{n} rows; at most 2^32 - 1")));
    }
    check_numeric(inputs.numeric, Missing::Allow)?;
    if let Some(w) = inputs.freq {
        check_weights(w, n)?;
    }
    let p_cat = inputs.codes.ncols();
    let p_num = inputs.numeric.ncols();
    if inputs.scales.len() != p_cat {
        return Err(Error::invalid(
            "scales",
            format!("has {} entries for {p_cat} columns", inputs.scales.len()),
        ));
    }
    if let Some(&l) = inputs.n_levels.iter().find(|&&l| l >= 1 << 24) {
        return Err(Error::invalid(
            "X",
            format!("a categorical column has {l} categories; at most 2^24 are supported"),
        ));
    }
    let rank: Vec<usize> = match inputs.rank {
        Some(r) if r.len() == p_cat + p_num => r.to_vec(),
        Some(r) => {
            return Err(Error::invalid(
                "rank",
                format!("has {} entries for {} predictors", r.len(), p_cat + p_num),
            ))
        }
        None => (0..p_cat + p_num).collect(),
    };
    let freq_owned = inputs.freq.map(|w| w.to_vec());
    let freq = freq_owned.as_deref();
    let case_owned = match inputs.case {
        Some(c) => {
            check_weights(c, n).map_err(|e| rename(e, "case_weight"))?;
            if let Some(v) = c.iter().find(|&&v| v <= 0.0) {
                return Err(Error::invalid(
                    "case_weight",
                    format!("must be positive, found {v}"),
                ));
            }
            Some(c.to_vec())
        }
        None => None,
    };
    let case = case_owned.as_deref();
    let weight = |i: usize| freq.map_or(1.0, |w| w[i]);

    // Target.
    let (response, classes_owned, values, y_offset) = match &inputs.target {
        Target::Classes { codes, n_classes } => {
            if codes.len() != n {
                return Err(Error::invalid(
                    "y",
                    format!("has {} entries for {n} rows", codes.len()),
                ));
            }
            let mut seen = vec![0.0; *n_classes];
            for (i, &c) in codes.iter().enumerate() {
                if c == MISSING_CODE {
                    return Err(Error::invalid("y", "contains missing values"));
                }
                if c as usize >= *n_classes {
                    return Err(Error::invalid(
                        "y",
                        format!("class code {c} is outside 0..{n_classes}"),
                    ));
                }
                seen[c as usize] += weight(i);
            }
            if seen.iter().filter(|&&w| w > 0.0).count() < 2 {
                return Err(Error::invalid(
                    "y",
                    "has a single class; CHAID needs at least two target classes",
                ));
            }
            (
                Response::Classes {
                    n_classes: *n_classes,
                    case: case.is_some(),
                },
                Some(codes.to_vec()),
                None,
                0.0,
            )
        }
        Target::Continuous(y) => {
            if y.len() != n {
                return Err(Error::invalid(
                    "y",
                    format!("has {} entries for {n} rows", y.len()),
                ));
            }
            if let Some(v) = y.iter().find(|v| !v.is_finite()) {
                return Err(Error::invalid(
                    "y",
                    format!("must be finite (no missing values), found {v}"),
                ));
            }
            let (mut sw, mut swy) = (0.0, 0.0);
            for (i, &v) in y.iter().enumerate() {
                let w = weight(i) * case.map_or(1.0, |c| c[i]);
                sw += w;
                swy += w * v;
            }
            let mean = swy / sw;
            let centred: Vec<f64> = y.iter().map(|v| v - mean).collect();
            (Response::Continuous, None, Some(centred), mean)
        }
    };

    // Predictors: categorical columns as they are, continuous ones binned.
    let codes_std = inputs.codes.as_standard_layout();
    let codes_slice = codes_std
        .as_slice()
        .ok_or_else(|| Error::invalid("codes", "layout"))?;
    check_codes(codes_slice, inputs.n_levels, freq)?;
    let mut breaks = Vec::with_capacity(p_num);
    let mut binned: Vec<Vec<u32>> = Vec::with_capacity(p_num);
    for (j, col) in inputs.numeric.axis_iter(Axis(1)).enumerate() {
        let (slots, b) =
            bin::bin_column(col, freq, params.max_bins, || format!("numeric column {j}"))?;
        binned.push(slots);
        breaks.push(b);
    }
    let mut cols: Vec<Column<'_>> = Vec::with_capacity(p_cat + p_num);
    let mut ordinal = Vec::with_capacity(p_cat + p_num);
    for j in 0..p_cat {
        cols.push(Column {
            base: codes_slice,
            stride: p_cat,
            offset: j,
            missing: inputs.n_levels[j] as usize,
        });
        ordinal.push(inputs.scales[j] == Scale::Ordinal);
    }
    for (slots, b) in binned.iter().zip(&breaks) {
        cols.push(Column {
            base: slots,
            stride: 1,
            offset: 0,
            missing: b.len(),
        });
        ordinal.push(true);
    }
    let width = response.width();
    let mut offsets = Vec::with_capacity(cols.len());
    let mut table_len = 0;
    for c in &cols {
        offsets.push(table_len);
        table_len += (c.missing + 1) * width;
    }
    let n_slots: Vec<usize> = cols.iter().map(|c| c.missing + 1).collect();
    let grower = Grower {
        ordinal,
        offsets,
        table_len,
        width,
        response,
        classes: classes_owned.as_deref(),
        values,
        y_offset,
        freq,
        case,
        params,
        spec: Spec {
            response,
            statistic: params.statistic,
            ln_alpha_merge: params.alpha_merge.ln(),
            ln_alpha_split_merged: params.alpha_split_merged.ln(),
            exhaustive: params.exhaustive,
            split_merged: params.split_merged,
            min_child_size: params.min_child_size,
        },
        rank,
        cols,
    };
    let rows: Vec<u32> = (0..n as u32)
        .filter(|&i| weight(i as usize) > 0.0)
        .collect();
    let mut nodes = Vec::new();
    grower.grow(rows, None, 0, &mut nodes);
    Ok(Tree {
        nodes,
        breaks,
        n_slots,
        n_classes: match response {
            Response::Classes { n_classes, .. } => n_classes,
            Response::Continuous => 0,
        },
    })
}

/// One row-major pass: every code is a category or missing, and no column is all missing.
fn check_codes(codes: &[u32], n_levels: &[u32], freq: Option<&[f64]>) -> Result<()> {
    let p = n_levels.len();
    if p == 0 {
        return Ok(());
    }
    let mut seen = vec![false; p];
    for (i, row) in codes.chunks_exact(p).enumerate() {
        let w = freq.map_or(1.0, |f| f[i]);
        for (j, (&c, &l)) in row.iter().zip(n_levels).enumerate() {
            if c == MISSING_CODE {
                continue;
            }
            if c >= l {
                return Err(Error::invalid(
                    format!("categorical column {j}"),
                    format!("code {c} is outside 0..{l}"),
                ));
            }
            seen[j] |= w > 0.0;
        }
    }
    if let Some(j) = seen.iter().position(|&s| !s) {
        return Err(Error::invalid(
            format!("categorical column {j}"),
            "all values are missing",
        ));
    }
    Ok(())
}

fn rename(e: Error, what: &str) -> Error {
    match e {
        Error::InvalidInput { why, .. } => Error::invalid(what, why),
    }
}

impl Grower<'_> {
    /// One pass over the node's rows: every predictor's table, side by side.
    fn tables(&self, rows: &[u32]) -> Vec<f64> {
        let leaf = |r: std::ops::Range<usize>| {
            let mut t = vec![0.0; self.table_len];
            match self.response {
                Response::Classes { n_classes, case } => {
                    let y = self.classes.unwrap_or_default();
                    match (self.freq, case) {
                        (None, false) => {
                            // The common case, kept tight: unweighted counts, one predictor at a
                            // time over the chunk (its rows stay in cache between predictors).
                            let rows = &rows[r];
                            for (col, &off) in self.cols.iter().zip(&self.offsets) {
                                let block = &mut t[off..off + (col.missing + 1) * self.width];
                                for &i in rows {
                                    let i = i as usize;
                                    block[col.slot(i) * self.width + y[i] as usize] += 1.0;
                                }
                            }
                        }
                        _ => {
                            for &i in &rows[r] {
                                let i = i as usize;
                                let f = self.freq.map_or(1.0, |w| w[i]);
                                let cls = y[i] as usize;
                                let fc = f * self.case.map_or(1.0, |c| c[i]);
                                for (col, &off) in self.cols.iter().zip(&self.offsets) {
                                    let base = off + col.slot(i) * self.width;
                                    t[base + cls] += f;
                                    if case {
                                        t[base + n_classes + cls] += fc;
                                    }
                                }
                            }
                        }
                    }
                }
                Response::Continuous => {
                    let y = self.values.as_deref().unwrap_or_default();
                    for &i in &rows[r] {
                        let i = i as usize;
                        let f = self.freq.map_or(1.0, |w| w[i]);
                        let w = f * self.case.map_or(1.0, |c| c[i]);
                        let v = y[i];
                        let add = [f, w, w * v, w * v * v];
                        for (col, &off) in self.cols.iter().zip(&self.offsets) {
                            let base = off + col.slot(i) * self.width;
                            for (x, a) in t[base..base + 4].iter_mut().zip(add) {
                                *x += a;
                            }
                        }
                    }
                }
            }
            t
        };
        let merge = |mut a: Vec<f64>, b: Vec<f64>| {
            for (x, y) in a.iter_mut().zip(&b) {
                *x += y;
            }
            a
        };
        fold_rows(rows.len(), leaf, merge)
    }

    fn block<'t>(&self, table: &'t [f64], p: usize) -> &'t [f64] {
        let len = (self.cols[p].missing + 1) * self.width;
        &table[self.offsets[p]..self.offsets[p] + len]
    }

    /// The node's totals (summed over the first predictor's slots).
    fn totals(&self, table: &[f64]) -> Vec<f64> {
        let mut tot = vec![0.0; self.width];
        for row in self.block(table, 0).chunks(self.width) {
            for (t, v) in tot.iter_mut().zip(row) {
                *t += v;
            }
        }
        tot
    }

    fn value(&self, totals: &[f64]) -> (f64, Vec<f64>, bool) {
        match self.response {
            Response::Classes { n_classes, .. } => {
                let counts = totals[..n_classes].to_vec();
                let pure = counts.iter().filter(|&&c| c > 0.0).count() < 2;
                (counts.iter().sum(), counts, pure)
            }
            Response::Continuous => {
                let (f, w, s, q) = (totals[0], totals[1], totals[2], totals[3]);
                let mean = if w > 0.0 { s / w } else { 0.0 };
                let ss = (q - s * mean).max(0.0);
                let pure = ss <= f64::EPSILON * q.abs().max(1e-300);
                (f, vec![f, w, mean + self.y_offset, ss], pure)
            }
        }
    }

    fn grow(&self, rows: Vec<u32>, parent: Option<usize>, depth: usize, nodes: &mut Vec<Node>) {
        let table = self.tables(&rows);
        let totals = self.totals(&table);
        let (weight, value, pure) = self.value(&totals);
        let id = nodes.len();
        nodes.push(Node {
            parent,
            depth,
            n_rows: rows.len(),
            weight,
            value,
            split: None,
            children: Vec::new(),
        });
        if depth >= self.params.max_depth || weight < self.params.min_parent_size || pure {
            return;
        }
        let candidates: Vec<Option<Candidate>> = (0..self.cols.len())
            .into_par_iter()
            .map(|p| {
                merge_predictor(
                    self.block(&table, p),
                    self.cols[p].missing + 1,
                    self.ordinal[p],
                    &self.spec,
                )
            })
            .collect();
        drop(table);
        let mut best: Option<(usize, &Candidate)> = None;
        for (p, c) in candidates.iter().enumerate() {
            let Some(c) = c else { continue };
            let wins = match best {
                None => true,
                Some((bp, b)) => {
                    c.ln_p_adj < b.ln_p_adj
                        || (c.ln_p_adj == b.ln_p_adj
                            && (c.test.statistic > b.test.statistic
                                || (c.test.statistic == b.test.statistic
                                    && self.rank[p] < self.rank[bp])))
                }
            };
            if wins {
                best = Some((p, c));
            }
        }
        let Some((p, cand)) = best else { return };
        if cand.ln_p_adj > self.params.alpha_split.ln() {
            return;
        }
        let (slot_child, default_child) = self.assign_slots(p, cand);
        let mut parts: Vec<Vec<u32>> = vec![Vec::new(); cand.groups.len()];
        let col = &self.cols[p];
        for &i in &rows {
            parts[slot_child[col.slot(i as usize)]].push(i);
        }
        drop(rows);
        let mut children = Vec::with_capacity(parts.len());
        for part in parts {
            children.push(nodes.len());
            self.grow(part, Some(id), depth + 1, nodes);
        }
        let node = &mut nodes[id];
        node.children = children;
        let mut present = vec![false; slot_child.len()];
        for &s in cand.groups.iter().flatten() {
            present[s] = true;
        }
        node.split = Some(Split {
            predictor: p,
            slot_child,
            present,
            default_child,
            test: cand.test,
            ln_p_adj: cand.ln_p_adj,
            n_categories: cand.n_categories,
            merging: cand.merging,
        });
    }

    /// Child of every slot: merged groups for present categories; absent ordinal categories
    /// follow the nearest present category below (above for the first); everything else, and
    /// missing values not seen in the node, goes to the largest child.
    fn assign_slots(&self, p: usize, cand: &Candidate) -> (Vec<usize>, usize) {
        let n_slots = self.cols[p].missing + 1;
        let missing = n_slots - 1;
        let default = (0..cand.sizes.len())
            .max_by(|&a, &b| cand.sizes[a].total_cmp(&cand.sizes[b]).then(b.cmp(&a)))
            .unwrap_or(0);
        let mut slot_child = vec![usize::MAX; n_slots];
        for (g, slots) in cand.groups.iter().enumerate() {
            for &s in slots {
                slot_child[s] = g;
            }
        }
        if self.ordinal[p] {
            let mut prev = None;
            for c in slot_child.iter_mut().take(missing) {
                if *c != usize::MAX {
                    prev = Some(*c);
                } else if let Some(g) = prev {
                    *c = g;
                }
            }
            let first = (0..missing).find(|&s| slot_child[s] != usize::MAX);
            if let Some(f) = first {
                let g = slot_child[f];
                for c in slot_child.iter_mut().take(f) {
                    *c = g;
                }
            }
        }
        for c in &mut slot_child {
            if *c == usize::MAX {
                *c = default;
            }
        }
        (slot_child, default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chaid::Target;
    use ndarray::{Array1, Array2};

    /// A planted tree: y depends on x0 (categories {0,1} vs {2,3}), and within x0 ∈ {2,3} on x1.
    fn planted(n: usize) -> (Array2<u32>, Array1<u32>) {
        let mut codes = Array2::<u32>::zeros((n, 3));
        let mut y = Array1::<u32>::zeros(n);
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as u32
        };
        for i in 0..n {
            let x0 = next() % 4;
            let x1 = next() % 3;
            let x2 = next() % 5;
            codes[[i, 0]] = x0;
            codes[[i, 1]] = x1;
            codes[[i, 2]] = x2;
            let p = match (x0 >= 2, x1) {
                (false, _) => 20,
                (true, 0) => 90,
                (true, _) => 50,
            };
            y[i] = u32::from(next() % 100 < p);
        }
        (codes, y)
    }

    #[test]
    fn recovers_a_planted_tree_deterministically() {
        let (codes, y) = planted(20_000);
        let numeric = Array2::<f64>::zeros((20_000, 0));
        let inputs = Inputs {
            codes: codes.view(),
            n_levels: &[4, 3, 5],
            scales: &[Scale::Nominal, Scale::Nominal, Scale::Nominal],
            numeric: numeric.view(),
            target: Target::Classes {
                codes: y.view(),
                n_classes: 2,
            },
            freq: None,
            case: None,
            rank: None,
        };
        let tree = fit(&inputs, &ChaidParams::default()).unwrap();
        let root = tree.nodes[0].split.as_ref().unwrap();
        assert_eq!(root.predictor, 0);
        assert_eq!(root.slot_child[..4], [0, 0, 1, 1]);
        let right = &tree.nodes[tree.nodes[0].children[1]];
        assert_eq!(right.split.as_ref().unwrap().predictor, 1);
        let again = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| fit(&inputs, &ChaidParams::default()).unwrap());
        assert_eq!(tree, again);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let (codes, y) = planted(100);
        let numeric = Array2::<f64>::zeros((100, 0));
        let one = Array1::<u32>::zeros(100);
        let mut inputs = Inputs {
            codes: codes.view(),
            n_levels: &[4, 3, 5],
            scales: &[Scale::Nominal, Scale::Nominal, Scale::Nominal],
            numeric: numeric.view(),
            target: Target::Classes {
                codes: one.view(),
                n_classes: 2,
            },
            freq: None,
            case: None,
            rank: None,
        };
        let err = fit(&inputs, &ChaidParams::default()).unwrap_err();
        assert!(err.to_string().contains("single class"), "{err}");
        inputs.target = Target::Classes {
            codes: y.view(),
            n_classes: 2,
        };
        let params = ChaidParams {
            alpha_merge: 1.5,
            ..ChaidParams::default()
        };
        assert!(fit(&inputs, &params).is_err());
        let nan = Array1::from_elem(100, f64::NAN);
        inputs.target = Target::Continuous(nan.view());
        assert!(fit(&inputs, &ChaidParams::default()).is_err());
    }
}
