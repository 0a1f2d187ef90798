//! One task: the steady state and the time trace of one disorder configuration.
//!
//! A task is the pair (w index, configuration), numbered `task = w_index * configurations +
//! configuration`. Its positions depend only on (seed, w index, configuration)
//! ([`Study::positions`]), and the solve runs single-threaded (faer `Par::Seq`, a one-thread rayon
//! pool), so a task gives the same bits on any rank of any run.

use crate::schema::{method, status, TaskResult, FILL};
use crate::spec::Study;
use sqz_steady::SolverCache;
use sqz_superop::observables::moments_parity;
use std::time::Instant;

/// Test hook (`sqz disorder --panic-at-task K`, hidden): the task that panics on purpose, to
/// show that a panic aborts an MPI job instead of hanging it. `u64::MAX`: none.
pub static PANIC_AT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(u64::MAX);

/// Stores a steady state's squeezing; refuses non-finite values.
fn store_squeezing(
    r: &mut TaskResult,
    sq: &sqz_model::observables::Squeezing,
    residual: f64,
    min_eigenvalue: f64,
) -> Result<(), String> {
    let finite = [sq.xi2, sq.inv_xi2, residual, min_eigenvalue]
        .iter()
        .chain(&sq.mean_spin)
        .all(|v| v.is_finite());
    if !finite {
        return Err("non-finite steady state or squeezing".into());
    }
    r.xi2 = sq.xi2;
    r.inv_xi2 = sq.inv_xi2;
    r.mean_spin = sq.mean_spin;
    r.residual = residual;
    r.min_eigenvalue = min_eigenvalue;
    Ok(())
}

/// The steady state of a `"0+"` task: the limit `w -> 0+` along the task's direction `chi`
/// (`sqz_steady::limit`). Stored like a solve, with `gap` the coefficient of the gap,
/// `gap(w) = w^2 gap` (units A / zeta^2), `residual` 0 (the limit is an exact null vector of the
/// ideal Liouvillian), no error bound.
fn steady_limit(
    study: &Study,
    task: u64,
    cache: &mut SolverCache,
    r: &mut TaskResult,
) -> Result<(), String> {
    use sqz_steady::limit::{limit_state_with, LimitParams};
    let p = &study.params;
    let chi = study.chi(task);
    // faer single-threaded, as every solve of a study (`LimitParams::default().par`)
    let lp = LimitParams::default();
    let su = cache.limit_setup(p, lp.par).map_err(|e| e.to_string())?;
    let rep = limit_state_with(su, p, &chi, &lp).map_err(|e| e.to_string())?;
    let sq = rep.squeezing().map_err(|e| e.to_string())?;
    store_squeezing(r, &sq, 0.0, rep.min_eigenvalue)?;
    r.method = method::LIMIT;
    r.gap = rep
        .gap_coefficient()
        .filter(|x| x.is_finite())
        .unwrap_or(FILL);
    Ok(())
}

/// The steady-state part of a task; its Krylov steps are recorded in `progress` (only written
/// by the solver, never read: the result does not depend on it).
fn steady(
    study: &Study,
    task: u64,
    z: &[f64],
    memory_budget: Option<u64>,
    cache: &mut SolverCache,
    progress: Option<&'static sqz_krylov::Progress>,
    r: &mut TaskResult,
) -> Result<(), String> {
    let Some(mut sp) = study.steady_params(memory_budget) else {
        return Ok(());
    };
    sp.progress = progress;
    if study.is_limit(task) {
        return steady_limit(study, task, cache, r);
    }
    let rep = sqz_steady::solve_cached(cache, &study.params, z, &sp).map_err(|e| e.to_string())?;
    let sq = moments_parity(&rep.rho_block)
        .squeezing()
        .map_err(|e| e.to_string())?;
    store_squeezing(r, &sq, rep.residual, rep.min_eigenvalue)?;
    let fin = |v: Option<f64>| v.filter(|x| x.is_finite()).unwrap_or(FILL);
    r.method = method::code(rep.method);
    r.iterations = rep.iterations as u64;
    r.gap = fin(rep.gap);
    r.error_bound = fin(rep.error_bound);
    r.bound_met = rep.bound_met as u8;
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
    let (v, info) = sqz_dynamics::traces::full_trace(&study.params, z, &study.trace_times(), &ep)
        .map_err(|e| e.to_string())?;
    if v.len() != to.points || v.iter().any(|x| !x.is_finite()) {
        return Err("non-finite or incomplete time trace".into());
    }
    r.trace = v;
    r.trace_matvecs = info.matvecs as u64;
    Ok(())
}

/// Solves one task (steady state and squeezing, time trace), each solve within
/// `memory_budget` bytes (`None`: what the machine has), with the prepared set-ups of `cache`
/// (the calling executor thread's, one per study: the set-ups depend only on
/// `(N, r, alpha, Delta)`, so the result does not depend on which tasks the thread ran before).
/// Never panics on solver failures: they come back as [`status::FAILED`] with the message and
/// fill values.
pub fn compute(
    study: &Study,
    task: u64,
    memory_budget: Option<u64>,
    cache: &mut SolverCache,
) -> TaskResult {
    compute_with(study, task, memory_budget, cache, None)
}

/// [`compute`], with the solver's Krylov steps recorded in `progress` for a console to read
/// (the result is the same bits with or without it).
pub fn compute_with(
    study: &Study,
    task: u64,
    memory_budget: Option<u64>,
    cache: &mut SolverCache,
    progress: Option<&'static sqz_krylov::Progress>,
) -> TaskResult {
    if task == PANIC_AT.load(std::sync::atomic::Ordering::Relaxed) {
        panic!("--panic-at-task {task}: deliberate panic (test of the abort path)");
    }
    let t0 = Instant::now();
    let z = study.positions(task);
    let points = study.trace_points();
    let mut r = TaskResult::filled(task, points);
    if let Err(e) = steady(study, task, &z, memory_budget, cache, progress, &mut r)
        .and_then(|_| trace(study, &z, &mut r))
    {
        r = TaskResult::filled(task, points);
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
        let a = compute(&study, 2, None, &mut SolverCache::new());
        let b = compute(&study, 2, None, &mut SolverCache::new());
        assert_eq!(a.xi2.to_bits(), b.xi2.to_bits());
        assert_eq!(method::NAMES[a.method as usize], "dense-hermitian-lu");
        let ideal = compute(&study, 4, None, &mut SolverCache::new());
        assert_eq!(
            method::NAMES[ideal.method as usize],
            "collective-reduction",
            "{}",
            ideal.error
        );
    }

    /// A `"0+"` w is the limit along each configuration's direction: the same 1/xi^2 as the
    /// library's limit, different from the ideal (w = 0) state, and the gap coefficient stored.
    #[test]
    fn a_limit_task_is_the_limit_state() {
        let study =
            Study::from_toml("n = 4\nr = 0.5\nw = [\"0+\", 0]\nconfigurations = 2\n").unwrap();
        assert_eq!(study.w_limit, [true, false]);
        let a = compute(&study, 1, None, &mut SolverCache::new());
        assert_eq!(a.status, crate::schema::status::OK, "{}", a.error);
        assert_eq!(method::NAMES[a.method as usize], "limit-kronecker");
        let lim = sqz_steady::limit::limit_state(
            &study.params,
            &study.chi(1),
            &sqz_steady::limit::LimitParams::default(),
        )
        .unwrap();
        assert_eq!(a.inv_xi2, lim.squeezing().unwrap().inv_xi2);
        assert_eq!(a.gap, lim.gap_coefficient().unwrap());
        let ideal = compute(&study, 2, None, &mut SolverCache::new());
        assert!((a.inv_xi2 - ideal.inv_xi2).abs() > 1e-3);
    }
}
