//! The pipeline kinds of this crate.

mod common;
#[cfg(feature = "local-models")]
mod embedding_similarity;
mod judge;
mod likelihood;
mod model_ensemble;
mod p_yes;
mod reward_model;

use assay_core::{Kind, Registry, Reward, RewardFactory, RewardSpec};

use common::ModelFactory;
pub use common::{Common as ModelConnection, parse as parse_model_keys};

/// The kinds an ensemble may hold.
const MEMBER_KINDS: [&str; 4] = ["reward_model", "judge", "p_yes", "likelihood"];

fn factory(kind: &str) -> Option<ModelFactory> {
    Some(match kind {
        "reward_model" => reward_model::build,
        "judge" => judge::build,
        "p_yes" => p_yes::build,
        "likelihood" => likelihood::build,
        "model_ensemble" => model_ensemble::build,
        _ => return None,
    })
}

macro_rules! kind {
    ($name:literal, $module:ident, $summary:literal) => {
        Kind {
            name: $name,
            summary: $summary,
            build: |spec: &RewardSpec| -> Result<Box<dyn Reward>, assay_core::KeyError> {
                common::build_reward($module::build, spec)
            },
        }
    };
}

/// Every kind of this crate.
pub fn catalog() -> Vec<Kind<RewardFactory>> {
    vec![
        kind!(
            "reward_model",
            reward_model,
            "discriminative reward model over vLLM /pooling or /classify, optionally normalized"
        ),
        kind!(
            "judge",
            judge,
            "LLM judge over /chat/completions: rubric template, numeric score or RM-R1 [[A]]/[[B]] verdict"
        ),
        kind!(
            "p_yes",
            p_yes,
            "P(\"yes\") from top log-probabilities, renormalized over yes/no (RewardDance)"
        ),
        kind!(
            "likelihood",
            likelihood,
            "log-probability of the reference continuation via /completions echo, or follow-up likelihood (FLR)"
        ),
        kind!(
            "model_ensemble",
            model_ensemble,
            "several model rewards aggregated per sample: mean | median | min | mean_minus_std"
        ),
        #[cfg(feature = "local-models")]
        Kind {
            name: "embedding_similarity",
            summary: "cosine between completion and reference sentence embeddings from a local BERT checkpoint",
            build: embedding_similarity::build,
        },
    ]
}

/// Adds this crate's kinds to a registry.
pub fn register(registry: &mut Registry) {
    for kind in catalog() {
        registry.add_reward(kind);
    }
}
