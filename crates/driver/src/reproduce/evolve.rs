//! Time evolution for the figures, on the library pieces `sqz evolve` also uses: Krylov
//! propagation ([`sqz_krylov::expv::expv_times`]) of Eq. 7 in the Dicke basis
//! ([`crate::ops::DickeLiouvillian`]) and of Eq. 3 in the weak-parity block
//! ([`sqz_superop::ParityBlock`]).

use crate::ops::DickeLiouvillian;
use anyhow::Context;
use faer::Mat;
use num_complex::Complex64 as C64;
use sqz_krylov::expv::{expv_times, Event, ExpvInfo, ExpvParams, ExpvWorkspace};
use sqz_krylov::LinearOperator;
use sqz_model::observables::{self, SpinMoments};
use sqz_model::{ModelError, Params};
use sqz_superop::{parity, ParityBlock};
use std::ops::ControlFlow;

/// `1/xi^2`, or `None` where the mean spin vanishes (xi^2 undefined).
pub fn inv_xi2(m: &SpinMoments) -> anyhow::Result<Option<f64>> {
    match m.squeezing() {
        Ok(s) => Ok(Some(s.inv_xi2)),
        Err(ModelError::ZeroMeanSpin(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The Dicke state `|j, m>` as a vector (index `k = m + j`).
pub fn dicke(n: usize, m: f64) -> anyhow::Result<Vec<C64>> {
    let k = m + n as f64 / 2.0;
    if k.fract() != 0.0 || k < 0.0 || k > n as f64 {
        anyhow::bail!("m = {m} is not one of -N/2, ..., N/2 (N = {n})");
    }
    let mut v = vec![C64::new(0.0, 0.0); n + 1];
    v[k as usize] = C64::new(1.0, 0.0);
    Ok(v)
}

/// Eq. 7 from the pure Dicke-basis state `psi`: the density matrices at `times` and the
/// propagator's counters.
pub fn collective_states(
    p: &Params,
    psi: &[C64],
    times: &[f64],
    ep: &ExpvParams,
) -> anyhow::Result<(Vec<Mat<C64>>, ExpvInfo)> {
    let d = p.n() + 1;
    assert_eq!(psi.len(), d, "collective_states: state length");
    let mut v: Vec<C64> = (0..d * d).map(|k| psi[k % d] * psi[k / d].conj()).collect();
    let op = DickeLiouvillian::new(p);
    let mut ws = ExpvWorkspace::new(op.dim(), ep.krylov_dim);
    let mut out = Vec::with_capacity(times.len());
    let info = expv_times(&op, times, &mut v, ep, &mut ws, |ev| {
        if let Event::Output { w, .. } = ev {
            out.push(Mat::from_fn(d, d, |i, j| w[i + d * j]));
        }
        ControlFlow::Continue(())
    })
    .with_context(|| format!("Eq. 7 propagation, N = {}, r = {}", p.n(), p.r()))?;
    Ok((out, info))
}

/// Eq. 3 in the parity block from all TLS in `|g>` at positions `z`: `1/xi^2` (0 where
/// undefined) at `times`, and the propagator's counters.
pub fn full_trace(
    p: &Params,
    z: &[f64],
    times: &[f64],
    ep: &ExpvParams,
) -> anyhow::Result<(Vec<f64>, ExpvInfo)> {
    let op = ParityBlock::new(p, z)?;
    let mut v = parity::ground_state(p.n());
    let mut ws = ExpvWorkspace::new(op.dim(), ep.krylov_dim);
    let mut out = Vec::with_capacity(times.len());
    let mut err: Option<anyhow::Error> = None;
    let info = expv_times(&op, times, &mut v, ep, &mut ws, |ev| {
        if let Event::Output { w, .. } = ev {
            match inv_xi2(&sqz_superop::observables::moments_parity(w)) {
                Ok(x) => out.push(x.unwrap_or(0.0)),
                Err(e) => {
                    err = Some(e);
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    })
    .with_context(|| format!("Eq. 3 propagation, N = {}, r = {}", p.n(), p.r()))?;
    if let Some(e) = err {
        return Err(e);
    }
    Ok((out, info))
}

/// `1/xi^2` of Dicke-basis states (0 where undefined) and the mask of where it is defined.
pub fn inv_xi2_series(states: &[Mat<C64>]) -> anyhow::Result<(Vec<f64>, Vec<bool>)> {
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
        let (st, _) = collective_states(&p, &dicke(3, -1.5).unwrap(), &times, &ep).unwrap();
        let (coll, mask) = inv_xi2_series(&st).unwrap();
        assert!(mask.iter().all(|&m| m));
        for (a, b) in full.iter().zip(&coll) {
            assert!((a - b).abs() < 1e-7, "{a} vs {b}");
        }
        assert!((full[0] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn dicke_states() {
        assert_eq!(dicke(2, -1.0).unwrap()[0], C64::new(1.0, 0.0));
        assert_eq!(dicke(3, 0.5).unwrap()[2], C64::new(1.0, 0.0));
        assert!(dicke(3, 0.0).is_err());
        assert!(dicke(2, 2.0).is_err());
    }
}
