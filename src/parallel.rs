//! Deterministic parallel reductions.
//!
//! Rows are cut into chunks of a fixed length and partial results are merged along a binary tree
//! whose shape depends only on the number of chunks. Rayon decides which thread computes what, but
//! never in which order floating-point partials are added: the same input gives bit-identical
//! results on 1 or N threads.

use std::ops::Range;

/// A zero-filled vector of `n` values whose pages the kernel is asked to back with huge pages
/// when the vector is large (Linux, transparent huge pages in "madvise" mode): a buffer of a
/// million rows then costs a handful of page faults instead of thousands, which is a good part
/// of a fast kernel's time on first use. Elsewhere, or when the advice is refused, a plain
/// zeroed vector.
pub fn zeroed<T: Copy + Default>(n: usize) -> Vec<T> {
    let bytes = n.saturating_mul(std::mem::size_of::<T>());
    if bytes < (4 << 20) {
        return vec![T::default(); n];
    }
    let mut v: Vec<T> = Vec::with_capacity(n);
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = v.as_ptr() as usize;
        let aligned = (start + HUGE - 1) & !(HUGE - 1);
        let end = (start + bytes) & !(HUGE - 1);
        if end > aligned {
            // SAFETY: the range lies inside the vector's allocation (rounded inwards to huge
            // page boundaries); MADV_HUGEPAGE only advises the kernel, it changes no contents.
            unsafe {
                libc::madvise(
                    aligned as *mut libc::c_void,
                    end - aligned,
                    libc::MADV_HUGEPAGE,
                );
            }
        }
    }
    v.resize(n, T::default());
    v
}

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
                    $($imp)::+::<$crate::parallel::Avx2>($($arg),*)
                }
                if $crate::parallel::has_avx2_fma() {
                    // SAFETY: the CPU supports AVX2 and FMA (checked just above).
                    return unsafe { avx2($($arg),*) };
                }
            }
            $($imp)::+::<$crate::parallel::Portable>($($arg),*)
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
                if $crate::parallel::has_avx2_fma() {
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
            *o = crate::random::xoshiro_step(s, l);
        }
        out
    }
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

/// Rows per chunk for the row-parallel kernels.
pub const CHUNK_ROWS: usize = 1024;

fn n_chunks(n: usize, chunk: usize) -> usize {
    n.div_ceil(chunk).max(1)
}

/// Folds `leaf(rows)` over fixed chunks of `0..n` and merges the partials in chunk order.
pub fn fold_rows<T, L, M>(n: usize, leaf: L, merge: M) -> T
where
    T: Send,
    L: Fn(Range<usize>) -> T + Sync,
    M: Fn(T, T) -> T + Sync,
{
    fn rec<T: Send>(
        n: usize,
        first: usize,
        count: usize,
        leaf: &(dyn Fn(Range<usize>) -> T + Sync),
        merge: &(dyn Fn(T, T) -> T + Sync),
    ) -> T {
        if count == 1 {
            let start = first * CHUNK_ROWS;
            return leaf(start..(start + CHUNK_ROWS).min(n));
        }
        let mid = count / 2;
        let (a, b) = rayon::join(
            || rec(n, first, mid, leaf, merge),
            || rec(n, first + mid, count - mid, leaf, merge),
        );
        merge(a, b)
    }
    rec(n, 0, n_chunks(n, CHUNK_ROWS), &leaf, &merge)
}

/// As [`fold_rows`], with each chunk also given its slice of a per-row output of `per_row` items
/// per row (labels, distances, ...) to write.
pub fn fold_rows_mut<U, T, L, M>(out: &mut [U], per_row: usize, leaf: L, merge: M) -> T
where
    U: Send,
    T: Send,
    L: Fn(Range<usize>, &mut [U]) -> T + Sync,
    M: Fn(T, T) -> T + Sync,
{
    type Leaf<'a, U, T> = &'a (dyn Fn(Range<usize>, &mut [U]) -> T + Sync);
    fn rec<U: Send, T: Send>(
        out: &mut [U],
        per_row: usize,
        first: usize,
        count: usize,
        leaf: Leaf<'_, U, T>,
        merge: &(dyn Fn(T, T) -> T + Sync),
    ) -> T {
        if count == 1 {
            let start = first * CHUNK_ROWS;
            return leaf(start..start + out.len() / per_row, out);
        }
        let mid = count / 2;
        let (a, b) = out.split_at_mut(mid * CHUNK_ROWS * per_row);
        let (a, b) = rayon::join(
            || rec(a, per_row, first, mid, leaf, merge),
            || rec(b, per_row, first + mid, count - mid, leaf, merge),
        );
        merge(a, b)
    }
    assert!(per_row > 0 && out.len() % per_row == 0, "output shape");
    let n = out.len() / per_row;
    rec(out, per_row, 0, n_chunks(n, CHUNK_ROWS), &leaf, &merge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_every_row_once_in_order() {
        for n in [1, 5, CHUNK_ROWS, CHUNK_ROWS + 1, 5 * CHUNK_ROWS + 17] {
            let rows = fold_rows(
                n,
                |r| r.collect::<Vec<_>>(),
                |mut a, b| {
                    a.extend(b);
                    a
                },
            );
            assert_eq!(rows, (0..n).collect::<Vec<_>>());
            let mut out = vec![0usize; 2 * n];
            let total = fold_rows_mut(
                &mut out,
                2,
                |r, o| {
                    for (i, row) in r.clone().zip(o.chunks_mut(2)) {
                        row[0] = i;
                        row[1] = i;
                    }
                    r.len()
                },
                |a, b| a + b,
            );
            assert_eq!(total, n);
            assert!(out.chunks(2).enumerate().all(|(i, r)| r == [i, i]));
        }
    }

    #[test]
    fn float_sums_do_not_depend_on_thread_count() {
        let n = 37 * CHUNK_ROWS + 5;
        let vals: Vec<f64> = (0..n)
            .map(|i| ((i * 7919) % 1013) as f64 * 1e-3 + 1e10)
            .collect();
        let sum = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| fold_rows(n, |r| vals[r].iter().sum::<f64>(), |a, b| a + b))
        };
        assert_eq!(sum(1).to_bits(), sum(2).to_bits());
        assert_eq!(sum(1).to_bits(), sum(7).to_bits());
    }
}
