//! Calibrates the two-level solver's Galerkin gap estimate against the operator's own slowest
//! rate (shift-invert Arnoldi on A with two-level inner solves, `twolevel::verify_gap`):
//! `cargo run --release -p sqz-steady --example gap_check -- N W_OVER_PI[,W..] CONFIGS [R [SEED
//! [W_INDEX FIRST_CONFIG]]]` (defaults 0.5, 1, 0, 0; a study's task is SEED, its w index and
//! configuration: the random stream is `W_INDEX * 2^32 + config`).
//! Prints one line per configuration: N, w/pi, seed, config, Galerkin gap, checked gap, ratio,
//! the eigenvalues found and the time. docs/numerics.md quotes the table.
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let n: usize = a.get(1).and_then(|s| s.parse().ok()).unwrap_or(7);
    let ws: Vec<f64> = a
        .get(2)
        .map(|s| s.split(',').map(|x| x.parse().expect("w")).collect())
        .unwrap_or_else(|| vec![0.001, 0.01, 0.1, 0.3, 0.5]);
    let configs: u64 = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(2);
    let r: f64 = a.get(4).and_then(|s| s.parse().ok()).unwrap_or(0.5);
    let seed: u64 = a.get(5).and_then(|s| s.parse().ok()).unwrap_or(1);
    let w_index: u64 = a.get(6).and_then(|s| s.parse().ok()).unwrap_or(0);
    let first: u64 = a.get(7).and_then(|s| s.parse().ok()).unwrap_or(0);
    let p = sqz_model::Params::new(n, r, 0.5, 1.0).unwrap();
    let setup = sqz_steady::twolevel::Setup::new(&p, faer::Par::Seq).unwrap();
    let sp = sqz_steady::SteadyParams::default();
    println!("n,r,w_over_pi,seed,config,galerkin_gap,checked_gap,ratio,solves,inner_iterations,seconds,slowest");
    for &w in &ws {
        for c in first..first + configs {
            let stream = (w_index << 32) + c;
            let z = sqz_model::positions::disordered(n, w * std::f64::consts::PI, seed, stream)
                .unwrap();
            match sqz_steady::twolevel::verify_gap(&setup, &p, &z, &sp) {
                Ok(g) => {
                    let gal = g.galerkin.unwrap_or(f64::NAN);
                    let mut ev = g.eigenvalues.clone();
                    ev.sort_by(|x, y| x.re.abs().total_cmp(&y.re.abs()));
                    let ev: Vec<String> = ev
                        .iter()
                        .take(3)
                        .map(|v| format!("{:.3e}{:+.3e}i", v.re, v.im))
                        .collect();
                    println!(
                        "{n},{r},{w},{seed},{c},{gal:.4e},{:.4e},{:.3},{},{},{:.1},{}",
                        g.gap,
                        gal / g.gap,
                        g.solves,
                        g.inner_iterations,
                        g.seconds,
                        ev.join(" ")
                    );
                }
                Err(e) => println!("{n},{r},{w},{seed},{c},error: {e}"),
            }
        }
    }
}
