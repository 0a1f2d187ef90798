//! Steady state of the permutational model with an error bound.
//!
//! 1. Assemble `L` (CSR, [`mod@crate::liouvillian`]) in the even sector ([`Sector::Even`]: the
//!    steady state has `M - M'` even). Up to [`DIRECT_MAX_DIM`] unknowns ([`Method::Direct`]):
//!    replace the equation of `rho_{N/2}[-N/2, -N/2]` (row 0) by the trace row `t`
//!    (`t x = Tr rho`), and solve `A x = e_0` by faer's sparse LU (COLAMD ordering), as
//!    `sqz_model::collective::steady_state` does for Eq. 7. `A` is nonsingular exactly when the
//!    steady state is unique (row 0 of `L` is minus the sum of the other diagonal rows, because
//!    `t L = 0`). Above ([`Method::TwoLevel`]): GMRES with the two-level preconditioner of
//!    [`crate::iterative`] on `L~ = L - e_0 t^T`, `L~ x = -e_0`.
//! 2. Gap: with `u = e_0` (`t u = 1`), `L~ = L - u t^T` has the spectrum of `L` with the
//!    eigenvalue 0 replaced by -1 (its eigenvector is the only one with a nonzero trace).
//!    `L~ = A - e_0 w^T` with `w = 2 t - l_0` (`l_0` = row 0 of `L`), so by Sherman–Morrison
//!    `L~^{-1} y = z + x (w.z) / (1 - w.x)`, `z = A^{-1} y`, `x = A^{-1} e_0`: one LU solve per
//!    application (two-level method: a GMRES solve to 1e-9 per application). Shift-invert
//!    Arnoldi ([`sqz_krylov::eigs_largest`]) on `L~^{-1}` gives the eigenvalues of `L` nearest 0;
//!    the gap `g` is the smallest `|Re lambda|` among them, dropping the deflated -1. Checked
//!    against the dense spectrum (`tests/limits.rs`).
//! 3. Bound: `||x - x_ss||_2 <~ ||L x||_2 / g` (an estimate, exact for normal `L`; the same
//!    convention as `sqz-steady`), and from it a first-order bound on `1/xi^2`: every moment
//!    `<O> = sum_J Tr(rho_J O_J)` moves by at most `||dx||_2 (sum_J ||O_J||_F^2)^(1/2)`, and
//!    `1/xi^2` moves by at most `sum_i |d(1/xi^2)/d<O_i>| d<O_i>` over the 12 moments
//!    (derivatives by central differences).
//!
//! Without local rates (`gamma_loss = gamma_deph = 0`) the `J` blocks decouple and the steady
//! state is degenerate (one per block). As for the full model at ideal positions, the state
//! reached from a symmetric initial state (ground, Dicke, spin coherent) stays in `J = N/2`:
//! that block alone is solved (method `symmetric-subspace-lu`), and it equals Eq. 8. The limit
//! `gamma -> 0+` is a different state, a mixture over `J` ([`crate::limit`]).

use crate::basis::{Basis, Sector};
use crate::liouvillian::{build, Csr};
use crate::state;
use crate::{PermError, C64};
use faer::linalg::solvers::SolveCore;
use faer::Mat;
use sqz_krylov::certificate::{shift_invert_gap, GapParams, Outcome};
use sqz_krylov::LinOp;
use sqz_model::observables::{SpinMoments, Squeezing};
use sqz_model::Params;
use std::time::Instant;

/// Options of [`steady_state`].
#[derive(Debug, Clone, Copy)]
pub struct SteadyOptions {
    /// estimate the gap (shift-invert Arnoldi, a few dozen LU solves) and the error bound
    pub estimate_gap: bool,
    /// the error bound `||x - x_ss||_2` is "met" at or below this
    pub tol: f64,
    /// eigenvalues sought near 0
    pub nev: usize,
    /// Krylov dimension of the gap estimate
    pub krylov_dim: usize,
    /// direct sparse LU or two-level GMRES
    pub method: Method,
    /// relative residual of the two-level GMRES (`||A x + e_0|| <= tol`)
    pub gmres_tol: f64,
}

/// Which linear solver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// direct up to [`DIRECT_MAX_DIM`] unknowns, two-level GMRES above
    Auto,
    /// sparse LU of the whole trace-row matrix
    Direct,
    /// GMRES with the two-level (block-Jacobi over J + coarse space) preconditioner
    TwoLevel,
}

/// [`Method::Auto`] uses the direct LU up to this many unknowns (N = 30 in the even sector:
/// 2 736). The LU's fill grows like a 3-D problem's: 0.1 s at N = 30, 1.5 s at N = 50, 130 s and
/// 9 GB at N = 100, while the two-level GMRES is already faster at N = 30 (measured with
/// `examples/perm_time`, see `docs/performance.md`).
pub const DIRECT_MAX_DIM: usize = 3_000;

impl Default for SteadyOptions {
    fn default() -> Self {
        Self {
            estimate_gap: true,
            tol: 1e-8,
            nev: 6,
            krylov_dim: 30,
            method: Method::Auto,
            gmres_tol: 1e-12,
        }
    }
}

/// Estimate of the peak bytes of [`steady_state`] at N (default options), calibrated on measured
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
    let csr = crate::liouvillian::csr_bytes_estimate(&basis);
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

/// The steady state and what it took.
#[derive(Debug, Clone)]
pub struct PermSteady {
    /// the basis of `x` (all blocks with local rates; `J = N/2` only without)
    pub basis: Basis,
    /// the state (Hermitian blocks, trace 1)
    pub x: Vec<C64>,
    /// `symmetric-subspace-lu` (no local rates), `sparse-lu` or `gmres-two-level`
    pub method: &'static str,
    /// GMRES iterations of the solve (0 for the LU)
    pub iterations: usize,
    /// `||L x||_2`
    pub residual: f64,
    /// `max_k |(L x)_k|`
    pub residual_max: f64,
    /// slowest relaxation rate found, `min |Re lambda|` over the eigenvalues nearest 0
    pub gap: Option<f64>,
    /// eigenvalues of `L` nearest 0 found by the gap estimate (the deflated -1 removed)
    pub eigenvalues: Vec<C64>,
    /// `residual / gap`: estimated bound on `||x - x_ss||_2`
    pub error_bound: Option<f64>,
    /// first-order bound on the error of `1/xi^2` implied by `error_bound`
    pub inv_xi2_bound: Option<f64>,
    /// `error_bound <= tol`
    pub bound_met: bool,
    /// what the solve achieved, the same type as the full model's: from the bound and `tol` with
    /// local rates; without them [`Outcome::Degenerate`] (one steady state per J block, as the
    /// full model's collective reduction at ideal positions), while `error_bound` and `bound_met`
    /// still certify the `J = N/2` state within its block
    pub outcome: Outcome,
    /// dimension of the null space of the permutational Liouvillian: 1 with local rates, the
    /// number of J blocks (`floor(N/2) + 1`) without
    pub null_dim: u64,
    /// smallest eigenvalue over the blocks (>= -1e-12 for a physical state)
    pub min_eigenvalue: f64,
    /// stored entries of `L`
    pub nnz: usize,
    /// seconds: assembly, LU (symbolic + numeric), solve, gap estimate, total
    pub seconds: Timings,
    /// applications of `L~^{-1}` in the gap estimate
    pub gap_solves: usize,
    /// GMRES iterations inside the gap estimate (two-level method)
    pub gap_iterations: usize,
    /// remarks (degeneracy, missed bound, ...)
    pub notes: Vec<String>,
}

/// Wall-clock seconds of the phases of [`steady_state`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// building `L`
    pub assemble: f64,
    /// sparse LU
    pub factor: f64,
    /// the solve and the residual
    pub solve: f64,
    /// shift-invert Arnoldi
    pub gap: f64,
    /// everything
    pub total: f64,
}

impl PermSteady {
    /// Collective-spin moments.
    pub fn moments(&self) -> SpinMoments {
        state::moments(&self.basis, &self.x)
    }
    /// `xi_R^2`, `1/xi_R^2`, mean spin.
    pub fn squeezing(&self) -> Result<Squeezing, sqz_model::ModelError> {
        self.moments().squeezing()
    }
    /// `Tr rho_J`, `J = N/2` first.
    pub fn block_populations(&self) -> Vec<f64> {
        state::block_populations(&self.basis, &self.x)
    }
    /// Weight of the symmetric subspace `Tr rho_{N/2}`.
    pub fn symmetric_population(&self) -> f64 {
        self.block_populations()[0]
    }
    /// `rho_J` of `J = j2/2` (zero matrix when the basis lacks the block).
    pub fn block(&self, j2: usize) -> Mat<C64> {
        match self.basis.block_of(j2) {
            Some(k) => state::block(&self.basis, &self.x, k),
            None => Mat::zeros(j2 + 1, j2 + 1),
        }
    }
}

/// `L~^{-1}` by Sherman–Morrison on the LU of the trace-row matrix (module docs, step 2).
struct DeflatedInverse<'a> {
    lu: &'a faer::sparse::linalg::solvers::Lu<usize, C64>,
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
        self.lu.solve_in_place_with_conj(faer::Conj::No, z.as_mut());
        let zs: Vec<C64> = (0..n).map(|i| z[(i, 0)]).collect();
        let c = self.w_dot(&zs) / self.denom;
        for i in 0..n {
            out[i] = zs[i] + c * self.x[i];
        }
    }
}

/// `(||y||_2, max |y_k|)` of `y = A x`.
fn residual(a: &Csr, x: &[C64]) -> (f64, f64) {
    let mut y = vec![C64::new(0.0, 0.0); x.len()];
    a.apply(x, &mut y, &mut ());
    let two = y.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
    let max = y.iter().map(|v| v.norm()).fold(0.0, f64::max);
    (two, max)
}

/// `(sum_J ||O_J||_F^2)^(1/2)` bounds for the 12 moments (3 means, 9 second moments) over the
/// blocks of `basis`: `||S_a^(J)||_F^2 = J(J+1)(2J+1)/3`, `||S_a S_b||_F <= J ||S_b||_F`.
fn moment_norms(basis: &Basis) -> [f64; 12] {
    let (mut s1, mut s2) = (0.0, 0.0);
    for k in 0..basis.blocks() {
        let j = basis.j2(k) as f64 / 2.0;
        let f2 = j * (j + 1.0) * (2.0 * j + 1.0) / 3.0;
        s1 += f2;
        s2 += j * j * f2;
    }
    let mut out = [s2.sqrt(); 12];
    out[..3].iter_mut().for_each(|v| *v = s1.sqrt());
    out
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

/// Relative residual of the inner GMRES solves of the two-level gap estimate: the preconditioned
/// iteration stagnates near 1e-11 for some right-hand sides, and the eigenvalue estimate (to
/// 1e-6) needs far less.
const INNER_TOL: f64 = 1e-9;

/// Shift-invert Arnoldi on `inv` (an application of `L~^{-1}`): the eigenvalues of `L` nearest
/// 0 other than the deflated -1, and `min |Re lambda|` among them (`sa`: the scratch of `inv`)
/// ([`sqz_krylov::certificate::shift_invert_gap`], the step every steady-state path shares): two
/// tries, the second with a doubled Krylov space when clustered eigenvalues stall the first.
fn gap_estimate<A: LinOp<C64>>(
    inv: &A,
    sa: &mut A::Scratch,
    diag: &[usize],
    opt: &SteadyOptions,
    tol: f64,
) -> (Option<f64>, Vec<C64>, usize, Option<String>) {
    let est = shift_invert_gap(
        inv,
        sa,
        diag,
        &GapParams {
            nev: opt.nev,
            krylov_dim: opt.krylov_dim,
            tries: 2,
            max_restarts: 20,
            tol,
        },
    );
    (est.gap, est.eigenvalues, est.matvecs, est.note)
}

/// The steady state of the permutational model (see the module docs).
pub fn steady_state(p: &Params, opt: &SteadyOptions) -> Result<PermSteady, PermError> {
    let t0 = Instant::now();
    let n = p.n();
    if n > crate::N_MAX_PERM {
        return Err(PermError::TooLarge(format!(
            "the permutational model supports N <= {} (N = {n})",
            crate::N_MAX_PERM
        )));
    }
    let rates = p.has_local_rates();
    let basis = if rates {
        Basis::all_blocks(n, Sector::Even)
    } else {
        Basis::new(n, Sector::Even, n)
    };
    let lv = build(p, basis);
    let basis = lv.basis;
    let l = lv.csr;
    let dim = l.dim;
    let diag = basis.diagonal();
    let t_asm = t0.elapsed().as_secs_f64();
    let method = match opt.method {
        Method::Auto if dim <= DIRECT_MAX_DIM || !rates => Method::Direct,
        Method::Auto => Method::TwoLevel,
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
    let path = match method {
        Method::Direct | Method::Auto => solve_direct(&l, &diag, opt, &mut notes)?,
        Method::TwoLevel => solve_two_level(p, &basis, &l, &diag, opt, &mut notes)?,
    };
    let PathResult {
        mut x,
        iterations,
        t_fac,
        t_solve,
        t_gap,
        gap,
        eigenvalues,
        gap_solves,
        gap_iterations,
    } = path;
    state::hermitize_normalize(&basis, &mut x)?;
    let (res2, resmax) = residual(&l, &x);
    let (error_bound, bound_met) = error_bound(gap, res2, opt.tol, &mut notes)?;
    let null_dim = if rates { 1 } else { (n / 2 + 1) as u64 };
    let outcome = if rates {
        Outcome::from_bound(error_bound, opt.tol, || {
            notes
                .iter()
                .find(|n| n.contains("gap"))
                .cloned()
                .unwrap_or_else(|| "gap not estimated".into())
        })
    } else {
        Outcome::Degenerate { null_dim }
    };
    let mom = state::moments(&basis, &x);
    let inv_xi2_bound = error_bound.and_then(|b| {
        let norms = moment_norms(&basis);
        let eps: [f64; 12] = std::array::from_fn(|i| b * norms[i]);
        inv_xi2_sensitivity(&mom, &eps)
    });
    let min_eigenvalue = state::min_eigenvalue(&basis, &x);
    if min_eigenvalue < -1e-9 {
        notes.push(format!("rho has a negative eigenvalue {min_eigenvalue:e}"));
    }
    Ok(PermSteady {
        nnz: l.nnz(),
        basis,
        x,
        method: match (rates, method) {
            (false, _) => "symmetric-subspace-lu",
            (true, Method::TwoLevel) => "gmres-two-level",
            _ => "sparse-lu",
        },
        iterations,
        residual: res2,
        residual_max: resmax,
        gap,
        eigenvalues,
        error_bound,
        inv_xi2_bound,
        bound_met,
        outcome,
        null_dim,
        min_eigenvalue,
        seconds: Timings {
            assemble: t_asm,
            factor: t_fac,
            solve: t_solve,
            gap: t_gap,
            total: t0.elapsed().as_secs_f64(),
        },
        gap_solves,
        gap_iterations,
        notes,
    })
}

/// What one linear-solver path of [`steady_state`] returns: the raw state (before
/// Hermitisation), its iterations, the gap estimate and the phase times.
struct PathResult {
    x: Vec<C64>,
    iterations: usize,
    t_fac: f64,
    t_solve: f64,
    t_gap: f64,
    gap: Option<f64>,
    eigenvalues: Vec<C64>,
    gap_solves: usize,
    gap_iterations: usize,
}

/// [`Method::Direct`]: the sparse LU of the trace-row matrix, and the gap by shift-invert
/// Arnoldi on its Sherman–Morrison inverse (module docs, steps 1-2).
fn solve_direct(
    l: &Csr,
    diag: &[usize],
    opt: &SteadyOptions,
    notes: &mut Vec<String>,
) -> Result<PathResult, PermError> {
    let dim = l.dim;
    let (x, t_fac, t_solve, t_gap, iterations, gap, eigenvalues, gap_solves, gap_iterations);
    // A: row 0 of L replaced by the trace row
    let t1 = Instant::now();
    let a = {
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
        faer::sparse::SparseColMat::<usize, C64>::try_new_from_triplets(dim, dim, &trips)
            .map_err(|e| sqz_model::ModelError::Numerical(format!("sparse assembly: {e:?}")))?
    };
    let lu = a.sp_lu().map_err(|e| {
        sqz_model::ModelError::Numerical(format!(
            "sparse LU of the permutational Liouvillian: {e:?}"
        ))
    })?;
    drop(a);
    t_fac = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let mut rhs = Mat::<C64>::zeros(dim, 1);
    rhs[(0, 0)] = C64::new(1.0, 0.0);
    lu.solve_in_place_with_conj(faer::Conj::No, rhs.as_mut());
    let raw: Vec<C64> = (0..dim).map(|i| rhs[(i, 0)]).collect();
    drop(rhs);
    if raw.iter().any(|v| !v.is_finite()) {
        return Err(PermError::Degenerate(
            "the sparse LU solve gave non-finite numbers: the trace-row matrix is singular".into(),
        ));
    }
    x = raw.clone();
    t_solve = t2.elapsed().as_secs_f64();
    iterations = 0;
    let t3 = Instant::now();
    if opt.estimate_gap && dim >= 3 {
        let row0 = l.row(0);
        let probe = DeflatedInverse {
            lu: &lu,
            x: &raw,
            diag,
            row0,
            denom: C64::new(1.0, 0.0),
        };
        let w_dot_x = probe.w_dot(&raw);
        let op = DeflatedInverse {
            denom: C64::new(1.0, 0.0) - w_dot_x,
            ..probe
        };
        let (g, ev, solves, note) = gap_estimate(&op, &mut (), diag, opt, 1e-7);
        gap = g;
        eigenvalues = ev;
        gap_solves = solves;
        notes.extend(note);
    } else {
        (gap, eigenvalues, gap_solves) = (None, Vec::new(), 0);
    }
    gap_iterations = 0;
    t_gap = t3.elapsed().as_secs_f64();
    Ok(PathResult {
        x,
        iterations,
        t_fac,
        t_solve,
        t_gap,
        gap,
        eigenvalues,
        gap_solves,
        gap_iterations,
    })
}

/// [`Method::TwoLevel`]: GMRES with the two-level preconditioner of [`crate::iterative`], and
/// the gap by shift-invert Arnoldi on inexact inner solves (module docs, steps 1-2).
fn solve_two_level(
    p: &Params,
    basis: &Basis,
    l: &Csr,
    diag: &[usize],
    opt: &SteadyOptions,
    notes: &mut Vec<String>,
) -> Result<PathResult, PermError> {
    let dim = l.dim;
    let (x, t_fac, t_solve, t_gap, iterations, gap, eigenvalues, gap_solves, gap_iterations);
    let t1 = Instant::now();
    let a = crate::iterative::Deflated { l, diag };
    let pre = crate::iterative::TwoLevel::new(p, basis, &a)?;
    t_fac = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let mut b = vec![C64::new(0.0, 0.0); dim];
    b[0] = C64::new(-1.0, 0.0);
    let mut xv = vec![C64::new(0.0, 0.0); dim];
    pre.coarse_solve(&b, &mut xv);
    iterations = match crate::iterative::solve(&a, &pre, &b, &mut xv, opt.gmres_tol, 500) {
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
                 (asked {:.0e})",
                opt.gmres_tol
            ));
            iterations
        }
        Err(PermError::Krylov(k)) => {
            return Err(PermError::Model(sqz_model::ModelError::Numerical(format!(
                "two-level GMRES for the permutational steady state: {k}"
            ))))
        }
        Err(e) => return Err(e),
    };
    x = xv;
    t_solve = t2.elapsed().as_secs_f64();
    let t3 = Instant::now();
    if opt.estimate_gap && dim >= 3 {
        let inv = crate::iterative::InexactInverse {
            a: &a,
            pre: &pre,
            rel_tol: INNER_TOL,
        };
        let mut s = inv.new_scratch();
        let (g, ev, solves, note) = gap_estimate(&inv, &mut s, diag, opt, 1e-6);
        gap = g;
        eigenvalues = ev;
        gap_solves = solves;
        notes.extend(note);
        gap_iterations = s.iterations;
        let worst = s.worst;
        if worst > 1e-9 {
            notes.push(format!(
                "gap estimate: an inner GMRES solve reached only a relative residual {worst:.1e}"
            ));
        }
    } else {
        (gap, eigenvalues, gap_solves, gap_iterations) = (None, Vec::new(), 0, 0);
    }
    t_gap = t3.elapsed().as_secs_f64();
    Ok(PathResult {
        x,
        iterations,
        t_fac,
        t_solve,
        t_gap,
        gap,
        eigenvalues,
        gap_solves,
        gap_iterations,
    })
}

/// The error bound `residual / gap` on `rho` and whether it meets `tol` (a note when not); a gap
/// below 1e-14 is a degenerate null space.
fn error_bound(
    gap: Option<f64>,
    residual: f64,
    tol: f64,
    notes: &mut Vec<String>,
) -> Result<(Option<f64>, bool), PermError> {
    let Some(g) = gap else {
        return Ok((None, false));
    };
    if g < 1e-14 {
        return Err(PermError::Degenerate(format!(
            "the slowest relaxation rate is {g:e}: the null space is numerically degenerate"
        )));
    }
    let b = residual / g;
    let met = b <= tol;
    if !met {
        notes.push(format!(
            "error bound {b:.2e} above the tolerance {tol:.0e} (gap {g:.2e}, residual {residual:.2e})"
        ));
    }
    Ok((Some(b), met))
}
