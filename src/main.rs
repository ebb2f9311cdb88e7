use std::process::ExitCode;

use clap::Parser;
use stretchbot::cli::{Cli, InputError};
use stretchbot::logging::print_error;

fn main() -> ExitCode {
    match stretchbot::cli::run(Cli::parse()) {
        Ok(code) => code,
        Err(err) if err.is::<InputError>() => {
            print_error(format_args!("{err}"));
            ExitCode::from(1)
        }
        Err(err) => {
            print_error(format_args!("error: {err:#}"));
            ExitCode::from(1)
        }
    }
}
