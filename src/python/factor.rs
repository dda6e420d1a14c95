//! Bindings for `crate::factor`: the correlation pass, the fit, KMO, Bartlett and score weights.

use super::array::Aligned2;
use ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;

use super::run;
use crate::error::Error;
use crate::factor::{self, adequacy, moments, scores::ScoreMethod, FaParams, Method, Rotation};

type Matrix<'py> = Bound<'py, PyArray2<f64>>;
type Vector<'py> = Bound<'py, PyArray1<f64>>;

fn mat<'py>(py: Python<'py>, a: &Array2<f64>) -> Matrix<'py> {
    a.clone().into_pyarray(py)
}

fn vec1<'py>(py: Python<'py>, a: &Array1<f64>) -> Vector<'py> {
    a.clone().into_pyarray(py)
}

/// The correlation pass over the rows of `x` (NaN = missing, pairwise-complete).
#[pyclass(frozen, module = "segmint._core")]
pub struct CorrelationPass {
    cov: Array2<f64>,
    cor: Array2<f64>,
    count: Array2<f64>,
    mean: Array1<f64>,
    n_rows: f64,
}

#[pymethods]
impl CorrelationPass {
    #[getter]
    fn cov<'py>(&self, py: Python<'py>) -> Matrix<'py> {
        mat(py, &self.cov)
    }
    #[getter]
    fn cor<'py>(&self, py: Python<'py>) -> Matrix<'py> {
        mat(py, &self.cor)
    }
    /// Rows used for each pair.
    #[getter]
    fn count<'py>(&self, py: Python<'py>) -> Matrix<'py> {
        mat(py, &self.count)
    }
    #[getter]
    fn mean<'py>(&self, py: Python<'py>) -> Vector<'py> {
        vec1(py, &self.mean)
    }
    #[getter]
    fn n_rows(&self) -> f64 {
        self.n_rows
    }
}

#[pyfunction]
#[pyo3(signature = (x, *, n_threads))]
pub fn factor_correlation<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    n_threads: usize,
) -> PyResult<CorrelationPass> {
    let x = x.as_array();
    run(py, n_threads, || {
        let shift = moments::default_shift(x);
        let m = moments::moments(x, &shift)?;
        let c = m.finish();
        Ok(CorrelationPass {
            cov: c.cov,
            cor: c.cor,
            count: c.count,
            mean: Array1::from(c.mean),
            n_rows: m.n,
        })
    })
}

fn parse_method(s: &str) -> Result<Method, Error> {
    Ok(match s {
        "minres" => Method::Minres,
        "ml" => Method::Ml,
        "principal" => Method::Principal,
        "pa" => Method::Pa,
        _ => return Err(Error::invalid("method", format!("unknown method {s:?}"))),
    })
}

fn parse_rotation(s: &str, gamma: f64, delta: f64, power: f64) -> Result<Rotation, Error> {
    Ok(match s {
        "none" => Rotation::None,
        "varimax" => Rotation::Varimax,
        "quartimax" => Rotation::Quartimax,
        "equamax" => Rotation::Equamax,
        "geomin_orthogonal" => Rotation::GeominT { delta },
        "promax" => Rotation::Promax { power },
        "oblimin" => Rotation::Oblimin { gamma },
        "quartimin" => Rotation::Quartimin,
        "geomin" => Rotation::GeominQ { delta },
        "oblimax" => Rotation::Oblimax,
        _ => {
            return Err(Error::invalid(
                "rotation",
                format!("unknown rotation {s:?}"),
            ))
        }
    })
}

/// A fitted factor model (psych `fa` conventions).
#[pyclass(frozen, module = "segmint._core")]
pub struct FactorFit {
    inner: factor::FaResult,
}

#[pymethods]
impl FactorFit {
    #[getter]
    fn loadings<'py>(&self, py: Python<'py>) -> Matrix<'py> {
        mat(py, &self.inner.loadings)
    }
    #[getter]
    fn unrotated<'py>(&self, py: Python<'py>) -> Matrix<'py> {
        mat(py, &self.inner.unrotated)
    }
    #[getter]
    fn structure<'py>(&self, py: Python<'py>) -> Matrix<'py> {
        mat(py, &self.inner.structure)
    }
    #[getter]
    fn phi<'py>(&self, py: Python<'py>) -> Matrix<'py> {
        mat(py, &self.inner.phi)
    }
    #[getter]
    fn rotation_matrix<'py>(&self, py: Python<'py>) -> Matrix<'py> {
        mat(py, &self.inner.rotation_matrix)
    }
    #[getter]
    fn communalities<'py>(&self, py: Python<'py>) -> Vector<'py> {
        vec1(py, &self.inner.communalities)
    }
    #[getter]
    fn uniquenesses<'py>(&self, py: Python<'py>) -> Vector<'py> {
        vec1(py, &self.inner.uniquenesses)
    }
    #[getter]
    fn psi<'py>(&self, py: Python<'py>) -> Vector<'py> {
        vec1(py, &self.inner.psi)
    }
    #[getter]
    fn eigen_r<'py>(&self, py: Python<'py>) -> Vector<'py> {
        vec1(py, &self.inner.eigen_r)
    }
    #[getter]
    fn eigen_reduced<'py>(&self, py: Python<'py>) -> Vector<'py> {
        vec1(py, &self.inner.eigen_reduced)
    }
    #[getter]
    fn n_iter(&self) -> usize {
        self.inner.n_iter
    }
    #[getter]
    fn converged(&self) -> bool {
        self.inner.converged
    }
    #[getter]
    fn rotation_converged(&self) -> bool {
        self.inner.rotation_converged
    }
    #[getter]
    fn objective(&self) -> f64 {
        self.inner.objective
    }
    /// (objective, chi2, df, p_value, rmsea, tli, bic) or None without n_obs.
    #[getter]
    fn fit_stats(&self) -> Option<FitStats> {
        self.inner.fit.map(|f| FitStats { inner: f })
    }
    /// KMO of R (None for principal components).
    #[getter]
    fn kmo(&self) -> Option<KmoResult> {
        self.inner.kmo.as_ref().map(|k| KmoResult {
            overall: k.overall,
            per_item: k.per_item.clone(),
        })
    }
    /// Bartlett's test of sphericity (None for principal components or without n_obs).
    #[getter]
    fn bartlett(&self) -> Option<BartlettResult> {
        self.inner.bartlett.map(|b| BartlettResult {
            chi2: b.chi2,
            df: b.df,
            p_value: b.p_value,
        })
    }
    /// Score weights for the requested method.
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> Matrix<'py> {
        mat(py, &self.inner.weights)
    }
}

fn parse_scores(s: &str) -> Result<ScoreMethod, Error> {
    Ok(match s {
        "regression" => ScoreMethod::Regression,
        "bartlett" => ScoreMethod::Bartlett,
        "tenberge" => ScoreMethod::TenBerge,
        _ => return Err(Error::invalid("scores", format!("unknown method {s:?}"))),
    })
}

#[pyclass(frozen, module = "segmint._core")]
pub struct FitStats {
    inner: adequacy::FitStats,
}

#[pymethods]
impl FitStats {
    #[getter]
    fn objective(&self) -> f64 {
        self.inner.objective
    }
    #[getter]
    fn chi2(&self) -> f64 {
        self.inner.chi2
    }
    #[getter]
    fn df(&self) -> f64 {
        self.inner.df
    }
    #[getter]
    fn p_value(&self) -> f64 {
        self.inner.p_value
    }
    #[getter]
    fn rmsea(&self) -> f64 {
        self.inner.rmsea
    }
    #[getter]
    fn tli(&self) -> f64 {
        self.inner.tli
    }
    #[getter]
    fn bic(&self) -> f64 {
        self.inner.bic
    }
}

/// Factor analysis of the correlation matrix `r` (items named by `names`).
#[pyfunction]
#[pyo3(signature = (r, *, names, n_factors, method, rotation, kaiser_normalize, max_iter, n_obs, scores="regression", gamma=0.0, delta=0.01, power=4.0, n_threads=0))]
#[allow(clippy::too_many_arguments)]
pub fn factor_fit<'py>(
    py: Python<'py>,
    r: Aligned2<'py, f64>,
    names: Vec<String>,
    n_factors: usize,
    method: &str,
    rotation: &str,
    kaiser_normalize: bool,
    max_iter: usize,
    n_obs: f64,
    scores: &str,
    gamma: f64,
    delta: f64,
    power: f64,
    n_threads: usize,
) -> PyResult<FactorFit> {
    let r = r.as_array();
    let method = method.to_string();
    let rotation = rotation.to_string();
    let scores = scores.to_string();
    run(py, n_threads, || {
        let params = FaParams {
            n_factors,
            method: parse_method(&method)?,
            rotation: parse_rotation(&rotation, gamma, delta, power)?,
            kaiser_normalize,
            max_iter,
            n_obs,
            scores: parse_scores(&scores)?,
        };
        let r = r.as_standard_layout();
        Ok(FactorFit {
            inner: factor::fit(r.view(), &names, &params)?,
        })
    })
}

/// Kaiser–Meyer–Olkin measure of sampling adequacy.
#[pyclass(frozen, module = "segmint._core")]
pub struct KmoResult {
    overall: f64,
    per_item: Array1<f64>,
}

#[pymethods]
impl KmoResult {
    #[getter]
    fn overall(&self) -> f64 {
        self.overall
    }
    #[getter]
    fn per_item<'py>(&self, py: Python<'py>) -> Vector<'py> {
        vec1(py, &self.per_item)
    }
}

#[pyfunction]
#[pyo3(signature = (r, *, names, n_threads=0))]
pub fn factor_kmo<'py>(
    py: Python<'py>,
    r: Aligned2<'py, f64>,
    names: Vec<String>,
    n_threads: usize,
) -> PyResult<KmoResult> {
    let r = r.as_array();
    run(py, n_threads, || {
        let r = r.as_standard_layout();
        factor::check_correlation(r.view(), &names, true)?;
        let k = adequacy::kmo(r.view())?;
        Ok(KmoResult {
            overall: k.overall,
            per_item: k.per_item,
        })
    })
}

#[pyclass(frozen, module = "segmint._core")]
pub struct BartlettResult {
    #[pyo3(get)]
    chi2: f64,
    #[pyo3(get)]
    df: f64,
    #[pyo3(get)]
    p_value: f64,
}

#[pyfunction]
#[pyo3(signature = (r, *, names, n_obs, n_threads=0))]
pub fn factor_bartlett<'py>(
    py: Python<'py>,
    r: Aligned2<'py, f64>,
    names: Vec<String>,
    n_obs: f64,
    n_threads: usize,
) -> PyResult<BartlettResult> {
    let r = r.as_array();
    run(py, n_threads, || {
        let r = r.as_standard_layout();
        factor::check_correlation(r.view(), &names, true)?;
        let b = adequacy::bartlett(r.view(), n_obs)?;
        Ok(BartlettResult {
            chi2: b.chi2,
            df: b.df,
            p_value: b.p_value,
        })
    })
}

/// Factor score weights: scores = standardised data @ weights.
#[pyfunction]
#[pyo3(signature = (r, pattern, phi, *, method, n_threads=0))]
pub fn factor_score_weights<'py>(
    py: Python<'py>,
    r: Aligned2<'py, f64>,
    pattern: Aligned2<'py, f64>,
    phi: Aligned2<'py, f64>,
    method: &str,
    n_threads: usize,
) -> PyResult<Matrix<'py>> {
    let (r, pattern, phi) = (r.as_array(), pattern.as_array(), phi.as_array());
    let method = method.to_string();
    let w = run(py, n_threads, || {
        let m = match method.as_str() {
            "regression" => ScoreMethod::Regression,
            "bartlett" => ScoreMethod::Bartlett,
            "tenberge" => ScoreMethod::TenBerge,
            _ => {
                return Err(Error::invalid(
                    "scores",
                    format!("unknown method {method:?}"),
                ))
            }
        };
        factor::scores::weights(
            r.as_standard_layout().view(),
            pattern.as_standard_layout().view(),
            phi.as_standard_layout().view(),
            m,
        )
    })?;
    Ok(w.into_pyarray(py))
}
