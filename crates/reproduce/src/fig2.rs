//! Fig. 2: the Husimi Q function in the plane perpendicular to the mean spin, N = 30, r = 0.8,
//! from `|j,-j>` at t = 0, 0.01, 0.1, 4.0 / A (Eq. 7).
//!
//! Projection (the same as `sqz evolve --husimi-times`): grid point `(x1, x2)` of the `n_perp`
//! plane is the direction `u = x1 n1 + x2 n2 + sqrt(1 - x1^2 - x2^2) n`, with the paper's
//! `n, n1, n2` of the state at that time (orthographic view of the hemisphere around the mean
//! spin). Each frame also records the variances along the principal axes of the `n_perp`
//! covariance, in units of the coherent-state value N/4, which quantify "shrinks in one
//! direction at the expense of expanding in its orthogonal direction".

use crate::plot::{render_heat, Heat};
use crate::{Config, Progress};
use sqz_dynamics::propagate::inv_xi2;
use sqz_dynamics::times::linspace;
use sqz_dynamics::traces::collective_states;
use sqz_dynamics::InitState;
use sqz_krylov::expv::ExpvParams;
use sqz_model::observables;
use sqz_model::Params;
use std::path::Path;

/// One Husimi frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// time
    pub t: f64,
    /// n, n1, n2
    pub axes: [[f64; 3]; 3],
    /// `q[i1 * K + i2]` at `(x[i1], x[i2])`
    pub q: Vec<f64>,
    /// smallest and largest variance in the n_perp plane, in units of N/4
    pub var_min: f64,
    /// see `var_min`
    pub var_max: f64,
    /// 1/xi^2
    pub inv_xi2: f64,
}

/// Results of Fig. 2.
#[derive(Debug, Clone)]
pub struct Fig2 {
    /// N
    pub n: usize,
    /// r
    pub r: f64,
    /// grid axis (both directions)
    pub x: Vec<f64>,
    /// frames
    pub frames: Vec<Frame>,
    /// squeezing angle
    pub alpha: f64,
    /// frequency shift
    pub delta: f64,
}

/// Runs the Fig. 2 study.
pub fn compute(cfg: &Config, _prog: &dyn Progress) -> anyhow::Result<Fig2> {
    let n = cfg.fig2_n;
    let p = Params::new(n, cfg.fig2_r, cfg.alpha, cfg.delta)?;
    let ep = ExpvParams {
        tol: cfg.expv_tol,
        krylov_dim: cfg.krylov_dim,
        ..ExpvParams::default()
    };
    let psi = InitState::Ground.collective_vector(n)?;
    let (states, _) = collective_states(&p, &psi, &cfg.fig2_times, &ep)?;
    let k = cfg.fig2_grid;
    let x = linspace(-cfg.fig2_extent, cfg.fig2_extent, k - 1);
    let mut frames = Vec::new();
    for (rho, &t) in states.iter().zip(&cfg.fig2_times) {
        let mom = observables::moments(rho);
        let (n0, n1, n2) = mom.perpendicular_axes()?;
        let (a, d, b) = (
            mom.covariance(&n1, &n1),
            mom.covariance(&n2, &n2),
            mom.covariance(&n1, &n2),
        );
        let disc = (0.25 * (a - d) * (a - d) + b * b).sqrt();
        let unit = n as f64 / 4.0;
        let q = observables::husimi_plane(rho, (n0, n1, n2), &x);
        frames.push(Frame {
            t,
            axes: [n0, n1, n2],
            q,
            var_min: (0.5 * (a + d) - disc) / unit,
            var_max: (0.5 * (a + d) + disc) / unit,
            inv_xi2: inv_xi2(&mom)?.unwrap_or(0.0),
        });
    }
    Ok(Fig2 {
        n,
        r: cfg.fig2_r,
        x,
        frames,
        alpha: cfg.alpha,
        delta: cfg.delta,
    })
}

impl Fig2 {
    /// Renders `fig2.png`: one heat map per frame.
    pub fn plot(&self, path: &Path) -> anyhow::Result<()> {
        let labels = ["(a)", "(b)", "(c)", "(d)", "(e)", "(f)"];
        let heats: Vec<Heat> = self
            .frames
            .iter()
            .enumerate()
            .map(|(i, f)| Heat {
                title: format!(
                    "{} t = {}/A: var {:.2}, {:.2} (N/4)",
                    labels[i % labels.len()],
                    f.t,
                    f.var_min,
                    f.var_max
                ),
                x_label: "x₁ (along n₁)".into(),
                y_label: "x₂ (along n₂)".into(),
                x: self.x.clone(),
                y: self.x.clone(),
                z: f.q.clone(),
            })
            .collect();
        let cols = heats.len().clamp(1, 2);
        let rows = heats.len().div_ceil(cols);
        render_heat(
            path,
            &format!(
                "Fig. 2: Husimi Q in the n⊥ plane, N = {}, r = {}, from |j,−j⟩ (Eq. 7)",
                self.n, self.r
            ),
            (1100, 1140),
            (rows, cols),
            &heats,
        )
    }
}
