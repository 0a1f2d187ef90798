//! The matrix-free apply's achieved memory bandwidth over a STREAM-like triad measured in the
//! same process (issue 8): prints one JSON object. Rows: the full-space and parity-block applies,
//! and the Hermitian applies of the parity block (`sqz_superop::herm`: on the real form, and on
//! a Hermitian complex block exact on the upper triangle); every row's `fraction_of_triad` uses
//! the parity apply's byte count (12 sweeps of the complex block), so the Hermitian rows'
//! fractions are comparable speed-ups, not their own traffic.
//! `cargo run --release -p sqz-superop --example bandwidth -- [N ...]` (default N = 10 12).
use rayon::prelude::*;
use sqz_krylov::LinOp;
use sqz_model::{positions, Params};
use sqz_superop::herm::HermParity;
use sqz_superop::{MatFree, ParityBlock, C64};
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn triad() -> f64 {
    const LEN: usize = 1 << 25; // 3 x 256 MiB
    let mut a = vec![0.0f64; LEN];
    let b = vec![1.0f64; LEN];
    let c = vec![2.0f64; LEN];
    let run = |a: &mut [f64]| {
        a.par_chunks_mut(1 << 16)
            .zip(b.par_chunks(1 << 16))
            .zip(c.par_chunks(1 << 16))
            .for_each(|((a, b), c)| {
                for k in 0..a.len() {
                    a[k] = b[k] + 3.0 * c[k];
                }
            })
    };
    run(&mut a);
    let t = median(
        (0..11)
            .map(|_| {
                let t = Instant::now();
                run(&mut a);
                t.elapsed().as_secs_f64()
            })
            .collect(),
    );
    24.0 * LEN as f64 / t
}

fn time_apply<O: LinOp<C64>>(op: &O) -> f64 {
    let x: Vec<C64> = (0..op.dim())
        .map(|k| C64::new(((k * 7) % 13) as f64 - 6.0, ((k * 3) % 5) as f64 - 2.0))
        .collect();
    let mut y = vec![C64::default(); op.dim()];
    let mut s = op.new_scratch();
    op.apply(&x, &mut y, &mut s);
    median(
        (0..7)
            .map(|_| {
                let t = Instant::now();
                op.apply(&x, &mut y, &mut s);
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn main() {
    let ns: Vec<usize> = {
        let v: Vec<usize> = std::env::args()
            .skip(1)
            .filter_map(|s| s.parse().ok())
            .collect();
        if v.is_empty() {
            vec![10, 12]
        } else {
            v
        }
    };
    let bw = triad();
    let mut rows = Vec::new();
    for n in ns {
        let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
        let z = positions::disordered(n, 0.3 * std::f64::consts::PI, 2024, 0).unwrap();
        let mf = MatFree::new(&p, &z).unwrap();
        let t = time_apply(&mf);
        let bytes = mf.bytes_moved_per_apply() as f64;
        rows.push(format!(
            r#"{{"n": {n}, "kind": "matfree", "apply_s": {t}, "bytes": {bytes}, "achieved_gb_s": {}, "fraction_of_triad": {}}}"#,
            bytes / t / 1e9,
            bytes / t / bw
        ));
        drop(mf);
        let pb = ParityBlock::new(&p, &z).unwrap();
        let t_parity = time_apply(&pb);
        let bytes = pb.bytes_moved_per_apply() as f64;
        rows.push(format!(
            r#"{{"n": {n}, "kind": "parity", "apply_s": {t_parity}, "bytes": {bytes}, "achieved_gb_s": {}, "fraction_of_triad": {}}}"#,
            bytes / t_parity / 1e9,
            bytes / t_parity / bw
        ));
        drop(pb);
        let hp = HermParity::new(&p, &z).unwrap();
        let bd = hp.dim();
        let xr: Vec<f64> = (0..bd).map(|k| ((k * 7) % 13) as f64 - 6.0).collect();
        let mut yr = vec![0.0; bd];
        let mut s = hp.new_scratch();
        hp.apply(&xr, &mut yr, &mut s);
        let t = median(
            (0..7)
                .map(|_| {
                    let t = Instant::now();
                    hp.apply(&xr, &mut yr, &mut s);
                    t.elapsed().as_secs_f64()
                })
                .collect(),
        );
        rows.push(format!(
            r#"{{"n": {n}, "kind": "hermitian_real_form", "apply_s": {t}, "bytes": {bytes}, "achieved_gb_s": {}, "fraction_of_triad": {}, "speedup_vs_parity": {}}}"#,
            bytes / t / 1e9,
            bytes / t / bw,
            t_parity / t
        ));
        drop(s);
        let mut xc = vec![C64::default(); bd];
        sqz_superop::herm::to_complex(n, &xr, &mut xc);
        let (mut yc, mut gx) = (vec![C64::default(); bd], vec![C64::default(); bd]);
        let mut ks = hp.new_kernel_scratch();
        let t = median(
            (0..7)
                .map(|_| {
                    let t = Instant::now();
                    hp.apply_hermitian_upper(&xc, &mut yc, &mut ks, &mut gx);
                    t.elapsed().as_secs_f64()
                })
                .collect(),
        );
        rows.push(format!(
            r#"{{"n": {n}, "kind": "hermitian_complex_upper", "apply_s": {t}, "bytes": {bytes}, "achieved_gb_s": {}, "fraction_of_triad": {}, "speedup_vs_parity": {}}}"#,
            bytes / t / 1e9,
            bytes / t / bw,
            t_parity / t
        ));
    }
    println!(
        r#"{{"triad_gb_s": {}, "threads": {}, "rows": [{}]}}"#,
        bw / 1e9,
        rayon::current_num_threads(),
        rows.join(", ")
    );
}
