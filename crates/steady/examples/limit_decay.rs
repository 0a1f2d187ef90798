//! The slow decay of Fig. 4(a-c) from the small-disorder generators alone: for each
//! configuration, the coarse state starts in the symmetric steady state (Eq. 8, where the ideal
//! trace from |g...g> arrives after t ~ 1/A) and evolves under the effective generator
//! `w G1 + w^2 G2` of `sqz_steady::limit` (C_N x C_N, exact to O(w^3)); the mean 1/xi^2 over the
//! configurations is printed at the times of docs/reproduction.md's table, with its 63 % decay
//! time and `1 / (w^2 median gap coefficient)`.
//!
//! ```text
//! cargo run --release -p sqz-steady --example limit_decay -- [N R SEED NCONF W_OVER_PI...]
//! ```
//!
//! Defaults: the configurations of `sqz reproduce` Fig. 4(a-c): N = 5, r = 0.5, seed 2021,
//! configurations 0..99 (stream c), w = 0.03, 0.06, 0.3 pi.
use faer::linalg::solvers::DenseSolveCore;
use faer::Mat;
use sqz_model::Params;
use sqz_steady::limit::{kronecker_generators, limit_state_with, LimitParams, LimitSetup};
use sqz_steady::C64;
use std::f64::consts::PI;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let n: usize = a.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let r: f64 = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(0.5);
    let seed: u64 = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(2021);
    let nconf: u64 = a.get(4).and_then(|s| s.parse().ok()).unwrap_or(100);
    let ws: Vec<f64> = if a.len() > 5 {
        a[5..]
            .iter()
            .map(|s| s.parse::<f64>().expect("w / pi"))
            .collect()
    } else {
        vec![0.03, 0.06, 0.3]
    };
    let p = Params::new(n, r, 0.5, 1.0).expect("parameters");
    let su = LimitSetup::new(&p, faer::Par::Seq).expect("set-up");
    let sw = su.schur_weyl();
    let cn = sw.dim();
    // the symmetric state: C_J = [1] in the J = N/2 sector (q = 0, d = 1)
    let mut c_sym = vec![C64::new(0.0, 0.0); cn];
    let k_sym = (0..sw.n_sectors())
        .find(|&k| sw.sector(k).0 == 0)
        .expect("the symmetric sector");
    c_sym[sw.sector(k_sym).3] = C64::new(1.0, 0.0);
    let inv_xi2 = |c: &[C64]| {
        let mut block = vec![C64::new(0.0, 0.0); sqz_superop::parity::block_dim(n)];
        sw.prolong(c, &mut block, faer::Par::Seq);
        sqz_superop::observables::moments_parity(&block)
            .squeezing()
            .map_or(0.0, |s| s.inv_xi2)
    };
    let ideal = inv_xi2(&c_sym);
    // per configuration: G1, G2, the gap coefficient and the limit's 1/xi^2
    let mut gens = Vec::new();
    let mut gaps = Vec::new();
    let mut lims = Vec::new();
    for c in 0..nconf {
        let chi = sqz_model::positions::chi(n, seed, c);
        let rep = limit_state_with(&su, &p, &chi, &LimitParams::default()).expect("limit");
        gaps.push(rep.gap_coefficient().expect("a rate"));
        lims.push(rep.squeezing().expect("squeezing").inv_xi2);
        gens.push(kronecker_generators(&su, &chi));
    }
    gaps.sort_by(f64::total_cmp);
    let g_med = gaps[gaps.len() / 2];
    let lim_mean = lims.iter().sum::<f64>() / lims.len() as f64;
    println!(
        "N = {n}, r = {r}, seed {seed}, {nconf} configurations: ideal (Eq. 8) {ideal:.4}, limit \
         mean {lim_mean:.4}; gap coefficient median {g_med:.4e} (range {:.3e} .. {:.3e})",
        gaps[0],
        gaps[gaps.len() - 1]
    );
    // log time grid 1 .. 1e5 /A, 40 points a decade
    let times: Vec<f64> = (0..=200).map(|k| 10f64.powf(k as f64 / 40.0)).collect();
    for &wp in &ws {
        let w = wp * PI;
        let mut mean = vec![0.0; times.len()];
        for (g1, g2) in &gens {
            let m = Mat::<C64>::from_fn(cn, cn, |i, j| w * g1[(i, j)] + w * w * g2[(i, j)]);
            let evd = m.eigen().expect("eigendecomposition");
            let v = evd.U().to_owned();
            let lam: Vec<C64> = (0..cn).map(|i| evd.S().column_vector()[i]).collect();
            let vinv = v.partial_piv_lu().inverse();
            let y: Vec<C64> = (0..cn)
                .map(|i| (0..cn).map(|j| vinv[(i, j)] * c_sym[j]).sum())
                .collect();
            for (k, &t) in times.iter().enumerate() {
                let c: Vec<C64> = (0..cn)
                    .map(|i| (0..cn).map(|j| v[(i, j)] * (lam[j] * t).exp() * y[j]).sum())
                    .collect();
                mean[k] += inv_xi2(&c) / gens.len() as f64;
            }
        }
        let at = |t: f64| {
            let k = times.iter().position(|&x| x >= t * (1.0 - 1e-12)).unwrap();
            mean[k]
        };
        let target = (1.0 - (-1.0f64).exp()) * (ideal - lim_mean);
        let t63 = times
            .iter()
            .zip(&mean)
            .find(|(_, &m)| ideal - m >= target)
            .map_or(f64::NAN, |(t, _)| *t);
        println!(
            "w = {wp} pi: mean 1/xi^2 at t = 10, 100, 1000, 1e4 /A: {:.3}, {:.3}, {:.3}, {:.3}; \
             63 % decay time {t63:.0}/A; 1 / (w^2 median gap coefficient) = {:.0}/A",
            at(10.0),
            at(100.0),
            at(1000.0),
            at(1e4),
            1.0 / (w * w * g_med)
        );
    }
}
