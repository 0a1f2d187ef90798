//! Times the stages of Eq. 8 at a given N: `cargo run --release --example eq8_profile -- 1000`.
use sqz_model::{analytic, Params};
use std::time::Instant;
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let p = Params::new(n, 1.5, 0.5, 1.0).unwrap();
    let t = Instant::now();
    let _ = analytic::sx_eigenvectors(n);
    eprintln!("eigenvectors: {:?}", t.elapsed());
    let t = Instant::now();
    let _cold = analytic::steady_state(&p).unwrap();
    eprintln!("steady_state (all): {:?}", t.elapsed());
    let basis = analytic::Eq8Basis::new(n);
    let t = Instant::now();
    let s = analytic::steady_state_with(&p, &basis).unwrap();
    eprintln!("steady_state with a cached basis: {:?}", t.elapsed());
    let t = Instant::now();
    let m = s.moments();
    eprintln!("moments: {:?}", t.elapsed());
    eprintln!("xi2 = {}", m.squeezing().unwrap().xi2);
}
