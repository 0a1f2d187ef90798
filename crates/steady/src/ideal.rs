//! Ideal positions (`|z_i +- z_j| = 2 n pi`, w = 0): Eq. 3 reduces to the collective Eq. 7 and the
//! null space of the full Liouvillian is degenerate, of dimension the Catalan number `C_N`
//! (one steady state per total spin `j` and pair of multiplicity labels: `sum_j d_j^2 = C_N`).
//!
//! A null-space solver would return an arbitrary mixture; the physical answer depends on the
//! initial state. Total spin and permutation symmetry are conserved, so from a symmetric initial
//! state (all ground, a Dicke state) the state stays in the symmetric subspace `j = N/2`, and the
//! steady state reached is the collective one (Eq. 8), embedded in the full space.

use crate::{Initial, Method, SteadyError, SteadyParams, SteadyReport, C64};
use sqz_model::Params;
use sqz_superop::basis::dicke_vector;
use sqz_superop::parity::block_index;
use std::f64::consts::PI;
use std::time::Instant;

/// Bytes of the collective reduction at ideal positions ([`solve_ideal`]): the parity-block
/// operator, two block vectors, the `N + 1` Dicke vectors, the `2^N` eigenproblem (N <= 10).
pub fn bytes(n: usize) -> u64 {
    use sqz_superop::memory::{estimate_with, Operator};
    let d = 1u64 << n.min(40);
    Operator::ParityBlock
        .bytes(n)
        .saturating_add(estimate_with(n, 0).parity_vector_bytes.saturating_mul(2))
        .saturating_add((n as u64 + 1).saturating_mul(d).saturating_mul(16))
        .saturating_add(crate::checks::eigen_bytes(n))
}

/// Whether every pair satisfies `z_i - z_j` and `z_i + z_j` in `2 pi Z` (to 1e-9).
pub fn is_ideal(z: &[f64]) -> bool {
    let near = |x: f64| {
        let r = x.rem_euclid(2.0 * PI);
        r.min(2.0 * PI - r) < 1e-9
    };
    z.iter()
        .enumerate()
        .all(|(i, a)| z[i..].iter().all(|b| near(a - b) && near(a + b)))
}

/// The Catalan number `C_N = (2N)! / (N! (N+1)!)`, the null-space dimension at ideal positions.
pub fn catalan(n: usize) -> u64 {
    let mut c: u128 = 1;
    for k in 0..n as u128 {
        c = c * 2 * (2 * k + 1) / (k + 2);
    }
    c as u64
}

/// A collective (Dicke-basis, `(N+1) x (N+1)`) density matrix embedded in the parity block of
/// the full space: `sum_{k,l} rho[k, l] |D_k><D_l|`.
pub fn embed_collective(n: usize, coll: &faer::Mat<C64>) -> Vec<C64> {
    let d = 1usize << n;
    let dicke: Vec<Vec<C64>> = (0..=n).map(|k| dicke_vector(n, k)).collect();
    let mut xb = vec![C64::new(0.0, 0.0); sqz_superop::parity::block_dim(n)];
    for k in 0..=n {
        for l in 0..=n {
            let c = coll[(k, l)];
            if c == C64::new(0.0, 0.0) {
                continue;
            }
            for a in 0..d {
                if dicke[k][a].re == 0.0 {
                    continue;
                }
                for b in 0..d {
                    if dicke[l][b].re == 0.0 {
                        continue;
                    }
                    if let Some(i) = block_index(n, a, b) {
                        xb[i] += c * dicke[k][a] * dicke[l][b];
                    }
                }
            }
        }
    }
    xb
}

/// The steady state reached from a symmetric initial state at ideal positions.
pub fn solve_ideal(p: &Params, sp: &SteadyParams) -> Result<SteadyReport, SteadyError> {
    let t0 = Instant::now();
    let n = p.n();
    if n > sqz_superop::N_MAX_FULL {
        return Err(sqz_superop::SuperopError::TooManyTls {
            n,
            max: sqz_superop::N_MAX_FULL,
        }
        .into());
    }
    match sp.initial {
        Initial::Ground => {}
        Initial::Dicke(k) if k <= n => {}
        Initial::Dicke(k) => {
            return Err(sqz_model::ModelError::InvalidParameter {
                name: "initial Dicke index",
                value: k.to_string(),
                allowed: "0 <= k <= N (k = m + j)",
            }
            .into())
        }
    }
    // every symmetric initial state reaches the unique symmetric steady state
    let coll = sqz_model::analytic::steady_state(p)?.rho();
    let xb = embed_collective(n, &coll);
    let op = sqz_superop::ParityBlock::new(p, &sqz_model::positions::ideal(n))?;
    let residual = sqz_krylov::certificate::Representation::residual(&op, &xb);
    let min_ev = if n <= 10 {
        crate::min_eigenvalue(n, &xb, sp.par)
    } else {
        f64::NAN
    };
    Ok(SteadyReport {
        rho_block: xb,
        method: Method::CollectiveReduction,
        iterations: 0,
        residual,
        gap: Some(0.0),
        error_bound: None,
        bound_met: residual <= sp.tol,
        outcome: crate::Outcome::Degenerate {
            null_dim: catalan(n),
        },
        null_dim: catalan(n),
        min_eigenvalue: min_ev,
        seconds: t0.elapsed().as_secs_f64(),
        notes: vec![format!(
            "ideal positions: the null space is degenerate (dimension C_N = {}); the state reached from a symmetric initial state is the collective steady state (Eq. 8), whatever the symmetric initial state",
            catalan(n)
        )],
        details: (),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalan_numbers() {
        assert_eq!(
            (1..=6).map(catalan).collect::<Vec<_>>(),
            vec![1, 2, 5, 14, 42, 132]
        );
        assert_eq!(catalan(10), 16796);
    }

    #[test]
    fn ideal_detection() {
        assert!(is_ideal(&sqz_model::positions::ideal(5)));
        assert!(!is_ideal(
            &sqz_model::positions::disordered(5, 0.01, 1, 2).unwrap()
        ));
        assert!(!is_ideal(&[0.0, PI]));
    }
}
