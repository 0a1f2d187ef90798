//! The same bits on any number of threads: `observables::moments_factored` (the moments of
//! Eq. 8's `rho = F F^dag`, used by `sqz analytic`, `sqz scaling` and `sqz reproduce`) summed
//! with rayon's adaptive splitting gave results that differed in the last bit between runs and
//! thread counts (`sqz reproduce --quick`, Fig. 1(b) at r = 1.2: 0.1457123686475231 or ..232).

use faer::Mat;
use sqz_model::observables::moments_factored;
use sqz_model::C64;

fn bits(n: usize, threads: usize) -> Vec<u64> {
    // a deterministic, unstructured F (no symmetry that would make the sums exact)
    let f = Mat::<C64>::from_fn(n + 1, n + 1, |i, j| {
        let a = ((i * 7919 + j * 104_729) % 1000) as f64 / 997.0;
        let b = ((i * 31 + j * 17 + 5) % 113) as f64 / 109.0;
        C64::new(a - 0.4 + 1.0 / (1.0 + (i + j) as f64), b * 0.3 - 0.1)
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let m = pool.install(|| moments_factored(&f));
    m.mean
        .iter()
        .chain(m.second.iter().flatten())
        .map(|v| v.to_bits())
        .collect()
}

#[test]
fn moments_factored_gives_the_same_bits_on_any_number_of_threads() {
    for n in [50, 300, 1000] {
        let one = bits(n, 1);
        for threads in [2, 3, 4, 7, 16] {
            for _ in 0..3 {
                assert_eq!(bits(n, threads), one, "N = {n}, {threads} threads");
            }
        }
    }
}
