//! Qwen2 decoders: `Qwen2ForCausalLM` (per-token log-probabilities, top-k alternatives, greedy generation) and
//! `Qwen2ForSequenceClassification` (Skywork-Reward layout: a bias-free `score` head read at the last token).
//!
//! Sequences run one at a time (batch 1): candle's Qwen2 takes either a causal mask or a padding mask, not both,
//! and one sequence needs no padding.

use candle_core::{D, DType, Device, IndexOp, Module, Tensor};
use candle_nn::{Linear, VarBuilder};
use candle_transformers::models::qwen2::{Config, Model};
use tokenizers::Tokenizer;

use super::checkpoint::{Checkpoint, Pieces, token_pieces};
use super::{Generation, LocalError, TokenScore};

enum Head {
    /// The language-model head (`lm_head`, or the tied input embeddings).
    Lm(Linear),
    /// The classification head `score`: `[num_labels, hidden]`.
    Score(Linear),
}

pub(crate) struct Qwen2 {
    model: Model,
    head: Head,
    tokenizer: Tokenizer,
    eos: Vec<u32>,
}

impl Qwen2 {
    pub fn load(checkpoint: &Checkpoint) -> Result<Self, LocalError> {
        let config: Config = checkpoint.typed_config()?;
        let vb = VarBuilder::from_tensors(checkpoint.tensors.clone(), DType::F32, &Device::Cpu);
        let model = Model::new(&config, vb)?;
        let head = if checkpoint.architecture_ends_with("ForSequenceClassification") {
            Head::Score(Linear::new(checkpoint.tensor("score.weight")?, None))
        } else if checkpoint.tensors.contains_key("lm_head.weight") {
            Head::Lm(Linear::new(checkpoint.tensor("lm_head.weight")?, None))
        } else {
            Head::Lm(Linear::new(checkpoint.tensor("model.embed_tokens.weight")?, None))
        };
        Ok(Self {
            model,
            head,
            tokenizer: checkpoint.tokenizer.clone(),
            eos: checkpoint.eos_token_ids(),
        })
    }

    pub fn has_score_head(&self) -> bool {
        matches!(self.head, Head::Score(_))
    }

    fn tokenize(&self, text: &str) -> Result<(Vec<u32>, Pieces), LocalError> {
        let encoding = self
            .tokenizer
            .encode(text, true)
            .map_err(|err| LocalError::new(format!("tokenizing: {err}")))?;
        if encoding.get_ids().is_empty() {
            return Err(LocalError::new("the text has no tokens"));
        }
        Ok((encoding.get_ids().to_vec(), token_pieces(text, encoding.get_offsets())))
    }

    /// Hidden states `[tokens, hidden]` of `ids` continuing the cached `offset` tokens.
    fn hidden(&mut self, ids: &[u32], offset: usize) -> Result<Tensor, LocalError> {
        let input = Tensor::new(ids, &Device::Cpu)?.unsqueeze(0)?;
        Ok(self.model.forward(&input, offset, None)?.squeeze(0)?)
    }

    /// The classifier's logits at the last token of `text`.
    pub fn classify(&mut self, text: &str) -> Result<Vec<f32>, LocalError> {
        let Head::Score(score) = &self.head else {
            return Err(LocalError::new("this checkpoint has no `score` head"));
        };
        let score = score.clone();
        let (ids, _) = self.tokenize(text)?;
        self.model.clear_kv_cache();
        let hidden = self.hidden(&ids, 0)?;
        let last = hidden.i(ids.len() - 1)?.unsqueeze(0)?;
        Ok(score.forward(&last)?.squeeze(0)?.to_vec1()?)
    }

    pub fn generate(&mut self, prompt: &str, max_tokens: usize, top: usize) -> Result<Generation, LocalError> {
        let Head::Lm(lm_head) = &self.head else {
            return Err(LocalError::new("this checkpoint is a classifier, not a causal LM"));
        };
        let lm_head = lm_head.clone();
        let (ids, pieces) = self.tokenize(prompt)?;
        self.model.clear_kv_cache();
        // Row i: log-probabilities of the token after position i.
        let logprobs = |hidden: &Tensor| -> Result<Vec<Vec<f32>>, LocalError> {
            Ok(candle_nn::ops::log_softmax(&lm_head.forward(hidden)?, D::Minus1)?.to_vec2()?)
        };
        let mut rows = logprobs(&self.hidden(&ids, 0)?)?;
        let mut prompt_scores = Vec::with_capacity(ids.len());
        for (i, (&id, (text, char_offset))) in ids.iter().zip(pieces).enumerate() {
            let (logprob, top) = match i.checked_sub(1) {
                None => (None, Vec::new()),
                Some(previous) => (Some(rows[previous][id as usize]), self.top(&rows[previous], top)),
            };
            prompt_scores.push(TokenScore {
                text,
                char_offset,
                logprob,
                top,
            });
        }
        let mut generated = Vec::new();
        let mut char_offset = prompt.chars().count();
        let mut finish_reason = "length";
        let mut position = ids.len();
        while generated.len() < max_tokens {
            let last = rows.last().ok_or_else(|| LocalError::new("no logits"))?;
            let next = argmax(last);
            let text = self.decode(next);
            generated.push(TokenScore {
                char_offset,
                logprob: Some(last[next as usize]),
                top: self.top(last, top),
                text: text.clone(),
            });
            char_offset += text.chars().count();
            if self.eos.contains(&next) {
                finish_reason = "stop";
                break;
            }
            if generated.len() < max_tokens {
                rows = logprobs(&self.hidden(&[next], position)?)?;
                position += 1;
            }
        }
        Ok(Generation {
            prompt: prompt_scores,
            generated,
            finish_reason,
        })
    }

    fn decode(&self, id: u32) -> String {
        self.tokenizer
            .decode(&[id], false)
            .ok()
            .or_else(|| self.tokenizer.id_to_token(id))
            .unwrap_or_default()
    }

    /// The `k` most likely tokens of a log-probability row, decoded, most likely first (ties: lower id first).
    fn top(&self, row: &[f32], k: usize) -> Vec<(String, f32)> {
        let mut order: Vec<u32> = (0..row.len() as u32).collect();
        let k = k.min(order.len());
        if k == 0 {
            return Vec::new();
        }
        let by_logprob = |a: &u32, b: &u32| row[*b as usize].total_cmp(&row[*a as usize]).then(a.cmp(b));
        order.select_nth_unstable_by(k - 1, by_logprob);
        order.truncate(k);
        order.sort_by(by_logprob);
        order
            .into_iter()
            .map(|id| (self.decode(id), row[id as usize]))
            .collect()
    }
}

fn argmax(row: &[f32]) -> u32 {
    let mut best = 0;
    for (i, value) in row.iter().enumerate() {
        if *value > row[best] {
            best = i;
        }
    }
    best as u32
}
