//! Waveguide-mediated couplings, Eqs. 5 and 6 (units: `A = 1`, lengths in `zeta`):
//!
//! ```text
//! Delta_ij  = -(1/2) sin(|z_i - z_j|)   (i != j; Delta_ii = 0: the self shift is in Delta_N)
//! gamma-_ij =  cos(|z_i - z_j|)
//! gamma+_ij =  cos(|z_i + z_j|)
//! ```

/// Dense `N x N` coupling matrices, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Couplings {
    /// number of TLS
    pub n: usize,
    /// dipole-dipole shifts `Delta_ij` (zero on the diagonal)
    pub delta: Vec<f64>,
    /// dissipation `gamma-_ij`
    pub gamma_minus: Vec<f64>,
    /// squeezing `gamma+_ij`
    pub gamma_plus: Vec<f64>,
}

impl Couplings {
    /// Couplings of TLS at positions `z` (units of zeta).
    pub fn new(z: &[f64]) -> Self {
        let n = z.len();
        let mut delta = vec![0.0; n * n];
        let mut gamma_minus = vec![0.0; n * n];
        let mut gamma_plus = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                let d = (z[i] - z[j]).abs();
                if i != j {
                    delta[i * n + j] = -0.5 * d.sin();
                }
                gamma_minus[i * n + j] = d.cos();
                gamma_plus[i * n + j] = (z[i] + z[j]).abs().cos();
            }
        }
        Self {
            n,
            delta,
            gamma_minus,
            gamma_plus,
        }
    }

    /// `Delta_ij`.
    pub fn delta(&self, i: usize, j: usize) -> f64 {
        self.delta[i * self.n + j]
    }
    /// `gamma-_ij`.
    pub fn gamma_minus(&self, i: usize, j: usize) -> f64 {
        self.gamma_minus[i * self.n + j]
    }
    /// `gamma+_ij`.
    pub fn gamma_plus(&self, i: usize, j: usize) -> f64 {
        self.gamma_plus[i * self.n + j]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::positions::ideal;

    #[test]
    fn ideal_positions_give_collective_couplings() {
        let c = Couplings::new(&ideal(5));
        for i in 0..5 {
            for j in 0..5 {
                assert!(c.delta(i, j).abs() < 1e-14);
                assert!((c.gamma_minus(i, j) - 1.0).abs() < 1e-14);
                assert!((c.gamma_plus(i, j) - 1.0).abs() < 1e-14);
            }
        }
    }

    #[test]
    fn symmetric_and_explicit_values() {
        let z = [0.1, 1.3, 2.9];
        let c = Couplings::new(&z);
        assert!((c.delta(0, 2) - (-0.5 * 2.8f64.sin())).abs() < 1e-15);
        assert!((c.gamma_plus(1, 2) - 4.2f64.cos()).abs() < 1e-15);
        for i in 0..3 {
            for j in 0..3 {
                assert_eq!(c.delta(i, j), c.delta(j, i));
                assert_eq!(c.gamma_minus(i, j), c.gamma_minus(j, i));
                assert_eq!(c.gamma_plus(i, j), c.gamma_plus(j, i));
            }
        }
    }
}
