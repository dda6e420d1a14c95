//! k-prototypes (Huang 1997/1998): clustering mixed numeric and categorical data with the
//! dissimilarity ‖x − c‖² + γ · #(categorical mismatches).
//!
//! Two update schemes:
//! * [`Update::Online`] — Huang's original: points are visited in order and a centre (mean and
//!   modes) is updated as soon as a point moves, exactly as the `kmodes` Python package does, so
//!   both give the same labels and cost from the same starting centres. Sequential within a run;
//!   the `n_init` runs execute in parallel.
//! * [`Update::Batch`] — Lloyd-style: assign every row, then recompute means and modes from
//!   per-chunk sufficient statistics (sums, weights, category counts) merged in chunk order.
//!   Parallel over rows, for large data.
//!
//! A missing or unseen categorical value ([`MISSING_CODE`]) mismatches every mode.
//!
//! Length: about 714 lines of code; its unit tests, which stay beside the code they test, take
//! the file past 800 lines.

use ndarray::{Array1, Array2};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::parallel::fold_rows_mut;
use crate::random::{Stream, Streams};

/// Restarts run (and are compared) in blocks of this many.
const RUN_BLOCK: usize = 64;
use crate::table::{Table, MISSING_CODE};

/// How the first prototypes are chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum ProtoInit {
    /// Huang: modes drawn from each attribute's frequency distribution, then moved to the
    /// nearest distinct row; numeric part mean + N(0, 1) · sd (the `kmodes` package's rule).
    Huang,
    /// k distinct rows drawn with probability proportional to weight.
    Random,
    /// D²-weighted seeding (greedy k-means++ with `2 + ⌊ln k⌋` trials) under the mixed
    /// dissimilarity.
    KMeansPlusPlus,
    /// These numeric centres (k × p) and modes (k × q, codes).
    Given {
        numeric: Array2<f64>,
        modes: Array2<u32>,
    },
}

/// Online (Huang, `kmodes`) or batch (parallel) updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    Online,
    Batch,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KPrototypesParams {
    pub n_clusters: usize,
    /// Weight of a categorical mismatch; `None`: 0.5 × the mean standard deviation of the
    /// numeric columns (the `kmodes` default).
    pub gamma: Option<f64>,
    pub init: ProtoInit,
    pub update: Update,
    pub n_init: usize,
    pub max_iter: usize,
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KPrototypesFit {
    pub numeric: Array2<f64>,
    pub modes: Array2<u32>,
    pub labels: Array1<u32>,
    /// Σ w · (‖x − c‖² + γ · mismatches) at the final assignment.
    pub cost: f64,
    pub n_iter: usize,
    pub gamma: f64,
}

/// Borrowed data in the layout the loops want.
pub(crate) struct Data<'a> {
    pub(crate) x: &'a [f64],
    pub(crate) p: usize,
    pub(crate) codes: &'a [u32],
    pub(crate) q: usize,
    /// start of each attribute's block in a cluster's count vector
    pub(crate) offsets: Vec<usize>,
    pub(crate) total_levels: usize,
    pub(crate) w: Option<&'a [f64]>,
    pub(crate) n: usize,
}

impl Data<'_> {
    fn weight(&self, i: usize) -> f64 {
        self.w.map_or(1.0, |w| w[i])
    }
    fn num(&self, i: usize) -> &[f64] {
        &self.x[i * self.p..(i + 1) * self.p]
    }
    fn cat(&self, i: usize) -> &[u32] {
        &self.codes[i * self.q..(i + 1) * self.q]
    }
}

/// Prototypes: numeric centres (k × p) and modes (k × q), row-major.
#[derive(Clone)]
pub(crate) struct Protos {
    pub(crate) k: usize,
    pub(crate) num: Vec<f64>,
    pub(crate) modes: Vec<u32>,
}

impl Protos {
    #[inline]
    pub(crate) fn dissim(&self, data: &Data<'_>, gamma: f64, i: usize, c: usize) -> f64 {
        let (p, q) = (data.p, data.q);
        let mut d = 0.0;
        for (&a, &b) in data.num(i).iter().zip(&self.num[c * p..(c + 1) * p]) {
            d += (a - b) * (a - b);
        }
        let mismatches = data
            .cat(i)
            .iter()
            .zip(&self.modes[c * q..(c + 1) * q])
            .filter(|(a, b)| a != b)
            .count();
        d + gamma * mismatches as f64
    }

    /// Nearest prototype (first on ties) and the dissimilarity to it.
    #[inline]
    pub(crate) fn nearest(&self, data: &Data<'_>, gamma: f64, i: usize) -> (u32, f64) {
        let mut best = (0u32, f64::INFINITY);
        for c in 0..self.k {
            let d = self.dissim(data, gamma, i, c);
            if d < best.1 {
                best = (c as u32, d);
            }
        }
        best
    }
}

/// Weighted sufficient statistics of a clustering: numeric sums, weights, category counts.
#[derive(Clone)]
pub(crate) struct Stats {
    pub(crate) sums: Vec<f64>,
    pub(crate) weights: Vec<f64>,
    pub(crate) counts: Vec<f64>,
    /// unweighted member counts
    pub(crate) members: Vec<usize>,
    pub(crate) cost: f64,
    pub(crate) changed: usize,
}

impl Stats {
    fn new(k: usize, data: &Data<'_>) -> Self {
        Stats {
            sums: vec![0.0; k * data.p],
            weights: vec![0.0; k],
            counts: vec![0.0; k * data.total_levels],
            members: vec![0; k],
            cost: 0.0,
            changed: 0,
        }
    }

    fn add(&mut self, data: &Data<'_>, i: usize, c: usize, sign: f64) {
        let w = sign * data.weight(i);
        for (s, &v) in self.sums[c * data.p..(c + 1) * data.p]
            .iter_mut()
            .zip(data.num(i))
        {
            *s += v * w;
        }
        self.weights[c] += w;
        let base = c * data.total_levels;
        for (a, &v) in data.cat(i).iter().enumerate() {
            if v != MISSING_CODE {
                self.counts[base + data.offsets[a] + v as usize] += w;
            }
        }
        if sign > 0.0 {
            self.members[c] += 1;
        } else {
            self.members[c] -= 1;
        }
    }

    fn merge(mut self, b: Stats) -> Stats {
        let add = |a: &mut Vec<f64>, b: &[f64]| a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
        add(&mut self.sums, &b.sums);
        add(&mut self.weights, &b.weights);
        add(&mut self.counts, &b.counts);
        self.members
            .iter_mut()
            .zip(&b.members)
            .for_each(|(a, b)| *a += b);
        self.cost += b.cost;
        self.changed += b.changed;
        self
    }

    /// The mode of attribute `a` in cluster `c`: the most frequent code, the smallest on ties
    /// (the `kmodes` rule).
    fn mode(&self, data: &Data<'_>, c: usize, a: usize) -> u32 {
        let start = c * data.total_levels + data.offsets[a];
        let block = &self.counts[start..start + data.offsets[a + 1] - data.offsets[a]];
        let mut best = 0;
        for (v, &count) in block.iter().enumerate() {
            if count > block[best] {
                best = v;
            }
        }
        best as u32
    }

    fn mean_into(&self, data: &Data<'_>, c: usize, num: &mut [f64]) {
        let p = data.p;
        let wc = self.weights[c];
        for (dst, &s) in num[c * p..(c + 1) * p]
            .iter_mut()
            .zip(&self.sums[c * p..(c + 1) * p])
        {
            *dst = if wc != 0.0 { s / wc } else { 0.0 };
        }
    }
}

/// One parallel pass: nearest prototype per row (written to `labels`, counting changes), the
/// cost, and optionally the statistics of the new assignment.
pub(crate) fn assign(
    data: &Data<'_>,
    protos: &Protos,
    gamma: f64,
    labels: &mut [u32],
    stats: bool,
) -> Stats {
    let k = protos.k;
    fold_rows_mut(
        labels,
        1,
        |rows, out| {
            // Without statistics: empty (zero-cluster) sums, only labels and cost.
            let mut part = Stats::new(if stats { k } else { 0 }, data);
            for (i, slot) in rows.zip(out) {
                let (c, d) = protos.nearest(data, gamma, i);
                part.changed += usize::from(*slot != c);
                *slot = c;
                part.cost += data.weight(i) * d;
                if stats {
                    part.add(data, i, c as usize, 1.0);
                }
            }
            part
        },
        Stats::merge,
    )
}

// ---------------------------------------------------------------------------------------------
// Initialisation

fn normal(rng: &mut Stream) -> f64 {
    // Box–Muller; u1 in (0, 1].
    let u1 = 1.0 - rng.uniform();
    let u2 = rng.uniform();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn pick_weighted(data: &Data<'_>, rng: &mut Stream, weight: impl Fn(usize) -> f64) -> usize {
    let total: f64 = (0..data.n).map(&weight).sum();
    if total <= 0.0 {
        return rng.below(data.n as u64) as usize;
    }
    let target = rng.uniform() * total;
    let mut acc = 0.0;
    for i in 0..data.n {
        acc += weight(i);
        if acc > target {
            return i;
        }
    }
    data.n - 1
}

fn protos_from_rows(data: &Data<'_>, rows: &[usize]) -> Protos {
    let mut num = Vec::with_capacity(rows.len() * data.p);
    let mut modes = Vec::with_capacity(rows.len() * data.q);
    for &i in rows {
        num.extend_from_slice(data.num(i));
        modes.extend_from_slice(data.cat(i));
    }
    Protos {
        k: rows.len(),
        num,
        modes,
    }
}

fn init_random(data: &Data<'_>, k: usize, rng: &mut Stream) -> Protos {
    protos_from_rows(data, &rng.distinct(data.n, k, data.w))
}

fn init_plus_plus(data: &Data<'_>, k: usize, gamma: f64, rng: &mut Stream) -> Protos {
    let trials = 2 + (k as f64).ln() as usize;
    let first = pick_weighted(data, rng, |i| data.weight(i));
    let mut rows = vec![first];
    let single = protos_from_rows(data, &rows);
    let mut closest: Vec<f64> = (0..data.n)
        .map(|i| single.dissim(data, gamma, i, 0))
        .collect();
    while rows.len() < k {
        let candidates: Vec<usize> = (0..trials)
            .map(|_| pick_weighted(data, rng, |i| data.weight(i) * closest[i]))
            .collect();
        let protos = protos_from_rows(data, &candidates);
        let pots: Vec<f64> = (0..trials)
            .into_par_iter()
            .map(|t| {
                (0..data.n)
                    .map(|i| data.weight(i) * protos.dissim(data, gamma, i, t).min(closest[i]))
                    .sum()
            })
            .collect();
        let best = (0..trials).fold(0, |b, t| if pots[t] < pots[b] { t } else { b });
        for (i, c) in closest.iter_mut().enumerate() {
            *c = c.min(protos.dissim(data, gamma, i, best));
        }
        rows.push(candidates[best]);
    }
    protos_from_rows(data, &rows)
}

fn init_huang(data: &Data<'_>, k: usize, table: &Table<'_>, rng: &mut Stream) -> Protos {
    let (p, q) = (data.p, data.q);
    // Modes: k draws per attribute from its (unweighted) frequency distribution.
    let mut modes = vec![0u32; k * q];
    for a in 0..q {
        for c in 0..k {
            let i = rng.below(data.n as u64) as usize;
            modes[c * q + a] = data.cat(i)[a];
        }
    }
    // Move each to the nearest row (matching dissimilarity), distinct from the other modes
    // when possible.
    for c in 0..k {
        let mut order: Vec<(usize, usize)> = (0..data.n)
            .map(|i| {
                let mism = data
                    .cat(i)
                    .iter()
                    .zip(&modes[c * q..(c + 1) * q])
                    .filter(|(a, b)| a != b);
                (mism.count(), i)
            })
            .collect();
        order.sort_unstable();
        let equals_a_mode = |i: usize| (0..k).any(|m| data.cat(i) == &modes[m * q..(m + 1) * q]);
        let pick = order
            .iter()
            .map(|&(_, i)| i)
            .find(|&i| !equals_a_mode(i))
            .unwrap_or(order[0].1);
        let row = data.cat(pick).to_vec();
        modes[c * q..(c + 1) * q].copy_from_slice(&row);
    }
    let mean = &table.moments.mean;
    let sd: Vec<f64> = table.moments.variance().iter().map(|v| v.sqrt()).collect();
    let mut num = vec![0.0; k * p];
    for c in 0..k {
        for j in 0..p {
            num[c * p + j] = mean[j] + normal(rng) * sd[j];
        }
    }
    Protos { k, num, modes }
}

// ---------------------------------------------------------------------------------------------
// Runs

/// Huang's online run, step for step as `kmodes.KPrototypes` (see the module docs).
fn run_online(
    data: &Data<'_>,
    mut protos: Protos,
    gamma: f64,
    max_iter: usize,
    rng: &mut Stream,
) -> (Protos, Vec<u32>, f64, usize) {
    let k = protos.k;
    let q = data.q;
    let mut member = vec![u32::MAX; data.n];
    let mut stats = Stats::new(k, data);
    for (i, m) in member.iter_mut().enumerate() {
        let (c, _) = protos.nearest(data, gamma, i);
        *m = c;
        stats.add(data, i, c as usize, 1.0);
    }
    for c in 0..k {
        stats.mean_into(data, c, &mut protos.num);
        for a in 0..q {
            protos.modes[c * q + a] = stats.mode(data, c, a);
        }
    }
    let mut labels = vec![u32::MAX; data.n];
    let mut cost = assign(data, &protos, gamma, &mut labels, false).cost;
    let mut n_iter = 0;
    while n_iter < max_iter && !crate::cancel::requested() {
        n_iter += 1;
        crate::cancel::progress::advance(1);
        let mut moves = 0usize;
        for i in 0..data.n {
            let (to, _) = protos.nearest(data, gamma, i);
            let from = member[i];
            if to == from {
                continue;
            }
            moves += 1;
            move_point(
                data,
                &mut stats,
                &mut protos,
                &mut member,
                i,
                to as usize,
                from as usize,
            );
            for c in [to as usize, from as usize] {
                stats.mean_into(data, c, &mut protos.num);
            }
            if stats.weights[from as usize] == 0.0 {
                // Empty cluster: take a random point of the largest cluster (by count).
                let largest = (0..k).fold(0, |b, c| {
                    if stats.members[c] > stats.members[b] {
                        c
                    } else {
                        b
                    }
                });
                let candidates: Vec<usize> = (0..data.n)
                    .filter(|&j| member[j] as usize == largest)
                    .collect();
                if !candidates.is_empty() {
                    let r = candidates[rng.below(candidates.len() as u64) as usize];
                    move_point(
                        data,
                        &mut stats,
                        &mut protos,
                        &mut member,
                        r,
                        from as usize,
                        largest,
                    );
                }
            }
        }
        let new_cost = assign(data, &protos, gamma, &mut labels, false).cost;
        let converged = moves == 0 || new_cost >= cost;
        cost = new_cost;
        if converged {
            break;
        }
    }
    (protos, labels, cost, n_iter)
}

/// Moves row `i` from cluster `from` to `to`: statistics, membership and modes, with the mode
/// updates of `kmodes.move_point_cat`. (Numeric centres are the caller's business.)
fn move_point(
    data: &Data<'_>,
    stats: &mut Stats,
    protos: &mut Protos,
    member: &mut [u32],
    i: usize,
    to: usize,
    from: usize,
) {
    let q = data.q;
    stats.add(data, i, to, 1.0);
    stats.add(data, i, from, -1.0);
    member[i] = to as u32;
    for (a, &v) in data.cat(i).iter().enumerate() {
        if v == MISSING_CODE {
            continue;
        }
        let count = |c: usize, code: u32| -> f64 {
            if code == MISSING_CODE {
                0.0
            } else {
                stats.counts[c * data.total_levels + data.offsets[a] + code as usize]
            }
        };
        if count(to, protos.modes[to * q + a]) < count(to, v) {
            protos.modes[to * q + a] = v;
        }
        if protos.modes[from * q + a] == v {
            protos.modes[from * q + a] = stats.mode(data, from, a);
        }
    }
}

/// Batch run: assignment and update steps over parallel passes.
fn run_batch(
    data: &Data<'_>,
    mut protos: Protos,
    gamma: f64,
    max_iter: usize,
) -> (Protos, Vec<u32>, f64, usize) {
    let k = protos.k;
    let q = data.q;
    let mut labels = vec![u32::MAX; data.n];
    let mut stats = assign(data, &protos, gamma, &mut labels, true);
    let mut n_iter = 0;
    while n_iter < max_iter && !crate::cancel::requested() {
        n_iter += 1;
        crate::cancel::progress::advance(1);
        let mut next = protos.clone();
        for c in 0..k {
            if stats.weights[c] > 0.0 {
                stats.mean_into(data, c, &mut next.num);
                for a in 0..q {
                    next.modes[c * q + a] = stats.mode(data, c, a);
                }
            }
        }
        // Empty clusters take the rows farthest from their prototypes, a different row each
        // (the farthest first; lowest index on ties).
        let empty: Vec<usize> = (0..k).filter(|&c| stats.weights[c] == 0.0).collect();
        if !empty.is_empty() {
            let mut far: Vec<(f64, usize)> = (0..data.n)
                .map(|i| (protos.dissim(data, gamma, i, labels[i] as usize), i))
                .collect();
            far.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            for (&c, &(_, i)) in empty.iter().zip(&far) {
                let row = protos_from_rows(data, &[i]);
                next.num[c * data.p..(c + 1) * data.p].copy_from_slice(&row.num);
                next.modes[c * q..(c + 1) * q].copy_from_slice(&row.modes);
            }
        }
        let new_stats = assign(data, &next, gamma, &mut labels, true);
        let done = new_stats.changed == 0 || new_stats.cost >= stats.cost;
        protos = next;
        stats = new_stats;
        if done {
            break;
        }
    }
    (protos, labels, stats.cost, n_iter)
}

/// Fits k-prototypes on a validated table (numeric block and categorical codes).
pub fn fit_kprototypes(table: &Table<'_>, params: &KPrototypesParams) -> Result<KPrototypesFit> {
    let (n, p) = table.numeric.dim();
    let q = table.codes.ncols();
    let k = params.n_clusters;
    if k < 1 {
        return Err(Error::invalid("n_clusters", "must be at least 1"));
    }
    if n < k {
        return Err(Error::invalid(
            "n_clusters",
            format!("n_samples={n} should be >= n_clusters={k}"),
        ));
    }
    if params.n_init < 1 {
        return Err(Error::invalid("n_init", "must be at least 1"));
    }
    if params.max_iter < 1 {
        return Err(Error::invalid("max_iter", "must be at least 1"));
    }
    let gamma = match params.gamma {
        Some(g) if g.is_finite() && g >= 0.0 => g,
        Some(_) => return Err(Error::invalid("gamma", "must be finite and non-negative")),
        None if p == 0 => 1.0,
        None => {
            let sd: f64 = table.moments.variance().iter().map(|v| v.sqrt()).sum();
            0.5 * sd / p as f64
        }
    };
    let x = table
        .numeric
        .as_slice()
        .ok_or_else(|| Error::invalid("X", "numeric block must be C-contiguous"))?;
    let codes = table
        .codes
        .as_slice()
        .ok_or_else(|| Error::invalid("X", "categorical block must be C-contiguous"))?;
    let mut offsets = vec![0usize];
    for &l in table.n_levels {
        offsets.push(offsets.last().expect("non-empty") + l as usize);
    }
    let w = match &table.weights {
        Some(w) => Some(
            w.as_slice()
                .ok_or_else(|| Error::invalid("sample_weight", "must be contiguous"))?,
        ),
        None => None,
    };
    let data = Data {
        x,
        p,
        codes,
        q,
        total_levels: *offsets.last().expect("non-empty"),
        offsets,
        w,
        n,
    };
    if let ProtoInit::Given { numeric, modes } = &params.init {
        if numeric.dim() != (k, p) || modes.dim() != (k, q) {
            return Err(Error::invalid(
                "init",
                format!(
                    "initial prototypes have shapes {:?} and {:?}, expected ({k}, {p}) and ({k}, {q})",
                    numeric.dim(),
                    modes.dim()
                ),
            ));
        }
        if numeric.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid("init", "numeric centres must be finite"));
        }
        for (a, col) in modes.columns().into_iter().enumerate() {
            if col.iter().any(|&m| m >= table.n_levels[a]) {
                return Err(Error::invalid(
                    "init",
                    format!("a mode of categorical column {a} is not one of its categories"),
                ));
            }
        }
    }
    let n_init = if matches!(params.init, ProtoInit::Given { .. }) {
        1
    } else {
        params.n_init
    };
    let one_run = |mut rng: Stream| {
        // As `kmodes`: draw again (up to 10 times) while a prototype attracts no row.
        let mut tries = 0;
        let start = loop {
            tries += 1;
            let start = match &params.init {
                ProtoInit::Huang => init_huang(&data, k, table, &mut rng),
                ProtoInit::Random => init_random(&data, k, &mut rng),
                ProtoInit::KMeansPlusPlus => init_plus_plus(&data, k, gamma, &mut rng),
                ProtoInit::Given { numeric, modes } => {
                    break Protos {
                        k,
                        num: numeric.iter().copied().collect(),
                        modes: modes.iter().copied().collect(),
                    }
                }
            };
            let mut scratch = vec![u32::MAX; n];
            let members = assign(&data, &start, gamma, &mut scratch, true).members;
            if tries >= 10 || members.iter().all(|&m| m > 0) {
                break start;
            }
        };
        let fit = match params.update {
            Update::Online => run_online(&data, start, gamma, params.max_iter, &mut rng),
            Update::Batch => run_batch(&data, start, gamma, params.max_iter),
        };
        crate::cancel::progress::advance((params.max_iter - fit.3.min(params.max_iter)) as u64);
        crate::cancel::progress::lower(fit.2);
        fit
    };
    crate::cancel::progress::total((n_init * params.max_iter) as u64);
    // Runs after an interrupt are skipped (the first always runs, so there is a result; the
    // caller discards it).
    let guarded = |(run, rng): (usize, Stream)| {
        (run == 0 || !crate::cancel::requested()).then(|| one_run(rng))
    };
    // Runs in fixed blocks of RUN_BLOCK (streams drawn in order, one jump each; only the best
    // fit kept), so that memory does not grow with n_init; the first lowest cost wins, as
    // before, whatever the thread count.
    let mut streams = Streams::new(params.seed).take(n_init).enumerate();
    let mut best: Option<_> = None;
    loop {
        if best.is_some() && crate::cancel::requested() {
            break; // interrupted: the caller discards the result
        }
        let block: Vec<(usize, Stream)> = streams.by_ref().take(RUN_BLOCK).collect();
        if block.is_empty() {
            break;
        }
        let runs: Vec<_> = match params.update {
            // Online runs are sequential inside: run them side by side.
            Update::Online => block.into_par_iter().map(guarded).collect(),
            Update::Batch => block.into_iter().map(guarded).collect(),
        };
        for r in runs.into_iter().flatten() {
            if best
                .as_ref()
                .is_none_or(|b: &(Protos, Vec<u32>, f64, usize)| r.2 < b.2)
            {
                best = Some(r);
            }
        }
    }
    let best = best.expect("n_init >= 1");
    let (protos, labels, cost, n_iter) = best;
    Ok(KPrototypesFit {
        numeric: Array2::from_shape_vec((k, p), protos.num).expect("k × p"),
        modes: Array2::from_shape_vec((k, q), protos.modes).expect("k × q"),
        labels: Array1::from(labels),
        cost,
        n_iter,
        gamma,
    })
}

/// Nearest prototype of every row and the total cost.
pub fn predict(
    table: &Table<'_>,
    numeric: ndarray::ArrayView2<'_, f64>,
    modes: ndarray::ArrayView2<'_, u32>,
    gamma: f64,
) -> Result<(Array1<u32>, f64)> {
    let (n, p) = table.numeric.dim();
    let q = table.codes.ncols();
    if numeric.ncols() != p
        || modes.ncols() != q
        || numeric.nrows() != modes.nrows()
        || numeric.nrows() == 0
    {
        return Err(Error::invalid(
            "X",
            format!(
                "X has {p} numeric and {q} categorical columns, the model {} and {}",
                numeric.ncols(),
                modes.ncols()
            ),
        ));
    }
    let x = table.numeric.as_standard_layout();
    let codes = table.codes.as_standard_layout();
    let data = Data {
        x: x.as_slice().expect("standard layout"),
        p,
        codes: codes.as_slice().expect("standard layout"),
        q,
        offsets: vec![0; q + 1],
        total_levels: 0,
        w: table.weights.as_ref().and_then(|w| w.as_slice()),
        n,
    };
    let protos = Protos {
        k: numeric.nrows(),
        num: numeric.iter().copied().collect(),
        modes: modes.iter().copied().collect(),
    };
    let mut labels = vec![0u32; n];
    let stats = assign(&data, &protos, gamma, &mut labels, false);
    Ok((Array1::from(labels), stats.cost))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Missing;
    use ndarray::{array, Array2};

    /// Two planted groups: numeric around 0 / 10, categories mostly 0 / mostly 1.
    fn planted(n_per: usize) -> (Array2<f64>, Array2<u32>, Vec<u32>) {
        let mut rng = Stream::new(5, 0);
        let n = 2 * n_per;
        let mut x = Array2::zeros((n, 2));
        let mut c = Array2::zeros((n, 2));
        let mut truth = vec![];
        for i in 0..n {
            let g = (i >= n_per) as u32;
            for j in 0..2 {
                x[[i, j]] = 10.0 * g as f64 + rng.uniform() * 2.0;
            }
            for a in 0..2 {
                c[[i, a]] = if rng.uniform() < 0.9 { g } else { 1 - g };
            }
            truth.push(g);
        }
        (x, c, truth)
    }

    fn params(init: ProtoInit, update: Update) -> KPrototypesParams {
        KPrototypesParams {
            n_clusters: 2,
            gamma: None,
            init,
            update,
            n_init: 4,
            max_iter: 100,
            seed: 1,
        }
    }

    #[test]
    fn every_init_and_update_recovers_planted_groups() {
        let (x, c, truth) = planted(200);
        let table = Table::new(x.view(), c.view(), &[2, 2], None, Missing::Forbid).unwrap();
        for init in [
            ProtoInit::Huang,
            ProtoInit::Random,
            ProtoInit::KMeansPlusPlus,
        ] {
            for update in [Update::Online, Update::Batch] {
                let fit = fit_kprototypes(&table, &params(init.clone(), update)).unwrap();
                let first = fit.labels[0];
                let agree = fit
                    .labels
                    .iter()
                    .zip(&truth)
                    .filter(|(l, t)| (**l == first) == (**t == 0))
                    .count();
                assert_eq!(agree, 400, "{init:?} {update:?}");
                assert_eq!(fit.modes[[first as usize, 0]], 0);
            }
        }
    }

    #[test]
    fn gamma_defaults_to_half_the_mean_sd() {
        let x = array![[0.0, 0.0], [2.0, 4.0]];
        let c = array![[0u32], [1]];
        let table = Table::new(x.view(), c.view(), &[2], None, Missing::Forbid).unwrap();
        let p = KPrototypesParams {
            n_clusters: 1,
            ..params(ProtoInit::Random, Update::Batch)
        };
        // population sds 1 and 2: gamma = 0.5 · 1.5
        assert!((fit_kprototypes(&table, &p).unwrap().gamma - 0.75).abs() < 1e-15);
    }

    #[test]
    fn cost_is_the_sum_of_dissimilarities_by_hand() {
        let x = array![[0.0], [1.0], [10.0]];
        let c = array![[0u32], [1], [1]];
        let table = Table::new(x.view(), c.view(), &[2], None, Missing::Forbid).unwrap();
        let init = ProtoInit::Given {
            numeric: array![[0.0], [10.0]],
            modes: array![[0], [1]],
        };
        let p = KPrototypesParams {
            gamma: Some(2.0),
            ..params(init, Update::Online)
        };
        let f = fit_kprototypes(&table, &p).unwrap();
        // Initial assignment: row 1 → cluster 0 (1 + 2 = 3 < 81). Centres: 0.5 / mode 0 (tie
        // 1:1 → smallest code), 10 / 1. Cost = 0.25 + (0.25 + 2) + 0 = 2.5.
        assert_eq!(f.labels.to_vec(), vec![0, 0, 1]);
        assert!((f.cost - 2.5).abs() < 1e-12);
    }

    #[test]
    fn an_unseen_category_mismatches_every_mode() {
        let x = array![[0.0], [10.0]];
        let c = array![[0u32], [1]];
        let table = Table::new(x.view(), c.view(), &[2], None, Missing::Forbid).unwrap();
        let p = KPrototypesParams {
            gamma: Some(1.0),
            ..params(ProtoInit::Random, Update::Batch)
        };
        let f = fit_kprototypes(&table, &p).unwrap();
        let (nx, nc) = (array![[1.0]], array![[MISSING_CODE]]);
        let new = Table::new(nx.view(), nc.view(), &[2], None, Missing::Allow).unwrap();
        let (labels, cost) = predict(&new, f.numeric.view(), f.modes.view(), 1.0).unwrap();
        assert_eq!(labels[0], f.labels[0]);
        assert!((cost - (1.0 + 1.0)).abs() < 1e-12);
    }
}
