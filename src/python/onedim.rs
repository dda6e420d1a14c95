//! Bindings for `crate::onedim`: the customer summary of a transaction log.

use super::array::Aligned1;
use numpy::PyArray1;
use pyo3::prelude::*;

use super::run;
use crate::onedim::{self, Cancellations, FinishParams, Lines, Period, Summary, SummaryParams};

/// One row per customer with at least one purchase line (customers as codes).
#[pyclass(frozen, module = "segmint._core")]
pub struct CustomerSummary {
    inner: Summary,
}

fn arr<'py, T: numpy::Element + Copy>(py: Python<'py>, v: &[T]) -> Bound<'py, PyArray1<T>> {
    PyArray1::from_slice(py, v)
}

#[pymethods]
impl CustomerSummary {
    /// Customer codes of the rows.
    #[getter]
    fn customer<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        arr(py, &self.inner.customer)
    }
    /// First purchase (ticks).
    #[getter]
    fn first<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        arr(py, &self.inner.first)
    }
    /// Last purchase (ticks).
    #[getter]
    fn last<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        arr(py, &self.inner.last)
    }
    #[getter]
    fn recency_days<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        arr(py, &self.inner.recency_days)
    }
    #[getter]
    fn tenure_days<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        arr(py, &self.inner.tenure_days)
    }
    #[getter]
    fn frequency<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        arr(py, &self.inner.frequency)
    }
    #[getter]
    fn lines<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        arr(py, &self.inner.lines)
    }
    #[getter]
    fn monetary<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        arr(py, &self.inner.monetary)
    }
    #[getter]
    fn mean_order_value<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        arr(py, &self.inner.mean_order_value)
    }
    #[getter]
    fn mean_interpurchase_days<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        arr(py, &self.inner.mean_interpurchase_days)
    }
    #[getter]
    fn active_periods<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        arr(py, &self.inner.active_periods)
    }
    #[getter]
    fn periods_observed<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        arr(py, &self.inner.periods_observed)
    }
    #[getter]
    fn demand_mean<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        arr(py, &self.inner.demand_mean)
    }
    #[getter]
    fn demand_sd<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        arr(py, &self.inner.demand_sd)
    }
    #[getter]
    fn cancellations<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        arr(py, &self.inner.cancellations)
    }
    /// Customers whose every line is a cancellation (left out of the rows).
    #[getter]
    fn cancelled_only(&self) -> u64 {
        self.inner.cancelled_only
    }
    /// Lines without a customer id.
    #[getter]
    fn dropped(&self) -> u64 {
        self.inner.dropped
    }
    /// The time recency is measured to (ticks).
    #[getter]
    fn reference(&self) -> i64 {
        self.inner.reference
    }
    /// First and last period of the demand window (period indices of `period`).
    #[getter]
    fn window(&self) -> (i64, i64) {
        self.inner.window
    }
}

/// The customer summary of invoice lines given as codes (see `crate::onedim::summary`).
#[pyfunction]
#[pyo3(signature = (customer, *, n_customers, time, ticks_per_day, amount, invoice, n_invoices, cancelled, reference, period, cancellations, n_threads, ids=None))]
#[allow(clippy::too_many_arguments)]
pub fn customer_summary<'py>(
    py: Python<'py>,
    customer: Aligned1<'py, i64>,
    n_customers: usize,
    time: Aligned1<'py, i64>,
    ticks_per_day: i64,
    amount: Aligned1<'py, f64>,
    invoice: Option<Aligned1<'py, i64>>,
    n_invoices: usize,
    cancelled: Option<Aligned1<'py, bool>>,
    reference: Option<i64>,
    period: &str,
    cancellations: &str,
    n_threads: usize,
    ids: Option<PyRef<'py, IdTable>>,
) -> PyResult<CustomerSummary> {
    let lines = Lines {
        customer: customer.as_array(),
        ids: ids.as_ref().map(|t| &t.inner),
        time: time.as_array(),
        amount: amount.as_array(),
        invoice: invoice.as_ref().map(|a| a.as_array()),
        n_invoices,
        cancelled: cancelled.as_ref().map(|a| a.as_array()),
    };
    let inner = run(py, n_threads, || {
        let period = Period::parse(period)?;
        let params = SummaryParams {
            n_customers,
            ticks_per_day,
            period,
            cancellations: Cancellations::parse(cancellations)?,
        };
        let partial = onedim::partial(&lines, &params)?;
        onedim::finish(
            &partial,
            &FinishParams {
                reference,
                ticks_per_day,
                period,
            },
        )
    })?;
    Ok(CustomerSummary { inner })
}

/// Integer ids as codes (sorted order of the ids, -1 for `missing`). The arrays are handed
/// to numpy without a copy.
#[pyclass(frozen, module = "segmint._core")]
pub struct DenseCodes {
    codes: Py<PyArray1<i64>>,
    uniques: Py<PyArray1<i64>>,
}

#[pymethods]
impl DenseCodes {
    #[getter]
    fn codes<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        self.codes.bind(py).clone()
    }
    #[getter]
    fn uniques<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        self.uniques.bind(py).clone()
    }
}

/// Codes of integer ids by direct indexing over their range; None when the range exceeds
/// `max_range`.
#[pyfunction]
#[pyo3(signature = (values, *, missing, max_range, n_threads))]
pub fn dense_codes<'py>(
    py: Python<'py>,
    values: Aligned1<'py, i64>,
    missing: i64,
    max_range: u64,
    n_threads: usize,
) -> PyResult<Option<DenseCodes>> {
    let v = values.as_array();
    let out = run(py, n_threads, || {
        Ok(onedim::codes::dense_codes(v, missing, max_range))
    })?;
    Ok(out.map(|d| DenseCodes {
        codes: PyArray1::from_vec(py, d.codes).unbind(),
        uniques: PyArray1::from_vec(py, d.uniques).unbind(),
    }))
}

/// Integer ids coded by rank over their range (see `crate::onedim::codes::IdTable`): passed to
/// `customer_summary` with the ids themselves instead of a column of codes.
#[pyclass(frozen, module = "segmint._core")]
pub struct IdTable {
    inner: onedim::codes::IdTable,
}

#[pymethods]
impl IdTable {
    /// The distinct ids in sorted order (the id of code `i` at `i`).
    #[getter]
    fn uniques<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        arr(py, self.inner.uniques())
    }
}

/// The id table of integer ids (`missing` marks a missing id); None when their range exceeds
/// `max_range`.
#[pyfunction]
#[pyo3(signature = (values, *, missing, max_range, n_threads))]
pub fn id_table<'py>(
    py: Python<'py>,
    values: Aligned1<'py, i64>,
    missing: i64,
    max_range: u64,
    n_threads: usize,
) -> PyResult<Option<IdTable>> {
    let v = values.as_array();
    let out = run(py, n_threads, || {
        Ok(onedim::codes::id_table(v, missing, max_range))
    })?;
    Ok(out.map(|inner| IdTable { inner }))
}
