//! Checks that make a solver's output a result: the physical checks every steady state passes
//! before [`crate::solve`] returns it, and the detection of positions whose steady state is not
//! unique.
//!
//! ## Physical checks ([`check_physical`])
//!
//! A steady state is a density matrix: trace 1, Hermitian, positive semidefinite, and so its
//! mean spin has `|<S>| <= N/2`. The solvers normalise and Hermitise what they compute, but a
//! nearly singular system (positions close to a degenerate structure, a gap below what double
//! precision resolves) can still give a vector that satisfies `L rho = 0` to rounding and is no
//! state at all (e.g. `<S^z> = 290` at N = 5). Every state is therefore checked:
//!
//! | check | passes when |
//! |---|---|
//! | finite | every element is finite |
//! | trace | `abs(Tr rho - 1) <= TRACE_TOL` |
//! | Hermitian | `max abs(rho_ab - conj(rho_ba)) <= HERMITIAN_TOL max abs(rho)`, real diagonal |
//! | positive | smallest eigenvalue `>= -eps_eig` (N <= [`EIGENVALUE_N_MAX`]); above, every population `>= -eps_eig` and every 2x2 principal minor `abs(rho_ab)^2 <= (rho_aa + eps_eig)(rho_bb + eps_eig)` |
//! | mean spin | `abs(<S>) <= N/2 + N 2^N eps_eig + 1e-9` |
//!
//! The eigenvalue tolerance follows the error bound: a state within `bound` (Frobenius norm) of
//! the exact one has every eigenvalue within `bound` of the exact (nonnegative) ones, so
//! `eps_eig = BOUND_FACTOR * bound + EIGENVALUE_FLOOR`. Without a bound (no gap estimate, or the
//! GMRES-Jacobi fallback) it is the absolute [`EIGENVALUE_TOL_NO_BOUND`].
//!
//! ## Non-unique steady states ([`equivalent_pair`])
//!
//! Two TLS `i`, `j` with `z_i - z_j = k pi` (sign `s = (-1)^k`) that couple alike to every other
//! TLS (`sin abs(z_i - z_m) = s sin abs(z_j - z_m)` for all `m`; their own `Delta_ij` is 0)
//! enter Eq. 3 only through `s sigma_i + sigma_j`: the jump operators `J_c` contain
//! `e^{i c z_j} (s sigma_i + sigma_j)` and `H_DD` the same combination. The total spin of the
//! pair (of `s sigma_i`, `sigma_j`) then commutes with `H` and with every jump operator, so
//! each of its eigenspaces (singlet, triplet) holds a steady state of its own: the null space
//! has dimension >= 2 and the state reached depends on the initial state. Ideal positions
//! (every `z_i` in `2 pi Z`) are the case where every pair is equivalent; `crate::ideal` solves
//! it from a symmetric initial state. Any other equivalent pair is refused up front
//! ([`crate::SteadyError::Degenerate`]), at every N (the dense solver would notice a zero gap,
//! GMRES would only fail to converge); a failed solve within [`NEAR_STRUCTURE_TOL`] of such a
//! structure is reported as nearly degenerate.

use crate::{SteadyError, SteadyReport, C64};
use std::f64::consts::PI;

/// Largest `abs(Tr rho - 1)` of a state.
pub const TRACE_TOL: f64 = 1e-10;
/// Largest `abs(rho_ab - conj(rho_ba))`, relative to the largest element.
pub const HERMITIAN_TOL: f64 = 1e-12;
/// Eigenvalue tolerance per unit of error bound (the bound is an estimate: the two-level
/// solver's Galerkin gap is within a factor 2 of the true one).
pub const BOUND_FACTOR: f64 = 2.0;
/// Rounding of the eigenvalue computation itself, added to the bound-scaled tolerance.
pub const EIGENVALUE_FLOOR: f64 = 1e-12;
/// Eigenvalue tolerance when no error bound is known (`--no-gap`, `estimate_gap = false`, the
/// GMRES-Jacobi fallback): a state with an eigenvalue below `-1e-6` is refused. Rounding in a
/// correct solve leaves eigenvalues above `-1e-12`; a state between the two is kept (the solvers
/// note eigenvalues below `-1e-9`).
pub const EIGENVALUE_TOL_NO_BOUND: f64 = 1e-6;
/// Largest N whose smallest eigenvalue is computed (a dense `2^N x 2^N` Hermitian eigenproblem,
/// 16 MB at N = 10); above, populations and 2x2 principal minors are checked instead.
pub const EIGENVALUE_N_MAX: usize = 10;

/// Bytes of the dense `2^N x 2^N` Hermitian eigenproblem of the smallest eigenvalue (the matrix
/// and faer's workspace, about three copies), 0 above [`EIGENVALUE_N_MAX`].
pub fn eigen_bytes(n: usize) -> u64 {
    if n > EIGENVALUE_N_MAX {
        return 0;
    }
    let d = 1u64 << n;
    3 * d * d * 16
}

/// Positions within this distance (in zeta) of an equivalent pair are treated as on it, as
/// `crate::ideal::is_ideal` treats positions within it of ideal ones.
pub const STRUCTURE_TOL: f64 = 1e-9;
/// A solve that fails for positions within this distance of an equivalent pair is reported as
/// nearly degenerate (its slow rates scale like the square of the distance).
pub const NEAR_STRUCTURE_TOL: f64 = 1e-4;

/// Smallest tolerance on the error in rho that a solve accepts. The error bound is
/// `residual / gap` with a residual that rounding keeps above about `1e-16 |L|` (`|L|` ~ 1-30
/// A) and a gap of at most a few A, so a bound below ~1e-15 is never met in double precision;
/// 1e-14 leaves a decade for well-separated gaps.
pub const MIN_TOL: f64 = 1e-14;

/// Checks a tolerance on the error in rho: `MIN_TOL <= tol < 1`.
pub fn check_tol(tol: f64) -> Result<(), SteadyError> {
    if tol.is_finite() && (MIN_TOL..1.0).contains(&tol) {
        return Ok(());
    }
    Err(sqz_model::ModelError::InvalidParameter {
        name: "tol",
        value: format!("{tol:e}"),
        allowed: "1e-14 <= tol < 1 (a smaller error bound cannot be met in double precision)",
    }
    .into())
}

/// The eigenvalue tolerance `eps_eig` for a report (module docs).
pub fn eigenvalue_tolerance(rep: &SteadyReport) -> f64 {
    match rep.error_bound.filter(|b| b.is_finite()) {
        Some(b) => BOUND_FACTOR * b + EIGENVALUE_FLOOR,
        None => EIGENVALUE_TOL_NO_BOUND,
    }
}

/// Checks that `rep.rho_block` is a density matrix of `n` TLS (module docs). The error says
/// which check failed and by how much.
pub fn check_physical(n: usize, rep: &SteadyReport, par: faer::Par) -> Result<(), String> {
    let xb = &rep.rho_block;
    if xb.len() != sqz_superop::parity::block_dim(n) {
        return Err(format!(
            "the state has {} elements, the parity block of N = {n} has {}",
            xb.len(),
            sqz_superop::parity::block_dim(n)
        ));
    }
    if let Some(k) = xb
        .iter()
        .position(|v| !(v.re.is_finite() && v.im.is_finite()))
    {
        let (a, b) = sqz_superop::parity::full_index(n, k);
        return Err(format!("rho[{a}, {b}] = {} is not finite", xb[k]));
    }
    let d = 1usize << n;
    let at = |a: usize, b: usize| {
        sqz_superop::parity::block_index(n, a, b).map_or(C64::new(0.0, 0.0), |k| xb[k])
    };
    // trace and real diagonal
    let mut tr = 0.0;
    for a in 0..d {
        let v = at(a, a);
        tr += v.re;
        if v.im.abs() > HERMITIAN_TOL {
            return Err(format!(
                "rho is not Hermitian: the diagonal element rho[{a}, {a}] = {v} is not real"
            ));
        }
    }
    if (tr - 1.0).abs() > TRACE_TOL {
        return Err(format!(
            "Tr rho = {tr:.12} differs from 1 by more than {TRACE_TOL:e}"
        ));
    }
    // Hermiticity
    let scale = xb
        .iter()
        .map(|v| v.norm())
        .fold(0.0f64, f64::max)
        .max(1e-300);
    for (k, v) in xb.iter().enumerate() {
        let (a, b) = sqz_superop::parity::full_index(n, k);
        if a < b {
            let w = at(b, a);
            if (v - w.conj()).norm() > HERMITIAN_TOL * scale {
                return Err(format!(
                    "rho is not Hermitian: rho[{a}, {b}] = {v} but rho[{b}, {a}] = {w}"
                ));
            }
        }
    }
    // positivity
    let eps = eigenvalue_tolerance(rep);
    let why_eps = match rep.error_bound.filter(|b| b.is_finite()) {
        Some(b) => format!("{BOUND_FACTOR} x the error bound {b:.1e} + {EIGENVALUE_FLOOR:e}"),
        None => "the tolerance without an error bound".to_string(),
    };
    if n <= EIGENVALUE_N_MAX {
        let ev = if rep.min_eigenvalue.is_finite() {
            rep.min_eigenvalue
        } else {
            crate::min_eigenvalue(n, xb, par)
        };
        if !ev.is_finite() {
            return Err("the eigenvalues of rho could not be computed".into());
        }
        if ev < -eps {
            return Err(format!(
                "rho has the negative eigenvalue {ev:.4e}, below -{eps:.1e} ({why_eps}): not a density matrix"
            ));
        }
    } else {
        for a in 0..d {
            let p = at(a, a).re;
            if p < -eps {
                return Err(format!(
                    "rho has the negative population rho[{a}, {a}] = {p:.4e}, below -{eps:.1e} ({why_eps})"
                ));
            }
        }
        for (k, v) in xb.iter().enumerate() {
            let (a, b) = sqz_superop::parity::full_index(n, k);
            if a < b {
                let (pa, pb) = (at(a, a).re + eps, at(b, b).re + eps);
                if v.norm_sqr() > pa.max(0.0) * pb.max(0.0) * (1.0 + 1e-9) {
                    return Err(format!(
                        "rho is not positive: |rho[{a}, {b}]|^2 = {:.4e} exceeds rho[{a},{a}] rho[{b},{b}] = {:.4e} ({why_eps})",
                        v.norm_sqr(),
                        at(a, a).re * at(b, b).re
                    ));
                }
            }
        }
    }
    // mean spin
    let s = sqz_superop::observables::moments_parity(xb).mean;
    let len = (s[0] * s[0] + s[1] * s[1] + s[2] * s[2]).sqrt();
    let j = n as f64 / 2.0;
    let slack = n as f64 * d as f64 * eps + 1e-9;
    if len.is_nan() || len > j + slack {
        return Err(format!(
            "|<S>| = {len:.6} exceeds N/2 = {j} (<S> = ({:.4}, {:.4}, {:.4})): not a state of {n} spins 1/2",
            s[0], s[1], s[2]
        ));
    }
    Ok(())
}

/// Two TLS whose positions make the steady state non-unique (module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EquivalentPair {
    /// first TLS (0-based)
    pub i: usize,
    /// second TLS
    pub j: usize,
    /// `z_i - z_j` is close to `k pi`
    pub k: i64,
    /// distance of the positions from the exact structure (zeta): the larger of
    /// `abs(z_i - z_j - k pi)` and the worst mismatch of the couplings to the other TLS
    pub distance: f64,
}

impl EquivalentPair {
    /// In words, for error messages.
    pub fn describe(&self, z: &[f64]) -> String {
        let (i, j) = (self.i, self.j);
        format!(
            "TLS {i} and {j} (z = {:.6}, {:.6}) are equivalent: z_{i} - z_{j} = {} pi and they couple alike \
             to every other TLS, so the total spin of the pair is conserved and the null space of \
             Eq. 3 has dimension >= 2 (the steady state depends on the initial state). Only ideal \
             positions (every z_i in 2 pi Z) are solved in that case, from --init; move one of the \
             two TLS to make the steady state unique",
            z[i], z[j], self.k
        )
    }
}

/// The pair closest to an equivalent pair (module docs) if it is within `tol`.
pub fn equivalent_pair(z: &[f64], tol: f64) -> Option<EquivalentPair> {
    let n = z.len();
    let mut best: Option<EquivalentPair> = None;
    for i in 0..n {
        for j in i + 1..n {
            let x = z[i] - z[j];
            let k = (x / PI).round();
            let d = (x - k * PI).abs();
            if d.is_nan() || d > tol {
                continue;
            }
            let s = if (k as i64).rem_euclid(2) == 0 {
                1.0
            } else {
                -1.0
            };
            let mismatch = (0..n)
                .filter(|&m| m != i && m != j)
                .map(|m| ((z[i] - z[m]).abs().sin() - s * (z[j] - z[m]).abs().sin()).abs())
                .fold(0.0f64, f64::max);
            let dist = d.max(mismatch);
            if dist <= tol && best.is_none_or(|b| dist < b.distance) {
                best = Some(EquivalentPair {
                    i,
                    j,
                    k: k as i64,
                    distance: dist,
                });
            }
        }
    }
    best
}

/// The error for positions on an equivalent pair.
pub fn degenerate_error(z: &[f64], pair: &EquivalentPair) -> SteadyError {
    SteadyError::Degenerate(pair.describe(z))
}

/// A failed solve near an equivalent pair becomes a [`SteadyError::Degenerate`] that names the
/// pair (the failure itself is kept in the message); other errors pass unchanged.
pub fn explain_failure(z: &[f64], e: SteadyError) -> SteadyError {
    if !matches!(
        e,
        SteadyError::NoConvergence { .. } | SteadyError::Unphysical(_)
    ) {
        return e;
    }
    match equivalent_pair(z, NEAR_STRUCTURE_TOL) {
        Some(pair) => SteadyError::Degenerate(format!(
            "to within what double precision resolves: TLS {} and {} are {:.1e} zeta from equivalent \
             positions (z_{} - z_{} ~ {} pi), which makes the slowest relaxation rate vanish like the \
             square of that distance; the solve gave: {e}",
            pair.i, pair.j, pair.distance, pair.i, pair.j, pair.k
        )),
        None => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivalent_pairs() {
        // the positions: every pair is pi apart and every sin vanishes
        let z: Vec<f64> = (0..6).map(|i| i as f64 * PI).collect();
        assert!(equivalent_pair(&z, STRUCTURE_TOL).is_some());
        // a third TLS outside the pair: the couplings match
        assert!(equivalent_pair(&[0.0, 2.0 * PI, 7.0], STRUCTURE_TOL).is_some());
        assert!(equivalent_pair(&[0.0, PI, 7.0], STRUCTURE_TOL).is_some());
        // a third TLS between them: sin changes sign, no structure
        assert!(equivalent_pair(&[0.0, 2.0 * PI, 3.0], STRUCTURE_TOL).is_none());
        assert!(equivalent_pair(&[0.0, PI, 2.0], STRUCTURE_TOL).is_none());
        assert!(equivalent_pair(&[0.3, -0.3, 5.0], STRUCTURE_TOL).is_none());
        // disorder
        let zd = sqz_model::positions::disordered(5, 0.1, 1, 2).unwrap();
        assert!(equivalent_pair(&zd, NEAR_STRUCTURE_TOL).is_none());
        // near, not on
        let zn = [0.0, PI + 1e-7, 2.0 * PI];
        assert!(equivalent_pair(&zn, STRUCTURE_TOL).is_none());
        let p = equivalent_pair(&zn, NEAR_STRUCTURE_TOL).unwrap();
        assert!(p.distance > 5e-8 && p.distance < 1e-6, "{p:?}");
    }
}
