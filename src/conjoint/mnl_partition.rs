//! Partition kernels of a distributed conditional logit whose merged result is bit-identical to
//! the in-memory fit ([`super::mnl::fit_mnl`]).
//!
//! Every sum of the in-memory fit over the data runs over the fixed chunks of
//! [`crate::parallel::CHUNK_ROWS`] *tasks* and merges the chunk partials along the tree of
//! [`crate::parallel::fold_rows`]: the centring means and the null log-likelihood
//! ([`Totals`]), and the log-likelihood, gradient and information ([`Stats`]). A partition
//! holding whole consecutive tasks that starts on a chunk boundary (see
//! [`crate::partition::Placement`], counted in tasks) returns its maximal tree nodes; the client
//! rebuilds the upper part of the tree in the in-memory order and hands the result to the same
//! Newton driver ([`super::mnl::newton`]). The respondents' scores of the clustered sandwich are
//! sums over a respondent's tasks in order: a partition returns those of the respondents it holds
//! whole, and the client evaluates a respondent cut by a partition boundary on its tasks brought
//! together ([`super::mnl::respondent_scores`] on them).

use super::data::ChoiceData;
use super::mnl::{chunk_stats, Stats, Totals};
use crate::error::{Error, Result};
use crate::parallel::fold_rows;
pub use crate::partition::Placement;

/// The partition's maximal chunk-tree nodes `(first chunk, chunk count)` and their local task
/// ranges.
type NodeSpec = Vec<((usize, usize), std::ops::Range<usize>)>;

fn nodes(d: &ChoiceData, at: Placement) -> Result<NodeSpec> {
    at.nodes(d.n_tasks()).map_err(|e| match e {
        Error::InvalidInput { why, .. } => Error::invalid("task_start", why),
    })
}

/// Validates a partition's tasks and returns its [`Totals`] per maximal tree node.
pub fn partition_totals(d: &ChoiceData, at: Placement) -> Result<Vec<((usize, usize), Totals)>> {
    d.validate()?;
    Ok(nodes(d, at)?
        .into_iter()
        .map(|(node, tasks)| {
            let lo = tasks.start;
            let t = fold_rows(
                tasks.len(),
                |r| Totals::of(d, r.start + lo..r.end + lo),
                Totals::merge,
            );
            (node, t)
        })
        .collect())
}

/// The statistics at `beta` of a partition per maximal tree node, from its centred columns `xt`
/// (the values of [`super::mnl::Columns::centred`] on the partition, with the overall means);
/// the information is not symmetrized (the client does that once, after the merge, as the
/// in-memory fold does). `d.x` is only checked for its shape.
pub fn partition_stats(
    d: &ChoiceData,
    xt: &[f64],
    beta: &[f64],
    hessian: bool,
    at: Placement,
) -> Result<Vec<((usize, usize), Stats)>> {
    if xt.len() != d.x.len() {
        return Err(Error::invalid(
            "columns",
            "must hold as many values as the model matrix",
        ));
    }
    if beta.len() != d.k {
        return Err(Error::invalid("beta", format!("needs {} values", d.k)));
    }
    let view = ChoiceData { x: xt, ..*d };
    view.validate()?;
    Ok(nodes(d, at)?
        .into_iter()
        .map(|(node, tasks)| {
            let lo = tasks.start;
            let s = fold_rows(
                tasks.len(),
                |r| chunk_stats(d, xt, beta, r.start + lo..r.end + lo, hessian),
                Stats::merge,
            );
            (node, s)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::super::mnl::{loglik_stats_with, totals, Columns};
    use super::*;
    use crate::linalg;
    use crate::parallel::CHUNK_ROWS;
    use crate::partition::merge_nodes;
    use crate::random::Stream;
    use std::collections::HashMap;

    /// Tasks of 2..4 alternatives with one chosen each.
    fn data(n_tasks: usize, k: usize) -> (Vec<f64>, Vec<usize>, Vec<usize>) {
        let mut st = Stream::new(3, 0);
        let (mut x, mut starts, mut chosen) = (Vec::new(), vec![0], Vec::new());
        for t in 0..n_tasks {
            let j = 2 + t % 3;
            let base = *starts.last().unwrap();
            for _ in 0..j * k {
                x.push(st.uniform() * 3.0 + 5.0);
            }
            starts.push(base + j);
            chosen.push(base + (t * 7) % j);
        }
        (x, starts, chosen)
    }

    /// The sub-data of tasks `t0..t1` with local offsets.
    fn slice(
        x: &[f64],
        starts: &[usize],
        chosen: &[usize],
        k: usize,
        t0: usize,
        t1: usize,
    ) -> (Vec<f64>, Vec<usize>, Vec<usize>) {
        let (r0, r1) = (starts[t0], starts[t1]);
        (
            x[r0 * k..r1 * k].to_vec(),
            starts[t0..=t1].iter().map(|s| s - r0).collect(),
            chosen[t0..t1].iter().map(|c| c - r0).collect(),
        )
    }

    /// Partitions cut at chunk boundaries merge to the in-memory totals and statistics, bit for
    /// bit, for several cuts.
    #[test]
    fn merged_partitions_equal_the_in_memory_pass() {
        let (k, n) = (3, 5 * CHUNK_ROWS + 300);
        let (x, starts, chosen) = data(n, k);
        let d = ChoiceData {
            x: &x,
            k,
            starts: &starts,
            chosen: &chosen,
            weights: None,
        };
        let whole_t = totals(&d);
        let cols = Columns::centred(&d, &whole_t.mean());
        let beta = [0.2, -0.4, 0.1];
        let want = loglik_stats_with(&d, &cols, &beta, true);
        for cuts in [
            vec![0, n],
            vec![0, CHUNK_ROWS, 3 * CHUNK_ROWS, n],
            vec![0, 2 * CHUNK_ROWS, 5 * CHUNK_ROWS, n],
        ] {
            let mut tn = HashMap::new();
            let mut sn = HashMap::new();
            let mean = whole_t.mean();
            for w in cuts.windows(2) {
                let (xs, ss, cs) = slice(&x, &starts, &chosen, k, w[0], w[1]);
                let p = ChoiceData {
                    x: &xs,
                    k,
                    starts: &ss,
                    chosen: &cs,
                    weights: None,
                };
                let at = Placement {
                    row_start: w[0],
                    n_total: n,
                };
                tn.extend(partition_totals(&p, at).unwrap());
                let pc = Columns::centred(&p, &mean);
                sn.extend(partition_stats(&p, pc.values(), &beta, true, at).unwrap());
            }
            let t = merge_nodes(&mut tn, n, &Totals::merge).unwrap();
            assert_eq!(t, whole_t);
            let mut s = merge_nodes(&mut sn, n, &Stats::merge).unwrap();
            linalg::symmetrize(&mut s.information, k);
            assert_eq!(s, want);
        }
    }

    #[test]
    fn a_partition_off_the_chunk_grid_is_refused() {
        let (k, n) = (2, 3000);
        let (x, starts, chosen) = data(n, k);
        let (xs, ss, cs) = slice(&x, &starts, &chosen, k, 10, 2000);
        let p = ChoiceData {
            x: &xs,
            k,
            starts: &ss,
            chosen: &cs,
            weights: None,
        };
        let e = partition_totals(
            &p,
            Placement {
                row_start: 10,
                n_total: n,
            },
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("task_start:"), "{e}");
    }
}
