//! `sqz-testkit`: what the tests of several sqz crates share, as a dev-dependency (no library
//! depends on it normally; `scripts/check-architecture.sh` refuses that).
//!
//! * [`dense_lindblad`]: a dense reference Lindbladian of Eq. 3 plus the local loss and dephasing,
//!   built from explicit Kronecker products of single-TLS operators, independent of the
//!   libraries' assemblies, and a dense null-space solve (tests of `sqz-superop`,
//!   `sqz-permutational` and `sqz`);
//! * [`cli`]: the harness of the end-to-end tests of the `sqz` binary (a clean launcher
//!   environment, time limits, JSON output, temporary directories, comparisons). The binary's
//!   path is passed in: `env!("CARGO_BIN_EXE_sqz")` exists only in the binary's own tests.

pub mod cli;
pub mod dense_lindblad;
