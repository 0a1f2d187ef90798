//! The study file: TOML text -> validated [`Study`].
//!
//! Two stages, like the CLI: serde reads the raw table (unknown keys are errors through
//! `deny_unknown_fields`, and the error names the key and the line), then [`Study::from_toml`]
//! checks every value against its allowed range and names the key when one is out of range.
//! The schema is documented by the commented examples in `jobs/` and in `docs/hdf5-layout.md`.
//!
//! The *normalised study* ([`Study::normalised`]) is the resolved content that determines the
//! results (parameters, w values as numbers, configurations, seed, solver options, the stream
//! rule), printed as canonical JSON. Its hash ([`Study::hash`]) identifies the study in a result
//! file: comments, key order, `0.3pi` versus `0.9424777960769379` and the `description` do not
//! change it, any value that changes a result does.

use serde::Deserialize;
use sqz_model::{positions, Params};

/// Largest N of a study: the largest of the full-space representations
/// (`sqz_superop::N_MAX_FULL`). Whether a study at N fits is decided at start-up against the
/// memory share of each concurrent solve (`crate::run`, `sqz_steady::memory::plan`); which solver
/// handles which N is `sqz_steady`'s choice (`sqz info --n N` lists the paths and their memory;
/// timings are in docs/performance.md).
pub const N_MAX: i64 = sqz_superop::N_MAX_FULL as i64;
/// Largest number of configurations per w (the configuration index must fit in 32 bits).
pub const CONFIGS_MAX: i64 = 10_000_000;
/// Largest number of w values.
pub const W_COUNT_MAX: usize = 10_000;
/// Largest number of tasks (w values x configurations) of one study (rank 0 keeps all results).
pub const TASKS_MAX: u64 = 10_000_000;
/// Version of the rule that maps (seed, w index, configuration) to positions; part of the hash.
pub const STREAM_RULE: &str =
    "v1: stream = w_index * 2^32 + configuration; chi_i uniform in [-1, 1] from ChaCha8Rng::seed_from_u64(seed) with set_stream(stream); z_i = 2 pi i + w chi_i";

/// A length as written in the study: a number or a string with an optional `pi` suffix.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum RawLength {
    Num(f64),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStudy {
    description: Option<String>,
    n: i64,
    r: f64,
    alpha: Option<f64>,
    delta: Option<f64>,
    gamma_loss: Option<f64>,
    gamma_deph: Option<f64>,
    w: Vec<RawLength>,
    configurations: Option<i64>,
    seed: Option<i64>,
    steady: Option<RawSteady>,
    traces: Option<RawTraces>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSteady {
    enabled: Option<bool>,
    tol: Option<f64>,
    estimate_gap: Option<bool>,
    max_iters: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTraces {
    t_max: f64,
    points: Option<i64>,
    tol: Option<f64>,
}

/// The steady-state parameters of a study file (its `[steady]` table, validated; the solver's
/// inputs are [`Study::steady_params`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SteadySpecParams {
    /// target bound on the error in rho (`residual / gap`); recorded per configuration as
    /// `bound_met`, not a failure when missed
    pub tol: f64,
    /// estimate the slowest relaxation rate (and so the error bound)
    pub estimate_gap: bool,
    /// iteration budget of the iterative method (N > 7)
    pub max_iters: usize,
}

/// The time-trace parameters of a study file (its `[traces]` table): `1/xi^2(t)` from all TLS
/// in `|g>` on `points` equally spaced times in `[0, t_max]` (Fig. 4(a-c)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceSpecParams {
    /// last time (units of 1/A)
    pub t_max: f64,
    /// number of time points, including t = 0 and t_max
    pub points: usize,
    /// local error tolerance of the propagator
    pub tol: f64,
}

/// A validated study.
#[derive(Debug, Clone)]
pub struct Study {
    /// N, r, alpha, Delta and the local rates (`gamma_loss`, `gamma_deph`, default 0)
    pub params: Params,
    /// disorder strengths in units of zeta
    pub w: Vec<f64>,
    /// the w values as written in the file
    pub w_text: Vec<String>,
    /// per w: whether it is `"0+"`, the limit `w -> 0+` of the steady state (`sqz_steady::limit`;
    /// its `w` is 0, its positions the ideal ones, its steady state the limit along the
    /// configuration's direction `chi`)
    pub w_limit: Vec<bool>,
    /// configurations per w
    pub configurations: u64,
    /// global seed
    pub seed: u64,
    /// steady states, if asked for
    pub steady: Option<SteadySpecParams>,
    /// time traces, if asked for
    pub traces: Option<TraceSpecParams>,
    /// free text (not part of the hash)
    pub description: String,
    /// the study file as read
    pub text: String,
}

/// A study-file error: which key, what value, what is allowed.
fn bad(key: &str, value: impl std::fmt::Display, allowed: &str) -> anyhow::Error {
    anyhow::anyhow!("study key `{key}` = {value}: allowed {allowed}")
}

fn check_f64(key: &str, v: f64, ok: bool, allowed: &str) -> anyhow::Result<f64> {
    if v.is_finite() && ok {
        Ok(v)
    } else {
        Err(bad(key, v, allowed))
    }
}

/// The model parameters of a study (keys n, r, alpha, delta, gamma_loss, gamma_deph).
fn params_of(raw: &RawStudy) -> anyhow::Result<Params> {
    if !(1..=N_MAX).contains(&raw.n) {
        return Err(bad(
            "n",
            raw.n,
            &format!(
                "an integer 1 <= n <= {N_MAX} (the full Liouville space of Eq. 3 has 4^N entries \
                 and the cost per configuration grows about 8-fold per TLS; whether N fits in \
                 the memory is checked when the study starts; `sqz info --n N` shows the solver \
                 path and its memory, docs/performance.md the measured times)"
            ),
        ));
    }
    let r = check_f64("r", raw.r, (0.0..=20.0).contains(&raw.r), "0 <= r <= 20")?;
    let alpha = raw.alpha.unwrap_or(Params::DEFAULT_ALPHA);
    check_f64("alpha", alpha, true, "a finite number (radians)")?;
    let delta = raw.delta.unwrap_or(Params::DEFAULT_DELTA);
    check_f64(
        "delta",
        delta,
        delta.abs() <= 1e12,
        "a finite number |delta| <= 1e12 (units of A)",
    )?;
    // local loss and dephasing of every TLS (beyond the paper; issue 17), default 0
    let gamma_loss = raw.gamma_loss.unwrap_or(0.0);
    let gamma_deph = raw.gamma_deph.unwrap_or(0.0);
    for (key, v) in [("gamma_loss", gamma_loss), ("gamma_deph", gamma_deph)] {
        check_f64(
            key,
            v,
            sqz_model::params::check_local_rate("gamma", v).is_ok(),
            sqz_model::params::LOCAL_RATE_ALLOWED,
        )?;
    }
    Ok(Params::new(raw.n as usize, r, alpha, delta)?.with_local_rates(gamma_loss, gamma_deph)?)
}

/// The w values of a study: their values, their text as written, and whether each is the limit
/// `"0+"`.
#[allow(clippy::type_complexity)]
fn w_values(raw_w: &[RawLength]) -> anyhow::Result<(Vec<f64>, Vec<String>, Vec<bool>)> {
    if raw_w.is_empty() || raw_w.len() > W_COUNT_MAX {
        return Err(bad(
            "w",
            format!("a list of {} values", raw_w.len()),
            "a list of 1 to 10000 disorder strengths, numbers or strings with a `pi` suffix (\"0.03pi\")",
        ));
    }
    let mut w = Vec::with_capacity(raw_w.len());
    let mut w_text = Vec::with_capacity(raw_w.len());
    let mut w_limit = Vec::with_capacity(raw_w.len());
    for (i, l) in raw_w.iter().enumerate() {
        let key = format!("w[{i}]");
        let (d, t) = match l {
            RawLength::Num(x) => (positions::Disorder::Value(*x), format!("{x}")),
            RawLength::Text(s) => (
                positions::parse_w(s).map_err(|_| {
                    bad(
                        &key,
                        format!("{s:?}"),
                        "a number, a string like \"0.03pi\" (units of zeta), or \"0+\" (the \
                         limit w -> 0+ of the steady state)",
                    )
                })?,
                s.trim().to_string(),
            ),
        };
        let v = d.value();
        if positions::check_w(v).is_err() {
            return Err(bad(&key, &t, "0 <= w <= 10pi (units of zeta)"));
        }
        let same = |j: usize| w[j] == v && w_limit[j] == d.is_limit();
        if let Some(j) = (0..w.len()).find(|&j| same(j)) {
            return Err(bad(
                &key,
                &t,
                &format!("distinct values (equal to w[{j}] = {})", w_text[j]),
            ));
        }
        w.push(v);
        w_text.push(t);
        w_limit.push(d.is_limit());
    }
    Ok((w, w_text, w_limit))
}

/// The limit `w -> 0+` is that of the paper's model (no local rates) and of the steady state.
fn check_limit(w_limit: &[bool], raw: &RawStudy, params: &Params) -> anyhow::Result<()> {
    let (gamma_loss, gamma_deph) = (raw.gamma_loss.unwrap_or(0.0), raw.gamma_deph.unwrap_or(0.0));
    if w_limit.iter().any(|&x| x) && params.has_local_rates() {
        return Err(bad(
            "w",
            "\"0+\"",
            &format!(
                "numbers only with local rates (gamma_loss = {gamma_loss}, gamma_deph = \
                 {gamma_deph}): \"0+\" is the limit of the paper's model, without them"
            ),
        ));
    }
    if w_limit.iter().any(|&x| x) && raw.steady.as_ref().and_then(|s| s.enabled) == Some(false) {
        return Err(bad(
            "w",
            "\"0+\"",
            "numbers only when steady states are off: \"0+\" is the limit of the steady state",
        ));
    }
    Ok(())
}

/// The configurations per w and the seed of a study with `n_w` w values.
fn configurations_and_seed(raw: &RawStudy, n_w: usize) -> anyhow::Result<(u64, u64)> {
    let configurations = raw.configurations.unwrap_or(200);
    if !(1..=CONFIGS_MAX).contains(&configurations) {
        return Err(bad(
            "configurations",
            configurations,
            "an integer 1 <= configurations <= 10000000",
        ));
    }
    let configurations = configurations as u64;
    let tasks = configurations * n_w as u64;
    if tasks > TASKS_MAX {
        return Err(bad(
            "configurations",
            configurations,
            &format!("at most {TASKS_MAX} tasks in all (w values x configurations; here {tasks})"),
        ));
    }
    let seed = raw.seed.unwrap_or(0);
    if seed < 0 {
        return Err(bad("seed", seed, "an integer 0 <= seed <= 2^63 - 1"));
    }
    Ok((configurations, seed as u64))
}

/// The `[steady]` options (`None`: steady states off).
fn steady_spec_params(rs: RawSteady) -> anyhow::Result<Option<SteadySpecParams>> {
    Ok(if rs.enabled.unwrap_or(true) {
        let tol = rs.tol.unwrap_or(1e-8);
        check_f64(
            "steady.tol",
            tol,
            sqz_steady::checks::check_tol(tol).is_ok(),
            "1e-14 <= tol < 1 (target bound on |rho - rho_exact|; smaller bounds cannot be met \
             in double precision)",
        )?;
        let max_iters = rs
            .max_iters
            .unwrap_or(sqz_steady::SteadyParams::default().max_iters as i64);
        if !(1..=10_000_000).contains(&max_iters) {
            return Err(bad(
                "steady.max_iters",
                max_iters,
                "an integer 1 <= max_iters <= 10000000 (GMRES iterations, N > 5)",
            ));
        }
        Some(SteadySpecParams {
            tol,
            estimate_gap: rs.estimate_gap.unwrap_or(true),
            max_iters: max_iters as usize,
        })
    } else {
        if rs.tol.is_some() || rs.estimate_gap.is_some() || rs.max_iters.is_some() {
            return Err(bad(
                "steady.enabled",
                false,
                "true when steady.tol, steady.estimate_gap or steady.max_iters is given",
            ));
        }
        None
    })
}

/// The `[traces]` options.
fn trace_spec_params(t: RawTraces) -> anyhow::Result<TraceSpecParams> {
    let t_max = check_f64(
        "traces.t_max",
        t.t_max,
        t.t_max > 0.0 && t.t_max <= 1e6,
        "0 < t_max <= 1e6 (units of 1/A)",
    )?;
    let points = t.points.unwrap_or(101);
    if !(2..=100_000).contains(&points) {
        return Err(bad(
            "traces.points",
            points,
            "an integer 2 <= points <= 100000",
        ));
    }
    let tol = t.tol.unwrap_or(1e-8);
    check_f64(
        "traces.tol",
        tol,
        (sqz_dynamics::MIN_TOL..1.0).contains(&tol),
        "1e-14 <= tol < 1 (the propagator's local error tolerance; smaller ones cannot be \
         met in double precision)",
    )?;
    Ok(TraceSpecParams {
        t_max,
        points: points as usize,
        tol,
    })
}

impl Study {
    /// Parses and validates a study file.
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        let raw: RawStudy = toml::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "{}\n(allowed keys: description, n, r, alpha, delta, gamma_loss, gamma_deph, w, configurations, seed, [steady] enabled/tol/estimate_gap/max_iters, [traces] t_max/points/tol)",
                e.to_string().trim_end()
            )
        })?;
        let params = params_of(&raw)?;
        let (w, w_text, w_limit) = w_values(&raw.w)?;
        check_limit(&w_limit, &raw, &params)?;
        let (configurations, seed) = configurations_and_seed(&raw, w.len())?;
        let steady = steady_spec_params(raw.steady.unwrap_or_default())?;
        let traces = raw.traces.map(trace_spec_params).transpose()?;
        if steady.is_none() && traces.is_none() {
            return Err(bad(
                "steady.enabled",
                false,
                "true, or a [traces] table: the study must compute something",
            ));
        }
        Ok(Self {
            params,
            w,
            w_text,
            w_limit,
            configurations,
            seed,
            steady,
            traces,
            description: raw.description.unwrap_or_default(),
            text: text.to_string(),
        })
    }

    /// The output times of the traces: `points` equally spaced in `[0, t_max]` (empty without
    /// traces).
    pub fn trace_times(&self) -> Vec<f64> {
        match self.traces {
            None => Vec::new(),
            Some(t) => (0..t.points)
                .map(|i| t.t_max * i as f64 / (t.points - 1) as f64)
                .collect(),
        }
    }

    /// Number of trace points (0 without traces).
    pub fn trace_points(&self) -> usize {
        self.traces.map_or(0, |t| t.points)
    }

    /// Number of w values.
    pub fn n_w(&self) -> usize {
        self.w.len()
    }

    /// Number of tasks (w values x configurations).
    pub fn tasks(&self) -> u64 {
        self.w.len() as u64 * self.configurations
    }

    /// The (w index, configuration) of a task; tasks run w-major.
    pub fn split(&self, task: u64) -> (usize, u64) {
        (
            (task / self.configurations) as usize,
            task % self.configurations,
        )
    }

    /// The random stream of a task: depends only on (w index, configuration), never on ranks.
    pub fn stream(w_index: usize, config: u64) -> u64 {
        ((w_index as u64) << 32) | config
    }

    /// The disorder direction `chi` of a task (`z_i = 2 pi i + w chi_i`).
    pub fn chi(&self, task: u64) -> Vec<f64> {
        let (wi, c) = self.split(task);
        positions::chi(self.params.n(), self.seed, Self::stream(wi, c))
    }

    /// Whether a task's w is the limit `w -> 0+`.
    pub fn is_limit(&self, task: u64) -> bool {
        self.w_limit[self.split(task).0]
    }

    /// Positions of a task, `z_i = 2 pi i + w chi_i` (ideal for the limit `w -> 0+`).
    pub fn positions(&self, task: u64) -> Vec<f64> {
        let (wi, c) = self.split(task);
        positions::disordered(self.params.n(), self.w[wi], self.seed, Self::stream(wi, c))
            .expect("w validated in Study::from_toml")
    }

    /// Canonical JSON of everything that determines the results.
    pub fn normalised(&self) -> String {
        let p = &self.params;
        let steady = self
            .steady
            .map(|s| serde_json::json!({"tol": s.tol, "estimate_gap": s.estimate_gap, "max_iters": s.max_iters}));
        let traces = self
            .traces
            .map(|t| serde_json::json!({"t_max": t.t_max, "points": t.points, "tol": t.tol}));
        // serde_json's Map is ordered by key: the text is canonical
        let mut v = serde_json::json!({
            "format": "sqz-disorder-study/1",
            "n": p.n(),
            "r": p.r(),
            "alpha": p.alpha(),
            "delta": p.delta(),
            "w": self.w,
            "configurations": self.configurations,
            "seed": self.seed,
            "steady": steady,
            "traces": traces,
            "stream_rule": STREAM_RULE,
        });
        // only studies with a limit carry the key: the hashes of the others are unchanged
        if self.w_limit.iter().any(|&x| x) {
            v["w_limit"] = serde_json::json!(self.w_limit);
        }
        // the same for the local rates: a study without them (every study written before they
        // existed) keeps its hash and resumes as rates 0; any nonzero rate changes the hash
        if p.has_local_rates() {
            v["gamma_loss"] = serde_json::json!(p.gamma_loss());
            v["gamma_deph"] = serde_json::json!(p.gamma_deph());
        }
        v.to_string()
    }

    /// Hash of [`Study::normalised`]: `fnv1a64:` and 16 hex digits.
    pub fn hash(&self) -> String {
        let mut h = crate::schema::Fnv::default();
        h.eat(self.normalised().as_bytes());
        format!("fnv1a64:{:016x}", h.0)
    }

    /// The solver parameters of every task (`None` without steady states); `memory_budget`:
    /// the bytes each concurrent solve may use (`None`: what the machine has at each solve).
    pub fn steady_params(&self, memory_budget: Option<u64>) -> Option<sqz_steady::SteadyParams> {
        self.steady.map(|so| sqz_steady::SteadyParams {
            tol: so.tol,
            estimate_gap: so.estimate_gap,
            max_iters: so.max_iters,
            memory_budget,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
        # comment
        n = 4
        r = 0.5
        w = ["0.03pi", 0.1, "0"]
        configurations = 20
        seed = 7
        [steady]
        tol = 1e-8
    "#;

    #[test]
    fn parses_and_defaults() {
        let s = Study::from_toml(GOOD).unwrap();
        assert_eq!(s.params.n(), 4);
        assert_eq!(s.params.alpha(), 0.5);
        assert_eq!(s.params.delta(), 1.0);
        assert!((s.w[0] - 0.03 * std::f64::consts::PI).abs() < 1e-15);
        assert_eq!(s.w[2], 0.0);
        assert_eq!(s.tasks(), 60);
        assert_eq!(s.split(21), (1, 1));
        assert!(s.steady.unwrap().estimate_gap);
        let d = Study::from_toml("n = 5\nr = 0.5\nw = [0.1]\n").unwrap();
        assert_eq!(d.configurations, 200);
        assert_eq!(d.seed, 0);
    }

    #[test]
    fn hash_ignores_formatting_but_not_values() {
        let a = Study::from_toml(GOOD).unwrap();
        let b = Study::from_toml(&GOOD.replace("# comment", "description = \"x\"")).unwrap();
        assert_eq!(a.hash(), b.hash());
        let c = Study::from_toml(&GOOD.replace("seed = 7", "seed = 8")).unwrap();
        assert_ne!(a.hash(), c.hash());
        let d = Study::from_toml(&GOOD.replace("tol = 1e-8", "tol = 1e-9")).unwrap();
        assert_ne!(a.hash(), d.hash());
    }

    fn err(text: &str) -> String {
        format!("{:#}", Study::from_toml(text).unwrap_err())
    }

    #[test]
    fn errors_name_the_key_and_range() {
        let e = err("n = 4\nr = 0.5\nw = [0.1]\nbogus = 1\n");
        assert!(e.contains("bogus"), "{e}");
        let e = err("n = 16\nr = 0.5\nw = [0.1]\n");
        assert!(e.contains("`n`") && e.contains("n <= 15"), "{e}");
        assert!(Study::from_toml("n = 11\nr = 0.5\nw = [0.1]\n").is_ok());
        let e = err("n = 4\nr = -1\nw = [0.1]\n");
        assert!(e.contains("`r`") && e.contains("0 <= r <= 20"), "{e}");
        let e = err("n = 4\nr = 0.5\nw = [\"0.1xpi\"]\n");
        assert!(e.contains("`w[0]`"), "{e}");
        let e = err("n = 4\nr = 0.5\nw = [\"40\"]\n");
        assert!(e.contains("`w[0]`") && e.contains("10pi"), "{e}");
        let e = err("n = 4\nr = 0.5\nw = [0.1, 0.1]\n");
        assert!(e.contains("`w[1]`") && e.contains("distinct"), "{e}");
        let e = err("n = 4\nr = 0.5\nw = [0.1]\nconfigurations = 0\n");
        assert!(e.contains("`configurations`"), "{e}");
        let e = err("n = 4\nr = 0.5\nw = []\n");
        assert!(e.contains("`w`"), "{e}");
        let e = err("n = 4\nr = 0.5\nw = [0.1]\n[steady]\ntol = 2.0\n");
        assert!(e.contains("`steady.tol`"), "{e}");
        let e = err("n = 4\nr = 0.5\nw = [0.1]\n[steady]\nmethod = \"x\"\n");
        assert!(e.contains("method"), "{e}");
        let e = err("n = 4\nr = 0.5\nw = [0.1]\nseed = -3\n");
        assert!(e.contains("`seed`"), "{e}");
        let e = err("r = 0.5\nw = [0.1]\n");
        assert!(e.contains("missing field `n`"), "{e}");
        let e = err("n = 4\nr = 0.5\nw = [0.1]\n[traces]\nt_max = 10.0\npoints = 1\n");
        assert!(e.contains("`traces.points`"), "{e}");
        let e = err("n = 4\nr = 0.5\nw = [0.1]\n[traces]\nt_max = -1.0\n");
        assert!(e.contains("`traces.t_max`"), "{e}");
    }

    #[test]
    fn streams_depend_only_on_w_index_and_configuration() {
        let s = Study::from_toml(GOOD).unwrap();
        assert_eq!(Study::stream(1, 5), (1u64 << 32) + 5);
        assert_eq!(s.positions(25), s.positions(25));
        assert_ne!(s.positions(25), s.positions(26));
    }
}
