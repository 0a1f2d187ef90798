//! Numbers on the command line with a range: parsed once by clap (negative values reach the
//! parser, so that the error is the range, not "unexpected argument"), with the allowed range in
//! the error. Whole numbers, the local rates, disorder strengths (`--w`, with `0+`) and disorder
//! directions (`--chi`).

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

/// `--w`: a disorder strength, a length (`0.3pi`, `0.1`) or `0+` (the limit `w -> 0+`), by the
/// one parser of the syntax ([`sqz_model::positions::parse_w`]); the range is checked where the
/// value is used.
pub fn parse_w(s: &str) -> Result<sqz_model::positions::Disorder, String> {
    sqz_model::positions::parse_w(s).map_err(|e| {
        format!("{e}, or `0+` for the limit w -> 0+ of the steady state (sqz steady --model full)")
    })
}

/// `--chi`: an explicit disorder direction `c1,..,cN` (positions `z_i = 2 pi i + w c_i`).
#[derive(Debug, Clone, PartialEq)]
pub struct Chi(pub Vec<f64>);

/// `--chi`: comma-separated numbers, each `-1 <= c_i <= 1`; their count is checked against N
/// when the command resolves them (`crate::resolve::chi`).
pub fn parse_chi(s: &str) -> Result<Chi, String> {
    s.split(',')
        .enumerate()
        .map(|(i, t)| {
            let v: f64 = t
                .trim()
                .parse()
                .map_err(|_| format!("c_{} = {:?} is not a number", i + 1, t.trim()))?;
            if !(v.is_finite() && (-1.0..=1.0).contains(&v)) {
                return Err(format!(
                    "c_{} = {} is out of range: allowed -1 <= c_i <= 1 (the offsets in units of w)",
                    i + 1,
                    t.trim()
                ));
            }
            Ok(v)
        })
        .collect::<Result<Vec<f64>, String>>()
        .map(Chi)
}

/// `--gamma-loss`, `--gamma-deph`: a finite rate `0 <= gamma <= 1e6` (units of A), the range of
/// [`sqz_model::params::check_local_rate`].
pub fn parse_local_rate(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|_| {
        format!(
            "{s:?} is not a number: allowed {}",
            sqz_model::params::LOCAL_RATE_ALLOWED
        )
    })?;
    sqz_model::params::check_local_rate("gamma", v)
        .map_err(|_| format!("allowed {}", sqz_model::params::LOCAL_RATE_ALLOWED))
}
