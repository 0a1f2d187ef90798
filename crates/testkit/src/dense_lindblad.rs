//! A dense reference Lindbladian built from explicit Kronecker products of single-TLS operators,
//! independent of the library's assembly (`sqz_superop::csr`) and of its matrix-free engine:
//! Eq. 3 of Bai & An, PRL 127, 083602 (couplings of Eqs. 5-6 from `sqz_model::couplings`), the
//! local loss and dephasing of issue 17, and a dense null-space solve. Shared by the tests of
//! `sqz-superop`, `sqz-permutational` and `sqz`. At ideal positions (`z_i = 2 pi i`) Eq. 3 is the
//! paper's Eq. 7 (`Delta_ij = 0`, `gamma+-_ij = 1`, up to rounding), the reference of the
//! permutational model. Small N only (`4^N` squared entries).

use num_complex::Complex64 as C64;

/// Row-major dense square matrix.
pub struct Dense {
    /// side
    pub d: usize,
    /// entries, row-major
    pub v: Vec<C64>,
}

impl Dense {
    /// The `d x d` zero matrix.
    pub fn zeros(d: usize) -> Self {
        Self {
            d,
            v: vec![C64::new(0.0, 0.0); d * d],
        }
    }
    /// Entry `(r, c)`.
    pub fn at(&self, r: usize, c: usize) -> C64 {
        self.v[r * self.d + c]
    }
    /// The `d x d` identity.
    pub fn identity(d: usize) -> Self {
        let mut m = Self::zeros(d);
        for k in 0..d {
            m.v[k * d + k] = C64::new(1.0, 0.0);
        }
        m
    }
    /// `self o`.
    pub fn mul(&self, o: &Dense) -> Dense {
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
    /// The conjugate transpose.
    pub fn adjoint(&self) -> Dense {
        let d = self.d;
        let mut m = Self::zeros(d);
        for r in 0..d {
            for c in 0..d {
                m.v[c * d + r] = self.at(r, c).conj();
            }
        }
        m
    }
    /// The transpose.
    pub fn transpose(&self) -> Dense {
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
    pub fn kron(&self, o: &Dense) -> Dense {
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
    /// `self += s o`.
    pub fn add_scaled(&mut self, s: f64, o: &Dense) {
        for (a, b) in self.v.iter_mut().zip(&o.v) {
            *a += s * b;
        }
    }
    /// The same matrix as a `faer::Mat`.
    pub fn to_mat(&self) -> faer::Mat<C64> {
        faer::Mat::from_fn(self.d, self.d, |r, c| self.at(r, c))
    }
}

/// A single-TLS operator `op` (2x2, basis |g> = 0, |e> = 1) on TLS i of N, in the basis
/// `b = sum_i n_i 2^i` (TLS 0 the least significant bit): `I (x) .. op .. (x) I` with TLS N-1
/// leftmost.
pub fn embed(op: &Dense, i: usize, n: usize) -> Dense {
    let id2 = Dense::identity(2);
    let mut m = Dense::identity(1);
    for k in (0..n).rev() {
        m = m.kron(if k == i { op } else { &id2 });
    }
    m
}

/// `D[c]` as a superoperator in the column-major convention `vec(A rho B) = (B^T (x) A) vec(rho)`.
pub fn dissipator(c: &Dense) -> Dense {
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
pub fn local_reference(n: usize, gl: f64, gd: f64) -> Dense {
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

/// `lower = |g><e|` and `sigma^z` of one TLS (basis |g> = 0, |e> = 1).
fn single_site() -> (Dense, Dense) {
    let mut lower = Dense::zeros(2);
    lower.v[1] = C64::new(1.0, 0.0);
    let mut sz = Dense::zeros(2);
    sz.v[0] = C64::new(-1.0, 0.0);
    sz.v[3] = C64::new(1.0, 0.0);
    (lower, sz)
}

/// `vec(A rho B) = (B^T (x) A) vec(rho)` (column-major `vec`).
pub fn sandwich(a: &Dense, b: &Dense) -> Dense {
    b.transpose().kron(a)
}

/// The paper's `D(A, B) rho = 2 A rho B - rho B A - B A rho` as a superoperator.
pub fn paper_dissipator(a: &Dense, b: &Dense) -> Dense {
    let id = Dense::identity(a.d);
    let ba = b.mul(a);
    let mut out = Dense::zeros(a.d * a.d);
    out.add_scaled(2.0, &sandwich(a, b));
    out.add_scaled(-1.0, &sandwich(&id, &ba));
    out.add_scaled(-1.0, &sandwich(&ba, &id));
    out
}

/// Adds `c * m` (complex `c`).
fn add_complex(l: &mut Dense, c: C64, m: &Dense) {
    for (a, b) in l.v.iter_mut().zip(&m.v) {
        *a += c * b;
    }
}

/// The whole Liouvillian: Eq. 3 at positions `z` plus the local terms of `p`, dense.
pub fn eq3_reference(p: &sqz_model::Params, z: &[f64]) -> Dense {
    let n = p.n();
    let d = 1usize << n;
    let cp = sqz_model::couplings::Couplings::new(z);
    let (lower, _) = single_site();
    let sm: Vec<Dense> = (0..n).map(|i| embed(&lower, i, n)).collect();
    let spl: Vec<Dense> = sm.iter().map(Dense::adjoint).collect();
    // H = Delta_N sum_i s+_i s-_i - sum_{i != j} Delta_ij (s+_i s-_j + s-_i s+_j) / 2
    let mut h = Dense::zeros(d);
    for i in 0..n {
        h.add_scaled(p.delta_n(), &spl[i].mul(&sm[i]));
        for j in 0..n {
            if i != j {
                h.add_scaled(-0.5 * cp.delta(i, j), &spl[i].mul(&sm[j]));
                h.add_scaled(-0.5 * cp.delta(i, j), &sm[i].mul(&spl[j]));
            }
        }
    }
    let id = Dense::identity(d);
    let mut l = Dense::zeros(d * d);
    // -i [H, rho] = -i H rho + i rho H
    add_complex(&mut l, C64::new(0.0, -1.0), &sandwich(&h, &id));
    add_complex(&mut l, C64::new(0.0, 1.0), &sandwich(&id, &h));
    let (nsq, m) = (p.nsq(), p.m());
    for i in 0..n {
        for j in 0..n {
            let (gm, gp) = (cp.gamma_minus(i, j), cp.gamma_plus(i, j));
            add_complex(
                &mut l,
                C64::new(0.5 * gm * nsq, 0.0),
                &paper_dissipator(&spl[i], &sm[j]),
            );
            add_complex(
                &mut l,
                C64::new(0.5 * gm * (nsq + 1.0), 0.0),
                &paper_dissipator(&sm[i], &spl[j]),
            );
            add_complex(&mut l, -0.5 * gp * m, &paper_dissipator(&spl[i], &spl[j]));
            add_complex(
                &mut l,
                -0.5 * gp * m.conj(),
                &paper_dissipator(&sm[i], &sm[j]),
            );
        }
    }
    if p.has_local_rates() {
        l.add_scaled(1.0, &local_reference(n, p.gamma_loss(), p.gamma_deph()));
    }
    l
}

/// The steady state `vec(rho)` (column-major, trace 1) of a dense Liouvillian `l` of side `4^N`:
/// LU solve of `L x = 0` with the equation of `rho[0, 0]` replaced by `Tr rho = 1` (trace
/// preservation makes it redundant); the state is unique when the system is nonsingular.
pub fn null_space_state(l: &Dense) -> Vec<C64> {
    use faer::linalg::solvers::Solve;
    let dd = l.d;
    let d = (dd as f64).sqrt().round() as usize;
    assert_eq!(d * d, dd, "not a Liouville-space matrix");
    let a = faer::Mat::<C64>::from_fn(dd, dd, |r, c| {
        if r == 0 {
            C64::new(if c % d == c / d { 1.0 } else { 0.0 }, 0.0)
        } else {
            l.at(r, c)
        }
    });
    let mut b = faer::Mat::<C64>::zeros(dd, 1);
    b[(0, 0)] = C64::new(1.0, 0.0);
    let lu = a.partial_piv_lu();
    lu.solve_in_place(b.as_mut());
    (0..dd).map(|k| b[(k, 0)]).collect()
}

/// `max_k |(L x)_k|`.
pub fn residual(l: &Dense, x: &[C64]) -> f64 {
    (0..l.d)
        .map(|r| (0..l.d).map(|c| l.at(r, c) * x[c]).sum::<C64>().norm())
        .fold(0.0, f64::max)
}
