//! The instruction set of the kernels: CPU feature detection, the [`dispatch_avx2!`] macro that
//! compiles a kernel twice (AVX2 + FMA, and portable) and picks one at run time, and the [`Isa`]
//! trait through which a kernel written once uses what its build may (fused multiply-add, the
//! four-lane xoshiro step in AVX2 integer instructions).
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

    /// One step of four xoshiro256++ generators side by side (state word-major: `s[w][lane]`),
    /// returning each lane's 64-bit output (see `random::Lanes`).
    #[inline(always)]
    fn xoshiro4(s: &mut [[u64; 4]; 4]) -> [u64; 4] {
        let mut out = [0u64; 4];
        for (l, o) in out.iter_mut().enumerate() {
            *o = xoshiro_step(s, l);
        }
        out
    }
}

/// One xoshiro256++ step (Blackman & Vigna) of lane `l` of a word-major state `s[w][lane]`: the
/// scalar form of [`Isa::xoshiro4`].
#[inline(always)]
pub fn xoshiro_step(s: &mut [[u64; 4]; 4], l: usize) -> u64 {
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

    /// The same step in AVX2 integer instructions (the rotations as two shifts and an or, which
    /// the compiler would otherwise do lane by lane in general registers).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn xoshiro4(s: &mut [[u64; 4]; 4]) -> [u64; 4] {
        use std::arch::x86_64::*;
        // SAFETY: AVX2 is present (the trait's contract); the loads and stores are unaligned
        // accesses of four u64 inside `s` and `out`.
        unsafe {
            let p = s.as_mut_ptr() as *mut __m256i;
            let (s0, s1) = (_mm256_loadu_si256(p), _mm256_loadu_si256(p.add(1)));
            let (s2, s3) = (_mm256_loadu_si256(p.add(2)), _mm256_loadu_si256(p.add(3)));
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
            _mm256_storeu_si256(p, s0);
            _mm256_storeu_si256(p.add(1), s1);
            _mm256_storeu_si256(p.add(2), s2);
            _mm256_storeu_si256(p.add(3), s3);
            let mut o = [0u64; 4];
            _mm256_storeu_si256(o.as_mut_ptr() as *mut __m256i, out);
            o
        }
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
