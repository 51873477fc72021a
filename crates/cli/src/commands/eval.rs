//! `assay eval <benchmark>`: score a benchmark's rows (or read their scores), print a table, write JSON.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use assay_core::Pipeline;
use assay_eval::candidates::{CHOSEN_REJECTED, Slot, score_rows};
use assay_eval::distance::{self, StarcOptions};
use assay_eval::overopt::{self, Form};
use assay_eval::verifier::{self, VerifierOptions};
use assay_eval::{one_vs_many, preference, rewardbench};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::io;

/// `assay eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Which evaluation.
    #[command(subcommand)]
    pub benchmark: Benchmark,
}

/// The evaluations.
#[derive(Debug, Subcommand)]
pub enum Benchmark {
    /// RewardBench 1 (rows: id, subset, score_chosen, score_rejected) or 2 (rows: id, subset, scores_chosen,
    /// scores_rejected), scored as the `rewardbench` package does. With --config, rows carry prompt, chosen and
    /// rejected texts (lists for RB2) and the pipeline scores them.
    #[command(after_help = "Example:\n  assay eval rewardbench --input scores.jsonl --output rb.json")]
    Rewardbench(Common),
    /// RewardMATH-style one-to-many: rows id, score_chosen, scores_rejected (or chosen, rejected texts with
    /// --config); accuracy (chosen beats every rejected) and MRR.
    OneVsMany(Common),
    /// HelpSteer2-Preference-style: rows score_1, score_2 (or response_1, response_2 with --config) and
    /// preference_strength in -3..3; accuracy weighted by |strength|.
    PreferenceStrength(Common),
    /// False-positive / false-negative rates of a reward against labelled rows (reward or, with --config, the
    /// completion to score; label true/false).
    #[command(
        after_help = "Example (the math verifier on labelled GSM8K completions):\n  assay eval verifier --config math.toml \
                      --input ../shared/data/math/real_completions.jsonl"
    )]
    Verifier(VerifierArgs),
    /// EPIC and STARC distances: between the reward tables of a tabular MDP (--mdp), or sampled between two
    /// rewards of the same completions (rows reward_a, reward_b, or --config A.toml --against B.toml).
    Distance(DistanceArgs),
    /// Fit Gao et al.'s best-of-n and RL forms to rows (d | kl | n, gold, proxy); report the coefficients, the
    /// peak and where proxy and gold diverge.
    Overopt(OveroptArgs),
}

/// Options every evaluation takes.
#[derive(Debug, Args)]
pub struct Common {
    /// Rows: .jsonl or .parquet (`-` for stdin).
    #[arg(long, short)]
    pub input: PathBuf,
    /// Score the rows' candidate texts with this pipeline instead of reading score fields.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Write the result as JSON here (`-` for stdout; the table then goes to stderr).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Field grouping rows for group shaping when scoring with --config.
    #[arg(long, default_value = "group")]
    pub group_field: String,
}

/// `assay eval verifier`.
#[derive(Debug, Args)]
pub struct VerifierArgs {
    #[command(flatten)]
    pub common: Common,
    /// Field with the ground truth (true/false; null rows are skipped).
    #[arg(long, default_value = "label")]
    pub label_field: String,
    /// Field with the reward (ignored with --config).
    #[arg(long, default_value = "reward")]
    pub reward_field: String,
    /// A reward strictly above this accepts the answer.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f64,
}

/// STARC canonicalization choice.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Canon {
    /// Value-adjusted levelling under the MDP's policy.
    Val,
    /// EPIC's canonicalization.
    Epic,
}

/// `assay eval distance`.
#[derive(Debug, Args)]
pub struct DistanceArgs {
    /// Tabular MDP (JSON): gamma, T, optional policy, and reward tables.
    #[arg(long, conflicts_with_all = ["input", "config", "against"])]
    pub mdp: Option<PathBuf>,
    /// Rows with reward_a and reward_b, or (with --config/--against) completions to score.
    #[arg(long, short, required_unless_present = "mdp")]
    pub input: Option<PathBuf>,
    /// First pipeline (fills reward_a).
    #[arg(long, short, requires = "against")]
    pub config: Option<PathBuf>,
    /// Second pipeline (fills reward_b).
    #[arg(long, requires = "config")]
    pub against: Option<PathBuf>,
    /// Field naming the prompt (state) of each completion.
    #[arg(long, default_value = "group")]
    pub group_field: String,
    /// STARC canonicalization for tabular MDPs.
    #[arg(long, value_enum, default_value = "val")]
    pub canon: Canon,
    /// Write the result as JSON here (`-` for stdout).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Which functional forms to fit.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Forms {
    /// Best-of-n `d(α − βd)`.
    Bon,
    /// RL `d(α − β ln d)`.
    Rl,
    /// Both.
    Both,
}

/// `assay eval overopt`.
#[derive(Debug, Args)]
pub struct OveroptArgs {
    /// Rows: d (√KL) or kl or n (best-of-n), gold, optional proxy.
    #[arg(long, short)]
    pub input: PathBuf,
    /// Forms to fit.
    #[arg(long, value_enum, default_value = "both")]
    pub form: Forms,
    /// Write the result as JSON here (`-` for stdout).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

pub fn run(args: &EvalArgs) -> anyhow::Result<ExitCode> {
    match &args.benchmark {
        Benchmark::Rewardbench(common) => {
            let rows = load(common, &CHOSEN_REJECTED)?;
            let result = rewardbench::evaluate(&rows)?;
            finish(common.output.as_deref(), &result, &result.table())
        }
        Benchmark::OneVsMany(common) => {
            let rows = load(common, &CHOSEN_REJECTED)?;
            let result = one_vs_many::evaluate(&rows)?;
            finish(common.output.as_deref(), &result, &result.table())
        }
        Benchmark::PreferenceStrength(common) => {
            let slots = [
                Slot {
                    text: "response_1",
                    score: "score_1",
                    scores: "scores_1",
                },
                Slot {
                    text: "response_2",
                    score: "score_2",
                    scores: "scores_2",
                },
            ];
            let rows = load(common, &slots)?;
            let result = preference::evaluate(&rows)?;
            finish(common.output.as_deref(), &result, &result.table())
        }
        Benchmark::Verifier(args) => {
            let slots = [Slot {
                text: "completion",
                score: "reward",
                scores: "rewards",
            }];
            let rows = load(&args.common, &slots)?;
            let options = VerifierOptions {
                reward_field: if args.common.config.is_some() {
                    "reward".into()
                } else {
                    args.reward_field.clone()
                },
                label_field: args.label_field.clone(),
                threshold: args.threshold,
            };
            let result = verifier::evaluate(&rows, &options)?;
            finish(args.common.output.as_deref(), &result, &result.table())
        }
        Benchmark::Distance(args) => {
            let result = if let Some(mdp) = &args.mdp {
                let text = std::fs::read_to_string(mdp).with_context(|| format!("cannot read {}", mdp.display()))?;
                let value: Value =
                    serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", mdp.display()))?;
                let options = StarcOptions {
                    canon: match args.canon {
                        Canon::Val => assay_core::spec::distance::Canonicalization::Val,
                        Canon::Epic => assay_core::spec::distance::Canonicalization::Epic,
                    },
                    ..StarcOptions::default()
                };
                distance::tabular(&value, options).with_context(|| mdp.display().to_string())?
            } else {
                let input = args
                    .input
                    .as_deref()
                    .ok_or_else(|| anyhow!("--input or --mdp is required"))?;
                let mut rows = read_rows(input)?;
                let mut names = ("reward_a".to_owned(), "reward_b".to_owned());
                if let (Some(a), Some(b)) = (&args.config, &args.against) {
                    for (path, field) in [(a, "reward_a"), (b, "reward_b")] {
                        let slot = [Slot {
                            text: "completion",
                            score: field,
                            scores: field,
                        }];
                        rows = score_rows(&pipeline(path)?, &rows, &slot, &args.group_field)
                            .with_context(|| format!("scoring {} with {}", input.display(), path.display()))?;
                    }
                    names = (name_of(a), name_of(b));
                }
                distance::sampled(&rows, (&names.0, &names.1), &args.group_field)
                    .with_context(|| input.display().to_string())?
            };
            finish(args.output.as_deref(), &result, &result.table())
        }
        Benchmark::Overopt(args) => {
            let rows = read_rows(&args.input)?;
            let forms: &[Form] = match args.form {
                Forms::Bon => &[Form::BestOfN],
                Forms::Rl => &[Form::Rl],
                Forms::Both => &[Form::BestOfN, Form::Rl],
            };
            let result = overopt::evaluate(&rows, forms).with_context(|| args.input.display().to_string())?;
            finish(args.output.as_deref(), &result, &result.table())
        }
    }
}

fn name_of(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| path.display().to_string(), |s| s.to_string_lossy().into_owned())
}

fn pipeline(path: &Path) -> anyhow::Result<Pipeline> {
    Ok(Pipeline::from_file(path, &crate::registry::full())?)
}

/// Reads every row; an unreadable line is an error (a benchmark number over part of the file would mislead).
pub fn read_rows(path: &Path) -> anyhow::Result<Vec<Map<String, Value>>> {
    io::read_records(path)?
        .into_iter()
        .map(|record| record.map_err(|message| anyhow!("{}: {message}", path.display())))
        .collect()
}

fn load(common: &Common, slots: &[Slot]) -> anyhow::Result<Vec<Map<String, Value>>> {
    let rows = read_rows(&common.input)?;
    match &common.config {
        None => Ok(rows),
        Some(config) => score_rows(&pipeline(config)?, &rows, slots, &common.group_field)
            .with_context(|| format!("scoring {} with {}", common.input.display(), config.display())),
    }
    .map_err(|e| e.context(common.input.display().to_string()))
}

#[allow(clippy::print_stdout, clippy::print_stderr)]
fn finish(output: Option<&Path>, result: &impl Serialize, table: &str) -> anyhow::Result<ExitCode> {
    let json = serde_json::to_string_pretty(result)? + "\n";
    match output {
        Some(path) if path.as_os_str() == "-" => {
            print!("{json}");
            eprint!("{table}");
        }
        Some(path) => {
            std::fs::write(path, json).with_context(|| format!("cannot write {}", path.display()))?;
            print!("{table}");
        }
        None => print!("{table}"),
    }
    Ok(ExitCode::SUCCESS)
}
