//! `assay report`: a self-contained HTML page about a scores file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use assay_eval::report::{ReportOptions, build};
use clap::Args;

use super::eval::read_rows;

/// `assay report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Scores written by `assay score` (.jsonl or .parquet).
    #[arg(long, short)]
    pub input: PathBuf,
    /// The rollouts that were scored (same order): completion text, length and group for the report.
    #[arg(long, short)]
    pub rollouts: Option<PathBuf>,
    /// The HTML file to write.
    #[arg(long, short, default_value = "report.html")]
    pub output: PathBuf,
    /// Also write the report's numbers as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Page title.
    #[arg(long, default_value = "Assay reward report")]
    pub title: String,
    /// Field grouping rollouts of one prompt.
    #[arg(long, default_value = "group")]
    pub group_field: String,
    /// Field with the completion text.
    #[arg(long, default_value = "completion")]
    pub completion_field: String,
    /// Rows in the highest-reward table.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

#[allow(clippy::print_stdout)]
pub fn run(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let scores = read_rows(&args.input)?;
    let rollouts = args.rollouts.as_deref().map(read_rows).transpose()?;
    let options = ReportOptions {
        title: args.title.clone(),
        group_field: args.group_field.clone(),
        completion_field: args.completion_field.clone(),
        top: args.top,
    };
    let report = build(&scores, rollouts.as_deref(), &options).with_context(|| args.input.display().to_string())?;
    std::fs::write(&args.output, report.html()).with_context(|| format!("cannot write {}", args.output.display()))?;
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report)? + "\n";
        std::fs::write(path, json).with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!(
        "wrote {} ({} samples, {} error(s), r(reward, length) = {}, zero-variance groups {}/{})",
        args.output.display(),
        report.records,
        report.errors,
        report
            .length_correlation
            .map_or_else(|| "n/a".into(), |r| format!("{r:.3}")),
        report.zero_variance_groups,
        report.groups
    );
    Ok(ExitCode::SUCCESS)
}
