//! Local loss and dephasing in the CSR assembly (issue 17, item 1): the local part of the
//! assembled Liouvillian against a dense superoperator built here independently from Kronecker
//! products of the single-TLS operators, at N = 4 and 5; the weak parity, the trace and the
//! trivial steady state at r = 0; the matrix-free operators refuse local rates.

use num_complex::Complex64 as C64;
use sprs::CsMat;
use sqz_model::{positions, Params};
use sqz_superop::{csr, MatFree, ParityBlock};
use std::f64::consts::PI;

/// Row-major dense square matrix.
struct Dense {
    d: usize,
    v: Vec<C64>,
}

impl Dense {
    fn zeros(d: usize) -> Self {
        Self {
            d,
            v: vec![C64::new(0.0, 0.0); d * d],
        }
    }
    fn at(&self, r: usize, c: usize) -> C64 {
        self.v[r * self.d + c]
    }
    fn identity(d: usize) -> Self {
        let mut m = Self::zeros(d);
        for k in 0..d {
            m.v[k * d + k] = C64::new(1.0, 0.0);
        }
        m
    }
    fn mul(&self, o: &Dense) -> Dense {
        let d = self.d;
        let mut m = Self::zeros(d);
        for r in 0..d {
            for k in 0..d {
                let x = self.at(r, k);
                if x != C64::new(0.0, 0.0) {
                    for c in 0..d {
                        m.v[r * d + c] += x * o.at(k, c);
                    }
                }
            }
        }
        m
    }
    fn adjoint(&self) -> Dense {
        let d = self.d;
        let mut m = Self::zeros(d);
        for r in 0..d {
            for c in 0..d {
                m.v[c * d + r] = self.at(r, c).conj();
            }
        }
        m
    }
    fn transpose(&self) -> Dense {
        let d = self.d;
        let mut m = Self::zeros(d);
        for r in 0..d {
            for c in 0..d {
                m.v[c * d + r] = self.at(r, c);
            }
        }
        m
    }
    /// `self (x) o`.
    fn kron(&self, o: &Dense) -> Dense {
        let (d1, d2) = (self.d, o.d);
        let mut m = Self::zeros(d1 * d2);
        for r1 in 0..d1 {
            for c1 in 0..d1 {
                let x = self.at(r1, c1);
                if x == C64::new(0.0, 0.0) {
                    continue;
                }
                for r2 in 0..d2 {
                    for c2 in 0..d2 {
                        m.v[(r1 * d2 + r2) * m.d + c1 * d2 + c2] = x * o.at(r2, c2);
                    }
                }
            }
        }
        m
    }
    fn add_scaled(&mut self, s: f64, o: &Dense) {
        for (a, b) in self.v.iter_mut().zip(&o.v) {
            *a += s * b;
        }
    }
}

/// A single-TLS operator `op` (2x2, basis |g> = 0, |e> = 1) on TLS i of N, in the basis
/// `b = sum_i n_i 2^i` (TLS 0 the least significant bit): `I (x) .. op .. (x) I` with TLS N-1
/// leftmost.
fn embed(op: &Dense, i: usize, n: usize) -> Dense {
    let id2 = Dense::identity(2);
    let mut m = Dense::identity(1);
    for k in (0..n).rev() {
        m = m.kron(if k == i { op } else { &id2 });
    }
    m
}

/// `D[c]` as a superoperator in the column-major convention `vec(A rho B) = (B^T (x) A) vec(rho)`.
fn dissipator(c: &Dense) -> Dense {
    let d = c.d;
    let id = Dense::identity(d);
    let cd = c.adjoint();
    let cdc = cd.mul(c);
    let mut s = cd.transpose().kron(c);
    s.add_scaled(-0.5, &id.kron(&cdc));
    s.add_scaled(-0.5, &cdc.transpose().kron(&id));
    s
}

/// `sum_i gamma_loss D[sigma_i] + (gamma_deph / 2) D[sigma^z_i]`, dense.
fn local_reference(n: usize, gl: f64, gd: f64) -> Dense {
    let mut lower = Dense::zeros(2);
    lower.v[1] = C64::new(1.0, 0.0); // |g><e|: row g = 0, column e = 1
    let mut sz = Dense::zeros(2);
    sz.v[0] = C64::new(-1.0, 0.0);
    sz.v[3] = C64::new(1.0, 0.0);
    let mut l = Dense::zeros(1 << (2 * n));
    for i in 0..n {
        l.add_scaled(gl, &dissipator(&embed(&lower, i, n)));
        l.add_scaled(0.5 * gd, &dissipator(&embed(&sz, i, n)));
    }
    l
}

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

#[test]
fn matrix_free_operators_refuse_local_rates() {
    let (p0, p1) = params(4, 0.5, 0.1, 0.0);
    let z = positions::ideal(4);
    assert!(MatFree::new(&p0, &z).is_ok());
    let e = MatFree::new(&p1, &z).unwrap_err().to_string();
    assert!(e.contains("gamma_loss") && e.contains("CSR"), "{e}");
    assert!(ParityBlock::new(&p1, &z).is_err());
    // zero rates: the assembly is unchanged bit for bit
    let (a, b) = (
        csr::assemble(&p0, &z).unwrap(),
        csr::assemble(&p0.with_local_rates(0.0, 0.0).unwrap(), &z).unwrap(),
    );
    assert_eq!(a, b);
}
