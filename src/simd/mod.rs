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
//! The vector builds of the lane operations are in `vector.rs`. This module depends on no other
//! module of the crate: `random`, `linalg` and every kernel build on it.

/// The builds turned off by the environment variable `SEGMINT_DISABLE_CPU_FEATURES` (read once,
/// at the first kernel call): a comma- or space-separated list of `avx512` and `avx2` (which
/// turns off AVX-512 too), in any case. It runs the narrower builds on a machine that has the
/// wider ones, to compare them; (AVX2 off, AVX-512 off).
fn disabled() -> (bool, bool) {
    static DISABLED: std::sync::OnceLock<(bool, bool)> = std::sync::OnceLock::new();
    *DISABLED.get_or_init(|| {
        let value = std::env::var("SEGMINT_DISABLE_CPU_FEATURES").unwrap_or_default();
        let value = value.to_ascii_lowercase();
        let names: Vec<&str> = value.split([',', ' ']).map(str::trim).collect();
        let avx2 = names.contains(&"avx2");
        (avx2, avx2 || names.contains(&"avx512"))
    })
}

/// The widest build the dispatched kernels run here: "avx512", "avx2" or "portable".
pub fn widest_build() -> &'static str {
    if has_avx512() {
        "avx512"
    } else if has_avx2_fma() {
        "avx2"
    } else {
        "portable"
    }
}

/// Whether the CPU has AVX2 and FMA (and `SEGMINT_DISABLE_CPU_FEATURES` does not turn them
/// off): the kernels with a `#[target_feature]` build dispatch on it (std caches the detection,
/// so the check is a load and a test).
#[inline]
pub fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
            && !disabled().0
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether the CPU has AVX-512 F, DQ and VL besides AVX2 and FMA (and
/// `SEGMINT_DISABLE_CPU_FEATURES` does not turn them off): the [`dispatch_avx512!`] kernels'
/// widest build.
#[inline]
pub fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        has_avx2_fma()
            && std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512dq")
            && std::is_x86_feature_detected!("avx512vl")
            && !disabled().1
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

    /// a / b lane by lane.
    #[inline(always)]
    fn div8(a: F8, b: F8) -> F8 {
        std::array::from_fn(|l| a[l] / b[l])
    }

    /// Eight `f64` rounded to `f32` (to nearest, as `as f32`).
    #[inline(always)]
    fn to_f32x8(x: F8) -> [f32; 8] {
        x.map(|v| v as f32)
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

/// The AVX-512 build of a [`dispatch_avx512!`] kernel: the lane operations on one 512-bit
/// register; everything else as [`Avx2`] (whose instructions it may use: `AVX2` is true).
pub struct Avx512;

// SAFETY: plain Rust arithmetic.
unsafe impl Isa for Portable {
    const AVX2: bool = false;

    #[inline(always)]
    fn madd(a: f64, b: f64, c: f64) -> f64 {
        a * b + c
    }
}

mod vector;

#[cfg(test)]
mod tests;
