//! The upper level of the hierarchical model, drawn by Gibbs from each chain's own stream after
//! the Metropolis step: Δ | β, D (a flat-prior multivariate regression), D | β, Δ (inverse
//! Wishart), then ρ's adaptation during burn-in and the record of the iteration.

use super::{metropolis, shift};
use super::{Chain, HbData, HbParams};
use crate::conjoint::lanes::LANES;
use crate::linalg;
use crate::random::Stream;

/// The constants of the upper level.
pub(super) struct Upper<'a> {
    pub s0: &'a [f64],
    pub nu0: f64,
    pub ztz: &'a [f64],
    pub ztz_chol: &'a [f64],
    /// The constant covariate the translation move shifts (None: no move).
    pub shift_col: Option<(usize, f64)>,
}

/// One iteration of a chain.
pub(super) fn step(chain: &mut Chain, data: &HbData, params: &HbParams, upper: &Upper) {
    let (k, n) = (data.k, data.n_respondents());
    // 1. Metropolis step for every respondent, in blocks of groups of respondents, each block
    // summing what the upper level needs; the blocks' sums added in block order.
    let total = metropolis::sweep(chain, data, &params.constraints);
    let (head, rest) = total.split_at(2);
    let (rr, zr) = rest.split_at(k * k);
    let acceptance = head[0] / n as f64;
    let mut total_ll = head[1];
    // 2. Δ | β, D.
    let g = draw_delta(chain, upper, zr, k);
    // 3. D | β, Δ.
    draw_d(chain, upper, (rr, zr, &g), n, k);
    // 4. The affine move of every β_i with α and D.
    if let Some(col) = upper.shift_col {
        let b = params.burn_in;
        if b >= 8 && (chain.iter == b / 2 || chain.iter == b - b / 4) {
            shift::estimate_shape(chain, data, params, upper);
        }
        if let Some(diff) = shift::affine(chain, data, params, upper, col) {
            total_ll += diff;
            if chain.iter >= params.burn_in {
                chain.shift_accepted += 1;
            }
        }
    }
    // 5. Adapt ρ during burn-in.
    adapt_rho(chain, params, acceptance);
    // 6. Record.
    record(chain, data, params, total_ll, acceptance);
}

/// Δ | β, D: Δ̂ = (Z′Z)⁻¹ Z′B = Δ + (Z′Z)⁻¹ Z′R, then Δ̂ + C⁻ᵀ E L′ with Z′Z = C C′, D = L L′.
/// Moves the chain's Δ and returns the move G = Δ_new − Δ (q × k).
fn draw_delta(chain: &mut Chain, upper: &Upper, zr: &[f64], k: usize) -> Vec<f64> {
    let ztz_chol = upper.ztz_chol;
    let q = zr.len() / k;
    let l = &chain.chol_d;
    let mut shift = vec![0.0; q * k];
    let mut col = vec![0.0; q];
    for j in 0..k {
        for a in 0..q {
            col[a] = zr[a * k + j];
        }
        linalg::cholesky_solve(ztz_chol, q, &mut col);
        for a in 0..q {
            shift[a * k + j] = col[a];
        }
    }
    // E L′ (q × k), then C⁻ᵀ on the left (back substitution with C′, column by column).
    let mut el = vec![0.0; q * k];
    let mut e = vec![0.0; k];
    for a in 0..q {
        for v in e.iter_mut() {
            *v = chain.upper.normal();
        }
        for j in 0..k {
            // (E L′)_{aj} = Σ_p E_{ap} L_{jp}
            el[a * k + j] = (0..=j).map(|p| e[p] * l[j * k + p]).sum();
        }
    }
    for j in 0..k {
        for a in (0..q).rev() {
            let mut v = el[a * k + j];
            for b in a + 1..q {
                v -= ztz_chol[b * q + a] * el[b * k + j];
            }
            el[a * k + j] = v / ztz_chol[a * q + a];
        }
    }
    let g: Vec<f64> = shift.iter().zip(&el).map(|(s, e)| s + e).collect();
    chain.delta.iter_mut().zip(&g).for_each(|(d, g)| *d += g);
    g
}

/// D | β, Δ ~ IW(ν₀ + N, S₀ + Σ (β_i − Δ′z_i)(β_i − Δ′z_i)′), the sum being
/// Σ (r_i − G′z_i)(…)′ = R′R − R′Z G − G′Z′R + G′Z′Z G (R′R = `rr`, Z′R = `zr`, G the move of
/// Δ). A draw that is not positive definite in floating point leaves D as it was.
fn draw_d(
    chain: &mut Chain,
    upper: &Upper,
    (rr, zr, g): (&[f64], &[f64], &[f64]),
    n: usize,
    k: usize,
) {
    let q = zr.len() / k;
    let mut zg = vec![0.0; q * k]; // Z′Z G
    for a in 0..q {
        for j in 0..k {
            zg[a * k + j] = (0..q).map(|b| upper.ztz[a * q + b] * g[b * k + j]).sum();
        }
    }
    let mut s = upper.s0.to_vec();
    for a in 0..k {
        for b in 0..=a {
            let mut v = rr[a * k + b];
            for c in 0..q {
                v += -zr[c * k + a] * g[c * k + b] - g[c * k + a] * zr[c * k + b]
                    + g[c * k + a] * zg[c * k + b];
            }
            s[a * k + b] += v;
            if a != b {
                s[b * k + a] += v;
            }
        }
    }
    let nu = upper.nu0 + n as f64;
    if let Some(d) = inverse_wishart(&mut chain.upper, nu, &s, k) {
        if let Ok(ld) = linalg::cholesky(&d, k) {
            chain.d = d;
            chain.chol_d = ld;
        }
    }
}

/// During burn-in ρ grows by 10 % when more than 30 % of the respondents accepted and shrinks
/// by 10 % otherwise. The rule makes ρ oscillate around the value that gives 30 % acceptance; it
/// is frozen at the geometric mean of its last `window` burn-in values rather than wherever the
/// last step left it (which alone can put acceptance anywhere in 25–40 %).
fn adapt_rho(chain: &mut Chain, params: &HbParams, acceptance: f64) {
    if chain.iter < params.burn_in {
        chain.rho *= if acceptance > 0.3 { 1.1 } else { 0.9 };
        let window = (params.burn_in / 10).clamp(1, 200);
        if chain.iter + window >= params.burn_in {
            chain.log_rho.0 += chain.rho.ln();
            chain.log_rho.1 += 1;
        }
        if chain.iter + 1 == params.burn_in {
            chain.rho = (chain.log_rho.0 / chain.log_rho.1 as f64).exp();
        }
    }
}

/// The iteration's monitors, and after burn-in every `thin`-th iteration's draws.
fn record(chain: &mut Chain, data: &HbData, params: &HbParams, total_ll: f64, acceptance: f64) {
    let k = data.k;
    chain.trace.loglik.push(total_ll);
    chain.trace.acceptance.push(acceptance);
    chain.trace.rho.push(chain.rho);
    chain
        .trace
        .avg_variance
        .push((0..k).map(|j| chain.d[j * k + j]).sum::<f64>() / k as f64);
    chain.iter += 1;
    if chain.iter > params.burn_in && (chain.iter - params.burn_in).is_multiple_of(params.thin) {
        let lanes = &data.lanes;
        // (Without constraints the tied copy is `beta` itself.)
        let tied: &[_] = if chain.tied.is_empty() {
            &chain.beta
        } else {
            &chain.tied
        };
        let tied_of = |p: usize| {
            let (g, l) = (p / LANES, p % LANES);
            tied[g * k..(g + 1) * k].iter().map(move |c| c[l] as f32)
        };
        if params.draws_every > 0 && chain.n_kept.is_multiple_of(params.draws_every) {
            chain
                .draws
                .extend(lanes.position.iter().flat_map(|&p| tied_of(p)));
        }
        chain.tracked_draws.extend(
            params
                .tracked
                .iter()
                .flat_map(|&i| tied_of(lanes.position[i])),
        );
        if let Some(s) = chain.summaries.as_mut() {
            s.push(tied, k);
        }
        chain.delta_draws.extend_from_slice(&chain.delta);
        chain
            .d_sum
            .iter_mut()
            .zip(&chain.d)
            .for_each(|(a, b)| *a += b);
        chain.n_kept += 1;
    }
}

/// A draw from the inverse-Wishart IW(ν, S): with S = L L′ and the Bartlett factor A of a
/// standard Wishart(ν, I), D = L A⁻ᵀ A⁻¹ L′.
pub(super) fn inverse_wishart(
    stream: &mut Stream,
    nu: f64,
    s: &[f64],
    k: usize,
) -> Option<Vec<f64>> {
    let l = linalg::cholesky(s, k).ok()?;
    let mut a = vec![0.0; k * k];
    for i in 0..k {
        a[i * k + i] = stream.chi_square(nu - i as f64).sqrt();
        for j in 0..i {
            a[i * k + j] = stream.normal();
        }
    }
    let ai = linalg::lower_inverse(&a, k);
    // R = A⁻¹ L′ (k × k); D = R′R.
    let mut r = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            // (A⁻¹ L′)_{ij} = Σ_p A⁻¹_{ip} L_{jp}, p ≤ min(i, j)
            r[i * k + j] = (0..=i.min(j)).map(|p| ai[i * k + p] * l[j * k + p]).sum();
        }
    }
    let mut d = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let v: f64 = (0..k).map(|p| r[p * k + i] * r[p * k + j]).sum();
            d[i * k + j] = v;
            d[j * k + i] = v;
        }
    }
    Some(d)
}
