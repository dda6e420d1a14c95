//! segmint's Rust core. Algorithms work on plain arrays and know nothing of Python; the bindings
//! live in `python` and are the only pyo3 code.

pub mod chaid;
pub mod cluster;
pub mod conjoint;
pub mod error;
pub mod factor;
pub mod linalg;
pub mod parallel;
pub mod profile;
pub mod random;
pub mod stats;
pub mod table;

mod python;

/// The extension module `segmint._core`.
#[pyo3::pymodule]
mod _core {
    #[pymodule_export]
    use crate::python::chaid::{chaid_apply, chaid_fit, chaid_merge_table, chaid_node_tables};
    #[pymodule_export]
    use crate::python::cluster::{
        calinski_harabasz_score, davies_bouldin_score, euclidean_matrix, gower_matrix, kmeans_fit,
        kmeans_lloyd_stats, kmeans_predict, kmeans_transform, kmedoids_fit, kprototypes_fit,
        kprototypes_predict, silhouette_samples, ward_cut, ward_linkage,
    };
    #[pymodule_export]
    use crate::python::conjoint::{
        latent_class_fit, mnl_fit, mnl_stats, rating_fit, respondent_logliks, HbSampler,
    };
    #[pymodule_export]
    use crate::python::factor::{
        factor_bartlett, factor_correlation, factor_fit, factor_kmo, factor_score_weights,
        BartlettResult, CorrelationPass, FactorFit, FitStats, KmoResult,
    };
    #[pymodule_export]
    use crate::python::profile::profile_stats;
}
