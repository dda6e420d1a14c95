//! Sampling adequacy (Kaiser–Meyer–Olkin), Bartlett's test of sphericity and the fit
//! statistics of a factor model (χ², df, p, RMSEA, TLI, BIC as psych / factanal report them).

use ndarray::{Array1, Array2, ArrayView2};

use super::dense::{eigh_desc, sym_fn};
use super::model_df;
use crate::error::{Error, Result};
use crate::stats::dist::ln_chi2_sf;

#[derive(Debug, Clone)]
pub struct Kmo {
    pub overall: f64,
    pub per_item: Array1<f64>,
}

/// KMO = Σ r² / (Σ r² + Σ q²) over the off-diagonal pairs, q the partial correlations
/// −(R⁻¹)_jk / √((R⁻¹)_jj (R⁻¹)_kk); per item the same sums over its row.
pub fn kmo(r: ArrayView2<'_, f64>) -> Result<Kmo> {
    let p = r.nrows();
    let inv = sym_fn(r, |v| 1.0 / v)?;
    let mut per_item = Array1::zeros(p);
    let (mut tr, mut tq) = (0.0, 0.0);
    for j in 0..p {
        let (mut sr, mut sq) = (0.0, 0.0);
        for k in 0..p {
            if j == k {
                continue;
            }
            let q = -inv[[j, k]] / (inv[[j, j]] * inv[[k, k]]).sqrt();
            sr += r[[j, k]] * r[[j, k]];
            sq += q * q;
        }
        per_item[j] = sr / (sr + sq);
        tr += sr;
        tq += sq;
    }
    Ok(Kmo {
        overall: tr / (tr + tq),
        per_item,
    })
}

#[derive(Debug, Clone, Copy)]
pub struct Bartlett {
    pub chi2: f64,
    pub df: f64,
    pub p_value: f64,
}

/// χ² = −(n − 1 − (2p + 5)/6) ln|R| on p(p − 1)/2 df.
pub fn bartlett(r: ArrayView2<'_, f64>, n_obs: f64) -> Result<Bartlett> {
    let p = r.nrows() as f64;
    let (vals, _) = eigh_desc(r)?;
    if vals.iter().any(|v| *v <= 0.0) {
        return Err(Error::invalid("X", "the correlation matrix is singular"));
    }
    let logdet: f64 = vals.iter().map(|v| v.ln()).sum();
    let chi2 = -(n_obs - 1.0 - (2.0 * p + 5.0) / 6.0) * logdet;
    let df = p * (p - 1.0) / 2.0;
    Ok(Bartlett {
        chi2,
        df,
        p_value: ln_chi2_sf(chi2, df).exp(),
    })
}

#[derive(Debug, Clone, Copy)]
pub struct FitStats {
    pub objective: f64,
    pub chi2: f64,
    pub df: f64,
    pub p_value: f64,
    pub rmsea: f64,
    pub tli: f64,
    pub bic: f64,
}

/// Fit of the model LLᵀ + diag(1 − h²) to R with n observations: the ML discrepancy
/// tr(M⁻¹R) − ln|M⁻¹R| − p (or `objective`, factanal's optimum, when given), Bartlett's
/// corrected χ² = (n − 1 − (2p + 5)/6 − 2k/3)·F, RMSEA = √max((χ²/df − 1)/(n − 1), 0), TLI
/// against the independence model and BIC = χ² − df ln n (psych `factor.stats`).
pub fn fit_stats(
    r: ArrayView2<'_, f64>,
    l: &Array2<f64>,
    n_obs: f64,
    objective: Option<f64>,
) -> Result<FitStats> {
    let (p, k) = l.dim();
    let mut model = l.dot(&l.t());
    for j in 0..p {
        model[[j, j]] = r[[j, j]];
    }
    let f = match objective {
        Some(f) => f,
        None => {
            let minv = sym_fn(model.view(), |v| 1.0 / v)?;
            let m = minv.dot(&r);
            let tr: f64 = (0..p).map(|j| m[[j, j]]).sum();
            let ld_r: f64 = eigh_desc(r)?.0.iter().map(|v| v.ln()).sum();
            let ld_m: f64 = eigh_desc(model.view())?.0.iter().map(|v| v.ln()).sum();
            tr - (ld_r - ld_m) - p as f64
        }
    };
    let pf = p as f64;
    let kf = k as f64;
    let nm = n_obs - 1.0 - (2.0 * pf + 5.0) / 6.0 - 2.0 * kf / 3.0;
    let chi2 = f * nm;
    let df = model_df(p, k);
    let p_value = if df > 0.0 {
        ln_chi2_sf(chi2, df).exp()
    } else {
        f64::NAN
    };
    let rmsea = if df > 0.0 {
        ((chi2 / df - 1.0) / (n_obs - 1.0)).max(0.0).sqrt()
    } else {
        f64::NAN
    };
    let f0: f64 = -eigh_desc(r)?.0.iter().map(|v| v.ln()).sum::<f64>();
    let m0 = f0 * 2.0 / (pf * (pf - 1.0));
    let mm = f / (pf * (pf - 1.0) / 2.0 - pf * kf + kf * (kf - 1.0) / 2.0);
    let tli = (m0 - mm) / (m0 - 1.0 / nm);
    let bic = chi2 - df * n_obs.ln();
    Ok(FitStats {
        objective: f,
        chi2,
        df,
        p_value,
        rmsea,
        tli,
        bic,
    })
}
