//! Running posterior summaries of the respondents' draws, for fits that do not keep the draws
//! (`keep="summaries"`): per respondent and parameter the mean and the sum of squared deviations
//! by Welford's update, merged across chains exactly (Chan, Golub & LeVeque 1979), and the 5 %
//! and 95 % quantiles by the P² algorithm of Jain & Chlamtac (1985), five markers per quantile,
//! whose estimates are averaged over the chains.
//!
//! Values are the draws rounded to `f32`, as the kept draws are, so that the means equal those
//! of the kept draws up to the rounding of the sums.
//!
//! The state is kept lane by lane (slot `g * LANES + l`, then the parameter), in the order the
//! chain holds its respondents, and is updated in parallel over blocks of groups.

use rayon::prelude::*;

use crate::conjoint::lanes::{LANES, V};

/// The quantiles the P² markers track.
pub const QUANTILES: [f64; 2] = [0.05, 0.95];

/// Groups per parallel task of the update.
const GROUPS_PER_TASK: usize = 64;

/// One P² estimator: the five marker heights (the first values, sorted, until there are five)
/// and the positions of the three middle markers (0-based; the outer ones are 0 and count − 1).
///
/// The heights are stored in single precision, as the values are (the draws rounded to `f32`):
/// the update is computed in double precision and each new height rounded once (a relative
/// change below 6e-8, far inside the estimator's own error). The state of a large panel is
/// read and written whole at every kept draw, and 32 bytes per estimator instead of 56 is what
/// that pass costs.
#[derive(Debug, Clone, Copy, Default)]
pub struct P2 {
    q: [f32; 5],
    n: [u32; 3],
}

impl P2 {
    /// Adds the `count`-th value (1-based: `count` values including this one); `desired` is
    /// [`P2::desired`] of `count` and `p` (the same for every estimator of one push).
    #[inline]
    fn push(&mut self, x: f32, count: usize, desired: &[f64; 3]) {
        if count <= 5 {
            // Insertion into the sorted first values.
            let m = count - 1;
            let mut i = m;
            while i > 0 && self.q[i - 1] > x {
                self.q[i] = self.q[i - 1];
                i -= 1;
            }
            self.q[i] = x;
            if count == 5 {
                self.n = [1, 2, 3];
            }
            return;
        }
        let x = f64::from(x);
        let mut q = self.q.map(f64::from);
        // Markers 1..=3 above x move up by one (marker 4 is count − 1 implicitly) and the
        // extremes extend to x: comparisons that add rather than branches, as x falls in a
        // cell at random. (The markers are sorted, so "above x" is the cell search of the
        // algorithm.)
        for i in 1..=3 {
            self.n[i - 1] += u32::from(x < q[i]);
        }
        if x < q[0] {
            q[0] = x;
        }
        if x > q[4] {
            q[4] = x;
        }
        let last = (count - 1) as f64;
        let mut n = [0.0; 5];
        n[1] = self.n[0] as f64;
        n[2] = self.n[1] as f64;
        n[3] = self.n[2] as f64;
        n[4] = last;
        for i in 1..=3 {
            let d = desired[i - 1] - n[i];
            if (d >= 1.0 && n[i + 1] - n[i] > 1.0) || (d <= -1.0 && n[i - 1] - n[i] < -1.0) {
                let s = d.signum();
                let parabolic = q[i]
                    + s / (n[i + 1] - n[i - 1])
                        * ((n[i] - n[i - 1] + s) * (q[i + 1] - q[i]) / (n[i + 1] - n[i])
                            + (n[i + 1] - n[i] - s) * (q[i] - q[i - 1]) / (n[i] - n[i - 1]));
                let height = if q[i - 1] < parabolic && parabolic < q[i + 1] {
                    parabolic
                } else {
                    let j = if s > 0.0 { i + 1 } else { i - 1 };
                    q[i] + s * (q[j] - q[i]) / (n[j] - n[i])
                };
                q[i] = f64::from(height as f32);
                n[i] += s;
                self.n[i - 1] = n[i] as u32;
            }
        }
        self.q = q.map(|v| v as f32);
    }

    /// The desired positions of the three middle markers after `count` values, for the
    /// quantile `p`.
    #[inline]
    fn desired(count: usize, p: f64) -> [f64; 3] {
        let last = count.saturating_sub(1) as f64;
        [0.5 * p * last, p * last, 0.5 * (1.0 + p) * last]
    }

    /// The estimate after `count` values: the middle marker, or with fewer than five values the
    /// exact quantile (linear interpolation between order statistics, NumPy's default).
    pub fn estimate(&self, count: usize, p: f64) -> f64 {
        match count {
            0 => f64::NAN,
            1..=4 => {
                let h = p * (count - 1) as f64;
                let lo = h.floor() as usize;
                let hi = (lo + 1).min(count - 1);
                let (a, b) = (f64::from(self.q[lo]), f64::from(self.q[hi]));
                a + (h - lo as f64) * (b - a)
            }
            _ => f64::from(self.q[2]),
        }
    }
}

/// The running summaries of one chain.
#[derive(Debug, Clone, Default)]
pub struct Summaries {
    /// Values added per slot and parameter.
    pub count: usize,
    /// Per slot and parameter: mean and Σ (x − mean)².
    pub mean: Vec<f64>,
    pub m2: Vec<f64>,
    /// Per slot and parameter, one estimator per quantile of [`QUANTILES`].
    pub p2: Vec<[P2; 2]>,
}

impl Summaries {
    pub fn new(n_slots: usize, k: usize) -> Self {
        Summaries {
            count: 0,
            mean: vec![0.0; n_slots * k],
            m2: vec![0.0; n_slots * k],
            p2: vec![[P2::default(); 2]; n_slots * k],
        }
    }

    /// Bytes per slot and parameter.
    pub const BYTES: usize = 16 + 2 * std::mem::size_of::<P2>();

    /// Adds the draw `tied` (`tied[g * k + c][l]`: coefficient c of lane l of group g).
    pub fn push(&mut self, tied: &[V], k: usize) {
        self.count += 1;
        let count = self.count;
        let w = 1.0 / count as f64;
        let desired = QUANTILES.map(|p| P2::desired(count, p));
        let chunk = GROUPS_PER_TASK * LANES * k;
        self.mean
            .par_chunks_mut(chunk)
            .zip(self.m2.par_chunks_mut(chunk))
            .zip(self.p2.par_chunks_mut(chunk))
            .zip(tied.par_chunks(GROUPS_PER_TASK * k))
            .for_each(|(((mean, m2), p2), tied)| {
                for (g, group) in tied.chunks_exact(k).enumerate() {
                    for (c, v) in group.iter().enumerate() {
                        for l in 0..LANES {
                            let i = (g * LANES + l) * k + c;
                            let x32 = v[l] as f32;
                            let x = f64::from(x32);
                            let d = x - mean[i];
                            mean[i] += d * w;
                            m2[i] += d * (x - mean[i]);
                            for (e, want) in p2[i].iter_mut().zip(&desired) {
                                e.push(x32, count, want);
                            }
                        }
                    }
                }
            });
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
        for c in 0..k {
            let j = slot * k + c;
            let (mut sum, mut m2) = (0.0, 0.0);
            for s in chains {
                sum += s.count as f64 * s.mean[j];
            }
            let mu = if total > 0 {
                sum / total as f64
            } else {
                f64::NAN
            };
            for s in chains {
                let d = s.mean[j] - mu;
                m2 += s.m2[j] + s.count as f64 * d * d;
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
                .map(|s| s.p2[j][0].estimate(s.count, QUANTILES[0]))
                .sum::<f64>()
                / m;
            q95[o] = chains
                .iter()
                .map(|s| s.p2[j][1].estimate(s.count, QUANTILES[1]))
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

    /// P² on 20,000 normal draws is within 0.03 of the exact quantiles ±1.645 (Jain &
    /// Chlamtac report errors of this order for a few thousand values).
    #[test]
    fn p2_tracks_normal_quantiles() {
        let mut st = Stream::new(9, 0);
        let mut e = [P2::default(); 2];
        let n = 20_000;
        for i in 1..=n {
            let x = st.normal() as f32;
            for (est, &p) in e.iter_mut().zip(QUANTILES.iter()) {
                est.push(x, i, &P2::desired(i, p));
            }
        }
        assert!((e[0].estimate(n, 0.05) + 1.6449).abs() < 0.03);
        assert!((e[1].estimate(n, 0.95) - 1.6449).abs() < 0.03);
    }

    /// The update with its comparisons added up equals Jain & Chlamtac's algorithm as the paper
    /// states it (find the cell k with q_k ≤ x < q_{k+1}, extend the extremes, increment the
    /// positions above the cell, adjust markers 2–4 by the piecewise-parabolic formula, else
    /// linearly), with each new height rounded to single precision, value for value, on normal,
    /// heavy-tailed and tied data.
    #[test]
    fn p2_equals_the_algorithm_as_published() {
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
        let mut st = Stream::new(11, 0);
        let data: [Vec<f32>; 3] = [
            (0..5_000).map(|_| st.normal() as f32).collect(),
            (0..5_000).map(|_| (st.normal() / st.uniform()) as f32).collect(),
            (0..5_000).map(|_| (3.0 * st.uniform()).floor() as f32).collect(),
        ];
        for values in &data {
            for &p in &QUANTILES {
                let mut e = P2::default();
                let (mut q, mut npos) = ([0.0; 5], [0.0; 5]);
                for (i, &x) in values.iter().enumerate() {
                    let count = i + 1;
                    e.push(x, count, &P2::desired(count, p));
                    if count < 5 {
                        continue;
                    }
                    if count == 5 {
                        q = e.q.map(f64::from);
                        npos = [0.0, 1.0, 2.0, 3.0, 4.0];
                        continue;
                    }
                    paper(&mut q, &mut npos, f64::from(x), count, p);
                    let stored = e.q.map(f64::from);
                    assert_eq!(stored.map(f64::to_bits), q.map(f64::to_bits), "value {count}");
                }
            }
        }
    }

    #[test]
    fn p2_is_exact_below_five_values() {
        let mut e = P2::default();
        for (i, x) in [3.0, 1.0, 2.0].into_iter().enumerate() {
            e.push(x as f32, i + 1, &P2::desired(i + 1, 0.05));
        }
        // NumPy: np.quantile([1, 2, 3], 0.05) = 1.1
        assert!((e.estimate(3, 0.05) - 1.1).abs() < 1e-12);
    }

    #[test]
    fn welford_merge_equals_pooled_moments() {
        let k = 1;
        let vals = [[1.0, 2.0, 4.0], [0.5, 0.25, 8.0]];
        let chains: Vec<Summaries> = vals
            .iter()
            .map(|v| {
                let mut s = Summaries::new(LANES, k);
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
