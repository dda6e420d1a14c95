//! Tests of the customer summary (`summary.rs`): the whole-log pass, the partial passes, their
//! merge and finish, checked against each other and against direct computations.

use super::*;
use ndarray::Array1;

const DAY: i64 = 86_400;

fn params(k: usize, cancellations: Cancellations) -> SummaryParams {
    SummaryParams {
        n_customers: k,
        ticks_per_day: DAY,
        period: Period::Month,
        cancellations,
    }
}

#[test]
fn small_log_by_hand() {
    // Customer 0: invoices 0 and 1 (two lines in 0), a cancellation (invoice 2).
    // Customer 1: one line. One line without a customer.
    let customer = Array1::from(vec![0i64, 0, 1, 0, -1, 0]);
    let day = |d: i64| d * DAY;
    let time = Array1::from(vec![day(0), day(0), day(3), day(40), day(5), day(41)]);
    let amount = Array1::from(vec![10.0, 5.0, 7.0, 20.0, 1.0, -5.0]);
    let invoice = Array1::from(vec![0i64, 0, 3, 1, 4, 2]);
    let lines = Lines {
        customer: customer.view(),
        ids: None,
        time: time.view(),
        amount: amount.view(),
        invoice: Some(invoice.view()),
        n_invoices: 5,
        cancelled: None,
    };
    for mode in [
        Cancellations::Drop,
        Cancellations::Net,
        Cancellations::Count,
    ] {
        let p = partial(&lines, &params(2, mode)).unwrap();
        assert_eq!(p.dropped, 1);
        assert_eq!(p.frequency, vec![2, 1]);
        let s = finish(
            &p,
            &FinishParams {
                reference: Some(day(42)),
                ticks_per_day: DAY,
                period: Period::Month,
                start: None,
            },
        )
        .unwrap();
        let net = if mode == Cancellations::Net {
            -5.0
        } else {
            0.0
        };
        assert_eq!(s.monetary, vec![35.0 + net, 7.0]);
        assert_eq!(s.recency_days, vec![2.0, 39.0]);
        assert_eq!(s.tenure_days, vec![40.0, 0.0]);
        assert_eq!(s.mean_interpurchase_days[0], 40.0);
        assert!(s.mean_interpurchase_days[1].is_nan());
        assert_eq!(s.active_periods, vec![2, 1]);
        assert_eq!(s.window.1 - s.window.0, 1);
        assert_eq!(s.demand_mean[1], 3.5);
        assert_eq!(s.demand_sd[1], 3.5);
        let count = if mode == Cancellations::Count { 1 } else { 0 };
        assert_eq!(s.cancellations, vec![count, 0]);
    }
}

#[test]
fn merged_halves_equal_the_whole() {
    let n = 5000;
    let customer = Array1::from_iter((0..n).map(|i| ((i * 7919) % 97) as i64 - 1));
    let time = Array1::from_iter((0..n).map(|i| ((i * 31) % 400) as i64 * DAY + 3600));
    let amount = Array1::from_iter((0..n).map(|i| ((i * 13) % 50) as f64 - 5.0));
    let invoice = Array1::from_iter((0..n).map(|i| (i / 3) as i64));
    let whole = Lines {
        customer: customer.view(),
        ids: None,
        time: time.view(),
        amount: amount.view(),
        invoice: Some(invoice.view()),
        n_invoices: n / 3 + 1,
        cancelled: None,
    };
    let cut = 2999; // an invoice boundary (lines 2997..2999 share invoice 999)
    let part = |r: std::ops::Range<usize>| Lines {
        customer: customer.slice(ndarray::s![r.clone()]),
        ids: None,
        time: time.slice(ndarray::s![r.clone()]),
        amount: amount.slice(ndarray::s![r.clone()]),
        invoice: Some(invoice.slice(ndarray::s![r])),
        n_invoices: n / 3 + 1,
        cancelled: None,
    };
    let pr = params(96, Cancellations::Net);
    let all = partial(&whole, &pr).unwrap();
    let merged = merge(
        partial(&part(0..cut), &pr).unwrap(),
        partial(&part(cut..n), &pr).unwrap(),
    )
    .unwrap();
    assert_eq!(all.lines, merged.lines);
    assert_eq!(all.first, merged.first);
    assert_eq!(all.dropped, merged.dropped);
    assert_eq!(all.demand_cells().len(), merged.demand_cells().len());
    for (a, b) in all.monetary.iter().zip(&merged.monetary) {
        assert!((a - b).abs() < 1e-9);
    }
    let threads = |t| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap()
            .install(|| partial(&whole, &pr).unwrap())
    };
    assert_eq!(threads(1), threads(3));
}

#[test]
fn customers_split_into_buckets_finish_as_the_whole() {
    // The distributed route: each customer's lines (in row order) in one bucket, coded
    // locally, finished with the whole data's first purchase: the same rows to the bit.
    let n = 4000;
    let customer: Vec<i64> = (0..n).map(|i| ((i * 7919) % 61) as i64).collect();
    let time: Vec<i64> = (0..n).map(|i| ((i * 31) % 500) as i64 * DAY + 7).collect();
    let amount: Vec<f64> = (0..n).map(|i| ((i * 13) % 50) as f64 * 0.1 - 0.7).collect();
    let invoice: Vec<i64> = (0..n).map(|i| (i / 3) as i64).collect();
    let lines_of = |rows: &[usize], code: &dyn Fn(i64) -> i64| {
        (
            Array1::from_iter(rows.iter().map(|&r| code(customer[r]))),
            Array1::from_iter(rows.iter().map(|&r| time[r])),
            Array1::from_iter(rows.iter().map(|&r| amount[r])),
            Array1::from_iter(rows.iter().map(|&r| invoice[r])),
        )
    };
    let pr = params(61, Cancellations::Net);
    let all: Vec<usize> = (0..n).collect();
    let (c, t, a, inv) = lines_of(&all, &|c| c);
    let run = |c: &Array1<i64>, t: &Array1<i64>, a: &Array1<f64>, inv: &Array1<i64>, k| {
        let lines = Lines {
            customer: c.view(),
            ids: None,
            time: t.view(),
            amount: a.view(),
            invoice: Some(inv.view()),
            n_invoices: n / 3 + 1,
            cancelled: None,
        };
        partial(
            &lines,
            &SummaryParams {
                n_customers: k,
                ..pr
            },
        )
        .unwrap()
    };
    let fp = FinishParams {
        reference: Some(600 * DAY),
        ticks_per_day: DAY,
        period: Period::Month,
        start: None,
    };
    let whole = finish(&run(&c, &t, &a, &inv, 61), &fp).unwrap();
    let start = Some(*whole.first.iter().min().unwrap());
    for bucket in 0..3i64 {
        // customers c with c % 3 == bucket, coded c / 3
        let rows: Vec<usize> = (0..n).filter(|&r| customer[r] % 3 == bucket).collect();
        let (c, t, a, inv) = lines_of(&rows, &|c| c / 3);
        let k = (0..61).filter(|c| c % 3 == bucket).count();
        let part = finish(&run(&c, &t, &a, &inv, k), &FinishParams { start, ..fp }).unwrap();
        assert_eq!(part.window, whole.window);
        for (i, &code) in part.customer.iter().enumerate() {
            let w = (code as usize) * 3 + bucket as usize;
            assert_eq!(part.frequency[i], whole.frequency[w]);
            assert_eq!(part.periods_observed[i], whole.periods_observed[w]);
            for (x, y) in [
                (part.monetary[i], whole.monetary[w]),
                (part.demand_mean[i], whole.demand_mean[w]),
                (part.demand_sd[i], whole.demand_sd[w]),
                (part.recency_days[i], whole.recency_days[w]),
            ] {
                assert_eq!(x.to_bits(), y.to_bits());
            }
        }
    }
    // A start after the aggregates' first purchase is an error, not a wrong window.
    let late = FinishParams {
        start: Some(599 * DAY),
        ..fp
    };
    assert!(finish(&run(&c, &t, &a, &inv, 61), &late).is_err());
}

#[test]
fn bad_codes_are_errors() {
    let customer = Array1::from(vec![0i64, 5]);
    let time = Array1::from(vec![0i64, 0]);
    let amount = Array1::from(vec![1.0, 1.0]);
    let lines = Lines {
        customer: customer.view(),
        ids: None,
        time: time.view(),
        amount: amount.view(),
        invoice: None,
        n_invoices: 0,
        cancelled: None,
    };
    assert!(partial(&lines, &params(2, Cancellations::Drop)).is_err());
}
