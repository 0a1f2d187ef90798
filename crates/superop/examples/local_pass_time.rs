//! Cost of the local loss/dephasing pass (`sqz_superop::local`) in the matrix-free parity-block
//! apply: seconds per apply without and with rates, and the bytes model of each:
//! `cargo run --release -p sqz-superop --example local_pass_time -- N [APPLIES]`.
use sqz_superop::{LinOp, ParityBlock, C64};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let reps: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20);
    let p0 = sqz_model::Params::new(n, 0.5, 0.5, 1.0).unwrap();
    let z = sqz_model::positions::disordered(n, 0.1 * std::f64::consts::PI, 1, 0).unwrap();
    for (label, p) in [
        ("no rates", p0),
        (
            "gamma_loss 0.1, gamma_deph 0.1",
            p0.with_local_rates(0.1, 0.1).unwrap(),
        ),
    ] {
        let op = ParityBlock::new(&p, &z).unwrap();
        let x: Vec<C64> = (0..op.dim())
            .map(|k| C64::new((k as f64 * 0.37).sin(), (k as f64 * 0.11).cos()))
            .collect();
        let mut y = vec![C64::default(); op.dim()];
        let mut sc = op.new_scratch();
        op.apply(&x, &mut y, &mut sc);
        let t = std::time::Instant::now();
        for _ in 0..reps {
            op.apply(&x, &mut y, &mut sc);
        }
        let s = t.elapsed().as_secs_f64() / reps as f64;
        println!(
            "N = {n}, {label}: {:.4} s per apply, {:.1} GB/s by the bytes model ({} bytes, {} madds)",
            s,
            op.bytes_moved_per_apply() as f64 / s / 1e9,
            op.bytes_moved_per_apply(),
            op.madds_per_apply()
        );
    }
}
