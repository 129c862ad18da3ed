use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = aether365::cli::Cli::parse();
    aether365::cli::init_tracing();
    match actix::System::new().block_on(aether365::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
