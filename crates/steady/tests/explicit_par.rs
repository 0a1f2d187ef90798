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
    faer::disable_global_parallelism();
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
