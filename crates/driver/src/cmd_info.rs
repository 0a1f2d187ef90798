//! `sqz info --n N`: the memory each representation of Eq. 3 needs.

use crate::cli::InfoArgs;
use anyhow::bail;
use serde_json::json;
use sqz_superop::memory::{available_bytes, human_bytes, memory_table_with};

pub fn run(a: &InfoArgs) -> anyhow::Result<()> {
    if a.n == 0 || a.n > sqz_superop::N_MAX_FULL {
        bail!(
            "invalid --n {}: allowed 1 <= N <= {} for the full-space representations",
            a.n,
            sqz_superop::N_MAX_FULL
        );
    }
    let mut rows = memory_table_with(a.n, a.krylov_vectors);
    rows.push((
        "dense steady-state solve (real Hermitian LU + CSR)".into(),
        sqz_steady::dense_bytes(a.n),
    ));
    rows.push((
        "two-level steady-state solve (C_N^2 coarse matrix + GMRES)".into(),
        sqz_steady::twolevel::bytes(a.n),
    ));
    let avail = available_bytes();
    if a.json {
        let items: Vec<_> = rows
            .iter()
            .map(|(k, b)| json!({"what": k, "bytes": b, "fits": *b <= avail}))
            .collect();
        println!(
            "{}",
            json!({"n": a.n, "available_bytes": avail, "representations": items})
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
    }
    Ok(())
}
