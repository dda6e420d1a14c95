//! The canonical discriminant functions and the tables derived from W, B and the class scatter:
//! eigenvalues, Wilks' λ per function set, univariate F, Box's M, raw / standardized
//! coefficients, the structure matrix, centroids and Fisher's classification functions
//! (SPSS DISCRIMINANT conventions, see REFERENCES.md).

#![allow(clippy::needless_range_loop)]

use linfa_linalg::eigh::Eigh;
use ndarray::Array2;

use super::ClassStats;
use crate::error::{Error, Result};
use crate::linalg;
use crate::stats::dist::{ln_chi2_sf, ln_f_sf};

/// The canonical analysis on the selected variables (s of them; q = min(s, g − 1) functions).
#[derive(Debug, Clone)]
pub struct Canonical {
    /// Eigenvalues of W⁻¹B, descending (q).
    pub eigenvalues: Vec<f64>,
    /// Per function set k..q: Wilks' λ, Bartlett's χ², df, p (q × 4).
    pub wilks: Array2<f64>,
    /// Raw (unstandardized) coefficients, s × q, scaled so that the pooled within-group variance
    /// of every function is 1.
    pub raw_coef: Array2<f64>,
    /// Constants of the raw functions (q).
    pub raw_const: Vec<f64>,
    /// Standardized coefficients (raw × pooled within-group SD), s × q.
    pub standardized: Array2<f64>,
    /// Pooled within-group correlations of every variable (p, selected or not) with the
    /// functions, p × q.
    pub structure: Array2<f64>,
    /// Functions at the group centroids, g × q.
    pub centroids: Array2<f64>,
    /// Fisher's classification function coefficients on the selected variables, s × g.
    pub class_coef: Array2<f64>,
    /// The same on all p columns (zeros for variables not in the analysis), p × g.
    pub class_coef_full: Array2<f64>,
    /// Constants of the classification functions (with ln prior), g.
    pub class_const: Vec<f64>,
    /// Box's M, approximate F, df1, df2, p.
    pub box_m: [f64; 5],
    /// ln determinant of each group's covariance and, last, of the pooled one (NaN if singular).
    pub log_dets: Vec<f64>,
}

/// Row-major submatrix a[idx, idx].
pub(crate) fn sub(a: &Array2<f64>, idx: &[usize]) -> Vec<f64> {
    let s = idx.len();
    let mut out = vec![0.0; s * s];
    for (r, &i) in idx.iter().enumerate() {
        for (c, &j) in idx.iter().enumerate() {
            out[r * s + c] = a[[i, j]];
        }
    }
    out
}

/// ln det of a symmetric positive definite row-major k × k matrix, NaN when not positive
/// definite.
pub(crate) fn ln_det(a: &[f64], k: usize) -> f64 {
    match linalg::cholesky(a, k) {
        Ok(l) => 2.0 * (0..k).map(|i| l[i * k + i].ln()).sum::<f64>(),
        Err(_) => f64::NAN,
    }
}

/// Tests of equality of group means per variable: Wilks' λ = w_jj / t_jj, F = (B/(g−1)) /
/// (W/(n−g)), df1, df2, p (p × 5; NaN for a constant variable).
pub fn univariate(w: &Array2<f64>, b: &Array2<f64>, n: f64, g: usize) -> Array2<f64> {
    let p = w.nrows();
    let (df1, df2) = ((g - 1) as f64, n - g as f64);
    let mut out = Array2::from_elem((p, 5), f64::NAN);
    for j in 0..p {
        let (wj, bj) = (w[[j, j]], b[[j, j]]);
        out[[j, 2]] = df1;
        out[[j, 3]] = df2;
        if wj > 0.0 {
            let f = (bj / df1) / (wj / df2);
            out[[j, 0]] = wj / (wj + bj);
            out[[j, 1]] = f;
            out[[j, 4]] = ln_f_sf(f, df1, df2).exp();
        }
    }
    out
}

/// Box's M with the F approximation of Box (1949) as SPSS prints it: M, F, df1, df2, p; and
/// the log determinants (groups, then pooled).
pub fn box_m(stats: &ClassStats, w: &Array2<f64>, sel: &[usize]) -> ([f64; 5], Vec<f64>) {
    let s = sel.len();
    let sf = s as f64;
    let g = stats.counts.len();
    let gf = g as f64;
    let n: f64 = stats.counts.iter().map(|&c| c as f64).sum();
    let mut logs = Vec::with_capacity(g + 1);
    for (c, sc) in stats.scatter.iter().enumerate() {
        let dfc = stats.counts[c] as f64 - 1.0;
        let cov: Vec<f64> = sub(sc, sel).iter().map(|v| v / dfc).collect();
        logs.push(ln_det(&cov, s));
    }
    let pooled: Vec<f64> = sub(w, sel).iter().map(|v| v / (n - gf)).collect();
    logs.push(ln_det(&pooled, s));
    let mut m = (n - gf) * logs[g];
    let (mut inv1, mut inv2) = (0.0, 0.0);
    for c in 0..g {
        let dfc = stats.counts[c] as f64 - 1.0;
        m -= dfc * logs[c];
        inv1 += 1.0 / dfc;
        inv2 += 1.0 / (dfc * dfc);
    }
    let nmg = n - gf;
    let c1 =
        (inv1 - 1.0 / nmg) * (2.0 * sf * sf + 3.0 * sf - 1.0) / (6.0 * (sf + 1.0) * (gf - 1.0));
    let c2 = (inv2 - 1.0 / (nmg * nmg)) * (sf - 1.0) * (sf + 2.0) / (6.0 * (gf - 1.0));
    let df1 = sf * (sf + 1.0) * (gf - 1.0) / 2.0;
    let (f, df2) = if c2 - c1 * c1 > 0.0 {
        let df2 = (df1 + 2.0) / (c2 - c1 * c1);
        let bb = df1 / (1.0 - c1 - df1 / df2);
        (m / bb, df2)
    } else {
        let df2 = (df1 + 2.0) / (c1 * c1 - c2);
        let bb = df2 / (1.0 - c1 + 2.0 / df2);
        (df2 * m / (df1 * (bb - m)), df2)
    };
    let p = if f.is_finite() {
        ln_f_sf(f, df1, df2).exp()
    } else {
        f64::NAN
    };
    ([m, f, df1, df2, p], logs)
}

/// The canonical analysis of the variables `sel`.
pub fn analyse(
    stats: &ClassStats,
    w: &Array2<f64>,
    b: &Array2<f64>,
    sel: &[usize],
    priors: &[f64],
) -> Result<Canonical> {
    let s = sel.len();
    let p = w.nrows();
    let g = stats.counts.len();
    let n: f64 = stats.counts.iter().map(|&c| c as f64).sum();
    let dfe = n - g as f64;
    let ws = sub(w, sel);
    let bs = sub(b, sel);
    let l = linalg::cholesky(&ws, s).map_err(|j| {
        Error::invalid(
            "X",
            format!(
                "the within-group scatter of the selected variables is singular at column {}",
                sel[j]
            ),
        )
    })?;
    let li = linalg::lower_inverse(&l, s);
    // A = L⁻¹ B L⁻ᵀ, symmetric.
    let mut tmp = vec![0.0; s * s];
    for i in 0..s {
        for j in 0..s {
            tmp[i * s + j] = (0..=i).map(|k| li[i * s + k] * bs[k * s + j]).sum();
        }
    }
    let mut a = Array2::zeros((s, s));
    for i in 0..s {
        for j in 0..=i {
            let v: f64 = (0..=j).map(|k| tmp[i * s + k] * li[j * s + k]).sum();
            a[[i, j]] = v;
            a[[j, i]] = v;
        }
    }
    let (vals, vecs) = a
        .eigh()
        .map_err(|e| Error::invalid("X", format!("eigen solve failed: {e}")))?;
    let mut order: Vec<usize> = (0..s).collect();
    order.sort_by(|&i, &j| vals[j].total_cmp(&vals[i]));
    let q = s.min(g - 1);
    let order = &order[..q];
    let eigenvalues: Vec<f64> = order.iter().map(|&k| vals[k].max(0.0)).collect();

    // Raw coefficients v = √(n−g) L⁻ᵀ u.
    let scale = dfe.sqrt();
    let mut raw = Array2::zeros((s, q));
    for (f, &k) in order.iter().enumerate() {
        for i in 0..s {
            raw[[i, f]] = scale * (i..s).map(|r| li[r * s + i] * vecs[[r, k]]).sum::<f64>();
        }
    }
    let sd: Vec<f64> = sel.iter().map(|&j| (w[[j, j]] / dfe).sqrt()).collect();
    // Sign: the largest absolute standardized coefficient of each function is positive.
    for f in 0..q {
        let mut best = 0;
        for i in 0..s {
            if (raw[[i, f]] * sd[i]).abs() > (raw[[best, f]] * sd[best]).abs() {
                best = i;
            }
        }
        if raw[[best, f]] < 0.0 {
            raw.column_mut(f).mapv_inplace(|v| -v);
        }
    }
    let standardized = Array2::from_shape_fn((s, q), |(i, f)| raw[[i, f]] * sd[i]);
    let grand = stats.grand_mean();
    let raw_const: Vec<f64> = (0..q)
        .map(|f| -(0..s).map(|i| raw[[i, f]] * grand[sel[i]]).sum::<f64>())
        .collect();
    let centroids = Array2::from_shape_fn((g, q), |(c, f)| {
        (0..s)
            .map(|i| raw[[i, f]] * (stats.means[[c, sel[i]]] - grand[sel[i]]))
            .sum()
    });
    // Structure: (S_p v)_j / √(S_p)_jj for every variable j.
    let structure = Array2::from_shape_fn((p, q), |(j, f)| {
        let cov: f64 = (0..s).map(|i| w[[j, sel[i]]] * raw[[i, f]]).sum::<f64>() / dfe;
        let v = w[[j, j]] / dfe;
        if v > 0.0 {
            cov / v.sqrt()
        } else {
            f64::NAN
        }
    });
    // Fisher: S_p⁻¹ m_c = (n − g) W⁻¹ m_c; constant −½ m_c′ S_p⁻¹ m_c + ln prior.
    let mut class_coef = Array2::zeros((s, g));
    let mut class_coef_full = Array2::zeros((p, g));
    let mut class_const = vec![0.0; g];
    for c in 0..g {
        let mut m: Vec<f64> = sel.iter().map(|&j| stats.means[[c, j]]).collect();
        let mc = m.clone();
        linalg::cholesky_solve(&l, s, &mut m);
        let mut quad = 0.0;
        for i in 0..s {
            let v = dfe * m[i];
            class_coef[[i, c]] = v;
            class_coef_full[[sel[i], c]] = v;
            quad += v * mc[i];
        }
        class_const[c] = -0.5 * quad + priors[c].ln();
    }
    let (box_m, log_dets) = box_m(stats, w, sel);
    let wilks = wilks_table(&eigenvalues, n, s, g);
    Ok(Canonical {
        eigenvalues,
        wilks,
        raw_coef: raw,
        raw_const,
        standardized,
        structure,
        centroids,
        class_coef,
        class_coef_full,
        class_const,
        box_m,
        log_dets,
    })
}

/// Wilks' λ of the function sets k..q with Bartlett's χ² = −(n − 1 − (s + g)/2) ln λ on
/// (s − k)(g − k − 1) df (k from 0), and its p-value.
pub fn wilks_table(eig: &[f64], n: f64, s: usize, g: usize) -> Array2<f64> {
    let q = eig.len();
    let mut out = Array2::zeros((q, 4));
    for k in 0..q {
        let ln_l: f64 = -eig[k..].iter().map(|l| l.ln_1p()).sum::<f64>();
        let chi2 = -(n - 1.0 - (s + g) as f64 / 2.0) * ln_l;
        let df = ((s - k) * (g - k - 1)) as f64;
        out[[k, 0]] = ln_l.exp();
        out[[k, 1]] = chi2;
        out[[k, 2]] = df;
        out[[k, 3]] = ln_chi2_sf(chi2, df).exp();
    }
    out
}
