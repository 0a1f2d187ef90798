//! Slow rates, the uniqueness check of the null vector, and the final state `rho* = Z c*` with
//! its physical checks.

use super::*;

/// Sorted slow modes: `(rate, kind)` ascending.
pub(super) fn collect_rates(
    pop_eigs: &[C64],
    coh_rates: &[f64],
    k: usize,
) -> (Vec<f64>, Vec<ModeKind>) {
    let mut all: Vec<(f64, ModeKind)> = pop_eigs
        .iter()
        .skip(1)
        .map(|mu| (-mu.re, ModeKind::Population))
        .chain(coh_rates.iter().map(|&g| (g, ModeKind::Coherence)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    all.truncate(k);
    all.into_iter().unzip()
}

/// Eigenvalues of `w`, by increasing modulus.
pub(super) fn sorted_eigenvalues(w: &Mat<C64>, par: Par) -> Result<Vec<C64>, SteadyError> {
    let mut ev = sqz_krylov::par_dense::eigenvalues(w.as_ref(), par)
        .map_err(|e| SteadyError::Unsupported(format!("limit: populations eigenproblem: {e:?}")))?;
    ev.sort_by(|a, b| a.norm().total_cmp(&b.norm()));
    Ok(ev)
}

/// The TLS pair `(i, i+1)` with the closest disorder offsets, in words: equal offsets of
/// neighbours make the pair equivalent at every `w` (`crate::checks::equivalent_pair`).
pub(super) fn closest_neighbours(chi: &[f64]) -> String {
    match (0..chi.len().saturating_sub(1))
        .map(|i| (i, (chi[i + 1] - chi[i]).abs()))
        .min_by(|a, b| a.1.total_cmp(&b.1))
    {
        Some((i, d)) => format!(
            "; the closest neighbours are TLS {i} and {} with |chi_{i} - chi_{}| = {d:.2e} \
             (equal offsets of neighbours conserve the pair's total spin at every w)",
            i + 1,
            i + 1
        ),
        None => String::new(),
    }
}

/// The null vector of `w` (right singular vector of the smallest singular value) and the
/// uniqueness check on its eigenvalues.
pub(super) fn null_vector(
    w: &Mat<C64>,
    eigs: &[C64],
    lp: &LimitParams,
    chi: &[f64],
) -> Result<Vec<C64>, SteadyError> {
    let m = w.nrows();
    if m == 1 {
        return Ok(vec![ONE]);
    }
    let scale = eigs
        .iter()
        .map(|v| v.norm())
        .fold(0.0, f64::max)
        .max(1e-300);
    if eigs[1].norm() <= lp.uniqueness_tol * scale {
        return Err(SteadyError::Degenerate(format!(
            "w -> 0+ limit: the second-order generator restricted to the kernel of the first-order \
             one has a null space of dimension >= 2 (eigenvalues {:.3e}, {:.3e} against {:.3e}): \
             the limit state is fixed only at third order, which is not implemented{}",
            eigs[0].norm(),
            eigs[1].norm(),
            scale,
            closest_neighbours(chi)
        )));
    }
    let (_, _, v) = sqz_krylov::par_dense::svd(w.as_ref(), lp.par).map_err(|e| {
        SteadyError::Unsupported(format!("limit: SVD of the populations matrix: {e:?}"))
    })?;
    Ok((0..m).map(|i| v[(i, m - 1)]).collect())
}

pub(super) struct FinishData {
    pub(super) eigs: Vec<C64>,
    pub(super) rates: Vec<f64>,
    pub(super) kinds: Vec<ModeKind>,
    pub(super) h_spectra: Vec<Vec<f64>>,
    pub(super) min_freq: f64,
    pub(super) ker_g1_dim: usize,
    pub(super) g1_real_part: f64,
    pub(super) method: LimitMethod,
    pub(super) solves: usize,
    pub(super) notes: Vec<String>,
}

/// Normalises `c*` to trace 1, checks it, and forms `rho* = Z c*`.
pub(super) fn finish(
    su: &LimitSetup,
    mut c: Vec<C64>,
    f: FinishData,
) -> Result<LimitReport, SteadyError> {
    let mut notes = f.notes;
    let tr: C64 = su.sw.trace_indices().iter().map(|&k| c[k]).sum();
    if tr.norm() < 1e-300 {
        return Err(SteadyError::Unphysical(
            "w -> 0+ limit: the null vector has zero trace".into(),
        ));
    }
    c.iter_mut().for_each(|v| *v /= tr);
    // Hermiticity of every C_J, then exact Hermitisation
    let mut herm: f64 = 0.0;
    let mut weights = Vec::new();
    let mut pops = Vec::new();
    let mut min_ev = f64::INFINITY;
    for (k, s) in su.sec.iter().enumerate() {
        let cm = Mat::<C64>::from_fn(s.d, s.d, |i, j| c[s.off + i + s.d * j]);
        for j in 0..s.d {
            for i in 0..s.d {
                herm = herm.max((cm[(i, j)] - cm[(j, i)].conj()).norm());
            }
        }
        let ch = Mat::<C64>::from_fn(s.d, s.d, |i, j| 0.5 * (cm[(i, j)] + cm[(j, i)].conj()));
        for j in 0..s.d {
            for i in 0..s.d {
                c[s.off + i + s.d * j] = ch[(i, j)];
            }
        }
        let nu = sqz_krylov::par_dense::self_adjoint_eigenvalues(ch.as_ref(), su.par)
            .map_err(|e| SteadyError::Unsupported(format!("limit: eigenvalues of C_J: {e:?}")))?;
        let mu = sqz_krylov::par_dense::self_adjoint_eigenvalues(su.rho[k].as_ref(), su.par)
            .map_err(|e| SteadyError::Unsupported(format!("limit: eigenvalues of rho_J: {e:?}")))?;
        for &x in &nu {
            for &y in &mu {
                min_ev = min_ev.min(x * y);
            }
        }
        weights.push((s.two_j as f64 / 2.0, nu.iter().sum::<f64>()));
        pops.push(nu);
    }
    if herm > 1e-8 {
        return Err(SteadyError::Unphysical(format!(
            "w -> 0+ limit: the null vector is not Hermitian ({herm:.2e} after normalisation)"
        )));
    }
    if min_ev < -1e-9 {
        return Err(SteadyError::Unphysical(format!(
            "w -> 0+ limit: the limit state has a negative eigenvalue {min_ev:.3e}"
        )));
    }
    if f.rates.first().is_some_and(|&r| r <= 0.0) {
        notes.push(format!(
            "a second-order rate is not positive ({:.3e}): the expansion is unstable there",
            f.rates[0]
        ));
    }
    let mut rho_block = vec![ZERO; sqz_superop::parity::block_dim(su.n())];
    su.sw.prolong(&c, &mut rho_block, su.par);
    let uniqueness_gap = f.eigs.get(1).map_or(f64::INFINITY, |v| v.norm());
    Ok(LimitReport {
        rho_block,
        coarse: c,
        sector_weights: weights,
        populations: pops,
        rate_coefficients: f.rates,
        rate_kinds: f.kinds,
        population_eigenvalues: f.eigs,
        uniqueness_gap,
        h_spectra: f.h_spectra,
        min_frequency: f.min_freq,
        ker_g1_dim: f.ker_g1_dim,
        g1_real_part: f.g1_real_part,
        method: f.method,
        min_eigenvalue: min_ev,
        solves: f.solves,
        notes,
        seconds: 0.0,
    })
}
