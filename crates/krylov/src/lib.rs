//! # sqz-krylov: Krylov methods over an abstract linear operator
//!
//! Architecture invariant: this crate knows nothing of spins, Liouvillians or the paper. It sees
//! a square complex operator through [`LinearOperator`]: a dimension and `y = A x`.
#![deny(missing_docs)]

pub use num_complex::Complex64 as C64;

/// A square complex linear operator `A` of dimension `dim()`.
///
/// The sparse matrix, the matrix-free Liouvillian, a parity block and a preconditioner all
/// implement it; the solvers see nothing else.
pub trait LinearOperator: Sync {
    /// Dimension of the (square) operator.
    fn dim(&self) -> usize;
    /// `y = A x`; `y` is overwritten.
    ///
    /// # Panics
    /// If `x.len()` or `y.len()` differ from `dim()`.
    fn apply(&self, x: &[C64], y: &mut [C64]);
}

impl<T: LinearOperator + ?Sized> LinearOperator for &T {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn apply(&self, x: &[C64], y: &mut [C64]) {
        (**self).apply(x, y)
    }
}
