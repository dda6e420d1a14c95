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
/// `max_range` (or there is no id): the [`IdTable`]'s codes of every row.
pub fn dense_codes(
    values: ArrayView1<'_, i64>,
    missing: i64,
    max_range: u64,
) -> Option<DenseCodes> {
    let table = id_table(values, missing, max_range)?;
    let codes = match values.as_slice() {
        Some(s) => table.codes(s),
        None => table.codes(&values.to_vec()),
    };
    Some(DenseCodes {
        codes,
        uniques: table.uniques,
    })
}

/// Integer ids of a modest range coded by rank: the code of an id is the number of distinct ids
/// below it (the sorted order, as [`dense_codes`]), read from a bitmap of the range with a
/// running count per 64 ids. 16 bytes per 64 ids of the range: for a million ids, a table that
/// stays in the L2 cache, so the summary pass codes ids itself instead of reading a column of
/// codes.
#[derive(Debug, Clone, PartialEq)]
pub struct IdTable {
    offset: i64,
    missing: i64,
    /// (bits of ids `offset + 64 w ..`, number of ids below them) per word `w`.
    words: Vec<(u64, u64)>,
    uniques: Vec<i64>,
}

impl IdTable {
    /// The distinct ids in sorted order (id of code `i` at `i`).
    pub fn uniques(&self) -> &[i64] {
        &self.uniques
    }

    /// The id marking a missing value.
    pub fn missing(&self) -> i64 {
        self.missing
    }

    /// The code of `id`; None for the missing id and for ids not in the table.
    #[inline]
    pub fn code(&self, id: i64) -> Option<usize> {
        let i = id.wrapping_sub(self.offset) as u64;
        let (bits, below) = *self.words.get((i / 64) as usize)?;
        let bit = 1u64 << (i % 64);
        if id == self.missing || bits & bit == 0 {
            return None;
        }
        Some((below + u64::from((bits & (bit - 1)).count_ones())) as usize)
    }

    /// The codes of `ids` (-1 for the missing id and ids not in the table).
    pub fn codes(&self, ids: &[i64]) -> Vec<i64> {
        let mut out: Vec<i64> = zeroed(ids.len());
        out.par_chunks_mut(1 << 16)
            .zip(ids.par_chunks(1 << 16))
            .for_each(|(o, v)| {
                for (o, &x) in o.iter_mut().zip(v) {
                    *o = self.code(x).map_or(-1, |c| c as i64);
                }
            });
        out
    }
}

/// The [`IdTable`] of `values` (`missing` marks a missing id), or None when the range of the
/// ids exceeds `max_range` (or there is no id). The rows are marked in parallel into one bitmap
/// per task, OR-ed together: the table does not depend on the number of threads.
pub fn id_table(values: ArrayView1<'_, i64>, missing: i64, max_range: u64) -> Option<IdTable> {
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
    let n_words = (range as usize).div_ceil(64);
    let part = n.div_ceil(rayon::current_num_threads().max(1)).max(1 << 16);
    let bits = values
        .par_chunks(part)
        .map(|rows| {
            let mut bits = vec![0u64; n_words];
            // Ids come in runs (the lines of an invoice): mark the head of each run.
            let mut prev = missing;
            for &x in rows {
                if x != prev && x != missing {
                    let i = (x - lo) as u64;
                    bits[(i / 64) as usize] |= 1 << (i % 64);
                }
                prev = x;
            }
            bits
        })
        .reduce_with(|mut a, b| {
            for (x, y) in a.iter_mut().zip(&b) {
                *x |= y;
            }
            a
        })?;
    let mut words = Vec::with_capacity(n_words);
    let mut uniques = Vec::new();
    for (w, &b) in bits.iter().enumerate() {
        words.push((b, uniques.len() as u64));
        let mut rest = b;
        while rest != 0 {
            uniques.push(lo + (64 * w) as i64 + i64::from(rest.trailing_zeros()));
            rest &= rest - 1;
        }
    }
    Some(IdTable {
        offset: lo,
        missing,
        words,
        uniques,
    })
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

    #[test]
    fn id_table_codes_equal_the_ranks_of_the_sorted_ids() {
        let v: Vec<i64> = (0..300_000i64)
            .map(|i| {
                if i % 101 == 0 {
                    -1
                } else {
                    5 + (i * 7919) % 1000 * 3
                }
            })
            .collect();
        let a = Array1::from(v.clone());
        // Reference: the sorted distinct ids and each id's position among them.
        let mut uniques: Vec<i64> = v.iter().copied().filter(|&x| x != -1).collect();
        uniques.sort_unstable();
        uniques.dedup();
        let codes: Vec<i64> = v
            .iter()
            .map(|x| uniques.binary_search(x).map_or(-1, |i| i as i64))
            .collect();
        let dense = DenseCodes { codes, uniques };
        let table = id_table(a.view(), -1, 10_000).unwrap();
        assert_eq!(table.uniques(), &dense.uniques[..]);
        assert_eq!(table.codes(&v), dense.codes);
        assert_eq!(table.code(4), None);
        assert_eq!(table.code(3_100), None);
        assert!(id_table(a.view(), -1, 100).is_none());
        assert!(id_table(Array1::from(vec![-1i64]).view(), -1, 100).is_none());
    }
}
