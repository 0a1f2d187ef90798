//! The baseline users would pick instead: a sparse LU of the full complex `4^N` Liouvillian with
//! the equation of `rho[0,0]` replaced by `Tr rho = 1` (what QuTiP's default `steadystate` does
//! with SuperLU; here faer's sparse LU). Kept for benchmarks and cross-checks; it has no gap
//! estimate and its cost grows much faster than the dense Hermitian method's.

use crate::{SteadyError, C64};
use faer::sparse::{SparseColMat, Triplet};
use faer::Par;
use sqz_krylov::par_dense::SpLu;
use sqz_model::Params;

/// `vec(rho)` in the full space (column-major, length `4^N`), trace 1; faer's parallelism `par`.
pub fn solve_sparse_bordered(p: &Params, z: &[f64], par: Par) -> Result<Vec<C64>, SteadyError> {
    let (t, d2) = bordered_triplets(p, z)?;
    let lu = factor(&t, d2, par)?;
    let mut x = faer::Mat::<C64>::zeros(d2, 1);
    x[(0, 0)] = C64::new(1.0, 0.0);
    lu.solve_in_place(x.as_mut(), par);
    Ok((0..d2).map(|i| x[(i, 0)]).collect())
}

/// The bordered system's entries: the Eq. 3 CSR with the equation of `rho[0, 0]` replaced by
/// `Tr rho = 1`; and its dimension `4^N`.
#[allow(clippy::type_complexity)]
fn bordered_triplets(
    p: &Params,
    z: &[f64],
) -> Result<(Vec<Triplet<usize, usize, C64>>, usize), SteadyError> {
    let d = 1usize << p.n();
    let csr = sqz_superop::csr::assemble(p, z)?;
    let mut t: Vec<Triplet<usize, usize, C64>> = csr
        .iter()
        .filter(|(_, (r, _))| *r != 0)
        .map(|(v, (r, c))| Triplet::new(r, c, *v))
        .collect();
    drop(csr);
    t.extend((0..d).map(|k| Triplet::new(0, k * (d + 1), C64::new(1.0, 0.0))));
    Ok((t, d * d))
}

fn factor(t: &[Triplet<usize, usize, C64>], d2: usize, par: Par) -> Result<SpLu<C64>, SteadyError> {
    let fail = |e: String| SteadyError::NoConvergence {
        method: "sparse LU",
        detail: e,
    };
    let a = SparseColMat::<usize, C64>::try_new_from_triplets(d2, d2, t)
        .map_err(|e| fail(format!("{e:?}")))?;
    SpLu::new(a.as_ref(), par).map_err(|e| fail(format!("{e:?}")))
}

/// [`solve_sparse_bordered`] followed by one step of iterative refinement with the same
/// factorisation (reference solutions for the accuracy tests).
pub fn solve_sparse_refined(p: &Params, z: &[f64], par: Par) -> Result<Vec<C64>, SteadyError> {
    let (t, d2) = bordered_triplets(p, z)?;
    let lu = factor(&t, d2, par)?;
    let mut x = faer::Mat::<C64>::zeros(d2, 1);
    x[(0, 0)] = C64::new(1.0, 0.0);
    lu.solve_in_place(x.as_mut(), par);
    // residual of the bordered system: b - A x
    let mut r = faer::Mat::<C64>::zeros(d2, 1);
    r[(0, 0)] = C64::new(1.0, 0.0);
    for tr in &t {
        let v = tr.val * x[(tr.col, 0)];
        r[(tr.row, 0)] -= v;
    }
    lu.solve_in_place(r.as_mut(), par);
    Ok((0..d2).map(|i| x[(i, 0)] + r[(i, 0)]).collect())
}
