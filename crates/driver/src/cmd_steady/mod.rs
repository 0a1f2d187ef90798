//! `sqz steady`: numerical steady states of Eq. 7 (`--model collective`, [`collective`]), Eq. 3
//! (`--model full`, [`full`]: the solver of `sqz_steady`, and the limit `--w 0+`) or Eq. 7 plus
//! local loss and dephasing (`--model permutational`, [`permutational`]).
//!
//! [`run`] dispatches on the model once; each model's module resolves its arguments
//! (`crate::resolve`), calls its library and reports (`crate::report`).

mod collective;
mod full;
mod permutational;

use crate::cli::{Global, Model, SteadyArgs};

pub fn run(a: &SteadyArgs, g: Global) -> anyhow::Result<()> {
    match a.model {
        Model::Collective => collective::run(a, g),
        Model::Full => full::run(a, g),
        Model::Permutational => permutational::run(a, g),
    }
}
