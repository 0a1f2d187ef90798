//! The limit `gamma -> 0+` of the steady state: degenerate perturbation theory over the blocks.
//!
//! Write `L = L0 + L1` with `L0` the collective part (Eq. 7 in every block) and `L1` the local
//! terms (proportional to the rates). `L0` conserves `J` and is trace preserving in every block,
//! with one steady state `sigma_J` per block (Eq. 7 for spin J; `J = 0` is the single state).
//! Its null space is spanned by the `sigma_J`, with the block traces `t_J` as left null vectors.
//! To first order the slow dynamics is a classical Markov chain over `J` with rates
//! `W[J', J] = t_J'(L1 sigma_J)` (`J' != J`), and the steady state for `gamma -> 0+` is
//!
//! ```text
//! rho(0+) = sum_J p_J sigma_J,   W p = 0,   sum_J p_J = 1,
//! ```
//!
//! which depends on the ratio `gamma_deph / gamma_loss` but not on the overall scale. It is not
//! the symmetric-subspace state (Eq. 8) unless `p` is concentrated on `J = N/2`.

use crate::basis::{Basis, Sector};
use crate::liouvillian::build;
use crate::state;
use crate::{PermError, C64};
use faer::Mat;
use sqz_model::{analytic, Params};

/// The `gamma -> 0+` steady state and its ingredients.
#[derive(Debug, Clone)]
pub struct SmallRateLimit {
    /// the basis of `x` (all blocks, even sector)
    pub basis: Basis,
    /// `sum_J p_J sigma_J`
    pub x: Vec<C64>,
    /// `p_J`, `J = N/2` first
    pub weights: Vec<f64>,
}

/// `rho(0+)` for the direction `(gamma_loss, gamma_deph)` of `p` (its scale does not matter;
/// at least one rate must be nonzero), with faer's parallelism `par` for its dense LU.
pub fn small_rate_limit(p: &Params, par: faer::Par) -> Result<SmallRateLimit, PermError> {
    if !p.has_local_rates() {
        return Err(PermError::Degenerate(
            "the limit gamma -> 0+ needs a direction: give a nonzero local rate".into(),
        ));
    }
    let n = p.n();
    let basis = Basis::all_blocks(n, Sector::Even);
    let nb = basis.blocks();
    // sigma_J of every block, embedded
    let mut sigma: Vec<Vec<C64>> = Vec::with_capacity(nb);
    for k in 0..nb {
        let j2 = basis.j2(k);
        let mut v = vec![C64::new(0.0, 0.0); basis.dim()];
        if j2 == 0 {
            v[basis.index(k, 0, 0).unwrap()] = C64::new(1.0, 0.0);
        } else {
            let rho = analytic::steady_state(&p.with_n(j2)?)?.rho();
            for b in 0..=j2 {
                for a in 0..=j2 {
                    if let Some(i) = basis.index(k, a, b) {
                        v[i] = rho[(a, b)];
                    }
                }
            }
        }
        sigma.push(v);
    }
    // L1: the local part alone (Eq. 7 removed by building with the same rates and subtracting
    // is wasteful; build the full L and note that L0 sigma_J = 0, so L sigma_J = L1 sigma_J)
    let l = build(p, basis.clone()).csr;
    let mut w = Mat::<f64>::zeros(nb, nb);
    let mut y = vec![C64::new(0.0, 0.0); basis.dim()];
    for (k, s) in sigma.iter().enumerate() {
        use sqz_krylov::LinOp;
        l.apply(s, &mut y, &mut ());
        let pops = state::block_populations(&basis, &y);
        for (kk, v) in pops.iter().enumerate() {
            w[(kk, k)] = *v;
        }
    }
    // W p = 0 with sum p = 1: replace the first row by ones
    let mut a = w.clone();
    for k in 0..nb {
        a[(0, k)] = 1.0;
    }
    let mut rhs = Mat::<f64>::zeros(nb, 1);
    rhs[(0, 0)] = 1.0;
    let pv = sqz_krylov::par_dense::Lu::new(a.as_ref(), par).solve(rhs.as_ref(), par);
    let weights: Vec<f64> = (0..nb).map(|k| pv[(k, 0)]).collect();
    if weights.iter().any(|v| !v.is_finite()) {
        return Err(PermError::Degenerate(
            "the first-order rate matrix over J has no unique stationary distribution".into(),
        ));
    }
    let mut x = vec![C64::new(0.0, 0.0); basis.dim()];
    for (k, s) in sigma.iter().enumerate() {
        for (xi, si) in x.iter_mut().zip(s) {
            *xi += weights[k] * si;
        }
    }
    Ok(SmallRateLimit { basis, x, weights })
}
