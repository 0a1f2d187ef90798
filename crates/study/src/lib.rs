//! # sqz-study: disorder studies (Fig. 4)
//!
//! Many disorder configurations per disorder strength, spread over threads and MPI ranks,
//! written to one HDF5 file that a killed run resumes; `sqz disorder` is its command line.
//!
//! | module | content |
//! |---|---|
//! | [`spec`] | the study TOML, its validation and its hash |
//! | [`schema`] | the task-result schema: the record, the store's columns, the wire format, the HDF5 datasets and the checksum all come from its one table |
//! | [`task`] | one (w index, configuration) solve: steady state and time trace |
//! | [`wire`] | the MPI message format of task results |
//! | [`store`] | the results in memory and their per-w statistics |
//! | [`provenance`] | who computed what: the hosts, the runs (Slurm job id, node list), the per-host summary |
//! | `layout` | (feature `hdf5`) the HDF5 layout (`docs/hdf5-layout.md`): full writes, in-place checkpoints, verified resume, file status |
//! | `compare` | (feature `hdf5`) two result files bit for bit, or what a resume kept |
//! | `exec` | (feature `hdf5`) scheduler, compute threads, checkpoints, signals, the single-process executor |
//! | `mpi_exec` | (feature `mpi`) rank 0 hands out tasks on request and computes too |
//! | `run` | (feature `hdf5`) a whole run: start-up checks (launcher, memory share), lock, resume, executor, final write |
//! | `lock` | (feature `hdf5`) one writer per result file (`flock`) |
//! | `h5` | (feature `hdf5`) HDF5 helpers every result file of sqz uses (attributes, atomic writes, provenance) |
//! | [`progress`] | the progress of every command: a bar on a terminal, log lines otherwise (study tasks, a propagation, the stages of `sqz reproduce`) |
//! | `interrupt` | (feature `hdf5`) what `sqz reproduce` does on a signal: say what was saved, exit 128 + the signal |
//! | [`out`] | stdout and stderr that never panic; a closed pipe is a stop request inside a study |
//!
//! Invariants: a task's numbers depend only on (study, task), never on the rank, the thread or
//! the order (bit-identical files on 1, 2 or 3 ranks); only rank 0 touches the result file,
//! holding its lock for the whole run, by write-then-rename or by an ordered in-place
//! checkpoint; every rank that starts also ends, with rank 0's exit code, or the job is aborted
//! (`MPI_Abort`), never left hanging.
//!
//! Output goes through [`out`] (the macros `println!`, `eprintln!`, `eprint!` exported here
//! shadow std's in this crate and in the `sqz` binary).

/// `println!` through [`out::write`] (never panics on a closed pipe).
#[macro_export]
macro_rules! println {
    () => { $crate::out::write($crate::out::Stream::Out, format_args!(""), true) };
    ($($arg:tt)*) => { $crate::out::write($crate::out::Stream::Out, format_args!($($arg)*), true) };
}
/// `eprintln!` through [`out::write`].
#[macro_export]
macro_rules! eprintln {
    () => { $crate::out::write($crate::out::Stream::Err, format_args!(""), true) };
    ($($arg:tt)*) => { $crate::out::write($crate::out::Stream::Err, format_args!($($arg)*), true) };
}
/// `eprint!` through [`out::write`].
#[macro_export]
macro_rules! eprint {
    ($($arg:tt)*) => { $crate::out::write($crate::out::Stream::Err, format_args!($($arg)*), false) };
}

#[cfg(feature = "hdf5")]
pub mod compare;
#[cfg(feature = "hdf5")]
pub mod exec;
#[cfg(feature = "hdf5")]
pub mod h5;
#[cfg(feature = "hdf5")]
pub mod interrupt;
#[cfg(feature = "hdf5")]
pub mod layout;
#[cfg(feature = "hdf5")]
pub mod lock;
#[cfg(feature = "mpi")]
pub mod mpi_exec;
pub mod out;
pub mod progress;
pub mod provenance;
#[cfg(feature = "hdf5")]
pub mod run;
pub mod schema;
pub mod spec;
pub mod store;
pub mod task;
pub mod wire;

/// The git commit of this build (`git rev-parse --short=12 HEAD`, `-dirty` with uncommitted
/// changes to tracked files), for the provenance attributes of result files.
pub const GIT_HASH: &str = env!("SQZ_GIT_HASH");

/// Code version and git hash of this build (`sqz <version> (git <hash>)`).
pub fn code_version() -> String {
    format!("sqz {} (git {GIT_HASH})", env!("CARGO_PKG_VERSION"))
}

/// Exit code of a run that stopped early (signal, `--stop-after`) after saving what finished
/// (sysexits' EX_TEMPFAIL): run the same command again to continue.
pub const EXIT_INTERRUPTED: u8 = 75;

/// An exit with a given code; `message` (if any) is printed by the binary's `main`.
#[derive(Debug)]
pub struct Exit {
    /// process exit code
    pub code: u8,
    /// printed as `sqz: <message>`
    pub message: Option<String>,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.message {
            Some(m) => write!(f, "{m}"),
            None => write!(f, "exit code {}", self.code),
        }
    }
}

impl std::error::Error for Exit {}

impl Exit {
    /// Prints the message and gives the exit code (used by `main`).
    pub fn report(&self) -> std::process::ExitCode {
        if let Some(m) = &self.message {
            eprintln!("sqz: {m}");
        }
        std::process::ExitCode::from(self.code)
    }
}
