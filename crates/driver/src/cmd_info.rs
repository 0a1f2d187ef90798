//! `sqz info --n N`: the memory each representation of Eq. 3 needs, every path the steady-state
//! solver may take (`sqz_steady::memory`) with its bytes, and which one it takes now.

use crate::cli::{Global, InfoArgs};
use anyhow::bail;
use serde_json::json;
use sqz_superop::memory::{available_bytes, human_bytes, memory_table_with};

pub fn run(a: &InfoArgs, g: Global) -> anyhow::Result<()> {
    if a.n == 0 || a.n > sqz_superop::N_MAX_FULL {
        bail!(
            "invalid --n {}: allowed 1 <= N <= {} for the full-space representations",
            a.n,
            sqz_superop::N_MAX_FULL
        );
    }
    let mut rows = memory_table_with(a.n, a.krylov_vectors);
    let avail = available_bytes();
    // every path `sqz steady --model full` / `sqz disorder` may take (sqz_steady::memory)
    let paths = sqz_steady::memory::paths(a.n, avail);
    for pe in &paths {
        let name = match pe.method {
            sqz_steady::Method::TwoLevel => format!(
                "steady path {}: {}; at least {} Krylov vectors (with the memory now: {})",
                pe.method.name(),
                pe.when,
                sqz_steady::twolevel::MIN_RESTART,
                human_bytes(pe.bytes_planned)
            ),
            _ => format!("steady path {}: {}", pe.method.name(), pe.when),
        };
        rows.push((name, pe.bytes));
    }
    let sp = sqz_steady::SteadyParams::default();
    let chosen = match sqz_steady::memory::plan(a.n, &sp, avail) {
        Ok(m) => format!("disordered positions at N = {}: {}", a.n, m.name()),
        Err(e) => format!("disordered positions at N = {}: refused ({e})", a.n),
    };
    rows.push((
        "collective model: Eq. 7 steady state (sparse LU, --model collective)".into(),
        sqz_model::collective::bytes(a.n),
    ));
    rows.push((
        "collective model: Eq. 8 analytic steady state (sqz analytic)".into(),
        sqz_model::analytic::bytes(a.n),
    ));
    if g.json {
        let items: Vec<_> = rows
            .iter()
            .map(|(k, b)| json!({"what": k, "bytes": b, "fits": *b <= avail}))
            .collect();
        println!(
            "{}",
            json!({"n": a.n, "available_bytes": avail, "representations": items,
                "steady_paths": paths.iter().map(|pe| json!({
                    "method": pe.method.name(), "when": pe.when, "bytes": pe.bytes,
                    "bytes_with_available_memory": pe.bytes_planned, "fits": pe.bytes <= avail,
                })).collect::<Vec<_>>(),
                "steady_path_now": chosen})
        );
    } else {
        println!(
            "N = {}: Liouville space 4^N = {}, parity block {}",
            a.n,
            1u64 << (2 * a.n),
            1u64 << (2 * a.n - 1)
        );
        let w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        for (k, b) in &rows {
            let fits = if *b <= avail { "" } else { "  (does not fit)" };
            println!("  {k:<w$}  {:>10}{fits}", human_bytes(*b));
        }
        println!("steady state, {chosen}");
    }
    Ok(())
}
