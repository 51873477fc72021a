//! `assay detect`: reward-hack verdicts with evidence per trajectory, and `assay detect eval` on
//! labelled rows (isolated and contrastive side by side, TRACE-style clusters).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use assay_code::Harness;
use assay_detect::eval::{ClusterConfig, evaluate, render_markdown};
use assay_detect::{ContrastConfig, DEFAULT_THRESHOLD, Mode, Row, detect_rows, isolated_flags, observe_all};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

/// `assay detect`.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  assay detect --input examples/detect.jsonl --output /tmp/flags.jsonl --mode contrastive\n  \
                  assay detect eval --input ../shared/data/hacks\n\n\
                  Input rows: {trajectory_id, task, messages, code?, tests?, entry_point?}; a hack-corpus folder is read \
                  as its trajectories.jsonl with each task's tests.py and entry point.\n\
                  Output rows: {trajectory_id, flagged, score, categories, evidence}."
)]
pub struct DetectArgs {
    /// `eval`: measure the detector on labelled rows.
    #[command(subcommand)]
    pub command: Option<DetectCommand>,
    /// Input rows (.jsonl, or a hack-corpus folder).
    #[arg(long, short)]
    pub input: Option<PathBuf>,
    /// Output verdicts (.jsonl; `-` for stdout).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// `isolated` (each row alone, no code runs) or `contrastive` (rows of one task together; solutions
    /// run in the sandbox, which needs root).
    #[arg(long, value_enum, default_value = "isolated")]
    pub mode: ModeArg,
    /// Score from which a trajectory is flagged.
    #[arg(long, default_value_t = DEFAULT_THRESHOLD)]
    pub threshold: f64,
    /// Sandbox workers in contrastive mode (default: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
}

/// Subcommands of `assay detect`.
#[derive(Debug, Subcommand)]
pub enum DetectCommand {
    /// Precision/recall/F1 overall, per category and by visibility, isolated vs contrastive, and
    /// TRACE-style cluster detection rates (N ∈ {2,4,8}, B ∈ {1,3}).
    Eval(EvalArgs),
}

/// `assay detect eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Labelled rows (.jsonl with `label`, `category`, `hack_visibility`; or a hack-corpus folder).
    #[arg(long, short)]
    pub input: PathBuf,
    /// Also write the full results as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Skip contrastive mode (no sandbox).
    #[arg(long)]
    pub isolated_only: bool,
    /// Clusters per task per (N, B).
    #[arg(long, default_value_t = 50)]
    pub iterations: usize,
    /// Cluster sampling seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Score from which a trajectory is flagged.
    #[arg(long, default_value_t = DEFAULT_THRESHOLD)]
    pub threshold: f64,
    /// Sandbox workers (default: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
}

/// Detection mode.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    /// Each row alone.
    Isolated,
    /// Rows of one task together, with the sandbox.
    Contrastive,
}

/// Rows in input order; a record that does not parse becomes an error entry (index and message).
fn read_rows(path: &Path) -> anyhow::Result<Vec<Result<Row, String>>> {
    if path.is_dir() {
        let rows = assay_detect::load_rows(path)?;
        return Ok(rows.into_iter().map(Ok).collect());
    }
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?
    };
    Ok(text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(index, line)| serde_json::from_str::<Row>(line).map_err(|error| format!("record {index}: {error}")))
        .collect())
}

pub fn run(args: &DetectArgs) -> anyhow::Result<ExitCode> {
    if let Some(DetectCommand::Eval(eval)) = &args.command {
        return run_eval(eval);
    }
    let (Some(input), Some(output)) = (&args.input, &args.output) else {
        bail!("`assay detect` needs --input and --output (or the `eval` subcommand)");
    };
    let started = Instant::now();
    let records = read_rows(input)?;
    let rows: Vec<Row> = records.iter().filter_map(|r| r.as_ref().ok().cloned()).collect();
    let mode = match args.mode {
        ModeArg::Isolated => Mode::Isolated,
        ModeArg::Contrastive => Mode::Contrastive,
    };
    let harness = match mode {
        Mode::Contrastive => Some(Harness::new(args.workers).context("contrastive mode needs the sandbox (root)")?),
        Mode::Isolated => None,
    };
    let config = ContrastConfig::default();
    let (reports, warnings) = detect_rows(&rows, mode, harness.as_ref(), &config, args.threshold);
    let mut reports = reports.into_iter();
    let mut out = Vec::with_capacity(records.len());
    let mut flagged = 0;
    for (index, record) in records.iter().enumerate() {
        match record {
            Ok(_) => {
                let report = reports.next().context("one report per row")?;
                flagged += usize::from(report.flagged);
                out.push(serde_json::to_value(&report)?);
            }
            Err(message) => out.push(json!({"index": index, "error": message})),
        }
    }
    write_lines(output, &out)?;
    #[allow(clippy::print_stderr)]
    {
        for warning in &warnings {
            eprintln!("warning: {warning}");
        }
        eprintln!(
            "judged {} trajectories ({:?}) in {:.2} s: {flagged} flagged",
            out.len(),
            mode,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn write_lines(path: &Path, values: &[Value]) -> anyhow::Result<()> {
    let mut text = String::new();
    for value in values {
        text.push_str(&value.to_string());
        text.push('\n');
    }
    if path.as_os_str() == "-" {
        std::io::stdout().write_all(text.as_bytes())?;
    } else {
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn run_eval(args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let records = read_rows(&args.input)?;
    let mut rows = Vec::new();
    for record in records {
        rows.push(record.map_err(|message| anyhow::anyhow!("{}: {message}", args.input.display()))?);
    }
    if !rows.iter().any(|r| r.label.is_some()) {
        bail!("{}: no row has a `label`", args.input.display());
    }
    let flags: Vec<_> = rows.iter().map(isolated_flags).collect();
    let config = ContrastConfig::default();
    let settings = ClusterConfig {
        iterations: args.iterations,
        seed: args.seed,
        threshold: args.threshold,
    };
    let mut warnings = Vec::new();
    let observations = if args.isolated_only {
        None
    } else {
        let harness = Harness::new(args.workers).context("contrastive mode needs the sandbox (root)")?;
        let (observations, notes) = observe_all(&rows, &harness, &config);
        warnings = notes;
        Some(observations)
    };
    let evaluation = evaluate(&rows, &flags, observations.as_deref().map(|o| (o, &config)), settings);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&evaluation)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    #[allow(clippy::print_stdout, clippy::print_stderr)]
    {
        for warning in &warnings {
            eprintln!("warning: {warning}");
        }
        print!("{}", render_markdown(&evaluation));
        eprintln!(
            "evaluated {} rows in {:.1} s",
            rows.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}
