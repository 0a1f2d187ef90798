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
use faer::linalg::solvers::Solve;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;
use sqz_superop::lindblad::TwoJump;

/// `T[k', k] = <J M; 1 -1 | J' M-1>` with `k = M + J`, `k' = M - 1 + J'` (Condon–Shortley), for
/// `2J = two_j`, `2J' = two_jp`; the matrix element of the spherical component `-1` of a vector
/// operator between `|J M>` and `|J' M-1>` up to the reduced matrix element.
pub fn cg_lower(two_j: usize, two_jp: usize) -> Mat<f64> {
    let j = two_j as f64 / 2.0;
    let jp = two_jp as f64 / 2.0;
    let mut t = Mat::<f64>::zeros(two_jp + 1, two_j + 1);
    for k in 0..=two_j {
        let m = k as f64 - j;
        let mp = m - 1.0;
        let kp = mp + jp;
        if kp < -0.25 || kp > two_jp as f64 + 0.25 {
            continue;
        }
        let kp = kp.round() as usize;
        let v = if two_jp == two_j + 2 {
            ((j - mp) * (j - mp + 1.0) / ((2.0 * j + 1.0) * (2.0 * j + 2.0))).sqrt()
        } else if two_jp == two_j {
            if two_j == 0 {
                0.0
            } else {
                ((j - mp) * (j + mp + 1.0) / (2.0 * j * (j + 1.0))).sqrt()
            }
        } else if two_jp + 2 == two_j {
            ((j + mp) * (j + mp + 1.0) / (2.0 * j * (2.0 * j + 1.0))).sqrt()
        } else {
            0.0
        };
        t[(kp, k)] = v;
    }
    t
}

/// The configuration-independent part of the Kronecker form: Clebsch–Gordan matrices and the
/// reduced matrices `R^(i)_{J'J}` of every `sigma_i` between sectors (indexed by sector number,
/// `q = N/2 - J`).
pub struct Reduced {
    n: usize,
    ns: usize,
    /// `t[to * ns + from]`: `T_{J'J}` where `sigma` maps sector `from` into sector `to`
    t: Vec<Option<Mat<f64>>>,
    /// `r[(i * ns + to) * ns + from]`: `R^(i)_{J'J}` (`d_to x d_from`)
    r: Vec<Option<Mat<f64>>>,
}

impl Reduced {
    /// Builds the reduced matrices from the basis of `sw`: for each sector pair one block
    /// `B_{e-1}[:, J']^T sigma_i B_e[:, J]` at the `M` with the largest Clebsch–Gordan
    /// coefficient, divided by it.
    pub fn new(sw: &SchurWeyl) -> Self {
        let n = sw.n();
        let ns = sw.n_sectors();
        let mut t = vec![None; ns * ns];
        let mut r = vec![None; n * ns * ns];
        for from in 0..ns {
            let (q, d, col, _) = sw.sector(from);
            let two_j = n - 2 * q;
            for to in 0..ns {
                let (qp, dp, colp, _) = sw.sector(to);
                let two_jp = n - 2 * qp;
                if two_jp.abs_diff(two_j) > 2 {
                    continue;
                }
                let tm = cg_lower(two_j, two_jp);
                // the largest coefficient, ties to the smallest excitation block
                let mut best = (0.0, 0usize, 0usize);
                for k in 0..=two_j {
                    for kp in 0..=two_jp {
                        let v = tm[(kp, k)];
                        if v > best.0 * (1.0 + 1e-9) {
                            best = (v, kp, k);
                        }
                    }
                }
                if best.0 < 1e-12 {
                    continue;
                }
                let (tv, _, k) = best;
                let e = q + k;
                let be = sw.basis_real(e);
                let bf = sw.basis_real(e - 1);
                let (se, sf) = (sw.states(e), sw.states(e - 1));
                let pos = |s: usize| sf.binary_search(&s).expect("state with e-1 excitations");
                for i in 0..n {
                    // M = sigma_i B_e[:, from] (rows: e-1 states)
                    let mut m = Mat::<f64>::zeros(sf.len(), d);
                    for (row, &s) in se.iter().enumerate() {
                        if (s >> i) & 1 == 1 {
                            let rr = pos(s ^ (1 << i));
                            for a in 0..d {
                                m[(rr, a)] = be[(row, col + a)];
                            }
                        }
                    }
                    let mut red = Mat::<f64>::zeros(dp, d);
                    matmul(
                        red.as_mut(),
                        Accum::Replace,
                        bf.subcols(colp, dp).transpose(),
                        m.as_ref(),
                        1.0 / tv,
                        Par::Seq,
                    );
                    r[(i * ns + to) * ns + from] = Some(red);
                }
                t[to * ns + from] = Some(tm);
            }
        }
        Self { n, ns, t, r }
    }

    /// The Clebsch–Gordan matrix `T_{J'J}` (sector `from` -> `to` under `sigma`), if connected.
    pub fn t(&self, to: usize, from: usize) -> Option<&Mat<f64>> {
        self.t[to * self.ns + from].as_ref()
    }

    /// The reduced matrix `R^(i)_{J'J}` of `sigma_i` from sector `from` to `to`.
    ///
    /// # Panics
    /// If the sectors are not connected ([`Reduced::t`] is `None`).
    pub fn r(&self, i: usize, to: usize, from: usize) -> &Mat<f64> {
        self.r[(i * self.ns + to) * self.ns + from]
            .as_ref()
            .expect("reduced matrix of a connected sector pair")
    }

    /// `sum_i w_i R^(i)_{to, from}` (or its transpose `sum_i w_i R^(i)T_{from, to}` when
    /// `transpose`, the factor of `sigma_i^dag` from `from` to `to`).
    pub fn combine(&self, w: &[C64], to: usize, from: usize, transpose: bool) -> Mat<C64> {
        let (a, b) = if transpose { (from, to) } else { (to, from) };
        let r0 = self.r(0, a, b);
        let (nr, nc) = if transpose {
            (r0.ncols(), r0.nrows())
        } else {
            (r0.nrows(), r0.ncols())
        };
        let mut out = Mat::<C64>::zeros(nr, nc);
        for (i, wi) in w.iter().enumerate() {
            let ri = self.r(i, a, b);
            for c in 0..nc {
                for rr in 0..nr {
                    let v = if transpose { ri[(c, rr)] } else { ri[(rr, c)] };
                    out[(rr, c)] += wi * v;
                }
            }
        }
        out
    }

    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        let m = |x: &Option<Mat<f64>>| x.as_ref().map_or(0, |m| m.nrows() * m.ncols());
        ((self.t.iter().map(m).sum::<usize>() + self.r.iter().map(m).sum::<usize>()) * 8) as u64
    }
}

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
    e3: faer::linalg::solvers::PartialPivLu<C64>,
    /// largest relative strictly-lower part dropped from a Schur factor (diagnostic)
    pub schur_defect: f64,
}

impl KronCoarse {
    /// The coarse operator for the two-jump data `tj` (one configuration).
    pub fn new(sw: &SchurWeyl, red: &Reduced, tj: &TwoJump) -> Result<Self, SteadyError> {
        let n = red.n;
        let ns = red.ns;
        assert_eq!(tj.n, n, "two-jump data for another N");
        let sec: Vec<(usize, usize, usize)> = (0..ns)
            .map(|k| {
                let (q, d, _, off) = sw.sector(k);
                (d, off, n - 2 * q + 1)
            })
            .collect();
        // quadratic form of G: sum A_kl s+_k s-_l + Bss_kl s-_k s-_l + Cdd_kl s+_k s+_l + g0
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
        let mut k2: Vec<Mat<C64>> = Vec::with_capacity(ns);
        for from in 0..ns {
            let (d, _, _) = sec[from];
            let rho = sw.sector_rho(from);
            let mut k = Mat::<C64>::from_fn(d, d, |i, j| if i == j { g0sum } else { z });
            for mid in 0..ns {
                // s+_k s-_l: sigma_l from -> mid, sigma_k^dag back
                if let Some(t) = red.t(mid, from) {
                    // Tr(T^T T rho) = Tr(T rho T^T)
                    let tr = trace3(t, rho, t);
                    if tr.norm() > 0.0 {
                        for kk in 0..n {
                            let mut inner = Mat::<C64>::zeros(sec[mid].0, d);
                            for l in 0..n {
                                let a = qa[kk][l];
                                if a == z {
                                    continue;
                                }
                                let rl = red.r(l, mid, from);
                                for c in 0..d {
                                    for rr in 0..sec[mid].0 {
                                        inner[(rr, c)] += a * rl[(rr, c)];
                                    }
                                }
                            }
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
                // s-_k s-_l (sigma_l: from -> mid, sigma_k: mid -> from) and s+_k s+_l
                if let (Some(t1), Some(t2)) = (red.t(from, mid), red.t(mid, from)) {
                    let t12 = t1 * t2; // (2J+1) x (2J+1), lowers M by 2
                    let tr_b = trace_prod(&t12, rho);
                    let t21 = t2.transpose() * t1.transpose();
                    let tr_c = trace_prod(&t21, rho);
                    for kk in 0..n {
                        let mut inner_b = Mat::<C64>::zeros(sec[mid].0, d);
                        let mut inner_c = Mat::<C64>::zeros(sec[mid].0, d);
                        for l in 0..n {
                            let (b, cc) = (qb[kk][l], qc[kk][l]);
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
            k2.push(k);
        }
        // jump terms, with the identity parts of J -> J factors moved into K2
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
                        let d = sec[from].0;
                        let ps: Vec<C64> = p
                            .iter()
                            .map(|m| (0..d).map(|i| m[(i, i)]).sum::<C64>() / d as f64)
                            .collect();
                        for (m, &pv) in p.iter_mut().zip(&ps) {
                            for i in 0..d {
                                m[(i, i)] -= pv;
                            }
                        }
                        let k = &mut k2[from];
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
                    terms.push(JumpTerm { to, from, p, tau });
                }
            }
        }
        let inv_d = 1.0 / (1u64 << n) as f64;
        let dim = sw.dim();
        // Schur forms of K2 via eigenvectors + QR (faer has no public Schur factorisation)
        let mut qs = Vec::with_capacity(ns);
        let mut tris = Vec::with_capacity(ns);
        let mut defect: f64 = 0.0;
        for k in &k2 {
            let d = k.nrows();
            let (q, t) = if d == 1 {
                (
                    Mat::<C64>::from_fn(1, 1, |_, _| C64::new(1.0, 0.0)),
                    k.clone(),
                )
            } else {
                let evd = k
                    .eigen()
                    .map_err(|e| SteadyError::Unsupported(format!("coarse Schur form: {e:?}")))?;
                let q = evd.U().qr().compute_thin_Q();
                let mut t = q.adjoint() * k * &q;
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
        let mut me = Self {
            sec,
            dim,
            k2,
            terms,
            inv_d,
            q: qs,
            tri: tris,
            e3: Mat::<C64>::from_fn(1, 1, |_, _| C64::new(1.0, 0.0)).partial_piv_lu(),
            schur_defect: defect,
        };
        me.e3 = me.populations_matrix().partial_piv_lu();
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
            let u: Vec<Mat<C64>> = t.p.iter().map(|p| p * cb).collect();
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

    /// `E3 = W^dag E W` on the populations `q_a q_a^dag` of the Schur bases (elementwise products
    /// of the transformed jump factors).
    fn populations_matrix(&self) -> Mat<C64> {
        let ns = self.sec.len();
        let mut start = vec![0usize; ns + 1];
        for k in 0..ns {
            start[k + 1] = start[k] + self.sec[k].0;
        }
        let np = start[ns];
        let mut e3 = Mat::<C64>::zeros(np, np);
        for k in 0..ns {
            for a in 0..self.sec[k].0 {
                e3[(start[k] + a, start[k] + a)] += 2.0 * self.tri[k][(a, a)].re;
            }
        }
        for t in &self.terms {
            let pt: Vec<Mat<C64>> =
                t.p.iter()
                    .map(|p| self.q[t.to].adjoint() * p * &self.q[t.from])
                    .collect();
            for a in 0..pt.len() {
                for b in 0..pt.len() {
                    let tv = t.tau[a][b];
                    for j in 0..self.sec[t.from].0 {
                        for i in 0..self.sec[t.to].0 {
                            e3[(start[t.to] + i, start[t.from] + j)] +=
                                tv * pt[a][(i, j)] * pt[b][(i, j)].conj();
                        }
                    }
                }
            }
        }
        for k in 0..ns {
            let s = self.sec[k].2 as f64 * self.inv_d;
            for i in 0..self.sec[k].0 {
                for j in 0..np {
                    e3[(start[k] + i, j)] -= s;
                }
            }
        }
        e3
    }

    /// `x = (S - theta)^{-1} f`: per sector `(K2 - theta) X + X K2^dag = F` by Bartels–Stewart on
    /// the Schur form.
    fn sylvester_solve(&self, f: &[C64], x: &mut [C64], theta: C64) {
        let blocks: Vec<Mat<C64>> = (0..self.sec.len())
            .into_par_iter()
            .map(|k| {
                let d = self.sec[k].0;
                let q = &self.q[k];
                let t = &self.tri[k];
                let ft = q.adjoint() * self.block(f, k) * q;
                // column-major copies: xt (overwritten by the solution) and T
                let mut xt: Vec<C64> = (0..d * d).map(|i| ft[(i % d, i / d)]).collect();
                let tc: Vec<C64> = (0..d * d).map(|i| t[(i % d, i / d)]).collect();
                // columns from the last: (T + conj(T_jj) - theta) x_j = f_j - sum_{l>j} conj(T_jl) x_l
                for j in (0..d).rev() {
                    let (head, tail) = xt.split_at_mut((j + 1) * d);
                    let xj = &mut head[j * d..];
                    for l in j + 1..d {
                        let c = tc[j + d * l].conj();
                        if c != C64::default() {
                            let xl = &tail[(l - j - 1) * d..(l - j) * d];
                            xj.iter_mut().zip(xl).for_each(|(a, b)| *a -= c * b);
                        }
                    }
                    // back substitution by columns of T
                    let sj = tc[j + d * j].conj() - theta;
                    for m in (0..d).rev() {
                        let den = tc[m + d * m] + sj;
                        let v = if den.norm() > 1e-300 {
                            xj[m] / den
                        } else {
                            xj[m]
                        };
                        xj[m] = v;
                        if v != C64::default() {
                            let tm = &tc[d * m..d * m + m];
                            xj[..m].iter_mut().zip(tm).for_each(|(a, b)| *a -= v * b);
                        }
                    }
                }
                let xm = MatRef::from_column_major_slice(&xt, d, d);
                q * xm * q.adjoint()
            })
            .collect();
        for (k, b) in blocks.into_iter().enumerate() {
            self.block_mut(x, k).copy_from(&b);
        }
    }

    fn pop_restrict(&self, f: &[C64]) -> Mat<C64> {
        let np = self.populations_dim();
        let mut g = Mat::<C64>::zeros(np, 1);
        let mut at = 0;
        for k in 0..self.sec.len() {
            let q = &self.q[k];
            let fq = self.block(f, k) * q;
            for a in 0..self.sec[k].0 {
                let mut s = C64::default();
                for i in 0..self.sec[k].0 {
                    s += q[(i, a)].conj() * fq[(i, a)];
                }
                g[(at + a, 0)] = s;
            }
            at += self.sec[k].0;
        }
        g
    }

    fn pop_prolong(&self, g: &Mat<C64>, x: &mut [C64]) {
        let mut at = 0;
        for k in 0..self.sec.len() {
            let q = &self.q[k];
            let d = self.sec[k].0;
            let qs = Mat::<C64>::from_fn(d, d, |i, a| q[(i, a)] * g[(at + a, 0)]);
            let m = qs * q.adjoint();
            self.block_mut(x, k).copy_from(&m);
            at += d;
        }
    }

    /// `x = M2 f` (module docs): an approximate `E^{-1} f`.
    pub fn precondition(&self, f: &[C64], x: &mut [C64]) {
        let mut g = self.pop_restrict(f);
        self.e3.solve_in_place(g.as_mut());
        self.finish_precondition(f, &g, x, C64::default());
    }

    /// `x = S_theta^{-1} (f - (E - theta) Q3 f) + Q3 f` with `W^dag Q3 f = g`.
    fn finish_precondition(&self, f: &[C64], g: &Mat<C64>, x: &mut [C64], theta: C64) {
        let mut q3 = vec![C64::default(); self.dim];
        self.pop_prolong(g, &mut q3);
        let mut eq = vec![C64::default(); self.dim];
        self.apply(&q3, &mut eq);
        let r: Vec<C64> = f
            .iter()
            .zip(&eq)
            .zip(&q3)
            .map(|((a, b), q)| a - b + theta * q)
            .collect();
        self.sylvester_solve(&r, x, theta);
        x.iter_mut().zip(&q3).for_each(|(x, q)| *x += q);
    }
}

impl KronCoarse {
    /// The `k` eigenvalues of `E` nearest zero that belong to relaxation modes (the deflated
    /// trace mode at `-1` excluded), by a block Davidson iteration with the level-2
    /// preconditioner as correction operator (`t = M2 r`, an approximate inverse at the small
    /// eigenvalues sought), started from the slowest eigenvectors of the populations matrix
    /// `E3`. Returns the values and the number of applications of `E` and `M2`.
    pub fn slow_eigenvalues(&self, k: usize) -> Result<(Vec<C64>, usize), String> {
        self.slow_eigenpairs(k).map(|(v, _, a)| (v, a))
    }

    /// [`KronCoarse::slow_eigenvalues`] with the (unit) Ritz vectors.
    #[allow(clippy::type_complexity)]
    pub fn slow_eigenpairs(&self, k: usize) -> Result<(Vec<C64>, Vec<Vec<C64>>, usize), String> {
        /// relative residual `|E v - theta v| <= RESIDUAL_TOL |theta|` of a converged Ritz pair
        const RESIDUAL_TOL: f64 = 1e-2;
        /// iterations before giving up
        const MAX_ITERS: usize = 60;
        /// basis size at which the search space is restarted from the current Ritz vectors
        const MAX_BASIS: usize = 96;
        let n = self.dim;
        let np = self.populations_dim();
        let k = k.min(np.saturating_sub(1)).max(1);
        // start: slowest eigenvectors of E3 (by modulus), trace mode excluded later
        let e3 = self.populations_matrix();
        let evd = e3
            .eigen()
            .map_err(|e| format!("gap estimate: populations eigenproblem: {e:?}"))?;
        let u3 = evd.U().to_owned();
        let u3lu = u3.partial_piv_lu();
        let mut order: Vec<usize> = (0..np).collect();
        let s3 = evd.S();
        order.sort_by(|&a, &b| s3[a].norm().total_cmp(&s3[b].norm()));
        let mut basis: Vec<Vec<C64>> = Vec::new();
        let mut ebasis: Vec<Vec<C64>> = Vec::new();
        let mut apps = 0usize;
        let push = |v: Vec<C64>,
                    basis: &mut Vec<Vec<C64>>,
                    ebasis: &mut Vec<Vec<C64>>,
                    apps: &mut usize| {
            let mut v = v;
            self.remove_trace(&mut v);
            for _ in 0..2 {
                for b in basis.iter() {
                    let h: C64 = b.iter().zip(&v).map(|(x, y)| x.conj() * y).sum();
                    v.iter_mut().zip(b).for_each(|(y, x)| *y -= h * x);
                }
            }
            let nv = v.iter().map(|x| x.norm_sqr()).sum::<f64>().sqrt();
            if nv < 1e-10 {
                return;
            }
            v.iter_mut().for_each(|x| *x /= nv);
            let mut ev = vec![C64::default(); v.len()];
            self.apply(&v, &mut ev);
            *apps += 1;
            basis.push(v);
            ebasis.push(ev);
        };
        for &j in order.iter().take(k + 2) {
            let g = Mat::<C64>::from_fn(np, 1, |i, _| evd.U()[(i, j)]);
            let mut v = vec![C64::default(); n];
            self.pop_prolong(&g, &mut v);
            push(v, &mut basis, &mut ebasis, &mut apps);
        }
        for _ in 0..MAX_ITERS {
            let m = basis.len();
            let h = Mat::<C64>::from_fn(m, m, |i, j| {
                basis[i]
                    .iter()
                    .zip(&ebasis[j])
                    .map(|(x, y)| x.conj() * y)
                    .sum()
            });
            let he = h
                .eigen()
                .map_err(|e| format!("gap estimate: Ritz eigenproblem: {e:?}"))?;
            let (hs, hu) = (he.S(), he.U());
            let mut idx: Vec<usize> = (0..m).collect();
            idx.sort_by(|&a, &b| hs[a].norm().total_cmp(&hs[b].norm()));
            let mut wanted = Vec::new();
            let mut corrections = Vec::new();
            let mut ritz_vectors = Vec::new();
            for &j in &idx {
                if wanted.len() == k {
                    break;
                }
                let theta = hs[j];
                let mut x = vec![C64::default(); n];
                let mut ex = vec![C64::default(); n];
                for (l, (b, eb)) in basis.iter().zip(&ebasis).enumerate() {
                    let y = hu[(l, j)];
                    x.iter_mut().zip(b).for_each(|(a, v)| *a += y * v);
                    ex.iter_mut().zip(eb).for_each(|(a, v)| *a += y * v);
                }
                let r: Vec<C64> = ex.iter().zip(&x).map(|(a, v)| a - theta * v).collect();
                let rn = r.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
                let xn = x.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
                wanted.push(theta);
                if rn > RESIDUAL_TOL * theta.norm() * xn {
                    corrections.push((r, theta));
                }
                ritz_vectors.push(x);
            }
            if corrections.is_empty() && wanted.len() == k {
                return Ok((wanted, ritz_vectors, apps));
            }
            if basis.len() + corrections.len() > MAX_BASIS {
                basis.clear();
                ebasis.clear();
                for x in ritz_vectors {
                    push(x, &mut basis, &mut ebasis, &mut apps);
                }
            }
            for (r, theta) in corrections {
                // t = M2(theta) r: the level-2 preconditioner of E - theta
                let mut g = self.pop_restrict(&r);
                u3lu.solve_in_place(g.as_mut());
                for i in 0..np {
                    let den = s3[i] - theta;
                    g[(i, 0)] = if den.norm() > 1e-300 {
                        g[(i, 0)] / den
                    } else {
                        g[(i, 0)]
                    };
                }
                let g = &u3 * &g;
                let mut t = vec![C64::default(); n];
                self.finish_precondition(&r, &g, &mut t, theta);
                apps += 1;
                push(t, &mut basis, &mut ebasis, &mut apps);
            }
        }
        Err(format!(
            "gap estimate: the slowest coarse eigenvalues did not converge in {MAX_ITERS} Davidson iterations"
        ))
    }
}

/// `Tr(t rho)` for real `t`.
fn trace_prod(t: &Mat<f64>, rho: &Mat<C64>) -> C64 {
    let mut s = C64::default();
    for i in 0..t.nrows() {
        for k in 0..t.ncols() {
            s += t[(i, k)] * rho[(k, i)];
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iterative::Deflated;
    use sqz_krylov::LinearOperator;
    use sqz_model::Params;

    /// `Y^dag A Z` column by column through the full space.
    fn dense_e(p: &Params, z: &[f64], sw: &SchurWeyl) -> Mat<C64> {
        let op = sqz_superop::ParityBlock::new(p, z).unwrap();
        let a = Deflated::new(&op);
        let bd = a.dim();
        let cn = sw.dim();
        let (mut x, mut y) = (vec![C64::default(); bd], vec![C64::default(); bd]);
        let mut c = vec![C64::default(); cn];
        let mut e = Mat::<C64>::zeros(cn, cn);
        for j in 0..cn {
            sw.prolong_unit(j, &mut x);
            a.apply(&x, &mut y);
            sw.restrict(&y, &mut c, Par::Seq);
            for i in 0..cn {
                e[(i, j)] = c[i];
            }
        }
        e
    }

    #[test]
    fn kronecker_form_equals_the_galerkin_matrix() {
        for (n, w) in [(3, 0.3), (4, 0.05), (5, 0.3), (6, 0.01)] {
            let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
            let chi: Vec<f64> = (0..n).map(|i| ((i as f64) * 1.7).sin()).collect();
            let z: Vec<f64> = (0..n)
                .map(|i| 2.0 * std::f64::consts::PI * i as f64 + w * std::f64::consts::PI * chi[i])
                .collect();
            let sw = SchurWeyl::new(&p).unwrap();
            let red = Reduced::new(&sw);
            let kc = KronCoarse::new(&sw, &red, &TwoJump::new(&p, &z)).unwrap();
            let e = dense_e(&p, &z, &sw);
            let cn = sw.dim();
            let mut out = vec![C64::default(); cn];
            let mut err: f64 = 0.0;
            let mut scale: f64 = 0.0;
            for j in 0..cn {
                let mut c = vec![C64::default(); cn];
                c[j] = C64::new(1.0, 0.0);
                kc.apply(&c, &mut out);
                for i in 0..cn {
                    err = err.max((out[i] - e[(i, j)]).norm());
                    scale = scale.max(e[(i, j)].norm());
                }
            }
            assert!(
                err < 1e-12 * scale.max(1.0),
                "N = {n}: |E_kron - E| = {err:e} (|E| = {scale:e})"
            );
            assert!(kc.schur_defect < 1e-8, "Schur defect {:e}", kc.schur_defect);
        }
    }
}

#[cfg(test)]
mod gap_tests {
    use super::*;
    use sqz_model::Params;

    #[test]
    fn davidson_finds_the_slowest_coarse_eigenvalues() {
        for (n, w) in [(5, 0.001), (5, 0.01), (6, 0.01), (6, 0.3), (6, 0.5)] {
            let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
            let z = sqz_model::positions::disordered(n, w * std::f64::consts::PI, 3, 1).unwrap();
            let sw = SchurWeyl::new(&p).unwrap();
            let red = Reduced::new(&sw);
            let kc = KronCoarse::new(&sw, &red, &TwoJump::new(&p, &z)).unwrap();
            let cn = kc.dim();
            let mut e = Mat::<C64>::zeros(cn, cn);
            let mut out = vec![C64::default(); cn];
            for j in 0..cn {
                let mut c = vec![C64::default(); cn];
                c[j] = C64::new(1.0, 0.0);
                kc.apply(&c, &mut out);
                for i in 0..cn {
                    e[(i, j)] = out[i];
                }
            }
            let mut ev = e.eigenvalues().unwrap();
            ev.sort_by(|a, b| a.norm().total_cmp(&b.norm()));
            let want = ev
                .iter()
                .filter(|v| (**v + 1.0).norm() > 1e-6)
                .take(4)
                .map(|v| v.re.abs())
                .fold(f64::INFINITY, f64::min);
            let (got, apps) = kc.slow_eigenvalues(4).unwrap();
            let g = got.iter().map(|v| v.re.abs()).fold(f64::INFINITY, f64::min);
            eprintln!(
                "N={n} w={w}: dense {want:e} davidson {g:e} ({apps} applications) {:?}",
                &ev[..5]
            );
            assert!(
                (g - want).abs() < 1e-2 * want,
                "N={n} w={w}: {g:e} vs {want:e}"
            );
        }
    }
}
