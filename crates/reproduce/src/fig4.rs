//! Fig. 4: position disorder, full model Eq. 3, N = 5.
//!
//! * (d) steady `1/xi^2` against w: the unique steady state of Eq. 3 (`sqz_steady::solve`: dense
//!   real-Hermitian LU of the parity block, with its gap estimate and error bound) for
//!   `fig4d_configs` configurations per w, mean +- std, at several r (the paper does not state r).
//! * (a-c) `1/xi^2` against t from all TLS in `|g>`: ideal positions against the mean +- std over
//!   `fig4abc_configs` configurations (Krylov propagation in the parity block), on a log time axis
//!   long enough to reach the steady state of (d), which is drawn for the same configurations.
//!
//! Configuration c of every w is the ChaCha8 stream c of `fig4_seed`: the first
//! `fig4abc_configs` configurations of (d) are those of (a-c) (same `chi_i`, scaled by w).

use crate::plot::{palette, render, Band, Panel, PlotSeries, Style, ORANGE, REF_RED};
use crate::{first_crossing_below, mean_std, par_map_in_order, Config, Progress};
use anyhow::Context;
use rayon::prelude::*;
use sqz_dynamics::times::logspace;
use sqz_dynamics::traces::{collective_states, full_trace, inv_xi2_series};
use sqz_dynamics::InitState;
use sqz_krylov::expv::ExpvParams;
use sqz_model::scaling::scan;
use sqz_model::{analytic, positions, Params};
use sqz_steady::SteadyParams;
use std::f64::consts::PI;
use std::path::Path;

/// Steady states at one r.
#[derive(Debug, Clone)]
pub struct SteadyAtR {
    /// squeezing strength
    pub r: f64,
    /// how r was chosen
    pub r_note: String,
    /// Eq. 8 value at w = 0 (ideal positions, reached from |j,-j>)
    pub ideal: f64,
    /// `values[w_index][config]`
    pub values: Vec<Vec<f64>>,
    /// mean over configurations per w
    pub mean: Vec<f64>,
    /// standard deviation per w
    pub std: Vec<f64>,
    /// smallest gap per w (slowest relaxation rate, A)
    pub gap_min: Vec<f64>,
    /// median gap per w
    pub gap_median: Vec<f64>,
    /// largest error bound `residual / gap` per w
    pub error_bound_max: Vec<f64>,
    /// solves whose bound missed the 1e-8 target
    pub bound_missed: usize,
    /// first w where the mean falls below 1 (linear interpolation); `None`: never on the grid
    pub w_cross: Option<f64>,
}

/// Fig. 4(d).
#[derive(Debug, Clone)]
pub struct Fig4d {
    /// disorder strengths (zeta)
    pub w: Vec<f64>,
    /// configurations per w
    pub configs: usize,
    /// per r
    pub at_r: Vec<SteadyAtR>,
}

/// One panel of Fig. 4(a-c).
#[derive(Debug, Clone)]
pub struct Trace4 {
    /// disorder strength (zeta)
    pub w: f64,
    /// output times (0, then log-spaced up to a multiple of the slowest relaxation time)
    pub t: Vec<f64>,
    /// ideal positions, Eq. 3 in the parity block, at `t`
    pub ideal: Vec<f64>,
    /// `traces[config][t_index]`
    pub traces: Vec<Vec<f64>>,
    /// mean over configurations
    pub mean: Vec<f64>,
    /// std over configurations
    pub std: Vec<f64>,
    /// steady state of the same configurations (from (d)): mean, std
    pub steady_mean: f64,
    /// see `steady_mean`
    pub steady_std: f64,
    /// median gap of the same configurations (A)
    pub gap_median: f64,
    /// first t where ideal - mean reaches (1 - 1/e) of (ideal - steady mean)
    pub t_decay: Option<f64>,
    /// largest |mean(t_max) - steady_mean|
    pub final_gap_to_steady: f64,
}

/// Fig. 4(a-c).
#[derive(Debug, Clone)]
pub struct Fig4abc {
    /// squeezing strength
    pub r: f64,
    /// largest |ideal (Eq. 3) - Eq. 7| over the times (a consistency check)
    pub ideal_vs_eq7: f64,
    /// configurations per w
    pub configs: usize,
    /// one per w
    pub panels: Vec<Trace4>,
    /// operator applications
    pub matvecs: usize,
}

/// Fig. 4.
#[derive(Debug, Clone)]
pub struct Fig4 {
    /// (a-c)
    pub abc: Fig4abc,
    /// (d)
    pub d: Fig4d,
    /// N
    pub n: usize,
    /// seed of the disorder
    pub seed: u64,
    /// squeezing angle
    pub alpha: f64,
    /// frequency shift
    pub delta: f64,
    /// propagator tolerance
    pub tol: f64,
}

fn inv_xi2_of_block(rho: &[sqz_model::C64]) -> anyhow::Result<f64> {
    Ok(sqz_superop::observables::moments_parity(rho)
        .squeezing()
        .map(|s| s.inv_xi2)
        .unwrap_or(0.0))
}

/// Runs Fig. 4(d).
pub fn compute_d(cfg: &Config, prog: &dyn Progress) -> anyhow::Result<Fig4d> {
    let n = cfg.fig4_n;
    let mut rs = Vec::new();
    for r in &cfg.fig4d_r {
        match r {
            Some(r) => rs.push((*r, "fixed".to_string())),
            None => {
                let base = Params::new(n, 0.5, cfg.alpha, cfg.delta)?;
                let pt = scan(&base, cfg.scaling_r_max, 1e-4)?;
                let r = (pt.r_opt * 1e4).round() / 1e4;
                rs.push((r, format!("r_opt(N = {n}) of Eq. 8, rounded to 1e-4")));
            }
        }
    }
    let (nw, nc) = (cfg.fig4d_w.len(), cfg.fig4d_configs);
    let jobs: Vec<(usize, usize, usize)> = (0..rs.len())
        .flat_map(|i| (0..nw).flat_map(move |k| (0..nc).map(move |c| (i, k, c))))
        .collect();
    let counter = prog.counter("Fig. 4(d) steady states", jobs.len());
    let sp = SteadyParams::default();
    let res: Vec<(f64, f64, f64, bool)> = jobs
        .par_iter()
        .map(|&(i, k, c)| {
            let (r, w) = (rs[i].0, cfg.fig4d_w[k]);
            let p = Params::new(n, r, cfg.alpha, cfg.delta)?;
            let z = positions::disordered(n, w, cfg.fig4_seed, c as u64)?;
            let rep = sqz_steady::solve(&p, &z, &sp)
                .with_context(|| format!("Fig. 4(d): r = {r}, w = {w}, configuration {c}"))?;
            let v = inv_xi2_of_block(&rep.rho_block)?;
            counter.tick();
            Ok((
                v,
                rep.gap.unwrap_or(f64::NAN),
                rep.error_bound.unwrap_or(f64::NAN),
                rep.bound_met,
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut at_r = Vec::new();
    for (i, (r, note)) in rs.iter().enumerate() {
        let p = Params::new(n, *r, cfg.alpha, cfg.delta)?;
        let ideal = analytic::steady_state(&p)?.moments().squeezing()?.inv_xi2;
        let mut values = Vec::new();
        let (mut mean, mut std, mut gmin, mut gmed, mut ebmax) =
            (vec![], vec![], vec![], vec![], vec![]);
        let mut missed = 0;
        for k in 0..nw {
            let sl = &res[(i * nw + k) * nc..(i * nw + k + 1) * nc];
            let v: Vec<f64> = sl.iter().map(|x| x.0).collect();
            let (m, s) = mean_std(&v);
            mean.push(m);
            std.push(s);
            let mut g: Vec<f64> = sl.iter().map(|x| x.1).filter(|x| x.is_finite()).collect();
            g.sort_by(f64::total_cmp);
            gmin.push(g.first().copied().unwrap_or(f64::NAN));
            gmed.push(g.get(g.len() / 2).copied().unwrap_or(f64::NAN));
            ebmax.push(
                sl.iter()
                    .map(|x| x.2)
                    .filter(|x| x.is_finite())
                    .fold(0.0, f64::max),
            );
            missed += sl.iter().filter(|x| !x.3).count();
            values.push(v);
        }
        let w_cross = first_crossing_below(&cfg.fig4d_w, &mean, 1.0);
        at_r.push(SteadyAtR {
            r: *r,
            r_note: note.clone(),
            ideal,
            values,
            mean,
            std,
            gap_min: gmin,
            gap_median: gmed,
            error_bound_max: ebmax,
            bound_missed: missed,
            w_cross,
        });
    }
    Ok(Fig4d {
        w: cfg.fig4d_w.clone(),
        configs: nc,
        at_r,
    })
}

/// The output times of one Fig. 4(a-c) panel: t = 0 and log-spaced times from `fig4abc_t_min`
/// to `gap_factor / gap` (the slowest relaxation time of these configurations, times a safety
/// factor), clamped to `[fig4abc_t_floor, fig4abc_t_cap]` and rounded up to one significant
/// digit.
pub fn panel_times(cfg: &Config, gap: f64) -> Vec<f64> {
    let raw = if gap.is_finite() && gap > 0.0 {
        cfg.fig4abc_gap_factor / gap
    } else {
        cfg.fig4abc_t_cap
    };
    let t = raw.clamp(cfg.fig4abc_t_floor, cfg.fig4abc_t_cap);
    let e = 10f64.powf(t.log10().floor());
    let t_max = ((t / e).ceil() * e).min(cfg.fig4abc_t_cap);
    let k = (cfg.fig4abc_points_per_decade as f64 * (t_max / cfg.fig4abc_t_min).log10()).round();
    let mut v = vec![0.0];
    v.extend(logspace(cfg.fig4abc_t_min, t_max, (k as usize).max(2)));
    v
}

/// Runs Fig. 4(a-c); the steady-state references and the time windows come from `d`.
pub fn compute_abc(cfg: &Config, d: &Fig4d, prog: &dyn Progress) -> anyhow::Result<Fig4abc> {
    let n = cfg.fig4_n;
    let p = Params::new(n, cfg.fig4abc_r, cfg.alpha, cfg.delta)?;
    let ep = ExpvParams {
        tol: cfg.expv_tol,
        krylov_dim: cfg.krylov_dim,
        ..ExpvParams::default()
    };
    let nc = cfg.fig4abc_configs;
    let sr = d
        .at_r
        .iter()
        .find(|s| (s.r - cfg.fig4abc_r).abs() < 1e-12)
        .context("Fig. 4(d) lacks the r of Fig. 4(a-c)")?;
    let mut kws = Vec::new();
    for &w in &cfg.fig4abc_w {
        kws.push(
            d.w.iter()
                .position(|x| (x - w).abs() < 1e-12)
                .context("Fig. 4(d) lacks a w of Fig. 4(a-c)")?,
        );
    }
    let grids: Vec<Vec<f64>> = kws
        .iter()
        .map(|&kw| panel_times(cfg, sr.gap_median[kw]))
        .collect();
    // (panel, None) is the ideal trace on that panel's grid, (panel, Some(c)) configuration c;
    // the longest windows first
    let mut jobs: Vec<(usize, Option<usize>)> = (0..cfg.fig4abc_w.len())
        .flat_map(|k| std::iter::once((k, None)).chain((0..nc).map(move |c| (k, Some(c)))))
        .collect();
    jobs.sort_by(|a, b| {
        let len = |j: &(usize, Option<usize>)| grids[j.0].last().copied().unwrap_or(0.0);
        len(b).total_cmp(&len(a))
    });
    let counter = prog.counter("Fig. 4(a-c) time traces", jobs.len());
    let res: Vec<(Vec<f64>, usize)> = par_map_in_order(&jobs, |&(k, c)| {
        let w = cfg.fig4abc_w[k];
        let z = match c {
            None => positions::ideal(n),
            Some(c) => positions::disordered(n, w, cfg.fig4_seed, c as u64)?,
        };
        let (v, info) = full_trace(&p, &z, &grids[k], &ep)
            .with_context(|| format!("Fig. 4(a-c): w = {w}, configuration {c:?}"))?;
        counter.tick();
        Ok((v, info.matvecs))
    })?;
    let mut by_panel: Vec<(Vec<f64>, Vec<Vec<f64>>)> = vec![(Vec::new(), Vec::new()); grids.len()];
    let mut slots: Vec<Vec<Option<Vec<f64>>>> = vec![vec![None; nc]; grids.len()];
    for (&(k, c), (v, _)) in jobs.iter().zip(&res) {
        match c {
            None => by_panel[k].0 = v.clone(),
            Some(c) => slots[k][c] = Some(v.clone()),
        }
    }
    for (k, s) in slots.into_iter().enumerate() {
        by_panel[k].1 = s.into_iter().flatten().collect();
    }
    // consistency check: the ideal Eq. 3 trace on the longest grid is the Eq. 7 one
    let kl = (0..grids.len())
        .max_by(|&a, &b| grids[a].len().cmp(&grids[b].len()))
        .context("Fig. 4(a-c) without panels")?;
    let psi = InitState::Ground.collective_vector(n)?;
    let (st, _) = collective_states(&p, &psi, &grids[kl], &ep)?;
    let (coll, _) = inv_xi2_series(&st)?;
    let ideal_vs_eq7 = by_panel[kl]
        .0
        .iter()
        .zip(&coll)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let mut panels = Vec::new();
    for (k, (&w, (ideal, traces))) in cfg.fig4abc_w.iter().zip(by_panel).enumerate() {
        let t = grids[k].clone();
        let (mut mean, mut std) = (Vec::new(), Vec::new());
        for i in 0..t.len() {
            let col: Vec<f64> = traces.iter().map(|tr| tr[i]).collect();
            let (m, s) = mean_std(&col);
            mean.push(m);
            std.push(s);
        }
        let kw = kws[k];
        let same = &sr.values[kw][..nc.min(sr.values[kw].len())];
        let (steady_mean, steady_std) = mean_std(same);
        // decay: ideal(t) - mean(t) against its final value ideal_ss - steady_mean
        let target = (1.0 - (-1.0f64).exp()) * (sr.ideal - steady_mean);
        let diff: Vec<f64> = ideal.iter().zip(&mean).map(|(a, b)| b - a).collect();
        let t_decay = if target > 0.0 {
            first_crossing_below(&t, &diff, -target)
        } else {
            None
        };
        panels.push(Trace4 {
            w,
            final_gap_to_steady: (mean.last().copied().unwrap_or(f64::NAN) - steady_mean).abs(),
            t,
            ideal,
            traces,
            mean,
            std,
            steady_mean,
            steady_std,
            gap_median: sr.gap_median[kw],
            t_decay,
        });
    }
    Ok(Fig4abc {
        r: cfg.fig4abc_r,
        ideal_vs_eq7,
        configs: nc,
        panels,
        matvecs: res.iter().map(|x| x.1).sum(),
    })
}

impl Fig4 {
    /// Assembles the figure.
    pub fn new(cfg: &Config, abc: Fig4abc, d: Fig4d) -> Self {
        Self {
            abc,
            d,
            n: cfg.fig4_n,
            seed: cfg.fig4_seed,
            alpha: cfg.alpha,
            delta: cfg.delta,
            tol: cfg.expv_tol,
        }
    }

    /// Renders `fig4.png`: panels (a-d).
    pub fn plot(&self, path: &Path) -> anyhow::Result<()> {
        let a = &self.abc;
        let labels = ["(a)", "(b)", "(c)"];
        let mut panels = Vec::new();
        for (k, p) in a.panels.iter().enumerate() {
            let mut pn = Panel::new(
                &format!(
                    "{} w = {}π ζ, r = {}, {} configurations",
                    labels[k % 3],
                    (p.w / PI * 1000.0).round() / 1000.0,
                    a.r,
                    a.configs
                ),
                "t (1/A)",
                "1/ξ²",
            );
            pn.x_log = true;
            pn.bands.push(Band {
                label: Some("mean ± std".into()),
                x: p.t.clone(),
                lo: p.mean.iter().zip(&p.std).map(|(m, s)| m - s).collect(),
                hi: p.mean.iter().zip(&p.std).map(|(m, s)| m + s).collect(),
                color: ORANGE,
            });
            pn.series.push(PlotSeries::new(
                "ideal",
                p.t.clone(),
                p.ideal.clone(),
                REF_RED,
                Style::Solid,
            ));
            pn.series.push(PlotSeries::new(
                "disordered, mean",
                p.t.clone(),
                p.mean.clone(),
                plotters::style::RGBColor(20, 60, 220),
                Style::Dashed,
            ));
            let t_pos = p.t.iter().copied().find(|&t| t > 0.0).unwrap_or(1e-2);
            pn.series.push(PlotSeries::new(
                "steady state of the same configurations",
                vec![t_pos, p.t.last().copied().unwrap_or(1.0)],
                vec![p.steady_mean; 2],
                plotters::style::RGBColor(0, 0, 0),
                Style::Dotted,
            ));
            pn.legend = plotters::chart::SeriesLabelPosition::UpperRight;
            panels.push(pn);
        }
        let d = &self.d;
        let mut pd = Panel::new(
            &format!("(d) steady state of Eq. 3, {} configurations", d.configs),
            "w (π ζ)",
            "steady 1/ξ²",
        );
        let wp: Vec<f64> = d.w.iter().map(|x| x / PI).collect();
        for (i, s) in d.at_r.iter().enumerate() {
            let c = palette(i);
            pd.bands.push(Band {
                label: None,
                x: wp.clone(),
                lo: s.mean.iter().zip(&s.std).map(|(m, e)| m - e).collect(),
                hi: s.mean.iter().zip(&s.std).map(|(m, e)| m + e).collect(),
                color: c,
            });
            let name = if s.r_note == "fixed" {
                format!("r = {}", s.r)
            } else {
                format!("r = {} (r_opt)", s.r)
            };
            pd.series.push(PlotSeries::new(
                &format!("{name}, mean ± std"),
                wp.clone(),
                s.mean.clone(),
                c,
                Style::Solid,
            ));
            pd.series.push(PlotSeries {
                label: (i == 0).then(|| "w = 0 (Eq. 8)".to_string()),
                x: vec![0.0],
                y: vec![s.ideal],
                color: c,
                style: Style::Markers,
            });
        }
        pd.hlines.push((1.0, REF_RED, Some("ξ² = 1".into())));
        let wmax = wp.last().copied().unwrap_or(1.0);
        pd.x_range = Some((-0.02 * wmax, 1.03 * wmax));
        pd.legend = plotters::chart::SeriesLabelPosition::UpperRight;
        panels.push(pd);
        render(
            path,
            &format!(
                "Fig. 4: position disorder, full model (Eq. 3), N = {}, Δ = 1.0 A, α = 0.5",
                self.n
            ),
            (1400, 1100),
            (2, 2),
            &panels,
        )
    }
}
