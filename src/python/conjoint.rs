//! Bindings for `crate::conjoint`.

use super::array::{Aligned1, Aligned2};
use numpy::ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods};
use pyo3::prelude::*;

use super::{run, to_py_err};
use crate::conjoint::{hb, kernel, latent, mnl, rating};
use crate::error::Error;

fn square(v: Vec<f64>, k: usize) -> Array2<f64> {
    Array2::from_shape_vec((k, k), v).unwrap_or_else(|_| Array2::zeros((k, k)))
}

pub(crate) fn indices(a: &Aligned1<'_, i64>, what: &str) -> Result<Vec<usize>, Error> {
    a.as_array()
        .iter()
        .map(|&v| {
            usize::try_from(v).map_err(|_| Error::invalid(what.to_string(), "negative index"))
        })
        .collect()
}

/// The task boundaries and chosen rows of long choice data, as indices (both checked).
pub(crate) fn task_indices(
    py: Python<'_>,
    starts: &Aligned1<'_, i64>,
    chosen: &Aligned1<'_, i64>,
) -> PyResult<(Vec<usize>, Vec<usize>)> {
    let err = |e| to_py_err(py, e);
    Ok((
        indices(starts, "starts").map_err(err)?,
        indices(chosen, "chosen").map_err(err)?,
    ))
}

/// The long choice data of the MNL kernels from the bound arrays.
pub(crate) fn choice_data<'a>(
    x: numpy::ndarray::ArrayView2<'a, f64>,
    starts: &'a [usize],
    chosen: &'a [usize],
    weights: Option<&'a numpy::ndarray::ArrayView1<'a, f64>>,
) -> Result<mnl::ChoiceData<'a>, Error> {
    let k = x.ncols();
    let x = x
        .to_slice()
        .ok_or_else(|| Error::invalid("x", "must be C-contiguous"))?;
    let weights = weights
        .map(|w| {
            w.to_slice()
                .ok_or_else(|| Error::invalid("weights", "must be contiguous"))
        })
        .transpose()?;
    Ok(mnl::ChoiceData {
        x,
        k,
        starts,
        chosen,
        weights,
    })
}

/// What `rating_fit` returns: the per-respondent block and the pooled regression.
#[pyclass(frozen, module = "segmint._core")]
pub struct RatingFit {
    /// Respondents × (2 + Σ levels + attributes): intercept, R², every level's part-worth, the
    /// attributes' importances.
    #[pyo3(get)]
    per_respondent: Py<PyArray2<f64>>,
    /// Pooled coefficients (intercept first, effects-coded parameters).
    #[pyo3(get)]
    pooled_coef: Py<PyArray1<f64>>,
    /// Pooled part-worths of every level.
    #[pyo3(get)]
    pooled_part_worths: Py<PyArray1<f64>>,
    #[pyo3(get)]
    pooled_r2: f64,
    #[pyo3(get)]
    pooled_sigma: f64,
}

/// Per-respondent OLS of ratings on a shared effects-coded design (intercept first).
#[pyfunction]
#[pyo3(signature = (design, ratings, *, levels, names, n_threads))]
pub fn rating_fit<'py>(
    py: Python<'py>,
    design: Aligned2<'py, f64>,
    ratings: Aligned2<'py, f64>,
    levels: Vec<usize>,
    names: Vec<String>,
    n_threads: usize,
) -> PyResult<RatingFit> {
    let (x, y) = (design.as_array(), ratings.as_array());
    // The per-respondent block is a NumPy array from the start: NumPy's allocator asks the
    // kernel for huge pages, which saves thousands of page faults on large outputs.
    let width = rating::block_width(&levels);
    let block = numpy::PyArray2::<f64>::zeros(py, [y.nrows(), width], false);
    let mut guard = block.readwrite();
    let out = guard
        .as_slice_mut()
        .map_err(|e| to_py_err(py, Error::invalid("out", e.to_string())))?;
    let pooled = run(py, n_threads, || {
        rating::fit_rating_into(x, y, &levels, &names, out)
    })?;
    drop(guard);
    Ok(RatingFit {
        per_respondent: block.unbind(),
        pooled_coef: pooled.coef.into_pyarray(py).unbind(),
        pooled_part_worths: pooled.part_worths.into_pyarray(py).unbind(),
        pooled_r2: pooled.r2,
        pooled_sigma: pooled.sigma,
    })
}

/// What `mnl_fit` returns.
#[pyclass(frozen, module = "segmint._core")]
pub struct MnlFit {
    #[pyo3(get)]
    coef: Py<PyArray1<f64>>,
    /// Inverse information (k × k).
    #[pyo3(get)]
    covariance: Py<PyArray2<f64>>,
    /// Sandwich with scores summed per respondent (k × k).
    #[pyo3(get)]
    robust_covariance: Py<PyArray2<f64>>,
    #[pyo3(get)]
    information: Py<PyArray2<f64>>,
    #[pyo3(get)]
    loglik: f64,
    /// Log-likelihood with every coefficient zero.
    #[pyo3(get)]
    loglik_null: f64,
    #[pyo3(get)]
    n_iter: usize,
    #[pyo3(get)]
    converged: bool,
}

/// Conditional-logit maximum likelihood. `starts` (n_tasks + 1) delimit the tasks' rows,
/// `chosen` holds the chosen row of each task, `respondent_starts` the task offsets of the
/// respondents (for the clustered sandwich).
#[pyfunction]
#[pyo3(signature = (x, starts, chosen, respondent_starts, *, names, weights=None, start=None, max_iter, tol, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn mnl_fit<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    starts: Aligned1<'py, i64>,
    chosen: Aligned1<'py, i64>,
    respondent_starts: Aligned1<'py, i64>,
    names: Vec<String>,
    weights: Option<Aligned1<'py, f64>>,
    start: Option<Vec<f64>>,
    max_iter: usize,
    tol: f64,
    n_threads: usize,
) -> PyResult<MnlFit> {
    let xa = x.as_array();
    let k = xa.ncols();
    let w = weights.as_ref().map(|w| w.as_array());
    let (starts, chosen) = task_indices(py, &starts, &chosen)?;
    let runs = indices(&respondent_starts, "respondent_starts").map_err(|e| to_py_err(py, e))?;
    let (f, robust) = run(py, n_threads, || {
        let d = choice_data(xa, &starts, &chosen, w.as_ref())?;
        if runs.first() != Some(&0)
            || runs.last() != Some(&d.n_tasks())
            || runs.windows(2).any(|w| w[1] < w[0])
        {
            return Err(Error::invalid(
                "respondent_starts",
                "must run from 0 to the number of tasks",
            ));
        }
        let f = mnl::fit_mnl(
            &d,
            start.as_deref(),
            mnl::MnlParams { max_iter, tol },
            &names,
        )?;
        let robust = mnl::robust_covariance(&d, &f, &runs);
        Ok((f, robust))
    })?;
    Ok(MnlFit::new(py, f, robust, k))
}

impl MnlFit {
    /// The Python object of a fit and its robust covariance.
    pub(crate) fn new(py: Python<'_>, f: mnl::MnlFit, robust: Vec<f64>, k: usize) -> Self {
        MnlFit {
            coef: Array1::from(f.coef).into_pyarray(py).unbind(),
            covariance: square(f.covariance, k).into_pyarray(py).unbind(),
            robust_covariance: square(robust, k).into_pyarray(py).unbind(),
            information: square(f.information, k).into_pyarray(py).unbind(),
            loglik: f.loglik,
            loglik_null: f.loglik_null,
            n_iter: f.n_iter,
            converged: f.converged,
        }
    }
}

/// The conditional logit's sufficient statistics at `beta` (log-likelihood, gradient,
/// information): they add over tasks, so partitions of a data set can be evaluated separately
/// (e.g. on Dask workers) and summed.
#[pyfunction]
#[pyo3(signature = (x, starts, chosen, *, beta, weights=None, n_threads))]
#[allow(clippy::type_complexity)]
pub fn mnl_stats<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    starts: Aligned1<'py, i64>,
    chosen: Aligned1<'py, i64>,
    beta: Vec<f64>,
    weights: Option<Aligned1<'py, f64>>,
    n_threads: usize,
) -> PyResult<(
    f64,
    Bound<'py, numpy::PyArray1<f64>>,
    Bound<'py, numpy::PyArray2<f64>>,
)> {
    let xa = x.as_array();
    let k = xa.ncols();
    let w = weights.as_ref().map(|w| w.as_array());
    let (starts, chosen) = task_indices(py, &starts, &chosen)?;
    let s = run(py, n_threads, || {
        let d = choice_data(xa, &starts, &chosen, w.as_ref())?;
        d.validate()?;
        if beta.len() != k {
            return Err(Error::invalid("beta", format!("needs {k} values")));
        }
        Ok(mnl::loglik_stats(&d, &beta, true))
    })?;
    Ok((
        s.loglik,
        Array1::from(s.gradient).into_pyarray(py),
        square(s.information, k).into_pyarray(py),
    ))
}

/// A hierarchical Bayes MNL sampler advanced in slices (so Python can report progress).
#[pyclass(module = "segmint._core")]
pub struct HbSampler {
    inner: hb::HbSampler,
    n: usize,
    k: usize,
    q: usize,
}

#[pymethods]
impl HbSampler {
    /// `constraints`: list of (kind, parameter indices, increasing) with kind "sign" (one index)
    /// or "levels" (the effects-coded indices of one attribute).
    #[new]
    #[pyo3(signature = (x, starts, chosen, respondent_starts, *, z, v0, constraints, n_iter, burn_in, thin, n_chains, prior_variance, prior_df, seed, draws_every=1, summaries=false, tracked=Vec::new(), translate=true, max_memory=u64::MAX))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        x: Aligned2<'_, f64>,
        starts: Aligned1<'_, i64>,
        chosen: Aligned1<'_, i64>,
        respondent_starts: Aligned1<'_, i64>,
        z: Aligned2<'_, f64>,
        v0: Aligned2<'_, f64>,
        constraints: Vec<(String, Vec<usize>, bool)>,
        n_iter: usize,
        burn_in: usize,
        thin: usize,
        n_chains: usize,
        prior_variance: f64,
        prior_df: f64,
        seed: u64,
        draws_every: usize,
        summaries: bool,
        tracked: Vec<usize>,
        translate: bool,
        max_memory: u64,
    ) -> PyResult<Self> {
        let err = |e| to_py_err(py, e);
        let xa = x.as_array();
        let (k, q) = (xa.ncols(), z.as_array().ncols());
        let constraints = constraints
            .into_iter()
            .map(
                |(kind, indices, increasing)| match (kind.as_str(), indices.as_slice()) {
                    ("sign", [index]) => Ok(hb::Constraint::Sign {
                        index: *index,
                        increasing,
                    }),
                    ("levels", _) => Ok(hb::Constraint::Levels {
                        indices,
                        increasing,
                    }),
                    _ => Err(Error::invalid(
                        "monotone",
                        format!("unknown constraint {kind:?}"),
                    )),
                },
            )
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let (starts, chosen) = task_indices(py, &starts, &chosen)?;
        let data = hb::HbData {
            x: xa.iter().cloned().collect(),
            k,
            starts,
            chosen,
            respondents: indices(&respondent_starts, "respondent_starts").map_err(err)?,
            z: z.as_array().iter().cloned().collect(),
            q,
            lanes: Default::default(),
        };
        let n = data.respondents.len().saturating_sub(1);
        let params = hb::HbParams {
            n_iter,
            burn_in,
            thin,
            n_chains,
            prior_variance,
            prior_df,
            v0: v0.as_array().iter().cloned().collect(),
            constraints,
            seed,
            draws_every,
            summaries,
            tracked,
            translate,
            max_memory,
        };
        let inner = hb::HbSampler::new(data, params).map_err(err)?;
        Ok(HbSampler { inner, n, k, q })
    }

    /// Advances every chain by up to `n` iterations; returns the iterations done so far.
    #[pyo3(signature = (n, *, n_threads))]
    fn run(&mut self, py: Python<'_>, n: usize, n_threads: usize) -> PyResult<usize> {
        let inner = &mut self.inner;
        run(py, n_threads, || {
            inner.run(n);
            Ok(inner.iterations_done())
        })
    }

    /// Monitors of chain `c` so far: (iterations × 4) loglik, acceptance, rho, avg_variance.
    fn trace<'py>(&self, py: Python<'py>, c: usize) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
        if c >= self.inner.n_chains() {
            return Err(to_py_err(py, Error::invalid("chain", "out of range")));
        }
        let t = self.inner.trace(c);
        let n = t.loglik.len();
        let mut m = Array2::zeros((n, 4));
        for i in 0..n {
            m[[i, 0]] = t.loglik[i];
            m[[i, 1]] = t.acceptance[i];
            m[[i, 2]] = t.rho[i];
            m[[i, 3]] = t.avg_variance[i];
        }
        Ok(m.into_pyarray(py))
    }

    /// Kept draws of all chains: respondent draws (chains·stored × n × k, float32; moved out of
    /// the sampler, which keeps none afterwards), Δ draws (chains × kept × q × k), posterior
    /// mean D per chain (chains × k × k), final ρ per chain.
    #[allow(clippy::type_complexity)]
    fn results<'py>(
        &mut self,
        py: Python<'py>,
    ) -> PyResult<(
        Bound<'py, numpy::PyArray3<f32>>,
        Bound<'py, numpy::PyArray4<f64>>,
        Bound<'py, numpy::PyArray3<f64>>,
        Vec<f64>,
    )> {
        let c = self.inner.n_chains();
        let kept = self.inner.n_kept(0);
        let (n, k, q) = (self.n, self.k, self.q);
        let stored = self.inner.draws(0).len() / (n * k).max(1);
        // One chain's draws are moved, the others appended and freed one by one: the peak is
        // the draws plus one chain's.
        let mut draws = self.inner.take_draws(0);
        draws.reserve_exact(c.saturating_sub(1) * stored * n * k);
        for ch in 1..c {
            let d = self.inner.take_draws(ch);
            draws.extend_from_slice(&d);
        }
        let mut deltas = Vec::with_capacity(c * kept * q * k);
        let mut ds = Vec::with_capacity(c * k * k);
        for ch in 0..c {
            deltas.extend_from_slice(self.inner.delta_draws(ch));
            ds.extend(self.inner.d_mean(ch));
        }
        let shape_err =
            |e: ndarray::ShapeError| to_py_err(py, Error::invalid("draws", e.to_string()));
        let draws =
            ndarray::Array3::from_shape_vec((c * stored, n, k), draws).map_err(shape_err)?;
        let deltas = ndarray::Array4::from_shape_vec((c, kept, q, k), deltas).map_err(shape_err)?;
        let ds = ndarray::Array3::from_shape_vec((c, k, k), ds).map_err(shape_err)?;
        let rho = (0..c).map(|ch| self.inner.rho(ch)).collect();
        Ok((
            draws.into_pyarray(py),
            deltas.into_pyarray(py),
            ds.into_pyarray(py),
            rho,
        ))
    }

    /// The tracked respondents' draws of all chains: chains·kept × tracked × k, float32.
    fn tracked_draws<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, numpy::PyArray3<f32>>> {
        let c = self.inner.n_chains();
        let kept = self.inner.n_kept(0);
        let t = self.inner.params().tracked.len();
        let mut out = Vec::with_capacity(c * kept * t * self.k);
        for ch in 0..c {
            out.extend_from_slice(self.inner.tracked_draws(ch));
        }
        let a = ndarray::Array3::from_shape_vec((c * kept, t, self.k), out)
            .map_err(|e| to_py_err(py, Error::invalid("draws", e.to_string())))?;
        Ok(a.into_pyarray(py))
    }

    /// Running summaries of the respondents' kept draws over all chains (n × k each): means,
    /// variances, 5 % and 95 % quantiles (P² estimates averaged over chains); None when the
    /// sampler was built without `summaries`.
    #[allow(clippy::type_complexity)]
    fn summaries<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Option<[Bound<'py, numpy::PyArray2<f64>>; 4]>> {
        let Some(parts) = self.inner.summaries() else {
            return Ok(None);
        };
        let (n, k) = (self.n, self.k);
        let mut out = Vec::with_capacity(4);
        for p in parts {
            let a = Array2::from_shape_vec((n, k), p)
                .map_err(|e| to_py_err(py, Error::invalid("summaries", e.to_string())))?;
            out.push(a.into_pyarray(py));
        }
        let [a, b, c, d]: [_; 4] = out
            .try_into()
            .map_err(|_| to_py_err(py, Error::invalid("summaries", "four parts")))?;
        Ok(Some([a, b, c, d]))
    }

    /// Per chain, the share of post-burn-in iterations whose translation move was accepted.
    fn shift_acceptance(&self) -> Vec<f64> {
        (0..self.inner.n_chains())
            .map(|c| self.inner.shift_acceptance(c))
            .collect()
    }

    /// An estimate of the sampler's peak memory in bytes: (kept draws, summaries, other).
    #[staticmethod]
    #[pyo3(signature = (*, n_respondents, k, q, n_iter, burn_in, thin, n_chains, draws_every, summaries, n_tracked))]
    #[allow(clippy::too_many_arguments)]
    fn memory(
        n_respondents: usize,
        k: usize,
        q: usize,
        n_iter: usize,
        burn_in: usize,
        thin: usize,
        n_chains: usize,
        draws_every: usize,
        summaries: bool,
        n_tracked: usize,
    ) -> (u64, u64, u64) {
        let params = hb::HbParams {
            n_iter,
            burn_in,
            thin,
            n_chains,
            prior_variance: 1.0,
            prior_df: 1.0,
            v0: Vec::new(),
            constraints: Vec::new(),
            seed: 0,
            draws_every,
            summaries,
            tracked: vec![0; n_tracked],
            translate: true,
            max_memory: 0,
        };
        let m = params.memory(n_respondents, k, q);
        (m.draws, m.summaries, m.other)
    }
}

/// What `latent_class_fit` returns.
#[pyclass(frozen, module = "segmint._core")]
pub struct LatentClassFit {
    /// Classes × k coefficients.
    #[pyo3(get)]
    coef: Py<PyArray2<f64>>,
    #[pyo3(get)]
    shares: Py<PyArray1<f64>>,
    /// Respondents × classes posterior membership probabilities.
    #[pyo3(get)]
    membership: Py<PyArray2<f64>>,
    #[pyo3(get)]
    loglik: f64,
    /// Log-likelihood after each EM iteration of the best start.
    #[pyo3(get)]
    history: Py<PyArray1<f64>>,
    #[pyo3(get)]
    n_em: usize,
    /// Covariance of (class coefficients, C − 1 share logits); None when singular.
    #[pyo3(get)]
    covariance: Option<Py<PyArray2<f64>>>,
    /// Final log-likelihood of every start.
    #[pyo3(get)]
    start_logliks: Py<PyArray1<f64>>,
}

/// Latent-class MNL by EM from several seeded starts, finished by BHHH steps.
#[pyfunction]
#[pyo3(signature = (x, starts, chosen, respondent_starts, *, n_classes, n_starts, max_iter, tol, newton_steps, seed, n_threads))]
#[allow(clippy::too_many_arguments)]
pub fn latent_class_fit<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    starts: Aligned1<'py, i64>,
    chosen: Aligned1<'py, i64>,
    respondent_starts: Aligned1<'py, i64>,
    n_classes: usize,
    n_starts: usize,
    max_iter: usize,
    tol: f64,
    newton_steps: usize,
    seed: u64,
    n_threads: usize,
) -> PyResult<LatentClassFit> {
    let xa = x.as_array();
    let k = xa.ncols();
    let (starts, chosen) = task_indices(py, &starts, &chosen)?;
    let resp = indices(&respondent_starts, "respondent_starts").map_err(|e| to_py_err(py, e))?;
    let f = run(py, n_threads, || {
        let xs = xa
            .as_slice()
            .ok_or_else(|| Error::invalid("x", "must be C-contiguous"))?;
        let d = mnl::ChoiceData {
            x: xs,
            k,
            starts: &starts,
            chosen: &chosen,
            weights: None,
        };
        latent::fit_latent_class(
            &d,
            &resp,
            latent::LcParams {
                n_classes,
                n_starts,
                max_iter,
                tol,
                newton_steps,
                seed,
            },
        )
    })?;
    let n = resp.len() - 1;
    let p = n_classes * k + n_classes - 1;
    let shape_err = |e: ndarray::ShapeError| to_py_err(py, Error::invalid("fit", e.to_string()));
    let covariance = if f.covariance.len() == p * p {
        Some(square(f.covariance, p).into_pyarray(py).unbind())
    } else {
        None
    };
    Ok(LatentClassFit {
        coef: Array2::from_shape_vec((n_classes, k), f.coef)
            .map_err(shape_err)?
            .into_pyarray(py)
            .unbind(),
        shares: Array1::from(f.shares).into_pyarray(py).unbind(),
        membership: Array2::from_shape_vec((n, n_classes), f.membership)
            .map_err(shape_err)?
            .into_pyarray(py)
            .unbind(),
        loglik: f.loglik,
        history: Array1::from(f.history).into_pyarray(py).unbind(),
        n_em: f.n_em,
        covariance,
        start_logliks: Array1::from(f.start_logliks).into_pyarray(py).unbind(),
    })
}

/// Each respondent's log-likelihood at their own coefficients (respondents × k).
#[pyfunction]
#[pyo3(signature = (x, starts, chosen, respondent_starts, *, beta, n_threads))]
pub fn respondent_logliks<'py>(
    py: Python<'py>,
    x: Aligned2<'py, f64>,
    starts: Aligned1<'py, i64>,
    chosen: Aligned1<'py, i64>,
    respondent_starts: Aligned1<'py, i64>,
    beta: Aligned2<'py, f64>,
    n_threads: usize,
) -> PyResult<Bound<'py, numpy::PyArray1<f64>>> {
    let err = |e| to_py_err(py, e);
    let (xa, ba) = (x.as_array(), beta.as_array());
    let k = xa.ncols();
    let (starts, chosen) = task_indices(py, &starts, &chosen)?;
    let runs = indices(&respondent_starts, "respondent_starts").map_err(err)?;
    let ll = run(py, n_threads, || {
        let d = choice_data(xa, &starts, &chosen, None)?;
        d.validate()?;
        let b = ba
            .to_slice()
            .ok_or_else(|| Error::invalid("beta", "must be C-contiguous"))?;
        d.check_respondents(&runs, "respondent_starts")?;
        if ba.dim() != (runs.len() - 1, k) {
            return Err(Error::invalid(
                "beta",
                "needs one row of k coefficients per respondent",
            ));
        }
        Ok(kernel::respondent_logliks(
            d.x, k, &starts, &chosen, &runs, b,
        ))
    })?;
    Ok(Array1::from(ll).into_pyarray(py))
}
