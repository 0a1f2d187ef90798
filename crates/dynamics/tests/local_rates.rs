//! Local loss and dephasing (issue 17) in the Eq. 3 propagation: `evolve_full` with rates against
//! the dense exponential of the assembled Liouvillian (CSR with the local terms) at N = 4, in the
//! parity block (all ground) and the full space (a product state); the collective propagation
//! refuses rates.

use faer::Mat;
use num_complex::Complex64 as C64;
use sqz_dynamics::{evolve_collective, evolve_full, InitState, Orthogonalization, Plan};
use sqz_krylov::expv::{expm, ExpvParams};
use sqz_model::{positions, Params};
use std::f64::consts::PI;

fn plan(times: &[f64]) -> Plan {
    Plan {
        times: times.to_vec(),
        husimi_times: Vec::new(),
        husimi_grid: 2,
        husimi_extent: 1.0,
        expv: ExpvParams {
            tol: 1e-12,
            ..Default::default()
        },
        ortho: Orthogonalization::Auto,
    }
}

#[test]
fn full_evolution_with_local_rates_equals_the_dense_exponential_at_n_4() {
    let n = 4;
    let d = 1usize << n;
    let dd = d * d;
    let p = Params::new(n, 0.5, 0.5, 1.0)
        .unwrap()
        .with_local_rates(0.2, 0.1)
        .unwrap();
    let z = positions::disordered(n, 0.1 * PI, 1, 0).unwrap();
    let csr = sqz_superop::csr::assemble(&p, &z).unwrap();
    let mut l = Mat::<C64>::zeros(dd, dd);
    for (v, (r, c)) in csr.iter() {
        l[(r, c)] += *v;
    }
    let times = [0.3, 1.0, 2.5];
    for init in [
        InitState::Ground,
        InitState::Product {
            theta: 1.1,
            phi: 0.4,
        },
    ] {
        let evo = evolve_full(&p, &z, &init, &plan(&times), |_, _| {}).unwrap();
        let psi = init.full_vector(n).unwrap();
        let v0 = Mat::<C64>::from_fn(dd, 1, |k, _| psi[k % d] * psi[k / d].conj());
        for (k, &t) in times.iter().enumerate() {
            let tl = Mat::<C64>::from_fn(dd, dd, |i, j| l[(i, j)] * t);
            let vt = expm(tl.as_ref()) * &v0;
            let x: Vec<C64> = (0..dd).map(|i| vt[(i, 0)]).collect();
            let m = sqz_superop::observables::moments(&x);
            let got = evo.series.mean_spin[k];
            let scale = m.mean.iter().map(|v| v.abs()).fold(0.0, f64::max);
            for a in 0..3 {
                let err = (got[a] - m.mean[a]).abs() / scale;
                assert!(
                    err < 1e-8,
                    "{init:?} t = {t}: <S_{a}> {} vs {} ({err:e})",
                    got[a],
                    m.mean[a]
                );
            }
            let want = sqz_dynamics::propagate::inv_xi2(&m).unwrap().unwrap_or(0.0);
            let err = (evo.series.inv_xi2[k] - want).abs() / want.abs().max(1e-300);
            assert!(err < 1e-8, "{init:?} t = {t}: 1/xi^2 ({err:e})");
            assert!((evo.series.trace[k] - 1.0).abs() < 1e-10);
        }
    }
}

#[test]
fn collective_propagation_refuses_local_rates() {
    let p = Params::new(4, 0.5, 0.5, 1.0)
        .unwrap()
        .with_local_rates(0.1, 0.0)
        .unwrap();
    let e = evolve_collective(&p, &InitState::Ground, &plan(&[1.0]), |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("gamma_loss") && e.contains("0.1"), "{e}");
    let e = sqz_model::collective::steady_state(&p, faer::Par::Seq)
        .unwrap_err()
        .to_string();
    assert!(e.contains("permutational"), "{e}");
    assert!(sqz_model::collective::liouvillian(&p).is_err());
}
