//! Classification: posterior probabilities from Fisher's classification functions, and
//! leave-one-out classification without refitting.
//!
//! Leaving row x of class c out changes only the class mean m_c and the within-group scatter:
//! m_c′ = (n_c m_c − x)/(n_c − 1), W′ = W − k u u′ with u = x − m_c, k = n_c/(n_c − 1). With
//! W = L L′, y = L⁻¹x, μ_h = L⁻¹m_h and a_h = ‖y − μ_h‖², Sherman–Morrison gives the Mahalanobis
//! distances under W′ in O(p² + g p) per row:
//! (x − m_h)′W′⁻¹(x − m_h) = a_h + k ((y − μ_c)·(y − μ_h))² / (1 − k a_c) for h ≠ c and
//! k² a_c / (1 − k a_c) for the own class; the pooled covariance is W′/(n − 1 − g). Priors are kept.

#![allow(clippy::needless_range_loop)]

use std::ops::Range;

use ndarray::{Array2, ArrayView1, ArrayView2};

use super::canonical::sub;
use super::ClassStats;
use crate::error::{Error, Result};
use crate::linalg;
use crate::parallel::fold_rows_mut;
use crate::simd::{dispatch_avx2, Isa};

fn rows_of<'a>(x: &'a ArrayView2<f64>, owned: &'a mut Option<Array2<f64>>) -> &'a [f64] {
    if let Some(s) = x.as_slice() {
        return s;
    }
    *owned = Some(x.as_standard_layout().to_owned());
    owned.as_ref().and_then(|a| a.as_slice()).unwrap_or(&[])
}

/// Classification function coefficients zero-padded to g rounded up to 8 columns (p × gp).
struct Coef {
    c: Vec<f64>,
    gp: usize,
}

fn padded_coef(coef: &Array2<f64>) -> Coef {
    let (p, g) = coef.dim();
    let gp = g.div_ceil(8) * 8;
    let mut c = vec![0.0; p * gp];
    for k in 0..p {
        for h in 0..g {
            c[k * gp + h] = coef[[k, h]];
        }
    }
    Coef { c, gp }
}

/// intercept + x′ coef for the rows `rows` of `xs` (p columns) into `out` (g per row), four
/// rows × eight classes at a time in registers.
#[inline(always)]
fn scores_imp<I: Isa>(
    xs: &[f64],
    p: usize,
    rows: Range<usize>,
    coef: &Coef,
    intercept: &[f64],
    out: &mut [f64],
) {
    let g = intercept.len();
    let gp = coef.gp;
    let (start, end) = (rows.start, rows.end);
    let mut i = start;
    while i < end {
        let r: [usize; 4] = [
            i,
            (i + 1).min(end - 1),
            (i + 2).min(end - 1),
            (i + 3).min(end - 1),
        ];
        for jb in (0..gp).step_by(8) {
            let mut acc = [[0.0f64; 8]; 4];
            for k in 0..p {
                let l = &coef.c[k * gp + jb..k * gp + jb + 8];
                let xa = [
                    xs[r[0] * p + k],
                    xs[r[1] * p + k],
                    xs[r[2] * p + k],
                    xs[r[3] * p + k],
                ];
                for a in 0..4 {
                    for b in 0..8 {
                        acc[a][b] = I::madd(xa[a], l[b], acc[a][b]);
                    }
                }
            }
            for a in 0..4.min(end - i) {
                let dst = &mut out[(i + a - start) * g..(i + a - start + 1) * g];
                for b in 0..8 {
                    let h = jb + b;
                    if h < g {
                        dst[h] = acc[a][b] + intercept[h];
                    }
                }
            }
        }
        i += 4;
    }
}

dispatch_avx2! {
    /// See [`scores_imp`].
    fn scores => generic scores_imp; (
        xs: &[f64], p: usize, rows: Range<usize>, coef: &Coef, intercept: &[f64], out: &mut [f64]
    ) -> ()
}

fn check(x: &ArrayView2<f64>, coef: &Array2<f64>, intercept: &[f64]) -> Result<()> {
    if coef.nrows() != x.ncols() || coef.ncols() != intercept.len() {
        return Err(Error::invalid(
            "X",
            format!(
                "has {} columns, the model {} (with {} classes)",
                x.ncols(),
                coef.nrows(),
                intercept.len()
            ),
        ));
    }
    Ok(())
}

/// Posterior probabilities (n × g) of the classes from the classification functions
/// `coef` (p × g) and `intercept` (g, with ln prior).
pub fn proba(x: ArrayView2<f64>, coef: &Array2<f64>, intercept: &[f64]) -> Result<Array2<f64>> {
    check(&x, coef, intercept)?;
    let (n, p) = x.dim();
    let g = intercept.len();
    let mut owned = None;
    let xs = rows_of(&x, &mut owned);
    let ct = padded_coef(coef);
    let mut out = crate::parallel::zeroed::<f64>(n * g);
    if n > 0 {
        fold_rows_mut(
            &mut out,
            g,
            |rows, o| {
                scores(xs, p, rows, &ct, intercept, o);
                for dst in o.chunks_exact_mut(g) {
                    let mx = dst.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let mut sum = 0.0;
                    for v in dst.iter_mut() {
                        *v = (*v - mx).exp();
                        sum += *v;
                    }
                    let inv = 1.0 / sum;
                    dst.iter_mut().for_each(|v| *v *= inv);
                }
            },
            |_, _| (),
        );
    }
    Array2::from_shape_vec((n, g), out).map_err(|e| Error::invalid("X", e.to_string()))
}

fn argmax(v: &[f64]) -> u32 {
    let mut best = 0;
    for (h, &s) in v.iter().enumerate() {
        if s > v[best] {
            best = h;
        }
    }
    best as u32
}

/// The class with the largest classification function value for each row.
pub fn predict(x: ArrayView2<f64>, coef: &Array2<f64>, intercept: &[f64]) -> Result<Vec<u32>> {
    check(&x, coef, intercept)?;
    let (n, p) = x.dim();
    let g = intercept.len();
    let mut owned = None;
    let xs = rows_of(&x, &mut owned);
    let ct = padded_coef(coef);
    let mut out = vec![0u32; n];
    if n > 0 {
        fold_rows_mut(
            &mut out,
            1,
            |rows, o| {
                let mut sc = vec![0.0; rows.len() * g];
                scores(xs, p, rows, &ct, intercept, &mut sc);
                for (dst, row) in o.iter_mut().zip(sc.chunks_exact(g)) {
                    *dst = argmax(row);
                }
            },
            |_, _| (),
        );
    }
    Ok(out)
}

/// What the leave-one-out kernel needs besides the rows.
struct Loo<'a> {
    xs: &'a [f64],
    p: usize,
    sel: &'a [usize],
    labels: &'a [u32],
    /// L⁻¹ transposed, zero-padded to sp × sp (sp = s rounded up to 8): row k holds L⁻¹[i, k]
    /// for i ≥ k at column i.
    lt: Vec<f64>,
    sp: usize,
    /// Class means on the selected variables, g × s.
    means: Vec<f64>,
    /// δ_ch = L⁻¹(m_c − m_h), g × g × s, and ‖δ_ch‖², g × g.
    delta: Vec<f64>,
    delta2: Vec<f64>,
    counts: &'a [u64],
    ln_prior: Vec<f64>,
    dfe: f64,
    g: usize,
}

/// Rows per sub-block of the leave-one-out kernel (a multiple of 4).
const SUB: usize = 64;

#[inline(always)]
fn loo_rows_imp<I: Isa>(ctx: &Loo<'_>, first: usize, out: &mut [u32]) {
    let s = ctx.sel.len();
    let sp = ctx.sp;
    let g = ctx.g;
    let mut xc = vec![0.0; SUB * sp];
    let mut u = vec![0.0; SUB * sp];
    let mut sc = vec![0.0; g];
    for (b, outb) in out.chunks_mut(SUB).enumerate() {
        let start = first + b * SUB;
        let m = outb.len();
        let m4 = m.div_ceil(4) * 4;
        xc.iter_mut().for_each(|v| *v = 0.0);
        for r in 0..m {
            let i = start + r;
            let row = &ctx.xs[i * ctx.p..(i + 1) * ctx.p];
            let c = ctx.labels[i] as usize;
            let mc = &ctx.means[c * s..(c + 1) * s];
            let dst = &mut xc[r * sp..r * sp + s];
            for t in 0..s {
                dst[t] = row[ctx.sel[t]] - mc[t];
            }
        }
        // U = Xc L⁻ᵀ in 4 × 8 register blocks; L⁻ᵀ is upper triangular (rows k ≤ column i).
        for rb in (0..m4).step_by(4) {
            for ib in (0..sp).step_by(8) {
                let mut acc = [[0.0f64; 8]; 4];
                for k in 0..(ib + 8).min(sp) {
                    let l = &ctx.lt[k * sp + ib..k * sp + ib + 8];
                    let xa = [
                        xc[rb * sp + k],
                        xc[(rb + 1) * sp + k],
                        xc[(rb + 2) * sp + k],
                        xc[(rb + 3) * sp + k],
                    ];
                    for a in 0..4 {
                        for bb in 0..8 {
                            acc[a][bb] = I::madd(xa[a], l[bb], acc[a][bb]);
                        }
                    }
                }
                for a in 0..4 {
                    u[(rb + a) * sp + ib..(rb + a) * sp + ib + 8].copy_from_slice(&acc[a]);
                }
            }
        }
        for (r, dst) in outb.iter_mut().enumerate() {
            let i = start + r;
            let c = ctx.labels[i] as usize;
            let u = &u[r * sp..r * sp + s];
            let uu = linalg::dot(u, u);
            let k = ctx.counts[c] as f64 / (ctx.counts[c] as f64 - 1.0);
            let denom = 1.0 - k * uu;
            for h in 0..g {
                let d = if h == c {
                    if denom <= 1e-12 {
                        f64::INFINITY
                    } else {
                        k * k * uu / denom
                    }
                } else {
                    let base = (c * g + h) * s;
                    let ud = linalg::dot(u, &ctx.delta[base..base + s]);
                    let a = uu + 2.0 * ud + ctx.delta2[c * g + h];
                    let dot = uu + ud;
                    if denom <= 1e-12 {
                        a
                    } else {
                        a + k * dot * dot / denom
                    }
                };
                sc[h] = ctx.ln_prior[h] - 0.5 * ctx.dfe * d;
            }
            *dst = argmax(&sc);
        }
    }
}

dispatch_avx2! {
    /// Leave-one-out classes of rows `first..first + out.len()`.
    fn loo_rows => generic loo_rows_imp; (ctx: &Loo<'_>, first: usize, out: &mut [u32]) -> ()
}

/// Leave-one-out classification of every row on the variables `sel` (see the module docs).
pub fn leave_one_out(
    x: ArrayView2<f64>,
    labels: ArrayView1<u32>,
    stats: &ClassStats,
    w: &Array2<f64>,
    sel: &[usize],
    priors: &[f64],
) -> Result<Vec<u32>> {
    let (n, p) = x.dim();
    let s = sel.len();
    let g = stats.counts.len();
    let l = linalg::cholesky(&sub(w, sel), s)
        .map_err(|_| Error::invalid("X", "the within-group scatter is singular"))?;
    let li = linalg::lower_inverse(&l, s);
    let sp = s.div_ceil(8) * 8;
    let mut lt = vec![0.0; sp * sp];
    for i in 0..s {
        for k in 0..=i {
            lt[k * sp + i] = li[i * s + k];
        }
    }
    let mut means = vec![0.0; g * s];
    for c in 0..g {
        for t in 0..s {
            means[c * s + t] = stats.means[[c, sel[t]]];
        }
    }
    let mut delta = vec![0.0; g * g * s];
    let mut delta2 = vec![0.0; g * g];
    for c in 0..g {
        for h in 0..g {
            let base = (c * g + h) * s;
            for i in 0..s {
                delta[base + i] = (0..=i)
                    .map(|k| li[i * s + k] * (means[c * s + k] - means[h * s + k]))
                    .sum();
            }
            delta2[c * g + h] = linalg::dot(&delta[base..base + s], &delta[base..base + s]);
        }
    }
    let mut owned = None;
    let xs = rows_of(&x, &mut owned);
    let labels = labels.to_vec();
    let ctx = Loo {
        xs,
        p,
        sel,
        labels: &labels,
        lt,
        sp,
        means,
        delta,
        delta2,
        counts: &stats.counts,
        ln_prior: priors.iter().map(|p| p.ln()).collect(),
        dfe: n as f64 - 1.0 - g as f64,
        g,
    };
    let mut out = vec![0u32; n];
    fold_rows_mut(
        &mut out,
        1,
        |rows, o| loo_rows(&ctx, rows.start, o),
        |_, _| (),
    );
    Ok(out)
}
