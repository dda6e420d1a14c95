//! Seeded random streams: one explicit seed, one independent stream per restart / chunk / unit;
//! lanes of four generators for the SIMD kernels; normals by the ziggurat.
//!
//! Depends on `simd` only (the four-lane generator step).

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::simd::{xoshiro_step, Isa};

/// A stream of random numbers, the `index`-th of those derived from `seed`. Streams are 2^128
/// draws apart (xoshiro256++ jumps), so they never overlap in practice.
#[derive(Debug, Clone)]
pub struct Stream(Xoshiro256PlusPlus);

/// The streams of `seed` in index order (`Stream::new(seed, 0)`, `Stream::new(seed, 1)`, ...),
/// one jump each: restarts loop over this instead of `Stream::new(seed, run)`, whose `run`
/// jumps made `n` restarts cost O(n²) jumps (2³¹ restarts never finished).
#[derive(Debug, Clone)]
pub struct Streams(Xoshiro256PlusPlus);

impl Streams {
    pub fn new(seed: u64) -> Self {
        Streams(Xoshiro256PlusPlus::seed_from_u64(seed))
    }
}

impl Iterator for Streams {
    type Item = Stream;

    fn next(&mut self) -> Option<Stream> {
        let s = Stream(self.0.clone());
        self.0.jump();
        Some(s)
    }
}

impl Stream {
    pub fn new(seed: u64, index: u64) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        for _ in 0..index {
            rng.jump();
        }
        Stream(rng)
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
        Streams::new(seed).take(count).collect()
    }

    /// A standard normal draw by the ziggurat method (Marsaglia & Tsang 2000, 256 layers): one
    /// 64-bit draw gives the layer (8 bits), the sign (1 bit) and the abscissa (52 bits), which
    /// is accepted at once about 99 % of the time; otherwise the wedge or the tail beyond r is
    /// sampled exactly.
    #[inline(always)]
    pub fn normal(&mut self) -> f64 {
        let z = ziggurat();
        loop {
            let bits = self.0.next_u64();
            let (i, u) = Ziggurat::layer(bits);
            if u < z.ratio[i] {
                return signed(bits, u * z.x[i]);
            }
            if let Some(v) = z.slow(i, u, || self.uniform()) {
                return signed(bits, v);
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

/// Layers of the ziggurat for f(x) = exp(−x²/2) (Marsaglia & Tsang 2000, 256 layers of equal
/// area v): x₁ = r, f(x_{i+1}) = f(x_i) + v/x_i, x₂₅₆ = 0; the base layer is the strip under
/// f up to r plus the tail, seen as a rectangle of width x₀ = v/f(r).
const ZIGGURAT_R: f64 = 3.654_152_885_361_009;
const ZIGGURAT_V: f64 = 4.928_673_233_99e-3;

struct Ziggurat {
    /// x_i, i = 0..=256.
    x: [f64; 257],
    /// f(x_i).
    f: [f64; 257],
    /// x_{i+1} / x_i: below it u·x_i lies under the curve for sure.
    ratio: [f64; 256],
}

/// `v` with the sign that bit 8 of `bits` gives.
#[inline(always)]
fn signed(bits: u64, v: f64) -> f64 {
    f64::from_bits(v.to_bits() ^ ((bits & 0x100) << 55))
}

impl Ziggurat {
    /// The layer (low 8 bits) and a uniform in [0, 1) from the top 52 bits of a 64-bit draw
    /// (as the mantissa of a number in [1, 2), which vectorises).
    #[inline(always)]
    fn layer(bits: u64) -> (usize, f64) {
        let u = f64::from_bits((bits >> 12) | 0x3ff0_0000_0000_0000) - 1.0;
        ((bits & 0xff) as usize, u)
    }

    /// The rare branches of the ziggurat: the tail of the base layer, or the wedge of layer `i`
    /// at abscissa u·x_i; `None` means start over. `uniform` draws from the same stream.
    #[cold]
    fn slow(&self, i: usize, u: f64, mut uniform: impl FnMut() -> f64) -> Option<f64> {
        if i == 0 {
            // Tail beyond r (Marsaglia 1964): x = −ln(u₁)/r until −2 ln(u₂) > x².
            loop {
                let a = -(1.0 - uniform()).ln() / ZIGGURAT_R;
                let b = -(1.0 - uniform()).ln();
                if 2.0 * b > a * a {
                    return Some(ZIGGURAT_R + a);
                }
            }
        }
        let x = u * self.x[i];
        let y = self.f[i] + uniform() * (self.f[i + 1] - self.f[i]);
        (y < (-0.5 * x * x).exp()).then_some(x)
    }
}

/// Lanes of independent xoshiro256++ generators advanced together, one per SIMD lane: the state
/// words are stored word by word, eight lanes each, so that one step is a handful of vector
/// integer operations (one 512-bit register per word, or two 256-bit ones). Each lane is seeded from its own [`Stream`] (four of its
/// draws, which are uniformly random 256-bit states), so a lane belongs to one unit of work (one
/// respondent) and gives the same numbers whichever thread runs it and whichever lanes sit
/// beside it.
#[derive(Debug, Clone)]
pub struct Lanes {
    /// `s[word][lane]`.
    s: [[u64; L]; 4],
}

/// Lanes per [`Lanes`].
const L: usize = 8;

// Lane loops index several arrays in step.
#[allow(clippy::needless_range_loop)]
impl Lanes {
    /// Lane `l` seeded from `streams[l]` (which advance by four draws).
    pub fn new(streams: &mut [Stream]) -> Self {
        let mut s = [[0u64; L]; 4];
        for (l, stream) in streams.iter_mut().enumerate().take(L) {
            for w in s.iter_mut() {
                w[l] = stream.0.next_u64();
            }
            if s.iter().all(|w| w[l] == 0) {
                s[0][l] = 1; // the one state xoshiro cannot leave (probability 2⁻²⁵⁶)
            }
        }
        Lanes { s }
    }

    /// One step of every lane's generator.
    #[inline(always)]
    fn bits<I: Isa>(s: &mut [[u64; L]; 4]) -> [u64; L] {
        I::xoshiro8(s)
    }

    /// A uniform in [0, 1) per lane (52 random bits).
    #[inline(always)]
    pub fn uniform<I: Isa>(&mut self) -> [f64; L] {
        let bits = Self::bits::<I>(&mut self.s);
        let mut u = [0.0; L];
        for l in 0..L {
            u[l] = f64::from_bits((bits[l] >> 12) | 0x3ff0_0000_0000_0000) - 1.0;
        }
        u
    }

    /// Standard normals, one per lane and entry of `out`, by the ziggurat of
    /// [`Stream::normal`]: the quick test for all lanes at once; a lane it rejects (about 1 %)
    /// finishes on its own generator.
    #[inline(always)]
    pub fn normals<I: Isa>(&mut self, out: &mut [[f64; L]]) {
        let z = ziggurat();
        let mut s = self.s;
        for o in out.iter_mut() {
            let bits = Self::bits::<I>(&mut s);
            let mut rejected = false;
            for l in 0..L {
                let (i, u) = Ziggurat::layer(bits[l]);
                o[l] = signed(bits[l], u * z.x[i]);
                rejected |= u >= z.ratio[i];
            }
            if rejected {
                Self::finish(&mut s, z, bits, o);
            }
        }
        self.s = s;
    }

    /// The lanes of one entry that failed the quick test: the wedge or tail of their draw, then
    /// whole new draws until one is accepted, all from the lane's own generator.
    #[cold]
    fn finish(s: &mut [[u64; L]; 4], z: &Ziggurat, bits: [u64; L], o: &mut [f64; L]) {
        for l in 0..L {
            let (mut b, (mut i, mut u)) = (bits[l], Ziggurat::layer(bits[l]));
            while u >= z.ratio[i] {
                let mut step = || xoshiro_step(s, l);
                let uniform = || f64::from_bits((step() >> 12) | 0x3ff0_0000_0000_0000) - 1.0;
                if let Some(v) = z.slow(i, u, uniform) {
                    o[l] = signed(b, v);
                    break;
                }
                b = xoshiro_step(s, l);
                (i, u) = Ziggurat::layer(b);
                o[l] = signed(b, u * z.x[i]);
            }
        }
    }
}

fn ziggurat() -> &'static Ziggurat {
    static TABLES: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let f = |x: f64| (-0.5 * x * x).exp();
        let mut x = [0.0; 257];
        x[0] = ZIGGURAT_V / f(ZIGGURAT_R);
        x[1] = ZIGGURAT_R;
        for i in 1..255 {
            x[i + 1] = (-2.0 * (f(x[i]) + ZIGGURAT_V / x[i]).ln()).sqrt();
        }
        Ziggurat {
            x,
            f: x.map(f),
            ratio: std::array::from_fn(|i| x[i + 1] / x[i]),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_iterator_matches_indexed_streams() {
        // Stream::new(seed, i) jumps i times from the seeded state: the iterator must give the
        // same i-th stream.
        for (i, mut s) in Streams::new(42).take(6).enumerate() {
            let mut t = Stream::new(42, i as u64);
            for _ in 0..4 {
                assert_eq!(s.0.next_u64(), t.0.next_u64());
            }
        }
    }

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

    /// Ziggurat normals against the normal CDF in bins that separate its branches (the base
    /// strip, the tail beyond r = 3.654 and the wedges): Pearson's χ² with 15 degrees of freedom
    /// stays below its 0.999 quantile 37.7.
    #[test]
    fn normal_draws_follow_the_normal_distribution() {
        let edges = [
            -4.0, -3.654, -3.0, -2.0, -1.0, -0.5, -0.1, 0.0, 0.1, 0.5, 1.0, 2.0, 3.0, 3.654, 4.0,
        ];
        let cdf = |x: f64| 0.5 * (1.0 + statrs::function::erf::erf(x / 2f64.sqrt()));
        let n = 2_000_000;
        let mut counts = vec![0usize; edges.len() + 1];
        // Half from a stream, half from lanes of eight (the lanes' own slow paths included).
        let mut s = Stream::new(11, 0);
        let mut lanes = Lanes::new(&mut Stream::many(12, 8));
        let mut batch = [[0.0; 8]; 5];
        for i in 0..n / 40 {
            if i % 2 == 0 {
                batch.iter_mut().flatten().for_each(|z| *z = s.normal());
            } else {
                lanes.normals::<crate::simd::Portable>(&mut batch);
            }
            for &z in batch.iter().flatten() {
                counts[edges.partition_point(|&e| e <= z)] += 1;
            }
        }
        let mut chi2 = 0.0;
        for (b, &c) in counts.iter().enumerate() {
            let lo = if b == 0 { 0.0 } else { cdf(edges[b - 1]) };
            let hi = if b == edges.len() { 1.0 } else { cdf(edges[b]) };
            let want = n as f64 * (hi - lo);
            chi2 += (c as f64 - want).powi(2) / want;
        }
        assert!(chi2 < 37.7, "{chi2} {counts:?}");
        // The layers tile the area: the top layer's area equals v.
        let z = ziggurat();
        let top = z.x[255] * (1.0 - z.f[255]);
        assert!((top / ZIGGURAT_V - 1.0).abs() < 1e-6, "{top}");
    }

    /// The lanes' xoshiro256++ equals rand_xoshiro's generator started from the same state, in
    /// the portable and (where the CPU has them) the AVX2 and AVX-512 builds.
    #[test]
    fn lanes_are_xoshiro256plusplus() {
        use rand_core::SeedableRng;
        let lanes = Lanes::new(&mut Stream::many(3, 8));
        let mut reference: Vec<Xoshiro256PlusPlus> = (0..L)
            .map(|l| {
                let mut seed = [0u8; 32];
                for w in 0..4 {
                    seed[8 * w..8 * w + 8].copy_from_slice(&lanes.s[w][l].to_le_bytes());
                }
                Xoshiro256PlusPlus::from_seed(seed)
            })
            .collect();
        let (mut a, mut b, mut c) = (lanes.s, lanes.s, lanes.s);
        for _ in 0..100 {
            let want: Vec<u64> = reference.iter_mut().map(|r| r.next_u64()).collect();
            assert_eq!(Lanes::bits::<crate::simd::Portable>(&mut a).to_vec(), want);
            if crate::simd::has_avx2_fma() {
                assert_eq!(Lanes::bits::<crate::simd::Avx2>(&mut b).to_vec(), want);
            }
            if crate::simd::has_avx512() {
                assert_eq!(Lanes::bits::<crate::simd::Avx512>(&mut c).to_vec(), want);
            }
        }
    }

    /// A lane's numbers do not depend on the lanes beside it: lane 5 of one set of lanes equals
    /// lane 1 of another seeded from the same stream.
    #[test]
    fn a_lane_is_its_own_generator() {
        let streams = Stream::many(5, 8);
        let mut a = Lanes::new(&mut streams.clone());
        let mut other = Stream::many(9, 8);
        other[1] = streams[5].clone();
        let mut b = Lanes::new(&mut other);
        let (mut za, mut zb) = ([[0.0; 8]; 300], [[0.0; 8]; 300]);
        a.normals::<crate::simd::Portable>(&mut za);
        b.normals::<crate::simd::Portable>(&mut zb);
        assert!(za
            .iter()
            .zip(&zb)
            .all(|(x, y)| x[5].to_bits() == y[1].to_bits()));
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
