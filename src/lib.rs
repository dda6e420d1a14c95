//! segmint's Rust core. Algorithms work on plain arrays and know nothing of Python; the bindings
//! live in `python` and are the only pyo3 code.
//!
//! Modules import only modules listed before them (no import cycles):
//!
//! 1. `error` (the one error type), `simd` (CPU features, `dispatch_avx2!`, the `Isa` trait) and
//!    `parallel` (fixed-chunk reductions merged in order, huge-page buffers) import nothing else;
//! 2. `random` (seeded streams, SIMD lanes of generators, the ziggurat) and `linalg` (Cholesky,
//!    reproducible dots, sums and Gram matrices) import `simd` only;
//! 3. `stats` (distributions and tests), then `table` (user data as arrays: error, parallel);
//! 4. the algorithms, each on the layers above and never on one another: `chaid` (error,
//!    parallel, stats, table), `cluster` (error, parallel, random, simd, table), `conjoint`
//!    (error, linalg, parallel, random, simd; inside it `data` → `kernel` → `lanes` →
//!    `mnl`, `rating`, `hb`, `latent`), `profile` (error, stats, table);
//! 5. `python`, the bindings over all of them.

pub mod cancel;
pub mod chaid;
pub mod cluster;
pub mod conjoint;
pub mod discriminant;
pub mod error;
pub mod factor;
pub mod linalg;
pub mod onedim;
pub mod parallel;
pub mod partition;
pub mod profile;
pub mod random;
pub mod simd;
pub mod stats;
pub mod table;

mod python;

#[cfg(test)]
mod proptests;

/// The extension module `segmint._core`.
#[pyo3::pymodule]
mod _core {
    #[pymodule_export]
    use crate::python::chaid::{
        chaid_apply, chaid_fit, chaid_merge_table, chaid_node_tables, ChaidTree, MergedTable,
    };
    #[pymodule_export]
    use crate::python::chaid_levels::{
        chaid_bin_of, chaid_code_block, chaid_partition_tables, chaid_route, chaid_split_nodes,
        chaid_target_sums, ChaidNodeSplit, ChaidRoute,
    };
    #[pymodule_export]
    use crate::python::cluster::{clara_euclidean, clara_gower, ClaraResult};
    #[pymodule_export]
    use crate::python::cluster::{
        cluster_index, euclidean_matrix, finite_abs_max, gower_matrix, kmeans_fit,
        kmeans_lloyd_stats, kmeans_predict, kmeans_transform, kmedoids_fit, kprototypes_fit,
        kprototypes_predict, silhouette_samples, ward_cut, ward_linkage,
    };
    #[pymodule_export]
    use crate::python::conjoint::{
        latent_class_fit, mnl_fit, mnl_stats, rating_fit, respondent_logliks, HbSampler,
        LatentClassFit, MnlFit, RatingFit,
    };
    #[pymodule_export]
    use crate::python::conjoint_partition::{
        mnl_newton, mnl_partition_columns, mnl_partition_stats, mnl_partition_totals,
        mnl_respondent_scores,
    };
    #[pymodule_export]
    use crate::python::discriminant::{
        discriminant_fit, discriminant_fit_nodes, discriminant_partition_stats,
        discriminant_partition_tables, discriminant_proba, ClassNodes, DiscriminantFit,
    };
    #[pymodule_export]
    use crate::python::distributed::{
        kmeans_partition_farthest, kmeans_partition_lloyd, kmeans_partition_moments,
        kprototypes_partition_farthest, kprototypes_partition_stats, FarthestRows, LloydPartition,
        MomentsPartition, ProtoFarthestRows, ProtoStatsPartition,
    };
    #[pymodule_export]
    use crate::python::factor::{
        factor_bartlett, factor_correlation, factor_fit, factor_kmo, factor_merge_moments,
        factor_partition_moments, factor_score_weights, BartlettResult, CorrelationPass, FactorFit,
        FitStats, KmoResult, MomentNodes,
    };
    #[pymodule_export]
    use crate::python::onedim::{
        customer_summary, dense_codes, id_table, summary_finish, summary_partial, CustomerSummary,
        DenseCodes, IdTable, SummaryPartial,
    };
    #[pymodule_export]
    use crate::python::profile::{profile_finish, profile_partition_sums, profile_stats};
    #[pymodule_export]
    use crate::python::progress::set_progress_callback;
    #[pymodule_export]
    use crate::python::simd_build;
    #[pymodule_export]
    use crate::python::twostep::{twostep_fit, twostep_predict, TwoStepFit};
}
