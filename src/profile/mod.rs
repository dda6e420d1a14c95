//! Segment profiles: per-segment statistics of every column and the tests of whether the
//! segments differ on it (one-way ANOVA F with η², Kruskal–Wallis H, Pearson χ² with Cramér's V).
//!
//! Columns are independent, so they are processed in parallel; within a column one pass groups
//! the values by segment (a counting sort), medians are found by selection, not sorting.

use ndarray::{Array2, ArrayView1};
use rayon::prelude::*;

use crate::error::{Error, Result};
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

/// Median of `v` (the mean of the two middle values for an even count, as numpy); NaN if empty.
fn median(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (_, &mut hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return hi;
    }
    let lo = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo + hi) / 2.0
}

/// Weighted median: the smallest value whose cumulative weight reaches half the total.
fn weighted_median(pairs: &mut [(f64, f64)]) -> f64 {
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
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

/// Kruskal–Wallis H with the tie correction, from average ranks of the non-missing values.
fn kruskal(values: &[(u32, f64)], k: usize) -> TestResult {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| values[a].1.total_cmp(&values[b].1));
    let mut rank_sum = vec![0.0; k];
    let mut count = vec![0.0; k];
    let mut ties = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && values[order[j + 1]].1 == values[order[i]].1 {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &o in &order[i..=j] {
            let g = values[o].0 as usize;
            rank_sum[g] += avg;
            count[g] += 1.0;
        }
        i = j + 1;
    }
    let groups = count.iter().filter(|&&c| c > 0.0).count();
    let nf = n as f64;
    if groups < 2 || nf < 2.0 {
        return TestResult::NULL;
    }
    let h: f64 = rank_sum
        .iter()
        .zip(&count)
        .filter(|(_, &c)| c > 0.0)
        .map(|(r, c)| r * r / c)
        .sum::<f64>()
        * 12.0
        / (nf * (nf + 1.0))
        - 3.0 * (nf + 1.0);
    let correction = 1.0 - ties / (nf * nf * nf - nf);
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

/// Count, mean, median, sd, the ANOVA sums [f, w, Σwy, Σwy²] and the sum of squares about the
/// mean of one group of values (`values` is reordered by the median selection).
fn describe(
    values: &mut [f64],
    weights: Option<&mut [f64]>,
) -> (f64, f64, f64, f64, [f64; 4], f64) {
    let (w, s, q) = match &weights {
        None => (
            values.len() as f64,
            values.iter().sum::<f64>(),
            values.iter().map(|v| v * v).sum::<f64>(),
        ),
        Some(ws) => (
            ws.iter().sum::<f64>(),
            values
                .iter()
                .zip(ws.iter())
                .map(|(v, w)| v * w)
                .sum::<f64>(),
            values
                .iter()
                .zip(ws.iter())
                .map(|(v, w)| w * v * v)
                .sum::<f64>(),
        ),
    };
    let m = if w > 0.0 { s / w } else { f64::NAN };
    let ss: f64 = match &weights {
        None => values.iter().map(|v| (v - m) * (v - m)).sum(),
        Some(ws) => values
            .iter()
            .zip(ws.iter())
            .map(|(v, w)| w * (v - m) * (v - m))
            .sum(),
    };
    let sd = if w > 1.0 {
        (ss / (w - 1.0)).sqrt()
    } else {
        f64::NAN
    };
    let med = match weights {
        None => median(values),
        Some(ws) => {
            let mut pairs: Vec<(f64, f64)> =
                values.iter().copied().zip(ws.iter().copied()).collect();
            weighted_median(&mut pairs)
        }
    };
    (w, m, med, sd, [w, w, s, q], ss)
}

fn numeric_column(
    col: ArrayView1<'_, f64>,
    labels: &[u32],
    weights: Option<&[f64]>,
    k: usize,
    with_kruskal: bool,
) -> NumericColumn {
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
    let mut count = Vec::with_capacity(k + 1);
    let mut mean = Vec::with_capacity(k + 1);
    let mut median_v = Vec::with_capacity(k + 1);
    let mut sd = Vec::with_capacity(k + 1);
    let mut sums: Vec<[f64; anova::WIDTH]> = Vec::with_capacity(k);
    let mut within = Vec::with_capacity(k);
    for g in 0..k {
        let range = start[g]..start[g + 1];
        let ws = weights.map(|_| &mut wbuf[range.clone()]);
        let (w, m, med, sdv, s, ss) = describe(&mut values[range], ws);
        within.push(ss);
        count.push(w);
        mean.push(m);
        median_v.push(med);
        sd.push(sdv);
        sums.push(s);
    }
    // The whole column from the segments' sums (no further pass over the values): the total
    // sum of squares is the within plus the between sum of squares; only the median needs
    // the values again.
    let w: f64 = count.iter().sum();
    let grand = if w > 0.0 {
        sums.iter().map(|s| s[2]).sum::<f64>() / w
    } else {
        f64::NAN
    };
    let ssw: f64 = within.iter().sum();
    let ssb: f64 = (0..k)
        .filter(|&g| count[g] > 0.0)
        .map(|g| count[g] * (mean[g] - grand) * (mean[g] - grand))
        .sum();
    let sst = ssw + ssb;
    let med = match weights {
        None => median(&mut values),
        Some(_) => {
            let mut pairs: Vec<(f64, f64)> = values.iter().copied().zip(wbuf).collect();
            weighted_median(&mut pairs)
        }
    };
    count.push(w);
    mean.push(grand);
    median_v.push(med);
    sd.push(if w > 1.0 {
        (sst / (w - 1.0)).sqrt()
    } else {
        f64::NAN
    });
    let refs: Vec<&[f64]> = sums.iter().map(|s| s.as_slice()).collect();
    let anova = anova::test(&refs);
    let eta2 = if sst > 0.0 { ssb / sst } else { f64::NAN };
    let kruskal = with_kruskal.then(|| {
        let pairs: Vec<(u32, f64)> = col
            .iter()
            .zip(labels)
            .filter(|(v, _)| !v.is_nan())
            .map(|(&v, &l)| (l, v))
            .collect();
        kruskal(&pairs, k)
    });
    NumericColumn {
        count,
        mean,
        median: median_v,
        sd,
        min,
        anova,
        eta2,
        kruskal,
    }
}

fn categorical_column(
    col: ArrayView1<'_, u32>,
    levels: usize,
    labels: &[u32],
    weights: Option<&[f64]>,
    k: usize,
) -> CategoricalColumn {
    let mut counts = Array2::<f64>::zeros((k + 1, levels));
    for (i, (&c, &l)) in col.iter().zip(labels).enumerate() {
        if c != MISSING_CODE {
            let w = weights.map_or(1.0, |w| w[i]);
            counts[[l as usize, c as usize]] += w;
            counts[[k, c as usize]] += w;
        }
    }
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

/// Profiles the segments `labels` (0..k) of a table whose missing values are allowed.
pub fn profile(
    table: &Table<'_>,
    labels: ArrayView1<'_, u32>,
    k: usize,
    with_kruskal: bool,
) -> Result<Profile> {
    let n = table.n_rows();
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
    let labels = labels.to_vec();
    let weights = table.weights.as_ref().map(|w| w.to_vec());
    let w = weights.as_deref();
    let mut sizes = vec![0.0; k];
    for (i, &l) in labels.iter().enumerate() {
        sizes[l as usize] += w.map_or(1.0, |w| w[i]);
    }
    let numeric = (0..table.numeric.ncols())
        .into_par_iter()
        .map(|j| numeric_column(table.numeric.column(j), &labels, w, k, with_kruskal))
        .collect();
    let categorical = (0..table.codes.ncols())
        .into_par_iter()
        .map(|j| {
            categorical_column(
                table.codes.column(j),
                table.n_levels[j] as usize,
                &labels,
                w,
                k,
            )
        })
        .collect();
    Ok(Profile {
        sizes,
        numeric,
        categorical,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Missing;
    use ndarray::array;

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
}
