//! Memory of every path [`crate::solve`] may take, and the guard that picks a path only when
//! its estimate fits in [`sqz_superop::memory::available_bytes`] and otherwise refuses before
//! anything of size `4^N` is allocated.
//!
//! | path | when | bytes |
//! |---|---|---|
//! | [`Method::CollectiveReduction`] | ideal positions | [`ideal_bytes`]: the parity-block operator, two block vectors, the `N + 1` Dicke vectors, the `2^N` eigenproblem (N <= 10) |
//! | [`Method::DenseHermitian`] | N <= `dense_n_max` | [`crate::dense_bytes`]: the real matrix and its LU, the CSR |
//! | [`Method::TwoLevel`] | otherwise, when it fits | [`crate::twolevel::bytes_within`]: the set-up and coarse data, operator and preconditioner scratch, and a GMRES basis of `restart + 1` real block vectors with the restart chosen from the budget (between [`crate::twolevel::MIN_RESTART`] and [`crate::twolevel::MAX_RESTART`]) |
//! | [`Method::TwoLevel`] after a stagnation | the main solve stagnated | [`crate::twolevel::escalated_bytes_within`]: the same with a basis of up to [`crate::twolevel::ESCALATED_RESTART`] vectors, within the budget (the first basis is freed first) |
//! | [`Method::TwoLevel`] with local rates | rates up to [`crate::TWO_LEVEL_RATE_MAX`], N <= 8 | twice [`crate::twolevel::bytes_within`]: the gap check on `A` holds its own operator, preconditioner and basis |
//! | [`Method::GmresJacobi`] | local rates above [`crate::TWO_LEVEL_RATE_MAX`] or at ideal/equivalent positions | [`gmres_jacobi_bytes`] with the basis [`gmres_jacobi_krylov`] picks |
//!
//! The two-level solver sizes its Krylov basis from the memory it is given, so it fits whenever
//! its smallest basis does (`crate::twolevel::restart_for`): that is what the guard checks. The
//! GMRES-Jacobi method ([`gmres_jacobi_bytes`]) is no longer a path of `solve`: it needs more
//! memory than the two-level solver with its smallest basis (complex vectors, a longer basis) and
//! converges far more slowly at small w; it stays available for comparisons.
//!
//! Each path states its own bytes next to its workspace ([`crate::ideal::bytes`],
//! [`crate::dense_bytes`], the `twolevel` estimates, the `gmres_jacobi_*` functions of
//! [`crate::iterative`]; the eigenproblem of the positivity check in [`crate::checks`]); this
//! module only plans from what they say (and re-exports them under the names it always had). No
//! path module imports this one.

use crate::twolevel::BASELINE_BYTES;
use crate::{Method, SteadyError, SteadyParams};
use sqz_superop::memory::available_bytes;
use sqz_superop::SuperopError;

pub use crate::checks::eigen_bytes;
pub use crate::ideal::bytes as ideal_bytes;
pub use crate::iterative::{
    gmres_jacobi_bytes, gmres_jacobi_krylov, gmres_jacobi_min_bytes, GMRES_JACOBI_MAX_KRYLOV,
    GMRES_JACOBI_MIN_KRYLOV,
};

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

/// Every path `solve` may take at N with `available` bytes, in the order `solve` tries them;
/// the bytes are the process's peak (the path's data plus [`BASELINE_BYTES`], the resident size of
/// `sqz` before it solves anything).
pub fn paths(n: usize, available: u64) -> Vec<PathEstimate> {
    let two_min = crate::twolevel::min_bytes(n);
    vec![
        PathEstimate {
            method: Method::CollectiveReduction,
            when: "ideal positions (every z_i in 2 pi Z)",
            bytes: ideal_bytes(n) + BASELINE_BYTES,
            bytes_planned: ideal_bytes(n) + BASELINE_BYTES,
        },
        PathEstimate {
            method: Method::DenseHermitian,
            when: "disordered positions, N <= 5 (dense_n_max)",
            bytes: crate::dense_bytes(n) + BASELINE_BYTES,
            bytes_planned: crate::dense_bytes(n) + BASELINE_BYTES,
        },
        PathEstimate {
            method: Method::TwoLevel,
            when: "disordered positions, N >= 6 (Krylov basis sized to the memory)",
            bytes: two_min,
            bytes_planned: crate::twolevel::bytes_within(n, available).max(two_min),
        },
        PathEstimate {
            method: Method::TwoLevel,
            when: "a two-level solve that stagnates continues with a longer cycle (GMRES-DR, at most ESCALATED_RESTART vectors, as far as the memory allows; else it fails)",
            bytes: two_min,
            bytes_planned: crate::twolevel::escalated_bytes_within(n, available).max(two_min),
        },
        PathEstimate {
            method: Method::TwoLevel,
            when: "local rates up to TWO_LEVEL_RATE_MAX, N <= 8: the gap check on A holds a second operator, preconditioner and basis beside the solve",
            bytes: two_min.saturating_mul(2),
            bytes_planned: crate::twolevel::bytes_within(n, available)
                .max(two_min)
                .saturating_mul(2),
        },
        PathEstimate {
            method: Method::GmresJacobi,
            when: "local rates above TWO_LEVEL_RATE_MAX, or at ideal or equivalent positions (N >= 6; Krylov basis sized to half the memory)",
            bytes: gmres_jacobi_min_bytes(n),
            bytes_planned: gmres_jacobi_bytes(n, gmres_jacobi_krylov(n, available)),
        },
    ]
}

/// The path `solve` takes for non-ideal positions at N with `available` bytes, or the refusal
/// ([`SuperopError::TooLarge`]: the estimate, the bytes available, the largest N that fits).
pub fn plan(n: usize, sp: &SteadyParams, available: u64) -> Result<Method, SteadyError> {
    if n <= sp.dense_n_max {
        return Ok(Method::DenseHermitian);
    }
    if crate::twolevel::restart_for(n, available).is_some() {
        return Ok(Method::TwoLevel);
    }
    Err(SuperopError::TooLarge {
        what: format!(
            "the steady-state solve at N = {n} (two-level solver with its smallest Krylov basis, {} vectors)",
            crate::twolevel::MIN_RESTART
        ),
        needed_bytes: crate::twolevel::bytes_within(n, available),
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
                || (n > sp.dense_n_max && crate::twolevel::restart_for(n, available).is_some())
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
        let v = sqz_superop::memory::estimate_with(10, 0).parity_vector_bytes;
        assert_eq!(v, 8 << 20);
        assert!(gmres_jacobi_min_bytes(10) > 30 * v);
        assert!(gmres_jacobi_min_bytes(10) < 60 * v);
        assert_eq!(gmres_jacobi_krylov(10, 0), 30);
        assert_eq!(gmres_jacobi_krylov(10, u64::MAX), 4000);
    }

    #[test]
    fn two_level_is_planned_when_its_smallest_basis_fits() {
        let sp = SteadyParams::default();
        assert_eq!(plan(10, &sp, 1 << 30).unwrap(), Method::TwoLevel);
        let e = plan(10, &sp, 50 << 20).unwrap_err().to_string();
        assert!(
            e.contains("N = 10") && e.contains("largest N that fits"),
            "{e}"
        );
        assert_eq!(plan(5, &sp, 0).unwrap(), Method::DenseHermitian);
        assert!(largest_n(&sp, 50 << 20).unwrap() < 10);
        assert_eq!(paths(8, 1 << 30).len(), 6);
    }
}
