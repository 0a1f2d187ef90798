//! # sqz-reproduce: the figures of Bai & An, PRL 127, 083602 (2021)
//!
//! The built-in studies of `sqz reproduce`, one module per figure: each computes its data on the
//! libraries (`sqz_dynamics`, `sqz_steady`, `sqz_model`) as a pure function of a [`Config`] (no
//! input files) and renders its PNG ([`plot`]: plotters' bitmap backend with the embedded DejaVu
//! Sans, so no system fonts). The HDF5 groups of `reproduce.h5` are written by the binary.
//!
//! | module | figure |
//! |---|---|
//! | [`fig1`] | Fig. 1(b, c): `1/xi^2(t)` of Eq. 7 from `|j,-j>` at several r and from several `|j,m>` |
//! | [`fig2`] | Fig. 2: Husimi Q along the mean spin, Eq. 7, N = 30 |
//! | [`fig3`] | Fig. 3: (a) Eq. 8 against Eq. 7 at t = 200/A; (b-d) the scaling study and the Eq. 9 fits |
//! | [`fig4`] | Fig. 4: position disorder, Eq. 3: (d) steady states against w, (a-c) time traces |
//! | [`summary`] | the key numbers next to the paper's |
//!
//! This crate does not print: the figures report finished work items to a [`Progress`].

pub mod config;
pub mod fig1;
pub mod fig2;
pub mod fig3;
pub mod fig4;
pub mod plot;
pub mod summary;

pub use config::Config;

/// Where the figures report progress (the binary draws stage lines and bars).
pub trait Progress: Sync {
    /// A counter of `total` work items of the current stage.
    fn counter(&self, label: &str, total: usize) -> Box<dyn Counter + '_>;
}

/// Counts finished work items from any thread.
pub trait Counter: Sync {
    /// One more item finished.
    fn tick(&self);
}

/// No progress reports.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Progress for Quiet {
    fn counter(&self, _: &str, _: usize) -> Box<dyn Counter + '_> {
        Box::new(Quiet)
    }
}

impl Counter for Quiet {
    fn tick(&self) {}
}

/// Maps `f` over `jobs` on the rayon pool, starting the jobs strictly in the given order (put the
/// expensive ones first for load balance): each worker takes the next index from a shared
/// counter. Results come back in job order; the first error stops the remaining jobs.
pub fn par_map_in_order<J, T, F>(jobs: &[J], f: F) -> anyhow::Result<Vec<T>>
where
    J: Sync,
    T: Send,
    F: Fn(&J) -> anyhow::Result<T> + Sync,
{
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<anyhow::Result<T>>>> =
        (0..jobs.len()).map(|_| Mutex::new(None)).collect();
    let workers = rayon::current_num_threads().clamp(1, jobs.len().max(1));
    rayon::scope(|s| {
        for _ in 0..workers {
            s.spawn(|_| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= jobs.len() {
                    break;
                }
                let r = f(&jobs[i]);
                if r.is_err() {
                    next.store(jobs.len(), Ordering::SeqCst);
                }
                *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            });
        }
    });
    let mut out = Vec::with_capacity(jobs.len());
    let mut missing = false;
    for slot in slots {
        match slot.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(Ok(v)) => out.push(v),
            Some(Err(e)) => return Err(e),
            None => missing = true,
        }
    }
    if missing {
        anyhow::bail!("a parallel job did not run (internal error)");
    }
    Ok(out)
}

/// Mean and (sample, n - 1) standard deviation.
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    let m = v.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (m, 0.0);
    }
    let s2 = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
    (m, s2.sqrt())
}

/// First `x` where the piecewise-linear `y(x)` falls from above `level` to below it.
pub fn first_crossing_below(x: &[f64], y: &[f64], level: f64) -> Option<f64> {
    (1..x.len()).find_map(|i| {
        (y[i - 1] >= level && y[i] < level)
            .then(|| x[i - 1] + (x[i] - x[i - 1]) * (y[i - 1] - level) / (y[i - 1] - y[i]))
    })
}

/// Writes a PNG through a temporary name, so that a figure is never left half-written.
pub fn png_atomically(
    path: &std::path::Path,
    draw: impl FnOnce(&std::path::Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!("{}.tmp.png", std::process::id()));
    if let Err(e) =
        anyhow::Context::with_context(draw(&tmp), || format!("rendering {}", path.display()))
    {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    anyhow::Context::with_context(std::fs::rename(&tmp, path), || {
        format!("renaming {} to {}", tmp.display(), path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_and_statistics() {
        let (m, s) = mean_std(&[1.0, 2.0, 3.0]);
        assert!((m - 2.0).abs() < 1e-15 && (s - 1.0).abs() < 1e-15);
        let c = first_crossing_below(&[0.0, 1.0, 2.0], &[2.0, 1.5, 0.5], 1.0).unwrap();
        assert!((c - 1.5).abs() < 1e-15);
        assert!(first_crossing_below(&[0.0, 1.0], &[2.0, 1.5], 1.0).is_none());
    }

    #[test]
    fn ordered_parallel_map_keeps_job_order_and_reports_errors() {
        let jobs: Vec<usize> = (0..50).collect();
        let v = par_map_in_order(&jobs, |&j| Ok(j * j)).unwrap();
        assert_eq!(v, jobs.iter().map(|j| j * j).collect::<Vec<_>>());
        let e = par_map_in_order(&jobs, |&j| {
            if j == 7 {
                anyhow::bail!("job 7")
            } else {
                Ok(j)
            }
        });
        assert!(e.unwrap_err().to_string().contains("job 7"));
        assert!(par_map_in_order(&Vec::<usize>::new(), |&j| Ok(j))
            .unwrap()
            .is_empty());
    }
}
