//! Property tests of kernels on hostile inputs (issue 19): no panic, finite results, and the
//! algebra that must hold (tables of row partitions add up exactly; a merge's adjusted p is never
//! below its raw p; Gower distances lie in [0, 1], are symmetric with a zero diagonal; the HB
//! sampler's steps keep finite draws and a log-likelihood ≤ 0).
//!
//! A short run is part of `cargo test`; `make fuzz` sets `PROPTEST_CASES` high. The test names
//! start with `proptest_` so `cargo test proptest_` selects them.

use ndarray::{Array1, Array2};
use proptest::prelude::*;

use crate::chaid::tables::{merge_table, node_tables};
use crate::cluster::gower::{gower, ranges, GowerMetric, MixedRows};
use crate::conjoint::hb::{Constraint, HbData, HbParams, HbSampler};
use crate::stats::bonferroni::{ln_multiplier, ln_stirling2, Merging};
use crate::stats::contingency::Statistic;
use crate::table::MISSING_CODE;

fn config() -> ProptestConfig {
    // PROPTEST_CASES (make fuzz) overrides the default of this short run.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Counts a hostile user might feed a contingency table.
fn count() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => (0u32..40).prop_map(f64::from),
        1 => Just(0.0),
        1 => Just(1e300),
        1 => Just(5e-324),
        1 => Just(1e-300),
        1 => 0.0f64..1e6,
    ]
}

/// A code: mostly valid, sometimes missing or out of range.
fn code() -> impl Strategy<Value = u32> {
    prop_oneof![6 => 0u32..4, 1 => Just(MISSING_CODE), 1 => Just(u32::MAX - 1), 1 => 4u32..10]
}

#[derive(Debug, Clone)]
struct Rows {
    codes: Array2<u32>,
    y: Vec<u32>,
    nodes: Vec<i64>,
}

fn rows(p: usize) -> impl Strategy<Value = Rows> {
    (0usize..12).prop_flat_map(move |n| {
        (
            prop::collection::vec(code(), n * p),
            prop::collection::vec(0u32..3, n),
            prop::collection::vec(-1i64..3, n),
        )
            .prop_map(move |(c, y, nodes)| Rows {
                codes: Array2::from_shape_vec((n, p), c).expect("n × p codes"),
                y,
                nodes,
            })
    })
}

fn level_counts() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(
        prop_oneof![5 => 1u32..6, 1 => Just(0u32), 1 => Just(u32::MAX)],
        0..3,
    )
}

proptest! {
    #![proptest_config(config())]

    /// Node tables: never panic (huge sizes are refused, not allocated); when they succeed every
    /// cell is a finite count, every row in an open node is counted once per predictor, and the
    /// tables of two parts of the rows add up to the tables of all rows (associativity of the
    /// merge, exact on integer counts).
    #[test]
    fn proptest_node_tables(
        levels in level_counts(),
        data in (0usize..3).prop_flat_map(rows),
        n_classes in prop_oneof![4 => 1usize..4, 1 => Just(usize::MAX / 2)],
        n_nodes in prop_oneof![4 => 0usize..4, 1 => Just(1usize << 40)],
        cut in 0usize..12,
    ) {
        let p = data.codes.ncols();
        let result = node_tables(data.codes.view(), &levels, &data.y, n_classes, None,
                                 &data.nodes, n_nodes);
        if let Ok(t) = result {
            prop_assert_eq!(levels.len(), p);
            prop_assert!(t.iter().all(|v| v.is_finite() && *v >= 0.0));
            let open = data.nodes.iter().filter(|&&v| v >= 0).count();
            prop_assert_eq!(t.sum(), (open * p) as f64);
            let cut = cut.min(data.y.len());
            let a = node_tables(data.codes.slice(ndarray::s![..cut, ..]), &levels,
                                &data.y[..cut], n_classes, None, &data.nodes[..cut], n_nodes)
                .expect("a part of valid rows is valid");
            let b = node_tables(data.codes.slice(ndarray::s![cut.., ..]), &levels,
                                &data.y[cut..], n_classes, None, &data.nodes[cut..], n_nodes)
                .expect("a part of valid rows is valid");
            prop_assert_eq!(&a + &b, t);
        }
    }

    /// Merging one table: never panics; a result has a finite, non-negative statistic, a
    /// log p-value that is a number ≤ 0, an adjusted log p at least the raw one (Bonferroni
    /// multipliers are ≥ 1), and groups that use each slot at most once.
    #[test]
    fn proptest_merge_table(
        slots in 0usize..6,
        classes in 0usize..4,
        cells in prop::collection::vec(count(), 24),
        ordinal in any::<bool>(),
        exhaustive in any::<bool>(),
        lr in any::<bool>(),
    ) {
        let table = Array2::from_shape_vec((slots, classes),
                                           cells[..slots * classes].to_vec()).expect("shape");
        let stat = if lr { Statistic::LikelihoodRatio } else { Statistic::Pearson };
        let merged = merge_table(table.view(), ordinal, stat, 0.05, 0.05, exhaustive, false, 0.0);
        if let Ok(Some(m)) = merged {
            prop_assert!(m.statistic.is_finite() && m.statistic >= 0.0, "{:?}", m);
            prop_assert!(!m.ln_p.is_nan() && m.ln_p <= 0.0, "{:?}", m);
            prop_assert!(m.ln_p_adjusted >= m.ln_p - 1e-12, "{:?}", m);
            let mut seen = vec![false; slots];
            for g in &m.groups {
                for &s in g {
                    prop_assert!(s < slots && !seen[s], "{:?}", m.groups);
                    seen[s] = true;
                }
            }
        }
    }

    /// The merge is symmetric in the order of the classes: with two classes (where the sums
    /// are exactly commutative) swapping them gives the same groups and statistic.
    #[test]
    fn proptest_merge_table_class_symmetry(
        slots in 2usize..6,
        cells in prop::collection::vec((0u32..30).prop_map(f64::from), 12),
    ) {
        let table = Array2::from_shape_vec((slots, 2), cells[..slots * 2].to_vec()).expect("shape");
        let swapped = Array2::from_shape_fn((slots, 2), |(i, j)| table[[i, 1 - j]]);
        let run = |t: &Array2<f64>| {
            merge_table(t.view(), false, Statistic::Pearson, 0.05, 0.05, false, false, 0.0)
                .expect("a valid table")
        };
        match (run(&table), run(&swapped)) {
            (Some(a), Some(b)) => {
                prop_assert_eq!(&a.groups, &b.groups);
                prop_assert!((a.statistic - b.statistic).abs()
                             <= 1e-9 * a.statistic.abs().max(1.0));
            }
            (None, None) => {}
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b),
        }
    }

    /// Bonferroni multipliers: finite and ≥ 1 (ln ≥ 0) for any I categories merged into r
    /// groups, huge I included; Stirling numbers finite for k ≤ n.
    #[test]
    fn proptest_bonferroni(
        i in prop_oneof![4 => 0usize..60, 1 => 60usize..5000, 1 => Just(1usize << 16)],
        r in 0usize..70,
        exhaustive in any::<bool>(),
    ) {
        for kind in [Merging::Nominal, Merging::Ordinal, Merging::Floating] {
            let b = ln_multiplier(kind, i, r.min(i), exhaustive);
            prop_assert!(b.is_finite() && b >= 0.0, "{:?} {} {} {}", kind, i, r, b);
        }
        if r >= 1 && r <= i && i < 5000 {
            prop_assert!(ln_stirling2(i, r).is_finite());
        }
    }

    /// Gower distances: no panic; values in [0, 1] or NaN (no variable in common), symmetric
    /// with a zero diagonal wherever a row has a variable present.
    #[test]
    fn proptest_gower(
        n in 0usize..7,
        num in prop::collection::vec(
            prop_oneof![4 => -1e6f64..1e6, 1 => Just(f64::NAN), 1 => Just(0.0), 1 => Just(5e-324)],
            14),
        cat in prop::collection::vec(prop_oneof![3 => 0u32..3, 1 => Just(MISSING_CODE)], 14),
        p in 0usize..3,
        q in 0usize..3,
        w in prop::collection::vec(prop_oneof![3 => 0.1f64..5.0, 1 => Just(0.0)], 4),
    ) {
        let p = 14usize.checked_div(n).map_or(p, |m| p.min(m));
        let q = 14usize.checked_div(n).map_or(q, |m| q.min(m));
        let numeric = Array2::from_shape_vec((n, p), num[..n * p].to_vec()).expect("shape");
        let codes = Array2::from_shape_vec((n, q), cat[..n * q].to_vec()).expect("shape");
        let weights: Array1<f64> = (0..p + q).map(|j| w[j % w.len()]).collect();
        let rows = MixedRows { numeric: numeric.view(), codes: codes.view() };
        let r = ranges(numeric.view(), None);
        let halved = vec![false; p];
        let Ok(metric) = GowerMetric::new(&r, &halved, weights.view(), q) else {
            return Ok(());
        };
        if let Ok(d) = gower::<f64>(rows, rows, &metric) {
            prop_assert_eq!(d.dim(), (n, n));
            for i in 0..n {
                for j in 0..n {
                    let v = d[[i, j]];
                    prop_assert!(v.is_nan() || (0.0..=1.0 + 1e-12).contains(&v), "{}", v);
                    prop_assert!(v.to_bits() == d[[j, i]].to_bits() || (v - d[[j, i]]).abs() < 1e-12);
                }
                prop_assert!(d[[i, i]].is_nan() || d[[i, i]] == 0.0);
            }
        }
    }
}

/// A model-matrix entry: mostly ordinary codes and values, sometimes large, zero or subnormal.
fn x_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => -3.0f64..3.0,
        2 => Just(0.0),
        1 => Just(1.0),
        1 => Just(1e3),
        1 => Just(-1e3),
        1 => Just(5e-324),
    ]
}

/// A small choice design: respondents (tasks each), tasks (alternatives, chosen), parameters,
/// a second covariate or not, and enough values for the largest shape.
#[derive(Debug, Clone)]
struct Design {
    tasks_per_respondent: Vec<usize>,
    tasks: Vec<(usize, usize)>,
    k: usize,
    covariate: Option<Vec<f64>>,
    x: Vec<f64>,
}

fn design() -> impl Strategy<Value = Design> {
    (
        prop::collection::vec(1usize..4, 2..5),
        prop::collection::vec((2usize..4, 0usize..3), 12),
        1usize..4,
        prop::option::of(prop::collection::vec(
            prop_oneof![3 => -2.0f64..2.0, 1 => Just(0.0), 1 => Just(1e6)],
            4,
        )),
        prop::collection::vec(x_value(), 12 * 3 * 3),
    )
        .prop_map(|(tasks_per_respondent, tasks, k, covariate, x)| Design {
            tasks_per_respondent,
            tasks,
            k,
            covariate,
            x,
        })
}

impl Design {
    fn data(&self) -> HbData {
        let (mut starts, mut chosen, mut respondents) = (vec![0], Vec::new(), vec![0]);
        let mut t = 0;
        for &m in &self.tasks_per_respondent {
            for _ in 0..m {
                let (alts, pick) = self.tasks[t];
                let start = *starts.last().unwrap_or(&0);
                chosen.push(start + pick.min(alts - 1));
                starts.push(start + alts);
                t += 1;
            }
            respondents.push(t);
        }
        let rows = *starts.last().unwrap_or(&0);
        let n = self.tasks_per_respondent.len();
        let (z, q) = match &self.covariate {
            None => (vec![1.0; n], 1),
            Some(c) => ((0..n).flat_map(|i| [1.0, c[i]]).collect(), 2),
        };
        HbData {
            x: self.x[..rows * self.k].to_vec(),
            k: self.k,
            starts,
            chosen,
            respondents,
            z,
            q,
            lanes: Default::default(),
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// The HB sampler on hostile small designs and priors: building it never panics (a
    /// collinear covariate or an out-of-range prior is refused), and every iteration keeps the
    /// tied draws, Δ, D and the step size finite, with a log-likelihood ≤ 0 and an acceptance
    /// share in [0, 1].
    #[test]
    fn proptest_hb_step(
        d in design(),
        n_iter in 1usize..6,
        burn_frac in 0.0f64..1.0,
        n_chains in 1usize..3,
        prior_variance in prop_oneof![
            Just(1e-6), Just(1e-300), Just(1.0), Just(2.0), Just(1e6), Just(1e7), Just(f64::NAN)
        ],
        prior_df in prop_oneof![Just(1e-3), Just(5.0), Just(1e6)],
        constraint in 0usize..4,
        increasing in any::<bool>(),
        seed in any::<u64>(),
        summaries in any::<bool>(),
        translate in any::<bool>(),
    ) {
        let data = d.data();
        let k = data.k;
        let burn_in = ((n_iter as f64) * burn_frac) as usize;
        let constraints = match constraint {
            1 => vec![Constraint::Sign { index: k - 1, increasing }],
            2 => vec![Constraint::Levels { indices: (0..k).collect(), increasing }],
            _ => Vec::new(),
        };
        let mut v0 = vec![0.0; k * k];
        for j in 0..k {
            v0[j * k + j] = 1.0;
        }
        let params = HbParams {
            n_iter,
            burn_in: burn_in.min(n_iter - 1),
            thin: 1,
            n_chains,
            prior_variance,
            prior_df,
            v0,
            constraints,
            seed,
            draws_every: 1,
            summaries,
            tracked: vec![0],
            translate,
            max_memory: u64::MAX,
        };
        let Ok(mut sampler) = HbSampler::new(data, params) else {
            return Ok(());
        };
        sampler.run(n_iter);
        prop_assert_eq!(sampler.iterations_done(), n_iter);
        for c in 0..sampler.n_chains() {
            prop_assert!(sampler.draws(c).iter().all(|v| v.is_finite()));
            prop_assert!(sampler.tracked_draws(c).iter().all(|v| v.is_finite()));
            prop_assert!(sampler.delta_draws(c).iter().all(|v| v.is_finite()));
            prop_assert!(sampler.d_mean(c).iter().all(|v| v.is_finite()));
            prop_assert!(sampler.rho(c).is_finite() && sampler.rho(c) > 0.0);
            let trace = sampler.trace(c);
            prop_assert!(trace.loglik.iter().all(|&l| l.is_finite() && l <= 0.0), "{:?}", trace.loglik);
            prop_assert!(trace.acceptance.iter().all(|&a| (0.0..=1.0).contains(&a)));
            prop_assert!(trace.avg_variance.iter().all(|v| v.is_finite()));
        }
        if let Some([mean, var, q05, q95]) = sampler.summaries() {
            for part in [&mean, &q05, &q95] {
                prop_assert!(part.iter().all(|v| v.is_finite()));
            }
            // The variance divides by the kept draws - 1: undefined (NaN) for a single draw.
            let kept: usize = (0..sampler.n_chains()).map(|c| sampler.n_kept(c)).sum();
            let defined = |v: &f64| if kept > 1 { v.is_finite() } else { v.is_nan() };
            prop_assert!(var.iter().all(defined), "{:?}", var);
        }
    }
}

/// The table the class-symmetry property failed on (mirror-image rows whose pairings with the
/// third row have mathematically equal statistics): both class orders merge the same pair.
#[test]
fn merge_table_mirror_rows_merge_the_same_pair_in_both_class_orders() {
    let table = ndarray::array![[13.0, 29.0], [29.0, 13.0], [8.0, 8.0]];
    let swapped = ndarray::array![[29.0, 13.0], [13.0, 29.0], [8.0, 8.0]];
    let run = |t: &Array2<f64>| {
        merge_table(
            t.view(),
            false,
            Statistic::Pearson,
            0.05,
            0.05,
            false,
            false,
            0.0,
        )
        .expect("a valid table")
        .expect("a split")
    };
    assert_eq!(run(&table).groups, run(&swapped).groups);
}
