//! Raw command-line arguments (clap). Validation happens in the commands, through the model's
//! constructors, so that every error names the value and its allowed range.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// sqz: steady states and dynamics of N two-level systems in a waveguide fed with squeezed
/// vacuum (Bai & An, PRL 127, 083602 (2021)). Units: rates in A, times in 1/A, lengths in zeta.
#[derive(Debug, Parser)]
#[command(name = "sqz", version = "(set at run time: cli::version)")]
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
    #[arg(long, conflicts_with = "positions", allow_hyphen_values = true)]
    pub w: Option<String>,
    /// seed of the disorder
    #[arg(long, default_value_t = 1, allow_hyphen_values = true, value_parser = parse_seed)]
    pub seed: u64,
    /// configuration index (the random stream) of the disorder, 0 <= C < 2^32
    #[arg(long, default_value_t = 0, allow_hyphen_values = true, value_parser = parse_config)]
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
    #[arg(long, allow_hyphen_values = true, value_parser = parse_n_full)]
    pub n: usize,
    /// Krylov vectors assumed for the solver workspace
    #[arg(long, default_value_t = 40, allow_hyphen_values = true, value_parser = parse_count)]
    pub krylov_vectors: usize,
    /// print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
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
    /// print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
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
}

/// `sqz steady`
#[derive(Debug, Args)]
pub struct SteadyArgs {
    /// which master equation
    #[arg(long, value_enum, default_value_t = Model::Collective)]
    pub model: Model,
    #[command(flatten)]
    pub phys: PhysArgs,
    /// positions (full model only)
    #[command(flatten)]
    pub pos: PositionArgs,
    /// initial state, which selects the steady state when it is not unique (ideal positions):
    /// `ground` or `dicke:M` (|j,M>)
    #[arg(long, default_value = "ground")]
    pub init: String,
    /// target bound on the error in rho (full model), 1e-14 <= tol < 1
    #[arg(long, default_value_t = 1e-8, allow_hyphen_values = true)]
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
    pub times: Option<String>,
    /// initial state: `ground` (|j,-j>), `dicke:M` (|j,M>) or `product:THETA,PHI` (every TLS in
    /// cos(THETA/2)|e> + e^{i PHI} sin(THETA/2)|g>: the spin coherent state along (THETA, PHI))
    #[arg(long, default_value = "ground", allow_hyphen_values = true)]
    pub init: String,
    /// times t1,t2,... at which to write the Husimi Q function in the n_perp plane (needs --out)
    #[arg(long, allow_hyphen_values = true)]
    pub husimi_times: Option<String>,
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
        env!("SQZ_GIT_HASH"),
        if features.is_empty() {
            "none (built without MPI: single node only)".to_string()
        } else {
            features.join(", ")
        }
    );
    Box::leak(s.into_boxed_str())
}

/// Largest `--config`: the study files put the w index in the upper 32 bits of the random
/// stream (`stream = w_index * 2^32 + configuration`), so larger configurations would reuse
/// the streams of other w values.
pub const CONFIG_MAX: u64 = (1 << 32) - 1;

fn parse_int(s: &str) -> Result<i128, String> {
    s.trim()
        .parse::<i128>()
        .map_err(|_| format!("{s:?} is not a whole number"))
}

/// N of the commands that accept any N of the model (`1 <= N <= 100000`).
pub fn parse_n(s: &str) -> Result<usize, String> {
    let v = parse_int(s)?;
    let max = sqz_model::params::N_MAX as i128;
    if !(1..=max).contains(&v) {
        return Err(format!("allowed an integer 1 <= N <= {max}"));
    }
    Ok(v as usize)
}

/// N of the full-space representations (`1 <= N <= 15`).
pub fn parse_n_full(s: &str) -> Result<usize, String> {
    let v = parse_int(s)?;
    let max = sqz_superop::N_MAX_FULL as i128;
    if !(1..=max).contains(&v) {
        return Err(format!(
            "allowed 1 <= N <= {max} for the full-space representations"
        ));
    }
    Ok(v as usize)
}

/// A count (steps, grid points, Krylov vectors): a whole number >= 0; the command checks its
/// own range.
pub fn parse_count(s: &str) -> Result<usize, String> {
    let v = parse_int(s)?;
    if v < 0 || v > usize::MAX as i128 {
        return Err(format!(
            "allowed a whole number >= 0 (at most {})",
            usize::MAX
        ));
    }
    Ok(v as usize)
}

/// `--seed`: `0 <= seed <= 2^64 - 1`.
pub fn parse_seed(s: &str) -> Result<u64, String> {
    let v = parse_int(s)?;
    if v < 0 || v > u64::MAX as i128 {
        return Err("allowed 0 <= seed <= 2^64 - 1".into());
    }
    Ok(v as u64)
}

/// `--config`: `0 <= C <= 2^32 - 1` ([`CONFIG_MAX`]).
pub fn parse_config(s: &str) -> Result<u64, String> {
    let v = parse_int(s)?;
    if v < 0 || v > CONFIG_MAX as i128 {
        return Err(format!(
            "allowed 0 <= config <= 2^32 - 1 = {CONFIG_MAX} (larger values would reuse the random \
             streams of other w values: stream = w_index * 2^32 + configuration)"
        ));
    }
    Ok(v as u64)
}

/// [`parse_count`] as u64.
pub fn parse_count_u64(s: &str) -> Result<u64, String> {
    parse_count(s).map(|v| v as u64)
}
