//! Conjoint analysis: part-worth utilities from ratings (OLS) and choices (conditional logit,
//! hierarchical Bayes, latent classes).

pub mod data;
pub mod hb;
pub mod kernel;
pub mod lanes;
pub mod latent;
pub mod mnl;
pub mod mnl_partition;
pub mod rating;
