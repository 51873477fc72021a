//! Reading a pipeline TOML file into validated parts; every error names the file, the table and the key.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::combine::CombineConfig;
use crate::{ConfigError, KeyError, Params, RewardSpec, ShapeSpec};

const TOP_LEVEL_KEYS: &[&str] = &["name", "description", "reward", "combine", "shape"];

/// A `[[reward]]` table with its common keys read.
#[derive(Debug, Clone)]
pub struct RewardTable {
    /// Name, kind and kind-specific keys.
    pub spec: RewardSpec,
    /// `weight` (default 1.0, finite).
    pub weight: f64,
    /// `fallback`: the value used when this reward fails on a sample (the failure is then kept in
    /// diagnostics instead of failing the record).
    pub fallback: Option<f64>,
    /// How errors refer to this table.
    pub label: String,
}

/// A `[[shape]]` table.
#[derive(Debug, Clone)]
pub struct ShapeTable {
    /// Kind and kind-specific keys.
    pub spec: ShapeSpec,
    /// How errors refer to this table.
    pub label: String,
}

/// The parsed file, before kinds are looked up.
#[derive(Debug, Clone)]
pub struct PipelineFile {
    /// Where it came from (for error messages).
    pub path: PathBuf,
    /// `name`.
    pub name: String,
    /// `[[reward]]` tables in order.
    pub rewards: Vec<RewardTable>,
    /// `[combine]`.
    pub combine: CombineConfig,
    /// `[[shape]]` tables in order.
    pub shapes: Vec<ShapeTable>,
}

impl PipelineFile {
    /// Parses pipeline TOML; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let root: toml::Table = text.parse().map_err(|err: toml::de::Error| ConfigError::Syntax {
            path: path.to_owned(),
            message: err.to_string().trim_end().to_owned(),
        })?;
        Self::from_table(root, path)
    }

    /// Reads an already-parsed pipeline table (for example one built from a Python dict); `path` is only used
    /// in error messages.
    pub fn from_table(root: toml::Table, path: &Path) -> Result<Self, ConfigError> {
        let key_error = |table: &str, err: KeyError| ConfigError::Key {
            path: path.to_owned(),
            table: table.to_owned(),
            key: err.key,
            message: err.message,
        };
        const TOP: &str = "top level";
        if let Some(key) = root.keys().find(|k| !TOP_LEVEL_KEYS.contains(&k.as_str())) {
            return Err(key_error(
                TOP,
                KeyError::new(
                    key,
                    format!("unknown key; expected one of {}", TOP_LEVEL_KEYS.join(", ")),
                ),
            ));
        }
        let name = match root.get("name") {
            None => "pipeline".to_owned(),
            Some(toml::Value::String(name)) => name.clone(),
            Some(other) => return Err(key_error(TOP, KeyError::new("name", type_message("a string", other)))),
        };
        let rewards = tables(&root, "reward").map_err(|e| key_error(TOP, e))?;
        if rewards.is_empty() {
            return Err(key_error(
                TOP,
                KeyError::new("reward", "a pipeline needs at least one [[reward]] table"),
            ));
        }
        let mut seen = HashSet::new();
        let mut reward_tables = Vec::with_capacity(rewards.len());
        for (position, table) in rewards.into_iter().enumerate() {
            let parsed = reward_table(position, table).map_err(|(label, e)| key_error(&label, e))?;
            if !seen.insert(parsed.spec.name.clone()) {
                return Err(key_error(
                    &parsed.label,
                    KeyError::new("name", format!("duplicate reward name `{}`", parsed.spec.name)),
                ));
            }
            reward_tables.push(parsed);
        }
        let combine = match root.get("combine") {
            None => CombineConfig::default(),
            Some(toml::Value::Table(table)) => Params(table.clone()).parse().map_err(|e| key_error("[combine]", e))?,
            Some(other) => {
                return Err(key_error(TOP, KeyError::new("combine", type_message("a table", other))));
            }
        };
        let shapes = tables(&root, "shape")
            .map_err(|e| key_error(TOP, e))?
            .into_iter()
            .enumerate()
            .map(|(position, table)| shape_table(position, table).map_err(|(label, e)| key_error(&label, e)))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            path: path.to_owned(),
            name,
            rewards: reward_tables,
            combine,
            shapes,
        })
    }
}

fn tables(root: &toml::Table, key: &str) -> Result<Vec<toml::Table>, KeyError> {
    match root.get(key) {
        None => Ok(Vec::new()),
        Some(toml::Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                toml::Value::Table(table) => Ok(table.clone()),
                other => Err(KeyError::new(key, type_message("an array of tables", other))),
            })
            .collect(),
        Some(other) => Err(KeyError::new(
            key,
            format!("{}; write [[{key}]] tables", type_message("an array of tables", other)),
        )),
    }
}

fn take_string(table: &mut toml::Table, key: &str) -> Result<Option<String>, KeyError> {
    match table.remove(key) {
        None => Ok(None),
        Some(toml::Value::String(value)) => Ok(Some(value)),
        Some(other) => Err(KeyError::new(key, type_message("a string", &other))),
    }
}

fn take_finite(table: &mut toml::Table, key: &str) -> Result<Option<f64>, KeyError> {
    let value = match table.remove(key) {
        None => return Ok(None),
        Some(toml::Value::Float(value)) => value,
        #[allow(clippy::cast_precision_loss)]
        Some(toml::Value::Integer(value)) => value as f64,
        Some(other) => return Err(KeyError::new(key, type_message("a number", &other))),
    };
    if value.is_finite() {
        Ok(Some(value))
    } else {
        Err(KeyError::new(key, format!("must be a finite number, found {value}")))
    }
}

fn reward_table(position: usize, mut table: toml::Table) -> Result<RewardTable, (String, KeyError)> {
    let number = position + 1;
    let mut label = format!("[[reward]] #{number}");
    let name = take_string(&mut table, "name").map_err(|e| (label.clone(), e))?;
    if let Some(name) = &name {
        label = format!("[[reward]] #{number} (name = \"{name}\")");
    }
    let name = name.ok_or_else(|| {
        (
            label.clone(),
            KeyError::new("name", "missing; every reward needs a unique name"),
        )
    })?;
    let kind = take_string(&mut table, "kind")
        .map_err(|e| (label.clone(), e))?
        .ok_or_else(|| {
            (
                label.clone(),
                KeyError::new("kind", "missing; `kind` picks the implementation"),
            )
        })?;
    let weight = take_finite(&mut table, "weight")
        .map_err(|e| (label.clone(), e))?
        .unwrap_or(1.0);
    let fallback = take_finite(&mut table, "fallback").map_err(|e| (label.clone(), e))?;
    Ok(RewardTable {
        spec: RewardSpec {
            name,
            kind,
            params: Params(table),
        },
        weight,
        fallback,
        label,
    })
}

fn shape_table(position: usize, mut table: toml::Table) -> Result<ShapeTable, (String, KeyError)> {
    let label = format!("[[shape]] #{}", position + 1);
    let kind = take_string(&mut table, "kind")
        .map_err(|e| (label.clone(), e))?
        .ok_or_else(|| {
            (
                label.clone(),
                KeyError::new("kind", "missing; `kind` picks the shaping"),
            )
        })?;
    let label = format!("{label} (kind = \"{kind}\")");
    Ok(ShapeTable {
        spec: ShapeSpec {
            kind,
            params: Params(table),
        },
        label,
    })
}

fn type_message(expected: &str, found: &toml::Value) -> String {
    format!("expected {expected}, found {}", found.type_str())
}
