//! Initial states: the one parser of the `ground | dicke:M | product:THETA,PHI` syntax
//! ([`InitState`]'s `FromStr`, used by every command that takes `--init`), and the state vectors
//! in the Dicke basis and in the full `2^N` basis.
//!
//! * `ground`: every TLS in `|g>`, i.e. `|j,-j>`;
//! * `dicke:M`: `|j,M>` (`M` in `-N/2..N/2`, integer steps; `-3/2` or `-1.5`), for the full model
//!   the symmetric state embedded in the `2^N` basis ([`sqz_superop::basis::dicke_vector`]);
//! * `product:THETA,PHI`: every TLS in `cos(THETA/2)|e> + e^{i PHI} sin(THETA/2)|g>`, the spin
//!   coherent state `|THETA,PHI>` of [`sqz_model::observables::coherent_state`], whose mean spin
//!   points along `(sin TH cos PH, sin TH sin PH, cos TH)` (`product:pi,0` is `ground`, `product:0,0`
//!   all excited); angles accept a `pi` suffix.
//!
//! The syntax does not depend on N; [`InitState::dicke_index`] checks `M` against N.

use crate::DynamicsError;
use sqz_model::{observables, positions, C64};
use sqz_superop::basis;
use std::str::FromStr;

/// What every `--init` accepts (the text of a parse error).
pub const INIT_FORMS: &str = "allowed `ground`, `dicke:M` (|j,M>, M one of -N/2, -N/2+1, ..., N/2, \
     e.g. dicke:-3/2 or dicke:-1.5) or `product:THETA,PHI` (every TLS along the angles THETA, PHI in \
     radians, `pi` suffix allowed)";

/// An initial state (N-independent: N is checked when the state is built).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InitState {
    /// all TLS in |g>
    Ground,
    /// `|j, M>` with `M = two_m / 2`
    Dicke {
        /// twice the magnetic quantum number M
        two_m: i64,
    },
    /// every TLS in cos(theta/2)|e> + e^{i phi} sin(theta/2)|g>
    Product {
        /// polar angle of the mean spin
        theta: f64,
        /// azimuth of the mean spin
        phi: f64,
    },
}

/// `a`, or `a/b`: a finite number.
fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Some((a, b)) = s.split_once('/') {
        let (a, b): (f64, f64) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        return (b != 0.0).then_some(a / b).filter(|x| x.is_finite());
    }
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}

impl FromStr for InitState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t == "ground" {
            return Ok(Self::Ground);
        }
        if let Some(m) = t.strip_prefix("dicke:") {
            let v = parse_number(m).ok_or_else(|| format!("{s:?}: M = {m:?} is not a number"))?;
            return Self::dicke(v).map_err(|e| format!("{s:?}: {e}"));
        }
        if let Some(rest) = t.strip_prefix("product:") {
            let (a, b) = rest.split_once(',').ok_or_else(|| {
                format!("{s:?}: expected product:THETA,PHI (radians, `pi` suffix allowed)")
            })?;
            let ang = |x: &str, name: &str| {
                positions::parse_length(x)
                    .map_err(|_| format!("{s:?}: {name} = {x:?} is not an angle"))
            };
            return Ok(Self::Product {
                theta: ang(a, "THETA")?,
                phi: ang(b, "PHI")?,
            });
        }
        Err(format!("{s:?} is not an initial state: {INIT_FORMS}"))
    }
}

impl InitState {
    /// `|j, m>`; `m` must be a whole or half-whole number.
    pub fn dicke(m: f64) -> Result<Self, String> {
        let two = 2.0 * m;
        if !(two.is_finite() && two.fract() == 0.0 && two.abs() <= 1e15) {
            return Err(format!(
                "M = {m} must be a whole or half-whole number (-N/2, -N/2+1, ..., N/2)"
            ));
        }
        Ok(Self::Dicke { two_m: two as i64 })
    }

    /// The text form (`ground`, `dicke:-1.5`, `product:THETA,PHI` in radians).
    pub fn describe(&self) -> String {
        match *self {
            Self::Ground => "ground".into(),
            Self::Dicke { two_m } => format!("dicke:{}", two_m as f64 / 2.0),
            Self::Product { theta, phi } => format!("product:{theta},{phi}"),
        }
    }

    /// `M` of a Dicke state.
    pub fn m(&self) -> Option<f64> {
        match *self {
            Self::Dicke { two_m } => Some(two_m as f64 / 2.0),
            _ => None,
        }
    }

    /// The Dicke index `k = M + N/2` of `ground` (0) or `dicke:M`; an error names the allowed M.
    /// `None` for product states.
    pub fn dicke_index(&self, n: usize) -> Result<Option<usize>, DynamicsError> {
        let two_m = match *self {
            Self::Ground => return Ok(Some(0)),
            Self::Dicke { two_m } => two_m,
            Self::Product { .. } => return Ok(None),
        };
        let two_k = two_m + n as i64;
        if two_k < 0 || two_k > 2 * n as i64 || two_k % 2 != 0 {
            return Err(DynamicsError::Init(format!(
                "invalid initial state {}: M must be one of -N/2, -N/2+1, ..., N/2 (N = {n}; e.g. dicke:{})",
                self.describe(),
                -(n as f64) / 2.0
            )));
        }
        Ok(Some((two_k / 2) as usize))
    }

    /// The state vector in the Dicke basis (`N + 1` amplitudes, index `k = m + j`).
    pub fn collective_vector(&self, n: usize) -> Result<Vec<C64>, DynamicsError> {
        if let Self::Product { theta, phi } = *self {
            return Ok(observables::coherent_state(n, theta, phi));
        }
        let k = self.dicke_index(n)?.expect("ground or a Dicke state");
        let mut v = vec![C64::new(0.0, 0.0); n + 1];
        v[k] = C64::new(1.0, 0.0);
        Ok(v)
    }

    /// The state vector in the full `2^N` basis (`b = sum_i n_i 2^i`).
    pub fn full_vector(&self, n: usize) -> Result<Vec<C64>, DynamicsError> {
        Ok(match *self {
            Self::Ground => {
                let mut v = vec![C64::new(0.0, 0.0); basis::hilbert_dim(n)];
                v[0] = C64::new(1.0, 0.0);
                v
            }
            Self::Dicke { .. } => {
                basis::dicke_vector(n, self.dicke_index(n)?.expect("a Dicke state"))
            }
            Self::Product { theta, phi } => product_state(n, theta, phi),
        })
    }
}

/// The product state of `product:THETA,PHI` in the full basis (b = sum_i n_i 2^i).
pub fn product_state(n: usize, theta: f64, phi: f64) -> Vec<C64> {
    let e = C64::new((0.5 * theta).cos(), 0.0);
    let g = C64::from_polar((0.5 * theta).sin(), phi);
    (0..basis::hilbert_dim(n))
        .map(|b| {
            let k = b.count_ones() as i32;
            e.powi(k) * g.powi(n as i32 - k)
        })
        .collect()
}

/// `|psi><psi|` of a Dicke-basis vector, column-major.
pub fn pure_dicke(v: &[C64]) -> Vec<C64> {
    let d = v.len();
    let mut out = Vec::with_capacity(d * d);
    for j in 0..d {
        for i in 0..d {
            out.push(v[i] * v[j].conj());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(n: usize, s: &str) -> Result<InitState, String> {
        let i: InitState = s.parse()?;
        i.dicke_index(n).map_err(|e| e.to_string())?;
        Ok(i)
    }

    #[test]
    fn init_parsing() {
        assert_eq!(parse(4, "ground").unwrap(), InitState::Ground);
        let k = |n: usize, s: &str| parse(n, s).unwrap().dicke_index(n).unwrap();
        assert_eq!(k(4, "dicke:-2"), Some(0));
        assert_eq!(k(3, "dicke:-3/2"), Some(0));
        assert_eq!(k(3, "dicke:0.5"), Some(2));
        assert!(parse(3, "dicke:0").is_err());
        assert!(parse(4, "dicke:3").is_err());
        assert!(parse(4, "dicke:0.3").is_err());
        match parse(4, "product:0.5pi,1").unwrap() {
            InitState::Product { theta, phi } => {
                assert!((theta - 0.5 * std::f64::consts::PI).abs() < 1e-15);
                assert_eq!(phi, 1.0);
            }
            other => panic!("{other:?}"),
        }
        assert!(parse(4, "product:1").is_err());
        let e = parse(4, "excited").unwrap_err();
        assert!(e.contains("\"excited\"") && e.contains("dicke:M"), "{e}");
        assert_eq!(parse(3, "dicke:-3/2").unwrap().describe(), "dicke:-1.5");
    }

    #[test]
    fn product_state_matches_coherent_state_in_dicke_basis() {
        let n = 4;
        let (th, ph) = (1.1, 0.4);
        let psi = product_state(n, th, ph);
        let full = basis::pure_state(&psi);
        let rho = crate::Space::Full(n).dicke_rho(&full);
        let cs = observables::coherent_state(n, th, ph);
        for i in 0..=n {
            for j in 0..=n {
                let want = cs[i] * cs[j].conj();
                assert!((rho[(i, j)] - want).norm() < 1e-14, "({i},{j})");
            }
        }
        // the product state's mean spin points along (th, ph)
        let m = sqz_superop::observables::moments(&full);
        let j = n as f64 / 2.0;
        assert!((m.mean[0] - j * th.sin() * ph.cos()).abs() < 1e-13);
        assert!((m.mean[1] - j * th.sin() * ph.sin()).abs() < 1e-13);
        assert!((m.mean[2] - j * th.cos()).abs() < 1e-13);
    }
}
