//! Time evolution of the permutational model from a symmetric pure state, by Krylov
//! exponential propagation ([`sqz_krylov::expv`]).
//!
//! The initial state `|psi><psi|` (`psi` in the Dicke basis of `J = N/2`: the ground state, a
//! Dicke state, a spin coherent state) lives in the block `J = N/2`; the local terms then feed the
//! other blocks. The even sector (`M - M'` even) is used when `psi` has one parity of `M + N/2`
//! (ground and Dicke states), both sectors otherwise; without local rates only the block
//! `J = N/2` is kept (J is conserved: exact).
//!
//! [`trajectory`] runs a whole propagation and returns the observables at the output times
//! ([`sqz_model::Series`]: `inv_xi2`, `xi2`, mean spin, trace, population of `J = N/2`), as
//! `sqz evolve --model permutational` reports them; [`evolve`] hands each state to an observer.

use crate::basis::{Basis, Sector};
use crate::liouvillian::{build, PermLiouvillian};
use crate::state;
use crate::{PermError, C64};
use sqz_krylov::expv::{expv_times, Event, ExpvInfo, ExpvParams, ExpvWorkspace};
use sqz_model::{ModelError, Params, Series};
use std::ops::ControlFlow;

/// The basis an evolution from `psi` runs in: the even sector when `psi` fits it, all blocks
/// with local rates, only `J = N/2` without (J is conserved: exact).
pub fn basis(p: &Params, psi: &[C64]) -> Basis {
    let n = p.n();
    let sector = if state::pure_symmetric_fits_even(psi) {
        Sector::Even
    } else {
        Sector::All
    };
    let j2_min = if p.has_local_rates() { n % 2 } else { n };
    Basis::new(n, sector, j2_min)
}

/// Bytes a propagation in `basis` with Krylov dimension `krylov_dim` needs (the Krylov
/// workspace, two state vectors, the CSR Liouvillian).
pub fn bytes_estimate(basis: &Basis, krylov_dim: usize) -> u64 {
    let dim = basis.dim();
    ExpvWorkspace::bytes(dim, krylov_dim)
        + 2 * 16 * dim as u64
        + crate::liouvillian::csr_bytes_estimate(basis)
}

/// The Liouvillian and initial vector for an evolution from `psi`.
pub fn setup(p: &Params, psi: &[C64]) -> Result<(PermLiouvillian, Vec<C64>), PermError> {
    let n = p.n();
    if n > crate::N_MAX_PERM {
        return Err(PermError::TooLarge(format!(
            "the permutational model supports N <= {} (N = {n})",
            crate::N_MAX_PERM
        )));
    }
    let lv = build(p, basis(p, psi));
    let v = state::pure_symmetric(&lv.basis, psi);
    Ok((lv, v))
}

/// Appends the observables of the state vector `w` (in `basis`) at time `t` to `series`: those of
/// [`Series::push`] and the population of the symmetric block `J = N/2` (`sym`).
pub fn push_observables(
    series: &mut Series,
    t: f64,
    basis: &Basis,
    w: &[C64],
) -> Result<(), PermError> {
    let m = state::moments(basis, w);
    series.push(t, &m, state::trace(basis, w).re)?;
    series.sym.push(state::block_populations(basis, w)[0]);
    Ok(())
}

/// A finished propagation.
#[derive(Debug, Clone)]
pub struct Trajectory {
    /// the sector it ran in
    pub sector: Sector,
    /// its dimension
    pub dim: usize,
    /// the Krylov counters
    pub info: ExpvInfo,
    /// the observables at the output times
    pub series: Series,
}

/// Propagates `|psi><psi|` through `times` (non-decreasing, >= 0) and records the observables
/// at each; `on_step(t, info)` after every accepted step (for progress reports).
pub fn trajectory(
    p: &Params,
    psi: &[C64],
    times: &[f64],
    params: &ExpvParams,
    mut on_step: impl FnMut(f64, &ExpvInfo),
) -> Result<Trajectory, PermError> {
    let (lv, mut v) = setup(p, psi)?;
    let mut ws = ExpvWorkspace::new(lv.basis.dim(), params.krylov_dim.max(1));
    let mut series = Series::default();
    let mut failure = None;
    let info = expv_times(
        &lv,
        &mut (),
        times,
        &mut v,
        params,
        &mut ws,
        |ev| match ev {
            Event::Output { t, w, .. } => match push_observables(&mut series, t, &lv.basis, w) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    failure = Some(e);
                    ControlFlow::Break(())
                }
            },
            Event::Step { t, info } => {
                on_step(t, info);
                ControlFlow::Continue(())
            }
        },
    )
    .map_err(krylov_failure)?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(Trajectory {
        sector: lv.basis.sector(),
        dim: lv.basis.dim(),
        info,
        series,
    })
}

fn krylov_failure(e: sqz_krylov::expv::ExpvError) -> PermError {
    PermError::Model(ModelError::Numerical(format!("Krylov propagation: {e}")))
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
    expv_times(
        &lv,
        &mut (),
        times,
        &mut v,
        params,
        &mut ws,
        |ev| match ev {
            Event::Output { t, w, .. } => observer(t, &basis, w),
            Event::Step { .. } => ControlFlow::Continue(()),
        },
    )
    .map_err(krylov_failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `trajectory` records what `evolve` hands its observer, in the basis `basis` chooses.
    #[test]
    fn trajectory_matches_the_observer() {
        let p = Params::new(6, 0.5, 0.0, 0.0)
            .unwrap()
            .with_local_rates(0.2, 0.1)
            .unwrap();
        let mut psi = vec![C64::new(0.0, 0.0); 7];
        psi[0] = C64::new(1.0, 0.0);
        let times = [0.0, 0.5, 1.5];
        let ep = ExpvParams::default();
        let mut want = Series::default();
        evolve(&p, &psi, &times, &ep, |t, b, w| {
            push_observables(&mut want, t, b, w).unwrap();
            ControlFlow::Continue(())
        })
        .unwrap();
        let mut steps = 0;
        let tr = trajectory(&p, &psi, &times, &ep, |_, _| steps += 1).unwrap();
        assert_eq!(tr.series, want);
        assert!(steps > 0 && tr.info.steps == steps);
        assert_eq!(tr.sector, Sector::Even);
        assert_eq!(tr.dim, basis(&p, &psi).dim());
        assert!((tr.series.trace[2] - 1.0).abs() < 1e-12);
        assert!(tr.series.sym[2] < 1.0);
    }
}
