//! `sqz`: command line of the sqz solver for Bai & An, PRL 127, 083602 (2021).
//!
//! Two layers, as in ripgrep: [`cli`] parses every value once into a type; each command resolves
//! the typed arguments into its inputs before any work starts, and reports errors that name the
//! value and its allowed range. The work is done by the libraries (`sqz_model`, `sqz_steady`,
//! `sqz_dynamics`, `sqz_study`, `sqz_reproduce`); this crate parses, calls and prints.

// Output that never panics on a closed pipe (`sqz_study::out`): these shadow std's macros in
// every module below.
macro_rules! println {
    ($($t:tt)*) => { sqz_study::println!($($t)*) };
}
macro_rules! eprintln {
    ($($t:tt)*) => { sqz_study::eprintln!($($t)*) };
}

mod cli;
mod cmd_analytic;
mod cmd_disorder;
mod cmd_evolve;
mod cmd_info;
mod cmd_liouvillian;
mod cmd_reproduce;
mod cmd_scaling;
mod cmd_steady;
mod cmd_validate;
mod report;
mod resolve;

use clap::{CommandFactory, FromArgMatches};
use std::process::ExitCode;

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("sqz: internal error: {info}");
        eprintln!("sqz: this is a bug; please report it with the command line that caused it");
    }));
    let matches = cli::Cli::command().version(cli::version()).get_matches();
    let args = match cli::Cli::from_arg_matches(&matches) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(x) = e.downcast_ref::<sqz_study::Exit>() {
                return x.report();
            }
            eprintln!("sqz: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: cli::Cli) -> anyhow::Result<()> {
    let g = args.global;
    match args.command {
        cli::Command::Analytic(a) => cmd_analytic::run(&a, g),
        cli::Command::Steady(a) => cmd_steady::run(&a, g),
        cli::Command::Scaling(a) => cmd_scaling::run(&a, g),
        cli::Command::Info(a) => cmd_info::run(&a, g),
        cli::Command::Liouvillian(a) => cmd_liouvillian::run(&a, g),
        cli::Command::Validate(a) => cmd_validate::run(&a, g),
        cli::Command::Disorder(a) => cmd_disorder::run(&a, g),
        cli::Command::Evolve(a) => cmd_evolve::run(&a, g),
        cli::Command::Reproduce(a) => cmd_reproduce::run(&a, g),
    }
}
