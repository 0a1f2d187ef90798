//! Propagations for studies and figures (`sqz reproduce`, `sqz disorder` traces), on the same
//! pieces as [`crate::propagate`]: Eq. 7 from a pure Dicke-basis state with every density matrix
//! returned ([`collective_states`]), and Eq. 3 in the weak-parity block from all TLS in `|g>` with
//! `1/xi^2` at each time ([`full_trace`]).

use crate::init::pure_dicke;
use crate::propagate::inv_xi2;
use crate::{DickeLiouvillian, DynamicsError};
use faer::Mat;
use sqz_krylov::expv::{expv_times, Event, ExpvInfo, ExpvParams, ExpvWorkspace};
use sqz_krylov::LinOp;
use sqz_model::{observables, Params, C64};
use sqz_superop::{parity, ParityBlock};
use std::ops::ControlFlow;

/// Eq. 7 from the pure Dicke-basis state `psi`: the density matrices at `times` and the
/// propagator's counters.
pub fn collective_states(
    p: &Params,
    psi: &[C64],
    times: &[f64],
    ep: &ExpvParams,
) -> Result<(Vec<Mat<C64>>, ExpvInfo), DynamicsError> {
    let d = p.n() + 1;
    assert_eq!(psi.len(), d, "collective_states: state length");
    sqz_model::collective::refuse_local_rates(p)?;
    let mut v = pure_dicke(psi);
    let op = DickeLiouvillian::new(p);
    let mut ws = ExpvWorkspace::new(op.dim(), ep.krylov_dim);
    let mut out = Vec::with_capacity(times.len());
    let info = expv_times(
        &op,
        &mut op.new_scratch(),
        times,
        &mut v,
        ep,
        &mut ws,
        |ev| {
            if let Event::Output { w, .. } = ev {
                out.push(Mat::from_fn(d, d, |i, j| w[i + d * j]));
            }
            ControlFlow::Continue(())
        },
    )
    .map_err(|err| DynamicsError::Propagation {
        what: format!("Eq. 7 propagation, N = {}, r = {}", p.n(), p.r()),
        err,
    })?;
    Ok((out, info))
}

/// Eq. 3 in the parity block from all TLS in `|g>` at positions `z`: `1/xi^2` (0 where
/// undefined) at `times`, and the propagator's counters.
pub fn full_trace(
    p: &Params,
    z: &[f64],
    times: &[f64],
    ep: &ExpvParams,
) -> Result<(Vec<f64>, ExpvInfo), DynamicsError> {
    let op = ParityBlock::new(p, z)?;
    let mut v = parity::ground_state(p.n());
    let mut ws = ExpvWorkspace::new(op.dim(), ep.krylov_dim);
    let mut out = Vec::with_capacity(times.len());
    let mut err = None;
    let info = expv_times(
        &op,
        &mut op.new_scratch(),
        times,
        &mut v,
        ep,
        &mut ws,
        |ev| {
            if let Event::Output { w, .. } = ev {
                match inv_xi2(&sqz_superop::observables::moments_parity(w)) {
                    Ok(x) => out.push(x.unwrap_or(0.0)),
                    Err(e) => {
                        err = Some(DynamicsError::Model(e));
                        return ControlFlow::Break(());
                    }
                }
            }
            ControlFlow::Continue(())
        },
    )
    .map_err(|err| DynamicsError::Propagation {
        what: format!("Eq. 3 propagation, N = {}, r = {}", p.n(), p.r()),
        err,
    })?;
    if let Some(e) = err {
        return Err(e);
    }
    Ok((out, info))
}

/// `1/xi^2` of Dicke-basis states (0 where undefined) and the mask of where it is defined.
pub fn inv_xi2_series(states: &[Mat<C64>]) -> Result<(Vec<f64>, Vec<bool>), DynamicsError> {
    let mut v = Vec::with_capacity(states.len());
    let mut mask = Vec::with_capacity(states.len());
    for s in states {
        let x = inv_xi2(&observables::moments(s))?;
        v.push(x.unwrap_or(0.0));
        mask.push(x.is_some());
    }
    Ok((v, mask))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InitState;

    /// Eq. 3 at ideal positions from |g...g> is Eq. 7 from |j,-j>.
    #[test]
    fn full_model_at_ideal_positions_follows_the_collective_model() {
        let p = Params::new(3, 0.5, 0.5, 1.0).unwrap();
        let times = [0.0, 0.05, 0.3, 1.0, 3.0];
        let ep = ExpvParams {
            tol: 1e-10,
            ..ExpvParams::default()
        };
        let (full, _) = full_trace(&p, &sqz_model::positions::ideal(3), &times, &ep).unwrap();
        let psi = InitState::dicke(-1.5)
            .unwrap()
            .collective_vector(3)
            .unwrap();
        let (st, _) = collective_states(&p, &psi, &times, &ep).unwrap();
        let (coll, mask) = inv_xi2_series(&st).unwrap();
        assert!(mask.iter().all(|&m| m));
        for (a, b) in full.iter().zip(&coll) {
            assert!((a - b).abs() < 1e-7, "{a} vs {b}");
        }
        assert!((full[0] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn dicke_states() {
        let v = |n: usize, m: f64| InitState::dicke(m).unwrap().collective_vector(n);
        assert_eq!(v(2, -1.0).unwrap()[0], C64::new(1.0, 0.0));
        assert_eq!(v(3, 0.5).unwrap()[2], C64::new(1.0, 0.0));
        assert!(v(3, 0.0).is_err());
        assert!(v(2, 2.0).is_err());
    }
}
