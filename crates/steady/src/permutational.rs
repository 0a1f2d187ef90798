//! Steady state of the permutational model (Eq. 7 plus local loss and dephasing of every TLS, on
//! the blocks of total spin `J`: `sqz_permutational`) with the certificate of every steady state
//! of this crate: the same gap estimate ([`sqz_krylov::certificate::shift_invert_gap`]), the same
//! error bound and [`Outcome`] ([`crate::certificate::residual_over_gap`]) and the same report
//! ([`SteadyReport`], with [`PermDetails`]). What is the permutational model's own (the basis, the
//! Liouvillian, the two-level preconditioner) stays in `sqz_permutational`; the state is read
//! through its [`Representation`].
//!
//! 1. Assemble `L` (CSR, `sqz_permutational::liouvillian`) in the even sector (the steady state
//!    has `M - M'` even). Up to [`DIRECT_MAX_DIM`] unknowns ([`PermSolver::Direct`]): replace the
//!    equation of `rho_{N/2}[-N/2, -N/2]` (row 0) by the trace row `t` (`t x = Tr rho`), and
//!    solve `A x = e_0` by faer's sparse LU (COLAMD ordering), as
//!    `sqz_model::collective::steady_state` does for Eq. 7. `A` is nonsingular exactly when the
//!    steady state is unique (row 0 of `L` is minus the sum of the other diagonal rows, because
//!    `t L = 0`). Above ([`PermSolver::TwoLevel`]): GMRES with the two-level preconditioner of
//!    `sqz_permutational::iterative` on `L~ = L - e_0 t^T`, `L~ x = -e_0`.
//! 2. Gap: with `u = e_0` (`t u = 1`), `L~ = L - u t^T` has the spectrum of `L` with the
//!    eigenvalue 0 replaced by -1 (its eigenvector is the only one with a nonzero trace).
//!    `L~ = A - e_0 w^T` with `w = 2 t - l_0` (`l_0` = row 0 of `L`), so by Sherman–Morrison
//!    `L~^{-1} y = z + x (w.z) / (1 - w.x)`, `z = A^{-1} y`, `x = A^{-1} e_0`: one LU solve per
//!    application (two-level method: a GMRES solve to 1e-9 per application). Shift-invert
//!    Arnoldi on `L~^{-1}` gives the eigenvalues of `L` nearest 0; the gap `g` is the smallest
//!    `|Re lambda|` among them, dropping the deflated -1. Checked against the dense spectrum
//!    (`tests/permutational_limits.rs`).
//! 3. Bound: `||x - x_ss||_2 <~ ||L x||_2 / g` (an estimate, exact for normal `L`; the same
//!    convention as the dense path of Eq. 3), and from it a first-order bound on `1/xi^2`: every
//!    moment `<O> = sum_J Tr(rho_J O_J)` moves by at most `||dx||_2 (sum_J ||O_J||_F^2)^(1/2)`,
//!    and `1/xi^2` moves by at most `sum_i |d(1/xi^2)/d<O_i>| d<O_i>` over the 12 moments
//!    (derivatives by central differences).
//!
//! Without local rates (`gamma_loss = gamma_deph = 0`) the `J` blocks decouple and the steady
//! state is degenerate (one per block). As for the full model at ideal positions, the state
//! reached from a symmetric initial state (ground, Dicke, spin coherent) stays in `J = N/2`:
//! that block alone is solved ([`Method::SymmetricSubspaceLu`]), and it equals Eq. 8. The limit
//! `gamma -> 0+` is a different state, a mixture over `J` (`sqz_permutational::limit`).

use crate::{Method, SteadyError, SteadyParams, SteadyReport, C64};
use faer::Mat;
use sqz_krylov::certificate::{shift_invert_gap, GapParams, Representation};
use sqz_krylov::par_dense;
use sqz_krylov::LinOp;
use sqz_model::observables::{SpinMoments, Squeezing};
use sqz_model::Params;
use sqz_permutational::basis::{Basis, Sector};
use sqz_permutational::iterative;
use sqz_permutational::liouvillian::{build, Csr};
use sqz_permutational::{state, PermError};
use std::time::Instant;

pub use crate::Outcome;

/// Which linear solver the permutational path uses ([`SteadyParams::perm_solver`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermSolver {
    /// direct up to [`DIRECT_MAX_DIM`] unknowns, two-level GMRES above
    Auto,
    /// sparse LU of the whole trace-row matrix
    Direct,
    /// GMRES with the two-level (block-Jacobi over J + coarse space) preconditioner
    TwoLevel,
}

/// [`PermSolver::Auto`] uses the direct LU up to this many unknowns (N = 30 in the even sector:
/// 2 736). The LU's fill grows like a 3-D problem's: 0.1 s at N = 30, 1.5 s at N = 50, 130 s and
/// 9 GB at N = 100, while the two-level GMRES is already faster at N = 30 (measured with
/// `examples/perm_time`, see `docs/performance.md`).
pub const DIRECT_MAX_DIM: usize = 3_000;

/// The shift-invert Arnoldi of the gap estimate: eigenvalues sought near 0, Krylov dimension,
/// two tries (the second with a doubled Krylov space when clustered eigenvalues stall the first).
/// The Ritz tolerance is each path's: 1e-7 with the LU, 1e-6 with the inexact two-level solves.
const PERM_GAP: GapParams = GapParams {
    nev: 6,
    krylov_dim: 30,
    tries: 2,
    max_restarts: 20,
    tol: 1e-7,
};

/// Relative residual of the two-level GMRES (`||A x + e_0|| <= tol`).
const GMRES_TOL: f64 = 1e-12;

/// Relative residual of the inner GMRES solves of the two-level gap estimate: the preconditioned
/// iteration stagnates near 1e-11 for some right-hand sides, and the eigenvalue estimate (to
/// 1e-6) needs far less.
const INNER_TOL: f64 = 1e-9;

/// Estimate of the peak bytes of [`solve`] at N (default parameters), calibrated on measured
/// peak RSS (`docs/performance.md`: 0.34, 1.2 and 2.9 GB at N = 100, 150, 200 against estimates
/// of 0.33, 1.3 and 3.4 GB): the Liouvillian, the Krylov vectors of the solver and of the gap
/// estimate (up to 2 x 30 + 31 + 21), and the sparse LU fill: of the whole matrix for the direct
/// method, of the diagonal blocks for the two-level method (at most `d^3 / 2` entries per block of
/// side `d = 2J + 1`; 0.35 measured at N = 200).
pub fn bytes_estimate(n: usize, local_rates: bool) -> u64 {
    let basis = if local_rates {
        Basis::all_blocks(n, Sector::Even)
    } else {
        Basis::new(n, Sector::Even, n)
    };
    let dim = basis.dim() as u64;
    let csr = sqz_permutational::liouvillian::csr_bytes_estimate(&basis);
    let vectors = 16 * dim * (2 * 30 + 31 + 21 + 10);
    let lu = if dim as usize <= DIRECT_MAX_DIM || !local_rates {
        // measured fill of the trace-row LU: ~ dim^(4/3) x 40 entries (3-D-like)
        16 * ((dim as f64).powf(4.0 / 3.0) * 40.0) as u64
    } else {
        let s: f64 = (0..basis.blocks())
            .map(|k| ((basis.j2(k) + 1) as f64).powi(3))
            .sum();
        (16.0 * 0.5 * s) as u64
    };
    csr + vectors + lu
}

/// What only the permutational path of [`SteadyReport`] has.
#[derive(Debug, Clone)]
pub struct PermDetails {
    /// the basis of the state (all blocks with local rates; `J = N/2` only without)
    pub basis: Basis,
    /// `max_k |(L x)_k|`
    pub residual_max: f64,
    /// eigenvalues of `L` nearest 0 found by the gap estimate (the deflated -1 removed)
    pub eigenvalues: Vec<C64>,
    /// first-order bound on the error of `1/xi^2` implied by `error_bound`
    pub inv_xi2_bound: Option<f64>,
    /// stored entries of `L`
    pub nnz: usize,
    /// seconds of the phases (the total is [`SteadyReport::seconds`])
    pub timings: Timings,
    /// applications of `L~^{-1}` in the gap estimate
    pub gap_solves: usize,
    /// GMRES iterations inside the gap estimate (two-level method)
    pub gap_iterations: usize,
}

/// Wall-clock seconds of the phases of [`solve`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// building `L`
    pub assemble: f64,
    /// sparse LU (direct) or the preconditioner's set-up (two-level)
    pub factor: f64,
    /// the solve and the residual
    pub solve: f64,
    /// shift-invert Arnoldi
    pub gap: f64,
}

/// The report of the permutational path: `rho_block` holds the stacked blocks `rho_J` in the
/// order of [`PermDetails::basis`].
impl SteadyReport<PermDetails> {
    /// Collective-spin moments.
    pub fn moments(&self) -> SpinMoments {
        state::moments(&self.details.basis, &self.rho_block)
    }
    /// `xi_R^2`, `1/xi_R^2`, mean spin.
    pub fn squeezing(&self) -> Result<Squeezing, sqz_model::ModelError> {
        self.moments().squeezing()
    }
    /// `Tr rho_J`, `J = N/2` first.
    pub fn block_populations(&self) -> Vec<f64> {
        state::block_populations(&self.details.basis, &self.rho_block)
    }
    /// Weight of the symmetric subspace `Tr rho_{N/2}`.
    pub fn symmetric_population(&self) -> f64 {
        self.block_populations()[0]
    }
    /// `rho_J` of `J = j2/2` (zero matrix when the basis lacks the block).
    pub fn block(&self, j2: usize) -> Mat<C64> {
        match self.details.basis.block_of(j2) {
            Some(k) => state::block(&self.details.basis, &self.rho_block, k),
            None => Mat::zeros(j2 + 1, j2 + 1),
        }
    }
}

/// `L~^{-1}` by Sherman–Morrison on the LU of the trace-row matrix (module docs, step 2).
struct DeflatedInverse<'a> {
    lu: &'a par_dense::SpLu<C64>,
    par: faer::Par,
    x: &'a [C64],
    diag: &'a [usize],
    row0: (&'a [u32], &'a [C64]),
    denom: C64,
}

impl DeflatedInverse<'_> {
    fn w_dot(&self, z: &[C64]) -> C64 {
        let t: C64 = self.diag.iter().map(|&i| z[i]).sum();
        let l: C64 = self
            .row0
            .0
            .iter()
            .zip(self.row0.1)
            .map(|(&c, &v)| v * z[c as usize])
            .sum();
        2.0 * t - l
    }
}

impl LinOp<C64> for DeflatedInverse<'_> {
    type Scratch = ();
    fn new_scratch(&self) {}
    fn scratch_bytes(&self) -> u64 {
        0
    }
    fn dim(&self) -> usize {
        self.x.len()
    }
    fn apply(&self, y: &[C64], out: &mut [C64], _: &mut ()) {
        let n = y.len();
        let mut z = Mat::<C64>::from_fn(n, 1, |i, _| y[i]);
        self.lu.solve_in_place(z.as_mut(), self.par);
        let zs: Vec<C64> = (0..n).map(|i| z[(i, 0)]).collect();
        let c = self.w_dot(&zs) / self.denom;
        for i in 0..n {
            out[i] = zs[i] + c * self.x[i];
        }
    }
}

/// `max_k |(L x)_k|`.
fn residual_max(l: &Csr, x: &[C64]) -> f64 {
    let mut y = vec![C64::new(0.0, 0.0); x.len()];
    l.apply(x, &mut y, &mut ());
    y.iter().map(|v| v.norm()).fold(0.0, f64::max)
}

/// First-order bound on the change of `1/xi^2` when each moment moves by at most `eps[i]`
/// (`eps[0..3]` the means, `eps[3 + 3a + b]` the second moments `Re <S_a S_b>`).
pub fn inv_xi2_sensitivity(m: &SpinMoments, eps: &[f64; 12]) -> Option<f64> {
    fn slot(m: &mut SpinMoments, i: usize) -> &mut f64 {
        if i < 3 {
            &mut m.mean[i]
        } else {
            &mut m.second[(i - 3) / 3][(i - 3) % 3]
        }
    }
    let f = |m: &SpinMoments| m.squeezing().ok().map(|s| s.inv_xi2);
    f(m)?;
    let mut total = 0.0;
    for i in 0..12 {
        let (mut mp, mut mm) = (*m, *m);
        let v = *slot(&mut mp, i);
        let h = 1e-6 * v.abs().max(1.0);
        *slot(&mut mp, i) = v + h;
        *slot(&mut mm, i) = v - h;
        let d = (f(&mp)? - f(&mm)?) / (2.0 * h);
        total += d.abs() * eps[i];
    }
    Some(total)
}

/// The gap estimate of one path: what [`shift_invert_gap`] found, the GMRES iterations inside it
/// (two-level path) and its seconds.
#[derive(Default)]
struct GapRun {
    gap: Option<f64>,
    eigenvalues: Vec<C64>,
    solves: usize,
    iterations: usize,
    seconds: f64,
}

/// Shift-invert Arnoldi on `inv` (an application of `L~^{-1}`, `sa` its scratch) to the Ritz
/// tolerance `tol`, its notes appended to `notes`.
fn run_gap<A: LinOp<C64>>(
    inv: &A,
    sa: &mut A::Scratch,
    diag: &[usize],
    tol: f64,
    notes: &mut Vec<String>,
) -> GapRun {
    let t = Instant::now();
    let est = shift_invert_gap(inv, sa, diag, &GapParams { tol, ..PERM_GAP });
    notes.extend(est.note);
    GapRun {
        gap: est.gap,
        eigenvalues: est.eigenvalues,
        solves: est.matvecs,
        iterations: 0,
        seconds: t.elapsed().as_secs_f64(),
    }
}

/// What one linear-solver path returns: the raw state (before the Hermitian real form), its
/// iterations, the phase times and the gap estimate.
struct PathResult {
    x: Vec<C64>,
    iterations: usize,
    t_fac: f64,
    t_solve: f64,
    gap: GapRun,
}

/// The steady state of the permutational model for `p` (see the module docs): the linear solver
/// of `sp.perm_solver`, the gap estimate when `sp.estimate_gap`, the bound against `sp.tol`.
pub fn solve(p: &Params, sp: &SteadyParams) -> Result<SteadyReport<PermDetails>, SteadyError> {
    let t0 = Instant::now();
    let n = p.n();
    if n > sqz_permutational::N_MAX_PERM {
        return Err(SteadyError::Unsupported(format!(
            "the permutational model supports N <= {} (N = {n})",
            sqz_permutational::N_MAX_PERM
        )));
    }
    let rates = p.has_local_rates();
    let basis = if rates {
        Basis::all_blocks(n, Sector::Even)
    } else {
        Basis::new(n, Sector::Even, n)
    };
    let lv = build(p, basis);
    let dim = lv.csr.dim;
    let diag = lv.trace_entries();
    let t_asm = t0.elapsed().as_secs_f64();
    let method = match sp.perm_solver {
        PermSolver::Auto if dim <= DIRECT_MAX_DIM || !rates => PermSolver::Direct,
        PermSolver::Auto => PermSolver::TwoLevel,
        m => m,
    };
    let mut notes = Vec::new();
    if !rates {
        notes.push(
            "no local rates: the steady state is degenerate across total-spin sectors; this is \
             the one reached from a symmetric initial state (J = N/2, Eq. 7, equal to Eq. 8); the \
             limit gamma -> 0+ is a mixture over J (sqz_permutational::limit)"
                .into(),
        );
    }
    let estimate_gap = sp.estimate_gap && dim >= 3;
    let path = match method {
        PermSolver::Direct | PermSolver::Auto => {
            solve_direct(&lv.csr, &diag, estimate_gap, sp.par, &mut notes)?
        }
        PermSolver::TwoLevel => solve_two_level(
            p,
            &lv.basis,
            &lv.csr,
            &diag,
            estimate_gap,
            sp.par,
            &mut notes,
        )?,
    };
    let PathResult {
        mut x,
        iterations,
        t_fac,
        t_solve,
        gap,
    } = path;
    lv.hermitian_normalized(&mut x)
        .map_err(sqz_model::ModelError::Numerical)?;
    let residual = lv.residual(&x);
    let null_dim = if rates { 1 } else { (n / 2 + 1) as u64 };
    let mut bound = crate::certificate::residual_over_gap(residual, gap.gap, sp.tol, &mut notes)?;
    if !rates {
        // one steady state per J block, as the full model's collective reduction at ideal
        // positions; `error_bound` and `bound_met` still certify the `J = N/2` state in its block
        bound.outcome = crate::Outcome::Degenerate { null_dim };
    }
    let mom = lv.moments(&x);
    let inv_xi2_bound = bound.error_bound.and_then(|b| {
        let norms = state::moment_norms(&lv.basis);
        let eps: [f64; 12] = std::array::from_fn(|i| b * norms[i]);
        inv_xi2_sensitivity(&mom, &eps)
    });
    let min_eigenvalue = state::min_eigenvalue(&lv.basis, &x, sp.par);
    if min_eigenvalue < -1e-9 {
        notes.push(format!("rho has a negative eigenvalue {min_eigenvalue:e}"));
    }
    let details = PermDetails {
        residual_max: residual_max(&lv.csr, &x),
        nnz: lv.csr.nnz(),
        basis: lv.basis,
        eigenvalues: gap.eigenvalues,
        inv_xi2_bound,
        timings: Timings {
            assemble: t_asm,
            factor: t_fac,
            solve: t_solve,
            gap: gap.seconds,
        },
        gap_solves: gap.solves,
        gap_iterations: gap.iterations,
    };
    Ok(SteadyReport {
        rho_block: x,
        method: match (rates, method) {
            (false, _) => Method::SymmetricSubspaceLu,
            (true, PermSolver::TwoLevel) => Method::TwoLevel,
            _ => Method::SparseLu,
        },
        iterations,
        residual,
        gap: gap.gap,
        error_bound: bound.error_bound,
        bound_met: bound.bound_met,
        outcome: bound.outcome,
        null_dim,
        min_eigenvalue,
        seconds: t0.elapsed().as_secs_f64(),
        notes,
        details,
    })
}

/// The trace-row matrix: `L` with row 0 replaced by the trace row (module docs, step 1).
fn trace_row_matrix(
    l: &Csr,
    diag: &[usize],
) -> Result<faer::sparse::SparseColMat<usize, C64>, SteadyError> {
    let dim = l.dim;
    let mut trips: Vec<faer::sparse::Triplet<usize, usize, C64>> =
        Vec::with_capacity(l.nnz() + diag.len());
    for i in 1..dim {
        let (c, v) = l.row(i);
        trips.extend(
            c.iter()
                .zip(v)
                .map(|(&c, &v)| faer::sparse::Triplet::new(i, c as usize, v)),
        );
    }
    trips.extend(
        diag.iter()
            .map(|&c| faer::sparse::Triplet::new(0, c, C64::new(1.0, 0.0))),
    );
    Ok(
        faer::sparse::SparseColMat::<usize, C64>::try_new_from_triplets(dim, dim, &trips)
            .map_err(|e| sqz_model::ModelError::Numerical(format!("sparse assembly: {e:?}")))?,
    )
}

/// [`PermSolver::Direct`]: the sparse LU of the trace-row matrix, and the gap by shift-invert
/// Arnoldi on its Sherman–Morrison inverse (module docs, steps 1-2).
fn solve_direct(
    l: &Csr,
    diag: &[usize],
    estimate_gap: bool,
    par: faer::Par,
    notes: &mut Vec<String>,
) -> Result<PathResult, SteadyError> {
    let dim = l.dim;
    let t1 = Instant::now();
    let a = trace_row_matrix(l, diag)?;
    let lu = par_dense::SpLu::new(a.as_ref(), par).map_err(|e| {
        sqz_model::ModelError::Numerical(format!(
            "sparse LU of the permutational Liouvillian: {e:?}"
        ))
    })?;
    drop(a);
    let t_fac = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let mut rhs = Mat::<C64>::zeros(dim, 1);
    rhs[(0, 0)] = C64::new(1.0, 0.0);
    lu.solve_in_place(rhs.as_mut(), par);
    let x: Vec<C64> = (0..dim).map(|i| rhs[(i, 0)]).collect();
    drop(rhs);
    if x.iter().any(|v| !v.is_finite()) {
        return Err(SteadyError::Degenerate(
            "the sparse LU solve gave non-finite numbers: the trace-row matrix is singular".into(),
        ));
    }
    let t_solve = t2.elapsed().as_secs_f64();
    let gap = if estimate_gap {
        let probe = DeflatedInverse {
            lu: &lu,
            par,
            x: &x,
            diag,
            row0: l.row(0),
            denom: C64::new(1.0, 0.0),
        };
        let w_dot_x = probe.w_dot(&x);
        let op = DeflatedInverse {
            denom: C64::new(1.0, 0.0) - w_dot_x,
            ..probe
        };
        run_gap(&op, &mut (), diag, 1e-7, notes)
    } else {
        GapRun::default()
    };
    Ok(PathResult {
        x,
        iterations: 0,
        t_fac,
        t_solve,
        gap,
    })
}

/// [`PermSolver::TwoLevel`]: GMRES with the two-level preconditioner of
/// `sqz_permutational::iterative`, and the gap by shift-invert Arnoldi on inexact inner solves
/// (module docs, steps 1-2).
fn solve_two_level(
    p: &Params,
    basis: &Basis,
    l: &Csr,
    diag: &[usize],
    estimate_gap: bool,
    par: faer::Par,
    notes: &mut Vec<String>,
) -> Result<PathResult, SteadyError> {
    let dim = l.dim;
    let t1 = Instant::now();
    let a = iterative::Deflated { l, diag };
    let pre = iterative::TwoLevel::new(p, basis, &a, par)?;
    let t_fac = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let mut b = vec![C64::new(0.0, 0.0); dim];
    b[0] = C64::new(-1.0, 0.0);
    let mut x = vec![C64::new(0.0, 0.0); dim];
    pre.coarse_solve(&b, &mut x);
    let iterations = match iterative::solve(&a, &pre, &b, &mut x, GMRES_TOL, 500) {
        Ok(info) => info.iterations,
        // stagnation near the attainable accuracy: keep the iterate, the residual and
        // the bound below say what it is worth
        Err(PermError::Krylov(sqz_krylov::KrylovError::NoConvergence {
            iterations,
            rel_residual,
            ..
        })) if rel_residual < 1e-8 => {
            notes.push(format!(
                "two-level GMRES stopped at a relative residual {rel_residual:.1e} \
                 (asked {GMRES_TOL:.0e})"
            ));
            iterations
        }
        Err(PermError::Krylov(k)) => {
            return Err(sqz_model::ModelError::Numerical(format!(
                "two-level GMRES for the permutational steady state: {k}"
            ))
            .into())
        }
        Err(e) => return Err(e.into()),
    };
    let t_solve = t2.elapsed().as_secs_f64();
    let gap = if estimate_gap {
        let inv = iterative::InexactInverse {
            a: &a,
            pre: &pre,
            rel_tol: INNER_TOL,
        };
        let mut s = inv.new_scratch();
        let mut run = run_gap(&inv, &mut s, diag, 1e-6, notes);
        run.iterations = s.iterations;
        if s.worst > 1e-9 {
            notes.push(format!(
                "gap estimate: an inner GMRES solve reached only a relative residual {:.1e}",
                s.worst
            ));
        }
        run
    } else {
        GapRun::default()
    };
    Ok(PathResult {
        x,
        iterations,
        t_fac,
        t_solve,
        gap,
    })
}
