//! Exploratory factor analysis with R psych's numbers: the correlation pass ([`moments`]),
//! extraction ([`extract`]), rotation ([`rotate`]), sampling adequacy and fit statistics
//! ([`adequacy`]) and factor score weights ([`scores`]).
//!
//! [`fit`] takes a correlation matrix and follows psych's `fa` step by step: extraction, column
//! signs made positive, rotation, signs again, factors sorted by the variance they explain
//! (diag(Φ PᵀP)) with Φ permuted alongside.

pub mod adequacy;
pub mod dense;
pub mod extract;
pub mod moments;
pub mod rotate;
pub mod scores;

use ndarray::{Array1, Array2, ArrayView2};

use crate::error::{Error, Result};
pub use extract::Method;
pub use rotate::Rotation;

#[derive(Debug, Clone, Copy)]
pub struct FaParams {
    pub n_factors: usize,
    pub method: Method,
    pub rotation: Rotation,
    pub kaiser_normalize: bool,
    pub max_iter: usize,
    /// Number of observations (for the fit statistics); 0 = unknown.
    pub n_obs: f64,
    pub scores: scores::ScoreMethod,
}

#[derive(Debug, Clone)]
pub struct FaResult {
    pub loadings: Array2<f64>,
    pub unrotated: Array2<f64>,
    pub structure: Array2<f64>,
    pub phi: Array2<f64>,
    pub rotation_matrix: Array2<f64>,
    /// diag(P Φ Pᵀ).
    pub communalities: Array1<f64>,
    /// diag(R) − communalities.
    pub uniquenesses: Array1<f64>,
    /// The extraction's own uniquenesses ψ (minres / ml optimum).
    pub psi: Array1<f64>,
    /// Eigenvalues of R, and of R with the communalities on the diagonal (psych's `values`).
    pub eigen_r: Array1<f64>,
    pub eigen_reduced: Array1<f64>,
    pub n_iter: usize,
    pub converged: bool,
    pub rotation_converged: bool,
    pub objective: f64,
    pub fit: Option<adequacy::FitStats>,
    /// KMO and Bartlett's test of R (factor methods; Bartlett needs n_obs).
    pub kmo: Option<adequacy::Kmo>,
    pub bartlett: Option<adequacy::Bartlett>,
    /// Score weights for `FaParams::scores`.
    pub weights: Array2<f64>,
}

/// Degrees of freedom of a k-factor model for p items: ((p − k)² − p − k) / 2.
pub fn model_df(p: usize, k: usize) -> f64 {
    let (p, k) = (p as f64, k as f64);
    ((p - k).powi(2) - p - k) / 2.0
}

/// Checks that `r` is a usable correlation matrix: square, finite, symmetric, unit diagonal and
/// (for the factor methods) positive definite; a singular matrix names the items involved.
pub fn check_correlation(r: ArrayView2<'_, f64>, names: &[String], need_pd: bool) -> Result<()> {
    let p = r.nrows();
    if r.ncols() != p || p == 0 {
        return Err(Error::invalid(
            "X",
            "the correlation matrix must be square and non-empty",
        ));
    }
    for j in 0..p {
        if !r[[j, j]].is_finite() || (r[[j, j]] - 1.0).abs() > 1e-8 {
            return Err(Error::invalid(
                name(names, j),
                "has no variance (constant or all missing)",
            ));
        }
    }
    if let Some((j, k)) = (0..p)
        .flat_map(|j| (0..p).map(move |k| (j, k)))
        .find(|&(j, k)| !r[[j, k]].is_finite())
    {
        return Err(Error::invalid(
            format!("{}, {}", name(names, j), name(names, k)),
            "no rows where both are present: their correlation is undefined",
        ));
    }
    if need_pd {
        let (vals, vecs) = dense::eigh_desc(r)?;
        let last = p - 1;
        if vals[last] <= 1e-10 * vals[0].max(1.0) {
            let v = vecs.column(last);
            let top = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            let involved: Vec<String> = (0..p)
                .filter(|&i| v[i].abs() >= 0.25 * top)
                .map(|i| format!("{:?}", name(names, i)))
                .collect();
            return Err(Error::invalid(
                "X",
                format!(
                    "the correlation matrix is singular (smallest eigenvalue {:.3e}): columns {} \
                     are (nearly) linearly dependent, e.g. duplicated; drop one of them",
                    vals[last],
                    involved.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn name(names: &[String], j: usize) -> String {
    names.get(j).cloned().unwrap_or_else(|| format!("x{j}"))
}

/// psych's column signs: every column sum made non-negative.
fn sign_columns(l: &mut Array2<f64>, m: Option<&mut Array2<f64>>) -> Vec<f64> {
    let signs: Vec<f64> = l
        .columns()
        .into_iter()
        .map(|c| if c.sum() < 0.0 { -1.0 } else { 1.0 })
        .collect();
    for (c, s) in signs.iter().enumerate() {
        l.column_mut(c).mapv_inplace(|v| v * s);
    }
    if let Some(m) = m {
        for (c, s) in signs.iter().enumerate() {
            m.column_mut(c).mapv_inplace(|v| v * s);
        }
    }
    signs
}

/// Factor analysis of a correlation matrix (psych `fa` / `principal`).
pub fn fit(r: ArrayView2<'_, f64>, names: &[String], params: &FaParams) -> Result<FaResult> {
    let p = r.nrows();
    let k = params.n_factors;
    if k == 0 || k > p {
        return Err(Error::invalid(
            "n_factors",
            format!("must be between 1 and the number of items ({p}), got {k}"),
        ));
    }
    let factor_method = params.method != Method::Principal;
    if factor_method && model_df(p, k) < 0.0 {
        return Err(Error::invalid(
            "n_factors",
            format!(
                "{k} factors are not identified for {p} items: the model has {} degrees of \
                 freedom (< 0); use at most {} factors",
                model_df(p, k),
                (0..=p).rev().find(|&m| model_df(p, m) >= 0.0).unwrap_or(0)
            ),
        ));
    }
    check_correlation(r, names, factor_method)?;
    let ex = match params.method {
        Method::Minres => extract::minres(r, k, params.max_iter)?,
        Method::Ml => extract::ml(r, k, params.max_iter)?,
        Method::Principal => extract::principal(r, k)?,
        Method::Pa => extract::pa(r, k, params.max_iter)?,
    };
    let mut unrotated = ex.loadings.clone();
    sign_columns(&mut unrotated, None);
    // psych: the model (and its eigenvalues) come from the unrotated loadings.
    let model = unrotated.dot(&unrotated.t());
    let mut reduced = r.to_owned();
    for j in 0..p {
        reduced[[j, j]] = model[[j, j]];
    }
    let eigen_reduced = dense::eigvals_desc(reduced.view())?;
    let eigen_r = dense::eigvals_desc(r)?;

    let rot = rotate::rotate(
        unrotated.view(),
        params.rotation,
        params.kaiser_normalize,
        params.max_iter.max(1000),
    )?;
    let mut pattern = rot.pattern;
    let mut matrix = rot.matrix;
    let signs = sign_columns(&mut pattern, Some(&mut matrix));
    let mut phi = rot.phi;
    for a in 0..k {
        for b in 0..k {
            phi[[a, b]] *= signs[a] * signs[b];
        }
    }
    // Sort by diag(Φ PᵀP), decreasing (R's order() is stable).
    let ptp = pattern.t().dot(&pattern);
    let ev = phi.dot(&ptp);
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        ev[[b, b]]
            .partial_cmp(&ev[[a, a]])
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let loadings = Array2::from_shape_fn((p, k), |(i, c)| pattern[[i, order[c]]]);
    let rotation_matrix = Array2::from_shape_fn((k, k), |(i, c)| matrix[[i, order[c]]]);
    let phi = Array2::from_shape_fn((k, k), |(a, b)| phi[[order[a], order[b]]]);
    let structure = loadings.dot(&phi);
    let communalities = Array1::from_shape_fn(p, |i| loadings.row(i).dot(&structure.row(i)));
    let uniquenesses = Array1::from_shape_fn(p, |i| r[[i, i]] - model[[i, i]]);
    let fit = if params.n_obs > 0.0 && factor_method {
        Some(adequacy::fit_stats(
            r,
            &unrotated,
            params.n_obs,
            if params.method == Method::Ml {
                Some(ex.objective)
            } else {
                None
            },
        )?)
    } else {
        None
    };
    let (kmo, bartlett) = if factor_method {
        (
            Some(adequacy::kmo(r)?),
            if params.n_obs > 0.0 {
                Some(adequacy::bartlett(r, params.n_obs)?)
            } else {
                None
            },
        )
    } else {
        (None, None)
    };
    let weights = scores::weights(r, loadings.view(), phi.view(), params.scores)?;
    Ok(FaResult {
        kmo,
        bartlett,
        weights,
        loadings,
        unrotated,
        structure,
        phi,
        rotation_matrix,
        communalities,
        uniquenesses,
        psi: ex.psi,
        eigen_r,
        eigen_reduced,
        n_iter: ex.n_iter,
        converged: ex.converged,
        rotation_converged: rot.converged,
        objective: ex.objective,
        fit,
    })
}
