//! The CF-tree of TwoStep's pre-clustering step (BIRCH, Zhang et al. 1996, with the
//! log-likelihood distance of Chiu et al. 2001).
//!
//! Rows are inserted one at a time, in row order: from the root, each step goes to the closest
//! child entry; at the leaf the row joins the closest leaf entry if their distance is at most the
//! threshold T, else it starts a new leaf entry; a leaf with more than `leaf_size` entries (a
//! non-leaf node with more than `branching` entries) splits around its farthest pair of entries.
//! The tree never grows beyond `max_depth` levels below the root: when an insertion would need
//! that, the tree is rebuilt from its leaf entries with a larger threshold (and, with outlier
//! handling, small leaf entries are first set aside as potential outliers; they come back when
//! they can be absorbed without growing the tree).
//!
//! Every row is an entry id (its row number); entries that merge are joined in a union-find, so
//! the final leaf entry of every row is known exactly (the tests recompute each leaf entry's
//! statistics from its rows).

use super::cf::{Cf, Space};

/// The tree's size limits and threshold.
#[derive(Debug, Clone)]
pub struct TreeParams {
    /// Initial threshold T (distance at or below which a row joins a leaf entry).
    pub threshold: f64,
    /// Maximum entries of a non-leaf node (B).
    pub branching: usize,
    /// Maximum entries of a leaf node (L).
    pub leaf_size: usize,
    /// Maximum levels below the root (H): at most (B^(H+1) − 1)/(B − 1) nodes.
    pub max_depth: usize,
    /// Outlier handling: leaf entries with fewer rows than `outlier_fraction` × the largest leaf
    /// entry are set aside at each rebuild.
    pub outliers: bool,
    pub outlier_fraction: f64,
}

#[derive(Debug, Clone)]
struct Node {
    leaf: bool,
    entries: Vec<Cf>,
    /// Child node of each entry (non-leaf nodes).
    children: Vec<usize>,
    /// Entry id of each entry (leaf nodes).
    ids: Vec<u32>,
}

impl Node {
    fn new(leaf: bool) -> Node {
        Node {
            leaf,
            entries: Vec::new(),
            children: Vec::new(),
            ids: Vec::new(),
        }
    }
}

/// The insertion needs a root split at the maximum depth.
#[derive(Debug)]
struct Full;

/// The CF-tree, the union-find of entry ids and the potential outliers set aside.
#[derive(Debug)]
pub struct CfTree<'a> {
    space: &'a Space,
    params: TreeParams,
    nodes: Vec<Node>,
    root: usize,
    height: usize,
    pub threshold: f64,
    /// Union-find over row numbers: the root of a row is the id of its entry.
    parent: Vec<u32>,
    /// Potential outliers (entries set aside at rebuilds) and their ids.
    aside: Vec<(Cf, u32)>,
    pub n_rebuilds: usize,
}

/// What is left when the pass is over: leaf entries (tree order), outlier entries, and the
/// entry of each row (leaf entries first, then outlier entries).
#[derive(Debug, Clone)]
pub struct Leaves {
    pub entries: Vec<Cf>,
    pub outliers: Vec<Cf>,
    pub row_entry: Vec<u32>,
    pub threshold: f64,
    pub n_rebuilds: usize,
}

impl<'a> CfTree<'a> {
    pub fn new(space: &'a Space, params: TreeParams, n_rows: usize) -> CfTree<'a> {
        let threshold = params.threshold;
        CfTree {
            space,
            params,
            nodes: vec![Node::new(true)],
            root: 0,
            height: 0,
            threshold,
            parent: Vec::with_capacity(n_rows),
            aside: Vec::new(),
            n_rebuilds: 0,
        }
    }

    fn find(&mut self, mut i: u32) -> u32 {
        let mut root = i;
        while self.parent[root as usize] != root {
            root = self.parent[root as usize];
        }
        while self.parent[i as usize] != root {
            let next = self.parent[i as usize];
            self.parent[i as usize] = root;
            i = next;
        }
        root
    }

    /// Inserts the next row (its id is its row number).
    pub fn insert_row(&mut self, row: &Cf) {
        let id = self.parent.len() as u32;
        self.parent.push(id);
        loop {
            match insert(
                &mut self.nodes,
                &mut self.root,
                &mut self.height,
                self.space,
                &self.params,
                self.threshold,
                row,
                id,
                false,
            ) {
                Ok(Some((from, to))) => {
                    self.parent[from as usize] = to;
                    return;
                }
                Ok(None) => return,
                Err(Full) => self.rebuild(),
            }
        }
    }

    /// Leaf entries with their ids, left to right.
    fn leaf_entries(&self) -> Vec<(Cf, u32)> {
        let mut out = Vec::new();
        let mut stack = vec![self.root];
        while let Some(node) = stack.pop() {
            let nd = &self.nodes[node];
            if nd.leaf {
                out.extend(nd.entries.iter().cloned().zip(nd.ids.iter().copied()));
            } else {
                stack.extend(nd.children.iter().rev().copied());
            }
        }
        out
    }

    /// The new threshold: the mean over leaves of the distance between their two closest
    /// entries, and at least 1.25 × the old one.
    fn next_threshold(&self) -> f64 {
        let (mut sum, mut count, mut smallest) = (0.0, 0usize, f64::INFINITY);
        for nd in self
            .nodes
            .iter()
            .filter(|nd| nd.leaf && nd.entries.len() > 1)
        {
            let mut best = f64::INFINITY;
            for i in 0..nd.entries.len() {
                for j in i + 1..nd.entries.len() {
                    best = best.min(self.space.dist(&nd.entries[i], &nd.entries[j]));
                }
            }
            sum += best;
            count += 1;
            if best > 0.0 {
                smallest = smallest.min(best);
            }
        }
        let mean = if count > 0 { sum / count as f64 } else { 0.0 };
        let mut t = mean.max(1.25 * self.threshold);
        if t <= self.threshold {
            t = if smallest.is_finite() {
                smallest.max(self.threshold * 1.25)
            } else {
                self.threshold * 2.0 + 1e-9
            };
        }
        if t <= self.threshold {
            t = self.threshold * 2.0 + 1e-9;
        }
        t
    }

    /// Rebuilds the tree from its leaf entries with a larger threshold.
    fn rebuild(&mut self) {
        self.n_rebuilds += 1;
        let mut entries = self.leaf_entries();
        let mut threshold = self.next_threshold();
        if self.params.outliers {
            let largest = entries.iter().map(|(cf, _)| cf.n).fold(0.0, f64::max);
            let cut = self.params.outlier_fraction * largest;
            let (small, keep): (Vec<_>, Vec<_>) =
                entries.into_iter().partition(|(cf, _)| cf.n < cut);
            self.aside.extend(small);
            entries = keep;
        }
        loop {
            let mut nodes = vec![Node::new(true)];
            let (mut root, mut height) = (0usize, 0usize);
            let mut joins = Vec::new();
            let mut ok = true;
            for (cf, id) in &entries {
                match insert(
                    &mut nodes,
                    &mut root,
                    &mut height,
                    self.space,
                    &self.params,
                    threshold,
                    cf,
                    *id,
                    false,
                ) {
                    Ok(Some(join)) => joins.push(join),
                    Ok(None) => {}
                    Err(Full) => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                for (from, to) in joins {
                    self.parent[from as usize] = to;
                }
                self.nodes = nodes;
                self.root = root;
                self.height = height;
                self.threshold = threshold;
                break;
            }
            threshold *= 1.5;
        }
        self.reabsorb();
    }

    /// Puts back the potential outliers that join a leaf entry or fit in a leaf without a split.
    fn reabsorb(&mut self) {
        let aside = std::mem::take(&mut self.aside);
        for (cf, id) in aside {
            match insert(
                &mut self.nodes,
                &mut self.root,
                &mut self.height,
                self.space,
                &self.params,
                self.threshold,
                &cf,
                id,
                true,
            ) {
                Ok(Some((from, to))) => self.parent[from as usize] = to,
                Ok(None) => {}
                Err(Full) => self.aside.push((cf, id)),
            }
        }
    }

    /// Ends the pass: last chance for the potential outliers, then the leaf entries, the
    /// outlier entries and the entry of every row.
    pub fn finish(mut self) -> Leaves {
        if self.params.outliers {
            self.reabsorb();
        }
        let leaves = self.leaf_entries();
        let aside = std::mem::take(&mut self.aside);
        let n = self.parent.len();
        let mut index = vec![u32::MAX; n];
        let mut entries = Vec::with_capacity(leaves.len());
        let mut outliers = Vec::with_capacity(aside.len());
        for (i, (cf, id)) in leaves.into_iter().enumerate() {
            index[id as usize] = i as u32;
            entries.push(cf);
        }
        let m = entries.len();
        for (i, (cf, id)) in aside.into_iter().enumerate() {
            index[id as usize] = (m + i) as u32;
            outliers.push(cf);
        }
        let mut row_entry = vec![0u32; n];
        for (r, slot) in row_entry.iter_mut().enumerate() {
            let root = self.find(r as u32);
            *slot = index[root as usize];
        }
        Leaves {
            entries,
            outliers,
            row_entry,
            threshold: self.threshold,
            n_rebuilds: self.n_rebuilds,
        }
    }
}

/// The CF of a node: the sum of its entries.
fn node_cf(space: &Space, node: &Node) -> Cf {
    let mut cf = space.empty();
    for e in &node.entries {
        space.add(&mut cf, e);
    }
    cf
}

/// Index of the entry closest to `e` (first on ties) and its distance.
fn closest(space: &Space, entries: &[Cf], e: &Cf) -> (usize, f64) {
    let mut best = (0usize, f64::INFINITY);
    for (i, c) in entries.iter().enumerate() {
        let d = space.dist(c, e);
        if d < best.1 {
            best = (i, d);
        }
    }
    best
}

/// Inserts `e` (entry id `id`). Returns the join (`id` → the id of the entry it was absorbed
/// into) if it was absorbed, `Err(Full)` (tree unchanged) if it needs a root split at the
/// maximum depth, or, with `no_split`, any split.
#[allow(clippy::too_many_arguments)]
fn insert(
    nodes: &mut Vec<Node>,
    root: &mut usize,
    height: &mut usize,
    space: &Space,
    params: &TreeParams,
    threshold: f64,
    e: &Cf,
    id: u32,
    no_split: bool,
) -> Result<Option<(u32, u32)>, Full> {
    // Descend.
    let mut path: Vec<(usize, usize)> = Vec::with_capacity(*height);
    let mut node = *root;
    while !nodes[node].leaf {
        let (i, _) = closest(space, &nodes[node].entries, e);
        path.push((node, i));
        node = nodes[node].children[i];
    }
    let leaf = node;
    if !nodes[leaf].entries.is_empty() {
        let (j, d) = closest(space, &nodes[leaf].entries, e);
        if d <= threshold {
            space.add(&mut nodes[leaf].entries[j], e);
            for &(pn, pi) in &path {
                space.add(&mut nodes[pn].entries[pi], e);
            }
            return Ok(Some((id, nodes[leaf].ids[j])));
        }
    }
    if nodes[leaf].entries.len() < params.leaf_size {
        nodes[leaf].entries.push(e.clone());
        nodes[leaf].ids.push(id);
        for &(pn, pi) in &path {
            space.add(&mut nodes[pn].entries[pi], e);
        }
        return Ok(None);
    }
    // A split: does it reach the root, and may the tree grow a level?
    if no_split {
        return Err(Full);
    }
    let reaches_root = path
        .iter()
        .all(|&(pn, _)| nodes[pn].entries.len() >= params.branching);
    if reaches_root && *height >= params.max_depth {
        return Err(Full);
    }
    nodes[leaf].entries.push(e.clone());
    nodes[leaf].ids.push(id);
    let mut split = split_node(nodes, space, params, leaf);
    for &(pn, pi) in path.iter().rev() {
        match split {
            Some(new) => {
                let child = nodes[pn].children[pi];
                nodes[pn].entries[pi] = node_cf(space, &nodes[child]);
                let cf = node_cf(space, &nodes[new]);
                nodes[pn].entries.push(cf);
                nodes[pn].children.push(new);
                split = split_node(nodes, space, params, pn);
            }
            None => space.add(&mut nodes[pn].entries[pi], e),
        }
    }
    if let Some(new) = split {
        let old = *root;
        let mut top = Node::new(false);
        top.entries = vec![node_cf(space, &nodes[old]), node_cf(space, &nodes[new])];
        top.children = vec![old, new];
        nodes.push(top);
        *root = nodes.len() - 1;
        *height += 1;
    }
    Ok(None)
}

/// Splits an overfull node around its farthest pair of entries; returns the new sibling.
fn split_node(
    nodes: &mut Vec<Node>,
    space: &Space,
    params: &TreeParams,
    at: usize,
) -> Option<usize> {
    let is_leaf = nodes[at].leaf;
    let cap = if is_leaf {
        params.leaf_size
    } else {
        params.branching
    };
    let nd = &nodes[at];
    if nd.entries.len() <= cap {
        return None;
    }
    let m = nd.entries.len();
    let (mut a, mut b, mut far) = (0usize, 1usize, f64::NEG_INFINITY);
    for i in 0..m {
        for j in i + 1..m {
            let d = space.dist(&nd.entries[i], &nd.entries[j]);
            if d > far {
                (a, b, far) = (i, j, d);
            }
        }
    }
    let old = std::mem::replace(&mut nodes[at], Node::new(is_leaf));
    let leaf = old.leaf;
    let mut new = Node::new(leaf);
    let (sa, sb) = (old.entries[a].clone(), old.entries[b].clone());
    for (i, cf) in old.entries.into_iter().enumerate() {
        let to_b = i == b || (i != a && space.dist(&sb, &cf) < space.dist(&sa, &cf));
        let target = if to_b { &mut new } else { &mut nodes[at] };
        target.entries.push(cf);
        if leaf {
            target.ids.push(old.ids[i]);
        } else {
            target.children.push(old.children[i]);
        }
    }
    nodes.push(new);
    Some(nodes.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_entries_sum_their_rows() {
        let space = Space::new(vec![1.0], &[3]);
        let params = TreeParams {
            threshold: 0.0,
            branching: 3,
            leaf_size: 3,
            max_depth: 2,
            outliers: false,
            outlier_fraction: 0.25,
        };
        let mut tree = CfTree::new(&space, params, 200);
        let rows: Vec<(f64, u32)> = (0..200)
            .map(|i| (((i * 37) % 101) as f64 / 10.0, (i % 3) as u32))
            .collect();
        for &(x, c) in &rows {
            tree.insert_row(&space.row(&[x], &[c]));
        }
        let leaves = tree.finish();
        assert!(leaves.n_rebuilds > 0);
        assert!(leaves.entries.len() <= 3 * 9);
        let mut n = vec![0.0; leaves.entries.len()];
        let mut s = vec![0.0; leaves.entries.len()];
        for (r, &e) in leaves.row_entry.iter().enumerate() {
            n[e as usize] += 1.0;
            s[e as usize] += rows[r].0;
        }
        for (i, cf) in leaves.entries.iter().enumerate() {
            assert_eq!(cf.n, n[i]);
            assert!((cf.s[0] - s[i]).abs() < 1e-9);
        }
    }
}
