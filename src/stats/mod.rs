//! Statistical tests on small sufficient-statistic tables: Pearson χ² and likelihood-ratio G² on
//! contingency tables (with SPSS's case-weighted expected counts), one-way ANOVA F on per-group
//! sums, Bonferroni multipliers for merged categories, and tail probabilities in log space so that
//! nothing underflows to 0 at a million rows.

pub mod anova;
pub mod bonferroni;
pub mod contingency;
pub mod dist;

/// The outcome of a test: statistic, degrees of freedom (`df2` is 0 for χ² tests) and the natural
/// log of the p-value (0 = p of 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestResult {
    pub statistic: f64,
    pub df1: f64,
    pub df2: f64,
    pub ln_p: f64,
}

impl TestResult {
    /// No evidence at all: statistic 0, p = 1 (a table with fewer than two rows or columns).
    pub const NULL: TestResult = TestResult {
        statistic: 0.0,
        df1: 0.0,
        df2: 0.0,
        ln_p: 0.0,
    };

    pub fn p_value(&self) -> f64 {
        self.ln_p.exp()
    }
}
