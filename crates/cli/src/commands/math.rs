//! `assay math`: one verdict per record, in input order.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::bail;
use assay_math::{Options, options_from_json, verify};
use rayon::prelude::*;
use serde_json::{Map, Value, json};

use crate::args::MathArgs;
use crate::io::{self, Format};

#[allow(clippy::print_stdout, clippy::print_stderr)]
pub fn run(args: &MathArgs) -> anyhow::Result<ExitCode> {
    super::init_threads(args.threads);
    if Format::from_path(&args.output)? != Format::Jsonl {
        bail!(
            "{}: `assay math` writes JSON Lines; use a .jsonl output",
            args.output.display()
        );
    }
    let started = Instant::now();
    let records = io::read_records(&args.input)?;
    assay_math::warm_up();
    let verdicts: Vec<Value> = records
        .into_par_iter()
        .enumerate()
        .map(|(index, record)| match record {
            Ok(map) => check_record(index, &map),
            Err(message) => error_record(Value::from(index), format!("record {index}: {message}")),
        })
        .collect();
    io::write_json_lines(&args.output, &verdicts)?;
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for verdict in &verdicts {
        *counts.entry(verdict["status"].as_str().unwrap_or("error")).or_default() += 1;
    }
    let errors = counts.get("error").copied().unwrap_or(0);
    let summary = format!(
        "checked {} records in {:.2} s: {}\n",
        verdicts.len(),
        started.elapsed().as_secs_f64(),
        counts
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if args.output.as_os_str() == "-" {
        eprint!("{summary}");
    } else {
        print!("{summary}");
    }
    Ok(if args.fail_on_error && errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn check_record(index: usize, record: &Map<String, Value>) -> Value {
    let id = record
        .get("id")
        .filter(|v| !v.is_null())
        .cloned()
        .unwrap_or_else(|| Value::from(index));
    let field = |name: &str| -> Result<String, String> {
        match record.get(name) {
            Some(Value::String(text)) => Ok(text.clone()),
            Some(Value::Number(number)) => Ok(number.to_string()),
            None | Some(Value::Null) => Err(format!("record {index} (id {id}): missing field `{name}`")),
            Some(other) => Err(format!(
                "record {index} (id {id}): field `{name}` must be a string or a number, found {}",
                assay_core::json_type_name(other)
            )),
        }
    };
    let (gold, prediction) = match (field("gold"), field("prediction")) {
        (Ok(gold), Ok(prediction)) => (gold, prediction),
        (Err(message), _) | (_, Err(message)) => return error_record(id, message),
    };
    let options = match record.get("options") {
        None | Some(Value::Null) => Options::default(),
        Some(value) => match options_from_json(value) {
            Ok(options) => options,
            Err(err) => {
                let message = format!("record {index} (id {id}): field `options`: {err}");
                return error_record(id, message);
            }
        },
    };
    let started = Instant::now();
    let verdict = verify(&gold, &prediction, &options);
    json!({
        "id": id,
        "equal": verdict.status.equal(),
        "status": verdict.status.as_str(),
        "extracted": verdict.extracted,
        "normal_form": verdict.normal_form,
        "seconds": started.elapsed().as_secs_f64(),
    })
}

fn error_record(id: Value, message: String) -> Value {
    json!({"id": id, "equal": Value::Null, "status": "error", "extracted": Value::Null, "seconds": 0.0, "error": message})
}
