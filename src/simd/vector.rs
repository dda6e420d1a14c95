//! The AVX2 + FMA and AVX-512 builds of the lane operations of [`Isa`]: each operation on two
//! 256-bit registers or one 512-bit register, with the roundings of the scalar form in
//! `simd/mod.rs`, so that every build of a kernel gives the same bits.

use super::*;

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
                let s3 = _mm256_or_si256(_mm256_slli_epi64::<45>(s3), _mm256_srli_epi64::<19>(s3));
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

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn div8(a: F8, b: F8) -> F8 {
        // SAFETY: AVX is present (the trait's contract).
        lanes2(a, b, |x, y| unsafe {
            std::arch::x86_64::_mm256_div_pd(x, y)
        })
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn to_f32x8(x: F8) -> [f32; 8] {
        use std::arch::x86_64::*;
        let [lo, hi] = ymm2(x);
        // SAFETY: AVX is present (the trait's contract); the conversion rounds to nearest (the
        // default rounding mode, as `as f32`).
        unsafe {
            let both = [_mm256_cvtpd_ps(lo), _mm256_cvtpd_ps(hi)];
            std::mem::transmute::<[__m128; 2], [f32; 8]>(both)
        }
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
            let k = $sub(
                $topd($addi(biased, int(SHIFT.to_bits()))),
                splat(SHIFT + 1023.0),
            );
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
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn ln_lanes(x: F8, mut y: F8) -> F8 {
    for (yl, &xl) in y.iter_mut().zip(&x) {
        if !(f64::MIN_POSITIVE..f64::INFINITY).contains(&xl) {
            *yl = ln_cold(xl);
        }
    }
    y
}

#[cfg(target_arch = "x86_64")]
#[cold]
#[inline(never)]
fn ln_cold(x: f64) -> f64 {
    x.ln()
}

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

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn div8(a: F8, b: F8) -> F8 {
        use std::arch::x86_64::*;
        // SAFETY: AVX-512F is present (the trait's contract).
        unsafe { from_zmm(_mm512_div_pd(zmm(a), zmm(b))) }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn to_f32x8(x: F8) -> [f32; 8] {
        use std::arch::x86_64::*;
        // SAFETY: AVX-512F is present (the trait's contract); the conversion rounds to nearest
        // (the default rounding mode, as `as f32`).
        unsafe { std::mem::transmute::<__m256, [f32; 8]>(_mm512_cvtpd_ps(zmm(x))) }
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
