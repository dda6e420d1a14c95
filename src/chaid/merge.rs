//! Merging one predictor's categories in one node, on its small table only.
//!
//! The table has one row per slot (category, bin, or missing) of `width` numbers: the
//! frequency-weighted count per target class (then, with case weights, the per-class sums of
//! frequency × case weight), or `[f, w, Σwy, Σwy²]` for a continuous target. Pair statistics are
//! cached by group id; merging two groups creates one new id, so only pairs involving the merged
//! group are ever recomputed.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::stats::bonferroni::{ln_multiplier, Merging};
use crate::stats::contingency::{self, Statistic};
use crate::stats::dist::ln_chi2_sf;
use crate::stats::{anova, TestResult};

/// The kind of target, as the merging sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Response {
    Classes { n_classes: usize, case: bool },
    Continuous,
}

impl Response {
    pub fn width(self) -> usize {
        match self {
            Response::Classes { n_classes, case } => n_classes * if case { 2 } else { 1 },
            Response::Continuous => anova::WIDTH,
        }
    }

    /// The frequency-weighted size of a row.
    pub fn weight(self, row: &[f64]) -> f64 {
        match self {
            Response::Classes { n_classes, .. } => row[..n_classes].iter().sum(),
            Response::Continuous => row[0],
        }
    }
}

/// Everything the merging needs besides the table.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub response: Response,
    pub statistic: Statistic,
    pub ln_alpha_merge: f64,
    pub ln_alpha_split_merged: f64,
    pub exhaustive: bool,
    pub split_merged: bool,
    pub min_child_size: f64,
}

/// A nominal group larger than this is not searched for a re-split (2^(m−1) bipartitions).
const MAX_RESPLIT_NOMINAL: usize = 16;

impl Spec {
    /// Statistic and df of the rows, with `ln_p` left NaN for χ² tests (computed on demand:
    /// within one df, the smallest statistic has the largest p).
    fn statistic(&self, rows: &[&[f64]]) -> TestResult {
        match self.response {
            Response::Classes { n_classes, case } => {
                let (statistic, df) = if case {
                    let counts: Vec<&[f64]> = rows.iter().map(|r| &r[..n_classes]).collect();
                    let sums: Vec<&[f64]> = rows.iter().map(|r| &r[n_classes..]).collect();
                    contingency::statistic(&counts, Some(&sums), self.statistic)
                } else {
                    contingency::statistic(rows, None, self.statistic)
                };
                if df == 0.0 {
                    TestResult::NULL
                } else {
                    TestResult {
                        statistic,
                        df1: df,
                        df2: 0.0,
                        ln_p: f64::NAN,
                    }
                }
            }
            Response::Continuous => anova::test(rows),
        }
    }

    fn test(&self, rows: &[&[f64]]) -> TestResult {
        let mut t = self.statistic(rows);
        fill_p(&mut t);
        t
    }
}

/// Two statistics (or log p-values) equal up to rounding: relative difference ≤ 1e-10. Pairs of
/// categories whose tables are mirror images have mathematically equal statistics that differ
/// in the last bits with the order of the classes; the merge then takes the first pair, as it
/// does for exact ties, so the groups do not depend on the order of the classes.
fn tied(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-10 * a.abs().max(b.abs())
}

fn fill_p(t: &mut TestResult) {
    if t.ln_p.is_nan() {
        t.ln_p = ln_chi2_sf(t.statistic, t.df1);
    }
}

#[derive(Debug, Clone)]
struct Group {
    id: usize,
    /// Slots, ascending.
    slots: Vec<usize>,
    row: Vec<f64>,
}

/// The merged groups of one predictor and their test.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// Slots per group; groups ordered by their first slot.
    pub groups: Vec<Vec<usize>>,
    /// Frequency-weighted size per group.
    pub sizes: Vec<f64>,
    pub test: TestResult,
    pub ln_p_adj: f64,
    pub n_categories: usize,
    pub merging: Merging,
}

/// A multiplicative hasher for the pair cache's keys (small group ids we make ourselves, so
/// SipHash's protection against chosen keys buys nothing; hashing was a quarter of the merging
/// time with it).
#[derive(Default, Clone, Copy)]
struct PairHasher(u64);

impl Hasher for PairHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

type PairCache = HashMap<(usize, usize), TestResult, BuildHasherDefault<PairHasher>>;

struct Merger<'a> {
    spec: &'a Spec,
    table: &'a [f64],
    width: usize,
    cache: PairCache,
    next_id: usize,
}

impl<'a> Merger<'a> {
    fn group(&mut self, slots: Vec<usize>) -> Group {
        let mut row = vec![0.0; self.width];
        for &s in &slots {
            for (r, v) in row
                .iter_mut()
                .zip(&self.table[s * self.width..(s + 1) * self.width])
            {
                *r += v;
            }
        }
        self.next_id += 1;
        Group {
            id: self.next_id,
            slots,
            row,
        }
    }

    fn union(&mut self, a: &Group, b: &Group) -> Group {
        let mut slots: Vec<usize> = a.slots.iter().chain(&b.slots).copied().collect();
        slots.sort_unstable();
        self.group(slots)
    }

    fn pair(&mut self, a: &Group, b: &Group) -> TestResult {
        let key = (a.id.min(b.id), a.id.max(b.id));
        if let Some(t) = self.cache.get(&key) {
            return *t;
        }
        let t = self.spec.statistic(&[&a.row, &b.row]);
        self.cache.insert(key, t);
        t
    }

    fn set_p(&mut self, a: &Group, b: &Group, t: TestResult) {
        self.cache.insert((a.id.min(b.id), a.id.max(b.id)), t);
    }

    /// Among `pairs` (positions in `groups`), the pair with the largest p-value; ties go to the
    /// smaller statistic, then to the first pair.
    fn most_similar(
        &mut self,
        groups: &[Group],
        pairs: &[(usize, usize)],
    ) -> Option<(usize, usize, TestResult)> {
        self.extreme(groups, pairs, true)
    }

    /// `similar`: the largest p (smallest statistic per df); otherwise the smallest p.
    fn extreme(
        &mut self,
        groups: &[Group],
        pairs: &[(usize, usize)],
        similar: bool,
    ) -> Option<(usize, usize, TestResult)> {
        // Representatives per (df1, df2): only their p-values are computed.
        let mut reps: Vec<(usize, TestResult)> = Vec::new();
        for (k, &(a, b)) in pairs.iter().enumerate() {
            let t = self.pair(&groups[a], &groups[b]);
            match reps
                .iter_mut()
                .find(|(_, r)| r.df1 == t.df1 && r.df2 == t.df2)
            {
                Some(rep) => {
                    let better = !tied(t.statistic, rep.1.statistic)
                        && if similar {
                            t.statistic < rep.1.statistic
                        } else {
                            t.statistic > rep.1.statistic
                        };
                    if better {
                        *rep = (k, t);
                    }
                }
                None => reps.push((k, t)),
            }
        }
        let mut best: Option<(usize, TestResult)> = None;
        for (k, mut t) in reps {
            if t.ln_p.is_nan() {
                fill_p(&mut t);
                let (a, b) = pairs[k];
                self.set_p(&groups[a], &groups[b], t);
            }
            let wins = match &best {
                None => true,
                Some((bk, bt)) => {
                    let (p, bp) = if similar {
                        (t.ln_p, bt.ln_p)
                    } else {
                        (-t.ln_p, -bt.ln_p)
                    };
                    let stat_better = if similar {
                        t.statistic < bt.statistic
                    } else {
                        t.statistic > bt.statistic
                    };
                    if !tied(p, bp) {
                        p > bp
                    } else if !tied(t.statistic, bt.statistic) {
                        stat_better
                    } else {
                        k < *bk
                    }
                }
            };
            if wins {
                best = Some((k, t));
            }
        }
        best.map(|(k, t)| (pairs[k].0, pairs[k].1, t))
    }

    fn full_test(&self, groups: &[Group]) -> TestResult {
        if groups.len() < 2 {
            return TestResult::NULL;
        }
        let rows: Vec<&[f64]> = groups.iter().map(|g| g.row.as_slice()).collect();
        self.spec.test(&rows)
    }

    /// Replaces groups a < b (positions) by their union at position a.
    fn merge_at(&mut self, groups: &mut Vec<Group>, a: usize, b: usize) {
        let (a, b) = (a.min(b), a.max(b));
        let u = self.union(&groups[a], &groups[b]);
        groups.remove(b);
        groups[a] = u;
        // Keep groups ordered by first slot (a nominal union may start before later groups).
        groups.sort_by_key(|g| g.slots[0]);
    }

    /// CHAID's merging loop on `groups` (steps 2–6), or Exhaustive CHAID's.
    fn merge(&mut self, groups: &mut Vec<Group>, ordinal: bool) {
        if self.spec.exhaustive {
            self.merge_exhaustive(groups, ordinal);
        } else {
            self.merge_standard(groups, ordinal);
        }
    }

    fn merge_standard(&mut self, groups: &mut Vec<Group>, ordinal: bool) {
        let limit = 10 * groups.len() + 10;
        for _ in 0..limit {
            if groups.len() <= 2 {
                break;
            }
            let pairs = allowable(groups.len(), ordinal);
            let Some((a, b, t)) = self.most_similar(groups, &pairs) else {
                break;
            };
            if t.ln_p <= self.spec.ln_alpha_merge {
                break;
            }
            let first = groups[a.min(b)].slots[0];
            self.merge_at(groups, a, b);
            if self.spec.split_merged {
                let pos = groups.iter().position(|g| g.slots[0] == first).unwrap_or(0);
                if groups[pos].slots.len() >= 3 {
                    self.resplit(groups, pos, ordinal);
                }
            }
        }
    }

    /// Step 5: the best binary split of a merged group, kept when its p ≤ alpha_split_merged.
    fn resplit(&mut self, groups: &mut Vec<Group>, pos: usize, ordinal: bool) {
        let slots = groups[pos].slots.clone();
        let m = slots.len();
        let mut parts: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
        if ordinal {
            for cut in 1..m {
                parts.push((slots[..cut].to_vec(), slots[cut..].to_vec()));
            }
        } else {
            if m > MAX_RESPLIT_NOMINAL {
                return;
            }
            // Bipartitions with the first slot on the left: 2^(m−1) − 1 of them.
            for mask in 0..(1u32 << (m - 1)) - 1 {
                let (mut left, mut right) = (vec![slots[0]], Vec::new());
                for (bit, &s) in slots[1..].iter().enumerate() {
                    if mask >> bit & 1 == 1 {
                        left.push(s);
                    } else {
                        right.push(s);
                    }
                }
                parts.push((left, right));
            }
        }
        let mut cands: Vec<Group> = Vec::with_capacity(2 * parts.len());
        for (l, r) in parts {
            let gl = self.group(l);
            let gr = self.group(r);
            cands.push(gl);
            cands.push(gr);
        }
        let pairs: Vec<(usize, usize)> = (0..cands.len() / 2).map(|k| (2 * k, 2 * k + 1)).collect();
        let Some((a, b, t)) = self.extreme(&cands, &pairs, false) else {
            return;
        };
        if t.ln_p <= self.spec.ln_alpha_split_merged {
            let (ga, gb) = (cands[a].clone(), cands[b].clone());
            groups[pos] = ga;
            groups.push(gb);
            groups.sort_by_key(|g| g.slots[0]);
        }
    }

    fn merge_exhaustive(&mut self, groups: &mut Vec<Group>, ordinal: bool) {
        let mut best_test = self.full_test(groups);
        let mut best = groups.clone();
        while groups.len() > 2 {
            let pairs = allowable(groups.len(), ordinal);
            let Some((a, b, _)) = self.most_similar(groups, &pairs) else {
                break;
            };
            self.merge_at(groups, a, b);
            let t = self.full_test(groups);
            if t.ln_p < best_test.ln_p
                || (t.ln_p == best_test.ln_p && t.statistic > best_test.statistic)
            {
                best_test = t;
                best = groups.clone();
            }
        }
        *groups = best;
    }

    /// Step 7: groups below the minimum size merge with their most similar allowable group,
    /// smallest first. Returns false when the predictor cannot split the node any more.
    fn absorb_small(&mut self, groups: &mut Vec<Group>, ordinal: bool, float_slot: Option<usize>) {
        let min = self.spec.min_child_size;
        while groups.len() > 1 {
            let sizes: Vec<f64> = groups
                .iter()
                .map(|g| self.spec.response.weight(&g.row))
                .collect();
            let Some(s) = (0..groups.len())
                .filter(|&k| sizes[k] < min)
                .min_by(|&a, &b| sizes[a].total_cmp(&sizes[b]).then(a.cmp(&b)))
            else {
                break;
            };
            if groups.len() == 2 {
                self.merge_at(groups, 0, 1);
                break;
            }
            let is_float = |g: &Group| float_slot.is_some_and(|f| g.slots == [f]);
            let pairs: Vec<(usize, usize)> = (0..groups.len())
                .filter(|&k| k != s)
                .filter(|&k| {
                    !ordinal
                        || is_float(&groups[s])
                        || is_float(&groups[k])
                        || adjacent_regular(groups, s, k, &is_float)
                })
                .map(|k| (s.min(k), s.max(k)))
                .collect();
            let Some((a, b, _)) = self.most_similar(groups, &pairs) else {
                break;
            };
            self.merge_at(groups, a, b);
        }
    }
}

/// Positions s and k are neighbours among the groups that are not the lone floating group.
fn adjacent_regular(
    groups: &[Group],
    s: usize,
    k: usize,
    is_float: &dyn Fn(&Group) -> bool,
) -> bool {
    let (lo, hi) = (s.min(k), s.max(k));
    (lo + 1..hi).all(|m| is_float(&groups[m]))
}

/// Allowable pairs of positions: all pairs (nominal) or neighbours (ordinal).
fn allowable(n: usize, ordinal: bool) -> Vec<(usize, usize)> {
    if ordinal {
        (0..n.saturating_sub(1)).map(|a| (a, a + 1)).collect()
    } else {
        (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .collect()
    }
}

/// Merges the categories of one predictor in one node. `table` has `n_slots` rows of the
/// response's width; the last slot holds missing values. `None` when fewer than two categories
/// are present or everything merged into one group.
pub(crate) fn merge_predictor(
    table: &[f64],
    n_slots: usize,
    ordinal: bool,
    spec: &Spec,
) -> Option<Candidate> {
    let width = spec.response.width();
    let present: Vec<usize> = (0..n_slots)
        .filter(|&s| spec.response.weight(&table[s * width..(s + 1) * width]) > 0.0)
        .collect();
    let n_categories = present.len();
    if n_categories < 2 {
        return None;
    }
    let missing = n_slots - 1;
    let floating = ordinal && present.last() == Some(&missing);
    let mut m = Merger {
        spec,
        table,
        width,
        cache: PairCache::default(),
        next_id: 0,
    };
    let regular: Vec<usize> = present
        .iter()
        .copied()
        .filter(|&s| !(floating && s == missing))
        .collect();
    let mut groups: Vec<Group> = regular.into_iter().map(|s| m.group(vec![s])).collect();
    m.merge(&mut groups, ordinal);
    if floating {
        let float = m.group(vec![missing]);
        // The group most similar to the missing values; then missing merged into it or alone,
        // whichever gives the smaller p.
        let with_float: Vec<Group> = groups.iter().cloned().chain([float.clone()]).collect();
        let last = with_float.len() - 1;
        let pairs: Vec<(usize, usize)> = (0..last).map(|k| (k, last)).collect();
        let (k, _, _) = m.most_similar(&with_float, &pairs)?;
        let mut merged = groups.clone();
        merged[k] = m.union(&groups[k], &float);
        let t_merged = m.full_test(&merged);
        let t_alone = m.full_test(&with_float);
        groups = if t_merged.ln_p <= t_alone.ln_p {
            merged
        } else {
            with_float
        };
    }
    m.absorb_small(&mut groups, ordinal, floating.then_some(missing));
    if groups.len() < 2 {
        return None;
    }
    let test = m.full_test(&groups);
    let merging = match (ordinal, floating) {
        (false, _) => Merging::Nominal,
        (true, false) => Merging::Ordinal,
        (true, true) => Merging::Floating,
    };
    let ln_b = ln_multiplier(merging, n_categories, groups.len(), spec.exhaustive);
    Some(Candidate {
        sizes: groups
            .iter()
            .map(|g| spec.response.weight(&g.row))
            .collect(),
        groups: groups.into_iter().map(|g| g.slots).collect(),
        ln_p_adj: test.ln_p + ln_b,
        test,
        n_categories,
        merging,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        Spec {
            response: Response::Classes {
                n_classes: 2,
                case: false,
            },
            statistic: Statistic::Pearson,
            ln_alpha_merge: 0.05f64.ln(),
            ln_alpha_split_merged: 0.05f64.ln(),
            exhaustive: false,
            split_merged: false,
            min_child_size: 0.0,
        }
    }

    #[test]
    fn merges_similar_categories_nominal_and_ordinal() {
        // Categories 0 and 2 alike, 1 and 3 alike; slot 4 (missing) empty.
        let table = [90.0, 10.0, 20.0, 80.0, 88.0, 12.0, 22.0, 78.0, 0.0, 0.0];
        let nominal = merge_predictor(&table, 5, false, &spec()).unwrap();
        assert_eq!(nominal.groups, vec![vec![0, 2], vec![1, 3]]);
        assert_eq!(nominal.n_categories, 4);
        // B = S(4, 2) = 7
        assert!((nominal.ln_p_adj - nominal.test.ln_p - 7f64.ln()).abs() < 1e-12);
        // Ordinal: nothing adjacent is alike.
        let ordinal = merge_predictor(&table, 5, true, &spec()).unwrap();
        assert_eq!(ordinal.groups.len(), 4);
        assert_eq!(ordinal.ln_p_adj, ordinal.test.ln_p);
    }

    #[test]
    fn floating_category_and_small_groups() {
        // Ordinal 0,1 alike; missing looks like 2.
        let table = [90.0, 10.0, 89.0, 11.0, 20.0, 80.0, 5.0, 15.0];
        let c = merge_predictor(&table, 4, true, &spec()).unwrap();
        assert_eq!(c.groups, vec![vec![0, 1], vec![2, 3]]);
        assert_eq!(c.merging, Merging::Floating);
        let mut s = spec();
        s.min_child_size = 110.0;
        let c = merge_predictor(&table, 4, true, &s).unwrap();
        assert_eq!(c.groups.len(), 2);
        s.min_child_size = 1000.0;
        assert!(merge_predictor(&table, 4, true, &s).is_none());
    }

    #[test]
    fn exhaustive_keeps_the_best_configuration() {
        let table = [90.0, 10.0, 20.0, 80.0, 88.0, 12.0, 22.0, 78.0, 0.0, 0.0];
        let mut s = spec();
        s.exhaustive = true;
        let c = merge_predictor(&table, 5, false, &s).unwrap();
        assert_eq!(c.groups, vec![vec![0, 2], vec![1, 3]]);
        assert!((c.ln_p_adj - c.test.ln_p - 30f64.ln()).abs() < 1e-12);
    }
}
