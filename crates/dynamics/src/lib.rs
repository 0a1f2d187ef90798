//! # sqz-dynamics: time evolution of Eq. 7 and Eq. 3
//!
//! Krylov exponential propagation ([`sqz_krylov::expv`]) of the collective model (Eq. 7, in the
//! Dicke basis, [`DickeLiouvillian`]) and of the full model (Eq. 3, in the weak-parity block or
//! the full space, [`sqz_superop`]), from the initial states every command accepts
//! ([`InitState`]), with the observables the paper plots at the requested times.
//!
//! | module | content |
//! |---|---|
//! | [`dicke`] | Eq. 7 as a row-sorted CSR [`sqz_krylov::LinOp`] |
//! | [`init`] | [`InitState`] (`ground`, `dicke:M`, `product:THETA,PHI`): the one parser, and the state vectors |
//! | [`times`] | [`Times`] (the one parser of time lists), `linspace`, `logspace` |
//! | [`space`] | [`Space`]: where a state vector lives (Dicke basis, parity block, full space), its moments, trace, Dicke-basis projection |
//! | [`propagate`] | `sqz evolve`'s propagation: [`Plan`] in, [`Evolution`] (observables, Husimi frames, counters) out |
//! | [`traces`] | the propagations of the figures and studies: Eq. 7 states, Eq. 3 `1/xi^2(t)` from all ground |
//!
//! This crate does not print: progress goes to the caller's `on_step` callback.
#![deny(missing_docs)]

pub mod dicke;
pub mod init;
pub mod propagate;
pub mod space;
pub mod times;
pub mod traces;

pub use dicke::DickeLiouvillian;
pub use init::InitState;
pub use propagate::{evolve_collective, evolve_full, Evolution, Frame, Orthogonalization, Plan};
pub use space::Space;
pub use times::Times;

/// Smallest propagator tolerance (`sqz evolve --tol`, `traces.tol` of studies): the error
/// estimate of every Krylov step includes the rounding `|A| eps` (about 1e-14 at N = 5), so a
/// tolerance per unit time below 1e-14 cannot be met in double precision; it only shrinks the
/// steps without end (`1e-300` never finished).
pub const MIN_TOL: f64 = 1e-14;
/// Largest `sqz evolve --tol`.
pub const MAX_TOL: f64 = 1e-2;
/// Largest Husimi grid side.
pub const HUSIMI_GRID_MAX: usize = 2001;

/// Errors of the dynamics layer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DynamicsError {
    /// Bad parameters or a model-level failure.
    #[error(transparent)]
    Model(#[from] sqz_model::ModelError),
    /// Superoperator-level failure (memory guard, N too large).
    #[error(transparent)]
    Superop(#[from] sqz_superop::SuperopError),
    /// An initial state that does not exist at this N.
    #[error("{0}")]
    Init(String),
    /// Not enough memory for the propagation.
    #[error("{0}")]
    Memory(String),
    /// The propagator failed.
    #[error("{what}: {err}")]
    Propagation {
        /// what was propagated
        what: String,
        /// the propagator's error
        err: sqz_krylov::expv::ExpvError,
    },
    /// The observables of a propagated state failed.
    #[error("observables at t = {t}: {err}")]
    Observables {
        /// time
        t: f64,
        /// the model's error
        err: sqz_model::ModelError,
    },
}
