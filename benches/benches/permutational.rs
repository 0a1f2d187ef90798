//! Issue 17 benchmarks: the permutational steady state (Eq. 7 + local loss), default options
//! (gap estimate and error bound included): N = 20 and 40 (sparse LU), N = 100 (two-level GMRES),
//! r = 1.14, gamma_loss = 0.05. N = 200 is timed once outside criterion when
//! `SQZ_BENCH_N200=1` (about 4 minutes on 2 cores). Peak memory:
//! `/usr/bin/time -v target/release/examples/perm_time N` (crates/steady/examples).
//! Run: `cargo bench -p sqz-benches --bench permutational`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use sqz_model::Params;
use sqz_steady::permutational::solve as steady_state;
use sqz_steady::SteadyParams;
use std::time::Duration;

fn params(n: usize) -> Params {
    Params::new(n, 1.14, 0.5, 1.0)
        .unwrap()
        .with_local_rates(0.05, 0.0)
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("steady_permutational");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for n in [20usize, 40, 100] {
        g.bench_with_input(BenchmarkId::new("default", n), &params(n), |b, p| {
            b.iter(|| steady_state(p, &SteadyParams::default()).unwrap().residual)
        });
        g.bench_with_input(BenchmarkId::new("no_gap", n), &params(n), |b, p| {
            b.iter(|| {
                steady_state(
                    p,
                    &SteadyParams {
                        estimate_gap: false,
                        ..Default::default()
                    },
                )
                .unwrap()
                .residual
            })
        });
    }
    g.finish();
    if std::env::var("SQZ_BENCH_N200").is_ok_and(|v| v == "1") {
        let t = std::time::Instant::now();
        let s = steady_state(&params(200), &SteadyParams::default()).unwrap();
        eprintln!(
            "steady_permutational/default/200: {:.1} s (one run; solve {:.1} s, gap {:.1} s, method {})",
            t.elapsed().as_secs_f64(),
            s.details.timings.factor + s.details.timings.solve,
            s.details.timings.gap,
            s.method.name()
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
