//! Krylov (Arnoldi) exponential propagation `w(t) = exp(t A) v` with adaptive steps and an
//! a-posteriori error estimate, after Sidje's Expokit (`zgexpv`; R. B. Sidje, ACM TOMS 24, 130
//! (1998)).
//!
//! ## Algorithm
//! One step from `t_now` to `t_now + tau` with `w = w(t_now)`, `beta = ||w||`:
//!
//! 1. Arnoldi: an orthonormal basis `V_m = [v_1 .. v_m]` of the Krylov space
//!    `K_m(A, w)`, `v_1 = w / beta`, and the Hessenberg matrix `H_m = V_m^* A V_m`, with
//!    `A V_m = V_m H_m + h_{m+1,m} v_{m+1} e_m^T`. Orthogonalisation is classical Gram-Schmidt
//!    (two BLAS-2 products per pass through faer) with the DGKS criterion: a second pass when the
//!    norm dropped below `1/sqrt(2)` of its value before the pass.
//! 2. Expokit's corrected approximation: with the `(m+2) x (m+2)` matrix
//!    `Hbar = [[H_m, 0, 0], [h_{m+1,m} e_m^T, 0, 0], [0, 1, 0]]` and `F = exp(tau Hbar)`,
//!
//!    ```text
//!    w(t_now + tau) ~ beta sum_{k=1}^{m+1} F[k,1] v_k
//!    ```
//!
//!    (the `v_{m+1}` term is the first correction). The local error estimate is Expokit's:
//!    `p1 = beta |F[m+1,1]|`, `p2 = beta |F[m+2,1]| ||A v_{m+1}||`,
//!    `err = p2` if `p1 > 10 p2`, `p1 p2 / (p1 - p2)` if `p1 > p2`, else `p1`.
//! 3. The step is accepted when `err <= 1.2 tau tol ||v||` (an error per unit time, relative to
//!    the norm of the initial vector). Otherwise `tau` shrinks to
//!    `0.9 tau (tau tol ||v|| / err)^(1/m)` and only `exp(tau Hbar)` is recomputed (the Krylov
//!    basis does not depend on `tau`, so a rejection costs no operator applications).
//!    The next step starts from the same formula with the accepted `tau`. Step sizes are rounded
//!    up to two significant digits, as in Expokit.
//! 4. Happy breakdown. Exact (`h_{j+1,j} <= 1e-154 max_i ||A v_i||`, the Krylov space is
//!    invariant to working precision): the exponential of the `j x j` Hessenberg is exact and the
//!    step goes to the last requested time. To rounding (`h_{j+1,j} <= 1e-14 max_i ||A v_i||`,
//!    e.g. a Krylov space that fills a small operator's reachable subspace): the Arnoldi process
//!    of the step stops at dimension `j + 1` (further vectors would be rounding noise starting a
//!    Krylov sequence of their own, which only shortens the steps) but the residual is kept, with
//!    its normalised vector, in the corrected scheme: its error estimate is tiny, so the step is
//!    long, and linear invariants stay exact (see below), which dropping the residual would break
//!    by `h_{j+1,j} tau`.
//!
//! Requested output times are met exactly without shortening steps: every output time inside an
//! accepted step is evaluated from the same Krylov basis, `w(t_now + s) ~ beta V exp(s Hbar) e_1`
//! (dense output); the accepted step itself is only cut at the last requested time.
//!
//! ## Linear invariants
//! The corrected scheme keeps every linear functional `tau(.)` with `tau(A x) = 0` for all `x`
//! (e.g. the trace for a Liouvillian) to rounding: from `A V_m = V_m H_m + h v_{m+1} e_m^T`,
//! `tau(V_m) H_m = -h tau(v_{m+1}) e_m^T`, and the `v_{m+1}` term of the corrected formula
//! exactly cancels the drift of `tau(V_m exp(tau H_m) e_1)`.
//!
//! ## Small dense exponential
//! `exp(tau Hbar)` of the small (`m + 2 <= ~60`) Hessenberg matrix is computed by scaling and
//! squaring with Higham's Pade approximants of degree 3, 5, 7, 9 or 13 chosen from the 1-norm
//! (N. J. Higham, SIAM J. Matrix Anal. Appl. 26, 1179 (2005)): [`expm`] (module `crate::expm`). Not an eigendecomposition:
//! `Hbar` of a non-normal operator is non-normal and its eigenvectors can be ill-conditioned.
//! Cost `O(m^3)` per evaluation, negligible next to `m` applications of a large operator.
//!
//! ## Memory
//! [`ExpvWorkspace`] holds `m + 2` vectors of the operator's dimension (the `m + 1` basis vectors
//! and one for `A v` / dense output) and the small matrices; nothing is allocated per step.

pub use crate::expm::expm;
use crate::expm::ExpmScratch;
use crate::orth::{
    col_mut, gs_dots, gs_update, norm2, par_for, scale_in_place, scale_into, GS_TASKS,
};
use crate::{LinOp, C64};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use std::ops::ControlFlow;

/// Parameters of [`expv_times`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExpvParams {
    /// Krylov dimension `m` (capped at the operator dimension). Default 30.
    pub krylov_dim: usize,
    /// Local error tolerance per unit time, relative to `||v||` (see the module docs).
    /// Default `1e-10`.
    pub tol: f64,
    /// Largest number of accepted steps before [`ExpvError::TooManySteps`]. Default `10^7`.
    pub max_steps: usize,
    /// Largest number of consecutive rejections of one step before
    /// [`ExpvError::StepRejected`]. Default 60.
    pub max_rejections: usize,
    /// Gram-Schmidt against all earlier basis vectors (default) or only the last few.
    pub orthogonalization: Orthogonalization,
}

/// How each new Arnoldi vector is orthogonalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Orthogonalization {
    /// against every earlier basis vector: classical Gram-Schmidt, a second pass when the
    /// first one lost more than `1 - 1/sqrt(2)` of the norm (DGKS). `O(m^2)` vector sweeps per
    /// step.
    #[default]
    Full,
    /// against the last `q` basis vectors only (incomplete orthogonalisation, as in KIOPS:
    /// Gaudreault, Rainwater & Tokman, J. Comput. Phys. 372, 236 (2018)): `H` is banded, the
    /// basis is not orthogonal, `O(q m)` sweeps per step; a second pass only when the first
    /// removed more than 99% of the norm. The Arnoldi relation
    /// `A V_m = V_m H_m + h v_{m+1} e_m^T` still holds, so the approximation and its error
    /// estimate keep their meaning; convergence per step can be slower.
    Incomplete(usize),
}

impl Default for ExpvParams {
    fn default() -> Self {
        Self {
            krylov_dim: 30,
            tol: 1e-10,
            max_steps: 10_000_000,
            max_rejections: 60,
            orthogonalization: Orthogonalization::Full,
        }
    }
}

/// What a propagation did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ExpvInfo {
    /// accepted steps
    pub steps: usize,
    /// rejected step sizes (each costs one small exponential, no operator applications)
    pub rejections: usize,
    /// operator applications
    pub matvecs: usize,
    /// steps whose Krylov space was invariant: exactly (`h_{j+1,j} <= 1e-154 max ||A v_i||`) or
    /// to rounding (`<= 1e-14`, the step's Krylov dimension is cut at `j + 1`)
    pub happy_breakdowns: usize,
    /// Arnoldi vectors that needed a second Gram-Schmidt pass
    pub reorthogonalizations: usize,
    /// sum of the local error estimates of the accepted steps (absolute, 2-norm); a bound on the
    /// global error up to the amplification of earlier errors by `exp(t A)`
    pub error_estimate: f64,
    /// largest `||w(t)|| / ||v||` seen at step boundaries (the "hump")
    pub hump: f64,
    /// time reached
    pub t: f64,
    /// largest accepted step
    pub max_step: f64,
    /// output times delivered
    pub outputs: usize,
    /// the observer asked to stop before the last requested time
    pub stopped: bool,
}

/// Failures of a propagation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExpvError {
    /// A parameter is out of range.
    #[error("invalid expv parameter {name} = {value}: expected {allowed}")]
    InvalidParameter {
        /// parameter name
        name: &'static str,
        /// the value given
        value: String,
        /// the allowed range
        allowed: &'static str,
    },
    /// Requested times must be finite, `>= 0` and non-decreasing.
    #[error("requested time t[{index}] = {value} is not finite, >= 0 and >= the time before it")]
    BadTimes {
        /// position in the list
        index: usize,
        /// the offending value
        value: f64,
    },
    /// A NaN or infinity appeared (in the start vector or in the Krylov process).
    #[error("non-finite numbers at t = {t} (in the {what})")]
    NonFinite {
        /// time reached
        t: f64,
        /// where
        what: &'static str,
    },
    /// One step was rejected `max_rejections` times in a row.
    #[error(
        "step at t = {t} rejected {rejections} times (last step {step:e}, error estimate \
         {error_estimate:e}); the tolerance may be below rounding"
    )]
    StepRejected {
        /// time reached
        t: f64,
        /// rejections
        rejections: usize,
        /// last step size tried
        step: f64,
        /// its error estimate
        error_estimate: f64,
    },
    /// More than `max_steps` accepted steps.
    #[error("more than {max_steps} steps before t = {t}")]
    TooManySteps {
        /// time reached
        t: f64,
        /// the limit
        max_steps: usize,
    },
}

/// What the observer of [`expv_times`] sees.
#[derive(Debug)]
pub enum Event<'a> {
    /// `w(t)` at the requested time `times[index]`.
    Output {
        /// position in the requested times
        index: usize,
        /// the requested time
        t: f64,
        /// `w(t) = exp(t A) v`
        w: &'a [C64],
    },
    /// An accepted step ended at `t` (for progress reports).
    Step {
        /// time reached
        t: f64,
        /// counters so far
        info: &'a ExpvInfo,
    },
}

/// DGKS re-orthogonalisation threshold.
const DGKS_ETA: f64 = std::f64::consts::FRAC_1_SQRT_2;
/// Second-pass threshold of incomplete orthogonalisation: only under severe cancellation (the
/// first pass removed more than 99% of the norm). The basis is not orthogonal anyway; at N = 7
/// and 9 this cut the second passes from 75% of the vectors to ~1%, changed no step and moved
/// 1/xi^2 by 1e-13.
const IOM_ETA: f64 = 0.1;
/// Happy breakdown when `h_{j+1,j} <= BREAKDOWN * max ||A v_i||`: exact invariance to working
/// precision (a rounding-level `h_{j+1,j}` is kept, with its noise vector, in the corrected
/// scheme, which keeps linear invariants; see the module docs).
const BREAKDOWN: f64 = 1e-154;
/// Near breakdown: `h_{j+1,j} <= NEAR_BREAKDOWN * max ||A v_i||` ends the Arnoldi process of the
/// step at dimension `j + 1`, with the (rounding-level) residual kept in the corrected scheme.
const NEAR_BREAKDOWN: f64 = 1e-14;
/// Expokit's safety factors.
const DELTA: f64 = 1.2;
const GAMMA: f64 = 0.9;

/// Scratch memory of [`expv_times`]: `m + 2` vectors of length `dim` and the small matrices.
#[derive(Debug)]
pub struct ExpvWorkspace {
    dim: usize,
    m: usize,
    /// basis vectors `v_1 .. v_{m+1}`, column-major `dim x (m+1)`
    basis: Vec<C64>,
    /// `A v_{m+1}` for the error estimate; dense output
    p: Vec<C64>,
    /// Hessenberg `Hbar`, `(m+2) x (m+2)`
    h: Mat<C64>,
    /// `exp(tau Hbar)` of the step
    f: Mat<C64>,
    /// `exp(s Hbar)` of a dense output
    f2: Mat<C64>,
    /// coefficients `beta F[:, 0]`
    coef: Mat<C64>,
    /// Gram-Schmidt coefficients
    coef_buf: Vec<C64>,
    /// per-task partial sums of the fused Gram-Schmidt kernels
    partial: Vec<C64>,
    /// SIMD level of the Gram-Schmidt kernels (detected once)
    arch: pulp::Arch,
    expm: ExpmScratch,
}

impl ExpvWorkspace {
    /// Workspace for an operator of dimension `dim` and Krylov dimension up to `krylov_dim`
    /// (capped at `dim`).
    ///
    /// # Panics
    /// If `dim == 0` or `krylov_dim == 0`.
    pub fn new(dim: usize, krylov_dim: usize) -> Self {
        assert!(dim > 0 && krylov_dim > 0, "expv workspace needs dim, m > 0");
        let m = krylov_dim.min(dim);
        let mx = m + 2;
        Self {
            dim,
            m,
            basis: vec![C64::new(0.0, 0.0); dim * (m + 1)],
            p: vec![C64::new(0.0, 0.0); dim],
            h: Mat::zeros(mx, mx),
            f: Mat::zeros(mx, mx),
            f2: Mat::zeros(mx, mx),
            coef: Mat::zeros(mx, 1),
            coef_buf: vec![C64::new(0.0, 0.0); mx],
            partial: vec![C64::new(0.0, 0.0); GS_TASKS * mx],
            arch: pulp::Arch::new(),
            expm: ExpmScratch::new(mx),
        }
    }

    /// Bytes a workspace of this shape holds (the large vectors; the small matrices are
    /// `O(m^2)`), for memory guards before allocation.
    pub fn bytes(dim: usize, krylov_dim: usize) -> u64 {
        let m = krylov_dim.min(dim) as u64;
        let mx = m + 2;
        16 * (dim as u64) * (m + 2) + 16 * 12 * mx * mx
    }

    /// Operator dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Largest Krylov dimension this workspace holds.
    pub fn krylov_dim(&self) -> usize {
        self.m
    }
}

/// Rounds a step size up to two significant digits (Expokit).
fn round_step(t: f64) -> f64 {
    if !(t.is_finite() && t > 0.0) {
        return t;
    }
    let s = 10f64.powf(t.log10().floor() - 1.0);
    (t / s).ceil() * s
}

/// `v <- exp(t A) v` for one time `t >= 0`, with a fresh workspace and a fresh scratch for `a`.
///
/// # Panics
/// If `v.len() != a.dim()`.
pub fn expv<A: LinOp<C64> + ?Sized>(
    a: &A,
    t: f64,
    v: &mut [C64],
    params: &ExpvParams,
) -> Result<ExpvInfo, ExpvError> {
    let mut ws = ExpvWorkspace::new(a.dim(), params.krylov_dim.max(1));
    let mut sa = a.new_scratch();
    expv_times(a, &mut sa, &[t], v, params, &mut ws, |_| {
        ControlFlow::Continue(())
    })
}

/// Propagates `v` through the requested `times` (finite, `>= 0`, non-decreasing; repeated times
/// are allowed), calling `observer` with `w(t_k) = exp(t_k A) v` at each of them
/// ([`Event::Output`], in order) and after every accepted step ([`Event::Step`]). On return `v`
/// holds `w(info.t)`: the last requested time, or the time at which the observer returned
/// `ControlFlow::Break` (then `info.stopped` is set). `sa` is the scratch of `a`'s applications
/// (from [`LinOp::new_scratch`], owned by the caller).
///
/// # Panics
/// If `v.len() != a.dim()` or `ws` was made for another dimension or a smaller Krylov dimension
/// than `params.krylov_dim.min(a.dim())`.
pub fn expv_times<A, F>(
    a: &A,
    sa: &mut A::Scratch,
    times: &[f64],
    v: &mut [C64],
    params: &ExpvParams,
    ws: &mut ExpvWorkspace,
    mut observer: F,
) -> Result<ExpvInfo, ExpvError>
where
    A: LinOp<C64> + ?Sized,
    F: FnMut(Event<'_>) -> ControlFlow<()>,
{
    let n = a.dim();
    assert_eq!(v.len(), n, "expv: vector length vs operator dimension");
    assert_eq!(ws.dim, n, "expv: workspace dimension vs operator dimension");
    check_params(params)?;
    check_times(times)?;
    let m = params.krylov_dim.min(n);
    assert!(
        m <= ws.m,
        "expv: workspace holds Krylov dimension {}, {m} requested",
        ws.m
    );
    let mut out = Outputs {
        times,
        next: 0,
        info: ExpvInfo {
            hump: 1.0,
            ..ExpvInfo::default()
        },
    };
    let beta0 = norm2(v);
    if !beta0.is_finite() {
        return Err(ExpvError::NonFinite {
            t: 0.0,
            what: "start vector",
        });
    }
    // outputs at t = 0
    while out.next < times.len() && times[out.next] == 0.0 {
        if out.deliver(&mut observer, 0.0, v) {
            return Ok(out.info);
        }
    }
    let Some(&t_end) = times.last() else {
        return Ok(out.info);
    };
    if beta0 == 0.0 {
        // exp(tA) 0 = 0
        out.deliver_zero(&mut observer, v);
        return Ok(out.info);
    }
    let mut prop = Propagation::new(params, n, m, beta0, t_end);
    while out.next < times.len() {
        if out.info.steps >= params.max_steps {
            return Err(ExpvError::TooManySteps {
                t: prop.t_now,
                max_steps: params.max_steps,
            });
        }
        let beta = norm2(v);
        if !beta.is_finite() {
            return Err(ExpvError::NonFinite {
                t: prop.t_now,
                what: "propagated vector",
            });
        }
        if beta == 0.0 {
            // the state decayed to exactly zero: it stays there
            out.deliver_zero(&mut observer, v);
            break;
        }
        let kry = prop.arnoldi(a, sa, v, beta, ws, &mut out.info)?;
        let step = prop.control_step(ws, &kry, beta, &mut out.info)?;
        if prop.dense_outputs(ws, &kry, &step, beta, v, &mut out, &mut observer) {
            return Ok(out.info);
        }
        prop.advance(ws, &kry, &step, beta, v, &mut out.info)?;
        if observer(Event::Step {
            t: prop.t_now,
            info: &out.info,
        })
        .is_break()
        {
            out.info.stopped = out.next < times.len();
            return Ok(out.info);
        }
        while out.next < times.len() && times[out.next] <= prop.t_now + step.eps_t {
            if out.deliver(&mut observer, times[out.next], v) {
                return Ok(out.info);
            }
        }
    }
    Ok(out.info)
}

/// Requested times must be finite, `>= 0` and non-decreasing.
fn check_times(times: &[f64]) -> Result<(), ExpvError> {
    for (i, &t) in times.iter().enumerate() {
        if !(t.is_finite() && t >= 0.0 && (i == 0 || t >= times[i - 1])) {
            return Err(ExpvError::BadTimes { index: i, value: t });
        }
    }
    Ok(())
}

/// The requested times, the next one to deliver and the counters of a propagation.
struct Outputs<'t> {
    times: &'t [f64],
    next: usize,
    info: ExpvInfo,
}

impl Outputs<'_> {
    /// Delivers `w` as the output at `times[next]` (reported at time `t`) and moves on to the next
    /// requested time; `true` when the observer asked to stop (`info.stopped` is then set).
    fn deliver<F>(&mut self, observer: &mut F, t: f64, w: &[C64]) -> bool
    where
        F: FnMut(Event<'_>) -> ControlFlow<()>,
    {
        self.info.outputs += 1;
        let ev = Event::Output {
            index: self.next,
            t,
            w,
        };
        self.next += 1;
        let stop = observer(ev).is_break();
        if stop {
            self.info.stopped = self.next < self.times.len();
        }
        stop
    }

    /// Delivers the state `v = 0` (which stays zero) at every remaining requested time, until the
    /// observer asks to stop.
    fn deliver_zero<F>(&mut self, observer: &mut F, v: &[C64])
    where
        F: FnMut(Event<'_>) -> ControlFlow<()>,
    {
        while self.next < self.times.len() {
            let t = self.times[self.next];
            self.info.t = t;
            if self.deliver(observer, t, v) {
                return;
            }
        }
    }
}

/// The Krylov space of one step: how the Arnoldi process ended.
struct Krylov {
    /// exact breakdown: `(j + 1, h_{j+1,j})`
    breakdown: Option<(usize, f64)>,
    /// Krylov dimension of the step (`m` unless the space is invariant to rounding)
    mk: usize,
    /// `||A v_{mk+1}||` for the error estimate (0 after an exact breakdown)
    avnorm: f64,
    /// size of the small exponential
    mx: usize,
    /// number of basis vectors combined
    nv: usize,
}

/// An accepted step.
struct Step {
    /// its size
    t_step: f64,
    /// its local error estimate
    err_loc: f64,
    /// exponent of the step-size formula
    xm: f64,
    /// it reaches the last requested time
    reaches_end: bool,
    /// the time it ends at
    t_after: f64,
    /// tolerance of "an output time at the end of the step"
    eps_t: f64,
}

/// The constants of a propagation and its state between steps.
struct Propagation<'p> {
    params: &'p ExpvParams,
    n: usize,
    m: usize,
    par: Par,
    /// `||v||` of the initial vector
    beta0: f64,
    /// the last requested time
    t_end: f64,
    /// Expokit's factor of the first step size
    fact: f64,
    /// time reached
    t_now: f64,
    /// the step size proposed for the next step
    t_new: Option<f64>,
    /// largest `||A v_i||` seen
    anorm: f64,
}

impl<'p> Propagation<'p> {
    fn new(params: &'p ExpvParams, n: usize, m: usize, beta0: f64, t_end: f64) -> Self {
        let fact = {
            let mp1 = (m + 1) as f64;
            (mp1 / std::f64::consts::E).powf(mp1) * (2.0 * std::f64::consts::PI * mp1).sqrt()
        };
        Self {
            params,
            n,
            m,
            par: par_for(n),
            beta0,
            t_end,
            fact,
            t_now: 0.0,
            t_new: None,
            anorm: 0.0,
        }
    }

    /// Step 1 of the module docs: the Arnoldi basis of `K_m(A, v)` (`beta = ||v||`) in
    /// `ws.basis` and the corrected Hessenberg `Hbar` in `ws.h`, with the happy breakdowns.
    fn arnoldi<A: LinOp<C64> + ?Sized>(
        &mut self,
        a: &A,
        sa: &mut A::Scratch,
        v: &[C64],
        beta: f64,
        ws: &mut ExpvWorkspace,
        info: &mut ExpvInfo,
    ) -> Result<Krylov, ExpvError> {
        let (n, m) = (self.n, self.m);
        let h = &mut ws.h;
        h.fill(C64::new(0.0, 0.0));
        scale_into(&mut ws.basis[..n], v, 1.0 / beta);
        let mut breakdown: Option<(usize, f64)> = None;
        let mut avnorm = 0.0;
        // Krylov dimension of this step (m unless the space is invariant to rounding)
        let mut mk = m;
        for j in 0..m {
            // A v_j goes straight into the slot of v_{j+1}, which is orthogonalised and scaled
            // in place (no copy sweep)
            let (done, rest) = ws.basis.split_at_mut((j + 1) * n);
            let p = &mut rest[..n];
            a.apply(&done[j * n..], p, sa);
            info.matvecs += 1;
            let lo = match self.params.orthogonalization {
                Orthogonalization::Full => 0,
                Orthogonalization::Incomplete(q) => (j + 1).saturating_sub(q.max(1)),
            };
            let k = j + 1 - lo;
            let vs = &done[lo * n..];
            let (c, partial) = (&mut ws.coef_buf[..k], &mut ws.partial);
            let pnorm0 = gs_dots(ws.arch, vs, n, k, p, c, partial).sqrt();
            self.anorm = self.anorm.max(pnorm0);
            let mut s = gs_update(ws.arch, vs, n, k, c, p).sqrt();
            for i in 0..k {
                h[(lo + i, j)] = c[i];
            }
            let eta = match self.params.orthogonalization {
                Orthogonalization::Full => DGKS_ETA,
                Orthogonalization::Incomplete(_) => IOM_ETA,
            };
            if s < eta * pnorm0 {
                // second pass: the first lost more than a fraction 1 - eta of the norm
                info.reorthogonalizations += 1;
                gs_dots(ws.arch, vs, n, k, p, c, partial);
                s = gs_update(ws.arch, vs, n, k, c, p).sqrt();
                for i in 0..k {
                    h[(lo + i, j)] += c[i];
                }
            }
            if !s.is_finite() {
                return Err(ExpvError::NonFinite {
                    t: self.t_now,
                    what: "Krylov basis",
                });
            }
            if s <= BREAKDOWN * self.anorm {
                breakdown = Some((j + 1, s));
                break;
            }
            h[(j + 1, j)] = C64::new(s, 0.0);
            scale_in_place(p, 1.0 / s);
            if s <= NEAR_BREAKDOWN * self.anorm {
                // invariant to rounding: later vectors would only be rounding noise that
                // starts a Krylov sequence of its own; stop here, keeping the corrected scheme
                mk = j + 1;
                info.happy_breakdowns += 1;
                break;
            }
        }
        if breakdown.is_none() {
            h[(mk + 1, mk)] = C64::new(1.0, 0.0);
            a.apply(&ws.basis[mk * n..(mk + 1) * n], &mut ws.p, sa);
            info.matvecs += 1;
            avnorm = norm2(&ws.p);
        }
        let (mx, nv) = match breakdown {
            Some((mb, _)) => (mb, mb),
            None => (mk + 2, mk + 1),
        };
        Ok(Krylov {
            breakdown,
            mk,
            avnorm,
            mx,
            nv,
        })
    }

    /// Steps 2 and 3 of the module docs: the step size, shrunk until the local error estimate of
    /// `F = exp(tau Hbar)` (in `ws.f`) is accepted.
    fn control_step(
        &self,
        ws: &mut ExpvWorkspace,
        kry: &Krylov,
        beta: f64,
        info: &mut ExpvInfo,
    ) -> Result<Step, ExpvError> {
        let (tol, beta0, t_now) = (self.params.tol, self.beta0, self.t_now);
        let (breakdown, mk, mx) = (kry.breakdown, kry.mk, kry.mx);
        let remaining = self.t_end - t_now;
        let mut t_step = match (breakdown, self.t_new) {
            (Some(_), _) => remaining,
            (None, Some(tn)) => tn.min(remaining),
            (None, None) => {
                let an = self.anorm.max(f64::MIN_POSITIVE);
                let t0 = (1.0 / an) * ((self.fact * tol) / (4.0 * an)).powf(1.0 / mk as f64);
                round_step(t0).min(remaining)
            }
        };
        let mut rejections = 0usize;
        let (err_loc, xm) = loop {
            ws.expm.exp_into(
                ws.h.as_ref().submatrix(0, 0, mx, mx),
                t_step,
                ws.f.as_mut(),
                true,
            );
            if let Some((_, s)) = breakdown {
                break (beta * s * t_step, 1.0 / mk as f64);
            }
            let p1 = ws.f[(mk, 0)].norm() * beta;
            let p2 = ws.f[(mk + 1, 0)].norm() * beta * kry.avnorm;
            let (err, xm) = if !(p1.is_finite() && p2.is_finite()) {
                (f64::INFINITY, 1.0 / mk as f64)
            } else if p1 > 10.0 * p2 {
                (p2, 1.0 / mk as f64)
            } else if p1 > p2 {
                (p1 * p2 / (p1 - p2), 1.0 / mk as f64)
            } else {
                (p1, 1.0 / (mk as f64 - 1.0).max(1.0))
            };
            if err <= DELTA * t_step * tol * beta0 {
                break (err, xm);
            }
            rejections += 1;
            info.rejections += 1;
            if rejections > self.params.max_rejections {
                return Err(ExpvError::StepRejected {
                    t: t_now,
                    rejections,
                    step: t_step,
                    error_estimate: err,
                });
            }
            t_step = if err.is_finite() {
                round_step(GAMMA * t_step * (t_step * tol * beta0 / err).powf(xm))
            } else {
                0.2 * t_step
            };
            if t_step.is_nan() || t_step <= 0.0 || t_now + t_step == t_now {
                return Err(ExpvError::StepRejected {
                    t: t_now,
                    rejections,
                    step: t_step,
                    error_estimate: err,
                });
            }
        };
        let reaches_end = t_step >= remaining;
        let t_after = if reaches_end {
            self.t_end
        } else {
            t_now + t_step
        };
        let eps_t = 8.0 * f64::EPSILON * t_after.abs().max(1.0);
        Ok(Step {
            t_step,
            err_loc,
            xm,
            reaches_end,
            t_after,
            eps_t,
        })
    }

    /// Dense output: every requested time strictly inside the accepted step, from the same
    /// Krylov basis (`w(t_now + s) ~ beta V exp(s Hbar) e_1`, in `ws.p`). `true` when the
    /// observer asked to stop (`v` then holds the state at `info.t`).
    #[allow(clippy::too_many_arguments)]
    fn dense_outputs<F>(
        &self,
        ws: &mut ExpvWorkspace,
        kry: &Krylov,
        step: &Step,
        beta: f64,
        v: &mut [C64],
        out: &mut Outputs<'_>,
        observer: &mut F,
    ) -> bool
    where
        F: FnMut(Event<'_>) -> ControlFlow<()>,
    {
        let (n, mx, nv) = (self.n, kry.mx, kry.nv);
        while out.next < out.times.len() && out.times[out.next] < step.t_after - step.eps_t {
            let t = out.times[out.next];
            let tau = t - self.t_now;
            if tau > 0.0 {
                ws.expm.exp_into(
                    ws.h.as_ref().submatrix(0, 0, mx, mx),
                    tau,
                    ws.f2.as_mut(),
                    true,
                );
                for k in 0..nv {
                    ws.coef[(k, 0)] = ws.f2[(k, 0)] * beta;
                }
                combine(
                    &ws.basis,
                    n,
                    ws.coef.as_ref().submatrix(0, 0, nv, 1),
                    &mut ws.p,
                    self.par,
                );
                if out.deliver(observer, t, &ws.p) {
                    // v is still w(t_now); report the output time in p as the state reached
                    v.copy_from_slice(&ws.p);
                    out.info.t = t;
                    return true;
                }
            } else if out.deliver(observer, t, v) {
                out.info.t = self.t_now;
                return true;
            }
        }
        false
    }

    /// The accepted step: `v <- w(t_after)` from `F = exp(t_step Hbar)` (step 2 of the module
    /// docs), the counters, and the step size proposed for the next step (step 3).
    fn advance(
        &mut self,
        ws: &mut ExpvWorkspace,
        kry: &Krylov,
        step: &Step,
        beta: f64,
        v: &mut [C64],
        info: &mut ExpvInfo,
    ) -> Result<(), ExpvError> {
        let (tol, beta0, t_step, err_loc) =
            (self.params.tol, self.beta0, step.t_step, step.err_loc);
        let rndoff = self.anorm * f64::EPSILON;
        for k in 0..kry.nv {
            ws.coef[(k, 0)] = ws.f[(k, 0)] * beta;
        }
        combine(
            &ws.basis,
            self.n,
            ws.coef.as_ref().submatrix(0, 0, kry.nv, 1),
            v,
            self.par,
        );
        self.t_now = step.t_after;
        info.steps += 1;
        info.t = self.t_now;
        info.max_step = info.max_step.max(t_step);
        info.error_estimate += err_loc.max(rndoff);
        if kry.breakdown.is_some() {
            info.happy_breakdowns += 1;
        }
        let bnew = norm2(v);
        if !bnew.is_finite() {
            return Err(ExpvError::NonFinite {
                t: self.t_now,
                what: "propagated vector",
            });
        }
        info.hump = info.hump.max(bnew / beta0);
        if kry.breakdown.is_none() {
            let grow = if err_loc > 0.0 {
                GAMMA * t_step * (t_step * tol * beta0 / err_loc).powf(step.xm)
            } else {
                // exact to rounding: grow boldly, later rejections are cheap
                10.0 * t_step
            };
            // a step cut at the last time must not shrink the proposal
            let grow = round_step(grow.min(1e3 * t_step.max(f64::MIN_POSITIVE)));
            self.t_new = Some(match self.t_new {
                Some(prev) if step.reaches_end => grow.max(prev),
                _ => grow,
            });
        }
        Ok(())
    }
}

/// `out = V[:, 0..k] c` with `V` column-major `n x (m+1)` in `basis`.
fn combine(basis: &[C64], n: usize, c: MatRef<'_, C64>, out: &mut [C64], par: Par) {
    let k = c.nrows();
    let vk = MatRef::from_column_major_slice(&basis[..n * k], n, k);
    matmul(col_mut(out), Accum::Replace, vk, c, C64::new(1.0, 0.0), par);
}

fn check_params(p: &ExpvParams) -> Result<(), ExpvError> {
    if p.krylov_dim == 0 || p.krylov_dim > 1000 {
        return Err(ExpvError::InvalidParameter {
            name: "krylov_dim",
            value: p.krylov_dim.to_string(),
            allowed: "an integer 1 <= m <= 1000",
        });
    }
    if !(p.tol.is_finite() && p.tol > 0.0 && p.tol < 1.0) {
        return Err(ExpvError::InvalidParameter {
            name: "tol",
            value: p.tol.to_string(),
            allowed: "a number 0 < tol < 1",
        });
    }
    if p.orthogonalization == Orthogonalization::Incomplete(0) {
        return Err(ExpvError::InvalidParameter {
            name: "orthogonalization",
            value: "Incomplete(0)".into(),
            allowed: "Full or Incomplete(q) with q >= 1",
        });
    }
    if p.max_steps == 0 {
        return Err(ExpvError::InvalidParameter {
            name: "max_steps",
            value: "0".into(),
            allowed: "at least 1",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_step_two_digits() {
        assert_eq!(round_step(0.1234), 0.13);
        assert!((round_step(1234.0) - 1300.0).abs() < 1e-9);
    }
}
