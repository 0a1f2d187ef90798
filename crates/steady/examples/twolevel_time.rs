//! Times the two-level GMRES steady state and, for N <= 7, compares it with the dense solve:
//! `cargo run --release -p sqz-steady --example twolevel_time -- N W_OVER_PI [R]`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let w: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0.3);
    let r: f64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0.5);
    let p = sqz_model::Params::new(n, r, 0.5, 1.0).unwrap();
    let z = sqz_model::positions::disordered(n, w * std::f64::consts::PI, 1, 0).unwrap();
    let sp = sqz_steady::SteadyParams::default();
    let t = std::time::Instant::now();
    let rep = sqz_steady::twolevel::solve_two_level(&p, &z, &sp, 20_000).unwrap();
    println!(
        "two-level N={n} w={w}pi: {:.3} s, its {}, residual {:.2e}, min ev {:.2e}; {:?}",
        t.elapsed().as_secs_f64(),
        rep.iterations,
        rep.residual,
        rep.min_eigenvalue,
        rep.notes
    );
    if n <= 7 && std::env::var("NODENSE").is_err() {
        let t = std::time::Instant::now();
        let d = sqz_steady::solve_dense(&p, &z, &sp).unwrap();
        let err = d
            .rho_block
            .iter()
            .zip(&rep.rho_block)
            .map(|(a, b)| (a - b).norm_sqr())
            .sum::<f64>()
            .sqrt();
        println!(
            "dense: {:.3} s, gap {:?}, bound {:?}; |rho_2l - rho_dense|_F = {err:.2e}",
            t.elapsed().as_secs_f64(),
            d.gap,
            d.error_bound
        );
    }
}
