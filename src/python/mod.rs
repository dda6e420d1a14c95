//! pyo3 bindings: numpy <-> ndarray, errors, threads. No algorithm lives here.

pub mod chaid;
pub mod cluster;
pub mod conjoint;
pub mod discriminant;
pub mod distributed;
pub mod factor;
pub mod onedim;
pub mod profile;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::cancel;
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

/// How often a waiting call checks for a pending signal (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// What a detached computation ended with.
enum Outcome<T> {
    Done(Result<T, Error>),
    Panicked(String),
    Interrupted(PyErr),
}

/// Runs a core computation with the interpreter detached, on a pool of `n_threads` threads,
/// turning errors and (defensively) panics into Python exceptions.
///
/// The computation runs on a helper thread while the calling thread waits and, every
/// `SIGNAL_POLL`, lets Python check for signals: on Ctrl-C (or any signal handler that raises)
/// the core is asked to stop ([`crate::cancel`]), its partial result is discarded once it has
/// returned, and the handler's exception (`KeyboardInterrupt`) is raised.
pub(crate) fn run<T, F>(py: Python<'_>, n_threads: usize, f: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> Result<T, Error> + Send,
{
    let outcome = py.detach(|| {
        let pool = match pool(n_threads) {
            Ok(pool) => pool,
            Err(message) => return Outcome::Panicked(message),
        };
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel();
            let worker = scope.spawn(move || {
                let result = catch_unwind(AssertUnwindSafe(|| pool.install(f)));
                // The receiver outlives this thread (the scope joins it first).
                let _ = tx.send(result);
            });
            let finished = |result: std::thread::Result<Result<T, Error>>| match result {
                Ok(value) => Outcome::Done(value),
                Err(panic) => Outcome::Panicked(panic_message(panic)),
            };
            loop {
                match rx.recv_timeout(SIGNAL_POLL) {
                    Ok(result) => return finished(result),
                    Err(RecvTimeoutError::Timeout) => {
                        if let Err(err) = Python::attach(|py| py.check_signals()) {
                            cancel::request();
                            let _ = rx.recv();
                            cancel::clear();
                            return Outcome::Interrupted(err);
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => {
                        let message =
                            worker.join().err().map(panic_message).unwrap_or_else(|| {
                                "the worker thread ended without a result".into()
                            });
                        return Outcome::Panicked(message);
                    }
                }
            }
        })
    });
    match outcome {
        Outcome::Done(Ok(value)) => Ok(value),
        Outcome::Done(Err(err)) => Err(to_py_err(py, err)),
        Outcome::Panicked(message) => Err(internal_error(
            py,
            format!("internal error in segmint's core (please report it): {message}"),
        )),
        Outcome::Interrupted(err) => Err(err),
    }
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}
