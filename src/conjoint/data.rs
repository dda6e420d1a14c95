//! Choice data in long form, and the one place that rewrites a task against its chosen
//! alternative.
//!
//! With x̃_j = x_j − x_chosen, log P(chosen) = −log(1 + Σ_{j ≠ chosen} exp(x̃_j′β)): the chosen
//! row drops out. Both samplers of respondent-level likelihoods store their tasks that way, in
//! the layouts their kernels read: the hierarchical model per respondent (`kernel::Differences`,
//! regrouped into SIMD lanes by `lanes::LaneGroups`), latent classes per block of respondents
//! (`latent::design::Design`). Both are written by [`ChoiceData::differences`], so this module
//! sits below both and imports neither.

use crate::error::{Error, Result};

/// Choice data in long form: one row of `x` (row-major, `k` columns) per alternative, the rows of
/// task `t` are `starts[t]..starts[t + 1]`, `chosen[t]` is the absolute row of the chosen one.
#[derive(Debug, Clone, Copy)]
pub struct ChoiceData<'a> {
    pub x: &'a [f64],
    pub k: usize,
    pub starts: &'a [usize],
    pub chosen: &'a [usize],
    /// Optional weight per task (frequency weights, or class posteriors in latent-class EM).
    pub weights: Option<&'a [f64]>,
}

impl ChoiceData<'_> {
    pub fn n_tasks(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// Checks that respondent boundaries `runs` (respondent i's tasks are `runs[i]..runs[i + 1]`)
    /// run from 0 to the number of tasks without going back.
    pub fn check_respondents(&self, runs: &[usize], what: &str) -> Result<()> {
        if runs.first() != Some(&0)
            || runs.last() != Some(&self.n_tasks())
            || runs.windows(2).any(|w| w[1] < w[0])
        {
            return Err(Error::invalid(
                what.to_string(),
                "must run from 0 to the number of tasks",
            ));
        }
        Ok(())
    }

    /// Checks the shapes and values once, so the kernels can index freely.
    pub fn validate(&self) -> Result<()> {
        let n_rows = self.x.len().checked_div(self.k).unwrap_or(0);
        if self.k == 0 || self.x.len() != n_rows * self.k {
            return Err(Error::invalid("x", "needs at least one parameter column"));
        }
        if self.starts.len() < 2 {
            return Err(Error::invalid("data", "has no choice tasks"));
        }
        if self.starts[0] != 0 || *self.starts.last().unwrap_or(&0) != n_rows {
            return Err(Error::invalid(
                "starts",
                "must run from 0 to the number of rows",
            ));
        }
        if self.chosen.len() != self.n_tasks() {
            return Err(Error::invalid("chosen", "needs one chosen row per task"));
        }
        for t in 0..self.n_tasks() {
            let (a, b) = (self.starts[t], self.starts[t + 1]);
            if b < a + 2 {
                return Err(Error::invalid(
                    "task",
                    format!("task {t} has fewer than two alternatives"),
                ));
            }
            if !(a..b).contains(&self.chosen[t]) {
                return Err(Error::invalid(
                    "chosen",
                    format!("task {t}: chosen row outside the task"),
                ));
            }
        }
        if let Some(w) = self.weights {
            if w.len() != self.n_tasks() || w.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(Error::invalid(
                    "weights",
                    "need one finite, non-negative weight per task",
                ));
            }
        }
        if self.x.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid("x", "contains NaN or infinite values"));
        }
        Ok(())
    }
}

impl ChoiceData<'_> {
    /// Writes task `t`'s difference rows x̃ = x_r − x_chosen, one per non-chosen alternative in
    /// row order (slot 0, 1, …): `put(slot, column, value)` for each of their `k` values. Returns
    /// the number of slots (the task's alternatives − 1); the caller's layout decides where a
    /// value goes and what fills the slots of shorter tasks.
    #[inline]
    pub fn differences(&self, t: usize, mut put: impl FnMut(usize, usize, f64)) -> usize {
        let k = self.k;
        let ch = self.chosen[t];
        let xc = &self.x[ch * k..(ch + 1) * k];
        let mut slots = 0;
        for r in (self.starts[t]..self.starts[t + 1]).filter(|&r| r != ch) {
            for (a, (v, c)) in self.x[r * k..(r + 1) * k].iter().zip(xc).enumerate() {
                put(slots, a, v - c);
            }
            slots += 1;
        }
        slots
    }

    /// The most non-chosen alternatives of a task among `tasks`.
    pub fn max_slots(&self, tasks: std::ops::Range<usize>) -> usize {
        tasks
            .map(|t| self.starts[t + 1] - self.starts[t] - 1)
            .max()
            .unwrap_or(0)
    }
}
