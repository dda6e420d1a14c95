//! Rotations, as psych calls them.
//!
//! - varimax: R's `stats::varimax` (Kaiser's iteration on the SVD of the criterion's gradient,
//!   stopped when the criterion grows by less than a relative 1e-5), which psych uses.
//! - promax: psych's `kaiser(rotate = "Promax")`: rows normalised, `stats::varimax`, target
//!   |λ|³λ, least-squares transformation rescaled so that Φ has a unit diagonal.
//! - quartimax, equamax (Crawford–Ferguson, κ = k / 2p), geomin (orthogonal), oblimin (γ),
//!   quartimin, geomin (oblique), oblimax: the gradient projection algorithms of Bernaards and
//!   Jennrich (2005) — GPArotation's `GPForth` / `GPFoblq` with their step-size rule, start at
//!   the identity and stopping rule (‖projected gradient‖ < 1e-5).
//!
//! Kaiser normalisation (rows divided by √h² before, multiplied after) is a parameter; psych
//! applies it for varimax and promax, GPArotation does not by default.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use super::dense::{inverse, polar, singular_sum};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rotation {
    None,
    Varimax,
    Quartimax,
    Equamax,
    GeominT { delta: f64 },
    Promax { power: f64 },
    Oblimin { gamma: f64 },
    Quartimin,
    GeominQ { delta: f64 },
    Oblimax,
}

impl Rotation {
    pub fn is_oblique(&self) -> bool {
        matches!(
            self,
            Rotation::Promax { .. }
                | Rotation::Oblimin { .. }
                | Rotation::Quartimin
                | Rotation::GeominQ { .. }
                | Rotation::Oblimax
        )
    }
}

/// Rotated pattern P, the transformation M with P = A M, and Φ (identity when orthogonal).
#[derive(Debug, Clone)]
pub struct Rotated {
    pub pattern: Array2<f64>,
    pub matrix: Array2<f64>,
    pub phi: Array2<f64>,
    pub n_iter: usize,
    pub converged: bool,
}

/// GPA criterion value and gradient ∂f/∂L.
fn criterion(rot: Rotation, l: &Array2<f64>) -> (f64, Array2<f64>) {
    let (p, k) = l.dim();
    let l2 = l.mapv(|v| v * v);
    match rot {
        Rotation::Quartimax => {
            let f = -l2.iter().map(|v| v * v).sum::<f64>() / 4.0;
            (f, l.mapv(|v| -v * v * v))
        }
        Rotation::Varimax => {
            let means = l2.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(k));
            let ql = &l2 - &means;
            let f = -ql.iter().map(|v| v * v).sum::<f64>() / 4.0;
            (f, -(l * &ql))
        }
        Rotation::Equamax => {
            let kappa = k as f64 / (2.0 * p as f64);
            // N = 1 - I (k × k), M = 1 - I (p × p).
            let row_tot = l2.sum_axis(Axis(1));
            let col_tot = l2.sum_axis(Axis(0));
            let l2n = Array2::from_shape_fn((p, k), |(i, j)| row_tot[i] - l2[[i, j]]);
            let ml2 = Array2::from_shape_fn((p, k), |(i, j)| col_tot[j] - l2[[i, j]]);
            let f1 = (1.0 - kappa) * (&l2 * &l2n).sum() / 4.0;
            let f2 = kappa * (&l2 * &ml2).sum() / 4.0;
            let g = (l * &l2n) * (1.0 - kappa) + (l * &ml2) * kappa;
            (f1 + f2, g)
        }
        Rotation::Oblimin { gamma } => {
            let row_tot = l2.sum_axis(Axis(1));
            let mut x = Array2::from_shape_fn((p, k), |(i, j)| row_tot[i] - l2[[i, j]]);
            if gamma != 0.0 {
                let col_mean = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(k));
                x = &x - &(col_mean * gamma);
            }
            ((&l2 * &x).sum() / 4.0, l * &x)
        }
        Rotation::Quartimin => criterion(Rotation::Oblimin { gamma: 0.0 }, l),
        Rotation::GeominT { delta } | Rotation::GeominQ { delta } => {
            let kf = k as f64;
            let l2d = l2.mapv(|v| v + delta);
            let pro: Array1<f64> = l2d
                .rows()
                .into_iter()
                .map(|r| (r.iter().map(|v| v.ln()).sum::<f64>() / kf).exp())
                .collect();
            let g = Array2::from_shape_fn((p, k), |(i, j)| {
                (2.0 / kf) * l[[i, j]] / l2d[[i, j]] * pro[i]
            });
            (pro.sum(), g)
        }
        Rotation::Oblimax => {
            let s4: f64 = l2.iter().map(|v| v * v).sum();
            let s2: f64 = l2.sum();
            let f = -(s4.ln() - 2.0 * s2.ln());
            let g = l.mapv(|v| -(4.0 * v * v * v / s4 - 4.0 * v / s2));
            (f, g)
        }
        Rotation::None | Rotation::Promax { .. } => (0.0, Array2::zeros((p, k))),
    }
}

const GPA_EPS: f64 = 1e-5;

/// GPArotation's `GPForth`.
fn gpa_orth(a: &Array2<f64>, rot: Rotation, max_iter: usize) -> Result<Rotated> {
    let k = a.ncols();
    let mut t = Array2::<f64>::eye(k);
    let mut al = 1.0;
    let mut l = a.dot(&t);
    let (mut f, gq) = criterion(rot, &l);
    let mut g = a.t().dot(&gq);
    let mut converged = false;
    let mut iters = 0;
    for iter in 0..=max_iter {
        iters = iter;
        let m = t.t().dot(&g);
        let sym = (&m + &m.t()) * 0.5;
        let gp = &g - &t.dot(&sym);
        let s = gp.iter().map(|v| v * v).sum::<f64>().sqrt();
        if s < GPA_EPS {
            converged = true;
            break;
        }
        al *= 2.0;
        let mut tt = t.clone();
        let mut ft = f;
        let mut gqt = Array2::zeros(a.dim());
        for _ in 0..=10 {
            let x = &t - &(&gp * al);
            tt = polar(x.view())?;
            l = a.dot(&tt);
            let (fv, gv) = criterion(rot, &l);
            ft = fv;
            gqt = gv;
            if ft < f - 0.5 * s * s * al {
                break;
            }
            al /= 2.0;
        }
        t = tt;
        f = ft;
        g = a.t().dot(&gqt);
    }
    Ok(Rotated {
        pattern: a.dot(&t),
        phi: Array2::eye(k),
        matrix: t,
        n_iter: iters,
        converged,
    })
}

fn inv_or_err(m: &Array2<f64>) -> Result<Array2<f64>> {
    inverse(m.view()).ok_or_else(|| {
        Error::invalid(
            "rotation",
            "the oblique rotation reached a singular transformation; try another rotation",
        )
    })
}

/// GPArotation's `GPFoblq`: L = A (Tᵀ)⁻¹, Φ = TᵀT.
fn gpa_oblq(a: &Array2<f64>, rot: Rotation, max_iter: usize) -> Result<Rotated> {
    let k = a.ncols();
    let mut t = Array2::<f64>::eye(k);
    let mut al = 1.0;
    let mut tinv = inv_or_err(&t)?;
    let mut l = a.dot(&tinv.t());
    let (mut f, gq) = criterion(rot, &l);
    let mut g = -(l.t().dot(&gq).dot(&tinv)).t().to_owned();
    let mut converged = false;
    let mut iters = 0;
    for iter in 0..=max_iter {
        iters = iter;
        let colsum = (&t * &g).sum_axis(Axis(0));
        let gp = &g - &(&t * &colsum);
        let s = gp.iter().map(|v| v * v).sum::<f64>().sqrt();
        if s < GPA_EPS {
            converged = true;
            break;
        }
        al *= 2.0;
        let mut tt = t.clone();
        let mut ft = f;
        let mut gqt = Array2::zeros(a.dim());
        let mut ttinv = tinv.clone();
        for _ in 0..=10 {
            let x = &t - &(&gp * al);
            let v = x.map_axis(Axis(0), |c| {
                1.0 / c.iter().map(|z| z * z).sum::<f64>().sqrt()
            });
            tt = &x * &v;
            ttinv = inv_or_err(&tt)?;
            l = a.dot(&ttinv.t());
            let (fv, gv) = criterion(rot, &l);
            ft = fv;
            gqt = gv;
            if f - ft > 0.5 * s * s * al {
                break;
            }
            al /= 2.0;
        }
        t = tt;
        tinv = ttinv;
        f = ft;
        g = -(l.t().dot(&gqt).dot(&tinv)).t().to_owned();
    }
    Ok(Rotated {
        pattern: a.dot(&tinv.t()),
        phi: t.t().dot(&t),
        matrix: tinv.t().to_owned(),
        n_iter: iters,
        converged,
    })
}

/// Kaiser normalisation: the rows of `x` divided by their lengths (rows of length 0 stay
/// zero), with the lengths; with `normalize` false, `x` itself and lengths of 1.
fn kaiser_normalized(x: &Array2<f64>, normalize: bool) -> (Array2<f64>, Vec<f64>) {
    let (p, k) = x.dim();
    let lengths: Vec<f64> = if normalize {
        x.rows().into_iter().map(|r| r.dot(&r).sqrt()).collect()
    } else {
        vec![1.0; p]
    };
    let scaled = Array2::from_shape_fn((p, k), |(i, j)| {
        if lengths[i] > 0.0 {
            x[[i, j]] / lengths[i]
        } else {
            0.0
        }
    });
    (scaled, lengths)
}

/// R's `stats::varimax(x, normalize, eps = 1e-5)`, and a way out of a stationary point that is
/// not a maximum.
///
/// Kaiser's iteration stops where the criterion's gradient is symmetric in the rotated frame —
/// at its maxima, and also at its minima and saddle points. Loadings that start at one (two
/// equal groups of items, whose unrotated axes sit at 45° to the simple structure, a minimum of
/// the criterion in that plane) stay there in R as here. So after convergence each pair of
/// factors is checked with Kaiser's (1959) optimal planar angle: a planar rotation that raises
/// the criterion by more than a relative 1e-3 is applied and the iteration resumes. At a
/// maximum (every ordinary case) no pair gains that much and the result is R's.
pub fn varimax_stats(x: &Array2<f64>, normalize: bool) -> Result<Rotated> {
    let k = x.ncols();
    let (xn, sc) = kaiser_normalized(x, normalize);
    let (mut tt, mut iters, mut converged) = kaiser_iterations(&xn, Array2::eye(k))?;
    for _ in 0..4 * k * k {
        let Some((a, b, angle)) = planar_gain(&xn.dot(&tt)) else {
            break;
        };
        let (c, s) = (angle.cos(), angle.sin());
        let (ca, cb) = (tt.column(a).to_owned(), tt.column(b).to_owned());
        tt.column_mut(a).assign(&(&ca * c + &cb * s));
        tt.column_mut(b).assign(&(&cb * c - &ca * s));
        let (t, i, conv) = kaiser_iterations(&xn, tt)?;
        (tt, iters, converged) = (t, iters + i, conv);
    }
    let mut z = xn.dot(&tt);
    for (i, mut row) in z.rows_mut().into_iter().enumerate() {
        row *= sc[i];
    }
    Ok(Rotated {
        pattern: z,
        phi: Array2::eye(k),
        matrix: tt,
        n_iter: iters,
        converged,
    })
}

/// Kaiser's iteration of `stats::varimax` from the rotation `tt`: the rotation, the iterations
/// and whether the criterion's relative growth fell below 1e-5 within 1,000 of them.
fn kaiser_iterations(xn: &Array2<f64>, mut tt: Array2<f64>) -> Result<(Array2<f64>, usize, bool)> {
    let (p, k) = xn.dim();
    let mut d = 0.0;
    for i in 0..1000 {
        let z = xn.dot(&tt);
        let z2 = z.mapv(|v| v * v);
        let colsum = z2.sum_axis(Axis(0));
        let inner = Array2::from_shape_fn((p, k), |(r, c)| {
            z[[r, c]].powi(3) - z[[r, c]] * colsum[c] / p as f64
        });
        let b = xn.t().dot(&inner);
        let dpast = d;
        d = singular_sum(b.view())?;
        // A gradient of rounding size (a stationary point where every direction is flat to
        // first order) has no meaningful polar factor: stay.
        let scale: f64 = xn.iter().map(|v| v.powi(4)).sum();
        if d <= 1e-12 * scale {
            return Ok((tt, i + 1, true));
        }
        tt = polar(b.view())?;
        if d < dpast * (1.0 + 1e-5) {
            return Ok((tt, i + 1, true));
        }
    }
    Ok((tt, 1000, false))
}

/// The raw varimax criterion of z: Σ_c [mean z⁴ − (mean z²)²] over its columns.
fn varimax_value(z: &Array2<f64>) -> f64 {
    let p = z.nrows() as f64;
    z.columns()
        .into_iter()
        .map(|col| {
            let m2 = col.iter().map(|v| v * v).sum::<f64>() / p;
            let m4 = col.iter().map(|v| v.powi(4)).sum::<f64>() / p;
            m4 - m2 * m2
        })
        .sum()
}

/// z with its columns (a, b) turned by θ to (a cos θ + b sin θ, b cos θ − a sin θ).
fn planar(z: &Array2<f64>, a: usize, b: usize, angle: f64) -> Array2<f64> {
    let (c, s) = (angle.cos(), angle.sin());
    let mut r = z.clone();
    for ((x, y), row) in z.column(a).iter().zip(z.column(b)).zip(r.rows_mut()) {
        let mut row = row;
        row[a] = x * c + y * s;
        row[b] = y * c - x * s;
    }
    r
}

/// The pair of columns (a, b) of z and the angle θ whose planar rotation
/// (a, b) → (a cos θ + b sin θ, b cos θ − a sin θ) raises the varimax criterion most, if it
/// raises it by more than a relative 1e-3: Kaiser's (1959) closed form tan 4θ = (D − 2AB/p) /
/// (C − (A² − B²)/p), with u = a² − b², v = 2ab, A = Σu, B = Σv, C = Σ(u² − v²), D = 2Σuv
/// (both signs of θ tried, so that the rotation's sense convention cannot matter).
fn planar_gain(z: &Array2<f64>) -> Option<(usize, usize, f64)> {
    let (p, k) = z.dim();
    let base = varimax_value(z);
    let mut best: Option<(f64, usize, usize, f64)> = None;
    for a in 0..k {
        for b in a + 1..k {
            let (mut sa, mut sb, mut sc, mut sd) = (0.0, 0.0, 0.0, 0.0);
            for (x, y) in z.column(a).iter().zip(z.column(b).iter()) {
                let (u, v) = (x * x - y * y, 2.0 * x * y);
                sa += u;
                sb += v;
                sc += u * u - v * v;
                sd += 2.0 * u * v;
            }
            let theta =
                0.25 * (sd - 2.0 * sa * sb / p as f64).atan2(sc - (sa * sa - sb * sb) / p as f64);
            for angle in [theta, -theta] {
                let value = varimax_value(&planar(z, a, b, angle));
                if value > base + 1e-3 * base.abs().max(f64::MIN_POSITIVE)
                    && best.is_none_or(|(v, ..)| value > v)
                {
                    best = Some((value, a, b, angle));
                }
            }
        }
    }
    best.map(|(_, a, b, angle)| (a, b, angle))
}

/// psych's `Promax` on (already normalised, when asked) loadings.
fn promax(x: &Array2<f64>, power: f64) -> Result<Rotated> {
    let k = x.ncols();
    let vm = varimax_stats(x, true)?;
    let xv = &vm.pattern;
    let q = xv.mapv(|v| v * v.abs().powf(power - 1.0));
    let xtx_inv = inverse(xv.t().dot(xv).view())
        .ok_or_else(|| Error::invalid("rotation", "promax: the varimax loadings are singular"))?;
    let mut u = xtx_inv.dot(&xv.t().dot(&q));
    let utu_inv = inverse(u.t().dot(&u).view())
        .ok_or_else(|| Error::invalid("rotation", "promax: the target is singular"))?;
    for c in 0..k {
        let d = utu_inv[[c, c]].max(0.0).sqrt();
        u.column_mut(c).mapv_inplace(|v| v * d);
    }
    let z = xv.dot(&u);
    let total = vm.matrix.dot(&u);
    let ui = inverse(total.view())
        .ok_or_else(|| Error::invalid("rotation", "promax: singular transformation"))?;
    Ok(Rotated {
        pattern: z,
        phi: ui.dot(&ui.t()),
        matrix: total,
        n_iter: vm.n_iter,
        converged: vm.converged,
    })
}

/// Rotates unrotated loadings `a` (p × k, k ≥ 2).
pub fn rotate(
    a: ArrayView2<'_, f64>,
    rot: Rotation,
    kaiser: bool,
    max_iter: usize,
) -> Result<Rotated> {
    let k = a.ncols();
    let a = a.to_owned();
    if k < 2 || rot == Rotation::None {
        return Ok(Rotated {
            pattern: a,
            matrix: Array2::eye(k),
            phi: Array2::eye(k),
            n_iter: 0,
            converged: true,
        });
    }
    if rot == Rotation::Varimax {
        return varimax_stats(&a, kaiser);
    }
    let (an, h) = kaiser_normalized(&a, kaiser);
    let mut out = match rot {
        Rotation::Promax { power } => promax(&an, power)?,
        r if r.is_oblique() => gpa_oblq(&an, r, max_iter)?,
        r => gpa_orth(&an, r, max_iter)?,
    };
    for (i, mut row) in out.pattern.rows_mut().into_iter().enumerate() {
        row *= h[i];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two equal groups of three items, simple structure (0.8 on one factor, 0 on the other)
    /// turned by 45°: the unrotated start is a stationary point of the varimax criterion (its
    /// minimum in that plane), where Kaiser's iteration alone stays. The result must be the
    /// planted simple structure (up to the factors' order and signs).
    #[test]
    fn varimax_leaves_a_minimum_for_the_simple_structure() {
        let simple =
            Array2::from_shape_fn((6, 2), |(i, j)| if (i < 3) == (j == 0) { 0.8 } else { 0.0 });
        let h = std::f64::consts::FRAC_1_SQRT_2;
        let turn = ndarray::arr2(&[[h, -h], [h, h]]);
        let start = simple.dot(&turn);
        let (tt, _, _) = kaiser_iterations(&start, Array2::eye(2)).unwrap();
        let stuck = start.dot(&tt);
        assert!(
            (stuck[[0, 0]].abs() - stuck[[0, 1]].abs()).abs() < 1e-9,
            "{stuck:?}"
        );
        for normalize in [false, true] {
            let out = varimax_stats(&start, normalize).unwrap();
            for i in 0..6 {
                let (big, small) = if i < 3 { (0, 1) } else { (1, 0) };
                let row = out.pattern.row(i);
                // Either factor order: one column holds 0.8 in absolute value, the other 0.
                let a = (row[big].abs() - 0.8).abs().max(row[small].abs());
                let b = (row[small].abs() - 0.8).abs().max(row[big].abs());
                assert!(a.min(b) < 1e-9, "row {i}: {row:?}");
            }
            let mtm = out.matrix.t().dot(&out.matrix);
            assert!((&mtm - &Array2::<f64>::eye(2))
                .iter()
                .all(|v| v.abs() < 1e-12));
        }
    }

    /// Kaiser's planar angle is the maximiser over a grid of planar rotations.
    #[test]
    fn planar_angle_maximises_the_criterion() {
        let z = ndarray::arr2(&[[0.7, 0.3], [0.6, 0.4], [0.2, 0.65], [0.1, 0.8], [0.5, -0.2]]);
        let grid_best = (0..3600)
            .map(|i| {
                let t = (i as f64 / 3600.0 - 0.5) * std::f64::consts::FRAC_PI_2;
                varimax_value(&planar(&z, 0, 1, t))
            })
            .fold(f64::MIN, f64::max);
        let (_, _, angle) = planar_gain(&z).expect("z is far from its maximum");
        let r = planar(&z, 0, 1, angle);
        assert!(varimax_value(&r) >= grid_best - 1e-9);
    }
}
