//! The operator interface of the Krylov solvers, in the style of faer's `LinOp`: the caller owns
//! the scratch memory of an application ([`LinOp::Scratch`], made once by
//! [`LinOp::new_scratch`] and reused), so one operator can be applied concurrently from several
//! threads without locks, and a solver's memory is known before it starts
//! ([`LinOp::scratch_bytes`]).

use crate::scalar::Scalar;
use crate::{LinearOperator, C64};

/// A square linear operator `A` over `T` with caller-owned scratch.
pub trait LinOp<T: Scalar>: Sync {
    /// Scratch memory of one application.
    type Scratch: Send;
    /// Dimension of the (square) operator.
    fn dim(&self) -> usize;
    /// A scratch for [`LinOp::apply`].
    fn new_scratch(&self) -> Self::Scratch;
    /// Bytes a scratch from [`LinOp::new_scratch`] holds.
    fn scratch_bytes(&self) -> u64;
    /// `y = A x`; `y` is overwritten.
    ///
    /// # Panics
    /// If `x.len()` or `y.len()` differ from `dim()`, or the scratch belongs to another operator.
    fn apply(&self, x: &[T], y: &mut [T], scratch: &mut Self::Scratch);
    /// `Y = A X` for `ncols` column-major columns of length `dim()` (column by column unless an
    /// operator has something better).
    fn apply_block(&self, x: &[T], y: &mut [T], ncols: usize, scratch: &mut Self::Scratch) {
        let n = self.dim();
        assert!(
            x.len() == n * ncols && y.len() == n * ncols,
            "apply_block: shape"
        );
        for (xc, yc) in x.chunks_exact(n.max(1)).zip(y.chunks_exact_mut(n.max(1))) {
            self.apply(xc, yc, scratch);
        }
    }
}

/// The identity of dimension `.0` (no preconditioner).
#[derive(Debug, Clone, Copy)]
pub struct Identity(pub usize);

impl<T: Scalar> LinOp<T> for Identity {
    type Scratch = ();
    fn dim(&self) -> usize {
        self.0
    }
    fn new_scratch(&self) {}
    fn scratch_bytes(&self) -> u64 {
        0
    }
    fn apply(&self, x: &[T], y: &mut [T], _: &mut ()) {
        y.copy_from_slice(x);
    }
}

/// A [`LinearOperator`] (which manages its own scratch) seen as a [`LinOp`] with no scratch.
#[derive(Clone, Copy)]
pub struct Owned<'a>(pub &'a dyn LinearOperator);

impl LinOp<C64> for Owned<'_> {
    type Scratch = ();
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn new_scratch(&self) {}
    fn scratch_bytes(&self) -> u64 {
        0
    }
    fn apply(&self, x: &[C64], y: &mut [C64], _: &mut ()) {
        self.0.apply(x, y)
    }
}
