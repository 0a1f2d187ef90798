//! Benchmarks of the full-space steady state of Eq. 3 at the default accuracy (N = 5: dense
//! real-Hermitian LU with gap estimate; N = 6..9: two-level GMRES on the real form with the
//! Schur–Weyl coarse space in Kronecker form and its Galerkin gap estimate), at w = 0.01 pi and
//! 0.3 pi, next to a sparse direct solve of the bordered complex 4^N system (what QuTiP's default
//! `steadystate` does, here with faer's sparse LU) at N = 5, 6 and, timed once outside criterion
//! in the same run, N = 7.
//! Run: `cargo bench -p sqz-benches --bench steady` (about 6 minutes). N = 10..12 and peak
//! memory: `scripts/bench/steady_table.sh`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use sqz_model::{positions, Params};
use sqz_steady::{solve, SteadyParams};
use std::f64::consts::PI;
use std::time::Duration;

fn sparse_direct(p: &Params, z: &[f64]) -> f64 {
    sqz_steady::sparse_direct::solve_sparse_bordered(p, z, faer::get_global_parallelism()).unwrap()
        [0]
    .re
}

fn steady(c: &mut Criterion) {
    let mut g = c.benchmark_group("steady_full");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    for n in [5usize, 6, 7, 8, 9] {
        // small dense problems: sequential faer is faster than waking threads
        faer::set_global_parallelism(if n <= 5 {
            faer::Par::Seq
        } else {
            faer::Par::rayon(0)
        });
        for w in [0.01, 0.3] {
            let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
            let z = positions::disordered(n, w * PI, 1, 0).unwrap();
            g.bench_with_input(
                BenchmarkId::new(format!("default_w{w}pi"), n),
                &(p, z.clone()),
                |b, (p, z)| b.iter(|| solve(p, z, &SteadyParams::default()).unwrap().residual),
            );
            if w == 0.3 && n <= 6 {
                g.bench_with_input(
                    BenchmarkId::new("sparse_direct_w0.3pi", n),
                    &(p, z),
                    |b, (p, z)| b.iter(|| sparse_direct(p, z)),
                );
            }
        }
    }
    faer::set_global_parallelism(faer::Par::rayon(0));
    g.finish();
    let p = Params::new(7, 0.5, 0.5, 1.0).unwrap();
    let z = positions::disordered(7, 0.3 * PI, 1, 0).unwrap();
    let t = std::time::Instant::now();
    sparse_direct(&p, &z);
    eprintln!(
        "steady_full/sparse_direct_w0.3pi/7: {:.1} s (one run)",
        t.elapsed().as_secs_f64()
    );
}

criterion_group!(benches, steady);
criterion_main!(benches);
