//! Gower distances for mixed data (R `cluster::daisy` conventions) and Euclidean distance
//! matrices, computed in parallel row blocks.
//!
//! d(i, j) = Σ_k w_k δ_ijk d_ijk / Σ_k w_k δ_ijk with d_ijk = |x_ik − x_jk| / range_k for numeric
//! (and ordinal, as ranks) columns and 0 / 1 for equal / different categories; δ_ijk = 0 when
//! either value is missing (NaN or `MISSING_CODE`). A pair with no variable in common is NaN.

use ndarray::{Array2, ArrayView1, ArrayView2};

use crate::error::{Error, Result};
use crate::parallel::fold_rows_mut;
use crate::table::MISSING_CODE;

/// One side of a Gower computation: numeric block (NaN = missing) and categorical codes.
#[derive(Debug, Clone, Copy)]
pub struct MixedRows<'a> {
    pub numeric: ArrayView2<'a, f64>,
    pub codes: ArrayView2<'a, u32>,
}

impl MixedRows<'_> {
    fn n(&self) -> usize {
        self.numeric.nrows()
    }
}

/// Per-column range (max − min of the non-missing values) of one or two blocks together.
pub fn ranges(a: ArrayView2<'_, f64>, b: Option<ArrayView2<'_, f64>>) -> Vec<f64> {
    (0..a.ncols())
        .map(|j| {
            let mut lo = f64::INFINITY;
            let mut hi = f64::NEG_INFINITY;
            let cols = std::iter::once(a.column(j)).chain(b.as_ref().map(|b| b.column(j)));
            for col in cols {
                for &v in col.iter().filter(|v| !v.is_nan()) {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
            if hi > lo {
                hi - lo
            } else {
                0.0
            }
        })
        .collect()
}

/// The element type of a distance matrix: f64, or f32 to halve the memory (computed in f64).
pub trait Element: Copy + Default + Send + Sync {
    fn from_f64(v: f64) -> Self;
}
impl Element for f64 {
    fn from_f64(v: f64) -> Self {
        v
    }
}
impl Element for f32 {
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

/// A zero-filled vector of `len` values, or an error saying how much memory it needed: a size
/// that cannot be allocated is reported instead of aborting the process.
pub fn try_zeroed<T: Copy + Default>(len: usize, what: &str) -> Result<Vec<T>> {
    let bytes = (len as f64) * std::mem::size_of::<T>() as f64;
    let mut v: Vec<T> = Vec::new();
    v.try_reserve_exact(len).map_err(|_| {
        Error::invalid(
            what,
            format!(
                "needs {:.2} GiB of memory that could not be allocated",
                bytes / (1u64 << 30) as f64
            ),
        )
    })?;
    v.resize(len, T::default());
    Ok(v)
}

/// The per-pair Gower dissimilarity: per numeric column its range (and whether values are
/// halved before differencing, for columns whose range overflows f64), per variable its weight.
///
/// A numeric term is |x − y| / range (0 for a zero range, as in daisy); a range that is so
/// small that its reciprocal overflows (subnormal) is divided by instead of multiplied by the
/// reciprocal, so the term stays finite.
#[derive(Debug, Clone)]
pub struct GowerMetric {
    /// Multiplier applied to both values before differencing: 1, or 0.5 for halved columns.
    pub(crate) pre: Vec<f64>,
    /// 1 / range, or 0 for a zero range, or NaN when the division is made instead.
    pub(crate) inv: Vec<f64>,
    pub(crate) range: Vec<f64>,
    /// Weights of the numeric and of the categorical variables.
    pub(crate) wn: Vec<f64>,
    pub(crate) wc: Vec<f64>,
}

impl GowerMetric {
    /// `ranges` per numeric column (of the halved values where `halved`), `weights` per
    /// variable, numeric columns first; `q` categorical columns.
    pub fn new(
        ranges: &[f64],
        halved: &[bool],
        weights: ArrayView1<'_, f64>,
        q: usize,
    ) -> Result<Self> {
        let p = ranges.len();
        if halved.len() != p {
            return Err(Error::invalid(
                "halved",
                "needs one entry per numeric column",
            ));
        }
        if ranges.iter().any(|r| !r.is_finite() || *r < 0.0) {
            return Err(Error::invalid("ranges", "must be finite and non-negative"));
        }
        if weights.len() != p + q {
            return Err(Error::invalid(
                "weights",
                format!(
                    "needs {} entries (one per column), got {}",
                    p + q,
                    weights.len()
                ),
            ));
        }
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err(Error::invalid("weights", "must be finite and non-negative"));
        }
        let inv = ranges
            .iter()
            .map(|&r| {
                if r > 0.0 {
                    let s = 1.0 / r;
                    if s.is_finite() {
                        s
                    } else {
                        f64::NAN
                    }
                } else {
                    0.0
                }
            })
            .collect();
        Ok(GowerMetric {
            pre: halved.iter().map(|&h| if h { 0.5 } else { 1.0 }).collect(),
            inv,
            range: ranges.to_vec(),
            wn: weights.iter().take(p).copied().collect(),
            wc: weights.iter().skip(p).copied().collect(),
        })
    }

    pub fn n_numeric(&self) -> usize {
        self.wn.len()
    }

    pub fn n_codes(&self) -> usize {
        self.wc.len()
    }

    /// The scaled difference of column `j` (both values present).
    #[inline(always)]
    fn term(&self, j: usize, x: f64, y: f64) -> f64 {
        let pre = self.pre[j];
        let diff = (x * pre - y * pre).abs();
        let inv = self.inv[j];
        if inv.is_nan() {
            diff / self.range[j]
        } else {
            diff * inv
        }
    }

    /// The dissimilarity of two rows (numeric values with NaN = missing, codes with
    /// `MISSING_CODE` = missing); NaN when they share no variable.
    #[inline]
    pub fn pair(&self, xn: &[f64], xc: &[u32], yn: &[f64], yc: &[u32]) -> f64 {
        let (mut num, mut den) = (0.0, 0.0);
        for (j, (&xv, &yv)) in xn.iter().zip(yn).enumerate() {
            let w = self.wn[j];
            if xv.is_nan() || w == 0.0 {
                continue;
            }
            if !yv.is_nan() {
                num += w * self.term(j, xv, yv);
                den += w;
            }
        }
        for (j, (&xv, &yv)) in xc.iter().zip(yc).enumerate() {
            let w = self.wc[j];
            if xv == MISSING_CODE || w == 0.0 {
                continue;
            }
            if yv != MISSING_CODE {
                num += if yv != xv { w } else { 0.0 };
                den += w;
            }
        }
        if den > 0.0 {
            num / den
        } else {
            f64::NAN
        }
    }
}

/// The Euclidean distance of two rows (exact differences, no norm trick).
#[inline]
pub fn euclidean_pair(x: &[f64], y: &[f64]) -> f64 {
    let sq: f64 = x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum();
    sq.sqrt()
}

/// Gower distances between the rows of `x` and of `y` (n × m), per pair as
/// [`GowerMetric::pair`] (the same sums in the same order, so the same bits).
pub fn gower<T: Element>(
    x: MixedRows<'_>,
    y: MixedRows<'_>,
    metric: &GowerMetric,
) -> Result<Array2<T>> {
    let (p, q) = (metric.n_numeric(), metric.n_codes());
    if x.numeric.ncols() != p || x.codes.ncols() != q {
        return Err(Error::invalid(
            "X",
            "must have one range per numeric column and one weight per column",
        ));
    }
    if y.numeric.ncols() != p || y.codes.ncols() != q {
        return Err(Error::invalid("Y", "must have the same columns as X"));
    }
    if x.numeric
        .iter()
        .chain(y.numeric.iter())
        .any(|v| v.is_infinite())
    {
        return Err(Error::invalid("X", "contains inf"));
    }
    let m = y.n();
    let len = x
        .n()
        .checked_mul(m)
        .ok_or_else(|| Error::invalid("max_memory", "the distance matrix is too large"))?;
    let mut out = try_zeroed::<T>(len, "max_memory")?;
    if m == 0 {
        return Ok(Array2::from_shape_vec((x.n(), 0), out).expect("shape"));
    }
    // Feature-major copies of Y so the inner loop runs over contiguous memory.
    let ynum: Vec<Vec<f64>> = (0..p).map(|j| y.numeric.column(j).to_vec()).collect();
    let ycat: Vec<Vec<u32>> = (0..q).map(|j| y.codes.column(j).to_vec()).collect();
    fold_rows_mut(
        &mut out,
        m,
        |rows, o| {
            let mut num = vec![0.0; m];
            let mut den = vec![0.0; m];
            for (i, orow) in rows.zip(o.chunks_exact_mut(m)) {
                num.fill(0.0);
                den.fill(0.0);
                for (j, ycol) in ynum.iter().enumerate() {
                    let xv = x.numeric[[i, j]];
                    let w = metric.wn[j];
                    if xv.is_nan() || w == 0.0 {
                        continue;
                    }
                    // The terms of GowerMetric::term, with the per-column choices hoisted out
                    // of the loop (and an absent term adding +0.0, which changes no sum).
                    let (pre, inv, range) = (metric.pre[j], metric.inv[j], metric.range[j]);
                    let xp = xv * pre;
                    if inv.is_nan() {
                        for ((n, d), &yv) in num.iter_mut().zip(den.iter_mut()).zip(ycol) {
                            if !yv.is_nan() {
                                *n += w * ((xp - yv * pre).abs() / range);
                                *d += w;
                            }
                        }
                    } else {
                        for ((n, d), &yv) in num.iter_mut().zip(den.iter_mut()).zip(ycol) {
                            let term = w * ((xp - yv * pre).abs() * inv);
                            let present = !yv.is_nan();
                            *n += if present { term } else { 0.0 };
                            *d += if present { w } else { 0.0 };
                        }
                    }
                }
                for (j, ycol) in ycat.iter().enumerate() {
                    let xv = x.codes[[i, j]];
                    let w = metric.wc[j];
                    if xv == MISSING_CODE || w == 0.0 {
                        continue;
                    }
                    for ((n, d), &yv) in num.iter_mut().zip(den.iter_mut()).zip(ycol) {
                        let present = yv != MISSING_CODE;
                        *n += if present && yv != xv { w } else { 0.0 };
                        *d += if present { w } else { 0.0 };
                    }
                }
                for ((dst, &n), &d) in orow.iter_mut().zip(&num).zip(&den) {
                    *dst = T::from_f64(if d > 0.0 { n / d } else { f64::NAN });
                }
            }
        },
        |_, _| (),
    );
    Ok(Array2::from_shape_vec((x.n(), m), out).expect("n × m"))
}

/// Euclidean distances between the rows of `x` and `y` (exact differences, no norm trick).
pub fn euclidean<T: Element>(x: ArrayView2<'_, f64>, y: ArrayView2<'_, f64>) -> Result<Array2<T>> {
    let d = x.ncols();
    if y.ncols() != d {
        return Err(Error::invalid(
            "Y",
            "must have the same number of columns as X",
        ));
    }
    let m = y.nrows();
    let len = x
        .nrows()
        .checked_mul(m)
        .ok_or_else(|| Error::invalid("max_memory", "the distance matrix is too large"))?;
    let mut out = try_zeroed::<T>(len, "max_memory")?;
    if m == 0 {
        return Ok(Array2::from_shape_vec((x.nrows(), 0), out).expect("shape"));
    }
    let ys = y.as_standard_layout();
    let yv = ys.as_slice().expect("standard layout");
    fold_rows_mut(
        &mut out,
        m,
        |rows, o| {
            for (i, orow) in rows.zip(o.chunks_exact_mut(m)) {
                let xi = x.row(i).to_vec();
                // With no columns every distance is 0 (the zeroed output).
                for (dst, yj) in orow.iter_mut().zip(yv.chunks_exact(d.max(1))) {
                    *dst = T::from_f64(euclidean_pair(&xi, yj));
                }
            }
        },
        |_, _| (),
    );
    Ok(Array2::from_shape_vec((x.nrows(), m), out).expect("n × m"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1};

    fn metric(r: &[f64], w: &Array1<f64>, q: usize) -> GowerMetric {
        GowerMetric::new(r, &vec![false; r.len()], w.view(), q).unwrap()
    }

    #[test]
    fn gower_by_hand_with_missing_values() {
        // Two numeric columns (ranges 10 and 4) and one categorical.
        let num = array![[0.0, 1.0], [10.0, f64::NAN], [5.0, 5.0]];
        let cat = array![[0u32], [1], [MISSING_CODE]];
        let rows = MixedRows {
            numeric: num.view(),
            codes: cat.view(),
        };
        let r = ranges(num.view(), None);
        assert_eq!(r, vec![10.0, 4.0]);
        let w = Array1::ones(3);
        let d: Array2<f64> = gower(rows, rows, &metric(&r, &w, 1)).unwrap();
        // (0,1): numeric 1 only (second missing): 10/10 = 1; categorical mismatch 1 → 2/2.
        assert!((d[[0, 1]] - 1.0).abs() < 1e-15);
        // (0,2): 5/10 + 4/4 = 1.5 over 2 variables (categorical missing).
        assert!((d[[0, 2]] - 0.75).abs() < 1e-15);
        // (1,2): only the first numeric: 5/10.
        assert!((d[[1, 2]] - 0.5).abs() < 1e-15);
        assert_eq!(d[[1, 1]], 0.0);
        assert_eq!(d[[0, 1]], d[[1, 0]]);
        // Weights: the first numeric counts twice, the categorical 3 times. Every pair mixes
        // components that differ, so the weights change each distance that has two of them.
        let w = array![2.0, 1.0, 3.0];
        let d: Array2<f64> = gower(rows, rows, &metric(&r, &w, 1)).unwrap();
        // (0,1): 2·1 (numeric) + 3·1 (categorical) over 2 + 3 = 1 (both components are 1).
        assert!((d[[0, 1]] - 1.0).abs() < 1e-15);
        // (0,2): (2·0.5 + 1·1) / (2 + 1) = 2/3 (unweighted: 0.75).
        assert!((d[[0, 2]] - 2.0 / 3.0).abs() < 1e-15);
        // (1,2): only the first numeric: (2·0.5) / 2 = 0.5.
        assert!((d[[1, 2]] - 0.5).abs() < 1e-15);
    }

    #[test]
    fn no_common_variable_is_nan() {
        let num = array![[f64::NAN], [1.0]];
        let cat = ndarray::Array2::<u32>::zeros((2, 0));
        let rows = MixedRows {
            numeric: num.view(),
            codes: cat.view(),
        };
        let d: Array2<f64> = gower(rows, rows, &metric(&[1.0], &Array1::ones(1), 0)).unwrap();
        assert!(d[[0, 1]].is_nan());
    }

    #[test]
    fn euclidean_by_hand() {
        let x = array![[0.0, 0.0], [3.0, 4.0]];
        let d: Array2<f64> = euclidean(x.view(), x.view()).unwrap();
        assert_eq!(d, array![[0.0, 5.0], [5.0, 0.0]]);
    }
}

#[cfg(test)]
mod extreme_tests {
    use super::*;
    use ndarray::{array, Array1};

    #[test]
    fn subnormal_and_huge_ranges_stay_finite() {
        // range 5e-324: 1 / range overflows, the term is divided instead: |5e-324 − 0| / 5e-324 = 1.
        let num = array![[5e-324], [0.0]];
        let cat = Array2::<u32>::zeros((2, 0));
        let rows = MixedRows {
            numeric: num.view(),
            codes: cat.view(),
        };
        let m = GowerMetric::new(
            &ranges(num.view(), None),
            &[false],
            Array1::ones(1).view(),
            0,
        )
        .unwrap();
        let d: Array2<f64> = gower(rows, rows, &m).unwrap();
        assert_eq!(d, array![[0.0, 1.0], [1.0, 0.0]]);
        // values ±1e308: the halved range is 1e308; (1e308/2 − (−1e308/2)) / 1e308 = 1.
        let num = array![[1e308], [-1e308], [0.0]];
        let cat = Array2::<u32>::zeros((3, 0));
        let rows = MixedRows {
            numeric: num.view(),
            codes: cat.view(),
        };
        let m = GowerMetric::new(&[1e308], &[true], Array1::ones(1).view(), 0).unwrap();
        let d: Array2<f64> = gower(rows, rows, &m).unwrap();
        // (times the reciprocal of the range: 1 ulp)
        assert!((d[[0, 1]] - 1.0).abs() < 1e-15);
        assert!((d[[0, 2]] - 0.5).abs() < 1e-15);
        assert!(GowerMetric::new(&[f64::INFINITY], &[false], Array1::ones(1).view(), 0).is_err());
    }

    #[test]
    fn impossible_allocation_is_an_error() {
        let e = try_zeroed::<f64>(usize::MAX / 16, "max_memory").unwrap_err();
        assert!(e.to_string().contains("GiB"), "{e}");
    }
}
