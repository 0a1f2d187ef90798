//! Fig. 3: (a) steady `1/xi^2` against r, Eq. 8 against the Eq. 7 time evolution at t = 200/A
//! from `|j,-j>`, for several N; (b-d) the scaling study with Eq. 8 (`sqz scaling`'s
//! [`crate::cmd_scaling::scan`]): squeezed range of r, max `1/xi^2` and r_opt against N, with the
//! paper's fits, Eq. 9 `(xi^2)_min = 1.64 N^-0.54` and `r_opt = 0.27 ln N - 0.11`, and beyond the
//! paper up to N = 2000.

use crate::plot::{palette, render, Band, Panel, PlotSeries, Style, GREY, REF_RED};
use crate::{par_map_in_order, Config, Progress};
use anyhow::Context;
use sqz_dynamics::times::logspace;
use sqz_dynamics::traces::{collective_states, inv_xi2_series};
use sqz_dynamics::InitState;
use sqz_krylov::expv::ExpvParams;
use sqz_model::scaling::{n_grid, range_fit, scan, RangeFit, ScalingPoint};
use sqz_model::{analytic, Params};
use std::path::Path;

/// Results of Fig. 3(a).
#[derive(Debug, Clone)]
pub struct Fig3a {
    /// N values
    pub n: Vec<usize>,
    /// r grid of the Eq. 8 curves
    pub r_eq8: Vec<f64>,
    /// Eq. 8 `1/xi^2[N][r]`
    pub eq8: Vec<Vec<f64>>,
    /// r grid of the Eq. 7 numerics
    pub r_num: Vec<f64>,
    /// Eq. 7 `1/xi^2(t)[N][r]` at `t`
    pub num: Vec<Vec<f64>>,
    /// Eq. 8 at the numerics' r values
    pub eq8_at_num: Vec<Vec<f64>>,
    /// time of the numerics
    pub t: f64,
    /// largest `|Eq. 7 (t) - Eq. 8|` per N
    pub max_dev: Vec<f64>,
    /// largest trace error `|Tr rho(t) - 1|` of the numerics
    pub max_trace_err: f64,
}

/// Results of Fig. 3(b-d).
#[derive(Debug, Clone)]
pub struct Fig3bcd {
    /// per N
    pub points: Vec<ScalingPoint>,
    /// fits: over N <= the paper's range, over every N, and over the largest N only
    pub fits: Vec<(String, RangeFit)>,
    /// tolerance on r
    pub r_tol: f64,
    /// largest r searched
    pub r_max: f64,
}

/// Results of Fig. 3.
#[derive(Debug, Clone)]
pub struct Fig3 {
    /// panel (a)
    pub a: Fig3a,
    /// panels (b-d)
    pub bcd: Fig3bcd,
    /// squeezing angle
    pub alpha: f64,
    /// frequency shift
    pub delta: f64,
    /// Krylov dimension of panel (a)
    pub krylov_dim: usize,
    /// propagator tolerance
    pub tol: f64,
}

/// Runs panel (a).
pub fn compute_a(cfg: &Config, prog: &dyn Progress) -> anyhow::Result<Fig3a> {
    let ep = ExpvParams {
        tol: cfg.expv_tol,
        krylov_dim: cfg.fig3a_krylov_dim,
        ..ExpvParams::default()
    };
    let mut eq8 = Vec::new();
    let mut eq8_at_num = Vec::new();
    for &n in &cfg.fig3a_n {
        let basis = analytic::Eq8Basis::new(n);
        let f = |r: f64| -> anyhow::Result<f64> {
            let p = Params::new(n, r, cfg.alpha, cfg.delta)?;
            let s = analytic::steady_state_with(&p, &basis)?;
            Ok(s.moments().squeezing().map(|q| q.inv_xi2).unwrap_or(0.0))
        };
        eq8.push(
            cfg.fig3a_r_eq8
                .iter()
                .map(|&r| f(r))
                .collect::<anyhow::Result<Vec<_>>>()?,
        );
        eq8_at_num.push(
            cfg.fig3a_r_numerics
                .iter()
                .map(|&r| f(r))
                .collect::<anyhow::Result<Vec<_>>>()?,
        );
    }
    // (N index, r index), the expensive ones (large N, large r) first
    let mut jobs: Vec<(usize, usize)> = (0..cfg.fig3a_n.len())
        .flat_map(|i| (0..cfg.fig3a_r_numerics.len()).map(move |k| (i, k)))
        .collect();
    jobs.sort_by(|a, b| {
        let c = |j: &(usize, usize)| cfg.fig3a_n[j.0] as f64 * (1.0 + cfg.fig3a_r_numerics[j.1]);
        c(b).total_cmp(&c(a))
    });
    let counter = prog.counter("Fig. 3(a) Eq. 7 to t = 200/A", jobs.len());
    let res: Vec<((usize, usize), f64, f64)> = par_map_in_order(&jobs, |&(i, k)| {
        let n = cfg.fig3a_n[i];
        let r = cfg.fig3a_r_numerics[k];
        let p = Params::new(n, r, cfg.alpha, cfg.delta)?;
        // a Krylov space close to the whole space has no reliable error estimate (no happy
        // breakdown at rounding level): keep m at most half the dimension
        let ep = ExpvParams {
            krylov_dim: ep.krylov_dim.min((n + 1) * (n + 1) / 2).max(2),
            ..ep
        };
        let psi = InitState::Ground.collective_vector(n)?;
        let (st, _) = collective_states(&p, &psi, &[cfg.fig3a_t], &ep)
            .with_context(|| format!("Fig. 3(a), N = {n}, r = {r}"))?;
        let (v, _) = inv_xi2_series(&st)?;
        let tr: f64 = (0..=n).map(|q| st[0][(q, q)].re).sum();
        counter.tick();
        Ok(((i, k), v[0], (tr - 1.0).abs()))
    })?;
    let mut num = vec![vec![0.0; cfg.fig3a_r_numerics.len()]; cfg.fig3a_n.len()];
    let mut max_trace_err = 0.0f64;
    for ((i, k), v, te) in res {
        num[i][k] = v;
        max_trace_err = max_trace_err.max(te);
    }
    let max_dev = num
        .iter()
        .zip(&eq8_at_num)
        .map(|(a, b)| {
            a.iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f64::max)
        })
        .collect();
    Ok(Fig3a {
        n: cfg.fig3a_n.clone(),
        r_eq8: cfg.fig3a_r_eq8.clone(),
        eq8,
        r_num: cfg.fig3a_r_numerics.clone(),
        num,
        eq8_at_num,
        t: cfg.fig3a_t,
        max_dev,
        max_trace_err,
    })
}

/// The N values of Fig. 3(b-d): `sqz scaling`'s grid over the paper's range (2 ..
/// `scaling_fit_paper_n_max`, `scaling_points` log-spaced values, so that the fit compared with
/// the paper is the one of `sqz scaling`), continued with the same logarithmic step up to
/// `scaling_n_max`.
pub fn scaling_grid(cfg: &Config) -> Vec<usize> {
    let pm = cfg.scaling_fit_paper_n_max.min(cfg.scaling_n_max);
    let mut ns = n_grid(2, pm, cfg.scaling_points);
    if cfg.scaling_n_max > pm && cfg.scaling_points > 1 {
        let step = (pm as f64 / 2.0).ln() / (cfg.scaling_points - 1) as f64;
        let mut k = 1;
        loop {
            let n = ((pm as f64).ln() + step * k as f64).exp().round() as usize;
            if n >= cfg.scaling_n_max {
                break;
            }
            if n > *ns.last().unwrap_or(&0) {
                ns.push(n);
            }
            k += 1;
        }
        ns.push(cfg.scaling_n_max);
    }
    ns
}

/// Runs panels (b-d).
pub fn compute_bcd(cfg: &Config, prog: &dyn Progress) -> anyhow::Result<Fig3bcd> {
    let ns = scaling_grid(cfg);
    let base = Params::new(2, 0.5, cfg.alpha, cfg.delta)?;
    let counter = prog.counter("Fig. 3(b-d) Eq. 8 scans over r", ns.len());
    // largest N first: the cost grows like N^3
    let order: Vec<usize> = ns.iter().rev().copied().collect();
    let mut points: Vec<ScalingPoint> = par_map_in_order(&order, |&n| {
        let pt = scan(&base.with_n(n)?, cfg.scaling_r_max, cfg.scaling_r_tol)
            .with_context(|| format!("Fig. 3(b-d), N = {n}"))?;
        counter.tick();
        Ok(pt)
    })?;
    points.sort_by_key(|p| p.n);
    let mut fits = Vec::new();
    let pm = cfg.scaling_fit_paper_n_max.min(cfg.scaling_n_max);
    if let Some(f) = range_fit(&points, 2, pm) {
        fits.push(("paper_range".to_string(), f));
    }
    if cfg.scaling_n_max > pm {
        if let Some(f) = range_fit(&points, 2, cfg.scaling_n_max) {
            fits.push(("all".to_string(), f));
        }
        if let Some(f) = range_fit(&points, pm, cfg.scaling_n_max) {
            fits.push(("beyond_paper".to_string(), f));
        }
    }
    Ok(Fig3bcd {
        points,
        fits,
        r_tol: cfg.scaling_r_tol,
        r_max: cfg.scaling_r_max,
    })
}

impl Fig3 {
    /// Assembles the figure from its parts.
    pub fn new(cfg: &Config, a: Fig3a, bcd: Fig3bcd) -> Self {
        Self {
            a,
            bcd,
            alpha: cfg.alpha,
            delta: cfg.delta,
            krylov_dim: cfg.fig3a_krylov_dim,
            tol: cfg.expv_tol,
        }
    }

    /// The fit compared with the paper.
    pub fn paper_fit(&self) -> Option<&RangeFit> {
        self.bcd.fits.first().map(|f| &f.1)
    }

    /// Renders `fig3.png`: panels (a-d).
    pub fn plot(&self, path: &Path) -> anyhow::Result<()> {
        let (pc, pd) = self.panels_cd();
        render(
            path,
            "Fig. 3: steady-state squeezing of the collective model (Δ = 1.0 A, α = 0.5)",
            (1400, 1100),
            (2, 2),
            &[self.panel_a(), self.panel_b(), pc, pd],
        )
    }

    /// Panel (a): Eq. 8 against Eq. 7 at a finite time, per N.
    fn panel_a(&self) -> Panel {
        let a = &self.a;
        let mut pa = Panel::new(
            &format!("(a) Eq. 8 (lines) vs Eq. 7 at t = {}/A (grey)", a.t),
            "r",
            "steady 1/ξ²",
        );
        let styles = [Style::DashDot, Style::Dashed, Style::Dotted, Style::Solid];
        let colors = [
            plotters::style::RGBColor(128, 0, 160),
            REF_RED,
            plotters::style::RGBColor(20, 60, 220),
            palette(2),
        ];
        for (i, n) in a.n.iter().enumerate() {
            pa.series.push(PlotSeries::new(
                &format!("Eq. 8, N = {n}"),
                a.r_eq8.clone(),
                a.eq8[i].clone(),
                colors[i % colors.len()],
                styles[i % styles.len()],
            ));
            pa.series.push(PlotSeries {
                label: (i == 0).then(|| "Eq. 7, t = 200/A".to_string()),
                x: a.r_num.clone(),
                y: a.num[i].clone(),
                color: GREY,
                style: Style::Markers,
            });
        }
        pa.hlines.push((1.0, GREY, None));

        pa
    }

    /// Panel (b): the squeezed range of r and r_opt against N.
    fn panel_b(&self) -> Panel {
        let b = &self.bcd;
        let ns: Vec<f64> = b.points.iter().map(|p| p.n as f64).collect();
        let mut pb = Panel::new("(b) range of r with ξ² < 1 (Eq. 8)", "N", "r");
        pb.x_log = true;
        pb.bands.push(Band {
            label: Some("squeezed range".into()),
            x: ns.clone(),
            lo: b.points.iter().map(|p| p.r_lo).collect(),
            hi: b.points.iter().map(|p| p.r_hi).collect(),
            color: palette(0),
        });
        pb.series.push(PlotSeries::new(
            "upper end",
            ns.clone(),
            b.points.iter().map(|p| p.r_hi).collect(),
            palette(0),
            Style::Solid,
        ));
        pb.series.push(PlotSeries::new(
            "r_opt",
            ns.clone(),
            b.points.iter().map(|p| p.r_opt).collect(),
            palette(1),
            Style::Dashed,
        ));
        pb.legend = plotters::chart::SeriesLabelPosition::UpperLeft;

        pb
    }

    /// Panels (c) and (d): the largest 1/xi^2 and r_opt against N, with the paper's laws and
    /// the fit over the paper's range.
    fn panels_cd(&self) -> (Panel, Panel) {
        let b = &self.bcd;
        let ns: Vec<f64> = b.points.iter().map(|p| p.n as f64).collect();
        let mut pc = Panel::new("(c) max over r of 1/ξ² (Eq. 8)", "N", "max 1/ξ²");
        pc.x_log = true;
        pc.y_log = true;
        let pm = self.paper_fit().map_or(usize::MAX, |f| f.n_max);
        scaling_markers(&b.points, pm, &mut pc, &|p| p.inv_xi2_max);
        let nfine: Vec<f64> = logspace(2.0, *ns.last().unwrap_or(&2.0), 100);
        pc.series.push(PlotSeries::new(
            "paper: 1.64 N^−0.54",
            nfine.clone(),
            nfine.iter().map(|n| n.powf(0.54) / 1.64).collect(),
            REF_RED,
            Style::Dashed,
        ));
        if let Some(f) = self.paper_fit() {
            let (aa, bb) = (f.xi.intercept.exp(), f.xi.slope);
            pc.series.push(PlotSeries::new(
                &format!("fit N ≤ {}: {aa:.3} N^{bb:.4}", f.n_max),
                nfine.clone(),
                nfine.iter().map(|n| 1.0 / (aa * n.powf(bb))).collect(),
                palette(2),
                Style::Solid,
            ));
        }
        pc.legend = plotters::chart::SeriesLabelPosition::UpperLeft;

        let mut pd = Panel::new("(d) optimal r (Eq. 8)", "N", "r_opt");
        pd.x_log = true;
        scaling_markers(&b.points, pm, &mut pd, &|p| p.r_opt);
        pd.series.push(PlotSeries::new(
            "paper: 0.27 ln N − 0.11",
            nfine.clone(),
            nfine.iter().map(|n| 0.27 * n.ln() - 0.11).collect(),
            REF_RED,
            Style::Dashed,
        ));
        if let Some(f) = self.paper_fit() {
            let (c, d) = (f.r.slope, f.r.intercept);
            pd.series.push(PlotSeries::new(
                &format!("fit N ≤ {}: {c:.4} ln N {d:+.4}", f.n_max),
                nfine.clone(),
                nfine.iter().map(|n| c * n.ln() + d).collect(),
                palette(2),
                Style::Solid,
            ));
        }
        pd.legend = plotters::chart::SeriesLabelPosition::UpperLeft;
        (pc, pd)
    }
}

/// The points of the paper's range (N <= `pm`), then (if any) those beyond it, as markers of
/// `f` in `pn`.
fn scaling_markers(
    points: &[ScalingPoint],
    pm: usize,
    pn: &mut Panel,
    f: &dyn Fn(&ScalingPoint) -> f64,
) {
    for beyond in [false, true] {
        let sel: Vec<&ScalingPoint> = points.iter().filter(|p| (p.n > pm) == beyond).collect();
        if beyond && sel.is_empty() {
            continue;
        }
        let (label, color) = if beyond {
            ("Eq. 8, beyond the paper".to_string(), palette(4))
        } else {
            (format!("Eq. 8, N ≤ {pm}"), palette(0))
        };
        let x = sel.iter().map(|p| p.n as f64).collect();
        let y = sel.iter().map(|p| f(p)).collect();
        pn.series
            .push(PlotSeries::new(&label, x, y, color, Style::Markers));
    }
}
