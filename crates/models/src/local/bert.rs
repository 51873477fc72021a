//! BERT encoders: sentence embeddings (mean pooling over the attention mask, then L2 normalization, as
//! sentence-transformers does for all-MiniLM-L6-v2) and `BertForSequenceClassification` heads (tanh pooler on
//! `[CLS]`, then `classifier`).

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Linear, VarBuilder};
use candle_transformers::models::bert::{BertModel, Config};
use serde_json::Value;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use super::LocalError;
use super::checkpoint::Checkpoint;

/// A BERT encoder with an optional classification head.
pub(crate) struct Bert {
    model: BertModel,
    tokenizer: Tokenizer,
    classifier: Option<(Linear, Linear)>,
}

impl Bert {
    pub fn load(checkpoint: &Checkpoint) -> Result<Self, LocalError> {
        let config: Config = checkpoint.typed_config()?;
        let vb = VarBuilder::from_tensors(checkpoint.tensors.clone(), DType::F32, &Device::Cpu);
        let model = BertModel::load(vb, &config)?;
        let mut tokenizer = checkpoint.tokenizer.clone();
        // Pad each batch to its longest text (checkpoints often ship a fixed padding of 128), and truncate where
        // sentence-transformers does (its max_seq_length), else at the position limit.
        let max_length = checkpoint
            .side_file("sentence_bert_config.json")
            .and_then(|c| c.get("max_seq_length").and_then(Value::as_u64))
            .map_or(config.max_position_embeddings, |n| n as usize);
        let pad_id = config.pad_token_id as u32;
        let pad_token = tokenizer.id_to_token(pad_id).unwrap_or_else(|| "[PAD]".into());
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            pad_id,
            pad_token,
            ..PaddingParams::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length,
                ..TruncationParams::default()
            }))
            .map_err(|err| LocalError::new(format!("tokenizer truncation: {err}")))?;
        let classifier = if checkpoint.architecture_ends_with("ForSequenceClassification") {
            let linear = |name: &str| -> Result<Linear, LocalError> {
                Ok(Linear::new(
                    checkpoint.tensor(&format!("{name}.weight"))?,
                    Some(checkpoint.tensor(&format!("{name}.bias"))?),
                ))
            };
            Some((linear("bert.pooler.dense")?, linear("classifier")?))
        } else {
            None
        };
        Ok(Self {
            model,
            tokenizer,
            classifier,
        })
    }

    pub fn has_classifier(&self) -> bool {
        self.classifier.is_some()
    }

    /// The encoder's last hidden states `[batch, tokens, hidden]` and the attention mask `[batch, tokens]` (f32).
    fn encode(&self, texts: &[String]) -> Result<(Tensor, Tensor), LocalError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|err| LocalError::new(format!("tokenizing: {err}")))?;
        let rows = |pick: &dyn Fn(&tokenizers::Encoding) -> Vec<u32>| -> Result<Tensor, LocalError> {
            let rows = encodings
                .iter()
                .map(|e| Tensor::new(pick(e).as_slice(), &Device::Cpu))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Tensor::stack(&rows, 0)?)
        };
        let ids = rows(&|e| e.get_ids().to_vec())?;
        let type_ids = rows(&|e| e.get_type_ids().to_vec())?;
        let mask = rows(&|e| e.get_attention_mask().to_vec())?;
        let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?;
        Ok((hidden, mask.to_dtype(DType::F32)?))
    }

    pub fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, LocalError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let (hidden, mask) = self.encode(texts)?;
        let summed = hidden.broadcast_mul(&mask.unsqueeze(2)?)?.sum(1)?;
        let counts = mask.sum_keepdim(1)?.clamp(1e-9, f64::INFINITY)?;
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::INFINITY)?;
        Ok(mean.broadcast_div(&norms)?.to_vec2()?)
    }

    pub fn classify(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, LocalError> {
        let Some((pooler, classifier)) = &self.classifier else {
            return Err(LocalError::new("this BERT checkpoint has no classification head"));
        };
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let (hidden, _) = self.encode(texts)?;
        let cls = hidden.narrow(1, 0, 1)?.squeeze(1)?;
        let pooled = pooler.forward(&cls)?.tanh()?;
        Ok(classifier.forward(&pooled)?.to_vec2()?)
    }
}
