//! # sqz-krylov: Krylov methods over an abstract linear operator
//!
//! Architecture invariant: this crate knows nothing of spins, Liouvillians or the paper. It sees
//! a square operator through [`LinOp`]: a dimension and `y = A x` with caller-owned scratch.
#![deny(missing_docs)]

pub mod arnoldi;
pub mod certificate;
pub mod dense;
pub mod expm;
pub mod expv;
pub mod gmres;
pub mod gmres_dr;
pub mod linop;
pub mod orth;
pub mod par_dense;
pub mod progress;
pub mod scalar;

pub use arnoldi::{eigs_largest, EigParams, EigReport};
pub use expv::{
    expv, expv_times, ExpvError, ExpvInfo, ExpvParams, ExpvWorkspace, Orthogonalization,
};
pub use gmres::{gmres, gmres_with, GmresInfo, GmresParams, GmresWorkspace};
pub use gmres_dr::{gmres_dr_with, gmres_recycled_with, GmresDrParams, GmresDrWorkspace};
pub use linop::{Diagonal, Identity, LinOp};
pub use num_complex::Complex64 as C64;
pub use progress::{Progress, ProgressSnapshot};
pub use scalar::Scalar;

/// Errors of the Krylov solvers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KrylovError {
    /// The iteration budget ran out; what was reached is reported.
    #[error("no convergence after {iterations} operator applications: residual {abs_residual:e} (relative {rel_residual:e})")]
    NoConvergence {
        /// operator applications done
        iterations: usize,
        /// absolute residual reached
        abs_residual: f64,
        /// relative residual reached
        rel_residual: f64,
    },
    /// A breakdown that cannot be continued.
    #[error("Krylov breakdown: {0}")]
    Breakdown(String),
}

/// A dense matrix as an operator (tests, small problems).
#[derive(Debug, Clone)]
pub struct DenseOp(pub faer::Mat<C64>);

impl LinOp<C64> for DenseOp {
    type Scratch = ();
    fn dim(&self) -> usize {
        self.0.nrows()
    }
    fn new_scratch(&self) {}
    fn scratch_bytes(&self) -> u64 {
        0
    }
    fn apply(&self, x: &[C64], y: &mut [C64], _: &mut ()) {
        let m = &self.0;
        y.iter_mut().for_each(|v| *v = C64::default());
        for j in 0..m.ncols() {
            let xj = x[j];
            for i in 0..m.nrows() {
                y[i] += m[(i, j)] * xj;
            }
        }
    }
}
