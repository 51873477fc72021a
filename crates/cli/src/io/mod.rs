//! Reading records and writing scores, JSONL or Parquet by file extension.

use std::path::Path;

use anyhow::{Context, bail};
use assay_core::Score;
use serde_json::{Map, Value};

mod jsonl;
#[cfg(feature = "parquet")]
mod parquet;

/// One input record, or why it could not be read (the message names the line).
pub type Record = Result<Map<String, Value>, String>;

/// A file format, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line (`.jsonl`, `.ndjson`, `.json`, or `-` for stdin/stdout).
    Jsonl,
    /// Apache Parquet (`.parquet`, `.pq`).
    Parquet,
}

impl Format {
    /// Picks the format from a path's extension.
    pub fn from_path(path: &Path) -> anyhow::Result<Self> {
        if path.as_os_str() == "-" {
            return Ok(Self::Jsonl);
        }
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        match extension.as_str() {
            "jsonl" | "ndjson" | "json" => Ok(Self::Jsonl),
            "parquet" | "pq" => Ok(Self::Parquet),
            other => bail!(
                "{}: unknown file type `.{other}`; use .jsonl (one JSON object per line) or .parquet",
                path.display()
            ),
        }
    }
}

/// Reads every record of a file (or stdin for `-`), in order.
pub fn read_records(path: &Path) -> anyhow::Result<Vec<Record>> {
    match Format::from_path(path)? {
        Format::Jsonl => {
            if path.as_os_str() == "-" {
                read_jsonl(std::io::stdin().lock())
            } else {
                let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
                read_jsonl(std::io::BufReader::new(file))
            }
        }
        Format::Parquet => read_parquet(path),
    }
    .with_context(|| format!("reading {}", path.display()))
}

/// Reads JSONL records from any reader (blank lines are not records).
pub fn read_jsonl(reader: impl std::io::BufRead) -> anyhow::Result<Vec<Record>> {
    jsonl::read(reader)
}

/// Writes scores to a file (or stdout for `-`), in order.
pub fn write_scores(path: &Path, scores: &[Score], component_names: &[String]) -> anyhow::Result<()> {
    match Format::from_path(path)? {
        Format::Jsonl => {
            if path.as_os_str() == "-" {
                jsonl::write(std::io::stdout().lock(), scores)
            } else {
                let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
                jsonl::write(std::io::BufWriter::new(file), scores)
            }
        }
        Format::Parquet => write_parquet(path, scores, component_names),
    }
    .with_context(|| format!("writing {}", path.display()))
}

/// Writes JSON values one per line to a file (or stdout for `-`).
pub fn write_json_lines(path: &Path, rows: &[Value]) -> anyhow::Result<()> {
    use std::io::Write;
    let write = |mut writer: Box<dyn Write>| -> anyhow::Result<()> {
        for row in rows {
            serde_json::to_writer(&mut writer, row)?;
            writer.write_all(b"\n")?;
        }
        writer.flush()?;
        Ok(())
    };
    if path.as_os_str() == "-" {
        write(Box::new(std::io::stdout().lock()))
    } else {
        let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        write(Box::new(std::io::BufWriter::new(file)))
    }
    .with_context(|| format!("writing {}", path.display()))
}

#[cfg(feature = "parquet")]
fn read_parquet(path: &Path) -> anyhow::Result<Vec<Record>> {
    parquet::read(path)
}

#[cfg(feature = "parquet")]
fn write_parquet(path: &Path, scores: &[Score], component_names: &[String]) -> anyhow::Result<()> {
    parquet::write(path, scores, component_names)
}

#[cfg(not(feature = "parquet"))]
fn read_parquet(path: &Path) -> anyhow::Result<Vec<Record>> {
    bail!(
        "{}: this build has no Parquet support (rebuild with the `parquet` feature)",
        path.display()
    )
}

#[cfg(not(feature = "parquet"))]
fn write_parquet(path: &Path, _scores: &[Score], _component_names: &[String]) -> anyhow::Result<()> {
    bail!(
        "{}: this build has no Parquet support (rebuild with the `parquet` feature)",
        path.display()
    )
}
