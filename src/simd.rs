//! The instruction set of the kernels: CPU feature detection, the [`dispatch_avx2!`] macro that
//! compiles a kernel twice (AVX2 + FMA, and portable) and picks one at run time, and the [`Isa`]
//! trait through which a kernel written once uses what its build may (fused multiply-add, the
//! four-lane xoshiro step in AVX2 integer instructions, arithmetic on eight lanes of `f64` (one
//! AVX-512 register, two AVX2 ones), and a fast exponential).
//!
//! The lane operations let a kernel written once over `[f64; 8]` say which instructions it runs:
//! one AVX-512 register or two AVX2 ones per operation, whatever the vectoriser would choose for
//! the build. Each lane is computed with the same roundings as the scalar operation, so every
//! build of a kernel gives the same bits.
//!
//! [`dispatch_avx512!`] compiles a kernel three times: AVX-512 (F, DQ, VL with AVX2 and FMA),
//! AVX2 + FMA, and portable.
//!
//! This module depends on no other module of the crate: `random`, `linalg` and every kernel
//! build on it.

/// Whether the CPU has AVX2 and FMA: the kernels with a `#[target_feature]` build dispatch on
/// it (std caches the detection, so the check is a load and a test).
#[inline]
pub fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether the CPU has AVX-512 F, DQ and VL besides AVX2 and FMA: the [`dispatch_avx512!`]
/// kernels' widest build.
#[inline]
pub fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        has_avx2_fma()
            && std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512dq")
            && std::is_x86_feature_detected!("avx512vl")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// As [`dispatch_avx2!`]'s generic form, with a third build: [`Avx512`] for CPUs with AVX-512
/// F, DQ and VL (the lane operations of [`Isa`] then run on 512-bit registers).
macro_rules! dispatch_avx512 {
    ($(#[$m:meta])* $vis:vis fn $name:ident => generic $($imp:ident)::+; ($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty) => {
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
                fn avx512($($arg: $ty),*) -> $ret {
                    $($imp)::+::<$crate::simd::Avx512>($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) -> $ret {
                    $($imp)::+::<$crate::simd::Avx2>($($arg),*)
                }
                if $crate::simd::has_avx512() {
                    // SAFETY: the CPU supports AVX-512 F, DQ, VL, AVX2 and FMA (checked).
                    return unsafe { avx512($($arg),*) };
                }
                if $crate::simd::has_avx2_fma() {
                    // SAFETY: the CPU supports AVX2 and FMA (checked just above).
                    return unsafe { avx2($($arg),*) };
                }
            }
            $($imp)::+::<$crate::simd::Portable>($($arg),*)
        }
    };
}

pub(crate) use dispatch_avx512;

/// Defines `fn $name(args) -> ret` that runs `$imp(args)` compiled for AVX2 and FMA when the CPU
/// has them and the portable build otherwise. `$imp` should be `#[inline(always)]` so that its
/// whole body is compiled both ways; it is written once.
///
/// With `=> generic $imp`, `$imp` takes an [`Isa`] type parameter: [`Avx2`] in the AVX2/FMA
/// build (one `vfmadd` per a·b + c, which Rust never contracts by itself, and AVX2 integer
/// steps for the random lanes) and [`Portable`] in the portable one.
macro_rules! dispatch_avx2 {
    ($(#[$m:meta])* $vis:vis fn $name:ident => generic $($imp:ident)::+; ($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty) => {
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) -> $ret {
                    $($imp)::+::<$crate::simd::Avx2>($($arg),*)
                }
                if $crate::simd::has_avx2_fma() {
                    // SAFETY: the CPU supports AVX2 and FMA (checked just above).
                    return unsafe { avx2($($arg),*) };
                }
            }
            $($imp)::+::<$crate::simd::Portable>($($arg),*)
        }
    };
    ($(#[$m:meta])* $vis:vis fn $name:ident => $imp:path; ($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty) => {
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) -> $ret {
                    $imp($($arg),*)
                }
                if $crate::simd::has_avx2_fma() {
                    // SAFETY: the CPU supports AVX2 and FMA (checked just above).
                    return unsafe { avx2($($arg),*) };
                }
            }
            $imp($($arg),*)
        }
    };
}

pub(crate) use dispatch_avx2;

/// What a `dispatch_avx2!` kernel may use of the instruction set it is compiled for.
///
/// # Safety
/// [`Avx2`] executes AVX2 and FMA instructions: it may only be used as the type parameter
/// `dispatch_avx2!` gives its AVX2 build (after the CPU check), never called directly.
pub unsafe trait Isa {
    /// Whether this is the AVX2/FMA build (kernels may branch to their own intrinsics on it).
    const AVX2: bool;

    /// a·b + c: fused with one rounding ([`Avx2`]) or a multiply and an add ([`Portable`];
    /// `f64::mul_add` there would be a slow library call).
    fn madd(a: f64, b: f64, c: f64) -> f64;

    /// One step of eight xoshiro256++ generators side by side (state word-major: `s[w][lane]`),
    /// returning each lane's 64-bit output (see `random::Lanes`).
    #[inline(always)]
    fn xoshiro8(s: &mut [[u64; 8]; 4]) -> [u64; 8] {
        let mut out = [0u64; 8];
        for (l, o) in out.iter_mut().enumerate() {
            *o = xoshiro_step(s, l);
        }
        out
    }

    /// a + b lane by lane.
    #[inline(always)]
    fn add8(a: F8, b: F8) -> F8 {
        std::array::from_fn(|l| a[l] + b[l])
    }

    /// a − b lane by lane.
    #[inline(always)]
    fn sub8(a: F8, b: F8) -> F8 {
        std::array::from_fn(|l| a[l] - b[l])
    }

    /// a·b lane by lane.
    #[inline(always)]
    fn mul8(a: F8, b: F8) -> F8 {
        std::array::from_fn(|l| a[l] * b[l])
    }

    /// a·b + c lane by lane, rounded as [`Isa::madd`].
    #[inline(always)]
    fn madd8(a: F8, b: F8, c: F8) -> F8 {
        std::array::from_fn(|l| Self::madd(a[l], b[l], c[l]))
    }

    /// `if a > b { a } else { b }` lane by lane (b where either is NaN).
    #[inline(always)]
    fn max8(a: F8, b: F8) -> F8 {
        std::array::from_fn(|l| if a[l] > b[l] { a[l] } else { b[l] })
    }

    /// Eight integers as `f64` (exact) by the exponent trick of [`i8_to_f64`].
    #[inline(always)]
    fn from_i8x8(x: [i8; 8]) -> F8 {
        x.map(i8_to_f64)
    }

    /// Eight `f32` as `f64` (exact).
    #[inline(always)]
    fn from_f32x8(x: [f32; 8]) -> F8 {
        x.map(f64::from)
    }

    /// [`exp_clamped`] lane by lane.
    #[inline(always)]
    fn exp8(x: F8) -> F8 {
        x.map(exp_clamped::<Self>)
    }

    /// `if a < b { a } else { b }` lane by lane (b where either is NaN).
    #[inline(always)]
    fn min8(a: F8, b: F8) -> F8 {
        std::array::from_fn(|l| if a[l] < b[l] { a[l] } else { b[l] })
    }

    /// `if u < p { x } else { y }` lane by lane (y where u or p is NaN).
    #[inline(always)]
    fn select_lt8(u: F8, p: F8, x: F8, y: F8) -> F8 {
        std::array::from_fn(|l| if u[l] < p[l] { x[l] } else { y[l] })
    }

    /// [`ln_positive`] lane by lane.
    #[inline(always)]
    fn ln8(x: F8) -> F8 {
        x.map(ln_positive::<Self>)
    }
}

/// Eight lanes of `f64`: the unit of the lane operations of [`Isa`].
pub type F8 = [f64; 8];

/// A small integer as `f64` by the exponent trick: 1.5·2⁵² + n has n in its low significand
/// bits, so an integer add and one subtraction give n exactly, in cheap vector integer and add
/// instructions where AVX2's int-to-double conversion is slow.
#[inline(always)]
pub fn i8_to_f64(x: i8) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5·2⁵²
    f64::from_bits(MAGIC.to_bits().wrapping_add_signed(i64::from(x))) - MAGIC
}

/// 1.5·2⁵²: adding it to a value below 2⁵¹ in magnitude rounds it to an integer, which then
/// sits in the low bits of the significand.
const SHIFT: f64 = 6_755_399_441_055_744.0;
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // ln 2, upper bits
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // ln 2 − LN2_HI
/// 1/i!, i ≤ 13.
const EXP_TAYLOR: [f64; 14] = [
    1.0,
    1.0,
    0.5,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

/// exp(x) to about 2 ulp for x in [−708, 708], branch-free so that loops over it vectorise:
/// x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite), exp(r) by its Taylor series to degree 13
/// (truncation < 1e-17), 2ⁿ from the exponent bits. Arguments outside are clamped (−∞ gives
/// ≈ e⁻⁷⁰⁸, +∞ ≈ e⁷⁰⁸; NaN stays NaN); callers only use it where that does not matter.
#[inline(always)]
pub fn exp_clamped<M: Isa + ?Sized>(x: f64) -> f64 {
    let x = x.clamp(-708.0, 708.0);
    let t = x * std::f64::consts::LOG2_E + SHIFT;
    let n = t - SHIFT;
    let r = M::madd(-n, LN2_LO, M::madd(-n, LN2_HI, x));
    // Σ r^i / i!, i ≤ 13, by Estrin's scheme: pairs, then pairs of pairs, … — four dependent
    // steps instead of Horner's thirteen, so that a loop over many arguments is not bound by
    // the latency of one chain.
    const C: [f64; 14] = EXP_TAYLOR;
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let pair = |i: usize| M::madd(C[2 * i + 1], r, C[2 * i]);
    let s0 = M::madd(pair(1), r2, pair(0));
    let s1 = M::madd(pair(3), r2, pair(2));
    let s2 = M::madd(pair(5), r2, pair(4));
    let u0 = M::madd(s1, r4, s0);
    let u1 = M::madd(pair(6), r4, s2);
    let p = M::madd(u1, r8, u0);
    let e = (t.to_bits() as i64).wrapping_sub(SHIFT.to_bits() as i64);
    p * f64::from_bits(((e + 1023) as u64) << 52)
}

/// The bits of √½: `ln_positive` reduces its argument to m·2^k with m in [√½, √2).
const SQRT_HALF_BITS: u64 = 0x3fe6_a09e_667f_3bcd;
const MANTISSA: u64 = (1 << 52) - 1;
/// 2/(2j + 1), j = 1..=10: 2·atanh(s) = 2s + s·Σ_j c_j·s^{2j}.
const ATANH_SERIES: [f64; 10] = [
    2.0 / 3.0,
    2.0 / 5.0,
    2.0 / 7.0,
    2.0 / 9.0,
    2.0 / 11.0,
    2.0 / 13.0,
    2.0 / 15.0,
    2.0 / 17.0,
    2.0 / 19.0,
    2.0 / 21.0,
];

/// ln(x) within 1 ulp of `f64::ln` (tested), branch-free for positive normal x (others go to `f64::ln`): x = m·2^k
/// with m in [√½, √2) from the bits (k = the exponent of x/√½), f = m − 1, s = f/(2 + f), and
/// ln m = 2·atanh(s) = f − f²/2 + s·(f²/2 + R) with R = Σ_{j=1..10} 2s^{2j}/(2j + 1)
/// (|s| ≤ 0.172: truncation below 2⁻⁵⁶ of the result); k·ln 2 in two parts as in
/// [`exp_clamped`]. [`Isa::ln8`]'s vector builds run the same operations in the same order.
#[inline(always)]
pub fn ln_positive<M: Isa + ?Sized>(x: f64) -> f64 {
    if !(f64::MIN_POSITIVE..f64::INFINITY).contains(&x) {
        return x.ln();
    }
    let ix = x.to_bits().wrapping_sub(SQRT_HALF_BITS);
    // k + 1023 (the sum is non-negative for every normal x) as f64 by the exponent trick.
    let biased = ix.wrapping_add(1023 << 52) >> 52;
    let k = f64::from_bits(SHIFT.to_bits() + biased) - (SHIFT + 1023.0);
    let m = f64::from_bits((ix & MANTISSA) + SQRT_HALF_BITS);
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let z2 = z * z;
    let z4 = z2 * z2;
    let z8 = z4 * z4;
    const C: [f64; 10] = ATANH_SERIES;
    let pair = |i: usize| M::madd(C[2 * i + 1], z, C[2 * i]);
    let s0 = M::madd(pair(1), z2, pair(0));
    let s1 = M::madd(pair(3), z2, pair(2));
    let u0 = M::madd(s1, z4, s0);
    let r = z * M::madd(pair(4), z8, u0);
    let hfsq = 0.5 * f * f;
    let tail = M::madd(k, LN2_LO, s * (hfsq + r));
    M::madd(k, LN2_HI, f - (hfsq - tail))
}

/// One xoshiro256++ step (Blackman & Vigna) of lane `l` of a word-major state `s[w][lane]`: the
/// scalar form of [`Isa::xoshiro8`].
#[inline(always)]
pub fn xoshiro_step<const N: usize>(s: &mut [[u64; N]; 4], l: usize) -> u64 {
    let out = s[0][l]
        .wrapping_add(s[3][l])
        .rotate_left(23)
        .wrapping_add(s[0][l]);
    let t = s[1][l] << 17;
    s[2][l] ^= s[0][l];
    s[3][l] ^= s[1][l];
    s[1][l] ^= s[2][l];
    s[0][l] ^= s[3][l];
    s[2][l] ^= t;
    s[3][l] = s[3][l].rotate_left(45);
    out
}

/// The AVX2/FMA build of a `dispatch_avx2!` kernel.
pub struct Avx2;

/// The portable build of a `dispatch_avx2!` kernel.
pub struct Portable;

// SAFETY: used only as the type parameter of dispatch_avx2!'s AVX2 build, which runs after
// `has_avx2_fma()` (see the trait's contract).
unsafe impl Isa for Avx2 {
    const AVX2: bool = true;

    #[inline(always)]
    fn madd(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }

    /// The same step in AVX2 integer instructions, four lanes at a time (the rotations as two
    /// shifts and an or, which the compiler would otherwise do lane by lane in general
    /// registers).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn xoshiro8(s: &mut [[u64; 8]; 4]) -> [u64; 8] {
        use std::arch::x86_64::*;
        let mut o = [0u64; 8];
        for h in 0..2 {
            // SAFETY: AVX2 is present (the trait's contract); the loads and stores are unaligned
            // accesses of four u64 inside `s` (word w, lanes 4h..4h + 4) and `o`.
            unsafe {
                let base = s.as_mut_ptr() as *mut u64;
                let at = |w: usize| base.add(8 * w + 4 * h) as *mut __m256i;
                let (s0, s1) = (_mm256_loadu_si256(at(0)), _mm256_loadu_si256(at(1)));
                let (s2, s3) = (_mm256_loadu_si256(at(2)), _mm256_loadu_si256(at(3)));
                let a = _mm256_add_epi64(s0, s3);
                let rot = _mm256_or_si256(_mm256_slli_epi64::<23>(a), _mm256_srli_epi64::<41>(a));
                let out = _mm256_add_epi64(rot, s0);
                let t = _mm256_slli_epi64::<17>(s1);
                let s2 = _mm256_xor_si256(s2, s0);
                let s3 = _mm256_xor_si256(s3, s1);
                let s1 = _mm256_xor_si256(s1, s2);
                let s0 = _mm256_xor_si256(s0, s3);
                let s2 = _mm256_xor_si256(s2, t);
                let s3 =
                    _mm256_or_si256(_mm256_slli_epi64::<45>(s3), _mm256_srli_epi64::<19>(s3));
                _mm256_storeu_si256(at(0), s0);
                _mm256_storeu_si256(at(1), s1);
                _mm256_storeu_si256(at(2), s2);
                _mm256_storeu_si256(at(3), s3);
                _mm256_storeu_si256(o.as_mut_ptr().add(4 * h) as *mut __m256i, out);
            }
        }
        o
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn add8(a: F8, b: F8) -> F8 {
        // SAFETY: AVX is present (the trait's contract).
        lanes2(a, b, |x, y| unsafe {
            std::arch::x86_64::_mm256_add_pd(x, y)
        })
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn sub8(a: F8, b: F8) -> F8 {
        // SAFETY: AVX is present (the trait's contract).
        lanes2(a, b, |x, y| unsafe {
            std::arch::x86_64::_mm256_sub_pd(x, y)
        })
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn mul8(a: F8, b: F8) -> F8 {
        // SAFETY: AVX is present (the trait's contract).
        lanes2(a, b, |x, y| unsafe {
            std::arch::x86_64::_mm256_mul_pd(x, y)
        })
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn madd8(a: F8, b: F8, c: F8) -> F8 {
        use std::arch::x86_64::*;
        let ([a0, a1], [b0, b1], [c0, c1]) = (ymm2(a), ymm2(b), ymm2(c));
        // SAFETY: FMA is present (the trait's contract).
        unsafe { from_ymm2([_mm256_fmadd_pd(a0, b0, c0), _mm256_fmadd_pd(a1, b1, c1)]) }
    }

    /// `vmaxpd` returns its second operand unless the first is greater (NaN included).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn max8(a: F8, b: F8) -> F8 {
        // SAFETY: AVX is present (the trait's contract).
        lanes2(a, b, |x, y| unsafe {
            std::arch::x86_64::_mm256_max_pd(x, y)
        })
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn from_i8x8(x: [i8; 8]) -> F8 {
        use std::arch::x86_64::*;
        let word = |h: usize| i32::from_le_bytes([0, 1, 2, 3].map(|i| x[4 * h + i] as u8));
        // SAFETY: AVX2 is present (the trait's contract).
        let half = |h: usize| unsafe {
            let wide = _mm256_cvtepi8_epi64(_mm_cvtsi32_si128(word(h)));
            let magic = _mm256_set1_epi64x(SHIFT.to_bits() as i64);
            let v = _mm256_castsi256_pd(_mm256_add_epi64(wide, magic));
            _mm256_sub_pd(v, _mm256_set1_pd(SHIFT))
        };
        from_ymm2([half(0), half(1)])
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn from_f32x8(x: [f32; 8]) -> F8 {
        use std::arch::x86_64::*;
        // SAFETY: AVX is present (the trait's contract); the loads read the eight f32 of `x`.
        unsafe {
            let lo = _mm256_cvtps_pd(_mm_loadu_ps(x.as_ptr()));
            let hi = _mm256_cvtps_pd(_mm_loadu_ps(x.as_ptr().add(4)));
            from_ymm2([lo, hi])
        }
    }

    /// [`exp_clamped`]'s operations on vector registers, in the same order with the same
    /// roundings, so that every lane equals the scalar result bit for bit.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn exp8(x: F8) -> F8 {
        let [lo, hi] = ymm2(x);
        // SAFETY: AVX2 and FMA are present (the trait's contract).
        unsafe { from_ymm2([exp_ymm(lo), exp_ymm(hi)]) }
    }

    /// `vminpd` returns its second operand unless the first is less (NaN included).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn min8(a: F8, b: F8) -> F8 {
        // SAFETY: AVX is present (the trait's contract).
        lanes2(a, b, |x, y| unsafe {
            std::arch::x86_64::_mm256_min_pd(x, y)
        })
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn select_lt8(u: F8, p: F8, x: F8, y: F8) -> F8 {
        use std::arch::x86_64::*;
        let ([u0, u1], [p0, p1], [x0, x1], [y0, y1]) = (ymm2(u), ymm2(p), ymm2(x), ymm2(y));
        // SAFETY: AVX is present (the trait's contract). The ordered comparison is false for
        // NaN.
        unsafe {
            let m0 = _mm256_cmp_pd::<_CMP_LT_OQ>(u0, p0);
            let m1 = _mm256_cmp_pd::<_CMP_LT_OQ>(u1, p1);
            from_ymm2([_mm256_blendv_pd(y0, x0, m0), _mm256_blendv_pd(y1, x1, m1)])
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn ln8(x: F8) -> F8 {
        let [lo, hi] = ymm2(x);
        // SAFETY: AVX2 and FMA are present (the trait's contract).
        ln_lanes(x, unsafe { from_ymm2([ln_ymm(lo), ln_ymm(hi)]) })
    }
}

/// Eight lanes as two AVX registers (a bit cast).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn ymm2(a: F8) -> [std::arch::x86_64::__m256d; 2] {
    // SAFETY: both are 64 bytes of eight f64.
    unsafe { std::mem::transmute::<F8, [std::arch::x86_64::__m256d; 2]>(a) }
}

/// Two AVX registers as eight lanes (a bit cast).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn from_ymm2(a: [std::arch::x86_64::__m256d; 2]) -> F8 {
    // SAFETY: both are 64 bytes of eight f64.
    unsafe { std::mem::transmute::<[std::arch::x86_64::__m256d; 2], F8>(a) }
}

/// A binary AVX operation on both halves of eight lanes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn lanes2(
    a: F8,
    b: F8,
    op: impl Fn(std::arch::x86_64::__m256d, std::arch::x86_64::__m256d) -> std::arch::x86_64::__m256d,
) -> F8 {
    let ([a0, a1], [b0, b1]) = (ymm2(a), ymm2(b));
    from_ymm2([op(a0, b0), op(a1, b1)])
}

/// Generates [`exp_clamped`] on a vector register of `$w` (256 or 512 bits): its operations in
/// the same order with the same roundings, so that every lane equals the scalar result.
#[cfg(target_arch = "x86_64")]
macro_rules! vector_exp {
    ($name:ident, $t:ty, $set1:ident, $set1i:ident, $min:ident, $max:ident, $add:ident, $sub:ident,
     $mul:ident, $xor:ident, $fmadd:ident, $subi:ident, $addi:ident, $slli:ident, $topd:ident,
     $toi:ident) => {
        /// See [`vector_exp`].
        ///
        /// # Safety
        /// The CPU must have the instructions of the register width (AVX2 + FMA, or AVX-512F/DQ).
        #[inline(always)]
        unsafe fn $name(x: $t) -> $t {
            use std::arch::x86_64::*;
            let splat = |v: f64| $set1(v);
            // clamp: the max / min instructions return the second operand when one is NaN, so
            // a NaN argument stays NaN as in `f64::clamp`.
            let x = $min(splat(708.0), $max(splat(-708.0), x));
            let t = $add($mul(x, splat(std::f64::consts::LOG2_E)), splat(SHIFT));
            let n = $sub(t, splat(SHIFT));
            let neg_n = $xor(n, splat(-0.0));
            let r = $fmadd(neg_n, splat(LN2_LO), $fmadd(neg_n, splat(LN2_HI), x));
            let c = |i: usize| splat(EXP_TAYLOR[i]);
            let r2 = $mul(r, r);
            let r4 = $mul(r2, r2);
            let r8 = $mul(r4, r4);
            let pair = |i: usize| $fmadd(c(2 * i + 1), r, c(2 * i));
            let s0 = $fmadd(pair(1), r2, pair(0));
            let s1 = $fmadd(pair(3), r2, pair(2));
            let s2 = $fmadd(pair(5), r2, pair(4));
            let u0 = $fmadd(s1, r4, s0);
            let u1 = $fmadd(pair(6), r4, s2);
            let p = $fmadd(u1, r8, u0);
            let e = $subi($toi(t), $set1i(SHIFT.to_bits() as i64));
            let two_n = $slli::<52>($addi(e, $set1i(1023)));
            $mul(p, $topd(two_n))
        }
    };
}

#[cfg(target_arch = "x86_64")]
vector_exp!(
    exp_ymm,
    std::arch::x86_64::__m256d,
    _mm256_set1_pd,
    _mm256_set1_epi64x,
    _mm256_min_pd,
    _mm256_max_pd,
    _mm256_add_pd,
    _mm256_sub_pd,
    _mm256_mul_pd,
    _mm256_xor_pd,
    _mm256_fmadd_pd,
    _mm256_sub_epi64,
    _mm256_add_epi64,
    _mm256_slli_epi64,
    _mm256_castsi256_pd,
    _mm256_castpd_si256
);

#[cfg(target_arch = "x86_64")]
vector_exp!(
    exp_zmm,
    std::arch::x86_64::__m512d,
    _mm512_set1_pd,
    _mm512_set1_epi64,
    _mm512_min_pd,
    _mm512_max_pd,
    _mm512_add_pd,
    _mm512_sub_pd,
    _mm512_mul_pd,
    _mm512_xor_pd,
    _mm512_fmadd_pd,
    _mm512_sub_epi64,
    _mm512_add_epi64,
    _mm512_slli_epi64,
    _mm512_castsi512_pd,
    _mm512_castpd_si512
);

/// Generates [`ln_positive`]'s branch-free part on a vector register (256 or 512 bits): its
/// operations in the same order with the same roundings, so that every lane of a positive
/// normal argument equals the scalar result ([`ln_lanes`] handles the other lanes).
#[cfg(target_arch = "x86_64")]
macro_rules! vector_ln {
    ($name:ident, $t:ty, $ti:ty, $set1:ident, $set1i:ident, $add:ident, $sub:ident, $mul:ident,
     $div:ident, $fmadd:ident, $subi:ident, $addi:ident, $and:ident, $srli:ident, $topd:ident,
     $toi:ident) => {
        /// See [`vector_ln`].
        ///
        /// # Safety
        /// The CPU must have the instructions of the register width (AVX2 + FMA, or AVX-512F/DQ).
        #[inline(always)]
        unsafe fn $name(x: $t) -> $t {
            use std::arch::x86_64::*;
            let splat = |v: f64| $set1(v);
            let int = |v: u64| -> $ti { $set1i(v as i64) };
            let ix = $subi($toi(x), int(SQRT_HALF_BITS));
            let biased = $srli::<52>($addi(ix, int(1023 << 52)));
            let k = $sub($topd($addi(biased, int(SHIFT.to_bits()))), splat(SHIFT + 1023.0));
            let m = $topd($addi($and(ix, int(MANTISSA)), int(SQRT_HALF_BITS)));
            let f = $sub(m, splat(1.0));
            let s = $div(f, $add(splat(2.0), f));
            let z = $mul(s, s);
            let z2 = $mul(z, z);
            let z4 = $mul(z2, z2);
            let z8 = $mul(z4, z4);
            let c = |i: usize| splat(ATANH_SERIES[i]);
            let pair = |i: usize| $fmadd(c(2 * i + 1), z, c(2 * i));
            let s0 = $fmadd(pair(1), z2, pair(0));
            let s1 = $fmadd(pair(3), z2, pair(2));
            let u0 = $fmadd(s1, z4, s0);
            let r = $mul(z, $fmadd(pair(4), z8, u0));
            let hfsq = $mul($mul(splat(0.5), f), f);
            let tail = $fmadd(k, splat(LN2_LO), $mul(s, $add(hfsq, r)));
            $fmadd(k, splat(LN2_HI), $sub(f, $sub(hfsq, tail)))
        }
    };
}

#[cfg(target_arch = "x86_64")]
vector_ln!(
    ln_ymm,
    std::arch::x86_64::__m256d,
    std::arch::x86_64::__m256i,
    _mm256_set1_pd,
    _mm256_set1_epi64x,
    _mm256_add_pd,
    _mm256_sub_pd,
    _mm256_mul_pd,
    _mm256_div_pd,
    _mm256_fmadd_pd,
    _mm256_sub_epi64,
    _mm256_add_epi64,
    _mm256_and_si256,
    _mm256_srli_epi64,
    _mm256_castsi256_pd,
    _mm256_castpd_si256
);

#[cfg(target_arch = "x86_64")]
vector_ln!(
    ln_zmm,
    std::arch::x86_64::__m512d,
    std::arch::x86_64::__m512i,
    _mm512_set1_pd,
    _mm512_set1_epi64,
    _mm512_add_pd,
    _mm512_sub_pd,
    _mm512_mul_pd,
    _mm512_div_pd,
    _mm512_fmadd_pd,
    _mm512_sub_epi64,
    _mm512_add_epi64,
    _mm512_and_si512,
    _mm512_srli_epi64,
    _mm512_castsi512_pd,
    _mm512_castpd_si512
);

/// `y` (a vector build's branch-free logarithms of `x`) with the lanes whose argument is not
/// positive, normal and finite replaced by `f64::ln`, as [`ln_positive`] does.
#[inline(always)]
fn ln_lanes(x: F8, mut y: F8) -> F8 {
    for (yl, &xl) in y.iter_mut().zip(&x) {
        if !(f64::MIN_POSITIVE..f64::INFINITY).contains(&xl) {
            *yl = ln_cold(xl);
        }
    }
    y
}

#[cold]
#[inline(never)]
fn ln_cold(x: f64) -> f64 {
    x.ln()
}

/// The AVX-512 build of a [`dispatch_avx512!`] kernel: the lane operations on one 512-bit
/// register; everything else as [`Avx2`] (whose instructions it may use: `AVX2` is true).
pub struct Avx512;

/// Eight lanes as one AVX-512 register (a bit cast).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn zmm(a: F8) -> std::arch::x86_64::__m512d {
    // SAFETY: both are 64 bytes of eight f64.
    unsafe { std::mem::transmute::<F8, std::arch::x86_64::__m512d>(a) }
}

/// One AVX-512 register as eight lanes (a bit cast).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn from_zmm(a: std::arch::x86_64::__m512d) -> F8 {
    // SAFETY: both are 64 bytes of eight f64.
    unsafe { std::mem::transmute::<std::arch::x86_64::__m512d, F8>(a) }
}

// SAFETY: used only as the type parameter of dispatch_avx512!'s AVX-512 build, which runs after
// `has_avx512()` (AVX-512 F, DQ and VL, AVX2 and FMA; see the trait's contract).
unsafe impl Isa for Avx512 {
    const AVX2: bool = true;

    #[inline(always)]
    fn madd(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }

    /// The step on 512-bit registers, with AVX-512's rotate instruction.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn xoshiro8(s: &mut [[u64; 8]; 4]) -> [u64; 8] {
        use std::arch::x86_64::*;
        // SAFETY: AVX-512F is present (the trait's contract); each access is an unaligned load or
        // store of one word's eight u64 inside `s`.
        unsafe {
            let base = s.as_mut_ptr() as *mut u64;
            let at = |w: usize| base.add(8 * w) as *mut __m512i;
            let (s0, s1) = (_mm512_loadu_si512(at(0)), _mm512_loadu_si512(at(1)));
            let (s2, s3) = (_mm512_loadu_si512(at(2)), _mm512_loadu_si512(at(3)));
            let out = _mm512_add_epi64(_mm512_rol_epi64::<23>(_mm512_add_epi64(s0, s3)), s0);
            let t = _mm512_slli_epi64::<17>(s1);
            let s2 = _mm512_xor_si512(s2, s0);
            let s3 = _mm512_xor_si512(s3, s1);
            let s1 = _mm512_xor_si512(s1, s2);
            let s0 = _mm512_xor_si512(s0, s3);
            let s2 = _mm512_xor_si512(s2, t);
            let s3 = _mm512_rol_epi64::<45>(s3);
            _mm512_storeu_si512(at(0), s0);
            _mm512_storeu_si512(at(1), s1);
            _mm512_storeu_si512(at(2), s2);
            _mm512_storeu_si512(at(3), s3);
            std::mem::transmute::<__m512i, [u64; 8]>(out)
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn add8(a: F8, b: F8) -> F8 {
        use std::arch::x86_64::*;
        // SAFETY: AVX-512F is present (the trait's contract).
        unsafe { from_zmm(_mm512_add_pd(zmm(a), zmm(b))) }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn sub8(a: F8, b: F8) -> F8 {
        use std::arch::x86_64::*;
        // SAFETY: AVX-512F is present (the trait's contract).
        unsafe { from_zmm(_mm512_sub_pd(zmm(a), zmm(b))) }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn mul8(a: F8, b: F8) -> F8 {
        use std::arch::x86_64::*;
        // SAFETY: AVX-512F is present (the trait's contract).
        unsafe { from_zmm(_mm512_mul_pd(zmm(a), zmm(b))) }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn madd8(a: F8, b: F8, c: F8) -> F8 {
        use std::arch::x86_64::*;
        // SAFETY: AVX-512F is present (the trait's contract).
        unsafe { from_zmm(_mm512_fmadd_pd(zmm(a), zmm(b), zmm(c))) }
    }

    /// `vmaxpd` returns its second operand unless the first is greater (NaN included).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn max8(a: F8, b: F8) -> F8 {
        use std::arch::x86_64::*;
        // SAFETY: AVX-512F is present (the trait's contract).
        unsafe { from_zmm(_mm512_max_pd(zmm(a), zmm(b))) }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn from_i8x8(x: [i8; 8]) -> F8 {
        use std::arch::x86_64::*;
        // SAFETY: AVX-512F and DQ are present (the trait's contract). Widening then one
        // conversion (exact for integers) is two instructions where the exponent trick is three.
        unsafe {
            let bytes = _mm_cvtsi64_si128(i64::from_le_bytes(x.map(|b| b as u8)));
            from_zmm(_mm512_cvtepi64_pd(_mm512_cvtepi8_epi64(bytes)))
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn from_f32x8(x: [f32; 8]) -> F8 {
        use std::arch::x86_64::*;
        // SAFETY: AVX-512F is present (the trait's contract); the load reads the eight f32.
        unsafe { from_zmm(_mm512_cvtps_pd(_mm256_loadu_ps(x.as_ptr()))) }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn exp8(x: F8) -> F8 {
        // SAFETY: AVX-512F and DQ are present (the trait's contract).
        unsafe { from_zmm(exp_zmm(zmm(x))) }
    }

    /// `vminpd` returns its second operand unless the first is less (NaN included).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn min8(a: F8, b: F8) -> F8 {
        use std::arch::x86_64::*;
        // SAFETY: AVX-512F is present (the trait's contract).
        unsafe { from_zmm(_mm512_min_pd(zmm(a), zmm(b))) }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn select_lt8(u: F8, p: F8, x: F8, y: F8) -> F8 {
        use std::arch::x86_64::*;
        // SAFETY: AVX-512F is present (the trait's contract). The ordered comparison is false
        // for NaN.
        unsafe {
            let m = _mm512_cmp_pd_mask::<_CMP_LT_OQ>(zmm(u), zmm(p));
            from_zmm(_mm512_mask_blend_pd(m, zmm(y), zmm(x)))
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn ln8(x: F8) -> F8 {
        // SAFETY: AVX-512F and DQ are present (the trait's contract).
        ln_lanes(x, unsafe { from_zmm(ln_zmm(zmm(x))) })
    }
}

// SAFETY: plain Rust arithmetic.
unsafe impl Isa for Portable {
    const AVX2: bool = false;

    #[inline(always)]
    fn madd(a: f64, b: f64, c: f64) -> f64 {
        a * b + c
    }
}

#[cfg(test)]
mod tests {
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
        pos.extend([1.0, 2.0, 0.5, f64::MIN_POSITIVE, f64::MAX, 0.707_106_781_186_547_5]);
        pos.extend([0.0, -0.0, 1e-310, -1.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN]);
        for w in pos.chunks(8) {
            let x: F8 = std::array::from_fn(|l| w.get(l).copied().unwrap_or(3.0));
            assert!(same(M::ln8(x), x.map(ln_positive::<M>)), "{x:?}");
            let y: F8 = std::array::from_fn(|l| x[(l + 3) % 8]);
            assert!(same(M::min8(x, y), Portable::min8(x, y)));
            let u: F8 = std::array::from_fn(|l| y[l] * 0.5);
            assert!(same(M::select_lt8(u, x, x, y), Portable::select_lt8(u, x, x, y)));
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
}
