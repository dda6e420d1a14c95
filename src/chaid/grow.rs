//! Growing the tree: per node one pass over its rows builds all predictors' tables (its rows are one
//! contiguous run of packed words, see [`columns`](super::columns); chunks of rows in parallel,
//! merged in a fixed order: weighted and continuous sums per 1,024-row chunk of the input, along
//! the chunk tree a distributed build reproduces, see [`partials`](super::partials)), the
//! predictors are merged and tested in parallel on those tables, the best one splits the node.
//!
//! Work is skipped where the answer is known without it: a child's size, target counts (or sums)
//! and row count come from its parent's table, so only nodes that may split get tables of their
//! own and only their parents' rows are partitioned; with plain counts (no weights, a categorical
//! target) the largest child's tables are its parent's minus its siblings', exactly.
//!
//! Its unit tests are in `grow_tests.rs` beside it.

use rayon::prelude::*;

use super::columns::{self, CodeError, Field, Rows};
use super::merge::{merge_predictor, Candidate, Response, Spec};
use super::{bin, ChaidParams, Inputs, Node, Scale, Split, Target, Tree};
use crate::error::{Error, Result};
use crate::parallel::{fold_rows, CHUNK_ROWS};
use crate::table::{check_numeric, check_weights, Missing, MISSING_CODE};

/// Per predictor, its table: one row of `width` numbers per slot.
type Tables = Vec<Vec<f64>>;

struct Grower<'a> {
    /// Per predictor, its bit field in the packed rows.
    fields: Vec<Field>,
    /// The class's field (categorical target).
    class: Option<Field>,
    /// Slots per predictor (categories or bins, then missing).
    n_slots: Vec<usize>,
    ordinal: Vec<bool>,
    width: usize,
    response: Response,
    y_offset: f64,
    /// Tables hold exact integer counts (categorical target, no weights).
    exact: bool,
    /// Chunks of the input rows (the leaves of the tree the sums are added along).
    n_chunks: usize,
    params: &'a ChaidParams,
    spec: Spec,
    rank: Vec<usize>,
}

/// A node about to be recorded: what its parent's table tells about it.
struct Head {
    parent: Option<usize>,
    depth: usize,
    n_rows: usize,
    weight: f64,
    value: Vec<f64>,
    pure: bool,
}

/// Grows a CHAID (or Exhaustive CHAID) tree.
pub fn fit_chaid(inputs: &Inputs<'_>, params: &ChaidParams) -> Result<Tree> {
    let (n, rank) = check_inputs(inputs, params)?;
    let freq_owned = inputs.freq.map(|w| w.to_vec());
    let freq = freq_owned.as_deref();
    let case_owned = case_weights(inputs.case, n)?;
    let case = case_owned.as_deref();
    let TargetColumn {
        response,
        classes_owned,
        values,
        y_offset,
    } = target(&inputs.target, n, freq, case)?;
    // Rows with zero frequency weight take no part; the rest are kept in input order.
    let keep = freq;
    let kept = keep.map_or(n, |w| w.iter().filter(|&&v| v > 0.0).count());
    let Predictors {
        code_cols,
        ordinal,
        n_slots,
        bins,
        breaks,
    } = predictors(inputs, params, freq)?;
    let p_cat = inputs.codes.ncols();
    // Every predictor's slot and the class, packed.
    let mut sources: Vec<(&[u32], u32)> = code_cols
        .iter()
        .zip(inputs.n_levels)
        .map(|(c, &l)| (&c[..], l))
        .collect();
    sources.extend(
        bins.iter()
            .zip(&n_slots[p_cat..])
            .map(|(b, &s)| (&b[..], s as u32 - 1)),
    );
    let mut n_values = n_slots.clone();
    if let (Some(c), Response::Classes { n_classes, .. }) = (&classes_owned, response) {
        sources.push((&c[..], n_classes as u32 - 1));
        n_values.push(n_classes);
    }
    let (mut fields, n_words) = columns::layout(&n_values);
    let words = columns::pack(&sources, &fields, n_words, keep, kept);
    drop(sources);
    drop(code_cols);
    drop(bins);
    let class = if classes_owned.is_some() {
        fields.pop()
    } else {
        None
    };
    let exact = matches!(response, Response::Classes { case: false, .. }) && freq.is_none();
    // Weighted or continuous sums are added along the chunk tree of the input rows: each row
    // keeps the number of its chunk.
    let chunk = (!exact).then(|| {
        (0..n)
            .filter(|&i| keep.is_none_or(|w| w[i] > 0.0))
            .map(|i| (i / CHUNK_ROWS) as u32)
            .collect()
    });
    let rows = Rows::new(
        words,
        values.map(|v| columns::keep_f64(&v, keep)),
        freq.map(|w| columns::keep_f64(w, keep)),
        case.map(|c| columns::keep_f64(c, keep)),
        chunk,
    );
    let grower = Grower {
        fields,
        class,
        n_slots: n_slots.clone(),
        ordinal,
        width: response.width(),
        response,
        y_offset,
        exact,
        n_chunks: n.div_ceil(CHUNK_ROWS).max(1),
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
    };
    let mut rows = rows;
    let table = grower.tables(&rows, 0, kept);
    let totals = grower.totals(&table[0]);
    let (weight, value, pure) = grower.value(&totals);
    let head = Head {
        parent: None,
        depth: 0,
        n_rows: kept,
        weight,
        value,
        pure,
    };
    let mut nodes = Vec::new();
    grower.grow(&mut rows, 0, head, Some(table), &mut nodes);
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

/// Checks the shapes and parameters; returns the number of rows and the predictors' rank order.
fn check_inputs(inputs: &Inputs<'_>, params: &ChaidParams) -> Result<(usize, Vec<usize>)> {
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
    Ok((n, rank))
}

/// The case weights, checked (positive, one per row).
fn case_weights(case: Option<ndarray::ArrayView1<'_, f64>>, n: usize) -> Result<Option<Vec<f64>>> {
    Ok(match case {
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
    })
}

/// Σw and Σw·y of a continuous target (w = frequency × case weight), added over the chunk tree
/// of [`fold_rows`]: a distributed pass over partitions cut at chunk boundaries adds the same
/// numbers in the same order.
pub(crate) fn target_sums(y: &[f64], freq: Option<&[f64]>, case: Option<&[f64]>) -> (f64, f64) {
    fold_rows(
        y.len(),
        |r| {
            let (mut sw, mut swy) = (0.0, 0.0);
            for i in r {
                let w = freq.map_or(1.0, |f| f[i]) * case.map_or(1.0, |c| c[i]);
                sw += w;
                swy += w * y[i];
            }
            (sw, swy)
        },
        |a, b| (a.0 + b.0, a.1 + b.1),
    )
}

/// The target as the tree grows on it.
struct TargetColumn<'a> {
    response: Response,
    /// The class codes (categorical target).
    classes_owned: Option<std::borrow::Cow<'a, [u32]>>,
    /// The values, centred on `y_offset`, their weighted mean (continuous target).
    values: Option<Vec<f64>>,
    y_offset: f64,
}

/// Checks the target and lays it out.
fn target<'a>(
    target: &'a Target<'_>,
    n: usize,
    freq: Option<&[f64]>,
    case: Option<&[f64]>,
) -> Result<TargetColumn<'a>> {
    let weight = |i: usize| freq.map_or(1.0, |w| w[i]);
    let (response, classes_owned, values, y_offset) = match target {
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
                Some(columns::contiguous(codes.view())),
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
            let y = y
                .as_slice()
                .map_or_else(|| y.to_vec().into(), std::borrow::Cow::Borrowed);
            let (sw, swy) = target_sums(&y, freq, case);
            let mean = swy / sw;
            let centred: Vec<f64> = y.iter().map(|v| v - mean).collect();
            (Response::Continuous, None, Some(centred), mean)
        }
    };

    Ok(TargetColumn {
        response,
        classes_owned,
        values,
        y_offset,
    })
}

/// The predictors: categorical columns as they are (their codes checked), continuous ones
/// binned.
struct Predictors<'a> {
    code_cols: Vec<std::borrow::Cow<'a, [u32]>>,
    ordinal: Vec<bool>,
    /// Slots per predictor (categories or bins, then missing).
    n_slots: Vec<usize>,
    bins: Vec<Vec<u32>>,
    breaks: Vec<Vec<f64>>,
}

fn predictors<'a>(
    inputs: &'a Inputs<'_>,
    params: &ChaidParams,
    freq: Option<&[f64]>,
) -> Result<Predictors<'a>> {
    let keep = freq;
    let (p_cat, p_num) = (inputs.codes.ncols(), inputs.numeric.ncols());
    let code_cols: Vec<std::borrow::Cow<'_, [u32]>> = (0..p_cat)
        .map(|j| columns::contiguous(inputs.codes.column(j)))
        .collect();
    let checked: Vec<std::result::Result<(), CodeError>> = code_cols
        .par_iter()
        .zip(inputs.n_levels)
        .map(|(c, &l)| columns::check_codes(c, l, keep))
        .collect();
    if let Some((j, c)) = checked.iter().enumerate().find_map(|(j, r)| match r {
        Err(CodeError::Outside(c)) => Some((j, *c)),
        _ => None,
    }) {
        return Err(Error::invalid(
            format!("categorical column {j}"),
            format!("code {c} is outside 0..{}", inputs.n_levels[j]),
        ));
    }
    if let Some(j) = checked.iter().position(|r| r.is_err()) {
        return Err(Error::invalid(
            format!("categorical column {j}"),
            "all values are missing",
        ));
    }
    let mut ordinal: Vec<bool> = inputs.scales.iter().map(|&s| s == Scale::Ordinal).collect();
    let mut n_slots: Vec<usize> = inputs.n_levels.iter().map(|&l| l as usize + 1).collect();
    let binned: Vec<Result<(Vec<u32>, Vec<f64>)>> = (0..p_num)
        .into_par_iter()
        .map(|j| {
            let col = inputs.numeric.column(j);
            bin::bin_column(col, freq, params.max_bins, || format!("numeric column {j}"))
        })
        .collect();
    let mut bins = Vec::with_capacity(p_num);
    let mut breaks = Vec::with_capacity(p_num);
    for r in binned {
        let (slots, b) = r?;
        n_slots.push(b.len() + 1);
        ordinal.push(true);
        bins.push(slots);
        breaks.push(b);
    }
    Ok(Predictors {
        code_cols,
        ordinal,
        n_slots,
        bins,
        breaks,
    })
}

fn rename(e: Error, what: &str) -> Error {
    match e {
        Error::InvalidInput { why, .. } => Error::invalid(what, why),
    }
}

impl Grower<'_> {
    /// Every predictor's table over rows lo..hi (one pass over a run of rows builds every
    /// predictor's table). Exact counts: fixed chunks of the node's rows merged along a tree that
    /// depends only on their number. Weighted or continuous sums: per chunk of
    /// [`CHUNK_ROWS`] input rows, the sums of the node's rows in it (in input order), added along
    /// the [`fold_rows`] tree over all the input's chunks (a subtree without rows of the node
    /// adds nothing): what a distributed pass over partitions cut at chunk boundaries adds, in
    /// the same order, whatever the partitioning.
    fn tables(&self, rows: &Rows, lo: usize, hi: usize) -> Tables {
        const CHUNK: usize = 1 << 14;
        let leaf = |a: usize, b: usize| -> Tables {
            let freq = rows.freq.as_deref().map(|w| &w[a..b]);
            let case = rows.case.as_deref().map(|w| &w[a..b]);
            if let (true, Response::Classes { n_classes, .. }, Some(y)) =
                (self.exact, self.response, self.class)
            {
                return columns::count_classes(
                    &rows.words,
                    a,
                    b,
                    &self.fields,
                    &self.n_slots,
                    y,
                    n_classes,
                );
            }
            self.fields
                .iter()
                .zip(&self.n_slots)
                .map(|(&f, &n_slots)| {
                    let mut t = vec![0.0; n_slots * self.width];
                    let xw = &rows.words[f.word][a..b];
                    match (self.response, self.class, &rows.values) {
                        (Response::Classes { n_classes, .. }, Some(y), _) => {
                            let yw = &rows.words[y.word][a..b];
                            columns::weighted_classes(xw, f, yw, y, freq, case, n_classes, &mut t);
                        }
                        (_, _, Some(v)) => columns::continuous(xw, f, &v[a..b], freq, case, &mut t),
                        _ => unreachable!("a target is always present"),
                    }
                    t
                })
                .collect()
        };
        fn rec(a: usize, b: usize, leaf: &(dyn Fn(usize, usize) -> Tables + Sync)) -> Tables {
            let chunks = (b - a).div_ceil(CHUNK);
            if chunks <= 1 {
                return leaf(a, b);
            }
            let mid = a + chunks / 2 * CHUNK;
            let (mut x, y) = rayon::join(|| rec(a, mid, leaf), || rec(mid, b, leaf));
            for (tx, ty) in x.iter_mut().zip(&y) {
                for (u, v) in tx.iter_mut().zip(ty) {
                    *u += v;
                }
            }
            x
        }
        match &rows.chunk {
            None => rec(lo, hi, &leaf),
            Some(chunk) => {
                chunk_tree(chunk, 0, self.n_chunks, lo, hi, &leaf).unwrap_or_else(|| leaf(lo, lo))
            }
        }
    }

    /// The totals of the rows of one predictor's table over the given slots (all when `None`).
    fn totals_of(&self, block: &[f64], slots: impl Iterator<Item = usize>) -> Vec<f64> {
        let mut tot = vec![0.0; self.width];
        for s in slots {
            let row = &block[s * self.width..(s + 1) * self.width];
            for (t, v) in tot.iter_mut().zip(row) {
                *t += v;
            }
        }
        tot
    }

    /// The node's totals (summed over one predictor's slots).
    fn totals(&self, block: &[f64]) -> Vec<f64> {
        self.totals_of(block, 0..block.len() / self.width)
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

    /// May this node split (so it needs tables of its own)?
    fn may_split(&self, depth: usize, weight: f64, pure: bool) -> bool {
        depth < self.params.max_depth && weight >= self.params.min_parent_size && !pure
    }

    /// Records the node whose rows are `lo..lo + head.n_rows` and grows its subtree. `table` is
    /// `Some` whenever the node may split.
    fn grow(
        &self,
        rows: &mut Rows,
        lo: usize,
        head: Head,
        table: Option<Tables>,
        nodes: &mut Vec<Node>,
    ) {
        let id = nodes.len();
        let (depth, n_rows) = (head.depth, head.n_rows);
        nodes.push(Node {
            parent: head.parent,
            depth,
            n_rows,
            weight: head.weight,
            value: head.value,
            split: None,
            children: Vec::new(),
        });
        crate::cancel::progress::step(nodes.len() as f64);
        if !self.may_split(depth, head.weight, head.pure) || crate::cancel::requested() {
            return;
        }
        let Some(table) = table else { return };
        let candidates: Vec<Option<Candidate>> = (0..self.n_slots.len())
            .into_par_iter()
            .map(|p| merge_predictor(&table[p], self.n_slots[p], self.ordinal[p], &self.spec))
            .collect();
        let best = best_candidate(&candidates, &self.rank);
        let Some((p, cand)) = best else { return };
        if cand.ln_p_adj > self.params.alpha_split.ln() {
            return;
        }
        let (slot_child, default_child) = assign_slots(self.n_slots[p], self.ordinal[p], cand);
        let k = cand.groups.len();
        let hi = lo + n_rows;

        // What the parent's table tells about each child.
        let mut heads: Vec<Head> = (0..k)
            .map(|g| {
                let slots = (0..slot_child.len()).filter(|&s| slot_child[s] == g);
                let totals = self.totals_of(&table[p], slots);
                let (weight, value, pure) = self.value(&totals);
                Head {
                    parent: Some(id),
                    depth: depth + 1,
                    n_rows: 0,
                    weight,
                    value,
                    pure,
                }
            })
            .collect();
        let field = self.fields[p];
        let mut per_slot = vec![0usize; slot_child.len()];
        for &w in &rows.words[field.word][lo..hi] {
            per_slot[field.get(w)] += 1;
        }
        for (s, &c) in per_slot.iter().enumerate() {
            heads[slot_child[s]].n_rows += c;
        }
        let needs: Vec<bool> = heads
            .iter()
            .map(|h| self.may_split(h.depth, h.weight, h.pure))
            .collect();
        let mut starts = Vec::with_capacity(k);
        let mut at = 0;
        for h in &heads {
            starts.push(at);
            at += h.n_rows;
        }
        debug_assert_eq!(at, n_rows);
        let mut child_tables: Vec<Option<Tables>> = vec![None; k];
        if needs.iter().any(|&b| b) {
            rows.partition(lo, hi, field, &slot_child, &starts);
            let own: usize = (0..k).filter(|&g| needs[g]).map(|g| heads[g].n_rows).sum();
            // With exact counts, the largest child that needs tables may take its parent's minus
            // all its siblings' when that reads fewer rows.
            let largest = (0..k)
                .filter(|&g| needs[g])
                .max_by(|&a, &b| heads[a].n_rows.cmp(&heads[b].n_rows).then(b.cmp(&a)));
            let subtract = largest.filter(|&g| self.exact && n_rows - heads[g].n_rows < own);
            for g in 0..k {
                if (needs[g] || subtract.is_some()) && Some(g) != subtract {
                    let a = lo + starts[g];
                    child_tables[g] = Some(self.tables(rows, a, a + heads[g].n_rows));
                }
            }
            if let Some(big) = subtract {
                let mut t = table.clone();
                for (g, other) in child_tables.iter().enumerate() {
                    let Some(other) = other else { continue };
                    debug_assert!(g != big);
                    for (tp, op) in t.iter_mut().zip(other) {
                        for (x, y) in tp.iter_mut().zip(op) {
                            *x -= y;
                        }
                    }
                }
                child_tables[big] = Some(t);
            }
            for g in 0..k {
                if !needs[g] {
                    child_tables[g] = None;
                }
            }
        }
        drop(table);
        let mut children = Vec::with_capacity(k);
        for ((h, t), start) in heads.into_iter().zip(child_tables).zip(starts) {
            children.push(nodes.len());
            self.grow(rows, lo + start, h, t, nodes);
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
}

/// The tables of rows `a..b`, whose chunks (`chunk`, ascending) lie in `first..first + count`,
/// added along the [`fold_rows`] tree over those chunks: `None` without rows.
fn chunk_tree(
    chunk: &[u32],
    first: usize,
    count: usize,
    a: usize,
    b: usize,
    leaf: &(dyn Fn(usize, usize) -> Tables + Sync),
) -> Option<Tables> {
    if a == b {
        return None;
    }
    if count == 1 {
        return Some(leaf(a, b));
    }
    let mid = count / 2;
    let split = a + chunk[a..b].partition_point(|&c| (c as usize) < first + mid);
    let (x, y) = if b - a >= 2 * CHUNK_ROWS {
        rayon::join(
            || chunk_tree(chunk, first, mid, a, split, leaf),
            || chunk_tree(chunk, first + mid, count - mid, split, b, leaf),
        )
    } else {
        (
            chunk_tree(chunk, first, mid, a, split, leaf),
            chunk_tree(chunk, first + mid, count - mid, split, b, leaf),
        )
    };
    match (x, y) {
        (Some(mut x), Some(y)) => {
            for (tx, ty) in x.iter_mut().zip(&y) {
                for (u, v) in tx.iter_mut().zip(ty) {
                    *u += v;
                }
            }
            Some(x)
        }
        (x, y) => x.or(y),
    }
}

/// The winning candidate: the smallest adjusted p, then the larger statistic, then the lower
/// rank (column order).
pub(super) fn best_candidate<'c>(
    candidates: &'c [Option<Candidate>],
    rank: &[usize],
) -> Option<(usize, &'c Candidate)> {
    let mut best: Option<(usize, &Candidate)> = None;
    for (p, c) in candidates.iter().enumerate() {
        let Some(c) = c else { continue };
        let wins = match best {
            None => true,
            Some((bp, b)) => {
                c.ln_p_adj < b.ln_p_adj
                    || (c.ln_p_adj == b.ln_p_adj
                        && (c.test.statistic > b.test.statistic
                            || (c.test.statistic == b.test.statistic && rank[p] < rank[bp])))
            }
        };
        if wins {
            best = Some((p, c));
        }
    }
    best
}

/// Child of every slot: merged groups for present categories; absent ordinal categories
/// follow the nearest present category below (above for the first); everything else, and
/// missing values not seen in the node, goes to the largest child.
pub(super) fn assign_slots(n_slots: usize, ordinal: bool, cand: &Candidate) -> (Vec<usize>, usize) {
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
    if ordinal {
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

#[cfg(test)]
#[path = "grow_tests.rs"]
mod tests;
