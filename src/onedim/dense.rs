//! The dense path of the customer summary: the customers are cut into partitions (one per
//! thread), and each partition reads every row and keeps the lines of its own customers, so
//! every table row is written by one thread and every sum adds its lines in row order: the
//! result is bit-identical for any number of threads (and equal to a serial pass).
//!
//! 1. Coding (parallel over rows): customer ids to u32 codes (integer ids through an
//!    [`IdTable`](super::codes::IdTable), looked up only at the head of a run of equal ids:
//!    the lines of an invoice are adjacent), lines without a customer, the time range.
//! 2. The partitions, in blocks of 512 rows: the block's lines of the partition are gathered,
//!    their accumulator and demand cells prefetched (so the cache misses of a block overlap),
//!    then each line is checked and added to the accumulator table (half a cache line per
//!    customer) and to the period-major demand table (a log in time order fills one stripe at
//!    a time); its invoice is claimed for the customer in a shared owner table (a plain load
//!    and store, at the head of a run of the same invoice and customer).
//! 3. Distinct invoices are counted from the owner table. An invoice with lines of two
//!    customers is always seen: either a partition finds the other customer in the table, or
//!    two partitions claimed it at the same moment and the claims outnumber the owned
//!    invoices, which sends the rows to a check against the final owners. Either way the
//!    summary goes to the sorted path, as it does when the demand table would be larger than
//!    about two input columns.
//!
//! The demand tables are handed to `finish` as they are ([`DemandTable`]), read per customer
//! in period order: the same order as the cells of the sorted path.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};

use rayon::prelude::*;

use super::summary::{slice, Cancellations, Cell, DemandTable, Lines, Partial, SummaryParams};
use crate::error::{Error, Result};
use crate::parallel::zeroed;

/// At most this many partitions of the customers.
const MAX_PARTS: usize = 16;
/// Rows coded and prefetched together.
const BLOCK: usize = 512;
/// The code of a line outside the partition (or without a customer).
const NOT_MINE: usize = usize::MAX;

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
    /// Customer codes ([`NO_CUSTOMER`] for a line without one).
    code: &'a [u32],
    time: &'a [i64],
    amount: &'a [f64],
    invoice: Option<&'a [i64]>,
    n_inv: usize,
    cancelled: Option<&'a [bool]>,
}

impl Cols<'_> {
    #[inline]
    fn is_cancel(&self, r: usize) -> bool {
        self.amount[r] < 0.0 || self.cancelled.is_some_and(|c| c[r])
    }
}

/// The code of a line without a customer.
const NO_CUSTOMER: u32 = u32::MAX;

/// What the coding pass leaves besides the codes.
struct Coded {
    dropped: u64,
    t_min: i64,
    t_max: i64,
    /// The first bad id or code in row order.
    error: Option<(usize, Error)>,
}

/// Customer codes as u32 (coded at the heads of runs of equal ids: the lines of an invoice are
/// adjacent), lines without a customer, and the time range of the others (missing dates left
/// out), in parallel over fixed blocks of rows.
fn code_rows(lines: &Lines<'_>, customer: &[i64], time: &[i64], k: usize) -> (Vec<u32>, Coded) {
    const ROWS: usize = 1 << 16;
    let ids = lines.ids;
    let mut codes: Vec<u32> = zeroed(customer.len());
    let parts: Vec<Coded> = codes
        .par_chunks_mut(ROWS)
        .enumerate()
        .map(|(b, out)| {
            let mut s = Coded {
                dropped: 0,
                t_min: i64::MAX,
                t_max: i64::MIN,
                error: None,
            };
            let mut prev: Option<(i64, u32)> = None;
            for (j, o) in out.iter_mut().enumerate() {
                let r = b * ROWS + j;
                let id = customer[r];
                let c = match prev {
                    Some((p, c)) if p == id => c,
                    _ => {
                        let c = match ids {
                            Some(t) if id == t.missing() => Ok(NO_CUSTOMER),
                            Some(t) => t.code(id).map(|c| c as u32).ok_or_else(|| {
                                Error::invalid(
                                    "customer",
                                    format!("id {id} at line {r} is not in the id table"),
                                )
                            }),
                            None if id < 0 => Ok(NO_CUSTOMER),
                            None if id as u64 >= k as u64 => Err(Error::invalid(
                                "customer",
                                format!("code {id} at line {r} is not below n_customers = {k}"),
                            )),
                            None => Ok(id as u32),
                        };
                        match c {
                            Ok(c) => c,
                            Err(e) => {
                                s.error = Some((r, e));
                                return s;
                            }
                        }
                    }
                };
                prev = Some((id, c));
                *o = c;
                if c == NO_CUSTOMER {
                    s.dropped += 1;
                    continue;
                }
                let t = time[r];
                if t != i64::MIN {
                    s.t_min = s.t_min.min(t);
                    s.t_max = s.t_max.max(t);
                }
            }
            s
        })
        .collect();
    let mut out = Coded {
        dropped: 0,
        t_min: i64::MAX,
        t_max: i64::MIN,
        error: None,
    };
    for p in parts {
        out.dropped += p.dropped;
        out.t_min = out.t_min.min(p.t_min);
        out.t_max = out.t_max.max(p.t_max);
        if out.error.is_none() {
            out.error = p.error;
        }
    }
    (codes, out)
}

/// Invoice owners (customer code + 1, 0 = none yet), shared by the chunks: plain loads and
/// stores (no read-modify-write), claims counted so that a race is noticed.
struct Owners {
    table: Vec<AtomicU32>,
    /// Set when an invoice is found with a second customer.
    shared: AtomicBool,
}

impl Owners {
    fn new(n: usize) -> Self {
        Owners {
            table: std::iter::repeat_with(|| AtomicU32::new(0))
                .take(n)
                .collect(),
            shared: AtomicBool::new(false),
        }
    }

    /// Claims invoice `i` for code `c`; true when this call wrote it.
    #[inline]
    fn claim(&self, i: usize, c: usize) -> bool {
        let me = c as u32 + 1;
        let o = self.table[i].load(Relaxed);
        if o == me {
            return false;
        }
        if o != 0 {
            self.shared.store(true, Relaxed);
            return false;
        }
        self.table[i].store(me, Relaxed);
        true
    }

    /// Invoices owned per customer, and the number of owned invoices.
    fn counts(&self, k: usize) -> (Vec<u64>, u64) {
        self.table
            .par_chunks(1 << 18)
            .map(|part| {
                let mut f = vec![0u64; k];
                let mut owned = 0;
                for o in part {
                    let o = o.load(Relaxed) as usize;
                    if o != 0 {
                        f[o - 1] += 1;
                        owned += 1;
                    }
                }
                (f, owned)
            })
            .reduce_with(|(mut a, n), (b, m)| {
                for (x, y) in a.iter_mut().zip(&b) {
                    *x += y;
                }
                (a, n + m)
            })
            .unwrap_or_else(|| (vec![0; k], 0))
    }
}

/// What one partition of the customers (codes `lo..lo + acc.len()`) leaves.
struct Part {
    lo: usize,
    acc: Vec<Acc>,
    /// Demand of the partition's customers, period-major.
    table: Vec<Cell>,
    claims: u64,
    cancel_claims: u64,
    /// The partition's first error in row order.
    error: Option<(usize, Error)>,
}

struct Shared<'a> {
    cols: &'a Cols<'a>,
    params: &'a SummaryParams,
    owners: Option<&'a Owners>,
    cancel_owners: Option<&'a Owners>,
    /// The period of demand slot 0, and the number of slots.
    p0: i64,
    width: usize,
}

/// Asks the cache for the line holding `x` (a hint: no effect on results).
#[inline(always)]
fn prefetch<T>(x: &T) {
    // SAFETY: SSE is part of x86_64; a prefetch reads nothing and cannot fault.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            (x as *const T).cast::<i8>(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// All rows, for the lines of customers `lo..hi` only. Rows go in blocks: the customers of a
/// block are coded first and their table rows prefetched, so the cache misses of a block
/// overlap instead of following one another.
fn run_part(sh: &Shared<'_>, lo: usize, hi: usize) -> Part {
    let (cols, params) = (sh.cols, sh.params);
    let (n, kp, width) = (cols.code.len(), hi - lo, sh.width);
    let net = params.cancellations == Cancellations::Net;
    let mut acc: Vec<Acc> = zeroed(kp);
    // Period-major: the lines of a period (logs are in time order) touch one stripe.
    let mut table: Vec<Cell> = zeroed(width * kp);
    let (mut claims, mut cancel_claims) = (0u64, 0u64);
    // The last invoice claimed per table.
    let (mut last_p, mut last_c) = ((usize::MAX, usize::MAX), (usize::MAX, usize::MAX));
    // The partition's lines in a block: offset, code and demand slot.
    let mut at = [0usize; BLOCK];
    let mut code = [NOT_MINE; BLOCK];
    let mut slot = [0usize; BLOCK];
    let tpd = params.ticks_per_day;
    let (mut day_start, mut day_end, mut day_slot) = (0i64, 0i64, 0usize);
    let mut error = None;
    let row = |r: usize,
               c: usize,
               s: usize,
               acc: &mut [Acc],
               table: &mut [Cell],
               last_p: &mut (usize, usize),
               last_c: &mut (usize, usize)|
     -> Result<(u64, u64)> {
        let t = cols.time[r];
        let v = cols.amount[r];
        if t == i64::MIN {
            return Err(Error::invalid("date", format!("missing date at line {r}")));
        }
        if !v.is_finite() {
            return Err(Error::invalid(
                "amount",
                format!("missing or infinite value at line {r}"),
            ));
        }
        let cancel = cols.is_cancel(r);
        let mut claimed = (0, 0);
        if let Some(inv) = cols.invoice {
            let i = inv[r];
            if i < 0 || i as u64 >= cols.n_inv as u64 {
                return Err(Error::invalid(
                    "invoice",
                    format!("missing or out-of-range invoice code at line {r}"),
                ));
            }
            let i = i as usize;
            if !cancel {
                if *last_p != (i, c) {
                    *last_p = (i, c);
                    claimed.0 = sh.owners.map_or(0, |o| u64::from(o.claim(i, lo + c)));
                }
            } else if let Some(o) = sh.cancel_owners {
                if *last_c != (i, c) {
                    *last_c = (i, c);
                    claimed.1 = u64::from(o.claim(i, lo + c));
                }
            }
        }
        let Some(a) = acc.get_mut(c) else {
            return Ok(claimed);
        };
        if cancel {
            a.cancelled_lines += 1;
            if !net {
                return Ok(claimed);
            }
            a.monetary += v;
        } else {
            if a.lines == 0 {
                (a.first, a.last) = (t, t);
            } else {
                a.first = a.first.min(t);
                a.last = a.last.max(t);
            }
            a.lines += 1;
            a.monetary += v;
        }
        if let Some(cell) = table.get_mut(s.wrapping_mul(kp).wrapping_add(c)) {
            cell.value += v;
            cell.flags |= 1 | (u64::from(!cancel) << 1);
        }
        Ok(claimed)
    };
    'blocks: for b0 in (0..n).step_by(BLOCK) {
        let len = BLOCK.min(n - b0);
        // The partition's lines of the block (offset, code), gathered without a branch.
        let mut m = 0;
        for j in 0..len {
            let c = (cols.code[b0 + j] as usize).wrapping_sub(lo);
            at[m] = j;
            code[m] = c;
            m += usize::from(c < kp);
        }
        // Demand slots, and the table rows of the block asked for ahead of use.
        let mut prev = (NOT_MINE, usize::MAX);
        for i in 0..m {
            let c = code[i];
            let t = cols.time[b0 + at[i]];
            // (a division only when the day changes: the times of a day are one range)
            if (t < day_start || t >= day_end) && t != i64::MIN {
                let day = t.div_euclid(tpd);
                day_start = day * tpd;
                day_end = day_start.saturating_add(tpd);
                day_slot = (params.period.of_day(day) - sh.p0) as usize;
            }
            slot[i] = day_slot;
            if (c, day_slot) != prev {
                prev = (c, day_slot);
                if let Some(a) = acc.get(c) {
                    prefetch(a);
                }
                if let Some(cell) = table.get(day_slot.wrapping_mul(kp).wrapping_add(c)) {
                    prefetch(cell);
                }
            }
        }
        for i in 0..m {
            let r = b0 + at[i];
            match row(
                r,
                code[i],
                slot[i],
                &mut acc,
                &mut table,
                &mut last_p,
                &mut last_c,
            ) {
                Ok((p, c)) => {
                    claims += p;
                    cancel_claims += c;
                }
                Err(e) => {
                    error = Some((r, e));
                    break 'blocks;
                }
            }
        }
    }
    Part {
        lo,
        acc,
        table,
        claims,
        cancel_claims,
        error,
    }
}

/// True when some invoice's purchase (or, with `cancel`, cancellation) lines belong to a
/// customer other than its recorded owner.
fn check_owners(cols: &Cols<'_>, owners: &Owners, cancel: bool) -> bool {
    let Some(inv) = cols.invoice else {
        return false;
    };
    (0..cols.code.len()).into_par_iter().any(|r| {
        let c = cols.code[r];
        c != NO_CUSTOMER
            && cols.is_cancel(r) == cancel
            && owners.table[inv[r] as usize].load(Relaxed) != c + 1
    })
}

/// The dense path of `summary::partial`; None when it does not apply (an invoice shared by two
/// customers, or a demand table larger than about two input columns).
pub(super) fn partial(lines: &Lines<'_>, params: &SummaryParams) -> Result<Option<Partial>> {
    let k = params.n_customers;
    let n = lines.customer.len();
    let customer = slice(&lines.customer);
    let time = slice(&lines.time);
    let amount = slice(&lines.amount);
    let invoice = lines.invoice.as_ref().map(slice);
    let cancelled = lines.cancelled.as_ref().map(slice);
    let (codes, coded) = code_rows(lines, &customer, &time, k);
    if let Some((_, e)) = coded.error {
        return Err(e);
    }
    let cols = Cols {
        code: &codes,
        time: &time,
        amount: &amount,
        invoice: invoice.as_deref(),
        n_inv: lines.n_invoices,
        cancelled: cancelled.as_deref(),
    };
    let (dropped, t_min, t_max) = (coded.dropped, coded.t_min, coded.t_max);
    let (p0, width) = if t_min <= t_max {
        let day = |t: i64| t.div_euclid(params.ticks_per_day);
        let p0 = params.period.of_day(day(t_min));
        (p0, (params.period.of_day(day(t_max)) - p0 + 1) as usize)
    } else {
        (0, 0)
    };
    // The demand table costs 16 bytes a cell: at most about the size of two input columns.
    if (width as u128) * (k as u128) > (n as u128) + (1 << 20) {
        return Ok(None);
    }
    let count = params.cancellations == Cancellations::Count;
    let owners = cols.invoice.map(|_| Owners::new(lines.n_invoices));
    let cancel_owners = cols
        .invoice
        .filter(|_| count)
        .map(|_| Owners::new(lines.n_invoices));
    let shared = Shared {
        cols: &cols,
        params,
        owners: owners.as_ref(),
        cancel_owners: cancel_owners.as_ref(),
        p0,
        width,
    };
    // Each partition reads every row and keeps its own customers' lines, so every sum adds its
    // lines in row order whatever the number of partitions: one per thread.
    let n_parts = rayon::current_num_threads()
        .clamp(1, MAX_PARTS)
        .min(k.max(1));
    let parts: Vec<Part> = (0..n_parts)
        .into_par_iter()
        .map(|p| run_part(&shared, p * k / n_parts, (p + 1) * k / n_parts))
        .collect();
    // The first error in row order.
    if let Some((_, e)) = parts
        .iter()
        .filter_map(|p| p.error.as_ref())
        .min_by_key(|(r, _)| *r)
    {
        return Err(e.clone());
    }
    let mut sums: Vec<Acc> = Vec::with_capacity(k);
    let mut blocks = Vec::with_capacity(parts.len());
    let (mut claims, mut cancel_claims) = (0, 0);
    for p in parts {
        sums.extend_from_slice(&p.acc);
        blocks.push((p.lo, p.acc.len(), p.table));
        claims += p.claims;
        cancel_claims += p.cancel_claims;
    }
    let lines_of: Vec<u64> = sums.iter().map(|a| u64::from(a.lines)).collect();
    let cancelled_lines: Vec<u64> = sums.iter().map(|a| u64::from(a.cancelled_lines)).collect();
    let counted = |o: &Owners, claims: u64, cancel: bool| -> Option<Vec<u64>> {
        let (freq, owned) = o.counts(k);
        if o.shared.load(Relaxed) || (claims != owned && check_owners(&cols, o, cancel)) {
            return None;
        }
        Some(freq)
    };
    let (frequency, cancellations) = match (&owners, &cancel_owners) {
        (Some(o), c) => {
            let Some(f) = counted(o, claims, false) else {
                return Ok(None);
            };
            let c = match c {
                Some(c) => match counted(c, cancel_claims, true) {
                    Some(c) => c,
                    None => return Ok(None),
                },
                None => vec![0; k],
            };
            (f, c)
        }
        // Without invoices every line counts (and every cancellation line, with "count").
        (None, _) if count => (lines_of.clone(), cancelled_lines.clone()),
        (None, _) => (lines_of.clone(), vec![0; k]),
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
        demand: Vec::new(),
        table: Some(DemandTable { p0, width, blocks }),
        dropped,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::calendar::Period;
    use super::super::codes::id_table;
    use super::super::summary::{finish, partial_sorted, FinishParams, Partial};
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
        let (ad, bd) = (a.demand_cells(), b.demand_cells());
        assert_eq!(ad.len(), bd.len());
        for (x, y) in ad.iter().zip(&bd) {
            assert_eq!(
                (x.customer, x.period, x.purchased),
                (y.customer, y.period, y.purchased)
            );
            assert!((x.value - y.value).abs() <= 1e-9 * x.value.abs().max(1.0));
        }
    }

    fn threads<T: Send>(t: usize, f: impl FnOnce() -> T + Send) -> T {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap()
            .install(f)
    }

    #[test]
    fn dense_equals_sorted() {
        let n = 300_000;
        let k = 500;
        let customer = Array1::from_iter((0..n).map(|i| ((i / 4 * 7919) % (k + 3)) as i64 - 3));
        // Raw ids (sparse, with -1 missing) coding to the same codes.
        let ids = customer.mapv(|c| if c < 0 { -1 } else { 1000 + 3 * c });
        let table = id_table(ids.view(), -1, 100_000).unwrap();
        let day = 86_400i64;
        // In time order, and shuffled in time (demand over the full table).
        let sorted_time =
            Array1::from_iter((0..n).map(|i| (i as i64 * 400 / n as i64) * day + 3600));
        let shuffled_time =
            Array1::from_iter((0..n).map(|i| ((i * 7717) % 400) as i64 * day + 3600));
        let amount = Array1::from_iter((0..n).map(|i| ((i * 13) % 50) as f64 - 3.0));
        let invoice = Array1::from_iter((0..n).map(|i| (i / 4) as i64));
        let flags = Array1::from_iter((0..n).map(|i| i % 97 == 0));
        for time in [&sorted_time, &shuffled_time] {
            for mode in [
                Cancellations::Drop,
                Cancellations::Net,
                Cancellations::Count,
            ] {
                for with_invoice in [true, false] {
                    for with_ids in [false, true] {
                        let lines = Lines {
                            customer: if with_ids {
                                ids.view()
                            } else {
                                customer.view()
                            },
                            ids: with_ids.then_some(&table),
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
                        let sorted = partial_sorted(&lines, &params).unwrap();
                        assert_close(&dense, &sorted);
                        // The summary from the demand tables equals the one from the cells.
                        let fp = FinishParams {
                            reference: None,
                            ticks_per_day: day,
                            period: Period::Week,
                            start: None,
                        };
                        let (a, b) = (finish(&dense, &fp).unwrap(), finish(&sorted, &fp).unwrap());
                        assert_eq!(a.active_periods, b.active_periods);
                        for (x, y) in [
                            (&a.demand_mean, &b.demand_mean),
                            (&a.demand_sd, &b.demand_sd),
                        ] {
                            for (x, y) in x.iter().zip(y) {
                                assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0));
                            }
                        }
                        // Bit-identical on 1 or 3 threads (1 or 3 customer partitions).
                        let run = |t| {
                            threads(t, || partial(&lines, &params).unwrap().unwrap()).into_cells()
                        };
                        let one = run(1);
                        assert_eq!(one, run(3));
                        assert_eq!(one, dense.into_cells());
                    }
                }
            }
        }
    }

    #[test]
    fn shared_invoice_falls_back() {
        // Invoice 0 has lines of customers 0 and 1, adjacent or far apart (another chunk).
        let n = 1 << 18;
        for far in [false, true] {
            let mut customer = vec![0i64; n];
            let mut invoice: Vec<i64> = (0..n as i64).collect();
            customer[1] = 1;
            invoice[1] = 0;
            if far {
                customer[n - 1] = 1;
                invoice[n - 1] = 0;
                customer[1] = 0;
                invoice[1] = 1;
            }
            let customer = Array1::from(customer);
            let invoice = Array1::from(invoice);
            let time = Array1::from(vec![0i64; n]);
            let amount = Array1::from(vec![1.0; n]);
            let lines = Lines {
                customer: customer.view(),
                ids: None,
                time: time.view(),
                amount: amount.view(),
                invoice: Some(invoice.view()),
                n_invoices: n,
                cancelled: None,
            };
            let params = SummaryParams {
                n_customers: 2,
                ticks_per_day: 86_400,
                period: Period::Month,
                cancellations: Cancellations::Drop,
            };
            for t in [1, 2, 4] {
                assert!(threads(t, || partial(&lines, &params).unwrap().is_none()));
            }
            let p = super::super::partial(&lines, &params).unwrap();
            assert_eq!(p.frequency[1], 1);
        }
    }
}
