//! Seeded random streams: one explicit seed, one independent stream per restart / chunk / unit.

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A stream of random numbers, the `index`-th of those derived from `seed`. Streams are 2^128
/// draws apart (xoshiro256++ jumps), so they never overlap in practice.
#[derive(Debug, Clone)]
pub struct Stream(Xoshiro256PlusPlus, Option<f64>);

impl Stream {
    pub fn new(seed: u64, index: u64) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        for _ in 0..index {
            rng.jump();
        }
        Stream(rng, None)
    }

    /// A uniform draw from [0, 1) with 53 random bits.
    #[inline(always)]
    pub fn uniform(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer from 0..n (n > 0), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let v = self.0.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }
}

impl Stream {
    /// `count` consecutive streams of `seed` (indices 0..count), in O(count) jumps.
    pub fn many(seed: u64, count: usize) -> Vec<Stream> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            out.push(Stream(rng.clone(), None));
            rng.jump();
        }
        out
    }

    /// A standard normal draw (Marsaglia's polar method: pairs of draws, the second one kept for
    /// the next call).
    #[inline(always)]
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.1.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let f = (-2.0 * s.ln() / s).sqrt();
                self.1 = Some(v * f);
                return u * f;
            }
        }
    }

    /// A Gamma(shape, 1) draw (Marsaglia & Tsang 2000; shape < 1 by the u^(1/shape) boost).
    pub fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let u = self.uniform().max(f64::MIN_POSITIVE);
            return self.gamma(shape + 1.0) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = self.uniform();
            if u < 1.0 - 0.0331 * x.powi(4) || u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
                return d * v;
            }
        }
    }

    /// A χ² draw with `df` degrees of freedom.
    pub fn chi_square(&mut self, df: f64) -> f64 {
        2.0 * self.gamma(0.5 * df)
    }

    /// `k` distinct indices below `n` (k ≤ n): uniformly, or with probability proportional to
    /// `weights` among the rows not drawn yet. When the positive weight is used up the first
    /// free indices are taken, in order.
    pub fn distinct(&mut self, n: usize, k: usize, weights: Option<&[f64]>) -> Vec<usize> {
        let mut chosen = Vec::with_capacity(k);
        match weights {
            None => {
                let mut taken = std::collections::HashSet::new();
                while chosen.len() < k {
                    let i = self.below(n as u64) as usize;
                    if taken.insert(i) {
                        chosen.push(i);
                    }
                }
            }
            Some(w) => {
                let mut left = w.to_vec();
                for _ in 0..k {
                    let total: f64 = left.iter().sum();
                    let i = if total > 0.0 {
                        let target = self.uniform() * total;
                        let mut acc = 0.0;
                        left.iter()
                            .position(|&v| {
                                acc += v;
                                acc > target && v > 0.0
                            })
                            .unwrap_or_else(|| left.iter().rposition(|&v| v > 0.0).unwrap_or(0))
                    } else {
                        (0..n).find(|i| !chosen.contains(i)).unwrap_or(0)
                    };
                    left[i] = 0.0;
                    chosen.push(i);
                }
            }
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<f64> = (0..5)
            .map(|_| 0.0)
            .scan(Stream::new(7, 0), |s, _| Some(s.uniform()))
            .collect();
        let b: Vec<f64> = (0..5)
            .map(|_| 0.0)
            .scan(Stream::new(7, 0), |s, _| Some(s.uniform()))
            .collect();
        let c: Vec<f64> = (0..5)
            .map(|_| 0.0)
            .scan(Stream::new(7, 1), |s, _| Some(s.uniform()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.iter().all(|u| (0.0..1.0).contains(u)));
    }

    #[test]
    fn distinct_draws_are_distinct_and_follow_the_weights() {
        let mut s = Stream::new(3, 0);
        let mut d = s.distinct(10, 10, None);
        d.sort();
        assert_eq!(d, (0..10).collect::<Vec<_>>());
        // Only rows 2 and 5 have weight: they come first, then the free rows in order.
        let w = [0.0, 0.0, 1.0, 0.0, 0.0, 3.0];
        let d = s.distinct(6, 4, Some(&w));
        let mut first: Vec<usize> = d[..2].to_vec();
        first.sort();
        assert_eq!(first, vec![2, 5]);
        assert_eq!(d[2..], [0, 1]);
    }

    #[test]
    fn many_matches_indexed_streams_and_draws_have_the_right_moments() {
        let many = Stream::many(5, 3);
        let mut a = many[2].clone();
        let mut b = Stream::new(5, 2);
        assert_eq!(a.uniform(), b.uniform());
        let mut s = Stream::new(9, 0);
        let n = 200_000;
        let z: Vec<f64> = (0..n).map(|_| s.normal()).collect();
        let mean = z.iter().sum::<f64>() / n as f64;
        let var = z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        // Standard errors: mean 0.0022, variance 0.0032.
        assert!(
            mean.abs() < 0.012 && (var - 1.0).abs() < 0.016,
            "{mean} {var}"
        );
        for shape in [0.5, 2.5, 7.0] {
            let g: Vec<f64> = (0..n).map(|_| s.gamma(shape)).collect();
            let m = g.iter().sum::<f64>() / n as f64;
            let v = g.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n as f64;
            // Gamma(shape, 1): mean = variance = shape.
            assert!(
                (m - shape).abs() < 6.0 * (shape / n as f64).sqrt(),
                "{shape} {m}"
            );
            assert!((v - shape).abs() < 0.05 * shape, "{shape} {v}");
        }
    }

    #[test]
    fn below_is_roughly_uniform() {
        let mut s = Stream::new(1, 0);
        let mut counts = [0usize; 3];
        for _ in 0..30_000 {
            counts[s.below(3) as usize] += 1;
        }
        // Each count is Binomial(30000, 1/3): sd ≈ 82, so ±500 is > 6 sd.
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
    }
}
