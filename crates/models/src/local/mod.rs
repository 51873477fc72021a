//! In-process models (cargo feature `local-models`): a Hugging Face checkpoint directory (`config.json`,
//! `tokenizer.json`, `*.safetensors`) loaded with candle on the CPU, and the OpenAI-compatible / vLLM routes it
//! answers — served over HTTP by `assay serve-model`, or called directly through an `endpoint = "local:DIR"`.
//!
//! Supported layouts (checked from `config.json`):
//! - `model_type = "bert"` (`BertModel`, e.g. sentence-transformers all-MiniLM-L6-v2): sentence embeddings, mean
//!   pooling over the attention mask then L2 normalization; with `BertForSequenceClassification` (`bert.pooler` +
//!   `classifier`) also classification;
//! - `model_type = "qwen2"` (`Qwen2ForCausalLM`): per-token log-probabilities, top-k next tokens, greedy
//!   generation; `Qwen2ForSequenceClassification` (Skywork-Reward style: `score` head on the last token):
//!   classification.
//!
//! Everything runs in f32 on the CPU: meant for small models and tests, not for serving large models.

mod api;
mod bert;
mod checkpoint;
mod qwen2;
mod serve;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

pub use api::{ApiError, Route, answer};
pub use serve::{router, serve};

use bert::Bert;
use checkpoint::Checkpoint;
use qwen2::Qwen2;

/// What a checkpoint can do; `--kind` on `serve-model` picks one explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Sentence embeddings (`/pooling`).
    Embedding,
    /// Sequence classification (`/classify`, and the raw scores on `/pooling`).
    Classify,
    /// Causal-LM scoring and generation (`/v1/completions`, `/v1/chat/completions`).
    Causal,
}

impl Capability {
    /// The name used in messages and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Embedding => "embedding",
            Self::Classify => "classify",
            Self::Causal => "causal",
        }
    }
}

/// A failure loading or running a local model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct LocalError(pub String);

impl LocalError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl From<candle_core::Error> for LocalError {
    fn from(err: candle_core::Error) -> Self {
        Self(format!("model computation failed: {err}"))
    }
}

enum Backend {
    Bert(Bert),
    /// Generation and scoring mutate the key/value cache, so one request runs at a time.
    Qwen2(Mutex<Qwen2>),
}

/// A loaded checkpoint.
pub struct LocalModel {
    name: String,
    dir: PathBuf,
    backend: Backend,
    capabilities: Vec<Capability>,
}

impl std::fmt::Debug for LocalModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalModel")
            .field("dir", &self.dir)
            .field("capabilities", &self.capabilities)
            .finish()
    }
}

impl LocalModel {
    /// Loads the checkpoint in `dir`.
    pub fn load(dir: &Path) -> Result<Self, LocalError> {
        let checkpoint = Checkpoint::open(dir)?;
        let backend = match checkpoint.model_type.as_str() {
            "bert" => Backend::Bert(Bert::load(&checkpoint)?),
            "qwen2" => Backend::Qwen2(Mutex::new(Qwen2::load(&checkpoint)?)),
            other => {
                return Err(LocalError::new(format!(
                    "{}: model_type `{other}` is not supported by the local backend (supported: bert, qwen2)",
                    dir.display()
                )));
            }
        };
        let name = dir
            .file_name()
            .map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into_owned());
        let capabilities = match &backend {
            Backend::Bert(bert) if bert.has_classifier() => vec![Capability::Embedding, Capability::Classify],
            Backend::Bert(_) => vec![Capability::Embedding],
            Backend::Qwen2(model) if lock(model).has_score_head() => vec![Capability::Classify],
            Backend::Qwen2(_) => vec![Capability::Causal],
        };
        Ok(Self {
            name,
            dir: dir.to_owned(),
            backend,
            capabilities,
        })
    }

    /// Loads `dir` once per process; later calls share the loaded model.
    pub fn shared(dir: &Path) -> Result<Arc<Self>, LocalError> {
        static LOADED: OnceLock<Mutex<HashMap<PathBuf, Arc<LocalModel>>>> = OnceLock::new();
        let key = std::fs::canonicalize(dir).map_err(|err| LocalError::new(format!("{}: {err}", dir.display())))?;
        let mut loaded = LOADED
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(model) = loaded.get(&key) {
            return Ok(model.clone());
        }
        let model = Arc::new(Self::load(&key)?);
        loaded.insert(key, model.clone());
        Ok(model)
    }

    /// The model id reported by `/v1/models` (the directory name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What this checkpoint supports.
    pub fn capabilities(&self) -> &[Capability] {
        &self.capabilities
    }

    /// L2-normalized sentence embeddings, one per text.
    pub fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, LocalError> {
        match &self.backend {
            Backend::Bert(bert) => bert.embed(texts),
            Backend::Qwen2(_) => Err(self.unsupported(Capability::Embedding)),
        }
    }

    /// Classifier logits, one vector of `num_labels` per text.
    pub fn classify(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, LocalError> {
        match &self.backend {
            Backend::Bert(bert) if bert.has_classifier() => bert.classify(texts),
            Backend::Qwen2(model) => {
                let mut model = lock(model);
                texts.iter().map(|text| model.classify(text)).collect()
            }
            _ => Err(self.unsupported(Capability::Classify)),
        }
    }

    /// Scores `prompt` and greedily continues it by up to `max_tokens` tokens, keeping the `top` most likely
    /// tokens at every position.
    pub fn generate(&self, prompt: &str, max_tokens: usize, top: usize) -> Result<Generation, LocalError> {
        match &self.backend {
            Backend::Qwen2(model) => lock(model).generate(prompt, max_tokens, top),
            Backend::Bert(_) => Err(self.unsupported(Capability::Causal)),
        }
    }

    fn unsupported(&self, capability: Capability) -> LocalError {
        let have: Vec<&str> = self.capabilities().iter().map(|c| c.name()).collect();
        LocalError::new(format!(
            "model `{}` does not support {} (it supports: {})",
            self.name,
            capability.name(),
            have.join(", ")
        ))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One token with its log-probability and the most likely alternatives at its position.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenScore {
    /// The token's text: the characters of the input it covers (prompt) or its decoded text (generated).
    pub text: String,
    /// Offset of the token's text, in characters.
    pub char_offset: usize,
    /// `log p(token | previous tokens)`; `None` for the first prompt token.
    pub logprob: Option<f32>,
    /// The `top` most likely tokens at this position (decoded text, log-probability), most likely first.
    pub top: Vec<(String, f32)>,
}

/// The result of [`LocalModel::generate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// The prompt's tokens.
    pub prompt: Vec<TokenScore>,
    /// The generated tokens (greedy).
    pub generated: Vec<TokenScore>,
    /// `"stop"` when an end-of-sequence token ended generation, else `"length"`.
    pub finish_reason: &'static str,
}
