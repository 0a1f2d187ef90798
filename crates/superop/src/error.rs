//! The error type of the superoperator crate.

use sqz_model::ModelError;

/// Errors of the superoperator layer.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum SuperopError {
    /// Bad parameters or positions (from the model layer).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// N beyond what the full-space representations index.
    #[error("N = {n} TLS is beyond the full-space (4^N) representations (at most N = {max}); use the collective model for larger N")]
    TooManyTls {
        /// requested N
        n: usize,
        /// largest N accepted
        max: usize,
    },
    /// The estimated memory exceeds what is available.
    #[error(
        "{what} needs about {} ({needed_bytes} bytes), more than the {} ({available_bytes} bytes) available; {}",
        crate::memory::human_bytes(*needed_bytes),
        crate::memory::human_bytes(*available_bytes),
        match largest_n { Some(n) => format!("the largest N that fits is {n}"), None => "not even N = 1 fits".to_string() }
    )]
    TooLarge {
        /// what was to be allocated, in words (includes N)
        what: String,
        /// estimated bytes
        needed_bytes: u64,
        /// bytes available (see [`crate::memory::available_bytes`])
        available_bytes: u64,
        /// the largest N for which the same request fits
        largest_n: Option<usize>,
    },
}
