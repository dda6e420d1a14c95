//! pyo3 bindings: numpy <-> ndarray, errors, threads. No algorithm lives here.

pub mod chaid;
pub mod cluster;
pub mod conjoint;
pub mod factor;
pub mod profile;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::error::Error;

static INVALID_INPUT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static INTERNAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Raises the `segmint.errors` class that matches the core's error.
pub(crate) fn to_py_err(py: Python<'_>, err: Error) -> PyErr {
    match err {
        Error::InvalidInput { what, why } => {
            match INVALID_INPUT.import(py, "segmint.errors", "InvalidInputError") {
                Ok(cls) => PyErr::from_type(cls.clone(), (format!("{what}: {why}"), what)),
                Err(e) => e,
            }
        }
    }
}

fn internal_error(py: Python<'_>, message: String) -> PyErr {
    match INTERNAL.import(py, "segmint.errors", "InternalError") {
        Ok(cls) => PyErr::from_type(cls.clone(), message),
        Err(_) => PyRuntimeError::new_err(message),
    }
}

/// The rayon pool for `n_jobs` threads (0 = rayon's default: `RAYON_NUM_THREADS` or all cores).
/// Pools are cached per process: a child created by `fork()` builds its own instead of waiting on
/// threads that do not exist in it.
fn pool(n_threads: usize) -> Result<Arc<ThreadPool>, String> {
    static POOL: Mutex<Option<(u32, usize, Arc<ThreadPool>)>> = Mutex::new(None);
    let pid = std::process::id();
    let mut slot = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((p, n, pool)) = slot.as_ref() {
        if *p == pid && *n == n_threads {
            return Ok(pool.clone());
        }
    }
    let built = ThreadPoolBuilder::new()
        .num_threads(n_threads)
        .build()
        .map_err(|e| e.to_string())?;
    let built = Arc::new(built);
    if let Some((p, _, old)) = slot.replace((pid, n_threads, built.clone())) {
        if p != pid {
            // Inherited through fork(): its threads are gone, never touch it again.
            std::mem::forget(old);
        }
    }
    Ok(built)
}

/// Runs a core computation with the interpreter detached, on a pool of `n_threads` threads,
/// turning errors and (defensively) panics into Python exceptions.
pub(crate) fn run<T, F>(py: Python<'_>, n_threads: usize, f: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> Result<T, Error> + Send,
{
    let outcome = py.detach(|| {
        let pool = pool(n_threads)?;
        catch_unwind(AssertUnwindSafe(|| pool.install(f))).map_err(|panic| {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            format!("internal error in segmint's core (please report it): {msg}")
        })
    });
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(to_py_err(py, err)),
        Err(message) => Err(internal_error(py, message)),
    }
}
