//! Memory estimates and the memory guard.
//!
//! Every entry point that assembles or allocates something of size `4^N` first asks
//! [`check`] whether its estimate fits in [`available_bytes`]; if not, it refuses with
//! [`SuperopError::TooLarge`], which states the estimate, the bytes available and the largest N
//! for which the same request would fit.
//!
//! Estimates (complex numbers are 16 bytes, indices 8 bytes):
//!
//! | representation | bytes |
//! |---|---|
//! | CSR matrix | `nnz * (16 + 8) + 2 (4^N + 1) * 8`, `nnz <= (2N^2 - N + 1) 4^N` (assembly peak) |
//! | matrix-free operator | input + output + 2 scratch vectors of `16 * 4^N` + per-task buffers |
//! | parity block operator | the same with half-length vectors (`8 * 4^N` each) |
//! | solver workspace | `k` Krylov vectors of the operator's length |

use crate::{kernel, SuperopError};

/// Default number of Krylov vectors in a solver workspace estimate.
pub const DEFAULT_KRYLOV_VECTORS: usize = 40;

/// Used when neither `/proc/meminfo` nor a cgroup limit can be read.
pub const FALLBACK_AVAILABLE_BYTES: u64 = 4 << 30;

/// Environment variable that overrides [`available_bytes`] (bytes, or with a `K`, `M`, `G`, `T`
/// suffix, powers of 1024): e.g. `SQZ_MEMORY_LIMIT=8G`.
pub const MEMORY_LIMIT_ENV: &str = "SQZ_MEMORY_LIMIT";

/// Largest N considered when searching for the largest N that fits.
const N_SEARCH_MAX: usize = crate::N_MAX_FULL;

/// A linear operator of this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// the assembled CSR matrix ([`crate::csr`])
    Csr,
    /// the matrix-free operator on the full space ([`crate::matfree`])
    MatrixFree,
    /// the matrix-free operator on the weak-parity block ([`crate::parity`])
    ParityBlock,
}

impl Operator {
    fn describe(self) -> &'static str {
        match self {
            Operator::Csr => "the CSR matrix of Eq. 3",
            Operator::MatrixFree => {
                "the matrix-free Liouvillian (input, output and scratch vectors)"
            }
            Operator::ParityBlock => {
                "the parity-block Liouvillian (input, output and scratch vectors)"
            }
        }
    }

    /// Bytes this operator needs at `n` (saturating at `u64::MAX`).
    pub fn bytes(self, n: usize) -> u64 {
        let e = estimate_with(n, 0);
        match self {
            Operator::Csr => e.csr_bytes,
            Operator::MatrixFree => e.matfree_bytes,
            Operator::ParityBlock => e.parity_bytes,
        }
    }
}

/// Something to be allocated: an operator, `k` Krylov vectors, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    operator: Option<Operator>,
    krylov_vectors: usize,
    parity_space: bool,
}

impl Requirement {
    /// An operator alone.
    pub fn operator(op: Operator) -> Self {
        Self {
            operator: Some(op),
            krylov_vectors: 0,
            parity_space: op == Operator::ParityBlock,
        }
    }

    /// An operator plus a solver workspace of `k` vectors of its length.
    pub fn solve(op: Operator, k: usize) -> Self {
        Self {
            krylov_vectors: k,
            ..Self::operator(op)
        }
    }

    /// A solver workspace of `k` vectors, full space or parity block.
    pub fn workspace(k: usize, parity: bool) -> Self {
        Self {
            operator: None,
            krylov_vectors: k,
            parity_space: parity,
        }
    }

    /// Bytes needed at `n` (saturating).
    pub fn bytes(&self, n: usize) -> u64 {
        let e = estimate_with(n, self.krylov_vectors);
        let ws = if self.parity_space {
            e.workspace_parity_bytes
        } else {
            e.workspace_bytes
        };
        let op = self.operator.map_or(0, |o| o.bytes(n));
        op.saturating_add(if self.krylov_vectors > 0 { ws } else { 0 })
    }

    /// Largest N (from 1) whose requirement fits in `available` bytes.
    pub fn largest_n(&self, available: u64) -> Option<usize> {
        (1..=N_SEARCH_MAX)
            .take_while(|&n| self.bytes(n) <= available)
            .last()
    }

    /// In words, at `n`.
    pub fn at(&self, n: usize) -> String {
        let mut s = match self.operator {
            Some(o) => o.describe().to_string(),
            None => String::new(),
        };
        if self.krylov_vectors > 0 {
            if !s.is_empty() {
                s.push_str(" plus ");
            }
            s.push_str(&format!(
                "a solver workspace of {} Krylov vectors{}",
                self.krylov_vectors,
                if self.parity_space {
                    " (parity block)"
                } else {
                    ""
                }
            ));
        }
        format!("{s} at N = {n}")
    }
}

/// The bytes each representation needs at one N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// number of TLS
    pub n: usize,
    /// Liouville-space dimension `4^N`
    pub dim: u64,
    /// dimension of the parity block, `4^N / 2`
    pub parity_dim: u64,
    /// upper bound on the CSR nonzeros, `(2N^2 - N + 1) 4^N` (exact unless coefficients vanish)
    pub csr_nnz: u64,
    /// CSR bytes at the assembly peak
    pub csr_bytes: u64,
    /// one full-space vector, `16 * 4^N`
    pub vector_bytes: u64,
    /// scratch the matrix-free operator owns (two full vectors, per-task buffers, tables)
    pub matfree_scratch_bytes: u64,
    /// matrix-free apply footprint: input + output + scratch
    pub matfree_bytes: u64,
    /// one parity-block vector, `8 * 4^N`
    pub parity_vector_bytes: u64,
    /// scratch of the parity-block operator
    pub parity_scratch_bytes: u64,
    /// parity-block apply footprint: input + output + scratch
    pub parity_bytes: u64,
    /// Krylov vectors in the workspace estimate
    pub krylov_vectors: usize,
    /// `krylov_vectors` full-space vectors
    pub workspace_bytes: u64,
    /// `krylov_vectors` parity-block vectors
    pub workspace_parity_bytes: u64,
}

fn sat(x: u128) -> u64 {
    x.min(u64::MAX as u128) as u64
}

/// [`estimate_with`] with [`DEFAULT_KRYLOV_VECTORS`].
pub fn estimate(n: usize) -> MemoryEstimate {
    estimate_with(n, DEFAULT_KRYLOV_VECTORS)
}

/// Byte estimates at `n` with a solver workspace of `k` Krylov vectors. Saturates at `u64::MAX`
/// for absurd N instead of overflowing.
pub fn estimate_with(n: usize, k: usize) -> MemoryEstimate {
    let nn = n.min(60) as u32;
    let d: u128 = 1u128 << nn;
    let dim: u128 = d * d;
    let nnz = (2 * n as u128 * n as u128 + 1).saturating_sub(n as u128) * dim;
    let csr = nnz * 24 + 2 * (dim + 1) * 8;
    let vec_b = 16 * dim;
    let half_b = 8 * dim;
    let tasks = kernel::task_count() as u128;
    let lanes = kernel::LANES as u128;
    // local buffers: two site-major lane buffers of D sites per task
    let locals = tasks * 2 * d * lanes * 16;
    let tables = d * 16 * 2 + (n as u128 * n as u128) * 128;
    // scratch vectors are padded to whole tiles of LANES rows
    let pad = |rows: u128| rows.div_ceil(lanes) * lanes * d * 16 * 2;
    let mf_scratch = pad(d) + locals + tables;
    let par_scratch = pad((d / 2).max(1)) + locals + tables;
    MemoryEstimate {
        n,
        dim: sat(dim),
        parity_dim: sat(dim / 2),
        csr_nnz: sat(nnz),
        csr_bytes: sat(csr),
        vector_bytes: sat(vec_b),
        matfree_scratch_bytes: sat(mf_scratch),
        matfree_bytes: sat(2 * vec_b + mf_scratch),
        parity_vector_bytes: sat(half_b),
        parity_scratch_bytes: sat(par_scratch),
        parity_bytes: sat(2 * half_b + par_scratch),
        krylov_vectors: k,
        workspace_bytes: sat(k as u128 * vec_b),
        workspace_parity_bytes: sat(k as u128 * half_b),
    }
}

/// Parses `123`, `1.5G`, `512M`, `64k` (powers of 1024; a trailing `B`/`iB` is allowed).
pub fn parse_bytes(s: &str) -> Option<u64> {
    let t = s.trim().to_ascii_uppercase();
    let t = t
        .strip_suffix("IB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(&t);
    let (num, mult) = match t.chars().last()? {
        'K' => (&t[..t.len() - 1], 1u64 << 10),
        'M' => (&t[..t.len() - 1], 1 << 20),
        'G' => (&t[..t.len() - 1], 1 << 30),
        'T' => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    let v: f64 = num.trim().parse().ok()?;
    (v.is_finite() && v >= 0.0).then(|| (v * mult as f64).min(u64::MAX as f64) as u64)
}

fn read_u64(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn meminfo_available() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = s.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb.saturating_mul(1024))
}

fn cgroup_available() -> Option<u64> {
    // cgroup v2 (Slurm, containers), then v1
    if let Ok(max) = std::fs::read_to_string("/sys/fs/cgroup/memory.max") {
        let max: u64 = max.trim().parse().ok()?; // "max" means no limit
        let cur = read_u64("/sys/fs/cgroup/memory.current").unwrap_or(0);
        return Some(max.saturating_sub(cur));
    }
    let lim = read_u64("/sys/fs/cgroup/memory/memory.limit_in_bytes")?;
    if lim >= 1 << 60 {
        return None;
    }
    let used = read_u64("/sys/fs/cgroup/memory/memory.usage_in_bytes").unwrap_or(0);
    Some(lim.saturating_sub(used))
}

/// Bytes available for new allocations: `$SQZ_MEMORY_LIMIT` if set; otherwise `MemAvailable`
/// from `/proc/meminfo`, capped by the cgroup memory limit (minus current usage) when there is
/// one; [`FALLBACK_AVAILABLE_BYTES`] if nothing can be read.
pub fn available_bytes() -> u64 {
    if let Some(v) = std::env::var(MEMORY_LIMIT_ENV)
        .ok()
        .and_then(|s| parse_bytes(&s))
    {
        return v;
    }
    let mem = meminfo_available();
    match (mem, cgroup_available()) {
        (Some(m), Some(c)) => m.min(c),
        (Some(m), None) => m,
        (None, Some(c)) => c,
        (None, None) => FALLBACK_AVAILABLE_BYTES,
    }
}

/// The memory guard: `Ok` if `needed` bytes fit in [`available_bytes`]; otherwise
/// [`SuperopError::TooLarge`] naming `what`, the estimate, the bytes available and the largest N
/// for which `what` fits.
pub fn check(what: &Requirement, needed: u64) -> Result<(), SuperopError> {
    check_against(what, needed, available_bytes(), None)
}

/// [`check`] against a given number of available bytes; `n` (if known) goes into the message.
pub fn check_against(
    what: &Requirement,
    needed: u64,
    available: u64,
    n: Option<usize>,
) -> Result<(), SuperopError> {
    if needed <= available {
        return Ok(());
    }
    let n = n.unwrap_or_else(|| (1..=64).find(|&n| what.bytes(n) >= needed).unwrap_or(0));
    Err(SuperopError::TooLarge {
        what: what.at(n),
        needed_bytes: needed,
        available_bytes: available,
        largest_n: what.largest_n(available),
    })
}

/// The guard as the constructors call it: `what` at `n`.
pub(crate) fn guard(what: Requirement, n: usize) -> Result<(), SuperopError> {
    check_against(&what, what.bytes(n), available_bytes(), Some(n))
}

/// `1.50 GiB`-style rendering.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.2} {}", UNITS[u])
    }
}

/// Rows for `sqz info --n N`: what each representation needs at `n` (bytes), with a solver
/// workspace of [`DEFAULT_KRYLOV_VECTORS`] vectors, and the bytes available now.
pub fn memory_table(n: usize) -> Vec<(String, u64)> {
    memory_table_with(n, DEFAULT_KRYLOV_VECTORS)
}

/// [`memory_table`] with `k` Krylov vectors.
pub fn memory_table_with(n: usize, k: usize) -> Vec<(String, u64)> {
    let e = estimate_with(n, k);
    vec![
        (
            format!("one full-space vector (4^N = {} complex numbers)", e.dim),
            e.vector_bytes,
        ),
        (
            format!(
                "CSR matrix (nnz <= {}, complex + index per entry)",
                e.csr_nnz
            ),
            e.csr_bytes,
        ),
        (
            "matrix-free operator (input, output, scratch)".to_string(),
            e.matfree_bytes,
        ),
        (
            format!("one parity-block vector ({} complex numbers)", e.parity_dim),
            e.parity_vector_bytes,
        ),
        (
            "parity-block operator (input, output, scratch)".to_string(),
            e.parity_bytes,
        ),
        (
            format!("solver workspace, {k} Krylov vectors, full space"),
            e.workspace_bytes,
        ),
        (
            format!("solver workspace, {k} Krylov vectors, parity block"),
            e.workspace_parity_bytes,
        ),
        (
            "available now (MemAvailable / cgroup / $SQZ_MEMORY_LIMIT)".to_string(),
            available_bytes(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_scale_and_saturate() {
        let e = estimate(8);
        assert_eq!(e.dim, 65536);
        assert_eq!(e.csr_nnz, (2 * 64 - 8 + 1) * 65536);
        assert_eq!(e.vector_bytes, 16 * 65536);
        assert_eq!(e.workspace_bytes, 40 * 16 * 65536);
        assert!(e.parity_bytes < e.matfree_bytes);
        assert!(e.matfree_bytes >= 4 * e.vector_bytes);
        let big = estimate(40);
        assert_eq!(big.csr_bytes, u64::MAX);
    }

    #[test]
    fn guard_message_names_estimate_available_and_largest_n() {
        let req = Requirement::operator(Operator::Csr);
        let avail = req.bytes(8) + 1;
        assert!(check_against(&req, req.bytes(8), avail, Some(8)).is_ok());
        let err = check_against(&req, req.bytes(9), avail, Some(9)).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("N = 9"), "{msg}");
        assert!(msg.contains(&req.bytes(9).to_string()), "{msg}");
        assert!(msg.contains(&avail.to_string()), "{msg}");
        assert!(msg.contains("largest N that fits is 8"), "{msg}");
        assert!(matches!(
            err,
            SuperopError::TooLarge {
                largest_n: Some(8),
                ..
            }
        ));
        let e = check_against(&req, u64::MAX, 10, Some(3)).unwrap_err();
        assert!(e.to_string().contains("not even N = 1"), "{e}");
    }

    #[test]
    fn parse_bytes_units() {
        assert_eq!(parse_bytes("123"), Some(123));
        assert_eq!(parse_bytes("2K"), Some(2048));
        assert_eq!(parse_bytes("1.5G"), Some(3 << 29));
        assert_eq!(parse_bytes("8GiB"), Some(8 << 30));
        assert_eq!(parse_bytes("x"), None);
        assert!(available_bytes() > 0);
    }

    #[test]
    fn table_has_every_representation() {
        let t = memory_table(6);
        assert!(t.len() >= 7);
        assert!(t.iter().any(|(s, _)| s.contains("CSR")));
        assert!(t.iter().any(|(s, _)| s.contains("parity")));
        assert_eq!(
            Requirement::solve(Operator::ParityBlock, 10).bytes(6),
            estimate_with(6, 10).parity_bytes + 10 * 8 * 4096
        );
    }
}
