//! Bindings for `crate::onedim`: the customer summary of a transaction log.

use super::array::Aligned1;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::{run, to_py_err};
use crate::error::Error;
use crate::onedim::summary::DemandCell;
use crate::onedim::{
    self, Cancellations, FinishParams, Lines, Partial, Period, Summary, SummaryParams,
};

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

/// The summary's parameters, with the period and cancellation rule parsed from their names.
fn summary_params(
    n_customers: usize,
    ticks_per_day: i64,
    period: &str,
    cancellations: &str,
) -> crate::error::Result<SummaryParams> {
    Ok(SummaryParams {
        n_customers,
        ticks_per_day,
        period: Period::parse(period)?,
        cancellations: Cancellations::parse(cancellations)?,
    })
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
        let params = summary_params(n_customers, ticks_per_day, period, cancellations)?;
        let partial = onedim::partial(&lines, &params)?;
        onedim::finish(
            &partial,
            &FinishParams {
                reference,
                ticks_per_day,
                period: params.period,
                start: None,
            },
        )
    })?;
    Ok(CustomerSummary { inner })
}

/// Per-customer aggregates of some invoice lines (`crate::onedim::Partial`), before
/// `summary_finish`: what a distributed run keeps per bucket of customers. Pickles as its
/// arrays (the demand as cells sorted by customer and period).
#[pyclass(frozen, module = "segmint._core")]
pub struct SummaryPartial {
    inner: Partial,
}

fn vec_of<T: numpy::Element + Copy>(a: &PyReadonlyArray1<'_, T>) -> Vec<T> {
    a.as_array().to_vec()
}

#[pymethods]
impl SummaryPartial {
    /// Rebuilds the aggregates from the arrays `__reduce__` gives (checked: one entry per
    /// customer, demand cells sorted by customer and period).
    #[new]
    #[pyo3(signature = (n_customers, lines, frequency, monetary, first, last, cancellations, cancelled_lines, demand_customer, demand_period, demand_value, demand_purchased, dropped))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        n_customers: usize,
        lines: PyReadonlyArray1<'_, u64>,
        frequency: PyReadonlyArray1<'_, u64>,
        monetary: PyReadonlyArray1<'_, f64>,
        first: PyReadonlyArray1<'_, i64>,
        last: PyReadonlyArray1<'_, i64>,
        cancellations: PyReadonlyArray1<'_, u64>,
        cancelled_lines: PyReadonlyArray1<'_, u64>,
        demand_customer: PyReadonlyArray1<'_, u32>,
        demand_period: PyReadonlyArray1<'_, i64>,
        demand_value: PyReadonlyArray1<'_, f64>,
        demand_purchased: PyReadonlyArray1<'_, bool>,
        dropped: u64,
    ) -> PyResult<Self> {
        let k = n_customers;
        let inner = Partial {
            n_customers: k,
            lines: vec_of(&lines),
            frequency: vec_of(&frequency),
            monetary: vec_of(&monetary),
            first: vec_of(&first),
            last: vec_of(&last),
            cancellations: vec_of(&cancellations),
            cancelled_lines: vec_of(&cancelled_lines),
            demand: Vec::new(),
            table: None,
            dropped,
        };
        let bad = |why: &str| Err(to_py_err(py, Error::invalid("partial", why)));
        let per_customer = [
            inner.lines.len(),
            inner.frequency.len(),
            inner.monetary.len(),
            inner.first.len(),
            inner.last.len(),
            inner.cancellations.len(),
            inner.cancelled_lines.len(),
        ];
        if per_customer.iter().any(|&n| n != k) {
            return bad("one entry per customer in every array");
        }
        let (dc, dp) = (vec_of(&demand_customer), vec_of(&demand_period));
        let (dv, db) = (vec_of(&demand_value), vec_of(&demand_purchased));
        let m = dc.len();
        if dp.len() != m || dv.len() != m || db.len() != m {
            return bad("one entry per demand cell in every array");
        }
        let demand: Vec<DemandCell> = (0..m)
            .map(|i| DemandCell {
                customer: dc[i],
                period: dp[i],
                value: dv[i],
                purchased: db[i],
            })
            .collect();
        let sorted = demand
            .windows(2)
            .all(|w| (w[0].customer, w[0].period) < (w[1].customer, w[1].period));
        if !sorted || demand.last().is_some_and(|c| c.customer as usize >= k) {
            return bad(
                "demand cells must be sorted by (customer, period), customers below n_customers",
            );
        }
        Ok(SummaryPartial {
            inner: Partial { demand, ..inner },
        })
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let p = &slf.get().inner;
        let cells = p.demand_cells();
        let args: Vec<Bound<'py, PyAny>> = vec![
            p.n_customers.into_pyobject(py)?.into_any(),
            arr(py, &p.lines).into_any(),
            arr(py, &p.frequency).into_any(),
            arr(py, &p.monetary).into_any(),
            arr(py, &p.first).into_any(),
            arr(py, &p.last).into_any(),
            arr(py, &p.cancellations).into_any(),
            arr(py, &p.cancelled_lines).into_any(),
            arr(py, &cells.iter().map(|c| c.customer).collect::<Vec<_>>()).into_any(),
            arr(py, &cells.iter().map(|c| c.period).collect::<Vec<_>>()).into_any(),
            arr(py, &cells.iter().map(|c| c.value).collect::<Vec<_>>()).into_any(),
            arr(py, &cells.iter().map(|c| c.purchased).collect::<Vec<_>>()).into_any(),
            p.dropped.into_pyobject(py)?.into_any(),
        ];
        Ok((slf.get_type().into_any(), PyTuple::new(py, args)?))
    }

    #[getter]
    fn n_customers(&self) -> usize {
        self.inner.n_customers
    }
    /// Lines without a customer id.
    #[getter]
    fn dropped(&self) -> u64 {
        self.inner.dropped
    }
    /// Customers whose every line is a cancellation.
    #[getter]
    fn cancelled_only(&self) -> u64 {
        let p = &self.inner;
        (0..p.n_customers)
            .filter(|&c| p.lines[c] == 0 && p.cancelled_lines[c] > 0)
            .count() as u64
    }
    /// (first, last) purchase over the customers with a purchase line (ticks); None without
    /// one.
    #[getter]
    fn time_range(&self) -> Option<(i64, i64)> {
        let p = &self.inner;
        let buyers = (0..p.n_customers).filter(|&c| p.lines[c] > 0);
        buyers.fold(None, |acc, c| {
            let (f, l) = (p.first[c], p.last[c]);
            Some(acc.map_or((f, l), |(a, b): (i64, i64)| (a.min(f), b.max(l))))
        })
    }
}

/// Per-customer aggregates of invoice lines given as codes (`crate::onedim::partial`): the
/// first half of `customer_summary`.
#[pyfunction]
#[pyo3(signature = (customer, *, n_customers, time, ticks_per_day, amount, invoice, n_invoices, cancelled, period, cancellations, n_threads, ids=None))]
#[allow(clippy::too_many_arguments)]
pub fn summary_partial<'py>(
    py: Python<'py>,
    customer: Aligned1<'py, i64>,
    n_customers: usize,
    time: Aligned1<'py, i64>,
    ticks_per_day: i64,
    amount: Aligned1<'py, f64>,
    invoice: Option<Aligned1<'py, i64>>,
    n_invoices: usize,
    cancelled: Option<Aligned1<'py, bool>>,
    period: &str,
    cancellations: &str,
    n_threads: usize,
    ids: Option<PyRef<'py, IdTable>>,
) -> PyResult<SummaryPartial> {
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
        let params = summary_params(n_customers, ticks_per_day, period, cancellations)?;
        onedim::partial(&lines, &params)
    })?;
    Ok(SummaryPartial { inner })
}

/// The customer summary from aggregates (`crate::onedim::finish`); `start` is the first
/// purchase of the whole data set when the aggregates hold only some of its customers.
#[pyfunction]
#[pyo3(signature = (partial, *, reference, start, ticks_per_day, period, n_threads))]
pub fn summary_finish(
    py: Python<'_>,
    partial: PyRef<'_, SummaryPartial>,
    reference: Option<i64>,
    start: Option<i64>,
    ticks_per_day: i64,
    period: &str,
    n_threads: usize,
) -> PyResult<CustomerSummary> {
    let p = &partial.inner;
    let inner = run(py, n_threads, || {
        let params = FinishParams {
            reference,
            ticks_per_day,
            period: Period::parse(period)?,
            start,
        };
        onedim::finish(p, &params)
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
