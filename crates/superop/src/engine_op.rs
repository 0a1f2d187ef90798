//! The matrix-free Eq. 3 operators as one type over the index geometry: [`crate::MatFree`] (full
//! `4^N` space, [`crate::matfree`]) and [`crate::ParityBlock`] (weak-parity block,
//! [`crate::parity`]) are `EngineOp<Full>` and `EngineOp<ParityHalf>`. With local rates
//! ([`sqz_model::Params::with_local_rates`]) every apply ends with the pass of [`crate::local`].

use crate::kernel::{Engine, Geometry, Scratch};
use crate::lindblad::TwoJump;
use crate::local::LocalPass;
use crate::memory::{self, Operator, Requirement};
use crate::{SuperopError, C64};
use sqz_krylov::LinOp;
use sqz_model::Params;
use std::marker::PhantomData;

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

/// The Eq. 3 Liouvillian on the space `S`, matrix-free. A [`LinOp`] whose scratch is the
/// engine's [`Scratch`] (two vectors of the operator's length plus small buffers, which also
/// time the engine passes, [`Scratch::pass_seconds`]): callers that apply concurrently hold one
/// scratch per thread.
#[derive(Debug)]
pub struct EngineOp<S: Shape> {
    n: usize,
    engine: Engine,
    /// the local loss/dephasing pass, `None` without local rates
    local: Option<LocalPass>,
    shape: PhantomData<S>,
}

impl<S: Shape> EngineOp<S> {
    /// Builds the operator for parameters `p` and positions `z` (units of zeta). Calls the memory
    /// guard first, counting the input and output vectors of an apply and one scratch
    /// ([`LinOp::new_scratch`], two vectors of the operator's length) as well.
    pub fn new(p: &Params, z: &[f64]) -> Result<Self, SuperopError> {
        crate::validate(p, z)?;
        memory::guard(Requirement::operator(S::OPERATOR), p.n())?;
        let engine = Engine::new(&TwoJump::new(p, z), S::GEOMETRY);
        Ok(Self {
            n: p.n(),
            engine,
            local: LocalPass::new(p, S::GEOMETRY),
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
}

impl<S: Shape> LinOp<C64> for EngineOp<S> {
    type Scratch = Scratch;

    fn dim(&self) -> usize {
        self.engine.dim()
    }

    /// A scratch (two vectors of the operator's length plus small buffers).
    fn new_scratch(&self) -> Scratch {
        self.engine.new_scratch()
    }

    fn scratch_bytes(&self) -> u64 {
        self.engine.scratch_bytes()
    }

    /// `y = L x`; the four engine passes are timed in `scratch` ([`Scratch::pass_seconds`]; the
    /// local pass is not timed).
    ///
    /// # Panics
    /// If `x` or `y` do not have the operator's length, or `scratch` belongs to another shape.
    fn apply(&self, x: &[C64], y: &mut [C64], scratch: &mut Scratch) {
        self.engine.apply(x, y, scratch);
        if let Some(l) = &self.local {
            l.add(x, y);
        }
    }
}
