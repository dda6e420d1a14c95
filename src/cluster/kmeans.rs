//! k-means: Lloyd's algorithm with greedy k-means++ seeding, scikit-learn's conventions.
//!
//! One pass over the data per iteration fuses the distance computation (centres packed in tiles,
//! a register-blocked multiply-add over 4 rows at a time), the argmin and the per-cluster
//! accumulation. Rows are processed in fixed chunks merged in chunk order ([`crate::parallel`]), so
//! results do not depend on the number of threads. No n × k matrix is ever built.
//!
//! As scikit-learn does for accuracy, fitting works on data centred on the column means; the
//! centring is done on the fly, row by row, so the input is never copied.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::error::{Error, Result};
use crate::parallel::{fold_rows, fold_rows_mut};
use crate::random::Stream;
use crate::simd::{dispatch_avx2, Isa};
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

/// Rows handled together by the register-blocked distance kernel.
const ROWS: usize = 4;

/// Centres laid out for the kernel: tiles of `width` centres, within a tile feature-major, so one
/// feature of one row is multiplied against `width` contiguous centre coordinates.
struct Packed {
    k: usize,
    d: usize,
    width: usize,
    tiles: usize,
    /// tiles × d × width
    coords: Vec<f64>,
    /// ‖c‖² per padded centre; +inf for the padding so it never wins
    norms: Vec<f64>,
    /// k × d, row-major
    rows: Vec<f64>,
}

impl Packed {
    fn new(centers: ArrayView2<'_, f64>) -> Self {
        let (k, d) = centers.dim();
        let width = if k <= 4 { 4 } else { 8 };
        let tiles = k.div_ceil(width);
        let mut coords = vec![0.0; tiles * d * width];
        let mut norms = vec![f64::INFINITY; tiles * width];
        for (c, centre) in centers.outer_iter().enumerate() {
            let (t, lane) = (c / width, c % width);
            for (j, &v) in centre.iter().enumerate() {
                coords[(t * d + j) * width + lane] = v;
            }
            norms[c] = centre.iter().map(|v| v * v).sum();
        }
        Packed {
            k,
            d,
            width,
            tiles,
            coords,
            norms,
            rows: centers.iter().copied().collect(),
        }
    }
}

/// What one pass over the rows computes besides the labels.
#[derive(Clone, Copy)]
struct Pass<'a> {
    x: &'a [f64],
    offset: &'a [f64],
    weights: Option<&'a [f64]>,
    centres: &'a Packed,
    accumulate: bool,
    inertia: bool,
}

#[derive(Clone)]
struct Partial {
    sums: Vec<f64>,
    weights: Vec<f64>,
    inertia: f64,
    changed: usize,
}

impl Partial {
    fn new(k: usize, d: usize, accumulate: bool) -> Self {
        let (ks, kd) = if accumulate { (k, k * d) } else { (0, 0) };
        Partial {
            sums: vec![0.0; kd],
            weights: vec![0.0; ks],
            inertia: 0.0,
            changed: 0,
        }
    }

    fn merge(mut self, other: Partial) -> Self {
        self.sums
            .iter_mut()
            .zip(&other.sums)
            .for_each(|(a, b)| *a += b);
        self.weights
            .iter_mut()
            .zip(&other.weights)
            .for_each(|(a, b)| *a += b);
        self.inertia += other.inertia;
        self.changed += other.changed;
        self
    }
}

/// Nearest centre (min of ‖c‖² − 2 x·c, first index on ties) for a block of 4 centred rows:
/// the portable version.
#[inline(always)]
#[allow(clippy::needless_range_loop)]
fn nearest_block_portable<const W: usize>(rows: [&[f64]; ROWS], c: &Packed) -> [u32; ROWS] {
    let d = c.d;
    let mut best = [f64::INFINITY; ROWS];
    let mut arg = [0u32; ROWS];
    for t in 0..c.tiles {
        let tile = &c.coords[t * d * W..(t + 1) * d * W];
        let norms = &c.norms[t * W..(t + 1) * W];
        for r in 0..ROWS {
            let mut acc = [0.0f64; W];
            for (cs, &xv) in tile.chunks_exact(W).zip(rows[r]) {
                for l in 0..W {
                    acc[l] += xv * cs[l];
                }
            }
            for l in 0..W {
                let dist = norms[l] - 2.0 * acc[l];
                if dist < best[r] {
                    best[r] = dist;
                    arg[r] = (t * W + l) as u32;
                }
            }
        }
    }
    arg
}

/// The same with AVX2 + FMA: a 4-row × `4V`-centre register block, the multiply-adds over the
/// features, then a vector argmin.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::needless_range_loop)] // register blocks read best as index loops
fn nearest_block_avx2<const V: usize>(rows: [&[f64]; ROWS], c: &Packed) -> [u32; ROWS] {
    use std::arch::x86_64::*;
    let d = c.d;
    let w = 4 * V;
    debug_assert_eq!(c.width, w);
    debug_assert!(rows.iter().all(|r| r.len() == d));
    let mut best = [f64::INFINITY; ROWS];
    let mut arg = [0u32; ROWS];
    for t in 0..c.tiles {
        let tile = &c.coords[t * d * w..(t + 1) * d * w];
        let mut acc = [[_mm256_setzero_pd(); V]; ROWS];
        for j in 0..d {
            // SAFETY: `tile` holds d × w values and every row d values, so all reads are in
            // bounds; unaligned loads are used throughout.
            unsafe {
                let mut cv = [_mm256_setzero_pd(); V];
                for (v, cvv) in cv.iter_mut().enumerate() {
                    *cvv = _mm256_loadu_pd(tile.as_ptr().add(j * w + 4 * v));
                }
                for r in 0..ROWS {
                    let xb = _mm256_broadcast_sd(&*rows[r].as_ptr().add(j));
                    for v in 0..V {
                        acc[r][v] = _mm256_fmadd_pd(xb, cv[v], acc[r][v]);
                    }
                }
            }
        }
        let two = _mm256_set1_pd(2.0);
        for r in 0..ROWS {
            let mut dist = [_mm256_setzero_pd(); V];
            let mut m = _mm256_set1_pd(f64::INFINITY);
            for v in 0..V {
                // SAFETY: norms holds tiles × w values.
                let norms = unsafe { _mm256_loadu_pd(c.norms.as_ptr().add(t * w + 4 * v)) };
                // ‖x‖² is the same for every centre and left out of the argmin.
                dist[v] = _mm256_fnmadd_pd(two, acc[r][v], norms);
                m = _mm256_min_pd(m, dist[v]);
            }
            m = _mm256_min_pd(m, _mm256_permute2f128_pd(m, m, 1));
            m = _mm256_min_pd(m, _mm256_permute_pd(m, 0b0101));
            let mut mask = 0u32;
            for v in 0..V {
                let eq = _mm256_cmp_pd(dist[v], m, _CMP_EQ_OQ);
                mask |= (_mm256_movemask_pd(eq) as u32) << (4 * v);
            }
            let min = _mm256_cvtsd_f64(m);
            if min < best[r] {
                best[r] = min;
                arg[r] = (t * w) as u32 + mask.trailing_zeros();
            }
        }
    }
    arg
}

dispatch_avx2! {
    /// Assigns rows `rows` to their nearest centre, writing `labels` (one per row) and adding to
    /// `part` (the AVX2 + FMA build when the CPU has it).
    fn assign_chunk => generic assign_chunk_impl; (
        p: &Pass<'_>,
        rows: std::ops::Range<usize>,
        labels: &mut [u32],
        part: &mut Partial,
    ) -> ()
}

#[inline(always)]
fn assign_chunk_impl<M: Isa>(
    p: &Pass<'_>,
    rows: std::ops::Range<usize>,
    labels: &mut [u32],
    part: &mut Partial,
) {
    let c = p.centres;
    let d = c.d;
    // Centred rows of the current block, row-major: buf[r * d + j].
    let mut buf = vec![0.0; d * ROWS];
    let start = rows.start;
    let n = rows.len();
    let mut r0 = 0;
    while r0 < n {
        let nb = ROWS.min(n - r0);
        let block = &p.x[(start + r0) * d..(start + r0 + nb) * d];
        for (dst, src) in buf.chunks_exact_mut(d).zip(block.chunks_exact(d)) {
            for ((b, &v), &o) in dst.iter_mut().zip(src).zip(p.offset) {
                *b = v - o;
            }
        }
        let block_rows = [&buf[..d], &buf[d..2 * d], &buf[2 * d..3 * d], &buf[3 * d..]];
        let arg = nearest::<M>(block_rows, c);
        for (r, row) in buf.chunks_exact(d).enumerate().take(nb) {
            let i = start + r0 + r;
            let label = arg[r];
            let slot = &mut labels[r0 + r];
            part.changed += usize::from(*slot != label);
            *slot = label;
            if !(p.accumulate || p.inertia) {
                continue;
            }
            let w = p.weights.map_or(1.0, |w| w[i]);
            let l = label as usize;
            if p.accumulate {
                let sums = &mut part.sums[l * d..(l + 1) * d];
                for (s, &v) in sums.iter_mut().zip(row) {
                    *s = M::madd(w, v, *s);
                }
                part.weights[l] += w;
            }
            if p.inertia {
                let centre = &c.rows[l * d..(l + 1) * d];
                let mut e = 0.0;
                for (&v, &cv) in row.iter().zip(centre) {
                    let diff = v - cv;
                    e = M::madd(diff, diff, e);
                }
                part.inertia += w * e;
            }
        }
        r0 += ROWS;
    }
}

#[inline(always)]
fn nearest<M: Isa>(rows: [&[f64]; ROWS], c: &Packed) -> [u32; ROWS] {
    #[cfg(target_arch = "x86_64")]
    if M::AVX2 {
        // SAFETY: `M::AVX2` holds only in the build that runs on CPUs with AVX2 and FMA.
        return unsafe {
            if c.width == 4 {
                nearest_block_avx2::<1>(rows, c)
            } else {
                nearest_block_avx2::<2>(rows, c)
            }
        };
    }
    if c.width == 4 {
        nearest_block_portable::<4>(rows, c)
    } else {
        nearest_block_portable::<8>(rows, c)
    }
}

/// One parallel pass: labels every row, returns the merged partial statistics.
fn assign(p: Pass<'_>, labels: &mut [u32]) -> Partial {
    let (k, d) = (p.centres.k, p.centres.d);
    fold_rows_mut(
        labels,
        1,
        |rows, out| {
            let mut part = Partial::new(k, d, p.accumulate);
            assign_chunk(&p, rows, out, &mut part);
            part
        },
        Partial::merge,
    )
}

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

/// Greedy k-means++ on the centred data; returns centred centres (k × d).
fn kmeanspp(
    x: &[f64],
    offset: &[f64],
    w: Option<&[f64]>,
    n: usize,
    k: usize,
    rng: &mut Stream,
) -> Array2<f64> {
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
fn random_rows(
    x: &[f64],
    offset: &[f64],
    w: Option<&[f64]>,
    n: usize,
    k: usize,
    rng: &mut Stream,
) -> Array2<f64> {
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
#[allow(clippy::too_many_arguments)]
fn relocate_empty(
    x: &[f64],
    offset: &[f64],
    w: Option<&[f64]>,
    labels: &[u32],
    old: &Array2<f64>,
    sums: &mut [f64],
    weights: &mut [f64],
) {
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
    let mut order: Vec<usize> = (0..n).collect();
    let far = |a: &usize, b: &usize| dist[*b].total_cmp(&dist[*a]).then(a.cmp(b));
    let m = empty.len().min(n);
    if m < n {
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
fn lloyd(
    x: &[f64],
    offset: &[f64],
    w: Option<&[f64]>,
    mut centres: Array2<f64>,
    max_iter: usize,
    tol: f64,
) -> KMeansFit {
    let (k, d) = centres.dim();
    let n = x.len() / d;
    let mut labels = vec![u32::MAX; n];
    let mut n_iter = 0;
    for it in 0..max_iter {
        n_iter = it + 1;
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
        relocate_empty(
            x,
            offset,
            w,
            &labels,
            &centres,
            &mut part.sums,
            &mut part.weights,
        );
        let mut new = Array2::from_shape_vec((k, d), part.sums).expect("k × d");
        for (mut row, &wc) in new.outer_iter_mut().zip(&part.weights) {
            if wc > 0.0 {
                let alpha = 1.0 / wc;
                row.mapv_inplace(|v| v * alpha);
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
    let mut best: Option<KMeansFit> = None;
    for run in 0..n_init {
        let mut rng = Stream::new(p.seed, run as u64);
        let start = match &p.init {
            Init::KMeansPlusPlus => kmeanspp(x, mean, w, n, p.n_clusters, &mut rng),
            Init::Random => random_rows(x, mean, w, n, p.n_clusters, &mut rng),
            Init::Centers(c) => c - &ArrayView1::from(mean),
        };
        let fit = lloyd(x, mean, w, start, p.max_iter, tol);
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
mod tests {
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
}
