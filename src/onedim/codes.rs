//! Integer ids to codes by direct indexing over their range: the factorization of customer ids
//! and invoice numbers when they are integers of a modest range (the common case in ERP
//! exports), a few streaming passes instead of a hash table.

use ndarray::ArrayView1;
use rayon::prelude::*;

use crate::parallel::{fold_rows, zeroed};

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
    // code + 1 of each id (0: absent), in the order of the ids.
    let mut code: Vec<i64> = zeroed(range);
    for &x in values {
        if x != missing {
            code[(x - lo) as usize] = 1;
        }
    }
    let mut uniques = Vec::new();
    for (i, c) in code.iter_mut().enumerate() {
        if *c != 0 {
            uniques.push(lo + i as i64);
            *c = uniques.len() as i64;
        }
    }
    let mut codes: Vec<i64> = zeroed(n);
    codes
        .par_chunks_mut(1 << 16)
        .zip(values.par_chunks(1 << 16))
        .for_each(|(out, vals)| {
            for (o, &x) in out.iter_mut().zip(vals) {
                *o = if x == missing {
                    -1
                } else {
                    code[(x - lo) as usize] - 1
                };
            }
        });
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
