//! Fig. 1(b, c): `1/xi^2` against time from Eq. 7 (N = 10, Delta = 1, alpha = 0.5), (b) from
//! `|j,-j>` at several r, (c) from several `|j,m>` at r = 0.5. The long-time value is compared
//! with the analytic steady state, Eq. 8.

use crate::plot::{palette, render, Panel, PlotSeries, Style, REF_RED};
use crate::{Config, Progress};
use rayon::prelude::*;
use sqz_dynamics::times::linspace;
use sqz_dynamics::traces::{collective_states, inv_xi2_series};
use sqz_dynamics::InitState;
use sqz_krylov::expv::ExpvParams;
use sqz_model::{analytic, Params};
use std::path::Path;

/// Results of Fig. 1.
#[derive(Debug, Clone)]
pub struct Fig1 {
    /// N
    pub n: usize,
    /// output times
    pub t: Vec<f64>,
    /// (b): r values
    pub b_r: Vec<f64>,
    /// (b): `1/xi^2(t)` per r
    pub b_inv: Vec<Vec<f64>>,
    /// (b): Eq. 8 steady `1/xi^2` per r
    pub b_steady: Vec<f64>,
    /// (c): r
    pub c_r: f64,
    /// (c): initial m values
    pub c_m: Vec<f64>,
    /// (c): `1/xi^2(t)` per initial state (0 where undefined)
    pub c_inv: Vec<Vec<f64>>,
    /// (c): where xi^2 is defined (mean spin nonzero)
    pub c_defined: Vec<Vec<bool>>,
    /// (c): Eq. 8 steady `1/xi^2`
    pub c_steady: f64,
    /// largest `|1/xi^2(t_max) - Eq. 8|` over all curves
    pub max_final_dev: f64,
    /// operator applications in all propagations
    pub matvecs: usize,
    /// squeezing angle
    pub alpha: f64,
    /// frequency shift
    pub delta: f64,
    /// propagator tolerance
    pub tol: f64,
}

/// Runs the Fig. 1 study.
pub fn compute(cfg: &Config, prog: &dyn Progress) -> anyhow::Result<Fig1> {
    let n = cfg.fig1_n;
    let t = linspace(0.0, cfg.fig1_t_max, cfg.fig1_steps);
    let ep = ExpvParams {
        tol: cfg.expv_tol,
        krylov_dim: cfg.krylov_dim,
        ..ExpvParams::default()
    };
    let jobs: Vec<(f64, f64)> = cfg
        .fig1b_r
        .iter()
        .map(|&r| (r, -(n as f64) / 2.0))
        .chain(cfg.fig1c_m.iter().map(|&m| (cfg.fig1c_r, m)))
        .collect();
    let counter = prog.counter("Fig. 1 traces", jobs.len());
    let res: Vec<(Vec<f64>, Vec<bool>, f64, usize)> = jobs
        .par_iter()
        .map(|&(r, m)| {
            let p = Params::new(n, r, cfg.alpha, cfg.delta)?;
            let psi = InitState::dicke(m)
                .map_err(anyhow::Error::msg)?
                .collective_vector(n)?;
            let (states, info) = collective_states(&p, &psi, &t, &ep)?;
            let (inv, mask) = inv_xi2_series(&states)?;
            let steady = analytic::steady_state(&p)?.moments().squeezing()?.inv_xi2;
            counter.tick();
            Ok((inv, mask, steady, info.matvecs))
        })
        .collect::<anyhow::Result<_>>()?;
    let nb = cfg.fig1b_r.len();
    let max_final_dev = res
        .iter()
        .map(|(v, _, s, _)| (v.last().copied().unwrap_or(0.0) - s).abs())
        .fold(0.0, f64::max);
    Ok(Fig1 {
        n,
        t,
        b_r: cfg.fig1b_r.clone(),
        b_inv: res[..nb].iter().map(|x| x.0.clone()).collect(),
        b_steady: res[..nb].iter().map(|x| x.2).collect(),
        c_r: cfg.fig1c_r,
        c_m: cfg.fig1c_m.clone(),
        c_inv: res[nb..].iter().map(|x| x.0.clone()).collect(),
        c_defined: res[nb..].iter().map(|x| x.1.clone()).collect(),
        c_steady: res.get(nb).map_or(f64::NAN, |x| x.2),
        max_final_dev,
        matvecs: res.iter().map(|x| x.3).sum(),
        alpha: cfg.alpha,
        delta: cfg.delta,
        tol: cfg.expv_tol,
    })
}

impl Fig1 {
    /// Renders `fig1.png`: panels (b) and (c).
    pub fn plot(&self, path: &Path) -> anyhow::Result<()> {
        let mut b = Panel::new(
            &format!("(b) N = {}, from |j,−j⟩", self.n),
            "t (1/A)",
            "1/ξ²",
        );
        for (i, r) in self.b_r.iter().enumerate() {
            b.series.push(PlotSeries::new(
                &format!("r = {r}"),
                self.t.clone(),
                self.b_inv[i].clone(),
                palette(i),
                Style::Solid,
            ));
        }
        b.hlines.push((1.0, REF_RED, Some("ξ² = 1".into())));
        let mut c = Panel::new(
            &format!("(c) N = {}, r = {}, from |j,m⟩", self.n, self.c_r),
            "t (1/A)",
            "1/ξ²",
        );
        let styles = [Style::Solid, Style::Dashed, Style::Dotted, Style::DashDot];
        for (i, m) in self.c_m.iter().enumerate() {
            let y: Vec<f64> = self.c_inv[i]
                .iter()
                .zip(&self.c_defined[i])
                .map(|(&v, &d)| if d { v } else { f64::NAN })
                .collect();
            c.series.push(PlotSeries::new(
                &format!("m = {m}"),
                self.t.clone(),
                y,
                palette(i),
                styles[i % styles.len()],
            ));
        }
        c.hlines
            .push((self.c_steady, REF_RED, Some("Eq. 8".into())));
        c.legend = plotters::chart::SeriesLabelPosition::LowerRight;
        render(
            path,
            "Fig. 1: spin squeezing 1/ξ² against time (Eq. 7, Δ = 1.0 A, α = 0.5)",
            (1400, 600),
            (1, 2),
            &[b, c],
        )
    }
}
