//! Every command's arguments, typed: clap parses each value once, through the one parser of its
//! syntax. `--json` and `--quiet` are global ([`super::Global`]).

use super::value::{
    parse_chi, parse_config, parse_count, parse_count_u64, parse_local_rate, parse_n, parse_n_full,
    parse_seed, parse_w, Chi,
};
use clap::{Args, Subcommand, ValueEnum};
use sqz_dynamics::{InitState, Orthogonalization, Times};
use sqz_model::positions::{Disorder, Lengths};
use std::path::PathBuf;

/// Where the TLS sit (full model): disorder `--w --seed [--config]` or `--w --chi`, explicit
/// `--positions`, or ideal positions `z_i = 2 pi i` when neither is given.
#[derive(Debug, Clone, Args)]
pub struct PositionArgs {
    /// disorder strength w in units of zeta (a `pi` suffix is accepted: `--w 0.3pi`); `0+` is
    /// the limit w -> 0+ of the steady state (`sqz steady --model full` only)
    #[arg(long, conflicts_with = "positions", allow_hyphen_values = true, value_parser = parse_w)]
    pub w: Option<Disorder>,
    /// explicit disorder direction c1,..,cN (N values, each -1 <= c_i <= 1) in place of --seed
    /// and --config: positions z_i = 2 pi i + w c_i (with --w, any w or `0+`)
    #[arg(
        long,
        requires = "w",
        conflicts_with_all = ["positions", "seed", "config"],
        allow_hyphen_values = true,
        value_parser = parse_chi
    )]
    pub chi: Option<Chi>,
    /// seed of the disorder
    #[arg(long, default_value_t = 1, allow_hyphen_values = true, value_parser = parse_seed)]
    pub seed: u64,
    /// configuration index (the random stream) of the disorder, 0 <= C < 2^32
    #[arg(long, default_value_t = 0, allow_hyphen_values = true, value_parser = parse_config)]
    pub config: u64,
    /// explicit positions z1,z2,... in units of zeta (`pi` suffix accepted: `0,2pi,4.1pi`)
    #[arg(long, allow_hyphen_values = true)]
    pub positions: Option<Lengths>,
}

/// The physical parameters shared by the commands.
#[derive(Debug, Clone, Args)]
pub struct PhysArgs {
    /// number of two-level systems N (1 <= N <= 100000)
    #[arg(long, allow_hyphen_values = true, value_parser = parse_n)]
    pub n: usize,
    /// squeezing strength r (0 <= r <= 20)
    #[arg(long, allow_hyphen_values = true)]
    pub r: f64,
    /// squeezing angle alpha (radians)
    #[arg(long, default_value_t = 0.5, allow_hyphen_values = true)]
    pub alpha: f64,
    /// frequency shift Delta in units of A
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub delta: f64,
}

/// Which master equation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Model {
    /// Eq. 7 in the (N+1)-dimensional Dicke basis (ideal positions)
    Collective,
    /// Eq. 3 in the full 4^N Liouville space (any positions)
    Full,
    /// Eq. 7 plus local loss and dephasing (--gamma-loss, --gamma-deph) on permutation-invariant
    /// states: blocks of total spin J, O(N^3) unknowns (ideal positions, N <= 400)
    Permutational,
}

impl Model {
    /// The name in reports and result files.
    pub fn name(self) -> &'static str {
        match self {
            Model::Collective => "collective",
            Model::Full => "full",
            Model::Permutational => "permutational",
        }
    }
}

/// Local processes of every TLS (beyond the paper): `gamma_loss D[sigma_i] rho +
/// (gamma_deph/2) D[sigma^z_i] rho`; `--model permutational` and `--model full` include them,
/// `--model collective` (Eq. 7) refuses them.
#[derive(Debug, Clone, Args)]
pub struct LocalRateArgs {
    /// local loss rate of each TLS in units of A (0 <= gamma <= 1e6): gamma_loss D[sigma_i];
    /// beta = A / (A + gamma_loss) (--model permutational or full)
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true, value_parser = parse_local_rate)]
    pub gamma_loss: f64,
    /// local dephasing rate of each TLS in units of A (0 <= gamma <= 1e6): (gamma_deph/2)
    /// D[sigma^z_i], coherences decay at gamma_deph (--model permutational or full)
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true, value_parser = parse_local_rate)]
    pub gamma_deph: f64,
}

/// `sqz analytic`
#[derive(Debug, Args)]
pub struct AnalyticArgs {
    #[command(flatten)]
    pub phys: PhysArgs,
}

/// `sqz steady`
#[derive(Debug, Args)]
pub struct SteadyArgs {
    /// which master equation
    #[arg(long, value_enum, default_value_t = Model::Collective)]
    pub model: Model,
    #[command(flatten)]
    pub phys: PhysArgs,
    /// local rates (permutational and full models)
    #[command(flatten)]
    pub rates: LocalRateArgs,
    /// positions (full model only)
    #[command(flatten)]
    pub pos: PositionArgs,
    /// initial state, which selects the steady state when it is not unique (ideal positions):
    /// `ground` (|j,-j>), `dicke:M` (|j,M>, e.g. dicke:-3/2) or `product:THETA,PHI` with THETA
    /// 0 or pi (the all-excited and all-ground Dicke states); the same syntax as `sqz evolve`
    #[arg(long, default_value = "ground", allow_hyphen_values = true)]
    pub init: InitState,
    /// target bound on the error in rho (full model), 1e-14 <= tol < 1
    #[arg(long, default_value_t = 1e-8, allow_hyphen_values = true)]
    pub tol: f64,
    /// skip the gap estimate (and so the error bound) of the full model
    #[arg(long)]
    pub no_gap: bool,
    /// full model, two-level solver (N >= 6): check its Galerkin gap against the operator's own
    /// slowest rate (shift-invert Arnoldi on A) and base the error bound on the checked gap;
    /// costs a few dozen extra solves
    #[arg(long)]
    pub verify_gap: bool,
    /// progress log period when stderr is not a terminal (full model, two-level solver); on a
    /// terminal a bar appears after 2 s; `--quiet` silences both
    #[arg(
        long,
        default_value_t = 60.0,
        value_name = "SECONDS",
        allow_hyphen_values = true
    )]
    pub progress_every: f64,
}

/// `sqz scaling`
#[derive(Debug, Args)]
pub struct ScalingArgs {
    /// smallest N
    #[arg(long, default_value_t = 2, allow_hyphen_values = true, value_parser = parse_n)]
    pub n_min: usize,
    /// largest N
    #[arg(long, default_value_t = 1000, allow_hyphen_values = true, value_parser = parse_n)]
    pub n_max: usize,
    /// number of N values, log-spaced between n-min and n-max (duplicates removed); 0 = every N
    #[arg(long, default_value_t = 48, allow_hyphen_values = true, value_parser = parse_count)]
    pub n_points: usize,
    /// tolerance on r_opt and on the ends of the squeezed range of r
    #[arg(long, default_value_t = 1e-4, allow_hyphen_values = true)]
    pub r_tol: f64,
    /// largest r searched
    #[arg(long, default_value_t = 4.0, allow_hyphen_values = true)]
    pub r_max: f64,
    /// squeezing angle alpha (radians)
    #[arg(long, default_value_t = 0.5, allow_hyphen_values = true)]
    pub alpha: f64,
    /// frequency shift Delta in units of A
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub delta: f64,
    /// fits use N >= fit-n-min (2: the whole range, as the paper's fits appear to)
    #[arg(long, default_value_t = 2, allow_hyphen_values = true, value_parser = parse_n)]
    pub fit_n_min: usize,
    /// write the results to this HDF5 file
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `sqz info`
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// number of two-level systems N
    #[arg(long, allow_hyphen_values = true, value_parser = parse_n_full)]
    pub n: usize,
    /// Krylov vectors assumed for the solver workspace
    #[arg(long, default_value_t = 40, allow_hyphen_values = true, value_parser = parse_count)]
    pub krylov_vectors: usize,
}

/// `sqz liouvillian`
#[derive(Debug, Args)]
pub struct LiouvillianArgs {
    #[command(flatten)]
    pub phys: PhysArgs,
    #[command(flatten)]
    pub pos: PositionArgs,
    /// write the CSR arrays to this HDF5 file
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `sqz validate`
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// number of two-level systems N (full-space null-space check for N <= 5, matrix-free residual of Eq. 8 for N <= 12)
    #[arg(long, default_value_t = 5, allow_hyphen_values = true, value_parser = parse_n)]
    pub n: usize,
    /// squeezing strength r
    #[arg(long, default_value_t = 0.5, allow_hyphen_values = true)]
    pub r: f64,
    /// squeezing angle alpha (radians)
    #[arg(long, default_value_t = 0.5, allow_hyphen_values = true)]
    pub alpha: f64,
    /// frequency shift Delta in units of A
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub delta: f64,
}

/// `sqz evolve`
#[derive(Debug, Args)]
pub struct EvolveArgs {
    /// which master equation
    #[arg(long, value_enum, default_value_t = Model::Collective)]
    pub model: Model,
    #[command(flatten)]
    pub phys: PhysArgs,
    /// local rates (permutational and full models)
    #[command(flatten)]
    pub rates: LocalRateArgs,
    /// positions (full model only)
    #[command(flatten)]
    pub pos: PositionArgs,
    /// last time of the uniform output grid, units of 1/A (with --steps)
    #[arg(long, allow_hyphen_values = true)]
    pub t_max: Option<f64>,
    /// intervals of the uniform output grid: K + 1 times 0, T/K, ..., T
    #[arg(long, default_value_t = 100, allow_hyphen_values = true, value_parser = parse_count)]
    pub steps: usize,
    /// explicit output times t1,t2,... (non-decreasing, >= 0), instead of --t-max/--steps
    #[arg(long, conflicts_with = "t_max", allow_hyphen_values = true)]
    pub times: Option<Times>,
    /// initial state: `ground` (|j,-j>), `dicke:M` (|j,M>) or `product:THETA,PHI` (every TLS in
    /// cos(THETA/2)|e> + e^{i PHI} sin(THETA/2)|g>: the spin coherent state along (THETA, PHI))
    #[arg(long, default_value = "ground", allow_hyphen_values = true)]
    pub init: InitState,
    /// times t1,t2,... at which to write the Husimi Q function in the n_perp plane (needs --out)
    #[arg(long, allow_hyphen_values = true)]
    pub husimi_times: Option<Times>,
    /// Husimi grid: K x K points
    #[arg(long, default_value_t = 64, allow_hyphen_values = true, value_parser = parse_count)]
    pub husimi_grid: usize,
    /// half-width E of the Husimi grid in the n_perp plane (x1, x2 in [-E, E]; 1 = whole hemisphere)
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub husimi_extent: f64,
    /// local error tolerance of the Krylov propagator (per unit time, relative to ||rho(0)||),
    /// 1e-14 <= tol < 1e-2
    #[arg(long, default_value_t = 1e-10, allow_hyphen_values = true)]
    pub tol: f64,
    /// Krylov subspace dimension
    #[arg(long, default_value_t = 30, allow_hyphen_values = true, value_parser = parse_count)]
    pub krylov_dim: usize,
    /// Gram-Schmidt of the Krylov basis: `full`, `incomplete:Q` (against the last Q vectors) or
    /// `auto` (full up to 2^14 unknowns, incomplete:4 above, where memory bandwidth dominates)
    #[arg(long, default_value = "auto")]
    pub orthogonalization: Orthogonalization,
    /// write the results (and every parameter) to this HDF5 file
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `sqz reproduce`
#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// directory for reproduce.h5 and fig1.png .. fig4.png (created if missing)
    #[arg(long, default_value = "out")]
    pub out_dir: PathBuf,
    /// reduced first look (under a minute): fewer configurations, N values, w values and times
    #[arg(long)]
    pub quick: bool,
}

/// `sqz disorder`
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_long_help = "Exit codes: 0 the study is complete; 2 error (bad study file, a result file of \
another study, a damaged result file, another run writing the same result file, a full disk, not \
enough memory, ...); 75 stopped early by SIGTERM/SIGUSR1/SIGHUP/SIGINT (Slurm's --signal) or a closed \
output pipe, after saving every finished configuration: run the same command again to continue; 130 \
a second Ctrl-C (nothing saved since the last checkpoint). Failures and what is kept: \
docs/reliability.md. Under mpirun, send SIGUSR1 to mpirun (it forwards it; on SIGTERM mpirun \
kills the ranks a moment later, after sqz saved what had finished).\n\nExamples:\n  sqz disorder jobs/fig4d-n5.toml --out out/fig4d.h5\n  \
mpirun -n 4 sqz disorder study.toml\n  srun --mpi=pmix sqz disorder study.toml\n  \
sqz disorder check study.toml\n  sqz disorder status out/fig4d.h5\n  sqz disorder compare a.h5 b.h5"
)]
pub struct DisorderArgs {
    /// other actions: check a study file, show a result file's progress, compare two files
    #[command(subcommand)]
    pub action: Option<DisorderAction>,
    /// the study file (TOML; see the commented examples in jobs/)
    #[arg(required = true)]
    pub study: Option<PathBuf>,
    /// result file [default: the study path with extension .h5]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// discard an existing result file and start over
    #[arg(long)]
    pub fresh: bool,
    /// compute threads of a single-process run [default: all cores], 1 <= threads <= 4 x the
    /// cores (at least 64; more threads than cores only share them: a warning); under MPI each
    /// rank computes one task at a time
    #[arg(long, allow_hyphen_values = true, value_parser = parse_count)]
    pub threads: Option<usize>,
    /// write the result file every SECONDS (and on exit, and when a signal arrives)
    #[arg(
        long,
        default_value_t = 30.0,
        value_name = "SECONDS",
        allow_hyphen_values = true
    )]
    pub checkpoint_every: f64,
    /// also write it every K finished tasks (0: off)
    #[arg(long, default_value_t = 0, value_name = "K", allow_hyphen_values = true, value_parser = parse_count_u64)]
    pub checkpoint_tasks: u64,
    /// progress log period when stderr is not a terminal: tasks done of the total, and the
    /// tasks running for more than 2 s (or this period, if shorter)
    #[arg(
        long,
        default_value_t = 10.0,
        value_name = "SECONDS",
        allow_hyphen_values = true
    )]
    pub progress_every: f64,
    /// stop cleanly after K tasks of this run, as a signal would (for tests)
    #[arg(long, hide = true, value_name = "K")]
    pub stop_after: Option<u64>,
    /// panic in task K on purpose, to test that a panic aborts all ranks (for tests)
    #[arg(long, hide = true, value_name = "K")]
    pub panic_at_task: Option<u64>,
}

/// `sqz disorder <action>`
#[derive(Debug, Subcommand)]
pub enum DisorderAction {
    /// Validate a study file; print its normalised form, hash and size.
    Check {
        /// the study file
        study: PathBuf,
    },
    /// Progress recorded in a result file (done/total); exit code 0 when complete, 3 when not.
    Status {
        /// the result file
        file: PathBuf,
    },
    /// Compare the result datasets of two files bit for bit (timings excluded); exit code 0
    /// when identical, 1 when not.
    Compare {
        /// first file
        a: PathBuf,
        /// second file
        b: PathBuf,
        /// instead: check that B kept every task finished in A unchanged, wall times included
        /// (B was resumed from A without recomputing them)
        #[arg(long)]
        kept: bool,
    },
}
