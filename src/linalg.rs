//! Small dense linear algebra on row-major `k × k` slices: the Cholesky factor and what follows
//! from it. The matrices here are parameter-sized (a few to a few dozen rows: the information
//! matrix of a choice model, a covariance of part-worths); a hand-written loop on a contiguous
//! slice beats a general library at that size and keeps the hot loops of the samplers free of
//! allocation.

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
    let mut s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
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
