//! Progress callbacks: Python registers a callable for the calling thread, and [`super::run`]
//! calls it with `(done, total, metric)` from [`crate::cancel::progress`] while it waits for the
//! core (every signal poll, when the progress moved) and once more when the core has returned.

use std::cell::RefCell;

use pyo3::prelude::*;

use crate::cancel::{progress, Progress};

thread_local! {
    /// The callback of the Python thread that runs the computation.
    static CALLBACK: RefCell<Option<Py<PyAny>>> = const { RefCell::new(None) };
}

/// Registers `callback(done, total, metric)` for the computations this thread starts (None
/// removes it). `total` is 0 when unknown, `metric` NaN before the first report.
#[pyfunction]
#[pyo3(signature = (callback))]
pub fn set_progress_callback(callback: Option<Py<PyAny>>) {
    CALLBACK.with(|c| *c.borrow_mut() = callback);
}

/// What `run` needs: the registered callback and the last progress it was given.
pub(crate) struct Reporter {
    callback: Py<PyAny>,
    last: Option<(u64, u64, u64)>,
}

impl Reporter {
    /// The reporter of this thread's callback, with the progress reset; None without one.
    pub(crate) fn current(py: Python<'_>) -> Option<Reporter> {
        let callback = CALLBACK.with(|c| c.borrow().as_ref().map(|cb| cb.clone_ref(py)))?;
        progress::reset();
        Some(Reporter {
            callback,
            last: None,
        })
    }

    /// Calls the callback if the progress moved since the last call (and is not empty: a
    /// computation that reports nothing calls nothing).
    pub(crate) fn report(&mut self, py: Python<'_>) -> PyResult<()> {
        let Progress {
            done,
            total,
            metric,
        } = progress::get();
        let key = (done, total, metric.to_bits());
        if self.last == Some(key) || (done == 0 && total == 0 && metric.is_nan()) {
            return Ok(());
        }
        self.last = Some(key);
        self.callback.call1(py, (done, total, metric))?;
        Ok(())
    }
}
