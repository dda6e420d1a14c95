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
