//! Small helpers over `hdf5-metno` so that every result file carries its parameters and
//! provenance as attributes and opens in h5py without help.

use anyhow::Context;
use hdf5::types::VarLenUnicode;
use hdf5::{Group, Location};
use std::str::FromStr;

/// Code version and git hash of this build.
pub fn code_version() -> String {
    format!(
        "sqz {} (git {})",
        env!("CARGO_PKG_VERSION"),
        env!("SQZ_GIT_HASH")
    )
}

/// Writes a scalar f64 attribute.
pub fn attr_f64(loc: &Location, name: &str, v: f64) -> anyhow::Result<()> {
    loc.new_attr::<f64>()
        .create(name)?
        .write_scalar(&v)
        .with_context(|| format!("attribute {name}"))
}

/// Writes a scalar u64 attribute.
pub fn attr_u64(loc: &Location, name: &str, v: u64) -> anyhow::Result<()> {
    loc.new_attr::<u64>()
        .create(name)?
        .write_scalar(&v)
        .with_context(|| format!("attribute {name}"))
}

/// Writes a string attribute (variable-length UTF-8, read by h5py as `str`).
pub fn attr_str(loc: &Location, name: &str, v: &str) -> anyhow::Result<()> {
    let s = VarLenUnicode::from_str(v).map_err(|e| anyhow::anyhow!("attribute {name}: {e}"))?;
    loc.new_attr::<VarLenUnicode>()
        .shape(())
        .create(name)?
        .write_scalar(&s)
        .with_context(|| format!("attribute {name}"))
}

/// Writes a 1-D f64 dataset.
pub fn ds_f64(g: &Group, name: &str, v: &[f64]) -> anyhow::Result<()> {
    g.new_dataset_builder()
        .with_data(v)
        .create(name)
        .with_context(|| format!("dataset {name}"))?;
    Ok(())
}

/// Writes a 1-D u64 dataset.
pub fn ds_u64(g: &Group, name: &str, v: &[u64]) -> anyhow::Result<()> {
    g.new_dataset_builder()
        .with_data(v)
        .create(name)
        .with_context(|| format!("dataset {name}"))?;
    Ok(())
}

/// Writes a 1-D bool dataset (stored as u8, 0/1).
pub fn ds_bool(g: &Group, name: &str, v: &[bool]) -> anyhow::Result<()> {
    let b: Vec<u8> = v.iter().map(|&x| x as u8).collect();
    g.new_dataset_builder()
        .with_data(&b[..])
        .create(name)
        .with_context(|| format!("dataset {name}"))?;
    Ok(())
}

/// Creates `path` (truncating), via a temporary name that is renamed when `fill` succeeds, so
/// that a result file is never left half-written.
pub fn write_atomically(
    path: &std::path::Path,
    fill: impl FnOnce(&hdf5::File) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = path.with_extension("h5.tmp");
    {
        let f = hdf5::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        attr_str(&f, "code_version", &code_version())?;
        attr_str(
            &f,
            "command_line",
            &std::env::args().collect::<Vec<_>>().join(" "),
        )?;
        fill(&f)?;
        f.flush()?;
    }
    std::fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    Ok(())
}
