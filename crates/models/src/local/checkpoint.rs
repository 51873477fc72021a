//! The files of a Hugging Face checkpoint directory: `config.json`, `tokenizer.json` and the `*.safetensors`
//! shards, read into memory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde_json::Value;

use super::LocalError;

/// A checkpoint directory's contents.
pub(crate) struct Checkpoint {
    pub dir: PathBuf,
    /// `config.json` as written.
    pub config: Value,
    pub model_type: String,
    /// Every tensor of every shard, by name.
    pub tensors: HashMap<String, Tensor>,
    pub tokenizer: tokenizers::Tokenizer,
}

impl Checkpoint {
    pub fn open(dir: &Path) -> Result<Self, LocalError> {
        let in_dir = |name: &str| dir.join(name);
        let config_text = std::fs::read_to_string(in_dir("config.json"))
            .map_err(|err| LocalError::new(format!("{}: {err}", in_dir("config.json").display())))?;
        let config: Value = serde_json::from_str(&config_text)
            .map_err(|err| LocalError::new(format!("{}: {err}", in_dir("config.json").display())))?;
        let model_type = config
            .get("model_type")
            .and_then(Value::as_str)
            .ok_or_else(|| LocalError::new(format!("{}: no `model_type`", in_dir("config.json").display())))?
            .to_owned();
        let tokenizer = tokenizers::Tokenizer::from_file(in_dir("tokenizer.json"))
            .map_err(|err| LocalError::new(format!("{}: {err}", in_dir("tokenizer.json").display())))?;
        let mut shards: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|err| LocalError::new(format!("{}: {err}", dir.display())))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "safetensors"))
            .collect();
        shards.sort();
        if shards.is_empty() {
            return Err(LocalError::new(format!("{}: no *.safetensors weights", dir.display())));
        }
        let mut tensors = HashMap::new();
        for shard in &shards {
            let loaded = candle_core::safetensors::load(shard, &Device::Cpu)
                .map_err(|err| LocalError::new(format!("{}: {err}", shard.display())))?;
            tensors.extend(loaded);
        }
        Ok(Self {
            dir: dir.to_owned(),
            config,
            model_type,
            tensors,
            tokenizer,
        })
    }

    /// `config.json` parsed as a model's own config type.
    pub fn typed_config<T: serde::de::DeserializeOwned>(&self) -> Result<T, LocalError> {
        serde_json::from_value(self.config.clone()).map_err(|err| {
            LocalError::new(format!(
                "{}: config.json does not fit the {} layout: {err}",
                self.dir.display(),
                self.model_type
            ))
        })
    }

    /// Whether `architectures[0]` ends with `suffix` (e.g. `ForSequenceClassification`).
    pub fn architecture_ends_with(&self, suffix: &str) -> bool {
        self.config
            .pointer("/architectures/0")
            .and_then(Value::as_str)
            .is_some_and(|a| a.ends_with(suffix))
    }

    /// A JSON file beside `config.json`, if present and valid.
    pub fn side_file(&self, name: &str) -> Option<Value> {
        let text = std::fs::read_to_string(self.dir.join(name)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// A tensor by name, with a clear error when the checkpoint lacks it.
    pub fn tensor(&self, name: &str) -> Result<Tensor, LocalError> {
        self.tensors
            .get(name)
            .cloned()
            .ok_or_else(|| LocalError::new(format!("{}: the weights have no tensor `{name}`", self.dir.display())))
    }

    /// The end-of-sequence token ids from `config.json` (`eos_token_id`: a number or a list).
    pub fn eos_token_ids(&self) -> Vec<u32> {
        match self.config.get("eos_token_id") {
            Some(Value::Number(n)) => n.as_u64().map(|id| vec![id as u32]).unwrap_or_default(),
            Some(Value::Array(ids)) => ids.iter().filter_map(Value::as_u64).map(|id| id as u32).collect(),
            _ => Vec::new(),
        }
    }
}

/// Each token's text and character offset.
pub(crate) type Pieces = Vec<(String, usize)>;

/// The text of each token as the characters of `text` it covers: from the previous token's end to its own end (the
/// last runs to the end of the text), so leading spaces belong to the token as in byte-level BPE (" paris") and
/// the pieces concatenate back to `text`. Offsets are in characters.
pub(crate) fn token_pieces(text: &str, byte_offsets: &[(usize, usize)]) -> Pieces {
    let mut pieces = Vec::with_capacity(byte_offsets.len());
    let mut previous_end = 0;
    let mut previous_chars = 0;
    for (i, &(_, end)) in byte_offsets.iter().enumerate() {
        let end = if i + 1 == byte_offsets.len() {
            text.len()
        } else {
            end.clamp(previous_end, text.len())
        };
        let piece = text.get(previous_end..end).unwrap_or_default();
        pieces.push((piece.to_owned(), previous_chars));
        previous_chars += piece.chars().count();
        previous_end = end;
    }
    pieces
}
