//! The Kronecker limit: the eigenbases of `h_J`, degeneracy checks, coherences grouped by
//! first-order frequency, the populations matrix `W` and its null vector.

use super::*;

/// Accumulates `W` (populations) and the second-order elements of the coherences in the
/// eigenbases `Q_J` of `h_J`: the diagonal ones, and the blocks among coherences of equal
/// first-order frequency (`clusters`).
pub(super) struct PopAcc<'a> {
    pub(super) q: &'a [Mat<C64>],
    pub(super) qt: Vec<Mat<C64>>,
    pub(super) poff: Vec<usize>,
    pub(super) w: Mat<C64>,
    /// `coh[J][(a, b)] = q_a^T [G2 (q_a q_b^T)]_J q_b`
    pub(super) coh: Vec<Mat<C64>>,
    /// coherences `(J, a, b)` with equal frequency `lambda_Ja - lambda_Jb`, two or more each
    pub(super) clusters: Vec<Vec<(usize, usize, usize)>>,
    /// `G2` restricted to each cluster
    pub(super) cmat: Vec<Mat<C64>>,
    /// faer's parallelism
    pub(super) par: Par,
}

impl<'a> PopAcc<'a> {
    pub(super) fn new(
        q: &'a [Mat<C64>],
        clusters: Vec<Vec<(usize, usize, usize)>>,
        par: Par,
    ) -> Self {
        let mut poff = Vec::with_capacity(q.len());
        let mut at = 0;
        for m in q {
            poff.push(at);
            at += m.nrows();
        }
        Self {
            q,
            qt: q.iter().map(|m| m.transpose().to_owned()).collect(),
            poff,
            w: Mat::<C64>::zeros(at, at),
            coh: q
                .iter()
                .map(|m| Mat::<C64>::zeros(m.nrows(), m.nrows()))
                .collect(),
            cmat: clusters
                .iter()
                .map(|c| Mat::<C64>::zeros(c.len(), c.len()))
                .collect(),
            clusters,
            par,
        }
    }
}

impl Acc for PopAcc<'_> {
    fn add(&mut self, k: usize, j: usize, t: C64, l: Option<&Mat<C64>>, r: Option<&Mat<C64>>) {
        let (dk, dj) = (self.q[k].nrows(), self.q[j].nrows());
        // Lq = Q_k^T L Q_j (dk x dj), Rq = Q_j^T R Q_k (dj x dk); None: identity (k == j)
        let par = self.par;
        let lq = l.map(|l| mul(&mul(&self.qt[k], l, par), &self.q[j], par));
        let rq = r.map(|r| mul(&mul(&self.qt[j], r, par), &self.q[k], par));
        let lv = |b: usize, a: usize| match &lq {
            Some(m) => m[(b, a)],
            None => {
                if a == b {
                    ONE
                } else {
                    ZERO
                }
            }
        };
        let rv = |a: usize, b: usize| match &rq {
            Some(m) => m[(a, b)],
            None => {
                if a == b {
                    ONE
                } else {
                    ZERO
                }
            }
        };
        let (ok, oj) = (self.poff[k], self.poff[j]);
        for a in 0..dj {
            for b in 0..dk {
                if (lq.is_none() || rq.is_none()) && a != b {
                    continue;
                }
                self.w[(ok + b, oj + a)] += t * lv(b, a) * rv(a, b);
            }
        }
        if k == j {
            let c = &mut self.coh[j];
            for a in 0..dj {
                for b in 0..dj {
                    c[(a, b)] += t * lv(a, a) * rv(b, b);
                }
            }
        }
        // q_a^T [t L (q_c q_d^T) R] q_b for (k, a, b) and (j, c, d) in one cluster
        for (cl, m) in self.clusters.iter().zip(self.cmat.iter_mut()) {
            for (i1, &(k1, a, b)) in cl.iter().enumerate() {
                if k1 != k {
                    continue;
                }
                for (i2, &(j2, c, d)) in cl.iter().enumerate() {
                    if j2 == j {
                        m[(i1, i2)] += t * lv(a, c) * rv(d, b);
                    }
                }
            }
        }
    }
}

pub(super) fn kronecker_limit(
    su: &LimitSetup,
    chi: &[f64],
    lp: &LimitParams,
) -> Result<LimitReport, SteadyError> {
    let kt = KronTaylor::new(su, chi);
    let ns = su.ns();
    let mut notes = Vec::new();
    let (spectra, qs, min_freq, hscale) = first_order(su, &kt, chi, lp, &mut notes)?;
    let clusters = coherence_clusters(&spectra, hscale, lp, &mut notes);
    // second order, projected on the populations and on each coherence
    let mut acc = PopAcc::new(&qs, clusters, su.par);
    for j in 0..ns {
        g2_terms(su, &kt, j, &mut acc);
    }
    let np = acc.w.nrows();
    let wim = (0..np)
        .flat_map(|j| (0..np).map(move |i| (i, j)))
        .map(|(i, j)| acc.w[(i, j)].im.abs())
        .fold(0.0, f64::max);
    let wscale = max_abs(&acc.w).max(1e-300);
    if wim > 1e-8 * wscale {
        notes.push(format!(
            "the populations matrix has imaginary parts up to {:.1e} of its scale (expected real)",
            wim / wscale
        ));
    }
    let eigs = sorted_eigenvalues(&acc.w, su.par)?;
    let pvec = null_vector(&acc.w, &eigs, lp, chi)?;
    let coh = coherence_rates(su, &acc)?;
    let c = coarse_state(su, &qs, &pvec);
    let (rates, kinds) = collect_rates(&eigs, &coh, lp.n_rates);
    let mut rep = finish(
        su,
        c,
        FinishData {
            eigs,
            rates,
            kinds,
            h_spectra: spectra,
            min_freq,
            ker_g1_dim: np,
            g1_real_part: 0.0,
            method: LimitMethod::Kronecker,
            solves: 0,
            notes,
        },
    )?;
    rep.method = if lp.method == LimitMethod::Auto {
        LimitMethod::Kronecker
    } else {
        lp.method
    };
    Ok(rep)
}

/// The first-order generators `h_J` with their spectra and eigenbases `Q_J`, the smallest
/// spacing and the largest modulus of the spectra; refuses a degenerate `h_J` (the populations
/// basis is then not fixed at first order).
#[allow(clippy::type_complexity)]
fn first_order(
    su: &LimitSetup,
    kt: &KronTaylor,
    chi: &[f64],
    lp: &LimitParams,
    notes: &mut Vec<String>,
) -> Result<(Vec<Vec<f64>>, Vec<Mat<C64>>, f64, f64), SteadyError> {
    let ns = su.ns();
    // first order: h_J and its eigenbasis
    let hs = h_from(su, kt);
    let mut spectra = Vec::with_capacity(ns);
    let mut qs = Vec::with_capacity(ns);
    for h in &hs {
        let (u, s) = sqz_krylov::par_dense::self_adjoint_eigen(h.as_ref(), su.par)
            .map_err(|e| SteadyError::Unsupported(format!("limit: eigenvectors of h_J: {e:?}")))?;
        spectra.push(s);
        qs.push(to_c(&u));
    }
    let hscale = spectra
        .iter()
        .flatten()
        .map(|x| x.abs())
        .fold(0.0, f64::max);
    let mut min_freq = f64::INFINITY;
    for (k, s) in spectra.iter().enumerate() {
        for w in s.windows(2) {
            let gap = w[1] - w[0];
            min_freq = min_freq.min(gap);
            if gap <= lp.degeneracy_tol * hscale.max(1e-300) {
                return Err(SteadyError::Degenerate(format!(
                    "w -> 0+ limit: the first-order generator is degenerate in the J = {} sector \
                     (h_J has eigenvalues {:.6e} and {:.6e}, spacing {gap:.2e}, largest |lambda| \
                     {hscale:.3e}): the populations basis is not fixed at first order (equal \
                     chi_i, or a symmetric configuration){}",
                    su.sec[k].two_j as f64 / 2.0,
                    w[0],
                    w[1],
                    closest_neighbours(chi)
                )));
            }
        }
    }
    if min_freq < 1e-3 * hscale {
        notes.push(format!(
            "h_J has nearly equal eigenvalues (smallest spacing {min_freq:.2e}, largest |lambda| \
             {hscale:.2e}): the limit describes L(w) only for w well below that spacing divided by \
             the rate coefficients"
        ));
    }
    Ok((spectra, qs, min_freq, hscale))
}

/// The coherences `(J, a, b)` grouped by equal first-order frequency (the singlet-like sectors
/// have additive spectra, so exactly equal frequencies occur, e.g. at N = 6 and 8): the groups of
/// more than one mode.
fn coherence_clusters(
    spectra: &[Vec<f64>],
    hscale: f64,
    lp: &LimitParams,
    notes: &mut Vec<String>,
) -> Vec<Vec<(usize, usize, usize)>> {
    let mut modes: Vec<(f64, (usize, usize, usize))> = Vec::new();
    for (k, sp) in spectra.iter().enumerate() {
        for a in 0..sp.len() {
            for b in 0..sp.len() {
                if a != b {
                    modes.push((sp[a] - sp[b], (k, a, b)));
                }
            }
        }
    }
    modes.sort_by(|x, y| x.0.total_cmp(&y.0));
    let ftol = lp.degeneracy_tol * hscale.max(1e-300);
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut near = f64::INFINITY;
    for i in 0..modes.len() {
        let sep = if i > 0 {
            modes[i].0 - modes[i - 1].0
        } else {
            f64::INFINITY
        };
        if sep <= ftol {
            groups.last_mut().expect("a previous mode").push(i);
        } else {
            near = near.min(sep);
            groups.push(vec![i]);
        }
    }
    let clusters: Vec<Vec<(usize, usize, usize)>> = groups
        .iter()
        .filter(|g| g.len() > 1)
        .map(|g| g.iter().map(|&i| modes[i].1).collect())
        .collect();
    if !clusters.is_empty() {
        notes.push(format!(
            "{} groups of coherences ({} modes, up to {} in a group) share a first-order \
             frequency; their rates are the eigenvalues of the second-order generator on each group",
            clusters.len(),
            clusters.iter().map(Vec::len).sum::<usize>(),
            clusters.iter().map(Vec::len).max().unwrap_or(0)
        ));
    }
    if near < 1e-6 * hscale {
        notes.push(format!(
            "two coherences have nearly equal first-order frequencies (spacing {near:.1e}): their \
             rates hold for w well below that spacing divided by the rate coefficients"
        ));
    }
    clusters
}

/// The decay rates of the coherences: minus the diagonal second-order elements, and minus the
/// eigenvalues of the second-order generator on each cluster of equal frequency.
fn coherence_rates(su: &LimitSetup, acc: &PopAcc) -> Result<Vec<f64>, SteadyError> {
    let ns = su.ns();
    let mut coh = Vec::new();
    let mut clustered = vec![Vec::new(); ns];
    for cl in &acc.clusters {
        for &(k, a, b) in cl {
            clustered[k].push((a, b));
        }
    }
    for (k, c) in acc.coh.iter().enumerate() {
        let d = su.sec[k].d;
        for a in 0..d {
            for b in 0..d {
                if a != b && !clustered[k].contains(&(a, b)) {
                    coh.push(-c[(a, b)].re);
                }
            }
        }
    }
    for m in &acc.cmat {
        let ev = sqz_krylov::par_dense::eigenvalues(m.as_ref(), su.par)
            .map_err(|e| SteadyError::Unsupported(format!("limit: coherence cluster: {e:?}")))?;
        coh.extend(ev.iter().map(|v| -v.re));
    }
    Ok(coh)
}

/// The coarse coordinates of the limit state, `c* = sum_J Q_J diag(p_J) Q_J^T`.
fn coarse_state(su: &LimitSetup, qs: &[Mat<C64>], pvec: &[C64]) -> Vec<C64> {
    let mut c = vec![ZERO; su.sw.dim()];
    let mut at = 0;
    for (k, q) in qs.iter().enumerate() {
        let s = su.sec[k];
        for a in 0..s.d {
            let pa = pvec[at + a];
            for y in 0..s.d {
                for x in 0..s.d {
                    c[s.off + x + s.d * y] += pa * q[(x, a)] * q[(y, a)];
                }
            }
        }
        at += s.d;
    }
    c
}
