//! The dense path of the customer summary: two streaming passes over the rows, run side by
//! side, each touching only per-customer or per-invoice tables, after a light scan of the
//! customer and time columns.
//!
//! - scan: lines without a customer, the time range of the others (the width of the demand
//!   table), whether the log is in time order;
//! - sums: the rows cut into a fixed number of chunks (a function of the row and customer
//!   counts only), one accumulator table per chunk, tables added in chunk order. The same pass
//!   checks the values and counts distinct invoices: the first line of an invoice claims it for
//!   its customer in a shared table (an atomic compare-and-swap, so whichever chunk comes first
//!   the invoice counts once for its only customer); an invoice claimed by two customers sends
//!   the whole summary to the sorted path;
//! - demand: a period-major table (periods x customers) of sums, filled in row order. Logs are
//!   in time order, so the rows of a period touch one stripe of the table; a log in time order
//!   is cut at period boundaries into blocks that own disjoint stripes and run in parallel.
//!
//! Every sum is accumulated in an order fixed by the data (chunk order, row order), never by
//! the threads: the result is bit-identical on 1 or N threads.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use rayon::prelude::*;

use super::summary::{slice, Cancellations, DemandCell, Lines, Partial, SummaryParams};
use crate::error::{Error, Result};
use crate::parallel::{fold_rows, zeroed};

/// At most this many accumulator chunks.
const MAX_CHUNKS: usize = 16;
/// Period blocks of the parallel demand pass (each owns a stripe of the table).
const DEMAND_BLOCKS: usize = 8;
/// Customers per task when the demand table is read back.
const CELL_BLOCK: usize = 4096;

struct Scan {
    dropped: u64,
    t_min: i64,
    t_max: i64,
    /// All rows (with a customer or not) in time order.
    sorted: bool,
    first: i64,
    last: i64,
    error: Option<Error>,
}

/// Lines without a customer, the time range of the others, time order; a customer code out of
/// range is an error.
fn scan(customer: &[i64], time: &[i64], k: usize) -> Scan {
    fold_rows(
        customer.len(),
        |rows| {
            let mut s = Scan {
                dropped: 0,
                t_min: i64::MAX,
                t_max: i64::MIN,
                sorted: true,
                first: time[rows.start],
                last: time[rows.end - 1],
                error: None,
            };
            let mut prev = i64::MIN;
            for r in rows {
                let (c, t) = (customer[r], time[r]);
                s.sorted &= t >= prev;
                prev = t;
                if c < 0 {
                    s.dropped += 1;
                    continue;
                }
                if c as u64 >= k as u64 {
                    s.error = Some(Error::invalid(
                        "customer",
                        format!("code {c} at line {r} is not below n_customers = {k}"),
                    ));
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
            sorted: a.sorted && b.sorted && a.last <= b.first,
            first: a.first,
            last: b.last,
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

/// The owners of the invoices (customer code + 1, 0 = none yet), shared by the chunks.
struct Owners {
    purchase: Vec<AtomicU32>,
    /// Owners of cancellation invoices (with `count` only).
    cancel: Vec<AtomicU32>,
    /// Set when an invoice has lines of two customers.
    shared: AtomicBool,
}

/// Claims invoice `i` for customer `c`; true when this call claimed it (count it once).
#[inline]
fn claim(table: &[AtomicU32], i: usize, c: u32, shared: &AtomicBool) -> bool {
    let me = c + 1;
    let o = table[i].load(Ordering::Relaxed);
    if o == me {
        return false;
    }
    if o == 0 {
        match table[i].compare_exchange(0, me, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return true,
            Err(o) if o == me => return false,
            Err(_) => {}
        }
    }
    shared.store(true, Ordering::Relaxed);
    false
}

/// One chunk's tables.
struct Chunk {
    acc: Vec<Acc>,
    /// Distinct purchase / cancellation invoices claimed in this chunk, per customer.
    freq: Vec<u32>,
    cfreq: Vec<u32>,
    error: Option<Error>,
}

fn sums(
    cols: &Cols<'_>,
    k: usize,
    n_inv: usize,
    mode: Cancellations,
    owners: &Owners,
) -> (Vec<Acc>, Vec<u64>, Vec<u64>, Option<Error>) {
    let n = cols.customer.len();
    let n_chunks = (n / (8 * k).max(1 << 16)).clamp(1, MAX_CHUNKS);
    let chunk = n.div_ceil(n_chunks);
    let count = mode == Cancellations::Count;
    let with_inv = cols.invoice.is_some();
    let parts: Vec<Chunk> = (0..n_chunks)
        .into_par_iter()
        .map(|i| {
            let mut out = Chunk {
                acc: zeroed(k),
                freq: if with_inv { zeroed(k) } else { Vec::new() },
                cfreq: if with_inv && count {
                    zeroed(k)
                } else {
                    Vec::new()
                },
                error: None,
            };
            let s = &mut out.acc;
            // The last (invoice, customer) claimed or seen, per table: lines of an invoice are
            // usually adjacent, so most lines skip the shared table.
            let (mut last_p, mut last_c) = ((-1i64, -1i64), (-1i64, -1i64));
            for r in i * chunk..((i + 1) * chunk).min(n) {
                let c = cols.customer[r];
                if c < 0 {
                    continue;
                }
                let v = cols.amount[r];
                let t = cols.time[r];
                if t == i64::MIN {
                    out.error = Some(Error::invalid("date", format!("missing date at line {r}")));
                    break;
                }
                if !v.is_finite() {
                    out.error = Some(Error::invalid(
                        "amount",
                        format!("missing or infinite value at line {r}"),
                    ));
                    break;
                }
                let cancel = v < 0.0 || cols.cancelled.is_some_and(|f| f[r]);
                if let Some(inv) = cols.invoice {
                    let iv = inv[r];
                    if iv < 0 || iv as u64 >= n_inv as u64 {
                        out.error = Some(Error::invalid(
                            "invoice",
                            format!("missing or out-of-range invoice code at line {r}"),
                        ));
                        break;
                    }
                    if !cancel {
                        if last_p != (iv, c) {
                            last_p = (iv, c);
                            if claim(&owners.purchase, iv as usize, c as u32, &owners.shared) {
                                out.freq[c as usize] += 1;
                            }
                        }
                    } else if count && last_c != (iv, c) {
                        last_c = (iv, c);
                        if claim(&owners.cancel, iv as usize, c as u32, &owners.shared) {
                            out.cfreq[c as usize] += 1;
                        }
                    }
                }
                let a = &mut s[c as usize];
                if cancel {
                    a.cancelled_lines += 1;
                    if mode == Cancellations::Net {
                        a.monetary += v;
                    }
                    continue;
                }
                if a.lines == 0 {
                    (a.first, a.last) = (t, t);
                } else {
                    a.first = a.first.min(t);
                    a.last = a.last.max(t);
                }
                a.lines += 1;
                a.monetary += v;
            }
            out
        })
        .collect();
    let mut error = None;
    let mut total: Vec<Acc> = zeroed(k);
    let mut freq: Vec<u64> = if with_inv { zeroed(k) } else { Vec::new() };
    let mut cfreq: Vec<u64> = if with_inv && count {
        zeroed(k)
    } else {
        Vec::new()
    };
    for p in parts {
        if error.is_none() {
            error = p.error;
        }
        for (t, a) in total.iter_mut().zip(&p.acc) {
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
        for (t, &f) in freq.iter_mut().zip(&p.freq) {
            *t += u64::from(f);
        }
        for (t, &f) in cfreq.iter_mut().zip(&p.cfreq) {
            *t += u64::from(f);
        }
    }
    (total, freq, cfreq, error)
}

/// Demand of one customer in one period: the sum, and bits 0 (lines) and 1 (a purchase).
#[derive(Clone, Copy, Default)]
#[repr(C)]
struct Cell {
    value: f64,
    flags: u64,
}

/// Adds rows `rows` to a stripe of the demand table holding slots `slot0..` (period-major,
/// `(slot - slot0) * k + customer`).
fn demand_rows(
    cols: &Cols<'_>,
    params: &SummaryParams,
    p0: i64,
    slot0: usize,
    rows: std::ops::Range<usize>,
    stripe: &mut [Cell],
) {
    let k = params.n_customers;
    let (mut last_day, mut slot) = (i64::MIN, 0usize);
    for r in rows {
        let c = cols.customer[r];
        if c < 0 {
            continue;
        }
        let v = cols.amount[r];
        let purchase = !(v < 0.0 || cols.cancelled.is_some_and(|f| f[r]));
        if !purchase && params.cancellations != Cancellations::Net {
            continue;
        }
        let day = cols.time[r].div_euclid(params.ticks_per_day);
        if day != last_day {
            last_day = day;
            slot = ((params.period.of_day(day) - p0) as usize).wrapping_sub(slot0);
        }
        if let Some(cell) = stripe.get_mut(slot * k + c as usize) {
            cell.value += v;
            cell.flags |= 1 | (u64::from(purchase) << 1);
        }
    }
}

/// Demand per period, period-major (`slot * k + customer`). A log in time order is cut at
/// period boundaries into blocks filled in parallel; each cell adds its rows in row order
/// either way.
fn demand(
    cols: &Cols<'_>,
    params: &SummaryParams,
    p0: i64,
    width: usize,
    sorted: bool,
) -> Vec<Cell> {
    let k = params.n_customers;
    let n = cols.customer.len();
    let mut table: Vec<Cell> = zeroed(width * k);
    if !sorted || width < 2 || k == 0 {
        demand_rows(cols, params, p0, 0, 0..n, &mut table);
        return table;
    }
    // Block b holds slots bounds[b]..bounds[b + 1]; its rows start at the first row whose
    // period is at least its first slot (the times are sorted, so are the periods).
    let n_blocks = width.min(DEMAND_BLOCKS);
    let bounds: Vec<usize> = (0..=n_blocks).map(|b| b * width / n_blocks).collect();
    let slot_of = |t: i64| params.period.of_day(t.div_euclid(params.ticks_per_day)) - p0;
    let row_of = |slot: usize| cols.time.partition_point(|&t| slot_of(t) < slot as i64);
    let mut stripes: Vec<(usize, std::ops::Range<usize>, &mut [Cell])> = Vec::new();
    let mut rest: &mut [Cell] = &mut table;
    for b in 0..n_blocks {
        let (lo, hi) = (bounds[b], bounds[b + 1]);
        let (stripe, tail) = std::mem::take(&mut rest).split_at_mut((hi - lo) * k);
        rest = tail;
        let rows = row_of(lo)..if b + 1 == n_blocks { n } else { row_of(hi) };
        stripes.push((lo, rows, stripe));
    }
    stripes
        .into_par_iter()
        .for_each(|(lo, rows, stripe)| demand_rows(cols, params, p0, lo, rows, stripe));
    table
}

/// The non-empty cells of the demand table, sorted by (customer, period): customers in blocks,
/// each block read period by period (contiguous runs of the table) and sorted by counting into
/// its own part of the output.
fn cells(table: &[Cell], k: usize, width: usize, p0: i64) -> Vec<DemandCell> {
    let n_blocks = k.div_ceil(CELL_BLOCK);
    let range = |b: usize| (b * CELL_BLOCK, ((b + 1) * CELL_BLOCK).min(k));
    // Cells per customer, block by block.
    let counts: Vec<Vec<usize>> = (0..n_blocks)
        .into_par_iter()
        .map(|b| {
            let (lo, hi) = range(b);
            let mut count = vec![0usize; hi - lo];
            for slot in 0..width {
                for (n, cell) in count.iter_mut().zip(&table[slot * k + lo..slot * k + hi]) {
                    *n += usize::from(cell.flags != 0);
                }
            }
            count
        })
        .collect();
    let total: usize = counts.iter().flatten().sum();
    let mut out: Vec<DemandCell> = zeroed(total);
    let mut parts: Vec<(usize, &Vec<usize>, &mut [DemandCell])> = Vec::with_capacity(n_blocks);
    let mut rest: &mut [DemandCell] = &mut out;
    for (b, count) in counts.iter().enumerate() {
        let (part, tail) = std::mem::take(&mut rest).split_at_mut(count.iter().sum());
        rest = tail;
        parts.push((b, count, part));
    }
    parts.into_par_iter().for_each(|(b, count, part)| {
        let (lo, hi) = range(b);
        let mut next = Vec::with_capacity(hi - lo);
        let mut at = 0;
        for &n in count {
            next.push(at);
            at += n;
        }
        for slot in 0..width {
            for (j, cell) in table[slot * k + lo..slot * k + hi].iter().enumerate() {
                if cell.flags != 0 {
                    part[next[j]] = DemandCell {
                        customer: (lo + j) as u32,
                        period: p0 + slot as i64,
                        value: cell.value,
                        purchased: cell.flags & 2 != 0,
                    };
                    next[j] += 1;
                }
            }
        }
    });
    out
}

/// The dense path of `summary::partial`; None when it does not apply (a demand table larger
/// than the input, or an invoice shared by two customers).
pub(super) fn partial(lines: &Lines<'_>, params: &SummaryParams) -> Result<Option<Partial>> {
    let k = params.n_customers;
    let n = lines.customer.len();
    if n == 0 {
        return Ok(None);
    }
    let customer = slice(&lines.customer);
    let time = slice(&lines.time);
    let amount = slice(&lines.amount);
    let invoice = lines.invoice.as_ref().map(slice);
    let cancelled = lines.cancelled.as_ref().map(slice);
    let s = scan(&customer, &time, k);
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
    let n_inv = if cols.invoice.is_some() {
        lines.n_invoices
    } else {
        0
    };
    let owners = Owners {
        purchase: zeroed(n_inv),
        cancel: zeroed(if count { n_inv } else { 0 }),
        shared: AtomicBool::new(false),
    };
    let ((sums, freq, cfreq, error), table) = rayon::join(
        || sums(&cols, k, n_inv, params.cancellations, &owners),
        || demand(&cols, params, p0, width, s.sorted),
    );
    if let Some(e) = error {
        return Err(e);
    }
    if owners.shared.load(Ordering::Relaxed) {
        return Ok(None);
    }
    let lines_of: Vec<u64> = sums.iter().map(|a| u64::from(a.lines)).collect();
    let cancelled_lines: Vec<u64> = sums.iter().map(|a| u64::from(a.cancelled_lines)).collect();
    let (frequency, cancellations) = if cols.invoice.is_some() {
        (freq, if count { cfreq } else { vec![0; k] })
    } else if count {
        // Without invoices every line counts (and every cancellation line, with "count").
        (lines_of.clone(), cancelled_lines.clone())
    } else {
        (lines_of.clone(), vec![0; k])
    };
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
        demand: cells(&table, k, width, p0),
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
        // In time order (the parallel demand pass) and not (the serial one).
        let sorted = Array1::from_iter((0..n).map(|i| (i as i64 * 400 / n as i64) * day + 3600));
        let shuffled = Array1::from_iter((0..n).map(|i| sorted[(i * 7919) % n]));
        let amount = Array1::from_iter((0..n).map(|i| ((i * 13) % 50) as f64 - 3.0));
        let invoice = Array1::from_iter((0..n).map(|i| (i / 4) as i64));
        let flags = Array1::from_iter((0..n).map(|i| i % 97 == 0));
        for (time, mode) in [
            (&sorted, Cancellations::Drop),
            (&sorted, Cancellations::Net),
            (&sorted, Cancellations::Count),
            (&shuffled, Cancellations::Net),
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
