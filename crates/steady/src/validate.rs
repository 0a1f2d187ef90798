//! The same ideal problem three ways (and one matrix-free check), each compared with Eq. 8: the
//! check `sqz validate` runs on a new machine or cluster.
//!
//! * Eq. 8, analytic (the reference);
//! * Eq. 7, sparse-LU null vector in the Dicke basis;
//! * Eq. 3 in the full parity block: the steady state reached from all ground, by projecting on
//!   the (degenerate, Catalan-dimensional) null space from a dense SVD (N <= 5);
//! * Eq. 3 matrix-free: the residual `|L rho_8|` of Eq. 8 embedded in the full space (N <= 12).

use crate::ideal::{catalan, embed_collective};
use crate::{SteadyError, C64};
use sqz_model::{analytic, collective, observables, positions, Params};
use sqz_superop::parity::{block_dim, block_index};
use std::time::Instant;

/// Agreement required of every method, in max |rho - rho_8|.
pub const AGREE: f64 = 1e-8;

/// One method's result.
#[derive(Debug, Clone)]
pub struct Check {
    /// what was computed
    pub method: &'static str,
    /// its `xi_R^2`, where it gives a state
    pub xi2: Option<f64>,
    /// max |rho - rho_8| (or the residual of Eq. 8); `None` for the reference
    pub diff: Option<f64>,
    /// a detail (residual, null-space dimension)
    pub detail: String,
    /// wall time
    pub seconds: f64,
}

/// Whether every method agrees with Eq. 8 to [`AGREE`].
pub fn all_agree(checks: &[Check]) -> bool {
    checks.iter().all(|r| r.diff.is_none_or(|d| d <= AGREE))
}

/// Runs every method that fits N (ideal positions, from all ground), with faer's parallelism
/// `par`.
pub fn validate(p: &Params, par: faer::Par) -> Result<Vec<Check>, SteadyError> {
    let n = p.n();
    let mut rows = Vec::new();
    let t = Instant::now();
    let an = analytic::steady_state(p)?;
    let rho8 = an.rho();
    let sq8 = an.moments().squeezing()?;
    rows.push(Check {
        method: "Eq. 8 analytic",
        xi2: Some(sq8.xi2),
        diff: None,
        detail: "reference".into(),
        seconds: t.elapsed().as_secs_f64(),
    });

    let t = Instant::now();
    let nv = collective::steady_state(p, par)?;
    let sq7 = observables::moments(&nv.rho).squeezing()?;
    let mut d7: f64 = 0.0;
    for j in 0..=n {
        for i in 0..=n {
            d7 = d7.max((nv.rho[(i, j)] - rho8[(i, j)]).norm());
        }
    }
    rows.push(Check {
        method: "Eq. 7 Dicke null vector (sparse LU)",
        xi2: Some(sq7.xi2),
        diff: Some(d7),
        detail: format!("residual {:.1e}", nv.residual),
        seconds: t.elapsed().as_secs_f64(),
    });

    if n <= 5 {
        let t = Instant::now();
        let z = positions::ideal(n);
        let mut rho0 = vec![C64::new(0.0, 0.0); block_dim(n)];
        rho0[block_index(n, 0, 0).expect("ground in block")] = C64::new(1.0, 0.0);
        let (proj, dim) = crate::nullspace::project_null_space(p, &z, &rho0, par)?;
        let e8 = embed_collective(n, &rho8);
        let d3 = proj
            .iter()
            .zip(&e8)
            .map(|(x, y)| (x - y).norm())
            .fold(0.0, f64::max);
        let sq3 = sqz_superop::observables::moments_parity(&proj).squeezing()?;
        rows.push(Check {
            method: "Eq. 3 full space, null-space projection from all ground (dense SVD)",
            xi2: Some(sq3.xi2),
            diff: Some(d3),
            detail: format!("null space dim {dim} (Catalan C_N = {})", catalan(n)),
            seconds: t.elapsed().as_secs_f64(),
        });
        if dim as u64 != catalan(n) {
            return Err(SteadyError::Unsupported(format!(
                "the full-space null space has dimension {dim}, expected the Catalan number {}",
                catalan(n)
            )));
        }
    }
    if n <= 12 {
        let t = Instant::now();
        let op = sqz_superop::ParityBlock::new(p, &positions::ideal(n))?;
        let e8 = embed_collective(n, &rho8);
        let mut y = vec![C64::new(0.0, 0.0); e8.len()];
        sqz_krylov::LinOp::apply(&op, &e8, &mut y, &mut sqz_krylov::LinOp::new_scratch(&op));
        let res = y.iter().map(|v| v.norm()).fold(0.0, f64::max);
        rows.push(Check {
            method: "Eq. 3 matrix-free: max |L rho_8| of Eq. 8 embedded",
            xi2: None,
            diff: Some(res),
            detail: "residual of the analytic state in the full space".into(),
            seconds: t.elapsed().as_secs_f64(),
        });
    }
    Ok(rows)
}
