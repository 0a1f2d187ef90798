//! The certificate step shared by the paths that estimate the gap of the operator itself
//! ([`residual_over_gap`]: the dense path of Eq. 3 and the permutational model), and the
//! constants of the error certificate shared by the two-level path ([`crate::twolevel`],
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

/// The verdict of a state from its residual and gap: the error bound, whether it meets the
/// tolerance, and the [`crate::Outcome`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bound {
    /// `residual / gap`, when a gap is known
    pub error_bound: Option<f64>,
    /// `error_bound <= tol`
    pub bound_met: bool,
    /// [`crate::Outcome::from_bound`] of the bound
    pub outcome: crate::Outcome,
}

/// The certificate step of the paths that estimate the gap of the operator itself (the dense
/// Hermitian LU of Eq. 3, [`crate::dense`]; the permutational model, [`crate::permutational`]):
/// the error bound `||x - x_ss||_2 <~ residual / gap` (exact for normal `L`, an estimate
/// otherwise: docs/numerics.md), whether it meets `tol` (a note in `notes` when not), and the
/// outcome (without a gap, its reason is the note of the gap estimate, if any). A gap below
/// 1e-14 is a numerically degenerate null space ([`crate::SteadyError::Degenerate`]).
pub(crate) fn residual_over_gap(
    residual: f64,
    gap: Option<f64>,
    tol: f64,
    notes: &mut Vec<String>,
) -> Result<Bound, crate::SteadyError> {
    if let Some(g) = gap {
        if g < 1e-14 {
            return Err(crate::SteadyError::Degenerate(format!(
                "the slowest relaxation rate is {g:e}: the null space is numerically degenerate"
            )));
        }
    }
    let error_bound = gap.map(|g| residual / g);
    let bound_met = error_bound.is_some_and(|b| b <= tol);
    if let (Some(b), Some(g)) = (error_bound, gap) {
        if !bound_met {
            notes.push(format!(
                "error bound {b:.2e} above the tolerance {tol:.0e} (gap {g:.2e}, residual \
                 {residual:.2e})"
            ));
        }
    }
    let outcome = crate::Outcome::from_bound(error_bound, tol, || {
        notes
            .iter()
            .find(|n| n.contains("gap"))
            .cloned()
            .unwrap_or_else(|| "gap not estimated".into())
    });
    Ok(Bound {
        error_bound,
        bound_met,
        outcome,
    })
}
