//! Cluster analysis.

pub mod clara;
pub mod gower;
pub mod kmeans;
pub mod kmedoids;
pub mod kprototypes;
pub mod kprototypes_partition;
pub mod metrics;
pub mod twostep;
pub mod ward;
