//! Unit tests of `simd`: every lane operation against its scalar form in every build, and
//! the logarithm against std.

use super::*;

/// The logarithm within 1 ulp of std's `ln` in every build, on positive normal arguments
/// across the range and dense around 1; `f64::ln`'s results elsewhere.
#[test]
fn ln_positive_is_within_an_ulp() {
    let mut args: Vec<f64> = (0..200_000)
        .map(|i| 10f64.powf(-307.5 + i as f64 * 0.003_077))
        .collect();
    args.extend((0..200_000).map(|i| 1.0 + (i as f64 - 100_000.0) * 3.1e-6));
    args.extend((1..2_000).map(|i| 1.0 + i as f64 * f64::EPSILON));
    args.extend((1..2_000).map(|i| 1.0 - i as f64 * f64::EPSILON / 2.0));
    let ulps = |a: f64, b: f64| (a.to_bits() as i64 - b.to_bits() as i64).abs();
    type Ln = fn(f64) -> f64;
    let mut builds: Vec<(&str, Ln)> = vec![("portable", ln_positive::<Portable>)];
    if has_avx2_fma() {
        builds.push(("avx2", ln_positive::<Avx2>));
    }
    for (name, ln) in builds {
        let worst = args
            .iter()
            .map(|&x| ulps(ln(x), x.ln()) + i64::from(ln(x).signum() != x.ln().signum()))
            .max()
            .unwrap();
        assert!(worst <= 1, "{name}: {worst} ulp");
    }
    for x in [0.0, -0.0, 1e-310, -2.0, f64::INFINITY] {
        assert_eq!(ln_positive::<Portable>(x).to_bits(), x.ln().to_bits());
    }
    assert!(ln_positive::<Portable>(f64::NAN).is_nan());
    assert_eq!(ln_positive::<Portable>(1.0), 0.0);
}

/// Arguments across the exponential's range, its clamps, infinities and NaN; integers and
/// single-precision values: every lane operation of the AVX2 and AVX-512 builds equals the
/// scalar operation of the same build lane by lane, bit for bit.
#[test]
fn lane_operations_equal_the_scalar_ones() {
    if has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA.
        unsafe { check_lane_operations_avx2() };
    }
    if has_avx512() {
        // SAFETY: the CPU has AVX-512 F, DQ, VL, AVX2 and FMA.
        unsafe { check_lane_operations_avx512() };
    }
}

#[target_feature(enable = "avx2,fma")]
fn check_lane_operations_avx2() {
    check_lane_operations::<Avx2>();
}

#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
fn check_lane_operations_avx512() {
    check_lane_operations::<Avx512>();
}

#[inline(always)]
fn check_lane_operations<M: Isa>() {
    let mut args: Vec<f64> = (0..40_000)
        .map(|i| 720.0 - i as f64 * 0.036 - 1e-4 * (i % 11) as f64)
        .collect();
    args.extend([
        0.0,
        -0.0,
        1e-300,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ]);
    // The same bits, or both NaN (which NaN an instruction returns depends on the operand
    // order the compiler picks for a fused multiply-add, not on the lane code).
    let same = |a: F8, b: F8| {
        a.iter()
            .zip(&b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    };
    for w in args.chunks(8) {
        let x: F8 = std::array::from_fn(|l| w.get(l).copied().unwrap_or(0.5));
        let y: F8 = std::array::from_fn(|l| x[(l + 1) % 8] * 0.37);
        assert!(same(M::exp8(x), x.map(exp_clamped::<M>)), "{x:?}");
        let fused: F8 = std::array::from_fn(|l| x[l].mul_add(y[l], x[l]));
        assert!(same(M::madd8(x, y, x), fused));
        assert!(same(M::add8(x, y), std::array::from_fn(|l| x[l] + y[l])));
        assert!(same(M::sub8(x, y), std::array::from_fn(|l| x[l] - y[l])));
        assert!(same(M::mul8(x, y), std::array::from_fn(|l| x[l] * y[l])));
        assert!(same(M::max8(x, y), Portable::max8(x, y)));
    }
    assert!(M::exp8([f64::NAN; 8]).iter().all(|v| v.is_nan()));
    // Logarithms: positive normal arguments from 1e-307 to 1e308 and around 1, and the
    // lanes that go to `f64::ln` (zero, subnormal, negative, infinite, NaN) among them.
    let mut pos: Vec<f64> = (0..20_000)
        .map(|i| 10f64.powf(-307.0 + i as f64 * 0.030_75))
        .collect();
    pos.extend((0..4_000).map(|i| 1.0 + (i as f64 - 2_000.0) * 1.7e-4));
    pos.extend([
        1.0,
        2.0,
        0.5,
        f64::MIN_POSITIVE,
        f64::MAX,
        0.707_106_781_186_547_5,
    ]);
    pos.extend([
        0.0,
        -0.0,
        1e-310,
        -1.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ]);
    for w in pos.chunks(8) {
        let x: F8 = std::array::from_fn(|l| w.get(l).copied().unwrap_or(3.0));
        assert!(same(M::ln8(x), x.map(ln_positive::<M>)), "{x:?}");
        let y: F8 = std::array::from_fn(|l| x[(l + 3) % 8]);
        assert!(same(M::min8(x, y), Portable::min8(x, y)));
        let u: F8 = std::array::from_fn(|l| y[l] * 0.5);
        assert!(same(
            M::select_lt8(u, x, x, y),
            Portable::select_lt8(u, x, x, y)
        ));
        assert!(same(M::div8(u, x), Portable::div8(u, x)));
        let narrow = |v: [f32; 8]| v.map(f32::to_bits);
        assert_eq!(narrow(M::to_f32x8(u)), narrow(Portable::to_f32x8(u)));
    }
    for i in -128..=127i32 {
        let x = [i as i8, (-i - 1) as i8, 0, 127, -128, 1, (i / 2) as i8, -1];
        assert!(same(M::from_i8x8(x), x.map(f64::from)));
        let f = [
            i as f32 * 0.3,
            1e-30,
            -3.4e38,
            f32::MIN_POSITIVE,
            0.0,
            -1.5,
            7.0,
            1e-45,
        ];
        assert!(same(M::from_f32x8(f), f.map(f64::from)));
    }
}
