//! k-medoids by FasterPAM (Schubert & Rousseeuw 2021), on a precomputed dissimilarity matrix.
//!
//! Per candidate row x the change of total deviation for swapping x with every medoid is found
//! in one O(n) pass (FastPAM1's shared accumulation over the removal losses), and a swap is made
//! as soon as it helps (eager swapping). The O(n) pass is a deterministic parallel fold over row
//! chunks. Initialisation: PAM's BUILD (greedy), random rows, or given medoids.

use ndarray::ArrayView2;

use crate::error::{Error, Result};
use crate::parallel::fold_rows;
use crate::random::Streams;

/// A dissimilarity value type (f32 matrices halve the memory; sums are always f64).
pub trait Dissimilarity: Copy + Send + Sync + Into<f64> {}
impl Dissimilarity for f32 {}
impl Dissimilarity for f64 {}

#[derive(Debug, Clone, PartialEq)]
pub enum MedoidInit {
    Build,
    Random,
    Given(Vec<usize>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct KMedoidsParams {
    pub n_clusters: usize,
    pub init: MedoidInit,
    pub n_init: usize,
    /// Maximum passes over the candidates.
    pub max_iter: usize,
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KMedoidsFit {
    /// Row indices of the medoids.
    pub medoids: Vec<usize>,
    /// Index into `medoids` of each row's nearest medoid (the first on ties).
    pub labels: Vec<u32>,
    /// Σ distance of each row to its nearest medoid.
    pub cost: f64,
    pub n_iter: usize,
    pub n_swaps: usize,
}

/// Nearest and second-nearest medoid of every row.
struct State {
    nearest: Vec<u32>,
    dn: Vec<f64>,
    ds: Vec<f64>,
}

fn state<T: Dissimilarity>(d: &ArrayView2<'_, T>, medoids: &[usize]) -> State {
    let n = d.nrows();
    let mut nearest = vec![0u32; n];
    let mut dn = vec![f64::INFINITY; n];
    let mut ds = vec![f64::INFINITY; n];
    for (c, &m) in medoids.iter().enumerate() {
        let row = d.row(m);
        for o in 0..n {
            let v: f64 = row[o].into();
            if v < dn[o] {
                ds[o] = dn[o];
                dn[o] = v;
                nearest[o] = c as u32;
            } else if v < ds[o] {
                ds[o] = v;
            }
        }
    }
    State { nearest, dn, ds }
}

fn removal_loss(s: &State, k: usize) -> Vec<f64> {
    let mut loss = vec![0.0; k];
    for ((&c, &dn), &ds) in s.nearest.iter().zip(&s.dn).zip(&s.ds) {
        // With one medoid, removing it is not a move we consider: ds is inf.
        if ds.is_finite() {
            loss[c as usize] += ds - dn;
        }
    }
    loss
}

/// PAM BUILD: the most central row, then repeatedly the row that lowers the cost most.
fn build<T: Dissimilarity>(d: &ArrayView2<'_, T>, k: usize) -> Vec<usize> {
    let n = d.nrows();
    let mut dn = vec![f64::INFINITY; n];
    let mut medoids = Vec::with_capacity(k);
    let mut is_medoid = vec![false; n];
    for _ in 0..k {
        if crate::cancel::requested() {
            break; // the caller discards the result
        }
        // gain of each candidate, in a deterministic parallel fold over candidate chunks
        let best = fold_rows(
            n,
            |cands| {
                let mut best = (f64::INFINITY, usize::MAX);
                for c in cands {
                    if is_medoid[c] {
                        continue;
                    }
                    let row = d.row(c);
                    let mut total = 0.0;
                    for (o, &dno) in dn.iter().enumerate() {
                        let v: f64 = row[o].into();
                        total += v.min(dno);
                    }
                    if total < best.0 || best.1 == usize::MAX {
                        best = (total, c);
                    }
                }
                best
            },
            |a, b| if b.0 < a.0 || a.1 == usize::MAX { b } else { a },
        );
        let c = best.1;
        medoids.push(c);
        is_medoid[c] = true;
        let row = d.row(c);
        for (o, v) in dn.iter_mut().enumerate() {
            *v = v.min(row[o].into());
        }
    }
    medoids
}

/// FasterPAM from the given medoids.
fn fasterpam<T: Dissimilarity>(
    d: &ArrayView2<'_, T>,
    mut medoids: Vec<usize>,
    max_iter: usize,
) -> KMedoidsFit {
    let n = d.nrows();
    let k = medoids.len();
    let mut s = state(d, &medoids);
    let mut loss = removal_loss(&s, k);
    let mut is_medoid = vec![false; n];
    medoids.iter().for_each(|&m| is_medoid[m] = true);
    let mut cost: f64 = s.dn.iter().sum();
    let mut n_iter = 0;
    let mut n_swaps = 0;
    let mut last_swap = usize::MAX;
    'passes: while n_iter < max_iter {
        n_iter += 1;
        let mut swapped = false;
        for x in 0..n {
            if x % 256 == 0 && crate::cancel::requested() {
                break 'passes;
            }
            if x == last_swap {
                // A whole cycle of candidates since the last swap brought nothing.
                break 'passes;
            }
            if is_medoid[x] || k == n {
                continue;
            }
            let row = d.row(x);
            let (mut delta, acc) = fold_rows(
                n,
                |rows| {
                    let mut delta = vec![0.0; k];
                    let mut acc = 0.0;
                    for o in rows {
                        let dox: f64 = row[o].into();
                        let c = s.nearest[o] as usize;
                        if dox < s.dn[o] {
                            acc += dox - s.dn[o];
                            if s.ds[o].is_finite() {
                                delta[c] += s.dn[o] - s.ds[o];
                            }
                        } else if !s.ds[o].is_finite() {
                            // A single medoid: without it, o goes to x.
                            delta[c] += dox - s.dn[o];
                        } else if dox < s.ds[o] {
                            delta[c] += dox - s.ds[o];
                        }
                    }
                    (delta, acc)
                },
                |(mut a, x), (b, y)| {
                    a.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
                    (a, x + y)
                },
            );
            for (dl, l) in delta.iter_mut().zip(&loss) {
                *dl += l + acc;
            }
            let (m, change) =
                delta.iter().enumerate().fold(
                    (0, f64::INFINITY),
                    |b, (i, &v)| if v < b.1 { (i, v) } else { b },
                );
            // Guard against swaps that only exist in rounding noise.
            if change < -1e-12 * cost.abs().max(f64::MIN_POSITIVE) {
                is_medoid[medoids[m]] = false;
                is_medoid[x] = true;
                medoids[m] = x;
                s = state(d, &medoids);
                loss = removal_loss(&s, k);
                cost = s.dn.iter().sum();
                n_swaps += 1;
                last_swap = x;
                swapped = true;
            }
        }
        if !swapped {
            break;
        }
    }
    KMedoidsFit {
        medoids,
        labels: s.nearest,
        cost,
        n_iter,
        n_swaps,
    }
}

/// Fits k-medoids to an n × n dissimilarity matrix (symmetric, zero diagonal, finite).
pub fn fit_kmedoids<T: Dissimilarity>(
    d: ArrayView2<'_, T>,
    params: &KMedoidsParams,
) -> Result<KMedoidsFit> {
    let n = d.nrows();
    let k = params.n_clusters;
    if d.ncols() != n {
        return Err(Error::invalid(
            "X",
            format!("a dissimilarity matrix must be square, got {:?}", d.dim()),
        ));
    }
    if n == 0 {
        return Err(Error::invalid("X", "has no rows"));
    }
    if k < 1 || k > n {
        return Err(Error::invalid(
            "n_clusters",
            format!("n_samples={n} should be >= n_clusters={k} >= 1"),
        ));
    }
    if params.n_init < 1 || params.max_iter < 1 {
        return Err(Error::invalid(
            "n_init",
            "n_init and max_iter must be at least 1",
        ));
    }
    let mut largest = 0.0f64;
    for ((i, j), &v) in d.indexed_iter() {
        let v: f64 = v.into();
        if !v.is_finite() || v < 0.0 {
            return Err(Error::invalid(
                "X",
                format!("dissimilarity ({i}, {j}) is negative, NaN or infinite"),
            ));
        }
        largest = largest.max(v);
    }
    // Every cost is a sum of n dissimilarities: it must not overflow.
    if largest > f64::MAX / (2.0 * n as f64) {
        return Err(Error::invalid(
            "X",
            format!(
                "dissimilarities up to {largest:e} over {n} rows overflow the float64 sums of \
                 the costs; divide the matrix by its largest value"
            ),
        ));
    }
    if let MedoidInit::Given(m) = &params.init {
        let distinct: std::collections::HashSet<_> = m.iter().collect();
        if m.len() != k || distinct.len() != k || m.iter().any(|&i| i >= n) {
            return Err(Error::invalid(
                "init",
                format!("needs {k} distinct row indices below {n}"),
            ));
        }
    }
    let runs = match params.init {
        MedoidInit::Random => params.n_init,
        _ => 1,
    };
    let mut best: Option<KMedoidsFit> = None;
    for (run, mut stream) in Streams::new(params.seed).take(runs).enumerate() {
        if run > 0 && crate::cancel::requested() {
            break; // the caller discards the result
        }
        let start = match &params.init {
            MedoidInit::Build => build(&d, k),
            MedoidInit::Random => stream.distinct(n, k, None),
            MedoidInit::Given(m) => m.clone(),
        };
        if start.len() != k {
            // BUILD stopped early: the computation was interrupted (see crate::cancel).
            return Err(Error::invalid("fit", "interrupted"));
        }
        let fit = fasterpam(&d, start, params.max_iter);
        if best.as_ref().is_none_or(|b| fit.cost < b.cost) {
            best = Some(fit);
        }
    }
    Ok(best.expect("at least one run"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::gower::euclidean;
    use ndarray::Array2;

    fn line(points: &[f64]) -> Array2<f64> {
        let x = Array2::from_shape_vec((points.len(), 1), points.to_vec()).unwrap();
        euclidean::<f64>(x.view(), x.view()).unwrap()
    }

    fn params(k: usize, init: MedoidInit) -> KMedoidsParams {
        KMedoidsParams {
            n_clusters: k,
            init,
            n_init: 5,
            max_iter: 100,
            seed: 3,
        }
    }

    #[test]
    fn finds_the_optimal_medoids_on_a_line() {
        let d = line(&[0.0, 1.0, 2.0, 10.0, 11.0, 15.0]);
        // {0, 1, 2}: medoid 1, cost 2; {10, 11, 15}: medoid 11 (1 + 4 = 5) beats 10 (1 + 5) and
        // 15 (5 + 4): total 7.
        for init in [
            MedoidInit::Build,
            MedoidInit::Random,
            MedoidInit::Given(vec![0, 5]),
        ] {
            let fit = fit_kmedoids(d.view(), &params(2, init.clone())).unwrap();
            let mut m = fit.medoids.clone();
            m.sort();
            assert_eq!(m, vec![1, 4], "{init:?}");
            assert!((fit.cost - 7.0).abs() < 1e-12);
        }
    }

    #[test]
    fn matches_exhaustive_search_on_small_random_data() {
        let mut rng = crate::random::Stream::new(9, 0);
        for trial in 0..20 {
            let pts: Vec<f64> = (0..9).map(|_| rng.uniform() * 10.0).collect();
            let d = line(&pts);
            let mut best = f64::INFINITY;
            for a in 0..9 {
                for b in a + 1..9 {
                    for c in b + 1..9 {
                        let cost: f64 = (0..9)
                            .map(|o| d[[o, a]].min(d[[o, b]]).min(d[[o, c]]))
                            .sum();
                        best = best.min(cost);
                    }
                }
            }
            let fit = fit_kmedoids(d.view(), &params(3, MedoidInit::Random)).unwrap();
            // FasterPAM is a local search; with 5 random restarts on 9 points it should reach the
            // optimum here (checked for these seeds).
            assert!(
                (fit.cost - best).abs() < 1e-9,
                "trial {trial}: {} vs {best}",
                fit.cost
            );
        }
    }

    #[test]
    fn one_medoid_is_the_most_central_row() {
        let d = line(&[0.0, 1.0, 2.0, 3.0, 100.0]);
        for init in [MedoidInit::Build, MedoidInit::Given(vec![4])] {
            let fit = fit_kmedoids(d.view(), &params(1, init)).unwrap();
            assert_eq!(fit.medoids, vec![2]);
            assert!((fit.cost - (2.0 + 1.0 + 1.0 + 98.0)).abs() < 1e-12);
        }
    }

    #[test]
    fn f32_matrices_work_and_errors_are_clear() {
        let d = line(&[0.0, 1.0, 5.0, 6.0]).mapv(|v| v as f32);
        let fit = fit_kmedoids(d.view(), &params(2, MedoidInit::Build)).unwrap();
        assert!((fit.cost - 2.0).abs() < 1e-6);
        assert!(super::fit_kmedoids(d.view(), &params(5, MedoidInit::Build)).is_err());
        let mut bad = d.clone();
        bad[[0, 1]] = f32::NAN;
        assert!(super::fit_kmedoids(bad.view(), &params(2, MedoidInit::Build)).is_err());
        assert!(super::fit_kmedoids(d.view(), &params(2, MedoidInit::Given(vec![1, 1]))).is_err());
    }
}
