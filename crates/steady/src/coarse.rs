//! The coarse level of the two-level solver without the dense coarse matrix: `E = Y^dag A Z` of
//! Eq. 3 in the Schur–Weyl basis, applied in Kronecker form, and an approximate inverse of it
//! built from that form (the "level-2" preconditioner).
//!
//! ## `E` in Kronecker form
//! In the basis `|J M a>` of [`crate::schur_weyl`] every single-site operator is, by the
//! Wigner–Eckart theorem for the collective SU(2), a Clebsch–Gordan matrix times a reduced matrix
//! on the multiplicity labels:
//!
//! ```text
//! <J' M-1 a'| sigma_i |J M a> = <J M; 1 -1 | J' M-1>  R^(i)_{J'J}[a', a],      |J' - J| <= 1
//! ```
//!
//! (`T_{J'J}` below is the Clebsch–Gordan matrix, [`cg_lower`]). `R^(i)` depends only on N and is
//! built once ([`Reduced`]). With the two-jump form `L(rho) = G rho + rho G^dag + sum_c J_c rho
//! J_c^dag` (`sqz_superop::lindblad`; `G` a quadratic form in the `sigma`s, `J_c = sum_i u_ci
//! sigma_i + v_ci sigma_i^dag`) and `Z c = sum_J rho_J (x) C_J`, `(Y^dag x)_J = Tr_M x_JJ`:
//!
//! ```text
//! (E c)_J' = K_J' C_J' + C_J' K_J'^dag + sum_{J, c} sum_{s,s'} tau^{c J' J}_{ss'} P_s C_J P_s'^dag
//! K_J      = sum_J'' sum_kl [ Tr(T^T T rho_J) A_kl R^(k)T R^(l) + (sigma sigma and sigma^dag sigma^dag terms) ] + g0 I
//! P_1      = sum_i u_ci R^(i)_{J'J},   P_2 = sum_i v_ci R^(i)T_{JJ'},   tau_ss' = Tr(T_s rho_J T_s'^T)
//! ```
//!
//! Every piece is a product of `d_J x d_J'` matrices (`d_J` the multiplicity): one application
//! costs about `24 sum_J d_J^3` complex multiply-adds and no `4^N` vector (N = 12: `C_N = 208012`,
//! `max d_J = 297`). Checked against `Y^dag A Z` formed from full-space applications (tests).
//!
//! ## Level-2 preconditioner
//! At w = 0 every `K_J` is a multiple of the identity and the `J -> J` jump factors are too, and
//! `E = 0`. For w > 0 we move the identity parts of the `J -> J` jump factors into `K`:
//! `E = S + (Delta-sandwiches) + (J -> J +- 1 transfers)` with the Sylvester operator
//! `S(C)_J = K2_J C_J + C_J K2_J^dag`. To first order in w, `E` is `S` (the first-order generator
//! is a commutator with a Hermitian matrix per sector, see docs/numerics.md); what `S` misses is
//! second order and lives mostly on the "populations" `q_a q_a^dag` in the Schur basis
//! `K2_J = Q T Q^dag`. The preconditioner is A-DEF1 on the coarse space, with `S^{-1}`
//! (Bartels–Stewart on the triangular `T`) as smoother and the populations (dimension
//! `sum_J d_J = binom(N, N/2)`) as its own coarse space:
//!
//! ```text
//! M2 f = S^{-1} (f - E Q3 f) + Q3 f,    Q3 = W E3^{-1} W^dag,   E3 = W^dag E W (dense, LU)
//! ```
//!
//! One application of `M2` replaces the exact coarse solve `E^{-1}` of the previous solver: in
//! prototypes (N = 5..7, w = 0.001 .. 0.3 pi) the outer GMRES needed the same number of
//! iterations as with the exact `E^{-1}` (docs/numerics.md).

use crate::schur_weyl::SchurWeyl;
use crate::{SteadyError, C64};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;
use sqz_krylov::par_dense;
use sqz_superop::lindblad::TwoJump;

mod davidson;
mod level2;
mod reduced;
#[cfg(test)]
mod tests;

use davidson::trace_prod;
pub use reduced::{cg_lower, Reduced};

/// `Tr(a rho b^T)` for real `a`, `b` and complex `rho`.
fn trace3(a: &Mat<f64>, rho: &Mat<C64>, b: &Mat<f64>) -> C64 {
    let mut s = C64::default();
    for i in 0..a.nrows() {
        for k in 0..a.ncols() {
            let aik = a[(i, k)];
            if aik == 0.0 {
                continue;
            }
            for l in 0..b.ncols() {
                let bil = b[(i, l)];
                if bil != 0.0 {
                    s += aik * rho[(k, l)] * bil;
                }
            }
        }
    }
    s
}

fn to_c(m: &Mat<f64>) -> Mat<C64> {
    Mat::<C64>::from_fn(m.nrows(), m.ncols(), |i, j| C64::new(m[(i, j)], 0.0))
}

/// One jump term `sum_{ss'} tau_ss' P_s C_from P_s'^dag` into sector `to`.
struct JumpTerm {
    to: usize,
    from: usize,
    /// `[P_1 | P_2 ...]` side by side (`d_to x (m d_from)`)
    p: Vec<Mat<C64>>,
    tau: Vec<Vec<C64>>,
}

/// The quadratic form of `G`: `sum A_kl s+_k s-_l + Bss_kl s-_k s-_l + Cdd_kl s+_k s+_l + g0`.
struct QuadraticForm {
    qa: Vec<Vec<C64>>,
    qb: Vec<Vec<C64>>,
    qc: Vec<Vec<C64>>,
    /// `sum_i g0_i`, the constant part
    g0sum: C64,
}

impl QuadraticForm {
    fn new(tj: &TwoJump) -> Self {
        let n = tj.n;
        let z = C64::default();
        let mut qa = vec![vec![z; n]; n];
        let mut qb = vec![vec![z; n]; n];
        let mut qc = vec![vec![z; n]; n];
        for pc in &tj.g_pairs {
            let (i, j) = (pc.i, pc.j);
            // coef index a_i | a_j << 1 of the output row: 1 = (1,0) s+_i s-_j, 2 = (0,1) s+_j s-_i
            qa[i][j] += pc.coef[1];
            qa[j][i] += pc.coef[2];
            qc[i][j] += pc.coef[3];
            qb[i][j] += pc.coef[0];
        }
        let (mut g0, mut g1) = (vec![z; n], vec![z; n]);
        for c in 0..2 {
            for i in 0..n {
                g0[i] += -0.5 * tj.v[c][i].norm_sqr();
                g1[i] += -0.5 * tj.u[c][i].norm_sqr();
            }
        }
        // the diagonal of G: -i Delta_N n(a) is in g_diag; recover Delta_N from a one-excitation row
        let delta_n = -(tj.g_diag[1].im);
        let mut g0sum = z;
        for i in 0..n {
            qa[i][i] += g1[i] - g0[i] + C64::new(0.0, -delta_n);
            g0sum += g0[i];
        }
        Self { qa, qb, qc, g0sum }
    }
}

/// `inner += sum_l coef[l] R^(l)_{mid, from}` over the nonzero coefficients (`d_mid x d_from`).
fn add_lowering(inner: &mut Mat<C64>, coef: &[C64], red: &Reduced, mid: usize, from: usize) {
    let z = C64::default();
    for (l, &a) in coef.iter().enumerate() {
        if a == z {
            continue;
        }
        let rl = red.r(l, mid, from);
        for c in 0..inner.ncols() {
            for rr in 0..inner.nrows() {
                inner[(rr, c)] += a * rl[(rr, c)];
            }
        }
    }
}

/// The `s+_k s-_l` part of `K2_from` through the sector `mid` (`sigma_l` from -> mid,
/// `sigma_k^dag` back).
#[allow(clippy::too_many_arguments)]
fn add_hopping(
    k: &mut Mat<C64>,
    red: &Reduced,
    sec: &[(usize, usize, usize)],
    form: &QuadraticForm,
    rho: &Mat<C64>,
    mid: usize,
    from: usize,
) {
    let (n, d) = (red.n, sec[from].0);
    if let Some(t) = red.t(mid, from) {
        // Tr(T^T T rho) = Tr(T rho T^T)
        let tr = trace3(t, rho, t);
        if tr.norm() > 0.0 {
            for kk in 0..n {
                let mut inner = Mat::<C64>::zeros(sec[mid].0, d);
                add_lowering(&mut inner, &form.qa[kk], red, mid, from);
                let rk = to_c(red.r(kk, mid, from));
                matmul(
                    k.as_mut(),
                    Accum::Add,
                    rk.transpose(),
                    inner.as_ref(),
                    tr,
                    Par::Seq,
                );
            }
        }
    }
}

/// The `s-_k s-_l` (`sigma_l`: from -> mid, `sigma_k`: mid -> from) and `s+_k s+_l` parts of
/// `K2_from` through the sector `mid`.
#[allow(clippy::too_many_arguments)]
fn add_pairs(
    k: &mut Mat<C64>,
    red: &Reduced,
    sec: &[(usize, usize, usize)],
    form: &QuadraticForm,
    rho: &Mat<C64>,
    mid: usize,
    from: usize,
    par: Par,
) {
    let (n, d, z) = (red.n, sec[from].0, C64::default());
    if let (Some(t1), Some(t2)) = (red.t(from, mid), red.t(mid, from)) {
        let t12 = par_dense::mul(t1.as_ref(), t2.as_ref(), par); // (2J+1) x (2J+1), lowers M by 2
        let tr_b = trace_prod(&t12, rho);
        let t21 = par_dense::mul(t2.transpose(), t1.transpose(), par);
        let tr_c = trace_prod(&t21, rho);
        for kk in 0..n {
            let mut inner_b = Mat::<C64>::zeros(sec[mid].0, d);
            let mut inner_c = Mat::<C64>::zeros(sec[mid].0, d);
            for l in 0..n {
                let (b, cc) = (form.qb[kk][l], form.qc[kk][l]);
                if b != z {
                    let rl = red.r(l, mid, from);
                    for c in 0..d {
                        for rr in 0..sec[mid].0 {
                            inner_b[(rr, c)] += b * rl[(rr, c)];
                        }
                    }
                }
                if cc != z {
                    // s+_l from -> mid: R^(l)T_{from, mid}
                    let rl = red.r(l, from, mid);
                    for c in 0..d {
                        for rr in 0..sec[mid].0 {
                            inner_c[(rr, c)] += cc * rl[(c, rr)];
                        }
                    }
                }
            }
            if tr_b.norm() > 0.0 {
                let rk = to_c(red.r(kk, from, mid));
                matmul(
                    k.as_mut(),
                    Accum::Add,
                    rk.as_ref(),
                    inner_b.as_ref(),
                    tr_b,
                    Par::Seq,
                );
            }
            if tr_c.norm() > 0.0 {
                let rk = to_c(red.r(kk, mid, from));
                matmul(
                    k.as_mut(),
                    Accum::Add,
                    rk.transpose(),
                    inner_c.as_ref(),
                    tr_c,
                    Par::Seq,
                );
            }
        }
    }
}

/// `K2_from` of the quadratic form, before the identity parts of the `J -> J` jumps.
fn k2_block(
    sw: &SchurWeyl,
    red: &Reduced,
    sec: &[(usize, usize, usize)],
    form: &QuadraticForm,
    from: usize,
    par: Par,
) -> Mat<C64> {
    let (d, _, _) = sec[from];
    let rho = sw.sector_rho(from);
    let z = C64::default();
    let mut k = Mat::<C64>::from_fn(d, d, |i, j| if i == j { form.g0sum } else { z });
    for mid in 0..red.ns {
        add_hopping(&mut k, red, sec, form, rho, mid, from);
        add_pairs(&mut k, red, sec, form, rho, mid, from, par);
    }
    k
}

/// The jump terms, with the identity parts of `J -> J` factors moved into `k2`.
fn jump_terms(
    sw: &SchurWeyl,
    red: &Reduced,
    tj: &TwoJump,
    sec: &[(usize, usize, usize)],
    k2: &mut [Mat<C64>],
) -> Vec<JumpTerm> {
    let ns = red.ns;
    let mut terms = Vec::new();
    for c in 0..2 {
        for from in 0..ns {
            let rho = sw.sector_rho(from);
            for to in 0..ns {
                let mut p = Vec::new();
                let mut ts: Vec<Mat<f64>> = Vec::new();
                if let Some(t) = red.t(to, from) {
                    p.push(red.combine(&tj.u[c], to, from, false));
                    ts.push(t.clone());
                }
                if let Some(t) = red.t(from, to) {
                    p.push(red.combine(&tj.v[c], to, from, true));
                    ts.push(t.transpose().to_owned());
                }
                if p.is_empty() {
                    continue;
                }
                let tau: Vec<Vec<C64>> = ts
                    .iter()
                    .map(|a| ts.iter().map(|b| trace3(a, rho, b)).collect())
                    .collect();
                if to == from {
                    move_identity_parts(&mut k2[from], &mut p, &tau, sec[from].0);
                }
                terms.push(JumpTerm { to, from, p, tau });
            }
        }
    }
    terms
}

/// Moves the identity parts of the `J -> J` factors `p` (size `d`) into `k`.
fn move_identity_parts(k: &mut Mat<C64>, p: &mut [Mat<C64>], tau: &[Vec<C64>], d: usize) {
    let ps: Vec<C64> = p
        .iter()
        .map(|m| (0..d).map(|i| m[(i, i)]).sum::<C64>() / d as f64)
        .collect();
    for (m, &pv) in p.iter_mut().zip(&ps) {
        for i in 0..d {
            m[(i, i)] -= pv;
        }
    }
    for a in 0..p.len() {
        for b in 0..p.len() {
            let t = tau[a][b];
            let s = 0.5 * t * ps[a] * ps[b].conj();
            for i in 0..d {
                k[(i, i)] += s;
            }
            let f = t * ps[b].conj();
            for cc in 0..d {
                for rr in 0..d {
                    k[(rr, cc)] += f * p[a][(rr, cc)];
                }
            }
        }
    }
}

/// Schur forms `K2 = Q T Q^dag` of every block via eigenvectors + QR (faer has no public Schur
/// factorisation): the `Q`, the `T` with their strictly lower part dropped, and the largest
/// relative part dropped.
#[allow(clippy::type_complexity)]
fn schur_forms(
    k2: &[Mat<C64>],
    par: Par,
) -> Result<(Vec<Mat<C64>>, Vec<Mat<C64>>, f64), SteadyError> {
    let z = C64::default();
    let mut qs = Vec::with_capacity(k2.len());
    let mut tris = Vec::with_capacity(k2.len());
    let mut defect: f64 = 0.0;
    for k in k2 {
        let d = k.nrows();
        let (q, t) = if d == 1 {
            (
                Mat::<C64>::from_fn(1, 1, |_, _| C64::new(1.0, 0.0)),
                k.clone(),
            )
        } else {
            let evd = par_dense::eigen(k.as_ref(), par)
                .map_err(|e| SteadyError::Unsupported(format!("coarse Schur form: {e:?}")))?;
            let q = par_dense::thin_q(evd.u.as_ref(), par);
            let mut t = par_dense::mul(
                par_dense::mul(q.adjoint(), k.as_ref(), par).as_ref(),
                q.as_ref(),
                par,
            );
            let norm = (0..d)
                .flat_map(|j| (0..d).map(move |i| (i, j)))
                .map(|(i, j)| t[(i, j)].norm_sqr())
                .sum::<f64>()
                .sqrt();
            let mut low = 0.0;
            for j in 0..d {
                for i in j + 1..d {
                    low += t[(i, j)].norm_sqr();
                    t[(i, j)] = z;
                }
            }
            defect = defect.max(low.sqrt() / norm.max(1e-300));
            (q, t)
        };
        qs.push(q);
        tris.push(t);
    }
    Ok((qs, tris, defect))
}

/// The Kronecker-form coarse operator of one configuration and its level-2 preconditioner.
pub struct KronCoarse {
    /// `(d, offset, 2J+1)` per sector
    sec: Vec<(usize, usize, usize)>,
    dim: usize,
    /// `K2_J` (identity parts of the `J -> J` jumps included)
    k2: Vec<Mat<C64>>,
    terms: Vec<JumpTerm>,
    /// `1 / 2^N` (trace deflation `A = L - u t^T`, `Y^dag u = (2J+1)/2^N I`)
    inv_d: f64,
    /// Schur forms `K2 = Q T Q^dag`
    q: Vec<Mat<C64>>,
    tri: Vec<Mat<C64>>,
    /// LU of the populations matrix `E3`
    e3: par_dense::Lu<C64>,
    /// parallelism of the dense algebra (`sqz_steady::SteadyParams::par`)
    par: Par,
    /// largest relative strictly-lower part dropped from a Schur factor (diagnostic)
    pub schur_defect: f64,
}

impl KronCoarse {
    /// The coarse operator for the two-jump data `tj` (one configuration); `par`: the parallelism
    /// of its dense algebra, here and in every later use.
    pub fn new(sw: &SchurWeyl, red: &Reduced, tj: &TwoJump, par: Par) -> Result<Self, SteadyError> {
        let n = red.n;
        let ns = red.ns;
        assert_eq!(tj.n, n, "two-jump data for another N");
        let sec: Vec<(usize, usize, usize)> = (0..ns)
            .map(|k| {
                let (q, d, _, off) = sw.sector(k);
                (d, off, n - 2 * q + 1)
            })
            .collect();
        let form = QuadraticForm::new(tj);
        let mut k2: Vec<Mat<C64>> = (0..ns)
            .map(|from| k2_block(sw, red, &sec, &form, from, par))
            .collect();
        let terms = jump_terms(sw, red, tj, &sec, &mut k2);
        let inv_d = 1.0 / (1u64 << n) as f64;
        let dim = sw.dim();
        let (qs, tris, defect) = schur_forms(&k2, par)?;
        let mut me = Self {
            sec,
            dim,
            k2,
            terms,
            inv_d,
            q: qs,
            tri: tris,
            e3: par_dense::Lu::new(
                Mat::<C64>::from_fn(1, 1, |_, _| C64::new(1.0, 0.0)).as_ref(),
                par,
            ),
            par,
            schur_defect: defect,
        };
        me.e3 = par_dense::Lu::new(me.populations_matrix().as_ref(), par);
        Ok(me)
    }

    /// Dimension of the coarse space, `C_N`.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Orthogonal projection onto the traceless coarse vectors (`sum_J Tr C_J = 0`), an invariant
    /// subspace of `E` that holds every relaxation mode (the trace functional is a left
    /// eigenvector of `E` with eigenvalue `-1`).
    fn remove_trace(&self, v: &mut [C64]) {
        let np = self.populations_dim() as f64;
        let mut tr = C64::default();
        for k in 0..self.sec.len() {
            let b = self.block(v, k);
            for i in 0..b.nrows() {
                tr += b[(i, i)];
            }
        }
        let t = tr / np;
        for k in 0..self.sec.len() {
            let mut b = self.block_mut(v, k);
            for i in 0..b.nrows() {
                b[(i, i)] -= t;
            }
        }
    }

    /// Dimension of the populations space, `sum_J d_J`.
    pub fn populations_dim(&self) -> usize {
        self.sec.iter().map(|s| s.0).sum()
    }

    fn block<'a>(&self, c: &'a [C64], k: usize) -> MatRef<'a, C64> {
        let (d, off, _) = self.sec[k];
        MatRef::from_column_major_slice(&c[off..off + d * d], d, d)
    }

    fn block_mut<'a>(&self, c: &'a mut [C64], k: usize) -> MatMut<'a, C64> {
        let (d, off, _) = self.sec[k];
        MatMut::from_column_major_slice_mut(&mut c[off..off + d * d], d, d)
    }

    /// `out = E c` (trace-deflated, as `Y^dag (L - u t^T) Z`).
    pub fn apply(&self, c: &[C64], out: &mut [C64]) {
        assert_eq!(c.len(), self.dim);
        assert_eq!(out.len(), self.dim);
        let mut tr = C64::default();
        for k in 0..self.sec.len() {
            let b = self.block(c, k);
            for i in 0..b.nrows() {
                tr += b[(i, i)];
            }
        }
        for k in 0..self.sec.len() {
            let cb = self.block(c, k);
            let mut o = self.block_mut(out, k);
            matmul(
                o.as_mut(),
                Accum::Replace,
                self.k2[k].as_ref(),
                cb,
                C64::new(1.0, 0.0),
                Par::Seq,
            );
            matmul(
                o.as_mut(),
                Accum::Add,
                cb,
                self.k2[k].adjoint(),
                C64::new(1.0, 0.0),
                Par::Seq,
            );
            let s = tr * (self.sec[k].2 as f64 * self.inv_d);
            for i in 0..o.nrows() {
                o[(i, i)] -= s;
            }
        }
        for t in &self.terms {
            let cb = self.block(c, t.from);
            let u: Vec<Mat<C64>> =
                t.p.iter()
                    .map(|p| par_dense::mul(p.as_ref(), cb, self.par))
                    .collect();
            let mut o = self.block_mut(out, t.to);
            for (b, pb) in t.p.iter().enumerate() {
                let mut v = Mat::<C64>::zeros(u[0].nrows(), u[0].ncols());
                for (a, ua) in u.iter().enumerate() {
                    let tv = t.tau[a][b];
                    if tv != C64::default() {
                        v += faer::Scale(tv) * ua;
                    }
                }
                matmul(
                    o.as_mut(),
                    Accum::Add,
                    v.as_ref(),
                    pb.adjoint(),
                    C64::new(1.0, 0.0),
                    Par::Seq,
                );
            }
        }
    }
}
