//! Cluster analysis.

pub mod kmeans;
