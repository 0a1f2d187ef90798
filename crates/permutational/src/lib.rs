//! # sqz-permutational: N TLS with the collective squeezed bath and local loss and dephasing
//!
//! The model (beyond the paper; `/work/shared/spec/physics.md`, "Beyond the paper"):
//! Eq. 7 (collective, ideal positions) plus, for each TLS i,
//! `gamma_loss D[sigma_i] rho + (gamma_deph/2) D[sigma^z_i] rho`, with
//! `D[c] rho = c rho c^dag - {c^dag c, rho}/2` and the rates in units of A;
//! `beta = A/(A + gamma_loss)`. Both rates default to 0, and then every result is that of the
//! paper's collective model. The rates come from [`sqz_model::Params::with_local_rates`].
//!
//! Local processes break the total-spin conservation of Eq. 7 but keep permutation symmetry, so
//! the state stays block diagonal over total spin `J` ([`basis`]; the representation of PIQS,
//! Shammah et al., PRA 98, 063815 (2018)): `O(N^3)` unknowns instead of `4^N`.
//!
//! This crate holds what is the model's own: the basis, the Liouvillian (which implements the
//! steady-state representation trait `sqz_krylov::certificate::Representation`), the two-level
//! preconditioner, the time evolution and the limit. Its steady state, with the gap estimate, the
//! error bound and the report every steady state shares, is `sqz_steady::permutational::solve`.
//!
//! | module | content |
//! |---|---|
//! | [`basis`] | blocks `J`, index map, sectors |
//! | [`mod@liouvillian`] | the Liouvillian as CSR (Eq. 7 per block + the PIQS local coefficients) |
//! | [`state`] | trace, moments, `xi_R^2`, block populations |
//! | [`iterative`] | the two-level preconditioner (block Jacobi over `J` + the Eq. 7 states of the blocks as coarse space) and its GMRES |
//! | [`evolve`] | time evolution from a symmetric pure state (Krylov `expv`), the observables at the output times |
//! | [`limit`] | the limit `gamma -> 0+` (degenerate perturbation theory over the `J` blocks) |
#![deny(missing_docs)]

pub mod basis;
pub mod evolve;
pub mod iterative;
pub mod limit;
pub mod liouvillian;
pub mod state;

pub use basis::{Basis, Sector, N_MAX_PERM};
pub use liouvillian::{build, liouvillian, Csr, PermLiouvillian};
pub use num_complex::Complex64 as C64;

/// Errors of the permutational model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PermError {
    /// Bad input or a model-level failure.
    #[error(transparent)]
    Model(#[from] sqz_model::ModelError),
    /// A Krylov method failed.
    #[error(transparent)]
    Krylov(#[from] sqz_krylov::KrylovError),
    /// The problem does not fit in memory or is beyond the supported N.
    #[error("{0}")]
    TooLarge(String),
    /// The steady state is not unique.
    #[error("the steady state is not unique: {0}")]
    Degenerate(String),
}
