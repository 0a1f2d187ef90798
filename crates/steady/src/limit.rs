//! The limit `w -> 0+` of the steady state of Eq. 3: degenerate perturbation theory around the
//! ideal positions, in closed form.
//!
//! ## Positions and expansion
//! Positions are `z_i = 2 pi i + w chi_i` (i = 0..N-1, units of zeta) with a fixed disorder
//! direction `chi` (each `chi_i` in `[-1, 1]`; `sqz_model::positions::chi(N, seed, config)` for
//! the configurations of the studies), and `w -> 0+`. Every coupling of Eq. 3 is a function of
//! `w chi`: `gamma-_ij = cos(w (chi_i - chi_j))`, `gamma+_ij = cos(w (chi_i + chi_j))` (even in
//! `w`) and `Delta_ij = -(1/2) sin(w (chi_j - chi_i))` for `i < j` (odd), so
//!
//! ```text
//! L(w) = L0 + w L1 + w^2 L2 + O(w^3)
//! L1   = -i [H1, .],   H1 = -sum_{i != j} Delta'_ij s+_i s-_j,   Delta'_ij = -(1/2) (chi_j - chi_i)  (i < j, symmetric)
//! L2   = 2 [ D(J0, J2) + D(J2, J0) + D(K1, K1) ],   D(P, Q) X = P X Q^dag - (1/2) {Q^dag P, X}
//! J0   = u0 S-[1] + v0 S+[1],  K1 = u0 S-[chi] - v0 S+[chi],  J2 = -(1/2) (u0 S-[chi^2] + v0 S+[chi^2])
//! ```
//!
//! with `S-[f] = sum_i f_i sigma_i`, `S+[f] = S-[f]^dag`, `u0 = cosh r / sqrt 2`,
//! `v0 = -e^{i alpha} sinh r / sqrt 2` (the two-jump form of `sqz_superop::lindblad`:
//! `J_c(w) = sum_i u0 e^{i c w chi_i} sigma_i + v0 e^{-i c w chi_i} sigma_i^dag`). The first-order
//! change of the jumps, `J_c1 = i c K1`, enters the dissipator as `i c [D(K1, J0) - D(J0, K1)]` and
//! cancels between the channels `c = +-1`; its second-order square `D(i c K1, i c K1) = D(K1, K1)`
//! does not. So `L1` is a pure commutator (the dipole-dipole shifts) and all damping of the
//! ideal null space is second order.
//!
//! ## Projection onto the ideal null space
//! `Z c = sum_J rho_J (x) C_J`, `(Y^dag X)_J = Tr_M X_JJ` ([`crate::schur_weyl`]), `Y^dag Z = I`,
//! `L0^# = (L0 + Z Y^dag)^{-1} - Z Y^dag` (group inverse). The effective generator on the
//! `C_N`-dimensional slow space is `w G1 + w^2 G2 + O(w^3)` with
//!
//! ```text
//! G1 C = Y^dag L1 Z C = -i [h_J, C_J]  per sector,   h_J = Tr_M[(rho_J (x) 1) H1_JJ]  (real symmetric, d_J x d_J)
//! G2   = Y^dag L2 Z - Y^dag L1 L0^# L1 Z
//! ```
//!
//! `G1` is anti-Hermitian in the coarse coordinates; its kernel (for non-degenerate `h_J`) is the
//! "populations" `C_J = sum_a p_Ja q_Ja q_Ja^T` in the eigenbases `h_J q_Ja = lambda_Ja q_Ja`,
//! dimension `sum_J d_J = binom(N, floor(N/2))`, and `P1` (orthogonal projector onto it) keeps the
//! diagonals in those bases. The steady state `c(w) = c0 + w c1 + ...` of the effective generator
//! needs `G1 c0 = 0` (order w) and `P1 G2 c0 = 0` (order w^2): `c0` is the null vector of the
//! populations matrix
//!
//! ```text
//! W[(K, b), (J, a)] = q_Kb^T [G2 (q_Ja q_Ja^T)]_K q_Kb        (a classical rate matrix; columns sum to 0)
//! rho* = lim_{w -> 0+} rho(w) = sum_J rho_J (x) sum_a p_Ja q_Ja q_Ja^T,   W p = 0,  sum p = 1
//! ```
//!
//! unique when the null space of `W` is one-dimensional (checked; otherwise
//! [`SteadyError::Degenerate`]: third order would be needed). `rho*` is positive semidefinite
//! exactly when `p >= 0`. Slow rates: the eigenvalues of `L(w)` near zero are
//! `w^2 mu + O(w^3)` with `mu` the eigenvalues of `W` (populations) and
//! `-i w (lambda_Ja - lambda_Jb) + w^2 g_ab + O(w^3)` with the diagonal second-order elements
//! `g_ab = q_Ja^T [G2 (q_Ja q_Jb^T)]_J q_Jb` (coherences, non-degenerate frequencies). The rate
//! coefficients reported are `-Re mu`, `-Re g_ab` (units A / zeta^2: the rate at disorder `w` is
//! `w^2` times the coefficient).
//!
//! ## Two evaluations
//! - [`LimitMethod::Kronecker`] (every N the Schur–Weyl basis fits, N <= 12 or so): every
//!   operator is, per sector pair, a sum of (spin matrix) (x) (multiplicity matrix) by the
//!   Wigner–Eckart theorem ([`crate::coarse::Reduced`]); `L0` acts on the `(J', J)` block as
//!   `L0coll_{J'J} (x) 1` (Eq. 7 with spin-J' operators on the left and spin-J on the right,
//!   `(2J'+1)(2J+1)` square, inverted once per `(N, r, alpha, Delta)`). Each term of `G2` applied
//!   to `C_J` is `t * L C_J R` with a scalar spin trace `t` and multiplicity matrices `L`, `R`,
//!   so `W` is a sum of elementwise products `t (Q_K^T L Q_J)[b, a] (Q_J^T R Q_K)[a, b]`. No
//!   `4^N` vector is formed except the final `rho*`.
//! - [`LimitMethod::FullSpace`] (the reference, N <= 8): `L1`, `L2` applied as dense `2^N`
//!   matrices, `L0^#` by GMRES on the matrix-free ideal Liouvillian bordered with `Z Y^dag`, `G1`
//!   and `G2` assembled column by column (`C_N` solves), the kernel of `G1` from the eigenvectors
//!   of the Hermitian `i G1`, and the second-order eigenvalues from each eigenspace of `G1`.
//!
//! Both give the same state and rates (tests: 1e-9); [`LimitMethod::Auto`] runs the Kronecker
//! form. See docs/limit.md for the derivation and what was verified.

use crate::coarse::Reduced;
use crate::schur_weyl::SchurWeyl;
use crate::{SteadyError, C64};
use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, Par, Side};
use sqz_krylov::LinearOperator;
use sqz_model::Params;
use std::time::Instant;

const ZERO: C64 = C64::new(0.0, 0.0);
const ONE: C64 = C64::new(1.0, 0.0);
const IM: C64 = C64::new(0.0, 1.0);

/// How the limit is evaluated (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitMethod {
    /// the Kronecker form (the same answer as the full-space reference, much cheaper)
    Auto,
    /// Kronecker (Wigner–Eckart) form in the Schur–Weyl basis
    Kronecker,
    /// full Liouville space with GMRES for the group inverse (reference; N <= 8)
    FullSpace,
}

impl LimitMethod {
    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            LimitMethod::Auto => "auto",
            LimitMethod::Kronecker => "limit-kronecker",
            LimitMethod::FullSpace => "limit-full-space",
        }
    }
}

/// Largest N of [`LimitMethod::FullSpace`] (`C_8 = 1430` GMRES solves of dimension 32768).
pub const FULL_SPACE_N_MAX: usize = 8;

/// Parameters of [`limit_state`].
#[derive(Debug, Clone, Copy)]
pub struct LimitParams {
    /// evaluation (module docs)
    pub method: LimitMethod,
    /// number of rate coefficients reported
    pub n_rates: usize,
    /// two eigenvalues of `h_J` closer than this (relative to the largest `|lambda|`) count as
    /// degenerate, which is refused; a spacing below 1e-3 of it is reported in the notes
    pub degeneracy_tol: f64,
    /// the null space of the populations matrix is unique when its second-smallest eigenvalue
    /// is above this (relative to the largest)
    pub uniqueness_tol: f64,
    /// relative residual of the GMRES solves of the full-space method
    pub gmres_tol: f64,
}

impl Default for LimitParams {
    fn default() -> Self {
        Self {
            method: LimitMethod::Auto,
            n_rates: 6,
            degeneracy_tol: 1e-9,
            uniqueness_tol: 1e-9,
            gmres_tol: 1e-13,
        }
    }
}

/// Kind of a slow mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeKind {
    /// a combination of populations (kernel of `G1`): real rate, no first-order frequency
    Population,
    /// a coherence `q_Ja q_Jb^T` between eigenvectors of `h_J`: oscillates at `w (lambda_a - lambda_b)`
    Coherence,
}

/// The `w -> 0+` limit of the steady state with its perturbation data.
#[derive(Debug, Clone)]
pub struct LimitReport {
    /// parity-block vector of `rho*` (`sqz_superop::parity` order), Hermitian, trace 1
    pub rho_block: Vec<C64>,
    /// `rho*` in Schur–Weyl coordinates (`C_J` column-major at the sector offsets; `rho* = Z c*`)
    pub coarse: Vec<C64>,
    /// `(J, Tr C_J)`: the weight of each total-spin sector in `rho*`
    pub sector_weights: Vec<(f64, f64)>,
    /// eigenvalues of each `C_J` (the populations `p_Ja` in the eigenbasis of `h_J`), ascending
    pub populations: Vec<Vec<f64>>,
    /// the slowest rates divided by `w^2` (A / zeta^2), ascending, the trace mode excluded:
    /// the relaxation rates of `L(w)` are `w^2` times these to leading order
    pub rate_coefficients: Vec<f64>,
    /// the kind of each entry of `rate_coefficients`
    pub rate_kinds: Vec<ModeKind>,
    /// eigenvalues of the populations matrix `W = P1 G2 P1`, by increasing modulus (the first is
    /// the null one)
    pub population_eigenvalues: Vec<C64>,
    /// `|mu_1|`: the modulus of the second eigenvalue of `W` (the uniqueness margin of `rho*`)
    pub uniqueness_gap: f64,
    /// eigenvalues of `h_J` per sector (`G1 = -i [h_J, .]`); empty for the full-space method
    pub h_spectra: Vec<Vec<f64>>,
    /// the smallest nonzero first-order frequency `|lambda_a - lambda_b|` (A / zeta): the limit
    /// describes `L(w)` for `w` well below this divided by the rate coefficients
    pub min_frequency: f64,
    /// dimension of the kernel of `G1` (`binom(N, floor(N/2))` when every `h_J` is non-degenerate)
    pub ker_g1_dim: usize,
    /// `max |Re|` over the spectrum of `G1` relative to its largest modulus (0: no first-order damping)
    pub g1_real_part: f64,
    /// evaluation used
    pub method: LimitMethod,
    /// smallest eigenvalue of `rho*` (exact: products of the eigenvalues of `rho_J` and `C_J`)
    pub min_eigenvalue: f64,
    /// GMRES solves (full-space method; 0 otherwise)
    pub solves: usize,
    /// notes for the user
    pub notes: Vec<String>,
    /// wall time in seconds (set-up included)
    pub seconds: f64,
}

impl LimitReport {
    /// The squeezing of `rho*` (`1 / xi_R^2` is `.inv_xi2`).
    pub fn squeezing(&self) -> Result<sqz_model::observables::Squeezing, SteadyError> {
        Ok(sqz_superop::observables::moments_parity(&self.rho_block).squeezing()?)
    }

    /// The smallest rate coefficient (the gap of `L(w)` is `w^2` times it to leading order).
    pub fn gap_coefficient(&self) -> Option<f64> {
        self.rate_coefficients.first().copied()
    }
}

/// `Delta'_ij`: the first-order coefficient of `Delta_ij` (row-major `N x N`, zero diagonal).
pub fn delta_prime(chi: &[f64]) -> Vec<f64> {
    let n = chi.len();
    let mut d = vec![0.0; n * n];
    for i in 0..n {
        for j in i + 1..n {
            let v = -0.5 * (chi[j] - chi[i]);
            d[i * n + j] = v;
            d[j * n + i] = v;
        }
    }
    d
}

/// Validates a disorder direction: N finite numbers in `[-1, 1]`, not all equal.
pub fn check_chi(chi: &[f64], n: usize) -> Result<(), SteadyError> {
    let bad = |value: String, allowed: &'static str| {
        SteadyError::Model(sqz_model::ModelError::InvalidParameter {
            name: "chi",
            value,
            allowed,
        })
    };
    if chi.len() != n {
        return Err(bad(
            format!("{} values", chi.len()),
            "exactly N disorder offsets chi_i, one per TLS",
        ));
    }
    if let Some(x) = chi.iter().find(|x| !x.is_finite() || x.abs() > 1.0) {
        return Err(bad(x.to_string(), "finite offsets with -1 <= chi_i <= 1"));
    }
    Ok(())
}

/// Disordered positions `z_i = 2 pi i + w chi_i` (the convention of the limit).
pub fn positions(chi: &[f64], w: f64) -> Vec<f64> {
    chi.iter()
        .enumerate()
        .map(|(i, c)| 2.0 * std::f64::consts::PI * i as f64 + w * c)
        .collect()
}

// ------------------------------------------------------------------ small dense helpers

fn to_c(m: &Mat<f64>) -> Mat<C64> {
    Mat::<C64>::from_fn(m.nrows(), m.ncols(), |i, j| C64::new(m[(i, j)], 0.0))
}

fn max_abs(m: &Mat<C64>) -> f64 {
    let mut s: f64 = 0.0;
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            s = s.max(m[(i, j)].norm());
        }
    }
    s
}

/// `Tr(a b)` without forming the product.
fn trace_prod(a: &Mat<C64>, b: &Mat<C64>) -> C64 {
    let mut s = ZERO;
    for i in 0..a.nrows() {
        for k in 0..a.ncols() {
            let x = a[(i, k)];
            if x != ZERO {
                s += x * b[(k, i)];
            }
        }
    }
    s
}

fn scaled(m: &Mat<C64>, c: C64) -> Mat<C64> {
    Mat::<C64>::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)] * c)
}

fn mul(a: &Mat<C64>, b: &Mat<C64>) -> Mat<C64> {
    a * b
}

fn adj(a: &Mat<C64>) -> Mat<C64> {
    a.adjoint().to_owned()
}

// ------------------------------------------------------------------ set-up

/// One total-spin sector.
#[derive(Debug, Clone, Copy)]
struct Sec {
    two_j: usize,
    nj: usize,
    d: usize,
    off: usize,
}

/// The configuration-independent part of the limit: the Schur–Weyl basis, the reduced matrices,
/// the spin-J steady states and the group inverses of the collective Liouvillian on every sector
/// pair with `|J - J'| <= 2`. Depends on `(N, r, alpha, Delta)` only; a study keeps one.
pub struct LimitSetup {
    params: (usize, f64, f64, f64),
    sw: SchurWeyl,
    red: Reduced,
    sec: Vec<Sec>,
    rho: Vec<Mat<C64>>,
    /// `ginv[a * ns + b]`: the group inverse of `L0coll_{J_a J_b}` on `vec` (column-major) of
    /// `(2J_a+1) x (2J_b+1)` matrices
    ginv: Vec<Option<Mat<C64>>>,
    u0: C64,
    v0: C64,
    /// largest `|L0coll G L0coll - L0coll|` relative to `|L0coll|` (diagnostic)
    pub ginv_defect: f64,
    /// seconds to build
    pub seconds: f64,
}

/// Dense Dicke-basis spin matrices `(S-, S+, S^z)` for `2J = two_j`.
fn spin_mats(two_j: usize) -> (Mat<C64>, Mat<C64>, Mat<C64>) {
    let nj = two_j + 1;
    let mut sp = Mat::<C64>::zeros(nj, nj);
    for k in 0..two_j {
        sp[(k + 1, k)] = C64::new(sqz_model::spin::s_plus_element(two_j, k), 0.0);
    }
    let sm = adj(&sp);
    let sz = Mat::<C64>::from_fn(nj, nj, |i, j| {
        if i == j {
            C64::new(sqz_model::spin::m_of(two_j, i), 0.0)
        } else {
            ZERO
        }
    });
    (sm, sp, sz)
}

/// The collective Liouvillian (Eq. 7) on the `(J_a, J_b)` block, acting on `vec` (column-major)
/// of `na x nb` matrices: spin-`J_a` operators on the left, spin-`J_b` on the right.
fn l0_block(p: &Params, two_ja: usize, two_jb: usize) -> Mat<C64> {
    let (ma, pa, za) = spin_mats(two_ja);
    let (mb, pb, zb) = spin_mats(two_jb);
    let (na, nb) = (two_ja + 1, two_jb + 1);
    let dim = na * nb;
    let mut l = Mat::<C64>::zeros(dim, dim);
    // X -> c A X B:  vec(A X B) = (B^T (x) A) vec X
    let mut add = |a: &Mat<C64>, b: &Mat<C64>, c: C64| {
        for jx in 0..nb {
            for ix in 0..na {
                for lb in 0..nb {
                    let bv = b[(lb, jx)];
                    if bv == ZERO {
                        continue;
                    }
                    for ka in 0..na {
                        let av = a[(ix, ka)];
                        if av != ZERO {
                            l[(ix + na * jx, ka + na * lb)] += c * av * bv;
                        }
                    }
                }
            }
        }
    };
    let ia = Mat::<C64>::identity(na, na);
    let ib = Mat::<C64>::identity(nb, nb);
    let dn = p.delta_n();
    add(&za, &ib, C64::new(0.0, -dn));
    add(&ia, &zb, C64::new(0.0, dn));
    // D(A, B) X = 2 A X B - X B A - B A X, A and B collective
    let nsq = p.nsq();
    let m = p.m();
    let terms: [(&Mat<C64>, &Mat<C64>, &Mat<C64>, &Mat<C64>, C64); 4] = [
        (&pa, &ma, &pb, &mb, C64::new(0.5 * nsq, 0.0)),
        (&ma, &pa, &mb, &pb, C64::new(0.5 * (nsq + 1.0), 0.0)),
        (&pa, &pa, &pb, &pb, -0.5 * m),
        (&ma, &ma, &mb, &mb, -0.5 * m.conj()),
    ];
    for (a_left, b_left, a_right, b_right, c) in terms {
        // left factor A acts on spin a, right factor B on spin b
        add(a_left, b_right, 2.0 * c);
        let ba_right = mul(b_right, a_right);
        add(&ia, &ba_right, -c);
        let ba_left = mul(b_left, a_left);
        add(&ba_left, &ib, -c);
    }
    l
}

impl LimitSetup {
    /// Builds the set-up for `p`.
    pub fn new(p: &Params) -> Result<Self, SteadyError> {
        let t0 = Instant::now();
        let sw = SchurWeyl::new(p)?;
        let red = Reduced::new(&sw);
        let n = p.n();
        let ns = sw.n_sectors();
        let sec: Vec<Sec> = (0..ns)
            .map(|k| {
                let (q, d, _, off) = sw.sector(k);
                Sec {
                    two_j: n - 2 * q,
                    nj: n - 2 * q + 1,
                    d,
                    off,
                }
            })
            .collect();
        let rho: Vec<Mat<C64>> = (0..ns).map(|k| sw.sector_rho(k).clone()).collect();
        let mut ginv = vec![None; ns * ns];
        let mut defect: f64 = 0.0;
        for a in 0..ns {
            for b in 0..ns {
                if sec[a].two_j.abs_diff(sec[b].two_j) > 4 {
                    continue;
                }
                let l = l0_block(p, sec[a].two_j, sec[b].two_j);
                let dim = l.nrows();
                let g = if a == b {
                    // (L + rho 1^T)^{-1} - rho 1^T, 1^T vec(S) = Tr S
                    let nj = sec[a].nj;
                    let r = &rho[a];
                    let rv: Vec<C64> = (0..dim).map(|k| r[(k % nj, k / nj)]).collect();
                    let tv: Vec<C64> = (0..dim)
                        .map(|k| if k % nj == k / nj { ONE } else { ZERO })
                        .collect();
                    let res = (0..dim)
                        .map(|i| (0..dim).map(|k| l[(i, k)] * rv[k]).sum::<C64>().norm())
                        .fold(0.0, f64::max);
                    if res > 1e-9 * max_abs(&l).max(1.0) {
                        return Err(SteadyError::Unsupported(format!(
                            "limit set-up: the spin-{} steady state is not the null vector of the \
                             collective Liouvillian on its block (residual {res:.2e})",
                            sec[a].two_j as f64 / 2.0
                        )));
                    }
                    let bord = Mat::<C64>::from_fn(dim, dim, |i, k| l[(i, k)] + rv[i] * tv[k]);
                    let inv = bord.partial_piv_lu().inverse();
                    Mat::<C64>::from_fn(dim, dim, |i, k| inv[(i, k)] - rv[i] * tv[k])
                } else {
                    l.partial_piv_lu().inverse()
                };
                // L G L = L (group inverse property; on invertible blocks L G = I)
                let lgl = &l * &g * &l;
                let d = Mat::<C64>::from_fn(dim, dim, |i, k| lgl[(i, k)] - l[(i, k)]);
                defect = defect.max(max_abs(&d) / max_abs(&l).max(1e-300));
                ginv[a * ns + b] = Some(g);
            }
        }
        if !(defect < 1e-8) {
            return Err(SteadyError::Unsupported(format!(
                "limit set-up: group inverse of the collective Liouvillian inaccurate ({defect:.2e})"
            )));
        }
        let s2 = std::f64::consts::FRAC_1_SQRT_2;
        Ok(Self {
            params: (p.n(), p.r(), p.alpha(), p.delta()),
            sw,
            red,
            sec,
            rho,
            ginv,
            u0: C64::new(p.r().cosh() * s2, 0.0),
            v0: -C64::from_polar(p.r().sinh() * s2, p.alpha()),
            ginv_defect: defect,
            seconds: t0.elapsed().as_secs_f64(),
        })
    }

    /// Whether this set-up was built for the parameters `p`.
    pub fn matches(&self, p: &Params) -> bool {
        self.params == (p.n(), p.r(), p.alpha(), p.delta())
    }

    /// The Schur–Weyl basis.
    pub fn schur_weyl(&self) -> &SchurWeyl {
        &self.sw
    }

    /// Number of TLS.
    pub fn n(&self) -> usize {
        self.params.0
    }

    /// Dimension of the populations space, `sum_J d_J`.
    pub fn populations_dim(&self) -> usize {
        self.sec.iter().map(|s| s.d).sum()
    }

    fn ns(&self) -> usize {
        self.sec.len()
    }

    /// `vec^-1(G vec(s))` for the group inverse of block `(a, b)`.
    fn apply_ginv(&self, a: usize, b: usize, s: &Mat<C64>) -> Mat<C64> {
        let g = self.ginv[a * self.ns() + b]
            .as_ref()
            .expect("group inverse of a sector pair within |J - J'| <= 2");
        let (na, nb) = (self.sec[a].nj, self.sec[b].nj);
        let mut out = Mat::<C64>::zeros(na, nb);
        for k in 0..na * nb {
            let x = s[(k % na, k / na)];
            if x == ZERO {
                continue;
            }
            for i in 0..na * nb {
                out[(i % na, i / na)] += g[(i, k)] * x;
            }
        }
        out
    }
}

// ------------------------------------------------------------------ Kronecker operators

/// One Kronecker term `s (x) m` of an operator block (spin part `s`, multiplicity part `m`).
#[derive(Clone)]
struct KTerm {
    s: Mat<C64>,
    m: Mat<C64>,
}

/// An operator on `(C^2)^N` in the Schur–Weyl basis: per sector pair `(to, from)` a sum of
/// Kronecker terms.
#[derive(Clone)]
struct KOp {
    ns: usize,
    b: Vec<Vec<KTerm>>,
}

impl KOp {
    fn zero(ns: usize) -> Self {
        Self {
            ns,
            b: (0..ns * ns).map(|_| Vec::new()).collect(),
        }
    }

    fn at(&self, to: usize, from: usize) -> &[KTerm] {
        &self.b[to * self.ns + from]
    }

    /// `coef * S-[f]`, `S-[f] = sum_i f_i sigma_i`.
    fn lowering(su: &LimitSetup, f: &[f64], coef: C64) -> Self {
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

    fn adjoint(&self) -> Self {
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

    fn plus(mut self, o: Self) -> Self {
        for (a, b) in self.b.iter_mut().zip(o.b) {
            a.extend(b);
        }
        self
    }

    /// `H1 = -sum_{i != j} Delta'_ij s+_i s-_j`: block `(J', J)` is
    /// `sum_J'' (T_{J''J'}^T T_{J''J}) (x) (-sum_ij Delta'_ij R^(i)T_{J''J'} R^(j)_{J''J})`.
    fn h1(su: &LimitSetup, dp: &[f64]) -> Self {
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
                    let s = tt.transpose() * tf;
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
struct KronTaylor {
    h1: KOp,
    /// `(P, Q)` pairs of `L2 = 2 sum D(P, Q)`
    pairs: Vec<(KOp, KOp)>,
}

impl KronTaylor {
    fn new(su: &LimitSetup, chi: &[f64]) -> Self {
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
trait Acc {
    fn add(&mut self, k: usize, j: usize, t: C64, l: Option<&Mat<C64>>, r: Option<&Mat<C64>>);
}

/// One term of a symbolic super-vector `sum s (x) (L C R)` in block `(a, b)`.
struct XTerm {
    a: usize,
    b: usize,
    s: Mat<C64>,
    l: Option<Mat<C64>>,
    r: Option<Mat<C64>>,
}

fn opt_mul(a: Option<&Mat<C64>>, b: Option<&Mat<C64>>) -> Option<Mat<C64>> {
    match (a, b) {
        (None, None) => None,
        (Some(a), None) => Some(a.clone()),
        (None, Some(b)) => Some(b.clone()),
        (Some(a), Some(b)) => Some(mul(a, b)),
    }
}

/// `Y^dag L1 Z C_J` (the first-order generator), as terms.
fn g1_terms(su: &LimitSetup, kt: &KronTaylor, j: usize, acc: &mut impl Acc) {
    let rho = &su.rho[j];
    for h in kt.h1.at(j, j) {
        acc.add(j, j, -IM * trace_prod(&h.s, rho), Some(&h.m), None);
        acc.add(j, j, IM * trace_prod(rho, &h.s), None, Some(&h.m));
    }
}

/// `G2 C_J = Y^dag L2 Z C_J - Y^dag L1 L0^# L1 Z C_J`, as terms.
fn g2_terms(su: &LimitSetup, kt: &KronTaylor, j: usize, acc: &mut impl Acc) {
    let ns = su.ns();
    let rho = &su.rho[j];
    // Y^dag L2 Z C:  L2 = 2 sum_(P,Q) [P X Q^dag - (1/2) Q^dag P X - (1/2) X Q^dag P]
    for (p, q) in &kt.pairs {
        for k in 0..ns {
            for pt in p.at(k, j) {
                let pr = mul(&pt.s, rho);
                for qt in q.at(k, j) {
                    let qsa = adj(&qt.s);
                    // sandwich into sector k
                    let t = 2.0 * trace_prod(&pr, &qsa);
                    if t != ZERO {
                        acc.add(k, j, t, Some(&pt.m), Some(&adj(&qt.m)));
                    }
                    // (Q^dag P)_{jj} through sector k, left and right of C_J
                    let qp_s = mul(&qsa, &pt.s);
                    let tl = -trace_prod(&qp_s, rho);
                    let tr = -trace_prod(rho, &qp_s);
                    if tl != ZERO || tr != ZERO {
                        let qp_m = adj(&qt.m) * &pt.m;
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
            let s = scaled(&mul(&h.s, rho), -IM);
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
            let s = scaled(&mul(rho, &h.s), IM);
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
                let l = opt_mul(Some(&h.m), x.l.as_ref());
                acc.add(k, j, t, l.as_ref(), x.r.as_ref());
            }
        }
        // (X2 H1)_{kk} with x in block (k, b): H1 block (b, k)
        let k = x.a;
        for h in kt.h1.at(x.b, k) {
            let t = -IM * trace_prod(&x.s, &h.s);
            if t != ZERO {
                let r = opt_mul(x.r.as_ref(), Some(&h.m));
                acc.add(k, j, t, x.l.as_ref(), r.as_ref());
            }
        }
    }
}

/// Accumulates `W` (populations) and the second-order elements of the coherences in the
/// eigenbases `Q_J` of `h_J`: the diagonal ones, and the blocks among coherences of equal
/// first-order frequency (`clusters`).
struct PopAcc<'a> {
    q: &'a [Mat<C64>],
    qt: Vec<Mat<C64>>,
    poff: Vec<usize>,
    w: Mat<C64>,
    /// `coh[J][(a, b)] = q_a^T [G2 (q_a q_b^T)]_J q_b`
    coh: Vec<Mat<C64>>,
    /// coherences `(J, a, b)` with equal frequency `lambda_Ja - lambda_Jb`, two or more each
    clusters: Vec<Vec<(usize, usize, usize)>>,
    /// `G2` restricted to each cluster
    cmat: Vec<Mat<C64>>,
}

impl<'a> PopAcc<'a> {
    fn new(q: &'a [Mat<C64>], clusters: Vec<Vec<(usize, usize, usize)>>) -> Self {
        let mut poff = Vec::with_capacity(q.len());
        let mut at = 0;
        for m in q {
            poff.push(at);
            at += m.nrows();
        }
        Self {
            q,
            qt: q.iter().map(|m| m.transpose().to_owned()).collect(),
            poff,
            w: Mat::<C64>::zeros(at, at),
            coh: q
                .iter()
                .map(|m| Mat::<C64>::zeros(m.nrows(), m.nrows()))
                .collect(),
            cmat: clusters
                .iter()
                .map(|c| Mat::<C64>::zeros(c.len(), c.len()))
                .collect(),
            clusters,
        }
    }
}

impl Acc for PopAcc<'_> {
    fn add(&mut self, k: usize, j: usize, t: C64, l: Option<&Mat<C64>>, r: Option<&Mat<C64>>) {
        let (dk, dj) = (self.q[k].nrows(), self.q[j].nrows());
        // Lq = Q_k^T L Q_j (dk x dj), Rq = Q_j^T R Q_k (dj x dk); None: identity (k == j)
        let lq = l.map(|l| &self.qt[k] * l * &self.q[j]);
        let rq = r.map(|r| &self.qt[j] * r * &self.q[k]);
        let lv = |b: usize, a: usize| match &lq {
            Some(m) => m[(b, a)],
            None => {
                if a == b {
                    ONE
                } else {
                    ZERO
                }
            }
        };
        let rv = |a: usize, b: usize| match &rq {
            Some(m) => m[(a, b)],
            None => {
                if a == b {
                    ONE
                } else {
                    ZERO
                }
            }
        };
        let (ok, oj) = (self.poff[k], self.poff[j]);
        for a in 0..dj {
            for b in 0..dk {
                if (lq.is_none() || rq.is_none()) && a != b {
                    continue;
                }
                self.w[(ok + b, oj + a)] += t * lv(b, a) * rv(a, b);
            }
        }
        if k == j {
            let c = &mut self.coh[j];
            for a in 0..dj {
                for b in 0..dj {
                    c[(a, b)] += t * lv(a, a) * rv(b, b);
                }
            }
        }
        // q_a^T [t L (q_c q_d^T) R] q_b for (k, a, b) and (j, c, d) in one cluster
        for (cl, m) in self.clusters.iter().zip(self.cmat.iter_mut()) {
            for (i1, &(k1, a, b)) in cl.iter().enumerate() {
                if k1 != k {
                    continue;
                }
                for (i2, &(j2, c, d)) in cl.iter().enumerate() {
                    if j2 == j {
                        m[(i1, i2)] += t * lv(a, c) * rv(d, b);
                    }
                }
            }
        }
    }
}

/// Applies the terms to all coarse unit vectors of the source sector (a dense column block).
struct DenseAcc<'a> {
    su: &'a LimitSetup,
    /// `C_N x C_N`
    m: Mat<C64>,
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

fn h_from(su: &LimitSetup, kt: &KronTaylor) -> Vec<Mat<f64>> {
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

// ------------------------------------------------------------------ full-space reference

/// `L1` and `L2` of one configuration as dense `2^N` operators (the full-space reference).
pub struct FullTaylor {
    n: usize,
    h1: Mat<C64>,
    /// `(P, Q, Q^dag P)` of `L2 = 2 sum D(P, Q)`
    pairs: Vec<(Mat<C64>, Mat<C64>, Mat<C64>)>,
}

impl FullTaylor {
    /// Dense `2^N` matrices for `p` and the disorder direction `chi` (N <= 10 or so).
    pub fn new(p: &Params, chi: &[f64]) -> Self {
        let n = p.n();
        let dh = 1usize << n;
        let lower = |f: &[f64]| {
            let mut m = Mat::<C64>::zeros(dh, dh);
            for b in 0..dh {
                for (i, &fi) in f.iter().enumerate() {
                    if (b >> i) & 1 == 1 {
                        m[(b ^ (1 << i), b)] += C64::new(fi, 0.0);
                    }
                }
            }
            m
        };
        let s2 = std::f64::consts::FRAC_1_SQRT_2;
        let u0 = C64::new(p.r().cosh() * s2, 0.0);
        let v0 = -C64::from_polar(p.r().sinh() * s2, p.alpha());
        let one = vec![1.0; n];
        let chi2: Vec<f64> = chi.iter().map(|c| c * c).collect();
        let comb = |f: &[f64], a: C64, b: C64| {
            let m = lower(f);
            let ma = adj(&m);
            Mat::<C64>::from_fn(dh, dh, |i, j| a * m[(i, j)] + b * ma[(i, j)])
        };
        let j0 = comb(&one, u0, v0);
        let k1 = comb(chi, u0, -v0);
        let j2 = comb(&chi2, -0.5 * u0, -0.5 * v0);
        let dp = delta_prime(chi);
        let mut h1 = Mat::<C64>::zeros(dh, dh);
        for b in 0..dh {
            for j in 0..n {
                if (b >> j) & 1 == 0 {
                    continue;
                }
                for i in 0..n {
                    if i == j || ((b ^ (1 << j)) >> i) & 1 == 1 {
                        continue;
                    }
                    let a = (b ^ (1 << j)) | (1 << i);
                    h1[(a, b)] += C64::new(-dp[i * n + j], 0.0);
                }
            }
        }
        let pair = |p: &Mat<C64>, q: &Mat<C64>| (p.clone(), q.clone(), q.adjoint() * p);
        let pairs = vec![pair(&j0, &j2), pair(&j2, &j0), pair(&k1, &k1)];
        Self { n, h1, pairs }
    }

    fn to_full(&self, xb: &[C64]) -> Mat<C64> {
        let n = self.n;
        let dh = 1usize << n;
        Mat::<C64>::from_fn(dh, dh, |a, b| {
            sqz_superop::parity::block_index(n, a, b).map_or(ZERO, |k| xb[k])
        })
    }

    fn to_block(&self, m: &Mat<C64>) -> Vec<C64> {
        let n = self.n;
        let bd = sqz_superop::parity::block_dim(n);
        (0..bd)
            .map(|k| {
                let (a, b) = sqz_superop::parity::full_index(n, k);
                m[(a, b)]
            })
            .collect()
    }

    /// `L1 x = -i [H1, x]` on a parity-block vector.
    pub fn l1(&self, xb: &[C64]) -> Vec<C64> {
        let x = self.to_full(xb);
        let y = &self.h1 * &x - &x * &self.h1;
        self.to_block(&scaled(&y, -IM))
    }

    /// `L2 x = 2 sum_(P,Q) D(P, Q) x` on a parity-block vector.
    pub fn l2(&self, xb: &[C64]) -> Vec<C64> {
        let x = self.to_full(xb);
        let dh = x.nrows();
        let mut y = Mat::<C64>::zeros(dh, dh);
        for (p, q, qp) in &self.pairs {
            y += p * &x * q.adjoint();
            y -= faer::Scale(C64::new(0.5, 0.0)) * (qp * &x + &x * qp);
        }
        self.to_block(&scaled(&y, C64::new(2.0, 0.0)))
    }
}

/// `L0 + Z Y^dag` on the parity block (nonsingular: the ideal null space is bordered away).
struct Bordered<'a> {
    l0: &'a sqz_superop::ParityBlock,
    sw: &'a SchurWeyl,
}

impl LinearOperator for Bordered<'_> {
    fn dim(&self) -> usize {
        self.l0.dim()
    }
    fn apply(&self, x: &[C64], y: &mut [C64]) {
        self.l0.apply(x, y);
        let mut c = vec![ZERO; self.sw.dim()];
        self.sw.restrict(x, &mut c, Par::Seq);
        let mut z = vec![ZERO; x.len()];
        self.sw.prolong(&c, &mut z);
        y.iter_mut().zip(&z).for_each(|(a, b)| *a += b);
    }
}

struct Jacobi(Vec<C64>);

impl LinearOperator for Jacobi {
    fn dim(&self) -> usize {
        self.0.len()
    }
    fn apply(&self, x: &[C64], y: &mut [C64]) {
        y.iter_mut()
            .zip(x)
            .zip(&self.0)
            .for_each(|((y, x), s)| *y = x * s);
    }
}

/// `G1`, `G2` (dense `C_N x C_N`, coarse coordinates) through the full Liouville space: `L1`,
/// `L2` dense ([`FullTaylor`]), `L0^#` by Jacobi-preconditioned GMRES on `L0 + Z Y^dag`
/// (`L0^# x = (L0 + Z Y^dag)^{-1} x - Z Y^dag x`), one solve per coarse basis vector. Returns
/// `(G1, G2, solves)`.
pub fn full_space_generators(
    su: &LimitSetup,
    p: &Params,
    chi: &[f64],
    gmres_tol: f64,
) -> Result<(Mat<C64>, Mat<C64>, usize), SteadyError> {
    let n = p.n();
    let ft = FullTaylor::new(p, chi);
    let l0 = sqz_superop::ParityBlock::new(p, &sqz_model::positions::ideal(n))?;
    let sw = &su.sw;
    let cn = sw.dim();
    let bd = l0.dim();
    let op = Bordered { l0: &l0, sw };
    let jac = Jacobi(
        crate::iterative::block_diagonal(p)
            .into_iter()
            .map(|d| if d.norm() > 1e-12 { 1.0 / d } else { ONE })
            .collect(),
    );
    let gp = sqz_krylov::GmresParams {
        restart: 80,
        max_iters: 20_000,
        rel_tol: gmres_tol,
    };
    let mut g1 = Mat::<C64>::zeros(cn, cn);
    let mut g2 = Mat::<C64>::zeros(cn, cn);
    let mut z = vec![ZERO; bd];
    let mut c = vec![ZERO; cn];
    let mut c2 = vec![ZERO; cn];
    let mut solves = 0;
    for col in 0..cn {
        sw.prolong_unit(col, &mut z);
        let x1 = ft.l1(&z);
        sw.restrict(&x1, &mut c, Par::Seq);
        for i in 0..cn {
            g1[(i, col)] = c[i];
        }
        // L0^# x1
        let nx = x1.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
        let mut u = vec![ZERO; bd];
        if nx > 0.0 {
            sqz_krylov::gmres(&op, Some(&jac), &x1, &mut u, &gp).map_err(|e| {
                SteadyError::NoConvergence {
                    method: "limit-full-space",
                    detail: format!("group inverse of L0, coarse column {col}: {e}"),
                }
            })?;
            solves += 1;
            // - Z Y^dag x1
            let mut zc = vec![ZERO; bd];
            sw.prolong(&c, &mut zc);
            u.iter_mut().zip(&zc).for_each(|(a, b)| *a -= b);
        }
        let y2 = ft.l2(&z);
        sw.restrict(&y2, &mut c, Par::Seq);
        let y3 = ft.l1(&u);
        sw.restrict(&y3, &mut c2, Par::Seq);
        for i in 0..cn {
            g2[(i, col)] = c[i] - c2[i];
        }
    }
    Ok((g1, g2, solves))
}

// ------------------------------------------------------------------ the limit

/// The `w -> 0+` limit of the steady state of Eq. 3 for positions `z_i = 2 pi i + w chi_i`
/// (module docs): `rho* = lim_{w -> 0+} rho(w)`, its rate coefficients (slowest rates of `L(w)`
/// divided by `w^2`) and the perturbation data. Errors: a disorder direction that is not N
/// numbers in `[-1, 1]`, a degenerate first-order generator (`h_J` with equal eigenvalues, e.g.
/// two equal `chi_i`), a non-unique second-order null vector, or a state that fails the physical
/// checks (trace 1, Hermitian, positive semidefinite).
pub fn limit_state(p: &Params, chi: &[f64], lp: &LimitParams) -> Result<LimitReport, SteadyError> {
    let su = LimitSetup::new(p)?;
    let mut rep = limit_state_with(&su, p, chi, lp)?;
    rep.seconds += su.seconds;
    Ok(rep)
}

/// [`limit_state`] with a prepared [`LimitSetup`] (studies: one set-up per `(N, r, alpha, Delta)`).
pub fn limit_state_with(
    su: &LimitSetup,
    p: &Params,
    chi: &[f64],
    lp: &LimitParams,
) -> Result<LimitReport, SteadyError> {
    assert!(su.matches(p), "limit set-up built for other parameters");
    let t0 = Instant::now();
    let n = p.n();
    check_chi(chi, n)?;
    let mut rep = match lp.method {
        LimitMethod::Auto | LimitMethod::Kronecker => kronecker_limit(su, chi, lp)?,
        LimitMethod::FullSpace => {
            if n > FULL_SPACE_N_MAX {
                return Err(SteadyError::Unsupported(format!(
                    "the full-space limit is a reference for N <= {FULL_SPACE_N_MAX} (C_N GMRES \
                     solves of dimension 4^N/2); use the Kronecker method at N = {n}"
                )));
            }
            full_space_limit(su, p, chi, lp)?
        }
    };
    rep.seconds = t0.elapsed().as_secs_f64();
    Ok(rep)
}

/// Sorted slow modes: `(rate, kind)` ascending.
fn collect_rates(pop_eigs: &[C64], coh_rates: &[f64], k: usize) -> (Vec<f64>, Vec<ModeKind>) {
    let mut all: Vec<(f64, ModeKind)> = pop_eigs
        .iter()
        .skip(1)
        .map(|mu| (-mu.re, ModeKind::Population))
        .chain(coh_rates.iter().map(|&g| (g, ModeKind::Coherence)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    all.truncate(k);
    all.into_iter().unzip()
}

/// Eigenvalues of `w`, by increasing modulus.
fn sorted_eigenvalues(w: &Mat<C64>) -> Result<Vec<C64>, SteadyError> {
    let mut ev = w
        .eigenvalues()
        .map_err(|e| SteadyError::Unsupported(format!("limit: populations eigenproblem: {e:?}")))?;
    ev.sort_by(|a, b| a.norm().total_cmp(&b.norm()));
    Ok(ev)
}

/// The TLS pair `(i, i+1)` with the closest disorder offsets, in words: equal offsets of
/// neighbours make the pair equivalent at every `w` (`crate::checks::equivalent_pair`).
fn closest_neighbours(chi: &[f64]) -> String {
    match (0..chi.len().saturating_sub(1))
        .map(|i| (i, (chi[i + 1] - chi[i]).abs()))
        .min_by(|a, b| a.1.total_cmp(&b.1))
    {
        Some((i, d)) => format!(
            "; the closest neighbours are TLS {i} and {} with |chi_{i} - chi_{}| = {d:.2e} \
             (equal offsets of neighbours conserve the pair's total spin at every w)",
            i + 1,
            i + 1
        ),
        None => String::new(),
    }
}

/// The null vector of `w` (right singular vector of the smallest singular value) and the
/// uniqueness check on its eigenvalues.
fn null_vector(
    w: &Mat<C64>,
    eigs: &[C64],
    lp: &LimitParams,
    chi: &[f64],
) -> Result<Vec<C64>, SteadyError> {
    let m = w.nrows();
    if m == 1 {
        return Ok(vec![ONE]);
    }
    let scale = eigs
        .iter()
        .map(|v| v.norm())
        .fold(0.0, f64::max)
        .max(1e-300);
    if eigs[1].norm() <= lp.uniqueness_tol * scale {
        return Err(SteadyError::Degenerate(format!(
            "w -> 0+ limit: the second-order generator restricted to the kernel of the first-order \
             one has a null space of dimension >= 2 (eigenvalues {:.3e}, {:.3e} against {:.3e}): \
             the limit state is fixed only at third order, which is not implemented{}",
            eigs[0].norm(),
            eigs[1].norm(),
            scale,
            closest_neighbours(chi)
        )));
    }
    let svd = w.svd().map_err(|e| {
        SteadyError::Unsupported(format!("limit: SVD of the populations matrix: {e:?}"))
    })?;
    let v = svd.V();
    Ok((0..m).map(|i| v[(i, m - 1)]).collect())
}

fn kronecker_limit(
    su: &LimitSetup,
    chi: &[f64],
    lp: &LimitParams,
) -> Result<LimitReport, SteadyError> {
    let kt = KronTaylor::new(su, chi);
    let ns = su.ns();
    let mut notes = Vec::new();
    // first order: h_J and its eigenbasis
    let hs = h_from(su, &kt);
    let mut spectra = Vec::with_capacity(ns);
    let mut qs = Vec::with_capacity(ns);
    for h in &hs {
        let evd = h
            .self_adjoint_eigen(Side::Lower)
            .map_err(|e| SteadyError::Unsupported(format!("limit: eigenvectors of h_J: {e:?}")))?;
        let d = h.nrows();
        spectra.push(
            (0..d)
                .map(|i| evd.S().column_vector()[i])
                .collect::<Vec<f64>>(),
        );
        qs.push(to_c(&evd.U().to_owned()));
    }
    let hscale = spectra
        .iter()
        .flatten()
        .map(|x| x.abs())
        .fold(0.0, f64::max);
    let mut min_freq = f64::INFINITY;
    for (k, s) in spectra.iter().enumerate() {
        for w in s.windows(2) {
            let gap = w[1] - w[0];
            min_freq = min_freq.min(gap);
            if gap <= lp.degeneracy_tol * hscale.max(1e-300) {
                return Err(SteadyError::Degenerate(format!(
                    "w -> 0+ limit: the first-order generator is degenerate in the J = {} sector \
                     (h_J has eigenvalues {:.6e} and {:.6e}, spacing {gap:.2e}, largest |lambda| \
                     {hscale:.3e}): the populations basis is not fixed at first order (equal \
                     chi_i, or a symmetric configuration){}",
                    su.sec[k].two_j as f64 / 2.0,
                    w[0],
                    w[1],
                    closest_neighbours(chi)
                )));
            }
        }
    }
    if min_freq < 1e-3 * hscale {
        notes.push(format!(
            "h_J has nearly equal eigenvalues (smallest spacing {min_freq:.2e}, largest |lambda| \
             {hscale:.2e}): the limit describes L(w) only for w well below that spacing divided by \
             the rate coefficients"
        ));
    }
    // coherences grouped by first-order frequency (the singlet-like sectors have additive
    // spectra, so exactly equal frequencies occur, e.g. at N = 6 and 8)
    let mut modes: Vec<(f64, (usize, usize, usize))> = Vec::new();
    for (k, sp) in spectra.iter().enumerate() {
        for a in 0..sp.len() {
            for b in 0..sp.len() {
                if a != b {
                    modes.push((sp[a] - sp[b], (k, a, b)));
                }
            }
        }
    }
    modes.sort_by(|x, y| x.0.total_cmp(&y.0));
    let ftol = lp.degeneracy_tol * hscale.max(1e-300);
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut near = f64::INFINITY;
    for i in 0..modes.len() {
        let sep = if i > 0 {
            modes[i].0 - modes[i - 1].0
        } else {
            f64::INFINITY
        };
        if sep <= ftol {
            groups.last_mut().expect("a previous mode").push(i);
        } else {
            near = near.min(sep);
            groups.push(vec![i]);
        }
    }
    let clusters: Vec<Vec<(usize, usize, usize)>> = groups
        .iter()
        .filter(|g| g.len() > 1)
        .map(|g| g.iter().map(|&i| modes[i].1).collect())
        .collect();
    if !clusters.is_empty() {
        notes.push(format!(
            "{} groups of coherences ({} modes, up to {} in a group) share a first-order \
             frequency; their rates are the eigenvalues of the second-order generator on each group",
            clusters.len(),
            clusters.iter().map(Vec::len).sum::<usize>(),
            clusters.iter().map(Vec::len).max().unwrap_or(0)
        ));
    }
    if near < 1e-6 * hscale {
        notes.push(format!(
            "two coherences have nearly equal first-order frequencies (spacing {near:.1e}): their \
             rates hold for w well below that spacing divided by the rate coefficients"
        ));
    }
    // second order, projected on the populations and on each coherence
    let mut acc = PopAcc::new(&qs, clusters);
    for j in 0..ns {
        g2_terms(su, &kt, j, &mut acc);
    }
    let np = acc.w.nrows();
    let wim = (0..np)
        .flat_map(|j| (0..np).map(move |i| (i, j)))
        .map(|(i, j)| acc.w[(i, j)].im.abs())
        .fold(0.0, f64::max);
    let wscale = max_abs(&acc.w).max(1e-300);
    if wim > 1e-8 * wscale {
        notes.push(format!(
            "the populations matrix has imaginary parts up to {:.1e} of its scale (expected real)",
            wim / wscale
        ));
    }
    let eigs = sorted_eigenvalues(&acc.w)?;
    let pvec = null_vector(&acc.w, &eigs, lp, chi)?;
    // coherence rates: diagonal second-order elements, or the eigenvalues on a cluster
    let mut coh = Vec::new();
    let mut clustered = vec![Vec::new(); ns];
    for cl in &acc.clusters {
        for &(k, a, b) in cl {
            clustered[k].push((a, b));
        }
    }
    for (k, c) in acc.coh.iter().enumerate() {
        let d = su.sec[k].d;
        for a in 0..d {
            for b in 0..d {
                if a != b && !clustered[k].contains(&(a, b)) {
                    coh.push(-c[(a, b)].re);
                }
            }
        }
    }
    for m in &acc.cmat {
        let ev = m
            .eigenvalues()
            .map_err(|e| SteadyError::Unsupported(format!("limit: coherence cluster: {e:?}")))?;
        coh.extend(ev.iter().map(|v| -v.re));
    }
    // c* = sum_J Q_J diag(p_J) Q_J^T
    let mut c = vec![ZERO; su.sw.dim()];
    let mut at = 0;
    for (k, q) in qs.iter().enumerate() {
        let s = su.sec[k];
        for a in 0..s.d {
            let pa = pvec[at + a];
            for y in 0..s.d {
                for x in 0..s.d {
                    c[s.off + x + s.d * y] += pa * q[(x, a)] * q[(y, a)];
                }
            }
        }
        at += s.d;
    }
    let (rates, kinds) = collect_rates(&eigs, &coh, lp.n_rates);
    let mut rep = finish(
        su,
        c,
        FinishData {
            eigs,
            rates,
            kinds,
            h_spectra: spectra,
            min_freq,
            ker_g1_dim: np,
            g1_real_part: 0.0,
            method: LimitMethod::Kronecker,
            solves: 0,
            notes,
        },
    )?;
    rep.method = if lp.method == LimitMethod::Auto {
        LimitMethod::Kronecker
    } else {
        lp.method
    };
    Ok(rep)
}

fn full_space_limit(
    su: &LimitSetup,
    p: &Params,
    chi: &[f64],
    lp: &LimitParams,
) -> Result<LimitReport, SteadyError> {
    let (g1, g2, solves) = full_space_generators(su, p, chi, lp.gmres_tol)?;
    let cn = g1.nrows();
    let mut notes = Vec::new();
    // i G1 is Hermitian (G1 = -i [h_J, .] per sector)
    let g1s = g1
        .eigenvalues()
        .map_err(|e| SteadyError::Unsupported(format!("limit: spectrum of G1: {e:?}")))?;
    let g1max = g1s.iter().map(|v| v.norm()).fold(0.0, f64::max).max(1e-300);
    let g1re = g1s.iter().map(|v| v.re.abs()).fold(0.0, f64::max) / g1max;
    let herm = Mat::<C64>::from_fn(cn, cn, |i, j| {
        0.5 * (IM * g1[(i, j)] + (IM * g1[(j, i)]).conj())
    });
    let evd = herm
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| SteadyError::Unsupported(format!("limit: eigenvectors of i G1: {e:?}")))?;
    let om: Vec<f64> = (0..cn).map(|i| evd.S().column_vector()[i].re).collect();
    let u = evd.U();
    let tol = lp.degeneracy_tol * g1max;
    // clusters of equal frequency
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    for i in 0..cn {
        match clusters.last_mut() {
            Some(cl) if (om[i] - om[*cl.last().expect("nonempty")]).abs() <= tol => cl.push(i),
            _ => clusters.push(vec![i]),
        }
    }
    let kernel: Vec<usize> = (0..cn).filter(|&i| om[i].abs() <= tol).collect();
    let expect = su.populations_dim();
    if kernel.len() != expect {
        return Err(SteadyError::Degenerate(format!(
            "w -> 0+ limit (full space): the first-order generator is degenerate: the kernel of G1 \
             has dimension {} instead of sum_J d_J = {expect}{}",
            kernel.len(),
            closest_neighbours(chi)
        )));
    }
    let min_freq = om
        .iter()
        .filter(|x| x.abs() > tol)
        .map(|x| x.abs())
        .fold(f64::INFINITY, f64::min);
    let block = |idx: &[usize]| {
        let v = Mat::<C64>::from_fn(cn, idx.len(), |i, k| u[(i, idx[k])]);
        let w = v.adjoint() * &g2 * &v;
        (v, w)
    };
    let (v0, w0) = block(&kernel);
    let eigs = sorted_eigenvalues(&w0)?;
    let pv = null_vector(&w0, &eigs, lp, chi)?;
    let c: Vec<C64> = (0..cn)
        .map(|i| (0..pv.len()).map(|k| v0[(i, k)] * pv[k]).sum())
        .collect();
    let mut coh = Vec::new();
    for cl in &clusters {
        if om[cl[0]].abs() <= tol {
            continue;
        }
        let (_, w) = block(cl);
        let ev = w
            .eigenvalues()
            .map_err(|e| SteadyError::Unsupported(format!("limit: coherence block: {e:?}")))?;
        coh.extend(ev.iter().map(|v| -v.re));
        if cl.len() > 1 {
            notes.push(format!(
                "a first-order frequency {:.4e} is {}-fold degenerate",
                om[cl[0]],
                cl.len()
            ));
        }
    }
    let (rates, kinds) = collect_rates(&eigs, &coh, lp.n_rates);
    finish(
        su,
        c,
        FinishData {
            eigs,
            rates,
            kinds,
            h_spectra: Vec::new(),
            min_freq,
            ker_g1_dim: kernel.len(),
            g1_real_part: g1re,
            method: LimitMethod::FullSpace,
            solves,
            notes,
        },
    )
}

struct FinishData {
    eigs: Vec<C64>,
    rates: Vec<f64>,
    kinds: Vec<ModeKind>,
    h_spectra: Vec<Vec<f64>>,
    min_freq: f64,
    ker_g1_dim: usize,
    g1_real_part: f64,
    method: LimitMethod,
    solves: usize,
    notes: Vec<String>,
}

/// Normalises `c*` to trace 1, checks it, and forms `rho* = Z c*`.
fn finish(su: &LimitSetup, mut c: Vec<C64>, f: FinishData) -> Result<LimitReport, SteadyError> {
    let mut notes = f.notes;
    let tr: C64 = su.sw.trace_indices().iter().map(|&k| c[k]).sum();
    if tr.norm() < 1e-300 {
        return Err(SteadyError::Unphysical(
            "w -> 0+ limit: the null vector has zero trace".into(),
        ));
    }
    c.iter_mut().for_each(|v| *v /= tr);
    // Hermiticity of every C_J, then exact Hermitisation
    let mut herm: f64 = 0.0;
    let mut weights = Vec::new();
    let mut pops = Vec::new();
    let mut min_ev = f64::INFINITY;
    for (k, s) in su.sec.iter().enumerate() {
        let cm = Mat::<C64>::from_fn(s.d, s.d, |i, j| c[s.off + i + s.d * j]);
        for j in 0..s.d {
            for i in 0..s.d {
                herm = herm.max((cm[(i, j)] - cm[(j, i)].conj()).norm());
            }
        }
        let ch = Mat::<C64>::from_fn(s.d, s.d, |i, j| 0.5 * (cm[(i, j)] + cm[(j, i)].conj()));
        for j in 0..s.d {
            for i in 0..s.d {
                c[s.off + i + s.d * j] = ch[(i, j)];
            }
        }
        let nu = ch
            .self_adjoint_eigenvalues(Side::Lower)
            .map_err(|e| SteadyError::Unsupported(format!("limit: eigenvalues of C_J: {e:?}")))?;
        let mu = su.rho[k]
            .self_adjoint_eigenvalues(Side::Lower)
            .map_err(|e| SteadyError::Unsupported(format!("limit: eigenvalues of rho_J: {e:?}")))?;
        for &x in &nu {
            for &y in &mu {
                min_ev = min_ev.min(x * y);
            }
        }
        weights.push((s.two_j as f64 / 2.0, nu.iter().sum::<f64>()));
        pops.push(nu);
    }
    if herm > 1e-8 {
        return Err(SteadyError::Unphysical(format!(
            "w -> 0+ limit: the null vector is not Hermitian ({herm:.2e} after normalisation)"
        )));
    }
    if min_ev < -1e-9 {
        return Err(SteadyError::Unphysical(format!(
            "w -> 0+ limit: the limit state has a negative eigenvalue {min_ev:.3e}"
        )));
    }
    if f.rates.first().is_some_and(|&r| r <= 0.0) {
        notes.push(format!(
            "a second-order rate is not positive ({:.3e}): the expansion is unstable there",
            f.rates[0]
        ));
    }
    let mut rho_block = vec![ZERO; sqz_superop::parity::block_dim(su.n())];
    su.sw.prolong(&c, &mut rho_block);
    let uniqueness_gap = f.eigs.get(1).map_or(f64::INFINITY, |v| v.norm());
    Ok(LimitReport {
        rho_block,
        coarse: c,
        sector_weights: weights,
        populations: pops,
        rate_coefficients: f.rates,
        rate_kinds: f.kinds,
        population_eigenvalues: f.eigs,
        uniqueness_gap,
        h_spectra: f.h_spectra,
        min_frequency: f.min_freq,
        ker_g1_dim: f.ker_g1_dim,
        g1_real_part: f.g1_real_part,
        method: f.method,
        min_eigenvalue: min_ev,
        solves: f.solves,
        notes,
        seconds: 0.0,
    })
}
