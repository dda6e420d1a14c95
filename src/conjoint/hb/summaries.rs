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
#[derive(Debug, Clone, Copy, Default)]
pub struct P2 {
    q: [f64; 5],
    n: [u32; 3],
}

impl P2 {
    /// Adds the `count`-th value (1-based: `count` values including this one).
    #[inline]
    fn push(&mut self, x: f64, count: usize, p: f64) {
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
        let q = &mut self.q;
        // Cell of x, extending the extremes.
        let cell = if x < q[0] {
            q[0] = x;
            0
        } else if x >= q[4] {
            q[4] = x;
            3
        } else {
            let mut c = 0;
            while c < 3 && x >= q[c + 1] {
                c += 1;
            }
            c
        };
        // Markers 1..=3 above the cell move up by one (marker 4 is count − 1 implicitly).
        for i in 1..=3 {
            if i > cell {
                self.n[i - 1] += 1;
            }
        }
        let last = (count - 1) as f64;
        let desired = [0.5 * p * last, p * last, 0.5 * (1.0 + p) * last];
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
                q[i] = if q[i - 1] < parabolic && parabolic < q[i + 1] {
                    parabolic
                } else {
                    let j = if s > 0.0 { i + 1 } else { i - 1 };
                    q[i] + s * (q[j] - q[i]) / (n[j] - n[i])
                };
                n[i] += s;
                self.n[i - 1] = n[i] as u32;
            }
        }
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
                self.q[lo] + (h - lo as f64) * (self.q[hi] - self.q[lo])
            }
            _ => self.q[2],
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
                            let x = f64::from(v[l] as f32);
                            let d = x - mean[i];
                            mean[i] += d * w;
                            m2[i] += d * (x - mean[i]);
                            for (e, &p) in p2[i].iter_mut().zip(QUANTILES.iter()) {
                                e.push(x, count, p);
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
            let x = st.normal();
            for (est, &p) in e.iter_mut().zip(QUANTILES.iter()) {
                est.push(x, i, p);
            }
        }
        assert!((e[0].estimate(n, 0.05) + 1.6449).abs() < 0.03);
        assert!((e[1].estimate(n, 0.95) - 1.6449).abs() < 0.03);
    }

    #[test]
    fn p2_is_exact_below_five_values() {
        let mut e = P2::default();
        for (i, x) in [3.0, 1.0, 2.0].into_iter().enumerate() {
            e.push(x, i + 1, 0.05);
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
