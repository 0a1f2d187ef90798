//! Results of a study in memory, their HDF5 layout (`docs/hdf5-layout.md`), checkpoints, resume
//! and compare.
//!
//! Writing (`docs/reliability.md`):
//! * a **full write** ([`Store::write`]) creates the whole file under a temporary name
//!   ([`crate::h5::temp_path`]) and renames it over the result: at the start of every run, and
//!   whenever failed tasks must be recorded (their messages are an attribute);
//! * a **checkpoint** ([`Store::update`]) rewrites in place only the rows of the tasks finished
//!   since the last write (every per-task dataset is allocated at full size by the full write),
//!   then the small summary and the progress attributes: its cost grows with the new rows, not
//!   with the study. Its writes are ordered so that a kill at any point leaves a consistent file:
//!   first the values of the new rows with their checksums (flushed and `fsync`ed), then their
//!   `status`, `completed` and `ok` masks, then the summary and `tasks_done`. A task counts as
//!   done only through its `status`, which is written after its values.
//!
//! Reading ([`Store::load`]) verifies what it resumes: format, study hash, positions, masks, that
//! every value of a finished task is finite, and that each finished task's row matches the
//! checksum stored with it (`steady/checksum`, FNV-1a 64 of the row); a damaged file is refused
//! with the tasks that do not match.

use super::spec::Study;
use super::task::{method, status, TaskResult, FILL};
use crate::h5;
use anyhow::{bail, Context};
use hdf5::types::{FloatSize, IntSize, TypeDescriptor, VarLenUnicode};
use hdf5::{Group, Location};
use std::path::Path;

/// `format` attribute of a study result file.
pub const FORMAT: &str = "sqz-disorder-study";
/// `format_version` attribute; bump when the layout changes incompatibly. Version 2 added
/// `steady/checksum` (files of version 1 are resumed after a finiteness check and upgraded).
pub const FORMAT_VERSION: u64 = 2;
/// Versions this build resumes.
pub const FORMAT_VERSIONS_READ: [u64; 2] = [1, 2];

/// Per-w statistics over the configurations that succeeded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// successful configurations per w
    pub count: Vec<u64>,
    /// mean of 1/xi^2
    pub inv_xi2_mean: Vec<f64>,
    /// sample standard deviation (ddof = 1) of 1/xi^2
    pub inv_xi2_std: Vec<f64>,
    /// standard error of the mean, std / sqrt(count)
    pub inv_xi2_sem: Vec<f64>,
    /// mean of xi^2
    pub xi2_mean: Vec<f64>,
    /// sample standard deviation of xi^2
    pub xi2_std: Vec<f64>,
    /// standard error of xi^2
    pub xi2_sem: Vec<f64>,
    /// fraction of configurations with xi^2 < 1 ([`FILL`] when `count` is 0)
    pub squeezed_fraction: Vec<f64>,
}

/// Mean, sample standard deviation (ddof = 1) and standard error. With no values (every
/// configuration of a w failed) there is no mean: all three are [`FILL`] (-1); with one value
/// the standard deviation and error are 0. Never a NaN or inf: non-finite inputs give [`FILL`]
/// too (they cannot occur: results and resumed files are checked to be finite).
pub fn stats(v: &[f64]) -> (f64, f64, f64) {
    let n = v.len();
    if n == 0 || v.iter().any(|x| !x.is_finite()) {
        return (FILL, FILL, FILL);
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, 0.0, 0.0);
    }
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    let std = var.sqrt();
    (mean, std, std / (n as f64).sqrt())
}

/// All results of a study, indexed by task (`w_index * configurations + configuration`).
#[derive(Debug, Clone)]
pub struct Store {
    /// number of TLS
    pub n: usize,
    /// number of w values
    pub n_w: usize,
    /// configurations per w
    pub n_c: usize,
    /// [`status`] per task
    pub status: Vec<u8>,
    /// positions, `[task][i]`
    pub positions: Vec<f64>,
    /// xi^2
    pub xi2: Vec<f64>,
    /// 1/xi^2
    pub inv_xi2: Vec<f64>,
    /// mean spin, `[task][3]`
    pub mean_spin: Vec<f64>,
    /// [`method`] code
    pub method: Vec<u8>,
    /// gap-estimate matvecs
    pub iterations: Vec<u64>,
    /// residual
    pub residual: Vec<f64>,
    /// gap
    pub gap: Vec<f64>,
    /// error bound
    pub error_bound: Vec<f64>,
    /// bound met
    pub bound_met: Vec<u8>,
    /// smallest eigenvalue of rho
    pub min_eigenvalue: Vec<f64>,
    /// wall time per task
    pub seconds: Vec<f64>,
    /// output times of the traces (empty without traces)
    pub times: Vec<f64>,
    /// `1/xi^2(t)`, `[task][time]`
    pub trace: Vec<f64>,
    /// operator applications of the propagation, per task
    pub trace_matvecs: Vec<u64>,
    /// messages of failed tasks, in task order
    pub errors: std::collections::BTreeMap<u64, String>,
    /// every code version that wrote to this file
    pub code_versions: Vec<String>,
    /// whether the study computes steady states (else the steady values are fill values)
    pub steady: bool,
    /// FNV-1a 64 of each finished task's row ([`Store::row_checksum`]); 0 while pending
    pub checksum: Vec<u64>,
    /// tasks finished since the last write (rows a checkpoint must write)
    dirty: std::collections::BTreeSet<u64>,
    /// failed tasks not on disk yet: their messages need a full write
    failed_unwritten: std::collections::BTreeSet<u64>,
}

impl Store {
    /// Empty results for `study` (positions filled in: they are known in advance).
    pub fn new(study: &Study) -> Self {
        let t = study.tasks() as usize;
        let n = study.params.n();
        let mut positions = Vec::with_capacity(t * n);
        for task in 0..t as u64 {
            positions.extend(study.positions(task));
        }
        Self {
            n,
            n_w: study.n_w(),
            n_c: study.configurations as usize,
            status: vec![status::PENDING; t],
            positions,
            xi2: vec![FILL; t],
            inv_xi2: vec![FILL; t],
            mean_spin: vec![0.0; 3 * t],
            method: vec![method::NONE; t],
            iterations: vec![0; t],
            residual: vec![FILL; t],
            gap: vec![FILL; t],
            error_bound: vec![FILL; t],
            bound_met: vec![0; t],
            min_eigenvalue: vec![0.0; t],
            seconds: vec![FILL; t],
            times: study.trace_times(),
            trace: vec![FILL; t * study.trace_points()],
            trace_matvecs: vec![0; t],
            errors: Default::default(),
            code_versions: vec![h5::code_version()],
            steady: study.steady.is_some(),
            checksum: vec![0; t],
            dirty: Default::default(),
            failed_unwritten: Default::default(),
        }
    }

    /// FNV-1a 64 of everything stored for task `t` (status, every value, the trace, the failure
    /// message), never 0 (0 marks a pending task). Bytes are little-endian.
    pub fn row_checksum(&self, t: usize) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for b in bytes {
                h ^= *b as u64;
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        eat(&[self.status[t], self.method[t], self.bound_met[t]]);
        for v in [
            self.xi2[t],
            self.inv_xi2[t],
            self.residual[t],
            self.gap[t],
            self.error_bound[t],
            self.min_eigenvalue[t],
            self.seconds[t],
        ]
        .iter()
        .chain(&self.mean_spin[3 * t..3 * t + 3])
        {
            eat(&v.to_le_bytes());
        }
        eat(&self.iterations[t].to_le_bytes());
        eat(&self.trace_matvecs[t].to_le_bytes());
        let k = self.times.len();
        for v in &self.trace[t * k..(t + 1) * k] {
            eat(&v.to_le_bytes());
        }
        if let Some(e) = self.errors.get(&(t as u64)) {
            eat(e.as_bytes());
        }
        h.max(1)
    }

    /// Whether a checkpoint has rows to write.
    pub fn has_unwritten(&self) -> bool {
        !self.dirty.is_empty()
    }

    /// Whether failed tasks wait for a full write.
    pub fn has_unwritten_failures(&self) -> bool {
        !self.failed_unwritten.is_empty()
    }

    /// Number of tasks.
    pub fn tasks(&self) -> usize {
        self.status.len()
    }

    /// Tasks finished (successfully or not).
    pub fn done(&self) -> u64 {
        self.status
            .iter()
            .filter(|&&s| s != status::PENDING)
            .count() as u64
    }

    /// Tasks that failed.
    pub fn failed(&self) -> u64 {
        self.status.iter().filter(|&&s| s == status::FAILED).count() as u64
    }

    /// Tasks still to do, in order.
    pub fn pending(&self) -> Vec<u64> {
        (0..self.tasks() as u64)
            .filter(|&t| self.status[t as usize] == status::PENDING)
            .collect()
    }

    /// Stores one result.
    ///
    /// # Panics
    /// If the task number is out of range (a protocol bug).
    pub fn insert(&mut self, r: &TaskResult) {
        let t = r.task as usize;
        assert!(t < self.tasks(), "task {t} out of range");
        self.status[t] = r.status;
        self.xi2[t] = r.xi2;
        self.inv_xi2[t] = r.inv_xi2;
        self.mean_spin[3 * t..3 * t + 3].copy_from_slice(&r.mean_spin);
        self.method[t] = r.method;
        self.iterations[t] = r.iterations;
        self.residual[t] = r.residual;
        self.gap[t] = r.gap;
        self.error_bound[t] = r.error_bound;
        self.bound_met[t] = r.bound_met;
        self.min_eigenvalue[t] = r.min_eigenvalue;
        self.seconds[t] = r.seconds;
        let k = self.times.len();
        assert_eq!(r.trace.len(), k, "trace length of task {t}");
        self.trace[t * k..(t + 1) * k].copy_from_slice(&r.trace);
        self.trace_matvecs[t] = r.trace_matvecs;
        if r.status == status::FAILED {
            self.errors.insert(r.task, r.error.clone());
            self.failed_unwritten.insert(r.task);
        }
        self.checksum[t] = self.row_checksum(t);
        self.dirty.insert(r.task);
    }

    /// Per-w statistics over successful configurations.
    pub fn summary(&self) -> Summary {
        self.summary_with(|t| self.status[t])
    }

    /// [`Store::summary`] with the status of each task given by `status_of`.
    fn summary_with(&self, status_of: impl Fn(usize) -> u8) -> Summary {
        let mut s = Summary::default();
        for wi in 0..self.n_w {
            let range = wi * self.n_c..(wi + 1) * self.n_c;
            let ok: Vec<usize> = range.filter(|&t| status_of(t) == status::OK).collect();
            // without steady states there is nothing to average (count stays: the ok tasks)
            let ok_steady: &[usize] = if self.steady { &ok } else { &[] };
            let inv: Vec<f64> = ok_steady.iter().map(|&t| self.inv_xi2[t]).collect();
            let xi: Vec<f64> = ok_steady.iter().map(|&t| self.xi2[t]).collect();
            let (m, sd, se) = stats(&inv);
            s.inv_xi2_mean.push(m);
            s.inv_xi2_std.push(sd);
            s.inv_xi2_sem.push(se);
            let (m, sd, se) = stats(&xi);
            s.xi2_mean.push(m);
            s.xi2_std.push(sd);
            s.xi2_sem.push(se);
            s.count.push(ok.len() as u64);
            let sq = xi.iter().filter(|&&x| x < 1.0).count();
            s.squeezed_fraction.push(if ok_steady.is_empty() {
                FILL
            } else {
                sq as f64 / ok_steady.len() as f64
            });
        }
        s
    }

    /// Writes the whole file atomically (temporary name, then rename): the full write.
    pub fn write(&mut self, path: &Path, study: &Study, info: &RunInfo) -> anyhow::Result<()> {
        h5::write_atomically(path, |f| self.fill(f, study, info))
            .with_context(|| format!("writing {}", path.display()))?;
        self.dirty.clear();
        self.failed_unwritten.clear();
        Ok(())
    }

    /// Status as a checkpoint writes it: failed tasks whose messages are not on disk yet look
    /// pending (they are recorded by the next full write).
    fn disk_status(&self, t: usize) -> u8 {
        if self.failed_unwritten.contains(&(t as u64)) {
            status::PENDING
        } else {
            self.status[t]
        }
    }

    /// The checkpoint (module docs): writes in place the rows of the tasks finished since the
    /// last write, except failed tasks (they wait for [`Store::write`]), then the summary and
    /// the progress attributes. The file must have been written by [`Store::write`] of this
    /// study. Cost: the new rows (per w, the span of columns between the first and the last new
    /// one) plus the `W`-sized summary.
    pub fn update(&mut self, path: &Path, study: &Study) -> anyhow::Result<()> {
        let rows: Vec<u64> = self
            .dirty
            .iter()
            .copied()
            .filter(|t| !self.failed_unwritten.contains(t))
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        self.update_rows(path, study, &rows)
            .with_context(|| format!("checkpoint of {}", path.display()))?;
        for t in rows {
            self.dirty.remove(&t);
        }
        Ok(())
    }

    fn update_rows(&self, path: &Path, study: &Study, rows: &[u64]) -> anyhow::Result<()> {
        let n_c = self.n_c;
        // per w index: the span of columns to write
        let mut spans: Vec<(usize, usize, usize)> = Vec::new();
        for &t in rows {
            let (wi, c) = (t as usize / n_c, t as usize % n_c);
            match spans.last_mut() {
                Some(sp) if sp.0 == wi => sp.2 = c + 1,
                _ => spans.push((wi, c, c + 1)),
            }
        }
        let f = open_retrying(path, true)?;
        let hash = read_str(&f, "study_hash")?;
        if hash != study.hash() {
            bail!(
                "{} now holds another study ({hash}): it was replaced during the run",
                path.display()
            );
        }
        let g = f.group("steady")?;
        let tr = if study.traces.is_some() {
            Some(f.group("traces")?)
        } else {
            None
        };
        let k = self.times.len();
        // 1. values and checksums of the new rows
        for &(wi, c0, c1) in &spans {
            let (t0, t1) = (wi * n_c + c0, wi * n_c + c1);
            let sel = (wi, c0..c1);
            for (name, v) in [
                ("xi2", &self.xi2),
                ("inv_xi2", &self.inv_xi2),
                ("residual", &self.residual),
                ("gap", &self.gap),
                ("error_bound", &self.error_bound),
                ("min_eigenvalue", &self.min_eigenvalue),
                ("seconds", &self.seconds),
            ] {
                g.dataset(name)?.write_slice(&v[t0..t1], sel.clone())?;
            }
            g.dataset("method")?
                .write_slice(&self.method[t0..t1], sel.clone())?;
            g.dataset("bound_met")?
                .write_slice(&self.bound_met[t0..t1], sel.clone())?;
            g.dataset("iterations")?
                .write_slice(&self.iterations[t0..t1], sel.clone())?;
            let ms =
                ndarray::ArrayView2::from_shape((t1 - t0, 3), &self.mean_spin[3 * t0..3 * t1])?;
            g.dataset("mean_spin")?.write_slice(ms, (wi, c0..c1, ..))?;
            if let Some(tg) = &tr {
                let v = ndarray::ArrayView2::from_shape((t1 - t0, k), &self.trace[k * t0..k * t1])?;
                tg.dataset("inv_xi2")?.write_slice(v, (wi, c0..c1, ..))?;
                tg.dataset("matvecs")?
                    .write_slice(&self.trace_matvecs[t0..t1], sel.clone())?;
            }
            let cs: Vec<u64> = (t0..t1)
                .map(|t| {
                    if self.disk_status(t) == status::PENDING {
                        0
                    } else {
                        self.checksum[t]
                    }
                })
                .collect();
            g.dataset("checksum")?.write_slice(&cs[..], sel)?;
        }
        f.flush()?;
        h5::sync_file(path)?;
        // 2. the masks, status last: only now do these tasks count as done
        for &(wi, c0, c1) in &spans {
            let (t0, t1) = (wi * n_c + c0, wi * n_c + c1);
            let st: Vec<u8> = (t0..t1).map(|t| self.disk_status(t)).collect();
            let completed: Vec<u8> = st.iter().map(|&s| (s != status::PENDING) as u8).collect();
            let ok: Vec<u8> = st.iter().map(|&s| (s == status::OK) as u8).collect();
            g.dataset("completed")?
                .write_slice(&completed[..], (wi, c0..c1))?;
            g.dataset("ok")?.write_slice(&ok[..], (wi, c0..c1))?;
            g.dataset("status")?.write_slice(&st[..], (wi, c0..c1))?;
        }
        f.flush()?;
        // 3. summary and progress (what the status on disk says)
        let s = self.summary_with(|t| self.disk_status(t));
        let sg = f.group("summary")?;
        for (name, v) in [
            ("inv_xi2_mean", &s.inv_xi2_mean),
            ("inv_xi2_std", &s.inv_xi2_std),
            ("inv_xi2_sem", &s.inv_xi2_sem),
            ("xi2_mean", &s.xi2_mean),
            ("xi2_std", &s.xi2_std),
            ("xi2_sem", &s.xi2_sem),
            ("squeezed_fraction", &s.squeezed_fraction),
        ] {
            sg.dataset(name)?.write_raw(&v[..])?;
        }
        sg.dataset("count")?.write_raw(&s.count[..])?;
        if let Some(tg) = &tr {
            let mut done_w: Vec<usize> = spans.iter().map(|sp| sp.0).collect();
            done_w.dedup();
            for wi in done_w {
                let (m, sd, se) = self.trace_stats_with(wi, |t| self.disk_status(t));
                for (name, v) in [
                    ("inv_xi2_mean", m),
                    ("inv_xi2_std", sd),
                    ("inv_xi2_sem", se),
                ] {
                    tg.dataset(name)?.write_slice(&v[..], (wi, ..))?;
                }
            }
        }
        let st_disk: Vec<u8> = (0..self.tasks()).map(|t| self.disk_status(t)).collect();
        let done = st_disk.iter().filter(|&&x| x != status::PENDING).count() as u64;
        let failed = st_disk.iter().filter(|&&x| x == status::FAILED).count() as u64;
        f.attr("tasks_done")?.write_scalar(&done)?;
        f.attr("tasks_failed")?.write_scalar(&failed)?;
        f.attr("complete")?
            .write_scalar(&((done == self.tasks() as u64) as u8))?;
        f.flush()?;
        drop(f);
        h5::sync_file(path)?;
        Ok(())
    }

    fn trace_stats_with(
        &self,
        wi: usize,
        status_of: impl Fn(usize) -> u8,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (n_c, k) = (self.n_c, self.times.len());
        let ok: Vec<usize> = (wi * n_c..(wi + 1) * n_c)
            .filter(|&t| status_of(t) == status::OK)
            .collect();
        let (mut mean, mut std, mut sem) = (Vec::new(), Vec::new(), Vec::new());
        for j in 0..k {
            let v: Vec<f64> = ok.iter().map(|&t| self.trace[t * k + j]).collect();
            let (m, sd, se) = stats(&v);
            mean.push(m);
            std.push(sd);
            sem.push(se);
        }
        (mean, std, sem)
    }

    fn fill(&self, f: &hdf5::File, study: &Study, info: &RunInfo) -> anyhow::Result<()> {
        let p = &study.params;
        let (n_w, n_c, n) = (self.n_w, self.n_c, self.n);
        h5::attr_str(f, "format", FORMAT)?;
        h5::attr_u64(f, "format_version", FORMAT_VERSION)?;
        h5::attr_str(f, "git_hash", env!("SQZ_GIT_HASH"))?;
        h5::attr_str(f, "code_versions", &self.code_versions.join("\n"))?;
        h5::attr_str(f, "study_toml", &study.text)?;
        h5::attr_str(f, "study_normalised", &study.normalised())?;
        h5::attr_str(f, "study_hash", &study.hash())?;
        h5::attr_str(f, "study_file", &info.study_file)?;
        h5::attr_str(f, "description", &study.description)?;
        h5::attr_u64(f, "n", p.n() as u64)?;
        h5::attr_f64(f, "r", p.r())?;
        h5::attr_f64(f, "alpha", p.alpha())?;
        h5::attr_f64(f, "delta", p.delta())?;
        h5::attr_u64(f, "seed", study.seed)?;
        h5::attr_u64(f, "configurations", study.configurations)?;
        h5::attr_u64(f, "n_w", n_w as u64)?;
        h5::attr_str(f, "stream_rule", super::spec::STREAM_RULE)?;
        h5::attr_str(
            f,
            "units",
            "rates and Delta in A, times in 1/A, lengths (w, positions) in zeta",
        )?;
        attr_u8(f, "steady", study.steady.is_some() as u8)?;
        if let Some(so) = study.steady {
            h5::attr_f64(f, "steady_tol", so.tol)?;
            attr_u8(f, "steady_estimate_gap", so.estimate_gap as u8)?;
        }
        attr_u8(f, "traces", study.traces.is_some() as u8)?;
        h5::attr_u64(f, "tasks_total", self.tasks() as u64)?;
        h5::attr_u64(f, "tasks_done", self.done())?;
        h5::attr_u64(f, "tasks_failed", self.failed())?;
        attr_u8(f, "complete", (self.done() == self.tasks() as u64) as u8)?;
        h5::attr_str(f, "last_run", &info.describe())?;

        let wds = ds(f, "w", &[n_w], &study.w, "w", "disorder strength w", "zeta")?;
        h5::attr_str(&wds, "w_text", &study.w_text.join(", "))?;
        let w_pi: Vec<f64> = study.w.iter().map(|w| w / std::f64::consts::PI).collect();
        ds(f, "w_over_pi", &[n_w], &w_pi, "w", "w / pi", "pi zeta")?;
        let cfg: Vec<u64> = (0..n_c as u64).collect();
        ds(
            f,
            "configuration",
            &[n_c],
            &cfg,
            "configuration",
            "configuration index (random stream = w_index * 2^32 + configuration)",
            "1",
        )?;
        ds(
            f,
            "positions",
            &[n_w, n_c, n],
            &self.positions,
            "w,configuration,tls",
            "TLS positions z_i = 2 pi i + w chi_i",
            "zeta",
        )?;

        let g = f.create_group("steady")?;
        let d2 = [n_w, n_c];
        let dims = "w,configuration";
        let st = ds(
            &g,
            "status",
            &d2,
            &self.status,
            dims,
            "0 not computed, 1 ok, 2 failed",
            "1",
        )?;
        flags(&st, &[0, 1, 2], "pending ok failed")?;
        let completed: Vec<u8> = self
            .status
            .iter()
            .map(|&s| (s != status::PENDING) as u8)
            .collect();
        ds(
            &g,
            "completed",
            &d2,
            &completed,
            dims,
            "1 when the task finished (ok or failed)",
            "1",
        )?;
        let ok: Vec<u8> = self
            .status
            .iter()
            .map(|&s| (s == status::OK) as u8)
            .collect();
        ds(
            &g,
            "ok",
            &d2,
            &ok,
            dims,
            "1 when the values are valid (mask)",
            "1",
        )?;
        for (name, v, long) in [
            ("xi2", &self.xi2, "Wineland parameter xi_R^2"),
            ("inv_xi2", &self.inv_xi2, "1 / xi_R^2"),
        ] {
            let d = ds(&g, name, &d2, v, dims, long, "1")?;
            h5::attr_f64(&d, "fill_value", FILL)?;
        }
        ds(
            &g,
            "mean_spin",
            &[n_w, n_c, 3],
            &self.mean_spin,
            "w,configuration,xyz",
            "mean spin (<S^x>, <S^y>, <S^z>)",
            "1",
        )?;
        let m = ds(
            &g,
            "method",
            &d2,
            &self.method,
            dims,
            "steady-state method",
            "1",
        )?;
        let mut codes: Vec<u8> = (0..method::NAMES.len() as u8).collect();
        codes.push(method::OTHER);
        flags(&m, &codes, &(method::NAMES.join(" ") + " other"))?;
        ds(
            &g,
            "iterations",
            &d2,
            &self.iterations,
            dims,
            "Arnoldi matvecs of the gap estimate (0: direct solve only)",
            "1",
        )?;
        for (name, v, long, unit) in [
            ("residual", &self.residual, "|L rho|_F", "A"),
            (
                "gap",
                &self.gap,
                "slowest relaxation rate min |Re lambda| (-1: not estimated)",
                "A",
            ),
            (
                "error_bound",
                &self.error_bound,
                "residual / gap, estimate of |rho - rho_exact|_F (-1: no gap)",
                "1",
            ),
            ("seconds", &self.seconds, "wall time of the solve", "s"),
        ] {
            let d = ds(&g, name, &d2, v, dims, long, unit)?;
            h5::attr_f64(&d, "fill_value", FILL)?;
        }
        ds(
            &g,
            "bound_met",
            &d2,
            &self.bound_met,
            dims,
            "1 when error_bound <= steady_tol",
            "1",
        )?;
        ds(
            &g,
            "min_eigenvalue",
            &d2,
            &self.min_eigenvalue,
            dims,
            "smallest eigenvalue of rho",
            "1",
        )?;
        let cs = ds(
            &g,
            "checksum",
            &d2,
            &self.checksum,
            dims,
            "FNV-1a 64 of the task's stored values, status and failure message (0: not computed); \
             verified on resume",
            "1",
        )?;
        h5::attr_str(
            &cs,
            "definition",
            "FNV-1a 64 over, little-endian: status, method, bound_met (u8); xi2, inv_xi2, residual, \
             gap, error_bound, min_eigenvalue, seconds, mean_spin[0..3] (f64); iterations, \
             traces/matvecs (u64); traces/inv_xi2 row (f64); the failure message (UTF-8); 0 is \
             replaced by 1",
        )?;
        let failures: Vec<String> = self
            .errors
            .iter()
            .map(|(t, e)| {
                let (wi, c) = (*t as usize / n_c, *t as usize % n_c);
                format!("w_index {wi} configuration {c}: {e}")
            })
            .collect();
        h5::attr_str(&g, "failures", &failures.join("\n"))?;

        let s = self.summary();
        let g = f.create_group("summary")?;
        ds(
            &g,
            "count",
            &[n_w],
            &s.count,
            "w",
            "successful configurations",
            "1",
        )?;
        for (name, v, long) in [
            (
                "inv_xi2_mean",
                &s.inv_xi2_mean,
                "mean of 1/xi^2 over configurations",
            ),
            (
                "inv_xi2_std",
                &s.inv_xi2_std,
                "sample standard deviation (ddof = 1) of 1/xi^2",
            ),
            (
                "inv_xi2_sem",
                &s.inv_xi2_sem,
                "standard error of the mean of 1/xi^2",
            ),
            ("xi2_mean", &s.xi2_mean, "mean of xi^2"),
            (
                "xi2_std",
                &s.xi2_std,
                "sample standard deviation (ddof = 1) of xi^2",
            ),
            ("xi2_sem", &s.xi2_sem, "standard error of the mean of xi^2"),
            (
                "squeezed_fraction",
                &s.squeezed_fraction,
                "fraction of configurations with xi^2 < 1",
            ),
        ] {
            let d = ds(&g, name, &[n_w], v, "w", long, "1")?;
            h5::attr_f64(&d, "fill_value", FILL)?;
        }
        h5::attr_u64(&g, "std_ddof", 1)?;
        if let Some((xi2, inv)) = info.ideal {
            h5::attr_f64(&g, "xi2_ideal", xi2)?;
            h5::attr_f64(&g, "inv_xi2_ideal", inv)?;
        }
        if let Some(to) = study.traces {
            self.fill_traces(f, to, info)?;
        }
        Ok(())
    }

    /// The `/traces` group (Fig. 4(a-c)).
    fn fill_traces(
        &self,
        f: &hdf5::File,
        to: super::spec::TraceOpts,
        info: &RunInfo,
    ) -> anyhow::Result<()> {
        let (n_w, n_c, k) = (self.n_w, self.n_c, self.times.len());
        let g = f.create_group("traces")?;
        h5::attr_f64(&g, "t_max", to.t_max)?;
        h5::attr_f64(&g, "tol", to.tol)?;
        h5::attr_str(&g, "initial_state", "all TLS in |g> (|j,-j>)")?;
        ds(&g, "t", &[k], &self.times, "t", "time", "1/A")?;
        let d = ds(
            &g,
            "inv_xi2",
            &[n_w, n_c, k],
            &self.trace,
            "w,configuration,t",
            "1/xi_R^2(t) (0 where the mean spin vanishes; -1 where not computed)",
            "1",
        )?;
        h5::attr_f64(&d, "fill_value", FILL)?;
        ds(
            &g,
            "matvecs",
            &[n_w, n_c],
            &self.trace_matvecs,
            "w,configuration",
            "operator applications of the Krylov propagation",
            "1",
        )?;
        let (mut mean, mut std, mut sem) = (Vec::new(), Vec::new(), Vec::new());
        for wi in 0..n_w {
            let (m, sd, se) = self.trace_stats_with(wi, |t| self.status[t]);
            mean.extend(m);
            std.extend(sd);
            sem.extend(se);
        }
        for (name, v, long) in [
            (
                "inv_xi2_mean",
                &mean,
                "mean of 1/xi^2(t) over the ok configurations",
            ),
            (
                "inv_xi2_std",
                &std,
                "sample standard deviation (ddof = 1) of 1/xi^2(t)",
            ),
            (
                "inv_xi2_sem",
                &sem,
                "standard error of the mean of 1/xi^2(t)",
            ),
        ] {
            let d = ds(&g, name, &[n_w, k], v, "w,t", long, "1")?;
            h5::attr_f64(&d, "fill_value", FILL)?;
        }
        if let Some(ideal) = &info.ideal_trace {
            ds(
                &g,
                "inv_xi2_ideal",
                &[k],
                ideal,
                "t",
                "1/xi^2(t) at ideal positions (w = 0)",
                "1",
            )?;
        }
        Ok(())
    }

    /// Loads the results of an existing file for `study`; refuses a file of another study and a
    /// damaged file (module docs: masks, finite values, checksums).
    pub fn load(path: &Path, study: &Study) -> anyhow::Result<Self> {
        let f = open_read(path)?;
        let fmt = read_str(&f, "format").unwrap_or_default();
        if fmt != FORMAT {
            bail!(
                "{} is not a sqz disorder-study result file (format {fmt:?}); choose another --out, or --fresh to overwrite it",
                path.display()
            );
        }
        let ver = f.attr("format_version")?.read_scalar::<u64>()?;
        if !FORMAT_VERSIONS_READ.contains(&ver) {
            bail!(
                "{} has layout version {ver}, this sqz reads versions {FORMAT_VERSIONS_READ:?}; use --fresh to start over or another --out",
                path.display()
            );
        }
        let hash = read_str(&f, "study_hash")?;
        if hash != study.hash() {
            let file = read_str(&f, "study_file").unwrap_or_default();
            bail!(
                "{} holds the results of a different study (study hash {hash}, from {file:?}); this study \
                 has hash {}: the two would be mixed. Use another --out, or --fresh to discard the old results",
                path.display(),
                study.hash()
            );
        }
        let damaged = |what: String| {
            anyhow::anyhow!(
                "{} is damaged: {what}. It is not resumed (its results could enter the summary \
                 wrongly): restore a copy, or move it away and start over (--fresh)",
                path.display()
            )
        };
        let mut s = Self::new(study);
        let t = s.tasks();
        let g = f.group("steady")?;
        let status_raw = read::<u8>(&g, "status", t)?;
        if let Some(bad) = status_raw.iter().position(|&x| x > status::FAILED) {
            return Err(damaged(format!(
                "invalid status code {} at {}",
                status_raw[bad],
                s.task_name(bad)
            )));
        }
        s.xi2 = read(&g, "xi2", t)?;
        s.inv_xi2 = read(&g, "inv_xi2", t)?;
        s.mean_spin = read(&g, "mean_spin", 3 * t)?;
        s.method = read(&g, "method", t)?;
        s.iterations = read(&g, "iterations", t)?;
        s.residual = read(&g, "residual", t)?;
        s.gap = read(&g, "gap", t)?;
        s.error_bound = read(&g, "error_bound", t)?;
        s.bound_met = read(&g, "bound_met", t)?;
        s.min_eigenvalue = read(&g, "min_eigenvalue", t)?;
        s.seconds = read(&g, "seconds", t)?;
        if study.traces.is_some() {
            let g = f.group("traces")?;
            let times: Vec<f64> = read(&g, "t", s.times.len())?;
            if times
                .iter()
                .zip(&s.times)
                .any(|(a, b)| a.to_bits() != b.to_bits())
            {
                bail!(
                    "{}: the stored trace times differ from the study's",
                    path.display()
                );
            }
            s.trace = read(&g, "inv_xi2", s.trace.len())?;
            s.trace_matvecs = read(&g, "matvecs", t)?;
        }
        let positions: Vec<f64> = read(&f, "positions", s.positions.len())?;
        if positions
            .iter()
            .zip(&s.positions)
            .any(|(a, b)| a.to_bits() != b.to_bits())
        {
            bail!(
                "{}: the stored positions differ from the ones this build draws for the same study; \
                 the random streams changed (or the file is damaged). Use --fresh",
                path.display()
            );
        }
        for line in read_str(&g, "failures")?.lines() {
            // "w_index W configuration C: message"
            let mut it = line.splitn(2, ": ");
            let head = it.next().unwrap_or("");
            let msg = it.next().unwrap_or("").to_string();
            let nums: Vec<u64> = head
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            if let [wi, c] = nums[..] {
                s.errors.insert(wi * s.n_c as u64 + c, msg);
            }
        }
        let stored_checksum: Option<Vec<u64>> = if ver >= 2 {
            Some(read(&g, "checksum", t)?)
        } else {
            None
        };
        // pending rows: whatever a checkpoint killed half-way left there is dropped
        let k = s.times.len();
        for task in 0..t {
            if status_raw[task] == status::PENDING {
                s.reset_row(task);
            }
        }
        s.status = status_raw;
        s.errors
            .retain(|&task, _| s.status[task as usize] == status::FAILED);
        // finished rows: finite values, matching checksums
        let mut bad = Vec::new();
        for task in 0..t {
            if s.status[task] == status::PENDING {
                continue;
            }
            let mut vals = vec![
                ("xi2", s.xi2[task]),
                ("inv_xi2", s.inv_xi2[task]),
                ("residual", s.residual[task]),
                ("gap", s.gap[task]),
                ("error_bound", s.error_bound[task]),
                ("min_eigenvalue", s.min_eigenvalue[task]),
                ("seconds", s.seconds[task]),
            ];
            for i in 0..3 {
                vals.push(("mean_spin", s.mean_spin[3 * task + i]));
            }
            for j in 0..k {
                vals.push(("traces/inv_xi2", s.trace[task * k + j]));
            }
            if let Some((name, v)) = vals.iter().find(|(_, v)| !v.is_finite()) {
                return Err(damaged(format!(
                    "{name} of {} is {v}, not a finite number",
                    s.task_name(task)
                )));
            }
            s.checksum[task] = s.row_checksum(task);
            if let Some(cs) = &stored_checksum {
                if cs[task] != s.checksum[task] {
                    bad.push(task);
                }
            }
        }
        if !bad.is_empty() {
            let names: Vec<String> = bad.iter().take(5).map(|&x| s.task_name(x)).collect();
            return Err(damaged(format!(
                "the stored values of {} finished task(s) do not match their checksums \
                 (steady/checksum), first: {}",
                bad.len(),
                names.join("; ")
            )));
        }
        if stored_checksum.is_some() {
            // the masks are derived from the status and written before it: a finished task must
            // have both set as its status says
            let completed: Vec<u8> = read(&g, "completed", t)?;
            let ok: Vec<u8> = read(&g, "ok", t)?;
            for task in 0..t {
                let st = s.status[task];
                if st != status::PENDING
                    && ((completed[task] == 0) || ((ok[task] != 0) != (st == status::OK)))
                {
                    return Err(damaged(format!(
                        "steady/completed or steady/ok disagrees with steady/status at {}",
                        s.task_name(task)
                    )));
                }
            }
        }
        let versions = read_str(&f, "code_versions").unwrap_or_default();
        s.code_versions = versions.lines().map(str::to_string).collect();
        let me = h5::code_version();
        if !s.code_versions.contains(&me) {
            s.code_versions.push(me);
        }
        Ok(s)
    }

    /// `w_index K configuration C` of a task.
    pub fn task_name(&self, t: usize) -> String {
        format!("w_index {} configuration {}", t / self.n_c, t % self.n_c)
    }

    /// Fill values in the row of task `t` (pending).
    fn reset_row(&mut self, t: usize) {
        self.status[t] = status::PENDING;
        self.xi2[t] = FILL;
        self.inv_xi2[t] = FILL;
        self.mean_spin[3 * t..3 * t + 3].copy_from_slice(&[0.0; 3]);
        self.method[t] = method::NONE;
        self.iterations[t] = 0;
        self.residual[t] = FILL;
        self.gap[t] = FILL;
        self.error_bound[t] = FILL;
        self.bound_met[t] = 0;
        self.min_eigenvalue[t] = 0.0;
        self.seconds[t] = FILL;
        let k = self.times.len();
        self.trace[t * k..(t + 1) * k]
            .iter_mut()
            .for_each(|v| *v = FILL);
        self.trace_matvecs[t] = 0;
        self.checksum[t] = 0;
    }
}

/// Opens a result file for reading. A checkpoint holds HDF5's own lock on the file for a few
/// milliseconds: an open that meets it is retried for up to 2 s.
pub fn open_read(path: &Path) -> anyhow::Result<hdf5::File> {
    open_retrying(path, false)
}

/// [`open_read`], or for writing (a reader's open blocks a checkpoint the same way).
fn open_retrying(path: &Path, write: bool) -> anyhow::Result<hdf5::File> {
    let mut last = None;
    for _ in 0..80 {
        let r = if write {
            hdf5::File::open_rw(path)
        } else {
            hdf5::File::open(path)
        };
        match r {
            Ok(f) => return Ok(f),
            Err(e) if e.to_string().contains("lock") => {
                last = Some(e);
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!(
                    "opening {} (not an HDF5 file, or damaged)",
                    path.display()
                )))
            }
        }
    }
    Err(anyhow::Error::new(last.expect("at least one try"))
        .context(format!("opening {}: it stays locked", path.display())))
}

/// What is known about the run that writes a file (not part of the results).
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    /// path of the study file
    pub study_file: String,
    /// MPI ranks
    pub ranks: usize,
    /// compute threads per rank
    pub threads: usize,
    /// `(xi2, 1/xi2)` at ideal positions (w = 0), for plots
    pub ideal: Option<(f64, f64)>,
    /// `1/xi^2(t)` at ideal positions, when the study has traces
    pub ideal_trace: Option<Vec<f64>>,
}

impl RunInfo {
    fn describe(&self) -> String {
        format!(
            "{} MPI rank(s), {} compute thread(s) per rank",
            self.ranks, self.threads
        )
    }
}

fn attr_u8(loc: &Location, name: &str, v: u8) -> anyhow::Result<()> {
    loc.new_attr::<u8>()
        .create(name)?
        .write_scalar(&v)
        .with_context(|| format!("attribute {name}"))
}

fn flags(loc: &Location, values: &[u8], meanings: &str) -> anyhow::Result<()> {
    loc.new_attr::<u8>()
        .shape([values.len()])
        .create("flag_values")?
        .write_raw(values)?;
    h5::attr_str(loc, "flag_meanings", meanings)
}

/// Creates an n-D dataset from row-major data with `dims`, `long_name` and `units` attributes.
fn ds<T: hdf5::H5Type>(
    g: &Group,
    name: &str,
    shape: &[usize],
    data: &[T],
    dims: &str,
    long_name: &str,
    units: &str,
) -> anyhow::Result<hdf5::Dataset> {
    debug_assert_eq!(shape.iter().product::<usize>(), data.len());
    let d = g
        .new_dataset::<T>()
        .shape(shape)
        .create(name)
        .with_context(|| format!("dataset {name}"))?;
    d.write_raw(data)
        .with_context(|| format!("dataset {name}"))?;
    h5::attr_str(&d, "dims", dims)?;
    h5::attr_str(&d, "long_name", long_name)?;
    h5::attr_str(&d, "units", units)?;
    Ok(d)
}

fn read<T: hdf5::H5Type>(g: &Group, name: &str, len: usize) -> anyhow::Result<Vec<T>> {
    let v = g
        .dataset(name)
        .and_then(|d| d.read_raw::<T>())
        .with_context(|| format!("reading dataset {name}"))?;
    if v.len() != len {
        bail!("dataset {name} has {} values, expected {len}", v.len());
    }
    Ok(v)
}

/// Reads a string attribute.
pub fn read_str(loc: &Location, name: &str) -> anyhow::Result<String> {
    Ok(loc
        .attr(name)
        .and_then(|a| a.read_scalar::<VarLenUnicode>())
        .with_context(|| format!("reading attribute {name}"))?
        .as_str()
        .to_string())
}

/// Progress recorded in a result file.
#[derive(Debug, Clone)]
pub struct FileStatus {
    /// tasks finished
    pub done: u64,
    /// tasks in the study
    pub total: u64,
    /// failed tasks
    pub failed: u64,
    /// study hash
    pub hash: String,
}

/// Reads the progress attributes of a result file.
pub fn file_status(path: &Path) -> anyhow::Result<FileStatus> {
    let f = open_read(path)?;
    Ok(FileStatus {
        done: f.attr("tasks_done")?.read_scalar()?,
        total: f.attr("tasks_total")?.read_scalar()?,
        failed: f.attr("tasks_failed")?.read_scalar()?,
        hash: read_str(&f, "study_hash")?,
    })
}

/// Datasets whose values depend on timing, not on the physics: left out of [`compare`] (the
/// checksum covers the wall time).
pub const TIMING_DATASETS: &[&str] = &["/steady/seconds", "/steady/checksum"];

fn collect_datasets(g: &Group, out: &mut Vec<String>) -> anyhow::Result<()> {
    for d in g.datasets()? {
        out.push(d.name());
    }
    for sub in g.groups()? {
        collect_datasets(&sub, out)?;
    }
    Ok(())
}

fn raw_bytes(d: &hdf5::Dataset) -> anyhow::Result<Vec<u8>> {
    let desc = d.dtype()?.to_descriptor()?;
    Ok(match desc {
        TypeDescriptor::Float(FloatSize::U8) => d
            .read_raw::<f64>()?
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
        TypeDescriptor::Unsigned(IntSize::U1) => d.read_raw::<u8>()?,
        TypeDescriptor::Unsigned(IntSize::U8) => d
            .read_raw::<u64>()?
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
        other => bail!("dataset {}: type {other:?} not compared", d.name()),
    })
}

/// Compares the result datasets of two study files bit for bit (all datasets except
/// [`TIMING_DATASETS`], and the study hash). Returns the names of the datasets that differ.
pub fn compare(a: &Path, b: &Path) -> anyhow::Result<Vec<String>> {
    let fa = open_read(a)?;
    let fb = open_read(b)?;
    let mut diff = Vec::new();
    if read_str(&fa, "study_hash")? != read_str(&fb, "study_hash")? {
        diff.push("study_hash (attribute)".to_string());
    }
    let (mut na, mut nb) = (Vec::new(), Vec::new());
    collect_datasets(&fa, &mut na)?;
    collect_datasets(&fb, &mut nb)?;
    na.sort();
    nb.sort();
    for name in na.iter().filter(|n| !nb.contains(n)) {
        diff.push(format!("{name} (only in {})", a.display()));
    }
    for name in nb.iter().filter(|n| !na.contains(n)) {
        diff.push(format!("{name} (only in {})", b.display()));
    }
    for name in na.iter().filter(|n| nb.contains(n)) {
        if TIMING_DATASETS.contains(&name.as_str()) {
            continue;
        }
        let (da, db) = (fa.dataset(name)?, fb.dataset(name)?);
        if da.shape() != db.shape() || raw_bytes(&da)? != raw_bytes(&db)? {
            diff.push(name.clone());
        }
    }
    Ok(diff)
}

/// Checks that `b` kept every task that `a` had finished: all per-task values of those tasks,
/// timings included, are equal bit for bit. A run resumed from `a` passes; a run that recomputed
/// them does not (their wall times differ). Returns the datasets that differ.
pub fn compare_kept(a: &Path, b: &Path) -> anyhow::Result<(u64, Vec<String>)> {
    let fa = open_read(a)?;
    let fb = open_read(b)?;
    if read_str(&fa, "study_hash")? != read_str(&fb, "study_hash")? {
        return Ok((0, vec!["study_hash (attribute)".into()]));
    }
    let ga = fa.group("steady")?;
    let gb = fb.group("steady")?;
    let done: Vec<u8> = ga.dataset("completed")?.read_raw()?;
    let tasks = done.len();
    let mut diff = Vec::new();
    for d in ga.datasets()? {
        let name = d.name();
        let short = name.rsplit('/').next().unwrap_or(&name).to_string();
        let (va, vb) = (raw_bytes(&d)?, raw_bytes(&gb.dataset(&short)?)?);
        if va.len() != vb.len() || va.len() % tasks != 0 {
            diff.push(name);
            continue;
        }
        let per = va.len() / tasks;
        let same = (0..tasks)
            .filter(|&t| done[t] != 0)
            .all(|t| va[t * per..(t + 1) * per] == vb[t * per..(t + 1) * per]);
        if !same {
            diff.push(name);
        }
    }
    Ok((done.iter().filter(|&&x| x != 0).count() as u64, diff))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics() {
        // no values: no mean (the fill value), never a NaN
        assert_eq!(stats(&[]), (FILL, FILL, FILL));
        assert_eq!(stats(&[1.0, f64::NAN]), (FILL, FILL, FILL));
        assert_eq!(stats(&[2.0]), (2.0, 0.0, 0.0));
        let (m, s, e) = stats(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        assert!((s - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert!((e - s / 2.0).abs() < 1e-15);
    }
}
