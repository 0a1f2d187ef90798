//! Small helpers over `hdf5-metno` so that every result file carries its parameters and
//! provenance as attributes and opens in h5py without help.

use anyhow::{bail, Context};
use hdf5::types::VarLenUnicode;
use hdf5::{Group, Location};
use std::path::Path;
use std::str::FromStr;

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

/// Writes a row-major n-D dataset of `shape`.
pub fn ds_nd<T: hdf5::H5Type>(
    g: &Group,
    name: &str,
    shape: &[usize],
    v: &[T],
) -> anyhow::Result<()> {
    assert_eq!(
        v.len(),
        shape.iter().product::<usize>(),
        "dataset {name}: shape"
    );
    g.new_dataset::<T>()
        .shape(shape)
        .create(name)
        .with_context(|| format!("dataset {name}"))?
        .write_raw(v)
        .with_context(|| format!("dataset {name}"))?;
    Ok(())
}

/// This host's name (for lock files and temporary names); `unknown-host` if it cannot be read.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown-host".into())
}

/// A temporary name next to `path` that no other process uses: `<path>.<host>.<pid>.tmp`
/// (two runs on different nodes of a shared file system, or two processes on one node, never
/// write the same temporary file).
pub fn temp_path(path: &std::path::Path) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(format!(".{}.{}.tmp", host_name(), std::process::id()));
    std::path::PathBuf::from(s)
}

/// Whether `candidate` is a temporary file of [`temp_path`] for `path` (any host, any pid).
pub fn is_temp_of(path: &std::path::Path, candidate: &std::path::Path) -> bool {
    let (Some(base), Some(name)) = (
        path.file_name().and_then(|s| s.to_str()),
        candidate.file_name().and_then(|s| s.to_str()),
    ) else {
        return false;
    };
    name.len() > base.len() + 5
        && name.starts_with(base)
        && name[base.len()..].starts_with('.')
        && name.ends_with(".tmp")
        && candidate.parent() == path.parent()
}

/// Refuses an output path that is a directory (or whose parent is not one).
pub fn check_output_path(path: &std::path::Path) -> anyhow::Result<()> {
    if path.is_dir() {
        anyhow::bail!(
            "the output {} is a directory: give a file name (e.g. {})",
            path.display(),
            path.join("result.h5").display()
        );
    }
    if path.as_os_str().is_empty() || path.file_name().is_none() {
        anyhow::bail!("the output {:?} names no file", path.display().to_string());
    }
    Ok(())
}

/// Removes a file when dropped unless disarmed (the temporary file of a failed write).
struct RemoveOnDrop(Option<std::path::PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Creates `path` (truncating), via a temporary name ([`temp_path`]) that is renamed when `fill`
/// succeeds, so that a result file is never left half-written; on any failure (a full disk, a
/// bad `fill`) the temporary file is removed and `path` is untouched. Refuses a directory.
pub fn write_atomically(
    path: &std::path::Path,
    fill: impl FnOnce(&hdf5::File) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    check_output_path(path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = temp_path(path);
    let mut guard = RemoveOnDrop(Some(tmp.clone()));
    {
        let f = hdf5::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        attr_str(&f, "code_version", &crate::code_version())?;
        attr_str(
            &f,
            "command_line",
            &std::env::args().collect::<Vec<_>>().join(" "),
        )?;
        fill(&f)?;
        f.flush()
            .with_context(|| format!("writing {} (disk full?)", tmp.display()))?;
        f.close()
            .with_context(|| format!("writing {} (disk full?)", tmp.display()))?;
    }
    sync_file(&tmp)?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    guard.0 = None;
    Ok(())
}

/// `fsync` of a file, so that a rename never publishes a file whose data is still only in the
/// page cache (a crash of the node after the rename would otherwise leave an empty file).
pub fn sync_file(path: &std::path::Path) -> anyhow::Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("writing {} to disk (fsync)", path.display()))
}

/// Opens a result file for reading. A checkpoint holds HDF5's own lock on the file for a few
/// milliseconds: an open that meets it is retried for up to 2 s.
pub fn open_read(path: &Path) -> anyhow::Result<hdf5::File> {
    open_retrying(path, false)
}

/// [`open_read`], or for writing (a reader's open blocks a checkpoint the same way).
pub fn open_retrying(path: &Path, write: bool) -> anyhow::Result<hdf5::File> {
    // HDF5 says only that it cannot open a file: name what the file system says first
    if let Err(e) = std::fs::metadata(path) {
        return Err(anyhow::anyhow!(
            "opening {}: {}",
            path.display(),
            if e.kind() == std::io::ErrorKind::NotFound {
                "no such file".to_string()
            } else {
                e.to_string()
            }
        ));
    }
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

/// Writes a scalar u8 attribute.
pub fn attr_u8(loc: &Location, name: &str, v: u8) -> anyhow::Result<()> {
    loc.new_attr::<u8>()
        .create(name)?
        .write_scalar(&v)
        .with_context(|| format!("attribute {name}"))
}

/// `flag_values` and `flag_meanings` attributes (CF conventions) of a code dataset.
pub fn flags(loc: &Location, values: &[u8], meanings: &str) -> anyhow::Result<()> {
    loc.new_attr::<u8>()
        .shape([values.len()])
        .create("flag_values")?
        .write_raw(values)?;
    attr_str(loc, "flag_meanings", meanings)
}

/// Creates an n-D dataset from row-major data with `dims`, `long_name` and `units` attributes.
pub fn ds<T: hdf5::H5Type>(
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
    attr_str(&d, "dims", dims)?;
    attr_str(&d, "long_name", long_name)?;
    attr_str(&d, "units", units)?;
    Ok(d)
}

/// Reads a whole dataset of `len` values.
pub fn read<T: hdf5::H5Type>(g: &Group, name: &str, len: usize) -> anyhow::Result<Vec<T>> {
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

// Tables that more than one command writes.

/// The per-N columns of the scaling study (`sqz scaling`'s `/scaling`, `reproduce.h5`'s
/// `/fig3bcd`): `n`, `r_opt`, `inv_xi2_max`, `xi2_min`, `r_lo`, `r_hi`, `squeezed`.
pub fn write_scaling_points(
    g: &Group,
    pts: &[sqz_model::scaling::ScalingPoint],
) -> anyhow::Result<()> {
    let col =
        |f: fn(&sqz_model::scaling::ScalingPoint) -> f64| pts.iter().map(f).collect::<Vec<_>>();
    ds_u64(g, "n", &pts.iter().map(|p| p.n as u64).collect::<Vec<_>>())?;
    ds_f64(g, "r_opt", &col(|p| p.r_opt))?;
    ds_f64(g, "inv_xi2_max", &col(|p| p.inv_xi2_max))?;
    ds_f64(g, "xi2_min", &col(|p| 1.0 / p.inv_xi2_max))?;
    ds_f64(g, "r_lo", &col(|p| p.r_lo))?;
    ds_f64(g, "r_hi", &col(|p| p.r_hi))?;
    ds_bool(
        g,
        "squeezed",
        &pts.iter().map(|p| p.squeezed).collect::<Vec<_>>(),
    )
}

/// One Husimi frame: the time, the axes `n`, `n1`, `n2` and `q` on the grid.
pub type HusimiFrame<'a> = (f64, [[f64; 3]; 3], &'a [f64]);

/// Husimi frames (`sqz evolve --husimi-times`' `/husimi`, `reproduce.h5`'s `/fig2`): the grid
/// axes `x1`, `x2` (both `x`), the times `t`, `q[frame, i1, i2]` and the axes `n`, `n1`, `n2`
/// `[frame, 3]` of each frame.
pub fn write_husimi_frames(g: &Group, x: &[f64], frames: &[HusimiFrame<'_>]) -> anyhow::Result<()> {
    let (k, nf) = (x.len(), frames.len());
    ds_f64(g, "x1", x)?;
    ds_f64(g, "x2", x)?;
    ds_f64(g, "t", &frames.iter().map(|f| f.0).collect::<Vec<_>>())?;
    let q: Vec<f64> = frames.iter().flat_map(|f| f.2.iter().copied()).collect();
    ds_nd(g, "q", &[nf, k, k], &q)?;
    for (a, name) in ["n", "n1", "n2"].iter().enumerate() {
        let v: Vec<f64> = frames.iter().flat_map(|f| f.1[a]).collect();
        ds_nd(g, name, &[nf, 3], &v)?;
    }
    Ok(())
}

/// The fits of the scaling study (`sqz scaling`'s `/fits`): `xi2_min_power_law`
/// (`xi2_min = a N^b`) and `r_opt_log_linear` (`r_opt = c ln N + d`), each with its standard
/// errors, point count and the paper's values; a group only for a fit that exists.
pub fn write_scaling_fits(
    fg: &Group,
    xi_fit: Option<sqz_model::scaling::LineFit>,
    r_fit: Option<sqz_model::scaling::LineFit>,
) -> anyhow::Result<()> {
    if let Some(x) = xi_fit {
        let s = fg.create_group("xi2_min_power_law")?;
        attr_str(
            &s,
            "model",
            "xi2_min = a * N^b; a = exp(intercept), b = slope",
        )?;
        attr_f64(&s, "a", x.intercept.exp())?;
        attr_f64(&s, "a_err", x.intercept.exp() * x.intercept_err)?;
        attr_f64(&s, "b", x.slope)?;
        attr_f64(&s, "b_err", x.slope_err)?;
        attr_u64(&s, "points", x.points as u64)?;
        attr_str(&s, "paper", "a = 1.64, b = -0.54 (Eq. 9)")?;
    }
    if let Some(x) = r_fit {
        let s = fg.create_group("r_opt_log_linear")?;
        attr_str(&s, "model", "r_opt = c ln N + d")?;
        attr_f64(&s, "c", x.slope)?;
        attr_f64(&s, "c_err", x.slope_err)?;
        attr_f64(&s, "d", x.intercept)?;
        attr_f64(&s, "d_err", x.intercept_err)?;
        attr_u64(&s, "points", x.points as u64)?;
        attr_str(&s, "paper", "c = 0.27, d = -0.11")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A missing result file is named as missing, not as "not an HDF5 file, or damaged" (issue 23).
    #[test]
    fn a_missing_file_is_named_as_missing() {
        let path = std::env::temp_dir().join("sqz-h5-test-no-such-file.h5");
        let _ = std::fs::remove_file(&path);
        let e = format!("{:#}", open_read(&path).unwrap_err());
        assert!(e.contains("no such file"), "{e}");
        assert!(e.contains("sqz-h5-test-no-such-file.h5"), "{e}");
        assert!(!e.contains("not an HDF5 file"), "{e}");
    }

    /// A file that exists but is no HDF5 file is still named as such.
    #[test]
    fn a_file_that_is_not_hdf5_is_named_as_such() {
        let path = std::env::temp_dir().join(format!("sqz-h5-test-{}.h5", std::process::id()));
        std::fs::write(&path, b"not hdf5").unwrap();
        let e = format!("{:#}", open_read(&path).unwrap_err());
        let _ = std::fs::remove_file(&path);
        assert!(e.contains("not an HDF5 file, or damaged"), "{e}");
    }
}
