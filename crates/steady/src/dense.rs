//! Dense direct solve on the Hermitian part of the parity block.
//!
//! 1. Assemble Eq. 3 as CSR (`sqz_superop::csr`), and from its columns the real matrix `R` of
//!    `L` on the real coordinates of Hermitian block matrices ([`crate::HermCoords`]).
//! 2. Deflate the trace: `R~ = R - u t^T` with `t` the trace functional and `u = I/D`. If
//!    `rho` is the steady state, `R~ rho = -u`; on traceless right eigenvectors `R~` acts as `R`,
//!    and the deflated eigenvalue is `-t^T u = -1`. So `R~` is nonsingular exactly when the
//!    steady state is unique, and its spectrum is that of `L` with 0 replaced by -1.
//! 3. One real LU (faer, partial pivoting) gives `rho`; Arnoldi on `R~^{-1}` (shift-invert at 0,
//!    reusing the LU) gives the eigenvalues of `L` nearest 0, hence the gap
//!    `g = min |Re lambda|`, and the error bound `|L rho| / g`.

use crate::hermitian::HermCoords;
use crate::{Method, SteadyError, SteadyParams, SteadyReport, C64};
use faer::{Mat, Par};
use sqz_krylov::certificate::{shift_invert_gap, GapParams};
use sqz_krylov::par_dense::{self, Lu};
use sqz_krylov::LinOp;
use sqz_model::Params;
use std::time::Instant;

/// The gap estimate of the dense path: shift-invert Arnoldi on the LU (one try, Krylov dimension
/// 40, 40 restarts, Ritz residuals to 1e-8), the six eigenvalues nearest 0.
const DENSE_GAP: GapParams = GapParams {
    nev: 6,
    krylov_dim: 40,
    tries: 1,
    max_restarts: 40,
    tol: 1e-8,
};

/// `R~^{-1}` as a complex operator (real LU applied to real and imaginary parts).
struct ShiftInvert<'a> {
    lu: &'a Lu<f64>,
    dim: usize,
    par: Par,
}

impl LinOp<C64> for ShiftInvert<'_> {
    type Scratch = ();
    fn new_scratch(&self) {}
    fn scratch_bytes(&self) -> u64 {
        0
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn apply(&self, x: &[C64], y: &mut [C64], _: &mut ()) {
        let mut rhs =
            Mat::<f64>::from_fn(self.dim, 2, |i, j| if j == 0 { x[i].re } else { x[i].im });
        self.lu.solve_in_place(rhs.as_mut(), self.par);
        for i in 0..self.dim {
            y[i] = C64::new(rhs[(i, 0)], rhs[(i, 1)]);
        }
    }
}

/// Bytes the dense method needs at N: the real matrix and its LU in place, plus the CSR.
pub fn dense_bytes(n: usize) -> u64 {
    let m = (1u64 << (2 * n)) / 2;
    m.saturating_mul(m)
        .saturating_mul(8)
        .saturating_add(sqz_superop::memory::estimate(n).csr_bytes)
}

/// `R`: column `j` holds the real coordinates of `L(B_j)` for the Hermitian basis `B_j` of `hc`
/// (Eq. 3 assembled as CSR, then read column by column).
fn hermitian_matrix(p: &Params, z: &[f64], hc: &HermCoords) -> Result<Mat<f64>, SteadyError> {
    let m = hc.len();
    let d = 1usize << p.n();
    let csr = sqz_superop::csr::assemble(p, z)?;
    let csc = csr.to_csc();
    drop(csr);
    // R: column j = real coordinates of L(B_j)
    let mut r = Mat::<f64>::zeros(m, m);
    let mut col = vec![0.0f64; m];
    let i_unit = C64::new(0.0, 1.0);
    for (j, c) in hc.coords.iter().enumerate() {
        col.iter_mut().for_each(|v| *v = 0.0);
        let mut add = |full: usize, w: C64| {
            if let Some(cv) = csc.outer_view(full) {
                for (row, v) in cv.iter() {
                    hc.accumulate(row % d, row / d, w * v, &mut col);
                }
            }
        };
        match *c {
            crate::hermitian::Coord::Diag(a) => add(a + d * a, C64::new(1.0, 0.0)),
            crate::hermitian::Coord::Re(a, b) => {
                add(a + d * b, C64::new(1.0, 0.0));
                add(b + d * a, C64::new(1.0, 0.0));
            }
            crate::hermitian::Coord::Im(a, b) => {
                add(a + d * b, i_unit);
                add(b + d * a, -i_unit);
            }
        }
        for i in 0..m {
            r[(i, j)] = col[i];
        }
    }
    drop(csc);
    Ok(r)
}

/// `|L rho|_F` from the real coordinates `xr` of `rho` and the matrix `R` of
/// [`hermitian_matrix`] (off-diagonal coordinates count twice).
fn hermitian_residual(hc: &HermCoords, r_plain: Mat<f64>, xr: &[f64], par: Par) -> f64 {
    let m = hc.len();
    let lx = par_dense::mul(
        r_plain.as_ref(),
        Mat::<f64>::from_fn(m, 1, |i, _| xr[i]).as_ref(),
        par,
    );
    drop(r_plain);
    (0..m)
        .map(|i| {
            let w = if matches!(hc.coords[i], crate::hermitian::Coord::Diag(_)) {
                1.0
            } else {
                2.0
            };
            w * lx[(i, 0)] * lx[(i, 0)]
        })
        .sum::<f64>()
        .sqrt()
}

/// The dense direct steady state (see the module docs).
pub fn solve_dense(p: &Params, z: &[f64], sp: &SteadyParams) -> Result<SteadyReport, SteadyError> {
    let t0 = Instant::now();
    let n = p.n();
    let need = dense_bytes(n);
    let avail = sqz_superop::memory::available_bytes();
    if need > avail {
        let largest = (1..=n).rev().find(|&k| dense_bytes(k) <= avail);
        return Err(sqz_superop::SuperopError::TooLarge {
            what: format!("the dense steady-state solve at N = {n}"),
            needed_bytes: need,
            available_bytes: avail,
            largest_n: largest,
        }
        .into());
    }
    let hc = HermCoords::new(n);
    let m = hc.len();
    let d = 1usize << n;
    let mut r = hermitian_matrix(p, z, &hc)?;
    // trace functional t and u = I / D in real coordinates
    let diag: Vec<usize> = (0..m)
        .filter(|&i| matches!(hc.coords[i], crate::hermitian::Coord::Diag(_)))
        .collect();
    let inv_d = 1.0 / d as f64;
    let r_plain = r.clone();
    for &i in &diag {
        for &j in &diag {
            r[(i, j)] -= inv_d;
        }
    }
    let par = sp.par;
    let lu = Lu::new(r.as_ref(), par);
    drop(r);
    let mut x = Mat::<f64>::zeros(m, 1);
    for &i in &diag {
        x[(i, 0)] = -inv_d;
    }
    lu.solve_in_place(x.as_mut(), par);
    let xr: Vec<f64> = (0..m).map(|i| x[(i, 0)]).collect();
    if xr.iter().any(|v| !v.is_finite()) {
        return Err(SteadyError::Degenerate("the deflated Liouvillian is singular: the null space is degenerate (are the positions ideal?)".into()));
    }
    let tr: f64 = diag.iter().map(|&i| xr[i]).sum();
    let xr: Vec<f64> = xr.iter().map(|v| v / tr).collect();
    let residual = hermitian_residual(&hc, r_plain, &xr, par);
    let rho_block = hc.to_block(&xr);
    let mut notes = Vec::new();
    let (mut gap, mut iterations) = (None, 0);
    if sp.estimate_gap && m >= 3 {
        let op = ShiftInvert {
            lu: &lu,
            dim: m,
            par,
        };
        let est = shift_invert_gap(&op, &mut (), &diag, &DENSE_GAP);
        iterations = est.matvecs;
        gap = est.gap;
        notes.extend(est.note);
    }
    let bound = crate::certificate::residual_over_gap(residual, gap, sp.tol, &mut notes)?;
    let min_ev = crate::min_eigenvalue(n, &rho_block, par);
    if min_ev < -1e-9 {
        notes.push(format!("rho has a negative eigenvalue {min_ev:e}"));
    }
    Ok(SteadyReport {
        rho_block,
        method: Method::DenseHermitian,
        iterations,
        residual,
        gap,
        error_bound: bound.error_bound,
        bound_met: bound.bound_met,
        outcome: bound.outcome,
        null_dim: 1,
        min_eigenvalue: min_ev,
        seconds: t0.elapsed().as_secs_f64(),
        notes,
        details: (),
    })
}
