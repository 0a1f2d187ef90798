//! The constants of the error certificate shared by the two-level path ([`crate::twolevel`],
//! its `bound` part) and the one-level path ([`crate::iterative::certify`]): the tolerance of
//! the direct error estimate, the safety factor on the gap and the inverse-iteration steps. They
//! live here, below both paths, so that neither path module imports the other's for them.

/// Factor on the Galerkin gap in the remainder term of the error bound: the Galerkin estimate
/// was measured at up to 2.9 times the operator's own gap (N = 7, w = 0.5 pi; docs/numerics.md),
/// so `1 / g_true <= GAP_SAFETY / g_est` with room to spare. The term it multiplies is at most
/// `ESTIMATE_REL_TOL` of the residual bound, so the factor costs little.
pub const GAP_SAFETY: f64 = 10.0;
/// Relative residual to which the correction `A e = r` is solved for the error estimate.
pub const ESTIMATE_REL_TOL: f64 = 1e-1;

/// Inverse-iteration steps of the gap measured on `A` (`twolevel::inverse_gap`,
/// [`crate::iterative::certify`]): each multiplies the weight of the slowest mode against the
/// next by their rate ratio, so three steps from a generic start single it out unless the two
/// are within a few per cent (then either rate is within that of the gap).
pub const INVERSE_STEPS: usize = 3;
