//! The Taylor coefficients `L1`, `L2` in Kronecker (Wigner–Eckart) form and the first- and
//! second-order generators `G1`, `G2` as terms `t * L C_J R`.

use super::*;

/// One Kronecker term `s (x) m` of an operator block (spin part `s`, multiplicity part `m`).
#[derive(Clone)]
pub(super) struct KTerm {
    pub(super) s: Mat<C64>,
    pub(super) m: Mat<C64>,
}

/// An operator on `(C^2)^N` in the Schur–Weyl basis: per sector pair `(to, from)` a sum of
/// Kronecker terms.
#[derive(Clone)]
pub(super) struct KOp {
    pub(super) ns: usize,
    pub(super) b: Vec<Vec<KTerm>>,
}

impl KOp {
    pub(super) fn zero(ns: usize) -> Self {
        Self {
            ns,
            b: (0..ns * ns).map(|_| Vec::new()).collect(),
        }
    }

    pub(super) fn at(&self, to: usize, from: usize) -> &[KTerm] {
        &self.b[to * self.ns + from]
    }

    /// `coef * S-[f]`, `S-[f] = sum_i f_i sigma_i`.
    pub(super) fn lowering(su: &LimitSetup, f: &[f64], coef: C64) -> Self {
        let ns = su.ns();
        let mut op = Self::zero(ns);
        let fc: Vec<C64> = f.iter().map(|&x| coef * x).collect();
        let scale = fc.iter().map(|x| x.norm()).fold(0.0, f64::max);
        for to in 0..ns {
            for from in 0..ns {
                let Some(t) = su.red.t(to, from) else {
                    continue;
                };
                let m = su.red.combine(&fc, to, from, false);
                // the collective S- (f = const) does not connect different sectors: drop the
                // rounding-level blocks
                if max_abs(&m) <= 1e-12 * scale {
                    continue;
                }
                op.b[to * ns + from].push(KTerm { s: to_c(t), m });
            }
        }
        op
    }

    pub(super) fn adjoint(&self) -> Self {
        let ns = self.ns;
        let mut op = Self::zero(ns);
        for to in 0..ns {
            for from in 0..ns {
                op.b[from * ns + to] = self
                    .at(to, from)
                    .iter()
                    .map(|t| KTerm {
                        s: adj(&t.s),
                        m: adj(&t.m),
                    })
                    .collect();
            }
        }
        op
    }

    pub(super) fn plus(mut self, o: Self) -> Self {
        for (a, b) in self.b.iter_mut().zip(o.b) {
            a.extend(b);
        }
        self
    }

    /// `H1 = -sum_{i != j} Delta'_ij s+_i s-_j`: block `(J', J)` is
    /// `sum_J'' (T_{J''J'}^T T_{J''J}) (x) (-sum_ij Delta'_ij R^(i)T_{J''J'} R^(j)_{J''J})`.
    pub(super) fn h1(su: &LimitSetup, dp: &[f64]) -> Self {
        let n = su.n();
        let ns = su.ns();
        let mut op = Self::zero(ns);
        for mid in 0..ns {
            for from in 0..ns {
                let Some(tf) = su.red.t(mid, from) else {
                    continue;
                };
                let (dm, df) = (su.sec[mid].d, su.sec[from].d);
                // W_i = sum_j Delta'_ij R^(j)_{mid, from}
                let w: Vec<Mat<f64>> = (0..n)
                    .map(|i| {
                        let mut acc = Mat::<f64>::zeros(dm, df);
                        for j in 0..n {
                            let c = dp[i * n + j];
                            if c == 0.0 {
                                continue;
                            }
                            let r = su.red.r(j, mid, from);
                            for cc in 0..df {
                                for rr in 0..dm {
                                    acc[(rr, cc)] += c * r[(rr, cc)];
                                }
                            }
                        }
                        acc
                    })
                    .collect();
                for to in 0..ns {
                    let Some(tt) = su.red.t(mid, to) else {
                        continue;
                    };
                    let s = sqz_krylov::par_dense::mul(tt.transpose(), tf.as_ref(), su.par);
                    if s.norm_max() == 0.0 {
                        continue;
                    }
                    let dt = su.sec[to].d;
                    let mut m = Mat::<f64>::zeros(dt, df);
                    for (i, wi) in w.iter().enumerate() {
                        let ri = su.red.r(i, mid, to);
                        faer::linalg::matmul::matmul(
                            m.as_mut(),
                            faer::Accum::Add,
                            ri.transpose(),
                            wi.as_ref(),
                            -1.0,
                            Par::Seq,
                        );
                    }
                    op.b[to * ns + from].push(KTerm {
                        s: to_c(&s),
                        m: to_c(&m),
                    });
                }
            }
        }
        op
    }
}

/// The Taylor data of one configuration in Kronecker form.
pub(super) struct KronTaylor {
    pub(super) h1: KOp,
    /// `(P, Q)` pairs of `L2 = 2 sum D(P, Q)`
    pub(super) pairs: Vec<(KOp, KOp)>,
}

impl KronTaylor {
    pub(super) fn new(su: &LimitSetup, chi: &[f64]) -> Self {
        let n = su.n();
        let one = vec![1.0; n];
        let chi2: Vec<f64> = chi.iter().map(|c| c * c).collect();
        let (u0, v0) = (su.u0, su.v0);
        // c S+[f] = (conj(c) S-[f])^dag
        let j0 = KOp::lowering(su, &one, u0).plus(KOp::lowering(su, &one, v0.conj()).adjoint());
        let k1 = KOp::lowering(su, chi, u0).plus(KOp::lowering(su, chi, -v0.conj()).adjoint());
        let j2 = KOp::lowering(su, &chi2, -0.5 * u0)
            .plus(KOp::lowering(su, &chi2, -0.5 * v0.conj()).adjoint());
        Self {
            h1: KOp::h1(su, &delta_prime(chi)),
            pairs: vec![(j0.clone(), j2.clone()), (j2, j0), (k1.clone(), k1)],
        }
    }
}

/// A receiver of the terms `t * L C_J R` of a coarse operator applied to `C_J` (sector `j`),
/// landing in sector `k`; `None` stands for the identity.
pub(super) trait Acc {
    fn add(&mut self, k: usize, j: usize, t: C64, l: Option<&Mat<C64>>, r: Option<&Mat<C64>>);
}

/// One term of a symbolic super-vector `sum s (x) (L C R)` in block `(a, b)`.
pub(super) struct XTerm {
    pub(super) a: usize,
    pub(super) b: usize,
    pub(super) s: Mat<C64>,
    pub(super) l: Option<Mat<C64>>,
    pub(super) r: Option<Mat<C64>>,
}

pub(super) fn opt_mul(a: Option<&Mat<C64>>, b: Option<&Mat<C64>>, par: Par) -> Option<Mat<C64>> {
    match (a, b) {
        (None, None) => None,
        (Some(a), None) => Some(a.clone()),
        (None, Some(b)) => Some(b.clone()),
        (Some(a), Some(b)) => Some(mul(a, b, par)),
    }
}

/// `Y^dag L1 Z C_J` (the first-order generator), as terms.
pub(super) fn g1_terms(su: &LimitSetup, kt: &KronTaylor, j: usize, acc: &mut impl Acc) {
    let rho = &su.rho[j];
    for h in kt.h1.at(j, j) {
        acc.add(j, j, -IM * trace_prod(&h.s, rho), Some(&h.m), None);
        acc.add(j, j, IM * trace_prod(rho, &h.s), None, Some(&h.m));
    }
}

/// `G2 C_J = Y^dag L2 Z C_J - Y^dag L1 L0^# L1 Z C_J`, as terms.
pub(super) fn g2_terms(su: &LimitSetup, kt: &KronTaylor, j: usize, acc: &mut impl Acc) {
    let ns = su.ns();
    let rho = &su.rho[j];
    // Y^dag L2 Z C:  L2 = 2 sum_(P,Q) [P X Q^dag - (1/2) Q^dag P X - (1/2) X Q^dag P]
    for (p, q) in &kt.pairs {
        for k in 0..ns {
            for pt in p.at(k, j) {
                let pr = mul(&pt.s, rho, su.par);
                for qt in q.at(k, j) {
                    let qsa = adj(&qt.s);
                    // sandwich into sector k
                    let t = 2.0 * trace_prod(&pr, &qsa);
                    if t != ZERO {
                        acc.add(k, j, t, Some(&pt.m), Some(&adj(&qt.m)));
                    }
                    // (Q^dag P)_{jj} through sector k, left and right of C_J
                    let qp_s = mul(&qsa, &pt.s, su.par);
                    let tl = -trace_prod(&qp_s, rho);
                    let tr = -trace_prod(rho, &qp_s);
                    if tl != ZERO || tr != ZERO {
                        let qp_m = mul(&adj(&qt.m), &pt.m, su.par);
                        if tl != ZERO {
                            acc.add(j, j, tl, Some(&qp_m), None);
                        }
                        if tr != ZERO {
                            acc.add(j, j, tr, None, Some(&qp_m));
                        }
                    }
                }
            }
        }
    }
    // X1 = L1 Z C = -i H1 Z C + i Z C H1, then X2 = L0^# X1 blockwise on the spin parts
    let mut x2: Vec<XTerm> = Vec::new();
    for a in 0..ns {
        for h in kt.h1.at(a, j) {
            let s = scaled(&mul(&h.s, rho, su.par), -IM);
            x2.push(XTerm {
                a,
                b: j,
                s: su.apply_ginv(a, j, &s),
                l: Some(h.m.clone()),
                r: None,
            });
        }
    }
    for b in 0..ns {
        for h in kt.h1.at(j, b) {
            let s = scaled(&mul(rho, &h.s, su.par), IM);
            x2.push(XTerm {
                a: j,
                b,
                s: su.apply_ginv(j, b, &s),
                l: None,
                r: Some(h.m.clone()),
            });
        }
    }
    // - Y^dag L1 X2 = i Y^dag H1 X2 - i Y^dag X2 H1
    for x in &x2 {
        // (H1 X2)_{kk} with x in block (a, k): H1 block (k, a)
        let k = x.b;
        for h in kt.h1.at(k, x.a) {
            let t = IM * trace_prod(&h.s, &x.s);
            if t != ZERO {
                let l = opt_mul(Some(&h.m), x.l.as_ref(), su.par);
                acc.add(k, j, t, l.as_ref(), x.r.as_ref());
            }
        }
        // (X2 H1)_{kk} with x in block (k, b): H1 block (b, k)
        let k = x.a;
        for h in kt.h1.at(x.b, k) {
            let t = -IM * trace_prod(&x.s, &h.s);
            if t != ZERO {
                let r = opt_mul(x.r.as_ref(), Some(&h.m), su.par);
                acc.add(k, j, t, x.l.as_ref(), r.as_ref());
            }
        }
    }
}

/// Applies the terms to all coarse unit vectors of the source sector (a dense column block).
pub(super) struct DenseAcc<'a> {
    pub(super) su: &'a LimitSetup,
    /// `C_N x C_N`
    pub(super) m: Mat<C64>,
}

impl Acc for DenseAcc<'_> {
    fn add(&mut self, k: usize, j: usize, t: C64, l: Option<&Mat<C64>>, r: Option<&Mat<C64>>) {
        let (sk, sj) = (self.su.sec[k], self.su.sec[j]);
        // column (a, b) of sector j: E_ab -> t (L e_a)(e_b^T R) in sector k
        for b in 0..sj.d {
            for a in 0..sj.d {
                let col = sj.off + a + sj.d * b;
                for y in 0..sk.d {
                    let rv = match r {
                        Some(r) => r[(b, y)],
                        None => {
                            if b == y {
                                ONE
                            } else {
                                ZERO
                            }
                        }
                    };
                    if rv == ZERO {
                        continue;
                    }
                    for x in 0..sk.d {
                        let lv = match l {
                            Some(l) => l[(x, a)],
                            None => {
                                if x == a {
                                    ONE
                                } else {
                                    ZERO
                                }
                            }
                        };
                        self.m[(sk.off + x + sk.d * y, col)] += t * lv * rv;
                    }
                }
            }
        }
    }
}

/// `G1` and `G2` as dense `C_N x C_N` matrices in the coarse coordinates, from the Kronecker
/// form (for checks against [`full_space_generators`]; cost `O(C_N^2)` memory).
pub fn kronecker_generators(su: &LimitSetup, chi: &[f64]) -> (Mat<C64>, Mat<C64>) {
    let kt = KronTaylor::new(su, chi);
    let cn = su.sw.dim();
    let mut g1 = DenseAcc {
        su,
        m: Mat::<C64>::zeros(cn, cn),
    };
    let mut g2 = DenseAcc {
        su,
        m: Mat::<C64>::zeros(cn, cn),
    };
    for j in 0..su.ns() {
        g1_terms(su, &kt, j, &mut g1);
        g2_terms(su, &kt, j, &mut g2);
    }
    (g1.m, g2.m)
}

/// `h_J` (real symmetric) per sector: `G1 C_J = -i [h_J, C_J]`.
pub fn h_matrices(su: &LimitSetup, chi: &[f64]) -> Vec<Mat<f64>> {
    let kt = KronTaylor::new(su, chi);
    h_from(su, &kt)
}

pub(super) fn h_from(su: &LimitSetup, kt: &KronTaylor) -> Vec<Mat<f64>> {
    (0..su.ns())
        .map(|j| {
            let d = su.sec[j].d;
            let mut h = Mat::<C64>::zeros(d, d);
            for t in kt.h1.at(j, j) {
                let c = trace_prod(&t.s, &su.rho[j]);
                h += faer::Scale(c) * &t.m;
            }
            // symmetrise (exact up to rounding: real symmetric by construction)
            Mat::<f64>::from_fn(d, d, |a, b| 0.5 * (h[(a, b)].re + h[(b, a)].re))
        })
        .collect()
}
