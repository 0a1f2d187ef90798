//! Counts slow modes of the parity block: `cargo run --release -p sqz-steady --example spectrum -- N W_OVER_PI R`.
use sqz_steady::C64;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let n: usize = a.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let w: f64 = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(0.3);
    let r: f64 = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(0.5);
    let p = sqz_model::Params::new(n, r, 0.5, 1.0).unwrap();
    let z = sqz_model::positions::disordered(n, w * std::f64::consts::PI, 1, 0).unwrap();
    let csr = sqz_superop::csr::assemble(&p, &z).unwrap();
    let blk = sqz_superop::csr::restrict_parity(&csr, n);
    let m = blk.rows();
    let mut d = faer::Mat::<C64>::zeros(m, m);
    for (v, (i, j)) in blk.iter() {
        d[(i, j)] += *v;
    }
    let mut ev = d.eigenvalues().unwrap();
    ev.sort_by(|x, y| x.re.abs().total_cmp(&y.re.abs()));
    let counts: Vec<(f64, usize)> = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
        .iter()
        .map(|&t| (t, ev.iter().filter(|l| l.re.abs() < t).count()))
        .collect();
    println!(
        "N={n} w={w}pi r={r}: dim {m}, catalan {}, #|Re l| < t: {counts:?}",
        sqz_steady::ideal::catalan(n)
    );
    println!("slowest: {:?}", &ev[..8.min(ev.len())]);
    println!("fastest |Re|: {}", ev.last().unwrap().re.abs());
}
