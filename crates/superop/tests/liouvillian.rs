//! The three Eq. 3 representations against each other, against QuTiP, and against Eq. 7.

mod common;

use common::*;
use num_complex::Complex64 as C64;
use sqz_krylov::LinOp;
use sqz_model::{positions, Params};
use sqz_superop::{basis, csr, parity, CsrLiouvillian, MatFree, ParityBlock};
use std::collections::HashMap;
use std::f64::consts::PI;

const TOL: f64 = 1e-12;

fn apply<O: LinOp<C64>>(op: &O, x: &[C64]) -> Vec<C64> {
    let mut y = vec![C64::new(f64::NAN, 0.0); op.dim()];
    op.apply(x, &mut y, &mut op.new_scratch());
    y
}

struct Fixture {
    params: Params,
    z: Vec<f64>,
    coo: Vec<(usize, usize, C64)>,
    dim: usize,
    rho: Vec<C64>,
    l_rho: Vec<C64>,
}

fn load(n: usize) -> Fixture {
    let f = fixture(&format!("full_liouvillian_N{n}.json"));
    assert_eq!(f["N"].as_u64().unwrap() as usize, n);
    let params = Params::new(
        n,
        f["r"].as_f64().unwrap(),
        f["alpha"].as_f64().unwrap(),
        f["delta"].as_f64().unwrap(),
    )
    .unwrap();
    let l = &f["liouvillian"];
    let (rows, cols) = (usizes(&l["row"]), usizes(&l["col"]));
    let (re, im) = (floats(&l["re"]), floats(&l["im"]));
    let coo = (0..rows.len())
        .map(|k| (rows[k], cols[k], C64::new(re[k], im[k])))
        .collect();
    Fixture {
        params,
        z: floats(&f["positions"]),
        coo,
        dim: usizes(&l["dim"])[0],
        rho: dense_to_vec(&f["rho_test"]),
        l_rho: dense_to_vec(&f["l_rho_test"]),
    }
}

#[test]
fn csr_entries_equal_the_qutip_liouvillian() {
    for n in 2..=5 {
        let fx = load(n);
        let m = csr::assemble(&fx.params, &fx.z).unwrap();
        assert_eq!(m.rows(), fx.dim);
        let mut want: HashMap<(usize, usize), C64> =
            fx.coo.iter().map(|&(r, c, v)| ((r, c), v)).collect();
        let mut worst = 0.0f64;
        for (v, (r, c)) in m.iter() {
            let w = want.remove(&(r, c)).unwrap_or_default();
            worst = worst.max((v - w).norm());
        }
        // entries QuTiP has and we do not
        for v in want.values() {
            worst = worst.max(v.norm());
        }
        assert!(worst < TOL, "N = {n}: max entry difference {worst:e}");
        assert!(m.nnz() <= csr::max_row_nnz(n) * fx.dim);
        assert_eq!(m.nnz(), fx.coo.len(), "N = {n}: nnz");
    }
}

#[test]
fn all_representations_reproduce_l_rho_test() {
    for n in 2..=5 {
        let fx = load(n);
        let c = CsrLiouvillian::new(&fx.params, &fx.z).unwrap();
        let mf = MatFree::new(&fx.params, &fx.z).unwrap();
        let y_csr = apply(&c, &fx.rho);
        let y_mf = apply(&mf, &fx.rho);
        let scale = max_abs(&fx.l_rho).max(1.0);
        assert!(
            max_diff(&y_csr, &fx.l_rho) < TOL * scale,
            "N = {n}: CSR vs QuTiP {:e}",
            max_diff(&y_csr, &fx.l_rho)
        );
        assert!(
            max_diff(&y_mf, &fx.l_rho) < TOL * scale,
            "N = {n}: matrix-free vs QuTiP {:e}",
            max_diff(&y_mf, &fx.l_rho)
        );
        // parity block on the even part of rho_test
        let pb = ParityBlock::new(&fx.params, &fx.z).unwrap();
        let yb = apply(&pb, &parity::restrict(n, &fx.rho));
        let want = parity::restrict(n, &fx.l_rho);
        assert!(
            max_diff(&yb, &want) < TOL * scale,
            "N = {n}: parity block vs QuTiP {:e}",
            max_diff(&yb, &want)
        );
    }
}

#[test]
fn matrix_free_equals_csr_on_random_vectors() {
    // includes N = 1, r = 0 (M = 0, Nsq = 0), ideal positions, large Delta, unsorted positions
    let cases: Vec<(Params, Vec<f64>)> = vec![
        (Params::new(1, 0.4, 0.3, 1.0).unwrap(), vec![0.7]),
        (
            Params::new(2, 0.0, 0.5, 1.0).unwrap(),
            disordered(2, 0.3 * PI, 3),
        ),
        (Params::new(3, 0.8, -1.2, 2.5).unwrap(), positions::ideal(3)),
        (
            Params::new(4, 0.5, 0.5, 1.0).unwrap(),
            vec![3.0, -1.0, 10.2, 0.4],
        ),
        (
            Params::new(5, 1.1, 2.0, -0.7).unwrap(),
            disordered(5, 0.06 * PI, 11),
        ),
        (
            Params::new(6, 0.3, 0.5, 1.0).unwrap(),
            disordered(6, 0.3 * PI, 12),
        ),
        (
            Params::new(7, 0.6, 0.1, 1.0).unwrap(),
            disordered(7, 1.0, 13),
        ),
    ];
    for (k, (p, z)) in cases.iter().enumerate() {
        let n = p.n();
        let c = CsrLiouvillian::new(p, z).unwrap();
        let mf = MatFree::new(p, z).unwrap();
        for seed in 0..2 {
            let x = random_vec(c.dim(), 100 * k as u64 + seed);
            let (a, b) = (apply(&c, &x), apply(&mf, &x));
            let scale = max_abs(&a).max(1.0);
            assert!(
                max_diff(&a, &b) < TOL * scale,
                "case {k} (N = {n}): {:e}",
                max_diff(&a, &b)
            );
        }
        // a scratch reused across applies gives the same as a fresh one
        let x = random_vec(c.dim(), 7);
        let mut s = mf.new_scratch();
        let mut y = vec![C64::default(); c.dim()];
        mf.apply(&random_vec(c.dim(), 8), &mut y, &mut s);
        mf.apply(&x, &mut y, &mut s);
        assert_eq!(y, apply(&mf, &x));
    }
}

#[test]
fn trace_and_hermiticity_are_preserved() {
    for n in [2, 3, 5, 6] {
        let p = Params::new(n, 0.7, 0.9, 1.3).unwrap();
        let z = disordered(n, 0.3 * PI, 40 + n as u64);
        let d = 1 << n;
        let (csr_op, mf_op) = (
            CsrLiouvillian::new(&p, &z).unwrap(),
            MatFree::new(&p, &z).unwrap(),
        );
        type Apply<'a> = Box<dyn Fn(&[C64]) -> Vec<C64> + 'a>;
        let ops: Vec<(&str, Apply<'_>)> = vec![
            ("csr", Box::new(|x: &[C64]| apply(&csr_op, x))),
            ("matrix-free", Box::new(|x: &[C64]| apply(&mf_op, x))),
        ];
        for seed in 0..3 {
            // a general (non-Hermitian) matrix: Tr L(x) = 0 holds for every x
            let x = random_vec(d * d, 500 + seed);
            let xh: Vec<C64> = (0..d * d)
                .map(|k| x[(k / d) + d * (k % d)].conj())
                .collect();
            for (name, op) in &ops {
                let y = op(&x);
                let tr = basis::trace(&y);
                assert!(
                    tr.norm() < 1e-12 * max_abs(&y),
                    "{name} N = {n}: Tr L(x) = {tr}"
                );
                let yh = op(&xh);
                for a in 0..d {
                    for b in 0..d {
                        let diff = (yh[a + d * b] - y[b + d * a].conj()).norm();
                        assert!(
                            diff < 1e-12 * max_abs(&y),
                            "{name} N = {n}: L(x^dag) != L(x)^dag at ({a},{b}): {diff:e}"
                        );
                    }
                }
            }
            // a density matrix: L(rho) Hermitian and traceless
            let rho = random_rho(d, 900 + seed);
            let y = (ops[1].1)(&rho);
            assert!(basis::trace(&y).norm() < 1e-12);
        }
    }
}

#[test]
fn parity_block_equals_the_restricted_full_operator() {
    for n in 1..=5 {
        let p = Params::new(n, 0.45, 0.5, 1.0).unwrap();
        let z = disordered(n, 0.3 * PI, 70 + n as u64);
        let pb = ParityBlock::new(&p, &z).unwrap();
        assert_eq!(pb.dim(), parity::block_dim(n));
        let full = csr::assemble(&p, &z).unwrap();
        let blk = CsrLiouvillian::from_matrix(csr::restrict_parity(&full, n));
        let x = random_vec(pb.dim(), 3 + n as u64);
        let (a, b) = (apply(&blk, &x), apply(&pb, &x));
        assert!(
            max_diff(&a, &b) < TOL * max_abs(&a).max(1.0),
            "N = {n}: {:e}",
            max_diff(&a, &b)
        );
        // the full operator maps the block into itself
        let y = apply(&CsrLiouvillian::from_matrix(full), &parity::embed(n, &x));
        assert_eq!(parity::restrict(n, &y).len(), x.len());
        let back = parity::embed(n, &parity::restrict(n, &y));
        assert!(
            max_diff(&back, &y) < 1e-14,
            "N = {n}: leaks out of the block"
        );
        assert!(max_diff(&parity::restrict(n, &y), &a) < TOL * max_abs(&a).max(1.0));
    }
    // larger N, against the full matrix-free operator
    for n in [6, 7] {
        let p = Params::new(n, 0.6, 0.2, 1.0).unwrap();
        let z = disordered(n, 0.1 * PI, 5);
        let (pb, mf) = (
            ParityBlock::new(&p, &z).unwrap(),
            MatFree::new(&p, &z).unwrap(),
        );
        let x = random_vec(pb.dim(), 9);
        let a = parity::restrict(n, &apply(&mf, &parity::embed(n, &x)));
        let b = apply(&pb, &x);
        assert!(
            max_diff(&a, &b) < TOL * max_abs(&a).max(1.0),
            "N = {n}: {:e}",
            max_diff(&a, &b)
        );
    }
}

/// `<<j,k1; j,k2| L |j,k3; j,k4>>` from full-space Dicke vectors equals Eq. 7.
#[test]
fn ideal_positions_on_the_symmetric_subspace_give_eq7() {
    for (n, r, alpha, delta) in [
        (2, 0.5, 0.5, 1.0),
        (3, 0.7, 0.5, 1.0),
        (4, 0.3, 1.1, 0.4),
        (5, 0.9, -0.4, 1.7),
    ] {
        let p = Params::new(n, r, alpha, delta).unwrap();
        let z = positions::ideal(n);
        let mf = MatFree::new(&p, &z).unwrap();
        let d = 1usize << n;
        let dk: Vec<Vec<C64>> = (0..=n).map(|k| basis::dicke_vector(n, k)).collect();
        let nd = n + 1;
        let mut got = vec![C64::default(); nd * nd * nd * nd];
        for k3 in 0..nd {
            for k4 in 0..nd {
                // vec(|k3><k4|)
                let mut x = vec![C64::default(); d * d];
                for b in 0..d {
                    for a in 0..d {
                        x[a + d * b] = dk[k3][a] * dk[k4][b].conj();
                    }
                }
                let y = apply(&mf, &x);
                // project: <k1| Y |k2>, and check Y stays in the symmetric subspace
                let mut proj = vec![C64::default(); d * d];
                for k1 in 0..nd {
                    for k2 in 0..nd {
                        let mut s = C64::default();
                        for b in 0..d {
                            for a in 0..d {
                                s += dk[k1][a].conj() * y[a + d * b] * dk[k2][b];
                            }
                        }
                        got[(k1 + nd * k2) + nd * nd * (k3 + nd * k4)] = s;
                        for b in 0..d {
                            for a in 0..d {
                                proj[a + d * b] += s * dk[k1][a] * dk[k2][b].conj();
                            }
                        }
                    }
                }
                assert!(
                    max_diff(&proj, &y) < 1e-12,
                    "N = {n}: L leaves the symmetric subspace"
                );
            }
        }
        let mut want = vec![C64::default(); got.len()];
        for (row, col, v) in sqz_model::collective::liouvillian_triplets(&p) {
            want[row + nd * nd * col] += v;
        }
        assert!(
            max_diff(&got, &want) < 1e-12,
            "N = {n}: Dicke restriction vs Eq. 7: {:e}",
            max_diff(&got, &want)
        );
    }
}

#[test]
fn constructors_reject_bad_positions() {
    let p = Params::new(3, 0.5, 0.5, 1.0).unwrap();
    assert!(MatFree::new(&p, &[0.0, 1.0]).is_err());
    assert!(ParityBlock::new(&p, &[0.0, 1.0, f64::NAN]).is_err());
    assert!(csr::assemble(&p, &[0.0; 4]).is_err());
    let big = Params::new(40, 0.5, 0.5, 1.0).unwrap();
    let e = MatFree::new(&big, &positions::ideal(40))
        .unwrap_err()
        .to_string();
    assert!(e.contains("N = 40"), "{e}");
}

#[test]
fn two_jump_diagonal_equals_the_csr_diagonal() {
    for n in [1, 3, 5] {
        let p = Params::new(n, 0.8, 0.2, 1.4).unwrap();
        let z = disordered(n, 0.3 * PI, 31);
        let m = csr::assemble(&p, &z).unwrap();
        let tj = sqz_superop::lindblad::TwoJump::new(&p, &z);
        let d = 1 << n;
        for b in 0..d {
            for a in 0..d {
                let r = a + d * b;
                let got = m.get(r, r).copied().unwrap_or_default();
                assert!(
                    (got - tj.liouvillian_diagonal(a, b)).norm() < 1e-13,
                    "N = {n} ({a},{b})"
                );
            }
        }
    }
}
