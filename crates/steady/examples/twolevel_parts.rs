//! Times the parts of one two-level GMRES iteration on the real form:
//! `cargo run --release -p sqz-steady --example twolevel_parts -- N [W_OVER_PI]`.
use sqz_krylov::LinOp;
use sqz_steady::coarse::{KronCoarse, Reduced};
use sqz_steady::schur_weyl::SchurWeyl;
use sqz_steady::C64;
use std::time::Instant;

fn time<F: FnMut()>(label: &str, reps: usize, mut f: F) {
    f();
    let t = Instant::now();
    for _ in 0..reps {
        f();
    }
    println!(
        "{label:<40} {:>10.2} ms",
        t.elapsed().as_secs_f64() * 1e3 / reps as f64
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(8);
    let w: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0.01);
    let reps = if n >= 11 { 3 } else { 10 };
    let p = sqz_model::Params::new(n, 0.5, 0.5, 1.0).unwrap();
    let z = sqz_model::positions::disordered(n, w * std::f64::consts::PI, 1, 0).unwrap();
    let t = Instant::now();
    let sw = SchurWeyl::new(&p, faer::Par::Seq).unwrap();
    println!(
        "SchurWeyl::new {:.3} s (C_N = {})",
        t.elapsed().as_secs_f64(),
        sw.dim()
    );
    let t = Instant::now();
    let red = Reduced::new(&sw);
    println!("Reduced::new {:.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let kc = KronCoarse::new(
        &sw,
        &red,
        &sqz_superop::lindblad::TwoJump::new(&p, &z),
        faer::Par::Seq,
    )
    .unwrap();
    println!("KronCoarse::new {:.3} s", t.elapsed().as_secs_f64());
    let op = sqz_superop::herm::HermParity::new(&p, &z).unwrap();
    let bd = op.dim();
    let mut s = op.new_scratch();
    let x: Vec<f64> = (0..bd).map(|i| ((i * 7) as f64).sin()).collect();
    let mut y = vec![0.0; bd];
    time("HermParity apply (real form)", reps, || {
        op.apply(&x, &mut y, &mut s)
    });
    let mut xc = vec![C64::default(); bd];
    let mut yc = vec![C64::default(); bd];
    let mut ks = op.new_kernel_scratch();
    time("to_complex", reps, || {
        sqz_superop::herm::to_complex(n, &x, &mut xc)
    });
    time("to_real", reps, || {
        sqz_superop::herm::to_real(n, &xc, &mut y)
    });
    time("complex kernel apply", reps, || {
        op.apply_complex(&xc, &mut yc, &mut ks)
    });
    let mut c = vec![C64::default(); sw.dim()];
    time("restrict (reference)", reps, || {
        sw.restrict(&xc, &mut c, faer::Par::Seq)
    });
    time("restrict_fast", reps, || {
        sw.restrict_fast(&xc, &mut c, faer::Par::Seq)
    });
    let ch = c.clone();
    time("prolong (reference)", reps, || {
        sw.prolong(&ch, &mut yc, faer::Par::Seq)
    });
    time("prolong_hermitian", reps, || {
        sw.prolong_hermitian(&ch, &mut yc, faer::Par::Seq)
    });
    let mut g = vec![C64::default(); sw.dim()];
    time("coarse E apply (Kronecker)", reps, || kc.apply(&c, &mut g));
    time("coarse M2 (level-2 preconditioner)", reps, || {
        kc.precondition(&c, &mut g)
    });
    let m = 50;
    let basis: Vec<f64> = (0..bd * m).map(|i| ((i * 3) as f64).cos()).collect();
    let mut cc = vec![0.0; m];
    let mut part = vec![0.0; 64 * (m + 1)];
    let arch = pulp::Arch::new();
    time("GS dots + update, 50 real vectors", reps, || {
        sqz_krylov::orth::gs_dots(arch, &basis, bd, m, &y, &mut cc, &mut part);
        cc.iter_mut().for_each(|v| *v *= 1e-3);
        sqz_krylov::orth::gs_update(arch, &basis, bd, m, &cc, &mut y);
    });
}
