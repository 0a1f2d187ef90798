//! The collective model, Eq. 7, in the Dicke basis `j = N/2`:
//!
//! ```text
//! d rho/dt = -i Delta_N [S^z, rho]
//!          + (A/2) [ Nsq D(S+,S-) + (Nsq+1) D(S-,S+) - M D(S+,S+) - M* D(S-,S-) ] rho
//! ```
//!
//! with `D(A,B) rho = 2 A rho B - rho B A - B A rho`. The Liouvillian acts on the `(N+1)^2`
//! elements of `rho` (vectorisation: [`crate::sparse`]). Its steady state is unique in the
//! symmetric subspace; [`steady_state`] finds it by a sparse LU solve (faer) of `L rho = 0` with
//! the equation of `rho[0,0]` replaced by `Tr rho = 1` (trace preservation makes that row
//! redundant).

use crate::sparse::{SparseOp, SuperopBuilder};
use crate::{spin, ModelError, Params, C64};
use faer::sparse::{SparseColMat, Triplet};
use faer::Mat;

/// Eq. 7 has no local loss or dephasing: an error naming the rates of `p` when it has any
/// (the permutational model, `sqz_permutational`, includes them at ideal positions).
pub fn refuse_local_rates(p: &Params) -> Result<(), ModelError> {
    if p.has_local_rates() {
        return Err(ModelError::InvalidParameter {
            name: "gamma_loss/gamma_deph",
            value: format!("{}/{}", p.gamma_loss(), p.gamma_deph()),
            allowed: "0/0 in the collective model, Eq. 7 (local rates: the permutational model, \
                      sqz_permutational, or the full model)",
        });
    }
    Ok(())
}

/// The Eq. 7 Liouvillian as `(row, col, value)` triplets, sorted by column, without duplicates.
/// The collective part only: local rates of `p` are not included (the permutational model builds
/// its spin-J blocks from these triplets and adds the local terms itself); [`liouvillian`] and
/// [`steady_state`] refuse parameters with local rates.
pub fn liouvillian_triplets(p: &Params) -> Vec<(usize, usize, C64)> {
    let n = p.n();
    let (sp, sm, sz) = (spin::s_plus(n), spin::s_minus(n), spin::s_z(n));
    let mut b = SuperopBuilder::new(n + 1);
    let h = SparseOp::new(
        n + 1,
        sz.entries.iter().map(|&(r, c, v)| (r, c, v * p.delta_n())),
    );
    b.hamiltonian(&h);
    let nsq = p.nsq();
    let m = p.m();
    b.d_paper(&sp, &sm, C64::new(0.5 * nsq, 0.0));
    b.d_paper(&sm, &sp, C64::new(0.5 * (nsq + 1.0), 0.0));
    b.d_paper(&sp, &sp, -0.5 * m);
    b.d_paper(&sm, &sm, -0.5 * m.conj());
    b.finish()
}

/// The Eq. 7 Liouvillian as a faer sparse column matrix of size `(N+1)^2`.
pub fn liouvillian(p: &Params) -> Result<SparseColMat<usize, C64>, ModelError> {
    refuse_local_rates(p)?;
    let d2 = (p.n() + 1).pow(2);
    to_csc(d2, &liouvillian_triplets(p))
}

fn to_csc(dim: usize, t: &[(usize, usize, C64)]) -> Result<SparseColMat<usize, C64>, ModelError> {
    let trip: Vec<_> = t.iter().map(|&(r, c, v)| Triplet::new(r, c, v)).collect();
    SparseColMat::try_new_from_triplets(dim, dim, &trip)
        .map_err(|e| ModelError::Numerical(format!("sparse assembly: {e:?}")))
}

/// Peak bytes of [`steady_state`] at N, an upper estimate from measurements: the sparse LU of
/// the `(N+1)^2` system fills in, and the peak resident memory was 7.8 KB per unknown at N = 400
/// (1.26 GB), 10 KB at N = 800 (6.4 GB) and 8.9 KB at N = 1600 (22.9 GB, 460 s). Estimate:
/// 10 KiB per unknown, `10240 (N+1)^2` (saturating).
pub fn bytes(n: usize) -> u64 {
    let d = n as u64 + 1;
    d.saturating_mul(d).saturating_mul(10240)
}

/// A steady state of Eq. 7 with what it took to find it.
#[derive(Debug, Clone)]
pub struct CollectiveReport {
    /// density matrix in the Dicke basis, Hermitian, trace 1
    pub rho: Mat<C64>,
    /// `||L vec(rho)||_2` (the Frobenius norm of `L rho`) of the returned state: the norm that
    /// `residual` means in every report of sqz (docs/architecture.md, glossary)
    pub residual: f64,
    /// `max_k |(L vec(rho))_k|` of the returned state
    pub residual_max: f64,
}

/// Steady state of Eq. 7 by a sparse LU solve with the trace condition, with faer's parallelism
/// `par` (`Par::Seq`: the same bits on any machine; the process-global setting is never read).
///
/// The state returned is Hermitised and normalised to trace 1; `residual` is measured on it.
/// Parameters with local rates are refused ([`refuse_local_rates`]).
pub fn steady_state(p: &Params, par: faer::Par) -> Result<CollectiveReport, ModelError> {
    refuse_local_rates(p)?;
    let d = p.n() + 1;
    let d2 = d * d;
    let l = liouvillian_triplets(p);
    // replace row 0 (the equation of rho[0,0]) by the trace row
    let mut a: Vec<(usize, usize, C64)> = l.iter().copied().filter(|&(r, _, _)| r != 0).collect();
    a.extend((0..d).map(|k| (0, k * (d + 1), C64::new(1.0, 0.0))));
    let mat = to_csc(d2, &a)?;
    let mut x = Mat::<C64>::zeros(d2, 1);
    x[(0, 0)] = C64::new(1.0, 0.0);
    sparse_lu_solve(mat.as_ref(), x.as_mut(), par)
        .map_err(|e| ModelError::Numerical(format!("sparse LU of the Eq. 7 Liouvillian: {e:?}")))?;
    let mut rho = Mat::<C64>::from_fn(d, d, |i, j| x[(i + d * j, 0)]);
    crate::observables::hermitize_normalize(&mut rho)?;
    let y = apply_triplets(&l, &rho);
    let residual = y.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
    let residual_max = y.iter().map(|v| v.norm()).fold(0.0, f64::max);
    Ok(CollectiveReport {
        rho,
        residual,
        residual_max,
    })
}

/// `rhs <- A^{-1} rhs` by faer's sparse LU (what `a.sp_lu()` and `solve_in_place_with_conj`
/// compute) with the parallelism `par` instead of faer's process-global setting; the same
/// low-level calls as `sqz_krylov::par_dense::SpLu` (a crate of the same layer).
fn sparse_lu_solve(
    a: faer::sparse::SparseColMatRef<'_, usize, C64>,
    rhs: faer::MatMut<'_, C64>,
    par: faer::Par,
) -> Result<(), faer::sparse::linalg::LuError> {
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::sparse::linalg::lu;
    let symbolic = lu::factorize_symbolic_lu(a.symbolic(), Default::default())?;
    let mut numeric = lu::NumericLu::new();
    symbolic.factorize_numeric_lu::<C64>(
        &mut numeric,
        a,
        par,
        MemStack::new(&mut MemBuffer::try_new(
            symbolic.factorize_numeric_lu_scratch::<C64>(par, Default::default()),
        )?),
        Default::default(),
    )?;
    let k = rhs.ncols();
    lu::LuRef::<'_, usize, C64>::new_unchecked(&symbolic, &numeric).solve_in_place_with_conj(
        faer::Conj::No,
        rhs,
        par,
        MemStack::new(&mut MemBuffer::new(
            symbolic.solve_in_place_scratch::<C64>(k, par),
        )),
    );
    Ok(())
}

/// `max_k |(L vec(rho))_k|` for a triplet Liouvillian.
pub fn residual_max(l: &[(usize, usize, C64)], rho: &Mat<C64>) -> f64 {
    apply_triplets(l, rho)
        .iter()
        .map(|v| v.norm())
        .fold(0.0, f64::max)
}

/// `L vec(rho)` for a triplet Liouvillian (column-major `vec`).
fn apply_triplets(l: &[(usize, usize, C64)], rho: &Mat<C64>) -> Vec<C64> {
    let d = rho.nrows();
    let mut y = vec![C64::default(); d * d];
    for &(r, c, v) in l {
        y[r] += v * rho[(c % d, c / d)];
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_preserving_and_hermiticity_preserving() {
        let p = Params::new(4, 0.7, 0.3, 1.2).unwrap();
        let l = liouvillian_triplets(&p);
        let d = 5;
        // column sums over diagonal rows vanish: Tr L(rho) = 0 for all rho
        let mut colsum = vec![C64::default(); d * d];
        for &(r, c, v) in &l {
            if r % (d + 1) == 0 {
                colsum[c] += v;
            }
        }
        assert!(colsum.iter().all(|v| v.norm() < 1e-12));
        let rho = Mat::<C64>::from_fn(d, d, |i, j| {
            C64::new((i + 2 * j) as f64, i as f64 - j as f64)
        });
        let rho_h = Mat::<C64>::from_fn(d, d, |i, j| rho[(j, i)].conj());
        let mut y = vec![C64::default(); d * d];
        let mut yh = vec![C64::default(); d * d];
        for &(r, c, v) in &l {
            y[r] += v * rho[(c % d, c / d)];
            yh[r] += v * rho_h[(c % d, c / d)];
        }
        for i in 0..d {
            for j in 0..d {
                assert!((yh[i + d * j] - y[j + d * i].conj()).norm() < 1e-12);
            }
        }
    }

    #[test]
    fn vacuum_reservoir_decays_to_ground() {
        let p = Params::new(3, 0.0, 0.5, 1.0).unwrap();
        let s = steady_state(&p, faer::Par::Seq).unwrap();
        assert!((s.rho[(0, 0)].re - 1.0).abs() < 1e-12);
        assert!(s.residual < 1e-12);
    }

    /// `residual` is the 2-norm of `L vec(rho)` (the norm of every other report), `residual_max`
    /// its max-norm: on a state perturbed away from the steady one both are measured against an
    /// independent dense product.
    #[test]
    fn residual_is_the_two_norm() {
        let p = Params::new(4, 0.5, 0.5, 1.0).unwrap();
        let s = steady_state(&p, faer::Par::Seq).unwrap();
        let d = s.rho.nrows();
        let l = liouvillian_triplets(&p);
        let mut dense = vec![C64::default(); d * d * d * d];
        for &(r, c, v) in &l {
            dense[r * d * d + c] += v;
        }
        let lx = |rho: &Mat<C64>| -> Vec<C64> {
            (0..d * d)
                .map(|r| {
                    (0..d * d)
                        .map(|c| dense[r * d * d + c] * rho[(c % d, c / d)])
                        .sum()
                })
                .collect()
        };
        // the steady state's residual is rounding noise, so it is compared with the same
        // product (whose accuracy the perturbed state below checks against the dense one)
        let y = apply_triplets(&l, &s.rho);
        let two = y.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
        assert_eq!(s.residual.to_bits(), two.to_bits());
        assert!(s.residual > s.residual_max && s.residual < 1e-13);
        // a perturbed state: the norms differ by a known amount
        let mut q = s.rho.clone();
        q[(1, 2)] += C64::new(1e-3, 0.0);
        q[(2, 1)] += C64::new(1e-3, 0.0);
        let y = lx(&q);
        let two = y.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
        let max = y.iter().map(|v| v.norm()).fold(0.0, f64::max);
        assert!(two > 1.5 * max, "two-norm {two}, max-norm {max}");
        let a = apply_triplets(&l, &q);
        let two_t = a.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
        assert!((two_t - two).abs() <= 1e-12 * two);
        assert!((residual_max(&l, &q) - max).abs() <= 1e-12 * max);
    }
}
