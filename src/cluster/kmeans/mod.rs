//! k-means: Lloyd's algorithm with greedy k-means++ seeding, scikit-learn's conventions.
//!
//! One pass over the data per iteration fuses the distance computation (centres packed in tiles,
//! a register-blocked multiply-add over 4 rows at a time), the argmin and the per-cluster
//! accumulation. Rows are processed in fixed chunks merged in chunk order ([`crate::parallel`]), so
//! results do not depend on the number of threads. No n × k matrix is ever built.
//!
//! As scikit-learn does for accuracy, fitting works on data centred on the column means; the
//! centring is done on the fly, row by row, so the input is never copied.
//!
//! Files: this one holds the parameters, the seeding, Lloyd's loop and the public kernels;
//! [`assign`] the fused assignment pass and its distance kernels.

mod assign;
pub mod partition;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use self::assign::{assign, Packed, Partial, Pass};

use crate::error::{Error, Result};
use crate::parallel::{fold_rows, fold_rows_mut};
use crate::random::{Stream, Streams};
use crate::table::{Missing, Table};

/// How the first centres are chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Init {
    /// Greedy k-means++ with `2 + ⌊ln k⌋` candidates per step, weighted by the sample weights.
    KMeansPlusPlus,
    /// k distinct rows drawn with probability proportional to their weight.
    Random,
    /// These centres (k × d, in the data's units).
    Centers(Array2<f64>),
}

/// Parameters of a k-means fit; [`KMeansParams::check`] turns them into [`ValidKMeansParams`].
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansParams {
    pub n_clusters: usize,
    pub init: Init,
    pub n_init: usize,
    pub max_iter: usize,
    /// Relative tolerance: the run stops when the squared centre shift summed over clusters is at
    /// most `tol` times the mean per-feature variance of the data.
    pub tol: f64,
    pub seed: u64,
}

impl Default for KMeansParams {
    fn default() -> Self {
        KMeansParams {
            n_clusters: 8,
            init: Init::KMeansPlusPlus,
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
        }
    }
}

/// Parameters checked against the data they will be used on.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidKMeansParams(KMeansParams);

impl KMeansParams {
    pub fn check(self, table: &Table<'_>) -> Result<ValidKMeansParams> {
        let (n, d) = table.numeric.dim();
        if table.codes.ncols() > 0 {
            return Err(Error::invalid(
                "X",
                "k-means needs numeric columns only; use k-prototypes for categorical data",
            ));
        }
        if self.n_clusters < 1 {
            return Err(Error::invalid("n_clusters", "must be at least 1"));
        }
        if n < self.n_clusters {
            return Err(Error::invalid(
                "n_clusters",
                format!("n_samples={n} should be >= n_clusters={}", self.n_clusters),
            ));
        }
        if self.n_init < 1 {
            return Err(Error::invalid("n_init", "must be at least 1"));
        }
        if self.max_iter < 1 {
            return Err(Error::invalid("max_iter", "must be at least 1"));
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(Error::invalid("tol", "must be finite and non-negative"));
        }
        if let Init::Centers(c) = &self.init {
            if c.dim() != (self.n_clusters, d) {
                return Err(Error::invalid(
                    "init",
                    format!(
                        "the initial centres have shape {:?}, expected ({}, {d})",
                        c.dim(),
                        self.n_clusters
                    ),
                ));
            }
            if c.iter().any(|v| !v.is_finite()) {
                return Err(Error::invalid("init", "the initial centres must be finite"));
            }
        }
        Ok(ValidKMeansParams(self))
    }
}

/// A fitted k-means model.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansFit {
    /// Centres relative to `offset` (the fit works on data centred on the column means):
    /// predicting with these and `offset` repeats the fit's final assignment exactly.
    pub centered: Array2<f64>,
    /// The column means the data were centred on.
    pub offset: Array1<f64>,
    pub labels: Array1<u32>,
    /// Σ w · ‖x − c‖², a sum as in scikit-learn.
    pub inertia: f64,
    pub n_iter: usize,
}

/// Per-cluster sufficient statistics of one assignment step: the kernel a distributed k-means
/// runs on every partition and merges by adding.
#[derive(Debug, Clone, PartialEq)]
pub struct LloydStats {
    /// k × d weighted sums of `x − offset` over the rows assigned to each centre.
    pub sums: Array2<f64>,
    /// Total weight assigned to each centre.
    pub weights: Array1<f64>,
    /// Σ w · ‖x − c‖² for the nearest centre.
    pub inertia: f64,
}

impl KMeansFit {
    /// Centres in the data's units.
    pub fn centers(&self) -> Array2<f64> {
        &self.centered + &self.offset
    }
}

impl LloydStats {
    /// Adds another partition's statistics (merge in partition order for reproducible sums).
    pub fn merge(mut self, other: &LloydStats) -> Self {
        self.sums += &other.sums;
        self.weights += &other.weights;
        self.inertia += other.inertia;
        self
    }
}

// ---------------------------------------------------------------------------------------------
// The fused kernel

// ---------------------------------------------------------------------------------------------
// Public kernels

fn slice_of<'a>(x: &'a ArrayView2<'_, f64>) -> Result<&'a [f64]> {
    x.as_slice()
        .ok_or_else(|| Error::invalid("X", "must be a C-contiguous array"))
}

fn weights_of<'a>(w: &'a Option<ArrayView1<'_, f64>>) -> Result<Option<&'a [f64]>> {
    w.as_ref()
        .map(|w| {
            w.as_slice()
                .ok_or_else(|| Error::invalid("sample_weight", "must be contiguous"))
        })
        .transpose()
}

fn check_centres(table: &Table<'_>, centers: ArrayView2<'_, f64>) -> Result<()> {
    let d = table.numeric.ncols();
    if centers.nrows() == 0 || centers.ncols() != d {
        return Err(Error::invalid(
            "X",
            format!(
                "X has {d} features, but the model has centres with {} features",
                centers.ncols()
            ),
        ));
    }
    Ok(())
}

fn check_offset(centers: ArrayView2<'_, f64>, offset: ArrayView1<'_, f64>) -> Result<Vec<f64>> {
    if offset.len() != centers.ncols() {
        return Err(Error::invalid("offset", "needs one entry per feature"));
    }
    Ok(offset.to_vec())
}

/// One assignment pass of the table's rows to `centers` (relative to `offset`).
fn pass_over(
    table: &Table<'_>,
    centers: ArrayView2<'_, f64>,
    offset: ArrayView1<'_, f64>,
    accumulate: bool,
) -> Result<(Vec<u32>, Partial, Packed)> {
    check_centres(table, centers)?;
    let offset = check_offset(centers, offset)?;
    let x = slice_of(&table.numeric)?;
    let packed = Packed::new(centers.as_standard_layout().view());
    let mut labels = vec![0u32; table.n_rows()];
    let part = assign(
        Pass {
            x,
            offset: &offset,
            weights: weights_of(&table.weights)?,
            centres: &packed,
            accumulate,
            inertia: true,
        },
        &mut labels,
    );
    Ok((labels, part, packed))
}

/// Nearest centre of every row and Σ w · ‖x − c‖², for centres given relative to `offset`
/// (pass zeros for centres in the data's units).
pub fn predict(
    table: &Table<'_>,
    centers: ArrayView2<'_, f64>,
    offset: ArrayView1<'_, f64>,
) -> Result<(Array1<u32>, f64)> {
    let (labels, part, _) = pass_over(table, centers, offset, false)?;
    Ok((Array1::from(labels), part.inertia))
}

/// The per-partition statistics of one Lloyd step for the given centres (in units of
/// `x − offset`; pass zeros for raw units).
pub fn lloyd_stats(
    table: &Table<'_>,
    centers: ArrayView2<'_, f64>,
    offset: ArrayView1<'_, f64>,
) -> Result<LloydStats> {
    let (_, part, packed) = pass_over(table, centers, offset, true)?;
    Ok(LloydStats {
        sums: Array2::from_shape_vec((packed.k, packed.d), part.sums).expect("k × d"),
        weights: Array1::from(part.weights),
        inertia: part.inertia,
    })
}

/// Euclidean distance of every row to every centre (n × k), centres relative to `offset`.
pub fn transform(
    table: &Table<'_>,
    centers: ArrayView2<'_, f64>,
    offset: ArrayView1<'_, f64>,
) -> Result<Array2<f64>> {
    check_centres(table, centers)?;
    let offset = check_offset(centers, offset)?;
    let x = slice_of(&table.numeric)?;
    let centers = centers.as_standard_layout();
    let (k, d) = centers.dim();
    let cs = centers.as_slice().expect("standard layout");
    let mut out = vec![0.0; table.n_rows() * k];
    fold_rows_mut(
        &mut out,
        k,
        |rows, o| {
            for (i, orow) in rows.zip(o.chunks_exact_mut(k)) {
                for (dst, c) in orow.iter_mut().zip(cs.chunks_exact(d)) {
                    *dst = sq_dist(x, &offset, i, c).sqrt();
                }
            }
        },
        |_, _| (),
    );
    Ok(Array2::from_shape_vec((table.n_rows(), k), out).expect("n × k"))
}

/// Squared Euclidean distance of centred row `i` to centred point `c`.
#[inline]
fn sq_dist(x: &[f64], offset: &[f64], i: usize, c: &[f64]) -> f64 {
    let d = c.len();
    x[i * d..(i + 1) * d]
        .iter()
        .zip(offset)
        .zip(c)
        .map(|((v, o), c)| {
            let diff = (v - o) - c;
            diff * diff
        })
        .sum()
}

/// Index of the first row whose cumulative weight reaches `target` (numpy's
/// `searchsorted(cumsum(weight), target)`, clipped to the last row). `chunk_totals[c]` is the
/// total of `weight(i)` over chunk `c`.
fn search_cumulative(
    n: usize,
    chunk_totals: &[f64],
    weight: impl Fn(usize) -> f64,
    target: f64,
) -> usize {
    let chunk = crate::parallel::CHUNK_ROWS;
    let mut acc = 0.0;
    for (c, &t) in chunk_totals.iter().enumerate() {
        if acc + t >= target {
            for i in c * chunk..((c + 1) * chunk).min(n) {
                acc += weight(i);
                if acc >= target {
                    return i;
                }
            }
        } else {
            acc += t;
        }
    }
    n - 1
}

fn chunk_totals(n: usize, weight: &(impl Fn(usize) -> f64 + Sync)) -> Vec<f64> {
    fold_rows(
        n,
        |rows| vec![rows.map(weight).sum::<f64>()],
        |mut a, b| {
            a.extend(b);
            a
        },
    )
}

/// The `n` rows of a fit (row-major), centred on the fly on `offset`, with their optional
/// weights.
#[derive(Clone, Copy)]
struct Centred<'a> {
    x: &'a [f64],
    offset: &'a [f64],
    w: Option<&'a [f64]>,
    n: usize,
}

/// Greedy k-means++ on the centred data; returns centred centres (k × d).
fn kmeanspp(data: Centred<'_>, k: usize, rng: &mut Stream) -> Array2<f64> {
    let Centred { x, offset, w, n } = data;
    let d = offset.len();
    let wt = |i: usize| w.map_or(1.0, |w| w[i]);
    let trials = 2 + (k as f64).ln() as usize;
    let mut centres = Array2::zeros((k, d));
    let centred = |i: usize| -> Vec<f64> {
        x[i * d..(i + 1) * d]
            .iter()
            .zip(offset)
            .map(|(v, o)| v - o)
            .collect()
    };

    let totals = chunk_totals(n, &wt);
    let first = search_cumulative(n, &totals, wt, rng.uniform() * totals.iter().sum::<f64>());
    let c0 = centred(first);
    centres.row_mut(0).assign(&ArrayView1::from(&c0));
    let mut closest = vec![0.0; n];
    let mut pot = fold_rows_mut(
        &mut closest,
        1,
        |rows, out| {
            let mut s = 0.0;
            for (i, o) in rows.zip(out) {
                *o = sq_dist(x, offset, i, &c0);
                s += wt(i) * *o;
            }
            s
        },
        |a, b| a + b,
    );

    for c in 1..k {
        if crate::cancel::requested() {
            break; // the caller discards the result
        }
        let weighted = |i: usize| wt(i) * closest[i];
        let totals = chunk_totals(n, &weighted);
        let candidates: Vec<usize> = (0..trials)
            .map(|_| search_cumulative(n, &totals, weighted, rng.uniform() * pot))
            .collect();
        let points: Vec<Vec<f64>> = candidates.iter().map(|&i| centred(i)).collect();
        let pots = fold_rows(
            n,
            |rows| {
                let mut s = vec![0.0; trials];
                for i in rows {
                    for (s, p) in s.iter_mut().zip(&points) {
                        *s += wt(i) * sq_dist(x, offset, i, p).min(closest[i]);
                    }
                }
                s
            },
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
                a
            },
        );
        let best = (0..trials).fold(0, |b, t| if pots[t] < pots[b] { t } else { b });
        pot = pots[best];
        let chosen = &points[best];
        fold_rows_mut(
            &mut closest,
            1,
            |rows, out| {
                for (i, o) in rows.zip(out) {
                    *o = o.min(sq_dist(x, offset, i, chosen));
                }
            },
            |_, _| (),
        );
        centres.row_mut(c).assign(&ArrayView1::from(chosen));
    }
    centres
}

/// k distinct rows drawn with probability proportional to weight, as centred centres.
fn random_rows(data: Centred<'_>, k: usize, rng: &mut Stream) -> Array2<f64> {
    let Centred { x, offset, w, n } = data;
    let d = offset.len();
    let chosen = rng.distinct(n, k, w);
    let mut centres = Array2::zeros((k, d));
    for (c, &i) in chosen.iter().enumerate() {
        for j in 0..d {
            centres[[c, j]] = x[i * d + j] - offset[j];
        }
    }
    centres
}

/// Moves each empty cluster's centre to one of the rows farthest from their assigned centre
/// (scikit-learn's rule; ties go to the lower row index).
fn relocate_empty(
    data: Centred<'_>,
    labels: &[u32],
    old: &Array2<f64>,
    sums: &mut [f64],
    weights: &mut [f64],
) {
    let Centred { x, offset, w, .. } = data;
    let d = offset.len();
    let empty: Vec<usize> = (0..weights.len()).filter(|&c| weights[c] == 0.0).collect();
    if empty.is_empty() {
        return;
    }
    let n = labels.len();
    let mut dist = vec![0.0; n];
    fold_rows_mut(
        &mut dist,
        1,
        |rows, out| {
            for (i, o) in rows.zip(out) {
                *o = sq_dist(
                    x,
                    offset,
                    i,
                    old.row(labels[i] as usize).as_slice().expect("row"),
                );
            }
        },
        |_, _| (),
    );
    // Only rows off their centre: moving a row that sits on its centre lowers nothing, and
    // moving such rows back and forth made Lloyd cycle until max_iter when there are fewer
    // distinct rows than clusters (3 rows, 2 distinct, k = 3: 2**31 iterations never ended).
    let mut order: Vec<usize> = (0..n).filter(|&i| dist[i] > 0.0).collect();
    let far = |a: &usize, b: &usize| dist[*b].total_cmp(&dist[*a]).then(a.cmp(b));
    let m = empty.len().min(order.len());
    if m < order.len() {
        order.select_nth_unstable_by(m, far);
    }
    order.truncate(m);
    order.sort_by(far);
    for (&c, &i) in empty.iter().zip(&order) {
        let wi = w.map_or(1.0, |w| w[i]);
        let from = labels[i] as usize;
        for j in 0..d {
            let v = (x[i * d + j] - offset[j]) * wi;
            sums[from * d + j] -= v;
            sums[c * d + j] = v;
        }
        weights[c] = wi;
        weights[from] -= wi;
    }
}

/// One run of Lloyd's algorithm from centred initial centres.
fn lloyd(data: Centred<'_>, mut centres: Array2<f64>, max_iter: usize, tol: f64) -> KMeansFit {
    let Centred { x, offset, w, n } = data;
    let k = centres.nrows();
    let d = offset.len();
    let mut labels = vec![u32::MAX; n];
    let mut n_iter = 0;
    for it in 0..max_iter {
        if crate::cancel::requested() {
            break;
        }
        n_iter = it + 1;
        crate::cancel::progress::advance(1);
        let packed = Packed::new(centres.view());
        let mut part = assign(
            Pass {
                x,
                offset,
                weights: w,
                centres: &packed,
                accumulate: true,
                inertia: false,
            },
            &mut labels,
        );
        relocate_empty(data, &labels, &centres, &mut part.sums, &mut part.weights);
        let mut new = Array2::from_shape_vec((k, d), part.sums).expect("k × d");
        for ((mut row, &wc), old) in new
            .outer_iter_mut()
            .zip(&part.weights)
            .zip(centres.outer_iter())
        {
            if wc > 0.0 {
                let alpha = 1.0 / wc;
                row.mapv_inplace(|v| v * alpha);
            } else {
                // Still empty (no row off its centre to move in): the centre stays put.
                row.assign(&old);
            }
        }
        let shift: f64 = new
            .outer_iter()
            .zip(centres.outer_iter())
            .map(|(a, b)| a.iter().zip(b).map(|(a, b)| (a - b) * (a - b)).sum::<f64>())
            .sum();
        centres = new;
        if part.changed == 0 || shift <= tol {
            break;
        }
    }
    // Final E-step: labels that match the final centres, and the inertia.
    let packed = Packed::new(centres.view());
    let part = assign(
        Pass {
            x,
            offset,
            weights: w,
            centres: &packed,
            accumulate: false,
            inertia: true,
        },
        &mut labels,
    );
    KMeansFit {
        centered: centres,
        offset: Array1::from(offset.to_vec()),
        labels: Array1::from(labels),
        inertia: part.inertia,
        n_iter,
    }
}

/// Fits k-means: `n_init` runs from independent seeded streams, the lowest inertia wins (the
/// first one on ties).
pub fn fit_kmeans(table: &Table<'_>, params: &ValidKMeansParams) -> Result<KMeansFit> {
    let p = &params.0;
    let (n, d) = table.numeric.dim();
    let x = slice_of(&table.numeric)?;
    let w = weights_of(&table.weights)?;
    // scikit-learn: tolerance relative to the mean (unweighted) feature variance; fitting on data
    // centred on the (unweighted) column means.
    let mean = &table.moments.mean;
    let tol = p.tol * table.moments.variance().iter().sum::<f64>() / d as f64;
    let n_init = if matches!(p.init, Init::Centers(_)) {
        1
    } else {
        p.n_init
    };
    let data = Centred {
        x,
        offset: mean,
        w,
        n,
    };
    let mut best: Option<KMeansFit> = None;
    crate::cancel::progress::total((n_init * p.max_iter) as u64);
    for (run, mut rng) in Streams::new(p.seed).take(n_init).enumerate() {
        if run > 0 && crate::cancel::requested() {
            break;
        }
        let start = match &p.init {
            Init::KMeansPlusPlus => kmeanspp(data, p.n_clusters, &mut rng),
            Init::Random => random_rows(data, p.n_clusters, &mut rng),
            Init::Centers(c) => c - &ArrayView1::from(mean),
        };
        let fit = lloyd(data, start, p.max_iter, tol);
        crate::cancel::progress::advance((p.max_iter - fit.n_iter) as u64);
        crate::cancel::progress::lower(fit.inertia);
        if best.as_ref().is_none_or(|b| fit.inertia < b.inertia) {
            best = Some(fit);
        }
    }
    Ok(best.expect("n_init >= 1"))
}

/// Validates the table and parameters, then fits.
pub fn fit_kmeans_checked(
    x: ArrayView2<'_, f64>,
    weights: Option<ArrayView1<'_, f64>>,
    params: KMeansParams,
) -> Result<KMeansFit> {
    let table = Table::numeric(x, weights, Missing::Forbid)?;
    let params = params.check(&table)?;
    fit_kmeans(&table, &params)
}

#[cfg(test)]
mod tests;
