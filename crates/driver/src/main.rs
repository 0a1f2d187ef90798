//! `sqz`: command line of the sqz solver for Bai & An, PRL 127, 083602 (2021).
//!
//! Two stages, as in ripgrep: [`cli`] parses raw arguments with clap; each command validates them
//! into model types (`sqz_model::Params`, positions) before any work starts, and reports errors
//! that name the value and its allowed range. Only this crate knows clap, HDF5 and (later) MPI.

mod cli;
mod cmd_analytic;
mod cmd_disorder;
mod cmd_evolve;
mod cmd_info;
mod cmd_liouvillian;
mod cmd_permutational;
mod cmd_reproduce;
mod cmd_scaling;
mod cmd_steady;
mod cmd_validate;
mod h5;
mod ops;
mod report;
mod reproduce;
mod resolve;
mod study;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("sqz: internal error: {info}");
        eprintln!("sqz: this is a bug; please report it with the command line that caused it");
    }));
    let args = cli::Cli::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(x) = e.downcast_ref::<cmd_disorder::Exit>() {
                return x.report();
            }
            eprintln!("sqz: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: cli::Cli) -> anyhow::Result<()> {
    match args.command {
        cli::Command::Analytic(a) => cmd_analytic::run(&a),
        cli::Command::Steady(a) => cmd_steady::run(&a),
        cli::Command::Scaling(a) => cmd_scaling::run(&a),
        cli::Command::Info(a) => cmd_info::run(&a),
        cli::Command::Liouvillian(a) => cmd_liouvillian::run(&a),
        cli::Command::Validate(a) => cmd_validate::run(&a),
        cli::Command::Disorder(a) => cmd_disorder::run(&a),
        cli::Command::Evolve(a) => cmd_evolve::run(&a),
        cli::Command::Reproduce(a) => cmd_reproduce::run(&a),
    }
}
