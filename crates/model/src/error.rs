//! The error type of the model crate.

/// Errors of the physics layer: bad input, and numerical failures.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ModelError {
    /// A parameter is out of its allowed range.
    #[error("invalid value {value} for {name}: allowed {allowed}")]
    InvalidParameter {
        /// parameter name as the user writes it
        name: &'static str,
        /// the offending value, printed
        value: String,
        /// the allowed range, in words
        allowed: &'static str,
    },
    /// A length could not be parsed.
    #[error(
        "cannot read length {0:?}: expected a number, optionally with a `pi` suffix (e.g. 0.3pi)"
    )]
    BadLength(String),
    /// The mean spin vanishes, so `xi_R^2` is undefined.
    #[error("the mean spin |<S>| = {0:e} vanishes: xi_R^2 is undefined")]
    ZeroMeanSpin(f64),
    /// A linear solve or decomposition failed.
    #[error("numerical failure: {0}")]
    Numerical(String),
    /// The problem does not fit in memory.
    #[error("{what} needs about {needed_bytes} bytes, more than the {available_bytes} bytes available{hint}")]
    TooLarge {
        /// what was to be allocated
        what: String,
        /// estimate of the bytes needed
        needed_bytes: u64,
        /// bytes available
        available_bytes: u64,
        /// e.g. the largest size that fits
        hint: String,
    },
}
