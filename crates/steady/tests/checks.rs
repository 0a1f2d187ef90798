//! Issue 12: no unphysical state is returned as a result, non-unique steady states are named at
//! every N, tolerances below double precision are refused, and the GMRES-Jacobi fallback is
//! refused up front when it does not fit.

use sqz_model::{positions, Params};
use sqz_steady::{solve, SteadyError, SteadyParams};
use std::f64::consts::PI;

fn no_gap() -> SteadyParams {
    SteadyParams {
        estimate_gap: false,
        ..Default::default()
    }
}

/// `0, pi, 2 pi, ...`: every pair is equivalent; N = 5 (dense) and N = 6 (two-level, which
/// only failed to converge before) are both named as non-unique, with and without the gap.
#[test]
fn pi_spaced_positions_are_named_non_unique_at_n5_and_n6() {
    for n in [5usize, 6] {
        let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
        let z: Vec<f64> = (0..n).map(|i| i as f64 * PI).collect();
        for sp in [SteadyParams::default(), no_gap()] {
            let t0 = std::time::Instant::now();
            match solve(&p, &z, &sp) {
                Err(SteadyError::Degenerate(m)) => {
                    assert!(m.contains("equivalent"), "{m}");
                }
                other => panic!("N = {n}: expected Degenerate, got {other:?}"),
            }
            assert!(t0.elapsed().as_secs_f64() < 1.0, "refused up front");
        }
    }
}

/// Without the gap estimate, positions 1e-8 pi from ideal give the dense solver a singular
/// system whose output is no density matrix; it must be refused, not returned.
#[test]
fn unphysical_states_are_refused_without_the_gap() {
    let p = Params::new(5, 0.5, 0.5, 1.0).unwrap();
    let mut refused = 0;
    for c in 0..3 {
        let z = positions::disordered(5, 1e-8 * PI, 1, c).unwrap();
        match solve(&p, &z, &no_gap()) {
            Ok(rep) => {
                // whatever passes is physical
                assert!(rep.min_eigenvalue >= -sqz_steady::checks::EIGENVALUE_TOL_NO_BOUND);
                let s = sqz_superop::observables::moments_parity(&rep.rho_block).mean;
                assert!((s[0] * s[0] + s[1] * s[1] + s[2] * s[2]).sqrt() <= 2.5 + 1e-6);
            }
            Err(SteadyError::Unphysical(m)) | Err(SteadyError::Degenerate(m)) => {
                assert!(
                    m.contains("not a density matrix") || m.contains("exceeds N/2"),
                    "{m}"
                );
                refused += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(refused >= 1, "configurations 0 and 2 are unphysical");
    // ordinary disorder passes the checks with and without the gap
    let z = positions::disordered(5, 0.1 * PI, 1, 0).unwrap();
    assert!(solve(&p, &z, &no_gap()).is_ok());
    assert!(solve(&p, &z, &SteadyParams::default()).is_ok());
}

#[test]
fn unreachable_tolerances_are_refused() {
    let p = Params::new(4, 0.5, 0.5, 1.0).unwrap();
    let z = positions::disordered(4, 0.1, 1, 0).unwrap();
    for tol in [1e-300, 1e-30, 1e-15, 0.0, 1.0, f64::NAN] {
        let sp = SteadyParams {
            tol,
            ..Default::default()
        };
        let e = solve(&p, &z, &sp).unwrap_err().to_string();
        assert!(e.contains("1e-14 <= tol < 1"), "{e}");
    }
    let sp = SteadyParams {
        tol: 1e-14,
        ..Default::default()
    };
    assert!(solve(&p, &z, &sp).is_ok());
}

/// The gap check on `A` (`twolevel::verify_gap`, shift-invert Arnoldi with two-level inner
/// solves) stops when its inner solves have spent their GMRES-iteration budget and says why,
/// instead of running on (a study task at N = 8 ran in it for more than an hour). At N = 6 the
/// check converges well inside the default budget; with half the iterations it needed it must
/// fail, having spent no more than that budget.
#[test]
fn gap_check_stops_at_its_inner_iteration_budget() {
    use sqz_steady::twolevel::{
        verify_gap, verify_gap_capped, Setup, GAP_CHECK_MAX_INNER_ITERATIONS,
    };
    let n = 6;
    let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
    let z = positions::disordered(n, 0.3 * PI, 1, 0).unwrap();
    let setup = Setup::new(&p, faer::Par::Seq).unwrap();
    let sp = SteadyParams::default();
    let full = verify_gap(&setup, &p, &z, &sp).unwrap();
    assert!(full.gap > 0.0 && full.gap.is_finite(), "{full:?}");
    assert!(
        full.inner_iterations > 10 && full.inner_iterations < GAP_CHECK_MAX_INNER_ITERATIONS / 10,
        "{} inner iterations",
        full.inner_iterations
    );
    let budget = full.inner_iterations / 2;
    let msg = match verify_gap_capped(&setup, &p, &z, &sp, budget) {
        Err(e @ SteadyError::NoConvergence { .. }) => e.to_string(),
        other => panic!("expected the check to fail at its budget, got {other:?}"),
    };
    eprintln!(
        "full check: {} solves, {} iterations; capped at {budget}: {msg}",
        full.solves, full.inner_iterations
    );
    assert!(
        msg.contains(&format!("budget of {budget} GMRES iterations")),
        "{msg}"
    );
    let spent: usize = msg
        .split(" GMRES iterations,")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no iteration count in: {msg}"));
    assert!(spent <= budget, "spent {spent} > budget {budget}: {msg}");
}
