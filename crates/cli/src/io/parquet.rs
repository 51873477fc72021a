//! Parquet input (any columns; each row becomes a JSON object) and output (id, reward, components as a struct of
//! float columns, error, diagnostics as JSON text).

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use arrow_array::builder::{Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch, StructArray};
use arrow_schema::{DataType, Field, Fields, Schema};
use assay_core::Score;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{Map, Value};

use super::Record;

pub(super) fn read(path: &Path) -> anyhow::Result<Vec<Record>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
    let mut records = Vec::new();
    for batch in reader {
        let batch = batch?;
        let mut writer = arrow_json::ArrayWriter::new(Vec::new());
        writer.write(&batch)?;
        writer.finish()?;
        let bytes = writer.into_inner();
        if bytes.is_empty() {
            continue;
        }
        let rows: Vec<Map<String, Value>> = serde_json::from_slice(&bytes)?;
        records.extend(rows.into_iter().map(Ok));
    }
    Ok(records)
}

pub(super) fn write(path: &Path, scores: &[Score], component_names: &[String]) -> anyhow::Result<()> {
    let id = id_column(scores);
    let mut reward = Float64Builder::with_capacity(scores.len());
    let mut error = StringBuilder::new();
    let mut diagnostics = StringBuilder::new();
    for score in scores {
        reward.append_option(score.reward);
        error.append_option(score.error.as_deref());
        if score.diagnostics.is_empty() {
            diagnostics.append_null();
        } else {
            diagnostics.append_value(serde_json::to_string(&score.diagnostics)?);
        }
    }
    let component_fields: Fields = component_names
        .iter()
        .map(|name| Field::new(name, DataType::Float64, true))
        .collect();
    let component_columns: Vec<ArrayRef> = component_names
        .iter()
        .map(|name| {
            let mut column = Float64Builder::with_capacity(scores.len());
            for score in scores {
                column.append_option(score.component(name));
            }
            Arc::new(column.finish()) as ArrayRef
        })
        .collect();
    let mut columns: Vec<(Field, ArrayRef)> = vec![
        (Field::new("id", id.data_type().clone(), false), id),
        (
            Field::new("reward", DataType::Float64, true),
            Arc::new(reward.finish()) as ArrayRef,
        ),
    ];
    if !component_fields.is_empty() {
        let components = StructArray::try_new(component_fields.clone(), component_columns, None)?;
        columns.push((
            Field::new("components", DataType::Struct(component_fields), false),
            Arc::new(components),
        ));
    }
    columns.push((Field::new("error", DataType::Utf8, true), Arc::new(error.finish())));
    columns.push((
        Field::new("diagnostics", DataType::Utf8, true),
        Arc::new(diagnostics.finish()),
    ));
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = columns.into_iter().unzip();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut writer = ArrowWriter::try_new(file, schema, None)?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(())
}

/// Integer ids stay integers; anything else (strings, mixed) is written as text.
fn id_column(scores: &[Score]) -> ArrayRef {
    if scores.iter().all(|s| s.id.as_i64().is_some()) {
        let mut ids = Int64Builder::with_capacity(scores.len());
        for score in scores {
            ids.append_option(score.id.as_i64());
        }
        Arc::new(ids.finish())
    } else {
        let mut ids = StringBuilder::new();
        for score in scores {
            match &score.id {
                Value::String(text) => ids.append_value(text),
                other => ids.append_value(other.to_string()),
            }
        }
        Arc::new(ids.finish())
    }
}
