//! The dense path of the customer summary: three streaming passes over the rows, run side by
//! side, each touching only per-customer or per-invoice tables.
//!
//! - sums: the rows cut into a fixed number of chunks (a function of the row and customer
//!   counts only), one accumulator table per chunk, tables added in chunk order;
//! - invoices: the customer owning each invoice code; a purchase invoice counts once for its
//!   owner. An invoice seen with two customers sends the whole summary to the sorted path;
//! - demand: a period-major table (periods x customers) of sums, filled in row order. Logs are
//!   in time order, so the rows of a period touch one stripe of the table.
//!
//! Every sum is accumulated in an order fixed by the data (chunk order, row order), never by
//! the threads: the result is bit-identical on 1 or N threads.

use rayon::prelude::*;

use super::summary::{slice, Cancellations, DemandCell, Lines, Partial, SummaryParams};
use crate::error::{Error, Result};
use crate::parallel::{fold_rows, zeroed};

/// At most this many accumulator chunks.
const MAX_CHUNKS: usize = 16;

struct Scan {
    dropped: u64,
    t_min: i64,
    t_max: i64,
    error: Option<Error>,
}

/// Checks the rows and finds the time range of the lines with a customer.
fn scan(
    customer: &[i64],
    time: &[i64],
    amount: &[f64],
    invoice: Option<&[i64]>,
    k: usize,
    n_inv: usize,
) -> Scan {
    fold_rows(
        customer.len(),
        |rows| {
            let mut s = Scan {
                dropped: 0,
                t_min: i64::MAX,
                t_max: i64::MIN,
                error: None,
            };
            for r in rows {
                let c = customer[r];
                if c < 0 {
                    s.dropped += 1;
                    continue;
                }
                let t = time[r];
                let error = if c as u64 >= k as u64 {
                    Some(Error::invalid(
                        "customer",
                        format!("code {c} at line {r} is not below n_customers = {k}"),
                    ))
                } else if t == i64::MIN {
                    Some(Error::invalid("date", format!("missing date at line {r}")))
                } else if !amount[r].is_finite() {
                    Some(Error::invalid(
                        "amount",
                        format!("missing or infinite value at line {r}"),
                    ))
                } else if invoice.is_some_and(|inv| inv[r] < 0 || inv[r] as u64 >= n_inv as u64) {
                    Some(Error::invalid(
                        "invoice",
                        format!("missing or out-of-range invoice code at line {r}"),
                    ))
                } else {
                    None
                };
                if error.is_some() {
                    s.error = error;
                    return s;
                }
                s.t_min = s.t_min.min(t);
                s.t_max = s.t_max.max(t);
            }
            s
        },
        |a, b| Scan {
            dropped: a.dropped + b.dropped,
            t_min: a.t_min.min(b.t_min),
            t_max: a.t_max.max(b.t_max),
            error: a.error.or(b.error),
        },
    )
}

/// One customer's sums in one chunk of rows: half a cache line per customer, so a row touches
/// one line of the table. All zeros is the empty state (`first` and `last` mean nothing while
/// `lines` is 0), so tables come from `zeroed` (huge pages).
#[derive(Clone, Copy, Default)]
#[repr(C, align(32))]
struct Acc {
    monetary: f64,
    first: i64,
    last: i64,
    lines: u32,
    cancelled_lines: u32,
}

struct Cols<'a> {
    customer: &'a [i64],
    time: &'a [i64],
    amount: &'a [f64],
    invoice: Option<&'a [i64]>,
    cancelled: Option<&'a [bool]>,
}

impl Cols<'_> {
    #[inline]
    fn is_cancel(&self, r: usize) -> bool {
        self.amount[r] < 0.0 || self.cancelled.is_some_and(|c| c[r])
    }
}

fn sums(cols: &Cols<'_>, k: usize, mode: Cancellations) -> Vec<Acc> {
    let n = cols.customer.len();
    let n_chunks = (n / (8 * k).max(1 << 16)).clamp(1, MAX_CHUNKS);
    let chunk = n.div_ceil(n_chunks);
    let parts: Vec<Vec<Acc>> = (0..n_chunks)
        .into_par_iter()
        .map(|i| {
            let mut s: Vec<Acc> = zeroed(k);
            for r in i * chunk..((i + 1) * chunk).min(n) {
                let c = cols.customer[r];
                if c < 0 {
                    continue;
                }
                let a = &mut s[c as usize];
                let v = cols.amount[r];
                if cols.is_cancel(r) {
                    a.cancelled_lines += 1;
                    if mode == Cancellations::Net {
                        a.monetary += v;
                    }
                    continue;
                }
                let t = cols.time[r];
                if a.lines == 0 {
                    (a.first, a.last) = (t, t);
                } else {
                    a.first = a.first.min(t);
                    a.last = a.last.max(t);
                }
                a.lines += 1;
                a.monetary += v;
            }
            s
        })
        .collect();
    let mut parts = parts.into_iter();
    let mut total = parts.next().unwrap_or_else(|| zeroed(k));
    for p in parts {
        for (t, a) in total.iter_mut().zip(&p) {
            if a.lines > 0 {
                if t.lines == 0 {
                    (t.first, t.last) = (a.first, a.last);
                } else {
                    t.first = t.first.min(a.first);
                    t.last = t.last.max(a.last);
                }
            }
            t.monetary += a.monetary;
            t.lines += a.lines;
            t.cancelled_lines += a.cancelled_lines;
        }
    }
    total
}

/// Distinct purchase (and, with `count`, cancellation) invoices per customer; None when an
/// invoice has lines of two customers.
fn invoices(
    cols: &Cols<'_>,
    inv: &[i64],
    k: usize,
    n_inv: usize,
    count: bool,
) -> Option<(Vec<u64>, Vec<u64>)> {
    // Owner code + 1 per invoice, 0 = none yet.
    const NONE: u32 = 0;
    let mut owner: Vec<u32> = zeroed(n_inv);
    let mut cancel_owner: Vec<u32> = if count { zeroed(n_inv) } else { Vec::new() };
    let mut freq: Vec<u64> = zeroed(k);
    let mut cfreq: Vec<u64> = zeroed(k);
    for (r, &c) in cols.customer.iter().enumerate() {
        if c < 0 {
            continue;
        }
        let c32 = c as u32 + 1;
        let i = inv[r] as usize;
        let (table, counter) = if cols.is_cancel(r) {
            if !count {
                continue;
            }
            (&mut cancel_owner, &mut cfreq)
        } else {
            (&mut owner, &mut freq)
        };
        let o = table[i];
        if o == c32 {
            continue;
        }
        if o != NONE {
            return None;
        }
        table[i] = c32;
        counter[c as usize] += 1;
    }
    Some((freq, cfreq))
}

/// Demand of one customer in one period: the sum, and bits 0 (lines) and 1 (a purchase).
#[derive(Clone, Copy, Default)]
#[repr(C)]
struct Cell {
    value: f64,
    flags: u64,
}

/// Demand per period, period-major (`slot * k + customer`).
fn demand(cols: &Cols<'_>, params: &SummaryParams, p0: i64, width: usize) -> Vec<Cell> {
    let k = params.n_customers;
    let mut table: Vec<Cell> = zeroed(width * k);
    let (mut last_day, mut slot) = (i64::MIN, 0usize);
    for (r, &c) in cols.customer.iter().enumerate() {
        if c < 0 {
            continue;
        }
        let purchase = !cols.is_cancel(r);
        if !purchase && params.cancellations != Cancellations::Net {
            continue;
        }
        let day = cols.time[r].div_euclid(params.ticks_per_day);
        if day != last_day {
            last_day = day;
            slot = (params.period.of_day(day) - p0) as usize;
        }
        let cell = &mut table[slot * k + c as usize];
        cell.value += cols.amount[r];
        cell.flags |= 1 | (u64::from(purchase) << 1);
    }
    table
}

/// The dense path of `summary::partial`; None when it does not apply (a demand table larger
/// than the input, or an invoice shared by two customers).
pub(super) fn partial(lines: &Lines<'_>, params: &SummaryParams) -> Result<Option<Partial>> {
    let k = params.n_customers;
    let n = lines.customer.len();
    let customer = slice(&lines.customer);
    let time = slice(&lines.time);
    let amount = slice(&lines.amount);
    let invoice = lines.invoice.as_ref().map(slice);
    let cancelled = lines.cancelled.as_ref().map(slice);
    let s = scan(
        &customer,
        &time,
        &amount,
        invoice.as_deref(),
        k,
        lines.n_invoices,
    );
    if let Some(e) = s.error {
        return Err(e);
    }
    let (p0, width) = if s.t_min <= s.t_max {
        let day = |t: i64| t.div_euclid(params.ticks_per_day);
        let p0 = params.period.of_day(day(s.t_min));
        (p0, (params.period.of_day(day(s.t_max)) - p0 + 1) as usize)
    } else {
        (0, 0)
    };
    // The demand table costs 16 bytes a cell: at most about the size of two input columns.
    if (width as u128) * (k as u128) > (n as u128) + (1 << 20) {
        return Ok(None);
    }
    let cols = Cols {
        customer: &customer,
        time: &time,
        amount: &amount,
        invoice: invoice.as_deref(),
        cancelled: cancelled.as_deref(),
    };
    let count = params.cancellations == Cancellations::Count;
    let (sums, (owners, table)) = rayon::join(
        || sums(&cols, k, params.cancellations),
        || {
            rayon::join(
                || {
                    cols.invoice
                        .map(|inv| invoices(&cols, inv, k, lines.n_invoices, count))
                },
                || demand(&cols, params, p0, width),
            )
        },
    );
    let lines_of: Vec<u64> = sums.iter().map(|a| u64::from(a.lines)).collect();
    let cancelled_lines: Vec<u64> = sums.iter().map(|a| u64::from(a.cancelled_lines)).collect();
    let (frequency, cancellations) = match owners {
        Some(Some((f, c))) => (f, c),
        Some(None) => return Ok(None),
        // Without invoices every line counts (and every cancellation line, with "count").
        None if count => (lines_of.clone(), cancelled_lines.clone()),
        None => (lines_of.clone(), vec![0; k]),
    };
    let mut cells = Vec::new();
    for c in 0..k {
        for slot in 0..width {
            let cell = table[slot * k + c];
            if cell.flags != 0 {
                cells.push(DemandCell {
                    customer: c as u32,
                    period: p0 + slot as i64,
                    value: cell.value,
                    purchased: cell.flags & 2 != 0,
                });
            }
        }
    }
    Ok(Some(Partial {
        n_customers: k,
        lines: lines_of,
        frequency,
        monetary: sums.iter().map(|a| a.monetary).collect(),
        first: sums
            .iter()
            .map(|a| if a.lines > 0 { a.first } else { i64::MAX })
            .collect(),
        last: sums
            .iter()
            .map(|a| if a.lines > 0 { a.last } else { i64::MIN })
            .collect(),
        cancellations,
        cancelled_lines,
        demand: cells,
        dropped: s.dropped,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::calendar::Period;
    use super::super::summary::{partial_sorted, Partial};
    use super::*;
    use ndarray::Array1;

    fn assert_close(a: &Partial, b: &Partial) {
        assert_eq!(a.lines, b.lines);
        assert_eq!(a.frequency, b.frequency);
        assert_eq!(a.first, b.first);
        assert_eq!(a.last, b.last);
        assert_eq!(a.cancellations, b.cancellations);
        assert_eq!(a.cancelled_lines, b.cancelled_lines);
        assert_eq!(a.dropped, b.dropped);
        for (x, y) in a.monetary.iter().zip(&b.monetary) {
            assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0));
        }
        assert_eq!(a.demand.len(), b.demand.len());
        for (x, y) in a.demand.iter().zip(&b.demand) {
            assert_eq!(
                (x.customer, x.period, x.purchased),
                (y.customer, y.period, y.purchased)
            );
            assert!((x.value - y.value).abs() <= 1e-9 * x.value.abs().max(1.0));
        }
    }

    #[test]
    fn dense_equals_sorted() {
        let n = 300_000;
        let k = 500;
        let customer = Array1::from_iter((0..n).map(|i| ((i / 4 * 7919) % (k + 3)) as i64 - 3));
        let day = 86_400i64;
        let time = Array1::from_iter((0..n).map(|i| (i as i64 * 400 / n as i64) * day + 3600));
        let amount = Array1::from_iter((0..n).map(|i| ((i * 13) % 50) as f64 - 3.0));
        let invoice = Array1::from_iter((0..n).map(|i| (i / 4) as i64));
        let flags = Array1::from_iter((0..n).map(|i| i % 97 == 0));
        for mode in [
            Cancellations::Drop,
            Cancellations::Net,
            Cancellations::Count,
        ] {
            for with_invoice in [true, false] {
                let lines = Lines {
                    customer: customer.view(),
                    time: time.view(),
                    amount: amount.view(),
                    invoice: with_invoice.then(|| invoice.view()),
                    n_invoices: n / 4,
                    cancelled: Some(flags.view()),
                };
                let params = SummaryParams {
                    n_customers: k,
                    ticks_per_day: day,
                    period: Period::Week,
                    cancellations: mode,
                };
                let dense = partial(&lines, &params).unwrap().unwrap();
                assert_close(&dense, &partial_sorted(&lines, &params).unwrap());
                let threads = |t| {
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(t)
                        .build()
                        .unwrap()
                        .install(|| partial(&lines, &params).unwrap().unwrap())
                };
                assert_eq!(threads(1), threads(3));
            }
        }
    }

    #[test]
    fn shared_invoice_falls_back() {
        let customer = Array1::from(vec![0i64, 1]);
        let time = Array1::from(vec![0i64, 0]);
        let amount = Array1::from(vec![1.0, 2.0]);
        let invoice = Array1::from(vec![0i64, 0]);
        let lines = Lines {
            customer: customer.view(),
            time: time.view(),
            amount: amount.view(),
            invoice: Some(invoice.view()),
            n_invoices: 1,
            cancelled: None,
        };
        let params = SummaryParams {
            n_customers: 2,
            ticks_per_day: 86_400,
            period: Period::Month,
            cancellations: Cancellations::Drop,
        };
        assert!(partial(&lines, &params).unwrap().is_none());
        let p = super::super::partial(&lines, &params).unwrap();
        assert_eq!(p.frequency, vec![1, 1]);
    }
}
