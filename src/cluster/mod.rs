//! Cluster analysis.

pub mod kmeans;
pub mod metrics;
