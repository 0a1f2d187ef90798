//! Results of a study in memory: one row per task in the schema's columns
//! ([`crate::schema::Columns`]), the failure messages, the per-task checksums, what is not on
//! disk yet, and the per-w statistics. The HDF5 layout of the same data is `crate::layout`.

use crate::schema::{row_hash, status, Columns, TaskResult, FILL};
use crate::spec::Study;
use std::collections::{BTreeMap, BTreeSet};

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
    /// the stored values, one column per schema field
    pub cols: Columns,
    /// positions, `[task][i]`
    pub positions: Vec<f64>,
    /// output times of the traces (empty without traces)
    pub times: Vec<f64>,
    /// messages of failed tasks, in task order
    pub errors: BTreeMap<u64, String>,
    /// every code version that wrote to this file
    pub code_versions: Vec<String>,
    /// whether the study computes steady states (else the steady values are fill values)
    pub steady: bool,
    /// FNV-1a 64 of each finished task's row ([`Store::row_checksum`]); 0 while pending
    pub checksum: Vec<u64>,
    /// tasks finished since the last write (rows a checkpoint must write)
    pub(crate) dirty: BTreeSet<u64>,
    /// failed tasks not on disk yet: their messages need a full write
    pub(crate) failed_unwritten: BTreeSet<u64>,
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
            cols: Columns::new(t, study.trace_points()),
            positions,
            times: study.trace_times(),
            errors: Default::default(),
            code_versions: vec![crate::code_version()],
            steady: study.steady.is_some(),
            checksum: vec![0; t],
            dirty: Default::default(),
            failed_unwritten: Default::default(),
        }
    }

    /// FNV-1a 64 of everything stored for task `t` (every field in schema order, then the
    /// failure message), never 0 (0 marks a pending task). Bytes are little-endian.
    pub fn row_checksum(&self, t: usize) -> u64 {
        let k = self.times.len();
        let error = self.errors.get(&(t as u64)).map_or("", String::as_str);
        row_hash(|h| self.cols.visit_row(t, k, h), error)
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
        self.checksum.len()
    }

    /// Status code of task `t`.
    pub fn status(&self, t: usize) -> u8 {
        self.cols.status[t]
    }

    /// Tasks finished (successfully or not).
    pub fn done(&self) -> u64 {
        self.cols
            .status
            .iter()
            .filter(|&&s| s != status::PENDING)
            .count() as u64
    }

    /// Tasks that failed.
    pub fn failed(&self) -> u64 {
        self.cols
            .status
            .iter()
            .filter(|&&s| s == status::FAILED)
            .count() as u64
    }

    /// Tasks still to do, in order.
    pub fn pending(&self) -> Vec<u64> {
        (0..self.tasks() as u64)
            .filter(|&t| self.status(t as usize) == status::PENDING)
            .collect()
    }

    /// Stores one result.
    ///
    /// # Panics
    /// If the task number is out of range (a protocol bug).
    pub fn insert(&mut self, r: &TaskResult) {
        let t = r.task as usize;
        assert!(t < self.tasks(), "task {t} out of range");
        assert_eq!(r.trace.len(), self.times.len(), "trace length of task {t}");
        self.cols.set_row(t, r);
        if r.status == status::FAILED {
            self.errors.insert(r.task, r.error.clone());
            self.failed_unwritten.insert(r.task);
        }
        self.checksum[t] = self.row_checksum(t);
        self.dirty.insert(r.task);
    }

    /// Per-w statistics over successful configurations.
    pub fn summary(&self) -> Summary {
        self.summary_with(|t| self.status(t))
    }

    /// [`Store::summary`] with the status of each task given by `status_of`.
    pub fn summary_with(&self, status_of: impl Fn(usize) -> u8) -> Summary {
        let mut s = Summary::default();
        for wi in 0..self.n_w {
            let range = wi * self.n_c..(wi + 1) * self.n_c;
            let ok: Vec<usize> = range.filter(|&t| status_of(t) == status::OK).collect();
            // without steady states there is nothing to average (count stays: the ok tasks)
            let ok_steady: &[usize] = if self.steady { &ok } else { &[] };
            let inv: Vec<f64> = ok_steady.iter().map(|&t| self.cols.inv_xi2[t]).collect();
            let xi: Vec<f64> = ok_steady.iter().map(|&t| self.cols.xi2[t]).collect();
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

    /// Mean, std and standard error of `1/xi^2(t)` of w index `wi` over its tasks whose status
    /// (given by `status_of`) is OK.
    pub fn trace_stats_with(
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
            let v: Vec<f64> = ok.iter().map(|&t| self.cols.trace[t * k + j]).collect();
            let (m, sd, se) = stats(&v);
            mean.push(m);
            std.push(sd);
            sem.push(se);
        }
        (mean, std, sem)
    }

    /// Status as a checkpoint writes it: failed tasks whose messages are not on disk yet look
    /// pending (they are recorded by the next full write).
    pub fn disk_status(&self, t: usize) -> u8 {
        if self.failed_unwritten.contains(&(t as u64)) {
            status::PENDING
        } else {
            self.status(t)
        }
    }

    /// `w_index K configuration C` of a task.
    pub fn task_name(&self, t: usize) -> String {
        format!("w_index {} configuration {}", t / self.n_c, t % self.n_c)
    }

    /// Fill values in the row of task `t` (pending).
    pub fn reset_row(&mut self, t: usize) {
        self.cols.reset_row(t, self.times.len());
        self.checksum[t] = 0;
    }
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
