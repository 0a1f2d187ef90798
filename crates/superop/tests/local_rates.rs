//! Local loss and dephasing in the CSR assembly (issue 17, item 1): the local part of the
//! assembled Liouvillian against a dense superoperator built independently from Kronecker
//! products of the single-TLS operators (`sqz_testkit::dense_lindblad`), at N = 4 and 5; the
//! weak parity, the trace and the trivial steady state at r = 0; the matrix-free operators (full,
//! parity block, Hermitian real form) with local rates against the assembly.

use num_complex::Complex64 as C64;
use sprs::CsMat;
use sqz_model::{positions, Params};
use sqz_superop::{csr, MatFree, ParityBlock};
use sqz_testkit::dense_lindblad::{self, local_reference, Dense};
use std::f64::consts::PI;

fn to_dense(m: &CsMat<C64>) -> Dense {
    let mut d = Dense::zeros(m.rows());
    for (v, (r, c)) in m.iter() {
        d.v[r * m.rows() + c] += *v;
    }
    d
}

fn params(n: usize, r: f64, gl: f64, gd: f64) -> (Params, Params) {
    let p = Params::new(n, r, 0.5, 1.0).unwrap();
    (p, p.with_local_rates(gl, gd).unwrap())
}

#[test]
fn local_terms_equal_the_dense_kronecker_reference_at_n_4_and_5() {
    for n in [4usize, 5] {
        for (gl, gd) in [(0.3, 0.0), (0.0, 0.7), (0.25, 0.4)] {
            for z in [
                positions::ideal(n),
                positions::disordered(n, 0.3 * PI, 7, 1).unwrap(),
            ] {
                let (p0, p1) = params(n, 0.6, gl, gd);
                let with = to_dense(&csr::assemble(&p1, &z).unwrap());
                let without = to_dense(&csr::assemble(&p0, &z).unwrap());
                let want = local_reference(n, gl, gd);
                let mut err: f64 = 0.0;
                for k in 0..want.v.len() {
                    err = err.max((with.v[k] - without.v[k] - want.v[k]).norm());
                }
                assert!(
                    err < 1e-13,
                    "N = {n}, rates ({gl}, {gd}): max deviation {err:e}"
                );
            }
        }
    }
}

#[test]
fn local_terms_keep_the_weak_parity_and_the_trace() {
    for n in [4usize, 5] {
        let d = 1usize << n;
        let (_, p) = params(n, 0.8, 0.4, 0.3);
        let z = positions::disordered(n, 0.2 * PI, 3, 0).unwrap();
        let m = csr::assemble(&p, &z).unwrap();
        let twist = |k: usize| ((k % d).count_ones() + (k / d).count_ones()) % 2;
        let mut col_trace = vec![C64::new(0.0, 0.0); d * d];
        for (v, (r, c)) in m.iter() {
            // ket parity = bra parity is an invariant subspace, and so is its complement
            assert_eq!(
                twist(r),
                twist(c),
                "N = {n}: entry ({r}, {c}) mixes the parities"
            );
            if r % d == r / d {
                col_trace[c] += *v;
            }
        }
        let worst = col_trace.iter().map(|x| x.norm()).fold(0.0, f64::max);
        assert!(worst < 1e-12, "N = {n}: Tr(L rho) = {worst:e} != 0");
    }
}

/// r = 0 with local loss only: all TLS in |g> is a steady state (column of |0><0| vanishes).
#[test]
fn all_ground_is_steady_at_r_0_with_local_loss() {
    for n in [4usize, 5] {
        let (_, p) = params(n, 0.0, 0.5, 0.0);
        let m = csr::assemble(&p, &positions::disordered(n, 0.4 * PI, 1, 2).unwrap()).unwrap();
        let worst = m
            .iter()
            .filter(|(_, (_, c))| *c == 0)
            .map(|(v, _)| v.norm())
            .fold(0.0, f64::max);
        assert!(worst < 1e-14, "N = {n}: L |0><0| has an entry {worst:e}");
    }
}

/// Deterministic pseudo-random complex vector.
fn random_vector(len: usize, seed: u64) -> Vec<C64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    (0..len).map(|_| C64::new(next(), next())).collect()
}

fn rel_err(got: &[C64], want: &[C64]) -> f64 {
    let num: f64 = got.iter().zip(want).map(|(g, w)| (g - w).norm_sqr()).sum();
    let den: f64 = want.iter().map(|w| w.norm_sqr()).sum();
    (num / den).sqrt()
}

/// The matrix-free full-space and parity-block operators with local rates equal the CSR assembly
/// with local rates on random vectors (N = 3 to 6), and the Hermitian real form equals it on
/// Hermitian inputs.
#[test]
fn matrix_free_operators_with_local_rates_equal_the_csr_assembly() {
    use sqz_krylov::LinOp;
    use sqz_superop::csr::restrict_parity;
    use sqz_superop::herm::{to_complex, to_real, HermParity};
    use sqz_superop::parity::{block_dim, block_index, full_index};
    use sqz_superop::CsrLiouvillian;
    // N = 6 also runs the multi-chunk path of the local pass (vectors of 4096 and more)
    for n in [3usize, 4, 5, 6] {
        for (gl, gd) in [(0.3, 0.0), (0.0, 0.7), (0.05, 0.4)] {
            let (_, p) = params(n, 0.6, gl, gd);
            let z = positions::disordered(n, 0.3 * PI, 5, 2).unwrap();
            let csr = csr::assemble(&p, &z).unwrap();
            let full = CsrLiouvillian::from_matrix(csr.clone());
            let blk = CsrLiouvillian::from_matrix(restrict_parity(&csr, n));
            let d2 = 1usize << (2 * n);
            let x = random_vector(d2, n as u64 + 11);
            let (mut want, mut got) = (vec![C64::default(); d2], vec![C64::default(); d2]);
            full.apply(&x, &mut want, &mut full.new_scratch());
            let mf = MatFree::new(&p, &z).unwrap();
            assert!(mf.has_local_rates());
            mf.apply(&x, &mut got, &mut mf.new_scratch());
            let e = rel_err(&got, &want);
            assert!(e < 1e-12, "N = {n} ({gl}, {gd}): MatFree {e:e}");
            // parity block, complex
            let bd = block_dim(n);
            let xb = random_vector(bd, n as u64 + 17);
            let (mut want, mut got) = (vec![C64::default(); bd], vec![C64::default(); bd]);
            blk.apply(&xb, &mut want, &mut blk.new_scratch());
            let pb = ParityBlock::new(&p, &z).unwrap();
            pb.apply(&xb, &mut got, &mut pb.new_scratch());
            let e = rel_err(&got, &want);
            assert!(e < 1e-12, "N = {n} ({gl}, {gd}): ParityBlock {e:e}");
            // Hermitian real form: a Hermitian block vector
            let xh: Vec<C64> = (0..bd)
                .map(|k| {
                    let (a, b) = full_index(n, k);
                    let kt = block_index(n, b, a).unwrap();
                    match a.cmp(&b) {
                        std::cmp::Ordering::Less => xb[k],
                        std::cmp::Ordering::Greater => xb[kt].conj(),
                        std::cmp::Ordering::Equal => C64::new(xb[k].re, 0.0),
                    }
                })
                .collect();
            blk.apply(&xh, &mut want, &mut blk.new_scratch());
            let hp = HermParity::new(&p, &z).unwrap();
            let mut xr = vec![0.0; bd];
            to_real(n, &xh, &mut xr);
            let mut yr = vec![0.0; bd];
            let mut s = hp.new_scratch();
            hp.apply(&xr, &mut yr, &mut s);
            to_complex(n, &yr, &mut got);
            let e = rel_err(&got, &want);
            assert!(
                e < 1e-12,
                "N = {n} ({gl}, {gd}): HermParity real form {e:e}"
            );
            let mut ks = hp.new_kernel_scratch();
            hp.apply_complex(&xb, &mut got, &mut ks);
            blk.apply(&xb, &mut want, &mut blk.new_scratch());
            let e = rel_err(&got, &want);
            assert!(e < 1e-12, "N = {n} ({gl}, {gd}): HermParity complex {e:e}");
        }
    }
}

/// With both rates 0 the operators are the ideal ones: no local pass, the same numbers bit for
/// bit, and the same cost accounting.
#[test]
fn zero_rates_leave_the_matrix_free_operators_unchanged() {
    use sqz_superop::LinOp;
    let (p0, p1) = params(4, 0.5, 0.1, 0.0);
    let pz = p0.with_local_rates(0.0, 0.0).unwrap();
    let z = positions::disordered(4, 0.2 * PI, 3, 1).unwrap();
    let (a, b, c) = (
        MatFree::new(&p0, &z).unwrap(),
        MatFree::new(&pz, &z).unwrap(),
        MatFree::new(&p1, &z).unwrap(),
    );
    assert!(!a.has_local_rates() && !b.has_local_rates() && c.has_local_rates());
    assert_eq!(a.bytes_moved_per_apply(), b.bytes_moved_per_apply());
    assert_eq!(a.madds_per_apply(), b.madds_per_apply());
    assert_eq!(
        c.bytes_moved_per_apply(),
        a.bytes_moved_per_apply() + 3 * 16 * 256
    );
    assert!(c.madds_per_apply() > a.madds_per_apply());
    let x = random_vector(256, 3);
    let (mut ya, mut yb) = (vec![C64::default(); 256], vec![C64::default(); 256]);
    a.apply(&x, &mut ya, &mut a.new_scratch());
    b.apply(&x, &mut yb, &mut b.new_scratch());
    assert_eq!(ya, yb);
    // zero rates: the assembly is unchanged bit for bit
    let (a, b) = (
        csr::assemble(&p0, &z).unwrap(),
        csr::assemble(&pz, &z).unwrap(),
    );
    assert_eq!(a, b);
    assert!(ParityBlock::new(&p1, &z).unwrap().has_local_rates());
}

/// The shared dense reference of the whole Liouvillian (Eq. 3 plus local terms, Kronecker
/// products) equals the assembly at N = 4: it checks the reference the CLI tests of `sqz` use.
#[test]
fn dense_eq3_reference_equals_the_assembly_at_n_4() {
    let n = 4;
    let (_, p) = params(n, 0.6, 0.15, 0.05);
    let z = positions::disordered(n, 0.2 * PI, 4, 1).unwrap();
    let got = to_dense(&csr::assemble(&p, &z).unwrap());
    let want = dense_lindblad::eq3_reference(&p, &z);
    let err = got
        .v
        .iter()
        .zip(&want.v)
        .map(|(a, b)| (a - b).norm())
        .fold(0.0, f64::max);
    assert!(err < 1e-12, "max deviation {err:e}");
    let x = dense_lindblad::null_space_state(&want);
    assert!(dense_lindblad::residual(&want, &x) < 1e-12);
}
