//! Permutation-invariant states: blocks, trace, collective-spin moments, `xi_R^2`.
//!
//! Collective operators act inside each block, so `<S_a> = sum_J Tr(rho_J S_a^(J))` and
//! `<S_a S_b> = sum_J Tr(rho_J S_a^(J) S_b^(J))`; the Wineland parameter then follows from
//! [`sqz_model::observables::SpinMoments::squeezing`] with the N of the ensemble.

use crate::basis::Basis;
use crate::C64;
use faer::Mat;
use sqz_model::observables::{self, SpinMoments};

/// `rho_J` of block `k` as a dense matrix (elements outside the sector are 0).
pub fn block(basis: &Basis, x: &[C64], k: usize) -> Mat<C64> {
    let d = basis.j2(k) + 1;
    Mat::from_fn(d, d, |a, b| {
        basis.index(k, a, b).map_or(C64::new(0.0, 0.0), |i| x[i])
    })
}

/// `Tr rho = sum_J Tr rho_J`.
pub fn trace(basis: &Basis, x: &[C64]) -> C64 {
    basis.diagonal().iter().map(|&i| x[i]).sum()
}

/// `Tr rho_J` for every block, `J = N/2` first.
pub fn block_populations(basis: &Basis, x: &[C64]) -> Vec<f64> {
    (0..basis.blocks())
        .map(|k| {
            (0..=basis.j2(k))
                .map(|a| x[basis.index(k, a, a).unwrap()].re)
                .sum()
        })
        .collect()
}

/// Collective-spin moments `<S_a>`, `Re <S_a S_b>` of a state (not normalised by its trace).
pub fn moments(basis: &Basis, x: &[C64]) -> SpinMoments {
    let mut mean = [0.0; 3];
    let mut second = [[0.0; 3]; 3];
    for k in 0..basis.blocks() {
        if basis.j2(k) == 0 {
            continue; // J = 0: every spin component vanishes
        }
        let m = observables::moments(&block(basis, x, k));
        for a in 0..3 {
            mean[a] += m.mean[a];
            for b in 0..3 {
                second[a][b] += m.second[a][b];
            }
        }
    }
    SpinMoments {
        n: basis.n(),
        mean,
        second,
    }
}

/// `<S^2> = sum_J J(J+1) Tr rho_J`.
pub fn total_spin_squared(basis: &Basis, x: &[C64]) -> f64 {
    block_populations(basis, x)
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let j = basis.j2(k) as f64 / 2.0;
            j * (j + 1.0) * p
        })
        .sum()
}

/// Makes every block Hermitian and the trace 1; an error if the trace is not positive.
pub fn hermitize_normalize(basis: &Basis, x: &mut [C64]) -> Result<(), sqz_model::ModelError> {
    for k in 0..basis.blocks() {
        let d = basis.j2(k) + 1;
        for b in 0..d {
            for a in b..d {
                if let (Some(i), Some(t)) = (basis.index(k, a, b), basis.index(k, b, a)) {
                    let v = 0.5 * (x[i] + x[t].conj());
                    x[i] = v;
                    x[t] = v.conj();
                }
            }
        }
    }
    let tr = trace(basis, x).re;
    if !(tr.is_finite() && tr > 0.0) {
        return Err(sqz_model::ModelError::Numerical(format!(
            "trace of the state is {tr}, not positive"
        )));
    }
    x.iter_mut().for_each(|v| *v /= tr);
    Ok(())
}

/// Smallest eigenvalue over the blocks `rho_J` (a negative value means `rho` is not positive),
/// with faer's parallelism `par`.
pub fn min_eigenvalue(basis: &Basis, x: &[C64], par: faer::Par) -> f64 {
    use rayon::prelude::*;
    (0..basis.blocks())
        .into_par_iter()
        .map(|k| {
            let m = block(basis, x, k);
            let h = Mat::<C64>::from_fn(m.nrows(), m.ncols(), |i, j| {
                0.5 * (m[(i, j)] + m[(j, i)].conj())
            });
            match sqz_krylov::par_dense::self_adjoint_eigenvalues(h.as_ref(), par) {
                Ok(ev) => ev.iter().copied().fold(f64::INFINITY, f64::min),
                Err(_) => f64::NAN,
            }
        })
        .reduce(|| f64::INFINITY, f64::min)
}

/// A pure state of the symmetric subspace `|psi>` (Dicke basis, index `M + N/2`) as a state
/// vector on `basis` (which must hold the block `J = N/2`, block 0). Elements outside the
/// sector are dropped; see [`pure_symmetric_fits_even`].
pub fn pure_symmetric(basis: &Basis, psi: &[C64]) -> Vec<C64> {
    let n = basis.n();
    assert_eq!(
        psi.len(),
        n + 1,
        "pure_symmetric: psi must have N + 1 entries"
    );
    assert_eq!(basis.j2(0), n, "the basis lacks the symmetric block");
    let mut x = vec![C64::new(0.0, 0.0); basis.dim()];
    for b in 0..=n {
        for a in 0..=n {
            if let Some(i) = basis.index(0, a, b) {
                x[i] = psi[a] * psi[b].conj();
            }
        }
    }
    x
}

/// Whether `|psi><psi|` lies in the even sector (`M - M'` even): `psi` has one parity of `M + N/2`.
pub fn pure_symmetric_fits_even(psi: &[C64]) -> bool {
    let (e, o) = psi.iter().enumerate().fold((0.0, 0.0), |(e, o), (k, v)| {
        if k % 2 == 0 {
            (e + v.norm_sqr(), o)
        } else {
            (e, o + v.norm_sqr())
        }
    });
    (e * o).sqrt() <= 1e-14 * (e + o)
}

/// `(sum_J ||O_J||_F^2)^(1/2)` bounds for the 12 moments (3 means, 9 second moments) over the
/// blocks of `basis`: `||S_a^(J)||_F^2 = J(J+1)(2J+1)/3`, `||S_a S_b||_F <= J ||S_b||_F`. A change
/// `dx` of the state moves each moment by at most `||dx||_2` times its entry.
pub fn moment_norms(basis: &Basis) -> [f64; 12] {
    let (mut s1, mut s2) = (0.0, 0.0);
    for k in 0..basis.blocks() {
        let j = basis.j2(k) as f64 / 2.0;
        let f2 = j * (j + 1.0) * (2.0 * j + 1.0) / 3.0;
        s1 += f2;
        s2 += j * j * f2;
    }
    let mut out = [s2.sqrt(); 12];
    out[..3].iter_mut().for_each(|v| *v = s1.sqrt());
    out
}
