//! `sqz evolve`'s output on stdout: one JSON object, or a table.

use super::Run;
use serde_json::{json, Map, Value};
use sqz_dynamics::propagate::ortho_name;
use sqz_dynamics::Evolution;
use sqz_krylov::expv::ExpvInfo;

fn info_json(i: &ExpvInfo) -> Value {
    json!({
        "steps": i.steps,
        "rejections": i.rejections,
        "matvecs": i.matvecs,
        "happy_breakdowns": i.happy_breakdowns,
        "reorthogonalizations": i.reorthogonalizations,
        "error_estimate": i.error_estimate,
        "hump": i.hump,
        "max_step": i.max_step,
    })
}

/// Every parameter and every result, as JSON.
pub(super) fn json_fields(run: &Run, o: &Evolution) -> Map<String, Value> {
    let p = &run.p;
    let mut m = Map::new();
    m.insert("model".into(), json!(run.model.name()));
    m.insert("n".into(), json!(p.n()));
    m.insert("r".into(), json!(p.r()));
    m.insert("alpha".into(), json!(p.alpha()));
    m.insert("delta".into(), json!(p.delta()));
    m.insert("gamma_loss".into(), json!(p.gamma_loss()));
    m.insert("gamma_deph".into(), json!(p.gamma_deph()));
    m.insert("init".into(), json!(run.init.describe()));
    if let Some((z, src)) = &run.z {
        m.insert("positions".into(), json!(z));
        m.extend(src.json());
    }
    m.insert("operator".into(), json!(o.space.operator_name()));
    m.insert("dim".into(), json!(o.dim));
    m.insert("tol".into(), json!(run.plan.expv.tol));
    m.insert("krylov_dim".into(), json!(run.plan.expv.krylov_dim));
    m.insert("orthogonalization".into(), json!(ortho_name(o.ortho)));
    let s = &o.series;
    m.insert("t".into(), json!(s.t));
    m.insert("inv_xi2".into(), json!(s.inv_xi2));
    m.insert("xi2".into(), json!(s.xi2));
    m.insert("mean_spin".into(), json!(s.mean_spin));
    m.insert("trace".into(), json!(s.trace));
    m.insert("krylov".into(), info_json(&o.info));
    m.insert("notes".into(), json!(o.notes));
    m.insert("time_s".into(), json!(o.seconds));
    if let Some(path) = &run.out {
        m.insert("out".into(), json!(path.display().to_string()));
    }
    m
}

/// A header and one row per output time.
pub(super) fn print_text(run: &Run, o: &Evolution) {
    let p = &run.p;
    println!(
        "# sqz evolve: N = {}, r = {}, alpha = {}, delta = {}, gamma_loss = {}, gamma_deph = {}, \
         init {}, {} (dim {})",
        p.n(),
        p.r(),
        p.alpha(),
        p.delta(),
        p.gamma_loss(),
        p.gamma_deph(),
        run.init.describe(),
        o.space.operator_name(),
        o.dim
    );
    let i = &o.info;
    println!(
        "# krylov: {} steps ({} rejected), {} matvecs, error estimate {:.2e}, {:.3} s",
        i.steps, i.rejections, i.matvecs, i.error_estimate, o.seconds
    );
    println!(
        "# {:>12} {:>16} {:>16} {:>14} {:>14} {:>14} {:>18}",
        "t", "inv_xi2", "xi2", "Sx", "Sy", "Sz", "trace"
    );
    let s = &o.series;
    for k in 0..s.t.len() {
        let xi2 = s.xi2[k].map_or("-".to_string(), |x| format!("{x:.10e}"));
        println!(
            "  {:>12.6} {:>16.10e} {:>16} {:>14.6e} {:>14.6e} {:>14.6e} {:>18.15}",
            s.t[k],
            s.inv_xi2[k],
            xi2,
            s.mean_spin[k][0],
            s.mean_spin[k][1],
            s.mean_spin[k][2],
            s.trace[k]
        );
    }
    if let Some(path) = &run.out {
        println!("# written to {}", path.display());
    }
}
