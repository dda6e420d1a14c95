//! Running posterior summaries of the respondents' draws, for fits that do not keep the draws
//! (`keep="summaries"`): per respondent and parameter the mean and the sum of squared deviations
//! by Welford's update, merged across chains exactly (Chan, Golub & LeVeque 1979), and the 5 %
//! and 95 % quantiles by the P² algorithm of Jain & Chlamtac (1985), five markers per quantile,
//! whose estimates are averaged over the chains.
//!
//! Values are the draws rounded to `f32`, as the kept draws are, so that the means equal those
//! of the kept draws up to the rounding of the sums.
//!
//! The state is kept lane by lane: entry `g * k + c` holds parameter c of the eight lanes of
//! group g (in the order the chain holds its respondents), so that one update of eight
//! respondents' estimators is a handful of vector operations with no branch on the data (the
//! P² update is mostly data-dependent branches and divisions, which in scalar code cost more
//! than the whole Metropolis step of a kept iteration). Blocks of groups update in parallel.

use rayon::prelude::*;

use crate::conjoint::lanes::{LANES, V};
use crate::simd::{dispatch_avx512, Isa};

/// The quantiles the P² markers track.
pub const QUANTILES: [f64; 2] = [0.05, 0.95];

/// Groups per parallel task of the update.
const GROUPS_PER_TASK: usize = 64;

/// The P² estimators of one quantile for eight lanes: the five marker heights (the first values,
/// sorted, until there are five) and the positions of the three middle markers (0-based; the
/// outer ones are 0 and count − 1).
///
/// The heights are stored in single precision, as the values are (the draws rounded to `f32`):
/// the update is computed in double precision and each new height rounded once (a relative
/// change below 6e-8, far inside the estimator's own error), which keeps the state of a large
/// panel small.
#[derive(Debug, Clone, Copy, Default)]
pub struct P2 {
    q: [[f32; LANES]; 5],
    n: [V; 3],
}

impl P2 {
    /// Adds the `count`-th value of every lane (1-based: `count` values including these;
    /// `x` exact in `f32`); `desired` is [`P2::desired`] of `count` and the quantile.
    ///
    /// Every lane computes what the scalar algorithm does, with the same operations in the same
    /// order (no fused multiply-add), so every build gives the same bits: a branch is a select,
    /// and a marker's adjustment is computed for all lanes when any lane needs it.
    #[inline(always)]
    fn push<M: Isa>(&mut self, x: V, count: usize, desired: &[f64; 3]) {
        if count <= 5 {
            // Insertion into the sorted first values.
            for (l, &xl) in x.iter().enumerate() {
                let xl = xl as f32;
                let mut i = count - 1;
                while i > 0 && self.q[i - 1][l] > xl {
                    self.q[i][l] = self.q[i - 1][l];
                    i -= 1;
                }
                self.q[i][l] = xl;
            }
            if count == 5 {
                self.n = [[1.0; LANES], [2.0; LANES], [3.0; LANES]];
            }
            return;
        }
        let (zero, one, minus_one) = ([0.0; LANES], [1.0; LANES], [-1.0; LANES]);
        let mut q = self.q.map(M::from_f32x8);
        // Markers 1..=3 above x move up by one (marker 4 is count − 1 implicitly), and the
        // extremes extend to x. (The markers are sorted, so "above x" is the cell search of the
        // algorithm.)
        for i in 1..=3 {
            self.n[i - 1] = M::select_lt8(x, q[i], M::add8(self.n[i - 1], one), self.n[i - 1]);
        }
        q[0] = M::min8(x, q[0]);
        q[4] = M::max8(x, q[4]);
        let mut n = [
            zero,
            self.n[0],
            self.n[1],
            self.n[2],
            [(count - 1) as f64; LANES],
        ];
        for i in 1..=3 {
            let d = M::sub8([desired[i - 1]; LANES], n[i]);
            // s = +1 where d ≥ 1 and the next marker is more than one position away, −1 where
            // d ≤ −1 and the previous one is, else 0 (d is never NaN).
            let room_up = M::select_lt8(one, M::sub8(n[i + 1], n[i]), one, zero);
            let up = M::select_lt8(d, one, zero, room_up);
            let room_down = M::select_lt8(M::sub8(n[i - 1], n[i]), minus_one, one, zero);
            let down = M::select_lt8(minus_one, d, zero, room_down);
            let s = M::sub8(up, down);
            if s.iter().all(|&v| v == 0.0) {
                continue;
            }
            let (qm, qi, qp) = (q[i - 1], q[i], q[i + 1]);
            let (nm, ni, np) = (n[i - 1], n[i], n[i + 1]);
            // q_i + s/(n₊ − n₋)·((n_i − n₋ + s)(q₊ − q_i)/(n₊ − n_i)
            //                    + (n₊ − n_i − s)(q_i − q₋)/(n_i − n₋)).
            let a = M::div8(
                M::mul8(M::add8(M::sub8(ni, nm), s), M::sub8(qp, qi)),
                M::sub8(np, ni),
            );
            let b = M::div8(
                M::mul8(M::sub8(M::sub8(np, ni), s), M::sub8(qi, qm)),
                M::sub8(ni, nm),
            );
            let parabolic = M::add8(qi, M::mul8(M::div8(s, M::sub8(np, nm)), M::add8(a, b)));
            // Else linear towards the neighbour on the side of s.
            let (qj, nj) = (
                M::select_lt8(zero, s, qp, qm),
                M::select_lt8(zero, s, np, nm),
            );
            let linear = M::add8(qi, M::div8(M::mul8(s, M::sub8(qj, qi)), M::sub8(nj, ni)));
            let inside = M::select_lt8(parabolic, qp, parabolic, linear);
            let height = M::from_f32x8(M::to_f32x8(M::select_lt8(qm, parabolic, inside, linear)));
            q[i] = M::select_lt8(zero, M::mul8(s, s), height, qi);
            n[i] = M::add8(ni, s);
        }
        // (Every height is a value or a rounded height: exact in single precision.)
        self.q = q.map(M::to_f32x8);
        self.n = [n[1], n[2], n[3]];
    }

    /// The desired positions of the three middle markers after `count` values, for the
    /// quantile `p`.
    #[inline]
    fn desired(count: usize, p: f64) -> [f64; 3] {
        let last = count.saturating_sub(1) as f64;
        [0.5 * p * last, p * last, 0.5 * (1.0 + p) * last]
    }

    /// Lane l's estimate after `count` values: the middle marker, or with fewer than five values
    /// the exact quantile (linear interpolation between order statistics, NumPy's default).
    pub fn estimate(&self, l: usize, count: usize, p: f64) -> f64 {
        match count {
            0 => f64::NAN,
            1..=4 => {
                let h = p * (count - 1) as f64;
                let lo = h.floor() as usize;
                let hi = (lo + 1).min(count - 1);
                let (a, b) = (f64::from(self.q[lo][l]), f64::from(self.q[hi][l]));
                a + (h - lo as f64) * (b - a)
            }
            _ => f64::from(self.q[2][l]),
        }
    }
}

dispatch_avx512! {
    /// Adds one draw (`tied`: a block's entries, `tied[j][l]`) to the block's summaries.
    fn push_block => generic push_impl;
        (tied: &[V], mean: &mut [V], m2: &mut [V], p2: &mut [[P2; 2]], count: usize) -> ()
}

/// Welford's update of the mean and Σ (x − mean)², and the P² estimators, of every entry of a
/// block, lanes in vector registers.
#[inline(always)]
fn push_impl<M: Isa>(tied: &[V], mean: &mut [V], m2: &mut [V], p2: &mut [[P2; 2]], count: usize) {
    let w = [1.0 / count as f64; LANES];
    let desired = QUANTILES.map(|p| P2::desired(count, p));
    for (((v, mean), m2), p2) in tied.iter().zip(mean).zip(m2).zip(p2) {
        let x = M::from_f32x8(M::to_f32x8(*v));
        let d = M::sub8(x, *mean);
        *mean = M::add8(*mean, M::mul8(d, w));
        *m2 = M::add8(*m2, M::mul8(d, M::sub8(x, *mean)));
        for (e, want) in p2.iter_mut().zip(&desired) {
            e.push::<M>(x, count, want);
        }
    }
}

/// The running summaries of one chain.
#[derive(Debug, Clone, Default)]
pub struct Summaries {
    /// Values added per entry.
    pub count: usize,
    /// Per entry (`g * k + c`, lane by lane): mean and Σ (x − mean)².
    pub mean: Vec<V>,
    pub m2: Vec<V>,
    /// Per entry, one estimator per quantile of [`QUANTILES`].
    pub p2: Vec<[P2; 2]>,
}

impl Summaries {
    /// The summaries of `n_groups` lane groups of `k` parameters.
    pub fn new(n_groups: usize, k: usize) -> Self {
        Summaries {
            count: 0,
            mean: vec![[0.0; LANES]; n_groups * k],
            m2: vec![[0.0; LANES]; n_groups * k],
            p2: vec![[P2::default(); 2]; n_groups * k],
        }
    }

    /// Bytes per slot (lane) and parameter.
    pub const BYTES: usize = (2 * std::mem::size_of::<V>() + 2 * std::mem::size_of::<P2>()) / LANES;

    /// Adds the draw `tied` (`tied[g * k + c][l]`: coefficient c of lane l of group g).
    pub fn push(&mut self, tied: &[V], k: usize) {
        self.count += 1;
        let count = self.count;
        let chunk = GROUPS_PER_TASK * k;
        self.mean
            .par_chunks_mut(chunk)
            .zip(self.m2.par_chunks_mut(chunk))
            .zip(self.p2.par_chunks_mut(chunk))
            .zip(tied.par_chunks(chunk))
            .for_each(|(((mean, m2), p2), tied)| push_block(tied, mean, m2, p2, count));
    }
}

/// The summaries of several chains merged, in respondent order (`position[i]` is respondent
/// i's slot): means, variances (over all chains' values, divided by count − 1) and each quantile
/// averaged over the chains; each n × k row-major.
pub fn merge(chains: &[&Summaries], position: &[usize], k: usize) -> [Vec<f64>; 4] {
    let n = position.len();
    let total: usize = chains.iter().map(|s| s.count).sum();
    let mut mean = vec![0.0; n * k];
    let mut var = vec![0.0; n * k];
    let mut q05 = vec![0.0; n * k];
    let mut q95 = vec![0.0; n * k];
    let m = chains.len().max(1) as f64;
    for (i, &slot) in position.iter().enumerate() {
        let (g, l) = (slot / LANES, slot % LANES);
        for c in 0..k {
            let j = g * k + c;
            let (mut sum, mut m2) = (0.0, 0.0);
            for s in chains {
                sum += s.count as f64 * s.mean[j][l];
            }
            let mu = if total > 0 {
                sum / total as f64
            } else {
                f64::NAN
            };
            for s in chains {
                let d = s.mean[j][l] - mu;
                m2 += s.m2[j][l] + s.count as f64 * d * d;
            }
            let o = i * k + c;
            mean[o] = mu;
            var[o] = if total > 1 {
                m2 / (total - 1) as f64
            } else {
                f64::NAN
            };
            q05[o] = chains
                .iter()
                .map(|s| s.p2[j][0].estimate(l, s.count, QUANTILES[0]))
                .sum::<f64>()
                / m;
            q95[o] = chains
                .iter()
                .map(|s| s.p2[j][1].estimate(l, s.count, QUANTILES[1]))
                .sum::<f64>()
                / m;
        }
    }
    [mean, var, q05, q95]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Stream;
    use crate::simd::Portable;

    /// P² on 20,000 normal draws per lane is within 0.03 of the exact quantiles ±1.645 in every
    /// lane (Jain & Chlamtac report errors of this order for a few thousand values).
    #[test]
    fn p2_tracks_normal_quantiles() {
        let mut st = Stream::new(9, 0);
        let mut e = [P2::default(); 2];
        let n = 20_000;
        for i in 1..=n {
            let x: V = std::array::from_fn(|_| f64::from(st.normal() as f32));
            for (est, &p) in e.iter_mut().zip(QUANTILES.iter()) {
                est.push::<Portable>(x, i, &P2::desired(i, p));
            }
        }
        for l in 0..LANES {
            assert!((e[0].estimate(l, n, 0.05) + 1.6449).abs() < 0.03);
            assert!((e[1].estimate(l, n, 0.95) - 1.6449).abs() < 0.03);
        }
    }

    /// Jain & Chlamtac's algorithm as the paper states it, for one value: find the cell k with
    /// q_k ≤ x < q_{k+1}, extend the extremes, increment the positions above the cell, adjust
    /// markers 2–4 by the piecewise-parabolic formula, else linearly (each new height rounded
    /// to single precision, as the estimators store them).
    fn paper(q: &mut [f64; 5], npos: &mut [f64; 5], x: f64, count: usize, p: f64) {
        let k = if x < q[0] {
            q[0] = x;
            0
        } else if x >= q[4] {
            q[4] = x;
            3
        } else {
            (0..4).find(|&k| q[k] <= x && x < q[k + 1]).unwrap()
        };
        for pos in npos.iter_mut().skip(k + 1) {
            *pos += 1.0;
        }
        let last = (count - 1) as f64;
        let want = [0.0, 0.5 * p * last, p * last, 0.5 * (1.0 + p) * last, last];
        for i in 1..=3 {
            let d = want[i] - npos[i];
            let up = d >= 1.0 && npos[i + 1] - npos[i] > 1.0;
            let down = d <= -1.0 && npos[i - 1] - npos[i] < -1.0;
            if up || down {
                let s = d.signum();
                let (nm, n0, np) = (npos[i - 1], npos[i], npos[i + 1]);
                let par = q[i]
                    + s / (np - nm)
                        * ((n0 - nm + s) * (q[i + 1] - q[i]) / (np - n0)
                            + (np - n0 - s) * (q[i] - q[i - 1]) / (n0 - nm));
                let h = if q[i - 1] < par && par < q[i + 1] {
                    par
                } else {
                    let j = if s > 0.0 { i + 1 } else { i - 1 };
                    q[i] + s * (q[j] - q[i]) / (npos[j] - n0)
                };
                q[i] = f64::from(h as f32);
                npos[i] += s;
            }
        }
    }

    /// The lanes' update equals the algorithm as published (`paper`), every lane on its own data
    /// (normal, heavy-tailed, three tied values, uniform, exponential, a trend, a constant,
    /// two values), value for value and bit for bit, in the portable build and (where the CPU
    /// has them) the AVX2 and AVX-512 builds.
    #[test]
    fn p2_equals_the_algorithm_as_published() {
        fn check<M: Isa>() {
            let mut st = Stream::new(11, 0);
            let n = 3_000;
            let mut draw = |l: usize, i: usize| -> f64 {
                let v = match l {
                    0 => st.normal(),
                    1 => st.normal() / st.uniform(),
                    2 => (3.0 * st.uniform()).floor(),
                    3 => st.uniform(),
                    4 => -st.uniform().ln(),
                    5 => i as f64 * 0.01 + st.normal(),
                    6 => 2.5,
                    _ => (st.uniform() < 0.3) as u8 as f64,
                };
                f64::from(v as f32)
            };
            let data: Vec<V> = (0..n)
                .map(|i| std::array::from_fn(|l| draw(l, i)))
                .collect();
            for &p in &QUANTILES {
                let mut e = P2::default();
                let mut want = [([0.0; 5], [0.0, 1.0, 2.0, 3.0, 4.0]); LANES];
                for (i, x) in data.iter().enumerate() {
                    let count = i + 1;
                    e.push::<M>(*x, count, &P2::desired(count, p));
                    if count < 5 {
                        continue;
                    }
                    for (l, (q, npos)) in want.iter_mut().enumerate() {
                        if count == 5 {
                            *q = std::array::from_fn(|m| f64::from(e.q[m][l]));
                        } else {
                            paper(q, npos, x[l], count, p);
                        }
                        let got: [f64; 5] = std::array::from_fn(|m| f64::from(e.q[m][l]));
                        assert_eq!(
                            got.map(f64::to_bits),
                            q.map(f64::to_bits),
                            "lane {l} {count}"
                        );
                        let pos = [e.n[0][l], e.n[1][l], e.n[2][l]];
                        assert_eq!(pos, [npos[1], npos[2], npos[3]], "lane {l} value {count}");
                    }
                }
            }
        }
        check::<Portable>();
        if crate::simd::has_avx2_fma() {
            check::<crate::simd::Avx2>();
        }
        if crate::simd::has_avx512() {
            check::<crate::simd::Avx512>();
        }
    }

    #[test]
    fn p2_is_exact_below_five_values() {
        let mut e = P2::default();
        for (i, x) in [3.0, 1.0, 2.0].into_iter().enumerate() {
            e.push::<Portable>([x; LANES], i + 1, &P2::desired(i + 1, 0.05));
        }
        // NumPy: np.quantile([1, 2, 3], 0.05) = 1.1
        assert!((e.estimate(4, 3, 0.05) - 1.1).abs() < 1e-12);
    }

    #[test]
    fn welford_merge_equals_pooled_moments() {
        let k = 1;
        let vals = [[1.0, 2.0, 4.0], [0.5, 0.25, 8.0]];
        let chains: Vec<Summaries> = vals
            .iter()
            .map(|v| {
                let mut s = Summaries::new(1, k);
                for &x in v {
                    s.push(&[[x; LANES]], k);
                }
                s
            })
            .collect();
        let refs: Vec<&Summaries> = chains.iter().collect();
        let [mean, var, _, _] = merge(&refs, &[0], k);
        let all: Vec<f64> = vals.iter().flatten().copied().collect();
        let mu = all.iter().sum::<f64>() / 6.0;
        let v = all.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>() / 5.0;
        assert!((mean[0] - mu).abs() < 1e-12 && (var[0] - v).abs() < 1e-12);
    }
}
