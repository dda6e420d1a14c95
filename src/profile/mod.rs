//! Segment profiles: per-segment statistics of every column and the tests of whether the
//! segments differ on it (one-way ANOVA F with η², Kruskal–Wallis H, Pearson χ² with Cramér's V).
//!
//! Every floating-point sum over rows (segment sizes, per-segment Σw, Σw·y, Σw·y², the sums of
//! squares about the segment means, weighted category counts) is folded over chunks of
//! [`CHUNK_ROWS`] rows merged along the fixed tree of [`fold_rows`]: the result does not depend
//! on the thread count, and a distributed profile whose partitions start on chunk boundaries
//! rebuilds the same numbers from the tree nodes each partition holds ([`partition_sums`]).
//! Medians are order statistics (selection in total order), the Kruskal–Wallis rank sums and
//! tie correction exact integers: both depend only on the multiset of values.

use std::ops::Range;

use ndarray::{Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::parallel::{fold_rows, CHUNK_ROWS};
use crate::partition::Placement;
use crate::stats::contingency::{self, Statistic};
use crate::stats::dist::ln_chi2_sf;
use crate::stats::{anova, TestResult};
use crate::table::{Table, MISSING_CODE};

/// Statistics of one numeric column.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericColumn {
    /// Per segment, then the whole table (k + 1 entries): weighted count of non-missing values,
    /// mean, median, standard deviation (n − 1 denominator, frequency weights).
    pub count: Vec<f64>,
    pub mean: Vec<f64>,
    pub median: Vec<f64>,
    pub sd: Vec<f64>,
    /// The smallest non-missing value (+∞ when there is none): whether the column is on a ratio
    /// scale (no negative values), which the profile's ratio index needs.
    pub min: f64,
    pub anova: TestResult,
    /// Between-segment share of the total sum of squares.
    pub eta2: f64,
    pub kruskal: Option<TestResult>,
}

/// Statistics of one categorical column.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoricalColumn {
    /// (k + 1) × levels weighted counts (last row: the whole table); missing values excluded.
    pub counts: Array2<f64>,
    pub chi2: TestResult,
    pub cramers_v: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Weighted size of each segment.
    pub sizes: Vec<f64>,
    pub numeric: Vec<NumericColumn>,
    pub categorical: Vec<CategoricalColumn>,
}

/// Where the row sums of a profile sit in one flat vector: the k segment sizes, then per numeric
/// column and segment [Σw, Σw·y, Σw·y²], then per categorical column its (k + 1) × levels
/// weighted counts (last row: the whole table). The second pass holds per numeric column and
/// segment the sum of squares about the segment's mean (p × k).
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub k: usize,
    pub p: usize,
    pub levels: Vec<usize>,
}

impl Layout {
    pub fn new(k: usize, p: usize, n_levels: &[u32]) -> Self {
        Layout {
            k,
            p,
            levels: n_levels.iter().map(|&l| l as usize).collect(),
        }
    }

    /// Length of the first pass's vector.
    pub fn width(&self) -> usize {
        self.cat_at(self.levels.len())
    }

    /// Length of the second pass's vector.
    pub fn width_squares(&self) -> usize {
        self.p * self.k
    }

    fn numeric_at(&self, j: usize, g: usize) -> usize {
        self.k + (j * self.k + g) * 3
    }

    fn cat_at(&self, j: usize) -> usize {
        self.k
            + 3 * self.p * self.k
            + self.levels[..j]
                .iter()
                .map(|l| (self.k + 1) * l)
                .sum::<usize>()
    }

    /// The segment means (p × k, NaN for an empty segment) from the first pass.
    pub fn means(&self, sums: &[f64]) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.p * self.k);
        for j in 0..self.p {
            for g in 0..self.k {
                let at = self.numeric_at(j, g);
                let (w, s) = (sums[at], sums[at + 1]);
                out.push(if w > 0.0 { s / w } else { f64::NAN });
            }
        }
        out
    }
}

fn add(mut a: Vec<f64>, b: Vec<f64>) -> Vec<f64> {
    for (x, y) in a.iter_mut().zip(&b) {
        *x += y;
    }
    a
}

/// First pass over `rows`: sizes, per-segment [Σw, Σw·y, Σw·y²], category counts.
fn row_sums(table: &Table<'_>, labels: &[u32], rows: Range<usize>, layout: &Layout) -> Vec<f64> {
    let k = layout.k;
    let mut out = vec![0.0; layout.width()];
    let w = table
        .weights
        .map(|w| w.slice_move(ndarray::s![rows.clone()]));
    let lab = &labels[rows.clone()];
    match &w {
        None => lab.iter().for_each(|&l| out[l as usize] += 1.0),
        Some(w) => lab
            .iter()
            .zip(w.iter())
            .for_each(|(&l, &wi)| out[l as usize] += wi),
    }
    for j in 0..layout.p {
        let col = table.numeric.column(j);
        let col = col.slice(ndarray::s![rows.clone()]);
        let base = layout.numeric_at(j, 0);
        match &w {
            None => {
                for (&v, &l) in col.iter().zip(lab) {
                    if !v.is_nan() {
                        let at = base + 3 * l as usize;
                        out[at] += 1.0;
                        out[at + 1] += v;
                        out[at + 2] += v * v;
                    }
                }
            }
            Some(w) => {
                for ((&v, &l), &wi) in col.iter().zip(lab).zip(w.iter()) {
                    if !v.is_nan() {
                        let at = base + 3 * l as usize;
                        out[at] += wi;
                        out[at + 1] += v * wi;
                        out[at + 2] += wi * v * v;
                    }
                }
            }
        }
    }
    for (j, &levels) in layout.levels.iter().enumerate() {
        let col = table.codes.column(j);
        let col = col.slice(ndarray::s![rows.clone()]);
        let base = layout.cat_at(j);
        for (i, (&c, &l)) in col.iter().zip(lab).enumerate() {
            if c != MISSING_CODE {
                let wi = w.as_ref().map_or(1.0, |w| w[i]);
                out[base + l as usize * levels + c as usize] += wi;
                out[base + k * levels + c as usize] += wi;
            }
        }
    }
    out
}

/// Second pass over `rows`: per numeric column and segment, Σw·(y − mean)² about `means`.
fn row_squares(
    table: &Table<'_>,
    labels: &[u32],
    rows: Range<usize>,
    means: &[f64],
    layout: &Layout,
) -> Vec<f64> {
    let k = layout.k;
    let mut out = vec![0.0; layout.width_squares()];
    let w = table
        .weights
        .map(|w| w.slice_move(ndarray::s![rows.clone()]));
    let lab = &labels[rows.clone()];
    for j in 0..layout.p {
        let col = table.numeric.column(j);
        let col = col.slice(ndarray::s![rows.clone()]);
        let (acc, m) = (&mut out[j * k..(j + 1) * k], &means[j * k..(j + 1) * k]);
        match &w {
            None => {
                for (&v, &l) in col.iter().zip(lab) {
                    if !v.is_nan() {
                        let d = v - m[l as usize];
                        acc[l as usize] += d * d;
                    }
                }
            }
            Some(w) => {
                for ((&v, &l), &wi) in col.iter().zip(lab).zip(w.iter()) {
                    if !v.is_nan() {
                        let d = v - m[l as usize];
                        acc[l as usize] += wi * d * d;
                    }
                }
            }
        }
    }
    out
}

/// Median of `v` (the mean of the two middle values in total order for an even count, as
/// numpy); NaN if empty.
fn median(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (below, &mut hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return hi;
    }
    let lo = below
        .iter()
        .copied()
        .max_by(f64::total_cmp)
        .unwrap_or(f64::NAN);
    (lo + hi) / 2.0
}

/// Weighted median: the smallest value (total order; ties in row order) whose cumulative weight
/// reaches half the total.
fn weighted_median(pairs: &mut [(f64, f64)]) -> f64 {
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    let mut acc = 0.0;
    for &(v, w) in pairs.iter() {
        acc += w;
        if acc >= total / 2.0 {
            return v;
        }
    }
    f64::NAN
}

/// The Kruskal–Wallis state of one column: twice each segment's rank sum (average ranks of
/// ties), the segments' counts and Σ(t³ − t) over the tie groups, each an exact integer
/// converted to the nearest f64 (so it depends only on the values, not on their order).
#[derive(Debug, Clone, PartialEq)]
pub struct RankSums {
    pub rank2: Vec<f64>,
    pub count: Vec<f64>,
    pub ties: f64,
}

/// The rank sums of the non-missing `(segment, value)` pairs (reordered by value).
fn rank_sums(values: &mut [(u32, f64)], k: usize) -> RankSums {
    let n = values.len();
    values.sort_unstable_by(|a, b| a.1.total_cmp(&b.1));
    let mut rank2 = vec![0u128; k];
    let mut count = vec![0u64; k];
    let mut ties = 0u128;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && values[j + 1].1 == values[i].1 {
            j += 1;
        }
        let t = (j - i + 1) as u128;
        ties += t * t * t - t;
        // Twice the average rank of positions i..=j (ranks from 1).
        let r2 = (i + j + 2) as u128;
        for &(g, _) in &values[i..=j] {
            rank2[g as usize] += r2;
            count[g as usize] += 1;
        }
        i = j + 1;
    }
    RankSums {
        rank2: rank2.iter().map(|&r| r as f64).collect(),
        count: count.iter().map(|&c| c as f64).collect(),
        ties: ties as f64,
    }
}

/// Kruskal–Wallis H with the tie correction, from the exact rank sums.
pub fn kruskal(r: &RankSums) -> TestResult {
    let groups = r.count.iter().filter(|&&c| c > 0.0).count();
    let nf: f64 = r.count.iter().sum();
    if groups < 2 || nf < 2.0 {
        return TestResult::NULL;
    }
    let h: f64 = r
        .rank2
        .iter()
        .zip(&r.count)
        .filter(|(_, &c)| c > 0.0)
        .map(|(r2, c)| {
            let s = r2 / 2.0;
            s * s / c
        })
        .sum::<f64>()
        * 12.0
        / (nf * (nf + 1.0))
        - 3.0 * (nf + 1.0);
    let correction = 1.0 - r.ties / (nf * nf * nf - nf);
    if correction <= 0.0 {
        return TestResult::NULL;
    }
    let h = h / correction;
    let df = (groups - 1) as f64;
    TestResult {
        statistic: h,
        df1: df,
        df2: 0.0,
        ln_p: ln_chi2_sf(h, df),
    }
}

/// What one numeric column needs besides the row sums: its minimum, the medians (k segments,
/// then the whole column) and, when asked, the Kruskal–Wallis rank sums.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderStats {
    pub min: f64,
    pub median: Vec<f64>,
    pub ranks: Option<RankSums>,
}

fn order_stats(
    col: ArrayView1<'_, f64>,
    labels: &[u32],
    weights: Option<&[f64]>,
    k: usize,
    with_kruskal: bool,
) -> OrderStats {
    // Counting sort of the non-missing values by segment: one contiguous run per segment.
    let mut start = vec![0usize; k + 1];
    let mut min = f64::INFINITY;
    for (&v, &l) in col.iter().zip(labels) {
        if !v.is_nan() {
            start[l as usize + 1] += 1;
            min = min.min(v);
        }
    }
    for g in 0..k {
        start[g + 1] += start[g];
    }
    let total = start[k];
    let mut values = vec![0.0; total];
    let mut wbuf = if weights.is_some() {
        vec![0.0; total]
    } else {
        Vec::new()
    };
    let mut next = start.clone();
    for (i, (&v, &l)) in col.iter().zip(labels).enumerate() {
        if !v.is_nan() {
            let at = next[l as usize];
            values[at] = v;
            if let Some(w) = weights {
                wbuf[at] = w[i];
            }
            next[l as usize] += 1;
        }
    }
    let ranks = with_kruskal.then(|| {
        let mut pairs = Vec::with_capacity(total);
        for g in 0..k {
            pairs.extend(
                values[start[g]..start[g + 1]]
                    .iter()
                    .map(|&v| (g as u32, v)),
            );
        }
        rank_sums(&mut pairs, k)
    });
    let mut median_v = Vec::with_capacity(k + 1);
    for g in 0..k {
        let range = start[g]..start[g + 1];
        median_v.push(match weights {
            None => median(&mut values[range]),
            Some(_) => {
                let mut pairs: Vec<(f64, f64)> = values[range.clone()]
                    .iter()
                    .copied()
                    .zip(wbuf[range].iter().copied())
                    .collect();
                weighted_median(&mut pairs)
            }
        });
    }
    median_v.push(match weights {
        None => median(&mut values),
        Some(_) => {
            // Back in row order (the ties' order of the weighted median).
            let mut pairs: Vec<(f64, f64)> = Vec::with_capacity(total);
            for (i, &v) in col.iter().enumerate() {
                if !v.is_nan() {
                    pairs.push((v, weights.map_or(1.0, |w| w[i])));
                }
            }
            weighted_median(&mut pairs)
        }
    });
    OrderStats {
        min,
        median: median_v,
        ranks,
    }
}

/// The profile from the merged row sums of both passes and each numeric column's order
/// statistics (the last step of the in-memory profile and of a distributed one).
pub fn finish(
    layout: &Layout,
    sums: &[f64],
    squares: &[f64],
    order: &[OrderStats],
) -> Result<Profile> {
    let k = layout.k;
    if sums.len() != layout.width() || squares.len() != layout.width_squares() {
        return Err(Error::invalid("sums", "do not match the table's layout"));
    }
    if order.len() != layout.p || order.iter().any(|o| o.median.len() != k + 1) {
        return Err(Error::invalid(
            "median",
            "needs k + 1 medians per numeric column",
        ));
    }
    let numeric = (0..layout.p)
        .map(|j| {
            let mut count = Vec::with_capacity(k + 1);
            let mut mean = Vec::with_capacity(k + 1);
            let mut sd = Vec::with_capacity(k + 1);
            let mut groups: Vec<[f64; anova::WIDTH]> = Vec::with_capacity(k);
            let mut within = Vec::with_capacity(k);
            for g in 0..k {
                let at = layout.numeric_at(j, g);
                let (w, s, q) = (sums[at], sums[at + 1], sums[at + 2]);
                let ss = squares[j * k + g];
                count.push(w);
                mean.push(if w > 0.0 { s / w } else { f64::NAN });
                sd.push(if w > 1.0 {
                    (ss / (w - 1.0)).sqrt()
                } else {
                    f64::NAN
                });
                groups.push([w, w, s, q]);
                within.push(ss);
            }
            // The whole column from the segments' sums: the total sum of squares is the
            // within plus the between sum of squares.
            let w: f64 = count.iter().sum();
            let grand = if w > 0.0 {
                groups.iter().map(|s| s[2]).sum::<f64>() / w
            } else {
                f64::NAN
            };
            let ssw: f64 = within.iter().sum();
            let ssb: f64 = (0..k)
                .filter(|&g| count[g] > 0.0)
                .map(|g| count[g] * (mean[g] - grand) * (mean[g] - grand))
                .sum();
            let sst = ssw + ssb;
            count.push(w);
            mean.push(grand);
            sd.push(if w > 1.0 {
                (sst / (w - 1.0)).sqrt()
            } else {
                f64::NAN
            });
            let refs: Vec<&[f64]> = groups.iter().map(|s| s.as_slice()).collect();
            NumericColumn {
                count,
                mean,
                median: order[j].median.clone(),
                sd,
                min: order[j].min,
                anova: anova::test(&refs),
                eta2: if sst > 0.0 { ssb / sst } else { f64::NAN },
                kruskal: order[j].ranks.as_ref().map(kruskal),
            }
        })
        .collect();
    let categorical = layout
        .levels
        .iter()
        .enumerate()
        .map(|(j, &levels)| {
            let base = layout.cat_at(j);
            let counts = Array2::from_shape_vec(
                (k + 1, levels),
                sums[base..base + (k + 1) * levels].to_vec(),
            )
            .expect("layout");
            categorical_column(counts, k)
        })
        .collect();
    Ok(Profile {
        sizes: sums[..k].to_vec(),
        numeric,
        categorical,
    })
}

fn categorical_column(counts: Array2<f64>, k: usize) -> CategoricalColumn {
    let rows: Vec<Vec<f64>> = (0..k).map(|g| counts.row(g).to_vec()).collect();
    let refs: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
    let chi2 = contingency::test(&refs, None, Statistic::Pearson);
    let total: f64 = counts.row(k).sum();
    let r = rows.iter().filter(|r| r.iter().sum::<f64>() > 0.0).count();
    let c = counts.row(k).iter().filter(|&&v| v > 0.0).count();
    let m = r.min(c) as f64 - 1.0;
    let cramers_v = if m > 0.0 && total > 0.0 {
        (chi2.statistic / (total * m)).sqrt()
    } else {
        f64::NAN
    };
    CategoricalColumn {
        counts,
        chi2,
        cramers_v,
    }
}

fn check_labels(labels: ArrayView1<'_, u32>, n: usize, k: usize) -> Result<Vec<u32>> {
    if labels.len() != n {
        return Err(Error::invalid(
            "labels",
            format!("has {} entries for {n} rows", labels.len()),
        ));
    }
    if k == 0 {
        return Err(Error::invalid("labels", "no segments"));
    }
    if let Some(&bad) = labels.iter().find(|&&l| l as usize >= k) {
        return Err(Error::invalid(
            "labels",
            format!("label {bad} is not below k = {k}"),
        ));
    }
    Ok(labels.to_vec())
}

/// Profiles the segments `labels` (0..k) of a table whose missing values are allowed.
pub fn profile(
    table: &Table<'_>,
    labels: ArrayView1<'_, u32>,
    k: usize,
    with_kruskal: bool,
) -> Result<Profile> {
    let n = table.n_rows();
    let labels = check_labels(labels, n, k)?;
    let layout = Layout::new(k, table.numeric.ncols(), table.n_levels);
    let sums = fold_rows(n, |r| row_sums(table, &labels, r, &layout), add);
    let means = layout.means(&sums);
    let squares = fold_rows(n, |r| row_squares(table, &labels, r, &means, &layout), add);
    let weights = table.weights.as_ref().map(|w| w.to_vec());
    let order: Vec<OrderStats> = (0..layout.p)
        .into_par_iter()
        .map(|j| {
            order_stats(
                table.numeric.column(j),
                &labels,
                weights.as_deref(),
                k,
                with_kruskal,
            )
        })
        .collect();
    finish(&layout, &sums, &squares, &order)
}

/// One pass of a distributed profile over a partition: per maximal node of the in-memory chunk
/// tree inside it, `(first chunk, chunk count)` and the node's row sums (the first pass's when
/// `means` is None, else the sums of squares about `means`, p × k).
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionSums {
    pub first: Vec<u64>,
    pub count: Vec<u64>,
    /// nodes × width.
    pub sums: Array2<f64>,
}

pub fn partition_sums(
    table: &Table<'_>,
    labels: ArrayView1<'_, u32>,
    k: usize,
    means: Option<ArrayView2<'_, f64>>,
    at: Placement,
) -> Result<PartitionSums> {
    let n = table.n_rows();
    let labels = check_labels(labels, n, k)?;
    let layout = Layout::new(k, table.numeric.ncols(), table.n_levels);
    let spec = at.nodes(n)?;
    let means: Option<Vec<f64>> = match means {
        None => None,
        Some(m) => {
            if m.dim() != (layout.p, k) {
                return Err(Error::invalid(
                    "means",
                    "must be numeric columns × segments",
                ));
            }
            Some(m.iter().copied().collect())
        }
    };
    let width = if means.is_some() {
        layout.width_squares()
    } else {
        layout.width()
    };
    let mut sums = Array2::zeros((spec.len(), width));
    for (i, (_, rows)) in spec.iter().enumerate() {
        let lo = rows.start;
        let node = fold_rows(
            rows.len(),
            |r| {
                let r = lo + r.start..lo + r.end;
                match &means {
                    None => row_sums(table, &labels, r, &layout),
                    Some(m) => row_squares(table, &labels, r, m, &layout),
                }
            },
            add,
        );
        sums.row_mut(i).assign(&ArrayView1::from(&node));
    }
    debug_assert!(spec
        .iter()
        .all(|((f, _), _)| f * CHUNK_ROWS >= at.row_start));
    Ok(PartitionSums {
        first: spec.iter().map(|((f, _), _)| *f as u64).collect(),
        count: spec.iter().map(|((_, c), _)| *c as u64).collect(),
        sums,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::merge_nodes;
    use crate::table::Missing;
    use ndarray::array;
    use std::collections::HashMap;

    #[test]
    fn numeric_statistics_by_hand() {
        let x = array![[1.0], [2.0], [3.0], [10.0], [f64::NAN], [14.0]];
        let codes = ndarray::Array2::<u32>::zeros((6, 0));
        let t = Table::new(x.view(), codes.view(), &[], None, Missing::Allow).unwrap();
        let labels = array![0u32, 0, 0, 1, 1, 1];
        let p = profile(&t, labels.view(), 2, true).unwrap();
        let c = &p.numeric[0];
        assert_eq!(c.count, vec![3.0, 2.0, 5.0]);
        assert_eq!(c.mean[..2], [2.0, 12.0]);
        assert_eq!(c.median, vec![2.0, 12.0, 3.0]);
        // SSB = 3·(2−6)² + 2·(12−6)² = 120; SSW = 2 + 8 = 10; F = 120 / (10/3) = 36
        assert!((c.anova.statistic - 36.0).abs() < 1e-12);
        assert!((c.eta2 - 120.0 / 130.0).abs() < 1e-12);
        // Ranks 1 2 3 | 4 5: H = 12/(5·6)·(36/3 + 81/2) − 18 = 3
        assert!((c.kruskal.unwrap().statistic - 3.0).abs() < 1e-12);
        assert_eq!(p.sizes, vec![3.0, 3.0]);
    }

    #[test]
    fn categorical_counts_and_cramers_v_by_hand() {
        let x = ndarray::Array2::<f64>::zeros((4, 0));
        let codes = array![[0u32], [0], [1], [1]];
        let t = Table::new(x.view(), codes.view(), &[2], None, Missing::Allow).unwrap();
        let p = profile(&t, array![0u32, 0, 1, 1].view(), 2, false).unwrap();
        let c = &p.categorical[0];
        assert_eq!(c.counts, array![[2.0, 0.0], [0.0, 2.0], [2.0, 2.0]]);
        // perfect association: χ² = N = 4, V = 1
        assert!((c.chi2.statistic - 4.0).abs() < 1e-12);
        assert!((c.cramers_v - 1.0).abs() < 1e-12);
    }

    #[test]
    fn even_median_of_signed_zeros_in_total_order() {
        let mut v = [0.0, -0.0, -0.0, 0.0];
        // Total order: -0, -0, 0, 0: the middle pair is (-0, 0).
        assert_eq!(median(&mut v).to_bits(), 0.0f64.to_bits());
        let mut v = [-0.0, 1.0, -0.0, 5.0];
        assert_eq!(median(&mut v).to_bits(), 0.5f64.to_bits());
    }

    #[test]
    fn partition_nodes_rebuild_the_in_memory_sums() {
        let n = 5 * CHUNK_ROWS + 300;
        let x = ndarray::Array2::from_shape_fn((n, 2), |(i, j)| {
            if (i + j) % 97 == 0 {
                f64::NAN
            } else {
                ((i * 7919 + j * 13) % 1013) as f64 * 1e-3 + 1e6
            }
        });
        let codes = ndarray::Array2::from_shape_fn((n, 1), |(i, _)| (i % 3) as u32);
        let w = ndarray::Array1::from_shape_fn(n, |i| 0.5 + (i % 7) as f64 * 0.37);
        let labels = ndarray::Array1::from_shape_fn(n, |i| ((i * 31) % 4) as u32);
        let table =
            Table::new(x.view(), codes.view(), &[3], Some(w.view()), Missing::Allow).unwrap();
        let layout = Layout::new(4, 2, &[3]);
        let whole = fold_rows(
            n,
            |r| row_sums(&table, labels.as_slice().unwrap(), r, &layout),
            add,
        );
        for cuts in [
            vec![0, n],
            vec![0, 2 * CHUNK_ROWS, n],
            vec![0, CHUNK_ROWS, 3 * CHUNK_ROWS, n],
        ] {
            let mut nodes = HashMap::new();
            for w2 in cuts.windows(2) {
                let (lo, hi) = (w2[0], w2[1]);
                let part = Table::new(
                    x.slice(ndarray::s![lo..hi, ..]),
                    codes.slice(ndarray::s![lo..hi, ..]),
                    &[3],
                    Some(w.slice(ndarray::s![lo..hi])),
                    Missing::Allow,
                )
                .unwrap();
                let at = Placement {
                    row_start: lo,
                    n_total: n,
                };
                let ps =
                    partition_sums(&part, labels.slice(ndarray::s![lo..hi]), 4, None, at).unwrap();
                for (i, (f, c)) in ps.first.iter().zip(&ps.count).enumerate() {
                    nodes.insert((*f as usize, *c as usize), ps.sums.row(i).to_vec());
                }
            }
            let merged = merge_nodes(&mut nodes, n, &add).unwrap();
            assert!(merged
                .iter()
                .zip(&whole)
                .all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }

    #[test]
    fn rank_sums_are_exact_integers() {
        let mut pairs = [(0u32, 1.0), (1, 1.0), (0, 2.0), (1, 0.0), (1, -0.0)];
        let r = rank_sums(&mut pairs, 2);
        // -0 and 0 tie (ranks 1, 2 -> 1.5), 1.0 ties (3, 4 -> 3.5), 2.0 rank 5.
        assert_eq!(r.rank2, vec![7.0 + 10.0, 3.0 + 3.0 + 7.0]);
        assert_eq!(r.count, vec![2.0, 3.0]);
        assert_eq!(r.ties, 12.0);
    }
}
