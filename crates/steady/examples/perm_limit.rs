//! The small-rate limit: steady 1/xi^2 at gamma = 1e-2 .. 1e-6 against the first-order limit
//! `gamma -> 0+` (`sqz_permutational::limit`) and Eq. 8 (the J = N/2 state).
//!
//! ```text
//! cargo run --release -p sqz-steady --example perm_limit -- N r [deph_over_loss]
//! ```
//! `deph_over_loss` (default 0) sets the direction: `gamma_loss = gamma`,
//! `gamma_deph = deph_over_loss * gamma`; a negative value means dephasing only
//! (`gamma_loss = 0`, `gamma_deph = gamma`).

use sqz_model::{analytic, Params};
use sqz_permutational::{limit, state};
use sqz_steady::permutational::solve as steady_state;
use sqz_steady::SteadyParams;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |i: usize, d: f64| args.get(i).map_or(d, |s| s.parse().expect("a number"));
    let n = get(0, 10.0) as usize;
    let r = get(1, 0.5);
    let ratio = get(2, 0.0);
    let base = Params::new(n, r, 0.5, 1.0).expect("valid parameters");
    let rates = |g: f64| {
        if ratio < 0.0 {
            (0.0, g)
        } else {
            (g, ratio * g)
        }
    };
    let eq8 = analytic::steady_state(&base)
        .expect("Eq. 8")
        .moments()
        .squeezing()
        .expect("squeezing")
        .inv_xi2;
    let (gl, gd) = rates(1.0);
    let lim = limit::small_rate_limit(&base.with_local_rates(gl, gd).unwrap(), faer::Par::Seq)
        .expect("limit");
    let lim_sq = state::moments(&lim.basis, &lim.x)
        .squeezing()
        .expect("squeezing");
    println!("# N = {n}, r = {r}, alpha = 0.5, Delta = 1, direction (gamma_loss, gamma_deph) ~ ({gl}, {gd})");
    println!("# Eq. 8 (J = N/2, gamma = 0): 1/xi^2 = {eq8:.10}");
    println!(
        "# limit gamma -> 0+: 1/xi^2 = {:.10}, P(J = N/2) = {:.6}",
        lim_sq.inv_xi2, lim.weights[0]
    );
    println!(
        "# {:>8} {:>16} {:>12} {:>12} {:>12} {:>10}",
        "gamma", "1/xi^2", "-limit", "-Eq.8", "P(J=N/2)", "gap"
    );
    for e in 2..=6 {
        let g = 10f64.powi(-e);
        let (gl, gd) = rates(g);
        let p = base.with_local_rates(gl, gd).unwrap();
        let s = steady_state(&p, &SteadyParams::default()).expect("steady state");
        let inv = s.squeezing().expect("squeezing").inv_xi2;
        println!(
            "  {:>8.0e} {:>16.10} {:>12.3e} {:>12.3e} {:>12.6} {:>10.2e}",
            g,
            inv,
            inv - lim_sq.inv_xi2,
            inv - eq8,
            s.symmetric_population(),
            s.gap.unwrap_or(f64::NAN)
        );
    }
}
