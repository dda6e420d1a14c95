//! Factor score weights W (scores = standardised data · W), as psych `factor.scores` computes
//! them: regression (Thurstone) W = R⁻¹ P Φ; Bartlett W = U⁻² P (Pᵀ U⁻² P)⁻¹ with
//! U² = 1 − diag(P Φ Pᵀ); ten Berge W = R^(−1/2) C Φ^(1/2) with L = P Φ^(1/2) and
//! C = R^(−1/2) L (Lᵀ R⁻¹ L)^(−1/2), whose scores have correlation matrix Φ.

use ndarray::{Array2, ArrayView2};

use super::dense::{inverse, sym_fn};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreMethod {
    Regression,
    Bartlett,
    TenBerge,
}

pub fn weights(
    r: ArrayView2<'_, f64>,
    pattern: ArrayView2<'_, f64>,
    phi: ArrayView2<'_, f64>,
    method: ScoreMethod,
) -> Result<Array2<f64>> {
    let singular = || Error::invalid("scores", "the matrices needed for the weights are singular");
    match method {
        ScoreMethod::Regression => {
            let rinv = sym_fn(r, |v| 1.0 / v)?;
            Ok(rinv.dot(&pattern.dot(&phi)))
        }
        ScoreMethod::Bartlett => {
            let p = pattern.nrows();
            let pp = pattern.dot(&phi).dot(&pattern.t());
            let mut w = pattern.to_owned();
            for i in 0..p {
                let u2 = 1.0 - pp[[i, i]];
                if u2 <= 0.0 {
                    return Err(Error::invalid(
                        "scores",
                        "Bartlett scores need every communality below 1 (Heywood case)",
                    ));
                }
                w.row_mut(i).mapv_inplace(|v| v / u2);
            }
            let m = pattern.t().dot(&w);
            let minv = inverse(m.view()).ok_or_else(singular)?;
            Ok(w.dot(&minv))
        }
        ScoreMethod::TenBerge => {
            let phi_half = sym_fn(phi, |v| v.max(0.0).sqrt())?;
            let l = pattern.dot(&phi_half);
            let r_half_inv = sym_fn(r, |v| 1.0 / v.sqrt())?;
            let rinv = sym_fn(r, |v| 1.0 / v)?;
            let inner = l.t().dot(&rinv).dot(&l);
            let inner_half_inv = sym_fn(inner.view(), |v| 1.0 / v.sqrt())?;
            let c = r_half_inv.dot(&l).dot(&inner_half_inv);
            Ok(r_half_inv.dot(&c).dot(&phi_half))
        }
    }
}
