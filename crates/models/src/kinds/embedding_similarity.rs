//! `embedding_similarity` (cargo feature `local-models`): cosine similarity between the completion's and the
//! reference's sentence embeddings, from a local BERT checkpoint run in-process (e.g. all-MiniLM-L6-v2). With
//! several references the closest one counts.

use std::path::PathBuf;
use std::sync::Arc;

use assay_core::{
    BatchContext, Component, DEFAULT_COMPLETION_FIELD, DEFAULT_REFERENCE_FIELD, KeyError, Reward, RewardError,
    RewardFuture, RewardResults, RewardSpec,
};
use serde::Deserialize;

use crate::local::{Capability, LocalModel};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    model_dir: PathBuf,
    #[serde(default = "default_completion_field")]
    completion_field: String,
    #[serde(default = "default_reference_field")]
    reference_field: String,
    #[serde(default = "default_batch_size")]
    batch_size: usize,
}

fn default_completion_field() -> String {
    DEFAULT_COMPLETION_FIELD.into()
}
fn default_reference_field() -> String {
    DEFAULT_REFERENCE_FIELD.into()
}
fn default_batch_size() -> usize {
    32
}

struct EmbeddingSimilarity {
    model: Arc<LocalModel>,
    keys: Keys,
}

pub(crate) fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    let keys: Keys = spec.params.parse()?;
    if keys.batch_size == 0 {
        return Err(KeyError::new("batch_size", "must be at least 1"));
    }
    let model = LocalModel::shared(&keys.model_dir).map_err(|err| KeyError::new("model_dir", err.to_string()))?;
    if !model.capabilities().contains(&Capability::Embedding) {
        return Err(KeyError::new(
            "model_dir",
            format!(
                "{}: not a sentence-embedding (BERT) checkpoint",
                keys.model_dir.display()
            ),
        ));
    }
    Ok(Box::new(EmbeddingSimilarity { model, keys }))
}

impl EmbeddingSimilarity {
    /// Embeds `texts` in batches of `batch_size`.
    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, RewardError> {
        let mut vectors = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(self.keys.batch_size) {
            vectors.extend(
                self.model
                    .embed(chunk)
                    .map_err(|err| RewardError::Failed(err.to_string()))?,
            );
        }
        Ok(vectors)
    }

    fn score(&self, ctx: &BatchContext<'_>) -> RewardResults {
        // Every text of the batch in one list: (completion, references) per ready sample.
        let mut texts = Vec::new();
        let prepared: Vec<Result<(usize, usize), RewardError>> = ctx
            .samples
            .iter()
            .map(|sample| {
                let completion = sample.text(&self.keys.completion_field)?;
                let references = sample.texts(&self.keys.reference_field)?;
                if references.is_empty() {
                    return Err(RewardError::Failed(format!(
                        "field `{}` has no reference text",
                        self.keys.reference_field
                    )));
                }
                let start = texts.len();
                texts.push(completion.into_owned());
                texts.extend(references.into_iter().map(|r| r.into_owned()));
                Ok((start, texts.len() - start - 1))
            })
            .collect();
        let vectors = match self.embed(&texts) {
            Ok(vectors) => vectors,
            Err(err) => return prepared.iter().map(|_| Err(err.clone())).collect(),
        };
        prepared
            .into_iter()
            .map(|p| {
                let (start, references) = p?;
                let completion = &vectors[start];
                let best = vectors[start + 1..=start + references]
                    .iter()
                    .map(|reference| cosine(completion, reference))
                    .fold(f64::NEG_INFINITY, f64::max);
                Ok(Component::new(best).with("references", references))
            })
            .collect()
    }
}

/// Cosine similarity (the embeddings are unit vectors, but the division keeps it exact for any input).
fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
    let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let denominator = norm(a) * norm(b);
    if denominator > 0.0 { dot / denominator } else { 0.0 }
}

impl Reward for EmbeddingSimilarity {
    fn score_batch<'a>(&'a self, ctx: &'a BatchContext<'a>) -> RewardFuture<'a> {
        Box::pin(async move {
            let results = self.score(ctx);
            ctx.progress.advance(ctx.samples.len() as u64);
            results
        })
    }
}
