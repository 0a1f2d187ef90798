//! Memory of every path [`crate::solve`] may take, and the guard that picks a path only when
//! its estimate fits in [`sqz_superop::memory::available_bytes`] and otherwise refuses before
//! anything of size `4^N` is allocated.
//!
//! | path | when | bytes |
//! |---|---|---|
//! | [`Method::CollectiveReduction`] | ideal positions | [`ideal_bytes`]: the parity-block operator, two block vectors, the `N + 1` Dicke vectors, the `2^N` eigenproblem (N <= 10) |
//! | [`Method::DenseHermitian`] | N <= `dense_n_max` | [`crate::dense_bytes`]: the real matrix and its LU, the CSR |
//! | [`Method::TwoLevel`] | otherwise, when it fits | [`crate::twolevel::bytes`]: the coarse matrix and its LU, 200 Krylov vectors |
//! | [`Method::GmresJacobi`] | when the two-level solver does not fit | [`gmres_jacobi_bytes`]: the operator, the GMRES basis (at least [`GMRES_JACOBI_MIN_KRYLOV`] vectors) and five work vectors |
//!
//! The GMRES-Jacobi fallback sizes its Krylov basis from the memory it sees (half of it, at
//! least [`GMRES_JACOBI_MIN_KRYLOV`] vectors, at most [`GMRES_JACOBI_MAX_KRYLOV`]), so it fits
//! whenever its smallest basis does: [`gmres_jacobi_min_bytes`] is what the guard checks.

use crate::{Method, SteadyError, SteadyParams};
use sqz_superop::memory::{available_bytes, estimate_with, Operator};
use sqz_superop::SuperopError;

/// Smallest Krylov basis of the GMRES-Jacobi fallback (`crate::iterative` clamps its Krylov
/// dimension to `30..=4000`).
pub const GMRES_JACOBI_MIN_KRYLOV: usize = 30;
/// Largest Krylov basis of the GMRES-Jacobi fallback.
pub const GMRES_JACOBI_MAX_KRYLOV: usize = 4000;

fn block_vector_bytes(n: usize) -> u64 {
    estimate_with(n, 0).parity_vector_bytes
}

/// Bytes of the dense `2^N x 2^N` Hermitian eigenproblem of the smallest eigenvalue (the matrix
/// and faer's workspace, about three copies), 0 above [`crate::checks::EIGENVALUE_N_MAX`].
pub fn eigen_bytes(n: usize) -> u64 {
    if n > crate::checks::EIGENVALUE_N_MAX {
        return 0;
    }
    let d = 1u64 << n;
    3 * d * d * 16
}

/// Bytes of the collective reduction at ideal positions ([`crate::ideal`]).
pub fn ideal_bytes(n: usize) -> u64 {
    let d = 1u64 << n.min(40);
    Operator::ParityBlock
        .bytes(n)
        .saturating_add(block_vector_bytes(n).saturating_mul(2))
        .saturating_add((n as u64 + 1).saturating_mul(d).saturating_mul(16))
        .saturating_add(eigen_bytes(n))
}

/// Bytes of the GMRES-Jacobi fallback with a Krylov basis of `krylov` vectors: the parity-block
/// operator, `krylov + 1` basis vectors and GMRES's three work vectors, the right-hand side,
/// the iterate, the Jacobi diagonal and one transient vector, the Hessenberg matrix, and the
/// eigenproblem of the final check.
pub fn gmres_jacobi_bytes(n: usize, krylov: usize) -> u64 {
    let v = block_vector_bytes(n);
    let k = krylov as u64;
    Operator::ParityBlock
        .bytes(n)
        .saturating_add(v.saturating_mul(k + 1 + 3 + 4))
        .saturating_add((k + 1) * k * 16)
        .saturating_add(eigen_bytes(n))
}

/// The smallest footprint of the GMRES-Jacobi fallback (the basis of
/// [`GMRES_JACOBI_MIN_KRYLOV`] vectors): what the guard checks.
pub fn gmres_jacobi_min_bytes(n: usize) -> u64 {
    gmres_jacobi_bytes(n, GMRES_JACOBI_MIN_KRYLOV)
}

/// The Krylov dimension the fallback picks with `available` bytes (half of them for the basis,
/// clamped to `30..=4000`; mirrors `crate::iterative`).
pub fn gmres_jacobi_krylov(n: usize, available: u64) -> usize {
    let per = block_vector_bytes(n).max(1);
    ((available / 2 / per) as usize).clamp(GMRES_JACOBI_MIN_KRYLOV, GMRES_JACOBI_MAX_KRYLOV)
}

/// One path of [`crate::solve`] with its memory at N.
#[derive(Debug, Clone, PartialEq)]
pub struct PathEstimate {
    /// the method
    pub method: Method,
    /// when `solve` takes this path
    pub when: &'static str,
    /// bytes it needs (for the fallback: with the smallest Krylov basis)
    pub bytes: u64,
    /// bytes it would use with the memory available now (the fallback grows its basis)
    pub bytes_planned: u64,
}

/// Every path `solve` may take at N with `available` bytes, in the order `solve` tries them.
pub fn paths(n: usize, available: u64) -> Vec<PathEstimate> {
    let k = gmres_jacobi_krylov(n, available);
    vec![
        PathEstimate {
            method: Method::CollectiveReduction,
            when: "ideal positions (every z_i in 2 pi Z)",
            bytes: ideal_bytes(n),
            bytes_planned: ideal_bytes(n),
        },
        PathEstimate {
            method: Method::DenseHermitian,
            when: "disordered positions, N <= 5 (dense_n_max)",
            bytes: crate::dense_bytes(n),
            bytes_planned: crate::dense_bytes(n),
        },
        PathEstimate {
            method: Method::TwoLevel,
            when: "disordered positions, N >= 6, when it fits",
            bytes: crate::twolevel::bytes(n),
            bytes_planned: crate::twolevel::bytes(n),
        },
        PathEstimate {
            method: Method::GmresJacobi,
            when: "disordered positions, N >= 6, when the two-level solver does not fit",
            bytes: gmres_jacobi_min_bytes(n),
            bytes_planned: gmres_jacobi_bytes(n, k).max(gmres_jacobi_min_bytes(n)),
        },
    ]
}

/// The path `solve` takes for non-ideal positions at N with `available` bytes, or the refusal
/// ([`SuperopError::TooLarge`]: the estimate, the bytes available, the largest N that fits).
pub fn plan(n: usize, sp: &SteadyParams, available: u64) -> Result<Method, SteadyError> {
    if n <= sp.dense_n_max {
        return Ok(Method::DenseHermitian);
    }
    if crate::twolevel::bytes(n) <= available {
        return Ok(Method::TwoLevel);
    }
    let need = gmres_jacobi_min_bytes(n);
    if need <= available {
        return Ok(Method::GmresJacobi);
    }
    Err(SuperopError::TooLarge {
        what: format!(
            "the steady-state solve at N = {n}: the two-level solver needs {}, and its fallback \
             (GMRES-Jacobi with its smallest basis of {GMRES_JACOBI_MIN_KRYLOV} Krylov vectors)",
            sqz_superop::memory::human_bytes(crate::twolevel::bytes(n))
        ),
        needed_bytes: need,
        available_bytes: available,
        largest_n: largest_n(sp, available),
    }
    .into())
}

/// Largest N whose steady state (disordered positions) fits in `available` bytes by some path.
pub fn largest_n(sp: &SteadyParams, available: u64) -> Option<usize> {
    (1..=sqz_superop::N_MAX_FULL)
        .take_while(|&n| {
            (n <= sp.dense_n_max && crate::dense_bytes(n) <= available)
                || crate::twolevel::bytes(n) <= available
                || gmres_jacobi_min_bytes(n) <= available
        })
        .last()
}

/// The guard of the ideal path: `Ok` when [`ideal_bytes`] fits.
pub fn check_ideal(n: usize) -> Result<(), SteadyError> {
    let avail = available_bytes();
    let need = ideal_bytes(n);
    if need <= avail {
        return Ok(());
    }
    Err(SuperopError::TooLarge {
        what: format!("the steady state at ideal positions (collective reduction embedded in the 4^N space) at N = {n}"),
        needed_bytes: need,
        available_bytes: avail,
        largest_n: (1..=sqz_superop::N_MAX_FULL)
            .take_while(|&k| ideal_bytes(k) <= avail)
            .last(),
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_estimate_counts_its_basis() {
        let v = block_vector_bytes(10);
        assert_eq!(v, 8 << 20);
        assert!(gmres_jacobi_min_bytes(10) > 30 * v);
        assert!(gmres_jacobi_min_bytes(10) < 60 * v);
        assert_eq!(gmres_jacobi_krylov(10, 0), 30);
        assert_eq!(gmres_jacobi_krylov(10, u64::MAX), 4000);
        let sp = SteadyParams::default();
        // two-level does not fit at N = 10 in 1 GiB, the fallback does
        assert_eq!(plan(10, &sp, 1 << 30).unwrap(), Method::GmresJacobi);
        let e = plan(10, &sp, 200 << 20).unwrap_err().to_string();
        assert!(
            e.contains("N = 10") && e.contains("largest N that fits"),
            "{e}"
        );
        assert_eq!(plan(5, &sp, 0).unwrap(), Method::DenseHermitian);
        assert!(largest_n(&sp, 200 << 20).unwrap() < 10);
        assert_eq!(paths(8, 1 << 30).len(), 4);
    }
}
