//! Full-space spin moments and xi_R^2 against the QuTiP fixtures and the Dicke-basis code.

mod common;

use common::*;
use num_complex::Complex64 as C64;
use sqz_superop::{basis, observables, parity};

#[test]
fn moments_of_rho_test_match_qutip() {
    for n in 2..=5 {
        let f = fixture(&format!("full_liouvillian_N{n}.json"));
        let rho = dense_to_vec(&f["rho_test"]);
        let obs = &f["rho_test_observables"];
        let m = observables::moments(&rho);
        let want = floats(&obs["mean_spin"]);
        for k in 0..3 {
            assert!(
                (m.mean[k] - want[k]).abs() < 1e-12,
                "N = {n}: <S_{k}> {} vs {}",
                m.mean[k],
                want[k]
            );
        }
        let sq = m.squeezing().unwrap();
        let xi2 = obs["xi2"].as_f64().unwrap();
        let inv = obs["inv_xi2"].as_f64().unwrap();
        assert!(
            (sq.xi2 - xi2).abs() < 1e-10 * xi2,
            "N = {n}: xi2 {} vs {xi2}",
            sq.xi2
        );
        assert!(
            (sq.inv_xi2 - inv).abs() < 1e-10 * inv,
            "N = {n}: 1/xi2 {} vs {inv}",
            sq.inv_xi2
        );
    }
}

#[test]
fn full_space_moments_of_dicke_and_coherent_states_match_the_dicke_basis() {
    use sqz_model::observables as mo;
    for n in [1, 3, 6] {
        // a superposition of Dicke states, in both representations
        let coef: Vec<C64> = (0..=n)
            .map(|k| C64::new(1.0 + k as f64, 0.3 * k as f64))
            .collect();
        let norm: f64 = coef.iter().map(|c| c.norm_sqr()).sum::<f64>().sqrt();
        let d = 1 << n;
        let mut psi = vec![C64::default(); d];
        for k in 0..=n {
            let dv = basis::dicke_vector(n, k);
            for a in 0..d {
                psi[a] += coef[k] / norm * dv[a];
            }
        }
        let full = observables::moments(&basis::pure_state(&psi));
        let rho_d = faer::Mat::from_fn(n + 1, n + 1, |i, j| {
            coef[i] * coef[j].conj() / (norm * norm)
        });
        let dicke = mo::moments(&rho_d);
        for a in 0..3 {
            assert!((full.mean[a] - dicke.mean[a]).abs() < 1e-12);
            for b in 0..3 {
                assert!(
                    (full.second[a][b] - dicke.second[a][b]).abs() < 1e-12,
                    "N = {n} ({a},{b})"
                );
            }
        }
    }
    // parity-block moments of the ground state: <S^z> = -N/2, and equal to the full-space ones
    let n = 4;
    let g = parity::ground_state(n);
    let m = observables::moments_parity(&g);
    assert!((m.mean[2] + 2.0).abs() < 1e-15);
    assert_eq!(m, observables::moments(&basis::ground_state(n)));
}
