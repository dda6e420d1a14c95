//! Seeded random streams: one explicit seed, one independent stream per restart / chunk / unit.

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A stream of random numbers, the `index`-th of those derived from `seed`. Streams are 2^128
/// draws apart (xoshiro256++ jumps), so they never overlap in practice.
#[derive(Debug, Clone)]
pub struct Stream(Xoshiro256PlusPlus);

impl Stream {
    pub fn new(seed: u64, index: u64) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        for _ in 0..index {
            rng.jump();
        }
        Stream(rng)
    }

    /// A uniform draw from [0, 1) with 53 random bits.
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
