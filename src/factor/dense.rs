//! Small dense helpers on `p × p` / `p × k` matrices: the symmetric eigenproblem (linfa-linalg's
//! Householder tridiagonalisation + implicit QL, accurate to a few ulps of the largest
//! eigenvalue), inverses and matrix square roots.

use linfa_linalg::eigh::{EigSort, Eigh};
use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::error::{Error, Result};

/// Eigenvalues (descending) and eigenvectors (columns) of a symmetric matrix.
pub fn eigh_desc(a: ArrayView2<'_, f64>) -> Result<(Array1<f64>, Array2<f64>)> {
    if a.iter().any(|v| !v.is_finite()) {
        return Err(Error::invalid(
            "X",
            "the correlation matrix has non-finite entries",
        ));
    }
    // Exact symmetry: average the triangles.
    let sym = (&a + &a.t()) * 0.5;
    let (vals, vecs) = sym
        .eigh()
        .map_err(|e| Error::invalid("X", format!("eigendecomposition failed: {e}")))?
        .sort_eig_desc();
    Ok((vals, vecs))
}

/// Eigenvalues only, descending.
pub fn eigvals_desc(a: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
    Ok(eigh_desc(a)?.0)
}

/// V f(Λ) Vᵀ for a symmetric matrix.
pub fn sym_fn(a: ArrayView2<'_, f64>, f: impl Fn(f64) -> f64) -> Result<Array2<f64>> {
    let (vals, vecs) = eigh_desc(a)?;
    let mut scaled = vecs.clone();
    for (mut col, &v) in scaled.axis_iter_mut(Axis(1)).zip(vals.iter()) {
        col *= f(v);
    }
    Ok(scaled.dot(&vecs.t()))
}

/// Inverse of a general square matrix by Gauss–Jordan elimination with partial pivoting;
/// `None` when (numerically) singular.
pub fn inverse(a: ArrayView2<'_, f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    let mut m = a.to_owned();
    let mut inv = Array2::<f64>::eye(n);
    let scale = a
        .iter()
        .fold(0.0f64, |s, v| s.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    for c in 0..n {
        let (piv, best) = (c..n)
            .map(|r| (r, m[[r, c]].abs()))
            .fold((c, -1.0), |acc, x| if x.1 > acc.1 { x } else { acc });
        if best <= scale * 1e-14 {
            return None;
        }
        if piv != c {
            for k in 0..n {
                m.swap([c, k], [piv, k]);
                inv.swap([c, k], [piv, k]);
            }
        }
        let d = m[[c, c]];
        for k in 0..n {
            m[[c, k]] /= d;
            inv[[c, k]] /= d;
        }
        for r in 0..n {
            if r != c {
                let f = m[[r, c]];
                if f != 0.0 {
                    for k in 0..n {
                        m[[r, k]] -= f * m[[c, k]];
                        inv[[r, k]] -= f * inv[[c, k]];
                    }
                }
            }
        }
    }
    Some(inv)
}

/// The orthogonal polar factor U Vᵀ of a square matrix X = U D Vᵀ, as X (XᵀX)^(-1/2).
pub fn polar(x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
    let xtx = x.t().dot(&x);
    let inv_sqrt = sym_fn(xtx.view(), |v| if v > 0.0 { 1.0 / v.sqrt() } else { 0.0 })?;
    Ok(x.dot(&inv_sqrt))
}

/// Singular values of a square matrix (√ of the eigenvalues of XᵀX).
pub fn singular_sum(x: ArrayView2<'_, f64>) -> Result<f64> {
    Ok(eigvals_desc(x.t().dot(&x).view())?
        .iter()
        .map(|v| v.max(0.0).sqrt())
        .sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn inverse_and_polar() {
        let a = array![[4.0, 1.0, 0.5], [0.2, 3.0, 0.1], [0.3, 0.7, 2.0]];
        let inv = inverse(a.view()).unwrap();
        let id = a.dot(&inv);
        for ((i, j), v) in id.indexed_iter() {
            assert!((v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
        }
        let q = polar(a.view()).unwrap();
        let qtq = q.t().dot(&q);
        for ((i, j), v) in qtq.indexed_iter() {
            assert!((v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
        }
    }
}
