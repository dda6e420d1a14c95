//! Bindings for `crate::factor`: the correlation pass, the fit, KMO, Bartlett and score weights.

use std::collections::HashMap;

use super::array::{Aligned1, Aligned2};
use ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;

use super::run;
use crate::error::Error;
use crate::factor::{self, adequacy, moments, scores::ScoreMethod, FaParams, Method, Rotation};
use crate::partition::Placement;

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

fn correlation_pass(m: &moments::Moments) -> CorrelationPass {
    let c = m.finish();
    CorrelationPass {
        cov: c.cov,
        cor: c.cor,
        count: c.count,
        mean: Array1::from(c.mean),
        n_rows: m.n,
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
        Ok(correlation_pass(&moments::moments(x, &shift)?))
    })
}

/// The correlation pass's sums of one partition of a distributed pass, per chunk-tree node
/// (`crate::factor::moments::partition_moments`): row `i` of every array is node `i`; the
/// `p × p` matrices are flattened row-major; the pairwise sums are zero where `has_pairwise`
/// is false.
#[pyclass(frozen, module = "segmint._core")]
pub struct MomentNodes {
    #[pyo3(get)]
    node_first: Py<PyArray1<u64>>,
    #[pyo3(get)]
    node_count: Py<PyArray1<u64>>,
    #[pyo3(get)]
    n: Py<PyArray1<f64>>,
    #[pyo3(get)]
    sum: Py<PyArray2<f64>>,
    #[pyo3(get)]
    cross: Py<PyArray2<f64>>,
    #[pyo3(get)]
    has_pairwise: Py<PyArray1<bool>>,
    #[pyo3(get)]
    pw_count: Py<PyArray2<f64>>,
    #[pyo3(get)]
    pw_psum: Py<PyArray2<f64>>,
    #[pyo3(get)]
    pw_psq: Py<PyArray2<f64>>,
}

#[pyfunction]
#[pyo3(signature = (x, *, shift, row_start, n_total, n_threads))]
pub fn factor_partition_moments<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    shift: Aligned1<'py, f64>,
    row_start: usize,
    n_total: usize,
    n_threads: usize,
) -> PyResult<MomentNodes> {
    let (x, shift) = (x.as_array(), shift.as_array());
    let nodes = run(py, n_threads, || {
        let at = Placement { row_start, n_total };
        moments::partition_moments(x, &shift.to_vec(), at)
    })?;
    let (m, p) = (nodes.len(), x.ncols());
    let flat = |f: &dyn Fn(&moments::Moments) -> Option<&[f64]>, width: usize| {
        let mut a = Array2::<f64>::zeros((m, width));
        for (i, (_, mo)) in nodes.iter().enumerate() {
            if let Some(v) = f(mo) {
                a.row_mut(i).assign(&ndarray::ArrayView1::from(v));
            }
        }
        a.into_pyarray(py).unbind()
    };
    let ids = |pick: fn((usize, usize)) -> usize| {
        nodes
            .iter()
            .map(|(node, _)| pick(*node) as u64)
            .collect::<Array1<u64>>()
            .into_pyarray(py)
            .unbind()
    };
    Ok(MomentNodes {
        node_first: ids(|(f, _)| f),
        node_count: ids(|(_, c)| c),
        n: nodes
            .iter()
            .map(|(_, mo)| mo.n)
            .collect::<Array1<f64>>()
            .into_pyarray(py)
            .unbind(),
        sum: flat(&|mo| Some(&mo.sum), p),
        cross: flat(&|mo| Some(&mo.cross), p * p),
        has_pairwise: nodes
            .iter()
            .map(|(_, mo)| mo.pairwise.is_some())
            .collect::<Array1<bool>>()
            .into_pyarray(py)
            .unbind(),
        pw_count: flat(
            &|mo| mo.pairwise.as_ref().map(|w| w.count.as_slice()),
            p * p,
        ),
        pw_psum: flat(&|mo| mo.pairwise.as_ref().map(|w| w.psum.as_slice()), p * p),
        pw_psq: flat(&|mo| mo.pairwise.as_ref().map(|w| w.psq.as_slice()), p * p),
    })
}

/// The correlation pass of all rows from the partitions' [`MomentNodes`] (concatenated),
/// merged along the in-memory chunk tree.
#[pyfunction]
#[pyo3(signature = (node_first, node_count, n, sum, cross, has_pairwise, pw_count, pw_psum, pw_psq, *, shift, n_total))]
#[allow(clippy::too_many_arguments)]
pub fn factor_merge_moments<'py>(
    py: Python<'py>,
    node_first: Aligned1<'py, u64>,
    node_count: Aligned1<'py, u64>,
    n: Aligned1<'py, f64>,
    sum: Aligned2<'py, f64>,
    cross: Aligned2<'py, f64>,
    has_pairwise: Aligned1<'py, bool>,
    pw_count: Aligned2<'py, f64>,
    pw_psum: Aligned2<'py, f64>,
    pw_psq: Aligned2<'py, f64>,
    shift: Aligned1<'py, f64>,
    n_total: usize,
) -> PyResult<CorrelationPass> {
    let (first, count, n, flags, shift) = (
        node_first.as_array(),
        node_count.as_array(),
        n.as_array(),
        has_pairwise.as_array(),
        shift.as_array(),
    );
    let (sum, cross) = (sum.as_array(), cross.as_array());
    let (pw_count, pw_psum, pw_psq) = (pw_count.as_array(), pw_psum.as_array(), pw_psq.as_array());
    let merged = run(py, 1, || {
        let (m, p) = (first.len(), shift.len());
        let shapes_ok = [count.len(), n.len(), flags.len()].iter().all(|&l| l == m)
            && sum.dim() == (m, p)
            && [&cross, &pw_count, &pw_psum, &pw_psq]
                .iter()
                .all(|a| a.dim() == (m, p * p));
        if !shapes_ok {
            return Err(Error::invalid(
                "partitions",
                "node arrays of inconsistent shapes",
            ));
        }
        let mut nodes = HashMap::with_capacity(m);
        for i in 0..m {
            let mo = moments::Moments {
                p,
                shift: shift.to_vec(),
                n: n[i],
                sum: sum.row(i).to_vec(),
                cross: cross.row(i).to_vec(),
                pairwise: flags[i].then(|| moments::Pairwise {
                    count: pw_count.row(i).to_vec(),
                    psum: pw_psum.row(i).to_vec(),
                    psq: pw_psq.row(i).to_vec(),
                }),
                infinite: false,
            };
            if nodes
                .insert((first[i] as usize, count[i] as usize), mo)
                .is_some()
            {
                return Err(Error::invalid(
                    "partitions",
                    "a chunk-tree node appears twice",
                ));
            }
        }
        moments::merge_partitions(nodes, n_total)
    })?;
    Ok(correlation_pass(&merged))
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
