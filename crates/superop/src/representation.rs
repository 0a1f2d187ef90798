//! The weak-parity block of Eq. 3 as the space a steady state is sought in: the implementation of
//! [`sqz_krylov::certificate::Representation`] for [`ParityBlock`] (block vectors, the
//! matrix-free operator, the trace over the diagonal, the Hermitian real form, the moments of
//! [`crate::observables::moments_parity`]). The J blocks of the permutational model implement the
//! same trait (`sqz_permutational::PermLiouvillian`).

use crate::parity::{self, ParityBlock};
use crate::C64;

/// The weak-parity block of Eq. 3 as the representation a steady-state solver works in
/// ([`sqz_krylov::certificate::Representation`]): block vectors ([`parity::block_index`] order), the
/// operator [`ParityBlock`], the trace over the diagonal, the moments of
/// [`crate::observables::moments_parity`].
impl sqz_krylov::certificate::Representation for ParityBlock {
    type Moments = sqz_model::observables::SpinMoments;
    fn dim(&self) -> usize {
        parity::block_dim(self.n())
    }
    fn apply_operator(&self, x: &[C64], y: &mut [C64]) {
        use sqz_krylov::LinOp;
        self.apply(x, y, &mut self.new_scratch());
    }
    fn trace_entries(&self) -> Vec<usize> {
        let n = self.n();
        (0..crate::basis::hilbert_dim(n))
            .map(|a| parity::block_index(n, a, a).expect("diagonal is in the block"))
            .collect()
    }
    fn hermitian_normalized(&self, x: &mut [C64]) -> Result<(), String> {
        let n = self.n();
        for k in 0..x.len() {
            let (a, b) = parity::full_index(n, k);
            if a < b {
                let t =
                    parity::block_index(n, b, a).expect("the block is closed under transposition");
                let v = 0.5 * (x[k] + x[t].conj());
                x[k] = v;
                x[t] = v.conj();
            } else if a == b {
                x[k] = C64::new(x[k].re, 0.0);
            }
        }
        let tr = parity::trace(n, x).re;
        if !(tr.is_finite() && tr > 0.0) {
            return Err(format!("trace of the state is {tr}, not positive"));
        }
        x.iter_mut().for_each(|v| *v /= tr);
        Ok(())
    }
    fn moments(&self, x: &[C64]) -> Self::Moments {
        crate::observables::moments_parity(x)
    }
}
