//! One task: the steady state and the time trace of one disorder configuration.
//!
//! A task is the pair (w index, configuration), numbered `task = w_index * configurations +
//! configuration`. Its positions depend only on (seed, w index, configuration)
//! ([`Study::positions`]), and the solve runs single-threaded (faer `Par::Seq`, a one-thread rayon
//! pool), so a task gives the same bits on any rank of any run.

use crate::schema::{method, status, TaskResult, FILL};
use crate::spec::Study;
use sqz_superop::observables::moments_parity;
use std::time::Instant;

/// Test hook (`sqz disorder --panic-at-task K`, hidden): the task that panics on purpose, to
/// show that a panic aborts an MPI job instead of hanging it. `u64::MAX`: none.
pub static PANIC_AT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(u64::MAX);

/// The steady-state part of a task.
fn steady(
    study: &Study,
    z: &[f64],
    memory_budget: Option<u64>,
    r: &mut TaskResult,
) -> Result<(), String> {
    let Some(sp) = study.steady_params(memory_budget) else {
        return Ok(());
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
/// `memory_budget` bytes (`None`: what the machine has). Never panics on solver failures: they
/// come back as [`status::FAILED`] with the message and fill values.
pub fn compute(study: &Study, task: u64, memory_budget: Option<u64>) -> TaskResult {
    if task == PANIC_AT.load(std::sync::atomic::Ordering::Relaxed) {
        panic!("--panic-at-task {task}: deliberate panic (test of the abort path)");
    }
    let t0 = Instant::now();
    let z = study.positions(task);
    let points = study.trace_points();
    let mut r = TaskResult::filled(task, points);
    if let Err(e) = steady(study, &z, memory_budget, &mut r).and_then(|_| trace(study, &z, &mut r))
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
        let a = compute(&study, 2, None);
        let b = compute(&study, 2, None);
        assert_eq!(a.xi2.to_bits(), b.xi2.to_bits());
        assert_eq!(method::NAMES[a.method as usize], "dense-hermitian-lu");
        let ideal = compute(&study, 4, None);
        assert_eq!(
            method::NAMES[ideal.method as usize],
            "collective-reduction",
            "{}",
            ideal.error
        );
    }
}
