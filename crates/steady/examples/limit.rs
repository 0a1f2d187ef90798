//! The w -> 0+ limit of the steady state of Eq. 3 for one configuration, or the mean over
//! several:
//!
//! ```text
//! cargo run --release -p sqz-steady --example limit -- N R SEED CONFIG [NCONF] [full|kron|both]
//! ```
//!
//! Positions `z_i = 2 pi i + w chi_i` with `chi = sqz_model::positions::chi(N, SEED, CONFIG + k)`
//! (k = 0..NCONF-1, the configurations of `sqz steady --seed SEED --config C`). Prints 1/xi^2 of
//! the limit, the sector weights, the rate coefficients (slowest rates / w^2) and the timings.
use sqz_model::Params;
use sqz_steady::limit::{limit_state_with, LimitMethod, LimitParams, LimitSetup};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let n: usize = a.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let r: f64 = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(0.5);
    let seed: u64 = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let config: u64 = a.get(4).and_then(|s| s.parse().ok()).unwrap_or(0);
    let nconf: u64 = a.get(5).and_then(|s| s.parse().ok()).unwrap_or(1);
    let which = a.get(6).map(String::as_str).unwrap_or("kron");
    let p = Params::new(n, r, 0.5, 1.0).expect("parameters");
    let t = std::time::Instant::now();
    let su = LimitSetup::new(&p, faer::Par::Seq).expect("set-up");
    println!(
        "N = {n}, r = {r}, alpha = 0.5, Delta = 1: set-up {:.3} s (C_N = {}, populations {})",
        t.elapsed().as_secs_f64(),
        su.schur_weyl().dim(),
        su.populations_dim()
    );
    let methods: Vec<LimitMethod> = match which {
        "full" => vec![LimitMethod::FullSpace],
        "both" => vec![LimitMethod::Kronecker, LimitMethod::FullSpace],
        _ => vec![LimitMethod::Kronecker],
    };
    let mut vals = Vec::new();
    for c in config..config + nconf {
        let chi = sqz_model::positions::chi(n, seed, c);
        for &m in &methods {
            let lp = LimitParams {
                method: m,
                ..Default::default()
            };
            match limit_state_with(&su, &p, &chi, &lp) {
                Ok(rep) => {
                    let sq = rep.squeezing().expect("squeezing");
                    if m == methods[0] {
                        vals.push(sq.inv_xi2);
                    }
                    println!(
                        "config {c} [{}]: 1/xi^2 = {:.6}, rates/w^2 = {:?} ({:?}), uniqueness gap {:.3e}, \
                         min frequency {:.3e}, ker G1 {}, min eigenvalue {:.2e}, {:.4} s{}",
                        rep.method.name(),
                        sq.inv_xi2,
                        rep.rate_coefficients.iter().map(|x| format!("{x:.4e}")).collect::<Vec<_>>(),
                        rep.rate_kinds,
                        rep.uniqueness_gap,
                        rep.min_frequency,
                        rep.ker_g1_dim,
                        rep.min_eigenvalue,
                        rep.seconds,
                        if rep.solves > 0 { format!(" ({} solves)", rep.solves) } else { String::new() }
                    );
                    if nconf == 1 {
                        println!("  sector weights (J, Tr C_J): {:?}", rep.sector_weights);
                        println!("  chi = {chi:?}");
                        for note in &rep.notes {
                            println!("  note: {note}");
                        }
                    }
                }
                Err(e) => println!("config {c} [{}]: error: {e}", m.name()),
            }
        }
    }
    if vals.len() > 1 {
        let k = vals.len() as f64;
        let mean = vals.iter().sum::<f64>() / k;
        let sd = (vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0)).sqrt();
        println!(
            "mean 1/xi^2 over {} configurations: {mean:.4} (std {sd:.4}, sem {:.4}); {:.2} s in all",
            vals.len(),
            sd / k.sqrt(),
            t.elapsed().as_secs_f64()
        );
    }
}
