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
    // every path `sqz steady --model full` / `sqz disorder` may take (sqz_steady::memory): a
    // label, and when it is taken (`label: when`, the JSON's `what`; the text table puts the
    // explanation on the lines below)
    let paths = sqz_steady::memory::paths(a.n, avail);
    let mut explained = Vec::new();
    for pe in &paths {
        let when = match pe.method {
            sqz_steady::Method::TwoLevel => format!(
                "{}; at least {} Krylov vectors (with the memory now: {})",
                pe.when,
                sqz_steady::twolevel::MIN_RESTART,
                human_bytes(pe.bytes_planned)
            ),
            _ => pe.when.to_string(),
        };
        let label = format!("steady path {}", pe.method.name());
        rows.push((format!("{label}: {when}"), pe.bytes));
        explained.push((rows.len() - 1, label, when));
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
        for l in table_lines(&rows, &explained, avail) {
            println!("{l}");
        }
        println!("steady state, {chosen}");
    }
    Ok(())
}

/// Width of the text table of `sqz info` (a 100-column terminal).
const TABLE_WIDTH: usize = 99;

/// The rows of the text table: `  label  bytes  (does not fit)` within [`TABLE_WIDTH`] columns;
/// a row of `explained` (`(row, label, explanation)`) shows its label, and its explanation
/// wrapped on the lines below, indented.
fn table_lines(
    rows: &[(String, u64)],
    explained: &[(usize, String, String)],
    avail: u64,
) -> Vec<String> {
    let label = |k: usize| {
        explained
            .iter()
            .find(|e| e.0 == k)
            .map_or(rows[k].0.as_str(), |e| e.1.as_str())
    };
    let w = (0..rows.len()).map(|k| label(k).len()).max().unwrap_or(0);
    let mut out = Vec::new();
    for (k, (_, b)) in rows.iter().enumerate() {
        let fits = if *b <= avail { "" } else { "  (does not fit)" };
        out.push(format!("  {:<w$}  {:>10}{fits}", label(k), human_bytes(*b)));
        if let Some((_, _, why)) = explained.iter().find(|e| e.0 == k) {
            out.extend(
                wrap(why, TABLE_WIDTH - 6)
                    .into_iter()
                    .map(|l| format!("      {l}")),
            );
        }
    }
    out
}

/// `text` in lines of at most `width` characters, broken at spaces (a longer word stays whole).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

#[cfg(test)]
mod tests {
    /// Every line of the table fits in 100 columns, however long a path's explanation is; the
    /// explanation is on the lines below its label, whole.
    #[test]
    fn the_table_fits_100_columns() {
        let why = "disordered positions, N >= 6 (Krylov basis sized to the memory); at least 20 \
                   Krylov vectors (with the memory now: 9.00 GiB), and a long tail of more words";
        let rows = vec![
            (
                "one full-space vector (4^N = 16777216 complex numbers)".to_string(),
                1 << 28,
            ),
            (format!("steady path gmres-two-level: {why}"), 1 << 40),
        ];
        let explained = vec![(
            1,
            "steady path gmres-two-level".to_string(),
            why.to_string(),
        )];
        let lines = super::table_lines(&rows, &explained, 1 << 30);
        assert!(lines.iter().all(|l| l.len() < 100), "{lines:#?}");
        assert!(
            lines[1].starts_with("  steady path gmres-two-level   "),
            "{lines:#?}"
        );
        assert!(lines[1].ends_with("1.00 TiB  (does not fit)"), "{lines:#?}");
        let text: Vec<&str> = lines[2..].iter().map(|l| l.trim()).collect();
        assert_eq!(
            text.join(" "),
            why.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        assert!(lines[2..].iter().all(|l| l.starts_with("      ")));
    }
}
