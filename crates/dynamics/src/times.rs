//! Output times: the one parser of a time list (`t1,t2,...`, [`Times`]) and the uniform and
//! logarithmic grids.

use std::str::FromStr;

/// A list of output times: finite, `>= 0`, non-decreasing (`--times`, `--husimi-times`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Times(pub Vec<f64>);

impl FromStr for Times {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut out: Vec<f64> = Vec::new();
        for (i, x) in s.split(',').enumerate() {
            let v: f64 = x
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("entry {i} = {x:?} is not a finite time >= 0"))?;
            if let Some(&prev) = out.last() {
                if v < prev {
                    return Err(format!("times must be non-decreasing ({v} after {prev})"));
                }
            }
            out.push(v);
        }
        Ok(Self(out))
    }
}

/// `k + 1` uniform points from `a` to `b`, both included (the last one is `b` exactly).
pub fn linspace(a: f64, b: f64, k: usize) -> Vec<f64> {
    (0..=k)
        .map(|i| {
            if i == k {
                b
            } else {
                a + (b - a) * i as f64 / k as f64
            }
        })
        .collect()
}

/// `k + 1` log-spaced points from `a` to `b`, both included.
pub fn logspace(a: f64, b: f64, k: usize) -> Vec<f64> {
    let (la, lb) = (a.ln(), b.ln());
    (0..=k)
        .map(|i| {
            if i == k {
                b
            } else {
                (la + (lb - la) * i as f64 / k as f64).exp()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parsing_and_grids() {
        let t: Times = "0,1,1,2.5".parse().unwrap();
        assert_eq!(t.0, vec![0.0, 1.0, 1.0, 2.5]);
        assert!("1,0"
            .parse::<Times>()
            .unwrap_err()
            .contains("non-decreasing"));
        assert!("-1".parse::<Times>().is_err());
        assert!("nan".parse::<Times>().is_err());
        assert_eq!(linspace(0.0, 3.0, 3), vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(linspace(0.0, 1.0, 4), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        let l = logspace(1e-2, 1e2, 4);
        assert_eq!(l.len(), 5);
        assert!((l[2] - 1.0).abs() < 1e-12 && l[4] == 1e2);
    }
}
