//! Times the dense steady-state solve: `cargo run --release -p sqz-steady --example steady_time -- N W_OVER_PI`.
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let w: f64 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.3);
    if std::env::var("SEQ").is_ok() {
        faer::set_global_parallelism(faer::Par::Seq);
    }
    let p = sqz_model::Params::new(n, 0.5, 0.5, 1.0).unwrap();
    let z = sqz_model::positions::disordered(n, w * std::f64::consts::PI, 1, 0).unwrap();
    let t = std::time::Instant::now();
    let r = sqz_steady::solve(&p, &z, &sqz_steady::SteadyParams::default()).unwrap();
    println!(
        "N={n} w={w}pi: {:.3} s, residual {:.2e}, gap {:?}, bound {:?}, matvecs {}",
        t.elapsed().as_secs_f64(),
        r.residual,
        r.gap,
        r.error_bound,
        r.iterations
    );
}
