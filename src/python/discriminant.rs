//! Bindings for `crate::discriminant`.

use super::array::{Aligned1, Aligned2};
use ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;

use super::run;
use crate::discriminant::{self, classify, Fit, Method, Params};
use crate::error::Error;

type Arr1<'py> = Bound<'py, PyArray1<f64>>;
type Arr2<'py> = Bound<'py, PyArray2<f64>>;

/// A fitted discriminant analysis: every table as numpy arrays.
#[pyclass(frozen, module = "segmint._core")]
pub struct DiscriminantFit {
    fit: Fit,
}

fn vec1<'py>(py: Python<'py>, v: &[f64]) -> Arr1<'py> {
    Array1::from(v.to_vec()).into_pyarray(py)
}

fn idx<'py>(py: Python<'py>, v: &[usize]) -> Bound<'py, PyArray1<i64>> {
    Array1::from_iter(v.iter().map(|&i| i as i64)).into_pyarray(py)
}

fn lab<'py>(py: Python<'py>, v: &[u32]) -> Bound<'py, PyArray1<i64>> {
    Array1::from_iter(v.iter().map(|&i| i as i64)).into_pyarray(py)
}

#[pymethods]
impl DiscriminantFit {
    /// Rows per class.
    #[getter]
    fn counts<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        Array1::from_iter(self.fit.stats.counts.iter().map(|&c| c as i64)).into_pyarray(py)
    }
    /// Class means, g × p.
    #[getter]
    fn means<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.stats.means.clone().into_pyarray(py)
    }
    /// Pooled within-group scatter W, p × p.
    #[getter]
    fn within<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.stats.within().into_pyarray(py)
    }
    /// Between-group scatter B, p × p.
    #[getter]
    fn between<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.stats.between().into_pyarray(py)
    }
    /// Variables in the analysis (column indices, entry order).
    #[getter]
    fn selected<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        idx(py, &self.fit.selected)
    }
    /// Variables that failed the tolerance test.
    #[getter]
    fn excluded<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        idx(py, &self.fit.excluded)
    }
    #[getter]
    fn eigenvalues<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.canonical.eigenvalues)
    }
    /// Wilks' λ, χ², df, p per function set (q × 4).
    #[getter]
    fn wilks<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.canonical.wilks.clone().into_pyarray(py)
    }
    /// Wilks' λ, F, df1, df2, p per variable (p × 5).
    #[getter]
    fn univariate<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.univariate.clone().into_pyarray(py)
    }
    /// Box's M, F, df1, df2, p.
    #[getter]
    fn box_m<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.canonical.box_m)
    }
    /// ln det of each group's covariance, then of the pooled one.
    #[getter]
    fn log_dets<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.canonical.log_dets)
    }
    #[getter]
    fn raw_coef<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.canonical.raw_coef.clone().into_pyarray(py)
    }
    #[getter]
    fn raw_const<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.canonical.raw_const)
    }
    #[getter]
    fn standardized<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.canonical.standardized.clone().into_pyarray(py)
    }
    /// Pooled within-group correlations of all p variables with the functions.
    #[getter]
    fn structure<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.canonical.structure.clone().into_pyarray(py)
    }
    #[getter]
    fn centroids<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.canonical.centroids.clone().into_pyarray(py)
    }
    /// Fisher's classification functions on all p columns (zero rows for variables not in the
    /// analysis), p × g.
    #[getter]
    fn class_coef<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        self.fit.canonical.class_coef_full.clone().into_pyarray(py)
    }
    #[getter]
    fn class_const<'py>(&self, py: Python<'py>) -> Arr1<'py> {
        vec1(py, &self.fit.canonical.class_const)
    }
    /// Stepwise history: one row per step with entered (1/0), variable, n_vars, λ, F, df1, df2,
    /// p, exact (1/0), F-to-enter / remove.
    #[getter]
    fn steps<'py>(&self, py: Python<'py>) -> Arr2<'py> {
        let s = &self.fit.steps;
        let mut m = Array2::zeros((s.len(), 10));
        for (r, st) in s.iter().enumerate() {
            let row = [
                f64::from(u8::from(st.entered)),
                st.variable as f64,
                st.n_vars as f64,
                st.lambda,
                st.f,
                st.df1,
                st.df2,
                st.p,
                f64::from(u8::from(st.exact)),
                st.f_change,
            ];
            for (c, v) in row.into_iter().enumerate() {
                m[[r, c]] = v;
            }
        }
        m.into_pyarray(py)
    }
    /// Predicted class of each row by the functions of all rows.
    #[getter]
    fn predicted<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        lab(py, &self.fit.predicted)
    }
    /// Leave-one-out predicted class of each row (None unless asked).
    #[getter]
    fn loo<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<i64>>> {
        self.fit.loo.as_ref().map(|v| lab(py, v))
    }
}

/// Fits the discriminant analysis of `x` (n × p) on `labels` (0..n_groups).
#[pyfunction]
#[pyo3(signature = (x, labels, *, n_groups, priors, stepwise, f_in, f_out, tolerance, cross_validate, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn discriminant_fit(
    py: Python<'_>,
    x: Aligned2<'_, f64>,
    labels: Aligned1<'_, i64>,
    n_groups: usize,
    priors: Vec<f64>,
    stepwise: bool,
    f_in: f64,
    f_out: f64,
    tolerance: f64,
    cross_validate: bool,
    n_threads: usize,
) -> PyResult<DiscriminantFit> {
    let (x, l) = (x.as_array(), labels.as_array());
    let params = Params {
        priors,
        method: if stepwise {
            Method::Wilks
        } else {
            Method::Direct
        },
        f_in,
        f_out,
        tolerance,
        cross_validate,
    };
    let fit = run(py, n_threads, || {
        if let Some(&bad) = l.iter().find(|&&v| v < 0 || v as usize >= n_groups) {
            return Err(Error::invalid(
                "y",
                format!("label {bad} is not in 0..{n_groups}"),
            ));
        }
        let labels: Array1<u32> = l.mapv(|v| v as u32);
        discriminant::fit(x, labels.view(), n_groups, &params)
    })?;
    Ok(DiscriminantFit { fit })
}

/// Posterior probabilities (n × g) from classification functions `coef` (p × g) and
/// `intercept` (g).
#[pyfunction]
#[pyo3(signature = (x, *, coef, intercept, n_threads))]
pub fn discriminant_proba<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    coef: Aligned2<'py, f64>,
    intercept: Aligned1<'py, f64>,
    n_threads: usize,
) -> PyResult<Arr2<'py>> {
    let (x, coef) = (x.as_array(), coef.as_array().to_owned());
    let intercept = intercept.as_array().to_vec();
    let p = run(py, n_threads, || classify::proba(x, &coef, &intercept))?;
    Ok(p.into_pyarray(py))
}
