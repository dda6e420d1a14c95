//! The one error type of the core. The bindings turn it into the `segmint.errors` hierarchy.

/// Everything the core can report instead of a result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The caller passed something the algorithm cannot work with; `what` names the parameter or
    /// column, `why` says what is wrong with it.
    #[error("{what}: {why}")]
    InvalidInput { what: String, why: String },
}

impl Error {
    pub fn invalid(what: impl Into<String>, why: impl Into<String>) -> Self {
        Error::InvalidInput {
            what: what.into(),
            why: why.into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
