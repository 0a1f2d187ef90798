//! Issue 5 benchmarks: Krylov time evolution (`sqz_krylov::expv`), with the observables computed
//! at every output time as `sqz evolve` does.
//!
//! * Eq. 3, N = 5, parity block, from all ground to t = 3000/A (301 output times), disorder
//!   w = 0.03 pi (seed 1, configuration 0), r = 0.5: target < 2 s;
//! * Eq. 7, N = 30 (Fig. 2, r = 0.8), from |j,-j> to t = 4/A (41 output times): target < 1 s.
//!
//! N = 10 to t = 200/A is measured once with `sqz evolve` (minutes; see docs/performance.md).
//! Run: `cargo bench -p sqz-benches --bench evolve`.

use criterion::{criterion_group, criterion_main, Criterion};
use num_complex::Complex64 as C64;
use sqz_dynamics::{DickeLiouvillian, Orthogonalization};
use sqz_krylov::expv::{expv_times, Event, ExpvParams, ExpvWorkspace};
use sqz_krylov::LinOp;
use sqz_model::{observables, positions, Params};
use sqz_superop::{observables as full_obs, parity, ParityBlock};
use std::ops::ControlFlow;
use std::time::Duration;

fn grid(t_max: f64, k: usize) -> Vec<f64> {
    (0..=k).map(|i| t_max * i as f64 / k as f64).collect()
}

/// `sqz evolve`'s choice: full Gram-Schmidt up to 2^14 unknowns, incomplete:4 above.
fn params(dim: usize) -> ExpvParams {
    ExpvParams {
        orthogonalization: Orthogonalization::Auto.resolve(dim),
        ..ExpvParams::default()
    }
}

fn full_n5(c: &mut Criterion) {
    let n = 5;
    let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
    let z = positions::disordered(n, 0.03 * std::f64::consts::PI, 1, 0).unwrap();
    let op = ParityBlock::new(&p, &z).unwrap();
    let times = grid(3000.0, 300);
    let prm = params(op.dim());
    let mut ws = ExpvWorkspace::new(op.dim(), prm.krylov_dim);
    let mut sa = op.new_scratch();
    let mut g = c.benchmark_group("evolve_full");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.bench_function("n5_w0.03pi_t3000", |b| {
        b.iter(|| {
            let mut v = parity::ground_state(n);
            let mut last = 0.0;
            expv_times(&op, &mut sa, &times, &mut v, &prm, &mut ws, |ev| {
                if let Event::Output { w, .. } = ev {
                    last = full_obs::moments_parity(w).squeezing().unwrap().inv_xi2;
                }
                ControlFlow::Continue(())
            })
            .unwrap();
            last
        })
    });
    g.finish();
}

fn collective_n30(c: &mut Criterion) {
    let n = 30;
    let p = Params::new(n, 0.8, 0.5, 1.0).unwrap();
    let op = DickeLiouvillian::new(&p);
    let times = grid(4.0, 40);
    let prm = params(op.dim());
    let mut ws = ExpvWorkspace::new(op.dim(), prm.krylov_dim);
    let d = n + 1;
    let mut g = c.benchmark_group("evolve_collective");
    g.sample_size(20);
    g.bench_function("n30_r0.8_t4", |b| {
        b.iter(|| {
            let mut v = vec![C64::new(0.0, 0.0); d * d];
            v[0] = C64::new(1.0, 0.0);
            let mut last = 0.0;
            expv_times(&op, &mut (), &times, &mut v, &prm, &mut ws, |ev| {
                if let Event::Output { w, .. } = ev {
                    let rho = faer::Mat::from_fn(d, d, |i, j| w[i + d * j]);
                    last = observables::moments(&rho).squeezing().unwrap().inv_xi2;
                }
                ControlFlow::Continue(())
            })
            .unwrap();
            last
        })
    });
    g.finish();
}

criterion_group!(benches, full_n5, collective_n30);
criterion_main!(benches);
