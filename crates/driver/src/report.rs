//! Printing results: a JSON object (`--json`) or aligned text.

use serde_json::{json, Map, Value};
use sqz_model::observables::Squeezing;
use sqz_model::Params;

/// The fields every single-point command reports.
pub fn point_json(p: &Params, sq: &Squeezing) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("n".into(), json!(p.n()));
    m.insert("r".into(), json!(p.r()));
    m.insert("alpha".into(), json!(p.alpha()));
    m.insert("delta".into(), json!(p.delta()));
    m.insert("xi2".into(), json!(sq.xi2));
    m.insert("inv_xi2".into(), json!(sq.inv_xi2));
    m.insert("mean_spin".into(), json!(sq.mean_spin));
    m
}

/// Prints `fields` as JSON or as `key: value` lines.
pub fn emit(fields: Map<String, Value>, as_json: bool) {
    if as_json {
        println!("{}", Value::Object(fields));
    } else {
        let w = fields.keys().map(|k| k.len()).max().unwrap_or(0);
        for (k, v) in fields {
            println!("{k:>w$}: {v}");
        }
    }
}

/// The fields of `--model permutational` (`sqz steady`, `sqz evolve`): the model, the local
/// rates and `beta = A / (A + gamma_loss)`.
pub fn permutational_fields(m: &mut Map<String, Value>, p: &Params) {
    m.insert("model".into(), json!("permutational"));
    m.insert("gamma_loss".into(), json!(p.gamma_loss()));
    m.insert("gamma_deph".into(), json!(p.gamma_deph()));
    m.insert("beta".into(), json!(p.beta()));
}
