//! CHAID and Exhaustive CHAID trees (IBM SPSS's algorithm; Kass 1980, Biggs, de Ville & Suen 1991).
//!
//! Every predictor is categorical by the time the tree grows: nominal and ordinal code columns as
//! given, continuous columns binned once into ordinal bins ([`bin`]). Per node, one pass over the
//! node's rows builds every predictor's table (category × target class, or per-category sums for a
//! continuous target) — the sufficient statistics — and everything else (merging categories, tests,
//! Bonferroni adjustment, the choice of split) works on those small tables only ([`merge`]).

pub mod bin;
mod columns;
mod grow;
pub mod levels;
mod merge;
pub mod partials;
pub mod predict;
pub mod tables;

use ndarray::{ArrayView1, ArrayView2};

use crate::error::{Error, Result};
use crate::stats::bonferroni::Merging;
use crate::stats::contingency::Statistic;
use crate::stats::TestResult;

pub use grow::fit_chaid;

/// Measurement level of a categorical predictor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Any categories may merge; a missing value is one more category.
    Nominal,
    /// Codes are ordered, only adjacent categories merge; missing values form the floating category.
    Ordinal,
}

/// The growing parameters (SPSS names in brackets).
#[derive(Debug, Clone, PartialEq)]
pub struct ChaidParams {
    /// Merge the most similar pair while its p-value exceeds this [Merging alpha].
    pub alpha_merge: f64,
    /// Split a node when the best adjusted p-value is at most this [Splitting alpha].
    pub alpha_split: f64,
    /// Re-split a merged group of ≥ 3 categories when its best binary split has p ≤ this.
    pub alpha_split_merged: f64,
    /// Maximum depth (the root has depth 0); `usize::MAX` for no limit.
    pub max_depth: usize,
    /// Nodes with a (frequency-weighted) size below this are not split [Parent node].
    pub min_parent_size: f64,
    /// Groups smaller than this merge with their most similar group [Child node].
    pub min_child_size: f64,
    /// Continuous predictors are cut into at most this many equal-frequency bins.
    pub max_bins: usize,
    /// Exhaustive CHAID.
    pub exhaustive: bool,
    /// Allow re-splitting merged categories.
    pub split_merged: bool,
    /// Pearson χ² or likelihood-ratio G² for a categorical target.
    pub statistic: Statistic,
}

impl Default for ChaidParams {
    fn default() -> Self {
        ChaidParams {
            alpha_merge: 0.05,
            alpha_split: 0.05,
            alpha_split_merged: 0.05,
            max_depth: 3,
            min_parent_size: 100.0,
            min_child_size: 50.0,
            max_bins: 10,
            exhaustive: false,
            split_merged: false,
            statistic: Statistic::Pearson,
        }
    }
}

impl ChaidParams {
    /// Checks the parameters once, before any data is touched.
    pub fn check(&self) -> Result<()> {
        for (name, a) in [
            ("alpha_merge", self.alpha_merge),
            ("alpha_split", self.alpha_split),
            ("alpha_split_merged", self.alpha_split_merged),
        ] {
            if !(a > 0.0 && a < 1.0) {
                return Err(Error::invalid(name, format!("must be in (0, 1), got {a}")));
            }
        }
        if self.split_merged && self.alpha_split_merged > self.alpha_merge {
            return Err(Error::invalid(
                "alpha_split_merged",
                format!(
                    "must not exceed alpha_merge ({}) when split_merged is on, got {} \
                     (merging and re-splitting would undo each other)",
                    self.alpha_merge, self.alpha_split_merged
                ),
            ));
        }
        for (name, v) in [
            ("min_parent_size", self.min_parent_size),
            ("min_child_size", self.min_child_size),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::invalid(
                    name,
                    format!("must be a number >= 0, got {v}"),
                ));
            }
        }
        if self.max_bins < 2 {
            return Err(Error::invalid(
                "max_bins",
                format!("must be at least 2, got {}", self.max_bins),
            ));
        }
        Ok(())
    }
}

/// The target.
#[derive(Debug, Clone)]
pub enum Target<'a> {
    /// Class codes 0..n_classes.
    Classes {
        codes: ArrayView1<'a, u32>,
        n_classes: usize,
    },
    /// A continuous target (one-way ANOVA F).
    Continuous(ArrayView1<'a, f64>),
}

/// What the tree is grown on. Predictors are numbered categorical columns first
/// (0..codes.ncols()), then continuous columns.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    /// Categorical predictors: codes 0..n_levels, `table::MISSING_CODE` for missing.
    pub codes: ArrayView2<'a, u32>,
    pub n_levels: &'a [u32],
    pub scales: &'a [Scale],
    /// Continuous predictors (NaN = missing), binned into ordinal bins.
    pub numeric: ArrayView2<'a, f64>,
    pub target: Target<'a>,
    /// Frequency weights: counts (they define node sizes and degrees of freedom).
    pub freq: Option<ArrayView1<'a, f64>>,
    /// Case weights: enter the expected counts (categorical target) or the sums of squares (F).
    pub case: Option<ArrayView1<'a, f64>>,
    /// Tie-break rank per predictor (lower wins); predictor number when `None`.
    pub rank: Option<&'a [usize]>,
}

/// A fitted tree: nodes in pre-order (depth first, children in group order), root first.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub nodes: Vec<Node>,
    /// Per continuous predictor, the upper bound of each bin (the largest training value in it);
    /// bin b holds (breaks[b−1], breaks[b]], the first bin everything below, the last everything
    /// above.
    pub breaks: Vec<Vec<f64>>,
    /// Per predictor, the number of slots: categories (or bins) + 1, the last for missing values.
    pub n_slots: Vec<usize>,
    /// Number of target classes; 0 for a continuous target.
    pub n_classes: usize,
}

/// One node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub parent: Option<usize>,
    pub depth: usize,
    /// Rows (with positive weight) in the node.
    pub n_rows: usize,
    /// Frequency-weighted size.
    pub weight: f64,
    /// Categorical target: frequency-weighted count per class. Continuous target:
    /// [frequency-weighted n, analysis weight, mean, within-node sum of squares].
    pub value: Vec<f64>,
    pub split: Option<Split>,
    pub children: Vec<usize>,
}

/// How a node is split.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub predictor: usize,
    /// Per slot of the predictor (categories, then missing), the child (index into
    /// `Node::children`). Categories present in the node go where merging put them; absent ones
    /// follow the nearest present category below (ordinal) or go to the default child.
    pub slot_child: Vec<usize>,
    /// Per slot: the category was present in the node (the rest were routed by the rules above).
    pub present: Vec<bool>,
    /// The child for values never seen in training (and absent nominal categories): the largest
    /// child, the first of equals.
    pub default_child: usize,
    /// Test of the merged table (unadjusted p-value).
    pub test: TestResult,
    /// ln of the Bonferroni-adjusted p-value (may exceed 0: the adjusted p is capped at 1 on
    /// display only).
    pub ln_p_adj: f64,
    /// Categories of the predictor present in the node (the I of the Bonferroni multiplier).
    pub n_categories: usize,
    pub merging: Merging,
}
