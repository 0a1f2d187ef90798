//! # sqz-superop: the Liouvillian of Eq. 3 in the 4^N Liouville space
//!
//! Bai & An, PRL 127, 083602 (2021), Eq. 3 (interaction picture, units `A = 1`):
//!
//! ```text
//! d rho/dt = -i [ Delta_N sum_i s+_i s-_i + H_DD , rho ]
//!          + sum_{i,j} { gamma-_ij/2 [ Nsq D(s+_i, s-_j) + (Nsq+1) D(s-_i, s+_j) ]
//!                      - gamma+_ij/2 [ M D(s+_i, s+_j) + M* D(s-_i, s-_j) ] } rho
//! H_DD     = -sum_{i != j} Delta_ij (s+_i s-_j + s-_i s+_j) / 2
//! D(A,B) rho = 2 A rho B - rho B A - B A rho
//! ```
//!
//! with the couplings of Eqs. 5-6 ([`sqz_model::couplings::Couplings`]). The same Liouvillian is
//! built two independent ways that check each other:
//!
//! | module | representation | built from |
//! |---|---|---|
//! | [`csr`] | assembled `sprs` CSR matrix | the N^2 pair terms of Eq. 3, term by term |
//! | [`matfree`] | matrix-free operator | the two-jump Lindblad form (spec, not in the paper) |
//! | [`parity`] | matrix-free operator on the physical weak-parity half | the two-jump form |
//! | [`representation`] | the weak-parity block as a steady-state `Representation` (trace, Hermitian real form, moments) | [`parity`], [`observables`] |
//!
//! [`lindblad`] holds the coefficients of the two-jump form (and the Liouvillian diagonal).
//! Local loss and dephasing of each TLS (beyond the paper, [`sqz_model::Params::with_local_rates`])
//! are in the CSR assembly and, as an extra pass ([`local`]), in the matrix-free operators.
//!
//! All three implement [`sqz_krylov::LinOp`] (the matrix-free ones with the engine's [`Scratch`],
//! held by the caller). [`memory`] estimates the bytes each needs
//! and refuses work that does not fit; [`observables`] computes spin moments and `xi_R^2` of a
//! full-space (or parity-block) density matrix.
//!
//! ## Conventions (fixed across sqz)
//! * Basis of the `2^N`-dimensional Hilbert space: index `b = sum_i n_i 2^i`, TLS 0 is the least
//!   significant bit, `n_i = 1` means TLS i is excited; `s-_i = sigma_i = |g><e|` lowers TLS i.
//! * Vectorisation: `vec(rho)` stacks columns, `rho[a, b]` sits at index `a + D b`, `D = 2^N`
//!   (as in [`sqz_model::sparse`] and QuTiP). The Liouvillian `L` satisfies
//!   `vec(d rho/dt) = L vec(rho)`.
//!
//! ## Error policy
//! Shape and index contract violations panic (documented under `# Panics`); bad input and
//! problems that do not fit in memory return [`SuperopError`].
#![deny(missing_docs)]

pub mod basis;
pub mod csr;
mod engine_op;
mod error;
pub mod herm;
mod kernel;
pub mod lindblad;
pub mod local;
pub mod matfree;
pub mod memory;
pub mod observables;
pub mod parity;
pub mod representation;

pub use csr::CsrLiouvillian;
pub use engine_op::{EngineOp, Full, ParityHalf, Shape};
pub use error::SuperopError;
pub use kernel::Scratch;
pub use matfree::MatFree;
pub use memory::memory_table;
pub use num_complex::Complex64 as C64;
pub use parity::ParityBlock;
pub use sqz_krylov::LinOp;

/// Largest N any representation here accepts (`4^N` indices must fit comfortably in `usize`;
/// the memory guard refuses far earlier on real machines).
pub const N_MAX_FULL: usize = 15;

/// Validates `(params, positions)` for the full-space operators.
pub(crate) fn validate(p: &sqz_model::Params, z: &[f64]) -> Result<(), SuperopError> {
    sqz_model::positions::check_positions(z, p.n())?;
    if p.n() > N_MAX_FULL {
        return Err(SuperopError::TooManyTls {
            n: p.n(),
            max: N_MAX_FULL,
        });
    }
    Ok(())
}
