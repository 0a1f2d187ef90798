//! The command line, in two layers (ripgrep's split): clap parses every value once, into a type
//! ([`args`]: every `Args` struct; the value types and their one parser each come from the
//! libraries: `sqz_dynamics::InitState`, `sqz_model::positions::Length`, `sqz_dynamics::Times`,
//! `sqz_dynamics::Orthogonalization`; [`value`]: whole numbers with their ranges); each command
//! then resolves the typed arguments into its inputs (`crate::resolve`, the `cmd_*` modules)
//! before any work starts, with errors that name the value and its allowed range.

pub mod args;
pub mod value;

pub use args::*;

use clap::{Parser, Subcommand};

/// sqz: steady states and dynamics of N two-level systems in a waveguide fed with squeezed
/// vacuum (Bai & An, PRL 127, 083602 (2021)). Units: rates in A, times in 1/A, lengths in zeta.
#[derive(Debug, Parser)]
#[command(name = "sqz", version = "(set at run time: cli::version)")]
pub struct Cli {
    /// what to compute
    #[command(subcommand)]
    pub command: Command,
    /// options every command takes
    #[command(flatten)]
    pub global: Global,
}

/// Options that mean the same for every command.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Global {
    /// print one JSON object instead of text
    #[arg(long, global = true)]
    pub json: bool,
    /// no progress output on stderr
    #[arg(long, global = true)]
    pub quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analytic steady state of the collective model (Eq. 8): xi_R^2 and the mean spin.
    Analytic(AnalyticArgs),
    /// Numerical steady state: `--model collective` is the null vector of Eq. 7.
    Steady(SteadyArgs),
    /// Fig. 3(b-d) scaling study: r_opt, max 1/xi^2 and the squeezed range of r against N, with fits.
    Scaling(ScalingArgs),
    /// Memory each representation of Eq. 3 needs at N (CSR, matrix-free, parity block, solvers).
    Info(InfoArgs),
    /// Assemble the Eq. 3 Liouvillian (CSR) and optionally write it to HDF5 (for cross-checks).
    Liouvillian(LiouvillianArgs),
    /// Benchmark against analytic steady states: full-space solve, Eq. 7 null vector and Eq. 8
    /// for the same ideal problem, with one table of agreement and time per method.
    Validate(ValidateArgs),
    /// Disorder study (Fig. 4): steady 1/xi^2 over many disorder configurations per w, from a
    /// study TOML, over threads or MPI ranks, into an HDF5 file that a re-run resumes.
    Disorder(DisorderArgs),
    /// Time evolution of Eq. 7 (collective) or Eq. 3 (full) by Krylov propagation: 1/xi^2(t),
    /// mean spin and trace at the requested times (Fig. 1, Fig. 4(a-c)); Husimi Q (Fig. 2).
    Evolve(EvolveArgs),
    /// Reproduce the paper: every figure (1-4) from built-in studies, into one HDF5 file and one
    /// PNG per figure, with the key numbers next to the paper's.
    Reproduce(ReproduceArgs),
}

/// `sqz --version`: the version, the git commit, the cargo features built in (`mpi`) and the HDF5
/// library sqz runs with.
pub fn version() -> &'static str {
    let features: Vec<&str> = [("mpi", cfg!(feature = "mpi"))]
        .iter()
        .filter(|f| f.1)
        .map(|f| f.0)
        .collect();
    let (a, b, c) = hdf5::library_version();
    let s = format!(
        "{} (git {})\nfeatures: {}\nHDF5 library: {a}.{b}.{c}",
        env!("CARGO_PKG_VERSION"),
        sqz_study::GIT_HASH,
        if features.is_empty() {
            "none (built without MPI: single node only)".to_string()
        } else {
            features.join(", ")
        }
    );
    Box::leak(s.into_boxed_str())
}
