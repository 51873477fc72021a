//! `assay kinds`: what a pipeline may use.

use std::process::ExitCode;

#[allow(clippy::print_stdout)]
pub fn run() -> anyhow::Result<ExitCode> {
    let registry = crate::registry::full();
    println!("reward kinds ([[reward]] kind = ...):");
    for kind in registry.reward_kinds() {
        println!("  {:<22} {}", kind.name, kind.summary);
    }
    println!("shape kinds ([[shape]] kind = ...):");
    for kind in registry.shape_kinds() {
        println!("  {:<22} {}", kind.name, kind.summary);
    }
    Ok(ExitCode::SUCCESS)
}
