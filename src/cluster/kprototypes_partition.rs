//! The partition kernels of a distributed batch k-prototypes fit (`segmint.distributed`): the
//! statistics of one assignment pass (numeric sums, weights, category counts, member counts,
//! cost) per maximal node of the in-memory chunk tree lying in the partition, and the rows
//! farthest from their prototype (the relocation of empty clusters). Merged along the tree in
//! the in-memory order, they are the numbers of [`super::kprototypes`]'s batch pass.

use ndarray::{Array1, Array2, Array3, ArrayView1, ArrayView2};

use super::kmeans::partition::{hash_labels, nodes_of, Nodes};
use super::kprototypes::{assign, Data, Protos};
use crate::error::{Error, Result};
use crate::partition::Placement;
use crate::table::MISSING_CODE;

/// A partition's rows and the prototypes of one pass.
pub struct ProtoPassInput<'a> {
    /// Numeric block (rows × p), row-major.
    pub numeric: ArrayView2<'a, f64>,
    /// Category codes (rows × q), row-major; [`MISSING_CODE`] mismatches every mode.
    pub codes: ArrayView2<'a, u32>,
    pub n_levels: &'a [u32],
    pub weights: Option<ArrayView1<'a, f64>>,
    /// Numeric centres (k × p) and modes (k × q).
    pub centres: ArrayView2<'a, f64>,
    pub modes: ArrayView2<'a, u32>,
    pub gamma: f64,
    pub at: Placement,
}

/// One assignment pass of a partition, per tree node.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionProtoStats {
    pub nodes: Nodes,
    /// nodes × k × p weighted numeric sums.
    pub sums: Array3<f64>,
    /// nodes × k weights.
    pub weights: Array2<f64>,
    /// nodes × k × (total levels) weighted category counts.
    pub counts: Array3<f64>,
    /// nodes × k member counts.
    pub members: Array2<u64>,
    /// Cost per node.
    pub cost: Array1<f64>,
    /// A 64-bit hash of the partition's labels (the in-memory fit stops when no label changed).
    pub label_hash: u64,
}

struct Prepared<'a> {
    x: std::borrow::Cow<'a, [f64]>,
    codes: std::borrow::Cow<'a, [u32]>,
    w: Option<std::borrow::Cow<'a, [f64]>>,
    offsets: Vec<usize>,
    protos: Protos,
}

fn prepare<'a>(input: &ProtoPassInput<'a>) -> Result<Prepared<'a>> {
    let (n, p) = input.numeric.dim();
    let q = input.codes.ncols();
    let k = input.centres.nrows();
    if input.codes.nrows() != n || input.n_levels.len() != q {
        return Err(Error::invalid(
            "X",
            "numeric and categorical blocks disagree",
        ));
    }
    if k == 0 || input.centres.ncols() != p || input.modes.dim() != (k, q) {
        return Err(Error::invalid(
            "init",
            "prototypes do not match the columns",
        ));
    }
    if !(input.gamma.is_finite() && input.gamma >= 0.0) {
        return Err(Error::invalid("gamma", "must be finite and non-negative"));
    }
    if input.weights.as_ref().is_some_and(|w| w.len() != n) {
        return Err(Error::invalid("sample_weight", "one weight per row"));
    }
    for (a, col) in input.codes.columns().into_iter().enumerate() {
        if col
            .iter()
            .any(|&c| c != MISSING_CODE && c >= input.n_levels[a])
        {
            return Err(Error::invalid(
                "X",
                format!("a code of categorical column {a} is out of range"),
            ));
        }
    }
    let mut offsets = vec![0usize];
    for &l in input.n_levels {
        offsets.push(offsets.last().copied().unwrap_or(0) + l as usize);
    }
    let owned = |v: ArrayView2<'a, f64>| match v.to_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(v.iter().copied().collect()),
    };
    let codes = match input.codes.to_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(input.codes.iter().copied().collect()),
    };
    let w = input.weights.as_ref().map(|w| match w.to_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(w.to_vec()),
    });
    Ok(Prepared {
        x: owned(input.numeric),
        codes,
        w,
        offsets,
        protos: Protos {
            k,
            num: input.centres.iter().copied().collect(),
            modes: input.modes.iter().copied().collect(),
        },
    })
}

fn data_of<'b>(pr: &'b Prepared<'_>, p: usize, q: usize, rows: std::ops::Range<usize>) -> Data<'b> {
    Data {
        x: &pr.x[rows.start * p..rows.end * p],
        p,
        codes: &pr.codes[rows.start * q..rows.end * q],
        q,
        total_levels: pr.offsets.last().copied().unwrap_or(0),
        offsets: pr.offsets.clone(),
        w: pr.w.as_ref().map(|w| &w[rows.clone()]),
        n: rows.len(),
    }
}

/// The statistics of assigning a partition's rows to `input`'s prototypes, per tree node.
pub fn partition_stats(input: &ProtoPassInput<'_>) -> Result<PartitionProtoStats> {
    let spec = input.at.nodes(input.numeric.nrows())?;
    let pr = prepare(input)?;
    let (p, q, k) = (input.numeric.ncols(), input.codes.ncols(), pr.protos.k);
    let levels = pr.offsets.last().copied().unwrap_or(0);
    let m = spec.len();
    let mut labels = vec![u32::MAX; input.numeric.nrows()];
    let mut out = PartitionProtoStats {
        nodes: nodes_of(&spec),
        sums: Array3::zeros((m, k, p)),
        weights: Array2::zeros((m, k)),
        counts: Array3::zeros((m, k, levels)),
        members: Array2::zeros((m, k)),
        cost: Array1::zeros(m),
        label_hash: 0,
    };
    for (i, (_, rows)) in spec.iter().enumerate() {
        let data = data_of(&pr, p, q, rows.clone());
        let s = assign(
            &data,
            &pr.protos,
            input.gamma,
            &mut labels[rows.clone()],
            true,
        );
        for (dst, v) in out
            .sums
            .index_axis_mut(ndarray::Axis(0), i)
            .iter_mut()
            .zip(&s.sums)
        {
            *dst = *v;
        }
        for (dst, v) in out
            .counts
            .index_axis_mut(ndarray::Axis(0), i)
            .iter_mut()
            .zip(&s.counts)
        {
            *dst = *v;
        }
        out.weights.row_mut(i).assign(&ArrayView1::from(&s.weights));
        for (dst, &v) in out.members.row_mut(i).iter_mut().zip(&s.members) {
            *dst = v as u64;
        }
        out.cost[i] = s.cost;
    }
    out.label_hash = hash_labels(&labels);
    Ok(out)
}

/// The rows of a partition farthest from their nearest prototype.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtoFarthest {
    /// Global row indices, farthest first (ties: lower index first).
    pub index: Array1<u64>,
    /// Dissimilarity of each to its prototype.
    pub distance: Array1<f64>,
    /// Their numeric values (m × p) and codes (m × q).
    pub numeric: Array2<f64>,
    pub codes: Array2<u32>,
}

/// The `m` rows of the partition farthest from their nearest prototype.
pub fn partition_farthest(input: &ProtoPassInput<'_>, m: usize) -> Result<ProtoFarthest> {
    input.at.nodes(input.numeric.nrows())?;
    let pr = prepare(input)?;
    let (n, p) = input.numeric.dim();
    let q = input.codes.ncols();
    let data = data_of(&pr, p, q, 0..n);
    let mut far: Vec<(f64, usize)> = (0..n)
        .map(|i| (pr.protos.nearest(&data, input.gamma, i).1, i))
        .collect();
    far.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    far.truncate(m);
    let mut numeric = Array2::zeros((far.len(), p));
    let mut codes = Array2::zeros((far.len(), q));
    for (j, &(_, i)) in far.iter().enumerate() {
        numeric.row_mut(j).assign(&input.numeric.row(i));
        codes.row_mut(j).assign(&input.codes.row(i));
    }
    Ok(ProtoFarthest {
        index: far
            .iter()
            .map(|&(_, i)| (input.at.row_start + i) as u64)
            .collect(),
        distance: far.iter().map(|&(d, _)| d).collect(),
        numeric,
        codes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::CHUNK_ROWS;
    use crate::partition::merge_nodes;
    use std::collections::HashMap;

    type Node = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<u64>, f64);

    fn add(a: Node, b: Node) -> Node {
        let v = |x: Vec<f64>, y: &[f64]| x.iter().zip(y).map(|(p, q)| p + q).collect();
        (
            v(a.0, &b.0),
            v(a.1, &b.1),
            v(a.2, &b.2),
            a.3.iter().zip(&b.3).map(|(p, q)| p + q).collect(),
            a.4 + b.4,
        )
    }

    #[test]
    fn partition_nodes_merged_equal_the_whole_pass_to_the_bit() {
        let n = 5 * CHUNK_ROWS + 77;
        let (p, q) = (2, 2);
        let numeric =
            Array2::from_shape_fn((n, p), |(i, j)| ((i * 7919 + j * 31) % 997) as f64 * 0.013);
        let codes = Array2::from_shape_fn((n, q), |(i, j)| ((i * 13 + j) % (3 + j)) as u32);
        let n_levels = [3u32, 4];
        let w = Array1::from_shape_fn(n, |i| 0.5 + (i % 5) as f64 * 0.37);
        let centres = ndarray::arr2(&[[1.0, 2.0], [6.0, 3.0], [10.0, 11.0]]);
        let modes = ndarray::arr2(&[[0u32, 1], [1, 2], [2, 3]]);
        let input = |rows: std::ops::Range<usize>, row_start: usize| ProtoPassInput {
            numeric: numeric.slice(ndarray::s![rows.clone(), ..]),
            codes: codes.slice(ndarray::s![rows.clone(), ..]),
            n_levels: &n_levels,
            weights: Some(w.slice(ndarray::s![rows])),
            centres: centres.view(),
            modes: modes.view(),
            gamma: 0.7,
            at: Placement {
                row_start,
                n_total: n,
            },
        };
        // The in-memory batch pass over all rows.
        let whole = input(0..n, 0);
        let pr = prepare(&whole).unwrap();
        let data = data_of(&pr, p, q, 0..n);
        let mut labels = vec![u32::MAX; n];
        let s = assign(&data, &pr.protos, 0.7, &mut labels, true);
        for cuts in [
            vec![0, n],
            vec![0, 2 * CHUNK_ROWS, n],
            vec![0, CHUNK_ROWS, 3 * CHUNK_ROWS, 4 * CHUNK_ROWS, n],
        ] {
            let mut nodes: HashMap<(usize, usize), Node> = HashMap::new();
            for win in cuts.windows(2) {
                let r = partition_stats(&input(win[0]..win[1], win[0])).unwrap();
                for i in 0..r.cost.len() {
                    let key = (r.nodes.first[i] as usize, r.nodes.count[i] as usize);
                    let row = |a: &Array3<f64>| {
                        a.index_axis(ndarray::Axis(0), i).iter().copied().collect()
                    };
                    nodes.insert(
                        key,
                        (
                            row(&r.sums),
                            r.weights.row(i).to_vec(),
                            row(&r.counts),
                            r.members.row(i).to_vec(),
                            r.cost[i],
                        ),
                    );
                }
            }
            let m = merge_nodes(&mut nodes, n, &add).unwrap();
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&m.0), bits(&s.sums));
            assert_eq!(bits(&m.1), bits(&s.weights));
            assert_eq!(bits(&m.2), bits(&s.counts));
            assert_eq!(m.3, s.members.iter().map(|&x| x as u64).collect::<Vec<_>>());
            assert_eq!(m.4.to_bits(), s.cost.to_bits());
            assert!(s.members.iter().all(|&x| x > 0));
        }
        // The farthest rows: by dissimilarity, lowest index on ties, global indices.
        let far = partition_farthest(&input(2 * CHUNK_ROWS..n, 2 * CHUNK_ROWS), 4).unwrap();
        assert_eq!(far.index.len(), 4);
        assert!(far.distance.to_vec().windows(2).all(|d| d[0] >= d[1]));
        assert!(far.index.iter().all(|&i| i as usize >= 2 * CHUNK_ROWS));
    }
}
