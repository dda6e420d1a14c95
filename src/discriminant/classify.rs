//! Classification: posterior probabilities from Fisher's classification functions, and
//! leave-one-out classification without refitting.
//!
//! Leaving row x of class c out changes only the class mean m_c and the within-group scatter:
//! m_c′ = (n_c m_c − x)/(n_c − 1), W′ = W − k u u′ with u = x − m_c, k = n_c/(n_c − 1). With
//! W = L L′, y = L⁻¹x, μ_h = L⁻¹m_h and a_h = ‖y − μ_h‖², Sherman–Morrison gives the Mahalanobis
//! distances under W′ in O(p² + g p) per row:
//! (x − m_h)′W′⁻¹(x − m_h) = a_h + k ((y − μ_c)·(y − μ_h))² / (1 − k a_c) for h ≠ c and
//! k² a_c / (1 − k a_c) for the own class; the pooled covariance is W′/(n − 1 − g). Priors are kept.

#![allow(clippy::needless_range_loop)]

use ndarray::{Array2, ArrayView1, ArrayView2};

use super::canonical::sub;
use super::ClassStats;
use crate::error::{Error, Result};
use crate::linalg;
use crate::parallel::fold_rows_mut;

fn rows_of<'a>(x: &'a ArrayView2<f64>, owned: &'a mut Option<Array2<f64>>) -> &'a [f64] {
    if let Some(s) = x.as_slice() {
        return s;
    }
    *owned = Some(x.as_standard_layout().to_owned());
    owned.as_ref().and_then(|a| a.as_slice()).unwrap_or(&[])
}

/// Scores of one row: intercept + coefᵀ x (coef given transposed, g × p row-major).
#[inline]
fn scores(row: &[f64], coef_t: &[f64], intercept: &[f64], out: &mut [f64]) {
    let p = row.len();
    for (h, o) in out.iter_mut().enumerate() {
        *o = intercept[h] + linalg::dot(row, &coef_t[h * p..(h + 1) * p]);
    }
}

fn check(x: &ArrayView2<f64>, coef: &Array2<f64>, intercept: &[f64]) -> Result<()> {
    if coef.nrows() != x.ncols() || coef.ncols() != intercept.len() {
        return Err(Error::invalid(
            "X",
            format!(
                "has {} columns, the model {} (with {} classes)",
                x.ncols(),
                coef.nrows(),
                intercept.len()
            ),
        ));
    }
    Ok(())
}

fn transposed(coef: &Array2<f64>) -> Vec<f64> {
    coef.t().iter().copied().collect()
}

/// Posterior probabilities (n × g) of the classes from the classification functions
/// `coef` (p × g) and `intercept` (g, with ln prior).
pub fn proba(x: ArrayView2<f64>, coef: &Array2<f64>, intercept: &[f64]) -> Result<Array2<f64>> {
    check(&x, coef, intercept)?;
    let (n, p) = x.dim();
    let g = intercept.len();
    let mut owned = None;
    let xs = rows_of(&x, &mut owned);
    let ct = transposed(coef);
    let mut out = crate::parallel::zeroed::<f64>(n * g);
    if n > 0 {
        fold_rows_mut(
            &mut out,
            g,
            |rows, o| {
                for (i, dst) in rows.zip(o.chunks_exact_mut(g)) {
                    scores(&xs[i * p..(i + 1) * p], &ct, intercept, dst);
                    let mx = dst.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let mut sum = 0.0;
                    for v in dst.iter_mut() {
                        *v = (*v - mx).exp();
                        sum += *v;
                    }
                    let inv = 1.0 / sum;
                    dst.iter_mut().for_each(|v| *v *= inv);
                }
            },
            |_, _| (),
        );
    }
    Array2::from_shape_vec((n, g), out).map_err(|e| Error::invalid("X", e.to_string()))
}

fn argmax(v: &[f64]) -> u32 {
    let mut best = 0;
    for (h, &s) in v.iter().enumerate() {
        if s > v[best] {
            best = h;
        }
    }
    best as u32
}

/// The class with the largest classification function value for each row.
pub fn predict(x: ArrayView2<f64>, coef: &Array2<f64>, intercept: &[f64]) -> Result<Vec<u32>> {
    check(&x, coef, intercept)?;
    let (n, p) = x.dim();
    let g = intercept.len();
    let mut owned = None;
    let xs = rows_of(&x, &mut owned);
    let ct = transposed(coef);
    let mut out = vec![0u32; n];
    if n > 0 {
        fold_rows_mut(
            &mut out,
            1,
            |rows, o| {
                let mut sc = vec![0.0; g];
                for (i, dst) in rows.zip(o.iter_mut()) {
                    scores(&xs[i * p..(i + 1) * p], &ct, intercept, &mut sc);
                    *dst = argmax(&sc);
                }
            },
            |_, _| (),
        );
    }
    Ok(out)
}

/// Leave-one-out classification of every row on the variables `sel` (see the module docs).
pub fn leave_one_out(
    x: ArrayView2<f64>,
    labels: ArrayView1<u32>,
    stats: &ClassStats,
    w: &Array2<f64>,
    sel: &[usize],
    priors: &[f64],
) -> Result<Vec<u32>> {
    let (n, p) = x.dim();
    let s = sel.len();
    let g = stats.counts.len();
    let l = linalg::cholesky(&sub(w, sel), s)
        .map_err(|_| Error::invalid("X", "the within-group scatter is singular"))?;
    let li = linalg::lower_inverse(&l, s);
    let whiten = |v: &[f64], out: &mut [f64]| {
        for i in 0..s {
            out[i] = linalg::dot(&li[i * s..i * s + i + 1], &v[..i + 1]);
        }
    };
    let mut mu = vec![0.0; g * s];
    for c in 0..g {
        let m: Vec<f64> = sel.iter().map(|&j| stats.means[[c, j]]).collect();
        whiten(&m, &mut mu[c * s..(c + 1) * s]);
    }
    let ln_prior: Vec<f64> = priors.iter().map(|p| p.ln()).collect();
    let dfe = n as f64 - 1.0 - g as f64;
    let mut owned = None;
    let xs = rows_of(&x, &mut owned);
    let labels = labels.to_vec();
    let mut out = vec![0u32; n];
    fold_rows_mut(
        &mut out,
        1,
        |rows, o| {
            let (mut xv, mut y) = (vec![0.0; s], vec![0.0; s]);
            let mut sc = vec![0.0; g];
            let mut dots = vec![0.0; g];
            let mut a = vec![0.0; g];
            for (i, dst) in rows.zip(o.iter_mut()) {
                let row = &xs[i * p..(i + 1) * p];
                for (v, &j) in xv.iter_mut().zip(sel) {
                    *v = row[j];
                }
                whiten(&xv, &mut y);
                let c = labels[i] as usize;
                let k = stats.counts[c] as f64 / (stats.counts[c] as f64 - 1.0);
                let uc = &mu[c * s..(c + 1) * s];
                for h in 0..g {
                    let mh = &mu[h * s..(h + 1) * s];
                    let (mut ah, mut dh) = (0.0, 0.0);
                    for t in 0..s {
                        let e = y[t] - mh[t];
                        ah += e * e;
                        dh += (y[t] - uc[t]) * e;
                    }
                    a[h] = ah;
                    dots[h] = dh;
                }
                let denom = 1.0 - k * a[c];
                for h in 0..g {
                    let d = if denom <= 1e-12 {
                        if h == c {
                            f64::INFINITY
                        } else {
                            a[h]
                        }
                    } else if h == c {
                        k * k * a[c] / denom
                    } else {
                        a[h] + k * dots[h] * dots[h] / denom
                    };
                    sc[h] = ln_prior[h] - 0.5 * dfe * d;
                }
                *dst = argmax(&sc);
            }
        },
        |_, _| (),
    );
    Ok(out)
}
