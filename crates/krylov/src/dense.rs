//! Small dense helpers shared by the Krylov methods (vectors as slices of `C64`).

use crate::C64;
use rayon::prelude::*;

/// Length from which [`dot`] and [`norm`] run in parallel: over fixed chunks of 4096 entries,
/// whose sums are added in chunk order (the same bits on any number of threads).
const PAR_MIN: usize = 1 << 14;

/// `sum conj(x_i) y_i`.
pub fn dot(x: &[C64], y: &[C64]) -> C64 {
    if x.len() >= PAR_MIN {
        x.par_chunks(4096)
            .zip(y.par_chunks(4096))
            .map(|(a, b)| a.iter().zip(b).map(|(u, v)| u.conj() * v).sum::<C64>())
            .collect::<Vec<_>>()
            .into_iter()
            .sum()
    } else {
        x.iter().zip(y).map(|(u, v)| u.conj() * v).sum()
    }
}

/// Euclidean norm.
pub fn norm(x: &[C64]) -> f64 {
    if x.len() >= PAR_MIN {
        x.par_chunks(4096)
            .map(|a| a.iter().map(|u| u.norm_sqr()).sum::<f64>())
            .collect::<Vec<_>>()
            .into_iter()
            .sum::<f64>()
            .sqrt()
    } else {
        x.iter().map(|u| u.norm_sqr()).sum::<f64>().sqrt()
    }
}

/// `y += a x`.
pub fn axpy(a: C64, x: &[C64], y: &mut [C64]) {
    if x.len() >= PAR_MIN {
        y.par_chunks_mut(4096)
            .zip(x.par_chunks(4096))
            .for_each(|(yc, xc)| yc.iter_mut().zip(xc).for_each(|(v, u)| *v += a * u));
    } else {
        y.iter_mut().zip(x).for_each(|(v, u)| *v += a * u);
    }
}

/// `x *= a`.
pub fn scale(a: C64, x: &mut [C64]) {
    if x.len() >= PAR_MIN {
        x.par_chunks_mut(4096)
            .for_each(|c| c.iter_mut().for_each(|v| *v *= a));
    } else {
        x.iter_mut().for_each(|v| *v *= a);
    }
}

/// Orthogonalises `w` against the orthonormal `basis[0..k]` (modified Gram-Schmidt, with a second
/// pass only when the first removed most of `w`: the DGKS criterion `|w_after| < 0.7 |w_before|`);
/// writes the coefficients into `h[0..k]` and returns `|w|` after.
pub fn orthogonalize(basis: &[Vec<C64>], k: usize, w: &mut [C64], h: &mut [C64]) -> f64 {
    h[..k].iter_mut().for_each(|v| *v = C64::default());
    let mut before = norm(w);
    for _pass in 0..2 {
        for j in 0..k {
            let c = dot(&basis[j], w);
            h[j] += c;
            axpy(-c, &basis[j], w);
        }
        let after = norm(w);
        if after >= 0.7 * before {
            return after;
        }
        before = after;
    }
    before
}
