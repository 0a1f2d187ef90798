//! Times a sparse direct solve (faer LU of the bordered complex 4^N system, what QuTiP's default
//! `steadystate` does with SuperLU): `cargo run --release -p sqz-steady --example sparse_direct_time -- N W_OVER_PI`.
use faer::sparse::{SparseColMat, Triplet};
use sqz_steady::C64;
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let w: f64 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.3);
    let p = sqz_model::Params::new(n, 0.5, 0.5, 1.0).unwrap();
    let z = sqz_model::positions::disordered(n, w * std::f64::consts::PI, 1, 0).unwrap();
    let t = std::time::Instant::now();
    let d = 1usize << n;
    let csr = sqz_superop::csr::assemble(&p, &z).unwrap();
    let mut trip: Vec<Triplet<usize, usize, C64>> = csr
        .iter()
        .filter(|(_, (r, _))| *r != 0)
        .map(|(v, (r, c))| Triplet::new(r, c, *v))
        .collect();
    trip.extend((0..d).map(|k| Triplet::new(0, k * (d + 1), C64::new(1.0, 0.0))));
    let a = SparseColMat::<usize, C64>::try_new_from_triplets(d * d, d * d, &trip).unwrap();
    let lu = a.sp_lu().unwrap();
    let mut x = faer::Mat::<C64>::zeros(d * d, 1);
    x[(0, 0)] = C64::new(1.0, 0.0);
    use faer::linalg::solvers::SolveCore;
    lu.solve_in_place_with_conj(faer::Conj::No, x.as_mut());
    println!(
        "N={n} w={w}pi: sparse direct {:.3} s, rho[0,0] = {}",
        t.elapsed().as_secs_f64(),
        x[(0, 0)].re
    );
}
