//! Times the sparse direct baseline: `cargo run --release -p sqz-steady --example sparse_direct_time -- N W_OVER_PI`.
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let w: f64 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.3);
    let p = sqz_model::Params::new(n, 0.5, 0.5, 1.0).unwrap();
    let z = sqz_model::positions::disordered(n, w * std::f64::consts::PI, 1, 0).unwrap();
    let t = std::time::Instant::now();
    let x = sqz_steady::sparse_direct::solve_sparse_bordered(&p, &z, faer::Par::Seq).unwrap();
    println!(
        "N={n} w={w}pi: sparse direct {:.3} s, rho[0,0] = {}",
        t.elapsed().as_secs_f64(),
        x[0].re
    );
}
