//! Shared test helpers: fixtures, random states, comparisons.
#![allow(dead_code, missing_docs)]

use num_complex::Complex64 as C64;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

pub fn fixture(name: &str) -> Value {
    let path = format!("{}/../../fixtures/qutip/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

pub fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

/// Dense row-major {dim, re, im} -> column-major vec.
pub fn dense_to_vec(v: &Value) -> Vec<C64> {
    let dim = usizes(&v["dim"]);
    let (re, im) = (floats(&v["re"]), floats(&v["im"]));
    let (r, c) = (dim[0], dim[1]);
    let mut out = vec![C64::default(); r * c];
    for a in 0..r {
        for b in 0..c {
            out[a + r * b] = C64::new(re[a * c + b], im[a * c + b]);
        }
    }
    out
}

pub fn random_vec(len: usize, seed: u64) -> Vec<C64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..len)
        .map(|_| C64::new(rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0)))
        .collect()
}

/// A random density matrix (Hermitian, positive, trace 1) as vec.
pub fn random_rho(d: usize, seed: u64) -> Vec<C64> {
    let a = random_vec(d * d, seed);
    // rho = A A^dag / Tr
    let mut rho = vec![C64::default(); d * d];
    for i in 0..d {
        for j in 0..d {
            let mut s = C64::default();
            for k in 0..d {
                s += a[i + d * k] * a[j + d * k].conj();
            }
            rho[i + d * j] = s;
        }
    }
    let tr: f64 = (0..d).map(|i| rho[i + d * i].re).sum();
    rho.iter_mut().for_each(|v| *v /= tr);
    rho
}

pub fn max_diff(a: &[C64], b: &[C64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).norm())
        .fold(0.0, f64::max)
}

pub fn max_abs(a: &[C64]) -> f64 {
    a.iter().map(|x| x.norm()).fold(0.0, f64::max)
}

pub fn disordered(n: usize, w: f64, seed: u64) -> Vec<f64> {
    sqz_model::positions::disordered(n, w, seed, 0).unwrap()
}
