//! `repetition`: open-r1's n-gram repetition penalty (`get_repetition_penalty_reward`).
//!
//! value = (1 − unique n-grams / total n-grams) · `max_penalty`, with words split like Python's `str.split()`
//! after `str.lower()` (per character). Texts with fewer units than `ngram_size` score 0, as in open-r1.
//!
//! This sits on the hot path of every training pipeline, so it interns words and n-grams into reusable
//! per-thread tables keyed by precomputed hashes (collisions are resolved by comparing the actual words and
//! windows, so the count is exact) instead of building lowercase strings and tuple sets per sample.

use std::cell::RefCell;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use serde::Deserialize;

use super::common::{check_field_name, completion_field, is_python_space};
use crate::{Component, KeyError, Kind, Reward, RewardError, RewardFactory, RewardSpec, Sample, SampleReward};

/// The registry entry.
pub fn kind() -> Kind<RewardFactory> {
    Kind {
        name: "repetition",
        summary: "n-gram repetition penalty (open-r1): (1 - unique/total) * max_penalty",
        build,
    }
}

/// Largest accepted `ngram_size`; longer n-grams say nothing about repetition that shorter ones do not.
const MAX_NGRAM: usize = 64;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Unit {
    #[default]
    Words,
    Chars,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_ngram_size")]
    ngram_size: i64,
    #[serde(default = "default_max_penalty")]
    max_penalty: f64,
    #[serde(default)]
    unit: Unit,
    #[serde(default = "yes")]
    lowercase: bool,
    #[serde(default = "completion_field")]
    completion_field: String,
}

fn default_ngram_size() -> i64 {
    3
}

fn default_max_penalty() -> f64 {
    -1.0
}

fn yes() -> bool {
    true
}

struct Repetition {
    ngram_size: usize,
    max_penalty: f64,
    unit: Unit,
    lowercase: bool,
    field: String,
}

fn build(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    Ok(Box::new(Repetition::new(&spec.params)?))
}

impl Repetition {
    fn new(params: &crate::Params) -> Result<Self, KeyError> {
        let params: Params = params.parse()?;
        check_field_name("completion_field", &params.completion_field)?;
        let ngram_size = usize::try_from(params.ngram_size)
            .ok()
            .filter(|n| (1..=MAX_NGRAM).contains(n))
            .ok_or_else(|| {
                KeyError::new(
                    "ngram_size",
                    format!("must be between 1 and {MAX_NGRAM}, found {}", params.ngram_size),
                )
            })?;
        if !params.max_penalty.is_finite() || params.max_penalty > 0.0 {
            return Err(KeyError::new(
                "max_penalty",
                format!("must be a finite number ≤ 0, found {}", params.max_penalty),
            ));
        }
        Ok(Self {
            ngram_size,
            max_penalty: params.max_penalty,
            unit: params.unit,
            lowercase: params.lowercase,
            field: params.completion_field,
        })
    }

    /// (distinct n-grams, total n-grams) of `text`.
    fn count(&self, text: &str, scratch: &mut Scratch) -> (usize, usize) {
        scratch.clear();
        match self.unit {
            Unit::Words => scratch.intern_words(text, self.lowercase),
            Unit::Chars if self.lowercase && !text.is_ascii() => {
                scratch.ids.extend(text.to_lowercase().chars().map(u32::from));
            }
            Unit::Chars if self.lowercase => scratch
                .ids
                .extend(text.bytes().map(|b| u32::from(b.to_ascii_lowercase()))),
            Unit::Chars => scratch.ids.extend(text.chars().map(u32::from)),
        }
        if scratch.ids.len() < self.ngram_size {
            return (0, 0);
        }
        let total = scratch.ids.len() - self.ngram_size + 1;
        (scratch.distinct_windows(self.ngram_size), total)
    }
}

impl SampleReward for Repetition {
    fn score(&self, sample: &Sample) -> Result<Component, RewardError> {
        let text = sample.text(&self.field)?;
        let (unique, total) = SCRATCH.with(|scratch| self.count(&text, &mut scratch.borrow_mut()));
        let value = if total == 0 {
            0.0
        } else {
            #[allow(clippy::cast_precision_loss)]
            let repeated = 1.0 - unique as f64 / total as f64;
            // `+ 0.0` turns −0.0 (no repetition) into 0.0.
            repeated * self.max_penalty + 0.0
        };
        Ok(Component::new(value).with("ngrams", total).with("unique", unique))
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// A `Hasher` for keys that are already well-mixed 64-bit hashes.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 ^= fnv_mixed(bytes.iter().copied());
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

type Table = HashMap<u64, u32, BuildHasherDefault<PassThrough>>;

/// splitmix64's finalizer: spreads every input bit over the whole word.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Reused buffers: unit ids of the current text, the word table, and the n-gram table.
#[derive(Default)]
struct Scratch {
    ids: Vec<u32>,
    words: Table,
    /// Byte range, in the current text, of each word id's first spelling.
    spellings: Vec<(usize, usize)>,
    grams: Table,
    packed: HashSet<u64, BuildHasherDefault<PassThrough>>,
}

/// Window ids fit in 21 bits (every `char`, and every word id of a text with fewer than 2M distinct words)...
const PACKED_BITS: u32 = 21;
/// ...so windows of up to 3 of them pack into a u64.
const PACKED_MAX_N: usize = 3;
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x100_0000_01b3;

/// Python's `str.isspace` for one ASCII byte.
fn is_ascii_python_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1c..=0x1f)
}

/// Whether the character at byte `at` is whitespace (Python's definition), and its width in bytes.
#[inline]
fn space_at(text: &str, at: usize) -> (bool, usize) {
    let byte = text.as_bytes()[at];
    if byte.is_ascii() {
        return (is_ascii_python_space(byte), 1);
    }
    text[at..]
        .chars()
        .next()
        .map_or((false, 1), |c| (is_python_space(c), c.len_utf8()))
}

impl Scratch {
    fn clear(&mut self) {
        self.ids.clear();
        self.words.clear();
        self.spellings.clear();
        self.grams.clear();
        self.packed.clear();
    }

    /// Splits like Python's `str.split()` and interns each word. ASCII bytes are split and hashed in the same
    /// pass; a word with non-ASCII characters is re-hashed from its full lowercase form.
    fn intern_words(&mut self, text: &str, lowercase: bool) {
        let bytes = text.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let (space, width) = space_at(text, at);
            if space {
                at += width;
                continue;
            }
            let from = at;
            let mut hash = FNV_OFFSET;
            let mut ascii = true;
            while at < bytes.len() {
                let byte = bytes[at];
                if byte.is_ascii() {
                    if is_ascii_python_space(byte) {
                        break;
                    }
                    let byte = if lowercase { byte.to_ascii_lowercase() } else { byte };
                    hash = (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME);
                    at += 1;
                } else {
                    let (space, width) = space_at(text, at);
                    if space {
                        break;
                    }
                    ascii = false;
                    at += width;
                }
            }
            let key = if ascii {
                mix(hash)
            } else {
                word_hash(&text[from..at], lowercase)
            };
            let id = self.intern(text, from, at, key, lowercase);
            self.ids.push(id);
        }
    }

    fn intern(&mut self, text: &str, from: usize, to: usize, mut key: u64, lowercase: bool) -> u32 {
        let word = &text[from..to];
        loop {
            match self.words.entry(key) {
                Entry::Vacant(slot) => {
                    let id = u32::try_from(self.spellings.len()).unwrap_or(u32::MAX);
                    self.spellings.push((from, to));
                    slot.insert(id);
                    return id;
                }
                Entry::Occupied(slot) => {
                    let id = *slot.get();
                    let (a, b) = self.spellings[id as usize];
                    if same_word(&text[a..b], word, lowercase) {
                        return id;
                    }
                    key = mix(key ^ 0x9e37_79b9_7f4a_7c15); // a true collision: probe the next key
                }
            }
        }
    }

    fn distinct_windows(&mut self, n: usize) -> usize {
        let ids = &self.ids;
        // Characters are below 2^21 too; word ids are below the number of distinct words.
        let small_ids = self.spellings.len() < 1 << PACKED_BITS;
        if n <= PACKED_MAX_N && small_ids {
            // Up to three ids of 21 bits pack into one u64 exactly, and `mix` is a bijection, so the set of mixed
            // keys has exactly as many members as there are distinct windows.
            for window in ids.windows(n) {
                let packed = window
                    .iter()
                    .fold(0u64, |key, &id| (key << PACKED_BITS) | u64::from(id));
                self.packed.insert(mix(packed));
            }
            return self.packed.len();
        }
        for start in 0..=ids.len() - n {
            let window = &ids[start..start + n];
            let mut key = window.iter().fold(0u64, |h, &id| mix(h.rotate_left(5) ^ u64::from(id)));
            loop {
                match self.grams.entry(key) {
                    Entry::Vacant(slot) => {
                        slot.insert(u32::try_from(start).unwrap_or(u32::MAX));
                        break;
                    }
                    Entry::Occupied(slot) => {
                        let first = *slot.get() as usize;
                        if ids[first..first + n] == *window {
                            break;
                        }
                        key = mix(key ^ 0x9e37_79b9_7f4a_7c15);
                    }
                }
            }
        }
        self.grams.len()
    }
}

/// FNV-1a over `bytes`, then mixed so both the high and low bits are usable by the table.
fn fnv_mixed(bytes: impl Iterator<Item = u8>) -> u64 {
    mix(bytes.fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    }))
}

/// Hash of the word as Python's `str.lower()` spells it (that needs a copy only for non-ASCII words).
fn word_hash(word: &str, lowercase: bool) -> u64 {
    if !lowercase {
        fnv_mixed(word.bytes())
    } else if word.is_ascii() {
        fnv_mixed(word.bytes().map(|b| b.to_ascii_lowercase()))
    } else {
        fnv_mixed(word.to_lowercase().bytes())
    }
}

fn same_word(a: &str, b: &str, lowercase: bool) -> bool {
    // Words are short: an inline byte loop beats a call to memcmp.
    if a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y) {
        true
    } else if !lowercase {
        false
    } else if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Params as TableParams;

    fn reward(toml: &str) -> Result<Repetition, KeyError> {
        Repetition::new(&TableParams(toml.parse().unwrap()))
    }

    fn value(toml: &str, text: &str) -> f64 {
        reward(toml)
            .unwrap()
            .score(&Sample::from_completion(text))
            .unwrap()
            .value
    }

    /// open-r1's formula written the slow, obvious way.
    fn reference(text: &str, n: usize, max_penalty: f64) -> f64 {
        let lower = text.to_lowercase();
        let words: Vec<&str> = lower.split(is_python_space).filter(|w| !w.is_empty()).collect();
        if text.is_empty() || words.len() < n {
            return 0.0;
        }
        let grams: Vec<&[&str]> = words.windows(n).collect();
        let unique: std::collections::HashSet<&[&str]> = grams.iter().copied().collect();
        (1.0 - unique.len() as f64 / grams.len() as f64) * max_penalty + 0.0
    }

    #[test]
    fn matches_open_r1() {
        assert_eq!(value("", ""), 0.0);
        assert_eq!(value("", "a b"), 0.0);
        assert_eq!(value("", "a b c d e"), 0.0);
        // 6 trigrams, 3 distinct → (1 − 3/6)·(−1).
        assert_eq!(value("", "a b c a b c a b"), -0.5);
        assert_eq!(
            value("ngram_size = 1\nmax_penalty = -0.5", "The the THE"),
            -0.5 * (1.0 - 1.0 / 3.0)
        );
        assert_eq!(value("ngram_size = 1\nlowercase = false", "The the THE"), 0.0);
        for text in [
            "Σίσυφος ΣΊΣΥΦΟΣ σίσυφος  東京 東京\t東京\u{1f}x x",
            "İstanbul istanbul i̇stanbul ß SS ss",
            "é\u{301} é\u{301} e\u{301}\u{301}",
            "word word word word word",
            "\u{212A}elvin kelvin KELVIN \u{212A}ELVIN a b a b a b",
            "x\u{3000}y\u{85}x\u{a0}y x y x y x y",
        ] {
            for n in 1..7 {
                let toml = format!("ngram_size = {n}\nmax_penalty = -2.0");
                assert_eq!(value(&toml, text), reference(text, n, -2.0), "{text:?} n={n}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_obvious_implementation(
            words in proptest::collection::vec("(a|b|A|c|é|É|ß|x y|\\t)", 0..60),
            n in 1usize..6,
        ) {
            let text = words.join(" ");
            let toml = format!("ngram_size = {n}\nmax_penalty = -1.0");
            proptest::prop_assert_eq!(value(&toml, &text), reference(&text, n, -1.0));
        }
    }

    #[test]
    fn chars_unit() {
        assert_eq!(value("unit = 'chars'\nngram_size = 2", "abab"), -(1.0 - 2.0 / 3.0));
        assert_eq!(value("unit = 'chars'\nngram_size = 2", "🙂🙂🙂"), -0.5);
        assert_eq!(value("unit = 'chars'\nngram_size = 5", "abcd"), 0.0);
    }

    #[test]
    fn diagnostics_and_errors() {
        let c = reward("")
            .unwrap()
            .score(&Sample::from_completion("a b c a b c"))
            .unwrap();
        assert_eq!(c.diagnostics["ngrams"], 4);
        assert_eq!(c.diagnostics["unique"], 3);
        assert_eq!(reward("max_penalty = 0.5").err().unwrap().key, "max_penalty");
        assert_eq!(reward("ngram_size = 0").err().unwrap().key, "ngram_size");
        assert_eq!(reward("ngram_size = -3").err().unwrap().key, "ngram_size");
        assert_eq!(reward("ngram_size = 2.5").err().unwrap().key, "ngram_size");
        assert_eq!(reward("unit = 'tokens'").err().unwrap().key, "unit");
        assert_eq!(reward("max_penalti = -1").err().unwrap().key, "max_penalti");
        let r = reward("").unwrap();
        assert_eq!(
            r.score(&Sample::from_completion("x").with_field("completion", true))
                .unwrap_err()
                .kind(),
            "WrongType"
        );
    }

    #[test]
    fn long_inputs() {
        let text = "the cat sat on the mat ".repeat(50_000);
        let expected = reference(&text, 3, -1.0);
        assert!((value("", &text) - expected).abs() < 1e-12);
        assert!(expected < -0.99);
        let distinct: String = (0..100_000).map(|i| format!("w{i} ")).collect();
        assert_eq!(value("", &distinct), 0.0);
    }
}
