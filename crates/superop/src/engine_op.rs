//! The matrix-free Eq. 3 operators as one type over the index geometry: [`crate::MatFree`] (full
//! `4^N` space, [`crate::matfree`]) and [`crate::ParityBlock`] (weak-parity block,
//! [`crate::parity`]) are `EngineOp<Full>` and `EngineOp<ParityHalf>`. With local rates
//! ([`sqz_model::Params::with_local_rates`]) every apply ends with the pass of [`crate::local`].

use crate::kernel::{Engine, Geometry, Scratch};
use crate::lindblad::TwoJump;
use crate::local::LocalPass;
use crate::memory::{self, Operator, Requirement};
use crate::{SuperopError, C64};
use sqz_krylov::LinearOperator;
use sqz_model::Params;
use std::marker::PhantomData;
use std::sync::Mutex;

/// Which part of the Liouville space an [`EngineOp`] acts on (sealed: [`Full`], [`ParityHalf`]).
pub trait Shape: std::fmt::Debug + Send + Sync + 'static {
    /// The index geometry of the stored matrix.
    #[doc(hidden)]
    const GEOMETRY: Geometry;
    /// The operator the memory guard counts.
    #[doc(hidden)]
    const OPERATOR: Operator;
}

/// The full Liouville space, `rho[a, b]` at `a + D b` (vector length `4^N`).
#[derive(Debug)]
pub struct Full;
/// The weak-parity block (vector length `4^N / 2`, [`crate::parity`]).
#[derive(Debug)]
pub struct ParityHalf;

impl Shape for Full {
    const GEOMETRY: Geometry = Geometry::Full;
    const OPERATOR: Operator = Operator::MatrixFree;
}
impl Shape for ParityHalf {
    const GEOMETRY: Geometry = Geometry::Parity;
    const OPERATOR: Operator = Operator::ParityBlock;
}

/// The Eq. 3 Liouvillian on the space `S`, matrix-free, with an owned scratch for the
/// [`LinearOperator`] applies (callers that apply concurrently pass their own scratch to
/// [`EngineOp::apply_with`]).
#[derive(Debug)]
pub struct EngineOp<S: Shape> {
    n: usize,
    engine: Engine,
    /// the local loss/dephasing pass, `None` without local rates
    local: Option<LocalPass>,
    scratch: Mutex<Scratch>,
    shape: PhantomData<S>,
}

impl<S: Shape> EngineOp<S> {
    /// Builds the operator for parameters `p` and positions `z` (units of zeta) and allocates its
    /// scratch (two vectors of the operator's length). Calls the memory guard first, counting the
    /// input and output vectors of an apply as well.
    pub fn new(p: &Params, z: &[f64]) -> Result<Self, SuperopError> {
        crate::validate(p, z)?;
        memory::guard(Requirement::operator(S::OPERATOR), p.n())?;
        let engine = Engine::new(&TwoJump::new(p, z), S::GEOMETRY);
        let scratch = Mutex::new(engine.new_scratch());
        Ok(Self {
            n: p.n(),
            engine,
            local: LocalPass::new(p, S::GEOMETRY),
            scratch,
            shape: PhantomData,
        })
    }

    /// Number of TLS.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Complex multiply-adds per apply (see the module docs of [`crate::matfree`]), the local
    /// pass ([`crate::local`]) included when there are local rates.
    pub fn madds_per_apply(&self) -> u64 {
        self.engine.madds_per_apply()
            + self
                .local
                .as_ref()
                .map_or(0, |l| l.madds(self.engine.dim()))
    }

    /// Bytes read or written per apply, each vector access counted once:
    /// [`crate::matfree::VECTOR_SWEEPS`] sweeps over vectors of this operator's length, plus
    /// [`crate::local::LOCAL_SWEEPS`] with local rates.
    pub fn bytes_moved_per_apply(&self) -> u64 {
        self.engine.bytes_moved_per_apply()
            + self.local.as_ref().map_or(0, |_| {
                (crate::local::LOCAL_SWEEPS * 16 * self.engine.dim()) as u64
            })
    }

    /// Whether the operator has local loss or dephasing terms.
    pub fn has_local_rates(&self) -> bool {
        self.local.is_some()
    }

    /// A scratch for [`EngineOp::apply_with`] (two vectors of the operator's length plus small
    /// buffers).
    pub fn new_scratch(&self) -> Scratch {
        self.engine.new_scratch()
    }

    /// `y = L x` with caller-provided scratch (for concurrent applies of one operator).
    ///
    /// # Panics
    /// If `x` or `y` do not have the operator's length, or `scratch` belongs to another shape.
    pub fn apply_with(&self, x: &[C64], y: &mut [C64], scratch: &mut Scratch) {
        self.engine.apply(x, y, scratch);
        if let Some(l) = &self.local {
            l.add(x, y);
        }
    }

    /// Cumulative wall time of the four engine passes of the applies made with the owned scratch
    /// (see [`Scratch::pass_seconds`]; the local pass is not timed).
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

impl<S: Shape> LinearOperator for EngineOp<S> {
    fn dim(&self) -> usize {
        self.engine.dim()
    }

    /// `y = L x` using the owned scratch (concurrent calls are serialised: an uncontended lock
    /// per apply; the solvers' hot paths pass their own scratch instead).
    fn apply(&self, x: &[C64], y: &mut [C64]) {
        let mut s = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
        self.apply_with(x, y, &mut s);
    }
}
