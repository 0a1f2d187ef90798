//! The steady state reached from an initial state when the null space is degenerate, computed in
//! the full parity block by dense linear algebra (independent of the collective reduction; small
//! N only): with right and left null bases `R`, `W` of `L` (from an SVD), the spectral projector
//! onto the null space is `P0 = R (W^H R)^{-1} W^H`, and `rho(inf) = P0 rho(0)` (the zero
//! eigenvalue of a Lindbladian is semisimple).

use crate::{SteadyError, C64};
use faer::{Mat, Par};
use sqz_krylov::par_dense;
use sqz_model::Params;
use sqz_superop::parity::block_dim;

/// `P0 rho0` and the numerical dimension of the null space (singular values below `1e-10 |L|`),
/// with faer's parallelism `par`.
///
/// # Panics
/// If `rho0.len()` is not the block dimension.
pub fn project_null_space(
    p: &Params,
    z: &[f64],
    rho0: &[C64],
    par: Par,
) -> Result<(Vec<C64>, usize), SteadyError> {
    let n = p.n();
    if n > 6 {
        return Err(SteadyError::Unsupported(format!(
            "the dense null-space projection is for N <= 6, not N = {n}"
        )));
    }
    let m = block_dim(n);
    assert_eq!(rho0.len(), m, "rho0 must be a parity-block vector");
    let csr = sqz_superop::csr::assemble(p, z)?;
    let blk = sqz_superop::csr::restrict_parity(&csr, n);
    let mut a = Mat::<C64>::zeros(m, m);
    for (v, (r, c)) in blk.iter() {
        a[(r, c)] += *v;
    }
    let (u, s, v) = par_dense::svd(a.as_ref(), par).map_err(|e| SteadyError::NoConvergence {
        method: "dense SVD",
        detail: format!("{e:?}"),
    })?;
    let smax = (0..m).map(|i| s[i].re).fold(0.0, f64::max);
    let null: Vec<usize> = (0..m).filter(|&i| s[i].re <= 1e-10 * smax).collect();
    let k = null.len();
    if k == 0 {
        return Err(SteadyError::Degenerate("no null space found".into()));
    }
    // right null vectors: columns of V with zero singular value; left: columns of U
    let r = Mat::<C64>::from_fn(m, k, |i, j| v[(i, null[j])]);
    let w = Mat::<C64>::from_fn(m, k, |i, j| u[(i, null[j])]);
    let whr = par_dense::mul(w.adjoint(), r.as_ref(), par);
    let x0 = Mat::<C64>::from_fn(m, 1, |i, _| rho0[i]);
    let mut c = par_dense::mul(w.adjoint(), x0.as_ref(), par);
    par_dense::Lu::new(whr.as_ref(), par).solve_in_place(c.as_mut(), par);
    let out = par_dense::mul(r.as_ref(), c.as_ref(), par);
    Ok(((0..m).map(|i| out[(i, 0)]).collect(), k))
}
