//! Where a partition of a distributed pass lies in the in-memory chunk tree.
//!
//! The in-memory kernels cut the `n` rows into chunks of [`CHUNK_ROWS`] and merge the chunk
//! partials along the binary tree of [`crate::parallel::fold_rows`], whose shape depends only on
//! the number of chunks. A partition that starts on a chunk boundary (and ends on one, or at the
//! last row) holds whole chunks; every node of that global tree lying inside it can be computed
//! there by the same fold, and the partition returns its *maximal* nodes (at most about 2 log₂ of
//! its chunk count). [`merge_nodes`] rebuilds the upper part of the tree from them, merging in the
//! in-memory order, so a distributed pass gives the in-memory pass's floating-point numbers
//! whatever the partitioning.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::parallel::CHUNK_ROWS;

/// Where a partition lies among the `n_total` rows of the whole data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// Global index of the partition's first row: a multiple of [`CHUNK_ROWS`].
    pub row_start: usize,
    /// Rows of the whole data set.
    pub n_total: usize,
}

/// The maximal nodes `(first chunk, chunk count)` of the chunk tree over `n_chunks` chunks that
/// lie inside chunks `c0..c1`, in chunk order.
pub fn covering_nodes(n_chunks: usize, c0: usize, c1: usize) -> Vec<(usize, usize)> {
    fn rec(first: usize, count: usize, c0: usize, c1: usize, out: &mut Vec<(usize, usize)>) {
        let end = first + count;
        if end <= c0 || first >= c1 {
            return;
        }
        if first >= c0 && end <= c1 {
            out.push((first, count));
            return;
        }
        let mid = count / 2;
        rec(first, mid, c0, c1, out);
        rec(first + mid, count - mid, c0, c1, out);
    }
    let mut out = Vec::new();
    rec(0, n_chunks.max(1), c0, c1, &mut out);
    out
}

impl Placement {
    /// Checks that `n_rows` rows starting at `row_start` are whole chunks; returns the local row
    /// ranges and `(first, count)` of the maximal tree nodes they hold.
    #[allow(clippy::type_complexity)]
    pub fn nodes(&self, n_rows: usize) -> Result<Vec<((usize, usize), std::ops::Range<usize>)>> {
        let end = self.row_start + n_rows;
        if n_rows == 0 {
            return Err(Error::invalid("X", "the partition has no rows"));
        }
        if !self.row_start.is_multiple_of(CHUNK_ROWS) || end > self.n_total {
            return Err(Error::invalid(
                "row_start",
                format!(
                    "a partition must start on a multiple of {CHUNK_ROWS} rows inside the data"
                ),
            ));
        }
        if !end.is_multiple_of(CHUNK_ROWS) && end != self.n_total {
            return Err(Error::invalid(
                "row_start",
                format!("a partition must end on a multiple of {CHUNK_ROWS} rows or at the last"),
            ));
        }
        let n_chunks = self.n_total.div_ceil(CHUNK_ROWS);
        let (c0, c1) = (self.row_start / CHUNK_ROWS, end.div_ceil(CHUNK_ROWS));
        Ok(covering_nodes(n_chunks, c0, c1)
            .into_iter()
            .map(|(f, c)| {
                let lo = f * CHUNK_ROWS - self.row_start;
                let hi = ((f + c) * CHUNK_ROWS).min(self.n_total) - self.row_start;
                ((f, c), lo..hi)
            })
            .collect())
    }
}

/// The root of the chunk tree over `n_total` rows from the maximal nodes `(first chunk, chunk
/// count)` the partitions returned, merging children left to right as [`crate::parallel::fold_rows`]
/// does. A chunk in no node is an error.
pub fn merge_nodes<T>(
    nodes: &mut HashMap<(usize, usize), T>,
    n_total: usize,
    merge: &impl Fn(T, T) -> T,
) -> Result<T> {
    fn rec<T>(
        nodes: &mut HashMap<(usize, usize), T>,
        first: usize,
        count: usize,
        merge: &impl Fn(T, T) -> T,
    ) -> Result<T> {
        if let Some(v) = nodes.remove(&(first, count)) {
            return Ok(v);
        }
        if count <= 1 {
            return Err(Error::invalid(
                "partitions",
                format!("chunk {first} of the data is in no partition"),
            ));
        }
        let mid = count / 2;
        let left = rec(nodes, first, mid, merge)?;
        let right = rec(nodes, first + mid, count - mid, merge)?;
        Ok(merge(left, right))
    }
    rec(nodes, 0, n_total.div_ceil(CHUNK_ROWS).max(1), merge)
}
