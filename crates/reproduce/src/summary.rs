//! The key numbers of the figures next to the paper's, as one JSON value and as text lines.

use crate::{fig1, fig2, fig3, fig4, Config};
use serde_json::{json, Value};
use std::f64::consts::PI;

fn opt(v: Option<f64>) -> Value {
    v.map_or(Value::Null, |x| json!(x))
}

/// The key numbers, paper next to ours (printed by `sqz reproduce`, stored as `summary_json`).
pub fn summary(
    cfg: &Config,
    f1: &fig1::Fig1,
    f2: &fig2::Fig2,
    f3: &fig3::Fig3,
    f4: &fig4::Fig4,
) -> Value {
    let fits: Vec<Value> = f3
        .bcd
        .fits
        .iter()
        .map(|(name, f)| {
            json!({
                "range": name, "n_min": f.n_min, "n_max": f.n_max, "points": f.xi.points,
                "a": f.a().0, "a_err": f.a().1,
                "b": f.xi.slope, "b_err": f.xi.slope_err,
                "c": f.r.slope, "c_err": f.r.slope_err, "d": f.r.intercept, "d_err": f.r.intercept_err,
            })
        })
        .collect();
    let f4d: Vec<Value> = f4
        .d
        .at_r
        .iter()
        .map(|s| {
            json!({
                "r": s.r, "r_choice": s.r_note, "ideal_w0": s.ideal,
                "mean_at_smallest_w": s.mean.first(), "smallest_w_over_pi": f4.d.w.first().map(|w| w / PI),
                "w_cross_over_pi": opt(s.w_cross.map(|w| w / PI)),
                "bound_missed": s.bound_missed,
            })
        })
        .collect();
    let f4abc: Vec<Value> = f4
        .abc
        .panels
        .iter()
        .map(|p| {
            json!({
                "w_over_pi": p.w / PI, "steady_mean": p.steady_mean, "steady_std": p.steady_std,
                "t_max": p.t.last(),
                "mean_at_t_max": p.mean.last(), "t_decay": opt(p.t_decay),
                "zeta_over_a_w": 1.0 / p.w, "inverse_median_gap": 1.0 / p.gap_median,
            })
        })
        .collect();
    json!({
        "quick": cfg.quick,
        "fig1": {
            "max_final_deviation_from_eq8": f1.max_final_dev,
            "steady_inv_xi2_by_r": f1.b_r.iter().zip(&f1.b_steady).map(|(r, v)| json!([r, v])).collect::<Vec<_>>(),
            "fig1c_steady_inv_xi2": f1.c_steady,
        },
        "fig2": f2.frames.iter().map(|f| json!({"t": f.t, "var_min_over_n4": f.var_min, "var_max_over_n4": f.var_max, "inv_xi2": f.inv_xi2})).collect::<Vec<_>>(),
        "fig3a": {"n": f3.a.n, "max_abs_deviation_eq7_vs_eq8": f3.a.max_dev},
        "fig3bcd": {"paper": {"a": 1.64, "b": -0.54, "c": 0.27, "d": -0.11}, "fits": fits,
            "n_max": f3.bcd.points.last().map(|p| p.n),
            "inv_xi2_max_at_n_max": f3.bcd.points.last().map(|p| p.inv_xi2_max),
            "r_opt_at_n_max": f3.bcd.points.last().map(|p| p.r_opt)},
        "fig4abc": {"r": f4.abc.r, "configs": f4.abc.configs, "ideal_vs_eq7": f4.abc.ideal_vs_eq7, "panels": f4abc},
        "fig4d": {"configs": f4.d.configs, "paper_w_cross_over_pi": 0.4, "by_r": f4d,
            "largest_w_over_pi": f4.d.w.last().map(|w| w / PI)},
    })
}

/// "mean falls below 1 at w = 0.1234 pi", or, with no crossing on the grid, that it does not.
fn crossing_text(cross: &Value, largest: &Value) -> String {
    match (cross.as_f64(), largest.as_f64()) {
        (Some(w), _) => format!("mean falls below 1 at w = {w:.4} pi"),
        (None, Some(wmax)) => {
            format!("mean does not fall below 1 in the range (w up to {wmax:.4} pi)")
        }
        (None, None) => "mean does not fall below 1 in the range".to_string(),
    }
}

/// The key numbers of [`summary`] as text lines, paper in brackets (`sqz reproduce` without
/// `--json`).
pub fn text(s: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let f = |v: &Value| v.as_f64().map_or("-".to_string(), |x| format!("{x:.4}"));
    out.push("# sqz reproduce: key numbers (paper in brackets)".to_string());
    out.push(format!(
        "Fig. 1: long-time 1/xi^2 vs Eq. 8, largest deviation {}",
        s["fig1"]["max_final_deviation_from_eq8"]
    ));
    for fr in s["fig2"].as_array().into_iter().flatten() {
        out.push(format!(
            "Fig. 2: t = {:>5}: principal variances in n_perp {} and {} x N/4, 1/xi^2 = {}",
            fr["t"],
            f(&fr["var_min_over_n4"]),
            f(&fr["var_max_over_n4"]),
            f(&fr["inv_xi2"])
        ));
    }
    out.push(format!(
        "Fig. 3(a): max |Eq. 7 (t = 200/A) - Eq. 8| per N {}: {}",
        s["fig3a"]["n"], s["fig3a"]["max_abs_deviation_eq7_vs_eq8"]
    ));
    for fit in s["fig3bcd"]["fits"].as_array().into_iter().flatten() {
        out.push(format!(
            "Fig. 3(c,d) fit N = {}..{} ({} points): xi2_min = {} (+-{}) N^({} +- {}) [1.64 N^-0.54]; r_opt = ({} +- {}) ln N + ({} +- {}) [0.27 ln N - 0.11]",
            fit["n_min"], fit["n_max"], fit["points"], f(&fit["a"]), f(&fit["a_err"]), f(&fit["b"]), f(&fit["b_err"]),
            f(&fit["c"]), f(&fit["c_err"]), f(&fit["d"]), f(&fit["d_err"])
        ));
    }
    for p in s["fig4abc"]["panels"].as_array().into_iter().flatten() {
        out.push(format!(
            "Fig. 4(a-c) w = {}pi: mean 1/xi^2 at t_max = {} {}, steady {} +- {}; decay time {} (zeta/(A w) = {}, 1/median gap = {})",
            f(&p["w_over_pi"]), p["t_max"], f(&p["mean_at_t_max"]), f(&p["steady_mean"]), f(&p["steady_std"]),
            f(&p["t_decay"]), f(&p["zeta_over_a_w"]), f(&p["inverse_median_gap"])
        ));
    }
    for r in s["fig4d"]["by_r"].as_array().into_iter().flatten() {
        out.push(format!(
            "Fig. 4(d) r = {} ({}): w = 0: {}, w = {}pi: {}; {} [paper: ~0.4 pi]",
            f(&r["r"]),
            r["r_choice"].as_str().unwrap_or(""),
            f(&r["ideal_w0"]),
            f(&r["smallest_w_over_pi"]),
            f(&r["mean_at_smallest_w"]),
            crossing_text(&r["w_cross_over_pi"], &s["fig4d"]["largest_w_over_pi"])
        ));
    }
    out
}
