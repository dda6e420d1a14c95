//! Cluster features (CF) and the log-likelihood distance of SPSS TwoStep.
//!
//! A CF summarises a set of rows: the count `n`, per numeric column the sum and the sum of
//! squares, per categorical column the count of each level (and, cached, `Σ c ln c` per column
//! and the cluster's ξ). For a cluster v (IBM SPSS Statistics Algorithms, "TwoStep Cluster
//! Algorithms"; Chiu et al. 2001)
//!
//! ```text
//! ξ_v = −N_v ( Σ_k ½ ln(Δ_k + σ̂²_vk) + Σ_k Ê_vk ),   Ê_vk = −Σ_l (N_vkl / N_v) ln(N_vkl / N_v)
//! d(i, j) = ξ_i + ξ_j − ξ_<i,j>
//! ```
//!
//! with σ̂²_vk the (maximum-likelihood) variance of numeric column k in v and Δ_k the variance of
//! column k over all rows. `N_v Ê_vk = N_v ln N_v − Σ_l N_vkl ln N_vkl`, so ξ needs only the
//! cached `Σ c ln c`.

/// `x ln x` with `0 ln 0 = 0`.
#[inline]
pub(crate) fn xlnx(x: f64) -> f64 {
    if x > 0.0 {
        x * x.ln()
    } else {
        0.0
    }
}

/// The shape of the data: numeric columns, categorical columns and their levels, Δ_k.
#[derive(Debug, Clone)]
pub struct Space {
    /// Δ_k, the variance of each numeric column over all rows (in the units clustered).
    pub delta: Vec<f64>,
    /// Start of each categorical column's levels in `Cf::counts` (q + 1 offsets).
    pub offsets: Vec<usize>,
    /// ξ of a single row: −½ Σ_k ln Δ_k.
    pub xi_row: f64,
}

impl Space {
    pub fn new(delta: Vec<f64>, n_levels: &[u32]) -> Space {
        let mut offsets = Vec::with_capacity(n_levels.len() + 1);
        let mut at = 0usize;
        offsets.push(0);
        for &l in n_levels {
            at += l as usize;
            offsets.push(at);
        }
        let xi_row = -0.5 * delta.iter().map(|d| d.ln()).sum::<f64>();
        Space {
            delta,
            offsets,
            xi_row,
        }
    }

    pub fn p(&self) -> usize {
        self.delta.len()
    }

    pub fn q(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn n_levels_total(&self) -> usize {
        self.offsets[self.q()]
    }

    /// An empty CF.
    pub fn empty(&self) -> Cf {
        Cf {
            n: 0.0,
            s: vec![0.0; self.p()],
            ss: vec![0.0; self.p()],
            counts: vec![0.0; self.n_levels_total()],
            clogc: vec![0.0; self.q()],
            xi: 0.0,
        }
    }

    /// The CF of one row (numeric values in clustering units, level codes).
    pub fn row(&self, x: &[f64], codes: &[u32]) -> Cf {
        let mut cf = self.empty();
        self.set_row(&mut cf, x, codes);
        cf
    }

    /// Overwrites `cf` with the CF of one row.
    pub fn set_row(&self, cf: &mut Cf, x: &[f64], codes: &[u32]) {
        cf.n = 1.0;
        for (k, &v) in x.iter().enumerate() {
            cf.s[k] = v;
            cf.ss[k] = v * v;
        }
        cf.counts.iter_mut().for_each(|c| *c = 0.0);
        for (k, &c) in codes.iter().enumerate() {
            cf.counts[self.offsets[k] + c as usize] = 1.0;
            cf.clogc[k] = 0.0;
        }
        cf.xi = self.xi_row;
    }

    /// A CF from its sums (the `Σ c ln c` cache and ξ computed).
    pub fn from_sums(&self, n: f64, s: &[f64], ss: &[f64], counts: &[f64]) -> Cf {
        let mut cf = Cf {
            n,
            s: s.to_vec(),
            ss: ss.to_vec(),
            counts: counts.to_vec(),
            clogc: vec![0.0; self.q()],
            xi: 0.0,
        };
        for k in 0..self.q() {
            cf.clogc[k] = cf.counts[self.offsets[k]..self.offsets[k + 1]]
                .iter()
                .map(|&c| xlnx(c))
                .sum();
        }
        cf.xi = self.xi(&cf);
        cf
    }

    /// ξ of a CF.
    pub fn xi(&self, cf: &Cf) -> f64 {
        if cf.n <= 0.0 {
            return 0.0;
        }
        let n = cf.n;
        let mut log_var = 0.0;
        for k in 0..self.p() {
            let m = cf.s[k] / n;
            let var = (cf.ss[k] / n - m * m).max(0.0);
            log_var += (self.delta[k] + var).ln();
        }
        let nln = xlnx(n);
        let entropy: f64 = cf.clogc.iter().map(|c| nln - c).sum();
        -(n * 0.5 * log_var + entropy)
    }

    /// Adds `b` into `a` (the union of two disjoint row sets).
    pub fn add(&self, a: &mut Cf, b: &Cf) {
        a.n += b.n;
        for k in 0..self.p() {
            a.s[k] += b.s[k];
            a.ss[k] += b.ss[k];
        }
        for k in 0..self.q() {
            let mut delta = 0.0;
            for l in self.offsets[k]..self.offsets[k + 1] {
                let cb = b.counts[l];
                if cb > 0.0 {
                    let ca = a.counts[l];
                    delta += xlnx(ca + cb) - xlnx(ca);
                    a.counts[l] = ca + cb;
                }
            }
            a.clogc[k] += delta;
        }
        a.xi = self.xi(a);
    }

    /// ξ of the union of `a` and `b`, without building it.
    pub fn xi_union(&self, a: &Cf, b: &Cf) -> f64 {
        let n = a.n + b.n;
        if n <= 0.0 {
            return 0.0;
        }
        let mut log_var = 0.0;
        for k in 0..self.p() {
            let m = (a.s[k] + b.s[k]) / n;
            let var = ((a.ss[k] + b.ss[k]) / n - m * m).max(0.0);
            log_var += (self.delta[k] + var).ln();
        }
        let nln = xlnx(n);
        let mut entropy = 0.0;
        for k in 0..self.q() {
            let mut c = a.clogc[k];
            for l in self.offsets[k]..self.offsets[k + 1] {
                let cb = b.counts[l];
                if cb > 0.0 {
                    let ca = a.counts[l];
                    c += xlnx(ca + cb) - xlnx(ca);
                }
            }
            entropy += nln - c;
        }
        -(n * 0.5 * log_var + entropy)
    }

    /// The log-likelihood distance d(a, b) = ξ_a + ξ_b − ξ_<a,b>.
    #[inline]
    pub fn dist(&self, a: &Cf, b: &Cf) -> f64 {
        a.xi + b.xi - self.xi_union(a, b)
    }

    /// d(cluster, one row), without building the row's CF.
    pub fn dist_row(&self, a: &Cf, x: &[f64], codes: &[u32]) -> f64 {
        let n = a.n + 1.0;
        let mut log_var = 0.0;
        for (k, &v) in x.iter().enumerate() {
            let m = (a.s[k] + v) / n;
            let var = ((a.ss[k] + v * v) / n - m * m).max(0.0);
            log_var += (self.delta[k] + var).ln();
        }
        let nln = xlnx(n);
        let mut entropy = 0.0;
        for (k, &c) in codes.iter().enumerate() {
            let ca = a.counts[self.offsets[k] + c as usize];
            entropy += nln - (a.clogc[k] + xlnx(ca + 1.0) - xlnx(ca));
        }
        a.xi + self.xi_row + (n * 0.5 * log_var + entropy)
    }
}

/// A cluster feature: the sufficient statistics of a set of rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Cf {
    pub n: f64,
    /// Σ x per numeric column.
    pub s: Vec<f64>,
    /// Σ x² per numeric column.
    pub ss: Vec<f64>,
    /// Rows per level, all categorical columns one after the other (`Space::offsets`).
    pub counts: Vec<f64>,
    /// Σ_l c_l ln c_l per categorical column (cache).
    pub clogc: Vec<f64>,
    /// ξ (cache).
    pub xi: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space() -> Space {
        Space::new(vec![1.0, 2.0], &[3, 2])
    }

    #[test]
    fn distance_is_xi_difference_and_non_negative() {
        let sp = space();
        let rows: [(&[f64], &[u32]); 4] = [
            (&[0.0, 1.0], &[0, 1]),
            (&[1.0, -1.0], &[2, 1]),
            (&[0.5, 0.0], &[0, 0]),
            (&[3.0, 2.0], &[1, 1]),
        ];
        let mut a = sp.row(rows[0].0, rows[0].1);
        sp.add(&mut a, &sp.row(rows[1].0, rows[1].1));
        let mut b = sp.row(rows[2].0, rows[2].1);
        sp.add(&mut b, &sp.row(rows[3].0, rows[3].1));
        let mut u = a.clone();
        sp.add(&mut u, &b);
        let d = sp.dist(&a, &b);
        assert!((d - (a.xi + b.xi - u.xi)).abs() < 1e-12);
        assert!(d >= 0.0);
        // The row form agrees with the CF form.
        let r = sp.row(rows[3].0, rows[3].1);
        let d1 = sp.dist(&a, &r);
        let d2 = sp.dist_row(&a, rows[3].0, rows[3].1);
        assert!((d1 - d2).abs() < 1e-12);
        // from_sums rebuilds the caches.
        let c = sp.from_sums(u.n, &u.s, &u.ss, &u.counts);
        assert!((c.xi - u.xi).abs() < 1e-12);
    }
}
