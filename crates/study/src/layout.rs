//! The HDF5 layout of a study's results (`docs/hdf5-layout.md`): full writes, in-place
//! checkpoints and the verified resume. The per-task datasets, their shapes and attributes come
//! from the schema ([`crate::schema::FIELDS`]); this module adds the study's parameters, the
//! masks, the checksums, the failure messages and the summaries.
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

use crate::h5::{self, attr_u8, ds, flags, open_read, open_retrying, read, read_str};
use crate::schema::FILL;
use crate::schema::{method, status, Elem, Field, Group as FieldGroup, Visit, VisitColumns, Width};
use crate::spec::Study;
use crate::store::{Store, Summary};
use anyhow::{bail, Context};
use hdf5::Group;
use std::path::Path;

/// `format` attribute of a study result file.
pub const FORMAT: &str = "sqz-disorder-study";
/// `format_version` attribute; bump when the layout changes. Version 2 added `steady/checksum`
/// (files of version 1 are resumed after a finiteness check and upgraded); version 3 added
/// `/provenance` (who computed each configuration, the runs; files of versions 1 and 2 are
/// resumed with their configurations marked "not recorded", and upgraded). Older builds refuse
/// version 3 files instead of resuming them and dropping the provenance.
pub const FORMAT_VERSION: u64 = 3;
/// Versions this build resumes.
pub const FORMAT_VERSIONS_READ: [u64; 3] = [1, 2, 3];
/// `definition` attribute of `steady/checksum`: the schema's fields in order.
const CHECKSUM_DEFINITION: &str =
    "FNV-1a 64 over, little-endian: status, method, bound_met (u8); xi2, inv_xi2, residual, \
     gap, error_bound, min_eigenvalue, seconds, mean_spin[0..3] (f64); iterations, \
     traces/matvecs (u64); traces/inv_xi2 row (f64); the failure message (UTF-8); 0 is \
     replaced by 1";

/// What is known about the run that writes a file (not part of the results).
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    /// path of the study file
    pub study_file: String,
    /// MPI ranks
    pub ranks: usize,
    /// compute threads per rank
    pub threads: usize,
    /// the host of each rank (empty: this host)
    pub hosts: Vec<String>,
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

/// The `/summary` datasets: name, values, `long_name`.
fn summary_datasets(s: &Summary) -> [(&'static str, &[f64], &'static str); 7] {
    [
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
    ]
}

/// The `/traces` statistics datasets: name and `long_name` (values: mean, std, sem).
const TRACE_STATS: [(&str, &str); 3] = [
    (
        "inv_xi2_mean",
        "mean of 1/xi^2(t) over the ok configurations",
    ),
    (
        "inv_xi2_std",
        "sample standard deviation (ddof = 1) of 1/xi^2(t)",
    ),
    ("inv_xi2_sem", "standard error of the mean of 1/xi^2(t)"),
];

/// The groups of the schema's fields in an open file (`/traces` only with traces,
/// `/provenance` from format 3 on).
struct FieldGroups {
    steady: Group,
    traces: Option<Group>,
    provenance: Option<Group>,
}

impl FieldGroups {
    fn of(&self, f: &Field) -> Option<&Group> {
        match f.group {
            FieldGroup::Steady => Some(&self.steady),
            FieldGroup::Traces => self.traces.as_ref(),
            FieldGroup::Provenance => self.provenance.as_ref(),
        }
    }
}

/// Writes whole columns as the datasets of the full write.
struct WriteColumns<'a> {
    groups: &'a FieldGroups,
    n_w: usize,
    n_c: usize,
    k: usize,
    err: Option<anyhow::Error>,
}

impl Visit for WriteColumns<'_> {
    fn visit<E: Elem>(&mut self, f: &Field, col: &[E]) {
        let Some(g) = self.groups.of(f).filter(|_| self.err.is_none()) else {
            return;
        };
        let mut shape = vec![self.n_w, self.n_c];
        if f.width != Width::One {
            shape.push(f.width.len(self.k));
        }
        let r = ds(g, f.dataset, &shape, col, f.dims(), f.long_name, f.units).and_then(|d| {
            if f.fill == FILL {
                h5::attr_f64(&d, "fill_value", FILL)?;
            } else if !f.is_result() {
                h5::attr_u64(&d, "fill_value", crate::schema::UNKNOWN)?;
            }
            Ok(())
        });
        self.err = r.err();
    }
}

/// Writes the rows `[t0, t1)` (w index `wi`, configurations `c0..c1`) of every column except
/// `status` in place (step 1 of a checkpoint).
struct WriteRows<'a> {
    groups: &'a FieldGroups,
    span: (usize, usize, usize),
    n_c: usize,
    k: usize,
    err: Option<anyhow::Error>,
}

impl WriteRows<'_> {
    fn write<E: Elem>(&self, f: &Field, col: &[E]) -> anyhow::Result<()> {
        let Some(g) = self.groups.of(f) else {
            return Ok(());
        };
        let (wi, c0, c1) = self.span;
        let (t0, t1) = (wi * self.n_c + c0, wi * self.n_c + c1);
        let d = g.dataset(f.dataset)?;
        if f.width == Width::One {
            d.write_slice(&col[t0..t1], (wi, c0..c1))?;
        } else {
            let w = f.width.len(self.k);
            let v = ndarray::ArrayView2::from_shape((t1 - t0, w), &col[w * t0..w * t1])?;
            d.write_slice(v, (wi, c0..c1, ..))?;
        }
        Ok(())
    }
}

impl Visit for WriteRows<'_> {
    fn visit<E: Elem>(&mut self, f: &Field, col: &[E]) {
        if f.name != "status" && self.err.is_none() {
            self.err = self.write(f, col).err();
        }
    }
}

/// Reads every column of an existing file (`/traces` only with traces).
struct ReadColumns<'a> {
    groups: &'a FieldGroups,
    err: Option<anyhow::Error>,
}

impl VisitColumns for ReadColumns<'_> {
    fn visit<E: Elem>(&mut self, f: &Field, col: &mut Vec<E>) {
        if let Some(g) = self.groups.of(f).filter(|_| self.err.is_none()) {
            match read(g, f.dataset, col.len()) {
                Ok(v) => *col = v,
                Err(e) => self.err = Some(e),
            }
        }
    }
}

/// The first non-finite value of a row: `(label, value)`.
#[derive(Default)]
struct FirstNonFinite(Option<(String, f64)>);

impl Visit for FirstNonFinite {
    fn visit<E: Elem>(&mut self, f: &Field, v: &[E]) {
        if self.0.is_none() {
            if let Some(x) = v.iter().find(|x| !x.finite()) {
                self.0 = Some((f.label(), x.as_f64()));
            }
        }
    }
}

impl Store {
    /// Writes the whole file atomically (temporary name, then rename): the full write.
    pub fn write(&mut self, path: &Path, study: &Study, info: &RunInfo) -> anyhow::Result<()> {
        h5::write_atomically(path, |f| self.fill(f, study, info))
            .with_context(|| format!("writing {}", path.display()))?;
        self.dirty.clear();
        self.failed_unwritten.clear();
        Ok(())
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
        let groups = FieldGroups {
            steady: f.group("steady")?,
            traces: study.traces.map(|_| f.group("traces")).transpose()?,
            provenance: Some(f.group("provenance")?),
        };
        let g = &groups.steady;
        // 1. values and checksums of the new rows
        for &span in &spans {
            let mut w = WriteRows {
                groups: &groups,
                span,
                n_c,
                k: self.times.len(),
                err: None,
            };
            self.cols.visit(&mut w);
            if let Some(e) = w.err {
                return Err(e);
            }
            let (wi, c0, c1) = span;
            let (t0, t1) = (wi * n_c + c0, wi * n_c + c1);
            let cs: Vec<u64> = (t0..t1)
                .map(|t| {
                    if self.disk_status(t) == status::PENDING {
                        0
                    } else {
                        self.checksum[t]
                    }
                })
                .collect();
            g.dataset("checksum")?.write_slice(&cs[..], (wi, c0..c1))?;
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
        for (name, v, _) in summary_datasets(&s) {
            sg.dataset(name)?.write_raw(v)?;
        }
        sg.dataset("count")?.write_raw(&s.count[..])?;
        if let Some(tg) = &groups.traces {
            let mut done_w: Vec<usize> = spans.iter().map(|sp| sp.0).collect();
            done_w.dedup();
            for wi in done_w {
                let (m, sd, se) = self.trace_stats_with(wi, |t| self.disk_status(t));
                for ((name, _), v) in TRACE_STATS.iter().zip([m, sd, se]) {
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
        if let Some(pg) = &groups.provenance {
            let unsaved = self.dirty.len() - rows.len();
            crate::provenance::write_saved(pg, &self.prov.saved(unsaved as u64))?;
        }
        f.flush()?;
        drop(f);
        h5::sync_file(path)?;
        Ok(())
    }

    fn fill(&self, f: &hdf5::File, study: &Study, info: &RunInfo) -> anyhow::Result<()> {
        let (n_w, n_c) = (self.n_w, self.n_c);
        self.fill_attrs(f, study, info)?;
        self.fill_axes(f, study)?;
        let groups = FieldGroups {
            steady: f.create_group("steady")?,
            traces: study
                .traces
                .map(|to| -> anyhow::Result<Group> {
                    let g = f.create_group("traces")?;
                    h5::attr_f64(&g, "t_max", to.t_max)?;
                    h5::attr_f64(&g, "tol", to.tol)?;
                    h5::attr_str(&g, "initial_state", "all TLS in |g> (|j,-j>)")?;
                    Ok(g)
                })
                .transpose()?,
            provenance: Some(f.create_group("provenance")?),
        };
        let mut w = WriteColumns {
            groups: &groups,
            n_w,
            n_c,
            k: self.times.len(),
            err: None,
        };
        self.cols.visit(&mut w);
        if let Some(e) = w.err {
            return Err(e);
        }
        self.fill_status(&groups.steady)?;
        self.fill_summary(f, info)?;
        if let Some(tg) = &groups.traces {
            self.fill_traces(tg, info)?;
        }
        if let Some(pg) = &groups.provenance {
            crate::provenance::write(&self.prov, pg, &self.prov.saved(0))?;
        }
        Ok(())
    }

    /// The root attributes: format, code, the study and its parameters, the progress.
    fn fill_attrs(&self, f: &hdf5::File, study: &Study, info: &RunInfo) -> anyhow::Result<()> {
        let p = &study.params;
        let n_w = self.n_w;
        h5::attr_str(f, "format", FORMAT)?;
        h5::attr_u64(f, "format_version", FORMAT_VERSION)?;
        h5::attr_str(f, "git_hash", crate::GIT_HASH)?;
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
        h5::attr_f64(f, "gamma_loss", p.gamma_loss())?;
        h5::attr_f64(f, "gamma_deph", p.gamma_deph())?;
        h5::attr_u64(f, "seed", study.seed)?;
        h5::attr_u64(f, "configurations", study.configurations)?;
        h5::attr_u64(f, "n_w", n_w as u64)?;
        h5::attr_str(f, "stream_rule", crate::spec::STREAM_RULE)?;
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

        Ok(())
    }

    /// The axes of every `(w, configuration)` dataset: `w` (with its `0+` flags), `w_over_pi`,
    /// `configuration`, and the positions of every task.
    fn fill_axes(&self, f: &hdf5::File, study: &Study) -> anyhow::Result<()> {
        let (n_w, n_c, n) = (self.n_w, self.n_c, self.n);
        let wds = ds(f, "w", &[n_w], &study.w, "w", "disorder strength w", "zeta")?;
        h5::attr_str(&wds, "w_text", &study.w_text.join(", "))?;
        if study.w_limit.iter().any(|&x| x) {
            // a "0+" w is stored as w = 0 with this flag (docs/hdf5-layout.md)
            let flags: Vec<u8> = study.w_limit.iter().map(|&x| x as u8).collect();
            let d = ds(
                f,
                "w_limit",
                &[n_w],
                &flags,
                "w",
                "1: the limit w -> 0+ of the steady state (w stored as 0), 0: w as given",
                "1",
            )?;
            h5::flags(&d, &[0, 1], "w 0+")?;
        }
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

        Ok(())
    }

    /// The status datasets of the `/steady` group beside its columns: flags of `status` and
    /// `method`, `completed`, `ok`, `checksum`, and the failure messages.
    fn fill_status(&self, g: &Group) -> anyhow::Result<()> {
        let n_c = self.n_c;
        let d2 = [self.n_w, n_c];
        let dims = "w,configuration";
        flags(&*g.dataset("status")?, &[0, 1, 2], "pending ok failed")?;
        let mut codes: Vec<u8> = (0..method::NAMES.len() as u8).collect();
        codes.push(method::OTHER);
        flags(
            &*g.dataset("method")?,
            &codes,
            &(method::NAMES.join(" ") + " other"),
        )?;
        let st = &self.cols.status;
        let completed: Vec<u8> = st.iter().map(|&s| (s != status::PENDING) as u8).collect();
        let long = "1 when the task finished (ok or failed)";
        ds(g, "completed", &d2, &completed, dims, long, "1")?;
        let ok: Vec<u8> = st.iter().map(|&s| (s == status::OK) as u8).collect();
        ds(
            g,
            "ok",
            &d2,
            &ok,
            dims,
            "1 when the values are valid (mask)",
            "1",
        )?;
        let long = "FNV-1a 64 of the task's stored values, status and failure message (0: not \
                    computed); verified on resume";
        let cs = ds(g, "checksum", &d2, &self.checksum, dims, long, "1")?;
        h5::attr_str(&cs, "definition", CHECKSUM_DEFINITION)?;
        let failures: Vec<String> = self
            .errors
            .iter()
            .map(|(t, e)| {
                let (wi, c) = (*t as usize / n_c, *t as usize % n_c);
                format!("w_index {wi} configuration {c}: {e}")
            })
            .collect();
        h5::attr_str(g, "failures", &failures.join("\n"))?;

        Ok(())
    }

    /// The `/summary` group: per-w statistics of the successful configurations.
    fn fill_summary(&self, f: &hdf5::File, info: &RunInfo) -> anyhow::Result<()> {
        let n_w = self.n_w;
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
        for (name, v, long) in summary_datasets(&s) {
            let d = ds(&g, name, &[n_w], v, "w", long, "1")?;
            h5::attr_f64(&d, "fill_value", FILL)?;
        }
        h5::attr_u64(&g, "std_ddof", 1)?;
        if let Some((xi2, inv)) = info.ideal {
            h5::attr_f64(&g, "xi2_ideal", xi2)?;
            h5::attr_f64(&g, "inv_xi2_ideal", inv)?;
        }
        Ok(())
    }

    /// The rest of the `/traces` group (Fig. 4(a-c)): times, statistics, the ideal trace.
    fn fill_traces(&self, g: &Group, info: &RunInfo) -> anyhow::Result<()> {
        let (n_w, k) = (self.n_w, self.times.len());
        ds(g, "t", &[k], &self.times, "t", "time", "1/A")?;
        let mut stats = [Vec::new(), Vec::new(), Vec::new()];
        for wi in 0..n_w {
            let (m, sd, se) = self.trace_stats_with(wi, |t| self.status(t));
            for (acc, v) in stats.iter_mut().zip([m, sd, se]) {
                acc.extend(v);
            }
        }
        for ((name, long), v) in TRACE_STATS.iter().zip(&stats) {
            let d = ds(g, name, &[n_w, k], v, "w,t", long, "1")?;
            h5::attr_f64(&d, "fill_value", FILL)?;
        }
        if let Some(ideal) = &info.ideal_trace {
            let long = "1/xi^2(t) at ideal positions (w = 0)";
            ds(g, "inv_xi2_ideal", &[k], ideal, "t", long, "1")?;
        }
        Ok(())
    }

    /// Loads the results of an existing file for `study`; refuses a file of another study and a
    /// damaged file (module docs: masks, finite values, checksums).
    pub fn load(path: &Path, study: &Study) -> anyhow::Result<Self> {
        let f = open_read(path)?;
        let ver = check_header(&f, path, study)?;
        let mut s = Self::new(study);
        let t = s.tasks();
        let groups = FieldGroups {
            steady: f.group("steady")?,
            traces: study.traces.map(|_| f.group("traces")).transpose()?,
            provenance: (ver >= 3).then(|| f.group("provenance")).transpose()?,
        };
        if let Some(pg) = &groups.provenance {
            s.prov = crate::provenance::read(pg)
                .map_err(|e| damaged(path, format!("its /provenance cannot be read ({e:#})")))?;
        }
        if let Some(tg) = &groups.traces {
            let times: Vec<f64> = read(tg, "t", s.times.len())?;
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
        }
        let mut rd = ReadColumns {
            groups: &groups,
            err: None,
        };
        s.cols.visit_mut(&mut rd);
        if let Some(e) = rd.err {
            return Err(e);
        }
        let g = &groups.steady;
        if let Some(bad) = s.cols.status.iter().position(|&x| x > status::FAILED) {
            return Err(damaged(
                path,
                format!(
                    "invalid status code {} at {}",
                    s.cols.status[bad],
                    s.task_name(bad)
                ),
            ));
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
        s.read_failures(&read_str(g, "failures")?);
        let stored_checksum: Option<Vec<u64>> = if ver >= 2 {
            Some(read(g, "checksum", t)?)
        } else {
            None
        };
        s.verify_rows(path, stored_checksum.as_deref())?;
        if stored_checksum.is_some() {
            s.verify_masks(path, g)?;
        }
        let versions = read_str(&f, "code_versions").unwrap_or_default();
        s.code_versions = versions.lines().map(str::to_string).collect();
        let me = crate::code_version();
        if !s.code_versions.contains(&me) {
            s.code_versions.push(me);
        }
        Ok(s)
    }
    /// The failure messages of the `/steady` group's `failures` attribute ("w_index W
    /// configuration C: message" per line) into `errors`.
    fn read_failures(&mut self, text: &str) {
        for line in text.lines() {
            // "w_index W configuration C: message"
            let mut it = line.splitn(2, ": ");
            let head = it.next().unwrap_or("");
            let msg = it.next().unwrap_or("").to_string();
            let nums: Vec<u64> = head
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            if let [wi, c] = nums[..] {
                self.errors.insert(wi * self.n_c as u64 + c, msg);
            }
        }
    }

    /// Drops half-written pending rows, then checks every finished row of a loaded file: finite
    /// values, provenance indices within their lists, and the stored checksums (`stored`, from
    /// layout version 2 on).
    fn verify_rows(&mut self, path: &Path, stored_checksum: Option<&[u64]>) -> anyhow::Result<()> {
        let s = self;
        let t = s.tasks();
        // pending rows: whatever a checkpoint killed half-way left there is dropped
        for task in 0..t {
            if s.status(task) == status::PENDING {
                s.reset_row(task);
            }
        }
        s.errors
            .retain(|&task, _| s.cols.status[task as usize] == status::FAILED);
        // finished rows: finite values, matching checksums
        let mut bad = Vec::new();
        for task in 0..t {
            if s.status(task) == status::PENDING {
                continue;
            }
            let mut nf = FirstNonFinite::default();
            s.cols.visit_row(task, s.times.len(), &mut nf);
            if let Some((name, v)) = nf.0 {
                return Err(damaged(
                    path,
                    format!(
                        "{name} of {} is {v}, not a finite number",
                        s.task_name(task)
                    ),
                ));
            }
            let (host, run) = (s.cols.host[task], s.cols.run[task]);
            let unknown = crate::schema::UNKNOWN;
            if (host != unknown && host >= s.prov.hosts.len() as u64)
                || (run != unknown && run >= s.prov.runs.len() as u64)
            {
                return Err(damaged(
                    path,
                    format!(
                        "provenance/host or provenance/run of {} points past its list",
                        s.task_name(task)
                    ),
                ));
            }
            s.checksum[task] = s.row_checksum(task);
            if let Some(cs) = stored_checksum {
                if cs[task] != s.checksum[task] {
                    bad.push(task);
                }
            }
        }
        if !bad.is_empty() {
            let names: Vec<String> = bad.iter().take(5).map(|&x| s.task_name(x)).collect();
            return Err(damaged(
                path,
                format!(
                    "the stored values of {} finished task(s) do not match their checksums \
                 (steady/checksum), first: {}",
                    bad.len(),
                    names.join("; ")
                ),
            ));
        }
        Ok(())
    }

    /// Checks the masks `completed` and `ok` of a loaded file against its statuses (they are
    /// derived from the status and written before it).
    fn verify_masks(&self, path: &Path, g: &Group) -> anyhow::Result<()> {
        let s = self;
        let t = s.tasks();
        // the masks are derived from the status and written before it: a finished task must
        // have both set as its status says
        let completed: Vec<u8> = read(g, "completed", t)?;
        let ok: Vec<u8> = read(g, "ok", t)?;
        for task in 0..t {
            let st = s.status(task);
            if st != status::PENDING
                && ((completed[task] == 0) || ((ok[task] != 0) != (st == status::OK)))
            {
                return Err(damaged(
                    path,
                    format!(
                        "steady/completed or steady/ok disagrees with steady/status at {}",
                        s.task_name(task)
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Checks the format, layout version and study hash of a result file; returns the layout version.
fn check_header(f: &hdf5::File, path: &Path, study: &Study) -> anyhow::Result<u64> {
    let fmt = read_str(f, "format").unwrap_or_default();
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
    let hash = read_str(f, "study_hash")?;
    if hash != study.hash() {
        let file = read_str(f, "study_file").unwrap_or_default();
        bail!(
            "{} holds the results of a different study (study hash {hash}, from {file:?}); this study \
             has hash {}: the two would be mixed. Use another --out, or --fresh to discard the old results",
            path.display(),
            study.hash()
        );
    }
    Ok(ver)
}

/// The error for a result file that is damaged: `what`, and what the user can do.
fn damaged(path: &Path, what: String) -> anyhow::Error {
    anyhow::anyhow!(
        "{} is damaged: {what}. It is not resumed (its results could enter the summary \
         wrongly): restore a copy, or move it away and start over (--fresh)",
        path.display()
    )
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
