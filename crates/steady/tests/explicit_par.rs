//! The steady-state solves take their parallelism from [`SteadyParams::par`], never from faer's
//! process-global setting (`faer::set_global_parallelism`): with the global setting disabled
//! (`faer::disable_global_parallelism`, after which every faer call that reads it panics) every
//! covered path of `solve` (dense, GMRES-Jacobi with local rates, the collective reduction at
//! ideal positions), with its gap estimate and the physical checks, runs and gives the same bits as
//! while the global setting is `Par::rayon(4)`. The two-level path (its set-up included), the
//! limit `w -> 0+` (`LimitParams::par`) and the permutational model take their parallelism as an
//! argument too, but are not exercised here (they are slower).
//!
//! This file is its own test binary (the global setting is per process), and its one test
//! disables the global setting for good.

use sqz_model::Params;
use sqz_steady::{solve, Method, SteadyParams};
use std::f64::consts::PI;

fn case(n: usize, w: f64, loss: f64) -> (Params, Vec<f64>) {
    let p = Params::new(n, 0.5, 0.5, 1.0)
        .unwrap()
        .with_local_rates(loss, 0.0)
        .unwrap();
    let z = sqz_model::positions::disordered(n, w, 1, 0).unwrap();
    (p, z)
}

#[test]
fn solves_do_not_read_the_global_parallelism() {
    // (N, w, gamma_loss, the path expected)
    let cases = [
        (4, 0.3 * PI, 0.0, Method::DenseHermitian),
        (5, 0.01 * PI, 0.0, Method::DenseHermitian),
        (4, 0.0, 0.0, Method::CollectiveReduction),
        (6, 0.3 * PI, 0.1, Method::GmresJacobi),
        (6, 0.3 * PI, 0.0, Method::TwoLevel),
    ];
    let seq = SteadyParams {
        par: faer::Par::Seq,
        ..Default::default()
    };
    // the reference bits, computed while the global setting is something else than Seq
    faer::set_global_parallelism(faer::Par::rayon(4));
    let before: Vec<_> = cases
        .iter()
        .map(|&(n, w, loss, method)| {
            let (p, z) = case(n, w, loss);
            let r = solve(&p, &z, &seq).unwrap();
            assert_eq!(r.method, method, "N = {n}, w = {w}, gamma_loss = {loss}");
            r
        })
        .collect();
    let limits = limit_bits();
    let perms = perm_bits(&seq);
    faer::disable_global_parallelism();
    assert_eq!(limits, limit_bits(), "the limit w -> 0+");
    assert_eq!(perms, perm_bits(&seq), "the permutational model");
    for (&(n, w, loss, _), a) in cases.iter().zip(&before) {
        let (p, z) = case(n, w, loss);
        let b = solve(&p, &z, &seq).unwrap();
        let bits = |x: &[sqz_steady::C64]| {
            x.iter()
                .flat_map(|c| [c.re.to_bits(), c.im.to_bits()])
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&a.rho_block), bits(&b.rho_block), "N = {n}, w = {w}");
        assert_eq!(a.gap.map(f64::to_bits), b.gap.map(f64::to_bits));
        assert_eq!(a.residual.to_bits(), b.residual.to_bits());
    }
}

/// The bits of the limit `w -> 0+` at N = 5 by both methods, with `Par::Seq`.
fn limit_bits() -> Vec<Vec<u64>> {
    use sqz_steady::limit::{limit_state, LimitMethod, LimitParams};
    let p = Params::new(5, 0.5, 0.5, 1.0).unwrap();
    let chi = sqz_model::positions::chi(5, 2021, 7);
    [LimitMethod::Kronecker, LimitMethod::FullSpace]
        .into_iter()
        .map(|method| {
            let lp = LimitParams {
                method,
                par: faer::Par::Seq,
                ..Default::default()
            };
            let r = limit_state(&p, &chi, &lp).unwrap();
            r.rho_block
                .iter()
                .flat_map(|c| [c.re.to_bits(), c.im.to_bits()])
                .collect()
        })
        .collect()
}

/// The bits of the permutational model at N = 10 (the symmetric block without rates; all blocks
/// with rates, by sparse LU and by the two-level method), with the gap estimates.
fn perm_bits(seq: &SteadyParams) -> Vec<Vec<u64>> {
    use sqz_steady::permutational::{solve as perm_solve, PermSolver};
    let bare = Params::new(10, 0.5, 0.5, 1.0).unwrap();
    let lossy = bare.with_local_rates(0.05, 0.01).unwrap();
    [
        (bare, PermSolver::Auto),
        (lossy, PermSolver::Direct),
        (lossy, PermSolver::TwoLevel),
    ]
    .into_iter()
    .map(|(p, perm_solver)| {
        let sp = SteadyParams {
            perm_solver,
            ..*seq
        };
        let r = perm_solve(&p, &sp).unwrap();
        let mut v: Vec<u64> = r
            .rho_block
            .iter()
            .flat_map(|c| [c.re.to_bits(), c.im.to_bits()])
            .collect();
        v.push(r.gap.map_or(0, f64::to_bits));
        v
    })
    .collect()
}
