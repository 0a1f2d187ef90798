//! Issue 4 benchmarks: the full-space steady state of Eq. 3 at the default accuracy (dense
//! real-Hermitian LU with gap estimate), at w = 0.01 pi and 0.3 pi, next to a sparse direct solve
//! of the bordered complex 4^N system (what QuTiP's default `steadystate` does, here with faer's
//! sparse LU). Run: `cargo bench -p sqz-benches --bench steady`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use faer::sparse::{SparseColMat, Triplet};
use sqz_model::{positions, Params};
use sqz_steady::{solve, SteadyParams, C64};
use std::f64::consts::PI;
use std::time::Duration;

/// Sparse LU of the full bordered Liouvillian (row 0 replaced by the trace), one solve.
fn sparse_direct(p: &Params, z: &[f64]) -> f64 {
    let n = p.n();
    let d = 1usize << n;
    let csr = sqz_superop::csr::assemble(p, z).unwrap();
    let mut t: Vec<Triplet<usize, usize, C64>> = csr
        .iter()
        .filter(|(_, (r, _))| *r != 0)
        .map(|(v, (r, c))| Triplet::new(r, c, *v))
        .collect();
    t.extend((0..d).map(|k| Triplet::new(0, k * (d + 1), C64::new(1.0, 0.0))));
    let a = SparseColMat::<usize, C64>::try_new_from_triplets(d * d, d * d, &t).unwrap();
    let lu = a.sp_lu().unwrap();
    let mut x = faer::Mat::<C64>::zeros(d * d, 1);
    x[(0, 0)] = C64::new(1.0, 0.0);
    use faer::linalg::solvers::SolveCore;
    lu.solve_in_place_with_conj(faer::Conj::No, x.as_mut());
    x[(0, 0)].re
}

fn steady(c: &mut Criterion) {
    let mut g = c.benchmark_group("steady_full");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    for n in [5usize, 6] {
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
                BenchmarkId::new(format!("dense_w{w}pi"), n),
                &(p, z.clone()),
                |b, (p, z)| b.iter(|| solve(p, z, &SteadyParams::default()).unwrap().residual),
            );
            if w == 0.3 {
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
}

criterion_group!(benches, steady);
criterion_main!(benches);
