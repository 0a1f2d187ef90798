//! The harness of the end-to-end tests of the `sqz` binary: `sqz` with a clean launcher
//! environment, with or without a time limit, its JSON output, temporary directories, and the
//! comparison helpers.
//!
//! The binary is passed in ([`Sqz::new`]`(env!("CARGO_BIN_EXE_sqz"))`): cargo sets
//! `CARGO_BIN_EXE_sqz` only for the tests of the crate that builds it.

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The `sqz` binary under test.
#[derive(Debug, Clone, Copy)]
pub struct Sqz {
    bin: &'static str,
}

impl Sqz {
    /// The binary at `bin` (in the binary's own tests: `env!("CARGO_BIN_EXE_sqz")`).
    pub const fn new(bin: &'static str) -> Self {
        Self { bin }
    }

    /// Its path.
    pub fn path(&self) -> &'static str {
        self.bin
    }

    /// `sqz` with a clean launcher environment, whatever runs the tests: no MPI or Slurm task
    /// counts, no memory limit.
    pub fn cmd(&self) -> Command {
        without_launcher_env(Command::new(self.bin))
    }

    /// Runs `sqz args`: (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd().args(args).output().expect("run sqz");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs `sqz args`, which must succeed: its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "sqz {args:?}: {err}");
        out
    }

    /// Runs `sqz args`, which must succeed and print one JSON object.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }

    /// [`run_limited`] of `sqz args`.
    pub fn limited(&self, args: &[&str], limit_s: u64) -> (i32, String, String, f64) {
        let mut c = self.cmd();
        c.args(args);
        run_limited(c, Duration::from_secs(limit_s))
    }

    /// [`Sqz::limited`] with one more environment variable.
    pub fn limited_env(
        &self,
        args: &[&str],
        env: (&str, &str),
        limit_s: u64,
    ) -> (i32, String, String, f64) {
        let mut c = self.cmd();
        c.args(args).env(env.0, env.1);
        run_limited(c, Duration::from_secs(limit_s))
    }

    /// `sqz disorder STUDY --out OUT EXTRA...`: (exit code, stdout, stderr).
    pub fn disorder(&self, study: &Path, out: &Path, extra: &[&str]) -> (i32, String, String) {
        let mut args = vec!["disorder", s(study), "--out", s(out)];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// [`Sqz::disorder`], which must succeed: its stdout.
    pub fn disorder_ok(&self, study: &Path, out: &Path, extra: &[&str]) -> String {
        let (code, stdout, err) = self.disorder(study, out, extra);
        assert_eq!(
            code,
            0,
            "sqz disorder {} --out {} {extra:?}: {err}",
            s(study),
            s(out)
        );
        stdout
    }

    /// `sqz disorder STUDY --out OUT --quiet --json` within `limit_s`, which must succeed: its
    /// JSON report.
    pub fn study_json(&self, study: &Path, out: &Path, limit_s: u64) -> Value {
        let args = ["disorder", s(study), "--out", s(out), "--quiet", "--json"];
        let (code, stdout, err, _) = self.limited(&args, limit_s);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
    }

    /// `sqz steady --model collective --n N --r R --json`.
    pub fn collective_steady(&self, n: &str, r: &str) -> Value {
        self.json(&[
            "steady",
            "--model",
            "collective",
            "--n",
            n,
            "--r",
            r,
            "--json",
        ])
    }
}

/// `c` without the environment of an MPI launcher, Slurm or a memory limit (a test runs alone).
pub fn without_launcher_env(mut c: Command) -> Command {
    for k in [
        "SLURM_NTASKS",
        "SLURM_STEP_NUM_TASKS",
        "OMPI_COMM_WORLD_SIZE",
        "PMI_SIZE",
        "PMI_RANK",
        "PMIX_RANK",
        "SQZ_MPI_INIT",
        "SQZ_MEMORY_LIMIT",
    ] {
        c.env_remove(k);
    }
    c
}

/// Runs `c` for at most `limit` (then kills it: a command that hangs fails the test instead of
/// the test hanging); returns (exit code, stdout, stderr, seconds). Exit code -1: killed.
pub fn run_limited(mut c: Command, limit: Duration) -> (i32, String, String, f64) {
    let t0 = Instant::now();
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sqz");
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let ho = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = so.read_to_string(&mut s);
        s
    });
    let he = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = se.read_to_string(&mut s);
        s
    });
    let code = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.code().unwrap_or(-1);
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break -1;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        code,
        ho.join().unwrap(),
        he.join().unwrap(),
        t0.elapsed().as_secs_f64(),
    )
}

/// A fresh temporary directory `sqz-test-TAG-PID-NAME` for one test (`tag`: the test crate,
/// `env!("CARGO_CRATE_NAME")`; the process id keeps concurrent runs apart).
pub fn temp_dir(tag: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sqz-test-{tag}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes `text` to `d/name`.
pub fn write(d: &Path, name: &str, text: &str) -> PathBuf {
    let p = d.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The numbers of a JSON array.
pub fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// `max_i |a_i - b_i|` of two equally long series.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}
