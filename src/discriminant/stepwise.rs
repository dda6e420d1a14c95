//! Which variables enter the analysis: the tolerance screen of the direct method and SPSS's
//! stepwise selection by Wilks' λ (METHOD=WILKS).
//!
//! With S the variables in the analysis (q of them), W and T = W + B the within-group and total
//! scatter:
//! - tolerance of a candidate j: w*_jj / w_jj, the share of its within-group scatter not explained
//!   by S (w*_jj = w_jj − w_jS W_S⁻¹ w_Sj); of a variable i in S: 1 / (w_ii (W_S⁻¹)_ii);
//! - partial λ of a candidate: w*_jj / t*_jj, F-to-enter = (n − g − q)/(g − 1) · (1 − λ)/λ;
//! - partial λ of a variable in S: (T_S⁻¹)_ii / (W_S⁻¹)_ii, F-to-remove =
//!   (n − g − q + 1)/(g − 1) · (1 − λ)/λ;
//! - each step first removes the variable with the smallest F-to-remove below FOUT, if any;
//!   otherwise it enters the eligible candidate with the smallest Wilks' λ (F-to-enter ≥ FIN,
//!   tolerance ≥ TOL, and no variable in S falling below TOL); it stops when neither applies;
//! - the overall λ = |W_S| / |T_S| is tested by Rao's F, exact when min(q, g − 1) ≤ 2.

#![allow(clippy::needless_range_loop)]

use ndarray::Array2;

use super::canonical::{ln_det, sub};
use super::Params;
use crate::error::Result;
use crate::linalg;
use crate::stats::dist::ln_f_sf;

/// One step of the stepwise history.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The variable entered (`true`) or removed (`false`).
    pub entered: bool,
    pub variable: usize,
    /// Variables in the analysis after the step.
    pub n_vars: usize,
    /// Wilks' λ after the step.
    pub lambda: f64,
    /// The F of that λ (exact or Rao's approximation), its df and p.
    pub f: f64,
    pub df1: f64,
    pub df2: f64,
    pub p: f64,
    pub exact: bool,
    /// The F-to-enter or F-to-remove of the variable at this step.
    pub f_change: f64,
}

/// Rao's F for Wilks' λ of q variables and g groups on n rows: (F, df1, df2, exact).
pub fn rao_f(lambda: f64, q: usize, g: usize, n: f64) -> (f64, f64, f64, bool) {
    let a = q as f64;
    let b = (g - 1) as f64;
    let s = if a * a + b * b - 5.0 > 0.0 {
        ((a * a * b * b - 4.0) / (a * a + b * b - 5.0)).sqrt()
    } else {
        1.0
    };
    let m = n - 1.0 - (a + g as f64) / 2.0;
    let df1 = a * b;
    let df2 = m * s - a * b / 2.0 + 1.0;
    let root = lambda.powf(1.0 / s);
    let f = (1.0 - root) / root * df2 / df1;
    (f, df1, df2, q.min(g - 1) <= 2)
}

/// Inverse of the row-major submatrix a[set, set], None when not positive definite.
fn inverse(a: &Array2<f64>, set: &[usize]) -> Option<Vec<f64>> {
    let k = set.len();
    let l = linalg::cholesky(&sub(a, set), k).ok()?;
    Some(linalg::cholesky_inverse(&l, k))
}

/// w*_jj = w_jj − w_jS W_S⁻¹ w_Sj given the inverse of W_S.
fn residual(a: &Array2<f64>, set: &[usize], inv: &[f64], j: usize) -> f64 {
    let k = set.len();
    let mut r = a[[j, j]];
    for (x, &i) in set.iter().enumerate() {
        for (y, &h) in set.iter().enumerate() {
            r -= a[[j, i]] * inv[x * k + y] * a[[h, j]];
        }
    }
    r
}

/// Smallest tolerance of the variables of `set` among themselves (1 for a single variable).
fn min_tolerance(w: &Array2<f64>, set: &[usize]) -> f64 {
    let k = set.len();
    match inverse(w, set) {
        Some(inv) => set
            .iter()
            .enumerate()
            .map(|(x, &i)| 1.0 / (w[[i, i]] * inv[x * k + x]))
            .fold(1.0, f64::min),
        None => 0.0,
    }
}

/// The direct method's screen: variables in column order, each kept when its tolerance given
/// those kept before it is at least `tol` (a constant variable never is). Returns (kept,
/// excluded).
pub fn direct(w: &Array2<f64>, tol: f64) -> (Vec<usize>, Vec<usize>) {
    let p = w.nrows();
    let (mut kept, mut excluded) = (Vec::new(), Vec::new());
    for j in 0..p {
        let wjj = w[[j, j]];
        let ok = wjj > 0.0
            && match inverse(w, &kept) {
                Some(inv) => residual(w, &kept, &inv, j) / wjj >= tol,
                None => kept.is_empty(),
            };
        if ok {
            kept.push(j);
        } else {
            excluded.push(j);
        }
    }
    (kept, excluded)
}

/// SPSS stepwise selection by Wilks' λ. Returns the variables in the final analysis (in entry
/// order) and the history.
pub fn wilks(
    w: &Array2<f64>,
    b: &Array2<f64>,
    n: f64,
    g: usize,
    params: &Params,
) -> Result<(Vec<usize>, Vec<Step>)> {
    let p = w.nrows();
    let t = w + b;
    let gm1 = (g - 1) as f64;
    let mut set: Vec<usize> = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut lambda = 1.0;
    for _ in 0..(2 * p + 2) {
        let q = set.len();
        // Removal first.
        let mut removal: Option<(usize, f64, f64)> = None;
        if q > 1 {
            if let (Some(wi), Some(ti)) = (inverse(w, &set), inverse(&t, &set)) {
                for x in 0..q {
                    let part = ti[x * q + x] / wi[x * q + x];
                    let f = (n - g as f64 - q as f64 + 1.0) / gm1 * (1.0 - part) / part;
                    if f < params.f_out && removal.is_none_or(|(_, fr, _)| f < fr) {
                        removal = Some((x, f, part));
                    }
                }
            }
        }
        if let Some((x, f, part)) = removal {
            let var = set.remove(x);
            lambda = overall(w, &t, &set, lambda / part);
            steps.push(record(false, var, set.len(), lambda, f, g, n));
            continue;
        }
        // Entry.
        let (wi, ti) = if q == 0 {
            (Some(Vec::new()), Some(Vec::new()))
        } else {
            (inverse(w, &set), inverse(&t, &set))
        };
        let (Some(wi), Some(ti)) = (wi, ti) else {
            break;
        };
        let mut best: Option<(usize, f64, f64)> = None;
        for j in 0..p {
            if set.contains(&j) || w[[j, j]] <= 0.0 {
                continue;
            }
            let ws = residual(w, &set, &wi, j);
            let ts = residual(&t, &set, &ti, j);
            if !(ws > 0.0 && ts > 0.0) || ws / w[[j, j]] < params.tolerance {
                continue;
            }
            let part = ws / ts;
            let f = (n - g as f64 - q as f64) / gm1 * (1.0 - part) / part;
            if f < params.f_in {
                continue;
            }
            if q > 0 {
                let mut with = set.clone();
                with.push(j);
                if min_tolerance(w, &with) < params.tolerance {
                    continue;
                }
            }
            if best.is_none_or(|(_, _, bp)| part < bp) {
                best = Some((j, f, part));
            }
        }
        match best {
            Some((j, f, part)) => {
                set.push(j);
                lambda = overall(w, &t, &set, lambda * part);
                steps.push(record(true, j, set.len(), lambda, f, g, n));
            }
            None => break,
        }
    }
    Ok((set, steps))
}

/// |W_S| / |T_S| from the log determinants (`fallback` if either is not positive definite).
fn overall(w: &Array2<f64>, t: &Array2<f64>, set: &[usize], fallback: f64) -> f64 {
    let k = set.len();
    let v = (ln_det(&sub(w, set), k) - ln_det(&sub(t, set), k)).exp();
    if v.is_finite() {
        v
    } else {
        fallback
    }
}

fn record(
    entered: bool,
    variable: usize,
    q: usize,
    lambda: f64,
    f_change: f64,
    g: usize,
    n: f64,
) -> Step {
    let (f, df1, df2, exact) = if q > 0 {
        rao_f(lambda, q, g, n)
    } else {
        (f64::NAN, f64::NAN, f64::NAN, true)
    };
    let p = if f.is_finite() {
        ln_f_sf(f, df1, df2).exp()
    } else {
        f64::NAN
    };
    Step {
        entered,
        variable,
        n_vars: q,
        lambda,
        f,
        df1,
        df2,
        p,
        exact,
        f_change,
    }
}
