//! How the `length` reward counts: characters, whitespace-separated words, or tokens of a `tokenizer.json`.

use std::path::Path;

use serde::Deserialize;

use crate::{KeyError, RewardError};

/// The `unit` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub(super) enum UnitName {
    /// Unicode scalar values (open-r1 counts characters).
    #[default]
    Chars,
    /// Whitespace-separated words.
    Words,
    /// Tokens of the `tokenizer` file, without special tokens.
    Tokens,
}

/// A unit ready to measure text; the tokenizer is loaded once, when the pipeline is built.
pub(super) enum LengthUnit {
    Chars,
    Words,
    Tokens(Box<tokenizers::Tokenizer>),
}

impl LengthUnit {
    /// Builds the unit; `tokens` needs `tokenizer` (a path to a Hugging Face `tokenizer.json`), the others refuse it.
    pub(super) fn new(unit: UnitName, tokenizer: Option<&str>) -> Result<Self, KeyError> {
        match (unit, tokenizer) {
            (UnitName::Tokens, None) => Err(KeyError::new(
                "tokenizer",
                "unit = \"tokens\" needs `tokenizer = \"path/to/tokenizer.json\"`",
            )),
            (UnitName::Tokens, Some(path)) => {
                let loaded = tokenizers::Tokenizer::from_file(Path::new(path))
                    .map_err(|err| KeyError::new("tokenizer", format!("cannot load tokenizer `{path}`: {err}")))?;
                Ok(Self::Tokens(Box::new(loaded)))
            }
            (_, Some(_)) => Err(KeyError::new("tokenizer", "only used with unit = \"tokens\"")),
            (UnitName::Chars, None) => Ok(Self::Chars),
            (UnitName::Words, None) => Ok(Self::Words),
        }
    }

    /// The unit's name, for diagnostics.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::Chars => "chars",
            Self::Words => "words",
            Self::Tokens(_) => "tokens",
        }
    }

    /// The length of `text` in this unit.
    pub(super) fn measure(&self, text: &str) -> Result<usize, RewardError> {
        match self {
            Self::Chars => Ok(text.chars().count()),
            Self::Words => Ok(text.split_whitespace().count()),
            Self::Tokens(tokenizer) => tokenizer
                .encode(text, false)
                .map(|encoding| encoding.len())
                .map_err(|err| RewardError::Failed(format!("tokenizer failed: {err}"))),
        }
    }
}
