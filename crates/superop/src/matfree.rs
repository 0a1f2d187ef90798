//! Eq. 3 as a matrix-free operator on the full `4^N` Liouville space, through the equivalent
//! two-jump Lindblad form of the spec (not in the paper; see [`crate::lindblad`] for the
//! coefficients):
//!
//! ```text
//! L(rho) = -i (H_eff rho - rho H_eff^dag) + sum_{c=+,-} J_c rho J_c^dag
//! H_eff  = H - (i/2) sum_c J_c^dag J_c,      H = Delta_N sum_i s+_i s-_i + H_DD
//! J_c    = cosh r b_c - e^{i alpha} sinh r b_c^dag,   b_c = (1/sqrt 2) sum_i e^{c i z_i} sigma_i
//! ```
//!
//! `H_eff` (excitation-conserving `H_DD` plus the two-body part of `J^dag J`) acts on each side
//! through its `N(N-1)/2` pair elements per basis state; the sandwich `J_c rho J_c^dag` is applied
//! as `J_c (rho J_c^dag)`, `O(N)` per element. Cost per apply: about
//! `(N(N-1) + 4N + 2) 4^N` complex multiply-adds and 12 sweeps over `4^N`-vectors; memory:
//! input, output and two scratch vectors of the same length, held by the caller
//! ([`sqz_krylov::LinOp::new_scratch`]). Vector layout: column-major `vec(rho)`,
//! `rho[a, b]` at `a + D b`.

use crate::engine_op::{EngineOp, Full};

pub use crate::kernel::{Scratch, VECTOR_SWEEPS};

/// The Eq. 3 Liouvillian on the full Liouville space, matrix-free.
pub type MatFree = EngineOp<Full>;
