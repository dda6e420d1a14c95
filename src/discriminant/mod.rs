//! Linear discriminant analysis with the table set of SPSS DISCRIMINANT.
//!
//! - [`scatter`]: the one pass over the rows (per-class counts, means, centred scatter), merged
//!   exactly over fixed row chunks;
//! - [`canonical`]: the canonical functions (B v = λ W v by Cholesky of W and a symmetric eigen
//!   solve), Wilks' λ per function set, univariate F, Box's M, coefficients, structure matrix,
//!   Fisher's classification functions;
//! - [`stepwise`]: variable selection by Wilks' λ with F-to-enter / F-to-remove and tolerance, and
//!   the tolerance screen of the direct method;
//! - [`classify`]: posterior probabilities and leave-one-out classification by the closed-form
//!   downdate of the class mean and the within-group scatter.

pub mod canonical;
pub mod classify;
pub mod scatter;
pub mod stepwise;

use ndarray::{Array2, ArrayView1, ArrayView2};

use crate::error::{Error, Result};

pub use canonical::Canonical;
pub use scatter::{class_stats, ClassStats};
pub use stepwise::Step;

/// How variables enter the analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// All variables that pass the tolerance test, in column order.
    Direct,
    /// Stepwise by Wilks' λ (SPSS METHOD=WILKS).
    Wilks,
}

/// Parameters of [`fit`].
#[derive(Debug, Clone)]
pub struct Params {
    /// Prior probability of each class (positive, summing to 1).
    pub priors: Vec<f64>,
    pub method: Method,
    /// F-to-enter (SPSS FIN, 3.84).
    pub f_in: f64,
    /// F-to-remove (SPSS FOUT, 2.71).
    pub f_out: f64,
    /// Minimum tolerance (SPSS TOLERANCE, 0.001).
    pub tolerance: f64,
    /// Also classify each row by the functions fitted without it.
    pub cross_validate: bool,
}

impl Params {
    fn check(&self, g: usize) -> Result<()> {
        if self.priors.len() != g {
            return Err(Error::invalid(
                "priors",
                format!("has {} values for {g} groups", self.priors.len()),
            ));
        }
        if self.priors.iter().any(|&p| !(p.is_finite() && p > 0.0)) {
            return Err(Error::invalid("priors", "must all be positive"));
        }
        let total: f64 = self.priors.iter().sum();
        if (total - 1.0).abs() > 1e-6 {
            return Err(Error::invalid(
                "priors",
                format!("must sum to 1, sum to {total}"),
            ));
        }
        if !(self.tolerance > 0.0 && self.tolerance < 1.0) {
            return Err(Error::invalid("tolerance", "must lie in (0, 1)"));
        }
        if !(self.f_in.is_finite() && self.f_out.is_finite() && self.f_out >= 0.0) {
            return Err(Error::invalid(
                "f_in",
                "f_in and f_out must be finite, f_out ≥ 0",
            ));
        }
        if self.f_out > self.f_in {
            return Err(Error::invalid("f_out", "must not exceed f_in"));
        }
        Ok(())
    }
}

/// Everything a fit reports.
#[derive(Debug, Clone)]
pub struct Fit {
    pub stats: ClassStats,
    /// Variables in the analysis (column indices, in entry order for the stepwise method).
    pub selected: Vec<usize>,
    /// Variables that failed the tolerance test (direct method).
    pub excluded: Vec<usize>,
    pub canonical: Canonical,
    /// Univariate tests per variable (all p): Wilks' λ, F, df1, df2, p.
    pub univariate: Array2<f64>,
    /// Stepwise history (empty for the direct method).
    pub steps: Vec<Step>,
    /// Predicted class of each row by the functions of all rows.
    pub predicted: Vec<u32>,
    /// Predicted class of each row by the functions fitted without it (cross_validate).
    pub loo: Option<Vec<u32>>,
}

/// Fits the discriminant analysis of `x` (n × p) on `labels` (in 0..g).
pub fn fit(x: ArrayView2<f64>, labels: ArrayView1<u32>, g: usize, params: &Params) -> Result<Fit> {
    if g < 2 {
        return Err(Error::invalid("y", "needs at least two segments"));
    }
    params.check(g)?;
    let mut fit = fit_stats(class_stats(x, labels, g)?, params)?;
    let canonical = &fit.canonical;
    fit.predicted = classify::predict(x, &canonical.class_coef_full, &canonical.class_const)?;
    if params.cross_validate {
        let w = fit.stats.within();
        fit.loo = Some(classify::leave_one_out(
            x,
            labels,
            &fit.stats,
            &w,
            &fit.selected,
            &params.priors,
        )?);
    }
    Ok(fit)
}

/// The fit from the class statistics alone (e.g. merged from a distributed pass): everything
/// but the per-row classifications, `predicted` (left empty) and `loo` (None), which need the
/// rows ([`classify::predict`] and [`classify::leave_one_out`] give them row by row).
pub fn fit_stats(stats: ClassStats, params: &Params) -> Result<Fit> {
    let g = stats.counts.len();
    if g < 2 {
        return Err(Error::invalid("y", "needs at least two segments"));
    }
    params.check(g)?;
    if let Some(c) = stats.counts.iter().position(|&c| c < 2) {
        return Err(Error::invalid(
            format!("y[{c}]"),
            format!(
                "segment {c} has {} member(s); every segment needs at least two",
                stats.counts[c]
            ),
        ));
    }
    let n: u64 = stats.counts.iter().sum();
    if n as usize <= g {
        return Err(Error::invalid("X", "needs more rows than segments"));
    }
    let w = stats.within();
    let b = stats.between();
    let univariate = canonical::univariate(&w, &b, n as f64, g);
    let (selected, excluded, steps) = match params.method {
        Method::Direct => {
            let (sel, exc) = stepwise::direct(&w, params.tolerance);
            (sel, exc, Vec::new())
        }
        Method::Wilks => {
            let (sel, steps) = stepwise::wilks(&w, &b, n as f64, g, params)?;
            (sel, Vec::new(), steps)
        }
    };
    if selected.is_empty() {
        return Err(Error::invalid(
            "X",
            match params.method {
                Method::Direct => "no variable passes the tolerance test (all constant?)",
                Method::Wilks => "no variable meets the entry criteria (F-to-enter, tolerance)",
            },
        ));
    }
    let canonical = canonical::analyse(&stats, &w, &b, &selected, &params.priors)?;
    Ok(Fit {
        stats,
        selected,
        excluded,
        canonical,
        univariate,
        steps,
        predicted: Vec::new(),
        loo: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

    fn params(g: usize, method: Method) -> Params {
        Params {
            priors: vec![1.0 / g as f64; g],
            method,
            f_in: 3.84,
            f_out: 2.71,
            tolerance: 0.001,
            cross_validate: true,
        }
    }

    fn data(n: usize, p: usize, g: usize) -> (Array2<f64>, Array1<u32>) {
        let labels = Array1::from_shape_fn(n, |i| (i % g) as u32);
        let x = Array2::from_shape_fn((n, p), |(i, j)| {
            let noise = ((i * 7919 + j * 104729) as f64).sin() * 0.5;
            noise + if j < 2 { (i % g) as f64 * 0.3 } else { 0.0 }
        });
        (x, labels)
    }

    #[test]
    fn one_member_segment_is_named() {
        let (x, mut labels) = data(30, 3, 3);
        labels[0] = 3;
        let err = fit(x.view(), labels.view(), 4, &params(4, Method::Direct)).unwrap_err();
        assert!(err.to_string().contains("segment 3 has 1 member"), "{err}");
    }

    #[test]
    fn first_step_f_is_the_univariate_f() {
        let (x, labels) = data(300, 4, 3);
        let f = fit(x.view(), labels.view(), 3, &params(3, Method::Wilks)).expect("fit");
        let first = &f.steps[0];
        assert!(first.entered && first.exact);
        let uni = f.univariate[[first.variable, 1]];
        assert!((first.f - uni).abs() < 1e-9 * uni);
        assert!((first.f_change - uni).abs() < 1e-9 * uni);
    }

    #[test]
    fn constant_column_is_excluded() {
        let (mut x, labels) = data(90, 3, 3);
        x.column_mut(1).fill(2.5);
        let f = fit(x.view(), labels.view(), 3, &params(3, Method::Direct)).expect("fit");
        assert_eq!(f.excluded, vec![1]);
        assert_eq!(f.selected, vec![0, 2]);
        assert_eq!(f.loo.as_ref().map(|v| v.len()), Some(90));
    }
}
