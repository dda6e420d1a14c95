//! Partition kernels of a distributed k-means whose merged result is bit-identical to the
//! in-memory fit.
//!
//! The in-memory kernels cut the `n` rows into chunks of [`CHUNK_ROWS`] and merge the chunk
//! partials along the binary tree of [`crate::parallel::fold_rows`], whose shape depends only on
//! the number of chunks. A partition that starts on a chunk boundary (and ends on one, or at the
//! last row) holds whole chunks; every node of that global tree lying inside it is computed there
//! by the same fold, and the partition returns its *maximal* nodes (at most about 2 log₂ of its
//! chunk count). The client rebuilds the upper part of the tree from those nodes, adding in the
//! same order as the in-memory fold: the sums, weights, inertia and moments are then the same
//! floating-point numbers, whatever the partitioning and the number of workers.

use ndarray::{Array1, Array2, Array3, ArrayView1, ArrayView2};

use super::assign::{assign, Packed, Pass};
use super::sq_dist;
use crate::error::{Error, Result};
use crate::parallel::fold_rows;
pub use crate::partition::{covering_nodes, Placement};
use crate::table::{check_numeric, Missing, Moments};

/// Tree nodes of one partition: `first` / `count` chunk ranges, one entry per node.
#[derive(Debug, Clone, PartialEq)]
pub struct Nodes {
    pub first: Array1<u64>,
    pub count: Array1<u64>,
}

pub(crate) fn nodes_of(spec: &[((usize, usize), std::ops::Range<usize>)]) -> Nodes {
    Nodes {
        first: spec.iter().map(|((f, _), _)| *f as u64).collect(),
        count: spec.iter().map(|((_, c), _)| *c as u64).collect(),
    }
}

/// The column moments of one partition, per tree node (as [`Moments::of`] folds them).
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionMoments {
    pub nodes: Nodes,
    /// nodes × d each.
    pub count: Array2<f64>,
    pub mean: Array2<f64>,
    pub m2: Array2<f64>,
    /// Total weight of the partition's rows (its row count when unweighted).
    pub total_weight: f64,
}

/// Validates a partition (finite values, finite non-negative weights) and returns its moments
/// per tree node.
pub fn partition_moments(
    x: ArrayView2<'_, f64>,
    weights: Option<ArrayView1<'_, f64>>,
    at: Placement,
) -> Result<PartitionMoments> {
    let spec = at.nodes(x.nrows())?;
    let d = x.ncols();
    let m = spec.len();
    let (mut count, mut mean, mut m2) = (
        Array2::zeros((m, d)),
        Array2::zeros((m, d)),
        Array2::zeros((m, d)),
    );
    for (i, (_, rows)) in spec.iter().enumerate() {
        let mo = Moments::of(x.slice(ndarray::s![rows.clone(), ..]));
        count.row_mut(i).assign(&ArrayView1::from(&mo.count));
        mean.row_mut(i).assign(&ArrayView1::from(&mo.mean));
        m2.row_mut(i).assign(&ArrayView1::from(&mo.m2));
    }
    // As `Table::new`: a NaN lowers a count and an inf makes a moment non-finite, so the moments
    // pass doubles as the check, and the scan that names the column runs only when needed.
    let suspicious = mean.iter().chain(&m2).any(|v| !v.is_finite())
        || spec
            .iter()
            .zip(count.rows())
            .any(|((_, rows), c)| c.iter().any(|&c| c < rows.len() as f64));
    if suspicious {
        check_numeric(x, Missing::Forbid)?;
    }
    // (After the values, as `Table::new` checks them.)
    let total_weight = match weights {
        None => x.nrows() as f64,
        Some(w) => {
            if w.len() != x.nrows() {
                return Err(Error::invalid(
                    "sample_weight",
                    format!("has {} entries for {} rows", w.len(), x.nrows()),
                ));
            }
            if let Some(v) = w.iter().find(|v| !v.is_finite() || **v < 0.0) {
                return Err(Error::invalid(
                    "sample_weight",
                    format!("must be finite and non-negative, found {v}"),
                ));
            }
            w.sum()
        }
    };
    Ok(PartitionMoments {
        nodes: nodes_of(&spec),
        count,
        mean,
        m2,
        total_weight,
    })
}

/// One assignment pass of a partition, per tree node: the sums and weights of a Lloyd step
/// (`accumulate`) or the inertia of the final assignment (not `accumulate`).
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionLloyd {
    pub nodes: Nodes,
    /// nodes × k × d weighted sums of `x − offset` (empty unless accumulating).
    pub sums: Array3<f64>,
    /// nodes × k weights (empty unless accumulating).
    pub weights: Array2<f64>,
    /// Inertia per node (zeros when accumulating: the in-memory Lloyd steps skip it).
    pub inertia: Array1<f64>,
    /// A 64-bit hash of the partition's labels, to tell whether any label changed between two
    /// steps (the in-memory fit stops when none did).
    pub label_hash: u64,
}

/// The inputs of a partition pass.
pub struct PassInput<'a> {
    pub x: ArrayView2<'a, f64>,
    pub weights: Option<ArrayView1<'a, f64>>,
    /// k × d centres relative to `offset`.
    pub centers: ArrayView2<'a, f64>,
    pub offset: ArrayView1<'a, f64>,
    pub at: Placement,
}

struct Prepared<'a> {
    x: &'a [f64],
    w: Option<&'a [f64]>,
    offset: Vec<f64>,
    packed: Packed,
    spec: Vec<((usize, usize), std::ops::Range<usize>)>,
}

fn prepare<'a>(input: &'a PassInput<'_>) -> Result<Prepared<'a>> {
    let spec = input.at.nodes(input.x.nrows())?;
    let d = input.x.ncols();
    let (k, dc) = input.centers.dim();
    if k == 0 || dc != d {
        return Err(Error::invalid(
            "X",
            format!("X has {d} features, but the model has centres with {dc} features"),
        ));
    }
    if input.offset.len() != d {
        return Err(Error::invalid("offset", "needs one entry per feature"));
    }
    let x = input
        .x
        .as_slice()
        .ok_or_else(|| Error::invalid("X", "must be a C-contiguous array"))?;
    let w = match &input.weights {
        None => None,
        Some(w) => {
            if w.len() != input.x.nrows() {
                return Err(Error::invalid("sample_weight", "needs one entry per row"));
            }
            Some(
                w.as_slice()
                    .ok_or_else(|| Error::invalid("sample_weight", "must be contiguous"))?,
            )
        }
    };
    Ok(Prepared {
        x,
        w,
        offset: input.offset.to_vec(),
        packed: Packed::new(input.centers.as_standard_layout().view()),
        spec,
    })
}

/// Order-sensitive 64-bit hash of labels, folded over fixed chunks.
pub(crate) fn hash_labels(labels: &[u32]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mix = |mut h: u64| {
        h ^= h >> 31;
        h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^ (h >> 29)
    };
    fold_rows(
        labels.len(),
        |rows| {
            let mut h = rows.start as u64;
            for &l in &labels[rows] {
                h = (h ^ u64::from(l)).wrapping_mul(K).rotate_left(23);
            }
            mix(h)
        },
        |a, b| mix(a.rotate_left(17) ^ b.wrapping_mul(K)),
    )
}

/// The Lloyd step (or final assignment) statistics of one partition.
pub fn partition_lloyd(input: &PassInput<'_>, accumulate: bool) -> Result<PartitionLloyd> {
    let p = prepare(input)?;
    let (k, d) = (p.packed.k, p.packed.d);
    let m = p.spec.len();
    let mut labels = vec![u32::MAX; input.x.nrows()];
    let (ks, kd) = if accumulate { (k, d) } else { (0, 0) };
    let mut sums = Array3::zeros((m, ks, kd));
    let mut weights = Array2::zeros((m, ks));
    let mut inertia = Array1::zeros(m);
    for (i, (_, rows)) in p.spec.iter().enumerate() {
        let part = assign(
            Pass {
                x: &p.x[rows.start * d..rows.end * d],
                offset: &p.offset,
                weights: p.w.map(|w| &w[rows.clone()]),
                centres: &p.packed,
                accumulate,
                inertia: !accumulate,
            },
            &mut labels[rows.clone()],
        );
        if accumulate {
            let s = ArrayView2::from_shape((k, d), &part.sums).expect("k × d");
            sums.index_axis_mut(ndarray::Axis(0), i).assign(&s);
            weights.row_mut(i).assign(&ArrayView1::from(&part.weights));
        } else {
            inertia[i] = part.inertia;
        }
    }
    Ok(PartitionLloyd {
        nodes: nodes_of(&p.spec),
        sums,
        weights,
        inertia,
        label_hash: hash_labels(&labels),
    })
}

/// The rows of one partition farthest from their assigned centre, the candidates of the
/// relocation of empty clusters.
#[derive(Debug, Clone, PartialEq)]
pub struct Farthest {
    /// Global row indices, farthest first (ties: lower index first).
    pub index: Array1<u64>,
    /// Squared distance of each to its centre, as the in-memory relocation computes it.
    pub distance: Array1<f64>,
    /// The rows (m × d, in the data's units).
    pub rows: Array2<f64>,
    /// Their weights (1 when unweighted).
    pub weight: Array1<f64>,
    /// Their assigned centres.
    pub label: Array1<u32>,
}

/// The `m` rows of the partition farthest from their nearest centre.
pub fn partition_farthest(input: &PassInput<'_>, m: usize) -> Result<Farthest> {
    let p = prepare(input)?;
    let d = p.packed.d;
    let n = input.x.nrows();
    let mut labels = vec![u32::MAX; n];
    assign(
        Pass {
            x: p.x,
            offset: &p.offset,
            weights: p.w,
            centres: &p.packed,
            accumulate: false,
            inertia: false,
        },
        &mut labels,
    );
    let rows = &p.packed.rows;
    let dist: Vec<f64> = (0..n)
        .map(|i| {
            let l = labels[i] as usize;
            sq_dist(p.x, &p.offset, i, &rows[l * d..(l + 1) * d])
        })
        .collect();
    let far = |a: &usize, b: &usize| dist[*b].total_cmp(&dist[*a]).then(a.cmp(b));
    let mut order: Vec<usize> = (0..n).collect();
    let m = m.min(n);
    if m < n {
        order.select_nth_unstable_by(m, far);
    }
    order.truncate(m);
    order.sort_by(far);
    let start = input.at.row_start as u64;
    let mut out_rows = Array2::zeros((m, d));
    for (r, &i) in order.iter().enumerate() {
        out_rows
            .row_mut(r)
            .assign(&ArrayView1::from(&p.x[i * d..(i + 1) * d]));
    }
    Ok(Farthest {
        index: order.iter().map(|&i| start + i as u64).collect(),
        distance: order.iter().map(|&i| dist[i]).collect(),
        rows: out_rows,
        weight: order.iter().map(|&i| p.w.map_or(1.0, |w| w[i])).collect(),
        label: order.iter().map(|&i| labels[i]).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covering_nodes_tile_the_range_and_match_the_fold_tree() {
        for n_chunks in [1, 2, 3, 7, 16, 37] {
            for c0 in 0..n_chunks {
                for c1 in c0 + 1..=n_chunks {
                    let nodes = covering_nodes(n_chunks, c0, c1);
                    let mut at = c0;
                    for &(f, c) in &nodes {
                        assert_eq!(f, at);
                        at += c;
                    }
                    assert_eq!(at, c1);
                }
            }
            assert_eq!(covering_nodes(n_chunks, 0, n_chunks), vec![(0, n_chunks)]);
        }
    }

    #[test]
    fn misaligned_partitions_are_refused() {
        let x = Array2::<f64>::zeros((10, 2));
        let at = Placement {
            row_start: 5,
            n_total: 100,
        };
        assert!(partition_moments(x.view(), None, at).is_err());
        let at = Placement {
            row_start: 0,
            n_total: 10,
        };
        assert!(partition_moments(x.view(), None, at).is_ok());
        let at = Placement {
            row_start: 0,
            n_total: 2000,
        };
        assert!(partition_moments(x.view(), None, at).is_err());
    }
}
