//! Times the parts of the two-level method: `cargo run --release -p sqz-steady --example twolevel_parts -- N`.
use sqz_krylov::LinearOperator;
use sqz_steady::C64;
use std::time::Instant;
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let p = sqz_model::Params::new(n, 0.5, 0.5, 1.0).unwrap();
    let z = sqz_model::positions::disordered(n, 0.01 * std::f64::consts::PI, 1, 0).unwrap();
    let t = Instant::now();
    let sw = sqz_steady::schur_weyl::SchurWeyl::new(&p).unwrap();
    println!(
        "SchurWeyl::new {:.3} s (C_N = {})",
        t.elapsed().as_secs_f64(),
        sw.dim()
    );
    let op = sqz_superop::ParityBlock::new(&p, &z).unwrap();
    let bd = op.dim();
    let (mut x, mut y) = (vec![C64::default(); bd], vec![C64::default(); bd]);
    let reps = 20;
    let t = Instant::now();
    for j in 0..reps {
        sw.prolong_sparse(&sw.herm_terms(j * 7 % sw.dim()), &mut x);
    }
    println!(
        "prolong_sparse {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3 / reps as f64
    );
    let t = Instant::now();
    for _ in 0..reps {
        op.apply(&x, &mut y);
    }
    println!(
        "apply {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3 / reps as f64
    );
    let mut c = vec![C64::default(); sw.dim()];
    let t = Instant::now();
    for _ in 0..reps {
        sw.restrict(&y, &mut c, faer::Par::Seq);
    }
    println!(
        "restrict (seq) {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3 / reps as f64
    );
    let t = Instant::now();
    for _ in 0..reps {
        sw.prolong(&c, &mut x);
    }
    println!(
        "prolong (general) {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3 / reps as f64
    );
    let t = Instant::now();
    for _ in 0..reps {
        let _ = sw.to_herm(&c);
        let _ = sw.from_herm(&c);
    }
    println!(
        "to/from herm {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3 / reps as f64
    );
}
