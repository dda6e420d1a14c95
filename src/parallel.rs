//! Deterministic parallel reductions.
//!
//! Rows are cut into chunks of a fixed length and partial results are merged along a binary tree
//! whose shape depends only on the number of chunks. Rayon decides which thread computes what, but
//! never in which order floating-point partials are added: the same input gives bit-identical
//! results on 1 or N threads. Also the zeroed buffers backed by huge pages that the kernels over
//! millions of rows write into.
//!
//! Depends on no other module of the crate.

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
    assert!(
        per_row > 0 && out.len().is_multiple_of(per_row),
        "output shape"
    );
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
