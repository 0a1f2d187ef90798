//! Eq. 3 as a matrix-free operator on the full `4^N` Liouville space, through the equivalent
//! two-jump Lindblad form of the spec (not in the paper; see [`crate::lindblad`] for the
//! coefficients):
//!
//! ```text
//! L(rho) = -i (H_eff rho - rho H_eff^dag) + sum_{c=+,-} J_c rho J_c^dag
//! H_eff  = H - (i/2) sum_c J_c^dag J_c,      H = Delta_N sum_i s+_i s-_i + H_DD
//! J_c    = cosh r b_c - e^{i alpha} sinh r b_c^dag,   b_c = (1/sqrt 2) sum_i e^{c i z_i} sigma_i
//! ```
//!
//! `H_eff` (excitation-conserving `H_DD` plus the two-body part of `J^dag J`) acts on each side
//! through its `N(N-1)/2` pair elements per basis state; the sandwich `J_c rho J_c^dag` is applied
//! as `J_c (rho J_c^dag)`, `O(N)` per element. Cost per apply: about
//! `(N(N-1) + 4N + 2) 4^N` complex multiply-adds and 12 sweeps over `4^N`-vectors; memory:
//! input, output and two scratch vectors of the same length, owned by the operator (or passed
//! by the caller, [`MatFree::apply_with`]). Vector layout: column-major `vec(rho)`,
//! `rho[a, b]` at `a + D b`.

use crate::kernel::{Engine, Geometry};
use crate::lindblad::TwoJump;
use crate::memory::{self, Operator, Requirement};
use crate::{SuperopError, C64};
use sqz_krylov::LinearOperator;
use sqz_model::Params;
use std::sync::Mutex;

pub use crate::kernel::{Scratch, VECTOR_SWEEPS};

/// The Eq. 3 Liouvillian on the full Liouville space, matrix-free.
#[derive(Debug)]
pub struct MatFree {
    n: usize,
    engine: Engine,
    scratch: Mutex<Scratch>,
}

impl MatFree {
    /// Builds the operator for parameters `p` and positions `z` (units of zeta) and allocates its
    /// scratch (two vectors of length `4^N`). Calls the memory guard first, counting the input
    /// and output vectors of an apply as well.
    pub fn new(p: &Params, z: &[f64]) -> Result<Self, SuperopError> {
        crate::validate(p, z)?;
        memory::guard(Requirement::operator(Operator::MatrixFree), p.n())?;
        let engine = Engine::new(&TwoJump::new(p, z), Geometry::Full);
        let scratch = Mutex::new(engine.new_scratch());
        Ok(Self {
            n: p.n(),
            engine,
            scratch,
        })
    }

    /// Number of TLS.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Complex multiply-adds per apply (see the module docs of [`crate::matfree`]).
    pub fn madds_per_apply(&self) -> u64 {
        self.engine.madds_per_apply()
    }

    /// Bytes read or written per apply, each vector access counted once:
    /// [`crate::matfree::VECTOR_SWEEPS`] sweeps over vectors of this operator's length.
    pub fn bytes_moved_per_apply(&self) -> u64 {
        self.engine.bytes_moved_per_apply()
    }

    /// A scratch for [`MatFree::apply_with`] (two vectors of length `4^N` plus small buffers).
    pub fn new_scratch(&self) -> Scratch {
        self.engine.new_scratch()
    }

    /// `y = L x` with caller-provided scratch (for concurrent applies of one operator).
    ///
    /// # Panics
    /// If `x` or `y` do not have length `4^N`, or `scratch` belongs to another operator shape.
    pub fn apply_with(&self, x: &[C64], y: &mut [C64], scratch: &mut Scratch) {
        self.engine.apply(x, y, scratch);
    }

    /// Cumulative wall time of the four passes of the applies made with the owned scratch
    /// (see [`Scratch::pass_seconds`]).
    pub fn pass_seconds(&self) -> [f64; 4] {
        self.scratch
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pass_seconds()
    }

    /// Bytes of the owned scratch.
    pub fn scratch_bytes(&self) -> u64 {
        self.scratch
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .bytes()
    }
}

impl LinearOperator for MatFree {
    fn dim(&self) -> usize {
        self.engine.dim()
    }

    /// `y = L x` using the owned scratch (concurrent calls are serialised).
    fn apply(&self, x: &[C64], y: &mut [C64]) {
        let mut s = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
        self.engine.apply(x, y, &mut s);
    }
}
