//! Raw command-line arguments (clap). Validation happens in the commands, through the model's
//! constructors, so that every error names the value and its allowed range.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// sqz: steady states and dynamics of N two-level systems in a waveguide fed with squeezed
/// vacuum (Bai & An, PRL 127, 083602 (2021)). Units: rates in A, times in 1/A, lengths in zeta.
#[derive(Debug, Parser)]
#[command(name = "sqz", version = concat!(env!("CARGO_PKG_VERSION"), " (git ", env!("SQZ_GIT_HASH"), ")"))]
pub struct Cli {
    /// what to compute
    #[command(subcommand)]
    pub command: Command,
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
    Disorder(crate::cmd_disorder::DisorderArgs),
    /// Time evolution of Eq. 7 (collective) or Eq. 3 (full) by Krylov propagation: 1/xi^2(t),
    /// mean spin and trace at the requested times (Fig. 1, Fig. 4(a-c)); Husimi Q (Fig. 2).
    Evolve(EvolveArgs),
    /// Reproduce the paper: every figure (1-4) from built-in studies, into one HDF5 file and one
    /// PNG per figure, with the key numbers next to the paper's.
    Reproduce(ReproduceArgs),
}

/// Where the TLS sit (full model): disorder `--w --seed [--config]`, explicit `--positions`, or
/// ideal positions `z_i = 2 pi i` when neither is given.
#[derive(Debug, Clone, Args)]
pub struct PositionArgs {
    /// disorder strength w in units of zeta (a `pi` suffix is accepted: `--w 0.3pi`)
    #[arg(long, conflicts_with = "positions")]
    pub w: Option<String>,
    /// seed of the disorder
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// configuration index (the random stream) of the disorder
    #[arg(long, default_value_t = 0)]
    pub config: u64,
    /// explicit positions z1,z2,... in units of zeta (`pi` suffix accepted: `0,2pi,4.1pi`)
    #[arg(long, allow_hyphen_values = true)]
    pub positions: Option<String>,
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
    pub out: Option<std::path::PathBuf>,
    /// print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// `sqz info`
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// number of two-level systems N
    #[arg(long)]
    pub n: usize,
    /// Krylov vectors assumed for the solver workspace
    #[arg(long, default_value_t = 40)]
    pub krylov_vectors: usize,
    /// print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// `sqz validate`
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// number of two-level systems N (full-space null-space check for N <= 5, matrix-free residual of Eq. 8 for N <= 12)
    #[arg(long, default_value_t = 5)]
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
    /// print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// The physical parameters shared by the commands.
#[derive(Debug, Clone, Args)]
pub struct PhysArgs {
    /// number of two-level systems N (>= 1)
    #[arg(long)]
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

/// `sqz analytic`
#[derive(Debug, Args)]
pub struct AnalyticArgs {
    #[command(flatten)]
    pub phys: PhysArgs,
    /// print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// Which master equation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Model {
    /// Eq. 7 in the (N+1)-dimensional Dicke basis (ideal positions)
    Collective,
    /// Eq. 3 in the full 4^N Liouville space (any positions)
    Full,
    /// Eq. 7 plus local loss and dephasing (--gamma-loss, --gamma-deph) on permutation-invariant
    /// states: blocks of total spin J, O(N^3) unknowns (ideal positions)
    Permutational,
}

/// Local processes of every TLS (beyond the paper): `gamma_loss D[sigma_i] rho +
/// (gamma_deph/2) D[sigma^z_i] rho`; only `--model permutational` includes them.
#[derive(Debug, Clone, Args)]
pub struct LocalRateArgs {
    /// local loss rate of each TLS in units of A (0 <= gamma <= 1e6): gamma_loss D[sigma_i];
    /// beta = A / (A + gamma_loss) (--model permutational)
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub gamma_loss: f64,
    /// local dephasing rate of each TLS in units of A (0 <= gamma <= 1e6): (gamma_deph/2)
    /// D[sigma^z_i], coherences decay at gamma_deph (--model permutational)
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub gamma_deph: f64,
}

/// `sqz steady`
#[derive(Debug, Args)]
pub struct SteadyArgs {
    /// which master equation
    #[arg(long, value_enum, default_value_t = Model::Collective)]
    pub model: Model,
    #[command(flatten)]
    pub phys: PhysArgs,
    #[command(flatten)]
    pub rates: LocalRateArgs,
    /// positions (full model only)
    #[command(flatten)]
    pub pos: PositionArgs,
    /// initial state, which selects the steady state when it is not unique (ideal positions):
    /// `ground` or `dicke:M` (|j,M>)
    #[arg(long, default_value = "ground")]
    pub init: String,
    /// target bound on the error in rho (full model)
    #[arg(long, default_value_t = 1e-8)]
    pub tol: f64,
    /// skip the gap estimate (and so the error bound) of the full model
    #[arg(long)]
    pub no_gap: bool,
    /// print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// `sqz scaling`
#[derive(Debug, Args)]
pub struct ScalingArgs {
    /// smallest N
    #[arg(long, default_value_t = 2)]
    pub n_min: usize,
    /// largest N
    #[arg(long, default_value_t = 1000)]
    pub n_max: usize,
    /// number of N values, log-spaced between n-min and n-max (duplicates removed); 0 = every N
    #[arg(long, default_value_t = 48)]
    pub n_points: usize,
    /// tolerance on r_opt and on the ends of the squeezed range of r
    #[arg(long, default_value_t = 1e-4)]
    pub r_tol: f64,
    /// largest r searched
    #[arg(long, default_value_t = 4.0)]
    pub r_max: f64,
    /// squeezing angle alpha (radians)
    #[arg(long, default_value_t = 0.5, allow_hyphen_values = true)]
    pub alpha: f64,
    /// frequency shift Delta in units of A
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub delta: f64,
    /// fits use N >= fit-n-min (2: the whole range, as the paper's fits appear to)
    #[arg(long, default_value_t = 2)]
    pub fit_n_min: usize,
    /// write the results to this HDF5 file
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// `sqz evolve`
#[derive(Debug, Args)]
pub struct EvolveArgs {
    /// which master equation
    #[arg(long, value_enum, default_value_t = Model::Collective)]
    pub model: Model,
    #[command(flatten)]
    pub phys: PhysArgs,
    #[command(flatten)]
    pub rates: LocalRateArgs,
    /// positions (full model only)
    #[command(flatten)]
    pub pos: PositionArgs,
    /// last time of the uniform output grid, units of 1/A (with --steps)
    #[arg(long)]
    pub t_max: Option<f64>,
    /// intervals of the uniform output grid: K + 1 times 0, T/K, ..., T
    #[arg(long, default_value_t = 100)]
    pub steps: usize,
    /// explicit output times t1,t2,... (non-decreasing, >= 0), instead of --t-max/--steps
    #[arg(long, conflicts_with = "t_max")]
    pub times: Option<String>,
    /// initial state: `ground` (|j,-j>), `dicke:M` (|j,M>) or `product:THETA,PHI` (every TLS in
    /// cos(THETA/2)|e> + e^{i PHI} sin(THETA/2)|g>: the spin coherent state along (THETA, PHI))
    #[arg(long, default_value = "ground", allow_hyphen_values = true)]
    pub init: String,
    /// times t1,t2,... at which to write the Husimi Q function in the n_perp plane (needs --out)
    #[arg(long)]
    pub husimi_times: Option<String>,
    /// Husimi grid: K x K points
    #[arg(long, default_value_t = 64)]
    pub husimi_grid: usize,
    /// half-width E of the Husimi grid in the n_perp plane (x1, x2 in [-E, E]; 1 = whole hemisphere)
    #[arg(long, default_value_t = 1.0)]
    pub husimi_extent: f64,
    /// local error tolerance of the Krylov propagator (per unit time, relative to ||rho(0)||)
    #[arg(long, default_value_t = 1e-10)]
    pub tol: f64,
    /// Krylov subspace dimension
    #[arg(long, default_value_t = 30)]
    pub krylov_dim: usize,
    /// Gram-Schmidt of the Krylov basis: `full`, `incomplete:Q` (against the last Q vectors) or
    /// `auto` (full up to 2^14 unknowns, incomplete:4 above, where memory bandwidth dominates)
    #[arg(long, default_value = "auto")]
    pub orthogonalization: String,
    /// write the results (and every parameter) to this HDF5 file
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
    /// no progress lines on stderr
    #[arg(long)]
    pub quiet: bool,
}

/// `sqz reproduce`
#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// directory for reproduce.h5 and fig1.png .. fig4.png (created if missing)
    #[arg(long, default_value = "out")]
    pub out_dir: std::path::PathBuf,
    /// reduced first look (under a minute): fewer configurations, N values, w values and times
    #[arg(long)]
    pub quick: bool,
    /// print the summary as one JSON object instead of text
    #[arg(long)]
    pub json: bool,
    /// no progress on stderr
    #[arg(long)]
    pub quiet: bool,
}
