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

#[derive(Debug, Clone)]
pub struct RatingFit {
    /// One row per respondent: intercept, R², the part-worths of all levels of all attributes
    /// (the effects-coded coefficients are the part-worths of all but each attribute's last
    /// level), the attributes' importances (range shares in percent). One block (the accessors
    /// are views) so that a million respondents cost one allocation.
    pub per_respondent: Array2<f64>,
    pub n_levels: usize,
    pub pooled_coef: Array1<f64>,
    pub pooled_part_worths: Array1<f64>,
    pub pooled_r2: f64,
    /// Residual standard error of the stacked fit, √(SSE / (R·P − K)).
    pub pooled_sigma: f64,
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

/// Range of each attribute's part-worths as a percentage of the sum of ranges.
fn importances(pw: &[f64], levels: &[usize], out: &mut [f64]) {
    let mut o = 0;
    let mut total = 0.0;
    for (a, &l) in levels.iter().enumerate() {
        let s = &pw[o..o + l];
        let r = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
            - s.iter().cloned().fold(f64::INFINITY, f64::min);
        out[a] = r;
        total += r;
        o += l;
    }
    for v in out.iter_mut() {
        *v = if total > 0.0 {
            *v / total * 100.0
        } else {
            f64::NAN
        };
    }
}

/// What the per-respondent pass needs.
struct Rows<'a> {
    x: &'a [f64],
    g: &'a [f64],
    y: &'a [f64],
    p: usize,
    k: usize,
    levels: &'a [usize],
    n_levels: usize,
    width: usize,
}

impl Rows<'_> {
    /// Fits `rows` into `out` (one packed row each); returns the column sums of their ratings
    /// and the sum of squares. AVX2/FMA build when the CPU has it.
    fn fit(&self, rows: std::ops::Range<usize>, out: &mut [f64]) -> (Vec<f64>, f64) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                // SAFETY: the CPU supports AVX2 and FMA (checked above).
                return unsafe { self.fit_avx2(rows, out) };
            }
        }
        self.fit_impl(rows, out)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn fit_avx2(&self, rows: std::ops::Range<usize>, out: &mut [f64]) -> (Vec<f64>, f64) {
        self.fit_impl(rows, out)
    }

    #[inline(always)]
    fn fit_impl(&self, rows: std::ops::Range<usize>, out: &mut [f64]) -> (Vec<f64>, f64) {
        let (p, k, x) = (self.p, self.k, self.x);
        let mut sums = vec![0.0; p];
        let mut sq = 0.0;
        let mut coef = vec![0.0; k];
        for (i, o) in rows.zip(out.chunks_exact_mut(self.width)) {
            let yi = &self.y[i * p..(i + 1) * p];
            for (c, gi) in coef.iter_mut().zip(self.g.chunks_exact(p)) {
                *c = linalg::dot(gi, yi);
            }
            let mean = yi.iter().sum::<f64>() / p as f64;
            let (mut sse, mut sst) = (0.0, 0.0);
            for q in 0..p {
                let fitted = linalg::dot(&x[q * k..(q + 1) * k], &coef);
                sse += (yi[q] - fitted) * (yi[q] - fitted);
                sst += (yi[q] - mean) * (yi[q] - mean);
                sums[q] += yi[q];
                sq += yi[q] * yi[q];
            }
            o[0] = coef[0];
            o[1] = if sst > 0.0 { 1.0 - sse / sst } else { f64::NAN };
            let (pw, imp) = o[2..].split_at_mut(self.n_levels);
            expand(&coef[1..], self.levels, pw);
            importances(pw, self.levels, imp);
        }
        (sums, sq)
    }
}

/// Fits every respondent. `design`: profiles × (1 + Σ(L−1)), intercept column first; `ratings`:
/// respondents × profiles; `levels`: level count of each attribute; `names`: parameter names for
/// error messages.
pub fn fit(
    design: ArrayView2<f64>,
    ratings: ArrayView2<f64>,
    levels: &[usize],
    names: &[String],
) -> Result<RatingFit> {
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
    if let Some(pos) = ratings.iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid(
            "ratings",
            format!("respondent row {} holds NaN or an infinite value", pos / p),
        ));
    }
    let x: Vec<f64> = design.iter().cloned().collect();
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
    // G = (X'X)^-1 X', k × p.
    let mut g = vec![0.0; k * p];
    let mut col = vec![0.0; k];
    for q in 0..p {
        col.copy_from_slice(&x[q * k..(q + 1) * k]);
        linalg::cholesky_solve(&l, k, &mut col);
        for i in 0..k {
            g[i * p + q] = col[i];
        }
    }
    let n_levels: usize = levels.iter().sum();
    let n_attr = levels.len();
    let width = 2 + n_levels + n_attr;
    let mut packed = vec![0.0; r * width];
    let y = ratings.as_standard_layout();
    let y = y.as_slice().unwrap_or(&[]);
    // Partials: column sums of y and the sum of squares.
    let ctx = Rows {
        x: &x,
        g: &g,
        y,
        p,
        k,
        levels,
        n_levels,
        width,
    };
    let (col_sums, sum_sq) = fold_rows_mut(
        &mut packed,
        width,
        |rows, out| ctx.fit(rows, out),
        |(mut a, sa), (b, sb)| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
            (a, sa + sb)
        },
    );
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
    let cross: f64 = fbar.iter().zip(&col_sums).map(|(a, b)| a * b).sum();
    let norm: f64 = fbar.iter().map(|v| v * v).sum();
    let sse = (sum_sq - 2.0 * cross + r as f64 * norm).max(0.0);
    let total: f64 = col_sums.iter().sum();
    let n = (r * p) as f64;
    let sst = sum_sq - total * total / n;
    let mut pooled_pw = vec![0.0; n_levels];
    expand(&pooled_coef[1..], levels, &mut pooled_pw);
    let packed = Array2::from_shape_vec((r, width), packed)
        .map_err(|e| Error::invalid("ratings", e.to_string()))?;
    Ok(RatingFit {
        per_respondent: packed,
        n_levels,
        pooled_coef: Array1::from(pooled_coef),
        pooled_part_worths: Array1::from(pooled_pw),
        pooled_r2: if sst > 0.0 { 1.0 - sse / sst } else { f64::NAN },
        pooled_sigma: (sse / (n - k as f64)).sqrt(),
    })
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
        let f = fit(x.view(), ratings.view(), &levels, &names).unwrap();
        let want = array![1.0, -0.5, -0.5, 0.75, -0.75];
        assert!((&f.part_worths().row(0) - &want)
            .iter()
            .all(|v| v.abs() < 1e-12));
        assert!((f.r2()[0] - 1.0).abs() < 1e-12);
        // Importances: ranges 1.5 and 1.5.
        assert!((f.importance()[[0, 0]] - 50.0).abs() < 1e-12);
        // Pooled = mean of the two respondents = 1.5 × planted.
        assert!((f.pooled_part_worths[0] - 1.5).abs() < 1e-12);
        assert!((f.pooled_coef[0] - 7.5).abs() < 1e-12);
    }
}
