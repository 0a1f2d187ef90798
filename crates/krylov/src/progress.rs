//! Progress of a long solve, shared with an observer (a console thread): the solver records each
//! Krylov step in atomics, the observer reads a snapshot whenever it likes. Nothing here prints,
//! and nothing the solver computes depends on it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Counters a solver updates at every Krylov step (`GmresDrParams::progress`); see the module
/// docs.
#[derive(Debug)]
pub struct Progress {
    steps: AtomicUsize,
    rel_residual: AtomicU64,
    rel_tol: AtomicU64,
}

/// What [`Progress::snapshot`] read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProgressSnapshot {
    /// Krylov steps (applications of the operator in an Arnoldi step) of every solve so far
    pub steps: usize,
    /// the current solve's residual estimate relative to its right-hand side (NaN before the
    /// first step)
    pub rel_residual: f64,
    /// the current solve's target for it
    pub rel_tol: f64,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    /// No step yet.
    pub fn new() -> Self {
        Self {
            steps: AtomicUsize::new(0),
            rel_residual: AtomicU64::new(f64::NAN.to_bits()),
            rel_tol: AtomicU64::new(f64::NAN.to_bits()),
        }
    }

    /// One Krylov step with this residual estimate and target.
    pub fn step(&self, rel_residual: f64, rel_tol: f64) {
        self.rel_residual
            .store(rel_residual.to_bits(), Ordering::Relaxed);
        self.rel_tol.store(rel_tol.to_bits(), Ordering::Relaxed);
        self.steps.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> ProgressSnapshot {
        ProgressSnapshot {
            steps: self.steps.load(Ordering::Relaxed),
            rel_residual: f64::from_bits(self.rel_residual.load(Ordering::Relaxed)),
            rel_tol: f64::from_bits(self.rel_tol.load(Ordering::Relaxed)),
        }
    }
}
