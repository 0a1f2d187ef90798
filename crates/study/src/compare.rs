//! `sqz disorder compare`: the result datasets of two study files bit for bit, or whether a
//! resumed file kept every task another had finished.

use crate::h5::{open_read, read_str};
use anyhow::bail;
use hdf5::types::{FloatSize, IntSize, TypeDescriptor};
use hdf5::Group;
use std::path::Path;

/// Datasets whose values depend on timing, not on the physics: left out of [`compare`] (the
/// checksum covers the wall time).
pub const TIMING_DATASETS: &[&str] = &["/steady/seconds", "/steady/checksum"];

/// The group of who computed what (hosts, ranks, runs): left out of [`compare`], kept by
/// [`compare_kept`].
pub const PROVENANCE_GROUP: &str = "/provenance";

fn is_provenance(name: &str) -> bool {
    name.strip_prefix(PROVENANCE_GROUP)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

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
/// [`TIMING_DATASETS`] and the [`PROVENANCE_GROUP`], and the study hash). Returns the names of the datasets that differ.
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
    na.retain(|n| !is_provenance(n));
    nb.retain(|n| !is_provenance(n));
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
/// timings and provenance (rank, host, run: when `a` records them) included, are equal bit for
/// bit. A run resumed from `a` passes; a run that recomputed
/// them does not (their wall times differ). Returns the datasets that differ.
///
/// "Finished" is `steady/status` not pending, the commit point of a checkpoint
/// ([`crate::layout`]): a kill between the writes of the `completed` mask and of `status` leaves
/// tasks with `completed = 1` and a pending status, which a resume rightly computes again (the
/// mask alone made this check fail for them).
pub fn compare_kept(a: &Path, b: &Path) -> anyhow::Result<(u64, Vec<String>)> {
    let fa = open_read(a)?;
    let fb = open_read(b)?;
    if read_str(&fa, "study_hash")? != read_str(&fb, "study_hash")? {
        return Ok((0, vec!["study_hash (attribute)".into()]));
    }
    let done: Vec<u8> = fa
        .group("steady")?
        .dataset("status")?
        .read_raw::<u8>()?
        .into_iter()
        .map(|s| u8::from(s != crate::schema::status::PENDING))
        .collect();
    let tasks = done.len();
    let mut diff = Vec::new();
    let mut per_task = fa.group("steady")?.datasets()?;
    if let Ok(p) = fa.group("provenance") {
        for name in ["rank", "host", "run"] {
            per_task.push(p.dataset(name)?);
        }
    }
    for d in per_task {
        let name = d.name();
        let Ok(db) = fb.dataset(&name) else {
            diff.push(format!("{name} (only in {})", a.display()));
            continue;
        };
        let (va, vb) = (raw_bytes(&d)?, raw_bytes(&db)?);
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
