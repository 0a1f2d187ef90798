//! Quick timings: `cargo run --release -p sqz-superop --example timing -- [nmin] [nmax]`.
use sqz_krylov::LinOp;
use sqz_model::{positions, Params};
use sqz_superop::{csr, MatFree, ParityBlock, C64};
use std::time::Instant;

/// CPU time of all threads of this process (ns), from /proc/self/task/*/schedstat.
fn cpu_ns() -> u64 {
    let mut t = 0;
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for e in dir.flatten() {
            if let Ok(s) = std::fs::read_to_string(e.path().join("schedstat")) {
                t += s
                    .split_whitespace()
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
    }
    t
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let (lo, hi) = (
        args.first().copied().unwrap_or(6),
        args.get(1).copied().unwrap_or(12),
    );
    {
        use rayon::prelude::*;
        let len = 1 << 25; // 3 x 256 MiB
        let (mut a, b, c) = (vec![0.0f64; len], vec![1.0f64; len], vec![2.0f64; len]);
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            a.par_chunks_mut(1 << 16)
                .zip(b.par_chunks(1 << 16))
                .zip(c.par_chunks(1 << 16))
                .for_each(|((a, b), c)| {
                    for k in 0..a.len() {
                        a[k] = b[k] + 3.0 * c[k];
                    }
                });
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!(
            "triad: {:.1} GB/s (24 bytes/element, {} elements)",
            24.0 * len as f64 / best / 1e9,
            len
        );
    }
    for n in lo..=hi {
        let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
        let z = positions::disordered(n, 0.3 * std::f64::consts::PI, 1, 0).unwrap();
        if n <= 9 {
            let t = Instant::now();
            let m = csr::assemble(&p, &z).unwrap();
            println!(
                "N={n:2} csr assembly {:8.3} s  nnz {}",
                t.elapsed().as_secs_f64(),
                m.nnz()
            );
        }
        let mf = MatFree::new(&p, &z).unwrap();
        let x: Vec<C64> = (0..mf.dim())
            .map(|k| C64::new((k % 7) as f64, (k % 3) as f64))
            .collect();
        let mut y = vec![C64::default(); mf.dim()];
        let mut s = mf.new_scratch();
        mf.apply(&x, &mut y, &mut s);
        let reps = if n >= 11 { 3 } else { 10 };
        let (t, c) = (Instant::now(), cpu_ns());
        for _ in 0..reps {
            mf.apply(&x, &mut y, &mut s);
        }
        let tm = t.elapsed().as_secs_f64() / reps as f64;
        let cm = (cpu_ns() - c) as f64 * 1e-9 / reps as f64;
        println!(
            "      matfree cpu {:.3} ms per apply (all threads)",
            cm * 1e3
        );
        let ps = s.pass_seconds().map(|v| v / (reps + 1) as f64 * 1e3);
        println!(
            "      passes A {:.2} B {:.2} C {:.2} D {:.2} ms",
            ps[0], ps[1], ps[2], ps[3]
        );
        let pb = ParityBlock::new(&p, &z).unwrap();
        let xb = &x[..pb.dim()];
        let mut yb = vec![C64::default(); pb.dim()];
        let mut sb = pb.new_scratch();
        pb.apply(xb, &mut yb, &mut sb);
        let t = Instant::now();
        for _ in 0..reps {
            pb.apply(xb, &mut yb, &mut sb);
        }
        let tp = t.elapsed().as_secs_f64() / reps as f64;
        println!(
            "N={n:2} matfree apply {:9.4} ms   parity {:9.4} ms",
            tm * 1e3,
            tp * 1e3
        );
    }
}
