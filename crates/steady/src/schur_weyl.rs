//! The null space of Eq. 3 at ideal positions, in the Schur–Weyl basis: the coarse space of the
//! two-level solver ([`crate::twolevel`]).
//!
//! At ideal positions (w = 0) Eq. 3 is the collective Eq. 7 with `S± = sum_i sigma±_i`. The
//! Hilbert space splits as `(C^2)^N = sum_J V_J (x) C^{d_J}` (total spin `J = N/2 - q`,
//! multiplicity `d_J = binom(N, q) - binom(N, q-1)`), the collective operators act as
//! `S_J (x) I`, and the Liouvillian `L0` leaves every `|J M a><J M' b|` block invariant. Its null
//! space is therefore
//!
//! ```text
//! null(L0) = { sum_J rho_J (x) C_J : C_J in C^{d_J x d_J} },   dim = sum_J d_J^2 = C_N (Catalan)
//! ```
//!
//! with `rho_J` the unique steady state of Eq. 7 for spin `J` (same r, alpha, Delta), and its
//! left null space (the conserved quantities, `L0^dag Y = 0`) is `{ sum_J I_J (x) C_J }`. The maps
//! here are the prolongation `Z c = sum_J U_J (rho_J (x) C_J) U_J^T` and the restriction
//! `(Y^dag x)_J = Tr_M (U_J^T X U_J)` (a partial trace over `M`), with `Y^dag Z = I`.
//!
//! The basis vectors `|J M a>` have `N/2 + M` excitations, so `U` is block diagonal in the
//! excitation number `n`: per `n` one real orthogonal `binom(N, n)`-square matrix `B_n` whose
//! columns are `(J, a)` ordered by `q`. Lowest weights come from the null space of `S-` on the
//! `q`-excitation states, the others by applying `S+` and normalising (the multiplicity label is
//! then the same for every `M`). Both maps cost `O(sum_n binom(N, n)^3)` flops, ~1e8 at N = 10.

use crate::{SteadyError, C64};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use rayon::prelude::*;
use sqz_model::Params;
use sqz_superop::parity::block_index;

/// One total-spin sector `J = N/2 - q`.
#[derive(Debug, Clone)]
struct Sector {
    /// `q = N/2 - J`, the excitation number of the lowest weight
    q: usize,
    /// multiplicity `d_J`
    d: usize,
    /// column offset of this sector inside every `B_n` that holds it (`binom(N, q-1)`)
    col: usize,
    /// offset of `C_J` (column-major `d x d`) in the coarse vector
    off: usize,
    /// steady state of Eq. 7 for spin J, `(2J+1)^2`, index `k = M + J`
    rho: Mat<C64>,
}

/// The Schur–Weyl coarse space (see the module docs).
#[derive(Debug, Clone)]
pub struct SchurWeyl {
    n: usize,
    /// `states[n]`: basis states with `n` excitations, ascending
    states: Vec<Vec<usize>>,
    /// `B_n` (complex storage of a real orthogonal matrix)
    basis: Vec<Mat<C64>>,
    /// `B_n`, real
    basis_r: Vec<Mat<f64>>,
    sectors: Vec<Sector>,
    dim: usize,
}

fn binom(n: usize, k: usize) -> usize {
    if k > n {
        return 0;
    }
    (0..k).fold(1usize, |acc, i| acc * (n - i) / (i + 1))
}

impl SchurWeyl {
    /// Builds the basis and the spin-J steady states for parameters `p` (N = `p.n()`), with
    /// faer's parallelism `par` (the lowest-weight eigenproblems and the Eq. 7 sparse LUs).
    pub fn new(p: &Params, par: faer::Par) -> Result<Self, SteadyError> {
        let n = p.n();
        let dh = 1usize << n;
        let mut states: Vec<Vec<usize>> = vec![Vec::new(); n + 1];
        let mut pos = vec![0usize; dh];
        for a in 0..dh {
            let e = a.count_ones() as usize;
            pos[a] = states[e].len();
            states[e].push(a);
        }
        let mut basis: Vec<Mat<C64>> = (0..=n)
            .map(|e| Mat::<C64>::zeros(states[e].len(), states[e].len()))
            .collect();
        let mut sectors = Vec::new();
        let mut off = 0;
        for q in 0..=n / 2 {
            let two_j = n - 2 * q;
            let col = if q == 0 { 0 } else { binom(n, q - 1) };
            // lowest weights: null space of S- on the q-excitation states (S+ S- restricted)
            let m = states[q].len();
            let k = Mat::<f64>::from_fn(m, m, |i, j| {
                // <s_i| S+ S- |s_j> = number of common "one-less" states
                let (a, b) = (states[q][i], states[q][j]);
                if a == b {
                    q as f64
                } else if (a ^ b).count_ones() == 2 {
                    1.0
                } else {
                    0.0
                }
            });
            let (u, s) = sqz_krylov::par_dense::self_adjoint_eigen(k.as_ref(), par)
                .map_err(|e| SteadyError::Unsupported(format!("Schur-Weyl basis: {e:?}")))?;
            let null: Vec<usize> = (0..m).filter(|&i| s[i].abs() < 0.5).collect();
            let d = null.len();
            if d != m - if q == 0 { 0 } else { binom(n, q - 1) } {
                return Err(SteadyError::Unsupported(format!(
                    "Schur-Weyl basis: found {d} lowest weights for q = {q}, N = {n}"
                )));
            }
            let mut v: Vec<Vec<f64>> = null
                .iter()
                .map(|&c| (0..m).map(|i| u[(i, c)]).collect())
                .collect();
            for kk in 0..=two_j {
                let e = q + kk;
                if kk > 0 {
                    // raise: |J, M+1> = S+ |J, M> / sqrt((2J - k')(k' + 1)), k' = kk - 1
                    let norm = sqz_model::spin::s_plus_element(two_j, kk - 1);
                    for vec in v.iter_mut() {
                        let mut out = vec![0.0; states[e].len()];
                        for (i, &a) in states[e - 1].iter().enumerate() {
                            if vec[i] == 0.0 {
                                continue;
                            }
                            for bit in 0..n {
                                if a & (1 << bit) == 0 {
                                    out[pos[a | (1 << bit)]] += vec[i];
                                }
                            }
                        }
                        out.iter_mut().for_each(|x| *x /= norm);
                        *vec = out;
                    }
                }
                for (al, vec) in v.iter().enumerate() {
                    for (i, &x) in vec.iter().enumerate() {
                        basis[e][(i, col + al)] = C64::new(x, 0.0);
                    }
                }
            }
            let rho = if two_j == 0 {
                Mat::<C64>::from_fn(1, 1, |_, _| C64::new(1.0, 0.0))
            } else {
                let pj = Params::new(two_j, p.r(), p.alpha(), p.delta())?;
                sqz_model::collective::steady_state(&pj, par)?.rho
            };
            sectors.push(Sector {
                q,
                d,
                col,
                off,
                rho,
            });
            off += d * d;
        }
        let basis_r = basis
            .iter()
            .map(|b| Mat::<f64>::from_fn(b.nrows(), b.ncols(), |i, j| b[(i, j)].re))
            .collect();
        Ok(Self {
            n,
            states,
            basis,
            basis_r,
            sectors,
            dim: off,
        })
    }

    /// Number of total-spin sectors (`q = 0 ..= N/2`).
    pub fn n_sectors(&self) -> usize {
        self.sectors.len()
    }

    /// `(q, d_J, column offset in the B_n, offset of C_J in coarse vectors)` of sector `k`.
    pub fn sector(&self, k: usize) -> (usize, usize, usize, usize) {
        let s = &self.sectors[k];
        (s.q, s.d, s.col, s.off)
    }

    /// The Eq. 7 steady state `rho_J` of sector `k` (`(2J+1)^2`, index `M + J`).
    pub fn sector_rho(&self, k: usize) -> &Mat<C64> {
        &self.sectors[k].rho
    }

    /// `B_e`, the real orthogonal basis of the `e`-excitation states (columns `(J, a)`).
    pub fn basis_real(&self, e: usize) -> &Mat<f64> {
        &self.basis_r[e]
    }

    /// The basis states with `e` excitations, ascending.
    pub fn states(&self, e: usize) -> &[usize] {
        &self.states[e]
    }

    /// Dimension of the coarse space, `C_N`.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Coarse indices of the diagonal elements `C_J[a, a]`: `Tr(Z c) = sum_k c[k]` over them.
    pub fn trace_indices(&self) -> Vec<usize> {
        self.sectors
            .iter()
            .flat_map(|s| (0..s.d).map(move |a| s.off + a * (s.d + 1)))
            .collect()
    }

    /// Number of TLS.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Sectors present at excitation number `e`: those with `q <= min(e, N - e)`.
    fn present(&self, e: usize) -> impl Iterator<Item = &Sector> {
        let qmax = e.min(self.n - e);
        self.sectors.iter().filter(move |s| s.q <= qmax)
    }

    /// Restriction `c = Y^dag x` of a parity-block vector (module docs), with GEMMs run with
    /// parallelism `par`.
    pub fn restrict(&self, xb: &[C64], c: &mut [C64], par: Par) {
        assert_eq!(c.len(), self.dim);
        c.iter_mut().for_each(|v| *v = C64::default());
        let n = self.n;
        for e in 0..=n {
            let st = &self.states[e];
            let m = st.len();
            let b = &self.basis_r[e];
            let mut tmp = Mat::<f64>::zeros(m, m);
            let mut w = Mat::<f64>::zeros(m, m);
            for part in 0..2 {
                let x = Mat::<f64>::from_fn(m, m, |i, j| {
                    let v = xb[block_index(n, st[i], st[j])
                        .expect("equal excitation numbers are in the block")];
                    if part == 0 {
                        v.re
                    } else {
                        v.im
                    }
                });
                matmul(
                    tmp.as_mut(),
                    Accum::Replace,
                    b.transpose(),
                    x.as_ref(),
                    1.0,
                    par,
                );
                for s in self.present(e) {
                    matmul(
                        w.as_mut().submatrix_mut(s.col, s.col, s.d, s.d),
                        Accum::Replace,
                        tmp.as_ref().subrows(s.col, s.d),
                        b.as_ref().subcols(s.col, s.d),
                        1.0,
                        par,
                    );
                    for be in 0..s.d {
                        for al in 0..s.d {
                            let v = w[(s.col + al, s.col + be)];
                            let t = &mut c[s.off + al + s.d * be];
                            if part == 0 {
                                t.re += v;
                            } else {
                                t.im += v;
                            }
                        }
                    }
                }
            }
        }
    }

    /// The sector holding coarse index `j` and the `(a, b)` of `C_J[a, b]`.
    fn locate(&self, j: usize) -> (&Sector, usize, usize) {
        let s = self
            .sectors
            .iter()
            .rev()
            .find(|s| s.off <= j)
            .expect("coarse index in range");
        (s, (j - s.off) % s.d, (j - s.off) / s.d)
    }

    /// `x = Z e_j` for the coarse unit vector `j`; `x` is overwritten.
    pub fn prolong_unit(&self, j: usize, xb: &mut [C64]) {
        self.prolong_sparse(&[(j, C64::new(1.0, 0.0))], xb);
    }

    /// `x = Z c` for a coarse vector with few nonzeros `(index, value)` (a rank-one outer product
    /// per term and excitation block); `x` is overwritten.
    pub fn prolong_sparse(&self, terms: &[(usize, C64)], xb: &mut [C64]) {
        let n = self.n;
        xb.iter_mut().for_each(|v| *v = C64::default());
        for &(j, cj) in terms {
            let (s, al, be) = self.locate(j);
            let two_j = n - 2 * s.q;
            for e in s.q..=s.q + two_j {
                for f in (s.q..=s.q + two_j).filter(|f| (f + e) % 2 == 0) {
                    let r = s.rho[(e - s.q, f - s.q)] * cj;
                    if r == C64::default() {
                        continue;
                    }
                    let (be_, bf) = (&self.basis_r[e], &self.basis_r[f]);
                    for (jj, &bb) in self.states[f].iter().enumerate() {
                        let vb = bf[(jj, s.col + be)];
                        if vb == 0.0 {
                            continue;
                        }
                        for (ii, &a) in self.states[e].iter().enumerate() {
                            xb[block_index(n, a, bb).expect("same parity")] +=
                                r * (be_[(ii, s.col + al)] * vb);
                        }
                    }
                }
            }
        }
    }

    /// Hermitian coordinates. Coarse index `j = (a, b)` of sector J stands for the Hermitian
    /// `H_j = E_aa` (a = b), `E_ab + E_ba` (a < b), `i E_ba - i E_ab` (a > b); a Hermitian
    /// coefficient set `C_J = sum_j g_j H_j` has real `g`, and `Z`, `A`, `Y^dag` preserve
    /// Hermiticity, so the coarse matrix in these coordinates is real. This is the
    /// complex-linear map `c -> g_h + i g_a` of `C = C_h + i C_a` (`C_h`, `C_a` Hermitian).
    pub fn to_herm(&self, c: &[C64]) -> Vec<C64> {
        let mut g = vec![C64::default(); c.len()];
        for s in &self.sectors {
            let at = |a: usize, b: usize| c[s.off + a + s.d * b];
            for b in 0..s.d {
                for a in 0..s.d {
                    let j = s.off + a + s.d * b;
                    g[j] = if a == b {
                        at(a, a)
                    } else {
                        let (lo, hi) = (a.min(b), a.max(b));
                        // C_h[lo,hi] = (C[lo,hi] + conj C[hi,lo]) / 2, C_a[lo,hi] = (C[lo,hi] - conj C[hi,lo]) / 2i
                        let h = 0.5 * (at(lo, hi) + at(hi, lo).conj());
                        let an = (at(lo, hi) - at(hi, lo).conj()) * C64::new(0.0, -0.5);
                        if a < b {
                            C64::new(h.re, an.re)
                        } else {
                            C64::new(h.im, an.im)
                        }
                    };
                }
            }
        }
        g
    }

    /// Inverse of [`SchurWeyl::to_herm`]: `C = sum_j g_j H_j` (complex-linear in `g`).
    pub fn from_herm(&self, g: &[C64]) -> Vec<C64> {
        let mut c = vec![C64::default(); g.len()];
        for (j, t) in g.iter().enumerate() {
            for (k, v) in self.herm_terms(j) {
                c[k] += t * v;
            }
        }
        c
    }

    /// The coarse entries of `H_j`: `[(index, value)]`, one or two terms.
    pub fn herm_terms(&self, j: usize) -> Vec<(usize, C64)> {
        let (s, a, b) = self.locate(j);
        let idx = |x: usize, y: usize| s.off + x + s.d * y;
        let one = C64::new(1.0, 0.0);
        let i = C64::new(0.0, 1.0);
        match a.cmp(&b) {
            std::cmp::Ordering::Equal => vec![(j, one)],
            std::cmp::Ordering::Less => vec![(idx(a, b), one), (idx(b, a), one)],
            std::cmp::Ordering::Greater => vec![(idx(b, a), i), (idx(a, b), -i)],
        }
    }

    /// Prolongation `x = Z c` into a parity-block vector (module docs); entries of `x` outside
    /// the span are overwritten with zero.
    pub fn prolong(&self, c: &[C64], xb: &mut [C64], par: Par) {
        assert_eq!(c.len(), self.dim);
        let n = self.n;
        xb.iter_mut().for_each(|v| *v = C64::default());
        // T_e = [B_e[:, J] C_J]_J (columns in the order of B_e)
        let t: Vec<Mat<C64>> = (0..=n)
            .map(|e| {
                let b = &self.basis[e];
                let m = b.nrows();
                let mut t = Mat::<C64>::zeros(m, m);
                for s in self.present(e) {
                    let cj = Mat::<C64>::from_fn(s.d, s.d, |i, j| c[s.off + i + s.d * j]);
                    let prod = sqz_krylov::par_dense::mul(b.subcols(s.col, s.d), cj.as_ref(), par);
                    t.subcols_mut(s.col, s.d).copy_from(&prod);
                }
                t
            })
            .collect();
        for e in 0..=n {
            for f in (0..=n).filter(|f| (f + e) % 2 == 0) {
                let qmax = e.min(n - e).min(f).min(n - f);
                let cols = self
                    .sectors
                    .iter()
                    .filter(|s| s.q <= qmax)
                    .map(|s| s.col + s.d)
                    .max()
                    .unwrap_or(0);
                // X_ef = sum_J rho_J[e-q, f-q] T_e[:, J] B_f[:, J]^T
                let mut tl = t[e].subcols(0, cols).to_owned();
                for s in self.sectors.iter().filter(|s| s.q <= qmax) {
                    let r = s.rho[(e - s.q, f - s.q)];
                    for j in s.col..s.col + s.d {
                        for i in 0..tl.nrows() {
                            tl[(i, j)] *= r;
                        }
                    }
                }
                let x = sqz_krylov::par_dense::mul(
                    tl.as_ref(),
                    self.basis[f].subcols(0, cols).transpose(),
                    par,
                );
                let (se, sf) = (&self.states[e], &self.states[f]);
                for (j, &bb) in sf.iter().enumerate() {
                    for (i, &a) in se.iter().enumerate() {
                        xb[block_index(n, a, bb).expect("same parity")] = x[(i, j)];
                    }
                }
            }
        }
    }
}

/// `(e, f)` pairs of excitation numbers with equal parity and `e <= f`.
fn herm_pairs(n: usize) -> Vec<(usize, usize)> {
    (0..=n)
        .flat_map(|e| {
            (e..=n)
                .filter(move |f| (f + e) % 2 == 0)
                .map(move |f| (e, f))
        })
        .collect()
}

/// The blocks below the diagonal, `X_fe = X_ef^dag`, of the pairs `e < f` of `blocks` (`None`
/// for `e = f`), as their own (column-major) matrices so that the scatter of
/// [`SchurWeyl::prolong_hermitian`] reads every block down its columns.
fn lower_blocks(
    pairs: &[(usize, usize)],
    blocks: &[(Mat<f64>, Mat<f64>)],
) -> Vec<Option<(Mat<f64>, Mat<f64>)>> {
    pairs
        .par_iter()
        .zip(blocks.par_iter())
        .map(|(&(e, f), (xr, xi))| {
            (e < f).then(|| {
                let mut ti = xi.transpose().to_owned();
                ti.as_mut()
                    .col_iter_mut()
                    .for_each(|c| c.iter_mut().for_each(|v| *v = -*v));
                (xr.transpose().to_owned(), ti)
            })
        })
        .collect()
}

impl SchurWeyl {
    /// Number of basis columns of the sectors present at both `e` and `f`.
    fn common_cols(&self, e: usize, f: usize) -> usize {
        let qmax = e.min(self.n - e).min(f).min(self.n - f);
        self.sectors
            .iter()
            .filter(|s| s.q <= qmax)
            .map(|s| s.col + s.d)
            .max()
            .unwrap_or(0)
    }

    /// `x = Z c` for a Hermitian coarse vector (every `C_J` Hermitian, as the preconditioner's
    /// are): the excitation blocks `X_ef = sum_J rho_J[e-q, f-q] B_e^J C_J B_f^J^T` are formed for
    /// `e <= f` only, by real GEMMs (the basis is real), and `X_fe = X_ef^dag`; the scatter into
    /// the block layout runs in parallel over its columns. `x` is overwritten.
    pub fn prolong_hermitian(&self, c: &[C64], xb: &mut [C64], par: Par) {
        assert_eq!(c.len(), self.dim);
        let n = self.n;
        let t = self.prolong_t(c, par);
        let pairs = herm_pairs(n);
        let blocks = self.prolong_upper(&t, &pairs, par);
        let lower = lower_blocks(&pairs, &blocks);
        self.scatter_blocks(&pairs, &blocks, &lower, xb);
    }

    /// `T_e = [B_e^J C_J]_J` for every excitation number `e`, real and imaginary parts (the first
    /// step of [`SchurWeyl::prolong_hermitian`]).
    fn prolong_t(&self, c: &[C64], par: Par) -> Vec<(Mat<f64>, Mat<f64>)> {
        let n = self.n;
        (0..=n)
            .map(|e| {
                let b = &self.basis_r[e];
                let m = b.nrows();
                let cols = self.common_cols(e, e);
                let mut tr = Mat::<f64>::zeros(m, cols);
                let mut ti = Mat::<f64>::zeros(m, cols);
                for s in self.present(e) {
                    let cre = Mat::<f64>::from_fn(s.d, s.d, |i, j| c[s.off + i + s.d * j].re);
                    let cim = Mat::<f64>::from_fn(s.d, s.d, |i, j| c[s.off + i + s.d * j].im);
                    let bs = b.subcols(s.col, s.d);
                    matmul(
                        tr.as_mut().subcols_mut(s.col, s.d),
                        Accum::Replace,
                        bs,
                        cre.as_ref(),
                        1.0,
                        par,
                    );
                    matmul(
                        ti.as_mut().subcols_mut(s.col, s.d),
                        Accum::Replace,
                        bs,
                        cim.as_ref(),
                        1.0,
                        par,
                    );
                }
                (tr, ti)
            })
            .collect()
    }

    /// The excitation blocks `X_ef = sum_J rho_J[e-q, f-q] B_e^J C_J B_f^J^T` of
    /// [`SchurWeyl::prolong_hermitian`] for the pairs `e <= f`, from the `T_e` of
    /// [`SchurWeyl::prolong_t`], real and imaginary parts.
    fn prolong_upper(
        &self,
        t: &[(Mat<f64>, Mat<f64>)],
        pairs: &[(usize, usize)],
        par: Par,
    ) -> Vec<(Mat<f64>, Mat<f64>)> {
        pairs
            .iter()
            .map(|&(e, f)| {
                let cols = self.common_cols(e, f);
                let (te_r, te_i) = &t[e];
                let m = te_r.nrows();
                // S = T_e scaled per sector by rho_J[e-q, f-q]
                let mut sr = Mat::<f64>::zeros(m, cols);
                let mut si = Mat::<f64>::zeros(m, cols);
                for s in self.sectors.iter().filter(|s| s.col + s.d <= cols) {
                    let r = s.rho[(e - s.q, f - s.q)];
                    for j in s.col..s.col + s.d {
                        for i in 0..m {
                            let (a, b) = (te_r[(i, j)], te_i[(i, j)]);
                            sr[(i, j)] = r.re * a - r.im * b;
                            si[(i, j)] = r.re * b + r.im * a;
                        }
                    }
                }
                let bf = self.basis_r[f].subcols(0, cols);
                let nf = bf.nrows();
                let mut xr = Mat::<f64>::zeros(m, nf);
                let mut xi = Mat::<f64>::zeros(m, nf);
                matmul(
                    xr.as_mut(),
                    Accum::Replace,
                    sr.as_ref(),
                    bf.transpose(),
                    1.0,
                    par,
                );
                matmul(
                    xi.as_mut(),
                    Accum::Replace,
                    si.as_ref(),
                    bf.transpose(),
                    1.0,
                    par,
                );
                (xr, xi)
            })
            .collect()
    }

    /// Scatters the excitation blocks into the block layout `xb` (overwritten), in parallel over
    /// its columns: `X_ef` from `blocks` for `e <= f`, from `lower` (`X_ef^dag`) for `e > f`.
    fn scatter_blocks(
        &self,
        pairs: &[(usize, usize)],
        blocks: &[(Mat<f64>, Mat<f64>)],
        lower: &[Option<(Mat<f64>, Mat<f64>)>],
        xb: &mut [C64],
    ) {
        let n = self.n;
        let mut at = vec![vec![(usize::MAX, false); n + 1]; n + 1];
        for (k, &(e, f)) in pairs.iter().enumerate() {
            at[e][f] = (k, false);
            at[f][e] = (k, e < f);
        }
        // position of every basis state inside its excitation block
        let mut pos = vec![0usize; 1 << n];
        for st in &self.states {
            for (i, &a) in st.iter().enumerate() {
                pos[a] = i;
            }
        }
        let h = (1usize << n) / 2;
        xb.par_chunks_mut(h.max(1))
            .enumerate()
            .for_each(|(col, out)| {
                // column col = (b >> 1) + H p
                let (hb, p) = (col % h.max(1), col / h.max(1));
                let b = if n == 0 {
                    0
                } else {
                    (hb << 1) | ((hb.count_ones() as usize ^ p) & 1)
                };
                let f = b.count_ones() as usize;
                let jb = pos[b];
                for (ha, o) in out.iter_mut().enumerate() {
                    let a = if n == 0 {
                        0
                    } else {
                        (ha << 1) | ((ha.count_ones() as usize ^ p) & 1)
                    };
                    let e = a.count_ones() as usize;
                    let ia = pos[a];
                    let (k, low) = at[e][f];
                    let (xr, xi) = if low {
                        let l = lower[k].as_ref().expect("lower block");
                        (&l.0, &l.1)
                    } else {
                        (&blocks[k].0, &blocks[k].1)
                    };
                    *o = C64::new(xr[(ia, jb)], xi[(ia, jb)]);
                }
            });
    }

    /// Restriction `c = Y^dag x` (as [`SchurWeyl::restrict`]): the diagonal excitation blocks
    /// `X_ee` are gathered in parallel and reduced by real GEMMs, `c_J += B_e^J^T X_ee B_e^J`.
    pub fn restrict_fast(&self, xb: &[C64], c: &mut [C64], par: Par) {
        assert_eq!(c.len(), self.dim);
        c.iter_mut().for_each(|v| *v = C64::default());
        let n = self.n;
        for e in 0..=n {
            let st = &self.states[e];
            let m = st.len();
            let b = &self.basis_r[e];
            let cols = self.common_cols(e, e);
            // gather X_ee column by column (in parallel), real and imaginary parts
            let mut xr = vec![0.0f64; m * m];
            let mut xi = vec![0.0f64; m * m];
            xr.par_chunks_mut(m.max(1))
                .zip(xi.par_chunks_mut(m.max(1)))
                .zip(st.par_iter())
                .for_each(|((cr, ci), &bb)| {
                    for (i, &a) in st.iter().enumerate() {
                        let v = xb[block_index(n, a, bb).expect("equal excitation numbers")];
                        cr[i] = v.re;
                        ci[i] = v.im;
                    }
                });
            let xr = faer::MatRef::from_column_major_slice(&xr, m, m);
            let xi = faer::MatRef::from_column_major_slice(&xi, m, m);
            let bs = b.subcols(0, cols);
            let mut tr = Mat::<f64>::zeros(cols, m);
            let mut ti = Mat::<f64>::zeros(cols, m);
            matmul(tr.as_mut(), Accum::Replace, bs.transpose(), xr, 1.0, par);
            matmul(ti.as_mut(), Accum::Replace, bs.transpose(), xi, 1.0, par);
            for s in self.present(e) {
                let mut wr = Mat::<f64>::zeros(s.d, s.d);
                let mut wi = Mat::<f64>::zeros(s.d, s.d);
                let bj = b.subcols(s.col, s.d);
                matmul(
                    wr.as_mut(),
                    Accum::Replace,
                    tr.as_ref().subrows(s.col, s.d),
                    bj,
                    1.0,
                    par,
                );
                matmul(
                    wi.as_mut(),
                    Accum::Replace,
                    ti.as_ref().subrows(s.col, s.d),
                    bj,
                    1.0,
                    par,
                );
                for be in 0..s.d {
                    for al in 0..s.d {
                        c[s.off + al + s.d * be] += C64::new(wr[(al, be)], wi[(al, be)]);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqz_krylov::LinOp;

    #[test]
    fn catalan_dimension_and_orthonormal_basis() {
        for n in 1..=7 {
            let p = Params::new(n, 0.4, 0.3, 0.7).unwrap();
            let sw = SchurWeyl::new(&p, faer::Par::Seq).unwrap();
            assert_eq!(sw.dim() as u64, crate::ideal::catalan(n), "N = {n}");
            for b in &sw.basis {
                let g = b.adjoint() * b;
                for i in 0..g.nrows() {
                    for j in 0..g.ncols() {
                        let want = if i == j { 1.0 } else { 0.0 };
                        assert!((g[(i, j)] - C64::new(want, 0.0)).norm() < 1e-12);
                    }
                }
            }
        }
    }

    #[test]
    fn fast_maps_equal_the_reference_maps() {
        for n in [2usize, 3, 4, 5, 6] {
            let p = Params::new(n, 0.4, 0.3, 0.7).unwrap();
            let sw = SchurWeyl::new(&p, faer::Par::Seq).unwrap();
            // a Hermitian coarse vector
            let mut c = vec![C64::default(); sw.dim()];
            for s in &sw.sectors {
                for a in 0..s.d {
                    for b in 0..s.d {
                        let v =
                            C64::new(((a * 7 + b * 3) as f64).sin(), ((a * 5 + b) as f64).cos());
                        let v = if a == b { C64::new(v.re, 0.0) } else { v };
                        if a <= b {
                            c[s.off + a + s.d * b] = v;
                            c[s.off + b + s.d * a] = v.conj();
                        }
                    }
                }
            }
            let bd = sqz_superop::parity::block_dim(n);
            let (mut x1, mut x2) = (vec![C64::default(); bd], vec![C64::default(); bd]);
            sw.prolong(&c, &mut x1, Par::Seq);
            sw.prolong_hermitian(&c, &mut x2, Par::Seq);
            let err = x1
                .iter()
                .zip(&x2)
                .map(|(a, b)| (a - b).norm())
                .fold(0.0, f64::max);
            assert!(err < 1e-13, "N = {n}: prolong {err:e}");
            let (mut c1, mut c2) = (
                vec![C64::default(); sw.dim()],
                vec![C64::default(); sw.dim()],
            );
            let xs: Vec<C64> = (0..bd)
                .map(|k| C64::new((k as f64 * 0.3).sin(), (k as f64 * 0.7).cos()))
                .collect();
            sw.restrict(&xs, &mut c1, Par::Seq);
            sw.restrict_fast(&xs, &mut c2, Par::Seq);
            let err = c1
                .iter()
                .zip(&c2)
                .map(|(a, b)| (a - b).norm())
                .fold(0.0, f64::max);
            assert!(err < 1e-12, "N = {n}: restrict {err:e}");
        }
    }

    #[test]
    fn hermitian_coordinates_round_trip() {
        let p = Params::new(6, 0.4, 0.3, 0.7).unwrap();
        let sw = SchurWeyl::new(&p, faer::Par::Seq).unwrap();
        let c: Vec<C64> = (0..sw.dim())
            .map(|k| C64::new((k as f64 * 0.37).sin(), (k as f64 * 0.91).cos()))
            .collect();
        let back = sw.from_herm(&sw.to_herm(&c));
        let err = c
            .iter()
            .zip(&back)
            .map(|(a, b)| (a - b).norm())
            .fold(0.0, f64::max);
        assert!(err < 1e-14, "round trip {err:e}");
        // a Hermitian C has real coordinates
        let g: Vec<C64> = (0..sw.dim())
            .map(|k| C64::new(k as f64 - 3.0, 0.0))
            .collect();
        let h = sw.from_herm(&g);
        let g2 = sw.to_herm(&h);
        assert!(g2.iter().all(|v| v.im.abs() < 1e-14));
    }

    #[test]
    fn z_spans_the_ideal_null_space_and_y_is_its_dual() {
        for n in 2..=5 {
            let p = Params::new(n, 0.5, 0.5, 1.0).unwrap();
            let sw = SchurWeyl::new(&p, faer::Par::Seq).unwrap();
            let op = sqz_superop::ParityBlock::new(&p, &sqz_model::positions::ideal(n)).unwrap();
            let bd = op.dim();
            let (mut x, mut y) = (vec![C64::default(); bd], vec![C64::default(); bd]);
            let mut c2 = vec![C64::default(); sw.dim()];
            let mut s = op.new_scratch();
            for j in 0..sw.dim() {
                let mut c = vec![C64::default(); sw.dim()];
                c[j] = C64::new(1.0, 0.0);
                sw.prolong(&c, &mut x, Par::Seq);
                op.apply(&x, &mut y, &mut s);
                let res = y.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
                assert!(res < 1e-12, "N = {n}, column {j}: |L0 z| = {res:e}");
                sw.restrict(&x, &mut c2, Par::Seq);
                let mut x2 = vec![C64::default(); bd];
                sw.prolong_unit(j, &mut x2);
                let dz: f64 = x
                    .iter()
                    .zip(&x2)
                    .map(|(a, b)| (a - b).norm())
                    .fold(0.0, f64::max);
                assert!(dz < 1e-14, "prolong_unit differs by {dz:e}");
                for (k, v) in c2.iter().enumerate() {
                    let want = if k == j { 1.0 } else { 0.0 };
                    assert!((v - C64::new(want, 0.0)).norm() < 1e-12);
                }
            }
        }
    }
}
