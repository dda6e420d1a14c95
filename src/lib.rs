//! segmint's Rust core. Algorithms work on plain arrays and know nothing of Python; the bindings
//! live in `python` and are the only pyo3 code.

pub mod cluster;
pub mod error;
pub mod parallel;
pub mod random;
pub mod table;

mod python;

/// The extension module `segmint._core`.
#[pyo3::pymodule]
mod _core {
    #[pymodule_export]
    use crate::python::cluster::{
        calinski_harabasz_score, davies_bouldin_score, kmeans_fit, kmeans_lloyd_stats,
        kmeans_predict, kmeans_transform, silhouette_samples,
    };
}
