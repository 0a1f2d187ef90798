//! Eigenvalues of largest modulus of an operator, by Arnoldi with explicit restarts.
//!
//! Meant for spectral transformations: applied to `(A - sigma)^{-1}` (shift-invert) it finds the
//! eigenvalues of `A` nearest `sigma`, which converge in a few dozen steps because they are well
//! separated in modulus after the transformation. The small Hessenberg eigenproblem is solved by
//! faer.

use crate::dense::{norm, orthogonalize, scale};
use crate::{KrylovError, LinOp, C64};
use faer::Mat;

/// Parameters of [`eigs_largest`].
#[derive(Debug, Clone, Copy)]
pub struct EigParams {
    /// number of eigenvalues wanted
    pub nev: usize,
    /// Krylov dimension per cycle (> nev)
    pub krylov_dim: usize,
    /// converged when the Ritz residual `|A v - theta v| <= tol |theta|`
    pub tol: f64,
    /// restart budget
    pub max_restarts: usize,
}

impl Default for EigParams {
    fn default() -> Self {
        Self {
            nev: 4,
            krylov_dim: 40,
            tol: 1e-10,
            max_restarts: 30,
        }
    }
}

/// Eigenpairs found, sorted by decreasing modulus.
#[derive(Debug, Clone)]
pub struct EigReport {
    /// eigenvalues (Ritz values)
    pub values: Vec<C64>,
    /// unit Ritz vectors
    pub vectors: Vec<Vec<C64>>,
    /// Ritz residual estimates `|A v - theta v|`
    pub residuals: Vec<f64>,
    /// operator applications
    pub matvecs: usize,
    /// restarts done
    pub restarts: usize,
}

/// The `nev` eigenvalues of largest modulus of `a`, from the start vector `start`; `sa` is the
/// scratch of `a`'s applications (from [`LinOp::new_scratch`], owned by the caller, who can read
/// what an operator records in it after the call).
///
/// # Panics
/// If `start.len() != a.dim()`.
pub fn eigs_largest<A: LinOp<C64> + ?Sized>(
    a: &A,
    sa: &mut A::Scratch,
    start: &[C64],
    p: &EigParams,
) -> Result<EigReport, KrylovError> {
    let n = a.dim();
    assert_eq!(start.len(), n, "eigs_largest: start vector length");
    let m = p.krylov_dim.min(n).max(1);
    let nev = p.nev.min(m).max(1);
    let mut v0 = start.to_vec();
    let mut basis: Vec<Vec<C64>> = Vec::with_capacity(m + 1);
    let mut w = vec![C64::default(); n];
    let mut hcol = vec![C64::default(); m + 1];
    let mut matvecs = 0;
    for restart in 0..=p.max_restarts {
        let nrm = norm(&v0);
        if nrm.is_nan() || nrm <= 0.0 {
            return Err(KrylovError::Breakdown("zero start vector".into()));
        }
        scale(C64::new(1.0 / nrm, 0.0), &mut v0);
        basis.clear();
        basis.push(v0.clone());
        let mut h = Mat::<C64>::zeros(m + 1, m);
        let mut k_used = m;
        for k in 0..m {
            a.apply(&basis[k], &mut w, sa);
            matvecs += 1;
            let hn = orthogonalize(&basis, k + 1, &mut w, &mut hcol);
            for i in 0..=k {
                h[(i, k)] = hcol[i];
            }
            h[(k + 1, k)] = C64::new(hn, 0.0);
            if hn <= 1e-14 * (1.0 + h[(k, k)].norm()) {
                k_used = k + 1; // invariant subspace: the Ritz pairs are exact
                break;
            }
            let mut next = w.clone();
            scale(C64::new(1.0 / hn, 0.0), &mut next);
            basis.push(next);
        }
        let hk = Mat::<C64>::from_fn(k_used, k_used, |i, j| h[(i, j)]);
        // the projected matrix is small: sequential, whatever the process-global setting
        let evd = crate::par_dense::eigen(hk.as_ref(), faer::Par::Seq)
            .map_err(|e| KrylovError::Breakdown(format!("Hessenberg eigenproblem: {e:?}")))?;
        let vals: Vec<C64> = evd.s.clone();
        let u = evd.u.as_ref();
        let mut order: Vec<usize> = (0..k_used).collect();
        order.sort_by(|&x, &y| vals[y].norm().total_cmp(&vals[x].norm()));
        let beta = h[(k_used.min(m), k_used - 1)].norm();
        let take = nev.min(k_used);
        let mut values = Vec::with_capacity(take);
        let mut vectors = Vec::with_capacity(take);
        let mut residuals = Vec::with_capacity(take);
        let mut converged = true;
        for &i in order.iter().take(take) {
            let ynorm: f64 = (0..k_used)
                .map(|r| u[(r, i)].norm_sqr())
                .sum::<f64>()
                .sqrt();
            let res = if k_used < m && basis.len() == k_used {
                0.0
            } else {
                beta * u[(k_used - 1, i)].norm() / ynorm
            };
            if res > p.tol * vals[i].norm() {
                converged = false;
            }
            let mut vec = vec![C64::default(); n];
            for r in 0..k_used {
                crate::dense::axpy(u[(r, i)] / ynorm, &basis[r], &mut vec);
            }
            values.push(vals[i]);
            vectors.push(vec);
            residuals.push(res);
        }
        if converged || restart == p.max_restarts {
            if !converged {
                return Err(KrylovError::NoConvergence {
                    iterations: matvecs,
                    abs_residual: residuals.iter().cloned().fold(0.0, f64::max),
                    rel_residual: residuals
                        .iter()
                        .zip(&values)
                        .map(|(r, v)| r / v.norm())
                        .fold(0.0, f64::max),
                });
            }
            return Ok(EigReport {
                values,
                vectors,
                residuals,
                matvecs,
                restarts: restart,
            });
        }
        // explicit restart: the sum of the wanted Ritz vectors
        v0.iter_mut().for_each(|x| *x = C64::default());
        for v in &vectors {
            crate::dense::axpy(C64::new(1.0, 0.0), v, &mut v0);
        }
    }
    unreachable!("the restart loop returns")
}
