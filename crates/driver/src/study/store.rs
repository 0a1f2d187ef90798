//! Results of a study in memory, their HDF5 layout (`docs/hdf5-layout.md`), resume and compare.
//!
//! The whole result file is rewritten by write-then-rename ([`crate::h5::write_atomically`]) at
//! every checkpoint: a file on disk is always complete and consistent (a task is marked
//! `completed` only together with its values), and a kill at any moment loses at most the tasks
//! finished since the last checkpoint. The files are small (about 200 bytes per configuration),
//! so rewriting is cheap next to the solves.

use super::spec::Study;
use super::task::{method, status, TaskResult, FILL};
use crate::h5;
use anyhow::{bail, Context};
use hdf5::types::{FloatSize, IntSize, TypeDescriptor, VarLenUnicode};
use hdf5::{Group, Location};
use std::path::Path;

/// `format` attribute of a study result file.
pub const FORMAT: &str = "sqz-disorder-study";
/// `format_version` attribute; bump when the layout changes incompatibly.
pub const FORMAT_VERSION: u64 = 1;

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
    /// fraction of configurations with xi^2 < 1
    pub squeezed_fraction: Vec<f64>,
}

/// Mean, sample standard deviation (ddof = 1) and standard error; zeros when undefined.
pub fn stats(v: &[f64]) -> (f64, f64, f64) {
    let n = v.len();
    if n == 0 {
        return (0.0, 0.0, 0.0);
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
        }
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
        }
    }

    /// Per-w statistics over successful configurations.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for wi in 0..self.n_w {
            let range = wi * self.n_c..(wi + 1) * self.n_c;
            let ok: Vec<usize> = range.filter(|&t| self.status[t] == status::OK).collect();
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
                0.0
            } else {
                sq as f64 / ok_steady.len() as f64
            });
        }
        s
    }

    /// Writes the whole file atomically (temporary name, then rename).
    pub fn write(&self, path: &Path, study: &Study, info: &RunInfo) -> anyhow::Result<()> {
        h5::write_atomically(path, |f| self.fill(f, study, info))
            .with_context(|| format!("writing {}", path.display()))
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
            ds(&g, name, &[n_w], v, "w", long, "1")?;
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
            let ok: Vec<usize> = (wi * n_c..(wi + 1) * n_c)
                .filter(|&t| self.status[t] == status::OK)
                .collect();
            for j in 0..k {
                let v: Vec<f64> = ok.iter().map(|&t| self.trace[t * k + j]).collect();
                let (m, sd, se) = stats(&v);
                mean.push(m);
                std.push(sd);
                sem.push(se);
            }
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
            ds(&g, name, &[n_w, k], v, "w,t", long, "1")?;
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

    /// Loads the results of an existing file for `study`; refuses a file of another study.
    pub fn load(path: &Path, study: &Study) -> anyhow::Result<Self> {
        let f = hdf5::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let fmt = read_str(&f, "format").unwrap_or_default();
        if fmt != FORMAT {
            bail!(
                "{} is not a sqz disorder-study result file (format {fmt:?}); choose another --out, or --fresh to overwrite it",
                path.display()
            );
        }
        let ver = f.attr("format_version")?.read_scalar::<u64>()?;
        if ver != FORMAT_VERSION {
            bail!(
                "{} has layout version {ver}, this sqz writes version {FORMAT_VERSION}; use --fresh to start over or another --out",
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
        let mut s = Self::new(study);
        let t = s.tasks();
        let g = f.group("steady")?;
        s.status = read::<u8>(&g, "status", t)?;
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
                 the random streams changed. Use --fresh",
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
        let versions = read_str(&f, "code_versions").unwrap_or_default();
        s.code_versions = versions.lines().map(str::to_string).collect();
        let me = h5::code_version();
        if !s.code_versions.contains(&me) {
            s.code_versions.push(me);
        }
        if let Some(bad) = s.status.iter().find(|&&x| x > status::FAILED) {
            bail!("{}: invalid status code {bad}", path.display());
        }
        Ok(s)
    }
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
    let f = hdf5::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    Ok(FileStatus {
        done: f.attr("tasks_done")?.read_scalar()?,
        total: f.attr("tasks_total")?.read_scalar()?,
        failed: f.attr("tasks_failed")?.read_scalar()?,
        hash: read_str(&f, "study_hash")?,
    })
}

/// Datasets whose values depend on timing, not on the physics: left out of [`compare`].
pub const TIMING_DATASETS: &[&str] = &["/steady/seconds"];

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
    let fa = hdf5::File::open(a).with_context(|| format!("opening {}", a.display()))?;
    let fb = hdf5::File::open(b).with_context(|| format!("opening {}", b.display()))?;
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
    let fa = hdf5::File::open(a).with_context(|| format!("opening {}", a.display()))?;
    let fb = hdf5::File::open(b).with_context(|| format!("opening {}", b.display()))?;
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
        assert_eq!(stats(&[]), (0.0, 0.0, 0.0));
        assert_eq!(stats(&[2.0]), (2.0, 0.0, 0.0));
        let (m, s, e) = stats(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        assert!((s - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert!((e - s / 2.0).abs() < 1e-15);
    }
}
