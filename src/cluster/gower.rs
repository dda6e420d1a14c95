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

/// Gower distances between the rows of `x` and of `y` (n × m). `ranges`: per numeric column
/// (a zero range makes that column's differences 0, as in daisy); `weights`: per variable,
/// numeric columns first, then categorical.
pub fn gower<T: Element>(
    x: MixedRows<'_>,
    y: MixedRows<'_>,
    ranges: &[f64],
    weights: ArrayView1<'_, f64>,
) -> Result<Array2<T>> {
    let (p, q) = (x.numeric.ncols(), x.codes.ncols());
    if y.numeric.ncols() != p || y.codes.ncols() != q {
        return Err(Error::invalid("Y", "must have the same columns as X"));
    }
    if ranges.len() != p {
        return Err(Error::invalid(
            "ranges",
            "needs one entry per numeric column",
        ));
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
    if x.numeric
        .iter()
        .chain(y.numeric.iter())
        .any(|v| v.is_infinite())
    {
        return Err(Error::invalid("X", "contains inf"));
    }
    let m = y.n();
    // Feature-major copies of Y so the inner loop runs over contiguous memory.
    let ynum: Vec<Vec<f64>> = (0..p).map(|j| y.numeric.column(j).to_vec()).collect();
    let ycat: Vec<Vec<u32>> = (0..q).map(|j| y.codes.column(j).to_vec()).collect();
    let wn: Vec<f64> = weights.iter().take(p).copied().collect();
    let wc: Vec<f64> = weights.iter().skip(p).copied().collect();
    let scale: Vec<f64> = ranges
        .iter()
        .map(|&r| if r > 0.0 { 1.0 / r } else { 0.0 })
        .collect();
    let mut out = vec![T::default(); x.n() * m];
    if m == 0 {
        return Ok(Array2::from_shape_vec((x.n(), 0), out).expect("shape"));
    }
    fold_rows_mut(
        &mut out,
        m,
        |rows, o| {
            let mut num = vec![0.0; m];
            let mut den = vec![0.0; m];
            for (i, orow) in rows.zip(o.chunks_exact_mut(m)) {
                num.fill(0.0);
                den.fill(0.0);
                for j in 0..p {
                    let xv = x.numeric[[i, j]];
                    if xv.is_nan() || wn[j] == 0.0 {
                        continue;
                    }
                    let (w, s) = (wn[j], scale[j]);
                    for ((n, d), &yv) in num.iter_mut().zip(den.iter_mut()).zip(&ynum[j]) {
                        let present = !yv.is_nan();
                        let diff = if present { (xv - yv).abs() * s } else { 0.0 };
                        *n += w * diff;
                        *d += if present { w } else { 0.0 };
                    }
                }
                for j in 0..q {
                    let xv = x.codes[[i, j]];
                    if xv == MISSING_CODE || wc[j] == 0.0 {
                        continue;
                    }
                    let w = wc[j];
                    for ((n, d), &yv) in num.iter_mut().zip(den.iter_mut()).zip(&ycat[j]) {
                        if yv != MISSING_CODE {
                            *n += if yv != xv { w } else { 0.0 };
                            *d += w;
                        }
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
    let ys = y.as_standard_layout();
    let yv = ys.as_slice().expect("standard layout");
    let mut out = vec![T::default(); x.nrows() * m];
    if m == 0 {
        return Ok(Array2::from_shape_vec((x.nrows(), 0), out).expect("shape"));
    }
    fold_rows_mut(
        &mut out,
        m,
        |rows, o| {
            for (i, orow) in rows.zip(o.chunks_exact_mut(m)) {
                let xi = x.row(i).to_vec();
                for (dst, yj) in orow.iter_mut().zip(yv.chunks_exact(d)) {
                    let sq: f64 = xi.iter().zip(yj).map(|(a, b)| (a - b) * (a - b)).sum();
                    *dst = T::from_f64(sq.sqrt());
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
        let d: Array2<f64> = gower(rows, rows, &r, w.view()).unwrap();
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
        let d: Array2<f64> = gower(rows, rows, &r, w.view()).unwrap();
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
        let d: Array2<f64> = gower(rows, rows, &[1.0], Array1::ones(1).view()).unwrap();
        assert!(d[[0, 1]].is_nan());
    }

    #[test]
    fn euclidean_by_hand() {
        let x = array![[0.0, 0.0], [3.0, 4.0]];
        let d: Array2<f64> = euclidean(x.view(), x.view()).unwrap();
        assert_eq!(d, array![[0.0, 5.0], [5.0, 0.0]]);
    }
}
