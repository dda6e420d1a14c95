//! Rating-based conjoint: one ordinary least-squares fit per respondent on the shared profile
//! design, all respondents in one pass.
//!
//! Every respondent rates the same profiles, so the fits share the design X (profiles × parameters,
//! intercept first, then effects-coded attributes): with G = (X′X)⁻¹X′ computed once, respondent
//! i's coefficients are G yᵢ. The pass also yields each respondent's R², full part-worths (the
//! omitted level is minus the sum of the others) and importances, and the sums that give the
//! pooled fit (all ratings stacked, as R `conjoint`'s `caUtilities`) without a second pass.

use ndarray::{Array1, Array2, ArrayView2};

use crate::error::{Error, Result};
use crate::linalg;
use crate::parallel::fold_rows_mut;
use crate::simd::dispatch_avx2;

#[derive(Debug, Clone)]
pub struct RatingFit {
    /// One row per respondent: intercept, R², the part-worths of all levels of all attributes
    /// (the effects-coded coefficients are the part-worths of all but each attribute's last
    /// level), the attributes' importances (range shares in percent). One block (the accessors
    /// are views) so that a million respondents cost one allocation.
    pub per_respondent: Array2<f64>,
    pub n_levels: usize,
    pub pooled: Pooled,
}

/// OLS on all ratings stacked (R `conjoint`'s `caUtilities`).
#[derive(Debug, Clone)]
pub struct Pooled {
    pub coef: Array1<f64>,
    pub part_worths: Array1<f64>,
    pub r2: f64,
    /// Residual standard error of the stacked fit, √(SSE / (R·P − K)).
    pub sigma: f64,
}

impl RatingFit {
    pub fn intercepts(&self) -> ndarray::ArrayView1<'_, f64> {
        self.per_respondent.column(0)
    }

    pub fn r2(&self) -> ndarray::ArrayView1<'_, f64> {
        self.per_respondent.column(1)
    }

    pub fn part_worths(&self) -> ArrayView2<'_, f64> {
        self.per_respondent
            .slice(ndarray::s![.., 2..2 + self.n_levels])
    }

    pub fn importance(&self) -> ArrayView2<'_, f64> {
        self.per_respondent
            .slice(ndarray::s![.., 2 + self.n_levels..])
    }
}

/// Expands effects-coded coefficients (without intercept) to every level: the last level of each
/// attribute is minus the sum of the others.
#[inline(always)]
fn expand(coef: &[f64], levels: &[usize], out: &mut [f64]) {
    let (mut c, mut o) = (0, 0);
    for &l in levels {
        let mut sum = 0.0;
        for v in 0..l - 1 {
            out[o + v] = coef[c + v];
            sum += coef[c + v];
        }
        out[o + l - 1] = -sum;
        c += l - 1;
        o += l;
    }
}

/// What the per-respondent pass needs.
struct Rows<'a> {
    /// X′ (k × p) and G′ = ((X′X)⁻¹X′)′ (p × k), row-major.
    xt: &'a [f64],
    gt: &'a [f64],
    /// Ratings, respondents × profiles, row-major or (`column_major`) profiles × respondents.
    y: &'a [f64],
    column_major: bool,
    r: usize,
    p: usize,
    k: usize,
    levels: &'a [usize],
    n_levels: usize,
    width: usize,
}

dispatch_avx2! {
    /// Fits `rows` into `out` (one packed row each); returns the column sums of their ratings
    /// and the sum of squares. AVX2/FMA build when the CPU has it.
    fn fit_rows => Rows::fit_impl; (
        ctx: &Rows,
        rows: std::ops::Range<usize>,
        out: &mut [f64],
    ) -> (Vec<f64>, f64)
}

impl Rows<'_> {
    #[inline(always)]
    fn fit_impl(ctx: &Self, rows: std::ops::Range<usize>, out: &mut [f64]) -> (Vec<f64>, f64) {
        const BLOCK: usize = 64;
        let (p, k) = (ctx.p, ctx.k);
        let mut sums = vec![0.0; p];
        let mut sq = 0.0;
        let mut yt = vec![0.0; p * BLOCK];
        let mut coef = vec![0.0; k * BLOCK];
        let (mut mean, mut sse, mut sst, mut fitted) = (
            vec![0.0; BLOCK],
            vec![0.0; BLOCK],
            vec![0.0; BLOCK],
            vec![0.0; BLOCK],
        );
        let mut outc = vec![0.0; ctx.width * BLOCK];
        let mut start = rows.start;
        for out_block in out.chunks_mut(BLOCK * ctx.width) {
            let m = out_block.len() / ctx.width;
            for q in 0..p {
                let col = &mut yt[q * BLOCK..q * BLOCK + m];
                if ctx.column_major {
                    // Respondents are contiguous within a profile's column: a plain copy.
                    col.copy_from_slice(&ctx.y[q * ctx.r + start..q * ctx.r + start + m]);
                } else {
                    let ys = &ctx.y[start * p..(start + m) * p];
                    for (i, v) in col.iter_mut().enumerate() {
                        *v = ys[i * p + q];
                    }
                }
            }
            start += m;
            for c in 0..k {
                let cc = &mut coef[c * BLOCK..c * BLOCK + m];
                cc.iter_mut().for_each(|a| *a = 0.0);
                for q in 0..p {
                    let g = ctx.gt[q * k + c];
                    let yq = &yt[q * BLOCK..q * BLOCK + m];
                    cc.iter_mut().zip(yq).for_each(|(a, y)| *a += g * y);
                }
            }
            let (mean, sse, sst, fitted) = (
                &mut mean[..m],
                &mut sse[..m],
                &mut sst[..m],
                &mut fitted[..m],
            );
            mean.iter_mut().for_each(|a| *a = 0.0);
            for (q, s) in sums.iter_mut().enumerate() {
                let yq = &yt[q * BLOCK..q * BLOCK + m];
                mean.iter_mut().zip(yq).for_each(|(a, y)| *a += y);
                *s += yq.iter().sum::<f64>();
                sq += yq.iter().map(|y| y * y).sum::<f64>();
            }
            mean.iter_mut().for_each(|a| *a /= p as f64);
            sse.iter_mut().for_each(|a| *a = 0.0);
            sst.iter_mut().for_each(|a| *a = 0.0);
            for q in 0..p {
                fitted.iter_mut().for_each(|f| *f = 0.0);
                for c in 0..k {
                    let xv = ctx.xt[c * p + q];
                    let cc = &coef[c * BLOCK..c * BLOCK + m];
                    fitted.iter_mut().zip(cc).for_each(|(f, b)| *f += xv * b);
                }
                let yq = &yt[q * BLOCK..q * BLOCK + m];
                for i in 0..m {
                    let (e, d) = (yq[i] - fitted[i], yq[i] - mean[i]);
                    sse[i] += e * e;
                    sst[i] += d * d;
                }
            }
            // The block's output columns (respondents along the vectors): intercept, R²,
            // every level's part-worth, importances; then one pass writes the rows.
            let width = ctx.width;
            let cols = &mut outc[..width * BLOCK];
            cols[..m].copy_from_slice(&coef[..m]);
            for i in 0..m {
                cols[BLOCK + i] = if sst[i] > 0.0 {
                    1.0 - sse[i] / sst[i]
                } else {
                    f64::NAN
                };
            }
            let (mut c, mut o) = (1, 2);
            let n_lv = ctx.n_levels;
            let mut total = [0.0f64; BLOCK];
            for (a, &l) in ctx.levels.iter().enumerate() {
                let (mut hi, mut lo) = ([f64::NEG_INFINITY; BLOCK], [f64::INFINITY; BLOCK]);
                let mut last = [0.0f64; BLOCK];
                for v in 0..l {
                    let dst = (o + v) * BLOCK;
                    if v + 1 < l {
                        let src = &coef[(c + v) * BLOCK..(c + v) * BLOCK + m];
                        cols[dst..dst + m].copy_from_slice(src);
                        for i in 0..m {
                            last[i] -= src[i];
                        }
                    } else {
                        cols[dst..dst + m].copy_from_slice(&last[..m]);
                    }
                    for i in 0..m {
                        let x = cols[dst + i];
                        hi[i] = if x > hi[i] { x } else { hi[i] };
                        lo[i] = if x < lo[i] { x } else { lo[i] };
                    }
                }
                let dst = (2 + n_lv + a) * BLOCK;
                for i in 0..m {
                    cols[dst + i] = hi[i] - lo[i];
                    total[i] += hi[i] - lo[i];
                }
                c += l - 1;
                o += l;
            }
            for a in 0..ctx.levels.len() {
                let dst = (2 + n_lv + a) * BLOCK;
                for i in 0..m {
                    cols[dst + i] = if total[i] > 0.0 {
                        cols[dst + i] / total[i] * 100.0
                    } else {
                        f64::NAN
                    };
                }
            }
            for (i, row) in out_block.chunks_exact_mut(width).enumerate() {
                for (j, v) in row.iter_mut().enumerate() {
                    *v = cols[j * BLOCK + i];
                }
            }
        }
        (sums, sq)
    }
}

/// Fits every respondent. `design`: profiles × (1 + Σ(L−1)), intercept column first; `ratings`:
/// respondents × profiles; `levels`: level count of each attribute; `names`: parameter names for
/// error messages.
pub fn fit_rating(
    design: ArrayView2<f64>,
    ratings: ArrayView2<f64>,
    levels: &[usize],
    names: &[String],
) -> Result<RatingFit> {
    let width = 2 + levels.iter().sum::<usize>() + levels.len();
    let mut block = vec![0.0; ratings.nrows() * width];
    let pooled = fit_rating_into(design, ratings, levels, names, &mut block)?;
    let per_respondent = Array2::from_shape_vec((ratings.nrows(), width), block)
        .map_err(|e| Error::invalid("ratings", e.to_string()))?;
    Ok(RatingFit {
        per_respondent,
        n_levels: levels.iter().sum(),
        pooled,
    })
}

/// G = (X′X)⁻¹ X′ (k × p) of the row-major design `x` (p × k); a parameter the profiles do not
/// identify is named.
fn hat_matrix(x: &[f64], k: usize, p: usize, names: &[String]) -> Result<Vec<f64>> {
    let mut xtx = vec![0.0; k * k];
    for row in x.chunks_exact(k) {
        for i in 0..k {
            for j in 0..k {
                xtx[i * k + j] += row[i] * row[j];
            }
        }
    }
    let l = linalg::cholesky(&xtx, k).map_err(|j| {
        Error::invalid(
            names
                .get(j)
                .cloned()
                .unwrap_or_else(|| format!("parameter {j}")),
            "is not identified by the profiles (its level never varies independently)",
        )
    })?;
    let mut g = vec![0.0; k * p];
    let mut col = vec![0.0; k];
    for q in 0..p {
        col.copy_from_slice(&x[q * k..(q + 1) * k]);
        linalg::cholesky_solve(&l, k, &mut col);
        for i in 0..k {
            g[i * p + q] = col[i];
        }
    }
    Ok(g)
}

/// The pooled model (one set of part-worths for all `r` respondents) from the column sums of
/// the ratings and their sum of squares.
fn pooled(
    x: &[f64],
    g: &[f64],
    levels: &[usize],
    (col_sums, sum_sq): (&[f64], f64),
    r: usize,
) -> Pooled {
    let (p, k) = (col_sums.len(), g.len() / col_sums.len());
    let n_levels: usize = levels.iter().sum();
    let mean: Vec<f64> = col_sums.iter().map(|s| s / r as f64).collect();
    let pooled_coef: Vec<f64> = g
        .chunks_exact(p)
        .map(|gi| gi.iter().zip(&mean).map(|(a, b)| a * b).sum())
        .collect();
    let fbar: Vec<f64> = (0..p)
        .map(|q| {
            x[q * k..(q + 1) * k]
                .iter()
                .zip(&pooled_coef)
                .map(|(a, b)| a * b)
                .sum()
        })
        .collect();
    let cross: f64 = fbar.iter().zip(col_sums).map(|(a, b)| a * b).sum();
    let norm: f64 = fbar.iter().map(|v| v * v).sum();
    let sse = (sum_sq - 2.0 * cross + r as f64 * norm).max(0.0);
    let total: f64 = col_sums.iter().sum();
    let n = (r * p) as f64;
    let sst = sum_sq - total * total / n;
    let mut pooled_pw = vec![0.0; n_levels];
    expand(&pooled_coef[1..], levels, &mut pooled_pw);
    Pooled {
        coef: Array1::from(pooled_coef),
        part_worths: Array1::from(pooled_pw),
        r2: if sst > 0.0 { 1.0 - sse / sst } else { f64::NAN },
        sigma: (sse / (n - k as f64)).sqrt(),
    }
}

/// The width of a respondent's row in the per-respondent block of [`fit_rating_into`].
pub fn block_width(levels: &[usize]) -> usize {
    2 + levels.iter().sum::<usize>() + levels.len()
}

/// As [`fit_rating`], writing the per-respondent block (respondents × [`block_width`], layout as in
/// [`RatingFit::per_respondent`]) into `out`, which the caller allocates (e.g. as a NumPy array,
/// whose allocator asks for huge pages: a million respondents' results then cost a few page
/// faults instead of thousands). Returns the pooled fit.
pub fn fit_rating_into(
    design: ArrayView2<f64>,
    ratings: ArrayView2<f64>,
    levels: &[usize],
    names: &[String],
    out: &mut [f64],
) -> Result<Pooled> {
    let (p, k) = design.dim();
    let r = ratings.nrows();
    if levels.iter().any(|&l| l < 2) || 1 + levels.iter().map(|l| l - 1).sum::<usize>() != k {
        return Err(Error::invalid(
            "levels",
            "do not match the design's columns",
        ));
    }
    if ratings.ncols() != p {
        return Err(Error::invalid(
            "ratings",
            format!("have {} columns for {p} profiles", ratings.ncols()),
        ));
    }
    if r == 0 {
        return Err(Error::invalid("ratings", "have no respondents"));
    }
    if p <= k {
        return Err(Error::invalid(
            "profiles",
            format!("{p} profiles cannot estimate {k} parameters with residual degrees of freedom"),
        ));
    }
    let x: Vec<f64> = design.iter().cloned().collect();
    let g = hat_matrix(&x, k, p, names)?;
    let n_levels: usize = levels.iter().sum();
    let n_attr = levels.len();
    let width = 2 + n_levels + n_attr;
    if out.len() != r * width {
        return Err(Error::invalid("out", format!("needs {} values", r * width)));
    }
    let packed = out;
    // Ratings as they come: row-major, or column-major (a pandas frame's float block) read
    // column by column without a transposing copy.
    let column_major = !ratings.is_standard_layout() && ratings.t().is_standard_layout();
    let owned;
    let y: &[f64] = if column_major {
        ratings.t().to_slice().unwrap_or(&[])
    } else {
        owned = ratings.as_standard_layout();
        owned.as_slice().unwrap_or(&[])
    };
    // Checked in memory order (fast for either layout).
    if let Some(pos) = y.iter().position(|v| !v.is_finite()) {
        let row = if column_major { pos % r } else { pos / p };
        return Err(Error::invalid(
            "ratings",
            format!("respondent row {row} holds NaN or an infinite value"),
        ));
    }
    // Partials: column sums of y and the sum of squares.
    let xt: Vec<f64> = (0..k * p).map(|j| x[(j % p) * k + j / p]).collect();
    let gt: Vec<f64> = (0..p * k).map(|j| g[(j % k) * p + j / k]).collect();
    let ctx = Rows {
        xt: &xt,
        gt: &gt,
        y,
        column_major,
        r,
        p,
        k,
        levels,
        n_levels,
        width,
    };
    let (col_sums, sum_sq) = fold_rows_mut(
        packed,
        width,
        |rows, out| fit_rows(&ctx, rows, out),
        |(mut a, sa), (b, sb)| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
            (a, sa + sb)
        },
    );
    Ok(pooled(&x, &g, levels, (&col_sums, sum_sq), r))
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Two attributes (3 and 2 levels), full factorial, a respondent whose ratings are exactly
    /// additive: the fit reproduces the planted part-worths with R² = 1.
    #[test]
    fn exact_additive_ratings_are_recovered() {
        let levels = [3, 2];
        let pw_a = [1.0, -0.5, -0.5];
        let pw_b = [0.75, -0.75];
        let mut design = Vec::new();
        let mut y = Vec::new();
        for a in 0..3 {
            for b in 0..2 {
                let ea: [f64; 2] = match a {
                    0 => [1.0, 0.0],
                    1 => [0.0, 1.0],
                    _ => [-1.0, -1.0],
                };
                let eb = if b == 0 { 1.0 } else { -1.0 };
                design.extend([1.0, ea[0], ea[1], eb]);
                y.push(5.0 + pw_a[a] + pw_b[b]);
            }
        }
        let x = Array2::from_shape_vec((6, 4), design).unwrap();
        let mut ratings = Array2::from_shape_vec((1, 6), y.clone()).unwrap();
        ratings
            .push_row(ndarray::ArrayView1::from(
                &y.iter().map(|v| v * 2.0).collect::<Vec<_>>(),
            ))
            .unwrap();
        let names: Vec<String> = ["(Intercept)", "a[0]", "a[1]", "b[0]"]
            .map(String::from)
            .to_vec();
        let f = fit_rating(x.view(), ratings.view(), &levels, &names).unwrap();
        let want = array![1.0, -0.5, -0.5, 0.75, -0.75];
        assert!((&f.part_worths().row(0) - &want)
            .iter()
            .all(|v| v.abs() < 1e-12));
        assert!((f.r2()[0] - 1.0).abs() < 1e-12);
        // Importances: ranges 1.5 and 1.5.
        assert!((f.importance()[[0, 0]] - 50.0).abs() < 1e-12);
        // The same ratings stored column-major give the same fit.
        let fortran = ratings
            .t()
            .as_standard_layout()
            .into_owned()
            .reversed_axes();
        assert!(!fortran.is_standard_layout());
        let g = fit_rating(x.view(), fortran.view(), &levels, &names).unwrap();
        assert_eq!(g.per_respondent, f.per_respondent);
        // Pooled = mean of the two respondents = 1.5 × planted.
        assert!((f.pooled.part_worths[0] - 1.5).abs() < 1e-12);
        assert!((f.pooled.coef[0] - 7.5).abs() < 1e-12);
    }
}
