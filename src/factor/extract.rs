//! Extraction: unrotated loadings from a correlation matrix.
//!
//! - minres (psych `fa(fm = "minres")`): the uniquenesses ψ minimise the least-squares residual
//!   F(ψ) = Σ_{j>k} λ_j(R − diag ψ)² (the eigenvalues left out of the k-factor model), started at
//!   1 − SMC and bounded to [0.005, 1] as psych does with `optim(method = "L-BFGS-B")`; its
//!   gradient ∂F/∂ψ = 2 diag(ΛΛᵀ + ψ − R) is psych's `FAgr.minres` (up to the factor 2). At the
//!   optimum the off-diagonal residuals are least squares (Harman's minres) and the loadings are
//!   the top k eigenpairs of R − diag ψ.
//! - ml (`factanal`'s objective, psych `fm = "ml"`): F(ψ) = −Σ_{j>k}(ln e_j − e_j) − k + p with
//!   e the eigenvalues of ψ^(−1/2) R ψ^(−1/2); gradient diag(ΛΛᵀ + ψ − R)/ψ².
//! - principal components (psych `principal`) and principal axis iterations (psych `fm = "pa"`:
//!   communalities start at the SMC and iterate until their sum changes by less than 0.001).
//!
//! The bounded minimisation is a projected limited-memory BFGS run to a tight gradient
//! tolerance, so the optimum does not depend on where a looser stopping rule would stop.

use ndarray::{s, Array1, Array2, ArrayView2};

use super::dense::{eigh_desc, sym_fn};
use crate::error::{Error, Result};

/// Lower and upper bounds of the uniquenesses (psych's `lower = .005`, `upper = 1`).
pub const PSI_LOWER: f64 = 0.005;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Minres,
    Ml,
    Principal,
    Pa,
}

/// Unrotated loadings and what the extraction reports about itself.
#[derive(Debug, Clone)]
pub struct Extraction {
    pub loadings: Array2<f64>,
    /// The fitted uniquenesses ψ (minres, ml); for pa and principal 1 − communality.
    pub psi: Array1<f64>,
    /// The extraction's objective at the solution (ml: factanal's `objective`).
    pub objective: f64,
    pub n_iter: usize,
    pub converged: bool,
}

/// Squared multiple correlations 1 − 1/diag(R⁻¹) (R positive definite).
pub fn smc(r: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
    let inv = sym_fn(r, |v| 1.0 / v)?;
    Ok(Array1::from_shape_fn(r.nrows(), |j| {
        (1.0 - 1.0 / inv[[j, j]]).clamp(0.0, 1.0)
    }))
}

/// Minimises `fg` (value and gradient) over the box [lo, hi]ⁿ: projected L-BFGS with an Armijo
/// search along the projected path. `h0(x)` is a diagonal approximation of the inverse Hessian
/// for the first step (before any curvature pair is known). Returns (x, f, iterations,
/// converged).
pub fn minimize_box(
    mut fg: impl FnMut(&[f64]) -> Result<(f64, Vec<f64>)>,
    h0: impl Fn(&[f64]) -> Vec<f64>,
    x0: &[f64],
    lo: f64,
    hi: f64,
    max_iter: usize,
    gtol: f64,
) -> Result<(Vec<f64>, f64, usize, bool)> {
    const M: usize = 12;
    let n = x0.len();
    let mut x: Vec<f64> = x0.iter().map(|v| v.clamp(lo, hi)).collect();
    let (mut f, mut g) = fg(&x)?;
    let mut hist: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::new();
    let mut converged = false;
    let mut iters = 0;
    let mut stalled = 0;
    let proj_grad = |x: &[f64], g: &[f64]| -> Vec<f64> {
        x.iter()
            .zip(g)
            .map(|(&xi, &gi)| {
                if (xi <= lo && gi > 0.0) || (xi >= hi && gi < 0.0) {
                    0.0
                } else {
                    gi
                }
            })
            .collect()
    };
    for it in 0..max_iter {
        iters = it + 1;
        let pg = proj_grad(&x, &g);
        let pgmax = pg.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if pgmax < gtol {
            converged = true;
            break;
        }
        let free: Vec<bool> = pg.iter().map(|v| *v != 0.0).collect();
        // Two-loop recursion on the free variables.
        let mut q: Vec<f64> = pg.clone();
        let mut alpha = vec![0.0; hist.len()];
        for (i, (sv, yv, rho)) in hist.iter().enumerate().rev() {
            let a = rho * dotm(sv, &q, &free);
            alpha[i] = a;
            for j in 0..n {
                if free[j] {
                    q[j] -= a * yv[j];
                }
            }
        }
        if let Some((sv, yv, _)) = hist.last() {
            let yy = dotm(yv, yv, &free);
            if yy > 0.0 {
                let gamma = dotm(sv, yv, &free) / yy;
                if gamma > 0.0 {
                    q.iter_mut().for_each(|v| *v *= gamma);
                }
            }
        } else {
            // No curvature yet: the method's diagonal scaling (for minres and ml this makes the
            // first step the principal-axis update of ψ).
            for (v, h) in q.iter_mut().zip(h0(&x)) {
                *v *= h;
            }
        }
        for (i, (sv, yv, rho)) in hist.iter().enumerate() {
            let b = rho * dotm(yv, &q, &free);
            for j in 0..n {
                if free[j] {
                    q[j] += sv[j] * (alpha[i] - b);
                }
            }
        }
        let mut d: Vec<f64> = q
            .iter()
            .zip(&free)
            .map(|(v, &fr)| if fr { -v } else { 0.0 })
            .collect();
        if d.iter().zip(&pg).map(|(a, b)| a * b).sum::<f64>() >= 0.0 {
            hist.clear();
            let scale = (0.1 / pgmax).min(1.0);
            d = pg.iter().map(|v| -v * scale).collect();
        }
        // Backtracking along the projected path.
        let mut t = 1.0;
        let mut accepted = None;
        // Rounding in f near the optimum: allow an "increase" of a few ulps of f.
        let slack = 1e-14 * f.abs();
        for _ in 0..40 {
            let xn: Vec<f64> = x
                .iter()
                .zip(&d)
                .map(|(a, b)| (a + t * b).clamp(lo, hi))
                .collect();
            let (fnew, gnew) = fg(&xn)?;
            let decrease: f64 = g
                .iter()
                .zip(xn.iter().zip(&x))
                .map(|(gi, (a, b))| gi * (a - b))
                .sum();
            if fnew.is_finite() && fnew <= f + 1e-4 * decrease + slack {
                accepted = Some((xn, fnew, gnew));
                break;
            }
            t *= 0.5;
        }
        let Some((xn, fnew, gnew)) = accepted else {
            // No decrease possible at machine precision: a stationary point for our purposes.
            converged = pgmax < gtol.sqrt();
            break;
        };
        let sv: Vec<f64> = xn.iter().zip(&x).map(|(a, b)| a - b).collect();
        let yv: Vec<f64> = gnew.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy: f64 = sv.iter().zip(&yv).map(|(a, b)| a * b).sum();
        if sy > 1e-16 * norm(&sv) * norm(&yv) && sy > 0.0 {
            if hist.len() == M {
                hist.remove(0);
            }
            hist.push((sv, yv, 1.0 / sy));
        }
        let small_step = x
            .iter()
            .zip(&xn)
            .all(|(a, b)| (a - b).abs() <= 1e-15 * a.abs().max(1.0));
        // Three steps in a row that change f by rounding only: as good as it gets.
        stalled = if (f - fnew).abs() <= 1e-14 * f.abs() {
            stalled + 1
        } else {
            0
        };
        x = xn;
        f = fnew;
        g = gnew;
        if small_step || stalled >= 3 {
            let pg = proj_grad(&x, &g);
            converged = pg.iter().fold(0.0f64, |m, v| m.max(v.abs())) < gtol.sqrt();
            break;
        }
    }
    Ok((x, f, iters, converged))
}

fn dotm(a: &[f64], b: &[f64], mask: &[bool]) -> f64 {
    a.iter()
        .zip(b)
        .zip(mask)
        .filter(|(_, &m)| m)
        .map(|((x, y), _)| x * y)
        .sum()
}

fn norm(a: &[f64]) -> f64 {
    a.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// Top-k eigenpairs of R − diag ψ as loadings V √max(λ, 0) (psych's `FAout.wls`).
fn uls_loadings(
    r: ArrayView2<'_, f64>,
    psi: &[f64],
    k: usize,
) -> Result<(Array2<f64>, Array1<f64>)> {
    let mut s = r.to_owned();
    for (j, v) in psi.iter().enumerate() {
        s[[j, j]] -= v;
    }
    let (vals, vecs) = eigh_desc(s.view())?;
    let mut l = vecs.slice(s![.., ..k]).to_owned();
    for (c, mut col) in l.columns_mut().into_iter().enumerate() {
        col *= vals[c].max(0.0).sqrt();
    }
    Ok((l, vals))
}

/// ML loadings ψ^(1/2) V √max(e − 1, 0) of ψ^(−1/2) R ψ^(−1/2) (psych's `FAout`), and the
/// eigenvalues e.
fn ml_loadings(
    r: ArrayView2<'_, f64>,
    psi: &[f64],
    k: usize,
) -> Result<(Array2<f64>, Array1<f64>)> {
    let p = r.nrows();
    let sc: Vec<f64> = psi.iter().map(|v| 1.0 / v.sqrt()).collect();
    let sstar = Array2::from_shape_fn((p, p), |(i, j)| r[[i, j]] * sc[i] * sc[j]);
    let (vals, vecs) = eigh_desc(sstar.view())?;
    let mut l = vecs.slice(s![.., ..k]).to_owned();
    for (c, mut col) in l.columns_mut().into_iter().enumerate() {
        col *= (vals[c] - 1.0).max(0.0).sqrt();
    }
    for (i, mut row) in l.rows_mut().into_iter().enumerate() {
        row *= psi[i].sqrt();
    }
    Ok((l, vals))
}

fn diag_residual(r: ArrayView2<'_, f64>, l: &Array2<f64>, psi: &[f64]) -> Vec<f64> {
    (0..r.nrows())
        .map(|i| l.row(i).dot(&l.row(i)) + psi[i] - r[[i, i]])
        .collect()
}

pub fn minres(r: ArrayView2<'_, f64>, k: usize, max_iter: usize) -> Result<Extraction> {
    let start: Vec<f64> = smc(r)?.iter().map(|h| 1.0 - h).collect();
    let (psi, f, n_iter, converged) = minimize_box(
        |psi| {
            let (l, vals) = uls_loadings(r, psi, k)?;
            let f: f64 = vals.iter().skip(k).map(|v| v * v).sum::<f64>()
                + vals.iter().take(k).map(|v| v.min(0.0).powi(2)).sum::<f64>();
            let g = diag_residual(r, &l, psi).iter().map(|v| 2.0 * v).collect();
            Ok((f, g))
        },
        |x| vec![0.5; x.len()],
        &start,
        PSI_LOWER,
        1.0,
        max_iter,
        1e-9,
    )?;
    let (loadings, _) = uls_loadings(r, &psi, k)?;
    Ok(Extraction {
        loadings,
        psi: Array1::from(psi),
        objective: f,
        n_iter,
        converged,
    })
}

/// factanal's ML discrepancy at ψ.
pub fn ml_objective(r: ArrayView2<'_, f64>, psi: &[f64], k: usize) -> Result<f64> {
    let (_, vals) = ml_loadings(r, psi, k)?;
    let p = r.nrows();
    let mut e = 0.0;
    for &v in vals.iter().skip(k) {
        if v <= 0.0 {
            return Ok(f64::INFINITY);
        }
        e += v.ln() - v;
    }
    Ok(-(e - k as f64 + p as f64))
}

pub fn ml(r: ArrayView2<'_, f64>, k: usize, max_iter: usize) -> Result<Extraction> {
    let start: Vec<f64> = smc(r)?.iter().map(|h| 1.0 - h).collect();
    let p = r.nrows();
    let (psi, f, n_iter, converged) = minimize_box(
        |psi| {
            let (l, vals) = ml_loadings(r, psi, k)?;
            let mut e = 0.0;
            for &v in vals.iter().skip(k) {
                if v <= 0.0 {
                    return Ok((f64::INFINITY, vec![0.0; p]));
                }
                e += v.ln() - v;
            }
            let f = -(e - k as f64 + p as f64);
            let g = diag_residual(r, &l, psi)
                .iter()
                .zip(psi)
                .map(|(v, s)| v / (s * s))
                .collect();
            Ok((f, g))
        },
        |x| x.iter().map(|v| v * v).collect(),
        &start,
        PSI_LOWER,
        1.0,
        max_iter,
        1e-9,
    )?;
    let (loadings, _) = ml_loadings(r, &psi, k)?;
    Ok(Extraction {
        loadings,
        psi: Array1::from(psi),
        objective: f,
        n_iter,
        converged,
    })
}

pub fn principal(r: ArrayView2<'_, f64>, k: usize) -> Result<Extraction> {
    let (vals, vecs) = eigh_desc(r)?;
    let mut l = vecs.slice(s![.., ..k]).to_owned();
    for (c, mut col) in l.columns_mut().into_iter().enumerate() {
        col *= vals[c].max(f64::EPSILON).sqrt();
    }
    let psi = Array1::from_shape_fn(r.nrows(), |i| r[[i, i]] - l.row(i).dot(&l.row(i)));
    Ok(Extraction {
        loadings: l,
        psi,
        objective: 0.0,
        n_iter: 0,
        converged: true,
    })
}

/// psych's principal axis iterations (`min.err = 0.001` on the sum of communalities).
pub fn pa(r: ArrayView2<'_, f64>, k: usize, max_iter: usize) -> Result<Extraction> {
    let p = r.nrows();
    let mut rm = r.to_owned();
    let h0 = smc(r)?;
    for j in 0..p {
        rm[[j, j]] = h0[j];
    }
    let mut comm: f64 = h0.sum();
    let mut n_iter = 0;
    let mut converged = false;
    let mut l = Array2::zeros((p, k));
    while n_iter < max_iter {
        n_iter += 1;
        let (vals, vecs) = eigh_desc(rm.view())?;
        if vals.iter().take(k).any(|v| *v < 0.0) {
            return Err(Error::invalid(
                "n_factors",
                "principal axis iterations reached a negative eigenvalue; use fewer factors or \
                 method='minres'",
            ));
        }
        l = vecs.slice(s![.., ..k]).to_owned();
        for (c, mut col) in l.columns_mut().into_iter().enumerate() {
            col *= vals[c].sqrt();
        }
        let new: Vec<f64> = (0..p).map(|i| l.row(i).dot(&l.row(i))).collect();
        let comm1: f64 = new.iter().sum();
        for j in 0..p {
            rm[[j, j]] = new[j];
        }
        let err = (comm - comm1).abs();
        comm = comm1;
        if err <= 0.001 {
            converged = true;
            break;
        }
    }
    let psi = Array1::from_shape_fn(p, |i| r[[i, i]] - l.row(i).dot(&l.row(i)));
    Ok(Extraction {
        loadings: l,
        psi,
        objective: 0.0,
        n_iter,
        converged,
    })
}
