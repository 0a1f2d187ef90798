//! Writes an independent reference steady state of Eq. 3 for the accuracy tests:
//! `cargo run --release -p sqz-steady --example reference_rho -- N W_OVER_PI SEED CONFIG OUT_PREFIX`.
//!
//! Method: the Eq. 3 Liouvillian assembled term by term (`sqz_superop::csr`, the N^2-pair form,
//! independent of the matrix-free kernel the solvers use), the bordered complex system with
//! `Tr rho = 1` solved by faer's sparse LU, then one step of iterative refinement with the same
//! factorisation. Output: `OUT_PREFIX.bin`, the parity block of rho as little-endian f64 pairs
//! (re, im) in `sqz_superop::parity` order, and `OUT_PREFIX.json` with the parameters, the
//! residual `|L rho|_F` of the reference and the time. Used by `scripts/fixtures/make_steady_reference.sh`.
use sqz_steady::C64;
use std::io::Write;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 6 {
        eprintln!("usage: reference_rho N W_OVER_PI SEED CONFIG OUT_PREFIX");
        std::process::exit(2);
    }
    let n: usize = a[1].parse().expect("N");
    let w: f64 = a[2].parse().expect("W_OVER_PI");
    let seed: u64 = a[3].parse().expect("SEED");
    let config: u64 = a[4].parse().expect("CONFIG");
    let (r, alpha, delta) = (0.5, 0.5, 1.0);
    let p = sqz_model::Params::new(n, r, alpha, delta).unwrap();
    let z = sqz_model::positions::disordered(n, w * std::f64::consts::PI, seed, config).unwrap();
    let t = std::time::Instant::now();
    let x = sqz_steady::sparse_direct::solve_sparse_refined(&p, &z, faer::Par::Seq).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let xb = sqz_superop::parity::restrict(n, &x);
    let csr = sqz_superop::csr::assemble(&p, &z).unwrap();
    let mut y = vec![C64::default(); x.len()];
    for (v, (row, col)) in csr.iter() {
        y[row] += v * x[col];
    }
    let residual = y.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
    let mut f = std::fs::File::create(format!("{}.bin", a[5])).unwrap();
    for v in &xb {
        f.write_all(&v.re.to_le_bytes()).unwrap();
        f.write_all(&v.im.to_le_bytes()).unwrap();
    }
    let meta = format!(
        "{{\"n\": {n}, \"r\": {r}, \"alpha\": {alpha}, \"delta\": {delta}, \"w_over_pi\": {w}, \"seed\": {seed}, \"config\": {config}, \"method\": \"sparse LU of the bordered CSR (N^2-pair form) + 1 refinement step\", \"residual\": {residual:e}, \"seconds\": {secs:.2}, \"positions\": {:?}}}\n",
        z
    );
    std::fs::write(format!("{}.json", a[5]), &meta).unwrap();
    print!("{meta}");
}
