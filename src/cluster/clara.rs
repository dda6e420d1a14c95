//! CLARA (Kaufman & Rousseeuw 1990, ch. 3; R `cluster::clara`) with FasterPAM on each sample
//! (Schubert & Rousseeuw 2021, "FasterCLARA"): k-medoids for data too large for an n × n matrix.
//!
//! For each of `n_samples` seeded samples of `sample_size` rows: the sample's dissimilarity matrix
//! (sample_size²), FasterPAM on it, then every row of the data assigned to its nearest medoid
//! with the dissimilarities computed on the fly; the medoids whose total dissimilarity over ALL
//! rows is lowest are kept (a later sample must be strictly better). As in R, every sample after
//! the first that succeeded contains the best medoids so far (the rest drawn at random among the
//! other rows), and a sample in which some pair of rows has no variable in common (Gower with
//! missing values) is skipped. A sample of all rows is drawn once.
//!
//! Memory: the data, two label vectors of n u32, and one sample_size² matrix — never n × n. The
//! assignment is a fold over fixed row chunks merged in chunk order, so the result does not
//! depend on the number of threads.

use ndarray::{Array2, ArrayView2};

use crate::cluster::gower::{euclidean_pair, try_zeroed, GowerMetric};
use crate::cluster::kmedoids::{fit_kmedoids, KMedoidsParams, MedoidInit};
use crate::error::{Error, Result};
use crate::parallel::fold_rows_mut;
use crate::random::{Stream, Streams};
use crate::simd::dispatch_avx2;
use crate::table::MISSING_CODE;

/// The rows to cluster and their dissimilarity.
pub enum ClaraData<'a> {
    /// Gower: numeric block (NaN = missing) and codes (MISSING_CODE = missing), row-major.
    Gower {
        numeric: ArrayView2<'a, f64>,
        codes: ArrayView2<'a, u32>,
        metric: GowerMetric,
    },
    /// Euclidean distances between the rows of a complete numeric block, row-major.
    Euclidean(ArrayView2<'a, f64>),
}

/// Contiguous row-major slices of the data, one dissimilarity for any two rows.
struct Rows<'a> {
    num: &'a [f64],
    p: usize,
    codes: &'a [u32],
    q: usize,
    gower: Option<&'a GowerMetric>,
}

impl Rows<'_> {
    #[inline]
    fn num(&self, i: usize) -> &[f64] {
        &self.num[i * self.p..(i + 1) * self.p]
    }

    #[inline]
    fn codes(&self, i: usize) -> &[u32] {
        &self.codes[i * self.q..(i + 1) * self.q]
    }

    /// Dissimilarity between row `i` and a row given by its values.
    #[inline]
    fn to(&self, i: usize, yn: &[f64], yc: &[u32]) -> f64 {
        match self.gower {
            Some(g) => g.pair(self.num(i), self.codes(i), yn, yc),
            None => euclidean_pair(self.num(i), yn),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClaraParams {
    pub n_clusters: usize,
    pub n_samples: usize,
    pub sample_size: usize,
    /// `Build` or `Random` (FasterPAM's start on each sample).
    pub init: MedoidInit,
    pub n_init: usize,
    pub max_iter: usize,
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClaraFit {
    /// Row indices of the best medoids.
    pub medoids: Vec<usize>,
    /// Index into `medoids` of each row's nearest medoid (the first on ties).
    pub labels: Vec<u32>,
    /// Σ over all rows of the dissimilarity to the nearest medoid.
    pub cost: f64,
    /// The rows of each sample drawn, ascending.
    pub samples: Vec<Vec<usize>>,
    /// Total cost over all rows of each sample's medoids (NaN for a skipped sample).
    pub sample_costs: Vec<f64>,
    /// Index of the sample whose medoids were kept.
    pub best_sample: usize,
    /// FasterPAM passes on the best sample.
    pub n_iter: usize,
}

/// `m` distinct rows of `0..n` that include `keep` (distinct, below n), ascending.
fn draw(stream: &mut Stream, n: usize, m: usize, keep: &[usize]) -> Vec<usize> {
    let mut fixed = keep.to_vec();
    fixed.sort_unstable();
    // Draw m − |keep| distinct positions among the other n − |keep| rows, then map position t
    // to the t-th row not in `keep`.
    let mut sample: Vec<usize> = stream
        .distinct(n - fixed.len(), m - fixed.len(), None)
        .into_iter()
        .map(|t| {
            let mut row = t;
            for &f in &fixed {
                if f <= row {
                    row += 1;
                } else {
                    break;
                }
            }
            row
        })
        .collect();
    sample.extend_from_slice(&fixed);
    sample.sort_unstable();
    sample
}

/// The sample's dissimilarity matrix (row-parallel).
fn sample_matrix(rows: &Rows<'_>, sample: &[usize]) -> Result<Array2<f64>> {
    let m = sample.len();
    let mut out = try_zeroed::<f64>(m * m, "sample_size")?;
    fold_rows_mut(
        &mut out,
        m,
        |chunk, o| {
            for (a, orow) in chunk.zip(o.chunks_exact_mut(m)) {
                let i = sample[a];
                for (dst, &j) in orow.iter_mut().zip(sample) {
                    *dst = rows.to(i, rows.num(j), rows.codes(j));
                }
            }
        },
        |_, _| (),
    );
    Ok(Array2::from_shape_vec((m, m), out).expect("m × m"))
}

/// Assigns every row to its nearest medoid (NaN dissimilarities are skipped; a row with none
/// gets `u32::MAX` and makes the cost infinite); returns the total cost.
///
/// Vectorised per chunk of rows: the chunk is copied column-major, and for each medoid every
/// column's terms are added for all rows of the chunk at once. The terms and their order are
/// those of [`GowerMetric::pair`] / [`euclidean_pair`] (an absent term adds +0.0, which changes
/// no sum), so the distances are the same bits as the pairwise and matrix kernels'.
fn assign(rows: &Rows<'_>, medoids: &[usize], labels: &mut [u32]) -> f64 {
    // The medoids' values, copied next to each other.
    let mnum: Vec<f64> = medoids.iter().flat_map(|&m| rows.num(m).to_vec()).collect();
    let mcod: Vec<u32> = medoids
        .iter()
        .flat_map(|&m| rows.codes(m).to_vec())
        .collect();
    let (mnum, mcod) = (mnum.as_slice(), mcod.as_slice());
    fold_rows_mut(
        labels,
        1,
        |chunk, out| assign_chunk(rows, medoids.len(), mnum, mcod, chunk.start, out),
        |a, b| a + b,
    )
}

dispatch_avx2!(
    /// One chunk of [`assign`]: rows `start..start + out.len()`; returns their cost.
    fn assign_chunk => assign_chunk_impl;
    (rows: &Rows<'_>, k: usize, mnum: &[f64], mcod: &[u32], start: usize, out: &mut [u32]) -> f64
);

#[inline(always)]
fn assign_chunk_impl(
    rows: &Rows<'_>,
    k: usize,
    mnum: &[f64],
    mcod: &[u32],
    start: usize,
    out: &mut [u32],
) -> f64 {
    let (p, q) = (rows.p, rows.q);
    let len = out.len();
    let chunk = start..start + len;
    // The chunk column-major; Gower's numeric columns already multiplied by their scale
    // factor (the same product the general formula forms per medoid).
    let mut xn = vec![0.0; p * len];
    let mut xc = vec![0u32; q * len];
    let pre: Vec<f64> = match rows.gower {
        Some(g) => g.pre.clone(),
        None => vec![1.0; p],
    };
    let mut missing = false;
    for (r, i) in chunk.clone().enumerate() {
        for (j, &v) in rows.num(i).iter().enumerate() {
            missing |= v.is_nan();
            xn[j * len + r] = v * pre[j];
        }
        for (j, &v) in rows.codes(i).iter().enumerate() {
            missing |= v == MISSING_CODE;
            xc[j * len + r] = v;
        }
    }
    let mut best = vec![f64::INFINITY; len];
    let mut which = vec![u32::MAX; len];
    let mut num = vec![0.0; len];
    let mut den = vec![0.0; len];
    for c in 0..k {
        num.fill(0.0);
        let mrow = &mnum[c * p..(c + 1) * p];
        match rows.gower {
            None => {
                for (j, &mv) in mrow.iter().enumerate() {
                    let col = &xn[j * len..(j + 1) * len];
                    for (s, &x) in num.iter_mut().zip(col) {
                        let d = x - mv;
                        *s += d * d;
                    }
                }
                for s in num.iter_mut() {
                    *s = s.sqrt();
                }
            }
            // Without a missing value in the chunk every row's weight total is the medoid's
            // (the same additions in the same order), so the loops skip the presence tests.
            Some(g) if !missing => {
                let mut total = 0.0;
                for (j, &mv) in mrow.iter().enumerate() {
                    let w = g.wn[j];
                    if mv.is_nan() || w == 0.0 {
                        continue;
                    }
                    let col = &xn[j * len..(j + 1) * len];
                    let (inv, range) = (g.inv[j], g.range[j]);
                    let mp = mv * g.pre[j];
                    if inv.is_nan() {
                        for (s, &x) in num.iter_mut().zip(col) {
                            *s += w * ((x - mp).abs() / range);
                        }
                    } else {
                        for (s, &x) in num.iter_mut().zip(col) {
                            *s += w * ((x - mp).abs() * inv);
                        }
                    }
                    total += w;
                }
                let mcodes = &mcod[c * q..(c + 1) * q];
                for (j, &mv) in mcodes.iter().enumerate() {
                    let w = g.wc[j];
                    if mv == MISSING_CODE || w == 0.0 {
                        continue;
                    }
                    let col = &xc[j * len..(j + 1) * len];
                    for (s, &x) in num.iter_mut().zip(col) {
                        *s += if x != mv { w } else { 0.0 };
                    }
                    total += w;
                }
                for s in num.iter_mut() {
                    *s = if total > 0.0 { *s / total } else { f64::NAN };
                }
            }
            Some(g) => {
                den.fill(0.0);
                for (j, &mv) in mrow.iter().enumerate() {
                    let w = g.wn[j];
                    if mv.is_nan() || w == 0.0 {
                        continue;
                    }
                    let col = &xn[j * len..(j + 1) * len];
                    let (inv, range) = (g.inv[j], g.range[j]);
                    let mp = mv * g.pre[j];
                    if inv.is_nan() {
                        for ((s, t), &x) in num.iter_mut().zip(den.iter_mut()).zip(col) {
                            if !x.is_nan() {
                                *s += w * ((x - mp).abs() / range);
                                *t += w;
                            }
                        }
                    } else {
                        for ((s, t), &x) in num.iter_mut().zip(den.iter_mut()).zip(col) {
                            let term = w * ((x - mp).abs() * inv);
                            let present = !x.is_nan();
                            *s += if present { term } else { 0.0 };
                            *t += if present { w } else { 0.0 };
                        }
                    }
                }
                let mcodes = &mcod[c * q..(c + 1) * q];
                for (j, &mv) in mcodes.iter().enumerate() {
                    let w = g.wc[j];
                    if mv == MISSING_CODE || w == 0.0 {
                        continue;
                    }
                    let col = &xc[j * len..(j + 1) * len];
                    for ((s, t), &x) in num.iter_mut().zip(den.iter_mut()).zip(col) {
                        let present = x != MISSING_CODE;
                        *s += if present && x != mv { w } else { 0.0 };
                        *t += if present { w } else { 0.0 };
                    }
                }
                for (s, &t) in num.iter_mut().zip(&den) {
                    *s = if t > 0.0 { *s / t } else { f64::NAN };
                }
            }
        }
        for ((b, wh), &d) in best.iter_mut().zip(which.iter_mut()).zip(&num) {
            if d < *b {
                *b = d;
                *wh = c as u32;
            }
        }
    }
    out.copy_from_slice(&which);
    best.iter().fold(0.0, |acc, &b| acc + b)
}

fn contiguous<'a, T>(a: &ArrayView2<'a, T>) -> Result<&'a [T]> {
    a.to_slice()
        .ok_or_else(|| Error::invalid("X", "must be a C-contiguous (row-major) array"))
}

/// Fits k-medoids by CLARA with FasterPAM on each sample.
pub fn fit_clara(data: &ClaraData<'_>, params: &ClaraParams) -> Result<ClaraFit> {
    let rows = match data {
        ClaraData::Gower {
            numeric,
            codes,
            metric,
        } => {
            if numeric.nrows() != codes.nrows()
                || numeric.ncols() != metric.n_numeric()
                || codes.ncols() != metric.n_codes()
            {
                return Err(Error::invalid(
                    "X",
                    "needs one range per numeric column, one weight per column and as many rows in both blocks",
                ));
            }
            if numeric.iter().any(|v| v.is_infinite()) {
                return Err(Error::invalid("X", "contains inf"));
            }
            Rows {
                num: contiguous(numeric)?,
                p: numeric.ncols(),
                codes: contiguous(codes)?,
                q: codes.ncols(),
                gower: Some(metric),
            }
        }
        ClaraData::Euclidean(x) => {
            if x.iter().any(|v| !v.is_finite()) {
                return Err(Error::invalid("X", "contains NaN or inf"));
            }
            Rows {
                num: contiguous(x)?,
                p: x.ncols(),
                codes: &[],
                q: 0,
                gower: None,
            }
        }
    };
    let n = match data {
        ClaraData::Gower { numeric, .. } => numeric.nrows(),
        ClaraData::Euclidean(x) => x.nrows(),
    };
    let (k, m) = (params.n_clusters, params.sample_size);
    if n == 0 {
        return Err(Error::invalid("X", "has no rows"));
    }
    if k < 1 || k > n {
        return Err(Error::invalid(
            "n_clusters",
            format!("n_samples={n} should be >= n_clusters={k} >= 1"),
        ));
    }
    if m < k || m > n {
        return Err(Error::invalid(
            "sample_size",
            format!("must be between n_clusters={k} and the number of rows {n}, got {m}"),
        ));
    }
    if params.n_samples < 1 {
        return Err(Error::invalid("n_samples", "must be at least 1"));
    }
    if !matches!(params.init, MedoidInit::Build | MedoidInit::Random) {
        return Err(Error::invalid(
            "init",
            "CLARA starts each sample from 'build' or 'random'",
        ));
    }
    let runs = if m == n { 1 } else { params.n_samples };
    let mut scratch = try_zeroed::<u32>(n, "X")?;
    let mut labels = try_zeroed::<u32>(n, "X")?;
    // The best so far: cost, medoids, sample, FasterPAM passes.
    let mut best: Option<(f64, Vec<usize>, usize, usize)> = None;
    // One sample (its rows) and one cost kept per run: refused before the loop when that cannot
    // be allocated, instead of aborting on the allocation.
    let bytes = runs as f64 * (m as f64 * 8.0 + 32.0);
    let too_big = || {
        Error::invalid(
            "n_samples",
            format!(
                "keeping {runs} samples of {m} rows needs {:.2} GiB of memory that could not be \
                 allocated",
                bytes / (1u64 << 30) as f64
            ),
        )
    };
    let mut samples: Vec<Vec<usize>> = Vec::new();
    samples.try_reserve_exact(runs).map_err(|_| too_big())?;
    let mut sample_costs: Vec<f64> = Vec::new();
    sample_costs
        .try_reserve_exact(runs)
        .map_err(|_| too_big())?;
    for (s, mut stream) in Streams::new(params.seed).take(runs).enumerate() {
        if crate::cancel::requested() {
            return Err(Error::invalid("fit", "interrupted"));
        }
        let keep = best.as_ref().map(|b| b.1.as_slice()).unwrap_or(&[]);
        let sample = draw(&mut stream, n, m, keep);
        let d = sample_matrix(&rows, &sample)?;
        if d.iter().any(|v| v.is_nan()) {
            // Some pair of the sample shares no variable (R's clara skips such samples).
            samples.push(sample);
            sample_costs.push(f64::NAN);
            continue;
        }
        let pam = KMedoidsParams {
            n_clusters: k,
            init: params.init.clone(),
            n_init: params.n_init,
            max_iter: params.max_iter,
            seed: stream.below(u64::MAX),
        };
        let fit = fit_kmedoids(d.view(), &pam)?;
        let medoids: Vec<usize> = fit.medoids.iter().map(|&i| sample[i]).collect();
        let cost = assign(&rows, &medoids, &mut scratch);
        samples.push(sample);
        sample_costs.push(cost);
        if best.as_ref().is_none_or(|b| cost < b.0) {
            std::mem::swap(&mut scratch, &mut labels);
            best = Some((cost, medoids, s, fit.n_iter));
        }
    }
    let Some((cost, medoids, best_sample, n_iter)) = best else {
        return Err(Error::invalid(
            "X",
            "each sample contains a pair of rows that share no non-missing column, so their \
             Gower distance is undefined; drop rows that are (almost) all missing",
        ));
    };
    if !cost.is_finite() {
        let row = labels.iter().position(|&l| l == u32::MAX).unwrap_or(0);
        return Err(Error::invalid(
            "X",
            format!(
                "row {row} shares no non-missing column with any medoid, so it cannot be \
                 assigned; drop rows that are (almost) all missing"
            ),
        ));
    }
    Ok(ClaraFit {
        medoids,
        labels,
        cost,
        samples,
        sample_costs,
        best_sample,
        n_iter,
    })
}

/// The total dissimilarity of all rows to the given medoids and each row's nearest medoid
/// (exposed for tests and for scoring fixed medoids).
pub fn assign_to(data: &ClaraData<'_>, medoids: &[usize]) -> Result<(Vec<u32>, f64)> {
    let (rows, n) = match data {
        ClaraData::Gower {
            numeric,
            codes,
            metric,
        } => (
            Rows {
                num: contiguous(numeric)?,
                p: numeric.ncols(),
                codes: contiguous(codes)?,
                q: codes.ncols(),
                gower: Some(metric),
            },
            numeric.nrows(),
        ),
        ClaraData::Euclidean(x) => (
            Rows {
                num: contiguous(x)?,
                p: x.ncols(),
                codes: &[],
                q: 0,
                gower: None,
            },
            x.nrows(),
        ),
    };
    if medoids.iter().any(|&m| m >= n) {
        return Err(Error::invalid("medoids", "row index out of range"));
    }
    let mut labels = try_zeroed::<u32>(n, "X")?;
    let cost = assign(&rows, medoids, &mut labels);
    Ok((labels, cost))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::gower::{gower, MixedRows};
    use ndarray::Array2;

    fn blobs(n: usize, seed: u64) -> Array2<f64> {
        let mut rng = Stream::new(seed, 7);
        Array2::from_shape_fn((n, 2), |(i, j)| {
            let centre = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)][i % 3];
            (if j == 0 { centre.0 } else { centre.1 }) + rng.normal()
        })
    }

    fn params(k: usize, n_samples: usize, m: usize) -> ClaraParams {
        ClaraParams {
            n_clusters: k,
            n_samples,
            sample_size: m,
            init: MedoidInit::Build,
            n_init: 1,
            max_iter: 100,
            seed: 11,
        }
    }

    #[test]
    fn a_sample_of_every_row_is_fasterpam() {
        let x = blobs(60, 1);
        let full = crate::cluster::gower::euclidean::<f64>(x.view(), x.view()).unwrap();
        let pam = fit_kmedoids(
            full.view(),
            &KMedoidsParams {
                n_clusters: 3,
                init: MedoidInit::Build,
                n_init: 1,
                max_iter: 100,
                seed: 0,
            },
        )
        .unwrap();
        let fit = fit_clara(&ClaraData::Euclidean(x.view()), &params(3, 5, 60)).unwrap();
        assert_eq!(fit.samples.len(), 1);
        assert_eq!(fit.medoids, pam.medoids);
        assert_eq!(fit.labels, pam.labels);
        assert!((fit.cost - pam.cost).abs() <= 1e-9 * pam.cost);
    }

    #[test]
    fn later_samples_contain_the_best_medoids_and_cost_is_the_full_assignment() {
        let x = blobs(3000, 2);
        let fit = fit_clara(&ClaraData::Euclidean(x.view()), &params(3, 6, 40)).unwrap();
        assert_eq!(fit.samples.len(), 6);
        // The cost is the sum over every row of the distance to its nearest medoid.
        let direct: f64 = (0..3000)
            .map(|i| {
                fit.medoids
                    .iter()
                    .map(|&m| {
                        euclidean_pair(x.row(i).as_slice().unwrap(), x.row(m).as_slice().unwrap())
                    })
                    .fold(f64::INFINITY, f64::min)
            })
            .sum();
        assert!((fit.cost - direct).abs() <= 1e-9 * direct);
        let mut best_so_far: Option<(f64, Vec<usize>)> = None;
        for (s, sample) in fit.samples.iter().enumerate() {
            assert_eq!(sample.len(), 40);
            assert!(sample.windows(2).all(|w| w[0] < w[1]));
            if let Some((_, medoids)) = &best_so_far {
                assert!(medoids.iter().all(|m| sample.contains(m)), "sample {s}");
            }
            let c = fit.sample_costs[s];
            if best_so_far.as_ref().is_none_or(|b| c < b.0) {
                // recompute the sample's medoids: the best sample's are the fit's
                if s == fit.best_sample {
                    best_so_far = Some((c, fit.medoids.clone()));
                } else {
                    best_so_far = Some((c, Vec::new()));
                }
            }
        }
        let min = fit
            .sample_costs
            .iter()
            .cloned()
            .fold(f64::INFINITY, f64::min);
        assert_eq!(fit.cost, min);
    }

    #[test]
    fn thread_count_does_not_change_the_result() {
        let x = blobs(5000, 3);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| fit_clara(&ClaraData::Euclidean(x.view()), &params(3, 4, 50)).unwrap())
        };
        let (a, b) = (run(1), run(3));
        assert_eq!(a, b);
        assert_eq!(a.cost.to_bits(), b.cost.to_bits());
    }

    #[test]
    fn gower_pairs_equal_the_matrix_and_missing_samples_are_skipped() {
        let num = Array2::from_shape_fn((50, 2), |(i, j)| ((i * 7 + j * 3) % 11) as f64);
        let codes = Array2::from_shape_fn((50, 1), |(i, _)| (i % 4) as u32);
        let w = ndarray::Array1::ones(3);
        let metric = GowerMetric::new(&[10.0, 10.0], &[false, false], w.view(), 1).unwrap();
        let data = ClaraData::Gower {
            numeric: num.view(),
            codes: codes.view(),
            metric: metric.clone(),
        };
        let fit = fit_clara(&data, &params(2, 3, 20)).unwrap();
        let rows = MixedRows {
            numeric: num.view(),
            codes: codes.view(),
        };
        let full: Array2<f64> = gower(rows, rows, &metric).unwrap();
        let direct: f64 = (0..50)
            .map(|i| {
                fit.medoids
                    .iter()
                    .map(|&m| full[[i, m]])
                    .fold(f64::INFINITY, f64::min)
            })
            .sum();
        assert_eq!(fit.cost, direct);
        assert_eq!(
            assign_to(&data, &fit.medoids).unwrap(),
            (fit.labels.clone(), fit.cost)
        );
        // Errors: bad sample size, n_samples 0.
        assert!(fit_clara(&data, &params(2, 3, 1)).is_err());
        assert!(fit_clara(&data, &params(2, 3, 51)).is_err());
        assert!(fit_clara(&data, &params(2, 0, 20)).is_err());
        // A row with everything missing: every sample that holds it is skipped (NaN cost).
        let mut num2 = num.clone();
        num2.row_mut(0).fill(f64::NAN);
        let mut codes2 = codes.clone();
        codes2[[0, 0]] = crate::table::MISSING_CODE;
        let data2 = ClaraData::Gower {
            numeric: num2.view(),
            codes: codes2.view(),
            metric,
        };
        match fit_clara(&data2, &params(2, 8, 49)) {
            Ok(fit) => {
                for (s, c) in fit.sample_costs.iter().enumerate() {
                    assert_eq!(c.is_nan(), fit.samples[s].contains(&0));
                }
            }
            Err(e) => assert!(e.to_string().contains("no non-missing column"), "{e}"),
        }
    }
}
