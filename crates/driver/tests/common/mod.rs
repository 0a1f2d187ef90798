//! The shared harness of the binary's end-to-end tests: `sqz_testkit::cli` bound to this crate's
//! `sqz` (`CARGO_BIN_EXE_sqz` exists only in the binary's own tests) and to the test file's name
//! (temporary directories). Each test file uses a part of it.
#![allow(dead_code, unused_imports)]

pub use sqz_testkit::cli::{f64s, max_abs_diff, run_limited, s, without_launcher_env, write};

use serde_json::Value;
use sqz_testkit::cli::Sqz;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The binary of this crate.
pub const SQZ: Sqz = Sqz::new(env!("CARGO_BIN_EXE_sqz"));

/// [`Sqz::cmd`]: `sqz` with a clean launcher environment.
pub fn cmd() -> Command {
    SQZ.cmd()
}

/// [`Sqz::run`]: (exit code, stdout, stderr) of `sqz args`.
pub fn sqz(args: &[&str]) -> (i32, String, String) {
    SQZ.run(args)
}

/// [`Sqz::ok`]: stdout of `sqz args`, which must succeed.
pub fn ok(args: &[&str]) -> String {
    SQZ.ok(args)
}

/// [`Sqz::json`]: the JSON object `sqz args` prints.
pub fn json(args: &[&str]) -> Value {
    SQZ.json(args)
}

/// [`Sqz::limited`]: `sqz args` within `limit_s` seconds.
pub fn sqz_limited(args: &[&str], limit_s: u64) -> (i32, String, String, f64) {
    SQZ.limited(args, limit_s)
}

/// [`Sqz::limited_env`]: [`sqz_limited`] with one more environment variable.
pub fn sqz_env(args: &[&str], env: (&str, &str), limit_s: u64) -> (i32, String, String, f64) {
    SQZ.limited_env(args, env, limit_s)
}

/// [`Sqz::disorder`]: `sqz disorder STUDY --out OUT EXTRA...`.
pub fn disorder(study: &Path, out: &Path, extra: &[&str]) -> (i32, String, String) {
    SQZ.disorder(study, out, extra)
}

/// [`Sqz::disorder_ok`]: [`disorder`], which must succeed.
pub fn disorder_ok(study: &Path, out: &Path, extra: &[&str]) -> String {
    SQZ.disorder_ok(study, out, extra)
}

/// [`Sqz::study_json`]: the JSON report of a study run within `limit_s`.
pub fn study_json(study: &Path, out: &Path, limit_s: u64) -> Value {
    SQZ.study_json(study, out, limit_s)
}

/// [`Sqz::collective_steady`]: `sqz steady --model collective --n N --r R --json`.
pub fn collective_steady(n: &str, r: &str) -> Value {
    SQZ.collective_steady(n, r)
}

/// A fresh temporary directory for one test (of this test file and process).
pub fn dir(name: &str) -> PathBuf {
    sqz_testkit::cli::temp_dir(env!("CARGO_CRATE_NAME"), name)
}
