//! Integer ids to codes by direct indexing over their range: the factorization of customer ids
//! and invoice numbers when they are integers of a modest range (the common case in ERP
//! exports), a few streaming passes instead of a hash table.

use ndarray::ArrayView1;
use rayon::prelude::*;

use crate::parallel::fold_rows;

/// Codes in `0..uniques.len()` (in the sorted order of the ids); -1 for a missing id.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseCodes {
    pub codes: Vec<i64>,
    pub uniques: Vec<i64>,
}

/// Codes of `values` (`missing` marks a missing id), or None when the range of the ids exceeds
/// `max_range` (or there is no id).
pub fn dense_codes(
    values: ArrayView1<'_, i64>,
    missing: i64,
    max_range: u64,
) -> Option<DenseCodes> {
    let v: Vec<i64>;
    let values = match values.as_slice() {
        Some(s) => s,
        None => {
            v = values.to_vec();
            &v
        }
    };
    let n = values.len();
    let (lo, hi) = fold_rows(
        n,
        |rows| {
            values[rows]
                .iter()
                .filter(|&&x| x != missing)
                .fold((i64::MAX, i64::MIN), |(a, b), &x| (a.min(x), b.max(x)))
        },
        |a, b| (a.0.min(b.0), a.1.max(b.1)),
    );
    if lo > hi {
        return None;
    }
    let range = (hi as i128 - lo as i128) as u128 + 1;
    if range > u128::from(max_range) {
        return None;
    }
    let range = range as usize;
    let mut present = vec![false; range];
    for &x in values {
        if x != missing {
            present[(x - lo) as usize] = true;
        }
    }
    let mut code = vec![-1i64; range];
    let mut uniques = Vec::new();
    for (i, &p) in present.iter().enumerate() {
        if p {
            code[i] = uniques.len() as i64;
            uniques.push(lo + i as i64);
        }
    }
    let codes = values
        .par_iter()
        .with_min_len(1 << 14)
        .map(|&x| {
            if x == missing {
                -1
            } else {
                code[(x - lo) as usize]
            }
        })
        .collect();
    Some(DenseCodes { codes, uniques })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

    #[test]
    fn sorted_codes_and_missing() {
        let v = Array1::from(vec![12i64, 10, -1, 12, 15]);
        let d = dense_codes(v.view(), -1, 100).unwrap();
        assert_eq!(d.uniques, vec![10, 12, 15]);
        assert_eq!(d.codes, vec![1, 0, -1, 1, 2]);
        assert!(dense_codes(v.view(), -1, 3).is_none());
        assert!(dense_codes(Array1::from(vec![i64::MIN, i64::MAX]).view(), 0, 10).is_none());
    }
}
