//! The same bits on any number of threads: the Gram-Schmidt kernels and norms that GMRES,
//! GMRES-DR and the Krylov propagator run split long vectors into tasks; the split (and the order
//! in which partial sums are added) depended on the thread count, so a solve on 2 threads and on
//! 16 differed in the last bits. Now it depends on the length only.

use sqz_krylov::orth::{gs_dots, gs_update, norm2, GS_TASKS};

fn run(threads: usize) -> Vec<u64> {
    let n = 1 << 20; // above GS_BLOCK: several tasks
    let k = 3;
    let v = |i: usize, j: usize| ((i * 7919 + j * 104_729) % 1009) as f64 / 1009.0 - 0.45;
    let basis: Vec<f64> = (0..k).flat_map(|j| (0..n).map(move |i| v(i, j))).collect();
    let mut p: Vec<f64> = (0..n).map(|i| v(i, 11) + 1e-3 * (i % 17) as f64).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let arch = pulp::Arch::new();
        let mut c = vec![0.0; k];
        let mut partial = vec![0.0; GS_TASKS * (k + 1)];
        let before = gs_dots(arch, &basis, n, k, &p, &mut c, &mut partial);
        let after = gs_update(arch, &basis, n, k, &c, &mut p);
        let mut out: Vec<u64> = c.iter().map(|x| x.to_bits()).collect();
        out.extend([before.to_bits(), after.to_bits(), norm2(&p).to_bits()]);
        out
    })
}

#[test]
fn gram_schmidt_gives_the_same_bits_on_any_number_of_threads() {
    let one = run(1);
    for threads in [2, 3, 4, 8, 16] {
        assert_eq!(run(threads), one, "{threads} threads");
    }
}
