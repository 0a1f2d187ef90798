//! Benchmarks of the Eq. 3 superoperator (sqz-superop):
//!
//! * `csr_assembly/N`: assembly of the CSR matrix, N = 6..9 (nnz and bytes printed);
//! * `matfree_apply/N`, `parity_apply/N`: one matrix-free apply, N = 6..12;
//! * `triad`: a STREAM-like triad `a[i] = b[i] + s c[i]` on three f64 vectors of 256 MiB each
//!   (768 MiB), both cores, to measure the memory bandwidth in the same run.
//!
//! At the end it prints (stderr) a table: bytes moved per apply (each vector access counted once,
//! as STREAM counts the triad), the time that traffic takes at the triad bandwidth, the measured
//! apply time and their ratio, and the complex multiply-add rate.
//!
//! Run: `cargo bench -p sqz-benches --bench superop` (about 3 minutes on 2 cores). A subset:
//! `cargo bench -p sqz-benches --bench superop -- matfree_apply/10`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rayon::prelude::*;
use sqz_model::{positions, Params};
use sqz_superop::{csr, LinOp, MatFree, ParityBlock, C64};
use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// (N, kind, bytes moved per apply, multiply-adds per apply, best wall seconds per apply,
/// CPU seconds per apply summed over threads)
type Row = (usize, &'static str, u64, u64, f64, f64);
static ROWS: Mutex<Vec<Row>> = Mutex::new(Vec::new());
static BANDWIDTH: Mutex<Option<f64>> = Mutex::new(None);

fn model(n: usize) -> (Params, Vec<f64>) {
    let p = Params::new(n, 0.5, Params::DEFAULT_ALPHA, Params::DEFAULT_DELTA).unwrap();
    let z = positions::disordered(n, 0.3 * std::f64::consts::PI, 2024, 0).unwrap();
    (p, z)
}

fn test_vector(len: usize) -> Vec<C64> {
    (0..len)
        .map(|k| C64::new(((k * 7) % 13) as f64 - 6.0, ((k * 3) % 5) as f64 - 2.0))
        .collect()
}

/// CPU time of all threads of this process (seconds), from `/proc/self/task/*/schedstat`
/// (Linux); 0 elsewhere. Unlike wall time, it hardly changes when other processes compete for
/// the cores, so `cpu / threads` estimates the apply time on an otherwise idle machine.
fn cpu_seconds() -> f64 {
    let mut ns = 0u64;
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for e in dir.flatten() {
            if let Ok(s) = std::fs::read_to_string(e.path().join("schedstat")) {
                ns += s
                    .split_whitespace()
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
    }
    ns as f64 * 1e-9
}

fn best_of(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

fn triad(c: &mut Criterion) {
    const LEN: usize = 1 << 25; // 3 x 256 MiB
    let mut a = vec![0.0f64; LEN];
    let b = vec![1.0f64; LEN];
    let cc = vec![2.0f64; LEN];
    let s = 3.0;
    let run = |a: &mut [f64]| {
        a.par_chunks_mut(1 << 16)
            .zip(b.par_chunks(1 << 16))
            .zip(cc.par_chunks(1 << 16))
            .for_each(|((a, b), c)| {
                for k in 0..a.len() {
                    a[k] = b[k] + s * c[k];
                }
            })
    };
    run(&mut a);
    let mut times: Vec<f64> = (0..11).map(|_| best_of(1, || run(&mut a))).collect();
    times.sort_by(f64::total_cmp);
    let (t, fastest) = (times[5], times[0]);
    let bw = 24.0 * LEN as f64 / t;
    eprintln!(
        "triad: {:.1} GB/s median of 11 (fastest {:.1} GB/s; {} MiB moved per sweep, {} threads)",
        bw / 1e9,
        24.0 * LEN as f64 / fastest / 1e9,
        (24 * LEN) >> 20,
        rayon::current_num_threads()
    );
    *BANDWIDTH.lock().unwrap() = Some(bw);
    let mut g = c.benchmark_group("triad");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Bytes(24 * LEN as u64));
    g.bench_function("768MiB", |bch| bch.iter(|| run(black_box(&mut a))));
    g.finish();
}

fn csr_assembly(c: &mut Criterion) {
    let mut g = c.benchmark_group("csr_assembly");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_millis(500));
    for n in 6..=9 {
        let (p, z) = model(n);
        let (t0, c0) = (Instant::now(), cpu_seconds());
        let m = csr::assemble(&p, &z).unwrap();
        let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
        let bytes = m.nnz() * (16 + 8) + (m.rows() + 1) * 8;
        eprintln!(
            "csr N={n}: dim {} nnz {} ({:.1} per row), {:.1} MiB (estimate {:.1} MiB); \
             one assembly {:.3} s wall, {:.3} s CPU over all threads",
            m.rows(),
            m.nnz(),
            m.nnz() as f64 / m.rows() as f64,
            bytes as f64 / 1048576.0,
            sqz_superop::memory::estimate(n).csr_bytes as f64 / 1048576.0,
            wall,
            cpu
        );
        drop(m);
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| csr::assemble(black_box(&p), &z).unwrap())
        });
    }
    g.finish();
}

fn apply_group<O: LinOp<C64>>(
    c: &mut Criterion,
    name: &'static str,
    build: impl Fn(&Params, &[f64]) -> (O, u64, u64),
) {
    let mut g = c.benchmark_group(name);
    for n in 6..=12 {
        let (p, z) = model(n);
        let (op, bytes, madds) = build(&p, &z);
        let x = test_vector(op.dim());
        let mut y = vec![C64::default(); op.dim()];
        let mut s = op.new_scratch();
        op.apply(&x, &mut y, &mut s);
        let reps = if n >= 11 { 3 } else { 20 };
        let c0 = cpu_seconds();
        let best = best_of(reps, || op.apply(&x, &mut y, &mut s));
        let cpu = (cpu_seconds() - c0) / reps as f64;
        ROWS.lock()
            .unwrap()
            .push((n, name, bytes, madds, best, cpu));
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(if n >= 11 { 8 } else { 3 }));
        g.warm_up_time(Duration::from_millis(if n >= 11 { 100 } else { 500 }));
        g.throughput(Throughput::Elements(op.dim() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| op.apply(black_box(&x), &mut y, &mut s))
        });
    }
    g.finish();
}

fn matfree_apply(c: &mut Criterion) {
    apply_group(c, "matfree_apply", |p, z| {
        let op = MatFree::new(p, z).unwrap();
        let (b, m) = (op.bytes_moved_per_apply(), op.madds_per_apply());
        (op, b, m)
    });
}

fn parity_apply(c: &mut Criterion) {
    apply_group(c, "parity_apply", |p, z| {
        let op = ParityBlock::new(p, z).unwrap();
        let (b, m) = (op.bytes_moved_per_apply(), op.madds_per_apply());
        (op, b, m)
    });
}

fn report(_c: &mut Criterion) {
    let bw = BANDWIDTH.lock().unwrap().unwrap_or(f64::NAN);
    eprintln!(
        "\nmatrix-free apply vs memory bandwidth (triad {:.1} GB/s):",
        bw / 1e9
    );
    let threads = rayon::current_num_threads() as f64;
    eprintln!(
        "{:>3} {:>14} {:>10} {:>10} {:>10} {:>8} {:>13} {:>9}",
        "N", "operator", "MB/apply", "floor ms", "apply ms", "ratio", "cpu/thr ms", "Gmadd/s"
    );
    for &(n, name, bytes, madds, t, cpu) in ROWS.lock().unwrap().iter() {
        let floor = bytes as f64 / bw;
        eprintln!(
            "{n:>3} {name:>14} {:>10.1} {:>10.3} {:>10.3} {:>8.2} {:>13.3} {:>9.2}",
            bytes as f64 / 1e6,
            floor * 1e3,
            t * 1e3,
            t / floor,
            cpu / threads * 1e3,
            madds as f64 / t / 1e9
        );
    }
    eprintln!(
        "(floor = bytes moved / triad bandwidth; ratio = apply / floor, 1 would be bandwidth-bound;\n \
         cpu/thr = CPU time of all threads / {threads} threads, the apply time on an idle machine)"
    );
}

criterion_group!(
    benches,
    triad,
    csr_assembly,
    matfree_apply,
    parity_apply,
    report
);
criterion_main!(benches);
