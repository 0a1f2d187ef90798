//! One writer per result file: an exclusive `flock(2)` on `<out>.lock`, held for the whole run.
//!
//! Two runs that write the same result file would overwrite each other's checkpoints (a
//! complete file went back to 277 of 450 tasks). Rank 0 therefore takes an exclusive,
//! non-blocking `flock` on the lock file next to the result before it reads or writes the result,
//! and keeps it until the last write is done. The lock file holds the holder's PID, host, start
//! time and command line, so that a second run is refused with a message naming them. The kernel
//! releases the lock when the process ends in any way (also `kill -9`, a crash, the OOM killer),
//! so a stale lock file never blocks a later run; a clean end removes it.
//!
//! File systems (`docs/reliability.md`): on a local file system and on GPFS / Spectrum Scale
//! `flock` is exclusive across every process and node; on NFS the Linux client turns it into a
//! whole-file POSIX lock that the server arbitrates (NFSv4, or NFSv3 with `lockd`), so it holds
//! across nodes too; on Lustre it holds across nodes only when the client mounts with
//! `-o flock` (`-o localflock`: this node only). Where the file system has no locks at all
//! (`flock` fails with ENOLCK, ENOSYS, EOPNOTSUPP or EINVAL, e.g. Lustre mounted with
//! `noflock`) the run goes on with a warning that a second writer cannot be detected.

use anyhow::Context;
use rustix::fs::{flock, FlockOperation};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The lock file of a result file: `<out>.lock`.
pub fn lock_path(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_os_string();
    s.push(".lock");
    PathBuf::from(s)
}

/// The held lock; dropping it removes the lock file and releases the lock.
#[derive(Debug)]
pub struct ResultLock {
    path: PathBuf,
    file: Option<std::fs::File>,
}

fn holder_text(f: &mut std::fs::File) -> String {
    let mut s = String::new();
    let _ = f.rewind();
    let _ = f.read_to_string(&mut s);
    let s = s.trim();
    if s.is_empty() {
        "a process that has not written its name yet".to_string()
    } else {
        s.to_string()
    }
}

impl ResultLock {
    /// Takes the lock of `out`, or refuses: another process holds it (the message names its PID
    /// and host), or the lock file cannot be created.
    pub fn acquire(out: &Path) -> anyhow::Result<Self> {
        let path = lock_path(out);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        for _ in 0..100 {
            let mut f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .with_context(|| format!("creating the lock file {}", path.display()))?;
            match flock(&f, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => {}
                Err(e) if e == rustix::io::Errno::WOULDBLOCK || e == rustix::io::Errno::AGAIN => {
                    anyhow::bail!(
                        "{} is being written by another sqz run: {} (it holds the lock {}). Two runs \
                         writing one result file would overwrite each other's results: wait for that \
                         run to end, stop it, or choose another --out",
                        out.display(),
                        holder_text(&mut f),
                        path.display()
                    );
                }
                Err(e)
                    if [
                        rustix::io::Errno::NOLCK,
                        rustix::io::Errno::NOSYS,
                        rustix::io::Errno::OPNOTSUPP,
                        rustix::io::Errno::INVAL,
                    ]
                    .contains(&e) =>
                {
                    eprintln!(
                        "sqz disorder: warning: the file system of {} does not support flock ({e}): \
                         a second run writing the same result file cannot be detected (on Lustre, \
                         mount with -o flock)",
                        path.display()
                    );
                }
                Err(e) => {
                    return Err(anyhow::Error::new(std::io::Error::from(e))
                        .context(format!("locking {}", path.display())))
                }
            }
            // a previous holder may have removed the file between our open and our lock: then we
            // locked an orphan inode and must start over
            let same = match (f.metadata(), std::fs::metadata(&path)) {
                (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
                _ => false,
            };
            if !same {
                continue;
            }
            let info = format!(
                "pid {} on host {}, started {} s after the epoch: {}\n",
                std::process::id(),
                crate::h5::host_name(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs()),
                std::env::args().collect::<Vec<_>>().join(" ")
            );
            // best effort: on a full disk the lock still holds, only the holder's name is missing
            let _ = f
                .set_len(0)
                .and_then(|_| f.rewind())
                .and_then(|_| f.write_all(info.as_bytes()))
                .and_then(|_| f.flush());
            return Ok(Self {
                path,
                file: Some(f),
            });
        }
        anyhow::bail!(
            "could not take the lock {}: it kept being replaced by other processes",
            path.display()
        )
    }
}

impl Drop for ResultLock {
    fn drop(&mut self) {
        // remove while still holding the lock (see `acquire` for the race this closes)
        let _ = std::fs::remove_file(&self.path);
        drop(self.file.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_holder_named() {
        let dir = std::env::temp_dir().join(format!("sqz-lock-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("r.h5");
        let a = ResultLock::acquire(&out).unwrap();
        let e = ResultLock::acquire(&out).unwrap_err().to_string();
        assert!(e.contains(&format!("pid {}", std::process::id())), "{e}");
        assert!(e.contains("host"), "{e}");
        drop(a);
        assert!(!lock_path(&out).exists());
        let b = ResultLock::acquire(&out).unwrap();
        drop(b);
        std::fs::remove_dir_all(&dir).ok();
    }
}
