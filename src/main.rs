use std::process::ExitCode;

use clap::Parser;
use stretchbot::cli::{Cli, InputError};

fn main() -> ExitCode {
    match stretchbot::cli::run(Cli::parse()) {
        Ok(code) => code,
        Err(err) if err.is::<InputError>() => {
            eprintln!("{err}");
            ExitCode::from(1)
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}
