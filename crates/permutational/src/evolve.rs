//! Time evolution of the permutational model from a symmetric pure state, by Krylov
//! exponential propagation ([`sqz_krylov::expv`]).
//!
//! The initial state `|psi><psi|` (`psi` in the Dicke basis of `J = N/2`: the ground state, a
//! Dicke state, a spin coherent state) lives in the block `J = N/2`; the local terms then feed the
//! other blocks. The even sector (`M - M'` even) is used when `psi` has one parity of `M + N/2`
//! (ground and Dicke states), both sectors otherwise; without local rates only the block
//! `J = N/2` is kept (J is conserved: exact).

use crate::basis::{Basis, Sector};
use crate::liouvillian::{build, PermLiouvillian};
use crate::state;
use crate::{PermError, C64};
use sqz_krylov::expv::{expv_times, Event, ExpvInfo, ExpvParams, ExpvWorkspace};
use sqz_model::Params;
use std::ops::ControlFlow;

/// The Liouvillian and initial vector for an evolution from `psi`.
pub fn setup(p: &Params, psi: &[C64]) -> Result<(PermLiouvillian, Vec<C64>), PermError> {
    let n = p.n();
    if n > crate::N_MAX_PERM {
        return Err(PermError::TooLarge(format!(
            "the permutational model supports N <= {} (N = {n})",
            crate::N_MAX_PERM
        )));
    }
    let sector = if state::pure_symmetric_fits_even(psi) {
        Sector::Even
    } else {
        Sector::All
    };
    let j2_min = if p.has_local_rates() { n % 2 } else { n };
    let lv = build(p, Basis::new(n, sector, j2_min));
    let v = state::pure_symmetric(&lv.basis, psi);
    Ok((lv, v))
}

/// Propagates `|psi><psi|` through `times` (non-decreasing, >= 0), calling `observer(t, basis,
/// rho(t))` at each; it may stop the run with `ControlFlow::Break`.
pub fn evolve<F>(
    p: &Params,
    psi: &[C64],
    times: &[f64],
    params: &ExpvParams,
    mut observer: F,
) -> Result<ExpvInfo, PermError>
where
    F: FnMut(f64, &Basis, &[C64]) -> ControlFlow<()>,
{
    let (lv, mut v) = setup(p, psi)?;
    let mut ws = ExpvWorkspace::new(lv.basis.dim(), params.krylov_dim.max(1));
    let basis = lv.basis.clone();
    expv_times(&lv, times, &mut v, params, &mut ws, |ev| match ev {
        Event::Output { t, w, .. } => observer(t, &basis, w),
        Event::Step { .. } => ControlFlow::Continue(()),
    })
    .map_err(|e| {
        PermError::Model(sqz_model::ModelError::Numerical(format!(
            "Krylov propagation: {e}"
        )))
    })
}
