//! The encoded table every algorithm consumes, and the validation all of them share.
//!
//! The Python layer turns a data frame into a numeric block (f64, NaN = missing), a block of
//! categorical codes (u32, [`MISSING_CODE`] = missing) with the number of levels per column, and
//! optional non-negative weights. Rust never sees labels or names: errors name columns by position
//! and the Python layer puts the name back.

use ndarray::{ArrayView1, ArrayView2, Axis};

use crate::error::{Error, Result};

/// The code reserved for a missing categorical value.
pub const MISSING_CODE: u32 = u32::MAX;

/// A borrowed, validated table: `n` rows, numeric and categorical columns side by side.
#[derive(Debug, Clone)]
pub struct Table<'a> {
    pub numeric: ArrayView2<'a, f64>,
    pub codes: ArrayView2<'a, u32>,
    pub n_levels: &'a [u32],
    pub weights: Option<ArrayView1<'a, f64>>,
    /// Unweighted moments of the numeric columns (missing values skipped), computed by the
    /// validation pass.
    pub moments: Moments,
}

/// Per-column count, mean and sum of squared deviations of the non-missing values.
#[derive(Debug, Clone, PartialEq)]
pub struct Moments {
    pub count: Vec<f64>,
    pub mean: Vec<f64>,
    pub m2: Vec<f64>,
}

impl Moments {
    /// Population variance (divides by the count) per column.
    pub fn variance(&self) -> Vec<f64> {
        self.m2
            .iter()
            .zip(&self.count)
            .map(|(m2, c)| m2 / c)
            .collect()
    }

    /// Chan et al.'s pairwise update: the moments of the union of two disjoint row sets.
    fn merge(self, b: Moments) -> Moments {
        let Moments {
            mut count,
            mut mean,
            mut m2,
        } = self;
        for j in 0..count.len() {
            let total = count[j] + b.count[j];
            if b.count[j] == 0.0 {
                continue;
            }
            let delta = b.mean[j] - mean[j];
            mean[j] += delta * b.count[j] / total;
            m2[j] += b.m2[j] + delta * delta * count[j] * b.count[j] / total;
            count[j] = total;
        }
        Moments { count, mean, m2 }
    }

    /// One parallel pass over a row-major block (missing values, NaN, are skipped).
    pub fn of(x: ArrayView2<'_, f64>) -> Moments {
        let d = x.ncols();
        let chunk = |rows: std::ops::Range<usize>| {
            let mut count = vec![0.0; d];
            let mut sum = vec![0.0; d];
            for i in rows.clone() {
                for ((c, s), &v) in count.iter_mut().zip(&mut sum).zip(x.row(i)) {
                    let present = !v.is_nan();
                    *c += f64::from(u8::from(present));
                    *s += if present { v } else { 0.0 };
                }
            }
            let mean: Vec<f64> = sum
                .iter()
                .zip(&count)
                .map(|(s, c)| if *c > 0.0 { s / c } else { 0.0 })
                .collect();
            let mut m2 = vec![0.0; d];
            for i in rows {
                for ((m, &v), mu) in m2.iter_mut().zip(x.row(i)).zip(&mean) {
                    if !v.is_nan() {
                        *m += (v - mu) * (v - mu);
                    }
                }
            }
            Moments { count, mean, m2 }
        };
        crate::parallel::fold_rows(x.nrows(), chunk, Moments::merge)
    }
}

/// What a table may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// NaN (numeric) and [`MISSING_CODE`] (categorical) are errors.
    Forbid,
    /// Missing values are data the algorithm handles itself.
    Allow,
}

impl<'a> Table<'a> {
    /// Checks shapes, values and weights once, so the algorithms can trust them.
    /// Views of different lifetimes are accepted (ndarray views are invariant) and re-borrowed.
    pub fn new<'x: 'a, 'c: 'a, 'w: 'a>(
        numeric: ArrayView2<'x, f64>,
        codes: ArrayView2<'c, u32>,
        n_levels: &'a [u32],
        weights: Option<ArrayView1<'w, f64>>,
        missing: Missing,
    ) -> Result<Self> {
        let (numeric, codes) = (numeric.reborrow(), codes.reborrow());
        let weights = weights.map(|w| w.reborrow());
        let n = numeric.nrows();
        if codes.nrows() != n {
            return Err(Error::invalid(
                "codes",
                format!("has {} rows, the numeric block {n}", codes.nrows()),
            ));
        }
        if n_levels.len() != codes.ncols() {
            return Err(Error::invalid(
                "n_levels",
                format!(
                    "has {} entries for {} columns",
                    n_levels.len(),
                    codes.ncols()
                ),
            ));
        }
        if n == 0 {
            return Err(Error::invalid("X", "has no rows (n_samples=0)"));
        }
        if numeric.ncols() + codes.ncols() == 0 {
            return Err(Error::invalid(
                "X",
                format!("0 feature(s) (shape=({n}, 0)) while a minimum of 1 is required."),
            ));
        }
        // Any NaN / inf makes a sum non-finite: the cheap moments pass doubles as the check.
        let moments = Moments::of(numeric);
        let n_f = n as f64;
        let suspicious = moments
            .mean
            .iter()
            .chain(&moments.m2)
            .any(|v| !v.is_finite())
            || (missing == Missing::Forbid && moments.count.iter().any(|&c| c < n_f));
        if suspicious {
            check_numeric(numeric, missing)?;
        }
        for (j, (col, &levels)) in codes.axis_iter(Axis(1)).zip(n_levels).enumerate() {
            let bad = col
                .iter()
                .find(|&&c| c >= levels && !(c == MISSING_CODE && missing == Missing::Allow));
            if let Some(&c) = bad {
                let why = if c == MISSING_CODE {
                    "contains missing values".to_string()
                } else {
                    format!("code {c} is outside 0..{levels}")
                };
                return Err(Error::invalid(format!("categorical column {j}"), why));
            }
        }
        if let Some(w) = weights {
            check_weights(w, n)?;
        }
        Ok(Table {
            numeric,
            codes,
            n_levels,
            weights,
            moments,
        })
    }

    /// A table of numeric columns only.
    pub fn numeric<'x: 'a, 'w: 'a>(
        numeric: ArrayView2<'x, f64>,
        weights: Option<ArrayView1<'w, f64>>,
        missing: Missing,
    ) -> Result<Self> {
        Self::new(
            numeric,
            ArrayView2::from_shape((numeric.nrows(), 0), &[]).expect("empty view"),
            &[],
            weights,
            missing,
        )
    }

    pub fn n_rows(&self) -> usize {
        self.numeric.nrows()
    }

    /// Total weight (the row count when unweighted).
    pub fn total_weight(&self) -> f64 {
        self.weights.map_or(self.n_rows() as f64, |w| w.sum())
    }
}

/// Rejects infinite values always, NaN unless missing values are allowed; names the first bad
/// column. (Values too large for their sum to be finite are accepted.)
pub fn check_numeric(x: ArrayView2<'_, f64>, missing: Missing) -> Result<()> {
    let bad = |v: f64| v.is_infinite() || (v.is_nan() && missing == Missing::Forbid);
    // One pass in memory order first (a column-by-column scan of a row-major block reads every
    // cache line once per column); the column is looked for only when something is bad. The
    // folds over blocks of 1,024 values have no early exit, so they vectorise.
    let any_bad = |values: &[f64]| {
        values.chunks(1024).any(|c| match missing {
            Missing::Forbid => c.iter().fold(false, |a, v| a | !v.is_finite()),
            Missing::Allow => c.iter().fold(false, |a, v| a | v.is_infinite()),
        })
    };
    let suspect = match x.as_slice_memory_order() {
        Some(values) => any_bad(values),
        None => x.rows().into_iter().any(|row| row.iter().any(|&v| bad(v))),
    };
    if !suspect {
        return Ok(());
    }
    let Some(j) = (0..x.ncols()).find(|&j| x.column(j).iter().any(|&v| bad(v))) else {
        return Ok(());
    };
    let col = x.column(j);
    let nan = col.iter().filter(|v| v.is_nan()).count();
    let inf = col.iter().filter(|v| v.is_infinite()).count();
    Err(Error::invalid(
        format!("numeric column {j}"),
        format!("contains {nan} NaN and {inf} inf values"),
    ))
}

/// The largest magnitude of each column's finite values (0 for a column with none): one
/// parallel pass over a row-major block (columns are read directly when the block is
/// column-major). A maximum does not depend on the order of the rows, so neither does the result.
pub fn finite_abs_max(x: ArrayView2<'_, f64>) -> Vec<f64> {
    use rayon::prelude::*;
    // NaN and ±inf fail `a <= f64::MAX` and count as 0; the selects vectorise.
    let finite = |v: f64| {
        let a = v.abs();
        if a <= f64::MAX {
            a
        } else {
            0.0
        }
    };
    let d = x.ncols();
    if d == 0 || x.nrows() == 0 {
        return vec![0.0; d];
    }
    if !x.is_standard_layout() && x.t().is_standard_layout() {
        let columns: Vec<ArrayView1<'_, f64>> = x.axis_iter(Axis(1)).collect();
        return columns
            .into_par_iter()
            .map(|c| {
                c.iter()
                    .map(|&v| finite(v))
                    .fold(0.0, |m, a| if a > m { a } else { m })
            })
            .collect();
    }
    let chunk = |rows: std::ops::Range<usize>| {
        let mut top = vec![0.0; d];
        for row in x.slice(ndarray::s![rows, ..]).outer_iter() {
            for (t, &v) in top.iter_mut().zip(row) {
                let a = finite(v);
                if a > *t {
                    *t = a;
                }
            }
        }
        top
    };
    crate::parallel::fold_rows(x.nrows(), chunk, |a: Vec<f64>, b: Vec<f64>| {
        a.iter()
            .zip(&b)
            .map(|(&p, &q)| if q > p { q } else { p })
            .collect()
    })
}

/// Weights: one per row, finite, non-negative, with a positive sum.
pub fn check_weights(w: ArrayView1<'_, f64>, n: usize) -> Result<()> {
    if w.len() != n {
        return Err(Error::invalid(
            "sample_weight",
            format!("has {} entries for {n} rows", w.len()),
        ));
    }
    if let Some(v) = w.iter().find(|v| !v.is_finite() || **v < 0.0) {
        return Err(Error::invalid(
            "sample_weight",
            format!("must be finite and non-negative, found {v}"),
        ));
    }
    if w.sum() <= 0.0 {
        return Err(Error::invalid("sample_weight", "sums to zero"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn finite_abs_max_skips_nan_and_inf_in_either_layout() {
        // 3,000 rows span three 1,024-row chunks.
        let n = 3000;
        let x = Array2::from_shape_fn((n, 3), |(i, j)| match (i % 5, j) {
            (0, 1) => f64::NAN,
            (1, 1) => f64::NEG_INFINITY,
            (_, 2) => f64::INFINITY,
            _ => (i as f64 - 2500.0) * (j as f64 + 1.0),
        });
        // Column 1: rows 0 and 1 (mod 5) are NaN / -inf, so its largest finite magnitude is at row 2.
        let expected = vec![2500.0, 2.0 * 2498.0, 0.0];
        assert_eq!(finite_abs_max(x.view()), expected);
        let fortran = x.t().as_standard_layout().into_owned().reversed_axes();
        assert!(!fortran.is_standard_layout());
        assert_eq!(finite_abs_max(fortran.view()), expected);
        assert_eq!(finite_abs_max(x.slice(ndarray::s![..0, ..])), vec![0.0; 3]);
    }

    #[test]
    fn accepts_a_clean_mixed_table() {
        let x = array![[1.0, 2.0], [3.0, 4.0]];
        let c = array![[0u32], [1]];
        let t = Table::new(x.view(), c.view(), &[2], None, Missing::Forbid).unwrap();
        assert_eq!(t.n_rows(), 2);
        assert_eq!(t.total_weight(), 2.0);
    }

    #[test]
    fn check_numeric_finds_the_column_in_any_layout() {
        // 3,000 × 4 values: column 2 holds one NaN and column 3 one inf, deep in the block.
        let mut x = Array2::from_shape_fn((3000, 4), |(i, j)| (i * 4 + j) as f64);
        let fortran = |a: &Array2<f64>| a.t().as_standard_layout().into_owned().reversed_axes();
        for layout in 0..3 {
            let view = |a: &Array2<f64>| match layout {
                0 => a.clone(),
                1 => fortran(a),
                _ => a.slice(ndarray::s![..;2, ..]).to_owned(),
            };
            let clean = view(&x);
            assert!(check_numeric(clean.view(), Missing::Forbid).is_ok());
            assert!(check_numeric(clean.slice(ndarray::s![.., 1..]), Missing::Forbid).is_ok());
            let mut dirty = x.clone();
            dirty[[2468, 2]] = f64::NAN;
            dirty[[2470, 3]] = f64::INFINITY;
            let dirty = view(&dirty);
            // NaN: an error unless missing values are allowed; inf: always, in its own column.
            let err = check_numeric(dirty.view(), Missing::Forbid).unwrap_err();
            assert_eq!(
                err,
                Error::invalid("numeric column 2", "contains 1 NaN and 0 inf values")
            );
            let err = check_numeric(dirty.view(), Missing::Allow).unwrap_err();
            assert_eq!(
                err,
                Error::invalid("numeric column 3", "contains 0 NaN and 1 inf values")
            );
            // A strided view that skips the bad columns is clean.
            assert!(check_numeric(dirty.slice(ndarray::s![.., ..2]), Missing::Forbid).is_ok());
        }
        x[[0, 0]] = f64::NEG_INFINITY;
        assert!(check_numeric(x.view(), Missing::Allow).is_err());
    }

    #[test]
    fn names_the_column_with_nan_or_inf() {
        let x = array![[1.0, f64::NAN], [3.0, 4.0]];
        let err = Table::numeric(x.view(), None, Missing::Forbid).unwrap_err();
        assert_eq!(
            err,
            Error::invalid("numeric column 1", "contains 1 NaN and 0 inf values")
        );
        assert!(Table::numeric(x.view(), None, Missing::Allow).is_ok());
        let y = array![[f64::INFINITY, 1.0]];
        assert!(Table::numeric(y.view(), None, Missing::Allow).is_err());
    }

    #[test]
    fn moments_match_two_pass_formulas_and_skip_missing() {
        let n = 3000;
        let x = Array2::from_shape_fn((n, 2), |(i, j)| {
            if j == 1 && i % 7 == 0 {
                f64::NAN
            } else {
                ((i * 37 + j * 11) % 101) as f64 + 1e6
            }
        });
        let m = Table::numeric(x.view(), None, Missing::Allow)
            .unwrap()
            .moments;
        for j in 0..2 {
            let vals: Vec<f64> = x
                .column(j)
                .iter()
                .copied()
                .filter(|v| !v.is_nan())
                .collect();
            let mean = vals.iter().sum::<f64>() / vals.len() as f64;
            let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / vals.len() as f64;
            assert_eq!(m.count[j], vals.len() as f64);
            assert!((m.mean[j] - mean).abs() < 1e-9 * mean);
            assert!((m.variance()[j] - var).abs() < 1e-9 * var);
        }
        let huge = array![[1e308], [1e308]];
        assert!(Table::numeric(huge.view(), None, Missing::Forbid).is_ok());
    }

    #[test]
    fn rejects_codes_out_of_range_and_missing_codes() {
        let x = Array2::<f64>::zeros((2, 0));
        let c = array![[0u32], [MISSING_CODE]];
        assert!(Table::new(x.view(), c.view(), &[2], None, Missing::Forbid).is_err());
        assert!(Table::new(x.view(), c.view(), &[2], None, Missing::Allow).is_ok());
        let c = array![[0u32], [2]];
        assert!(Table::new(x.view(), c.view(), &[2], None, Missing::Allow).is_err());
    }

    #[test]
    fn rejects_bad_weights_and_empty_tables() {
        let x = array![[1.0], [2.0]];
        let w = array![1.0, -1.0];
        assert!(Table::numeric(x.view(), Some(w.view()), Missing::Forbid).is_err());
        let w = array![0.0, 0.0];
        assert!(Table::numeric(x.view(), Some(w.view()), Missing::Forbid).is_err());
        let w = array![1.0];
        assert!(Table::numeric(x.view(), Some(w.view()), Missing::Forbid).is_err());
        let e = Array2::<f64>::zeros((0, 3));
        assert!(Table::numeric(e.view(), None, Missing::Forbid).is_err());
        let e = Array2::<f64>::zeros((12, 0));
        let err = Table::numeric(e.view(), None, Missing::Forbid).unwrap_err();
        assert!(err.to_string().contains("0 feature(s) (shape=(12, 0))"));
    }
}
