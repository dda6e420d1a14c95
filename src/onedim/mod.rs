//! One-dimensional segmentation from transaction logs: the customer summary (a group-by of
//! invoice lines over integer customer codes) and the calendar arithmetic it needs.
//!
//! The summary is split the way a distributed run needs it: [`partial`] reduces any set of rows
//! to per-customer aggregates ([`Partial`]), [`merge`] adds two of them exactly, [`finish`]
//! turns the merged aggregates into the per-customer columns. The in-memory path is
//! `finish(partial(all rows))`; a Dask run calls `partial` per partition and merges in order.
//! Scores and classes (RFM, ABC, usage classes) are rank computations on one value per
//! customer and live in Python (numpy).

pub mod calendar;
pub mod codes;
mod dense;
pub mod summary;

pub use calendar::Period;
pub use summary::{
    finish, merge, partial, Cancellations, FinishParams, Lines, Partial, Summary, SummaryParams,
};
