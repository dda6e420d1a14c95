//! Tests of the latent-class fit and of its fused pass against the conditional logit's
//! statistics and direct computations.

use super::pass::{weight, INFORMATION_MIN};
use super::*;
use crate::conjoint::mnl;

/// Long choice data with planted classes (respondent i in class i % C): `sizes` cycles the
/// number of alternatives per task, `tasks` the number of tasks per respondent.
struct Data {
    k: usize,
    x: Vec<f64>,
    starts: Vec<usize>,
    chosen: Vec<usize>,
    respondents: Vec<usize>,
}

impl Data {
    fn planted(n: usize, tasks: &[usize], sizes: &[usize], classes: &[&[f64]], seed: u64) -> Data {
        let k = classes[0].len();
        let mut s = Stream::new(seed, 0);
        let (mut x, mut starts, mut chosen, mut respondents) =
            (Vec::new(), vec![0], Vec::new(), vec![0]);
        let mut t = 0;
        for i in 0..n {
            let beta = classes[i % classes.len()];
            for _ in 0..tasks[i % tasks.len()] {
                let j = sizes[t % sizes.len()];
                let base = *starts.last().unwrap_or(&0);
                let mut best = (f64::NEG_INFINITY, base);
                for a in 0..j {
                    let row: Vec<f64> = (0..k)
                        .map(|c| {
                            if c + 1 == k {
                                1.0 + 2.0 * s.uniform()
                            } else {
                                (s.uniform() * 3.0).floor() - 1.0
                            }
                        })
                        .collect();
                    let u = linalg::dot(&row, beta) - (-s.uniform().ln()).ln();
                    if u > best.0 {
                        best = (u, base + a);
                    }
                    x.extend(row);
                }
                starts.push(base + j);
                chosen.push(best.1);
                t += 1;
            }
            respondents.push(t);
        }
        Data {
            k,
            x,
            starts,
            chosen,
            respondents,
        }
    }

    fn choice(&self) -> ChoiceData<'_> {
        ChoiceData {
            x: &self.x,
            k: self.k,
            starts: &self.starts,
            chosen: &self.chosen,
            weights: None,
        }
    }
}

const CLASSES: [&[f64]; 3] = [
    &[1.0, -0.5, 0.3, -2.0],
    &[-1.0, 0.8, 0.0, -0.5],
    &[0.2, 0.2, -1.2, -1.0],
];

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * (1.0 + a.abs().max(b.abs()))
}

/// With given weights, the pass's Q_c, gradients and information matrices equal the
/// weighted conditional logit's statistics (mnl::loglik_stats, task weights = the
/// respondent's weight; for the information, 0 below INFORMATION_MIN), on uneven tasks (2–4 alternatives, so padded slots) and respondents
/// with 1–5 tasks spread over several blocks, with small and with large utilities.
#[test]
fn fixed_pass_equals_the_weighted_mnl_statistics() {
    let data = Data::planted(37, &[3, 1, 5, 2, 4], &[3, 2, 4, 3], &CLASSES, 7);
    check_fixed_pass(&data, 37);
    // Binary choices and a single parameter.
    let data = Data::planted(25, &[4, 7], &[2], &[&[1.0], &[-0.5], &[0.2]], 3);
    check_fixed_pass(&data, 25);
}

fn check_fixed_pass(data: &Data, n: usize) {
    let d = data.choice();
    let (c, k) = (3, d.k);
    let mut s = Stream::new(8, 0);
    let h: Vec<f64> = (0..n * c)
        .map(|i| match i % 11 {
            0 => 0.0,
            5 => 1e-13,
            8 => INFORMATION_MIN * 0.1,
            _ => s.uniform(),
        })
        .collect();
    let unit: Vec<f64> = (0..c * k).map(|_| s.uniform() * 2.0 - 1.0).collect();
    let ds = Design::new(&d, &data.respondents);
    // Small utilities (unshifted exponentials) and large ones (shifted).
    for scale in [1.0, 40.0] {
        let beta: Vec<f64> = unit.iter().map(|b| b * scale).collect();
        let out = ds.pass(&Spec {
            n_classes: c,
            beta: &beta,
            weights: Weights::Fixed(&h),
            gradient: true,
            information: true,
            scores: None,
        });
        for cl in 0..c {
            let w: Vec<f64> = (0..n)
                .flat_map(|i| {
                    let v = weight(h[i * c + cl]);
                    (data.respondents[i]..data.respondents[i + 1]).map(move |_| v)
                })
                .collect();
            let dw = ChoiceData {
                weights: Some(&w),
                ..d
            };
            let b = &beta[cl * k..(cl + 1) * k];
            let want = mnl::loglik_stats(&dw, b, true);
            let got = out.q[cl];
            assert!(
                close(got, want.loglik, 1e-12),
                "{scale}: {got} {}",
                want.loglik
            );
            for (a, b) in out.gradient[cl * k..].iter().zip(&want.gradient) {
                assert!(close(*a, *b, 1e-10), "{scale}: {a} {b}");
            }
            // The information leaves out respondents below INFORMATION_MIN.
            let wi: Vec<f64> = w
                .iter()
                .map(|&v| if v < INFORMATION_MIN { 0.0 } else { v })
                .collect();
            let di = ChoiceData {
                weights: Some(&wi),
                ..d
            };
            let want = mnl::loglik_stats(&di, b, true);
            for (a, b) in out.information[cl * k * k..].iter().zip(&want.information) {
                assert!(close(*a, *b, 1e-10), "{scale}: {a} {b}");
            }
        }
    }
}

/// With posterior weights, the pass gives the marginal log-likelihood, the posteriors and
/// the sum and outer products of the respondent scores of a direct computation.
#[test]
fn posterior_pass_gives_likelihood_posteriors_and_scores() {
    let data = Data::planted(21, &[4, 2, 3], &[2, 3, 4], &CLASSES, 9);
    let d = data.choice();
    let (n, c, k) = (21, 3, d.k);
    let beta: Vec<f64> = CLASSES
        .iter()
        .flat_map(|b| b.iter().map(|v| 0.8 * v))
        .collect();
    let shares = [0.5, 0.3, 0.2];
    let ds = Design::new(&d, &data.respondents);
    let out = ds.pass(&Spec {
        n_classes: c,
        beta: &beta,
        weights: Weights::Posterior {
            log_shares: &log_shares(&shares),
            prev: None,
        },
        gradient: false,
        information: false,
        scores: Some(&shares),
    });
    let np = c * k + c - 1;
    let mut total = 0.0;
    let (mut score, mut opg) = (vec![0.0; np], vec![0.0; np * np]);
    for i in 0..n {
        let tasks = data.respondents[i]..data.respondents[i + 1];
        let ll: Vec<f64> = (0..c)
            .map(|cl| {
                let b = &beta[cl * k..(cl + 1) * k];
                tasks
                    .clone()
                    .map(|t| {
                        let u: Vec<f64> = (d.starts[t]..d.starts[t + 1])
                            .map(|r| linalg::dot(&d.x[r * k..(r + 1) * k], b))
                            .collect();
                        let lse = u.iter().map(|v| v.exp()).sum::<f64>().ln();
                        u[d.chosen[t] - d.starts[t]] - lse
                    })
                    .sum()
            })
            .collect();
        let joint: Vec<f64> = (0..c).map(|cl| shares[cl] * ll[cl].exp()).collect();
        let marginal: f64 = joint.iter().sum();
        total += marginal.ln();
        // The respondent's score in θ = (β, γ).
        let mut si = vec![0.0; np];
        let mut p = Vec::new();
        for cl in 0..c {
            let hi = joint[cl] / marginal;
            assert!(close(out.h[i * c + cl], hi, 1e-12));
            for t in tasks.clone() {
                let b = &beta[cl * k..(cl + 1) * k];
                mnl::task_score(&d, b, t, hi, &mut si[cl * k..(cl + 1) * k], &mut p);
            }
            if cl + 1 < c {
                si[c * k + cl] = hi - shares[cl];
            }
        }
        for a in 0..np {
            score[a] += si[a];
            for b in 0..np {
                opg[a * np + b] += si[a] * si[b];
            }
        }
    }
    for (a, b) in out.score.iter().zip(&score) {
        assert!(close(*a, *b, 1e-11), "{a} {b}");
    }
    for (a, b) in out.opg.iter().zip(&opg) {
        assert!(close(*a, *b, 1e-11), "{a} {b}");
    }
    assert!(close(out.loglik, total, 1e-13), "{} {total}", out.loglik);
}

fn params(c: usize) -> LcParams {
    LcParams {
        n_classes: c,
        n_starts: 3,
        max_iter: 500,
        tol: 1e-8,
        newton_steps: 1,
        seed: 3,
    }
}

/// Planted classes come back; the log-likelihood never falls along the history; the fit is
/// bit-identical on 1 and 3 threads.
#[test]
fn recovers_planted_classes_the_same_on_any_thread_count() {
    let data = Data::planted(240, &[10], &[3], &CLASSES, 11);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map(|pool| {
                pool.install(|| fit_latent_class(&data.choice(), &data.respondents, params(3)))
            })
    };
    let (Ok(Ok(a)), Ok(Ok(b))) = (run(1), run(3)) else {
        panic!("fit failed");
    };
    assert_eq!(a.loglik.to_bits(), b.loglik.to_bits());
    assert!(a
        .coef
        .iter()
        .zip(&b.coef)
        .all(|(x, y)| x.to_bits() == y.to_bits()));
    assert!(a
        .membership
        .iter()
        .zip(&b.membership)
        .all(|(x, y)| x.to_bits() == y.to_bits()));
    assert!(
        a.history.windows(2).all(|w| w[1] >= w[0]),
        "{:?}",
        a.history
    );
    let k = data.k;
    for truth in CLASSES {
        let err = (0..3)
            .map(|cl| {
                a.coef[cl * k..(cl + 1) * k]
                    .iter()
                    .zip(truth)
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0, f64::max)
            })
            .fold(f64::INFINITY, f64::min);
        assert!(err < 0.5, "{truth:?} {:?}", a.coef);
    }
    assert_eq!(a.covariance.len(), (3 * k + 2) * (3 * k + 2));
}

/// One class is the conditional logit.
#[test]
fn one_class_is_the_mnl() {
    let data = Data::planted(60, &[6], &[3, 2], &CLASSES, 12);
    let d = data.choice();
    let lc = fit_latent_class(&d, &data.respondents, params(1)).unwrap();
    let names: Vec<String> = (0..d.k).map(|j| format!("b{j}")).collect();
    let m = mnl::fit_mnl(
        &d,
        None,
        mnl::MnlParams {
            max_iter: 50,
            tol: 1e-12,
        },
        &names,
    )
    .unwrap();
    assert!(
        close(lc.loglik, m.loglik, 1e-10),
        "{} {}",
        lc.loglik,
        m.loglik
    );
    for (a, b) in lc.coef.iter().zip(&m.coef) {
        assert!((a - b).abs() < 1e-6, "{:?} {:?}", lc.coef, m.coef);
    }
    assert!(lc.membership.iter().all(|&v| v == 1.0));
}

/// Timing of the passes (one thread) and of a fit from one start (one and two threads) on
/// the benchmark's shape (1,000 respondents × 12 tasks × 3 alternatives, 10 parameters,
/// 3 classes), best of several runs:
/// `cargo test --release --lib latent::tests::timing -- --ignored --nocapture`.
#[test]
#[ignore]
fn timing() {
    let b1: &[f64] = &[0.2, 0.0, -0.3, 0.0, -0.3, 0.0, 0.5, 0.0, -0.2, -4.0];
    let b2: &[f64] = &[0.0, 0.0, -2.0, 0.3, -1.8, 0.3, 0.0, 0.0, -0.8, -0.8];
    let b3: &[f64] = &[2.0, -0.5, -0.5, 0.0, -0.3, 0.0, -1.5, 0.0, -0.3, -1.5];
    let data = Data::planted(1000, &[12], &[3], &[b1, b2, b3], 2);
    let d = data.choice();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| {
        let ds = Design::new(&d, &data.respondents);
        let beta: Vec<f64> = [b1, b2, b3].concat();
        let shares = [0.3, 0.3, 0.4];
        let lp = log_shares(&shares);
        let h = ds
            .pass(&Spec {
                n_classes: 3,
                beta: &beta,
                weights: Weights::Posterior {
                    log_shares: &lp,
                    prev: None,
                },
                gradient: false,
                information: false,
                scores: None,
            })
            .h;
        for (name, gradient, information, scores) in [
            ("likelihood", false, false, false),
            ("gradient", true, false, false),
            ("information", true, true, false),
            ("scores", false, false, true),
        ] {
            let spec = Spec {
                n_classes: 3,
                beta: &beta,
                weights: Weights::Posterior {
                    log_shares: &lp,
                    prev: Some(&h),
                },
                gradient,
                information,
                scores: scores.then_some(&shares[..]),
            };
            let mut best = f64::INFINITY;
            for _ in 0..200 {
                let t = std::time::Instant::now();
                std::hint::black_box(ds.pass(&spec));
                best = best.min(t.elapsed().as_secs_f64());
            }
            eprintln!("{name:>12}: {:.3} ms", best * 1e3);
        }
        let one = LcParams {
            n_starts: 1,
            ..params(3)
        };
        let f = fit_latent_class(&d, &data.respondents, one).unwrap();
        eprintln!("EM iterations {}, {} in all", f.n_em, f.history.len());
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut best = f64::INFINITY;
            for _ in 0..20 {
                let t = std::time::Instant::now();
                let f = pool.install(|| fit_latent_class(&d, &data.respondents, one));
                best = best.min(t.elapsed().as_secs_f64());
                std::hint::black_box(f.ok());
            }
            eprintln!("fit, 1 start, {threads} thread(s): {:.3} ms", best * 1e3);
        }
    });
}
