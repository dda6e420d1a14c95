//! Small dense linear algebra on row-major `k × k` slices: the Cholesky factor and what follows
//! from it; the reproducible dot products, sums and weighted Gram matrices of the kernels (fixed
//! partial sums, an AVX2 + FMA build through [`Isa`]). The matrices here are parameter-sized (a few to a few dozen rows: the information
//! matrix of a choice model, a covariance of part-worths); a hand-written loop on a contiguous
//! slice beats a general library at that size and keeps the hot loops of the samplers free of
//! allocation.

use crate::simd::Isa;

/// The lower Cholesky factor L (L L' = a) of a symmetric positive definite `k × k` matrix, or
/// `Err(j)` with the first column `j` whose pivot is not positive relative to the diagonal: that
/// column is (numerically) a linear combination of the columns before it.
pub fn cholesky(a: &[f64], k: usize) -> Result<Vec<f64>, usize> {
    let mut l = vec![0.0; k * k];
    cholesky_into(a, k, &mut l)?;
    Ok(l)
}

/// As [`cholesky`], writing into `l` (length k²; the upper triangle is zeroed).
pub fn cholesky_into(a: &[f64], k: usize, l: &mut [f64]) -> Result<(), usize> {
    let scale = (0..k).map(|i| a[i * k + i].abs()).fold(0.0, f64::max);
    let eps = scale * 1e-12;
    for v in l.iter_mut() {
        *v = 0.0;
    }
    for j in 0..k {
        let mut d = a[j * k + j];
        for p in 0..j {
            d -= l[j * k + p] * l[j * k + p];
        }
        if d.is_nan() || d <= eps {
            return Err(j);
        }
        let d = d.sqrt();
        l[j * k + j] = d;
        for i in j + 1..k {
            let mut s = a[i * k + j];
            for p in 0..j {
                s -= l[i * k + p] * l[j * k + p];
            }
            l[i * k + j] = s / d;
        }
    }
    Ok(())
}

/// Solves L L' x = b in place.
pub fn cholesky_solve(l: &[f64], k: usize, b: &mut [f64]) {
    for i in 0..k {
        let mut s = b[i];
        for p in 0..i {
            s -= l[i * k + p] * b[p];
        }
        b[i] = s / l[i * k + i];
    }
    for i in (0..k).rev() {
        let mut s = b[i];
        for p in i + 1..k {
            s -= l[p * k + i] * b[p];
        }
        b[i] = s / l[i * k + i];
    }
}

/// (L L')⁻¹ from the factor.
pub fn cholesky_inverse(l: &[f64], k: usize) -> Vec<f64> {
    let mut inv = vec![0.0; k * k];
    let mut col = vec![0.0; k];
    for j in 0..k {
        col.iter_mut().for_each(|v| *v = 0.0);
        col[j] = 1.0;
        cholesky_solve(l, k, &mut col);
        for i in 0..k {
            inv[i * k + j] = col[i];
        }
    }
    // Exact symmetry (the two triangles come from different rounding paths).
    for i in 0..k {
        for j in 0..i {
            let m = 0.5 * (inv[i * k + j] + inv[j * k + i]);
            inv[i * k + j] = m;
            inv[j * k + i] = m;
        }
    }
    inv
}

/// Inverse of a lower-triangular `k × k` matrix (lower-triangular again).
pub fn lower_inverse(l: &[f64], k: usize) -> Vec<f64> {
    let mut inv = vec![0.0; k * k];
    for j in 0..k {
        inv[j * k + j] = 1.0 / l[j * k + j];
        for i in j + 1..k {
            let mut s = 0.0;
            for p in j..i {
                s -= l[i * k + p] * inv[p * k + j];
            }
            inv[i * k + j] = s / l[i * k + i];
        }
    }
    inv
}

/// Copies the lower triangle of a `k × k` matrix onto the upper one.
pub fn symmetrize(m: &mut [f64], k: usize) {
    for a in 0..k {
        for b in 0..a {
            m[b * k + a] = m[a * k + b];
        }
    }
}

/// Dot product with four partial sums in a fixed order (vectorises; reproducible).
#[inline(always)]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..4 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut s = sum_lanes(&acc);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// Σ v with four partial sums, added by [`sum_lanes`] (vectorises; reproducible).
#[inline(always)]
pub fn sum4(v: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks = v.chunks_exact(4);
    let rest: f64 = chunks.remainder().iter().sum();
    for c in chunks {
        for l in 0..4 {
            acc[l] += c[l];
        }
    }
    sum_lanes(&acc) + rest
}

/// The sum of four partial sums, in a fixed order.
#[inline(always)]
pub fn sum_lanes(a: &[f64; 4]) -> f64 {
    (a[0] + a[2]) + (a[1] + a[3])
}

/// `out[a] += Σ_ρ y[ρ] x_a[ρ]` over the columns x_a = `x[a·n..(a + 1)·n]` (n a multiple of 4).
#[inline(always)]
pub fn dot_columns<M: Isa>(y: &[f64], x: &[f64], n: usize, out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if M::AVX2 {
        // SAFETY: `M::AVX2` holds only in the build that runs on CPUs with AVX2 and FMA.
        return unsafe { dot_columns_avx2(y, x, n, out) };
    }
    dot_columns_portable(y, x, n, out)
}

#[inline(always)]
fn dot_columns_portable(y: &[f64], x: &[f64], n: usize, out: &mut [f64]) {
    for (col, o) in x.chunks_exact(n).zip(out.iter_mut()) {
        let mut acc = [0.0f64; 4];
        for (ys, xs) in y.chunks_exact(4).zip(col.chunks_exact(4)) {
            for l in 0..4 {
                acc[l] += ys[l] * xs[l];
            }
        }
        *o += sum_lanes(&acc);
    }
}

/// [`dot_columns`] with AVX2 + FMA, four columns at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn dot_columns_avx2(y: &[f64], x: &[f64], n: usize, out: &mut [f64]) {
    use std::arch::x86_64::*;
    let m = out.len().min(x.len().checked_div(n).unwrap_or(0));
    if !n.is_multiple_of(4) || y.len() < n {
        return dot_columns_portable(y, x, n, out);
    }
    let sum = |v: __m256d| {
        let mut a = [0.0f64; 4];
        // SAFETY: `a` holds four values.
        unsafe { _mm256_storeu_pd(a.as_mut_ptr(), v) };
        sum_lanes(&a)
    };
    let (yp, xp) = (y.as_ptr(), x.as_ptr());
    let mut a = 0;
    while a + 4 <= m {
        let mut acc = [_mm256_setzero_pd(); 4];
        for i in (0..n).step_by(4) {
            // SAFETY: i + 4 ≤ n ≤ y.len(), and column a + c < m ends at (a + c + 1)·n ≤ x.len().
            unsafe {
                let yv = _mm256_loadu_pd(yp.add(i));
                for (c, acc) in acc.iter_mut().enumerate() {
                    *acc = _mm256_fmadd_pd(yv, _mm256_loadu_pd(xp.add((a + c) * n + i)), *acc);
                }
            }
        }
        for (c, acc) in acc.iter().enumerate() {
            out[a + c] += sum(*acc);
        }
        a += 4;
    }
    while a < m {
        let mut acc = _mm256_setzero_pd();
        for i in (0..n).step_by(4) {
            // SAFETY: as above.
            unsafe {
                acc = _mm256_fmadd_pd(
                    _mm256_loadu_pd(yp.add(i)),
                    _mm256_loadu_pd(xp.add(a * n + i)),
                    acc,
                );
            }
        }
        out[a] += sum(acc);
        a += 1;
    }
}

/// `info[a·k + b] += Σ_ρ wd[ρ] u_a[ρ] u_b[ρ]` for b ≤ a < k (the lower triangle), over the
/// columns u_a = `u[a·stride..a·stride + len]` (len = wd.len(), a multiple of 4); `u` holds k
/// rounded up to a multiple of 4 columns. The columns past k are read but only enter sums that
/// are dropped, so their contents do not matter.
#[inline(always)]
pub fn gram_lower<M: Isa>(wd: &[f64], u: &[f64], k: usize, stride: usize, info: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if M::AVX2 {
        // SAFETY: `M::AVX2` holds only in the build that runs on CPUs with AVX2 and FMA.
        return unsafe { gram_lower_avx2(wd, u, k, stride, info) };
    }
    gram_lower_portable(wd, u, k, stride, info)
}

#[inline(always)]
fn gram_lower_portable(wd: &[f64], u: &[f64], k: usize, stride: usize, info: &mut [f64]) {
    let len = wd.len();
    for a in 0..k {
        let x = &u[a * stride..a * stride + len];
        for b in 0..=a {
            let y = &u[b * stride..b * stride + len];
            let mut acc = [0.0f64; 4];
            for ((ws, xs), ys) in wd
                .chunks_exact(4)
                .zip(x.chunks_exact(4))
                .zip(y.chunks_exact(4))
            {
                for l in 0..4 {
                    acc[l] += ws[l] * xs[l] * ys[l];
                }
            }
            info[a * k + b] += sum_lanes(&acc);
        }
    }
}

/// [`gram_lower`] with AVX2 + FMA: tiles of 2 × 4 columns whose eight sums stay in registers
/// (a tile on the diagonal also computes a few entries above it, which are dropped).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn gram_lower_avx2(wd: &[f64], u: &[f64], k: usize, stride: usize, info: &mut [f64]) {
    use std::arch::x86_64::*;
    let len = wd.len();
    let kp = k.div_ceil(4) * 4;
    if !len.is_multiple_of(4) || len > stride || u.len() < kp * stride || info.len() < k * k {
        return gram_lower_portable(wd, u, k, stride, info);
    }
    let (wp, up) = (wd.as_ptr(), u.as_ptr());
    for a in (0..k).step_by(2) {
        for b in (0..=(a + 1).min(k - 1)).step_by(4) {
            let mut acc = [_mm256_setzero_pd(); 8];
            for i in (0..len).step_by(4) {
                // SAFETY: a + 1 < kp and b + 3 < kp (b is a multiple of 4 below k), so every
                // column read ends by (kp − 1)·stride + len ≤ u.len(); i + 4 ≤ len = wd.len().
                unsafe {
                    let w = _mm256_loadu_pd(wp.add(i));
                    let x0 = _mm256_mul_pd(w, _mm256_loadu_pd(up.add(a * stride + i)));
                    let x1 = _mm256_mul_pd(w, _mm256_loadu_pd(up.add((a + 1) * stride + i)));
                    for c in 0..4 {
                        let y = _mm256_loadu_pd(up.add((b + c) * stride + i));
                        acc[c] = _mm256_fmadd_pd(x0, y, acc[c]);
                        acc[4 + c] = _mm256_fmadd_pd(x1, y, acc[4 + c]);
                    }
                }
            }
            for (t, acc) in acc.iter().enumerate() {
                let (ra, cb) = (a + t / 4, b + t % 4);
                if ra < k && cb <= ra {
                    let mut v = [0.0f64; 4];
                    // SAFETY: `v` holds four values.
                    unsafe { _mm256_storeu_pd(v.as_mut_ptr(), *acc) };
                    info[ra * k + cb] += sum_lanes(&v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spd() -> Vec<f64> {
        vec![4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0]
    }

    #[test]
    fn factor_solve_and_inverse_agree() {
        let a = spd();
        let l = cholesky(&a, 3).unwrap();
        // L L' reproduces a.
        for i in 0..3 {
            for j in 0..3 {
                let s: f64 = (0..3).map(|p| l[i * 3 + p] * l[j * 3 + p]).sum();
                assert!((s - a[i * 3 + j]).abs() < 1e-14);
            }
        }
        let inv = cholesky_inverse(&l, 3);
        for i in 0..3 {
            for j in 0..3 {
                let s: f64 = (0..3).map(|p| a[i * 3 + p] * inv[p * 3 + j]).sum();
                assert!((s - f64::from(u8::from(i == j))).abs() < 1e-14);
            }
        }
        let mut b = vec![1.0, 2.0, 3.0];
        cholesky_solve(&l, 3, &mut b);
        let back: Vec<f64> = (0..3)
            .map(|i| (0..3).map(|j| a[i * 3 + j] * b[j]).sum())
            .collect();
        assert!((back[0] - 1.0).abs() < 1e-13 && (back[2] - 3.0).abs() < 1e-13);
        // L⁻¹ L = I.
        let li = lower_inverse(&l, 3);
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|p| li[i * 3 + p] * l[p * 3 + j]).sum();
                assert!(
                    (v - f64::from(u8::from(i == j))).abs() < 1e-14,
                    "{i} {j} {v}"
                );
            }
        }
    }

    #[test]
    fn dependent_column_is_named() {
        // Column 2 = column 0 + column 1.
        let a = vec![1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 2.0];
        assert_eq!(cholesky(&a, 3), Err(2));
    }
}
