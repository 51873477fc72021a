//! `assay score`: records in, one score per record out, in input order.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;

use assay_core::{Pipeline, Progress, Score};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::args::ScoreArgs;
use crate::io::{self, Record};
use crate::summary::Summary;

pub fn run(args: &ScoreArgs) -> anyhow::Result<ExitCode> {
    super::init_threads(args.threads);
    let started = Instant::now();
    let pipeline = Pipeline::from_file(&args.config, &crate::registry::full())?;
    let records = io::read_records(&args.input)?;
    let bar = progress_bar(pipeline.work_units(records.len()));
    let scores = score_records(&pipeline, records, &args.group_field, &BarProgress(bar.clone()));
    bar.finish_and_clear();
    let component_names: Vec<String> = pipeline.component_names().map(str::to_owned).collect();
    io::write_scores(&args.output, &scores, &component_names)?;
    let summary = Summary::new(&scores, &component_names, started.elapsed());
    if !args.quiet {
        summary.print(args.output.as_os_str() == "-");
    }
    Ok(if args.fail_on_error && summary.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Scores the readable records and slots an error score in for each unreadable one, keeping input order.
pub fn score_records(
    pipeline: &Pipeline,
    records: Vec<Record>,
    group_field: &str,
    progress: &dyn Progress,
) -> Vec<Score> {
    pipeline.score_records(records, group_field, progress)
}

fn progress_bar(units: u64) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(units), target);
    if let Ok(style) = ProgressStyle::with_template("{spinner} scoring {bar:40} {percent}% ({per_sec}, eta {eta})") {
        bar.set_style(style);
    }
    bar
}

struct BarProgress(ProgressBar);

impl Progress for BarProgress {
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use assay_core::{NoProgress, Registry};
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    const PIPELINE: &str = r#"
[[reward]]
name = "format"
kind = "tags"
[[reward]]
name = "correct"
kind = "exact_match"
[[shape]]
kind = "group_norm"
"#;

    /// One input line: a valid record (maybe lacking fields), garbage, a non-object, or blank.
    fn line() -> impl Strategy<Value = (String, Option<bool>)> {
        prop_oneof![
            (
                "[a-z<>/ \\n]{0,40}",
                proptest::option::of("[0-9]{1,2}"),
                proptest::option::of(0u8..4)
            )
                .prop_map(|(completion, reference, group)| {
                    let mut record = json!({"completion": completion});
                    if let Some(reference) = reference {
                        record["reference"] = json!(reference);
                    }
                    if let Some(group) = group {
                        record["group"] = json!(group);
                    }
                    (record.to_string(), Some(true))
                }),
            "[{}a-z:\"]{1,20}".prop_filter_map("valid JSON objects are covered above", |text| {
                serde_json::from_str::<serde_json::Value>(&text).map_or(Some((text, Some(false))), |_| None)
            }),
            Just(("[1, 2]".to_owned(), Some(false))),
            Just(("   ".to_owned(), None)),
        ]
    }

    proptest! {
        #[test]
        fn every_input_record_yields_exactly_one_output_record(lines in proptest::collection::vec(line(), 0..40)) {
            let pipeline = Pipeline::from_toml(PIPELINE, Path::new("t.toml"), &Registry::builtin()).unwrap();
            let text: String = lines.iter().map(|(l, _)| format!("{l}\n")).collect();
            let records = io::read_jsonl(text.as_bytes()).unwrap();
            let expected: Vec<bool> = lines.iter().filter_map(|(_, valid)| *valid).collect();
            prop_assert_eq!(records.len(), expected.len());
            let scores = score_records(&pipeline, records, "group", &NoProgress);
            prop_assert_eq!(scores.len(), expected.len());
            for (index, (score, valid)) in scores.iter().zip(&expected).enumerate() {
                prop_assert_eq!(&score.id, &json!(index));
                prop_assert_eq!(score.reward.is_none(), score.error.is_some());
                if !valid {
                    let prefix = format!("record {index}: line");
                    prop_assert!(score.error.as_deref().unwrap().starts_with(&prefix));
                }
            }
        }
    }
}
