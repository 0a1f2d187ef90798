//! The operator interface of the Krylov solvers, in the style of faer's `LinOp`: the caller owns
//! the scratch memory of an application ([`LinOp::Scratch`], made once by
//! [`LinOp::new_scratch`] and reused), so one operator can be applied concurrently from several
//! threads without locks (each thread holds its own scratch), and a solver's memory is known
//! before it starts ([`LinOp::scratch_bytes`]).
//!
//! Every operator of the workspace implements this one trait: the sparse and matrix-free
//! Liouvillians, the parity blocks, the preconditioners, the spectral transformations. Operators
//! that need no scratch use `type Scratch = ()`.

use crate::scalar::Scalar;

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

impl<T: Scalar, O: LinOp<T> + ?Sized> LinOp<T> for &O {
    type Scratch = O::Scratch;
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn new_scratch(&self) -> O::Scratch {
        (**self).new_scratch()
    }
    fn scratch_bytes(&self) -> u64 {
        (**self).scratch_bytes()
    }
    fn apply(&self, x: &[T], y: &mut [T], scratch: &mut O::Scratch) {
        (**self).apply(x, y, scratch)
    }
    fn apply_block(&self, x: &[T], y: &mut [T], ncols: usize, scratch: &mut O::Scratch) {
        (**self).apply_block(x, y, ncols, scratch)
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

/// A diagonal operator, `y_i = x_i d_i` (a Jacobi preconditioner: `d` the inverse diagonal).
#[derive(Debug, Clone)]
pub struct Diagonal<T>(pub Vec<T>);

impl<T: Scalar> LinOp<T> for Diagonal<T> {
    type Scratch = ();
    fn dim(&self) -> usize {
        self.0.len()
    }
    fn new_scratch(&self) {}
    fn scratch_bytes(&self) -> u64 {
        0
    }
    fn apply(&self, x: &[T], y: &mut [T], _: &mut ()) {
        y.iter_mut()
            .zip(x)
            .zip(&self.0)
            .for_each(|((y, x), s)| *y = *x * *s);
    }
}
