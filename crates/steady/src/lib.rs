//! # sqz-steady: steady states of the full master equation, Eq. 3
//!
//! `L rho = 0` with `Tr rho = 1` for N disordered TLS, in the physical weak-parity block of the
//! 4^N Liouville space (`sqz_superop::parity`). What makes this hard is the gap: at small
//! disorder w the slowest relaxation rate `g` closes like `w^2` (1e-5 .. 1e-9 A) while the fastest
//! rates are ~30 A, so a residual says little by itself: the error in rho is about
//! `residual / g`. Every solve therefore also estimates `g` and reports the bound.
//!
//! | method | where | how |
//! |---|---|---|
//! | [`Method::DenseHermitian`] | N <= 5 by default (`dense_n_max`; N <= 7 fits) | real LU of `L` on Hermitian matrices of the block, with a rank-one deflation of the trace |
//! | [`Method::TwoLevel`] | N >= 6 (Krylov basis sized to the memory budget) | GMRES on the real form of Hermitian matrices, deflation preconditioner with the ideal null space (Schur–Weyl, dimension C_N) as coarse space, its Galerkin operator applied in Kronecker form and approximately inverted by a level-2 preconditioner; Galerkin gap estimate |
//! | [`Method::GmresJacobi`] | local rates only: above [`TWO_LEVEL_RATE_MAX`] or at ideal positions (N >= 6); else comparisons only | GMRES on the deflated parity block, matrix-free, Jacobi preconditioner; gap by inverse iteration, direct error estimate ([`iterative::certify`]) |
//! | [`Method::CollectiveReduction`] | ideal positions (w = 0), no local rates | the null space is degenerate (Catalan `C_N`); the state reached from a symmetric initial state is the collective one (Eq. 7/8) embedded |
//!
//!
//! The same engine serves the permutational model (Eq. 7 plus local loss and dephasing, blocks of
//! total spin `J`; [`permutational::solve`]): the state is read through the representation trait
//! of both spaces ([`sqz_krylov::certificate::Representation`]: the weak-parity block of Eq. 3,
//! `sqz_superop::ParityBlock`, and the `J` blocks, `sqz_permutational::PermLiouvillian`), and every
//! path returns one [`SteadyReport`] with one [`Outcome`] and the same certificate fields.
//!
//! See `docs/numerics.md` for the reasoning and what is left for larger N.
#![deny(missing_docs)]

mod certificate;
pub mod checks;
pub mod coarse;
mod dense;
mod hermitian;
pub mod ideal;
pub mod iterative;
pub mod limit;
pub mod memory;
pub mod nullspace;
pub mod permutational;
pub mod schur_weyl;
pub mod sparse_direct;
pub mod twolevel;
pub mod validate;

pub use dense::{dense_bytes, solve_dense};
pub use hermitian::HermCoords;
pub use num_complex::Complex64 as C64;

use sqz_model::Params;

/// Errors of the steady-state layer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SteadyError {
    /// Bad input or a model-level failure.
    #[error(transparent)]
    Model(#[from] sqz_model::ModelError),
    /// Superoperator-level failure (memory guard, N too large).
    #[error(transparent)]
    Superop(#[from] sqz_superop::SuperopError),
    /// A failure inside the permutational model (its preconditioner's set-up, its GMRES).
    #[error(transparent)]
    Permutational(#[from] sqz_permutational::PermError),
    /// A solver did not converge; what it reached is reported.
    #[error("{method}: {detail}")]
    NoConvergence {
        /// method that failed
        method: &'static str,
        /// what was reached
        detail: String,
    },
    /// The null space is (numerically) degenerate and no initial state fixes the answer.
    #[error("the steady state is not unique: {0}")]
    Degenerate(String),
    /// Nothing here solves this problem size.
    #[error("{0}")]
    Unsupported(String),
    /// The solver's output failed the physical checks ([`checks::check_physical`]).
    #[error("the computed steady state is not physical: {0}")]
    Unphysical(String),
}

/// How the steady state was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// dense real LU on the Hermitian part of the parity block
    DenseHermitian,
    /// ideal positions: collective steady state embedded in the full space
    CollectiveReduction,
    /// GMRES with a Jacobi preconditioner on the deflated parity block (N beyond the dense method)
    GmresJacobi,
    /// GMRES with the two-level deflation preconditioner (Eq. 3: ideal null space + Jacobi;
    /// permutational model: the Eq. 7 states of the `J` blocks + block Jacobi over `J`)
    TwoLevel,
    /// permutational model: sparse LU of the trace-row matrix of all `J` blocks
    SparseLu,
    /// permutational model without local rates: sparse LU of the block `J = N/2` alone (the
    /// state reached from a symmetric initial state)
    SymmetricSubspaceLu,
}

impl Method {
    /// Name used in reports and result files.
    pub fn name(self) -> &'static str {
        match self {
            Method::DenseHermitian => "dense-hermitian-lu",
            Method::CollectiveReduction => "collective-reduction",
            Method::GmresJacobi => "gmres-jacobi",
            Method::TwoLevel => "gmres-two-level",
            Method::SparseLu => "sparse-lu",
            Method::SymmetricSubspaceLu => "symmetric-subspace-lu",
        }
    }
}

/// Initial state, which matters only when the null space is degenerate (ideal positions).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Initial {
    /// all TLS in `|g>` (`|j,-j>`)
    Ground,
    /// Dicke state `|j, m>` given by its index `k = m + j`
    Dicke(usize),
}

/// Parameters of a steady-state solve.
#[derive(Debug, Clone, Copy)]
pub struct SteadyParams {
    /// target bound on the error in rho (`residual / gap`)
    pub tol: f64,
    /// initial state (degenerate case only)
    pub initial: Initial,
    /// largest N for the dense method
    pub dense_n_max: usize,
    /// estimate the gap (costs a few dozen extra solves with the LU)
    pub estimate_gap: bool,
    /// iteration budget of the iterative method
    pub max_iters: usize,
    /// bytes the solve may allocate; `None`: what the machine has available now
    /// (`sqz_superop::memory::available_bytes`)
    pub memory_budget: Option<u64>,
    /// two-level path: check the Galerkin gap against the operator's own slowest rate
    /// ([`twolevel::verify_gap`], a few dozen extra solves) and base the bound on the checked gap
    pub verify_gap: bool,
    /// two-level path: harmonic Ritz vectors kept across GMRES restarts (GMRES-DR,
    /// [`sqz_krylov::gmres_dr_with`]); 0 gives plain restarted GMRES. Default
    /// [`twolevel::DEFLATE`].
    pub deflate: usize,
    /// two-level path: longest GMRES cycle; the memory budget may make it shorter. Default
    /// [`twolevel::MAX_RESTART`].
    pub max_restart: usize,
    /// two-level path: counters of its Krylov steps for a console to report progress from
    /// (`sqz steady` on stderr); `None`: none. The solve does not depend on it.
    pub progress: Option<&'static sqz_krylov::Progress>,
    /// permutational model ([`permutational::solve`]): the linear solver. Default
    /// [`permutational::PermSolver::Auto`].
    pub perm_solver: permutational::PermSolver,
    /// parallelism of the dense linear algebra (faer) inside the solve: `Par::Seq` (the default)
    /// gives the same bits on any machine and thread count; `Par::rayon(k)` uses a rayon pool
    /// (faer's parallel kernels may round differently with different thread counts). Every path
    /// (dense, ideal positions, GMRES-Jacobi, the two-level set-up and solve, the permutational
    /// model) takes its parallelism from here and never reads faer's process-global setting
    /// (`faer::set_global_parallelism`; tests/explicit_par.rs); so does the limit w -> 0+ from
    /// [`limit::LimitParams::par`]. Nothing in sqz sets that global.
    pub par: faer::Par,
}

impl SteadyParams {
    /// The memory budget of a solve: [`SteadyParams::memory_budget`], else the memory available
    /// now ([`sqz_superop::memory::available_bytes`]).
    pub fn budget(&self) -> u64 {
        self.memory_budget
            .unwrap_or_else(sqz_superop::memory::available_bytes)
    }
}

impl Default for SteadyParams {
    fn default() -> Self {
        Self {
            tol: 1e-8,
            initial: Initial::Ground,
            dense_n_max: 5,
            estimate_gap: true,
            max_iters: 20_000,
            memory_budget: None,
            verify_gap: false,
            deflate: twolevel::DEFLATE,
            max_restart: twolevel::MAX_RESTART,
            progress: None,
            perm_solver: permutational::PermSolver::Auto,
            par: faer::Par::Seq,
        }
    }
}

/// What a steady-state solve achieved: one type for every model ([`sqz_krylov::certificate`]).
pub use sqz_krylov::certificate::Outcome;

/// The prepared set-ups of the methods, for a sequence of solves with the same
/// `(N, r, alpha, Delta)`: the configuration-independent part of each method, built on first use
/// and rebuilt when the parameters change — the two-level solver's coarse data
/// ([`twolevel::Setup`]) and the generators of the limit `w -> 0+` ([`limit::LimitSetup`]). A
/// study's executor thread owns one and passes it to every task ([`solve_cached`],
/// [`SolverCache::limit_setup`]).
#[derive(Default)]
pub struct SolverCache {
    setup: Option<twolevel::Setup>,
    limit: Option<limit::LimitSetup>,
}

impl SolverCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes held by the two-level set-up (the limit's generators are not counted: their
    /// memory is in [`memory`]'s limit path).
    pub fn bytes(&self) -> u64 {
        self.setup
            .as_ref()
            .map_or(0, |s| twolevel::setup_bytes(s.n()))
    }

    /// The set-up of the limit `w -> 0+` for `p` with faer's parallelism `par`, built now unless
    /// the cached one matches.
    pub fn limit_setup(
        &mut self,
        p: &Params,
        par: faer::Par,
    ) -> Result<&limit::LimitSetup, SteadyError> {
        if !self.limit.as_ref().is_some_and(|s| s.matches(p, par)) {
            self.limit = None;
            self.limit = Some(limit::LimitSetup::new(p, par)?);
        }
        Ok(self.limit.as_ref().expect("set up above"))
    }
}

/// A steady state with everything the solver knows about its quality: one report for every
/// model and path, its certificate (`residual`, `gap`, `error_bound`, `bound_met`, `outcome`,
/// `null_dim`) the same fields everywhere. `D` is what only one model's path has: nothing for
/// Eq. 3, [`permutational::PermDetails`] for the permutational model.
#[derive(Debug, Clone)]
pub struct SteadyReport<D = ()> {
    /// the state in its representation's coordinates, Hermitian, trace 1: for Eq. 3 the
    /// parity-block vector of rho (`sqz_superop::parity` index order); for the permutational
    /// model the stacked blocks `rho_J` ([`permutational::PermDetails::basis`])
    pub rho_block: Vec<C64>,
    /// method used
    pub method: Method,
    /// iterations (Arnoldi matvecs for the gap; 0 for the direct solve itself)
    pub iterations: usize,
    /// `||L x||_2`, the 2-norm of the coordinates of `L x`
    /// ([`sqz_krylov::certificate::Representation::residual`]): for Eq. 3 the Frobenius norm of
    /// the matrix `L(rho)`
    pub residual: f64,
    /// slowest nonzero relaxation rate `min |Re lambda|` in the physical block, if estimated
    pub gap: Option<f64>,
    /// `residual / gap`: estimate of the error `|rho - rho_exact|_F`
    pub error_bound: Option<f64>,
    /// whether `error_bound <= tol` (the same as `outcome == Outcome::Converged`)
    pub bound_met: bool,
    /// what the solve achieved, as a typed value
    pub outcome: Outcome,
    /// dimension of the null space when degenerate (ideal positions), else 1
    pub null_dim: u64,
    /// smallest eigenvalue of rho
    pub min_eigenvalue: f64,
    /// wall time in seconds
    pub seconds: f64,
    /// notes for the user (e.g. why the bound was not met)
    pub notes: Vec<String>,
    /// what only this model's path has
    pub details: D,
}

/// The steady state of Eq. 3 for `params` at positions `z`: the collective reduction at ideal
/// positions, else the path [`memory::plan`] picks (dense, two-level, GMRES-Jacobi) or a refusal
/// when none fits. With local rates (`p.has_local_rates()`, beyond the paper) there is no
/// collective reduction (with `gamma_loss > 0` the steady state is unique at every position, ideal
/// ones included); N beyond the dense method takes the two-level solver up to
/// [`TWO_LEVEL_RATE_MAX`] and one-level GMRES-Jacobi above it or at ideal/equivalent positions
/// ([`one_level_with_rates`]). With rates a state is refused as degenerate only by measurement:
/// a singular dense LU, or a slowest rate below [`iterative::DEGENERATE_RATE`] (dephasing alone
/// at ideal positions has a unique state, and is solved). Without rates, positions with a
/// non-unique steady state are refused ([`checks::equivalent_pair`]). Every state passes [`checks::check_physical`] before it is
/// returned.
pub fn solve(p: &Params, z: &[f64], sp: &SteadyParams) -> Result<SteadyReport, SteadyError> {
    solve_cached(&mut SolverCache::new(), p, z, sp)
}

/// [`solve`] reusing (and filling) `cache` for the two-level solver's set-up.
pub fn solve_cached(
    cache: &mut SolverCache,
    p: &Params,
    z: &[f64],
    sp: &SteadyParams,
) -> Result<SteadyReport, SteadyError> {
    sqz_model::positions::check_positions(z, p.n())?;
    checks::check_tol(sp.tol)?;
    let n = p.n();
    let rates = p.has_local_rates();
    let ideal_z = ideal::is_ideal(z);
    let pair = checks::equivalent_pair(z, checks::STRUCTURE_TOL);
    let rep = if ideal_z && !rates {
        memory::check_ideal(n)?;
        ideal::solve_ideal(p, sp)?
    } else {
        // with local rates no collective reduction and no refusal of equivalent pairs by rule:
        // local loss makes the state unique at every position, and where dephasing alone leaves
        // it degenerate the solver sees it (a singular LU, a vanishing rate)
        if let (false, Some(pair)) = (rates, &pair) {
            return Err(checks::degenerate_error(z, pair));
        }
        let avail = sp.budget();
        let sp = &SteadyParams {
            memory_budget: Some(avail),
            ..*sp
        };
        let solved = match memory::plan(n, sp, avail)? {
            Method::DenseHermitian => solve_dense(p, z, sp),
            _ if rates && one_level_with_rates(p, ideal_z || pair.is_some()) => {
                let need = memory::gmres_jacobi_min_bytes(n);
                if need > avail {
                    return Err(sqz_superop::SuperopError::TooLarge {
                        what: format!(
                            "the one-level steady-state solve with local rates at N = {n} \
                             (smallest Krylov basis, {} vectors)",
                            memory::GMRES_JACOBI_MIN_KRYLOV
                        ),
                        needed_bytes: need,
                        available_bytes: avail,
                        largest_n: (1..n)
                            .rev()
                            .find(|&m| memory::gmres_jacobi_min_bytes(m) <= avail),
                    }
                    .into());
                }
                iterative::solve_iterative(p, z, sp, sp.max_iters).map(|mut r| {
                    r.notes.push(format!(
                        "local rates (gamma_loss = {}, gamma_deph = {}): one-level GMRES-Jacobi \
                         ({}; docs/numerics.md, \"Local rates (issue 17): method choice\")",
                        p.gamma_loss(),
                        p.gamma_deph(),
                        if ideal_z || pair.is_some() {
                            "ideal or equivalent positions, where the two-level solver's coarse \
                             operator (the paper's model) is degenerate"
                                .to_string()
                        } else {
                            format!("gamma_loss + gamma_deph > TWO_LEVEL_RATE_MAX = {TWO_LEVEL_RATE_MAX}")
                        }
                    ));
                    r
                })
            }
            _ => {
                if !cache.setup.as_ref().is_some_and(|s| s.matches(p, sp.par)) {
                    cache.setup = None;
                    cache.setup = Some(twolevel::Setup::new(p, sp.par)?);
                }
                let setup = cache.setup.as_ref().expect("set-up just built");
                twolevel::solve_with_setup(setup, p, z, sp, sp.max_iters)
            }
        };
        solved.map_err(|e| checks::explain_failure(z, e))?
    };
    checks::check_physical(n, &rep, sp.par)
        .map_err(|e| checks::explain_failure(z, SteadyError::Unphysical(e)))?;
    Ok(rep)
}

/// Local rates, N beyond the dense method: largest `gamma_loss + gamma_deph` (units of A) at
/// which [`solve`] uses the two-level solver; above it, and at ideal or equivalent positions
/// (where the coarse operator of the paper's model is degenerate), one-level GMRES-Jacobi
/// ([`iterative::solve_iterative`], no error bound). Chosen from the measurement in
/// docs/numerics.md, "Local rates (issue 17): method choice".
pub const TWO_LEVEL_RATE_MAX: f64 = 0.01;

/// Whether [`solve`] takes one-level GMRES-Jacobi for parameters with local rates (see
/// [`TWO_LEVEL_RATE_MAX`]); `degenerate_positions`: ideal positions or an equivalent pair.
pub fn one_level_with_rates(p: &Params, degenerate_positions: bool) -> bool {
    p.has_local_rates()
        && (degenerate_positions || p.gamma_loss() + p.gamma_deph() > TWO_LEVEL_RATE_MAX)
}

/// Smallest eigenvalue of a Hermitian parity-block rho (formed as a `2^N x 2^N` matrix), with the
/// parallelism `par` ([`SteadyParams::par`]).
pub fn min_eigenvalue(n: usize, xb: &[C64], par: faer::Par) -> f64 {
    let d = 1usize << n;
    let m = faer::Mat::<C64>::from_fn(d, d, |a, b| {
        sqz_superop::parity::block_index(n, a, b).map_or(C64::new(0.0, 0.0), |k| xb[k])
    });
    sqz_krylov::par_dense::self_adjoint_eigenvalues(m.as_ref(), par)
        .map(|v| v.into_iter().fold(f64::INFINITY, f64::min))
        .unwrap_or(f64::NAN)
}
