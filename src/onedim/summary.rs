//! The customer summary: one pass of per-customer reductions over invoice lines.
//!
//! Rows are grouped by customer with a stable counting sort (a permutation of row numbers, 4
//! bytes a row), then every customer is reduced on its own, its rows in their original order.
//! Customers are processed in parallel in fixed blocks whose results are concatenated in block
//! order: each sum is accumulated in row order whatever the number of threads, so the result is
//! bit-identical on 1 or N threads (and adds in the same order as a pandas group-by).
//!
//! The tests live in `summary_tests.rs`.

use std::borrow::Cow;

use ndarray::ArrayView1;
use rayon::prelude::*;

use super::calendar::Period;
use super::codes::IdTable;
use crate::error::{Error, Result};

/// What becomes of cancellation lines (negative amounts, or lines the caller marks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancellations {
    /// Left out of every column.
    Drop,
    /// Subtracted from the monetary value and the demand of their period.
    Net,
    /// Left out of the monetary value, counted (distinct cancellation invoices) in a column.
    Count,
}

impl Cancellations {
    pub fn parse(code: &str) -> Result<Self> {
        match code {
            "drop" => Ok(Cancellations::Drop),
            "net" => Ok(Cancellations::Net),
            "count" => Ok(Cancellations::Count),
            _ => Err(Error::invalid(
                "cancellations",
                format!("must be 'drop', 'net', 'count' or a callable, got {code:?}"),
            )),
        }
    }
}

/// Invoice lines as integer codes and numbers, one entry per line.
pub struct Lines<'a> {
    /// Customer codes in `0..n_customers`; a negative code is a line without a customer id
    /// (left out and counted in [`Partial::dropped`]).
    pub customer: ArrayView1<'a, i64>,
    /// When given, `customer` holds integer ids coded by this table (its missing id for a line
    /// without a customer id) instead of codes.
    pub ids: Option<&'a IdTable>,
    /// Time of the line in ticks since 1970-01-01 (local wall time); `i64::MIN` is missing.
    pub time: ArrayView1<'a, i64>,
    /// Value of the line (negative for a cancellation).
    pub amount: ArrayView1<'a, f64>,
    /// Invoice codes in `0..n_invoices`; None counts every line as a purchase.
    pub invoice: Option<ArrayView1<'a, i64>>,
    /// The number of invoice codes (ignored without invoices).
    pub n_invoices: usize,
    /// Lines the caller marks as cancellations (besides negative amounts).
    pub cancelled: Option<ArrayView1<'a, bool>>,
}

/// The parameters of [`partial`].
#[derive(Debug, Clone, Copy)]
pub struct SummaryParams {
    pub n_customers: usize,
    /// Ticks in a day (86_400 × 10⁹ for nanoseconds).
    pub ticks_per_day: i64,
    pub period: Period,
    pub cancellations: Cancellations,
}

/// The demand of one customer in one period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemandCell {
    pub customer: u32,
    pub period: i64,
    pub value: f64,
    /// Whether the customer bought in the period (a netted cancellation alone does not count).
    pub purchased: bool,
}

/// Demand of one customer in one period in a [`DemandTable`]: the sum, and bits 0 (lines) and
/// 1 (a purchase). All zeros is the empty cell.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[repr(C)]
pub(super) struct Cell {
    pub(super) value: f64,
    pub(super) flags: u64,
}

/// Demand as the dense path keeps it: per block of customers, a period-major table of cells
/// (periods `p0..p0 + width`). Read per customer in period order, it gives the cells of
/// [`Partial::demand`] in the same order without listing them.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandTable {
    pub(super) p0: i64,
    pub(super) width: usize,
    /// (first customer, customers, cells at `slot * customers + customer - first`), in order.
    pub(super) blocks: Vec<(usize, usize, Vec<Cell>)>,
}

impl DemandTable {
    /// The non-empty cells, sorted by (customer, period).
    pub fn cells(&self) -> Vec<DemandCell> {
        let mut out = Vec::new();
        self.for_each_customer(|c, cells| {
            for (period, cell) in cells {
                out.push(DemandCell {
                    customer: c as u32,
                    period,
                    value: cell.value,
                    purchased: cell.flags & 2 != 0,
                });
            }
        });
        out
    }

    /// Calls `f(customer, cells)` for every customer in order, `cells` its non-empty cells
    /// (period, cell) in period order. Customers are read in blocks of 1024, period by period
    /// (contiguous runs of the table).
    pub(super) fn for_each_customer(
        &self,
        mut f: impl FnMut(usize, &mut dyn Iterator<Item = (i64, Cell)>),
    ) {
        const BLOCK: usize = 1024;
        let width = self.width;
        let mut block = vec![Cell::default(); width * BLOCK];
        for (lo, kp, table) in &self.blocks {
            for b0 in (0..*kp).step_by(BLOCK) {
                let w = BLOCK.min(kp - b0);
                for s in 0..width {
                    let row = &table[s * kp + b0..s * kp + b0 + w];
                    block[s * w..(s + 1) * w].copy_from_slice(row);
                }
                for j in 0..w {
                    let mut cells = (0..width)
                        .map(|s| (self.p0 + s as i64, block[s * w + j]))
                        .filter(|(_, c)| c.flags != 0);
                    f(lo + b0 + j, &mut cells);
                }
            }
        }
    }
}

/// Per-customer aggregates of a set of rows; [`merge`] adds two of them exactly (distinct
/// invoice counts add up when no invoice has lines in both sets).
#[derive(Debug, Clone, PartialEq)]
pub struct Partial {
    pub n_customers: usize,
    /// Purchase lines.
    pub lines: Vec<u64>,
    /// Distinct purchase invoices (purchase lines without invoices).
    pub frequency: Vec<u64>,
    pub monetary: Vec<f64>,
    /// First and last purchase time (`i64::MAX` / `i64::MIN` when none).
    pub first: Vec<i64>,
    pub last: Vec<i64>,
    /// Distinct cancellation invoices (cancellation lines without invoices).
    pub cancellations: Vec<u64>,
    /// Cancellation lines.
    pub cancelled_lines: Vec<u64>,
    /// Demand per customer and period, sorted by (customer, period); empty when `table` holds
    /// it.
    pub demand: Vec<DemandCell>,
    /// The demand in dense tables (the dense path), instead of `demand`.
    pub table: Option<DemandTable>,
    /// Lines without a customer id.
    pub dropped: u64,
}

impl Partial {
    /// The demand cells, sorted by (customer, period), wherever they are kept.
    pub fn demand_cells(&self) -> Vec<DemandCell> {
        match &self.table {
            Some(t) => t.cells(),
            None => self.demand.clone(),
        }
    }

    /// The same aggregates with the demand as a list of cells.
    pub(super) fn into_cells(mut self) -> Partial {
        if let Some(t) = self.table.take() {
            self.demand = t.cells();
        }
        self
    }
}

/// Customers reduced per parallel task.
const CUSTOMER_BLOCK: usize = 2048;

pub(super) fn slice<'a, 'b, T: Clone>(a: &'a ArrayView1<'b, T>) -> Cow<'a, [T]> {
    match a.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.to_vec()),
    }
}

fn floor_day(t: i64, ticks_per_day: i64) -> i64 {
    t.div_euclid(ticks_per_day)
}

struct Columns<'a> {
    time: &'a [i64],
    amount: &'a [f64],
    invoice: Option<&'a [i64]>,
    cancelled: Option<&'a [bool]>,
}

impl Columns<'_> {
    #[inline]
    fn is_cancel(&self, r: usize) -> bool {
        self.amount[r] < 0.0 || self.cancelled.is_some_and(|c| c[r])
    }
}

/// One customer's aggregates.
#[derive(Default, Clone, Copy)]
struct Agg {
    lines: u64,
    frequency: u64,
    monetary: f64,
    first: i64,
    last: i64,
    cancellations: u64,
    cancelled_lines: u64,
}

/// Per-task scratch: demand per period of the customer being reduced, and invoice buffers.
struct Scratch {
    value: Vec<f64>,
    flags: Vec<u8>,
    touched: Vec<usize>,
    invoices: Vec<i64>,
    cancel_invoices: Vec<i64>,
}

fn distinct(buf: &mut Vec<i64>) -> u64 {
    buf.sort_unstable();
    buf.dedup();
    let n = buf.len() as u64;
    buf.clear();
    n
}

fn reduce_customer(
    c: u32,
    rows: &[u32],
    cols: &Columns<'_>,
    params: &SummaryParams,
    p0: i64,
    s: &mut Scratch,
    cells: &mut Vec<DemandCell>,
) -> Agg {
    let mut a = Agg {
        first: i64::MAX,
        last: i64::MIN,
        ..Agg::default()
    };
    let period_slot =
        |t: i64| (params.period.of_day(floor_day(t, params.ticks_per_day)) - p0) as usize;
    let touch = |s: &mut Scratch, slot: usize, v: f64, purchased: bool| {
        if s.flags[slot] == 0 {
            s.touched.push(slot);
        }
        s.flags[slot] |= 1 | (u8::from(purchased) << 1);
        s.value[slot] += v;
    };
    for &r in rows {
        let r = r as usize;
        let t = cols.time[r];
        let v = cols.amount[r];
        if cols.is_cancel(r) {
            a.cancelled_lines += 1;
            match params.cancellations {
                Cancellations::Drop => {}
                Cancellations::Net => {
                    a.monetary += v;
                    touch(s, period_slot(t), v, false);
                }
                Cancellations::Count => match cols.invoice {
                    Some(inv) => {
                        if s.cancel_invoices.last() != Some(&inv[r]) {
                            s.cancel_invoices.push(inv[r]);
                        }
                    }
                    None => a.cancellations += 1,
                },
            }
            continue;
        }
        a.lines += 1;
        a.monetary += v;
        a.first = a.first.min(t);
        a.last = a.last.max(t);
        touch(s, period_slot(t), v, true);
        match cols.invoice {
            Some(inv) => {
                if s.invoices.last() != Some(&inv[r]) {
                    s.invoices.push(inv[r]);
                }
            }
            None => a.frequency += 1,
        }
    }
    if cols.invoice.is_some() {
        a.frequency = distinct(&mut s.invoices);
        a.cancellations += distinct(&mut s.cancel_invoices);
    }
    s.touched.sort_unstable();
    for &slot in &s.touched {
        cells.push(DemandCell {
            customer: c,
            period: p0 + slot as i64,
            value: s.value[slot],
            purchased: s.flags[slot] & 2 != 0,
        });
        s.value[slot] = 0.0;
        s.flags[slot] = 0;
    }
    s.touched.clear();
    a
}

/// Reduces invoice lines to per-customer aggregates.
///
/// Two paths give the same aggregates (sums up to rounding): the dense path (`super::dense`:
/// customer partitions, each reading every row, with accumulators, invoice owners and a
/// period x customer demand table) when the demand table is small and every invoice belongs
/// to one customer, the sorted path otherwise.
pub fn partial(lines: &Lines<'_>, params: &SummaryParams) -> Result<Partial> {
    check_shapes(lines, params)?;
    if let Some(p) = super::dense::partial(lines, params)? {
        return Ok(p);
    }
    partial_sorted(lines, params)
}

fn check_shapes(lines: &Lines<'_>, params: &SummaryParams) -> Result<()> {
    let n = lines.customer.len();
    let k = params.n_customers;
    if lines.time.len() != n || lines.amount.len() != n {
        return Err(Error::invalid(
            "transactions",
            "customer, date and amount must have one entry per line",
        ));
    }
    if lines.invoice.as_ref().is_some_and(|a| a.len() != n)
        || lines.cancelled.as_ref().is_some_and(|a| a.len() != n)
    {
        return Err(Error::invalid(
            "transactions",
            "invoice and cancellation flags must have one entry per line",
        ));
    }
    if params.ticks_per_day <= 0 {
        return Err(Error::invalid("ticks_per_day", "must be positive"));
    }
    if lines.ids.is_some_and(|t| t.uniques().len() != k) {
        return Err(Error::invalid(
            "n_customers",
            "must equal the number of ids in the id table",
        ));
    }
    if n > u32::MAX as usize || k > u32::MAX as usize {
        return Err(Error::invalid(
            "transactions",
            "more than 4,294,967,295 lines or customers",
        ));
    }
    Ok(())
}

/// The sorted path of [`partial`]: rows grouped by customer with a stable counting sort, each
/// customer reduced on its own (always applicable).
pub fn partial_sorted(lines: &Lines<'_>, params: &SummaryParams) -> Result<Partial> {
    check_shapes(lines, params)?;
    let k = params.n_customers;
    let customer = match lines.ids {
        Some(t) => Cow::Owned(t.codes(&slice(&lines.customer))),
        None => slice(&lines.customer),
    };
    let time = slice(&lines.time);
    let amount = slice(&lines.amount);
    let invoice = lines.invoice.as_ref().map(slice);
    let cancelled = lines.cancelled.as_ref().map(slice);
    let cols = Columns {
        time: &time,
        amount: &amount,
        invoice: invoice.as_deref(),
        cancelled: cancelled.as_deref(),
    };

    // Counts per customer, checks, and the time range of the kept lines.
    let mut start = vec![0u32; k + 1];
    let (mut dropped, mut t_min, mut t_max) = (0u64, i64::MAX, i64::MIN);
    for (r, &c) in customer.iter().enumerate() {
        if c < 0 {
            dropped += 1;
            continue;
        }
        let cu = c as usize;
        if cu >= k {
            return Err(Error::invalid(
                "customer",
                format!("code {c} at line {r} is not below n_customers = {k}"),
            ));
        }
        start[cu + 1] += 1;
        let t = time[r];
        if t == i64::MIN {
            return Err(Error::invalid("date", format!("missing date at line {r}")));
        }
        if !amount[r].is_finite() {
            return Err(Error::invalid(
                "amount",
                format!("missing or infinite value at line {r}"),
            ));
        }
        if invoice.as_deref().is_some_and(|inv| inv[r] < 0) {
            return Err(Error::invalid(
                "invoice",
                format!("missing invoice at line {r}"),
            ));
        }
        t_min = t_min.min(t);
        t_max = t_max.max(t);
    }
    for c in 0..k {
        start[c + 1] += start[c];
    }
    // Stable scatter of row numbers: each customer's rows in their original order.
    let mut next = start.clone();
    let mut perm = vec![0u32; start[k] as usize];
    for (r, &c) in customer.iter().enumerate() {
        if c >= 0 {
            let slot = &mut next[c as usize];
            perm[*slot as usize] = r as u32;
            *slot += 1;
        }
    }
    let (p0, width) = if t_min <= t_max {
        let p0 = params.period.of_day(floor_day(t_min, params.ticks_per_day));
        let p1 = params.period.of_day(floor_day(t_max, params.ticks_per_day));
        (p0, (p1 - p0 + 1) as usize)
    } else {
        (0, 0)
    };

    let blocks: Vec<(Vec<Agg>, Vec<DemandCell>)> = (0..k.div_ceil(CUSTOMER_BLOCK))
        .into_par_iter()
        .map(|b| {
            let mut s = Scratch {
                value: vec![0.0; width],
                flags: vec![0; width],
                touched: Vec::new(),
                invoices: Vec::new(),
                cancel_invoices: Vec::new(),
            };
            let mut cells = Vec::new();
            let lo = b * CUSTOMER_BLOCK;
            let hi = (lo + CUSTOMER_BLOCK).min(k);
            let aggs = (lo..hi)
                .map(|c| {
                    let rows = &perm[start[c] as usize..start[c + 1] as usize];
                    reduce_customer(c as u32, rows, &cols, params, p0, &mut s, &mut cells)
                })
                .collect();
            (aggs, cells)
        })
        .collect();

    let mut out = Partial {
        n_customers: k,
        lines: Vec::with_capacity(k),
        frequency: Vec::with_capacity(k),
        monetary: Vec::with_capacity(k),
        first: Vec::with_capacity(k),
        last: Vec::with_capacity(k),
        cancellations: Vec::with_capacity(k),
        cancelled_lines: Vec::with_capacity(k),
        demand: Vec::new(),
        table: None,
        dropped,
    };
    for (aggs, cells) in blocks {
        for a in aggs {
            out.lines.push(a.lines);
            out.frequency.push(a.frequency);
            out.monetary.push(a.monetary);
            out.first.push(a.first);
            out.last.push(a.last);
            out.cancellations.push(a.cancellations);
            out.cancelled_lines.push(a.cancelled_lines);
        }
        out.demand.extend(cells);
    }
    Ok(out)
}

/// Adds the aggregates of `b` (later rows) to those of `a`.
pub fn merge(a: Partial, b: Partial) -> Result<Partial> {
    if a.n_customers != b.n_customers {
        return Err(Error::invalid(
            "partials",
            "aggregates of different customer codings cannot be merged",
        ));
    }
    let (a, b) = (a.into_cells(), b.into_cells());
    let add = |x: Vec<u64>, y: &[u64]| x.into_iter().zip(y).map(|(p, q)| p + q).collect();
    let mut demand = Vec::with_capacity(a.demand.len() + b.demand.len());
    let (mut i, mut j) = (0, 0);
    while i < a.demand.len() || j < b.demand.len() {
        let key = |c: &DemandCell| (c.customer, c.period);
        match (a.demand.get(i), b.demand.get(j)) {
            (Some(x), Some(y)) if key(x) == key(y) => {
                demand.push(DemandCell {
                    value: x.value + y.value,
                    purchased: x.purchased || y.purchased,
                    ..*x
                });
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if key(x) < key(y) => {
                demand.push(*x);
                i += 1;
            }
            (Some(x), None) => {
                demand.push(*x);
                i += 1;
            }
            (_, Some(y)) => {
                demand.push(*y);
                j += 1;
            }
            (None, None) => break,
        }
    }
    Ok(Partial {
        n_customers: a.n_customers,
        lines: add(a.lines, &b.lines),
        frequency: add(a.frequency, &b.frequency),
        monetary: a
            .monetary
            .iter()
            .zip(&b.monetary)
            .map(|(p, q)| p + q)
            .collect(),
        first: a
            .first
            .iter()
            .zip(&b.first)
            .map(|(p, q)| *p.min(q))
            .collect(),
        last: a.last.iter().zip(&b.last).map(|(p, q)| *p.max(q)).collect(),
        cancellations: add(a.cancellations, &b.cancellations),
        cancelled_lines: add(a.cancelled_lines, &b.cancelled_lines),
        demand,
        table: None,
        dropped: a.dropped + b.dropped,
    })
}

/// One row per customer with at least one purchase line.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub customer: Vec<u32>,
    pub first: Vec<i64>,
    pub last: Vec<i64>,
    pub recency_days: Vec<f64>,
    pub tenure_days: Vec<f64>,
    pub frequency: Vec<u64>,
    pub lines: Vec<u64>,
    pub monetary: Vec<f64>,
    pub mean_order_value: Vec<f64>,
    pub mean_interpurchase_days: Vec<f64>,
    pub active_periods: Vec<u64>,
    pub periods_observed: Vec<i64>,
    pub demand_mean: Vec<f64>,
    pub demand_sd: Vec<f64>,
    pub cancellations: Vec<u64>,
    /// Customers whose every line is a cancellation (not in the rows above).
    pub cancelled_only: u64,
    pub dropped: u64,
    /// The reference time recency is measured to (ticks).
    pub reference: i64,
    /// The window of periods (first, last) demand is counted over.
    pub window: (i64, i64),
}

/// The parameters of [`finish`].
#[derive(Debug, Clone, Copy)]
pub struct FinishParams {
    /// Recency is measured to this time (ticks); the window of periods ends with the period of
    /// the tick before it. None: midnight after the day of the last purchase.
    pub reference: Option<i64>,
    pub ticks_per_day: i64,
    pub period: Period,
    /// The first purchase of the whole data set (ticks), when `p` holds only some of its
    /// customers (a distributed run that routes each customer's lines to one bucket): the
    /// window of periods starts with its period. None: the first purchase in `p`.
    pub start: Option<i64>,
}

/// The per-customer columns from (merged) aggregates.
pub fn finish(p: &Partial, params: &FinishParams) -> Result<Summary> {
    let tpd = params.ticks_per_day;
    if tpd <= 0 {
        return Err(Error::invalid("ticks_per_day", "must be positive"));
    }
    let buyers: Vec<usize> = (0..p.n_customers).filter(|&c| p.lines[c] > 0).collect();
    if buyers.is_empty() {
        return Err(Error::invalid(
            "transactions",
            "no purchase lines (every line lacks a customer id or is a cancellation)",
        ));
    }
    let cancelled_only = (0..p.n_customers)
        .filter(|&c| p.lines[c] == 0 && p.cancelled_lines[c] > 0)
        .count() as u64;
    let t_first = buyers.iter().map(|&c| p.first[c]).min().unwrap_or(0);
    if params.start.is_some_and(|s| s > t_first) {
        return Err(Error::invalid(
            "start",
            "must not be after the first purchase of the aggregates",
        ));
    }
    let t_first = params.start.unwrap_or(t_first);
    let t_last = buyers.iter().map(|&c| p.last[c]).max().unwrap_or(0);
    let reference = params
        .reference
        .unwrap_or_else(|| (t_last.div_euclid(tpd) + 1).saturating_mul(tpd));
    if reference <= t_last {
        return Err(Error::invalid(
            "reference_date",
            "must be after the last purchase in the data",
        ));
    }
    let period_of = |t: i64| params.period.of_day(t.div_euclid(tpd));
    let (w0, w1) = (period_of(t_first), period_of(reference - 1));
    let width = (w1 - w0 + 1) as f64;
    let days = |ticks: i64| ticks as f64 / tpd as f64;

    // Per buyer: cells in the window, active periods, total, then (the mean known) the sum of
    // squared deviations, each customer's cells in period order.
    let m = buyers.len();
    let mut active = vec![0u64; m];
    let mut total = vec![0f64; m];
    let mut cells = vec![0u64; m];
    let mut ss = vec![0f64; m];
    let mut stats = |row: usize, it: &mut dyn Iterator<Item = (i64, f64, bool)>| {
        let (mut n, mut a, mut t) = (0u64, 0u64, 0f64);
        let mut values = [0f64; 64];
        let mut more = Vec::new();
        for (period, value, purchased) in it {
            if period < w0 || period > w1 {
                continue;
            }
            a += u64::from(purchased);
            t += value;
            match values.get_mut(n as usize) {
                Some(v) => *v = value,
                None => more.push(value),
            }
            n += 1;
        }
        let mean = t / width;
        let mut q = 0f64;
        for &v in values.iter().take(n as usize).chain(&more) {
            let d = v - mean;
            q += d * d;
        }
        (active[row], total[row], cells[row], ss[row]) = (a, t, n, q);
    };
    match &p.table {
        Some(table) => {
            let mut row = 0;
            table.for_each_customer(|c, it| {
                if buyers.get(row) == Some(&c) {
                    stats(row, &mut it.map(|(p, x)| (p, x.value, x.flags & 2 != 0)));
                    row += 1;
                }
            });
        }
        None => {
            let mut at = 0;
            for (row, &c) in buyers.iter().enumerate() {
                while p.demand.get(at).is_some_and(|x| (x.customer as usize) < c) {
                    at += 1;
                }
                let start = at;
                while p.demand.get(at).is_some_and(|x| x.customer as usize == c) {
                    at += 1;
                }
                let mut it = p.demand[start..at]
                    .iter()
                    .map(|x| (x.period, x.value, x.purchased));
                stats(row, &mut it);
            }
        }
    }
    let mean: Vec<f64> = total.iter().map(|t| t / width).collect();
    // Population variance over the window: the cells, plus the empty periods at zero.
    let sd: Vec<f64> = (0..m)
        .map(|i| {
            let empty = width - cells[i] as f64;
            ((ss[i] + empty * mean[i] * mean[i]) / width).sqrt()
        })
        .collect();

    let pick = |v: &Vec<u64>| buyers.iter().map(|&c| v[c]).collect::<Vec<_>>();
    let frequency = pick(&p.frequency);
    let monetary: Vec<f64> = buyers.iter().map(|&c| p.monetary[c]).collect();
    let first: Vec<i64> = buyers.iter().map(|&c| p.first[c]).collect();
    let last: Vec<i64> = buyers.iter().map(|&c| p.last[c]).collect();
    let tenure: Vec<f64> = first.iter().zip(&last).map(|(f, l)| days(l - f)).collect();
    Ok(Summary {
        customer: buyers.iter().map(|&c| c as u32).collect(),
        recency_days: last.iter().map(|&l| days(reference - l)).collect(),
        mean_order_value: monetary
            .iter()
            .zip(&frequency)
            .map(|(m, &f)| m / f as f64)
            .collect(),
        mean_interpurchase_days: tenure
            .iter()
            .zip(&frequency)
            .map(|(t, &f)| if f > 1 { t / (f - 1) as f64 } else { f64::NAN })
            .collect(),
        periods_observed: first.iter().map(|&f| w1 - period_of(f) + 1).collect(),
        tenure_days: tenure,
        lines: pick(&p.lines),
        cancellations: pick(&p.cancellations),
        frequency,
        monetary,
        first,
        last,
        active_periods: active,
        demand_mean: mean,
        demand_sd: sd,
        cancelled_only,
        dropped: p.dropped,
        reference,
        window: (w0, w1),
    })
}

#[cfg(test)]
#[path = "summary_tests.rs"]
mod tests;
