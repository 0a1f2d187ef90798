//! The observables of a propagation at its output times (`sqz evolve`, the traces of studies):
//! one [`Series`] for every model (collective, full, permutational).
//!
//! `xi2` is undefined where the mean spin vanishes
//! ([`SpinMoments::perpendicular_axes`](crate::observables::SpinMoments::perpendicular_axes)):
//! `None` there and `inv_xi2 = 0`. Never a NaN.

use crate::observables::SpinMoments;
use crate::ModelError;

/// Observables at the output times of a propagation, one entry per time in each column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// the output times
    pub t: Vec<f64>,
    /// `1/xi_R^2` (0 where the mean spin vanishes)
    pub inv_xi2: Vec<f64>,
    /// `xi_R^2`; `None` where the mean spin vanishes
    pub xi2: Vec<Option<f64>>,
    /// mean spin `<S_x>, <S_y>, <S_z>`
    pub mean_spin: Vec<[f64; 3]>,
    /// `Re Tr rho`
    pub trace: Vec<f64>,
    /// population of the symmetric block `J = N/2`: filled by the permutational model only
    /// (empty for the collective and full models)
    pub sym: Vec<f64>,
}

impl Series {
    /// Appends the observables at time `t` of a state with spin moments `m` and trace `trace`
    /// (`t`, `inv_xi2`, `xi2`, `mean_spin`, `trace`; not `sym`). A vanishing mean spin is
    /// recorded as `xi2 = None`, `inv_xi2 = 0`; any other failure of
    /// [`SpinMoments::squeezing`] is returned, and nothing is appended.
    pub fn push(&mut self, t: f64, m: &SpinMoments, trace: f64) -> Result<(), ModelError> {
        let (inv_xi2, xi2) = match m.squeezing() {
            Ok(sq) => (sq.inv_xi2, Some(sq.xi2)),
            Err(ModelError::ZeroMeanSpin(_)) => (0.0, None),
            Err(e) => return Err(e),
        };
        self.t.push(t);
        self.inv_xi2.push(inv_xi2);
        self.xi2.push(xi2);
        self.mean_spin.push(m.mean);
        self.trace.push(trace);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vanishing mean spin is recorded as `None` and 0, not as an error.
    #[test]
    fn zero_mean_spin_is_recorded_as_none() {
        let m = SpinMoments {
            n: 2,
            mean: [0.0; 3],
            second: [[0.5, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 0.0]],
        };
        let mut s = Series::default();
        s.push(0.5, &m, 1.0).unwrap();
        assert_eq!(s.t, vec![0.5]);
        assert_eq!(s.xi2, vec![None]);
        assert_eq!(s.inv_xi2, vec![0.0]);
        assert_eq!(s.mean_spin, vec![[0.0; 3]]);
        assert_eq!(s.trace, vec![1.0]);
        assert!(s.sym.is_empty());
    }
}
