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
//! form. See docs/numerics.md ("The w -> 0+ limit") for the derivation and what was verified.

use crate::coarse::Reduced;
use crate::schur_weyl::SchurWeyl;
use crate::{SteadyError, C64};
use faer::{Mat, Par};
use sqz_krylov::LinOp;
use sqz_model::Params;
use std::time::Instant;

mod full_space;
mod groups;
mod kron;
mod setup;
mod state;

use full_space::full_space_limit;
pub use full_space::{full_space_generators, FullTaylor};
use groups::kronecker_limit;
use kron::{g2_terms, h_from, Acc, KronTaylor};
pub use kron::{h_matrices, kronecker_generators};
pub use setup::LimitSetup;
use state::{
    closest_neighbours, collect_rates, finish, null_vector, sorted_eigenvalues, FinishData,
};

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
    /// parallelism of faer's dense linear algebra in the limit and its set-up (`Par::Seq`, the
    /// default: the same bits on any machine); [`limit_state`] builds its [`LimitSetup`] with
    /// it, and [`limit_state_with`] requires a set-up built with it. faer's process-global
    /// setting is never read.
    pub par: Par,
}

impl Default for LimitParams {
    fn default() -> Self {
        Self {
            method: LimitMethod::Auto,
            n_rates: 6,
            degeneracy_tol: 1e-9,
            uniqueness_tol: 1e-9,
            gmres_tol: 1e-13,
            par: Par::Seq,
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

fn mul(a: &Mat<C64>, b: &Mat<C64>, par: Par) -> Mat<C64> {
    sqz_krylov::par_dense::mul(a.as_ref(), b.as_ref(), par)
}

fn adj(a: &Mat<C64>) -> Mat<C64> {
    a.adjoint().to_owned()
}

// ------------------------------------------------------------------ the limit

/// The `w -> 0+` limit of the steady state of Eq. 3 for positions `z_i = 2 pi i + w chi_i`
/// (module docs): `rho* = lim_{w -> 0+} rho(w)`, its rate coefficients (slowest rates of `L(w)`
/// divided by `w^2`) and the perturbation data. Errors: a disorder direction that is not N
/// numbers in `[-1, 1]`, a degenerate first-order generator (`h_J` with equal eigenvalues, e.g.
/// two equal `chi_i`), a non-unique second-order null vector, or a state that fails the physical
/// checks (trace 1, Hermitian, positive semidefinite).
pub fn limit_state(p: &Params, chi: &[f64], lp: &LimitParams) -> Result<LimitReport, SteadyError> {
    let su = LimitSetup::new(p, lp.par)?;
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
    assert!(
        su.matches(p, lp.par),
        "limit set-up built for other parameters or another parallelism"
    );
    let t0 = Instant::now();
    let n = p.n();
    if p.has_local_rates() {
        return Err(SteadyError::Unsupported(format!(
            "the limit w -> 0+ with local rates (gamma_loss = {}, gamma_deph = {}): the limit is \
             that of the paper's model (allowed: rates 0); solve at a finite w",
            p.gamma_loss(),
            p.gamma_deph()
        )));
    }
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
