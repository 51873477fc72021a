//! `assay check`: load and validate a pipeline, print what it will do.

use std::process::ExitCode;

use assay_core::Pipeline;

use crate::args::CheckArgs;

#[allow(clippy::print_stdout)]
pub fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let pipeline = Pipeline::from_file(&args.config, &crate::registry::full())?;
    let names: Vec<_> = pipeline.component_names().collect();
    println!(
        "ok: {}: pipeline `{}` with {} reward(s): {}",
        args.config.display(),
        pipeline.name(),
        names.len(),
        names.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}
