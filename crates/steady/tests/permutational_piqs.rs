//! Against QuTiP PIQS (`fixtures/piqs/piqs_steady.json`, made by
//! `scripts/fixtures/make_piqs_fixtures.py`): steady states of Eq. 7 plus local loss/dephasing
//! for N = 2..20 and three parameter sets.
//!
//! Tolerance: QuTiP 5.3.1 computes the PIQS coefficients in single precision (see the script),
//! so its steady states carry relative errors up to ~7e-7 (N = 18, dephasing); the comparison
//! with PIQS as released allows `1e-6 max(1, |value|)`. Every case also holds `double`: PIQS's
//! own formulas evaluated in float64 by the script, compared to `1e-9 max(1, |value|)`. The
//! independent double-precision check of the coefficients is `tests/permutational_full_space.rs` (1e-10).

use serde_json::Value;
use sqz_model::Params;
use sqz_steady::permutational::solve as steady_state;
use sqz_steady::SteadyParams;

#[test]
fn steady_states_match_qutip_piqs() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/piqs/piqs_steady.json"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 57);
    // each case is solved once and compared twice: with PIQS as released, and with PIQS's
    // formulas in double precision
    let states: Vec<_> = cases
        .iter()
        .map(|c| {
            let f = |k: &str| c[k].as_f64().unwrap();
            let n = c["n"].as_u64().unwrap() as usize;
            let p = Params::new(n, f("r"), f("alpha"), f("delta"))
                .unwrap()
                .with_local_rates(f("gamma_loss"), f("gamma_deph"))
                .unwrap();
            let s = steady_state(&p, &SteadyParams::default()).unwrap();
            (n, p, s)
        })
        .collect();
    let tol = |x: f64| 1e-6 * x.abs().max(1.0);
    let mut worst: f64 = 0.0;
    for (c, (n, p, s)) in cases.iter().zip(&states) {
        let sq = s.squeezing().unwrap();
        let mut check = |what: &str, mine: f64, want: f64| {
            let d = (mine - want).abs();
            worst = worst.max(d / want.abs().max(1.0));
            assert!(
                d <= tol(want),
                "N = {n} {p:?}: {what} {mine} vs PIQS {want}"
            );
        };
        check("inv_xi2", sq.inv_xi2, c["inv_xi2"].as_f64().unwrap());
        let m = s.moments();
        for a in 0..3 {
            check("mean", m.mean[a], c["mean_spin"][a].as_f64().unwrap());
            for b in 0..3 {
                check(
                    "second",
                    m.second[a][b],
                    c["second"][a][b].as_f64().unwrap(),
                );
            }
        }
        let pops = s.block_populations();
        for (k, j2) in c["j2"].as_array().unwrap().iter().enumerate() {
            assert_eq!(s.details.basis.j2(k), j2.as_u64().unwrap() as usize);
            check("Tr rho_J", pops[k], c["j_populations"][k].as_f64().unwrap());
        }
        for e in c["rho_entries"].as_array().unwrap() {
            let e: Vec<f64> = e
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let blk = s.block(e[0] as usize);
            let z = blk[(e[1] as usize, e[2] as usize)];
            check("rho re", z.re, e[3]);
            check("rho im", z.im, e[4]);
        }
    }
    eprintln!("largest relative deviation from PIQS: {worst:.2e}");
    // the same against PIQS's formulas in double precision
    let mut worst_d: f64 = 0.0;
    for (c, (n, p, s)) in cases.iter().zip(&states) {
        let d = &c["double"];
        let mut check = |what: &str, mine: f64, want: f64| {
            let dd = (mine - want).abs() / want.abs().max(1.0);
            worst_d = worst_d.max(dd);
            assert!(
                dd <= 1e-9,
                "N = {n} {p:?}: {what} {mine} vs PIQS (double) {want}"
            );
        };
        check(
            "inv_xi2",
            s.squeezing().unwrap().inv_xi2,
            d["inv_xi2"].as_f64().unwrap(),
        );
        let m = s.moments();
        for a in 0..3 {
            check("mean", m.mean[a], d["mean_spin"][a].as_f64().unwrap());
            for b in 0..3 {
                check(
                    "second",
                    m.second[a][b],
                    d["second"][a][b].as_f64().unwrap(),
                );
            }
        }
        for (k, pop) in s.block_populations().iter().enumerate() {
            check("Tr rho_J", *pop, d["j_populations"][k].as_f64().unwrap());
        }
    }
    eprintln!("largest relative deviation from PIQS's formulas in double precision: {worst_d:.2e}");
}
