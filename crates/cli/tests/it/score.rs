//! `assay score` on small files: one output record per input record, in order, whatever the input holds.

use serde_json::{Value, json};

use crate::util::{FORMAT_AND_MATCH, Workspace, stderr, stdout};

const GOOD: &str = "<think>\nadd\n</think>\n<answer>\n4\n</answer>";

fn line(value: Value) -> String {
    format!("{value}\n")
}

#[test]
fn scores_in_order_with_ids_and_components() {
    let ws = Workspace::new();
    let config = ws.write("pipe.toml", FORMAT_AND_MATCH);
    let input = ws.write(
        "in.jsonl",
        &[
            line(json!({"id": "a", "completion": GOOD, "reference": "4"})),
            line(json!({"completion": "no tags 4", "reference": "5"})),
        ]
        .concat(),
    );
    let (output, records) = ws.score(&config, &input, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["id"], "a");
    assert_eq!(records[0]["components"]["format"], 1.0);
    assert_eq!(records[0]["components"]["correct"], 1.0);
    assert_eq!(records[0]["reward"], 1.5);
    assert_eq!(records[0]["error"], Value::Null);
    assert_eq!(records[1]["id"], 1);
    assert_eq!(records[1]["components"]["format"], 0.0);
    let summary = stdout(&output);
    assert!(summary.contains("scored 2 records"), "{summary}");
    assert!(summary.contains("0 error(s)"), "{summary}");
}

#[test]
fn malformed_line_yields_an_error_record_and_the_run_continues() {
    let ws = Workspace::new();
    let config = ws.write("pipe.toml", FORMAT_AND_MATCH);
    let input = ws.write(
        "in.jsonl",
        &format!(
            "{}{{\"completion\": oops}}\n{}",
            line(json!({"completion": GOOD, "reference": "4"})),
            line(json!({"completion": GOOD, "reference": "4"}))
        ),
    );
    let (output, records) = ws.score(&config, &input, &[]);
    assert!(output.status.success(), "no --fail-on-error: exit 0");
    assert_eq!(records.len(), 3);
    assert_eq!(records[1]["id"], 1);
    assert_eq!(records[1]["reward"], Value::Null);
    let error = records[1]["error"].as_str().unwrap();
    assert!(error.starts_with("record 1: line 2: not valid JSON"), "{error}");
    assert_eq!(records[2]["reward"], 1.5);

    let (output, _) = ws.score(&config, &input, &["--fail-on-error"]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn missing_field_names_the_record_and_the_field() {
    let ws = Workspace::new();
    let config = ws.write("pipe.toml", FORMAT_AND_MATCH);
    let input = ws.write("in.jsonl", &line(json!({"id": "x1", "completion": GOOD})));
    let (_, records) = ws.score(&config, &input, &[]);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["reward"], Value::Null);
    assert_eq!(records[0]["components"]["format"], 1.0);
    assert_eq!(records[0]["components"]["correct"], Value::Null);
    let error = records[0]["error"].as_str().unwrap();
    assert!(error.contains("record 0 (id \"x1\")"), "{error}");
    assert!(error.contains("reward `correct`: missing field `reference`"), "{error}");
}

#[test]
fn empty_file_gives_empty_output() {
    let ws = Workspace::new();
    let config = ws.write("pipe.toml", FORMAT_AND_MATCH);
    let input = ws.write("in.jsonl", "");
    let (output, records) = ws.score(&config, &input, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(records.is_empty());
    assert!(ws.path("out.jsonl").exists());
}

#[test]
fn hundred_thousand_records_all_come_back_in_order() {
    let ws = Workspace::new();
    let config = ws.write("pipe.toml", FORMAT_AND_MATCH);
    let mut text = String::with_capacity(100_000 * 80);
    for i in 0..100_000 {
        let completion = if i % 3 == 0 { GOOD } else { "<answer>4</answer>" };
        text.push_str(&line(json!({"id": i, "completion": completion, "reference": "4"})));
    }
    let input = ws.write("in.jsonl", &text);
    let (output, records) = ws.score(&config, &input, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(records.len(), 100_000);
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record["id"], i);
        let expected_format = if i % 3 == 0 { 1.0 } else { 0.0 };
        assert_eq!(record["components"]["format"], expected_format, "record {i}");
    }
}

#[test]
fn stdin_to_stdout() {
    let ws = Workspace::new();
    let config = ws.write("pipe.toml", FORMAT_AND_MATCH);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
        .args([
            "score",
            "--config",
            config.to_str().unwrap(),
            "--input",
            "-",
            "--output",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(line(json!({"completion": GOOD, "reference": "4"})).as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let text = stdout(&output);
    let records: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 1, "summary must not go to stdout: {text}");
    assert!(stderr(&output).contains("scored 1 records"));
}

#[test]
fn unknown_extension_is_a_clear_error() {
    let ws = Workspace::new();
    let config = ws.write("pipe.toml", FORMAT_AND_MATCH);
    let input = ws.write("in.csv", "a,b\n");
    let (output, _) = ws.score(&config, &input, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unknown file type `.csv`"),
        "{}",
        stderr(&output)
    );
}

#[cfg(feature = "parquet")]
mod parquet_files {
    use std::sync::Arc;

    use arrow_array::cast::AsArray;
    use arrow_array::types::Float64Type;
    use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
    use parquet::arrow::ArrowWriter;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use serde_json::Value;

    use super::GOOD;
    use crate::util::{FORMAT_AND_MATCH, Workspace, stderr};

    fn write_input(path: &std::path::Path) {
        let column = |values: Vec<Option<&str>>| Arc::new(StringArray::from(values)) as ArrayRef;
        let batch = RecordBatch::try_from_iter([
            ("id", column(vec![Some("a"), Some("b"), Some("c")])),
            ("completion", column(vec![Some(GOOD), Some("x"), Some(GOOD)])),
            ("reference", column(vec![Some("4"), Some("4"), None])),
        ])
        .unwrap();
        let mut writer = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }

    #[test]
    fn parquet_input_and_output() {
        let ws = Workspace::new();
        let config = ws.write("pipe.toml", FORMAT_AND_MATCH);
        let input = ws.path("in.parquet");
        write_input(&input);

        let (output, records) = ws.score(&config, &input, &[]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert_eq!(records.len(), 3);
        assert_eq!(records[0]["id"], "a");
        assert_eq!(records[0]["reward"], 1.5);
        assert_eq!(records[1]["reward"], 0.0);
        assert_eq!(records[2]["reward"], Value::Null, "a null reference is a missing field");

        let scores = ws.path("scores.parquet");
        let output = ws.run(&[
            "score",
            "--config",
            config.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--output",
            scores.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&scores).unwrap())
            .unwrap()
            .build()
            .unwrap();
        let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
        assert_eq!(batches.len(), 1, "small outputs are written as one batch");
        let batch = &batches[0];
        let ids = batch.column_by_name("id").unwrap().as_string::<i32>();
        assert_eq!(ids.iter().collect::<Vec<_>>(), [Some("a"), Some("b"), Some("c")]);
        let rewards = batch.column_by_name("reward").unwrap().as_primitive::<Float64Type>();
        assert_eq!(rewards.iter().collect::<Vec<_>>(), [Some(1.5), Some(0.0), None]);
        let components = batch.column_by_name("components").unwrap().as_struct();
        let format = components
            .column_by_name("format")
            .unwrap()
            .as_primitive::<Float64Type>();
        assert_eq!(format.iter().collect::<Vec<_>>(), [Some(1.0), Some(0.0), Some(1.0)]);
        let errors = batch.column_by_name("error").unwrap().as_string::<i32>();
        assert!(errors.is_null(0) && errors.is_null(1));
        assert!(errors.value(2).contains("missing field `reference`"));
    }
}
