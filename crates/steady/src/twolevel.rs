//! Two-level GMRES for the steady state of Eq. 3 at every disorder strength, on the real form of
//! Hermitian parity-block matrices ([`sqz_superop::herm`]). The coarse space is the null space
//! of the ideal Liouvillian `L0` ([`crate::schur_weyl`], dimension `C_N`), which is where the
//! slow modes of `L = L0 + V` live when w is small (they split off zero like `w^2`).
//!
//! On the trace-deflated operator `A = L - u t^T` (`u = I / 2^N`, `t` the trace) with `Z`, `Y` the
//! prolongation and restriction (`Y^dag Z = I`), the right preconditioner is the "A-DEF1"
//! deflation preconditioner (Tang, Nabben, Vuik, Erlangga, J. Sci. Comput. 39, 2009)
//!
//! ```text
//! P r = D^{-1} (r - A Q r) + Q r,      Q = Z M2 Y^dag          (D: the closed-form diagonal of A)
//! ```
//!
//! where `M2` is the level-2 approximate inverse of the Galerkin coarse operator
//! `E = Y^dag A Z`, applied in Kronecker form without any `4^N` vector and without forming `E`
//! ([`crate::coarse`]). One application of `M2` gives the same outer iteration counts as the
//! exact `E^{-1}` (docs/numerics.md). The coarse data that depend only on `(N, r, alpha, Delta)`
//! (the Schur–Weyl basis, the spin-J steady states, the reduced matrices) are a [`Setup`] that a
//! study builds once and reuses for every configuration.
//!
//! With local rates ([`sqz_model::Params::with_local_rates`]) the fine operator `A` includes them
//! (the local pass of [`sqz_superop::local`]), the coarse operator does not: it stays the
//! preconditioner of the paper's model, and the gap behind the error bound is measured on `A`
//! itself (inverse iteration, `inverse_gap`, with the Ritz check) rather than taken from the
//! coarse operator.
//!
//! Memory: the GMRES basis (`restart + 1` real block vectors of `4^N / 2` doubles) dominates; the
//! restart length is chosen from the memory budget ([`restart_for`]), [`bytes`] is the whole
//! estimate.

use crate::coarse::{KronCoarse, Reduced};
use crate::iterative::block_diagonal;
use crate::schur_weyl::SchurWeyl;
use crate::{Method, Outcome, SteadyError, SteadyParams, SteadyReport, C64};
use rayon::prelude::*;
use sqz_krylov::{
    gmres_dr_with, gmres_recycled_with, GmresDrParams, GmresDrWorkspace, KrylovError, LinOp,
};
use sqz_model::Params;
use sqz_superop::herm::{to_complex, to_real, HermParity, HermScratch};
use sqz_superop::lindblad::TwoJump;
use sqz_superop::parity::block_index;
use sqz_superop::Scratch;
use std::time::Instant;

mod bound;
pub use crate::certificate::{ESTIMATE_REL_TOL, GAP_SAFETY, INVERSE_STEPS};
use bound::{error_estimate, finish_real, Estimate};
pub use bound::{verify_gap, verify_gap_capped, GapCheck, GAP_CHECK_MAX_INNER_ITERATIONS};

/// Largest GMRES restart length (Krylov vectors between restarts): longer cycles bought nothing
/// in tests (N = 6: 73 iterations unrestarted, 73 with 120, 79 with 60, 82 with 30).
pub const MAX_RESTART: usize = 100;
/// Largest N at which a failed Galerkin gap estimate is replaced by the check on `A`
/// ([`verify_gap`], 1-3 minutes at N = 8; tens of minutes at N = 10).
pub const FALLBACK_CHECK_N_MAX: usize = 8;
/// Smallest restart length the solver accepts before refusing for lack of memory.
pub const MIN_RESTART: usize = 20;
/// Cycles of the main solve over which a residual reduction below
/// [`sqz_krylov::gmres_dr::STALL_FACTOR`] counts as stagnation: the solve then continues with a
/// longer cycle ([`ESCALATED_RESTART`]) instead of spending its budget.
pub const STALL_CYCLES: usize = 5;
/// The main solve also counts as stagnating when the mean rate of its last [`STALL_CYCLES`]
/// cycles would need more than this many cycles in all to reach its target, where a longer
/// cycle fits the memory budget (`sqz_krylov::gmres_dr::GmresDrParams::projected_cycles`): a
/// slow but steady GMRES-DR(100, 20) at strong disorder (N = 8, w = 0.5 pi, configuration 72 of
/// `jobs/n8-multinode.toml`: 2890 iterations before the factor-2 test fired) hands over to the
/// longer cycle after a few cycles instead of tens. Median tasks converge in 3-4 cycles.
pub const PROJECTED_CYCLES: usize = 16;
/// Longest cycle of the continued solve after a stagnation (the memory budget may allow less;
/// when it allows no more than the first cycle, the solve fails as before).
pub const ESCALATED_RESTART: usize = 400;
/// Kept harmonic Ritz vectors of the continued solve, in per cent of its cycle.
pub const ESCALATED_DEFLATE_PERCENT: usize = 25;
/// Harmonic Ritz vectors kept across a GMRES restart (GMRES-DR, [`sqz_krylov::gmres_dr_with`]):
/// the slow modes of the preconditioned operator that a cycle of [`MAX_RESTART`] steps leaves
/// unresolved at strong disorder, where restarted GMRES stagnated (docs/numerics.md, "Failed
/// solves at strong disorder").
pub const DEFLATE: usize = 20;

fn binom(n: u64, k: u64) -> u64 {
    (0..k).fold(1u64, |acc, i| acc.saturating_mul(n - i) / (i + 1))
}

/// Bytes of a [`Setup`] at N: the Schur–Weyl basis `B_n` (`sum_n binom(N, n)^2 = binom(2N, N)`
/// entries, kept real and complex: 24 bytes each) and the reduced matrices (`3 N sum_J d_J^2`
/// doubles at most).
pub fn setup_bytes(n: usize) -> u64 {
    let basis = binom(2 * n as u64, n as u64).saturating_mul(24);
    let red = 3 * n as u64 * crate::ideal::catalan(n) * 8;
    basis.saturating_add(red)
}

/// Bytes of the per-configuration coarse operator at N: the `K_J` and the jump factors (about
/// `40 sum_J d_J^2` complex numbers), the Schur factors, the populations matrix and its LU
/// (`2 (sum_J d_J)^2` complex), and a few coarse vectors.
pub fn coarse_bytes(n: usize) -> u64 {
    let c = crate::ideal::catalan(n);
    let np = binom(n as u64, n as u64 / 2);
    c.saturating_mul(16 * 50)
        .saturating_add(np.saturating_mul(np).saturating_mul(32))
}

/// Resident bytes of the `sqz` process before any solve (the binary and its libraries, HDF5 and
/// MPI included; measured: 16-19 MB).
pub const BASELINE_BYTES: u64 = 17 << 20;

/// Bytes of everything but the Krylov basis at N: the process baseline, the set-up, the coarse
/// operator, the operator and preconditioner scratch (about eleven complex block vectors), the
/// real right-hand side, solution and two GMRES work vectors, the final complex state and the
/// dense eigenproblem of the positivity check (N <= 10).
pub fn fixed_bytes(n: usize) -> u64 {
    let bd = sqz_superop::parity::block_dim(n) as u64;
    BASELINE_BYTES
        .saturating_add(crate::checks::eigen_bytes(n))
        .saturating_add(setup_bytes(n))
        .saturating_add(coarse_bytes(n))
        .saturating_add(2 * HermParity::scratch_bytes_for(n))
        .saturating_add(16 * bd)
        .saturating_add(4 * 16 * bd)
        .saturating_add(4 * 8 * bd)
        .saturating_add(16 * bd)
}

/// The restart length that fits in `budget` bytes at N (at most [`MAX_RESTART`]), `None` below
/// [`MIN_RESTART`].
pub fn restart_for(n: usize, budget: u64) -> Option<usize> {
    restart_for_capped(n, budget, MAX_RESTART)
}

/// [`restart_for`] with the longest cycle `cap` instead of [`MAX_RESTART`].
pub fn restart_for_capped(n: usize, budget: u64, cap: usize) -> Option<usize> {
    let bd = sqz_superop::parity::block_dim(n);
    let fixed = fixed_bytes(n);
    let free = budget.checked_sub(fixed)?;
    let per = GmresDrWorkspace::bytes(bd, 1).max(1) / 4; // one vector
    let m = (free / per.max(1)).saturating_sub(3) as usize;
    let m = m.min(cap).min(bd.saturating_sub(1).max(1));
    (m >= MIN_RESTART.min(bd.saturating_sub(1).max(1))).then_some(m)
}

/// Bytes of the two-level path at N with its smallest basis ([`MIN_RESTART`] vectors): what the
/// memory guard checks ([`crate::memory::paths`]).
pub fn min_bytes(n: usize) -> u64 {
    fixed_bytes(n).saturating_add(sqz_krylov::GmresWorkspace::<f64>::bytes(
        sqz_superop::parity::block_dim(n),
        MIN_RESTART,
    ))
}

/// Peak bytes of [`solve_two_level`] at N with the restart length it would choose within
/// `budget` (the smallest restart if nothing fits: the estimate then exceeds the budget).
pub fn bytes_within(n: usize, budget: u64) -> u64 {
    let bd = sqz_superop::parity::block_dim(n);
    let m = restart_for(n, budget).unwrap_or(MIN_RESTART);
    fixed_bytes(n).saturating_add(GmresDrWorkspace::bytes(bd, m))
}

/// Peak bytes of a two-level solve at N that stagnated and continued with the longest cycle up to
/// [`ESCALATED_RESTART`] that fits in `budget` (its first basis is freed before).
pub fn escalated_bytes_within(n: usize, budget: u64) -> u64 {
    let bd = sqz_superop::parity::block_dim(n);
    let m = restart_for_capped(n, budget, ESCALATED_RESTART).unwrap_or(MIN_RESTART);
    fixed_bytes(n).saturating_add(GmresDrWorkspace::bytes(bd, m))
}

/// Peak bytes of [`solve_two_level`] at N with the longest restart ([`MAX_RESTART`]).
pub fn bytes(n: usize) -> u64 {
    let bd = sqz_superop::parity::block_dim(n);
    fixed_bytes(n).saturating_add(GmresDrWorkspace::bytes(bd, MAX_RESTART))
}

/// The part of the coarse level that depends only on `(N, r, alpha, Delta)`: the Schur–Weyl
/// basis with the spin-J steady states, and the reduced matrices of the single-site operators.
pub struct Setup {
    sw: SchurWeyl,
    red: Reduced,
    params: (usize, f64, f64, f64),
    par: faer::Par,
}

impl Setup {
    /// Builds the set-up for `p` with faer's parallelism `par`.
    pub fn new(p: &Params, par: faer::Par) -> Result<Self, SteadyError> {
        let sw = SchurWeyl::new(p, par)?;
        let red = Reduced::new(&sw);
        Ok(Self {
            sw,
            red,
            params: (p.n(), p.r(), p.alpha(), p.delta()),
            par,
        })
    }

    /// Whether this set-up was built for the parameters `p` and the parallelism `par`.
    pub fn matches(&self, p: &Params, par: faer::Par) -> bool {
        self.params == (p.n(), p.r(), p.alpha(), p.delta()) && self.par == par
    }

    /// Dimension of the coarse space, `C_N`.
    pub fn dim(&self) -> usize {
        self.sw.dim()
    }

    /// Number of TLS.
    pub fn n(&self) -> usize {
        self.params.0
    }
}

/// `A = L - u t^T` on the real form.
struct Deflated<'a> {
    op: &'a HermParity,
    diag: Vec<usize>,
    inv_d: f64,
}

impl LinOp<f64> for Deflated<'_> {
    type Scratch = HermScratch;
    fn dim(&self) -> usize {
        self.op.dim()
    }
    fn new_scratch(&self) -> HermScratch {
        self.op.new_scratch()
    }
    fn scratch_bytes(&self) -> u64 {
        self.op.scratch_bytes()
    }
    fn apply(&self, x: &[f64], y: &mut [f64], s: &mut HermScratch) {
        self.op.apply(x, y, s);
        let t: f64 = self.diag.iter().map(|&i| x[i]).sum();
        for &i in &self.diag {
            y[i] -= t * self.inv_d;
        }
    }
}

/// Scratch of the preconditioner: complex block vectors and coarse vectors.
struct PrecScratch {
    rc: Vec<C64>,
    q: Vec<C64>,
    aq: Vec<C64>,
    gx: Vec<C64>,
    kernel: Scratch,
    c: Vec<C64>,
    g: Vec<C64>,
}

/// The A-DEF1 right preconditioner of the module docs, on the real form.
struct TwoLevel<'a> {
    n: usize,
    op: &'a HermParity,
    setup: &'a Setup,
    kc: &'a KronCoarse,
    diag: &'a [usize],
    inv_d: f64,
    dinv: Vec<C64>,
    /// parallelism of the coarse GEMMs ([`crate::SteadyParams::par`])
    par: faer::Par,
}

impl TwoLevel<'_> {
    /// `q = Z M2 Y^dag r` for a complex block vector `r`.
    fn coarse(&self, r: &[C64], q: &mut [C64], c: &mut [C64], g: &mut [C64]) {
        self.setup.sw.restrict_fast(r, c, self.par);
        self.kc.precondition(c, g);
        self.setup.sw.prolong_hermitian(g, q, self.par);
    }
}

impl LinOp<f64> for TwoLevel<'_> {
    type Scratch = PrecScratch;
    fn dim(&self) -> usize {
        self.dinv.len()
    }
    fn new_scratch(&self) -> PrecScratch {
        let bd = self.dinv.len();
        PrecScratch {
            rc: vec![C64::default(); bd],
            q: vec![C64::default(); bd],
            aq: vec![C64::default(); bd],
            gx: vec![C64::default(); bd],
            kernel: self.op.new_kernel_scratch(),
            c: vec![C64::default(); self.setup.dim()],
            g: vec![C64::default(); self.setup.dim()],
        }
    }
    fn scratch_bytes(&self) -> u64 {
        HermParity::scratch_bytes_for(self.n)
    }
    fn apply(&self, r: &[f64], y: &mut [f64], s: &mut PrecScratch) {
        to_complex(self.n, r, &mut s.rc);
        self.coarse(&s.rc, &mut s.q, &mut s.c, &mut s.g);
        // only the upper triangle of A q is read below (to_real of a Hermitian result)
        self.op
            .apply_hermitian_upper(&s.q, &mut s.aq, &mut s.kernel, &mut s.gx);
        let t: C64 = self.diag.iter().map(|&i| s.q[i]).sum();
        for &i in self.diag {
            s.aq[i] -= t * self.inv_d;
        }
        s.rc.par_iter_mut()
            .zip(s.aq.par_iter())
            .zip(s.q.par_iter())
            .zip(self.dinv.par_iter())
            .for_each(|(((r, aq), q), d)| *r = d * (*r - aq) + q);
        to_real(self.n, &s.rc, y);
    }
}

/// Block indices of the diagonal elements `rho[a, a]` and `1 / 2^N` (the trace deflation).
fn trace_data(n: usize) -> (Vec<usize>, f64) {
    let diag = (0..1usize << n)
        .map(|a| block_index(n, a, a).expect("diagonal in block"))
        .collect();
    (diag, 1.0 / (1u64 << n) as f64)
}

/// `<x, y>` of two real vectors (in parallel above [`sqz_krylov::orth::PAR_MIN_DIM`]).
fn dot(x: &[f64], y: &[f64]) -> f64 {
    if x.len() < sqz_krylov::orth::PAR_MIN_DIM {
        x.iter().zip(y).map(|(a, b)| a * b).sum()
    } else {
        // chunk sums added in chunk order: the same bits on any number of threads
        x.par_chunks(4096)
            .zip(y.par_chunks(4096))
            .map(|(a, b)| a.iter().zip(b).map(|(u, v)| u * v).sum::<f64>())
            .collect::<Vec<_>>()
            .into_iter()
            .sum()
    }
}

/// The smallest singular value of `A` over the span of `M W`, `W` the slow harmonic Ritz vectors
/// of `A M` that GMRES-DR kept ([`GmresDrWorkspace::ritz_basis`]), in the real-form norm: a
/// Rayleigh–Ritz value, so never below the smallest singular value of `A` itself, and close to
/// it when a slow mode of `A` lies in that span. `|A M W c|` comes from the cycle's Arnoldi
/// relation ([`GmresDrWorkspace::ritz_image`]); only `M W` is applied (one preconditioner
/// application per kept vector, held in the free part of the GMRES basis: no memory beyond the
/// solve's). `None` when nothing was kept.
fn ritz_sigma(pre: &TwoLevel<'_>, sm: &mut PrecScratch, ws: &mut GmresDrWorkspace) -> Option<f64> {
    let mut img = ws.ritz_image().to_vec();
    let n = pre.dim();
    let (w, free, kk) = ws.ritz_basis_and_free();
    if kk == 0 || free.len() < kk * n || img.len() % kk != 0 {
        return None;
    }
    let rows = img.len() / kk;
    let us = &mut free[..kk * n];
    let mut q = 0; // orthonormal columns of M W so far, with the same operations on the image
    for i in 0..kk {
        pre.apply(&w[i * n..(i + 1) * n], &mut us[q * n..(q + 1) * n], sm);
        if q != i {
            img.copy_within(i * rows..(i + 1) * rows, q * rows);
        }
        let before = dot(&us[q * n..(q + 1) * n], &us[q * n..(q + 1) * n]).sqrt();
        for _ in 0..2 {
            for j in 0..q {
                let (done, cur) = us.split_at_mut(q * n);
                let c = dot(&done[j * n..(j + 1) * n], &cur[..n]);
                cur[..n]
                    .iter_mut()
                    .zip(&done[j * n..(j + 1) * n])
                    .for_each(|(x, y)| *x -= c * y);
                for r in 0..rows {
                    img[q * rows + r] -= c * img[j * rows + r];
                }
            }
        }
        let nrm = dot(&us[q * n..(q + 1) * n], &us[q * n..(q + 1) * n]).sqrt();
        if nrm > 1e-10 * before && nrm > 0.0 {
            us[q * n..(q + 1) * n].iter_mut().for_each(|x| *x /= nrm);
            img[q * rows..(q + 1) * rows]
                .iter_mut()
                .for_each(|x| *x /= nrm);
            q += 1;
        }
    }
    if q == 0 {
        return None;
    }
    let g = faer::Mat::<f64>::from_fn(q, q, |i, j| {
        (0..rows)
            .map(|r| img[i * rows + r] * img[j * rows + r])
            .sum()
    });
    let ev = sqz_krylov::par_dense::self_adjoint_eigenvalues(g.as_ref(), pre.par).ok()?;
    let min = ev.iter().copied().fold(f64::INFINITY, f64::min);
    min.is_finite().then(|| min.max(0.0).sqrt())
}

/// The error of a two-level main solve that did not converge: what it reached, with the
/// iterations spent before (`before`, a stagnated first attempt) and why that stopped.
fn two_level_failure(
    coarse_dim: usize,
    restart: usize,
    rel_tol: f64,
    e: KrylovError,
    before: usize,
    stalled: &str,
) -> SteadyError {
    let detail = match e {
        KrylovError::NoConvergence {
            iterations,
            abs_residual,
            rel_residual,
        } => format!(
            "no convergence after {} iterations (coarse dimension {coarse_dim}, restart {restart}): relative residual {rel_residual:.2e} (absolute {abs_residual:.2e}), target {rel_tol:.0e}",
            iterations + before
        ),
        e => e.to_string(),
    };
    SteadyError::NoConvergence {
        method: Method::TwoLevel.name(),
        detail: if stalled.is_empty() {
            detail
        } else {
            format!("{detail} ({stalled})")
        },
    }
}

/// Relative residual of each solve of [`inverse_gap`]: the iterate is then off by about this much
/// relative to its own norm (the slow component dominates it), and the gap is needed to a factor
/// well inside [`GAP_SAFETY`] only (10^-6 gave the same rate to 3 digits at N = 7, w = pi; 10^-2
/// gives the rates of 10^-4 to 5e-4 relative at N = 8, w = 0.5 pi, configurations 72, 73, 77,
/// 136, 153 of `jobs/n8-multinode.toml`, in 20-30 % fewer iterations).
pub const INVERSE_TOL: f64 = 1e-2;

/// The slowest rate of `A` by inverse iteration (power iteration on `A^{-1}`,
/// [`INVERSE_STEPS`] two-level solves to [`INVERSE_TOL`] from a generic start, recycling the main
/// solve's kept vectors):
/// `1 / |A^{-1} x|` for the last unit iterate `x`, an estimate of `|lambda_min|` of `A` from
/// above (so of `sigma_min(A)` from above, like [`ritz_sigma`]). Used when the Galerkin estimate
/// failed, in place of the shift-invert Arnoldi check ([`verify_gap`], 40-160 solves to 1e-9):
/// about the cost of the main solve instead of 10-40 times it. Err when a solve fails.
#[allow(clippy::too_many_arguments)]
fn inverse_gap(
    a: &Deflated<'_>,
    sa: &mut HermScratch,
    pre: &TwoLevel<'_>,
    sm: &mut PrecScratch,
    ws: &mut GmresDrWorkspace,
    base: &GmresDrParams,
    max_iters: usize,
) -> Result<(f64, usize, Vec<usize>), String> {
    let n = a.dim();
    let mut x: Vec<f64> = (0..n)
        .map(|i| 1.0 + ((i * 7) % 13) as f64 * 0.1 - ((i * 3) % 5) as f64 * 0.2)
        .collect();
    let nx = dot(&x, &x).sqrt();
    x.iter_mut().for_each(|v| *v /= nx);
    let mut y = vec![0.0; n];
    let mut rate = f64::NAN;
    let mut iterations = 0;
    let mut per_step = Vec::with_capacity(INVERSE_STEPS);
    for step in 0..INVERSE_STEPS {
        // from the second step on x is close to the slow mode, so x / rate is close to A^{-1} x
        let guess = if rate.is_finite() { 1.0 / rate } else { 0.0 };
        y.iter_mut().zip(&x).for_each(|(yi, xi)| *yi = xi * guess);
        let gp = GmresDrParams {
            stall_cycles: 0,
            max_iters: max_iters.saturating_sub(iterations).max(1),
            rel_tol: INVERSE_TOL,
            ..*base
        };
        // recycling the main solve's kept vectors: its slow modes are deflated from the first
        // step on (a fixed space hands over to GMRES-DR when it stops helping)
        match gmres_recycled_with(a, sa, pre, sm, &x, &mut y, &gp, ws) {
            Ok(i) => {
                iterations += i.iterations;
                per_step.push(i.iterations);
            }
            Err(e) => return Err(format!("inverse iteration step {}: {e}", step + 1)),
        }
        let ny = dot(&y, &y).sqrt();
        if !(ny.is_finite() && ny > 0.0) {
            return Err(format!(
                "inverse iteration step {}: |A^-1 x| = {ny}",
                step + 1
            ));
        }
        rate = 1.0 / ny;
        x.iter_mut().zip(&y).for_each(|(xi, yi)| *xi = yi / ny);
    }
    Ok((rate, iterations, per_step))
}

/// `1 / diag(A)` of the deflated operator (1 where the diagonal vanishes): the Jacobi part.
fn jacobi_inverse(p: &Params, diag: &[usize], inv_d: f64) -> Vec<C64> {
    let mut dg = block_diagonal(p);
    for &i in diag {
        dg[i] -= C64::new(inv_d, 0.0);
    }
    dg.iter()
        .map(|v| {
            if v.norm() > 1e-12 {
                1.0 / v
            } else {
                C64::new(1.0, 0.0)
            }
        })
        .collect()
}

/// Two-level GMRES steady state (module docs), building the [`Setup`] itself.
pub fn solve_two_level(
    p: &Params,
    z: &[f64],
    sp: &SteadyParams,
    max_iters: usize,
) -> Result<SteadyReport, SteadyError> {
    let setup = Setup::new(p, sp.par)?;
    solve_with_setup(&setup, p, z, sp, max_iters)
}

/// Two-level GMRES steady state with a prepared [`Setup`] (built for the same parameters).
///
/// Under the environment variable `SQZ_TRACE` (non-empty) it prints one line on stderr with the
/// wall times and iterations of its phases; the result does not depend on it.
///
/// # Panics
/// If `setup` was built for other parameters or another parallelism than `sp.par`.
pub fn solve_with_setup(
    setup: &Setup,
    p: &Params,
    z: &[f64],
    sp: &SteadyParams,
    max_iters: usize,
) -> Result<SteadyReport, SteadyError> {
    assert!(
        setup.matches(p, sp.par),
        "two-level set-up built for other parameters or another parallelism"
    );
    let t0 = Instant::now();
    let n = p.n();
    let budget = sp.budget();
    let restart = restart_or_refuse(n, budget, sp.max_restart)?;
    let op = HermParity::new(p, z)?;
    let bd = op.dim();
    let (diag, inv_d) = trace_data(n);
    let a = Deflated {
        op: &op,
        diag: diag.clone(),
        inv_d,
    };
    let tc = Instant::now();
    let kc = KronCoarse::new(&setup.sw, &setup.red, &TwoJump::new(p, z), sp.par)?;
    let coarse_seconds = tc.elapsed().as_secs_f64();
    let dinv = jacobi_inverse(p, &diag, inv_d);
    let pre = TwoLevel {
        n,
        op: &op,
        setup,
        kc: &kc,
        diag: &diag,
        inv_d,
        dinv,
        par: sp.par,
    };
    let mut b = vec![0.0f64; bd];
    for &i in &diag {
        b[i] = -inv_d;
    }
    let x = coarse_start(&pre, &b);
    let setup_seconds = t0.elapsed().as_secs_f64();
    let mut notes = Vec::new();
    let tg = Instant::now();
    let rates = p.has_local_rates();
    let gap = galerkin_gap(&kc, sp, rates, &mut notes);
    let gap_seconds = tg.elapsed().as_secs_f64();
    // residual target: 2 |r| / gap <= tol / 2 where the gap is known, else tol * 1e-3 |b|
    let bnorm = (diag.len() as f64).sqrt() * inv_d;
    let target = gap.map_or(sp.tol * 1e-3 * bnorm, |g| 0.25 * sp.tol * g);
    let rel_target = target / bnorm;
    let longer_fits = restart_for_capped(n, budget, ESCALATED_RESTART).is_some_and(|m| m > restart);
    let gp = GmresDrParams {
        deflate: sp.deflate,
        stall_cycles: STALL_CYCLES,
        projected_cycles: if longer_fits { PROJECTED_CYCLES } else { 0 },
        max_iters,
        rel_tol: rel_target.max(1e-13),
        progress: sp.progress,
    };
    let tk = Instant::now();
    let mut ks = KrylovSolve::new(&a, &pre, &b, x, restart, gp);
    ks.main_solve(budget, setup.dim(), &mut notes)?;
    ks.floor_cycles(rel_target)?;
    let solve_seconds = tk.elapsed().as_secs_f64();
    let main_its = ks.iterations;
    let cert = ks.certificate(gap, sp, rates, bnorm, &mut notes)?;
    let krylov_seconds = tk.elapsed().as_secs_f64();
    let (iterations, restart) = (ks.iterations, ks.restart);
    let KrylovSolve { x, sa, sm, ws, .. } = ks;
    drop(ws);
    drop(sm);
    notes.insert(
        0,
        format!(
            "coarse space: ideal null space, dimension C_N = {} (Kronecker form, built in {coarse_seconds:.2} s; populations {}); {} GMRES iterations (main solve {main_its}, tightening {}, certificate {}; restart {restart}, {krylov_seconds:.2} s); gap estimate {gap_seconds:.2} s",
            setup.dim(),
            kc.populations_dim(),
            iterations,
            cert.tighten_its,
            cert.cert_its
        ),
    );
    let mut xc = vec![C64::default(); bd];
    to_complex(n, &x, &mut xc);
    drop(x);
    drop(sa);
    let mut rep = finish_real(n, &op, xc, iterations, notes, t0, sp.par)?;
    let check = gap_check(&mut rep, setup, p, z, sp, cert.gap)?;
    if let Some((check, fallback)) = check {
        bound_from_check(&mut rep, &check, fallback, rates, cert.gap, sp.tol);
    } else if let (Some(g), Some(est)) = (cert.gap, cert.estimate) {
        bound_from_estimate(&mut rep, g, &est, cert.gap_source, sp.tol);
    }
    rep.seconds = t0.elapsed().as_secs_f64();
    trace(&Trace {
        n,
        setup: setup_seconds,
        coarse: coarse_seconds,
        gap: gap_seconds,
        solve: solve_seconds,
        certificate: krylov_seconds - solve_seconds,
        total: rep.seconds,
        main_its,
        tighten_its: cert.tighten_its,
        cert_its: cert.cert_its,
        restart,
    });
    Ok(rep)
}

/// The restart length of the main solve within `budget` (at most `max_restart`), or the refusal
/// ([`sqz_superop::SuperopError::TooLarge`]) when not even [`MIN_RESTART`] fits.
fn restart_or_refuse(n: usize, budget: u64, max_restart: usize) -> Result<usize, SteadyError> {
    restart_for_capped(n, budget, max_restart).ok_or_else(|| {
        SteadyError::Superop(sqz_superop::SuperopError::TooLarge {
            what: format!("the two-level steady-state solve at N = {n}"),
            needed_bytes: bytes_within(n, budget),
            available_bytes: budget,
            largest_n: (1..n).rev().find(|&m| restart_for(m, budget).is_some()),
        })
    })
}

/// The start of the main solve: the coarse solution `Q b`, in the real form.
fn coarse_start(pre: &TwoLevel<'_>, b: &[f64]) -> Vec<f64> {
    let (n, bd) = (pre.n, b.len());
    let mut x = vec![0.0f64; bd];
    let mut bc = vec![C64::default(); bd];
    to_complex(n, b, &mut bc);
    let mut q = vec![C64::default(); bd];
    let (mut c, mut g) = (
        vec![C64::default(); pre.setup.dim()],
        vec![C64::default(); pre.setup.dim()],
    );
    pre.coarse(&bc, &mut q, &mut c, &mut g);
    to_real(n, &q, &mut x);
    x
}

/// The Galerkin gap estimate on the coarse space (`None`, with a note saying why, when it is off
/// or failed).
///
/// With local rates the coarse operator is that of the paper's model (it omits the local terms: a
/// preconditioner, not the Galerkin operator of A), so its slow eigenvalues are not those of A:
/// the gap is measured on A itself after the solve (inverse iteration and the Ritz check, as
/// when the Galerkin estimate fails).
fn galerkin_gap(
    kc: &KronCoarse,
    sp: &SteadyParams,
    rates: bool,
    notes: &mut Vec<String>,
) -> Option<f64> {
    if rates {
        if !sp.estimate_gap {
            notes.push("gap not estimated (estimate_gap off): no error bound".into());
        }
        return None;
    }
    if !sp.estimate_gap {
        notes.push("gap not estimated (--no-gap): no error bound".into());
        return None;
    }
    match kc.slow_eigenvalues(4) {
        Ok((vals, _)) => {
            let g = vals
                .iter()
                .map(|v| v.re.abs())
                .fold(f64::INFINITY, f64::min);
            g.is_finite().then_some(g).or_else(|| {
                notes.push("gap estimate: no relaxation eigenvalue found near 0".into());
                None
            })
        }
        Err(e) => {
            notes.push(e);
            None
        }
    }
}

/// The Krylov part of a two-level solve: the operator and the preconditioner with their scratch,
/// the GMRES-DR workspace and parameters, the iterate, and the iterations spent so far.
struct KrylovSolve<'a> {
    a: &'a Deflated<'a>,
    pre: &'a TwoLevel<'a>,
    b: &'a [f64],
    x: Vec<f64>,
    sa: HermScratch,
    sm: PrecScratch,
    ws: GmresDrWorkspace,
    gp: GmresDrParams,
    /// the cycle length (longer after a stagnation)
    restart: usize,
    /// GMRES iterations of every solve so far
    iterations: usize,
    /// the iteration budget of the whole solve
    max_iters: usize,
}

/// What the certificate of a two-level solve found: the gap of the bound and where it came from,
/// the last error estimate, and its iterations.
struct Certified {
    gap: Option<f64>,
    gap_source: &'static str,
    estimate: Option<Estimate>,
    /// iterations of the error estimates and the inverse iteration
    cert_its: usize,
    /// iterations of the tightening of the main solve
    tighten_its: usize,
}

impl<'a> KrylovSolve<'a> {
    fn new(
        a: &'a Deflated<'a>,
        pre: &'a TwoLevel<'a>,
        b: &'a [f64],
        x: Vec<f64>,
        restart: usize,
        gp: GmresDrParams,
    ) -> Self {
        let ws = GmresDrWorkspace::new(b.len(), restart);
        let sa = a.new_scratch();
        let sm = pre.new_scratch();
        Self {
            a,
            pre,
            b,
            x,
            sa,
            sm,
            ws,
            gp,
            restart,
            iterations: 0,
            max_iters: gp.max_iters,
        }
    }

    /// The main solve. A stagnation before the budget continues with a longer cycle with more
    /// kept vectors, as far as the memory `budget` allows, from the point reached.
    fn main_solve(
        &mut self,
        budget: u64,
        coarse_dim: usize,
        notes: &mut Vec<String>,
    ) -> Result<(), SteadyError> {
        let (restart, max_iters) = (self.restart, self.max_iters);
        let (iterations, abs_residual, rel_residual) = match gmres_dr_with(
            self.a,
            &mut self.sa,
            self.pre,
            &mut self.sm,
            self.b,
            &mut self.x,
            &self.gp,
            &mut self.ws,
        ) {
            Ok(i) => {
                self.iterations = i.iterations;
                self.gp.projected_cycles = 0;
                return Ok(());
            }
            Err(KrylovError::NoConvergence {
                iterations,
                abs_residual,
                rel_residual,
            }) if iterations < max_iters => (iterations, abs_residual, rel_residual),
            Err(e) => {
                return Err(two_level_failure(
                    coarse_dim,
                    restart,
                    self.gp.rel_tol,
                    e,
                    0,
                    "",
                ))
            }
        };
        let stalled = format!("GMRES-DR({restart}, {}) stagnated (or its rate would need over {PROJECTED_CYCLES} cycles) at relative residual {rel_residual:.2e} after {iterations} iterations", self.gp.deflate);
        let Some(m2) =
            restart_for_capped(self.pre.n, budget, ESCALATED_RESTART).filter(|&m| m > restart)
        else {
            return Err(two_level_failure(
                coarse_dim,
                restart,
                self.gp.rel_tol,
                KrylovError::NoConvergence {
                    iterations,
                    abs_residual,
                    rel_residual,
                },
                0,
                &format!("{stalled}; no longer cycle fits the memory budget"),
            ));
        };
        // the first basis is freed before the longer one is allocated
        self.ws = GmresDrWorkspace::new(0, 0);
        self.ws = GmresDrWorkspace::new(self.b.len(), m2);
        self.gp.deflate = m2 * ESCALATED_DEFLATE_PERCENT / 100;
        self.gp.stall_cycles = 0;
        self.gp.projected_cycles = 0;
        self.gp.max_iters = max_iters - iterations;
        notes.push(format!(
            "{stalled}: continued with GMRES-DR({m2}, {})",
            self.gp.deflate
        ));
        self.restart = m2;
        match gmres_dr_with(
            self.a,
            &mut self.sa,
            self.pre,
            &mut self.sm,
            self.b,
            &mut self.x,
            &self.gp,
            &mut self.ws,
        ) {
            Ok(i) => {
                self.iterations = i.iterations + iterations;
                self.gp.max_iters = max_iters;
                Ok(())
            }
            Err(e) => Err(two_level_failure(
                coarse_dim,
                self.restart,
                self.gp.rel_tol,
                e,
                iterations,
                &stalled,
            )),
        }
    }

    /// Below a relative residual of 1e-13 the floor of double precision is near: two more cycles
    /// at most toward `rel_target`, and the state reached is kept (its bound is reported).
    fn floor_cycles(&mut self, rel_target: f64) -> Result<(), SteadyError> {
        if rel_target < self.gp.rel_tol {
            let gp2 = GmresDrParams {
                rel_tol: rel_target,
                max_iters: (2 * self.restart).min(self.max_iters.saturating_sub(self.iterations)),
                ..self.gp
            };
            self.recycled(&gp2)?;
        }
        Ok(())
    }

    /// A recycled solve with `gp` from the current iterate; returns its iterations (also added
    /// to the total). Not converging within its budget is no error: the state reached is kept.
    fn recycled(&mut self, gp: &GmresDrParams) -> Result<usize, SteadyError> {
        let its = match gmres_recycled_with(
            self.a,
            &mut self.sa,
            self.pre,
            &mut self.sm,
            self.b,
            &mut self.x,
            gp,
            &mut self.ws,
        ) {
            Ok(i) => i.iterations,
            Err(KrylovError::NoConvergence { iterations, .. }) => iterations,
            Err(e) => {
                return Err(SteadyError::NoConvergence {
                    method: Method::TwoLevel.name(),
                    detail: e.to_string(),
                })
            }
        };
        self.iterations += its;
        Ok(its)
    }

    /// The certificate of the solution: the gap of the bound ([`KrylovSolve::bound_gap`]), then
    /// the error estimate, with the main solve tightened where the estimate says it missed the
    /// target ([`KrylovSolve::estimate_and_tighten`]).
    ///
    /// The error of x is exactly `e = A^{-1} (b - A x)`: it is solved for to a relative residual
    /// `ESTIMATE_REL_TOL` with the same preconditioned GMRES (a fraction of the main solve). A
    /// slow mode of A outside the coarse space (at strong disorder: a pair of TLS near an
    /// equivalent placement, docs/numerics.md) makes the Galerkin gap far too large; the solve's
    /// own Krylov space sees it: the smallest singular value of A over the kept harmonic Ritz
    /// vectors (an upper estimate of sigma_min(A)), converted to the Frobenius norm (a factor
    /// sqrt 2 at most), replaces the Galerkin gap when it is smaller.
    fn certificate(
        &mut self,
        galerkin: Option<f64>,
        sp: &SteadyParams,
        rates: bool,
        bnorm: f64,
        notes: &mut Vec<String>,
    ) -> Result<Certified, SteadyError> {
        let (gap, gap_source, gap_its) = self.bound_gap(galerkin, sp, rates, notes);
        let mut cert = Certified {
            gap,
            gap_source,
            estimate: None,
            cert_its: gap_its,
            tighten_its: 0,
        };
        if let Some(g) = gap {
            let (est, est_its, tighten_its) = self.estimate_and_tighten(g, sp.tol, bnorm)?;
            cert.estimate = Some(est);
            cert.cert_its += est_its;
            cert.tighten_its = tighten_its;
        }
        Ok(cert)
    }

    /// The gap of the error bound, where it came from, and the iterations spent on it: the
    /// Galerkin gap, the Ritz check where it is smaller, or the gap measured on A.
    fn bound_gap(
        &mut self,
        galerkin: Option<f64>,
        sp: &SteadyParams,
        rates: bool,
        notes: &mut Vec<String>,
    ) -> (Option<f64>, &'static str, usize) {
        let sigma =
            ritz_sigma(self.pre, &mut self.sm, &mut self.ws).map(|s| s / std::f64::consts::SQRT_2);
        // no Galerkin gap of A (its estimate failed, or local rates: the coarse operator omits
        // them), a gap is wanted and --verify-gap will not check one: measure it on A
        let measure_gap_on_a = galerkin.is_none() && sp.estimate_gap && !sp.verify_gap;
        match (galerkin, sigma) {
            (Some(g), Some(s)) if s < g => {
                notes.push(format!(
                    "slow mode outside the coarse space: the smallest singular value of A over the solve's slow harmonic Ritz vectors, {s:.3e} (Frobenius norm), is below the Galerkin gap {g:.3e} and replaces it in the error bound"
                ));
                (
                    Some(s),
                    "the Ritz check (smallest singular value of A over the kept harmonic Ritz vectors)",
                    0,
                )
            }
            (None, _) if measure_gap_on_a => self.gap_on_a(sigma, rates, notes),
            (g, _) => (g, "Galerkin estimate on the coarse space", 0),
        }
    }

    /// Without a Galerkin gap of A (strong disorder: the coarse space holds no slow mode; or
    /// local rates): the gap by inverse iteration on A, with the Ritz check `sigma`.
    fn gap_on_a(
        &mut self,
        sigma: Option<f64>,
        rates: bool,
        notes: &mut Vec<String>,
    ) -> (Option<f64>, &'static str, usize) {
        match inverse_gap(
            self.a,
            &mut self.sa,
            self.pre,
            &mut self.sm,
            &mut self.ws,
            &self.gp,
            self.max_iters,
        ) {
            Ok((g_inv, its, per_step)) => {
                self.iterations += its;
                let g = sigma.map_or(g_inv, |s| s.min(g_inv / std::f64::consts::SQRT_2));
                notes.push(format!(
                    "{}: gap {g:.3e} from inverse iteration on A ({INVERSE_STEPS} solves, {its} iterations: {per_step:?}, rate {g_inv:.3e}) and the Ritz check ({})",
                    if rates {
                        "local rates (the coarse operator omits them, so its Galerkin gap is not one of A)"
                    } else {
                        "the Galerkin gap estimate failed"
                    },
                    sigma.map_or("none".to_string(), |s| format!("{s:.3e}"))
                ));
                (Some(g), "inverse iteration on A and the Ritz check", its)
            }
            Err(e) => {
                notes.push(format!(
                    "{} and inverse iteration on A failed ({e})",
                    if rates {
                        "local rates: no Galerkin gap of A"
                    } else {
                        "the Galerkin gap estimate failed"
                    }
                ));
                (None, "Galerkin estimate on the coarse space", 0)
            }
        }
    }

    /// The error estimate with the gap `g`; while it says the target `tol` was missed and the
    /// residual is not yet at the double-precision floor, the main solve is tightened (two rounds
    /// at most). Returns the last estimate, the iterations of the estimates and of the
    /// tightening.
    fn estimate_and_tighten(
        &mut self,
        g: f64,
        tol: f64,
        bnorm: f64,
    ) -> Result<(Estimate, usize, usize), SteadyError> {
        let (mut cert_its, mut tighten_its) = (0usize, 0usize);
        let mut rounds = 0;
        loop {
            let (est, its) = error_estimate(
                self.pre.n,
                self.a,
                &mut self.sa,
                self.pre,
                &mut self.sm,
                self.b,
                &self.x,
                &self.gp,
                &mut self.ws,
            );
            self.iterations += its;
            cert_its += its;
            let bound = est.bound(g);
            let rel_now = est.residual_real / bnorm;
            if bound <= tol || rounds == 2 || rel_now < 2e-13 {
                return Ok((est, cert_its, tighten_its));
            }
            rounds += 1;
            let gp3 = GmresDrParams {
                rel_tol: (rel_now * tol / bound / 4.0).max(1e-13),
                max_iters: self
                    .max_iters
                    .saturating_sub(self.iterations)
                    .max(self.restart),
                ..self.gp
            };
            tighten_its += self.recycled(&gp3)?;
        }
    }
}

/// The check of the gap on A by shift-invert Arnoldi ([`verify_gap`]): under `--verify-gap`, or
/// in place of a failed Galerkin estimate (`gap` is `None`) up to N = [`FALLBACK_CHECK_N_MAX`];
/// above, the check costs tens of minutes and is left to `--verify-gap`. Returns the check and
/// whether it was that fallback.
fn gap_check(
    rep: &mut SteadyReport,
    setup: &Setup,
    p: &Params,
    z: &[f64],
    sp: &SteadyParams,
    gap: Option<f64>,
) -> Result<Option<(GapCheck, bool)>, SteadyError> {
    let n = p.n();
    let fallback = sp.estimate_gap && gap.is_none() && !sp.verify_gap && n <= FALLBACK_CHECK_N_MAX;
    if sp.estimate_gap && gap.is_none() && !sp.verify_gap && n > FALLBACK_CHECK_N_MAX {
        rep.notes.push(format!(
            "no error bound: the Galerkin gap estimate failed and the check on A (--verify-gap) is not run automatically above N = {FALLBACK_CHECK_N_MAX}"
        ));
    }
    let check = if sp.verify_gap {
        Some(verify_gap(setup, p, z, sp)?)
    } else if fallback {
        match verify_gap(setup, p, z, sp) {
            Ok(c) => Some(c),
            Err(e) => {
                rep.notes
                    .push(format!("gap check after the failed Galerkin estimate: {e}"));
                None
            }
        }
    } else {
        None
    };
    Ok(check.map(|c| (c, fallback)))
}

/// The bound from the checked gap: `residual / gap`.
fn bound_from_check(
    rep: &mut SteadyReport,
    check: &GapCheck,
    fallback: bool,
    rates: bool,
    gap: Option<f64>,
    tol: f64,
) {
    if fallback {
        rep.notes
            .push("the Galerkin gap estimate failed: the gap was checked on A instead".into());
    }
    rep.notes.push(format!(
        "gap checked by shift-invert Arnoldi on A: {:.3e} (Galerkin estimate {}; {} inner solves, {:.1} s); error bound = residual / checked gap",
        check.gap,
        if rates { check.galerkin } else { gap }.map_or("none".to_string(), |g| format!(
            "{g:.3e}{}, ratio {:.2}",
            if rates { " without the local terms" } else { "" },
            g / check.gap
        )),
        check.solves,
        check.seconds
    ));
    let bound = rep.residual / check.gap;
    rep.gap = Some(check.gap);
    rep.error_bound = Some(bound);
    rep.bound_met = bound <= tol;
    rep.outcome = Outcome::from_bound(Some(bound), tol, String::new);
}

/// The bound from the error estimate `est` and the gap `g` (from `gap_source`).
fn bound_from_estimate(rep: &mut SteadyReport, g: f64, est: &Estimate, gap_source: &str, tol: f64) {
    let bound = est.bound(g);
    rep.gap = Some(g);
    rep.error_bound = Some(bound);
    rep.bound_met = bound <= tol;
    rep.outcome = Outcome::from_bound(Some(bound), tol, String::new);
    rep.notes.push(format!(
        "error bound = max(|e~|_F + {GAP_SAFETY} sqrt2 eta |r|_F / gap, 2 |r|_F / gap) with e~ the correction A e = r solved to eta = {:.1e} (|e~|_F = {:.2e}, |r|_F = {:.2e}); gap: {gap_source}",
        est.eta,
        est.error_fro,
        est.residual_fro
    ));
    if !rep.bound_met {
        rep.notes.push(format!(
            "error bound {bound:.1e} above the target {:.0e}: the residual {:.1e} is at the double-precision floor for this gap",
            tol, rep.residual
        ));
    }
}

/// Wall times (seconds) and GMRES iterations of the phases of one two-level solve.
struct Trace {
    n: usize,
    /// operator, coarse operator, preconditioner and start vector (from the start of the solve)
    setup: f64,
    /// the coarse operator alone (part of `setup`)
    coarse: f64,
    /// the Galerkin gap estimate
    gap: f64,
    /// the main solve (with a continued cycle and the floor cycles)
    solve: f64,
    /// the certificate: the gap on A, the error estimates and the tightening
    certificate: f64,
    /// the whole solve, the final checks included
    total: f64,
    main_its: usize,
    tighten_its: usize,
    cert_its: usize,
    restart: usize,
}

/// The one diagnostic print of sqz-steady: under the environment variable `SQZ_TRACE`
/// (non-empty), one line on stderr with the phases of a two-level solve.
fn trace(t: &Trace) {
    if std::env::var_os("SQZ_TRACE").is_some_and(|v| !v.is_empty()) {
        eprintln!(
            "sqz-steady twolevel: N = {}, set-up {:.3} s (coarse {:.3} s), gap estimate {:.3} s, solve {:.3} s ({} iterations, restart {}), certificate {:.3} s ({} iterations, tightening {}), total {:.3} s",
            t.n,
            t.setup,
            t.coarse,
            t.gap,
            t.solve,
            t.main_its,
            t.restart,
            t.certificate,
            t.cert_its,
            t.tighten_its,
            t.total
        );
    }
}
