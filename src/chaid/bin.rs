//! Equal-frequency binning of continuous predictors (SPSS CHAID): the distinct values are sorted,
//! value u goes to bin ⌈k·S(u)⌉ where S is the weighted cumulative share up to and including u,
//! so tied values always share a bin and heavy values make fewer, not unequal, bins. The upper
//! bound of each bin (its largest training value) is kept to bin new data the same way.

use ndarray::ArrayView1;

use crate::error::{Error, Result};

/// Bin upper bounds for one column; `None` when no value with positive weight is present.
pub fn breaks(
    x: ArrayView1<'_, f64>,
    weights: Option<&[f64]>,
    max_bins: usize,
) -> Option<Vec<f64>> {
    let mut vals: Vec<(f64, f64)> = x
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_nan())
        .map(|(i, &v)| (v, weights.map_or(1.0, |w| w[i])))
        .filter(|&(_, w)| w > 0.0)
        .collect();
    if vals.is_empty() {
        return None;
    }
    vals.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = vals.iter().map(|v| v.1).sum();
    let k = max_bins as f64;
    let mut out: Vec<f64> = Vec::new();
    let mut cum = 0.0;
    let mut last_bin = 0i64;
    let mut i = 0;
    while i < vals.len() {
        let v = vals[i].0;
        while i < vals.len() && vals[i].0 == v {
            cum += vals[i].1;
            i += 1;
        }
        let bin = bin_of(cum, total, k);
        if bin != last_bin {
            out.push(v);
            last_bin = bin;
        } else if let Some(last) = out.last_mut() {
            *last = v;
        }
    }
    Some(out)
}

/// The bin (1-based) of a value whose cumulative weight among the sorted values is `cum` of
/// `total`, with `k` bins: ⌈k · cum / total − 10⁻⁹⌉, at least 1. The Dask build of CHAID
/// settles its bin boundaries with this same function (through `chaid_bin_of`).
#[inline]
pub fn bin_of(cum: f64, total: f64, k: f64) -> i64 {
    ((k * cum / total - 1e-9).ceil() as i64).max(1)
}

/// The slot of a value: its bin, `breaks.len()` for missing.
#[inline]
pub fn slot(v: f64, breaks: &[f64]) -> usize {
    if v.is_nan() {
        return breaks.len();
    }
    breaks
        .partition_point(|&b| b < v)
        .min(breaks.len().saturating_sub(1))
}

/// Bins a whole column.
pub fn bin_column(
    x: ArrayView1<'_, f64>,
    weights: Option<&[f64]>,
    max_bins: usize,
    what: impl Fn() -> String,
) -> Result<(Vec<u32>, Vec<f64>)> {
    let b = breaks(x, weights, max_bins)
        .ok_or_else(|| Error::invalid(what(), "all values are missing"))?;
    let slots = x.iter().map(|&v| slot(v, &b) as u32).collect();
    Ok((slots, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn equal_frequency_with_ties_kept_together() {
        let x = array![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(
            breaks(x.view(), None, 5).unwrap(),
            vec![2.0, 4.0, 6.0, 8.0, 10.0]
        );
        let x = array![1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 4.0, f64::NAN];
        // 1 holds 2/3 of the weight: one bin, then the rest.
        let b = breaks(x.view(), None, 3).unwrap();
        assert_eq!(b, vec![1.0, 4.0]);
        assert_eq!(slot(1.0, &b), 0);
        assert_eq!(slot(1.5, &b), 1);
        assert_eq!(slot(99.0, &b), 1);
        assert_eq!(slot(-5.0, &b), 0);
        assert_eq!(slot(f64::NAN, &b), 2);
        let few = array![3.0, 3.0, 7.0];
        assert_eq!(breaks(few.view(), None, 10).unwrap(), vec![3.0, 7.0]);
        assert!(breaks(array![f64::NAN].view(), None, 10).is_none());
    }

    #[test]
    fn weights_shift_the_bins() {
        let x = array![1.0, 2.0, 3.0, 4.0];
        let w = [3.0, 1.0, 1.0, 1.0];
        assert_eq!(breaks(x.view(), Some(&w), 2).unwrap(), vec![1.0, 4.0]);
    }
}
