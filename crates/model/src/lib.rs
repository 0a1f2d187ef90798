//! # sqz-model: the physics of Bai & An, PRL 127, 083602 (2021)
//!
//! N two-level systems (TLS) at positions `z_i` along a waveguide fed with broadband squeezed
//! vacuum. Everything here works in the paper's units: rates in `A = Gamma_11 zeta omega_11 / c`
//! (so `A = 1`), lengths in `zeta`, times in `1/A`.
//!
//! | module | content | paper |
//! |---|---|---|
//! | [`params`] | validated `(N, r, alpha, Delta)`, derived `Nsq`, `M`, `Delta_N` | Eq. 3 |
//! | [`positions`] | ideal positions, disorder `z_i = z_i^0 + w chi_i`, length parsing | Fig. 4 |
//! | [`couplings`] | `Delta_ij`, `gamma-_ij`, `gamma+_ij` | Eqs. 5, 6 |
//! | [`spin`] | collective spin operators in the Dicke basis `j = N/2` | |
//! | [`collective`] | the collective Liouvillian in the Dicke basis and its null vector | Eq. 7 |
//! | [`analytic`] | the analytic steady state, stable to large N | Eq. 8 |
//! | [`observables`] | mean spin, Wineland `xi_R^2`, Husimi Q and its projection along the mean spin | |
//! | [`scaling`] | r_opt, the largest `1/xi^2` and the squeezed range of r against N; the Eq. 9 fits | Eq. 8, Eq. 9 |
//! | [`series`] | [`Series`]: the observables of a propagation at its output times (every model) | |
//!
//! ## Error policy
//! Shape and index contract violations panic (documented under `# Panics`); bad input and
//! numerical failure return [`ModelError`].
#![deny(missing_docs)]

pub mod analytic;
pub mod collective;
pub mod couplings;
mod error;
pub mod observables;
pub mod params;
pub mod positions;
pub mod scaling;
pub mod series;
pub mod sparse;
pub mod spin;

pub use error::ModelError;
pub use num_complex::Complex64 as C64;
pub use params::Params;
pub use series::Series;
