//! A pipeline: rewards → combine → shape, built from TOML and shared by the CLI, the server and Python.

use std::collections::HashMap;
use std::path::Path;

use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::combine::Combine;
use crate::config::PipelineFile;
use crate::reward::group_indices;
use crate::shaping::ShapeContext;
use crate::{
    BatchContext, Component, ConfigError, KeyError, NoProgress, Progress, Registry, Reward, RewardError, Sample, Score,
    Shape,
};

/// One sample's output before shaping.
struct Assembled {
    components: Map<String, Value>,
    diagnostics: Map<String, Value>,
    total: Result<f64, RewardError>,
}

/// Samples assembled per rayon task.
const ASSEMBLY_CHUNK: usize = 1024;

struct Stage {
    name: String,
    weight: f64,
    fallback: Option<f64>,
    reward: Box<dyn Reward>,
}

/// A validated pipeline, ready to score batches. Cheap to share across threads (`&Pipeline` is `Sync`).
pub struct Pipeline {
    name: String,
    stages: Vec<Stage>,
    combine: Combine,
    shapes: Vec<Box<dyn Shape>>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("name", &self.name)
            .field("components", &self.component_names().collect::<Vec<_>>())
            .field("combine", &self.combine)
            .field("shapes", &self.shapes.len())
            .finish()
    }
}

impl Pipeline {
    /// Loads and validates a pipeline file.
    pub fn from_file(path: &Path, registry: &Registry) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, path, registry)
    }

    /// Parses and validates pipeline TOML; `origin` names it in error messages.
    pub fn from_toml(text: &str, origin: &Path, registry: &Registry) -> Result<Self, ConfigError> {
        let file = PipelineFile::parse(text, origin)?;
        Self::build(file, registry)
    }

    /// Validates an in-memory pipeline table (the parsed TOML document); `origin` names it in error messages.
    pub fn from_table(table: toml::Table, origin: &Path, registry: &Registry) -> Result<Self, ConfigError> {
        let file = PipelineFile::from_table(table, origin)?;
        Self::build(file, registry)
    }

    /// Looks up every kind and builds the stages.
    pub fn build(file: PipelineFile, registry: &Registry) -> Result<Self, ConfigError> {
        let key_error = |table: &str, err: KeyError| ConfigError::Key {
            path: file.path.clone(),
            table: table.to_owned(),
            key: err.key,
            message: err.message,
        };
        let mut stages = Vec::with_capacity(file.rewards.len());
        for table in &file.rewards {
            let kind = registry.reward(&table.spec.kind).ok_or_else(|| {
                let known: Vec<_> = registry.reward_kinds().map(|k| k.name).collect();
                key_error(
                    &table.label,
                    KeyError::new(
                        "kind",
                        format!(
                            "unknown reward kind `{}`; known kinds: {}",
                            table.spec.kind,
                            known.join(", ")
                        ),
                    ),
                )
            })?;
            let reward = (kind.build)(&table.spec).map_err(|e| key_error(&table.label, e))?;
            for dependency in reward.depends_on() {
                if !stages.iter().any(|s: &Stage| s.name == dependency) {
                    return Err(key_error(
                        &table.label,
                        KeyError::new(
                            "depends",
                            format!("reads component `{dependency}`, which must be a reward declared before this one"),
                        ),
                    ));
                }
            }
            stages.push(Stage {
                name: table.spec.name.clone(),
                weight: table.weight,
                fallback: table.fallback,
                reward,
            });
        }
        let gate = file
            .combine
            .gate
            .clone()
            .map(|g| g.into_vec())
            .unwrap_or_default()
            .into_iter()
            .map(|name| {
                stages.iter().position(|s| s.name == name).ok_or_else(|| {
                    key_error(
                        "[combine]",
                        KeyError::new("gate", format!("no reward is named `{name}`")),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !file.combine.gate_value.is_finite() {
            return Err(key_error(
                "[combine]",
                KeyError::new("gate_value", "must be a finite number"),
            ));
        }
        let combine = Combine {
            mode: file.combine.mode,
            gate,
            gate_value: file.combine.gate_value,
        };
        let mut shapes = Vec::with_capacity(file.shapes.len());
        for table in &file.shapes {
            let kind = registry.shape(&table.spec.kind).ok_or_else(|| {
                let known: Vec<_> = registry.shape_kinds().map(|k| k.name).collect();
                key_error(
                    &table.label,
                    KeyError::new(
                        "kind",
                        format!(
                            "unknown shape kind `{}`; known kinds: {}",
                            table.spec.kind,
                            known.join(", ")
                        ),
                    ),
                )
            })?;
            shapes.push((kind.build)(&table.spec).map_err(|e| key_error(&table.label, e))?);
        }
        Ok(Self {
            name: file.name,
            stages,
            combine,
            shapes,
        })
    }

    /// The pipeline's `name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Component names in declaration order.
    pub fn component_names(&self) -> impl Iterator<Item = &str> {
        self.stages.iter().map(|s| s.name.as_str())
    }

    /// How many sample-evaluations scoring `n` samples takes (for progress bars).
    pub fn work_units(&self, samples: usize) -> u64 {
        (samples * self.stages.len()) as u64
    }

    /// Scores a batch: one [`Score`] per sample, in order. Group shaping sees exactly this batch.
    pub fn score(&self, samples: &[Sample]) -> Vec<Score> {
        self.score_with_progress(samples, &NoProgress)
    }

    /// [`Pipeline::score`], reporting progress in sample-evaluations (see [`Pipeline::work_units`]).
    pub fn score_with_progress(&self, samples: &[Sample], progress: &dyn Progress) -> Vec<Score> {
        let mut earlier: HashMap<String, Vec<Option<f64>>> = HashMap::with_capacity(self.stages.len());
        let mut results: Vec<Vec<Result<Component, RewardError>>> = Vec::with_capacity(self.stages.len());
        for stage in &self.stages {
            let ctx = BatchContext {
                samples,
                earlier: &earlier,
                progress,
            };
            let started = std::time::Instant::now();
            let mut batch = if progress.cancelled() {
                vec![Err(RewardError::Cancelled); samples.len()]
            } else {
                // A batch reward that panics fails its whole batch (it scored the records together); the other
                // rewards still run and every record still gets a score or an error naming this reward.
                crate::reward::catch_panic(|| Ok(futures::executor::block_on(stage.reward.score_batch(&ctx))))
                    .unwrap_or_else(|error| vec![Err(error); samples.len()])
            };
            progress.stage_done(&stage.name, started.elapsed());
            if batch.len() != samples.len() {
                let message = format!(
                    "internal error: reward returned {} results for {} samples",
                    batch.len(),
                    samples.len()
                );
                batch = vec![Err(RewardError::Failed(message)); samples.len()];
            }
            let values = batch
                .iter_mut()
                .map(|result| {
                    if let Ok(component) = result
                        && !component.value.is_finite()
                    {
                        *result = Err(RewardError::NonFinite(format!("reward produced {}", component.value)));
                    }
                    match result {
                        Ok(component) => Some(component.value),
                        // A record the reward never saw has no value, not the fallback for a failure.
                        Err(RewardError::Cancelled) => None,
                        Err(_) => stage.fallback,
                    }
                })
                .collect();
            earlier.insert(stage.name.clone(), values);
            results.push(batch);
        }
        self.assemble(samples, &earlier, results, progress)
    }

    fn assemble(
        &self,
        samples: &[Sample],
        values: &HashMap<String, Vec<Option<f64>>>,
        mut results: Vec<Vec<Result<Component, RewardError>>>,
        progress: &dyn Progress,
    ) -> Vec<Score> {
        let weights: Vec<f64> = self.stages.iter().map(|s| s.weight).collect();
        let stage_values: Vec<&[Option<f64>]> = self.stages.iter().map(|s| values[&s.name].as_slice()).collect();
        // Per-sample assembly allocates (maps, messages), so it runs in parallel over chunks that each own the
        // matching slice of every stage's results.
        let mut chunks: Vec<Vec<&mut [Result<Component, RewardError>]>> = Vec::new();
        for stage_results in &mut results {
            for (position, slice) in stage_results.chunks_mut(ASSEMBLY_CHUNK).enumerate() {
                if chunks.len() <= position {
                    chunks.push(Vec::with_capacity(self.stages.len()));
                }
                chunks[position].push(slice);
            }
        }
        let assembled: Vec<Assembled> = chunks
            .into_par_iter()
            .enumerate()
            .flat_map_iter(|(position, mut slices)| {
                let offset = position * ASSEMBLY_CHUNK;
                let len = slices.first().map_or(0, |s| s.len());
                (0..len)
                    .map(|i| self.assemble_one(offset + i, &weights, &stage_values, &mut slices, i))
                    .collect::<Vec<_>>()
            })
            .collect();
        let (mut records, mut combined): (Vec<_>, Vec<_>) = assembled
            .into_iter()
            .map(|a| ((a.components, a.diagnostics), a.total))
            .unzip();
        if !self.shapes.is_empty() {
            for ((_, diagnostics), value) in records.iter_mut().zip(&combined) {
                if let Ok(value) = value {
                    diagnostics.insert("combined".into(), Value::from(*value));
                }
            }
            let groups = group_indices(samples.iter().map(|s| s.group.as_deref()));
            let ctx = ShapeContext {
                samples,
                groups: &groups,
            };
            if progress.cancelled() {
                // Group and batch statistics over the records that happened to finish would be wrong.
                combined.fill(Err(RewardError::Cancelled));
            }
            for shape in &self.shapes {
                shape.apply(&ctx, &mut combined);
            }
        }
        samples
            .par_iter()
            .zip(records)
            .zip(combined)
            .map(|((sample, (components, diagnostics)), total)| {
                let (reward, error) = match total {
                    Ok(value) if value.is_finite() => (Some(value), None),
                    Ok(value) => (
                        None,
                        Some(RewardError::NonFinite(format!("shaping produced {value}")).to_string()),
                    ),
                    Err(err) => (None, Some(err.to_string())),
                };
                Score {
                    id: sample.id.clone(),
                    reward,
                    components,
                    error: error.map(|message| format!("record {} (id {}): {message}", sample.index, sample.id)),
                    diagnostics,
                }
            })
            .collect()
    }

    /// One sample's components, diagnostics and combined value; takes its results out of `slices[..][i]`.
    fn assemble_one(
        &self,
        index: usize,
        weights: &[f64],
        stage_values: &[&[Option<f64>]],
        slices: &mut [&mut [Result<Component, RewardError>]],
        i: usize,
    ) -> Assembled {
        let mut components = Map::new();
        let mut diagnostics = Map::new();
        let mut row = Vec::with_capacity(self.stages.len());
        let mut first_error: Option<String> = None;
        for ((stage, values), slice) in self.stages.iter().zip(stage_values).zip(slices.iter_mut()) {
            let value = values[index];
            components.insert(stage.name.clone(), value.map_or(Value::Null, Value::from));
            match std::mem::replace(&mut slice[i], Ok(Component::new(0.0))) {
                Ok(component) => {
                    if !component.diagnostics.is_empty() {
                        diagnostics.insert(stage.name.clone(), Value::Object(component.diagnostics));
                    }
                }
                Err(err) => {
                    let message = format!("reward `{}`: {err}", stage.name);
                    if stage.fallback.is_some() && err != RewardError::Cancelled {
                        let mut detail = Map::new();
                        detail.insert("error".into(), Value::from(message));
                        diagnostics.insert(stage.name.clone(), Value::Object(detail));
                    } else if first_error.is_none() {
                        first_error = Some(message);
                    }
                }
            }
            row.push(value.unwrap_or(f64::NAN));
        }
        let total = match first_error {
            Some(message) => Err(RewardError::Failed(message)),
            None => Ok(self.combine.apply(weights, &row)),
        };
        Assembled {
            components,
            diagnostics,
            total,
        }
    }
}
