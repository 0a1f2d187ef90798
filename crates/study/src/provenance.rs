//! Who computed what (format 3, `/provenance` of `docs/hdf5-layout.md`): the hosts that
//! computed configurations and the runs that contributed to a result file, with their Slurm job
//! id and node list. The per-configuration `rank`, `host` and `run` are fields of the task-result
//! schema ([`crate::schema`]); this module keeps the two lists they index and their summary.

use crate::schema::{status, Columns, UNKNOWN};

/// Outside Slurm: the job id and node list of a run.
pub const NONE: &str = "none";

/// One run (one start of `sqz disorder`) that wrote to a result file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunRecord {
    /// `SLURM_JOB_ID`, or [`NONE`]
    pub job_id: String,
    /// `SLURM_RESTART_COUNT` (requeues of the job), 0 if unset
    pub restart: u64,
    /// `SLURM_JOB_NODELIST` (Slurm's compact form, e.g. `sqzn[1-3]`), or [`NONE`]
    pub node_list: String,
    /// MPI ranks (1 for a single process)
    pub ranks: u64,
    /// the host of each rank, in rank order, separated by spaces
    pub rank_hosts: String,
    /// start time, seconds since 1970-01-01 UTC
    pub started: u64,
    /// the code version of the run
    pub code_version: String,
    /// configurations this run computed that are saved in the file (updated by every
    /// checkpoint; a run killed between two checkpoints shows what its last one saved)
    pub saved: u64,
}

impl RunRecord {
    /// The record of this run, from the launcher's environment; `hosts` is the host of each rank.
    pub fn this_run(hosts: &[String]) -> Self {
        let env = |k: &str| {
            std::env::var(k)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        Self {
            job_id: env("SLURM_JOB_ID").unwrap_or_else(|| NONE.into()),
            restart: env("SLURM_RESTART_COUNT")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            node_list: env("SLURM_JOB_NODELIST")
                .or_else(|| env("SLURM_NODELIST"))
                .unwrap_or_else(|| NONE.into()),
            ranks: hosts.len().max(1) as u64,
            rank_hosts: hosts.join(" "),
            started: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            code_version: crate::code_version(),
            saved: 0,
        }
    }

    /// `job 12 (restart 1) on sqzn[1-3], 6 rank(s)`, or `no Slurm job, 1 rank(s)`.
    pub fn describe(&self) -> String {
        let job = if self.job_id == NONE {
            "no Slurm job".to_string()
        } else if self.restart > 0 {
            format!(
                "job {} (restart {}) on {}",
                self.job_id, self.restart, self.node_list
            )
        } else {
            format!("job {} on {}", self.job_id, self.node_list)
        };
        format!("{job}, {} rank(s)", self.ranks)
    }
}

/// The hosts and runs of a result file; the current run is the last.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// host names; `/provenance/host` indexes this list (it only grows)
    pub hosts: Vec<String>,
    /// every run that wrote the file, oldest first; `/provenance/run` indexes this list
    pub runs: Vec<RunRecord>,
    /// results this run has accepted (the saved ones become [`RunRecord::saved`])
    pub(crate) accepted: u64,
}

impl Provenance {
    /// The index of host `name` in [`Provenance::hosts`] (added if new).
    pub fn host_index(&mut self, name: &str) -> u64 {
        match self.hosts.iter().position(|h| h == name) {
            Some(i) => i as u64,
            None => {
                self.hosts.push(name.to_string());
                self.hosts.len() as u64 - 1
            }
        }
    }

    /// Starts a run: appends its record; returns its index.
    pub fn begin_run(&mut self, r: RunRecord) -> u64 {
        self.runs.push(r);
        self.accepted = 0;
        self.runs.len() as u64 - 1
    }

    /// The index of the current run ([`UNKNOWN`] before [`Provenance::begin_run`]).
    pub fn current_run(&self) -> u64 {
        (self.runs.len() as u64).checked_sub(1).unwrap_or(UNKNOWN)
    }

    /// [`RunRecord::saved`] of every run when `unsaved` results of this run are not on disk.
    pub fn saved(&self, unsaved: u64) -> Vec<u64> {
        let mut v: Vec<u64> = self.runs.iter().map(|r| r.saved).collect();
        if let Some(last) = v.last_mut() {
            *last = self.accepted.saturating_sub(unsaved);
        }
        v
    }
}

/// The configurations one host computed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostCount {
    /// host name
    pub host: String,
    /// finished configurations it computed
    pub configurations: u64,
    /// `(rank, configurations)`, by rank (ranks of all runs together)
    pub ranks: Vec<(u64, u64)>,
}

/// Configurations per host and per (host, rank), from the stored columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostSummary {
    /// every host of the file's list, in list order
    pub hosts: Vec<HostCount>,
    /// finished configurations with no recorded host (computed before format 3)
    pub unrecorded: u64,
    /// finished configurations per run (index of [`Provenance::runs`])
    pub per_run: Vec<u64>,
}

impl HostSummary {
    /// `hosts` (configurations per host and rank), `unrecorded` and `runs` (each run's record
    /// and configurations), as `sqz disorder status --json` reports them.
    pub fn json_fields(&self, p: &Provenance) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::json;
        let hosts: Vec<_> = self
            .hosts
            .iter()
            .map(|h| {
                let r: serde_json::Map<_, _> = h
                    .ranks
                    .iter()
                    .map(|(k, v)| (k.to_string(), json!(v)))
                    .collect();
                json!({"host": h.host, "configurations": h.configurations, "ranks": r})
            })
            .collect();
        let runs: Vec<_> = p
            .runs
            .iter()
            .zip(&self.per_run)
            .map(|(r, n)| {
                json!({"job_id": r.job_id, "restart": r.restart, "node_list": r.node_list,
                       "ranks": r.ranks, "rank_hosts": r.rank_hosts, "started": r.started,
                       "code_version": r.code_version, "saved": r.saved, "configurations": n})
            })
            .collect();
        serde_json::Map::from_iter([
            ("hosts".to_string(), json!(hosts)),
            ("unrecorded".to_string(), json!(self.unrecorded)),
            ("runs".to_string(), json!(runs)),
        ])
    }

    /// The same as text lines (`sqz disorder status`).
    pub fn text_lines(&self, p: &Provenance) -> Vec<String> {
        let mut out = vec!["  configurations per host (per rank):".to_string()];
        for h in self.hosts.iter().filter(|h| h.configurations > 0) {
            let r: Vec<String> = h
                .ranks
                .iter()
                .map(|(k, v)| format!("rank {k}: {v}"))
                .collect();
            let (name, n) = (&h.host, h.configurations);
            out.push(format!("    {name:<16} {n:>8}   ({})", r.join(", ")));
        }
        if self.unrecorded > 0 {
            out.push(format!(
                "    {:<16} {:>8}   (computed before format 3)",
                "not recorded", self.unrecorded
            ));
        }
        out.push(format!("  runs ({}):", p.runs.len()));
        for (i, (r, n)) in p.runs.iter().zip(&self.per_run).enumerate() {
            out.push(format!(
                "    run {i}: {}: {n} configuration(s) in the file",
                r.describe()
            ));
        }
        out
    }
}

/// Counts the finished configurations of `cols` per host, rank and run.
pub fn host_summary(p: &Provenance, cols: &Columns) -> HostSummary {
    let mut s = HostSummary {
        hosts: p
            .hosts
            .iter()
            .map(|h| HostCount {
                host: h.clone(),
                ..Default::default()
            })
            .collect(),
        unrecorded: 0,
        per_run: vec![0; p.runs.len()],
    };
    for (t, &st) in cols.status.iter().enumerate() {
        if st == status::PENDING {
            continue;
        }
        if let Some(n) = s.per_run.get_mut(cols.run[t] as usize) {
            *n += 1;
        }
        let Some(h) = s.hosts.get_mut(cols.host[t] as usize) else {
            s.unrecorded += 1;
            continue;
        };
        h.configurations += 1;
        match h.ranks.iter_mut().find(|(r, _)| *r == cols.rank[t]) {
            Some(e) => e.1 += 1,
            None => h.ranks.push((cols.rank[t], 1)),
        }
    }
    for h in &mut s.hosts {
        h.ranks.sort_unstable();
    }
    s
}

#[cfg(feature = "hdf5")]
pub use h5io::{of_file, read, write};

#[cfg(feature = "hdf5")]
mod h5io {
    use super::{Provenance, RunRecord};
    use crate::h5::{self, ds};
    use hdf5::types::VarLenUnicode;
    use hdf5::Group;
    use std::str::FromStr;

    fn strings(v: impl Iterator<Item = String>) -> anyhow::Result<Vec<VarLenUnicode>> {
        v.map(|s| VarLenUnicode::from_str(&s).map_err(|e| anyhow::anyhow!("{e}")))
            .collect()
    }

    /// The text columns of `/provenance/runs`: name, value, `long_name`.
    type TextColumn = (&'static str, fn(&RunRecord) -> String, &'static str);
    const TEXT_COLUMNS: [TextColumn; 4] = [
        (
            "job_id",
            |x| x.job_id.clone(),
            "SLURM_JOB_ID (none: not under Slurm)",
        ),
        (
            "node_list",
            |x| x.node_list.clone(),
            "SLURM_JOB_NODELIST (none: not under Slurm)",
        ),
        (
            "rank_hosts",
            |x| x.rank_hosts.clone(),
            "host of each rank, in rank order",
        ),
        (
            "code_version",
            |x| x.code_version.clone(),
            "code version of the run",
        ),
    ];
    /// The number columns of `/provenance/runs` (besides `saved`): name, value, `long_name`, units.
    type NumberColumn = (
        &'static str,
        fn(&RunRecord) -> u64,
        &'static str,
        &'static str,
    );
    const NUMBER_COLUMNS: [NumberColumn; 3] = [
        (
            "restart",
            |x| x.restart,
            "SLURM_RESTART_COUNT (requeues)",
            "1",
        ),
        ("ranks", |x| x.ranks, "MPI ranks", "1"),
        (
            "started",
            |x| x.started,
            "start of the run",
            "s since 1970-01-01 UTC",
        ),
    ];

    /// Writes the lists of `/provenance` (the group `g`); `saved` is [`RunRecord::saved`] per run.
    pub fn write(p: &Provenance, g: &Group, saved: &[u64]) -> anyhow::Result<()> {
        h5::attr_str(
            g,
            "description",
            "who computed each configuration: rank, host (index into hosts), run (index into \
             runs/*); the runs that wrote this file, oldest first",
        )?;
        let hosts = strings(p.hosts.iter().cloned())?;
        ds(
            g,
            "hosts",
            &[hosts.len()],
            &hosts,
            "host",
            "host names",
            "1",
        )?;
        let r = g.create_group("runs")?;
        let n = [p.runs.len()];
        for (name, f, long) in TEXT_COLUMNS {
            let v = strings(p.runs.iter().map(f))?;
            ds(&r, name, &n, &v, "run", long, "1")?;
        }
        for (name, f, long, units) in NUMBER_COLUMNS {
            let v: Vec<u64> = p.runs.iter().map(f).collect();
            ds(&r, name, &n, &v, "run", long, units)?;
        }
        let long = "configurations the run computed that are saved here";
        ds(&r, "saved", &n, saved, "run", long, "1")?;
        Ok(())
    }

    /// The provenance of a result file and its per-host summary (of the configurations whose
    /// status on disk is finished); `None` for a file older than format 3.
    pub fn of_file(
        path: &std::path::Path,
    ) -> anyhow::Result<Option<(Provenance, super::HostSummary)>> {
        let f = h5::open_read(path)?;
        let Ok(g) = f.group("provenance") else {
            return Ok(None);
        };
        let p = read(&g)?;
        let status: Vec<u8> = f.group("steady")?.dataset("status")?.read_raw()?;
        let t = status.len();
        let mut c = crate::schema::Columns::new(t, 0);
        c.status = status;
        c.rank = h5::read(&g, "rank", t)?;
        c.host = h5::read(&g, "host", t)?;
        c.run = h5::read(&g, "run", t)?;
        let s = super::host_summary(&p, &c);
        Ok(Some((p, s)))
    }

    /// Rewrites `runs/saved` in place (a checkpoint).
    pub fn write_saved(g: &Group, saved: &[u64]) -> anyhow::Result<()> {
        g.dataset("runs/saved")?.write_raw(saved)?;
        Ok(())
    }

    /// Reads the lists of `/provenance` (the group `g`).
    pub fn read(g: &Group) -> anyhow::Result<Provenance> {
        let text = |g: &Group, name: &str| -> anyhow::Result<Vec<String>> {
            let d = g.dataset(name)?;
            Ok(d.read_raw::<VarLenUnicode>()?
                .iter()
                .map(|s| s.as_str().to_string())
                .collect())
        };
        let hosts = text(g, "hosts")?;
        let r = g.group("runs")?;
        let job = text(&r, "job_id")?;
        let len = job.len();
        let nodes = text(&r, "node_list")?;
        let rank_hosts = text(&r, "rank_hosts")?;
        let code = text(&r, "code_version")?;
        let num = |name: &str| h5::read::<u64>(&r, name, len);
        let (restart, ranks, started, saved) = (
            num("restart")?,
            num("ranks")?,
            num("started")?,
            num("saved")?,
        );
        anyhow::ensure!(
            [nodes.len(), rank_hosts.len(), code.len()]
                .iter()
                .all(|&k| k == len),
            "the lists of provenance/runs differ in length"
        );
        let runs = (0..len)
            .map(|i| RunRecord {
                job_id: job[i].clone(),
                restart: restart[i],
                node_list: nodes[i].clone(),
                ranks: ranks[i],
                rank_hosts: rank_hosts[i].clone(),
                started: started[i],
                code_version: code[i].clone(),
                saved: saved[i],
            })
            .collect();
        Ok(Provenance {
            hosts,
            runs,
            accepted: 0,
        })
    }
}

#[cfg(feature = "hdf5")]
pub(crate) use h5io::write_saved;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::TaskResult;

    #[test]
    fn hosts_runs_and_summary() {
        let mut p = Provenance::default();
        assert_eq!(p.current_run(), UNKNOWN);
        assert_eq!(p.begin_run(RunRecord::this_run(&["a".into()])), 0);
        assert_eq!(p.host_index("a"), 0);
        assert_eq!(p.host_index("b"), 1);
        assert_eq!(p.host_index("a"), 0);
        let mut c = Columns::new(4, 0);
        for (t, (rank, host)) in [(0, 0), (1, 1), (2, 1)].into_iter().enumerate() {
            let mut r = TaskResult::filled(t as u64, 0);
            (r.rank, r.host, r.run) = (rank, host, 0);
            c.set_row(t, &r);
        }
        let s = host_summary(&p, &c);
        let count = |h: &HostCount| (h.host.clone(), h.configurations, h.ranks.clone());
        assert_eq!(count(&s.hosts[0]), ("a".into(), 1, vec![(0, 1)]));
        assert_eq!(count(&s.hosts[1]), ("b".into(), 2, vec![(1, 1), (2, 1)]));
        assert_eq!((s.unrecorded, s.per_run.clone()), (0, vec![3]));
        p.accepted = 3;
        assert_eq!(p.saved(1), vec![2]);
    }
}
