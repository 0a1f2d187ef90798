//! One task: the steady state of one disorder configuration, and its wire format.
//!
//! A task is the pair (w index, configuration), numbered `task = w_index * configurations +
//! configuration`. Its positions depend only on (seed, w index, configuration)
//! ([`Study::positions`]), and the solve runs single-threaded (faer `Par::Seq`, a one-thread rayon
//! pool), so a task gives the same bits on any rank of any run.

use super::spec::Study;
use sqz_superop::observables::moments_parity;
use std::time::Instant;

/// Outcome codes stored in `steady/status`.
pub mod status {
    /// not computed yet
    pub const PENDING: u8 = 0;
    /// computed, values valid
    pub const OK: u8 = 1;
    /// the solver or the observable failed; values are fill values
    pub const FAILED: u8 = 2;
}

/// Method codes stored in `steady/method` (`flag_values` / `flag_meanings`).
pub mod method {
    /// not computed or failed
    pub const NONE: u8 = 0;
    /// names of the codes 0, 1, 2, ... (`sqz_steady::Method::name`); 255 is any other method
    pub const NAMES: [&str; 5] = [
        "none",
        "dense-hermitian-lu",
        "collective-reduction",
        "gmres-jacobi",
        "gmres-two-level",
    ];
    /// code of a method not in [`NAMES`]
    pub const OTHER: u8 = 255;

    /// The code of a solver method.
    pub fn code(m: sqz_steady::Method) -> u8 {
        NAMES
            .iter()
            .position(|n| *n == m.name())
            .map_or(OTHER, |i| i as u8)
    }
}

/// Fill value of quantities that are never negative (xi2, residual, gap, ...).
pub const FILL: f64 = -1.0;

/// What one task produced.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskResult {
    /// task number
    pub task: u64,
    /// [`status`] code
    pub status: u8,
    /// Wineland parameter
    pub xi2: f64,
    /// `1/xi^2`
    pub inv_xi2: f64,
    /// `<S>`
    pub mean_spin: [f64; 3],
    /// [`method`] code
    pub method: u8,
    /// Arnoldi matvecs of the gap estimate (dense), GMRES iterations (N > 7)
    pub iterations: u64,
    /// `|L rho|_F`
    pub residual: f64,
    /// slowest relaxation rate, or [`FILL`]
    pub gap: f64,
    /// `residual / gap`, or [`FILL`]
    pub error_bound: f64,
    /// 1 when the error bound met the tolerance
    pub bound_met: u8,
    /// smallest eigenvalue of rho
    pub min_eigenvalue: f64,
    /// wall time of the task
    pub seconds: f64,
    /// `1/xi^2(t)` at [`Study::trace_times`] (0 where xi^2 is undefined; [`FILL`] when the task
    /// failed); empty without traces
    pub trace: Vec<f64>,
    /// operator applications of the time propagation
    pub trace_matvecs: u64,
    /// error message when failed (empty otherwise)
    pub error: String,
}

impl TaskResult {
    /// A result with fill values everywhere (status OK: nothing failed yet).
    fn empty(task: u64, trace_points: usize) -> Self {
        Self {
            task,
            status: status::OK,
            xi2: FILL,
            inv_xi2: FILL,
            mean_spin: [0.0; 3],
            method: method::NONE,
            iterations: 0,
            residual: FILL,
            gap: FILL,
            error_bound: FILL,
            bound_met: 0,
            min_eigenvalue: 0.0,
            seconds: FILL,
            trace: vec![FILL; trace_points],
            trace_matvecs: 0,
            error: String::new(),
        }
    }
}

/// Test hook (`sqz disorder --panic-at-task K`, hidden): the task that panics on purpose, to
/// show that a panic aborts an MPI job instead of hanging it. `u64::MAX`: none.
pub static PANIC_AT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(u64::MAX);

/// The steady-state part of a task.
fn steady(study: &Study, z: &[f64], r: &mut TaskResult) -> Result<(), String> {
    let Some(so) = study.steady else {
        return Ok(());
    };
    let sp = sqz_steady::SteadyParams {
        tol: so.tol,
        estimate_gap: so.estimate_gap,
        max_iters: so.max_iters,
        ..Default::default()
    };
    // the two-level solver's set-up depends only on (N, r, alpha, Delta): one per thread
    thread_local! {
        static CACHE: std::cell::RefCell<sqz_steady::SolverCache> =
            std::cell::RefCell::new(sqz_steady::SolverCache::new());
    }
    let rep = CACHE
        .with(|c| sqz_steady::solve_cached(&mut c.borrow_mut(), &study.params, z, &sp))
        .map_err(|e| e.to_string())?;
    let sq = moments_parity(&rep.rho_block)
        .squeezing()
        .map_err(|e| e.to_string())?;
    let finite = [sq.xi2, sq.inv_xi2, rep.residual, rep.min_eigenvalue]
        .iter()
        .chain(&sq.mean_spin)
        .all(|v| v.is_finite());
    if !finite {
        return Err("non-finite steady state or squeezing".into());
    }
    let fin = |v: Option<f64>| v.filter(|x| x.is_finite()).unwrap_or(FILL);
    r.xi2 = sq.xi2;
    r.inv_xi2 = sq.inv_xi2;
    r.mean_spin = sq.mean_spin;
    r.method = method::code(rep.method);
    r.iterations = rep.iterations as u64;
    r.residual = rep.residual;
    r.gap = fin(rep.gap);
    r.error_bound = fin(rep.error_bound);
    r.bound_met = rep.bound_met as u8;
    r.min_eigenvalue = rep.min_eigenvalue;
    Ok(())
}

/// The time-trace part of a task: Eq. 3 from all TLS in `|g>` (Fig. 4(a-c)), by the Krylov
/// propagation that `sqz evolve` uses.
fn trace(study: &Study, z: &[f64], r: &mut TaskResult) -> Result<(), String> {
    let Some(to) = study.traces else {
        return Ok(());
    };
    let ep = sqz_krylov::expv::ExpvParams {
        tol: to.tol,
        ..Default::default()
    };
    let (v, info) =
        crate::reproduce::evolve::full_trace(&study.params, z, &study.trace_times(), &ep)
            .map_err(|e| format!("{e:#}"))?;
    if v.len() != to.points || v.iter().any(|x| !x.is_finite()) {
        return Err("non-finite or incomplete time trace".into());
    }
    r.trace = v;
    r.trace_matvecs = info.matvecs as u64;
    Ok(())
}

/// Solves one task (steady state and squeezing, time trace). Never panics on solver failures:
/// they come back as [`status::FAILED`] with the message and fill values.
pub fn compute(study: &Study, task: u64) -> TaskResult {
    if task == PANIC_AT.load(std::sync::atomic::Ordering::Relaxed) {
        panic!("--panic-at-task {task}: deliberate panic (test of the abort path)");
    }
    let t0 = Instant::now();
    let z = study.positions(task);
    let points = study.trace_points();
    let mut r = TaskResult::empty(task, points);
    if let Err(e) = steady(study, &z, &mut r).and_then(|_| trace(study, &z, &mut r)) {
        r = TaskResult::empty(task, points);
        r.status = status::FAILED;
        r.error = e;
    }
    r.seconds = t0.elapsed().as_secs_f64();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_is_reproducible() {
        let study =
            Study::from_toml("n = 4\nr = 0.5\nw = [\"0.1pi\", 0]\nconfigurations = 3\n").unwrap();
        let a = compute(&study, 2);
        let b = compute(&study, 2);
        assert_eq!(a.xi2.to_bits(), b.xi2.to_bits());
        assert_eq!(method::NAMES[a.method as usize], "dense-hermitian-lu");
        let ideal = compute(&study, 4);
        assert_eq!(
            method::NAMES[ideal.method as usize],
            "collective-reduction",
            "{}",
            ideal.error
        );
    }
}
