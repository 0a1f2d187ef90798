//! Validated model parameters and the derived reservoir constants of Eq. 3.
//!
//! `Nsq = sinh^2 r`, `M = sinh r cosh r e^{i alpha}`, `Delta_N = (2 Nsq + 1) Delta`, all in units
//! of `A`. (The paper writes `N` for `sinh^2 r`; we write `Nsq` to keep `N` for the number of TLS.)

use crate::{ModelError, C64};

/// Largest N accepted anywhere (the collective model is `(N+1)^2` dense at worst).
pub const N_MAX: usize = 100_000;
/// Largest squeezing strength accepted: `sinh^2 r` must stay far from overflow.
pub const R_MAX: f64 = 20.0;
/// Largest local loss or dephasing rate accepted (units of A). Far above anything physical
/// (`beta = A / (A + gamma_loss) = 1e-6` there); it keeps the rates on the scale of the other
/// entries of the Liouvillian.
pub const LOCAL_RATE_MAX: f64 = 1e6;

/// What a local rate may be (the text of its error).
pub const LOCAL_RATE_ALLOWED: &str = "a finite rate 0 <= gamma <= 1e6 (units of A)";

/// Checks one local rate (`gamma_loss` or `gamma_deph`, named `name` in the error): finite and
/// `0 <= gamma <= 1e6` ([`LOCAL_RATE_MAX`]).
pub fn check_local_rate(name: &'static str, v: f64) -> Result<f64, ModelError> {
    if v.is_finite() && (0.0..=LOCAL_RATE_MAX).contains(&v) {
        Ok(v)
    } else {
        Err(ModelError::InvalidParameter {
            name,
            value: v.to_string(),
            allowed: LOCAL_RATE_ALLOWED,
        })
    }
}

/// Physical parameters of Eq. 3 / Eq. 7. Construct with [`Params::new`], which validates.
///
/// Optional local rates (beyond the paper; see [`Params::with_local_rates`]) default to 0, and
/// then every result is that of the paper's model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    n: usize,
    r: f64,
    alpha: f64,
    delta: f64,
    gamma_loss: f64,
    gamma_deph: f64,
}

impl Params {
    /// Paper default squeezing angle.
    pub const DEFAULT_ALPHA: f64 = 0.5;
    /// Paper default frequency shift `Delta = 1.0 A`.
    pub const DEFAULT_DELTA: f64 = 1.0;

    /// Validates `N >= 1`, `0 <= r <= 20`, finite `alpha` and `delta`.
    pub fn new(n: usize, r: f64, alpha: f64, delta: f64) -> Result<Self, ModelError> {
        if n == 0 || n > N_MAX {
            return Err(ModelError::InvalidParameter {
                name: "n",
                value: n.to_string(),
                allowed: "an integer 1 <= N <= 100000",
            });
        }
        if !(r.is_finite() && (0.0..=R_MAX).contains(&r)) {
            return Err(ModelError::InvalidParameter {
                name: "r",
                value: r.to_string(),
                allowed: "a finite number 0 <= r <= 20",
            });
        }
        if !alpha.is_finite() {
            return Err(ModelError::InvalidParameter {
                name: "alpha",
                value: alpha.to_string(),
                allowed: "a finite number (radians)",
            });
        }
        if !delta.is_finite() || delta.abs() > 1e12 {
            return Err(ModelError::InvalidParameter {
                name: "delta",
                value: delta.to_string(),
                allowed: "a finite number |Delta| <= 1e12 (units of A)",
            });
        }
        Ok(Self {
            n,
            r,
            alpha,
            delta,
            gamma_loss: 0.0,
            gamma_deph: 0.0,
        })
    }

    /// Same parameters with local loss and dephasing of every TLS (beyond the paper):
    /// `gamma_loss D[sigma_i] rho + (gamma_deph / 2) D[sigma^z_i] rho` added for each TLS i, with
    /// `D[c] rho = c rho c^dag - {c^dag c, rho}/2` and the rates in units of A, so that
    /// `beta = A / (A + gamma_loss)` and coherences decay at `gamma_deph`. Validates
    /// `0 <= gamma <= 1e6` ([`LOCAL_RATE_MAX`]), finite.
    pub fn with_local_rates(&self, gamma_loss: f64, gamma_deph: f64) -> Result<Self, ModelError> {
        check_local_rate("gamma_loss", gamma_loss)?;
        check_local_rate("gamma_deph", gamma_deph)?;
        Ok(Self {
            gamma_loss,
            gamma_deph,
            ..*self
        })
    }

    /// Number of TLS.
    pub fn n(&self) -> usize {
        self.n
    }
    /// Squeezing strength r.
    pub fn r(&self) -> f64 {
        self.r
    }
    /// Squeezing angle alpha.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
    /// Frequency shift Delta (units of A).
    pub fn delta(&self) -> f64 {
        self.delta
    }
    /// Local loss rate `gamma_loss` of each TLS (units of A; 0 unless set by
    /// [`Params::with_local_rates`]).
    pub fn gamma_loss(&self) -> f64 {
        self.gamma_loss
    }
    /// Local dephasing rate `gamma_deph` of each TLS (units of A; 0 unless set by
    /// [`Params::with_local_rates`]).
    pub fn gamma_deph(&self) -> f64 {
        self.gamma_deph
    }
    /// Whether any local rate is nonzero (then only the permutational model includes them).
    pub fn has_local_rates(&self) -> bool {
        self.gamma_loss != 0.0 || self.gamma_deph != 0.0
    }
    /// `beta = A / (A + gamma_loss)`: the fraction of a lone TLS's decay that goes into the
    /// waveguide.
    pub fn beta(&self) -> f64 {
        1.0 / (1.0 + self.gamma_loss)
    }
    /// Total spin `j = N/2` of the symmetric (Dicke) subspace.
    pub fn j(&self) -> f64 {
        self.n as f64 / 2.0
    }
    /// `Nsq = sinh^2 r` (the paper's calligraphic N).
    pub fn nsq(&self) -> f64 {
        self.r.sinh().powi(2)
    }
    /// `M = sinh r cosh r e^{i alpha}`.
    pub fn m(&self) -> C64 {
        C64::from_polar(self.r.sinh() * self.r.cosh(), self.alpha)
    }
    /// `Delta_N = (2 Nsq + 1) Delta`.
    pub fn delta_n(&self) -> f64 {
        (2.0 * self.nsq() + 1.0) * self.delta
    }
    /// Same parameters (local rates included) with another N.
    pub fn with_n(&self, n: usize) -> Result<Self, ModelError> {
        Self::new(n, self.r, self.alpha, self.delta)?
            .with_local_rates(self.gamma_loss, self.gamma_deph)
    }
    /// Same parameters (local rates included) with another r.
    pub fn with_r(&self, r: f64) -> Result<Self, ModelError> {
        Self::new(self.n, r, self.alpha, self.delta)?
            .with_local_rates(self.gamma_loss, self.gamma_deph)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_constants() {
        let p = Params::new(3, 0.5, 0.5, 1.0).unwrap();
        let nsq = 0.5f64.sinh().powi(2);
        assert!((p.nsq() - nsq).abs() < 1e-15);
        // |M|^2 = Nsq (Nsq + 1)
        assert!((p.m().norm_sqr() - nsq * (nsq + 1.0)).abs() < 1e-14);
        assert!((p.delta_n() - (2.0 * nsq + 1.0)).abs() < 1e-15);
        assert!((p.m().arg() - 0.5).abs() < 1e-15);
    }

    #[test]
    fn bad_inputs_name_value_and_range() {
        let e = Params::new(0, 0.5, 0.5, 1.0).unwrap_err().to_string();
        assert!(
            e.contains("n") && e.contains('0') && e.contains("1 <= N"),
            "{e}"
        );
        let e = Params::new(2, -0.1, 0.5, 1.0).unwrap_err().to_string();
        assert!(e.contains("-0.1") && e.contains("0 <= r"), "{e}");
        assert!(Params::new(2, f64::NAN, 0.5, 1.0).is_err());
        assert!(Params::new(2, 21.0, 0.5, 1.0).is_err());
        assert!(Params::new(2, 0.5, f64::INFINITY, 1.0).is_err());
        assert!(Params::new(2, 0.5, 0.5, f64::NAN).is_err());
        assert!(Params::new(2, 0.0, 0.0, 0.0).is_ok());
    }

    #[test]
    fn local_rates_default_to_zero_and_are_validated() {
        let p = Params::new(3, 0.5, 0.5, 1.0).unwrap();
        assert_eq!((p.gamma_loss(), p.gamma_deph()), (0.0, 0.0));
        assert!(!p.has_local_rates());
        assert_eq!(p.beta(), 1.0);
        let q = p.with_local_rates(0.25, 0.1).unwrap();
        assert_eq!((q.gamma_loss(), q.gamma_deph()), (0.25, 0.1));
        assert!((q.beta() - 0.8).abs() < 1e-15);
        assert_eq!(q.with_n(5).unwrap().gamma_loss(), 0.25);
        assert_eq!(q.with_r(0.1).unwrap().gamma_deph(), 0.1);
        // zero rates give back exactly the paper's parameters
        assert_eq!(p.with_local_rates(0.0, 0.0).unwrap(), p);
        let e = p.with_local_rates(-0.5, 0.0).unwrap_err().to_string();
        assert!(
            e.contains("gamma_loss") && e.contains("-0.5") && e.contains("0 <= gamma"),
            "{e}"
        );
        let e = p.with_local_rates(0.0, 2e6).unwrap_err().to_string();
        assert!(
            e.contains("gamma_deph") && e.contains("2000000") && e.contains("1e6"),
            "{e}"
        );
        assert!(p.with_local_rates(f64::NAN, 0.0).is_err());
        assert!(p.with_local_rates(0.0, f64::INFINITY).is_err());
    }
}
