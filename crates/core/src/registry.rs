//! Which `kind` names build which reward or shape.

use std::collections::BTreeMap;

use crate::{KeyError, Params, Reward, Shape};

/// What a reward factory receives: the table's common keys and its kind-specific keys.
#[derive(Debug, Clone)]
pub struct RewardSpec {
    /// The reward's unique name (the component's name in the output).
    pub name: String,
    /// The kind that picked the implementation.
    pub kind: String,
    /// Kind-specific keys.
    pub params: Params,
}

/// What a shape factory receives.
#[derive(Debug, Clone)]
pub struct ShapeSpec {
    /// The shape's kind.
    pub kind: String,
    /// Kind-specific keys.
    pub params: Params,
}

/// Builds a reward from its table; errors name the offending key.
pub type RewardFactory = fn(&RewardSpec) -> Result<Box<dyn Reward>, KeyError>;
/// Builds a shape from its table; errors name the offending key.
pub type ShapeFactory = fn(&ShapeSpec) -> Result<Box<dyn Shape>, KeyError>;

/// One registered kind.
#[derive(Clone, Copy)]
pub struct Kind<F> {
    /// The `kind = "..."` value.
    pub name: &'static str,
    /// One line saying what it computes.
    pub summary: &'static str,
    /// Its factory.
    pub build: F,
}

/// The kinds a pipeline may use. [`Registry::builtin`] holds everything this crate implements; other crates
/// (math, code, models) add theirs with [`Registry::add_reward`].
#[derive(Clone, Default)]
pub struct Registry {
    rewards: BTreeMap<&'static str, Kind<RewardFactory>>,
    shapes: BTreeMap<&'static str, Kind<ShapeFactory>>,
}

impl Registry {
    /// A registry with no kinds.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The text-reward catalog and every shaping kind of this crate.
    pub fn builtin() -> Self {
        let mut registry = Self::empty();
        for kind in crate::rewards::catalog()
            .into_iter()
            .chain(crate::shaping::reward_kinds())
        {
            registry.add_reward(kind);
        }
        for kind in crate::shaping::catalog() {
            registry.add_shape(kind);
        }
        registry
    }

    /// Registers (or replaces) a reward kind.
    pub fn add_reward(&mut self, kind: Kind<RewardFactory>) -> &mut Self {
        self.rewards.insert(kind.name, kind);
        self
    }

    /// Registers (or replaces) a shape kind.
    pub fn add_shape(&mut self, kind: Kind<ShapeFactory>) -> &mut Self {
        self.shapes.insert(kind.name, kind);
        self
    }

    /// The reward kind with this name.
    pub fn reward(&self, name: &str) -> Option<&Kind<RewardFactory>> {
        self.rewards.get(name)
    }

    /// The shape kind with this name.
    pub fn shape(&self, name: &str) -> Option<&Kind<ShapeFactory>> {
        self.shapes.get(name)
    }

    /// All reward kinds, sorted by name.
    pub fn reward_kinds(&self) -> impl Iterator<Item = &Kind<RewardFactory>> {
        self.rewards.values()
    }

    /// All shape kinds, sorted by name.
    pub fn shape_kinds(&self) -> impl Iterator<Item = &Kind<ShapeFactory>> {
        self.shapes.values()
    }
}
