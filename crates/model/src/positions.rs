//! TLS positions along the waveguide, in units of `zeta`.
//!
//! Ideal positions `z_i^0 = 2 pi i` (i = 0..N-1) satisfy `|z_i +- z_j| = 2 n pi`, so that
//! Eq. 3 reduces to the collective Eq. 7. Disorder (Fig. 4): `z_i = z_i^0 + w chi_i` with `chi_i`
//! uniform in `[-1, 1]`, drawn from a ChaCha8 stream fixed by `(seed, stream)` alone, so a
//! configuration is the same on 1 rank or 64.

use crate::ModelError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::f64::consts::PI;

/// Largest disorder strength accepted, in units of zeta (10 pi).
pub const W_MAX: f64 = 10.0 * PI;

/// Ideal positions `z_i = 2 pi i`, i = 0..n-1.
pub fn ideal(n: usize) -> Vec<f64> {
    (0..n).map(|i| 2.0 * PI * i as f64).collect()
}

/// The disorder offsets `chi_i` in `[-1, 1]` for a (seed, stream) pair.
pub fn chi(n: usize, seed: u64, stream: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    (0..n).map(|_| rng.gen_range(-1.0..=1.0)).collect()
}

/// Disordered positions `z_i = 2 pi i + w chi_i`; `w` in units of zeta (`0.3 pi` is `0.3 * PI`).
pub fn disordered(n: usize, w: f64, seed: u64, stream: u64) -> Result<Vec<f64>, ModelError> {
    check_w(w)?;
    Ok(ideal(n)
        .into_iter()
        .zip(chi(n, seed, stream))
        .map(|(z0, c)| z0 + w * c)
        .collect())
}

/// Validates a disorder strength: finite, `0 <= w <= 10 pi`.
pub fn check_w(w: f64) -> Result<(), ModelError> {
    if w.is_finite() && (0.0..=W_MAX).contains(&w) {
        Ok(())
    } else {
        Err(ModelError::InvalidParameter {
            name: "w",
            value: w.to_string(),
            allowed: "a finite disorder strength 0 <= w <= 10pi (units of zeta)",
        })
    }
}

/// Validates explicit positions: `n` finite numbers.
pub fn check_positions(z: &[f64], n: usize) -> Result<(), ModelError> {
    if z.len() != n {
        return Err(ModelError::InvalidParameter {
            name: "positions",
            value: format!("{} values", z.len()),
            allowed: "exactly N positions, one per TLS",
        });
    }
    if let Some(bad) = z.iter().find(|x| !x.is_finite()) {
        return Err(ModelError::InvalidParameter {
            name: "positions",
            value: bad.to_string(),
            allowed: "finite numbers (units of zeta)",
        });
    }
    Ok(())
}

/// Parses a length in units of zeta: `1.5`, `0.3pi`, `pi`, `-2pi`, `0.3*pi`.
pub fn parse_length(s: &str) -> Result<f64, ModelError> {
    let t = s.trim().to_ascii_lowercase();
    let bad = || ModelError::BadLength(s.to_string());
    let v = if let Some(head) = t.strip_suffix("pi") {
        let head = head.trim().trim_end_matches('*').trim();
        let k = match head {
            "" | "+" => 1.0,
            "-" => -1.0,
            h => h.parse::<f64>().map_err(|_| bad())?,
        };
        k * PI
    } else {
        t.parse::<f64>().map_err(|_| bad())?
    };
    if v.is_finite() {
        Ok(v)
    } else {
        Err(bad())
    }
}

/// Parses a comma-separated list of lengths (`0,2pi,4.1pi`).
pub fn parse_lengths(s: &str) -> Result<Vec<f64>, ModelError> {
    s.split(',').map(parse_length).collect()
}

/// A length as the command line and the study files write it: a number with an optional `pi`
/// suffix, parsed by [`parse_length`] (the one parser of the syntax).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Length(pub f64);

impl std::str::FromStr for Length {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, ModelError> {
        parse_length(s).map(Self)
    }
}

/// A comma-separated list of lengths ([`parse_lengths`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Lengths(pub Vec<f64>);

impl std::str::FromStr for Lengths {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, ModelError> {
        parse_lengths(s).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        assert_eq!(parse_length("1.5").unwrap(), 1.5);
        assert!((parse_length("0.3pi").unwrap() - 0.3 * PI).abs() < 1e-15);
        assert!((parse_length(" pi ").unwrap() - PI).abs() < 1e-15);
        assert!((parse_length("-2PI").unwrap() + 2.0 * PI).abs() < 1e-15);
        assert!((parse_length("0.5*pi").unwrap() - 0.5 * PI).abs() < 1e-15);
        assert!(parse_length("abc").is_err());
        assert!(parse_length("xpi").is_err());
        assert!(parse_length("inf").is_err());
        assert_eq!(parse_lengths("0,2pi").unwrap().len(), 2);
    }

    #[test]
    fn disorder_is_reproducible_and_bounded() {
        let a = disordered(6, 0.3 * PI, 42, 7).unwrap();
        let b = disordered(6, 0.3 * PI, 42, 7).unwrap();
        let c = disordered(6, 0.3 * PI, 42, 8).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        for (i, z) in a.iter().enumerate() {
            assert!((z - 2.0 * PI * i as f64).abs() <= 0.3 * PI + 1e-12);
        }
        assert!(disordered(3, -1.0, 0, 0).is_err());
        assert!(disordered(3, f64::NAN, 0, 0).is_err());
    }
}
