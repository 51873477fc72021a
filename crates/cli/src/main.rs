//! The `assay` command: thin wrappers that parse arguments, call the libraries and print.

use std::process::ExitCode;

use clap::Parser;

mod args;
mod commands;
mod io;
mod registry;
mod summary;

// Scoring allocates many small maps and strings across threads; mimalloc is markedly faster at that than glibc's
// allocator (measured with `assay bench text`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {err:#}");
            }
            ExitCode::from(2)
        }
    }
}

fn run(cli: args::Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        args::Command::Score(args) => commands::score::run(&args),
        args::Command::Check(args) => commands::check::run(&args),
        args::Command::Kinds => commands::kinds::run(),
        args::Command::Math(args) => commands::math::run(&args),
        args::Command::Bench(args) => commands::bench::run(&args),
        args::Command::Eval(args) => commands::eval::run(&args),
        args::Command::Report(args) => commands::report::run(&args),
        args::Command::Serve(args) => commands::serve::run(&args),
        args::Command::Detect(args) => commands::detect::run(&args),
        args::Command::ServeModel(args) => commands::serve_model::run(&args),
    }
}
