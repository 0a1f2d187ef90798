//! Issue 2 benchmarks: Eq. 8 (analytic steady state) at N = 100, 1000 and the Eq. 7 Dicke null
//! vector (sparse LU) at N = 100, 400. Run: `cargo bench -p sqz-benches --bench collective`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use sqz_model::{analytic, collective, Params};
use std::time::Duration;

fn eq8(c: &mut Criterion) {
    let mut g = c.benchmark_group("eq8_analytic_xi2");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    let xi2 = |p: &Params, basis: &analytic::Eq8Basis| {
        let s = analytic::steady_state_with(p, basis).unwrap();
        s.moments().squeezing().unwrap().xi2
    };
    for n in [100usize, 1000] {
        let p = Params::new(n, 1.5, 0.5, 1.0).unwrap();
        // cold: everything, including the O(N^2) eigenvectors of S^x
        g.bench_with_input(BenchmarkId::new("cold", n), &p, |b, p| {
            b.iter(|| xi2(p, &analytic::Eq8Basis::new(p.n())))
        });
        // warm: the N-only basis reused, as in the scaling study's scans over r
        let basis = analytic::Eq8Basis::new(n);
        g.bench_with_input(BenchmarkId::new("warm", n), &p, |b, p| {
            b.iter(|| xi2(p, &basis))
        });
    }
    g.finish();
}

fn eq7(c: &mut Criterion) {
    let mut g = c.benchmark_group("eq7_dicke_null_vector");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for n in [100usize, 400] {
        let p = Params::new(n, 1.5, 0.5, 1.0).unwrap();
        g.bench_with_input(BenchmarkId::from_parameter(n), &p, |b, p| {
            b.iter(|| {
                collective::steady_state(p, faer::Par::rayon(0))
                    .unwrap()
                    .residual
            })
        });
    }
    g.finish();
}

criterion_group!(benches, eq8, eq7);
criterion_main!(benches);
