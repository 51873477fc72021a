//! Rows from a hack-corpus folder (`trajectories.jsonl` plus each task's `tests.py` and `task.json`),
//! or from a JSONL file of rows.

use std::path::Path;

use crate::row::{Row, Tests};

/// Errors reading rows.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file or folder could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is not a valid row.
    #[error("{path}: record {index}: {message}")]
    Record {
        /// The file.
        path: String,
        /// 0-based record index.
        index: usize,
        /// What is wrong (names the field).
        message: String,
    },
}

fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Parses JSONL rows (blank lines skipped).
pub fn parse_rows(text: &str, path: &str) -> Result<Vec<Row>, LoadError> {
    let mut rows = Vec::new();
    for (index, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let row = serde_json::from_str::<Row>(line).map_err(|error| LoadError::Record {
            path: path.to_owned(),
            index,
            message: error.to_string(),
        })?;
        rows.push(row);
    }
    Ok(rows)
}

/// Rows from a JSONL file, or from a corpus folder: its `trajectories.jsonl` with `tests` and
/// `entry_point` filled in from `<task>/tests.py` and `<task>/task.json` when the rows lack them.
pub fn load_rows(path: &Path) -> Result<Vec<Row>, LoadError> {
    if !path.is_dir() {
        return parse_rows(&read(path)?, &path.display().to_string());
    }
    let file = path.join("trajectories.jsonl");
    let mut rows = parse_rows(&read(&file)?, &file.display().to_string())?;
    for row in &mut rows {
        let task = path.join(&row.task);
        if row.tests.is_none() {
            row.tests = std::fs::read_to_string(task.join("tests.py")).ok().map(Tests::Python);
        }
        if row.entry_point.is_none()
            && let Ok(text) = std::fs::read_to_string(task.join("task.json"))
            && let Ok(meta) = serde_json::from_str::<serde_json::Value>(&text)
        {
            row.entry_point = meta.get("entry_point").and_then(|e| e.as_str()).map(str::to_owned);
        }
    }
    Ok(rows)
}
