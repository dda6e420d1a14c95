//! k-means against textbook results and planted blobs.

use super::*;
use ndarray::array;

fn blobs(per: usize, centres: &[[f64; 2]], spread: f64, seed: u64) -> (Array2<f64>, Vec<u32>) {
    let mut rng = Stream::new(seed, 0);
    let mut x = Array2::zeros((per * centres.len(), 2));
    let mut y = Vec::new();
    for (c, centre) in centres.iter().enumerate() {
        for i in 0..per {
            for j in 0..2 {
                x[[c * per + i, j]] = centre[j] + spread * (rng.uniform() - 0.5);
            }
            y.push(c as u32);
        }
    }
    (x, y)
}

fn params(k: usize, init: Init) -> KMeansParams {
    KMeansParams {
        n_clusters: k,
        init,
        n_init: 3,
        seed: 42,
        ..KMeansParams::default()
    }
}

fn assert_recovers(y: &[u32], fit: &KMeansFit, k: u32) {
    // Every planted blob maps onto exactly one cluster.
    for c in 0..k {
        let got: std::collections::HashSet<u32> = y
            .iter()
            .zip(&fit.labels)
            .filter(|(t, _)| **t == c)
            .map(|(_, l)| *l)
            .collect();
        assert_eq!(got.len(), 1, "inertia {}", fit.inertia);
    }
    // Uniform noise of width 2 has variance 1/3 per coordinate: inertia ≈ n · 2/3.
    let expected = y.len() as f64 * 2.0 / 3.0;
    assert!(
        (fit.inertia - expected).abs() < 0.1 * expected,
        "{}",
        fit.inertia
    );
}

#[test]
fn kmeanspp_recovers_planted_blobs() {
    let truth = [
        [0.0, 0.0],
        [10.0, 0.0],
        [0.0, 10.0],
        [10.0, 10.0],
        [5.0, 20.0],
    ];
    let (x, y) = blobs(300, &truth, 2.0, 3);
    let fit = fit_kmeans_checked(x.view(), None, params(5, Init::KMeansPlusPlus)).unwrap();
    assert_recovers(&y, &fit, 5);
}

#[test]
fn random_init_recovers_planted_blobs_given_restarts() {
    // A random start hits all three blobs with probability 3!/3³ = 22 %; 20 restarts miss
    // with probability < 1 %, and the seed is fixed.
    let (x, y) = blobs(300, &[[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]], 2.0, 3);
    let p = KMeansParams {
        n_init: 20,
        ..params(3, Init::Random)
    };
    let fit = fit_kmeans_checked(x.view(), None, p).unwrap();
    assert_recovers(&y, &fit, 3);
}

#[test]
fn explicit_centres_give_the_textbook_lloyd_result() {
    // Worked by hand: centres (0) and (10) on 1-D points; one step assigns {0,1,2} and {9,11}.
    let x = array![[0.0], [1.0], [2.0], [9.0], [11.0]];
    let init = Init::Centers(array![[0.0], [10.0]]);
    let fit = fit_kmeans_checked(x.view(), None, params(2, init)).unwrap();
    assert_eq!(fit.labels.to_vec(), vec![0, 0, 0, 1, 1]);
    assert!((fit.centers()[[0, 0]] - 1.0).abs() < 1e-12);
    assert!((fit.centers()[[1, 0]] - 10.0).abs() < 1e-12);
    assert!((fit.inertia - 4.0).abs() < 1e-12);
    assert_eq!(fit.n_iter, 2);
}

#[test]
fn weights_act_as_repetitions() {
    let x = array![[0.0], [1.0], [5.0], [6.0]];
    let w = array![3.0, 1.0, 1.0, 1.0];
    let init = Init::Centers(array![[0.0], [6.0]]);
    let fit = fit_kmeans_checked(x.view(), Some(w.view()), params(2, init)).unwrap();
    assert!((fit.centers()[[0, 0]] - 0.25).abs() < 1e-12);
    assert!((fit.centers()[[1, 0]] - 5.5).abs() < 1e-12);
    // 3·0.25² + 0.75² + 2·0.5²
    assert!((fit.inertia - (3.0 * 0.0625 + 0.5625 + 0.5)).abs() < 1e-12);
}

#[test]
fn an_empty_cluster_takes_the_farthest_point() {
    // The third centre is far from everything and loses all points in the first step.
    let x = array![[0.0], [0.1], [5.0], [5.1], [20.0]];
    let init = Init::Centers(array![[0.0], [5.0], [100.0]]);
    let fit = fit_kmeans_checked(x.view(), None, params(3, init)).unwrap();
    assert_eq!(fit.labels.to_vec(), vec![0, 0, 1, 1, 2]);
    assert!((fit.centers()[[2, 0]] - 20.0).abs() < 1e-12);
}

#[test]
fn the_result_does_not_depend_on_threads() {
    let (x, _) = blobs(3000, &[[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]], 4.0, 9);
    let run = |t| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap()
            .install(|| {
                fit_kmeans_checked(x.view(), None, params(6, Init::KMeansPlusPlus)).unwrap()
            })
    };
    let (a, b) = (run(1), run(3));
    assert_eq!(a.labels, b.labels);
    assert_eq!(a.inertia.to_bits(), b.inertia.to_bits());
    assert_eq!(a.centered, b.centered);
}

#[test]
fn predict_transform_and_stats_agree() {
    let (x, _) = blobs(500, &[[0.0, 0.0], [8.0, 8.0]], 3.0, 1);
    let fit = fit_kmeans_checked(x.view(), None, params(2, Init::KMeansPlusPlus)).unwrap();
    let table = Table::numeric(x.view(), None, Missing::Forbid).unwrap();
    let (labels, inertia) = predict(&table, fit.centered.view(), fit.offset.view()).unwrap();
    assert_eq!(labels, fit.labels);
    assert!((inertia - fit.inertia).abs() <= 1e-9 * fit.inertia);
    let dist = transform(&table, fit.centered.view(), fit.offset.view()).unwrap();
    let direct: f64 = dist
        .outer_iter()
        .map(|r| r.iter().fold(f64::INFINITY, |a, &b| a.min(b)).powi(2))
        .sum();
    assert!((direct - fit.inertia).abs() <= 1e-9 * fit.inertia);
    let stats = lloyd_stats(
        &table,
        fit.centers().view(),
        ndarray::Array1::zeros(2).view(),
    )
    .unwrap();
    assert_eq!(stats.weights.sum(), 1000.0);
    // At convergence each centre is the mean of its points.
    for c in 0..2 {
        for j in 0..2 {
            let mean = stats.sums[[c, j]] / stats.weights[c];
            assert!((mean - fit.centers()[[c, j]]).abs() < 1e-9);
        }
    }
}

#[test]
fn bad_parameters_are_errors_not_panics() {
    let x = array![[0.0], [1.0]];
    let bad = |p: KMeansParams| fit_kmeans_checked(x.view(), None, p).unwrap_err();
    assert!(bad(params(3, Init::KMeansPlusPlus))
        .to_string()
        .contains("n_samples=2"));
    assert!(bad(params(0, Init::Random))
        .to_string()
        .starts_with("n_clusters"));
    let wrong = Init::Centers(array![[0.0, 1.0], [1.0, 1.0]]);
    assert!(bad(params(2, wrong)).to_string().starts_with("init"));
    let p = KMeansParams {
        tol: f64::NAN,
        ..params(1, Init::Random)
    };
    assert!(bad(p).to_string().starts_with("tol"));
}
